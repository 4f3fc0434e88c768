"""Run a notebook's selected cells in this process, as close to a Jupyter kernel as it allows.

No pytest here: the plugin hands in the plan and gets exceptions back. Everything a run
changes is put back when it ends, however it ends: the working directory (the notebook's
folder during the run), `sys.path` (the folder is put first, so modules beside the
notebook import), environment variables, `sys.modules["__main__"]` (the notebook's
module, as in a kernel), the modules imported from the notebook's folder, the state of
`random`, and the matplotlib, numpy and plotly settings. Library modules imported by a
notebook stay imported, as for any test: importing numpy twice in a process is not safe.

Two engines: `python` compiles each cell (with ipytest's assertion rewriting) and runs it
in a fresh module namespace; `ipython` runs each cell in a fresh in-process IPython shell
through the runner of `python -m ipytest`.
"""

from __future__ import annotations
import __future__

import ast
import contextlib
import dataclasses
import functools
import inspect
import linecache
import operator
import os
import random
import signal
import sys
import threading
import types
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from .._plan import MUST_RAISE, CellPlan
from .codegen import GeneratedCell, GeneratedCode

MAIN_MODULE_NAME = "__main__"
MPL_BACKEND_VARIABLE = "MPLBACKEND"
TIMEOUT_OPTION = "--notebook-test-timeout"

_PARSE_FLAGS = ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
_FUTURE_FLAGS = functools.reduce(
    operator.or_,
    (getattr(__future__, name).compiler_flag for name in __future__.all_feature_names),
)


class NotebookTimeout(BaseException):
    """The notebook ran longer than its timeout.

    A BaseException, so that neither `except Exception` in a cell nor a
    `must-raise-exception` cell swallows it.
    """

    def __init__(self, notebook: str = "", seconds: float = 0.0, where: str = "") -> None:
        super().__init__(notebook, seconds, where)
        self.notebook = notebook
        self.seconds = seconds
        self.where = where

    def __str__(self) -> str:
        return (
            f"{self.notebook} did not finish within {self.seconds:g} s ({TIMEOUT_OPTION}); "
            f"it was running {self.where}"
        )


class CellFailed(Exception):
    """A cell did not behave: it raised nothing where it must, or (ipython engine) failed."""

    def __init__(self, cell: int, message: str, source: str = "") -> None:
        super().__init__(message)
        self.cell = cell
        self.source = source


@dataclasses.dataclass
class RunState:
    """What a run is doing, for the report: the cell running now, the sources it compiled."""

    notebook: str
    cell: int | None = None
    in_prelude: bool = False
    filenames: list[str] = dataclasses.field(default_factory=list)
    namespace: dict | None = None

    @property
    def where(self) -> str:
        """What the run is doing, for messages: "cell 3", "the prelude"."""
        if self.cell is not None:
            return f"cell {self.cell}"
        return "the prelude" if self.in_prelude else "no cell yet"

    def forget(self) -> None:
        """Drop the cell sources from linecache and the notebook's namespace."""
        for filename in self.filenames:
            linecache.cache.pop(filename, None)
        self.filenames.clear()
        if self.namespace is not None:
            self.namespace.clear()
            self.namespace = None


@dataclasses.dataclass(frozen=True)
class RunOptions:
    """How to run: the engine and the settings that apply to any notebook."""

    engine: str = "python"
    seed: int | None = 42
    mpl_backend: str | None = "Agg"
    plotly_renderer: str | None = "jpg"
    timeout: float | None = None
    rewrite_asserts: bool = True
    prelude: Callable[[Path], object] | None = None


def cell_filename(notebook: str, number: int) -> str:
    """The file name under which a cell's code is compiled and kept in linecache.

    In angle brackets, as for doctests: coverage.py and others know it is no file.
    """
    return f"<{notebook} cell {number}>"


def run_notebook(
    path: Path,
    state: RunState,
    options: RunOptions,
    *,
    code: GeneratedCode | None = None,
    plans: Sequence[CellPlan] = (),
) -> None:
    """Run a notebook: `code` with the python engine, the `plans` with the ipython one.

    Raises what a cell raised, `CellFailed` or `NotebookTimeout`; `state` tells which cell
    was running.
    """
    directory = path.resolve().parent
    module = types.ModuleType(MAIN_MODULE_NAME)
    module.__dict__["display"] = _display
    with contextlib.ExitStack() as stack:
        stack.enter_context(notebook_environment(directory))
        if options.engine == "python":
            stack.enter_context(_main_module(module))
        stack.enter_context(
            library_settings(options.seed, options.mpl_backend, options.plotly_renderer)
        )
        start = functools.partial(_timed, path, state, options)
        try:
            if options.engine == "python":
                assert code is not None
                state.namespace = module.__dict__
                _run_python(code, state, options.rewrite_asserts, start)
            else:
                _run_ipython(plans, state, start)
        except NotebookTimeout as error:
            error.notebook, error.seconds = state.notebook, options.timeout or 0.0
            error.where = state.where
            raise


