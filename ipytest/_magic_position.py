"""An `%%ipytest` line below the first line of a cell: explained instead of misread.

IPython takes `%%name` as a cell magic on a cell's first line only. Further down, it reads
`%%ipytest` as a line magic named `%ipytest` and fails with "Line magic function
`%%ipytest` not found", after running the code above it. The check here is an input
transformer that runs before IPython's own: it stops such a cell before any of it runs,
with a message that says where the magic must go and quotes what stands above it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._options import UsageError

MAGIC = "%%ipytest"
CELL_MAGIC_PREFIX = "%%"
# How much of the text above the magic the message quotes.
QUOTE_LIMIT = 80


def find_misplaced_magic(lines: list[str], is_complete: Callable[[str], bool]) -> int | None:
    """The index of the first `%%ipytest` line that IPython would run as a line magic.

    `lines` are a cell's lines with line endings, as IPython's input transformers get
    them: leading blank lines and common indentation already removed. A cell that starts
    with a cell magic is that magic's input (`%%writefile`, `%%capture`, `%%ipytest`
    itself) and is never reported. A line further down counts when it starts with the
    magic and the text above it is complete input (`is_complete`), so that the line is
    not inside a string, brackets or a continued line.
    """
    if not lines or lines[0].startswith(CELL_MAGIC_PREFIX):
        return None
    for index, line in enumerate(lines):
        if not line.startswith(MAGIC):
            continue
        rest = line[len(MAGIC) :]
        if rest and not rest[0].isspace():
            continue
        if is_complete("".join(lines[:index])):
            return index
    return None


def misplaced_magic_message(lines: list[str], index: int) -> str:
    """The error for an `%%ipytest` line at `lines[index]`, quoting what stands above it."""
    above = "".join(lines[:index]).strip()
    if len(above) > QUOTE_LIMIT:
        above = "..." + above[-(QUOTE_LIMIT - 3) :]
    return (
        f"{MAGIC} is not the first line of this cell: {above!r} stands above it. A cell "
        f"magic must be the cell's first line; move the {MAGIC} line to the top of the "
        "cell (comments and code can follow it) or put what is above it in a cell of its "
        "own."
    )


class MisplacedMagicCheck:
    """The input transformer that refuses a cell with `%%ipytest` below its first line.

    It costs ordinary cells one scan of their lines for the magic. IPython skips it when
    it only asks whether input is complete (`has_side_effects`), as terminal IPython does
    at every Enter.
    """

    has_side_effects = True

    def __init__(self, shell: Any) -> None:
        self._manager = shell.input_transformer_manager

    def __call__(self, lines: list[str]) -> list[str]:
        index = find_misplaced_magic(lines, self._is_complete)
        if index is not None:
            raise UsageError(misplaced_magic_message(lines, index))
        return lines

    def _is_complete(self, text: str) -> bool:
        return self._manager.check_complete(text)[0] == "complete"

    @classmethod
    def register_with_shell(cls, shell: Any) -> None:
        """Add the check to `shell`, after IPython's own clean-up, replacing an earlier one."""
        cls.unregister_with_shell(shell)
        shell.input_transformers_cleanup.append(cls(shell))

    @classmethod
    def unregister_with_shell(cls, shell: Any) -> None:
        """Remove every such check from `shell`."""
        transformers = shell.input_transformers_cleanup
        transformers[:] = [item for item in transformers if not _is_check(item)]


def _is_check(transformer: object) -> bool:
    # A reloaded module has a new class: recognise its predecessors by name too.
    cls = type(transformer)
    return isinstance(transformer, MisplacedMagicCheck) or (
        cls.__name__ == MisplacedMagicCheck.__name__ and cls.__module__ == __name__
    )
