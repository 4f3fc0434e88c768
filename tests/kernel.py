"""Run notebooks in a real Jupyter kernel (ipykernel via nbclient) and see each reply."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

KERNEL_TIMEOUT = 180


@dataclasses.dataclass
class CellOutcome:
    """What the kernel answered for one code cell."""

    source: str
    status: str
    outputs: list
    reply: dict
    # The cell's 1-based position among all cells of the notebook, and its tags.
    number: int = 0
    tags: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """Everything the cell printed or displayed as text, tracebacks included.

        Stream outputs are joined as a notebook shows them: the kernel sends a stream in
        pieces, at each flush, so a line may span two outputs.
        """
        parts = []
        for output in self.outputs:
            if output.get("output_type") == "stream":
                parts.append(output.get("text", ""))
                continue
            if parts and not parts[-1].endswith("\n"):
                parts.append("\n")
            if output.get("output_type") in ("execute_result", "display_data"):
                parts.append(output.get("data", {}).get("text/plain", "") + "\n")
            elif output.get("output_type") == "error":
                parts.append(f"{output.get('ename')}: {output.get('evalue')}\n")
                parts.extend(line + "\n" for line in output.get("traceback", []))
        return "".join(parts)


def write_notebook(path: Path, *sources: str, tags: dict[int, list[str]] | None = None) -> Path:
    """Write a notebook of code cells (cell index -> tags) with no outputs."""
    cells = []
    for index, source in enumerate(sources):
        cell = new_code_cell(source)
        if tags and index in tags:
            cell.metadata["tags"] = tags[index]
        cells.append(cell)
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(notebook, path)
    return path


def execute_notebook(path: Path, *, stop_on_error: bool = False) -> list[CellOutcome]:
    """Execute the notebook in a fresh kernel started in its folder.

    Returns one outcome per executed code cell. With `stop_on_error`, execution stops at
    the first cell whose reply is an error, as nbval and `jupyter nbconvert --execute`
    do; the cells after it are not in the result.
    """
    notebook = nbformat.read(path, as_version=4)
    outcomes: list[CellOutcome] = []

    def on_cell_executed(cell, cell_index, execute_reply):
        content = execute_reply.get("content", {})
        tags = tuple(cell.metadata.get("tags", ()))
        outcomes.append(
            CellOutcome(
                cell.source, content.get("status"), cell.outputs, content, cell_index + 1, tags
            )
        )

    client = NotebookClient(
        notebook,
        timeout=KERNEL_TIMEOUT,
        kernel_name="python3",
        allow_errors=not stop_on_error,
        resources={"metadata": {"path": str(path.parent)}},
        on_cell_executed=on_cell_executed,
    )
    try:
        client.execute()
    except Exception as error:
        if not stop_on_error or type(error).__name__ != "CellExecutionError":
            raise
    return outcomes
