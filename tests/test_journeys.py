"""What users do in a notebook, cell after cell, in a real IPython shell.

Each test is one journey: cells are run, edited and run again as a user would, and every
step is checked, not only the last. `test_kernel_journeys.py` walks the same paths in a
real Jupyter kernel.
"""

from __future__ import annotations

import _thread
import re
import textwrap
import threading
import time

import pytest

import ipytest
from ipytest import _config

CELL_ROW = re.compile(r"\S*ipython-input-\d+-\w+\.py\s")
WARNINGS = re.compile(r", \d+ warnings?")
SUMMARY = re.compile(r"^=*\s*(\d+ (?:passed|failed|deselected|error).*?) in [\d.]+s", re.MULTILINE)


def plain(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


class Notebook:
    """A real shell and what its cells printed, cell by cell."""

    def __init__(self, shell, capsys) -> None:
        self.shell = shell
        self.capsys = capsys

    def run(self, source: str):
        """Run a cell; return IPython's result, with `.out` and `.err` of that cell alone."""
        self.capsys.readouterr()
        result = self.shell.run_cell(textwrap.dedent(source), store_history=True)
        captured = self.capsys.readouterr()
        result.out, result.err = plain(captured.out), plain(captured.err)
        return result

    def summary(self, result) -> str:
        """pytest's last summary line in a cell's output, without the time."""
        found = SUMMARY.findall(result.out)
        assert found, result.out + result.err
        # Old pytest-asyncio warns about the ini option that newer versions need.
        return WARNINGS.sub("", found[-1])


@pytest.fixture
def notebook(shell, capsys):
    book = Notebook(shell, capsys)
    book.run("import ipytest\nipytest.autoconfig()")
    return book


WANTED = """\
%%ipytest {test_wanted}
def test_wanted():
    assert True

def test_other():
    assert False
"""


def test_rerunning_a_cell_that_names_a_test_runs_that_test_each_time(notebook):
    for _ in range(3):
        result = notebook.run(WANTED)
        assert result.success, result.err
        assert notebook.summary(result) == "1 passed", result.out + result.err
        assert ipytest.exit_code == 0


def test_rerunning_a_cell_that_deselects_a_test_deselects_it_each_time(notebook):
    source = WANTED.replace("{test_wanted}", "--deselect {test_other}")
    for _ in range(3):
        result = notebook.run(source)
        assert notebook.summary(result) == "1 passed, 1 deselected", result.out + result.err
        assert ipytest.exit_code == 0


def test_editing_the_selection_and_rerunning_follows_each_edit(notebook):
    steps = [
        (WANTED, "1 passed", 0),
        (WANTED.replace("{test_wanted}", "{test_other}"), "1 failed", 1),
        (WANTED.replace("{test_wanted}", "{test_wanted} {test_other}"), "1 failed, 1 passed", 1),
        (WANTED.replace("{test_wanted}", "--deselect {test_other}"), "1 passed, 1 deselected", 0),
        (WANTED, "1 passed", 0),
    ]
    for source, summary, exit_code in steps * 2:
        result = notebook.run(source)
        assert (notebook.summary(result), ipytest.exit_code) == (summary, exit_code), result.out


@pytest.mark.parametrize(
    "variables",
    [
        "test_wanted = 'x'",
        "test_wanted = 3",
        "MODULE = 3",
        "MODULE = 'other_file.py'",
        "test_other = lambda: None",
    ],
)
def test_a_variable_named_like_a_placeholder_does_not_change_the_arguments(notebook, variables):
    notebook.run(variables)
    for line in ["{test_wanted}", "{MODULE}::test_wanted", "--deselect {test_other}"]:
        result = notebook.run(WANTED.replace("{test_wanted}", line))
        assert ipytest.exit_code == 0, result.out + result.err
        assert notebook.summary(result).startswith("1 passed")


def test_dollar_names_in_the_magic_line_reach_pytest_as_written(notebook):
    # IPython would expand $pattern to the variable's value, 'other'.
    notebook.run("pattern = 'other'")
    result = notebook.run(WANTED.replace("{test_wanted}", "-k $pattern"))
    assert ipytest.exit_code == 4
    assert "Wrong expression passed to '-k': $pattern" in result.out + result.err


def test_renaming_a_test_and_rerunning_runs_the_new_name_only(notebook):
    steps = [
        ("%%ipytest {test_first}\ndef test_first():\n    pass\n", "1 passed"),
        ("%%ipytest {test_second}\ndef test_second():\n    pass\n", "1 passed"),
        ("%%ipytest {test_second}\ndef test_second():\n    pass\n", "1 passed"),
        ("%%ipytest\ndef test_third():\n    pass\n", "1 passed"),
    ]
    for source, summary in steps:
        result = notebook.run(source)
        assert notebook.summary(result) == summary, result.out + result.err
    assert "test_first" not in notebook.shell.user_ns
    assert "test_second" not in notebook.shell.user_ns


def test_renaming_to_a_name_a_placeholder_still_uses_says_nothing_was_found(notebook):
    notebook.run(WANTED)
    result = notebook.run(WANTED.replace("def test_wanted", "def test_renamed"))
    # The cell still names the old test: pytest says so, and the next edit fixes it.
    assert ipytest.exit_code == 4
    assert "test_wanted" in result.out + result.err
    result = notebook.run(
        WANTED.replace("def test_wanted", "def test_renamed").replace(
            "{test_wanted}", "{test_renamed}"
        )
    )
    assert (notebook.summary(result), ipytest.exit_code) == ("1 passed", 0)


@pytest.mark.parametrize("run_in_thread", [False, True])
def test_interrupting_a_run_then_running_again(notebook, leftovers, run_in_thread):
    ipytest.config(run_in_thread=run_in_thread)
    slow = """\
    %%ipytest {test_slow}
    import time
    def test_slow():
        for _ in range(400):
            time.sleep(0.05)
    def test_quick():
        pass
    """
    timer = threading.Timer(1.5, _thread.interrupt_main)
    timer.start()
    try:
        result = notebook.run(slow)
    finally:
        timer.cancel()
    assert isinstance(result.error_in_exec, KeyboardInterrupt)
    assert ipytest.exit_code == 2
    leftovers()
    for _ in range(2):
        result = notebook.run(slow.replace("{test_slow}", "{test_quick}"))
        assert (notebook.summary(result), ipytest.exit_code) == ("1 passed", 0), result.out
    leftovers()


def test_coverage_runs_twice_in_a_row_report_the_same(notebook):
    source = """\
    %%ipytest --cov-report=term-missing {test_absolute}
    # ipytest: coverage=True
    def absolute(x):
        if x < 0:
            return -x
        return x

    def test_absolute():
        assert absolute(-2) == 2
    """
    tables = []
    for _ in range(3):
        result = notebook.run(source)
        assert (notebook.summary(result), ipytest.exit_code) == ("1 passed", 0), result.out
        # Terminal IPython's cells are named ipython-input-N-<hash>, a new name each run.
        rows = [line.split()[1:] for line in result.out.splitlines() if CELL_ROW.match(line)]
        assert len(rows) == 1, result.out
        tables.append(rows[0])
    # Statements, missed, percent and missing lines: the same in each run.
    assert tables[0] == tables[1] == tables[2]
    assert tables[0] == ["6", "1", "83%", "5"]


def test_changing_the_configuration_between_runs_applies_to_the_next_run(notebook):
    source = (
        "%%ipytest {test_fails}\n"
        "def test_fails():\n    assert 1 == 2\n"
        "def test_other():\n    pass\n"
    )
    result = notebook.run(source)
    assert (notebook.summary(result), ipytest.exit_code) == ("1 failed", 1)
    assert "::test_fails FAILED" not in result.out

    notebook.run("ipytest.config(addopts=['-v'])")
    result = notebook.run(source)
    assert "::test_fails FAILED" in result.out

    notebook.run("ipytest.config(raise_on_error=True)")
    result = notebook.run(source)
    assert isinstance(result.error_in_exec, ipytest.Error)

    notebook.run("ipytest.config(raise_on_error=False, addopts=['-q'])")
    for _ in range(2):
        result = notebook.run(source.replace("{test_fails}", "{test_other}"))
        assert result.success
        assert (notebook.summary(result), ipytest.exit_code) == ("1 passed", 0)
        assert "::test_other PASSED" not in result.out

    notebook.run("ipytest.autoconfig()")
    assert _config.current_config == _config.DEFAULTS


def test_rerunning_the_configuration_cell_keeps_one_of_everything(notebook):
    for _ in range(3):
        notebook.run("import ipytest\nipytest.autoconfig()")
    shell = notebook.shell
    names = [type(item).__name__ for item in shell.ast_transformers]
    assert names.count("RewriteAssertTransformer") == 1
    cleanup = [type(item).__name__ for item in shell.input_transformers_cleanup]
    assert cleanup.count("MisplacedMagicCheck") == 1
    result = notebook.run(WANTED)
    assert notebook.summary(result) == "1 passed"


def test_load_ext_then_rerun_a_cell(shell, capsys):
    book = Notebook(shell, capsys)
    result = book.run("%load_ext ipytest")
    assert result.success, result.err
    for _ in range(2):
        result = book.run(WANTED)
        assert (book.summary(result), ipytest.exit_code) == ("1 passed", 0), result.out
    result = book.run("%reload_ext ipytest")
    assert result.success, result.err
    result = book.run(WANTED)
    assert (book.summary(result), ipytest.exit_code) == ("1 passed", 0), result.out
    result = book.run("%unload_ext ipytest")
    assert result.success, result.err
    result = book.run(WANTED)
    assert result.success is False
    assert "Cell magic `%%ipytest` not found" in result.out + result.err
    book.run("%load_ext ipytest")
    result = book.run(WANTED)
    assert (book.summary(result), ipytest.exit_code) == ("1 passed", 0), result.out


def test_a_comment_above_the_magic_is_explained_and_moving_it_fixes_the_cell(notebook):
    result = notebook.run("# the tests of the parser\n" + WANTED)
    assert result.success is False
    assert "must be the cell's first line" in result.out + result.err
    assert "'# the tests of the parser'" in result.out + result.err
    assert "test_wanted" not in notebook.shell.user_ns
    result = notebook.run(WANTED.replace("\n", "\n# the tests of the parser\n", 1))
    assert (notebook.summary(result), ipytest.exit_code) == ("1 passed", 0), result.out


def test_xdist_in_the_notebook_is_refused_and_the_next_run_works(notebook, leftovers):
    result = notebook.run(WANTED.replace("{test_wanted}", "-n 2 {test_wanted}"))
    assert result.success is False
    assert "pytest --notebook-test -n 2" in result.out + result.err
    assert ipytest.exit_code == 4
    leftovers()
    for line in ["-n 0 {test_wanted}", "-p no:xdist {test_wanted}", "{test_wanted}"]:
        result = notebook.run(WANTED.replace("{test_wanted}", line))
        assert (notebook.summary(result), ipytest.exit_code) == ("1 passed", 0), result.out


def test_a_threaded_run_blocked_past_the_interrupt_says_so_and_runs_wait_for_it(
    notebook, monkeypatch, leftovers, workdir
):
    from ipytest import _impl

    monkeypatch.setattr(_impl, "THREAD_STOP_TIMEOUT", 0.5)
    ipytest.config(run_in_thread=True)
    blocked = """\
    %%ipytest {test_blocked}
    import pathlib, time
    def test_blocked():
        pathlib.Path("blocked").touch()
        time.sleep(4)
    def test_quick():
        pass
    """

    def interrupt_once_blocked() -> None:
        while not (workdir / "blocked").exists():
            time.sleep(0.02)
        _thread.interrupt_main()

    interrupter = threading.Thread(target=interrupt_once_blocked, daemon=True)
    interrupter.start()
    result = notebook.run(blocked)
    interrupter.join()
    (workdir / "blocked").unlink()
    assert isinstance(result.error_in_exec, KeyboardInterrupt)
    assert "pytest's thread did not stop within 0.5 s" in str(result.error_in_exec)
    assert ipytest.exit_code == 2
    leftovers()

    quick = blocked.replace("{test_blocked}", "{test_quick}")
    result = notebook.run(quick)
    assert "the pytest thread of an interrupted run is still running" in str(result.error_in_exec)
    assert ipytest.exit_code == 4

    _impl._unstopped_thread.join(10)
    assert not _impl._unstopped_thread.is_alive()
    for _ in range(2):
        result = notebook.run(quick)
        assert (notebook.summary(result), ipytest.exit_code) == ("1 passed", 0), result.out
    leftovers()
