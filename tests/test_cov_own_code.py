"""ipytest's own code never shows in a notebook's coverage report, wherever it is installed.

Each notebook runs through `python -m ipytest` in a subprocess, once with the ipytest of
this checkout (an editable install) and once with a copy of the package in a folder of
its own (as any install outside site-packages, in a path with characters that
coverage.py's globs treat specially), put first on `sys.path` through PYTHONPATH.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from kernel import write_notebook

import ipytest

PACKAGE = Path(ipytest.__file__).resolve().parent
# Brackets, `*` and `?` mean something in coverage.py's file patterns.
ODD_FOLDER = "site [1] *?"

HELPERS = "def double(x):\n    return 2 * x\n\n\ndef unused():\n    return 0\n"
CELLS = (
    "import ipytest\nipytest.autoconfig(coverage=True)\nprint('ipytest from', ipytest.__file__)",
    "import helpers",
    "%%ipytest -q --cov-report=json\n\ndef test_double():\n    assert helpers.double(2) == 4",
)
USER_CONFIGS = {
    "ipytest's": {},
    "user .coveragerc": {".coveragerc": "[run]\nbranch = true\n[report]\nprecision = 1\n"},
    "user pyproject.toml": {"pyproject.toml": "[tool.coverage.run]\nbranch = true\n"},
    # Measures everything in the folder: the copied package too, unless omitted.
    "user source = .": {".coveragerc": "[run]\nsource = .\n"},
}


def install(where: str, folder: Path) -> tuple[Path, dict[str, str]]:
    """The package folder the notebook's process imports, and that process's environment."""
    env = dict(os.environ)
    if where == "editable":
        return PACKAGE, env
    site = folder / ODD_FOLDER
    shutil.copytree(PACKAGE, site / "ipytest", ignore=shutil.ignore_patterns("__pycache__"))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), env.get("PYTHONPATH")]))
    return (site / "ipytest").resolve(), env


def run_main(path: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ipytest", str(path)],
        cwd=path.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def reported_files(folder: Path) -> list[Path]:
    report = json.loads((folder / "coverage.json").read_text(encoding="utf-8"))
    return [Path(os.path.realpath(folder / name)) for name in report["files"]]


def under(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


@pytest.mark.parametrize("where", ["editable", "copied"])
@pytest.mark.parametrize("config", list(USER_CONFIGS))
def test_python_m_ipytest_reports_no_file_of_ipytest(tmp_path, where, config):
    folder = tmp_path / "project"
    folder.mkdir()
    for name, text in USER_CONFIGS[config].items():
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "helpers.py").write_text(HELPERS, encoding="utf-8")
    package, env = install(where, folder)
    path = write_notebook(folder / "notebook.ipynb", *CELLS)

    result = run_main(path, env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert f"ipytest from {package / '__init__.py'}" in result.stdout
    files = reported_files(folder)
    assert (folder / "helpers.py").resolve() in files
    assert [file for file in files if under(file, package)] == []


def test_a_users_folder_named_ipytest_is_still_reported(tmp_path):
    folder = tmp_path / "ipytest"
    folder.mkdir()
    (folder / "helpers.py").write_text(HELPERS, encoding="utf-8")
    path = write_notebook(folder / "notebook.ipynb", *CELLS)

    result = run_main(path, dict(os.environ))

    assert result.returncode == 0, result.stdout + result.stderr
    assert (folder / "helpers.py").resolve() in reported_files(folder)


RECORDER_SCRIPT = """\
import json
from IPython.core.interactiveshell import InteractiveShell
import ipytest.cov

shell = InteractiveShell.instance()
ipytest.cov.name_cells_as_files(shell)
recording = ipytest.cov.CellRecording()
with recording.record(shell):
    result = shell.run_cell(
        "import ipytest.cov\\n"
        "from ipytest.notebook_test.source import python_code\\n"
        "code = python_code('%time x = 1')\\n"
        "assert ipytest.cov.is_cell_filename('<ipython-input-1-ab>')\\n"
    )
assert result.success, result
print(json.dumps(sorted(recording.data.measured_files())))
"""


@pytest.mark.parametrize("where", ["editable", "copied"])
def test_the_recorder_of_ipytest_cells_measures_no_file_of_ipytest(tmp_path, where):
    package, env = install(where, tmp_path)
    result = subprocess.run(
        [sys.executable, "-c", RECORDER_SCRIPT],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    measured = [Path(os.path.realpath(name)) for name in json.loads(result.stdout)]
    assert any("ipython-input-" in file.name for file in measured), measured
    assert [file for file in measured if under(file, package)] == []
