"""A kernel that stays open all day: one `%%ipytest` cell re-run many times, side by side.

    python benchmarks/soak.py [--reruns 1000] [--tests 10] [--repeat 3] [--work DIR]
                              [--baseline REVISION]

Each side runs in its own virtual environment (made with uv under DIR, default a folder
in the temporary directory, reused by later runs; the same pytest and IPython versions
as this interpreter has, and no other plugin): this checkout of ipytest, optionally a git
revision of it (`--baseline main`: before a change), and the original ipytest 0.14.2. A
side is a fresh process that does what a kernel does, in this order:

1. `pytest.main` on a file holding the cell's tests, `--reruns / 10` times: the "before".
2. The `%%ipytest` cell, `--reruns` times, in a real `InteractiveShell` with
   `store_history=True`, its output written to a stream that discards it (a kernel sends
   it away) and its history in a fresh IPython profile.
3. The same cell without the magic line, as often.
4. `pytest.main` on the file again, as often.

pytest's cache provider is on (it is for users): with it, whatever a run adds to
`.pytest_cache` is read and written again by every later run.

Printed per phase, as the median over `--repeat` processes of each side (and the
range): the time of the last 10% of the runs over the first 10% (CPU time of the
process, less disturbed by other processes on a shared machine than wall time); the
memory kept per run (resident set size, from /proc, Linux only; and Python's allocated
blocks, which fragmentation does not blur); for `pytest.main` also the first 10% after
the cell's runs over the runs before them. Then, counted from the end of the first 10% of
the `%%ipytest` runs to the last, the entries each run left in the registries a run may
grow (`linecache`, IPython's compile cache and output history, `sys.modules`, ...), the
objects the garbage collector tracks, and the full collections per run (each walks every
tracked object: what runs keep makes later runs slower). The sides take turns, so that a
change of the machine's load affects both alike. It asserts nothing.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import gc
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ORIGINAL = "ipytest==0.14.2"
REPOSITORY = Path(__file__).resolve().parents[1]


class Discard(io.TextIOBase):
    """An output stream that drops what is written, as a kernel's is sent away."""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        return len(text)


def resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def tests_source(count: int) -> str:
    return "\n".join(f"def test_{i}():\n    assert {i} + 1 == {i + 1}\n" for i in range(count))


def kept_entries(shell) -> dict[str, float]:
    """The sizes of what a run may leave behind, counted (collected garbage first).

    Per re-run of the cell, IPython itself keeps its history (`In`, `_iN`, the output in
    `history_manager.outputs` since IPython 9) and one `linecache` entry and
    `compile._filename_map` entry per code it compiles: the cell, and the body an
    `%%ipytest` cell runs.
    """
    import linecache
    import warnings

    gc.collect()
    outputs = getattr(shell.history_manager, "outputs", {})
    return {
        "linecache entries": len(linecache.cache),
        "compile._filename_map entries": len(getattr(shell.compile, "_filename_map", {})),
        "history output strings": sum(
            len(output.bundle.get("stream", ())) for cell in outputs.values() for output in cell
        ),
        "sys.modules entries": len(sys.modules),
        "sys.path_importer_cache entries": len(sys.path_importer_cache),
        "warnings.filters entries": len(warnings.filters),
        "gc tracked objects": len(gc.get_objects()),
        "gc.garbage": len(gc.garbage),
    }


def full_collections() -> int:
    return sum(generation["collections"] for generation in gc.get_stats()[2:])


def measured(runs: int, function) -> dict[str, list[float]]:
    """CPU time, wall time, RSS and allocated blocks after each of `runs` calls."""
    samples: dict[str, list[float]] = {"cpu": [], "wall": [], "rss": [], "blocks": []}
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        function()
        samples["cpu"].append(time.process_time() - cpu)
        samples["wall"].append(time.perf_counter() - wall)
        samples["rss"].append(resident_bytes())
        samples["blocks"].append(sys.getallocatedblocks())
    return samples