@contextlib.contextmanager
def _timed(path: Path, state: RunState, options: RunOptions) -> Iterator[Deadline]:
    """The deadline of the notebook, started once the engine is ready; calls the prelude."""
    with Deadline.start(options.timeout) as deadline:
        if options.prelude is not None:
            state.in_prelude = True
            options.prelude(path)
            state.in_prelude = False
        yield deadline
        deadline.check(state)


def _display(*objects: Any, **kwargs: Any) -> Any:
    """IPython's `display`, which notebooks use as a builtin; imported on first use."""
    from IPython.display import display

    return display(*objects, **kwargs)


# --- the python engine ---------------------------------------------------------------


def _run_python(
    code: GeneratedCode,
    state: RunState,
    rewrite: bool,
    start: Callable[[], contextlib.AbstractContextManager[Deadline]],
) -> None:
    namespace = state.namespace
    assert namespace is not None
    loop = None
    try:
        with start() as deadline:
            future_flags = 0
            for cell in code.cells:
                state.cell = cell.number
                compiled = _compile_cell(code.notebook, cell, state, rewrite, future_flags)
                # `from __future__` imports of a cell hold for the following ones, as in
                # IPython.
                future_flags |= compiled.co_flags & _FUTURE_FLAGS
                try:
                    result = eval(compiled, namespace)
                    if compiled.co_flags & inspect.CO_COROUTINE:
                        if loop is None:
                            loop = _new_event_loop()
                        loop.run_until_complete(result)
                except Exception as error:
                    if not cell.must_raise:
                        raise
                    print(
                        f"cell {cell.number} raised {type(error).__name__}: {error} "
                        f"(expected: {MUST_RAISE}=True)",
                        file=sys.stderr,
                    )
                else:
                    if cell.must_raise:
                        raise CellFailed(
                            cell.number,
                            f"{code.notebook}: cell {cell.number} is marked "
                            f"{MUST_RAISE}=True but raised no exception",
                            cell.code,
                        )
                deadline.check(state)
    finally:
        if loop is not None:
            _close_event_loop(loop)


def _compile_cell(
    notebook: str, cell: GeneratedCell, state: RunState, rewrite: bool, future_flags: int
) -> types.CodeType:
    filename = cell_filename(notebook, cell.number)
    _remember_source(state, filename, cell.code)
    tree = compile(cell.code, filename, "exec", _PARSE_FLAGS | future_flags, dont_inherit=True)
    if rewrite:
        from ipytest._rewrite import rewrite_module

        rewrite_module(tree)
    flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT | future_flags
    return compile(tree, filename, "exec", flags, dont_inherit=True)


def _remember_source(state: RunState, filename: str, source: str) -> None:
    # No modification time: linecache.checkcache keeps the entry.
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    state.filenames.append(filename)


def _new_event_loop() -> Any:
    # One loop for all the cells of a notebook, as a kernel has: objects made with one
    # (tasks, sessions) keep working in the next cell. From the policy in force, so that
    # e.g. uvloop's applies.
    import asyncio

    return asyncio.get_event_loop_policy().new_event_loop()


def _close_event_loop(loop: Any) -> None:
    try:
        loop.run_until_complete(loop.shutdown_asyncgens())
    finally:
        loop.close()


# --- the ipython engine --------------------------------------------------------------


