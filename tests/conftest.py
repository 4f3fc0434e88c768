"""Fixtures shared by the tests: real IPython shells in fresh working directories."""

from __future__ import annotations

import os
import sys

import pytest
from hypothesis import HealthCheck, settings

import ipytest
from ipytest import _config, _options

# The property tests assert what parsers return, never how fast: no per-example deadline and
# no health check on the time an input took to generate, both of which fail on a machine
# that is busy with other work (CI runs the suite on every core with pytest-xdist).
settings.register_profile(
    "ipytest", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile("ipytest")


@pytest.fixture(autouse=True)
def fresh_ipytest_state():
    """Each test starts from ipytest's import-time configuration and restores it after."""
    saved_config = dict(_options.current_config)
    saved_transformer = _config._rewrite_transformer
    saved_exit_code = ipytest.exit_code
    yield
    _options.current_config.clear()
    _options.current_config.update(saved_config)
    _config._rewrite_transformer = saved_transformer
    ipytest.exit_code = saved_exit_code


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A fresh, empty working directory."""
    directory = tmp_path / "work"
    directory.mkdir()
    # Settles pytest-asyncio's option, which otherwise warns in every run the tests start.
    (directory / "pytest.ini").write_text(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\n"
    )
    monkeypatch.chdir(directory)
    return directory


@pytest.fixture
def shell(workdir):
    """A fresh real IPython InteractiveShell, the one `get_ipython()` returns."""
    from IPython.core.interactiveshell import InteractiveShell

    InteractiveShell.clear_instance()
    main_module = sys.modules.get("__main__")
    instance = InteractiveShell.instance()
    try:
        yield instance
    finally:
        InteractiveShell.clear_instance()
        # The shell installs its user module as __main__; put pytest's back.
        if main_module is not None:
            sys.modules["__main__"] = main_module


def run_cell(shell, source: str):
    """Run `source` in `shell` and return IPython's ExecutionResult."""
    return shell.run_cell(source)


@pytest.fixture
def leftovers(workdir):
    """A check that a run left no temporary module file or sys.modules entry behind."""

    def check() -> None:
        assert sorted(name for name in os.listdir(workdir) if name.startswith("t_")) == []
        assert [name for name in sys.modules if name.startswith("t_")] == []

    return check


@pytest.fixture
def importable(tmp_path, monkeypatch):
    """A folder on sys.path whose modules are forgotten after the test."""
    monkeypatch.syspath_prepend(tmp_path)
    before = set(sys.modules)
    yield tmp_path
    for name in set(sys.modules) - before:
        del sys.modules[name]
