"""Configuration of ipytest and applying it to the IPython shell."""

from __future__ import annotations

import sys
from typing import Any

from . import _impl
from ._magic_position import MisplacedMagicCheck
from ._options import DEFAULTS, UNCONFIGURED, current_config, default, keep, validate

__all__ = [
    "DEFAULTS",
    "autoconfig",
    "config",
    "current_config",
    "default",
    "keep",
    "load_ipython_extension",
    "unload_ipython_extension",
]

MAGIC_NAME = "ipytest"
# Where the magic function is defined, today and in versions before the split of `_impl`.
_MAGIC_MODULES = (_impl.ipytest_magic.__module__, _impl.__name__)

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
    running IPython shell. `%load_ext ipytest` does the same with every default, and
    `%unload_ext ipytest` removes them again.

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
    _configure({name: given[name] for name in DEFAULTS if given[name] is not keep})
    return dict(current_config)


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext ipytest`: configure ipytest for this shell, as `autoconfig()` does."""
    _configure(dict(DEFAULTS), ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """`%unload_ext ipytest`: remove what ipytest registered with the shell.

    The `%%ipytest` magic, the assert rewriter and the check of the magic's position go;
    the configuration is again that of a fresh `import ipytest`.
    """
    global _rewrite_transformer

    _impl.RewriteAssertTransformer().unregister_with_shell(ipython)
    _rewrite_transformer = None
    MisplacedMagicCheck.unregister_with_shell(ipython)
    cell_magics = ipython.magics_manager.magics["cell"]
    if getattr(cell_magics.get(MAGIC_NAME), "__module__", None) in _MAGIC_MODULES:
        del cell_magics[MAGIC_NAME]
    if "ipytest.cov" in sys.modules:
        from . import cov

        cov.name_cells_as_files(ipython, False)
    current_config.clear()
    current_config.update(UNCONFIGURED)


def _configure(given: dict[str, Any], shell: Any = None) -> None:
    """Validate the given options (`default` stands for an option's default), then apply them.

    They are applied to `shell`, by default the running IPython shell, if any.
    """
    changes = {
        name: validate(name, DEFAULTS[name] if value is default else value)
        for name, value in given.items()
    }
    if changes.get("coverage"):
        _impl.check_coverage_available()
    if changes:
        _apply_to_shell(changes, shell)
        current_config.update(changes)


def _apply_to_shell(changes: dict[str, Any], shell: Any) -> None:
    global _rewrite_transformer

    if shell is None:
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
        from IPython.core.magic import no_var_expand

        # The line goes to pytest as written: IPython would replace `{test_name}` with
        # the notebook's variable of that name, and `$name` too.
        shell.register_magic_function(no_var_expand(_impl.ipytest_magic), "cell", MAGIC_NAME)
        MisplacedMagicCheck.register_with_shell(shell)
