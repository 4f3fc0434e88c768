"""Running tests from a real IPython shell: %%ipytest, run(), and what a run leaves behind."""

from __future__ import annotations

import contextlib
import os
import re
import sys
import textwrap
import threading
import time
import types
from pathlib import Path

import pytest

import ipytest
from ipytest import _impl
from ipytest._options import UsageError


def cell(shell, source: str):
    return shell.run_cell(textwrap.dedent(source))


def output(capsys) -> tuple[str, str]:
    """What was printed since the last call, without colour codes."""
    captured = capsys.readouterr()
    return plain(captured.out), plain(captured.err)


def plain(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


@pytest.fixture
def configured(shell):
    ipytest.autoconfig()
    return shell


def test_magic_runs_the_tests_the_cell_defines(configured, capsys, leftovers):
    result = cell(
        configured,
        """\
        %%ipytest
        def test_passes():
            assert True
        """,
    )
    assert result.success
    assert result.result is None
    assert ipytest.exit_code == 0
    assert "1 passed" in output(capsys)[0]
    leftovers()


def test_failing_assert_shows_pytest_explanation(configured, capsys):
    cell(
        configured,
        """\
        %%ipytest
        def test_lists():
            assert [1, 2, 3] == [1, 2, 4]
        """,
    )
    assert ipytest.exit_code == 1
    assert "At index 2 diff: 3 != 4" in output(capsys)[0]


def test_fixtures_parametrize_and_classes(configured, capsys):
    cell(
        configured,
        """\
        %%ipytest
        import pytest

        @pytest.fixture
        def number():
            return 21

        @pytest.mark.parametrize("factor", [1, 2])
        def test_param(number, factor):
            assert number * factor in (21, 42)

        class TestGroup:
            def test_method(self, number):
                assert number == 21
        """,
    )
    assert ipytest.exit_code == 0
    assert "3 passed" in output(capsys)[0]


def test_conftest_in_the_working_directory_applies(configured, workdir, capsys):
    (workdir / "conftest.py").write_text(
        "import pytest\n\n@pytest.fixture\ndef answer():\n    return 42\n"
    )
    cell(
        configured,
        """\
        %%ipytest
        def test_uses_conftest(answer):
            assert answer == 42
        """,
    )
    assert ipytest.exit_code == 0


@pytest.mark.parametrize(("expected", "code"), [("True", 0), ("False", 1)])
def test_doctests_run_with_doctest_modules(configured, capsys, expected, code):
    cell(
        configured,
        f'''\
        %%ipytest --doctest-modules
        def is_even(n):
            """
            >>> is_even(2)
            {expected}
            """
            return n % 2 == 0
        ''',
    )
    assert ipytest.exit_code == code
    assert ("1 passed" if code == 0 else "1 failed") in output(capsys)[0]


@pytest.mark.parametrize(
    ("line", "summary"),
    [
        ("-k fast", "1 passed, 2 deselected"),
        ("{test_slow}", "1 failed"),
        ("{test_fast} {test_other}", "2 passed"),
        ("-x", "1 failed, 1 passed"),
        ("--deselect {MODULE}::test_slow", "2 passed, 1 deselected"),
        ("--deselect {test_slow} -k 'not other'", "1 passed, 2 deselected"),
    ],
)
def test_selection(configured, capsys, line, summary):
    cell(
        configured,
        f"""\
        %%ipytest {line}
        def test_fast():
            pass

        def test_slow():
            assert False

        def test_other():
            pass
        """,
    )
    assert summary in output(capsys)[0]


def test_module_placeholder_with_defopts_off(configured, capsys):
    cell(
        configured,
        """\
        %%ipytest {MODULE}::test_a
        # ipytest: defopts=False
        def test_a():
            pass

        def test_b():
            pass
        """,
    )
    assert "1 passed" in output(capsys)[0]


def test_renamed_tests_no_longer_run(configured, capsys):
    cell(configured, "%%ipytest\ndef test_old():\n    assert False\n")
    cell(configured, "%%ipytest\ndef test_new():\n    pass\n")
    assert ipytest.exit_code == 0
    assert "test_old" not in configured.user_ns


def test_clean_false_keeps_earlier_tests(shell, capsys):
    ipytest.autoconfig(clean=False)
    cell(shell, "%%ipytest\ndef test_first():\n    pass\n")
    cell(shell, "%%ipytest\ndef test_second():\n    pass\n")
    assert "2 passed" in output(capsys)[0].splitlines()[-1]


def test_columns_is_set_during_the_run_and_restored(configured, monkeypatch):
    monkeypatch.setenv("COLUMNS", "33")
    cell(
        configured,
        """\
        %%ipytest
        # ipytest: display_columns=71
        import os
        seen = []
        def test_columns():
            seen.append(os.environ["COLUMNS"])
        """,
    )
    assert configured.user_ns["seen"] == ["71"]
    assert os.environ["COLUMNS"] == "33"


def test_columns_is_unset_again_when_it_was_unset(configured, monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    cell(configured, "%%ipytest\ndef test_x():\n    pass\n")
    assert "COLUMNS" not in os.environ


def test_dunder_file_is_restored(configured, leftovers):
    cell(configured, "%%ipytest\ndef test_x():\n    pass\n")
    assert "__file__" not in configured.user_ns
    configured.user_ns["__file__"] = "mine.py"
    cell(configured, "%%ipytest\ndef test_x():\n    pass\n")
    assert configured.user_ns["__file__"] == "mine.py"
    leftovers()


class FailingPlugin:
    """A pytest plugin that raises `error` from the hook named `where`."""

    def __init__(self, where: str, error: BaseException) -> None:
        setattr(self, where, self.fail)
        self.error = error

    def fail(self, *args, **kwargs):
        raise self.error


@pytest.mark.parametrize("run_in_thread", [False, True])
def test_an_exception_in_pytest_reaches_the_caller_and_state_is_restored(
    configured, leftovers, run_in_thread
):
    configured.user_ns["__file__"] = "mine.py"
    plugin = FailingPlugin("pytest_addoption", RuntimeError("plugin broke"))
    with pytest.raises(RuntimeError, match="plugin broke"):
        ipytest.run(plugins=[plugin], run_in_thread=run_in_thread)
    assert ipytest.exit_code == _impl.EXIT_INTERNAL_ERROR
    assert configured.user_ns["__file__"] == "mine.py"
    leftovers()


@pytest.mark.parametrize(
    "where", ["pytest_addoption", "pytest_configure", "pytest_collection_modifyitems"]
)
@pytest.mark.parametrize("run_in_thread", [False, True])
def test_an_interrupt_anywhere_stops_the_run_and_restores_state(
    configured, leftovers, monkeypatch, where, run_in_thread
):
    monkeypatch.setenv("COLUMNS", "33")
    cell(configured, "def test_x():\n    pass\n")
    with pytest.raises(KeyboardInterrupt):
        ipytest.run(
            plugins=[FailingPlugin(where, KeyboardInterrupt())], run_in_thread=run_in_thread
        )
    assert ipytest.exit_code == _impl.EXIT_INTERRUPTED
    assert os.environ["COLUMNS"] == "33"
    leftovers()
    assert ipytest.run() == 0


def test_interrupting_a_threaded_run_stops_its_thread_and_the_next_run_works(
    configured, leftovers, capsys
):
    cell(
        configured,
        """\
        import time
        def test_slow():
            for _ in range(600):
                time.sleep(0.05)
        """,
    )
    import _thread

    timer = threading.Timer(1.0, _thread.interrupt_main)
    timer.start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        ipytest.run(run_in_thread=True)
    assert time.monotonic() - started < 15
    assert not any(thread.name == "ipytest" for thread in threading.enumerate())
    leftovers()
    cell(configured, "%%ipytest\n# ipytest: run_in_thread=True\ndef test_quick():\n    pass\n")
    assert ipytest.exit_code == 0


def test_raise_on_error_raises_error_with_the_exit_code(configured):
    cell(configured, "def test_fails():\n    assert False\n")
    with pytest.raises(ipytest.Error) as error:
        ipytest.run(raise_on_error=True)
    assert error.value.args[0] == 1
    assert "1" in str(error.value)
    assert ipytest.exit_code == 1


def test_raise_on_error_makes_a_failing_magic_cell_fail(configured):
    ipytest.config(raise_on_error=True)
    result = cell(configured, "%%ipytest\ndef test_fails():\n    assert False\n")
    assert isinstance(result.error_in_exec, ipytest.Error)
    assert result.error_in_exec.args[0] == 1


def test_raise_on_error_makes_a_raising_cell_body_fail(configured, workdir):
    ipytest.config(raise_on_error=True)
    result = cell(
        configured,
        """\
        %%ipytest
        def test_would_run():
            open("ran", "w").close()
        1 / 0
        """,
    )
    assert isinstance(result.error_in_exec, ipytest.Error)
    assert "ZeroDivisionError" in str(result.error_in_exec)
    assert not (workdir / "ran").exists()


def test_a_raising_cell_body_is_reported_and_its_tests_not_run(configured, workdir, capsys):
    result = cell(configured, "%%ipytest\ndef test_would_run():\n    open('ran', 'w')\n1 / 0\n")
    assert result.success  # the magic reported the failure instead of raising
    assert "tests were not run" in output(capsys)[1]
    assert not (workdir / "ran").exists()


def test_a_read_only_working_directory_is_named_and_nothing_is_left(configured, monkeypatch):
    directory = Path("/sys")
    if os.access(directory, os.W_OK) and os.geteuid() != 0:
        pytest.skip("no read-only directory on this machine")
    try:
        (directory / "t_probe.py").touch()
    except OSError:
        pass
    else:
        (directory / "t_probe.py").unlink()
        pytest.skip("/sys is writable here")
    cell(configured, "def test_x():\n    pass\n")
    monkeypatch.chdir(directory)
    with pytest.raises(UsageError) as error:
        ipytest.run()
    assert "'/sys'" in str(error.value)
    assert ipytest.exit_code == _impl.EXIT_USAGE_ERROR
    assert [name for name in sys.modules if name.startswith("t_")] == []
    assert "__file__" not in configured.user_ns


def test_usage_errors_name_the_program_ipytest(configured, capsys):
    cell(configured, "%%ipytest --no-such-option\ndef test_x():\n    pass\n")
    assert ipytest.exit_code == 4
    assert "%%ipytest: error" in output(capsys)[1]


def test_an_empty_collection_says_which_module_was_searched(configured, capsys):
    cell(configured, "%%ipytest\nx = 1\n")
    assert ipytest.exit_code == 5
    out = output(capsys)[0]
    assert "ipytest searched the module '__main__'" in out


def test_pytest_does_not_scan_the_shell_history(configured):
    for index in range(5):
        cell(configured, f"{index}")
    seen: list[str] = []

    class Recorder:
        def pytest_pycollect_makeitem(self, collector, name, obj):
            seen.append(name)

    cell(configured, "def test_x():\n    assert 1 == 1\n")
    ipytest.run(plugins=[Recorder()])
    assert "test_x" in seen
    assert not [name for name in seen if name in ("In", "Out", "_", "_i", "_1", "_i2", "_oh")]
    assert not [name for name in seen if name.startswith("@")]


@contextlib.contextmanager
def custom_shell(**namespaces):
    """A real shell made with the given `user_module`/`user_ns`, cleared afterwards."""
    from IPython.core.interactiveshell import InteractiveShell

    InteractiveShell.clear_instance()
    main_module = sys.modules["__main__"]
    module = namespaces.get("user_module")
    try:
        yield InteractiveShell.instance(**namespaces)
    finally:
        InteractiveShell.clear_instance()
        sys.modules["__main__"] = main_module
        if module is not None:
            sys.modules.pop(module.__name__, None)


def test_shell_whose_user_module_is_not_main(workdir, capsys, leftovers):
    with custom_shell(user_module=types.ModuleType("vscode_namespace")) as shell:
        ipytest.autoconfig()
        cell(shell, "%%ipytest\ndef test_here():\n    pass\n")
        assert ipytest.exit_code == 0
        assert "1 passed" in output(capsys)[0]
    leftovers()


def test_embedded_shell_with_a_separate_namespace(workdir, leftovers):
    namespace: dict = {}
    with custom_shell(user_module=types.ModuleType("host_module"), user_ns=namespace) as shell:
        ipytest.autoconfig()
        cell(shell, "%%ipytest\ndef test_here():\n    pass\n")
        assert ipytest.exit_code == 0
        assert "test_here" in namespace
        assert "__file__" not in namespace
    leftovers()


def test_run_outside_ipython_on_an_explicit_module(workdir, monkeypatch, leftovers):
    monkeypatch.setattr("IPython.get_ipython", lambda: None)
    module = types.ModuleType("plain_module")
    exec("def test_ok():\n    assert 1 + 1 == 2\n", vars(module))
    assert ipytest.run(module=module) == 0
    assert "__file__" not in vars(module)
    leftovers()


def test_outside_ipython_the_module_is_main(monkeypatch):
    monkeypatch.setattr("IPython.get_ipython", lambda: None)
    assert _impl.user_module() is sys.modules["__main__"]


def test_run_returns_and_keeps_the_exit_code(configured):
    cell(configured, "def test_ok():\n    pass\n")
    assert ipytest.run() == 0 == ipytest.exit_code


def test_async_tests_run_in_a_thread(configured, capsys):
    cell(
        configured,
        """\
        %%ipytest
        # ipytest: run_in_thread=True
        import asyncio
        import pytest

        @pytest.mark.asyncio
        async def test_sleeps():
            await asyncio.sleep(0)
        """,
    )
    assert ipytest.exit_code == 0


def test_repeated_runs_leave_nothing_behind(configured, leftovers):
    for _ in range(3):
        cell(configured, "%%ipytest\ndef test_x():\n    pass\n")
        assert ipytest.exit_code == 0
    leftovers()


@pytest.mark.parametrize(
    "source",
    [
        "# only a comment",
        "'a string is shown'",
        "from __future__ import annotations\ndef f(x: Undefined) -> None:\n    assert True\n",
        "import asyncio\nawait asyncio.sleep(0)\nassert True",
        "import functools\n@functools.cache\ndef f():\n    assert 1\n    return 1\nf()",
        "match [1]:\n    case [x]:\n        assert x == 1",
    ],
)
def test_the_rewriter_never_breaks_a_cell(configured, source):
    result = configured.run_cell(source)
    assert result.success, result.error_in_exec


def test_a_docstring_only_cell_still_shows_its_value(configured):
    assert configured.run_cell("'shown'").result == "shown"


def test_a_cell_the_rewriter_cannot_handle_runs_unchanged(configured, monkeypatch):
    def broken(module):
        raise RuntimeError("unknown syntax")

    monkeypatch.setattr(_impl, "rewrite_module", broken)
    with pytest.warns(UserWarning, match="could not rewrite"):
        result = configured.run_cell("x = 1\nassert x == 1\n")
    assert result.success
    assert any(isinstance(t, _impl.RewriteAssertTransformer) for t in configured.ast_transformers)


def test_a_failing_doctest_reports_its_cell_and_line(configured, capsys):
    result = cell(
        configured,
        '''\
        %%ipytest --doctest-modules
        def halve(x):
            """
            >>> halve(5)
            2
            """
            return x / 2

        class Thing:
            """
            >>> Thing().x
            3
            """
            x = 2

            def method(self):
                pass
        ''',
    )
    assert result.success
    out = output(capsys)[0]
    assert "LOCATION UNKNOWN" not in out
    # Python 3.13 strips the docstring's indentation.
    assert re.search(r"^003 +>>> halve\(5\)$", out, flags=re.MULTILINE)
    assert re.search(r"^010 +>>> Thing\(\)\.x$", out, flags=re.MULTILINE)
    filename = configured.user_ns["halve"].__code__.co_filename
    assert f"{filename}:3: DocTestFailure" in out
    assert f"{filename}:10: DocTestFailure" in out


def test_a_plugin_module_the_notebook_imported_does_not_warn_in_every_run(
    configured, workdir, monkeypatch, capsys
):
    (workdir / "notebook_plugin.py").write_text("def pytest_configure(config):\n    pass\n")
    monkeypatch.syspath_prepend(str(workdir))
    cell(configured, "import notebook_plugin")
    for _ in range(2):
        cell(configured, "%%ipytest -p notebook_plugin\ndef test_x():\n    pass\n")
        assert ipytest.exit_code == 0
    assert "cannot be rewritten" not in output(capsys)[0]
    sys.modules.pop("notebook_plugin", None)


@pytest.mark.parametrize("key", ["clean", "verbose", "raise_on_eror"])
def test_the_magic_refuses_a_comment_key_run_does_not_take(configured, capsys, key):
    result = cell(configured, f"%%ipytest\n# ipytest: {key}=True\ndef test_x():\n    pass\n")
    assert isinstance(result.error_in_exec, UsageError)
    assert str(result.error_in_exec).startswith(
        f"{key!r} in '# ipytest: {key}=True' is not an option of ipytest.run(); "
        "the options are: module, plugins, run_in_thread, raise_on_error, addopts"
    )
    # Refused before anything ran: the cell's test is not defined.
    assert "test_x" not in configured.user_ns
    assert "".join(output(capsys)).splitlines() == [f"UsageError: {result.error_in_exec}"]
