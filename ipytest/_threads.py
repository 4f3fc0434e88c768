"""Raising an exception in another thread: how a run stops a thread it cannot join.

CPython offers it only through its C API (`PyThreadState_SetAsyncExc`); the exception
arrives between two bytecodes of the target thread, so a thread blocked in one long C call
gets it when that call returns. Used to pass an interrupt on to pytest's thread
(`run_in_thread`) and to stop a notebook that ran past its timeout.
"""

from __future__ import annotations

import ctypes


def raise_in_thread(ident: int | None, exception: type[BaseException]) -> None:
    """Have the thread `ident` raise `exception` at its next bytecode; no-op for None."""
    if ident is not None:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(
            ctypes.c_ulong(ident), ctypes.py_object(exception)
        )


def withdraw_raise(ident: int | None) -> None:
    """Withdraw an exception `raise_in_thread` set for `ident` that was not raised yet."""
    if ident is not None:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), None)
