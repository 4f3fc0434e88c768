"""Jupyter notebook files as plain values: the one reader of `.ipynb` files.

Pure: no IPython, no pytest. A notebook is read into its cells, each with its number (the
1-based position among all cells, markdown ones included, as Jupyter shows them), type,
source, tags and cell id, and the notebook's metadata. Every front end (`python -m
ipytest`, `pytest --notebook-test`) reads notebooks here.

A version-4 notebook is read with `json` alone: importing nbformat costs more than running
a small notebook. Anything else (older versions, files that are not quite notebooks) goes
through nbformat's reader, which converts old versions and explains what is wrong.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

NOTEBOOK_SUFFIX = ".ipynb"
CODE = "code"
TAGS_KEY = "tags"


class NotebookError(ValueError):
    """A file that cannot be read as a Jupyter notebook; the message names it and why."""


@dataclasses.dataclass(frozen=True)
class Cell:
    """One cell of a notebook, as written in the file."""

    number: int
    cell_type: str
    source: str
    tags: frozenset[str] = frozenset()
    cell_id: str | None = None

    @property
    def is_code(self) -> bool:
        return self.cell_type == CODE

    @property
    def first_line(self) -> str:
        """The first line that is not blank: how messages name the cell."""
        return next((line for line in self.source.splitlines() if line.strip()), "")


@dataclasses.dataclass(frozen=True)
class Notebook:
    """A notebook: its `path`, its cells in order and its metadata."""

    path: Path
    cells: tuple[Cell, ...]
    metadata: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def code_cells(self) -> tuple[Cell, ...]:
        return tuple(cell for cell in self.cells if cell.is_code)


def read_notebook(path: str | os.PathLike[str]) -> Notebook:
    """Read the notebook at `path`. Raises `NotebookError` naming the file and the reason."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        reason = f"{type(error).__name__}: {error.strerror}" if error.strerror else repr(error)
        raise NotebookError(f"{path}: cannot be read: {reason}") from None
    notebook = notebook_from_json(data, path)
    if notebook is not None:
        return notebook
    return _read_with_nbformat(path)


def notebook_from_json(data: bytes | str, path: Path) -> Notebook | None:
    """The notebook in `data` if it is plainly a version-4 notebook, else None."""
    try:
        content = json.loads(data)
    except ValueError:
        return None
    return _from_dict(content, path)


def _from_dict(content: Any, path: Path) -> Notebook | None:
    if not isinstance(content, dict) or content.get("nbformat") != 4:
        return None
    raw_cells = content.get("cells")
    metadata = content.get("metadata", {})
    if not isinstance(raw_cells, list) or not isinstance(metadata, dict):
        return None
    cells = []
    for number, raw in enumerate(raw_cells, start=1):
        cell = _cell(number, raw)
        if cell is None:
            return None
        cells.append(cell)
    return Notebook(path, tuple(cells), metadata)


def _cell(number: int, raw: Any) -> Cell | None:
    if not isinstance(raw, dict):
        return None
    cell_type, source = raw.get("cell_type"), raw.get("source", "")
    if isinstance(source, list) and all(isinstance(part, str) for part in source):
        source = "".join(source)
    metadata = raw.get("metadata", {})
    if not isinstance(cell_type, str) or not isinstance(source, str):
        return None
    if not isinstance(metadata, dict):
        return None
    tags = metadata.get(TAGS_KEY, [])
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        return None
    cell_id = raw.get("id")
    if cell_id is not None and not isinstance(cell_id, str):
        return None
    return Cell(number, cell_type, source, frozenset(tags), cell_id)


def _read_with_nbformat(path: Path) -> Notebook:
    try:
        import nbformat

        notebook = nbformat.read(path, as_version=4)
        content = json.loads(nbformat.writes(notebook))
    except Exception as error:
        # nbformat raises assorted errors for files that are not notebooks.
        lines = str(error).strip().splitlines()
        reason = f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__
        raise NotebookError(f"{path}: cannot be read as a Jupyter notebook: {reason}") from None
    result = _from_dict(content, path)
    if result is None:
        raise NotebookError(
            f"{path}: cannot be read as a Jupyter notebook: its cells or metadata do not "
            "follow the notebook format (nbformat 4)"
        )
    return result
