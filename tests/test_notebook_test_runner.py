"""The in-process runner: timeouts, import hooks, and what a run restores."""

from __future__ import annotations

import os
import random
import signal
import sys
import threading
import time

import pytest

from ipytest.notebook_test.runner import (
    Deadline,
    NotebookTimeout,
    RunState,
    _PostImportHooks,
    library_settings,
    notebook_environment,
)


def _spin(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs SIGALRM")
def test_deadline_in_the_main_thread_interrupts_a_sleep():
    deadlines = []

    def sleep() -> None:
        with Deadline.start(0.2) as deadline:
            deadlines.append(deadline)
            time.sleep(10)

    started = time.monotonic()
    with pytest.raises(NotebookTimeout):
        sleep()
    assert time.monotonic() - started < 5
    assert [(d.mechanism, d.expired) for d in deadlines] == [("signal", True)]
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_deadline_in_another_thread_uses_a_watchdog():
    outcome = {}

    def work() -> None:
        try:
            with Deadline.start(0.2) as deadline:
                outcome["mechanism"] = deadline.mechanism
                _spin(10)
        except NotebookTimeout:
            outcome["timed out"] = True

    thread = threading.Thread(target=work)
    started = time.monotonic()
    thread.start()
    thread.join(15)
    assert outcome == {"mechanism": "thread", "timed out": True}
    assert time.monotonic() - started < 5


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs SIGALRM")
def test_deadline_leaves_a_running_timer_alone():
    fired = []
    previous = signal.signal(signal.SIGALRM, lambda *args: fired.append(True))
    signal.setitimer(signal.ITIMER_REAL, 30)
    deadlines = []

    def spin() -> None:
        with Deadline.start(0.2) as deadline:
            deadlines.append(deadline)
            _spin(10)

    try:
        with pytest.raises(NotebookTimeout):
            spin()
        assert deadlines[0].mechanism == "thread"
        remaining, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 20 < remaining <= 30
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert fired == []


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs SIGALRM")
def test_deadline_that_does_not_expire_changes_nothing():
    handler = signal.getsignal(signal.SIGALRM)
    with Deadline.start(5) as deadline:
        pass
    assert not deadline.expired
    assert signal.getsignal(signal.SIGALRM) is handler
    with Deadline.start(None) as deadline:
        assert deadline.mechanism == "none"


def test_check_raises_a_swallowed_timeout_naming_the_cell():
    deadline = Deadline(1.5)
    deadline.expired = True
    with pytest.raises(NotebookTimeout) as info:
        deadline.check(RunState("nb.ipynb", cell=4))
    assert str(info.value) == (
        "nb.ipynb did not finish within 1.5 s (--notebook-test-timeout); it was running cell 4"
    )


@pytest.fixture
def importable(tmp_path, monkeypatch):
    """A folder on sys.path whose modules are forgotten after the test."""
    monkeypatch.syspath_prepend(tmp_path)
    before = set(sys.modules)
    yield tmp_path
    for name in set(sys.modules) - before:
        del sys.modules[name]


def test_post_import_hook_runs_once_after_the_import(importable):
    (importable / "hooked_mod.py").write_text("VALUE = 1\n", "utf-8")
    seen = []
    finder = _PostImportHooks({"hooked_mod": lambda module: seen.append(module.VALUE)})
    sys.meta_path.insert(0, finder)
    try:
        import hooked_mod
    finally:
        sys.meta_path.remove(finder)
    assert seen == [1]
    assert type(hooked_mod.__loader__).__name__ == "SourceFileLoader"
    assert hooked_mod.__spec__.loader is hooked_mod.__loader__
    assert finder.hooks == {}


def test_post_import_hook_ignores_other_modules(importable):
    (importable / "plain_mod.py").write_text("VALUE = 2\n", "utf-8")
    finder = _PostImportHooks({"hooked_mod": lambda module: None})
    assert finder.find_spec("plain_mod") is None
    assert finder.find_spec("hooked_mod") is None


def test_notebook_environment_restores_and_forgets_local_modules(tmp_path, importable):
    folder = tmp_path / "nb"
    folder.mkdir()
    (folder / "local_helper.py").write_text("X = 1\n", "utf-8")
    (importable / "library_mod.py").write_text("Y = 2\n", "utf-8")
    cwd, path, main = os.getcwd(), list(sys.path), sys.modules["__main__"]
    state = random.getstate()
    with notebook_environment(folder):
        assert os.getcwd() == str(folder)
        assert sys.path[0] == str(folder)
        import library_mod  # noqa: F401
        import local_helper  # noqa: F401

        os.environ["NOTEBOOK_TEST_VARIABLE"] = "set"
        sys.path.append("elsewhere")
        sys.modules["__main__"] = "replaced"
        random.random()
    assert (os.getcwd(), sys.path, sys.modules["__main__"]) == (cwd, path, main)
    assert random.getstate() == state
    assert "NOTEBOOK_TEST_VARIABLE" not in os.environ
    assert "local_helper" not in sys.modules
    assert "library_mod" in sys.modules


def test_library_settings_seed_and_restore_random_numpy():
    numpy = pytest.importorskip("numpy")
    numpy_state = numpy.random.get_state()
    with library_settings(3, None, None):
        assert random.random() == random.Random(3).random()
        assert numpy.random.random_sample() == numpy.random.RandomState(3).random_sample()
    after = numpy.random.get_state()
    assert after[0] == numpy_state[0]
    assert (after[1] == numpy_state[1]).all()


def test_library_settings_backend_for_an_imported_matplotlib(monkeypatch):
    matplotlib = pytest.importorskip("matplotlib")
    monkeypatch.delenv("MPLBACKEND", raising=False)
    before = dict(matplotlib.rcParams.copy())
    with library_settings(None, "svg", None):
        assert matplotlib.get_backend().lower() == "svg"
        assert os.environ["MPLBACKEND"] == "svg"
        matplotlib.rcParams["lines.linewidth"] = 7
    assert dict(matplotlib.rcParams.copy())["lines.linewidth"] == before["lines.linewidth"]


def test_library_settings_reject_an_unknown_backend():
    pytest.importorskip("matplotlib")
    with pytest.raises(RuntimeError, match="matplotlib cannot use the backend 'nope'"):  # noqa: SIM117
        with library_settings(None, "nope", None):
            pass
