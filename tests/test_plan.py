"""The cell planner: `# notebook-test:` directives, cell tags and nbval markers, merged."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipytest._notebook import Cell
from ipytest._plan import (
    DirectiveError,
    nbval_markers,
    parse_directives,
    plan_cells,
)


def cells_of(pairs, tags=None):
    """Cells from `(cell_type, source)` pairs; `tags` maps a cell number to its tags."""
    tags = tags or {}
    return [
        Cell(number, kind, source, frozenset(tags.get(number, ())))
        for number, (kind, source) in enumerate(pairs, start=1)
    ]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("x = 1", {}),
        ("", {}),
        ("# notebook-test: default-all=False", {"default-all": False}),
        ("# notebook-test: test-cell=True", {"test-cell": True}),
        ("# notebook-test: must-raise-exception=True\n1/0", {"must-raise-exception": True}),
        ("#notebook-test:test-cell=False", {"test-cell": False}),
        ("   #   notebook-test:   test-cell =  True  ", {"test-cell": True}),
        (
            "# notebook-test: test-cell=True, must-raise-exception=False",
            {"test-cell": True, "must-raise-exception": False},
        ),
        (
            "# notebook-test: default-all=True\nx = 1\n# notebook-test: test-cell=False",
            {"default-all": True, "test-cell": False},
        ),
        ("if x:\n    # notebook-test: test-cell=True\n    pass", {"test-cell": True}),
        # Prose that mentions notebooks is no directive.
        ("# notebook tests: see the docs", {}),
        ("# this notebook-test is slow", {}),
        ("# notebook testing: x", {}),
        ("print('notebook-test: test-cell=True')", {}),
    ],
)
def test_parse_directives_accepts(source, expected):
    assert parse_directives(source) == expected


@pytest.mark.parametrize(
    ("source", "line", "reason"),
    [
        ("# notebook-test: test-cell=true", 1, "must be the literal True or False"),
        ("# notebook-test: test-cell=1", 1, "must be the literal True or False"),
        ("# notebook-test: test-cell=", 1, "must be the literal True or False"),
        ("# notebook-test: test-cell", 1, "is not of the form key=True"),
        ("# notebook-test: test-cell=True must-raise-exception=True", 1, "literal True"),
        ("# notebook-test:", 1, "the directive is empty"),
        ("# notebook-test: skip=True", 1, "unknown key 'skip'"),
        ("# notebook-test: test_cell=True", 1, "did you mean 'test-cell'?"),
        ("# notebook-test: Default-All=False", 1, "did you mean 'default-all'?"),
        ("# notebook-test: test-cell=True, test-cell=False", 1, "already set on line 1"),
        ("x = 1\n# notebook-test: test-cell=True\n# notebook-test: test-cell=True", 3, "line 2"),
        ("# notebook-test: test-cell=True # why", 1, "must be the literal True or False"),
        ("# notebook_test: test-cell=True", 1, "prefix is not '# notebook-test:'"),
        ("# Notebook-Test: test-cell=True", 1, "prefix is not"),
        ("# notebook-tests: default-all=False", 1, "prefix is not"),
        ("# notebook test: must-raise-exception=True", 1, "prefix is not"),
        ("# notebook-test test-cell=True", 1, "prefix is not"),
        ("# notebook-test : test-cell=True", 1, "prefix is not"),
        ("y = 2\n  #notebooktest: foo=True", 2, "prefix is not"),
    ],
)
def test_parse_directives_rejects(source, line, reason):
    with pytest.raises(DirectiveError) as info:
        parse_directives(source, cell=7)
    error = info.value
    assert (error.cell, error.line) == (7, line)
    assert reason in str(error)
    assert str(error).startswith(f"cell 7, line {line}: {source.splitlines()[line - 1].strip()!r}")


def test_error_lists_the_accepted_keys():
    with pytest.raises(DirectiveError, match="default-all, test-cell, must-raise-exception"):
        parse_directives("# notebook-test: nope=True")


def _plan(cells, default_all=True, tags=None):
    plans = plan_cells(cells_of(cells, tags), default_all)
    return [(plan.number, plan.run, plan.must_raise) for plan in plans]


def test_default_all_holds_for_the_following_cells():
    cells = [
        ("code", "a = 1"),
        ("code", "# notebook-test: default-all=False\nb = 2"),
        ("code", "c = 3"),
        ("code", "# notebook-test: default-all=True\nd = 4"),
        ("code", "e = 5"),
    ]
    assert _plan(cells) == [
        (1, True, False),
        (2, False, False),
        (3, False, False),
        (4, True, False),
        (5, True, False),
    ]


def test_test_cell_overrides_only_its_cell():
    cells = [
        ("code", "# notebook-test: default-all=False"),
        ("code", "# notebook-test: test-cell=True\nx = 1"),
        ("code", "y = 2"),
        ("code", "# notebook-test: default-all=True, test-cell=False"),
        ("code", "z = 3"),
    ]
    assert [run for _, run, _ in _plan(cells)] == [False, True, False, False, True]


def test_default_all_false_by_option():
    cells = [("code", "a = 1"), ("code", "# notebook-test: test-cell=True")]
    assert _plan(cells, default_all=False) == [(1, False, False), (2, True, False)]


def test_markdown_and_raw_cells_count_in_numbers_but_have_no_plan():
    cells = [
        ("markdown", "# notebook-test: nonsense"),
        ("code", "x = 1"),
        ("raw", "# notebook_test: test-cell=True"),
        ("code", "# notebook-test: must-raise-exception=True\n1/0"),
    ]
    assert _plan(cells) == [(2, True, False), (4, True, True)]


def test_plan_error_names_the_cell_number():
    cells = [("markdown", "text"), ("code", "x"), ("code", "# notebook-test: test-cell=yes")]
    with pytest.raises(DirectiveError, match=r"^cell 3, line 1: "):
        plan_cells(cells_of(cells))


@pytest.mark.parametrize(
    ("tags", "source", "expected"),
    [
        ({"skip-execution"}, "x = 1", (False, False, "tagged skip-execution")),
        ({"nbval-skip"}, "x = 1", (False, False, "tagged nbval-skip")),
        ({"raises-exception"}, "1/0", (True, True, "tagged raises-exception")),
        ({"nbval-raises-exception"}, "1/0", (True, True, "tagged nbval-raises-exception")),
        (set(), "# NBVAL_SKIP\nx = 1", (False, False, "tagged nbval-skip")),
        (set(), "#NBVAL_RAISES_EXCEPTION\n1/0", (True, True, "tagged nbval-raises-exception")),
        ({"other", "parameters"}, "x = 1", (True, False, "")),
        # A directive in the cell wins over a tag.
        (
            {"skip-execution"},
            "# notebook-test: test-cell=True",
            (True, False, "# notebook-test: test-cell=True"),
        ),
        (
            {"raises-exception"},
            "# notebook-test: must-raise-exception=False",
            (True, False, ""),
        ),
        (
            {"raises-exception"},
            "# notebook-test: test-cell=False",
            (False, True, "# notebook-test: test-cell=False"),
        ),
        # Markers are whole comment lines, as nbval reads them.
        (set(), "x = '# NBVAL_SKIP'", (True, False, "")),
        (set(), "# NBVAL_SKIP because", (True, False, "")),
    ],
)
def test_tags_and_directives_merge_into_one_plan(tags, source, expected):
    (plan,) = plan_cells([Cell(1, "code", source, frozenset(tags))])
    assert (plan.run, plan.must_raise, plan.reason) == expected


def test_a_skip_tag_wins_over_default_all_and_a_directive_over_both():
    cells = [
        ("code", "# notebook-test: default-all=True"),
        ("code", "a = 1"),
        ("code", "# notebook-test: test-cell=True\nb = 2"),
        ("code", "# notebook-test: default-all=False"),
        ("code", "1/0"),
    ]
    tags = {2: ["skip-execution"], 3: ["skip-execution"], 5: ["raises-exception"]}
    assert _plan(cells, tags=tags) == [
        (1, True, False),
        (2, False, False),
        (3, True, False),
        (4, False, False),
        (5, False, True),
    ]


def test_a_cell_left_out_by_default_all_names_the_directive():
    cells = cells_of([("code", "# notebook-test: default-all=False"), ("code", "x = 1")])
    assert [plan.reason for plan in plan_cells(cells)] == [
        "# notebook-test: default-all=False in cell 1",
        "# notebook-test: default-all=False in cell 1",
    ]


@given(st.text(max_size=60))
def test_nbval_markers_are_a_subset_of_their_tags(source):
    assert nbval_markers(source) <= {"nbval-skip", "nbval-raises-exception"}


_lines = st.one_of(
    st.text(max_size=40),
    st.builds(
        lambda prefix, key, sep, value: f"{prefix}{key}{sep}{value}",
        st.sampled_from(["# notebook-test:", "# notebook_test:", "#notebook-test: ", "# x "]),
        st.sampled_from(["default-all", "test-cell", "must-raise-exception", "other", ""]),
        st.sampled_from(["=", " = ", "", ","]),
        st.sampled_from(["True", "False", "true", "1", "", "True, test-cell=False"]),
    ),
)


@given(st.lists(_lines, max_size=6).map("\n".join))
def test_parse_directives_gives_a_result_or_a_clear_error(source):
    result, error = _outcome(parse_directives, source, 2)
    if error is not None:
        assert str(error).startswith(f"cell 2, line {error.line}: ")
        assert error.text == source.splitlines()[error.line - 1]
    else:
        assert set(result) <= {"default-all", "test-cell", "must-raise-exception"}
        assert all(isinstance(value, bool) for value in result.values())


@given(
    st.lists(
        st.tuples(st.sampled_from(["code", "markdown", "raw"]), st.lists(_lines, max_size=3)),
        max_size=6,
    ),
    st.booleans(),
)
def test_plan_cells_gives_a_plan_per_code_cell_or_a_clear_error(cells, default_all):
    cells = [(kind, "\n".join(lines)) for kind, lines in cells]
    plans, error = _outcome(plan_cells, cells_of(cells), default_all)
    if error is not None:
        assert cells[error.cell - 1][0] == "code"
    else:
        assert [plan.number for plan in plans] == [
            number for number, (kind, _) in enumerate(cells, start=1) if kind == "code"
        ]


def _outcome(function, *args):
    """`(result, None)`, or `(None, error)` when `function` raises DirectiveError."""
    try:
        return function(*args), None
    except DirectiveError as error:
        return None, error
