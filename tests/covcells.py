"""Cells, expected coverage and report readers shared by the coverage tests."""

from __future__ import annotations

from ipytest import cov

# A helper cell run before the %%ipytest cell: its def line runs before coverage starts.
HELPER_CELL = """\
def classify(x):
    if x > 0:
        return "positive"
    if x < 0:  # pragma: no cover
        return "negative"
    return "zero"
"""
TEST_BODY = """\
def sign(x):
    if x > 0:
        return 1
    return -1

def unused():
    return 0

def test_sign():
    assert sign(3) == 1
    assert classify(1) == "positive"
"""
# What coverage must report for the two cells, per the sources above.
HELPER_LINES = {"executed": [2, 3], "missing": [1, 6], "excluded": [4, 5]}
BODY_LINES = {"executed": [1, 2, 3, 6, 9, 10, 11], "missing": [4, 7], "excluded": []}
BODY_BRANCHES = {"executed": [[2, 3]], "missing": [[2, 4]]}
HELPER_BRANCHES = {"executed": [], "missing": []}


def cell_files(report: dict) -> dict[str, dict]:
    """The files of a coverage JSON report that are cells, by reported name."""
    return {
        name: data
        for name, data in report["files"].items()
        if cov.is_cell_filename(name) or name.startswith("In[")
    }


def measured(data: dict) -> dict:
    """A report entry without its excluded lines among the executed ones.

    coverage.py before 7.14 lists excluded lines that ran as executed too, for files and
    cells alike; later versions leave them out.
    """
    excluded = set(data["excluded_lines"])
    return {**data, "executed_lines": [n for n in data["executed_lines"] if n not in excluded]}


def lines_of(data: dict) -> dict:
    return {
        "executed": data["executed_lines"],
        "missing": data["missing_lines"],
        "excluded": data["excluded_lines"],
    }


def branches_of(data: dict) -> dict:
    return {"executed": data["executed_branches"], "missing": data["missing_branches"]}


def by_source(shell_or_none, files: dict[str, dict], marker: str) -> dict:
    """The report entry of the cell whose source contains `marker`."""
    found = []
    for name, data in files.items():
        filename = name
        if name.startswith("In["):
            filename = next(
                f for f, label in cov.cell_labels(cov._execution_counts()).items() if label == name
            )
        if marker in "".join(cov.cell_source_lines(filename) or ()):
            found.append(data)
    assert len(found) == 1, files.keys()
    return found[0]


def run_cells(shell, *sources: str) -> None:
    for source in sources:
        result = shell.run_cell(source, store_history=True)
        assert result.success, result.error_in_exec or result.error_before_exec
