"""The Python a cell runs as (magics made no-ops) and the dump of a notebook's code."""

from __future__ import annotations

import ast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipytest._notebook import Cell
from ipytest._plan import CellPlan
from ipytest.notebook_test.source import dump, marker_line, python_code


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("x = 1", "x = 1"),
        ("%matplotlib inline\nx = 1", "pass  # %matplotlib inline\nx = 1"),
        ("!pip install x\nimport x", "pass  # !pip install x\nimport x"),
        ("for i in range(2):\n    %time f(i)", "for i in range(2):\n    pass  # %time f(i)"),
        ("%%time\nx = 1\n%time y = 2", "#%%time\nx = 1\npass  # %time y = 2"),
        ("\n%%capture\nprint(1)", "\n#%%capture\nprint(1)"),
        # Valid Python that starts a line with "%" is left alone, as are strings.
        ("x = (10\n% 3)", "x = (10\n% 3)"),
        ("s = '''\n%d items\n'''", "s = '''\n%d items\n'''"),
        # Six spaces of indentation: not a magic line by the rule, left as is.
        ("if x:\n      %time f()", "if x:\n      %time f()"),
        ("  x = '''a\n    b'''", "  x = '''a\n    b'''"),
    ],
)
def test_python_code_strips_magics(source, expected):
    assert python_code(source) == (expected, None)


@pytest.mark.parametrize(
    "magic", ["%%bash", "%%writefile helper.py", "%%html", "%%ipytest -v", "%%"]
)
def test_python_code_leaves_out_cells_of_other_cell_magics(magic):
    code, reason = python_code(f"{magic}\necho hi")
    assert code is None
    assert f"its cell magic {magic.split()[0]}" in reason
    assert "--notebook-test-engine=ipython" in reason


def test_python_code_without_stripping_keeps_the_source():
    assert python_code("%%bash\necho", strip_magics=False) == ("%%bash\necho", None)


def test_marker_line():
    assert marker_line("docs/a b.ipynb", 3) == "## notebook-test notebook=docs/a b.ipynb cell=3"
    assert marker_line("n.ipynb", 4, must_raise=True).endswith("cell=4 must-raise-exception=True")


def test_dump_puts_each_selected_cell_after_its_marker():
    plans = [
        CellPlan(Cell(1, "code", "import os"), True, False),
        CellPlan(Cell(2, "code", "skipped = True"), False, False),
        CellPlan(Cell(4, "code", "s = '''a\n  b'''\n"), True, False),
        CellPlan(Cell(5, "code", "1/0"), True, True),
        CellPlan(Cell(6, "code", "%%bash\nls"), True, False),
    ]
    text = dump("nb.ipynb", plans)
    lines = text.splitlines()
    markers = [index for index, line in enumerate(lines) if line.startswith("## notebook-test")]
    assert [lines[index] for index in markers] == [
        marker_line("nb.ipynb", 1),
        marker_line("nb.ipynb", 4),
        marker_line("nb.ipynb", 5, must_raise=True),
        marker_line("nb.ipynb", 6),
    ]
    assert lines[markers[0] + 1] == "import os"
    assert lines[markers[1] + 1 : markers[2]] == ["s = '''a", "  b'''"]
    assert lines[markers[3] + 1].startswith("# not run: its cell magic %%bash")
    assert "skipped = True" not in text
    ast.parse(text)


_line = st.one_of(
    st.sampled_from(["%time f()", "!ls", "%%time", "%%bash", "x = 1", "if x:", "    y = 2", ""]),
    st.text(alphabet=" %!#'\"xif:=()\n", max_size=12),
)


@given(st.lists(_line, max_size=6).map("\n".join), st.booleans())
def test_python_code_keeps_the_line_count_or_leaves_the_cell_out(source, strip):
    code, reason = python_code(source, strip)
    if code is None:
        assert reason
    else:
        assert code.count("\n") == source.count("\n")
