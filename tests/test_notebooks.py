"""The notebooks of `tests/notebooks`, checked cell by cell in a real kernel, and clean files.

`uv run pytest` runs every `tests/**/Test*.ipynb` with nbval: each cell must succeed unless
it is tagged `raises-exception`, and the notebooks' own check cells assert what ipytest did.
nbval cannot check what a cell printed (the notebooks are saved without outputs, so there is
nothing to compare with, and `# NBVAL_CHECK_OUTPUT` would compare nothing) nor that a tagged
cell really failed. These tests run the notebooks again through nbclient and check each
cell's reply and output, and check that every notebook of the repository is saved clean.
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from kernel import KERNEL_TIMEOUT, CellOutcome, execute_notebook, write_notebook

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "tests" / "notebooks"
RAISES_TAG = "raises-exception"
# Where a copy of a notebook runs outside the repository, this settles pytest-asyncio's
# option as the repository's pyproject.toml does, which keeps its warning out of reports.
PYTEST_INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"
# Notebooks that test_everyday_notebooks.py runs through every front end; their conftest.py
# keeps nbval away (one fails on purpose).
NOT_FOR_NBVAL = ROOT / "tests" / "everyday_notebooks"
# Folders of the repository that hold no notebooks of ours.
SKIPPED_FOLDERS = {"build", "dist", "node_modules", "__pycache__"}


def plain(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def code_cells(path: Path) -> list:
    notebook = nbformat.read(path, as_version=4)
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def tagged_cells(path: Path) -> list[int]:
    """Indices (among the code cells) of the cells tagged raises-exception."""
    return [
        index
        for index, cell in enumerate(code_cells(path))
        if RAISES_TAG in cell.metadata.get("tags", [])
    ]


def the_cell(outcomes: list[CellOutcome], marker: str) -> CellOutcome:
    """The one executed cell whose source contains `marker`."""
    found = [outcome for outcome in outcomes if marker in outcome.source]
    assert len(found) == 1, f"{len(found)} cells contain {marker!r}"
    return found[0]


@pytest.fixture(scope="module")
def executed():
    """Run a notebook of tests/notebooks in a kernel (in its folder), once per module."""
    cache: dict[str, list[CellOutcome]] = {}

    def run(name: str) -> list[CellOutcome]:
        if name not in cache:
            cache[name] = execute_notebook(NOTEBOOKS / name)
        return cache[name]

    return run


@pytest.mark.parametrize(
    "name",
    [
        "TestIntegration.ipynb",
        "TestRaiseOnError.ipynb",
        "TestAsync.ipynb",
        "TestDoctests.ipynb",
        "TestCellOptions.ipynb",
    ],
)
def test_a_cell_fails_exactly_when_it_is_tagged_raises_exception(executed, name):
    outcomes = executed(name)
    assert len(outcomes) == len(code_cells(NOTEBOOKS / name))
    failed = [index for index, outcome in enumerate(outcomes) if outcome.status != "ok"]
    assert failed == tagged_cells(NOTEBOOKS / name), [
        plain(outcomes[index].text) for index in failed
    ]


def test_the_notebooks_keep_their_tagged_cells():
    # Guards the test above from passing vacuously, should the tags be lost.
    assert len(tagged_cells(NOTEBOOKS / "TestRaiseOnError.ipynb")) == 3
    assert len(tagged_cells(NOTEBOOKS / "TestCellOptions.ipynb")) == 4
    assert len(tagged_cells(NOTEBOOKS / "TestDoctests.ipynb")) == 1


# --- integration ---------------------------------------------------------------------------


def test_a_failing_test_reports_pytest_explanation_of_the_assert(executed):
    report = plain(the_cell(executed("TestIntegration.ipynb"), "def test_fails").text)
    assert "At index 2 diff: 3 != 4" in report
    assert "1 failed" in report


@pytest.mark.parametrize(
    ("marker", "summaries"),
    [
        ('%%ipytest -k "fast or other"', ["2 passed, 1 deselected"]),
        ('ipytest.run("{test_slow}", "{test_fast}")', ["1 failed, 1 passed"]),
        ('ipytest.run("--deselect"', ["2 passed, 1 deselected", "1 passed, 2 deselected"]),
        ("defopts=False", ["1 passed"]),
    ],
)
def test_selection_in_a_kernel_reports_what_it_selected(executed, marker, summaries):
    report = plain(the_cell(executed("TestIntegration.ipynb"), marker).text)
    found = re.findall(r"^(\d+ (?:passed|failed).*) in [\d.]+s$", report, flags=re.MULTILINE)
    assert found == summaries


# --- raise_on_error ------------------------------------------------------------------------


def test_raise_on_error_replies_are_errors_naming_the_cause(executed):
    outcomes = executed("TestRaiseOnError.ipynb")
    failing_test = the_cell(outcomes, "def test_fails():")
    raising_body = the_cell(outcomes, "1 / 0")
    nothing_collected = the_cell(outcomes, "no_test_has_this_name")
    assert (failing_test.reply["ename"], failing_test.reply["evalue"]) == (
        "Error",
        "pytest exited with code 1 (tests failed)",
    )
    assert "1 failed" in plain(failing_test.text)
    assert raising_body.reply["ename"] == "Error"
    assert "raised ZeroDivisionError" in raising_body.reply["evalue"]
    assert "ZeroDivisionError: division by zero" in plain(raising_body.text)
    assert nothing_collected.reply["evalue"] == "pytest exited with code 5 (no tests collected)"
    # ipytest.Error shows one line, not a traceback into ipytest.
    assert failing_test.reply["traceback"] == [
        "ipytest.Error: pytest exited with code 1 (tests failed)"
    ]


def untagged(path: Path):
    """The notebook at `path` with every raises-exception tag removed."""
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        tags = cell.metadata.get("tags", [])
        if RAISES_TAG in tags:
            tags.remove(RAISES_TAG)
    return notebook


def test_without_the_tags_nbclient_stops_at_the_first_failing_cell():
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    path = NOTEBOOKS / "TestRaiseOnError.ipynb"
    notebook = untagged(path)
    client = NotebookClient(
        notebook,
        timeout=KERNEL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    with pytest.raises(CellExecutionError) as error:
        client.execute()
    assert error.value.ename == "Error"
    assert "pytest exited with code 1 (tests failed)" in str(error.value)

    cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    stop = tagged_cells(path)[0]
    assert "def test_fails():" in cells[stop].source
    assert all(cell.execution_count is not None for cell in cells[: stop + 1])
    assert [output.output_type for output in cells[stop].outputs][-1] == "error"
    assert [(cell.execution_count, cell.outputs) for cell in cells[stop + 1 :]] == [
        (None, [])
    ] * len(cells[stop + 1 :])


def test_without_the_tags_nbval_fails_exactly_the_failing_cells(tmp_path):
    path = NOTEBOOKS / "TestRaiseOnError.ipynb"
    copy = tmp_path / path.name
    nbformat.write(untagged(path), copy)
    (tmp_path / "pytest.ini").write_text(PYTEST_INI)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "--nbval-lax",
            "--nbval-current-env",
            "-v",
            "--color=no",
            copy.name,
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=KERNEL_TIMEOUT,
        env={**os.environ, "PYTEST_ADDOPTS": ""},
    )
    outcomes = dict(re.findall(r"::Cell (\d+) (PASSED|FAILED)", result.stdout))
    assert len(outcomes) == len(code_cells(path)), result.stdout
    failed = sorted(int(index) for index, outcome in outcomes.items() if outcome == "FAILED")
    assert failed == tagged_cells(path), result.stdout
    assert result.returncode == 1
    assert "ipytest.Error: pytest exited with code 1 (tests failed)" in result.stdout


# --- async -----------------------------------------------------------------------------------


def test_async_tests_pass_in_a_thread_and_fail_in_the_kernel_thread(executed):
    outcomes = executed("TestAsync.ipynb")
    threaded = plain(the_cell(outcomes, "async def test_async(greeting)").text)
    in_kernel_thread = plain(the_cell(outcomes, "run_in_thread=False").text)
    assert "1 passed" in threaded
    # pytest-asyncio >= 0.24 uses asyncio.Runner ("... from a running event loop"), older
    # versions run_until_complete on the kernel's loop ("This event loop is already
    # running", or "... while another loop is running").
    assert re.search(
        r"FAILED \S+::test_async_in_the_kernel_thread - RuntimeError: "
        r".*(running event loop|another loop is running|event loop is already running)",
        in_kernel_thread,
    ), in_kernel_thread
    assert "1 failed" in in_kernel_thread


# --- doctests --------------------------------------------------------------------------------


def test_a_failing_doctest_reports_expected_and_got(executed):
    outcomes = executed("TestDoctests.ipynb")
    report = plain(the_cell(outcomes, "def halve(x):").text)
    assert "[doctest] __main__.halve" in report
    assert "Expected:\n    2\nGot:\n    2.5\n" in report
    assert "1 failed, 2 passed" in report
    under_raise_on_error = the_cell(outcomes, "# ipytest: raise_on_error=True")
    assert under_raise_on_error.reply["evalue"] == "pytest exited with code 1 (tests failed)"


# --- # ipytest: comments ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("comment", "message"),
    [
        (
            "# ipytest: raise_on_error=",
            "'# ipytest: raise_on_error=' is not valid Python keyword arguments",
        ),
        (
            "# ipytest: raise_on_eror=True",
            "'raise_on_eror' in '# ipytest: raise_on_eror=True' is not an option of "
            "ipytest.run(); the options are: module, plugins, run_in_thread, raise_on_error",
        ),
        (
            "# ipytest: display_columns=undefined_width",
            "# ipytest: display_columns=undefined_width: evaluating 'undefined_width' raised "
            "NameError",
        ),
    ],
)
def test_a_malformed_comment_fails_the_cell_with_an_error_quoting_it(executed, comment, message):
    outcome = the_cell(executed("TestCellOptions.ipynb"), comment + "\n")
    assert outcome.status == "error"
    assert outcome.reply["ename"] == "UsageError"
    assert message in outcome.reply["evalue"]
    # The user sees one line naming the comment, no traceback into ipytest.
    assert outcome.reply["traceback"] == [f"UsageError: {outcome.reply['evalue']}"]


# --- conftest.py in a parent folder ----------------------------------------------------------


@pytest.mark.parametrize(
    ("ini_folder", "parent_conftest_loaded"),
    [("project", True), ("project/notebooks/nested", False)],
)
def test_a_parent_conftest_loads_when_the_configuration_is_above_it(
    tmp_path, ini_folder, parent_conftest_loaded
):
    notebooks = tmp_path / "project" / "notebooks"
    (notebooks / "nested").mkdir(parents=True)
    shutil.copy(NOTEBOOKS / "conftest.py", notebooks / "conftest.py")
    copy = shutil.copy(
        NOTEBOOKS / "nested" / "TestParentConftest.ipynb", notebooks / "nested" / "Test.ipynb"
    )
    (tmp_path / ini_folder / "pytest.ini").write_text(PYTEST_INI)

    outcomes = execute_notebook(Path(copy))
    implicit = the_cell(outcomes, "def test_fixture_from_the_parent_folder(")
    implicit_check = the_cell(outcomes, "was not loaded")
    explicit = the_cell(outcomes, "%%ipytest --confcutdir=..")
    others = [outcome for outcome in outcomes if outcome is not implicit_check]
    assert [outcome.status for outcome in others] == ["ok"] * len(others)
    if parent_conftest_loaded:
        assert implicit_check.status == "ok"
        assert "1 passed" in plain(implicit.text)
    else:
        assert implicit_check.status == "error"
        assert "fixture 'conftest_folder' not found" in plain(implicit.text)
        assert "../conftest.py was not loaded" in implicit_check.reply["evalue"]
    assert "1 passed" in plain(explicit.text)


# --- notebooks are saved clean ---------------------------------------------------------------


def repository_notebooks() -> list[Path]:
    """Every .ipynb of the repository, outside hidden and build folders."""
    found = []
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = sorted(
            name for name in subfolders if not name.startswith(".") and name not in SKIPPED_FOLDERS
        )
        found.extend(Path(folder) / name for name in sorted(files) if name.endswith(".ipynb"))
    return found


def unclean_parts(notebook) -> list[str]:
    """What keeps a notebook from being saved clean: outputs, counts, timing metadata."""
    problems = []
    code_index = 0
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        if cell.get("outputs"):
            problems.append(f"code cell {code_index} has outputs")
        if cell.get("execution_count") is not None:
            problems.append(f"code cell {code_index} has an execution count")
        if "execution" in cell.get("metadata", {}):
            problems.append(f"code cell {code_index} has execution timing metadata")
        code_index += 1
    return problems


@pytest.mark.parametrize(
    "path", repository_notebooks(), ids=lambda path: path.relative_to(ROOT).as_posix()
)
def test_every_notebook_is_valid_and_saved_clean(path):
    notebook = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    assert notebook.nbformat == 4
    nbformat.validate(notebook)
    assert unclean_parts(notebook) == [], (
        f"{path.relative_to(ROOT)} is saved with outputs; clear them (Jupyter: Edit > Clear "
        "Outputs of All Cells) and save it again"
    )


def test_the_clean_check_covers_the_repository_notebooks():
    found = {path.relative_to(ROOT).as_posix() for path in repository_notebooks()}
    assert "Example.ipynb" in found
    assert {
        "tests/notebooks/TestIntegration.ipynb",
        "tests/notebooks/nested/TestParentConftest.ipynb",
    } <= found


def test_the_clean_check_finds_outputs_and_counts(tmp_path):
    path = write_notebook(tmp_path / "run.ipynb", "print('hi')", "1 + 1")
    notebook = nbformat.read(path, as_version=4)
    assert unclean_parts(notebook) == []
    cells = notebook.cells
    cells[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text="hi\n")]
    cells[1].execution_count = 1
    cells[1].metadata["execution"] = {"iopub.status.idle": "2024-01-01T00:00:00Z"}
    assert unclean_parts(notebook) == [
        "code cell 0 has outputs",
        "code cell 1 has an execution count",
        "code cell 1 has execution timing metadata",
    ]


def test_notebooks_under_tests_are_named_for_nbval():
    # nbval runs every .ipynb under tests/ (but for the fixtures of NOT_FOR_NBVAL); the
    # Test prefix says that it is a test.
    misnamed = [
        path.relative_to(ROOT).as_posix()
        for path in repository_notebooks()
        if path.is_relative_to(ROOT / "tests")
        and not path.name.startswith("Test")
        and not path.parent.is_relative_to(NOT_FOR_NBVAL)
    ]
    assert misnamed == []


# --- re-running notebooks and cells ---------------------------------------------------------

PLACEHOLDER = re.compile(r"\{[A-Za-z_]\w*\}")
SUMMARY_LINE = re.compile(r"^=*\s*(\d+ (?:passed|failed|deselected|error).*?) in [\d.]+s", re.M)


def uses_placeholders(cell) -> bool:
    """Whether a code cell hands pytest a `{name}` placeholder (magic line or run())."""
    first_line = cell.source.split("\n", 1)[0]
    if first_line.startswith("%%ipytest"):
        return bool(PLACEHOLDER.search(first_line))
    return "ipytest.run(" in cell.source and bool(PLACEHOLDER.search(cell.source))


def notebooks_with_placeholders() -> list[Path]:
    return [
        path
        for path in repository_notebooks()
        if any(uses_placeholders(cell) for cell in code_cells(path))
    ]


def behaviour(outcome: CellOutcome) -> tuple:
    """What must not change when a cell runs again: status, error, pytest's summaries."""
    return (
        outcome.status,
        outcome.reply.get("ename"),
        SUMMARY_LINE.findall(plain(outcome.text)),
    )


