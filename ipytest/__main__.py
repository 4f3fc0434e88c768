"""`python -m ipytest NOTEBOOK`: run a notebook's code cells headless, in-process.

The cells run in order in an IPython `InteractiveShell` (so magics and `%%ipytest` work),
in the notebook's folder and with that folder first on `sys.path`, as in a Jupyter
kernel without a screen (see `ipytest._shell`); each cell's output goes to stdout after a
line `## cell N: <first line>`. The run
stops at the first cell that fails; a cell tagged `raises-exception` must fail instead,
and cells tagged `skip-execution` or `nbval-skip` (e.g. one that starts an interactive
debugger) are skipped. Exit status: 0 when every cell behaved, 1 when one did not (the
message names it), 2 when the notebook cannot be read.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import dataclasses
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SKIP_TAGS = frozenset({"skip-execution", "nbval-skip"})
RAISES_TAG = "raises-exception"
CELL_HEADER = "## cell"


@dataclasses.dataclass(frozen=True)
class CellFailure:
    """Why a cell did not behave: `number` is its 1-based position in the notebook."""

    number: int
    first_line: str
    reason: str

    def __str__(self) -> str:
        return f"cell {self.number} ({self.first_line!r}) {self.reason}"


@dataclasses.dataclass(frozen=True)
class CodeCell:
    number: int
    source: str
    tags: frozenset[str]


def read_code_cells(path: Path) -> list[CodeCell]:
    """The notebook's code cells, numbered by position among all its cells."""
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    return [
        CodeCell(number, cell.source, frozenset(cell.get("metadata", {}).get("tags", ())))
        for number, cell in enumerate(notebook.cells, start=1)
        if cell.cell_type == "code"
    ]


def run_cell(shell: Any, cell: CodeCell) -> CellFailure | None:
    """Run one cell in `shell`; return how it misbehaved, or None."""
    first_line = next((line for line in cell.source.splitlines() if line.strip()), "")
    print(f"{CELL_HEADER} {cell.number}: {first_line}", flush=True)
    result = shell.run_cell(cell.source, store_history=True)
    error = result.error_before_exec or result.error_in_exec
    if RAISES_TAG in cell.tags:
        if error is None:
            return CellFailure(
                cell.number, first_line, f"is tagged {RAISES_TAG} but raised nothing"
            )
        return None
    if isinstance(error, KeyboardInterrupt):
        raise KeyboardInterrupt
    if error is not None:
        return CellFailure(cell.number, first_line, f"raised {type(error).__name__}: {error}")
    return None


def run_notebook(path: Path, shell: Any = None) -> CellFailure | None:
    """Run the code cells of the notebook at `path`; return the first misbehaving cell.

    Without `shell`, a fresh `InteractiveShell` is made (and cleared afterwards). The
    working directory is the notebook's folder while the cells run.
    """
    return run_cells(read_code_cells(path), path, shell)


def run_cells(cells: list[CodeCell], path: Path, shell: Any = None) -> CellFailure | None:
    """Run `cells` of the notebook at `path`, as `run_notebook` does.

    With a shell of its own, matplotlib's default backend is the inline one, as in a
    kernel (unless `MPLBACKEND` says otherwise).
    """
    from ._shell import inline_backend_by_default

    with contextlib.ExitStack() as stack:
        if shell is None:
            stack.enter_context(inline_backend_by_default())
            shell = stack.enter_context(fresh_shell())
        stack.enter_context(notebook_folder(path.resolve().parent))
        for cell in cells:
            if cell.tags & SKIP_TAGS:
                continue
            failure = run_cell(shell, cell)
            if failure is not None:
                return failure
    return None


@contextlib.contextmanager
def fresh_shell(*, in_memory_history: bool = False) -> Iterator[Any]:
    """A new headless `InteractiveShell` singleton, shut down and cleared afterwards.

    The shell (`ipytest._shell.HeadlessShell`) installs its module as
    `sys.modules["__main__"]`; the caller restores it if the process goes on.
    `in_memory_history` keeps the input history out of the profile's history file.
    """
    from IPython.core.interactiveshell import InteractiveShell

    from ._shell import HeadlessShell, forget_inline_backend

    if InteractiveShell.initialized():
        raise RuntimeError("an IPython shell is already running in this process")
    # One left registered on the subclass alone, had someone cleared InteractiveShell's.
    HeadlessShell.clear_instance()
    config = None
    if in_memory_history:
        from traitlets.config import Config

        config = Config()
        config.HistoryManager.hist_file = ":memory:"
    shell = HeadlessShell.instance(config=config)
    try:
        yield shell
    finally:
        # What IPython would do at exit (close the history, delete its temporary files,
        # stop %%script --bg processes), now: a process that goes on (pytest running
        # notebook after notebook) must not pile up shells to shut down at exit.
        script_magics = shell.magics_manager.registry.get("ScriptMagics")
        try:
            shell.atexit_operations()
            if script_magics is not None:
                script_magics.kill_bg_processes()
        finally:
            atexit.unregister(shell.atexit_operations)
            if script_magics is not None:
                atexit.unregister(script_magics.kill_bg_processes)
            HeadlessShell.clear_instance()
            forget_inline_backend()


@contextlib.contextmanager
def notebook_folder(directory: Path) -> Iterator[None]:
    """Work in `directory` with it first on `sys.path`, as a kernel started there does.

    The working directory and `sys.path` (also what the cells added to it) are put back
    afterwards.
    """
    saved_cwd, saved_path = os.getcwd(), list(sys.path)
    os.chdir(directory)
    # A kernel imports modules next to the notebook: its sys.path starts with "".
    sys.path.insert(0, str(directory))
    try:
        yield
    finally:
        sys.path[:] = saved_path
        os.chdir(saved_cwd)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ipytest",
        description="Run the code cells of a Jupyter notebook in order, in an in-process "
        "IPython shell, and stop at the first cell that fails.",
    )
    parser.add_argument("notebook", type=Path, help="the .ipynb file to run")
    options = parser.parse_args(argv)

    path: Path = options.notebook
    try:
        cells = read_code_cells(path)
    except Exception as error:
        # nbformat raises assorted errors for files that are not notebooks.
        reason = f"{type(error).__name__}: {error}"
        print(
            f"python -m ipytest: cannot read {str(path)!r} as a notebook: {reason}", file=sys.stderr
        )
        return 2
    failure = run_cells(cells, path)
    if failure is not None:
        print(f"python -m ipytest: {path}: {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
