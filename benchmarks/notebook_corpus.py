"""Time whole pytest processes over 20 small notebooks: --notebook-test against its peers.

    python benchmarks/notebook_corpus.py [--rounds 10] [--kernel-rounds 3] [--work DIR]

Each tool gets its own virtual environment (made with uv under DIR, default a folder in
the temporary directory; reused by later runs): this plugin (pytest + this checkout of
ipytest), pytest-nb-as-test (which collects every notebook once installed), nbmake and
nbval (`--nbval-lax`). In each environment the same process is also timed over a floor:
20 `.py` test files holding the same code as the notebooks' cells. The corpus: 20
generated notebooks of a few imports, arithmetic, a function, a loop, a markdown cell and
one cell that every tool is told to skip.

Prints the median wall time of each command over the rounds, per notebook, and the
ratios. Bytecode caching is on (PYTHONDONTWRITEBYTECODE is removed), as in a real
install, and one untimed run warms the caches of each command first.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NOTEBOOKS = 20
RETRIES = 1
REPOSITORY = Path(__file__).resolve().parents[1]
PYTHON_VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"

# name -> (packages to install, pytest arguments for the notebook corpus, runs a kernel)
TOOLS = {
    "notebook-test": ([str(REPOSITORY)], ["--notebook-test"], False),
    "pytest-nb-as-test": (["pytest-nb-as-test"], [], False),
    "nbmake": (["nbmake", "ipykernel"], ["--nbmake"], True),
    "nbval-lax": (["nbval", "ipykernel"], ["--nbval-lax", "--nbval-current-env"], True),
}

SKIPPED_CELL = (
    "# notebook-test: test-cell=False\n"
    "# pytest-nb-as-test: test-cell=False\n"
    "raise RuntimeError('this cell is skipped by every tool')"
)
SKIP_TAGS = ["skip-execution", "nbval-skip"]


def cells(index: int) -> list[tuple[str, str]]:
    """The cells of notebook `index`: (cell_type, source)."""
    return [
        ("markdown", f"# Notebook {index}\n\nA small example, as documentation has."),
        ("code", "import math\nimport json\nfrom collections import Counter"),
        ("code", f"base = {index} + 1\nscaled = base * 3 - 2\nratio = scaled / base"),
        (
            "code",
            "def describe(values):\n"
            "    counts = Counter(v % 3 for v in values)\n"
            "    return json.dumps(sorted(counts.items()))",
        ),
        ("code", SKIPPED_CELL),
        (
            "code",
            "total = 0\nfor n in range(200):\n    total += math.isqrt(n) * base\n"
            "summary = describe(range(total % 50 + 10))\nassert total > 0",
        ),
        ("code", "print(base, scaled, round(ratio, 3), summary)"),
    ]


def write_corpus(folder: Path) -> None:
    """20 notebooks in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(NOTEBOOKS):
        notebook_cells = []
        for number, (kind, source) in enumerate(cells(index)):
            cell = {"cell_type": kind, "id": f"c{number}", "metadata": {}, "source": source}
            if kind == "code":
                cell.update(execution_count=None, outputs=[])
                if source == SKIPPED_CELL:
                    cell["metadata"]["tags"] = SKIP_TAGS
            notebook_cells.append(cell)
        notebook = {
            "cells": notebook_cells,
            "metadata": {
                "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
            },
            "nbformat": 4,
            "nbformat_minor": 5,
        }
        (folder / f"notebook_{index:02d}.ipynb").write_text(json.dumps(notebook), "utf-8")


def write_floor(folder: Path) -> None:
    """20 test modules with the code of the notebooks' run cells in one test each."""
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(NOTEBOOKS):
        body = [
            source
            for kind, source in cells(index)
            if kind == "code" and source != SKIPPED_CELL and not source.startswith("import")
        ]
        imports = "import math\nimport json\nfrom collections import Counter\n"
        indented = "\n".join("    " + line for line in "\n".join(body).splitlines())
        (folder / f"test_notebook_{index:02d}.py").write_text(
            f"{imports}\n\ndef test_notebook_{index:02d}():\n{indented}\n", "utf-8"
        )


