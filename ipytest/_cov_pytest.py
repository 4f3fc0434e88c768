"""ipytest's pytest plugin for coverage (entry point `ipytest_cov`), loaded by every pytest.

It tells `ipytest.cov` that coverage.py instances started in this process belong to a
pytest run (so the coverage plugin need not trace cells itself), and at the end of the
test loop, before pytest-cov saves its data, it records `ipytest.cov` as the tracer of the
cells measured. It imports nothing at pytest's start; coverage.py and `ipytest.cov` only
when a run measures coverage.
"""

from __future__ import annotations

import sys

import pytest

# The pytest runs in progress in this process that load this plugin (they nest: a test
# may run pytest, as ipytest's own runs do inside a pytest session).
active_runs = 0


def _run_ended() -> None:
    global active_runs
    active_runs -= 1


@pytest.hookimpl(hookwrapper=True)
def pytest_load_initial_conftests(early_config):
    # pytest-cov starts measuring in this hook: wrap it, to count the run before.
    global active_runs
    active_runs += 1
    early_config.add_cleanup(_run_ended)
    yield


@pytest.hookimpl(hookwrapper=True, trylast=True)
def pytest_runtestloop(session):
    # Innermost wrapper: runs after the tests, before pytest-cov stops and saves.
    yield
    coverage = sys.modules.get("coverage")
    current = coverage.Coverage.current() if coverage is not None else None
    if current is not None and "ipytest.cov" in sys.modules:
        sys.modules["ipytest.cov"].claim_measured_files(current)
