"""The adapter to pytest's private parts: each function against the installed pytest."""

from __future__ import annotations

import pytest

from ipytest import _compat_pytest

pytest_plugins = ["pytester"]
INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"


def test_saferepr_shortens_a_long_value():
    text = _compat_pytest.saferepr("x" * 1000)
    assert text.startswith("'xxx")
    assert "..." in text
    assert len(text) < 300


def test_saferepr_survives_a_broken_repr():
    class Broken:
        def __repr__(self):
            raise ValueError("no repr")

    assert "ValueError" in _compat_pytest.saferepr(Broken())


def test_format_assertmsg_doubles_percent_signs():
    assert _compat_pytest.format_assertmsg("50% done") == "50%% done"


def test_format_explanation_renders_nested_markup():
    text = _compat_pytest.format_explanation("assert 1 == 2\n{1 = f()\n}")
    assert text == "assert 1 == 2\n +  where 1 = f()"


@pytest.mark.parametrize(
    ("value", "shown"), [(42, True), ("text", True), (pytest, False), (len, False), (int, False)]
)
def test_should_repr_global_name_hides_modules_functions_and_classes(value, shown):
    assert _compat_pytest.should_repr_global_name(value) is shown


def test_compare_explanation_is_none_outside_a_pytest_run(monkeypatch):
    from _pytest.assertion import util

    monkeypatch.setattr(util, "_reprcompare", None)
    assert _compat_pytest.compare_explanation("==", [1, 2], [1, 3]) is None


def test_compare_explanation_explains_a_list_difference_in_a_run(pytester):
    pytester.makeini(INI)
    pytester.makepyfile(
        """
        from ipytest import _compat_pytest

        def test_detail():
            detail = _compat_pytest.compare_explanation("==", [1, 2], [1, 3])
            assert "At index 1 diff: 2 != 3" in detail
            assert _compat_pytest.compare_explanation("==", 1, 1) is None
        """
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_compare_explanation_keeps_single_percent_signs(pytester):
    pytester.makeini(INI)
    pytester.makepyfile(
        """
        from ipytest import _compat_pytest

        def test_detail():
            detail = _compat_pytest.compare_explanation("==", "50%a", "50%b")
            assert "50%a" in detail and "%%" not in detail
        """
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_the_packages_of_pytest_are_pytest_its_implementation_and_pluggy():
    names = [module.__name__ for module in _compat_pytest.packages_of_pytest()]
    assert names == ["pytest", "_pytest", "pluggy"]