def _run_ipython(
    plans: Sequence[CellPlan],
    state: RunState,
    start: Callable[[], contextlib.AbstractContextManager[Deadline]],
) -> None:
    import ipytest
    from ipytest import __main__ as headless
    from ipytest import _config, _options
    from ipytest._impl import RewriteAssertTransformer
    from ipytest._shell import no_color_scheme

    # A notebook that calls ipytest.autoconfig() changes ipytest's configuration in this
    # process: keep it as it was.
    saved_config = dict(_options.current_config)
    saved_transformer = _config._rewrite_transformer
    saved_exit_code = ipytest.exit_code
    try:
        with headless.fresh_shell(in_memory_history=True) as shell:
            RewriteAssertTransformer().register_with_shell(shell)
            # Its tracebacks go to pytest's captured output, not to a terminal.
            shell.run_line_magic("colors", no_color_scheme())
            with start() as deadline:
                for plan in plans:
                    if not plan.run:
                        continue
                    state.cell = plan.number
                    ipytest.exit_code = None
                    tags = frozenset({headless.RAISES_TAG}) if plan.must_raise else frozenset()
                    failure = headless.run_cell(
                        shell, headless.CodeCell(plan.number, plan.source, tags)
                    )
                    deadline.check(state)
                    if failure is not None:
                        raise CellFailed(plan.number, f"{state.notebook}: {failure}", plan.source)
                    if ipytest.exit_code not in (None, 0):
                        raise CellFailed(
                            plan.number,
                            f"{state.notebook}: cell {plan.number} ran tests with %%ipytest and "
                            f"they failed: pytest exited with code {ipytest.exit_code} (its report "
                            "is in the captured output)",
                            plan.source,
                        )
    finally:
        _options.current_config.clear()
        _options.current_config.update(saved_config)
        _config._rewrite_transformer = saved_transformer
        ipytest.exit_code = saved_exit_code


# --- what a run changes, and puts back ------------------------------------------------


@contextlib.contextmanager
def notebook_environment(directory: Path) -> Iterator[None]:
    """Run in `directory` with it first on `sys.path`; put back what the run changes.

    Restored: the working directory, `sys.path`, `os.environ`, `sys.modules["__main__"]`,
    the state of `random`; and modules imported from `directory` (or from folders the run
    added to `sys.path`) are forgotten, so that the next notebook imports its own.
    """
    from ipytest.__main__ import notebook_folder

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
def _main_module(module: types.ModuleType) -> Iterator[None]:
    # Restored by notebook_environment; pickle and dataclasses look classes up here.
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


# --- timeouts ---------------------------------------------------------------------------


class Deadline:
    """Stops a run that takes longer than `seconds` by raising `NotebookTimeout` in it.

    In the main thread of a Unix process with no interval timer already running (e.g.
    pytest-timeout's), SIGALRM interrupts the run wherever it is, blocking calls such as
    `time.sleep` included. Elsewhere (another thread, Windows, a timer in use) a watchdog
    thread raises the exception asynchronously in the running thread: Python delivers it
    between two bytecodes, so a cell blocked in one long C call is stopped only when that
    call returns. Either way, `check` after each cell catches a timeout that the cell's
    code swallowed.
    """

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds or 0.0
        self.expired = False
        self.mechanism = "none"

    @classmethod
    @contextlib.contextmanager
    def start(cls, seconds: float | None) -> Iterator[Deadline]:
        deadline = cls(seconds)
        if not seconds:
            yield deadline
        elif _can_use_alarm():
            with deadline._alarm():
                yield deadline
        else:
            with deadline._watchdog():
                yield deadline

    def check(self, state: RunState) -> None:
        """Raise `NotebookTimeout` if the time is up."""
        if self.expired:
            raise NotebookTimeout(state.notebook, self.seconds, state.where)

    @contextlib.contextmanager
    def _alarm(self) -> Iterator[None]:
        self.mechanism = "signal"

        def on_alarm(signum: int, frame: Any) -> None:
            self.expired = True
            raise NotebookTimeout()

        previous = signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, self.seconds)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)

    @contextlib.contextmanager
    def _watchdog(self) -> Iterator[None]:
        import ctypes

        self.mechanism = "thread"
        target = threading.get_ident()
        finished = threading.Event()
        lock = threading.Lock()

        def watch() -> None:
            if finished.wait(self.seconds):
                return
            with lock:
                if finished.is_set():
                    return
                self.expired = True
                ctypes.pythonapi.PyThreadState_SetAsyncExc(
                    ctypes.c_ulong(target), ctypes.py_object(NotebookTimeout)
                )

        watcher = threading.Thread(target=watch, name="notebook-test timeout", daemon=True)
        watcher.start()
        try:
            yield
        finally:
            with lock:
                finished.set()
                if self.expired:
                    # Not raised yet if the run ended in between: withdraw it.
                    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(target), None)
            watcher.join()


def _can_use_alarm() -> bool:
    if (
        not hasattr(signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
    ):
        return False
    return signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