def worker(reruns: int, tests: int) -> dict:
    """One side's measurements, in this process: the phases of the module docstring."""
    source = tests_source(tests)
    folder = Path(tempfile.mkdtemp(prefix="ipytest-soak-"))
    os.environ["IPYTHONDIR"] = str(folder / "ipython")
    os.chdir(folder)
    (folder / "test_soak.py").write_text(source, encoding="utf-8")

    import pytest
    from IPython.core.interactiveshell import InteractiveShell

    import ipytest

    shell = InteractiveShell.instance()
    file_args = ["-q", "test_soak.py"]
    before = max(reruns // 10, 1)
    results = {}
    with contextlib.redirect_stdout(Discard()), contextlib.redirect_stderr(Discard()):
        shell.run_cell("import ipytest\nipytest.autoconfig()", store_history=True)
        pytest.main(file_args)  # warms the bytecode cache and imports
        results["file before"] = measured(before, lambda: pytest.main(file_args))
        objects = len(gc.get_objects())
        magic = f"%%ipytest\n{source}"
        exit_codes = []

        def run_magic() -> None:
            # Each run's output is kept until the next one, to show the first failure.
            output = io.StringIO()
            with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
                shell.run_cell(magic, store_history=True)
            exit_codes.append(int(ipytest.exit_code))
            if exit_codes[-1] != 0 and "first failure" not in results:
                results["first failure"] = output.getvalue()[-3000:]

        settled = max(reruns // 10, 1)
        results["%%ipytest"] = measured(settled, run_magic)
        kept_before, collections_before = kept_entries(shell), full_collections()
        rest = measured(reruns - settled, run_magic)
        for key, values in rest.items():
            results["%%ipytest"][key] += values
        results["kept"] = {
            key: (value - kept_before[key]) / max(reruns - settled, 1)
            for key, value in kept_entries(shell).items()
        }
        results["kept"]["full gc collections"] = (full_collections() - collections_before) / max(
            reruns - settled, 1
        )
        results["%%ipytest"]["gc objects"] = [float(len(gc.get_objects()) - objects)]
        results["no magic"] = measured(reruns, lambda: shell.run_cell(source, store_history=True))
        results["file after"] = measured(reruns, lambda: pytest.main(file_args))
    results["exit codes"] = sorted(set(exit_codes))
    shell.atexit_operations()
    atexit.unregister(shell.atexit_operations)
    os.chdir(tempfile.gettempdir())
    shutil.rmtree(folder, ignore_errors=True)
    results["version"] = (
        f"pytest {pytest.__version__}, IPython {sys.modules['IPython'].__version__}"
    )
    return results


def summary(results: dict) -> dict[str, float]:
    """The figures of one side's process."""

    def decile(samples: list[float], last: bool) -> float:
        count = max(len(samples) // 10, 1)
        return statistics.median(samples[-count:] if last else samples[:count])

    def kept_per_run(samples: list[float]) -> float:
        # From the end of the first 10% (imports and caches settle) to the last run.
        start = max(len(samples) // 10, 1) - 1
        return (samples[-1] - samples[start]) / (len(samples) - 1 - start)

    figures = {}
    for phase in ("%%ipytest", "no magic", "file after"):
        samples = results[phase]
        figures[f"{phase}: last/first (cpu)"] = decile(samples["cpu"], True) / decile(
            samples["cpu"], False
        )
        figures[f"{phase}: last/first (wall)"] = decile(samples["wall"], True) / decile(
            samples["wall"], False
        )
        figures[f"{phase}: KiB kept per run"] = kept_per_run(samples["rss"]) / 1024
        figures[f"{phase}: blocks kept per run"] = kept_per_run(samples["blocks"])
        figures[f"{phase}: ms per run (first 10%, cpu)"] = decile(samples["cpu"], False) * 1e3
    for key, value in results["kept"].items():
        figures[f"%%ipytest: {key} per run"] = value
    runs = len(results["%%ipytest"]["cpu"])
    figures["%%ipytest: gc objects kept per run"] = results["%%ipytest"]["gc objects"][0] / runs
    figures["file: after (first 10%) / before (cpu)"] = decile(
        results["file after"]["cpu"], False
    ) / statistics.median(results["file before"]["cpu"])
    return figures


def ensure_environment(root: Path, name: str, packages: list[str]) -> Path:
    """The Python of a virtual environment with `packages`, made on first use."""
    venv = root / f"venv-{name}"
    python = venv / "bin" / "python"
    marker = venv / "installed.txt"
    wanted = "\n".join(packages)
    environment = dict(os.environ, UV_PYTHON_DOWNLOADS="never")
    install = ["uv", "pip", "install", "--quiet", "--python", str(python)]
    if not (python.exists() and marker.exists() and marker.read_text("utf-8") == wanted):
        version = f"{sys.version_info.major}.{sys.version_info.minor}"
        subprocess.run(
            ["uv", "venv", "--quiet", "--clear", "--python", version, str(venv)],
            check=True,
            env=environment,
        )
        subprocess.run([*install, *packages], check=True, env=environment)
        marker.write_text(wanted, "utf-8")
    else:
        # A checkout may have changed since: install it again.
        for package in packages:
            if Path(package).is_dir():
                subprocess.run(
                    [*install, "--reinstall-package", "ipytest", package],
                    check=True,
                    env=environment,
                )
    return python


def export_revision(revision: str, folder: Path) -> Path:
    """The files of `revision` of this repository, in `folder` (emptied first)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(REPOSITORY), "archive", "--format=tar", revision],
        check=True,
        capture_output=True,
    )
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(folder, filter="data")
    return folder


# Variables that would change what a side's process imports. IPython adds the site-packages
# of $VIRTUAL_ENV to sys.path when it differs from its own (`uv run` sets it): the side
# would load the plugins of this project's development environment.
FOREIGN_VARIABLES = ("PYTHONDONTWRITEBYTECODE", "VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")


def run_side(python: Path, reruns: int, tests: int) -> dict:
    environment = {k: v for k, v in os.environ.items() if k not in FOREIGN_VARIABLES}
    completed = subprocess.run(
        [str(python), __file__, "--worker", "--reruns", str(reruns), "--tests", str(tests)],
        capture_output=True,
        text=True,
        env=environment,
        cwd=tempfile.gettempdir(),
    )
    if completed.returncode != 0:
        raise SystemExit(
            f"{python} failed:\n{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}"
        )
    return json.loads(completed.stdout.splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reruns", type=int, default=1000)
    parser.add_argument("--tests", type=int, default=10, help="tests in the cell")
    parser.add_argument("--repeat", type=int, default=3, help="processes per side")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "ipytest-soak")
    parser.add_argument(
        "--baseline",
        metavar="REVISION",
        help="also measure this git revision of the project, e.g. main (before a change)",
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)

    if options.worker:
        results = worker(options.reruns, options.tests)
        print(json.dumps(results))
        return 0

    from importlib.metadata import version

    pins = [f"pytest=={version('pytest')}", f"ipython=={version('ipython')}"]
    sides = {"this project": ensure_environment(options.work, "this", [str(REPOSITORY), *pins])}
    if options.baseline:
        source = export_revision(options.baseline, options.work / "baseline-source")
        sides[options.baseline] = ensure_environment(options.work, "baseline", [str(source), *pins])
    sides["ipytest 0.14.2"] = ensure_environment(options.work, "original", [ORIGINAL, *pins])
    figures: dict[str, list[dict[str, float]]] = {name: [] for name in sides}
    exit_codes: dict[str, set] = {name: set() for name in sides}
    for round_number in range(options.repeat):
        for name, python in sides.items():
            started = time.perf_counter()
            results = run_side(python, options.reruns, options.tests)
            figures[name].append(summary(results))
            exit_codes[name].update(results["exit codes"])
            if "first failure" in results:
                print(f"{name}: a run failed:\n{results['first failure']}", file=sys.stderr)
            print(
                f"(round {round_number + 1}, {name}: {time.perf_counter() - started:.0f} s, "
                f"{results['version']})",
                file=sys.stderr,
                flush=True,
            )

    print(
        f"{options.reruns} re-runs of a {options.tests}-test cell; median of {options.repeat} "
        "processes per side [range]"
    )
    print(f"{'':48}" + "".join(f"{name:>26}" for name in sides))
    for key in figures["this project"][0]:
        row = f"{key:48}"
        for name in sides:
            values = [result[key] for result in figures[name]]
            row += f"{statistics.median(values):>10.2f} [{min(values):5.2f}, {max(values):5.2f}]"
        print(row)
    print(f"exit codes of the %%ipytest runs: {exit_codes}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
