"""Configuration: defaults, keep/default semantics, validation, applying it to the shell."""

from __future__ import annotations

import subprocess
import sys
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st

import ipytest
from ipytest import _config, _impl, _options
from ipytest._magic_position import MisplacedMagicCheck
from ipytest._options import UsageError

EXPECTED_DEFAULTS = {
    "rewrite_asserts": True,
    "magics": True,
    "clean": "[Tt]est*",
    "addopts": ("-q", "--color=yes"),
    "run_in_thread": False,
    "defopts": "auto",
    "display_columns": 100,
    "raise_on_error": False,
    "coverage": False,
}


def test_public_names_are_exactly_these():
    assert sorted(ipytest.__all__) == sorted(
        ["Error", "autoconfig", "clean", "config", "force_reload", "reload", "run"]
    )
    for name in ipytest.__all__:
        assert getattr(ipytest, name) is not None


def test_config_module_names():
    assert repr(_config.keep) == "<keep>"
    assert repr(_config.default) == "<default>"
    assert _config.DEFAULTS == EXPECTED_DEFAULTS
    assert _config.current_config is _options.current_config


def test_impl_module_names():
    for name in [
        "run",
        "clean",
        "force_reload",
        "reload",
        "Error",
        "ArgMapping",
        "RewriteAssertTransformer",
        "eval_defopts_auto",
        "eval_run_kwargs",
        "find_coverage_configs",
        "ipytest_magic",
    ]:
        assert hasattr(_impl, name), name
    assert ipytest.run is _impl.run
    assert ipytest.autoconfig is _config.autoconfig


def test_autoconfig_sets_every_default(shell):
    _config.config(display_columns=7, raise_on_error=True)
    ipytest.autoconfig()
    assert _config.current_config == EXPECTED_DEFAULTS


def test_autoconfig_returns_nothing_so_a_first_cell_shows_no_output(shell):
    assert ipytest.autoconfig() is None


def test_autoconfig_takes_given_values(shell):
    ipytest.autoconfig(raise_on_error=True, addopts=["-v"])
    assert _config.current_config["raise_on_error"] is True
    assert _config.current_config["addopts"] == ("-v",)
    assert _config.current_config["display_columns"] == 100


def test_config_keeps_what_is_not_given(shell):
    ipytest.autoconfig(display_columns=42)
    ipytest.config(raise_on_error=True)
    assert _config.current_config["display_columns"] == 42
    assert _config.current_config["raise_on_error"] is True


def test_config_without_coverage_keeps_coverage_off(shell):
    """The original stored its `default` sentinel here, which is truthy: coverage went on."""
    ipytest.autoconfig()
    ipytest.config(raise_on_error=True)
    assert _config.current_config["coverage"] is False


def test_config_default_restores_the_default(shell):
    ipytest.autoconfig(display_columns=42)
    ipytest.config(display_columns=_config.default)
    assert _config.current_config["display_columns"] == 100


def test_config_returns_a_copy_of_the_current_configuration(shell):
    ipytest.autoconfig()
    result = ipytest.config()
    assert result == _config.current_config
    result["display_columns"] = 1
    assert _config.current_config["display_columns"] == 100


def test_current_config_is_mutated_in_place(shell):
    before = _config.current_config
    ipytest.autoconfig()
    ipytest.config(display_columns=5)
    assert _config.current_config is before


