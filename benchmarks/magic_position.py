"""Cost per cell of the check for an `%%ipytest` line below a cell's first line.

    uv run python benchmarks/magic_position.py [--rounds N]

`autoconfig()` adds an input transformer that every cell passes through. This times
IPython's transformation of ordinary cells (what every cell pays) and `run_cell` of a
small cell, each with the check and without it (alternating), and prints medians and
ratios; it asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import time

CELLS = {
    "one line": "x = 1\n",
    "50-line function": "def f(a, b):\n" + "    a = a + b  # a comment\n" * 48 + "    return a\n",
    "500 lines": "y = [i * 2 for i in range(10)]\n" * 500,
    "cell magic": "%%ipytest -q\n" + "def test_x():\n    assert 1 + 1 == 2\n" * 20,
}


def timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2000)
    rounds = parser.parse_args().rounds

    from IPython.core.interactiveshell import InteractiveShell

    import ipytest
    from ipytest._magic_position import MisplacedMagicCheck

    shell = InteractiveShell.instance()
    ipytest.autoconfig(rewrite_asserts=False)

    def measure(function) -> tuple[float, float]:
        # Alternating, so that a machine busy with other work slows both alike.
        with_check, without = [], []
        for _ in range(rounds):
            with_check.append(timed(function))
            MisplacedMagicCheck.unregister_with_shell(shell)
            without.append(timed(function))
            MisplacedMagicCheck.register_with_shell(shell)
        return statistics.median(with_check) * 1e6, statistics.median(without) * 1e6

    print(f"medians of {rounds} rounds, microseconds: with the check / without = ratio")
    for name, source in CELLS.items():
        with_check, without = measure(lambda source=source: shell.transform_cell(source))
        report(f"transform_cell, {name}", with_check, without)
    with_check, without = measure(lambda: shell.run_cell("x = 1", store_history=False))
    report("run_cell, one line", with_check, without)


def report(label: str, with_check: float, without: float) -> None:
    print(f"{label:34} {with_check:9.1f} / {without:9.1f} = {with_check / without:.3f}")


if __name__ == "__main__":
    main()
