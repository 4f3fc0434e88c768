"""Notebooks as people write them, run by every front end: each stops where a kernel stops.

The notebooks of `tests/everyday_notebooks` hold what notebooks commonly hold: `%pip`
install lines, `%matplotlib inline`, plots, `%config`, `display()`, `%autoreload`,
`%timeit`, shell escapes, a module beside the notebook, the cell tags `raises-exception`
and `skip-execution`, ipytest tests, a failing test and a plain bug. Each runs in a real
Jupyter kernel (nbclient, as `jupyter nbconvert --execute` runs it: it stops at the first
error a tag does not allow), through `python -m ipytest`, and through
`pytest --notebook-test` with both engines. A front end must fail at the cell where the
kernel fails, or pass where the kernel passes, except where it cannot by design: those
cases are listed in `BY_DESIGN`, each with its reason, and asserted as they are.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from kernel import execute_notebook

FOLDER = Path(__file__).resolve().parent / "everyday_notebooks"
NOTEBOOKS = sorted(path.name for path in FOLDER.glob("*.ipynb"))
PYTEST_INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"
RAISES_TAG = "raises-exception"

MAIN = "python -m ipytest"
PYTHON_ENGINE = "--notebook-test python engine"
IPYTHON_ENGINE = "--notebook-test ipython engine"
FRONT_ENDS = (MAIN, PYTHON_ENGINE, IPYTHON_ENGINE)

# Where each notebook stops in a kernel: the number (1-based, among all cells) of the cell
# whose error is not allowed by a tag, or None when every cell behaves.
KERNEL_STOPS_AT = {
    "analysis.ipynb": None,
    "failing_test.ipynb": 4,
    "plots.ipynb": None,
    "slugs.ipynb": None,
    "typo.ipynb": 5,
}
# (notebook, front end) -> (where it stops instead, why).
BY_DESIGN = {
    ("failing_test.ipynb", PYTHON_ENGINE): (
        None,
        "the python engine leaves %%ipytest cells out, with a warning that says so: the "
        "failing test never runs",
    ),
}

_CELL_IN_FAILURE = re.compile(r"\.ipynb: cell (\d+)\b")


def test_the_fixtures_are_the_notebooks_listed_here():
    assert sorted(KERNEL_STOPS_AT) == NOTEBOOKS


def test_nbval_leaves_the_notebooks_alone():
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "."],
        cwd=FOLDER,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 5, result.stdout + result.stderr
    assert "no tests collected" in result.stdout


@pytest.fixture(scope="module")
def copies(tmp_path_factory) -> Path:
    """The notebooks and their helper module, copied to a folder of their own."""
    folder = tmp_path_factory.mktemp("everyday")
    for path in FOLDER.iterdir():
        if path.suffix in (".ipynb", ".py") and path.name != "conftest.py":
            shutil.copy(path, folder / path.name)
    (folder / "pytest.ini").write_text(PYTEST_INI, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def kernel_stops(copies) -> dict[str, int | None]:
    stops = {}
    for name in NOTEBOOKS:
        outcomes = execute_notebook(copies / name, stop_on_error=True)
        errors = [o for o in outcomes if o.status == "error" and RAISES_TAG not in o.tags]
        stops[name] = errors[0].number if errors else None
    return stops


def main_stops(folder: Path) -> dict[str, int | None]:
    stops = {}
    for name in NOTEBOOKS:
        result = subprocess.run(
            [sys.executable, "-m", "ipytest", name],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode in (0, 1), result.stderr
        match = re.search(rf"{re.escape(name)}: cell (\d+) ", result.stderr)
        assert (result.returncode == 1) is (match is not None), result.stderr
        stops[name] = int(match[1]) if match else None
    return stops


def plugin_stops(folder: Path, engine: str) -> dict[str, int | None]:
    report = folder / f"junit-{engine}.xml"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "--notebook-test",
            f"--notebook-test-engine={engine}",
            f"--junitxml={report}",
            *NOTEBOOKS,
        ],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode in (0, 1), result.stdout + result.stderr
    stops = {}
    for case in ElementTree.parse(report).getroot().iter("testcase"):
        name = case.get("name") + ".ipynb"
        problems = [child for child in case if child.tag in ("failure", "error")]
        if not problems:
            stops[name] = None
            continue
        match = _CELL_IN_FAILURE.search(problems[0].text or "")
        assert match is not None, problems[0].text
        stops[name] = int(match[1])
    assert sorted(stops) == NOTEBOOKS
    return stops


@pytest.fixture(scope="module")
def front_end_stops(copies) -> dict[str, dict[str, int | None]]:
    return {
        MAIN: main_stops(copies),
        PYTHON_ENGINE: plugin_stops(copies, "python"),
        IPYTHON_ENGINE: plugin_stops(copies, "ipython"),
    }


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_the_kernel_stops_where_the_notebook_means_to(kernel_stops, name):
    assert kernel_stops[name] == KERNEL_STOPS_AT[name]


@pytest.mark.parametrize("front_end", FRONT_ENDS)
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_each_front_end_stops_where_the_kernel_stops(
    kernel_stops, front_end_stops, name, front_end
):
    expected = kernel_stops[name]
    if (name, front_end) in BY_DESIGN:
        expected, _why = BY_DESIGN[name, front_end]
        assert expected != kernel_stops[name], "agrees with the kernel now: drop it from BY_DESIGN"
    assert front_end_stops[front_end][name] == expected
