"""pytest-xdist inside a notebook: refused with the reason and what works instead."""

from __future__ import annotations

import re

import pytest

import ipytest
from ipytest._options import UsageError

TESTS = "def test_a():\n    pass\n\ndef test_b():\n    pass\n"


def plain(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


@pytest.fixture
def configured(shell):
    ipytest.autoconfig(addopts=["-q", "-p", "no:cacheprovider"])
    shell.run_cell(TESTS)
    return shell


def assert_refused(error: UsageError, workers: int) -> None:
    message = str(error)
    assert f"pytest-xdist's {workers} worker processes" in message
    assert "cannot see the tests defined in this notebook's namespace" in message
    assert "Run without -n (or with -n 0 or -p no:xdist)" in message
    assert f"`pytest --notebook-test -n {workers} NOTEBOOK.ipynb`" in message
    assert ipytest.exit_code == 4


@pytest.mark.parametrize(
    ("args", "workers"),
    [
        (["-n", "2"], 2),
        (["-n2"], 2),
        (["--numprocesses=3"], 3),
        (["--numprocesses", "2"], 2),
        (["-n", "auto"], 3),
        (["--dist", "load", "--tx", "2*popen"], 2),
        (["--dist=each", "--tx", "popen", "--tx", "popen"], 2),
        (["-n", "2", "--maxprocesses=1"], 1),
    ],
)
@pytest.mark.parametrize("run_in_thread", [False, True])
def test_run_refuses_worker_processes_and_restores_everything(
    configured, leftovers, capsys, monkeypatch, args, workers, run_in_thread
):
    # What `-n auto` resolves to.
    monkeypatch.setenv("PYTEST_XDIST_AUTO_NUM_WORKERS", "3")
    with pytest.raises(UsageError) as error:
        ipytest.run(*args, run_in_thread=run_in_thread)
    assert_refused(error.value, workers)
    leftovers()
    # No worker started: pytest printed nothing.
    assert capsys.readouterr().out == ""
    assert ipytest.run() == 0


@pytest.mark.parametrize(
    "where",
    [
        "ini",
        "environment",
        "ipytest addopts",
        "cell comment",
    ],
)
def test_options_from_anywhere_are_refused(configured, workdir, monkeypatch, where):
    cell_source = "%%ipytest\n" + TESTS
    if where == "ini":
        with (workdir / "pytest.ini").open("a") as ini:
            ini.write("addopts = -n 2\n")
    elif where == "environment":
        monkeypatch.setenv("PYTEST_ADDOPTS", "--numprocesses=2")
    elif where == "ipytest addopts":
        ipytest.config(addopts=["-q", "-n", "2"])
    else:
        cell_source = "%%ipytest\n# ipytest: addopts=['-n', '2']\n" + TESTS
    result = configured.run_cell(cell_source)
    assert isinstance(result.error_in_exec, UsageError)
    assert_refused(result.error_in_exec, 2)


def test_the_magic_shows_one_line(configured, capsys):
    configured.run_cell("%%ipytest -n 2\n" + TESTS)
    captured = capsys.readouterr()
    lines = plain(captured.out + captured.err).splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("UsageError: ipytest cannot hand the notebook's tests to")


@pytest.mark.parametrize(
    ("args", "summary"),
    [
        (["-n", "0"], "2 passed"),
        (["-n0"], "2 passed"),
        (["-p", "no:xdist"], "2 passed"),
        (["--dist", "no"], "2 passed"),
        (["-n", "2", "--collect-only"], "2 tests collected"),
    ],
)
def test_without_workers_the_tests_run_here(configured, capsys, args, summary):
    assert ipytest.run(*args) == 0
    assert summary in plain(capsys.readouterr().out)


def test_without_xdist_its_option_is_pytests_usage_error(configured, capsys):
    # `-p no:xdist` removes -n itself: pytest's own usage error, as for any unknown option.
    assert ipytest.run("-p", "no:xdist", "-n", "2") == 4
    assert "unrecognized arguments: -n" in plain(capsys.readouterr().err)
