"""What users do in a notebook, cell after cell, in a real Jupyter kernel (nbclient).

The same paths as `test_journeys.py`, where a kernel differs from a bare shell: cells
arrive as execute requests, errors become error replies, the stop button interrupts.
"""

from __future__ import annotations

import re

import pytest
from kernel import KernelSession

WARNINGS = re.compile(r", \d+ warnings?")
SUMMARY = re.compile(r"^=*\s*(\d+ (?:passed|failed|deselected).*?) in [\d.]+s", re.MULTILINE)
# Coverage's row of a kernel cell: ipykernel names cells <tmp>/ipykernel_<pid>/<hash>.py.
CELL_ROW = re.compile(r"^\S*ipykernel_\d+\S*\.py\s+(.*)$", re.MULTILINE)

WANTED = """\
%%ipytest {test_wanted}
def test_wanted():
    assert True

def test_other():
    assert False
"""


def plain(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def summary(outcome) -> str:
    found = SUMMARY.findall(plain(outcome.text))
    assert found, plain(outcome.text)
    # Old pytest-asyncio warns about the ini option that newer versions need.
    return WARNINGS.sub("", found[-1])


@pytest.fixture
def session(tmp_path):
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\n"
    )
    with KernelSession(tmp_path) as kernel:
        yield kernel


def check(session, expression: str):
    """Evaluate an assertion in the kernel; fail with the kernel's message if it fails."""
    outcome = session.run(expression)
    assert outcome.status == "ok", plain(outcome.text)
    return outcome


def test_editing_and_rerunning_cells_with_placeholders(session):
    outcome = session.run("%load_ext ipytest")
    assert (outcome.status, outcome.outputs) == ("ok", [])
    check(session, "import ipytest")

    for _ in range(3):
        outcome = session.run(WANTED)
        assert (outcome.status, summary(outcome)) == ("ok", "1 passed"), plain(outcome.text)
        check(session, "assert ipytest.exit_code == 0, ipytest.exit_code")

    deselecting = WANTED.replace("{test_wanted}", "--deselect {test_other}")
    for _ in range(2):
        assert summary(session.run(deselecting)) == "1 passed, 1 deselected"

    # Variables named like placeholders do not change the magic's line.
    check(session, "test_wanted = 'x'\nMODULE = 3\ntest_other = 4")
    for line in ["{test_wanted}", "{MODULE}::test_wanted", "--deselect {test_other}"]:
        outcome = session.run(WANTED.replace("{test_wanted}", line))
        assert summary(outcome).startswith("1 passed"), plain(outcome.text)

    # Rename the test, then the placeholder.
    renamed = WANTED.replace("def test_wanted", "def test_renamed")
    session.run(renamed)
    check(session, "assert ipytest.exit_code == 4, ipytest.exit_code")
    for _ in range(2):
        outcome = session.run(renamed.replace("{test_wanted}", "{test_renamed}"))
        assert summary(outcome) == "1 passed", plain(outcome.text)
    check(session, "assert 'test_wanted' not in globals()")


def test_changing_the_configuration_between_runs(session):
    check(session, "import ipytest\nipytest.autoconfig()")
    failing = WANTED.replace("{test_wanted}", "{test_other}")
    assert "::test_other FAILED" not in plain(session.run(failing).text)

    check(session, "ipytest.config(addopts=['-v']);")
    assert "::test_other FAILED" in plain(session.run(failing).text)

    check(session, "ipytest.config(raise_on_error=True);")
    outcome = session.run(failing)
    assert (outcome.status, outcome.reply["ename"]) == ("error", "Error")
    assert outcome.reply["evalue"] == "pytest exited with code 1 (tests failed)"

    check(session, "ipytest.config(raise_on_error=False, addopts=['-q']);")
    for _ in range(2):
        outcome = session.run(WANTED)
        assert (outcome.status, summary(outcome)) == ("ok", "1 passed")
        assert "::test_wanted PASSED" not in plain(outcome.text)

    # Re-running the configuration cell restores the defaults and registers nothing twice.
    for _ in range(2):
        check(session, "ipytest.autoconfig()")
    check(
        session,
        "shell = get_ipython()\n"
        "names = [type(t).__name__ for t in shell.ast_transformers]\n"
        "assert names.count('RewriteAssertTransformer') == 1, names\n"
        "names = [type(t).__name__ for t in shell.input_transformers_cleanup]\n"
        "assert names.count('MisplacedMagicCheck') == 1, names\n"
        "assert ipytest.config() == ipytest._config.DEFAULTS",
    )


def test_coverage_runs_twice_in_a_row_report_the_same(session):
    pytest.importorskip("pytest_cov")
    check(session, "import ipytest\nipytest.autoconfig()")
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
    rows = []
    for _ in range(3):
        outcome = session.run(source)
        assert (outcome.status, summary(outcome)) == ("ok", "1 passed"), plain(outcome.text)
        found = CELL_ROW.findall(plain(outcome.text))
        assert len(found) == 1, plain(outcome.text)
        rows.append(found[0].split())
    assert rows[0] == rows[1] == rows[2] == ["6", "1", "83%", "5"]


