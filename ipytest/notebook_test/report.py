"""How a failing notebook is reported: the texts of its own failures, and which frames show.

A cell that raised is reported by pytest itself (`--tb`, `--fulltrace`, `-l` as for any
test), with the traceback starting at the cell and a section naming the cell and line.
Failures that are the notebook's, not Python's (a cell that raised nothing where it must,
a syntax error in a cell, a prelude that cannot load), get a short text of their own,
with the cell's lines.
"""

from __future__ import annotations

import linecache
import os
from collections.abc import Iterable
from typing import Any

SECTION = "notebook-test"
SOURCE_CONTEXT = 3
IPYTHON_SYNTAX_HINT = (
    "(IPython syntax such as %magic, !command or obj? runs with "
    "--notebook-test-strip-magics=true for line magics and shell escapes, or "
    "--notebook-test-engine=ipython for all of it)"
)
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def cell_failure_text(label: str, error: Any) -> str:
    """A `CellFailed`: what the cell did wrong, and its lines."""
    text = f"{label}: {error}"
    return f"{text}\n{excerpt(error.source, None)}" if error.source else text


def syntax_error_text(label: str, cell: int | None, error: SyntaxError) -> str:
    """A cell that is not Python: where, the lines around, and how to run IPython syntax."""
    source = "".join(linecache.getlines(error.filename or ""))
    return "\n".join(
        [
            f"{label}: cell {cell}, line {error.lineno}: SyntaxError: {error.msg}",
            excerpt(source, error.lineno, error.offset),
            IPYTHON_SYNTAX_HINT,
        ]
    )


def summary(label: str, where: str, error: BaseException, line: int | None) -> str:
    """The section under a traceback: which cell (and line) raised what."""
    if line is not None:
        where = f"{where}, line {line}"
    return f"{label}: {where} raised {type(error).__name__}: {error}"


def excerpt(source: str, line: int | None, column: int | None = None) -> str:
    """Numbered lines of a cell: all of a short cell, else those around `line`."""
    lines = source.splitlines()
    if line is None or len(lines) <= 2 * SOURCE_CONTEXT + 1:
        first, last = 1, len(lines)
    else:
        first, last = max(1, line - SOURCE_CONTEXT), min(len(lines), line + SOURCE_CONTEXT)
    width = len(str(last))
    shown = []
    for number in range(first, last + 1):
        mark = ">" if number == line else " "
        shown.append(f"{mark} {number:>{width}} | {lines[number - 1]}")
        if number == line and column:
            shown.append(" " * (width + 5 + column - 1) + "^")
    return "\n".join(shown)


def first_cell_entry(entries: Iterable[Any], cell_filenames: set[str]) -> int | None:
    """The index of the first traceback entry in a cell's code, if any."""
    for index, entry in enumerate(entries):
        if entry.frame.code.raw.co_filename in cell_filenames:
            return index
    return None


def is_machinery(filename: str, pytest_dirs: tuple[str, ...]) -> bool:
    """Whether a frame is the plugin's or pytest's own, never the notebook's."""
    path = os.path.abspath(filename)
    return os.path.dirname(path) == _PACKAGE_DIR or path.startswith(pytest_dirs)


def pytest_dirs(modules: Iterable[Any]) -> tuple[str, ...]:
    """The folders of `modules` (pytest's packages), as prefixes."""
    return tuple(
        os.path.join(os.path.dirname(os.path.abspath(module.__file__)), "")
        for module in modules
        if module is not None and getattr(module, "__file__", None)
    )
