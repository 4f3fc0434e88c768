"""Configuration of ipytest and applying it to the IPython shell."""

from __future__ import annotations

import sys
from typing import Any

from . import _impl
from ._options import DEFAULTS, current_config, default, keep, validate

__all__ = ["DEFAULTS", "autoconfig", "config", "current_config", "default", "keep"]

# The transformer registered with the shell by `rewrite_asserts=True`, else None.
_rewrite_transformer: _impl.RewriteAssertTransformer | None = None


def autoconfig(
    rewrite_asserts: Any = default,
    magics: Any = default,
    clean: Any = default,
    addopts: Any = default,
    run_in_thread: Any = default,
    defopts: Any = default,
    display_columns: Any = default,
    raise_on_error: Any = default,
    coverage: Any = default,
) -> None:
    """Configure ipytest with sensible defaults; call it once, in the first cell.

    Every option left out takes its default (listed below); options given take the value
    given. This registers the `%%ipytest` cell magic and assertion rewriting with the
    running IPython shell.

    - `rewrite_asserts` (default `True`): rewrite the `assert` statements of every cell
      executed from now on, so that a failing assert explains itself as in a pytest test
      module (`At index 2 diff: 3 != 4`).
    - `magics` (default `True`): register the `%%ipytest` cell magic.
    - `clean` (default `"[Tt]est*"`): before an `%%ipytest` cell runs, delete the
      notebook's names matching this glob (never names starting with `_`), so that
      renamed or deleted tests do not linger; `False` keeps every name.
    - `addopts` (default `("-q", "--color=yes")`): arguments put before those of each run.
    - `run_in_thread` (default `False`): run pytest in a separate thread and wait for it,
      for async tests (pytest-asyncio) beside the kernel's running event loop.
    - `defopts` (default `"auto"`): whether to add the notebook module to pytest's
      arguments: `"auto"` adds it unless an argument already names it (`{MODULE}`),
      `True` always, `False` never.
    - `display_columns` (default `100`): the width pytest formats its report for.
    - `raise_on_error` (default `False`): raise `ipytest.Error` when pytest exits with a
      non-zero code, and make an `%%ipytest` cell fail when its code raises; use it in CI
      so that a notebook run stops at the first failure.
    - `coverage` (default `False`): collect coverage of the notebook's cells with
      pytest-cov and the `ipytest.cov` plugin.
    """
    given = locals()
    config(**{name: DEFAULTS[name] if given[name] is default else given[name] for name in DEFAULTS})


def config(
    rewrite_asserts: Any = keep,
    magics: Any = keep,
    clean: Any = keep,
    addopts: Any = keep,
    run_in_thread: Any = keep,
    defopts: Any = keep,
    display_columns: Any = keep,
    raise_on_error: Any = keep,
    coverage: Any = keep,
) -> dict[str, Any]:
    """Change single options of ipytest; every option left out keeps its current value.

    The options and their defaults are those of `autoconfig`; passing
    `ipytest._config.default` for an option restores its default. All values are checked
    before any is applied, so a bad value changes nothing. `config()` without arguments
    changes nothing.

    Returns the configuration now in force, as a new dict.
    """
    given = locals()
    changes = {}
    for name in DEFAULTS:
        value = given[name]
        if value is keep:
            continue
        changes[name] = validate(name, DEFAULTS[name] if value is default else value)

    if changes.get("coverage"):
        _impl.check_coverage_available()
    if changes:
        _apply_to_shell(changes)
        current_config.update(changes)
    return dict(current_config)


def _apply_to_shell(changes: dict[str, Any]) -> None:
    global _rewrite_transformer

    from IPython import get_ipython

    shell = get_ipython()
    if "rewrite_asserts" in changes:
        if changes["rewrite_asserts"]:
            if _rewrite_transformer is None:
                _rewrite_transformer = _impl.RewriteAssertTransformer()
            if shell is not None:
                _rewrite_transformer.register_with_shell(shell)
        else:
            if shell is not None:
                _impl.RewriteAssertTransformer().unregister_with_shell(shell)
            _rewrite_transformer = None
    # Only import the plugin (and coverage.py with it) when coverage is wanted or was on.
    if (
        "coverage" in changes
        and shell is not None
        and (changes["coverage"] or "ipytest.cov" in sys.modules)
    ):
        from . import cov

        cov.name_cells_as_files(shell, changes["coverage"])
    if changes.get("magics") and shell is not None:
        shell.register_magic_function(_impl.ipytest_magic, "cell", "ipytest")
