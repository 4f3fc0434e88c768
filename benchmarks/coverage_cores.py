"""What `%%ipytest --cov` costs on each coverage.py core, beside pytest-cov and the original.

    python benchmarks/coverage_cores.py [--rounds 7] [--python 3.13] [--work DIR]
                                        [--baseline CHECKOUT]

Makes two virtual environments (with uv, under DIR; reused by later runs) of the same
Python, pytest, pytest-cov, coverage.py, IPython and ipykernel: one with this checkout of
ipytest, one with the original ipytest 0.14.2. In each, for each core (`COVERAGE_CORE=
ctrace` and `sysmon`), a worker process times, in a real IPython InteractiveShell whose
cells are named as ipykernel names them (both ipytest versions recognise those):

- a cell of 100 tests run by `%%ipytest -q`, and by `%%ipytest -q --cov --cov-report=json`
  with a `.coveragerc` that loads the `ipytest.cov` plugin;
- the same tests as a `.py` file run by `pytest.main`, without and with
  `--cov --cov-report=json` (pytest-cov's own cost, the floor).

`--baseline` adds a third environment with another checkout of ipytest (another branch
in a git worktree, say), to compare a change with what it changes.

Times are CPU times of the worker process (on a shared machine, wall time varies with
the load of others more than with what is measured). It prints medians, and the median
of each round's ratio (runs close in time share the
load of the machine), side by side, and whether the report holds the cells
(the original's file tracer does not run on `sysmon`). The aims of the issue on coverage
cores: with the C tracer, the cell's ratio at most pytest-cov's ratio on the file + 0.05;
with sys.monitoring at most 1.3x.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

TESTS = 100
REPOSITORY = Path(__file__).resolve().parents[1]
ORIGINAL = "ipytest==0.14.2"
CORES = ("ctrace", "sysmon")
# Installed in both environments, at the versions the first environment resolved.
SHARED = ["pytest", "pytest-cov", "coverage", "ipython", "ipykernel"]
RCFILE = "[run]\nplugins =\n    ipytest.cov\nomit =\n    */ipytest/*\n"
CELL = "\n".join(
    f"def helper_{i}(x):\n    return x + {i}\n\n"
    f"def test_{i}():\n    assert helper_{i}(1) == {i + 1}\n"
    for i in range(TESTS)
)
FILE_MODULE = "test_coverage_cores"
# The CPU time of the process: on a shared machine, wall time mostly measures the load of
# the other processes (every variant here runs in this one thread).
CLOCK = time.process_time


# --- the worker: runs inside one environment, under one core ------------------------------


def quiet():
    stack = contextlib.ExitStack()
    stack.enter_context(contextlib.redirect_stdout(io.StringIO()))
    stack.enter_context(contextlib.redirect_stderr(io.StringIO()))
    return stack


def worker(rounds: int) -> None:
    import warnings

    import pytest
    from ipykernel.compiler import XCachingCompiler
    from IPython.core.interactiveshell import InteractiveShell

    import ipytest

    warnings.simplefilter("ignore")
    cell_dir = Path(tempfile.mkdtemp(prefix="cells-"))
    file_dir = Path(tempfile.mkdtemp(prefix="file-"))
    (cell_dir / ".coveragerc").write_text(RCFILE, encoding="utf-8")
    test_file = file_dir / f"{FILE_MODULE}.py"
    test_file.write_text(CELL, encoding="utf-8")

    os.chdir(cell_dir)
    shell = InteractiveShell.instance()
    # Cells named as in Jupyter: <tmp>/ipykernel_<pid>/<hash>.py.
    shell.compile.get_code_name = types.MethodType(XCachingCompiler.get_code_name, shell.compile)
    ipytest.autoconfig()

    def run_cell(source: str) -> float:
        os.chdir(cell_dir)
        with quiet():
            started = CLOCK()
            result = shell.run_cell(source)
            elapsed = CLOCK() - started
        if not result.success or ipytest.exit_code != 0:
            raise SystemExit(f"the cell failed ({ipytest.exit_code}): {result.error_in_exec}")
        return elapsed

    def run_file(*extra: str) -> float:
        os.chdir(file_dir)
        sys.modules.pop(FILE_MODULE, None)
        with quiet():
            started = CLOCK()
            code = pytest.main([str(test_file), "-q", "-p", "no:cacheprovider", *extra])
            elapsed = CLOCK() - started
        if code != 0:
            raise SystemExit(f"pytest on the file exited with {code}")
        return elapsed

    variants = {
        "cell": lambda: run_cell(f"%%ipytest -q\n{CELL}"),
        "cell --cov": lambda: run_cell(f"%%ipytest -q --cov --cov-report=json\n{CELL}"),
        "file": lambda: run_file(),
        "file --cov": lambda: run_file("--cov", "--cov-report=json"),
    }
    times: dict[str, list[float]] = {name: [] for name in variants}
    names = list(variants)
    for round_number in range(rounds + 1):
        # Every other round in reverse order, so that no variant always follows another.
        for name in names if round_number % 2 else reversed(names):
            elapsed = variants[name]()
            if round_number:
                times[name].append(elapsed)
    # Without its plugin's file tracer (sysmon and the original), coverage.py may have no
    # data to report and writes no report at all.
    report_file = cell_dir / "coverage.json"
    report = json.loads(report_file.read_text("utf-8")) if report_file.exists() else {"files": {}}
    cells = [name for name in report["files"] if "ipykernel_" in name or name.startswith("In[")]
    print(
        json.dumps(
            {
                "medians": {name: statistics.median(values) for name, values in times.items()},
                # Each round's own ratios: runs close in time share the machine's load.
                "ratios": {
                    kind: statistics.median(
                        measured / plain
                        for measured, plain in zip(times[f"{kind} --cov"], times[kind], strict=True)
                    )
                    for kind in ("cell", "file")
                },
                "cells_reported": len(cells),
            }
        )
    )


# --- the parent: environments, workers, the table ---------------------------------------


def uv(*args: str) -> None:
    subprocess.run(["uv", *args], check=True, env=dict(os.environ, UV_PYTHON_DOWNLOADS="never"))


def find_python(version: str) -> str:
    """An interpreter of `version`: pyenv's (as .ci/matrix finds them), else uv's choice."""
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        listed = subprocess.run(
            ["pyenv", "versions", "--bare"], capture_output=True, text=True, check=True
        ).stdout.split()
        for full in listed:
            if full == version or full.startswith(f"{version}."):
                prefix = subprocess.run(
                    ["pyenv", "prefix", full], capture_output=True, text=True, check=True
                ).stdout.strip()
                candidate = Path(prefix) / "bin" / f"python{version}"
                if candidate.exists():
                    return str(candidate)
    return version


def environment(root: Path, name: str, python: str, packages: list[str]) -> Path:
    """The Python of a virtual environment with `packages`, made on first use."""
    venv = root / f"venv-{name}-{python}"
    executable = venv / "bin" / "python"
    marker = venv / "installed.txt"
    wanted = "\n".join(packages)
    if not (executable.exists() and marker.exists() and marker.read_text("utf-8") == wanted):
        uv("venv", "--quiet", "--clear", "--python", find_python(python), str(venv))
        uv("pip", "install", "--quiet", "--python", str(executable), *packages)
        marker.write_text(wanted, "utf-8")
    if str(REPOSITORY) in packages:
        # This checkout may have changed since: install it again.
        uv("pip", "install", "--quiet", "--python", str(executable), "--reinstall-package",
           "ipytest", str(REPOSITORY))  # fmt: skip
    return executable


def installed_versions(python: Path, names: list[str]) -> dict[str, str]:
    code = "import importlib.metadata as m, sys\nfor n in sys.argv[1:]: print(n, m.version(n))"
    result = subprocess.run(
        [str(python), "-c", code, *names], capture_output=True, text=True, check=True
    )
    return dict(line.split(" ", 1) for line in result.stdout.splitlines())


def run_worker(python: Path, core: str, rounds: int) -> dict:
    result = subprocess.run(
        [str(python), __file__, "--worker", "--rounds", str(rounds)],
        capture_output=True,
        text=True,
        cwd=tempfile.gettempdir(),
        env={
            **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
            "COVERAGE_CORE": core,
        },
    )
    if result.returncode != 0:
        raise SystemExit(f"the worker failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--python", default="3.13", help="a Python with sys.monitoring (3.12+)")
    parser.add_argument(
        "--work", type=Path, default=Path(tempfile.gettempdir()) / "ipytest-coverage-cores"
    )
    parser.add_argument("--baseline", type=Path, help="another checkout of ipytest to time too")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.worker:
        worker(options.rounds)
        return 0

    options.work.mkdir(parents=True, exist_ok=True)
    ours = environment(options.work, "ipytest", options.python, [str(REPOSITORY), *SHARED])
    pins = installed_versions(ours, SHARED)
    original = environment(
        options.work,
        "original",
        options.python,
        [ORIGINAL, *(f"{name}=={version}" for name, version in pins.items())],
    )
    environments = {"this ipytest": ours, "ipytest 0.14.2": original}
    if options.baseline is not None:
        baseline = environment(
            options.work,
            "baseline",
            options.python,
            [str(options.baseline.resolve()), *(f"{n}=={v}" for n, v in pins.items())],
        )
        # Installed from a folder: install it again, it may have changed since.
        uv("pip", "install", "--quiet", "--python", str(baseline), "--reinstall-package",
           "ipytest", str(options.baseline.resolve()))  # fmt: skip
        environments[f"baseline {options.baseline.name}"] = baseline
    print(
        f"{TESTS} tests, median of {options.rounds} rounds, Python {options.python}, "
        + ", ".join(f"{name} {version}" for name, version in pins.items())
    )
    header = (
        f"{'':28}{'cell':>9}{'cell --cov':>12}{'ratio':>8}"
        f"{'file':>9}{'file --cov':>12}{'ratio':>8}  cells reported"
    )
    print(header)
    for core in CORES:
        for name, python in environments.items():
            result = run_worker(python, core, options.rounds)
            m = result["medians"]
            cell_ratio, file_ratio = result["ratios"]["cell"], result["ratios"]["file"]
            print(
                f"{core + ' ' + name:28}{m['cell'] * 1000:7.1f}ms{m['cell --cov'] * 1000:10.1f}ms"
                f"{cell_ratio:7.2f}x{m['file'] * 1000:7.1f}ms{m['file --cov'] * 1000:10.1f}ms"
                f"{file_ratio:7.2f}x  {'yes' if result['cells_reported'] else 'NO'}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
