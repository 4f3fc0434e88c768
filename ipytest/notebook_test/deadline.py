"""Timeouts of notebooks: `Deadline` stops a run that takes too long, `NotebookTimeout` says so."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any

from .._threads import raise_in_thread, withdraw_raise

TIMEOUT_OPTION = "--notebook-test-timeout"


class NotebookTimeout(BaseException):
    """The notebook ran longer than its timeout.

    A BaseException, so that neither `except Exception` in a cell nor a
    `must-raise-exception` cell swallows it.
    """

    def __init__(self, notebook: str = "", seconds: float = 0.0, where: str = "") -> None:
        super().__init__(notebook, seconds, where)
        self.notebook = notebook
        self.seconds = seconds
        self.where = where

    def __str__(self) -> str:
        return (
            f"{self.notebook} did not finish within {self.seconds:g} s ({TIMEOUT_OPTION}); "
            f"it was running {self.where}"
        )


class Deadline:
    """Stops a run that takes longer than `seconds` by raising `NotebookTimeout` in it.

    In the main thread of a Unix process with no interval timer already running (e.g.
    pytest-timeout's), SIGALRM interrupts the run wherever it is, blocking calls such as
    `time.sleep` included. Elsewhere (another thread, Windows, a timer in use) a watchdog
    thread raises the exception asynchronously in the running thread: Python delivers it
    between two bytecodes, so a cell blocked in one long C call is stopped only when that
    call returns. Either way, `check` after each cell catches a timeout that the cell's
    code swallowed.
    """

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds or 0.0
        self.expired = False
        self.mechanism = "none"

    @classmethod
    @contextlib.contextmanager
    def start(cls, seconds: float | None) -> Iterator[Deadline]:
        deadline = cls(seconds)
        if not seconds:
            yield deadline
        elif _can_use_alarm():
            with deadline._alarm():
                yield deadline
        else:
            with deadline._watchdog():
                yield deadline

    def check(self, state: Any) -> None:
        """Raise `NotebookTimeout` if the time is up."""
        if self.expired:
            raise NotebookTimeout(state.notebook, self.seconds, state.where)

    @contextlib.contextmanager
    def _alarm(self) -> Iterator[None]:
        self.mechanism = "signal"

        def on_alarm(signum: int, frame: Any) -> None:
            self.expired = True
            raise NotebookTimeout()

        previous = signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, self.seconds)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)

    @contextlib.contextmanager
    def _watchdog(self) -> Iterator[None]:
        self.mechanism = "thread"
        target = threading.get_ident()
        finished = threading.Event()
        lock = threading.Lock()

        def watch() -> None:
            if finished.wait(self.seconds):
                return
            with lock:
                if finished.is_set():
                    return
                self.expired = True
                raise_in_thread(target, NotebookTimeout)

        watcher = threading.Thread(target=watch, name="notebook-test timeout", daemon=True)
        watcher.start()
        try:
            yield
        finally:
            with lock:
                finished.set()
                if self.expired:
                    # Not raised yet if the run ended in between: withdraw it.
                    withdraw_raise(target)
            watcher.join()


def _can_use_alarm() -> bool:
    if (
        not hasattr(signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
    ):
        return False
    return signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
