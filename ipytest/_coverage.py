"""Coverage of a run with `coverage=True`: pytest-cov's arguments and the configuration they name.

The coverage.py plugin that measures the cells is `cov.py`; this module only prepares a run.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path

from ._options import UsageError

COVERAGE_PLUGIN_PACKAGE = "pytest-cov"
# The coverage.py configuration of `coverage=True`, shipped with ipytest.
COVERAGE_CONFIG_FILE = Path(__file__).with_name("coveragerc")
MERGED_COVERAGE_PREFIX = "ipytest-coverage-"


def find_coverage_configs(root: str | os.PathLike) -> list[Path]:
    """The coverage.py configuration files in directory `root`, in coverage's order.

    These are `.coveragerc`, then `setup.cfg` and `tox.ini` with a `[coverage:` section,
    then `pyproject.toml` with a `[tool.coverage` section.
    """
    root = Path(root)
    found = []
    rc = root / ".coveragerc"
    if rc.is_file():
        found.append(rc)
    for name, marker in (
        ("setup.cfg", "[coverage:"),
        ("tox.ini", "[coverage:"),
        ("pyproject.toml", "[tool.coverage"),
    ):
        path = root / name
        if path.is_file() and marker in path.read_text(encoding="utf-8", errors="replace"):
            found.append(path)
    return found


def check_coverage_available() -> None:
    """Raise UsageError unless pytest-cov is installed."""
    if importlib.util.find_spec("pytest_cov") is None:
        raise UsageError(
            f"coverage=True needs the pytest plugin {COVERAGE_PLUGIN_PACKAGE}, which is not "
            f"installed; install it (pip install {COVERAGE_PLUGIN_PACKAGE}) or set coverage=False"
        )


def coverage_requested(args: Sequence[str], addopts: Sequence[str], coverage: bool) -> bool:
    """Whether a run measures coverage: `coverage=True`, or `--cov` without `--no-cov`.

    Only the run's own arguments are seen, not those of pytest's ini files.
    """
    arguments = [*addopts, *args]
    if "--no-cov" in arguments:
        return False
    return coverage or any(arg == "--cov" or arg.startswith("--cov=") for arg in arguments)


_warned_coverage_configs: set[tuple[Path, ...]] = set()


@contextlib.contextmanager
def coverage_args(root: Path) -> Iterator[list[str]]:
    """pytest-cov's arguments for `coverage=True`, valid until the context ends.

    They name a temporary coverage configuration: without one in `root`, ipytest's
    `coveragerc`; with one, a copy of the user's configuration (the one coverage.py
    would read) with the `ipytest.cov` plugin added, so that its `source`, `omit` and
    exclusions still apply; a warning, once, says so. Either way ipytest's own folder is
    added to `omit` (`cov.own_code_pattern`), wherever ipytest is installed.
    """
    check_coverage_available()
    from . import cov

    existing = find_coverage_configs(root)
    text = None
    if existing:
        names = ", ".join(str(path) for path in existing)
        try:
            text = cov.merged_config_text(existing[0])
        except Exception as error:
            warnings.warn(
                f"ipytest's coverage=True could not read the coverage configuration in "
                f"{existing[0]} ({error}); it uses its own configuration, and {names} is not "
                "read.",
                stacklevel=4,
            )
        else:
            _warn_merged_once(existing)
    if text is None:
        text = cov.merged_config_text(COVERAGE_CONFIG_FILE)
    directory = Path(tempfile.mkdtemp(prefix=MERGED_COVERAGE_PREFIX))
    try:
        config_file = directory / COVERAGE_CONFIG_FILE.name
        config_file.write_text(text, encoding="utf-8")
        yield ["--cov", f"--cov-config={config_file}"]
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _warn_merged_once(existing: list[Path]) -> None:
    if tuple(existing) in _warned_coverage_configs:
        return
    _warned_coverage_configs.add(tuple(existing))
    ignored = [str(path) for path in existing[1:]]
    warnings.warn(
        f"ipytest's coverage=True measures with your coverage configuration in "
        f"{existing[0]}, with the ipytest.cov plugin added to its [run] plugins"
        + (
            f"; coverage.py reads no other file, so {', '.join(ignored)} is not read"
            if ignored
            else ""
        )
        + ".",
        stacklevel=5,
    )
