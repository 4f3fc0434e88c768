"""The plugin runs notebooks as a real Jupyter kernel does: the same notebooks, both ways."""

from __future__ import annotations

import shutil
from pathlib import Path

from kernel import execute_notebook, write_notebook

from ipytest._notebook import read_notebook
from ipytest._plan import plan_cells

pytest_plugins = ["pytester"]

EXAMPLE = Path(__file__).parents[1] / "docs" / "notebook-test-example.ipynb"

KERNEL_LIKE_CELLS = (
    "assert __name__ == '__main__'",
    "from helper import *\nassert VALUE == 3\nassert 'hidden' not in dir()",
    "text = '''first\n    second'''\nassert text == 'first\\n    second'",
    "assert open('data.txt').read() == 'beside the notebook'",
    "import asyncio\nloop = asyncio.get_running_loop()\nawait asyncio.sleep(0)",
    "assert asyncio.get_running_loop() is loop\nawait asyncio.sleep(0)",
    "import pickle\nclass Point:\n    pass\n"
    "assert type(pickle.loads(pickle.dumps(Point()))) is Point",
    "# notebook-test: must-raise-exception=True\nraise ValueError('expected')",
    "%precision 3\nafter = True",
)


def _kernel_statuses_follow_the_plan(path: Path) -> None:
    plans = plan_cells(read_notebook(path).cells)
    outcomes = execute_notebook(path)
    assert len(outcomes) == len(plans)
    for plan, outcome in zip(plans, outcomes, strict=True):
        if plan.run:
            expected = "error" if plan.must_raise else "ok"
            assert outcome.status == expected, (plan.number, outcome.text)


def _write_kernel_like_notebook(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "helper.py").write_text("__all__ = ['VALUE']\nVALUE = 3\nhidden = 0\n", "utf-8")
    (folder / "data.txt").write_text("beside the notebook", "utf-8")
    return write_notebook(folder / "kernel_like.ipynb", *KERNEL_LIKE_CELLS)


def test_kernel_like_notebook_passes_in_a_kernel_and_under_the_plugin(tmp_path, pytester):
    path = _write_kernel_like_notebook(tmp_path / "in_kernel")
    _kernel_statuses_follow_the_plan(path)

    _write_kernel_like_notebook(pytester.path / "docs")
    pytester.makefile(".ini", pytest="[pytest]\nasyncio_default_fixture_loop_scope = function")
    result = pytester.runpytest("--notebook-test", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_docs_example_follows_its_directives_in_a_kernel_and_under_the_plugin(tmp_path, pytester):
    path = tmp_path / EXAMPLE.name
    shutil.copy(EXAMPLE, path)
    _kernel_statuses_follow_the_plan(path)

    shutil.copy(EXAMPLE, pytester.path / EXAMPLE.name)
    pytester.makefile(".ini", pytest="[pytest]\nasyncio_default_fixture_loop_scope = function")
    result = pytester.runpytest("--notebook-test", "-p", "no:cacheprovider", "-rA")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*cell 5 raised StatisticsError*"])