def ensure_environment(root: Path, name: str, packages: list[str]) -> Path:
    """The Python of the tool's virtual environment, made on first use."""
    venv = root / f"venv-{name}"
    python = venv / "bin" / "python"
    marker = venv / "installed.txt"
    wanted = "\n".join(packages)
    environment = dict(os.environ, UV_PYTHON_DOWNLOADS="never")
    if python.exists() and marker.exists() and marker.read_text("utf-8") == wanted:
        if str(REPOSITORY) in packages:
            # This checkout may have changed since: install it again.
            subprocess.run(
                ["uv", "pip", "install", "--quiet", "--python", str(python),
                 "--reinstall-package", "ipytest", str(REPOSITORY)],
                check=True,
                env=environment,
            )  # fmt: skip
        return python
    subprocess.run(
        ["uv", "venv", "--quiet", "--clear", "--python", PYTHON_VERSION, str(venv)],
        check=True,
        env=environment,
    )
    subprocess.run(
        ["uv", "pip", "install", "--quiet", "--python", str(python), "pytest", *packages],
        check=True,
        env=environment,
    )
    marker.write_text(wanted, "utf-8")
    return python


def time_commands(commands: list[tuple[list[str], Path]], rounds: int) -> list[float]:
    """The median wall time of each `(command, folder)` over `rounds` runs.

    The commands take turns in each round, so that a change in the load of the machine
    affects them alike; one untimed round first warms the caches. A non-zero exit stops
    the benchmark.
    """
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    times: list[list[float]] = [[] for _ in commands]
    for round_number in range(rounds + 1):
        for index, (command, folder) in enumerate(commands):
            for attempt in range(1 + RETRIES):
                started = time.perf_counter()
                result = subprocess.run(
                    command, cwd=folder, env=environment, capture_output=True, text=True
                )
                elapsed = time.perf_counter() - started
                if result.returncode == 0:
                    break
                # A kernel that dies while starting on a loaded machine is a known flake of
                # kernel-based tools: say so, and time the next attempt instead.
                print(
                    f"(attempt {attempt + 1} of {' '.join(command[2:])} exited with "
                    f"{result.returncode}: {result.stdout.strip().splitlines()[-1:]})",
                    file=sys.stderr,
                    flush=True,
                )
            else:
                raise SystemExit(
                    f"{' '.join(command)} in {folder} exited with {result.returncode}:\n"
                    f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
                )
            if round_number:
                times[index].append(elapsed)
    return [statistics.median(measured) for measured in times]


def versions(python: Path, names: list[str]) -> str:
    code = (
        "import importlib.metadata as m, sys\n"
        "for n in sys.argv[1:]:\n"
        "    try: print(f'{n} {m.version(n)}')\n"
        "    except m.PackageNotFoundError: pass\n"
    )
    result = subprocess.run(
        [str(python), "-c", code, *names], capture_output=True, text=True, check=True
    )
    return ", ".join(result.stdout.split("\n")[:-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10, help="timed runs of in-process tools")
    parser.add_argument("--kernel-rounds", type=int, default=3, help="timed runs of kernel tools")
    parser.add_argument(
        "--work",
        type=Path,
        default=Path(tempfile.gettempdir()) / "ipytest-notebook-corpus",
        help="folder for the environments and the corpus",
    )
    parser.add_argument("--tools", nargs="*", default=list(TOOLS), choices=list(TOOLS))
    options = parser.parse_args(argv)

    work: Path = options.work
    corpus, floor = work / "corpus", work / "floor"
    write_corpus(corpus)
    write_floor(floor)

    pytest_args = ["-q", "-p", "no:cacheprovider"]
    pythons = {name: ensure_environment(work, name, TOOLS[name][0]) for name in options.tools}
    results: dict[str, tuple[float, float]] = {}
    for uses_kernel, rounds in ((False, options.rounds), (True, options.kernel_rounds)):
        names = [name for name in options.tools if TOOLS[name][2] is uses_kernel]
        commands = []
        for name in names:
            command = [str(pythons[name]), "-m", "pytest", *pytest_args]
            commands += [([*command, *TOOLS[name][1]], corpus), (command, floor)]
        medians = time_commands(commands, rounds) if commands else []
        for position, name in enumerate(names):
            notebooks, plain = medians[2 * position], medians[2 * position + 1]
            results[name] = (notebooks, plain)
            installed = versions(pythons[name], ["pytest", name.removesuffix("-lax"), "ipytest"])
            print(
                f"{name:18} {notebooks * 1000 / NOTEBOOKS:8.1f} ms/notebook "
                f"(whole run {notebooks:6.2f} s; floor {plain * 1000 / NOTEBOOKS:6.1f} ms/file, "
                f"{notebooks / plain:5.2f}x the floor; median of {rounds}) [{installed}]",
                flush=True,
            )

    if "notebook-test" in results:
        ours = results["notebook-test"][0]
        print()
        for name, (notebooks, _) in results.items():
            if name != "notebook-test":
                print(f"{name:18} takes {notebooks / ours:6.2f}x the time of --notebook-test")
    return 0


if __name__ == "__main__":
    sys.exit(main())