def test_a_fresh_import_has_nothing_registered_and_imports_nothing_heavy():
    code = (
        "import sys, ipytest\n"
        "from ipytest import _config\n"
        "heavy = [m for m in ('pytest', 'IPython', 'nbformat', 'coverage') if m in sys.modules]\n"
        "print(ipytest.exit_code, _config.current_config['rewrite_asserts'],"
        " _config.current_config['magics'], _config.current_config['addopts'],"
        " _config._rewrite_transformer, heavy)\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert output.split() == ["None", "False", "False", "()", "None", "[]"]


@pytest.mark.parametrize(
    ("option", "value", "accepted"),
    [
        ("rewrite_asserts", "yes", "True or False"),
        ("raise_on_error", None, "True or False"),
        ("coverage", 2, "True or False"),
        ("clean", True, "glob pattern"),
        ("clean", 3, "glob pattern"),
        ("addopts", 5, "sequence of pytest arguments"),
        ("addopts", ["-v", 1], "sequence of pytest arguments"),
        ("addopts", "'unbalanced", "cannot be split"),
        ("defopts", "always", "'auto'"),
        ("display_columns", 0, "positive number"),
        ("display_columns", "80", "positive number"),
        ("display_columns", True, "positive number"),
    ],
)
def test_bad_option_values_are_refused_with_what_is_accepted(option, value, accepted):
    with pytest.raises(UsageError) as error:
        ipytest.config(**{option: value})
    assert option in str(error.value)
    assert accepted in str(error.value)


@pytest.mark.parametrize(
    ("option", "value", "stored"),
    [
        ("raise_on_error", 1, True),
        ("clean", False, False),
        ("clean", "test_*", "test_*"),
        ("addopts", "-v -s", ("-v", "-s")),
        ("addopts", ["-x"], ("-x",)),
        ("defopts", True, True),
        ("defopts", "auto", "auto"),
        ("display_columns", 80, 80),
    ],
)
def test_good_option_values_are_stored_in_normal_form(option, value, stored):
    assert ipytest.config(**{option: value})[option] == stored


def test_a_bad_value_changes_nothing(shell):
    ipytest.autoconfig()
    before = dict(_config.current_config)
    with pytest.raises(UsageError):
        ipytest.config(raise_on_error=True, display_columns=-1)
    assert _config.current_config == before


@given(
    st.sampled_from(list(EXPECTED_DEFAULTS)),
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(), st.lists(st.text())),
)
def test_any_option_value_is_stored_or_refused_clearly(option, value):
    saved = dict(_options.current_config)
    try:
        with mock.patch("IPython.get_ipython", return_value=None):
            result = ipytest.config(**{option: value})
    except UsageError as error:
        message = str(error)
    else:
        message = option if option in result else "missing from the result"
    finally:
        _options.current_config.update(saved)
    assert option in message


def test_rewrite_asserts_registers_one_transformer(shell):
    ipytest.autoconfig()
    ipytest.config(rewrite_asserts=True)
    ipytest.autoconfig()
    rewriters = [t for t in shell.ast_transformers if isinstance(t, _impl.RewriteAssertTransformer)]
    assert rewriters == [_config._rewrite_transformer]


def test_registering_two_transformers_keeps_one(shell):
    first, second = _impl.RewriteAssertTransformer(), _impl.RewriteAssertTransformer()
    first.register_with_shell(shell)
    second.register_with_shell(shell)
    assert [t for t in shell.ast_transformers if isinstance(t, _impl.RewriteAssertTransformer)] == [
        second
    ]


def test_rewrite_asserts_false_removes_the_transformer(shell):
    ipytest.autoconfig()
    ipytest.config(rewrite_asserts=False)
    assert not any(isinstance(t, _impl.RewriteAssertTransformer) for t in shell.ast_transformers)
    assert _config._rewrite_transformer is None


def test_rewritten_asserts_in_a_real_shell_explain_themselves(shell):
    ipytest.autoconfig()
    shell.run_cell("def f():\n    return 3\n")
    result = shell.run_cell(
        "try:\n    assert f() == 2\nexcept AssertionError as e:\n    msg = str(e)\n"
    )
    assert result.success
    assert shell.user_ns["msg"] == "assert 3 == 2\n +  where 3 = f()"


def test_without_rewriting_asserts_are_plain(shell):
    ipytest.autoconfig(rewrite_asserts=False)
    shell.run_cell("try:\n    assert 3 == 2\nexcept AssertionError as e:\n    msg = str(e)\n")
    assert shell.user_ns["msg"] == ""


def test_magics_registers_the_cell_magic(shell):
    ipytest.autoconfig()
    assert shell.magics_manager.magics["cell"]["ipytest"] is _impl.ipytest_magic


def test_config_talks_to_the_shell_only_through_its_interface():
    fake = mock.Mock()
    fake.ast_transformers = []
    fake.input_transformers_cleanup = []
    with mock.patch("IPython.get_ipython", return_value=fake):
        ipytest.autoconfig()
    fake.register_magic_function.assert_called_once_with(_impl.ipytest_magic, "cell", "ipytest")
    assert [type(t) for t in fake.ast_transformers] == [_impl.RewriteAssertTransformer]
    assert [type(t) for t in fake.input_transformers_cleanup] == [MisplacedMagicCheck]


def test_autoconfig_works_outside_ipython():
    with mock.patch("IPython.get_ipython", return_value=None):
        ipytest.autoconfig()
    assert _config.current_config == EXPECTED_DEFAULTS


def test_coverage_without_pytest_cov_names_the_package(monkeypatch):
    real_find_spec = _impl.importlib.util.find_spec
    monkeypatch.setattr(
        _impl.importlib.util,
        "find_spec",
        lambda name, *args: None if name == "pytest_cov" else real_find_spec(name, *args),
    )
    with pytest.raises(UsageError, match="pytest-cov"):
        ipytest.config(coverage=True)
    assert _config.current_config["coverage"] is False
