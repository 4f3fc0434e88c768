"""Libraries notebooks use, set up for tests: seeds, matplotlib's backend, plotly's renderer.

numpy, matplotlib and plotly are not imported for this: settings apply at once to those
already imported, and right after the import to those a notebook imports (through a
`sys.meta_path` hook), so a notebook that uses none of them pays nothing.
"""

from __future__ import annotations

import contextlib
import os
import random
import sys
import types
from collections.abc import Callable, Iterator
from typing import Any

MPL_BACKEND_VARIABLE = "MPLBACKEND"


@contextlib.contextmanager
def library_settings(
    seed: int | None, mpl_backend: str | None, plotly_renderer: str | None
) -> Iterator[None]:
    """Seed `random` and numpy, select the matplotlib backend and the plotly renderer.

    numpy, matplotlib and plotly are not imported for this: settings apply now to those
    already imported, and right after the import to those the notebook imports. Restored
    afterwards: numpy's random state, matplotlib's rcParams (and its figures are closed),
    plotly's default renderer. `random`'s state is restored by `notebook_environment`.
    """
    hooks: dict[str, Callable[[types.ModuleType], None]] = {}
    restore: list[Callable[[], None]] = []
    if seed is not None:
        random.seed(seed)
        _apply_or_hook("numpy", _seed_numpy(seed, restore), hooks)
    if mpl_backend is not None:
        # Spelt as matplotlib's registry names it: IPython's `%matplotlib` looks the
        # backend up there, and knows "agg" but not "Agg".
        if not mpl_backend.startswith("module://"):
            mpl_backend = mpl_backend.lower()
        os.environ[MPL_BACKEND_VARIABLE] = mpl_backend
        _apply_or_hook("matplotlib", _use_backend(mpl_backend, restore), hooks)
    if plotly_renderer is not None:
        _apply_or_hook("plotly.io", _use_renderer(plotly_renderer, restore), hooks)
    finder = _PostImportHooks(hooks)
    if hooks:
        sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(finder)
        for undo in reversed(restore):
            undo()


def _apply_or_hook(name: str, apply: Callable[[types.ModuleType], None], hooks: dict) -> None:
    module = sys.modules.get(name)
    if module is not None:
        apply(module)
    else:
        hooks[name] = apply


def _seed_numpy(seed: int, restore: list) -> Callable[[types.ModuleType], None]:
    def apply(numpy: types.ModuleType) -> None:
        state = numpy.random.get_state()
        restore.append(lambda: numpy.random.set_state(state))
        numpy.random.seed(seed)

    return apply


def _use_backend(backend: str, restore: list) -> Callable[[types.ModuleType], None]:
    def apply(matplotlib: types.ModuleType) -> None:
        # rc_context's way of copying: without resolving the "auto" backend.
        saved = dict(matplotlib.rcParams.copy())

        def undo() -> None:
            pyplot = sys.modules.get("matplotlib.pyplot")
            if pyplot is not None:
                pyplot.close("all")
            dict.update(matplotlib.rcParams, saved)

        restore.append(undo)
        try:
            matplotlib.use(backend)
        except (ValueError, ImportError) as error:
            raise RuntimeError(
                f"--notebook-test-mpl-backend: matplotlib cannot use the backend "
                f"{backend!r}: {error}"
            ) from error

    return apply


def _use_renderer(renderer: str, restore: list) -> Callable[[types.ModuleType], None]:
    def apply(plotly_io: types.ModuleType) -> None:
        previous = plotly_io.renderers.default
        try:
            plotly_io.renderers.default = renderer
        except ValueError as error:
            raise RuntimeError(
                f"--notebook-test-plotly-renderer: plotly has no renderer {renderer!r}: {error}"
            ) from error
        restore.append(lambda: setattr(plotly_io.renderers, "default", previous))

    return apply


class _PostImportHooks:
    """A `sys.meta_path` finder that calls a function on a module right after its import.

    It finds nothing itself: it asks the finders after it and wraps the loader of the
    module it watches.
    """

    def __init__(self, hooks: dict[str, Callable[[types.ModuleType], None]]) -> None:
        self.hooks = hooks

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        hook = self.hooks.get(name)
        if hook is None:
            return None
        for finder in sys.meta_path:
            find_spec = getattr(finder, "find_spec", None)
            if finder is self or find_spec is None:
                continue
            spec = find_spec(name, path, target)
            if spec is not None:
                break
        else:
            return None
        if spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        del self.hooks[name]
        spec.loader = _HookedLoader(spec.loader, hook)
        return spec


class _HookedLoader:
    def __init__(self, loader: Any, hook: Callable[[types.ModuleType], None]) -> None:
        self._loader = loader
        self._hook = hook

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)

    def create_module(self, spec: Any) -> Any:
        return self._loader.create_module(spec)

    def exec_module(self, module: types.ModuleType) -> None:
        # The module sees its real loader (importlib.resources asks it for data files).
        module.__loader__ = self._loader
        if getattr(module, "__spec__", None) is not None:
            module.__spec__.loader = self._loader
        self._loader.exec_module(module)
        self._hook(module)
