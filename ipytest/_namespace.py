"""The notebook's namespace: which module it is, and the helpers clean, force_reload, reload."""

from __future__ import annotations

import fnmatch
import importlib
import re
import sys
import types
from typing import Any

from . import _options
from ._options import UsageError, default


def user_module() -> Any:
    """The module of the notebook's namespace: the shell's user module, else `__main__`.

    Embedded shells execute cells in a namespace that is not their module's; then a
    stand-in object whose attributes are that namespace is returned.
    """
    from IPython import get_ipython

    shell = get_ipython()
    if shell is not None:
        user_ns = getattr(shell, "user_ns", None)
        module = getattr(shell, "user_module", None)
        if isinstance(user_ns, dict):
            if getattr(module, "__dict__", None) is user_ns:
                return module
            namespace = _Namespace()
            namespace.__dict__ = user_ns
            return namespace
        if isinstance(module, types.ModuleType):
            return module
    return sys.modules["__main__"]


class _Namespace:
    """A module stand-in over a namespace dict (see `user_module`)."""


def clean(pattern: Any = default, *, module: Any = None) -> None:
    """Delete the notebook's names that match the glob `pattern` (default `"[Tt]est*"`).

    Names starting with `_` are never deleted. `module` is the module to clean (default:
    the notebook's). An `%%ipytest` cell does this before it runs, with the `clean`
    option's pattern, so that renamed and deleted tests do not run again.
    """
    if pattern is default:
        pattern = _options.DEFAULTS["clean"]
    if not isinstance(pattern, str):
        raise UsageError(f"clean() takes a glob pattern such as 'test_*', not {pattern!r}")
    namespace = vars(module if module is not None else user_module())
    # fnmatchcase's own test, compiled once: a long session's namespace holds a name per
    # stored cell (`_i42`), which the first check skips.
    matches = re.compile(fnmatch.translate(pattern)).match
    for name in [name for name in namespace if not name.startswith("_") and matches(name)]:
        del namespace[name]


def force_reload(*include: str, modules: dict[str, types.ModuleType] | None = None) -> None:
    """Forget the modules named in `include` and their submodules, to import them anew.

    Removes from `modules` (default `sys.modules`) every module named `name` or starting
    with `name.`; the next `import` of it reads the source again.
    """
    for name in include:
        if not isinstance(name, str):
            raise UsageError(f"force_reload() takes module names, not {name!r}")
    if modules is None:
        modules = sys.modules
    for name in [
        name
        for name in modules
        if any(name == inc or name.startswith(f"{inc}.") for inc in include)
    ]:
        del modules[name]


def reload(*mods: str | types.ModuleType) -> None:
    """Reload the given modules (module objects or names) with `importlib.reload`."""
    for mod in mods:
        if isinstance(mod, str):
            mod = importlib.import_module(mod)
        elif not isinstance(mod, types.ModuleType):
            raise UsageError(f"reload() takes modules or module names, not {mod!r}")
        importlib.reload(mod)
