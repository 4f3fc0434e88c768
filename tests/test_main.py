"""`python -m ipytest NOTEBOOK`: the headless in-process runner."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from kernel import write_notebook

ROOT = Path(__file__).resolve().parent.parent


def run_main(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ipytest", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_passing_notebook_exits_zero_and_prints_each_cell(tmp_path):
    path = write_notebook(
        tmp_path / "ok.ipynb",
        "import ipytest\nipytest.autoconfig(addopts=['-q', '--color=no'])",
        "%%ipytest\ndef test_ok():\n    assert 1 + 1 == 2",
        "print('last cell ran')",
    )
    result = run_main(str(path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "## cell 2: %%ipytest" in result.stdout
    assert "1 passed" in result.stdout
    assert "last cell ran" in result.stdout


def test_a_failing_cell_stops_the_run_and_is_named(tmp_path):
    path = write_notebook(tmp_path / "bad.ipynb", "x = 1", "undefined_name", "print('never')")
    result = run_main(str(path), cwd=tmp_path)
    assert result.returncode == 1
    assert "cell 2 ('undefined_name') raised NameError" in result.stderr
    assert "never" not in result.stdout


def test_a_failing_test_under_raise_on_error_fails_the_run(tmp_path):
    path = write_notebook(
        tmp_path / "tests.ipynb",
        "import ipytest\nipytest.autoconfig(raise_on_error=True)",
        "%%ipytest\ndef test_bad():\n    assert [1, 2, 3] == [1, 2, 4]",
    )
    result = run_main(str(path), cwd=tmp_path)
    assert result.returncode == 1
    assert "cell 2 ('%%ipytest') raised Error: pytest exited with code 1" in result.stderr
    assert "At index 2 diff" in result.stdout


def test_a_cell_tagged_raises_exception_must_raise(tmp_path):
    good = write_notebook(
        tmp_path / "good.ipynb", "1 / 0", "print('after')", tags={0: ["raises-exception"]}
    )
    assert run_main(str(good), cwd=tmp_path).returncode == 0
    bad = write_notebook(tmp_path / "bad.ipynb", "x = 1", tags={0: ["raises-exception"]})
    result = run_main(str(bad), cwd=tmp_path)
    assert result.returncode == 1
    assert "is tagged raises-exception but raised nothing" in result.stderr


@pytest.mark.parametrize("tag", ["skip-execution", "nbval-skip"])
def test_skipped_cells_do_not_run(tmp_path, tag):
    path = write_notebook(
        tmp_path / "skip.ipynb", "raise SystemExit(7)", "print('ran')", tags={0: [tag]}
    )
    result = run_main(str(path), cwd=tmp_path)
    assert result.returncode == 0
    assert "ran" in result.stdout


def test_cells_run_in_the_notebook_folder(tmp_path):
    folder = tmp_path / "nested"
    folder.mkdir()
    (folder / "helper_module.py").write_text("ANSWER = 42\n")
    path = write_notebook(
        folder / "here.ipynb",
        "import helper_module\nassert helper_module.ANSWER == 42",
        "open('marker', 'w').close()",
    )
    result = run_main(str(path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (folder / "marker").exists()


@pytest.mark.parametrize(
    ("content", "says"),
    [(None, "FileNotFoundError"), ("not json", "NotJSONError"), ("{}", "cannot be read")],
)
def test_an_unreadable_notebook_exits_two(tmp_path, content, says):
    path = tmp_path / "broken.ipynb"
    if content is not None:
        path.write_text(content)
    result = run_main(str(path), cwd=tmp_path)
    assert result.returncode == 2
    assert f"{path}: cannot be read" in result.stderr
    assert says in result.stderr


def test_the_example_notebook_runs(tmp_path):
    result = run_main(str(ROOT / "Example.ipynb"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "At index 2 diff" in result.stdout
