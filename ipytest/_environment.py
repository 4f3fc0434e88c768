"""What running a notebook in this process changes, and how it is put back.

A notebook runs in its folder with that folder first on `sys.path`, as in a kernel started
there. `notebook_folder` does that much (for `python -m ipytest`, a process of its own);
`notebook_environment` also puts back what the cells may change in a process that goes on
(pytest running notebook after notebook): environment variables, `__main__`, the state of
`random`, and the modules imported from the notebook's folder.
"""

from __future__ import annotations

import contextlib
import os
import random
import sys
import types
from collections.abc import Iterator
from pathlib import Path

MAIN_MODULE_NAME = "__main__"


@contextlib.contextmanager
def environment_variable(name: str, value: str) -> Iterator[None]:
    """Set the environment variable `name` to `value` in this block, then put back what was."""
    previous = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = previous


@contextlib.contextmanager
def notebook_folder(directory: Path) -> Iterator[None]:
    """Work in `directory` with it first on `sys.path`, as a kernel started there does.

    The working directory and `sys.path` (also what the cells added to it) are put back
    afterwards.
    """
    saved_cwd, saved_path = os.getcwd(), list(sys.path)
    os.chdir(directory)
    # A kernel imports modules next to the notebook: its sys.path starts with "".
    sys.path.insert(0, str(directory))
    try:
        yield
    finally:
        sys.path[:] = saved_path
        os.chdir(saved_cwd)


@contextlib.contextmanager
def notebook_environment(directory: Path) -> Iterator[None]:
    """Run in `directory` with it first on `sys.path`; put back what the run changes.

    Restored: the working directory, `sys.path`, `os.environ`, `sys.modules["__main__"]`,
    the state of `random`; and modules imported from `directory` (or from folders the run
    added to `sys.path`) are forgotten, so that the next notebook imports its own.
    """
    saved_path = list(sys.path)
    with contextlib.ExitStack() as stack:
        # Entered first, left last: forgetting local modules needs the run's sys.path.
        stack.enter_context(notebook_folder(directory))
        stack.callback(_restore_environ, dict(os.environ))
        stack.callback(_forget_local_modules, set(sys.modules), saved_path, directory)
        stack.callback(_restore_main, sys.modules.get(MAIN_MODULE_NAME))
        stack.callback(random.setstate, random.getstate())
        yield


@contextlib.contextmanager
def main_module(module: types.ModuleType) -> Iterator[None]:
    """Make `module` the `__main__` module, as a kernel's namespace is.

    pickle and dataclasses look classes up there. Put back by `notebook_environment`.
    """
    sys.modules[MAIN_MODULE_NAME] = module
    yield


def _restore_environ(saved: dict[str, str]) -> None:
    for name in [name for name in os.environ if name not in saved]:
        del os.environ[name]
    for name, value in saved.items():
        if os.environ.get(name) != value:
            os.environ[name] = value


def _restore_main(saved: types.ModuleType | None) -> None:
    if saved is None:
        sys.modules.pop(MAIN_MODULE_NAME, None)
    else:
        sys.modules[MAIN_MODULE_NAME] = saved


def _forget_local_modules(before: set[str], saved_path: list[str], directory: Path) -> None:
    added = [entry or os.getcwd() for entry in sys.path if entry not in saved_path]
    roots = tuple(os.path.join(os.path.realpath(root), "") for root in [str(directory), *added])
    for name in [name for name in sys.modules if name not in before]:
        if _loaded_from(sys.modules[name], roots):
            del sys.modules[name]


def _loaded_from(module: object, roots: tuple[str, ...]) -> bool:
    locations = []
    file = getattr(module, "__file__", None)
    if isinstance(file, str):
        locations.append(file)
    path = getattr(module, "__path__", None)
    if file is None and path is not None:
        with contextlib.suppress(TypeError):
            locations.extend(entry for entry in path if isinstance(entry, str))
    return any(os.path.realpath(location).startswith(roots) for location in locations)
