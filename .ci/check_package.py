"""Build the sdist and the wheel, check their contents, install each in a clean venv.

The sdist must hold what MANIFEST.in includes and nothing it excludes (hatchling does not
read MANIFEST.in: this check keeps the two in step); the wheel must hold the package with
its data files. Each artefact is installed into a fresh virtual environment, which must
import ipytest and find its data files.
"""

from __future__ import annotations

import fnmatch
import json
import os
import shlex
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# ipytest.cov needs coverage.py, which is optional: it must be there, not importable.
IMPORT_CHECK = (
    "import importlib.resources, importlib.util, ipytest, ipytest._impl; "
    "assert importlib.util.find_spec('ipytest.cov') is not None; "
    "assert importlib.resources.files('ipytest').joinpath('coveragerc').is_file(); "
    "print(ipytest.__version__, sorted(ipytest.__all__))"
)


def run(*command: str) -> str:
    print("+", shlex.join(command), flush=True)
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def manifest_rules() -> tuple[list[str], list[str], list[str]]:
    """Files MANIFEST.in includes by name, recursive include patterns, exclude patterns."""
    files, recursive, excluded = [], [], []
    for line in (ROOT / "MANIFEST.in").read_text().splitlines():
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        if words[0] == "include":
            files += words[1:]
        elif words[0] == "recursive-include":
            recursive += [f"{words[1]}/*{pattern}" for pattern in words[2:]]
        elif words[0] == "global-exclude":
            excluded += words[1:]
        else:
            sys.exit(f"check_package: MANIFEST.in: unsupported line {line!r}")
    return files, recursive, excluded


def check_sdist(path: Path) -> None:
    with tarfile.open(path) as archive:
        top = archive.getnames()[0].split("/")[0]
        names = {name[len(top) + 1 :] for name in archive.getnames() if "/" in name}
    files, recursive, excluded = manifest_rules()
    missing = [name for name in files if name not in names]
    shipped = {name for name in names if any(fnmatch.fnmatch(name, p) for p in recursive)}
    tracked = set(run("git", "-C", str(ROOT), "ls-files").split())
    unshipped = sorted(
        name
        for name in tracked
        if any(fnmatch.fnmatch(name, p) for p in recursive) and name not in shipped
    )
    forbidden = sorted(
        name
        for name in names
        if any(fnmatch.fnmatch(part, p) for part in name.split("/") for p in excluded)
    )
    if missing or unshipped or forbidden:
        sys.exit(
            f"check_package: {path.name} does not match MANIFEST.in: missing {missing}, "
            f"tracked files not shipped {unshipped}, excluded files shipped {forbidden}"
        )
    print(f"check_package: {path.name}: {len(names)} files, as MANIFEST.in says")


def check_wheel(path: Path) -> None:
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
    sources = {str(p.relative_to(ROOT)) for p in (ROOT / "ipytest").rglob("*") if p.is_file()}
    sources = {name for name in sources if "__pycache__" not in name}
    missing = sorted(sources - names)
    if missing:
        sys.exit(f"check_package: {path.name} lacks {missing}")
    print(f"check_package: {path.name}: the package and its {len(sources)} files")


def check_install(artefact: Path, workdir: Path) -> None:
    venv = workdir / f"venv-{artefact.suffix.strip('.')}"
    run("uv", "venv", "--quiet", "--python", sys.executable, str(venv))
    python = str(venv / "bin" / "python")
    run("uv", "pip", "install", "--quiet", "--python", python, str(artefact))
    # Run from the temporary directory so that the clone's ipytest/ is not imported.
    print("+", python, "-c", "<import check>", flush=True)
    result = subprocess.run(
        [python, "-c", IMPORT_CHECK], capture_output=True, text=True, cwd=workdir
    )
    if result.returncode:
        sys.exit(f"check_package: {artefact.name} installed but does not import:\n{result.stderr}")
    print(f"check_package: installed {artefact.name}: {result.stdout.strip()}")


# A notebook measured with coverage=True, with ipytest's configuration and with a user's
# that measures everything (`include` lifts coverage.py's exclusion of site-packages).
COVERAGE_CELLS = (
    "import ipytest\nipytest.autoconfig(coverage=True)",
    "import helpers",
    "%%ipytest -q --cov-report=json\ndef test_double():\n    assert helpers.double(2) == 4",
)
COVERAGE_CONFIGS = {"ipytest's": None, "include = *": "[run]\ninclude = *\n"}
PACKAGE_FOLDER = "import ipytest, os; print(os.path.realpath(os.path.dirname(ipytest.__file__)))"


def check_coverage_omits_ipytest(python: str, workdir: Path) -> None:
    """`coverage=True` reports no file of the installed ipytest, and the user's files."""
    run("uv", "pip", "install", "--quiet", "--python", python, "pytest-cov")
    # From the temporary directory, as in check_install: not the clone's ipytest/.
    found = subprocess.run(
        [python, "-c", PACKAGE_FOLDER], check=True, capture_output=True, text=True, cwd=workdir
    )
    package = Path(found.stdout.strip())
    cells = [
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": s}
        for s in COVERAGE_CELLS
    ]
    notebook = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 4}
    for index, (name, rcfile) in enumerate(COVERAGE_CONFIGS.items()):
        folder = workdir / f"coverage-{index}"
        folder.mkdir()
        (folder / "notebook.ipynb").write_text(json.dumps(notebook))
        (folder / "helpers.py").write_text("def double(x):\n    return 2 * x\n")
        if rcfile is not None:
            (folder / ".coveragerc").write_text(rcfile)
        print("+", python, "-m ipytest notebook.ipynb", f"({name} configuration)", flush=True)
        result = subprocess.run(
            [python, "-m", "ipytest", "notebook.ipynb"], capture_output=True, text=True, cwd=folder
        )
        if result.returncode:
            sys.exit(
                f"check_package: the coverage notebook failed:\n{result.stdout}{result.stderr}"
            )
        report = json.loads((folder / "coverage.json").read_text())
        files = [Path(os.path.realpath(folder / name)) for name in report["files"]]
        ours = [str(file) for file in files if package in file.parents]
        if ours:
            sys.exit(f"check_package: coverage=True ({name} configuration) reported {ours}")
        if folder.resolve() / "helpers.py" not in files:
            sys.exit(f"check_package: coverage=True ({name} configuration) missed helpers.py")
        print(f"check_package: coverage=True ({name} configuration) omits {package}")


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        workdir = Path(directory)
        run("uv", "build", "--quiet", "--out-dir", str(workdir / "dist"), str(ROOT))
        (sdist,) = (workdir / "dist").glob("*.tar.gz")
        (wheel,) = (workdir / "dist").glob("*.whl")
        check_sdist(sdist)
        check_wheel(wheel)
        for artefact in (wheel, sdist):
            check_install(artefact, workdir)
        check_coverage_omits_ipytest(str(workdir / "venv-whl" / "bin" / "python"), workdir)


if __name__ == "__main__":
    main()