def test_interrupting_a_run_then_running_again(session):
    check(session, "import ipytest, os, sys\nipytest.autoconfig()")
    slow = """\
%%ipytest {test_slow}
import time

def test_slow():
    # Blocks in C in the main thread; in a thread, in short steps an interrupt can break.
    if ipytest.config()["run_in_thread"]:
        for _ in range(2400):
            time.sleep(0.05)
    time.sleep(120)

def test_quick():
    pass
"""
    for run_in_thread in (False, True):
        check(session, f"ipytest.config(run_in_thread={run_in_thread});")
        interrupter = session.interrupt_after(3)
        outcome = session.run(slow)
        interrupter.join()
        assert (outcome.status, outcome.reply["ename"]) == ("error", "KeyboardInterrupt")
        check(
            session,
            "assert ipytest.exit_code == 2, ipytest.exit_code\n"
            "assert [n for n in os.listdir('.') if n.startswith('t_')] == []\n"
            "assert [n for n in sys.modules if n.startswith('t_')] == []",
        )
        for _ in range(2):
            outcome = session.run(slow.replace("{test_slow}", "{test_quick}"))
            assert (outcome.status, summary(outcome)) == ("ok", "1 passed"), plain(outcome.text)


def test_interrupting_a_threaded_run_blocked_in_a_call(session, tmp_path):
    check(session, "import ipytest\nipytest.autoconfig(run_in_thread=True)")
    # The kernel's wait for a thread that ignores the interrupt, shortened for the test.
    check(session, "ipytest._impl.THREAD_STOP_TIMEOUT = 1")
    blocked = """\
%%ipytest {test_blocked}
import pathlib, time

def test_blocked():
    pathlib.Path("blocked").touch()
    time.sleep(8)

def test_quick():
    pass
"""
    interrupter = session.interrupt_after(0.5, once=tmp_path / "blocked")
    outcome = session.run(blocked)
    interrupter.join()
    assert (outcome.status, outcome.reply["ename"]) == ("error", "KeyboardInterrupt")
    assert "pytest's thread did not stop within 1 s" in outcome.reply["evalue"]

    quick = blocked.replace("{test_blocked}", "{test_quick}")
    outcome = session.run(quick)
    assert (outcome.status, outcome.reply["ename"]) == ("error", "UsageError")
    assert "still running" in outcome.reply["evalue"]
    check(session, "ipytest._impl._unstopped_thread.join(30)")
    for _ in range(2):
        outcome = session.run(quick)
        assert (outcome.status, summary(outcome)) == ("ok", "1 passed"), plain(outcome.text)
    assert session.run("print('output is back')").text == "output is back\n"


def test_magic_position_xdist_and_unload_ext(session):
    check(session, "%load_ext ipytest")

    outcome = session.run("# the parser's tests\nx = 1\n" + WANTED)
    assert (outcome.status, outcome.reply["ename"]) == ("error", "UsageError")
    assert outcome.reply["evalue"].startswith(
        '%%ipytest is not the first line of this cell: "# the parser\'s tests\\nx = 1" '
        "stands above it. A cell magic must be the cell's first line"
    )
    # One line, no traceback into ipytest; nothing of the cell ran.
    assert outcome.reply["traceback"] == [f"UsageError: {outcome.reply['evalue']}"]
    check(session, "assert 'x' not in globals() and 'test_wanted' not in globals()")
    outcome = session.run(WANTED.replace("\n", "\n# the parser's tests\nx = 1\n", 1))
    assert (outcome.status, summary(outcome)) == ("ok", "1 passed"), plain(outcome.text)

    for _ in range(2):
        outcome = session.run(WANTED.replace("{test_wanted}", "-n 2 {test_wanted}"))
        assert (outcome.status, outcome.reply["ename"]) == ("error", "UsageError")
        assert "`pytest --notebook-test -n 2 NOTEBOOK.ipynb`" in outcome.reply["evalue"]
        assert outcome.reply["traceback"] == [f"UsageError: {outcome.reply['evalue']}"]
        check(session, "import ipytest\nassert ipytest.exit_code == 4, ipytest.exit_code")
    outcome = session.run(WANTED.replace("{test_wanted}", "-n 0 {test_wanted}"))
    assert (outcome.status, summary(outcome)) == ("ok", "1 passed"), plain(outcome.text)

    check(session, "%unload_ext ipytest")
    outcome = session.run(WANTED)
    assert outcome.status == "error"
    assert "Cell magic `%%ipytest` not found" in outcome.reply["evalue"]
    check(session, "%reload_ext ipytest")
    for _ in range(2):
        outcome = session.run(WANTED)
        assert (outcome.status, summary(outcome)) == ("ok", "1 passed"), plain(outcome.text)
