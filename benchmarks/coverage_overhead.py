"""How much `%%ipytest --cov` costs over `%%ipytest`, on a cell of 100 tests.

Runs both in a real IPython InteractiveShell (cells named as in Jupyter, with
`ipytest.cov.name_cells_as_files`), in a temporary folder whose `.coveragerc` loads the
`ipytest.cov` plugin, and prints the median of several rounds, the ratios, and where the
extra time goes: pytest-cov's start and finish (timed), recording the cell's code (a run
without it), and the tracing while pytest runs (what remains; cProfile cannot see the C
tracer, `--profile` prints it anyway). The original ipytest costs 1.56-1.68x here; the
aim is 1.3x.

    uv run python benchmarks/coverage_overhead.py [--rounds N] [--profile]
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


@contextlib.contextmanager
def timed_methods(cls: type, names: list[str], into: dict[str, list[float]]):
    """Time calls of the methods `names` of `cls` (pytest-cov's phases) into `into`."""
    originals = {name: getattr(cls, name) for name in names}

    def timer(name: str, method):
        def wrapper(self, *args, **kwargs):
            start = time.perf_counter()
            try:
                return method(self, *args, **kwargs)
            finally:
                into.setdefault(name, []).append(time.perf_counter() - start)

        return wrapper

    for name, method in originals.items():
        setattr(cls, name, timer(name, method))
    try:
        yield
    finally:
        for name, method in originals.items():
            setattr(cls, name, method)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--profile", action="store_true", help="also print a cProfile")
    options = parser.parse_args()

    from IPython.core.interactiveshell import InteractiveShell
    from pytest_cov.engine import Central, CovController

    import ipytest
    import ipytest.cov
    from ipytest import _impl

    workdir = tempfile.mkdtemp()
    os.chdir(workdir)
    with open(".coveragerc", "w", encoding="utf-8") as file:
        file.write(RCFILE)
    shell = InteractiveShell.instance()
    ipytest.autoconfig()
    ipytest.cov.name_cells_as_files(shell)

    plain = f"%%ipytest -q\n{CELL}"
    measured = f"%%ipytest -q --cov --cov-report=\n{CELL}"
    reported = f"%%ipytest -q --cov --cov-report=term\n{CELL}"
    variants = {
        "%%ipytest": plain,
        "%%ipytest --cov": measured,
        "  ... --cov-report=term": reported,
    }
    for source in variants.values():
        run_cell(shell, source)  # warm up imports and caches
    timings: dict[str, list[float]] = {name: [] for name in variants}
    timings["  ... without recording the cell"] = []
    phases: dict[str, list[float]] = {}
    requested = _impl.coverage_requested
    for _ in range(options.rounds):
        for name, source in variants.items():
            with (
                timed_methods(Central, ["start", "finish"], phases),
                timed_methods(CovController, ["summary"], phases),
            ):
                timings[name].append(run_cell(shell, source))
            if ipytest.exit_code != 0:
                raise SystemExit(f"{name}: pytest exited with {ipytest.exit_code}")
        _impl.coverage_requested = lambda *args: False
        try:
            timings["  ... without recording the cell"].append(run_cell(shell, measured))
        finally:
            _impl.coverage_requested = requested

    medians = {name: statistics.median(values) for name, values in timings.items()}
    base = medians["%%ipytest"]
    print(f"{TESTS} tests, median of {options.rounds} rounds, Python {sys.version.split()[0]}")
    for name, median in medians.items():
        print(f"  {name:<36} {median * 1000:8.1f} ms   {median / base:5.2f}x")

    start = statistics.median(phases["start"])
    finish = statistics.median(phases["finish"])
    report = statistics.median(phases.get("summary", [0.0]))
    recording = medians["%%ipytest --cov"] - medians["  ... without recording the cell"]
    tracing = medians["  ... without recording the cell"] - base - start - finish
    print("\nWhere the extra time of `%%ipytest --cov` goes (medians, ms):")
    print(f"  pytest-cov start (two coverage.py instances)  {start * 1000:7.1f}")
    print(f"  pytest-cov finish (save, combine)             {finish * 1000:7.1f}")
    print(f"  tracing while pytest runs (the rest)          {tracing * 1000:7.1f}")
    print(f"  recording the %%ipytest cell's code           {recording * 1000:7.1f}")
    print(f"  a term report, when asked for                 {report * 1000:7.1f}")

    if options.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        run_cell(shell, measured)
        profiler.disable()
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text).sort_stats("cumulative")
        stats.print_stats(r"(coverage|pytest_cov|ipytest)[/\\]", 25)
        print(text.getvalue())


if __name__ == "__main__":
    main()
