"""Timeouts of notebooks: the deadline and its two mechanisms."""

from __future__ import annotations

import signal
import threading
import time

import pytest

from ipytest.notebook_test.deadline import Deadline, NotebookTimeout
from ipytest.notebook_test.engines import RunState


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
