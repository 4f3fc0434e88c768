"""A kernel open all day: what re-running an `%%ipytest` cell must not accumulate.

Each test re-runs a cell in a real IPython shell and counts entries or objects: a run that
keeps something makes every later run slower (see benchmarks/soak.py).
"""

from __future__ import annotations

import gc
import inspect
import json
import re
import sys
import textwrap
import types

import pytest

import ipytest
from ipytest import _impl

PASSING = """\
%%ipytest
def test_one():
    assert 1 + 1 == 2

def test_two():
    assert 2 + 2 == 4
"""

FAILING = """\
%%ipytest
def test_passes():
    assert True

def test_fails():
    assert 1 + 1 == 3
"""

RERUNS = 4
PYTEST_MODULES = ("_pytest", "pluggy", "ipytest")


@pytest.fixture
def configured(shell):
    ipytest.autoconfig()
    return shell


def rerun(shell, source: str, times: int = RERUNS) -> None:
    for _ in range(times):
        shell.run_cell(textwrap.dedent(source), store_history=True)


def plain(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def test_reruns_keep_the_node_ids_of_one_run_in_pytest_cache(configured, workdir):
    rerun(configured, PASSING)
    ids = json.loads((workdir / ".pytest_cache/v/cache/nodeids").read_text())
    assert len(ids) == 2
    assert [nodeid.split("::")[1] for nodeid in ids] == ["test_one", "test_two"]


def test_reruns_keep_the_failures_of_the_last_run_in_pytest_cache(configured, workdir):
    rerun(configured, FAILING)
    failed = json.loads((workdir / ".pytest_cache/v/cache/lastfailed").read_text())
    assert [nodeid.split("::")[1] for nodeid in failed] == ["test_fails"]


def test_last_failed_option_reruns_only_the_failed_test(configured, capsys):
    rerun(configured, FAILING, times=1)
    capsys.readouterr()
    configured.run_cell(FAILING.replace("%%ipytest", "%%ipytest --lf"), store_history=True)
    out = plain(capsys.readouterr().out)
    assert "1 failed, 1 deselected" in out


def test_failing_reruns_add_no_entries_to_inspect_module_caches(configured):
    rerun(configured, FAILING, times=1)
    known = len(inspect.modulesbyfile)
    rerun(configured, FAILING)
    assert ipytest.exit_code == 1
    assert len(inspect.modulesbyfile) == known


class PathRecorder:
    """A pytest plugin that records the path of the module each run collects."""

    def __init__(self) -> None:
        self.paths = []

    def pytest_collection_modifyitems(self, items) -> None:
        self.paths.append(items[0].path)


def test_runs_in_a_folder_use_one_placeholder_name(configured, workdir):
    recorder = configured.user_ns["recorder"] = PathRecorder()
    rerun(configured, PASSING.replace("%%ipytest\n", "%%ipytest\n# ipytest: plugins=[recorder]\n"))
    assert len(recorder.paths) == RERUNS
    assert len(set(recorder.paths)) == 1
    assert recorder.paths[0].parent == workdir
    assert not recorder.paths[0].exists()


def test_no_pytest_object_outlives_a_run(configured):
    def live() -> int:
        gc.collect()
        return sum(
            1
            for obj in gc.get_objects()
            if str(vars(type(obj)).get("__module__", "")).startswith(PYTEST_MODULES)
        )

    rerun(configured, PASSING, times=2)
    before = live()
    rerun(configured, PASSING)
    assert live() == before


def test_runs_leave_sys_modules_as_they_found_it(configured):
    rerun(configured, PASSING, times=1)
    before = set(sys.modules)
    rerun(configured, PASSING)
    assert set(sys.modules) == before


class ReplacesTheModule:
    """A pytest plugin that puts a module of its own under the placeholder's name."""

    def pytest_collection_modifyitems(self, items) -> None:
        path = items[0].path
        sys.modules[path.stem] = types.ModuleType(path.stem)


def test_a_module_put_under_the_placeholder_name_goes_too(configured):
    configured.user_ns["replaces"] = ReplacesTheModule()
    rerun(configured, PASSING.replace("%%ipytest\n", "%%ipytest\n# ipytest: plugins=[replaces]\n"))
    assert ipytest.exit_code == 0
    assert [name for name in sys.modules if name.startswith("t_")] == []


class CountingPattern:
    """Stands in for a compiled pattern and counts the names it is asked about."""

    def __init__(self, pattern) -> None:
        self.pattern = pattern
        self.checked = 0

    def fullmatch(self, name: str):
        self.checked += 1
        return self.pattern.fullmatch(name)


def test_a_run_does_not_examine_every_history_name_again(configured, monkeypatch):
    counting = CountingPattern(_impl._SHELL_NAMES)
    monkeypatch.setattr(_impl, "_SHELL_NAMES", counting)

    def names_examined_by_a_run() -> int:
        rerun(configured, PASSING, times=1)
        before = counting.checked
        rerun(configured, PASSING, times=1)
        return counting.checked - before

    short = names_examined_by_a_run()
    for _ in range(50):
        configured.run_cell("pass", store_history=True)
    assert len([name for name in configured.user_ns if name.startswith("_i")]) > 50
    assert names_examined_by_a_run() == short
    assert ipytest.exit_code == 0