def test_the_rerun_checks_cover_the_notebooks_with_placeholders():
    found = {path.relative_to(ROOT).as_posix() for path in notebooks_with_placeholders()}
    assert {"Example.ipynb", "tests/notebooks/TestIntegration.ipynb"} <= found


@pytest.mark.parametrize(
    "path",
    notebooks_with_placeholders(),
    ids=lambda path: path.relative_to(ROOT).as_posix(),
)
def test_a_notebook_run_twice_in_one_kernel_behaves_the_same_both_times(path):
    cells = nbformat.read(path, as_version=4).cells
    outcomes = execute_notebook(path, cells=[*cells, *copy.deepcopy(cells)])
    half = len(outcomes) // 2
    assert len(outcomes) == 2 * half
    first, second = outcomes[:half], outcomes[half:]
    differences = [
        (index, first[index].source.split("\n", 1)[0], behaviour(first[index]), behaviour(again))
        for index, again in enumerate(second)
        if behaviour(first[index]) != behaviour(again)
    ]
    assert differences == []
    assert any(summaries for _, _, summaries in map(behaviour, first))


@pytest.mark.parametrize(
    "path",
    notebooks_with_placeholders(),
    ids=lambda path: path.relative_to(ROOT).as_posix(),
)
def test_each_cell_with_placeholders_run_three_times_reports_the_same(path):
    repeats = 3
    cells = []
    for cell in nbformat.read(path, as_version=4).cells:
        copies = repeats if cell.cell_type == "code" and uses_placeholders(cell) else 1
        cells.extend(copy.deepcopy(cell) for _ in range(copies))
    outcomes = execute_notebook(path, cells=cells)
    runs: dict[str, list[tuple]] = {}
    for outcome in outcomes:
        runs.setdefault(outcome.source, []).append(behaviour(outcome))
    repeated = {source: found for source, found in runs.items() if len(found) == repeats}
    assert len(repeated) == sum(uses_placeholders(cell) for cell in code_cells(path))
    for source, found in repeated.items():
        assert found == [found[0]] * repeats, source
        assert found[0][2], f"no pytest summary in the output of {source!r}"
