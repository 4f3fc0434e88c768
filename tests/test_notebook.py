"""The notebook reader: any file gives a notebook or a clear error."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ipytest._notebook import Cell, NotebookError, notebook_from_json, read_notebook

PATH = Path("nb.ipynb")


def cells(data):
    notebook = notebook_from_json(json.dumps(data), PATH)
    return None if notebook is None else [(c.cell_type, c.source, c.tags) for c in notebook.cells]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"nbformat": 4, "cells": []}, []),
        (
            {"nbformat": 4, "cells": [{"cell_type": "code", "source": ["a = 1\n", "b = 2"]}]},
            [("code", "a = 1\nb = 2", frozenset())],
        ),
        ({"nbformat": 4, "cells": [{"cell_type": "markdown"}]}, [("markdown", "", frozenset())]),
        (
            {
                "nbformat": 4,
                "cells": [
                    {"cell_type": "code", "source": "x", "metadata": {"tags": ["a", "b"]}},
                ],
            },
            [("code", "x", frozenset({"a", "b"}))],
        ),
        # Anything not plainly version 4 goes to nbformat.
        ({"nbformat": 3, "cells": []}, None),
        ({"nbformat": 4, "cells": [{"source": "x"}]}, None),
        ({"nbformat": 4, "cells": [{"cell_type": "code", "source": [1]}]}, None),
        ({"nbformat": 4, "cells": [{"cell_type": "code", "metadata": {"tags": "a"}}]}, None),
        ({"nbformat": 4, "cells": [{"cell_type": "code", "metadata": {"tags": [1]}}]}, None),
        ({"nbformat": 4, "cells": [{"cell_type": "code", "metadata": []}]}, None),
        ({"nbformat": 4, "cells": [{"cell_type": "code", "id": 3}]}, None),
        ({"nbformat": 4, "cells": [], "metadata": []}, None),
        ({"nbformat": 4, "cells": {}}, None),
        ([], None),
    ],
)
def test_version_4_is_read_with_json_alone(data, expected):
    assert cells(data) == expected


def test_cells_are_numbered_among_all_cells_with_ids_and_metadata(tmp_path):
    notebook = nbformat.v4.new_notebook(metadata={"notebook_test": {"seed": 1}})
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# Title"),
        nbformat.v4.new_code_cell("\n\nx = 1\ny = 2", metadata={"tags": ["raises-exception"]}),
    ]
    path = tmp_path / "nb.ipynb"
    nbformat.write(notebook, path)
    result = read_notebook(path)
    assert result.path == path
    assert result.metadata["notebook_test"] == {"seed": 1}
    assert [cell.number for cell in result.code_cells] == [2]
    (code,) = result.code_cells
    assert code == Cell(
        2, "code", "\n\nx = 1\ny = 2", frozenset({"raises-exception"}), code.cell_id
    )
    assert code.cell_id == notebook.cells[1].id
    assert code.first_line == "x = 1"


def test_an_old_notebook_is_converted_by_nbformat(tmp_path):
    old = nbformat.v3.new_notebook(
        worksheets=[nbformat.v3.new_worksheet(cells=[nbformat.v3.new_code_cell("x = 1")])]
    )
    path = tmp_path / "old.ipynb"
    path.write_text(nbformat.v3.writes_json(old), encoding="utf-8")
    assert [(c.cell_type, c.source) for c in read_notebook(path).cells] == [("code", "x = 1")]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "cannot be read as a Jupyter notebook: "),
        (b"not json", "cannot be read as a Jupyter notebook: "),
        (b'{"nbformat": 4, "cells": 3}', "cannot be read as a Jupyter notebook: "),
    ],
)
def test_a_file_that_is_no_notebook_is_named_with_the_reason(tmp_path, content, reason):
    path = tmp_path / "bad.ipynb"
    path.write_bytes(content)
    with pytest.raises(NotebookError) as info:
        read_notebook(path)
    assert str(info.value).startswith(f"{path}: {reason}")
    assert "\n" not in str(info.value)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(NotebookError, match=r"missing\.ipynb: cannot be read: "):
        read_notebook(tmp_path / "missing.ipynb")


def _json_documents():
    leaves = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8))
    values = st.recursive(
        leaves,
        lambda children: st.one_of(
            st.lists(children, max_size=3),
            st.dictionaries(
                st.sampled_from(["cell_type", "source", "metadata", "tags", "id", "x"]),
                children,
                max_size=4,
            ),
        ),
        max_leaves=12,
    )
    cell = st.fixed_dictionaries(
        {},
        optional={
            "cell_type": st.sampled_from(["code", "markdown", "raw", 3]),
            "source": st.one_of(st.text(max_size=10), st.lists(st.text(max_size=5))),
            "metadata": st.one_of(
                st.fixed_dictionaries({}, optional={"tags": st.lists(st.text(max_size=4))}),
                values,
            ),
            "id": st.one_of(st.text(max_size=8), st.integers()),
        },
    )
    return st.one_of(
        values,
        st.fixed_dictionaries(
            {"nbformat": st.sampled_from([4, 3, "4"])},
            optional={"cells": st.one_of(st.lists(cell, max_size=3), values), "metadata": values},
        ),
    )


@given(st.one_of(st.binary(max_size=60), _json_documents()))
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=80)
def test_any_file_gives_a_notebook_or_a_clear_error(tmp_path, content):
    path = tmp_path / "nb.ipynb"
    path.write_bytes(content if isinstance(content, bytes) else json.dumps(content).encode())
    try:
        notebook = read_notebook(path)
    except NotebookError as error:
        message = str(error)
    else:
        for number, cell in enumerate(notebook.cells, start=1):
            assert cell.number == number
            assert isinstance(cell.cell_type, str)
            assert isinstance(cell.source, str)
            assert all(isinstance(tag, str) for tag in cell.tags)
        return
    assert message.startswith(f"{path}: cannot be read as a Jupyter notebook: ")
    assert "\n" not in message
