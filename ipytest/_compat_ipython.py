"""The private parts of IPython that ipytest uses, each in one place, each tested.

IPython documents none of these; CI runs their tests on the oldest (8.18) and newest
IPython. When one moves, this module is the one to change. It imports nothing of IPython
itself: every function takes the shell (or its compiler) it works on, so that `cov.py`,
which coverage.py imports in every process, stays light.
"""

from __future__ import annotations

import atexit
import contextlib
from collections.abc import Callable, Iterator
from typing import Any


def execution_counts(shell: Any) -> dict[str, int] | None:
    """The shell's map of cell filename -> execution count (`shell.compile._filename_map`).

    The live dict, not a copy; None when the shell (or its compiler) keeps none.
    """
    counts = getattr(getattr(shell, "compile", None), "_filename_map", None)
    return counts if isinstance(counts, dict) else None


def code_name(compiler: Any, transformed_code: str, number: int) -> Any:
    """The filename the shell's compiler gives the code of cell `number`."""
    return compiler.get_code_name("", transformed_code, number)


def code_namer_of(compiler: Any) -> Callable[[str, str, int], str] | None:
    """The naming function installed on this compiler by `install_code_namer`, else None."""
    return vars(compiler).get("get_code_name")


def install_code_namer(compiler: Any, namer: Callable[[str, str, int], str]) -> None:
    """Have the compiler name cells with `namer(raw_code, transformed_code, number)`."""
    compiler.get_code_name = namer


def remove_code_namer(compiler: Any) -> None:
    """Give the compiler its own way of naming cells back."""
    del compiler.get_code_name


@contextlib.contextmanager
def before_each_run_code(shell: Any, callback: Callable[[], None]) -> Iterator[None]:
    """Call `callback()` each time `shell` is about to execute compiled code, in this block.

    `InteractiveShell.run_code` executes each code object of a cell, after IPython
    transformed and compiled it.
    """
    run_code = shell.run_code

    async def calling_run_code(*args: Any, **kwargs: Any) -> Any:
        callback()
        return await run_code(*args, **kwargs)

    shell.run_code = calling_run_code
    try:
        yield
    finally:
        if vars(shell).get("run_code") is calling_run_code:
            del shell.run_code


def run_exit_operations(shell: Any) -> None:
    """Do now what IPython does for `shell` at exit, and take it off the exit handlers.

    That is: close the history, delete the shell's temporary files, and stop the
    processes `%%script --bg` started.
    """
    script_magics = shell.magics_manager.registry.get("ScriptMagics")
    try:
        shell.atexit_operations()
        if script_magics is not None:
            script_magics.kill_bg_processes()
    finally:
        atexit.unregister(shell.atexit_operations)
        if script_magics is not None:
            atexit.unregister(script_magics.kill_bg_processes)
