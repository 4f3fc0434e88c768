"""Run notebooks in a real Jupyter kernel (ipykernel via nbclient) and see each reply."""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import threading
import time
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


def execute_notebook(
    path: Path, *, stop_on_error: bool = False, cells: list | None = None
) -> list[CellOutcome]:
    """Execute the notebook in a fresh kernel started in its folder.

    Returns one outcome per executed code cell. With `stop_on_error`, execution stops at
    the first cell whose reply is an error, as nbval and `jupyter nbconvert --execute`
    do; the cells after it are not in the result. `cells` replaces the notebook's cells
    (e.g. with each cell twice); the file is not changed.
    """
    notebook = nbformat.read(path, as_version=4)
    if cells is not None:
        notebook.cells = cells
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


class KernelSession:
    """A real kernel (ipykernel via nbclient) that runs cells one at a time, as a user does.

    Use it as a context manager; `run` sends a cell and returns the kernel's answer, so a
    test can check each step before it takes the next. The kernel starts in `folder`.
    """

    def __init__(self, folder: Path) -> None:
        self.notebook = new_notebook()
        self.notebook.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        self._outcome: CellOutcome | None = None
        self.client = NotebookClient(
            self.notebook,
            timeout=KERNEL_TIMEOUT,
            kernel_name="python3",
            allow_errors=True,
            resources={"metadata": {"path": str(folder)}},
            on_cell_executed=self._record,
        )
        self._kernel = None

    def __enter__(self) -> KernelSession:
        self._kernel = self.client.setup_kernel()
        self._kernel.__enter__()
        return self

    def __exit__(self, *exc_info) -> None:
        self._kernel.__exit__(*exc_info)

    def _record(self, cell, cell_index, execute_reply) -> None:
        content = execute_reply.get("content", {})
        self._outcome = CellOutcome(cell.source, content.get("status"), cell.outputs, content)

    def run(self, source: str) -> CellOutcome:
        """Run one cell in the kernel and return its outcome."""
        cell = new_code_cell(source)
        self.notebook.cells.append(cell)
        self._outcome = None
        self.client.execute_cell(cell, len(self.notebook.cells) - 1)
        assert self._outcome is not None
        return self._outcome

    def interrupt_after(self, seconds: float, *, once: Path | None = None) -> threading.Thread:
        """Interrupt the kernel (as the notebook's stop button does) after `seconds`.

        With `once`, the seconds count from when that file exists (a test writes it when
        it has reached the point to interrupt). Returns the thread; `join` it.
        """
        manager = self.client.km

        def interrupt() -> None:
            if once is not None:
                deadline = time.monotonic() + KERNEL_TIMEOUT
                while not once.exists() and time.monotonic() < deadline:
                    time.sleep(0.05)
            time.sleep(seconds)
            # nbclient's kernel manager is asynchronous; this thread has no event loop.
            result = manager.interrupt_kernel()
            if inspect.isawaitable(result):
                asyncio.run(result)

        thread = threading.Thread(target=interrupt, daemon=True)
        thread.start()
        return thread
