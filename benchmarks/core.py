"""Speed of the core: an %%ipytest cell against pytest.main on a file, assertion rewriting.

    uv run python benchmarks/core.py [--rounds N] [--counts 10 100 1000] [--profile N]

Prints medians of the CPU time of this process, and ratios; it asserts nothing. Everything
runs in this process, in a fresh temporary directory, with bytecode caching on (as a
user's machine has it), cells run with `store_history=True` as a kernel runs them,
pytest's cache provider on (as users have it), and the output written to a stream that
discards it.

1. One `%%ipytest` cell defining and running N trivial tests, against `pytest.main` on a
   file with the same tests (the floor), for each N of `--counts`. The two take turns in
   each round. `--profile N` prints where the time of the cell with N tests goes.
2. Defining the 1000 tests in a cell with assertion rewriting, against rewriting off, and
   against pytest's own rewriter as an AST transformer.

Run with `uv run`, the figures include the plugins of the development environment
(pytest-asyncio, hypothesis, nbval, ...), whose cost per session and per test is in both
sides. For a plain installation (pytest, IPython, ipytest), run it with the Python of the
environment `benchmarks/soak.py` makes: `$TMPDIR/ipytest-soak/venv-this/bin/python
benchmarks/core.py`; `venv-original` measures ipytest 0.14.2 the same way (part 1).

Re-running one cell for a long time is measured by `benchmarks/soak.py`.
"""

from __future__ import annotations

import argparse
import ast
import atexit
import contextlib
import cProfile
import io
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path


def tests_source(count: int) -> str:
    return "\n".join(f"def test_{i}():\n    assert {i} + 1 == {i + 1}\n" for i in range(count))


def timed(function) -> float:
    """The CPU time of this process spent in `function`: on a shared machine, other
    processes disturb it less than the wall time."""
    start = time.process_time()
    function()
    return time.process_time() - start


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1e3


class Discard(io.TextIOBase):
    """An output stream that drops what is written, as a kernel's is sent away."""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        return len(text)


@contextlib.contextmanager
def quiet():
    with contextlib.redirect_stdout(Discard()), contextlib.redirect_stderr(Discard()):
        yield


def close_shell() -> None:
    """Shut the shell down now, as IPython would at exit (it closes its history)."""
    from IPython.core.interactiveshell import InteractiveShell

    if InteractiveShell.initialized():
        shell = InteractiveShell.instance()
        shell.atexit_operations()
        atexit.unregister(shell.atexit_operations)
        InteractiveShell.clear_instance()


def make_shell():
    from IPython.core.interactiveshell import InteractiveShell

    close_shell()
    shell = InteractiveShell.instance()
    shell.run_cell("import ipytest\nipytest.autoconfig(addopts=['-q'])", store_history=True)
    return shell


def cell_against_file(rounds: int, counts: list[int], profile: int | None) -> None:
    import pytest

    import ipytest

    print("1. %%ipytest cell against pytest.main on a file (median CPU ms)")
    # One shell for every count: ipytest 0.14.2 registers its magic in the first shell of
    # a process only, so in a second one the cell would fail at once and look fast.
    shell = make_shell()
    for count in counts:
        source = tests_source(count)
        path = Path(f"test_floor_{count}.py")
        path.write_text(source)
        cell = f"%%ipytest\n{source}"
        file_args = ["-q", str(path)]
        magic, floor = [], []
        with quiet():
            pytest.main(file_args)  # warms the pyc cache
            shell.run_cell(cell, store_history=True)
        if ipytest.exit_code != 0:
            raise SystemExit(f"the %%ipytest cell of {count} tests failed: nothing to measure")
        with quiet():
            for _ in range(rounds):
                floor.append(timed(lambda a=file_args: pytest.main(a)))
                magic.append(timed(lambda s=shell, c=cell: s.run_cell(c, store_history=True)))
            if count == profile:
                profiler = cProfile.Profile()
                profiler.runcall(shell.run_cell, cell, store_history=True)
        ratio = median_ms(magic) / median_ms(floor)
        # The spread: quartiles of the ratios of the runs that took turns.
        low, _, high = statistics.quantiles([m / f for m, f in zip(magic, floor, strict=True)], n=4)
        print(
            f"   {count:5d} tests: %%ipytest {median_ms(magic):8.1f}   "
            f"pytest.main {median_ms(floor):8.1f}   ratio {ratio:.2f}x "
            f"(quartiles of the rounds' ratios {low:.2f}-{high:.2f})"
        )
        if count == profile:
            pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


class PytestRewriter(ast.NodeTransformer):
    def visit(self, node):
        from _pytest.assertion.rewrite import rewrite_asserts

        rewrite_asserts(node, b"")
        return node


def rewriting(rounds: int) -> None:
    import ipytest

    print("2. defining 1000 tests in a cell (median CPU ms)")
    source = tests_source(1000)
    results = {}
    for label, options in [
        ("rewriting off", {"rewrite_asserts": False}),
        ("ipytest", {"rewrite_asserts": True}),
        ("pytest's rewriter", {"rewrite_asserts": False}),
    ]:
        shell = make_shell()
        ipytest.config(**options)
        if label == "pytest's rewriter":
            shell.ast_transformers.append(PytestRewriter())
        with quiet():
            results[label] = median_ms(
                [timed(lambda s=shell: s.run_cell(source)) for _ in range(rounds)]
            )
    plain = results["rewriting off"]
    for label, value in results.items():
        print(f"   {label:18s} {value:8.1f}   {value / plain:.2f}x rewriting off")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--counts", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--profile", type=int, metavar="N", help="profile the cell of N tests")
    options = parser.parse_args()

    sys.dont_write_bytecode = False
    start = os.getcwd()
    with tempfile.TemporaryDirectory() as directory:
        os.chdir(directory)
        sys.path.insert(0, directory)
        # The shells' history goes to a profile of their own, not the user's.
        os.environ["IPYTHONDIR"] = os.path.join(directory, "ipython")
        try:
            cell_against_file(options.rounds, options.counts, options.profile)
            rewriting(options.rounds)
        finally:
            close_shell()
            os.chdir(start)


if __name__ == "__main__":
    main()
