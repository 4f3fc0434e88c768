"""How much `%%ipytest --cov` costs over `%%ipytest`, on a cell of 100 tests.

Runs both in a real IPython InteractiveShell (cells named as in Jupyter, with
`ipytest.cov.name_cells_as_files`), in a temporary folder whose `.coveragerc` loads the
`ipytest.cov` plugin, and prints the median of several rounds, the ratio, and a
profile of one `--cov` run. The original ipytest costs 1.56-1.68x here; the aim is 1.3x.

    uv run python benchmarks/coverage_overhead.py [--rounds N]
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import os
import pstats
import statistics
import sys
import tempfile
import time

TESTS = 100
CELL = "\n".join(
    f"def helper_{i}(x):\n    return x + {i}\n\n"
    f"def test_{i}():\n    assert helper_{i}(1) == {i + 1}\n"
    for i in range(TESTS)
)
# ipytest's own files are omitted: installed as users install it (not editable), they
# are third-party code that coverage.py does not measure anyway.
RCFILE = "[run]\nplugins =\n    ipytest.cov\nomit =\n    */ipytest/*\n"


def run_cell(shell, source: str) -> float:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        start = time.perf_counter()
        result = shell.run_cell(source)
        elapsed = time.perf_counter() - start
    if not result.success:
        raise SystemExit(f"the cell failed: {result.error_in_exec or result.error_before_exec}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    options = parser.parse_args()

    from IPython.core.interactiveshell import InteractiveShell

    import ipytest
    import ipytest.cov

    workdir = tempfile.mkdtemp()
    os.chdir(workdir)
    with open(".coveragerc", "w", encoding="utf-8") as file:
        file.write(RCFILE)
    shell = InteractiveShell.instance()
    ipytest.autoconfig()
    ipytest.cov.name_cells_as_files(shell)

    variants = {
        "%%ipytest": f"%%ipytest -q\n{CELL}",
        "%%ipytest --cov": f"%%ipytest -q --cov --cov-report=\n{CELL}",
        "%%ipytest --cov --cov-report=term": f"%%ipytest -q --cov\n{CELL}",
    }
    for source in variants.values():
        run_cell(shell, source)  # warm up imports and caches
    timings: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(options.rounds):
        for name, source in variants.items():
            timings[name].append(run_cell(shell, source))
            if ipytest.exit_code != 0:
                raise SystemExit(f"{name}: pytest exited with {ipytest.exit_code}")

    base = statistics.median(timings["%%ipytest"])
    print(f"{TESTS} tests, median of {options.rounds} rounds, Python {sys.version.split()[0]}")
    for name, values in timings.items():
        median = statistics.median(values)
        print(f"  {name:<36} {median * 1000:8.1f} ms   {median / base:5.2f}x")

    profiler = cProfile.Profile()
    profiler.enable()
    run_cell(shell, variants["%%ipytest --cov"])
    profiler.disable()
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text).sort_stats("cumulative")
    stats.print_stats(r"(coverage|pytest_cov|ipytest)[/\\]", 25)
    print("\nWhere the time of one `%%ipytest --cov` run goes (cumulative):")
    print(text.getvalue())


if __name__ == "__main__":
    main()
