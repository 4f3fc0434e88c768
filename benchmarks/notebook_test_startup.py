"""What installing ipytest adds to every pytest start, timed.

    python benchmarks/notebook_test_startup.py [--runs 40] [--work DIR]

Times two pytest starts, `python -m pytest --version` and `python -m pytest
--collect-only -q` in an empty folder (which loads every installed plugin and configures
them; pytest 8 and later answer `--version` before loading plugins), in three setups,
taking turns so that the load of the machine affects them alike: a virtual environment
with pytest only, one with pytest and this checkout of ipytest (whose `notebook_test`
plugin pytest then imports, inert), and the latter with `-p no:notebook_test` (pytest
does not import the plugin). Then shows `python -X importtime` for importing the plugin
module after pytest. Bytecode caching is on (PYTHONDONTWRITEBYTECODE removed), as in a
real install; one untimed round warms it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from notebook_corpus import REPOSITORY, ensure_environment


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument(
        "--work", type=Path, default=Path(tempfile.gettempdir()) / "ipytest-notebook-corpus"
    )
    options = parser.parse_args(argv)
    bare = ensure_environment(options.work, "pytest-only", [])
    with_ipytest = ensure_environment(options.work, "notebook-test", [str(REPOSITORY)])
    empty = options.work / "empty"
    empty.mkdir(parents=True, exist_ok=True)
    setups = {
        "pytest only": [str(bare), "-m", "pytest"],
        "pytest + ipytest": [str(with_ipytest), "-m", "pytest"],
        "pytest + ipytest, -p no:notebook_test": [
            str(with_ipytest), "-m", "pytest", "-p", "no:notebook_test"
        ],
    }  # fmt: skip
    starts = {"--version": ["--version"], "--collect-only -q": ["--collect-only", "-q"]}
    commands = {
        (setup, start): [*prefix, *arguments]
        for start, arguments in starts.items()
        for setup, prefix in setups.items()
    }
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    times: dict[tuple[str, str], list[float]] = {key: [] for key in commands}
    for run in range(options.runs + 1):
        for key, command in commands.items():
            started = time.perf_counter()
            result = subprocess.run(command, cwd=empty, env=environment, capture_output=True)
            if result.returncode not in (0, 5):  # 5: no tests collected
                raise SystemExit(f"{command} failed: {result.stdout}{result.stderr}")
            if run:
                times[key].append(time.perf_counter() - started)
    for start in starts:
        base = statistics.median(times[("pytest only", start)])
        print(f"pytest {start}:")
        for setup in setups:
            measured = times[(setup, start)]
            median = statistics.median(measured)
            print(
                f"  {setup:40} median {median * 1000:7.1f} ms  "
                f"(+{(median - base) * 1000:5.1f} ms; min {min(measured) * 1000:6.1f} ms; "
                f"{options.runs} runs)"
            )
    code = "import pytest, sys\nimport ipytest.notebook_test.plugin\n"
    result = subprocess.run(
        [str(with_ipytest), "-X", "importtime", "-c", code],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    print("\npython -X importtime, after `import pytest` (self us | cumulative us | module):")
    for line in result.stderr.splitlines():
        if "ipytest" in line:
            print("  " + line.removeprefix("import time:").strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
