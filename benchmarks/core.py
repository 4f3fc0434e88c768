"""Speed of the core: an %%ipytest cell against pytest.main, reruns, assertion rewriting.

    uv run python benchmarks/core.py [--rounds N] [--reruns N]

Prints medians and ratios; it asserts nothing. Everything runs in this process, in a
fresh temporary directory, with bytecode caching on (as a user's machine has it), and
with the output of pytest discarded.

1. One `%%ipytest` cell defining and running 1 and 1000 trivial tests, against
   `pytest.main` on a file with the same tests (the floor).
2. One `%%ipytest` cell run N times (stored in history, as a kernel does): median of the
   last 20 runs against the first 20.
3. Defining the 1000 tests in a cell with assertion rewriting, against rewriting off, and
   against pytest's own rewriter as an AST transformer.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path


def tests_source(count: int) -> str:
    return "\n".join(f"def test_{i}():\n    assert {i} + 1 == {i + 1}\n" for i in range(count))


def timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1e3


@contextlib.contextmanager
def quiet():
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        yield


def make_shell():
    from IPython.core.interactiveshell import InteractiveShell

    InteractiveShell.clear_instance()
    shell = InteractiveShell.instance()
    shell.run_cell("import ipytest\nipytest.autoconfig(addopts=['-q', '-p', 'no:cacheprovider'])")
    return shell


def cell_against_file(rounds: int) -> None:
    import pytest

    print("1. %%ipytest cell against pytest.main on a file (median ms)")
    for count in (1, 1000):
        source = tests_source(count)
        path = Path(f"test_floor_{count}.py")
        path.write_text(source)
        shell = make_shell()
        cell = f"%%ipytest\n{source}"
        magic, floor = [], []
        with quiet():
            pytest.main(["-q", "-p", "no:cacheprovider", str(path)])  # warm the pyc cache
            for _ in range(rounds):
                floor.append(
                    timed(lambda p=path: pytest.main(["-q", "-p", "no:cacheprovider", str(p)]))
                )
                magic.append(timed(lambda s=shell, c=cell: s.run_cell(c)))
        ratio = median_ms(magic) / median_ms(floor)
        print(
            f"   {count:5d} tests: %%ipytest {median_ms(magic):8.1f}   "
            f"pytest.main {median_ms(floor):8.1f}   ratio {ratio:.2f}x"
        )


def reruns(count: int) -> None:
    print(f"2. one %%ipytest cell run {count} times, stored in history (median ms)")
    shell = make_shell()
    cell = "%%ipytest\n" + tests_source(10)
    samples = []
    with quiet():
        for _ in range(count):
            samples.append(timed(lambda: shell.run_cell(cell, store_history=True)))
    first, last = median_ms(samples[:20]), median_ms(samples[-20:])
    print(f"   first 20 {first:.1f}   last 20 {last:.1f}   ratio {last / first:.2f}x")


class PytestRewriter(ast.NodeTransformer):
    def visit(self, node):
        from _pytest.assertion.rewrite import rewrite_asserts

        rewrite_asserts(node, b"")
        return node


def rewriting(rounds: int) -> None:
    import ipytest

    print("3. defining 1000 tests in a cell (median ms)")
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
    parser.add_argument("--reruns", type=int, default=200)
    options = parser.parse_args()

    from IPython.core.interactiveshell import InteractiveShell

    sys.dont_write_bytecode = False
    start = os.getcwd()
    with tempfile.TemporaryDirectory() as directory:
        os.chdir(directory)
        sys.path.insert(0, directory)
        try:
            cell_against_file(options.rounds)
            reruns(options.reruns)
            rewriting(options.rounds)
        finally:
            InteractiveShell.clear_instance()
            os.chdir(start)


if __name__ == "__main__":
    main()
