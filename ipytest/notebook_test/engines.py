"""Run a notebook's planned cells in this process, as close to a Jupyter kernel as it allows.

No pytest here: the plugin hands in the plans and gets exceptions back. `run_notebook`
puts the notebook in its folder (`ipytest._environment`), sets up the libraries it uses
(`libraries`), starts its deadline (`deadline`) and lets an engine run the cells:

- `PythonEngine` compiles each cell (with ipytest's assertion rewriting; IPython syntax
  made into no-ops by `source.python_code`) and runs it in a fresh module namespace;
- `IPythonEngine` runs each cell in a fresh in-process IPython shell (`ipytest._shell`),
  so magics and `%%ipytest` work.

Both raise what a cell raised (the python engine) or `CellFailed`, and keep in the
`RunState` which cell was running, for the report.
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
import sys
import types
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

from .._environment import MAIN_MODULE_NAME, main_module, notebook_environment
from .._plan import CellFailed, CellPlan
from . import NotebookTestWarning
from .deadline import Deadline, NotebookTimeout
from .libraries import library_settings
from .settings import Settings
from .source import python_code

_PARSE_FLAGS = ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
_FUTURE_FLAGS = functools.reduce(
    operator.or_,
    (getattr(__future__, name).compiler_flag for name in __future__.all_feature_names),
)

Start = Callable[[], contextlib.AbstractContextManager[Deadline]]


@dataclasses.dataclass
class RunState:
    """What a run is doing, for the report: the cell running now, the sources it compiled."""

    notebook: str
    cell: int | None = None
    in_prelude: bool = False
    ran: list[int] = dataclasses.field(default_factory=list)
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


class Engine(Protocol):
    """Runs the cells of `plans` that run, in order; raises when one misbehaves."""

    name: str

    def run(self, plans: Sequence[CellPlan], state: RunState, start: Start) -> None: ...


def engine_for(settings: Settings, rewrite_asserts: bool = True) -> Engine:
    """The engine `settings.engine` names, set up as `settings` say."""
    if settings.engine == IPythonEngine.name:
        return IPythonEngine()
    return PythonEngine(settings.strip_magics, rewrite_asserts)


def run_notebook(
    path: Path,
    plans: Sequence[CellPlan],
    engine: Engine,
    state: RunState,
    settings: Settings,
    prelude: Callable[[Path], object] | None = None,
) -> None:
    """Run the planned cells of the notebook at `path` with `engine`.

    `settings` give the seed, the libraries' settings and the timeout; `prelude` is called
    with the notebook's path before its first cell. Raises what a cell raised,
    `CellFailed` or `NotebookTimeout`; `state` tells which cell was running. Everything
    the run changes in the process is put back.
    """
    with contextlib.ExitStack() as stack:
        stack.enter_context(notebook_environment(path.resolve().parent))
        stack.enter_context(
            library_settings(settings.seed, settings.mpl_backend, settings.plotly_renderer)
        )
        start = functools.partial(_timed, path, state, settings.timeout, prelude)
        try:
            engine.run(plans, state, start)
        except NotebookTimeout as error:
            error.notebook, error.seconds = state.notebook, settings.timeout or 0.0
            error.where = state.where
            raise


@contextlib.contextmanager
def _timed(
    path: Path, state: RunState, timeout: float | None, prelude: Callable[[Path], object] | None
) -> Iterator[Deadline]:
    """The deadline of the notebook, started once the engine is ready; calls the prelude."""
    with Deadline.start(timeout) as deadline:
        if prelude is not None:
            state.in_prelude = True
            prelude(path)
            state.in_prelude = False
        yield deadline
        deadline.check(state)


# --- the python engine ---------------------------------------------------------------


def cell_filename(notebook: str, number: int) -> str:
    """The file name under which a cell's code is compiled and kept in linecache.

    In angle brackets, as for doctests: coverage.py and others know it is no file.
    """
    return f"<{notebook} cell {number}>"


class PythonEngine:
    """Compile each cell and run it in one fresh module namespace, the notebook's `__main__`.

    `strip_magics` makes IPython's line magics and shell escapes no-ops (a cell of another
    cell magic is left out, with a warning); `rewrite_asserts` rewrites the cells' asserts
    as ipytest does in a notebook.
    """

    name = "python"

    def __init__(self, strip_magics: bool = True, rewrite_asserts: bool = True) -> None:
        self.strip_magics = strip_magics
        self.rewrite_asserts = rewrite_asserts

    def run(self, plans: Sequence[CellPlan], state: RunState, start: Start) -> None:
        module = types.ModuleType(MAIN_MODULE_NAME)
        module.__dict__["display"] = _display
        state.namespace = module.__dict__
        loop = None
        try:
            with main_module(module), start() as deadline:
                future_flags = 0
                for plan in plans:
                    if not plan.run:
                        continue
                    code, reason = python_code(plan.source, self.strip_magics)
                    if code is None:
                        warnings.warn(
                            NotebookTestWarning(
                                f"{state.notebook}: cell {plan.number} was not run: {reason}"
                            ),
                            stacklevel=1,
                        )
                        continue
                    state.cell = plan.number
                    state.ran.append(plan.number)
                    compiled = self._compile(state, plan.number, code, future_flags)
                    # `from __future__` imports of a cell hold for the following ones, as
                    # in IPython.
                    future_flags |= compiled.co_flags & _FUTURE_FLAGS
                    try:
                        result = eval(compiled, module.__dict__)
                        if compiled.co_flags & inspect.CO_COROUTINE:
                            if loop is None:
                                loop = _new_event_loop()
                            loop.run_until_complete(result)
                    except Exception as error:
                        if not plan.must_raise:
                            raise
                        print(
                            f"cell {plan.number} raised {type(error).__name__}: {error} "
                            f"(expected: {plan.reason})",
                            file=sys.stderr,
                        )
                    else:
                        if plan.must_raise:
                            raise CellFailed.raised_nothing(plan)
                    deadline.check(state)
        finally:
            if loop is not None:
                _close_event_loop(loop)

    def _compile(
        self, state: RunState, number: int, code: str, future_flags: int
    ) -> types.CodeType:
        filename = cell_filename(state.notebook, number)
        # No modification time: linecache.checkcache keeps the entry.
        linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
        state.filenames.append(filename)
        tree = compile(code, filename, "exec", _PARSE_FLAGS | future_flags, dont_inherit=True)
        if self.rewrite_asserts:
            from .._rewrite import rewrite_module

            rewrite_module(tree)
        flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT | future_flags
        return compile(tree, filename, "exec", flags, dont_inherit=True)


def _display(*objects: Any, **kwargs: Any) -> Any:
    """IPython's `display`, which notebooks use as a builtin; imported on first use."""
    from IPython.display import display

    return display(*objects, **kwargs)


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


class IPythonEngine:
    """Run each cell in a fresh in-process IPython shell, as `python -m ipytest` does.

    A cell whose `%%ipytest` run fails fails the notebook. ipytest's configuration (a
    notebook may call `ipytest.autoconfig()`) is as it was afterwards.
    """

    name = "ipython"

    def run(self, plans: Sequence[CellPlan], state: RunState, start: Start) -> None:
        import ipytest

        from .._shell import fresh_shell, no_color_scheme, run_cell

        # Imported by name, not as `from .. import _shell`: the package attribute may
        # hold a module that was removed from sys.modules (pytester does that).
        from .._transformers import RewriteAssertTransformer

        with _kept_ipytest_configuration(), fresh_shell(in_memory_history=True) as shell:
            RewriteAssertTransformer().register_with_shell(shell)
            # Its tracebacks go to pytest's captured output, not to a terminal.
            shell.run_line_magic("colors", no_color_scheme())
            with start() as deadline:
                for plan in plans:
                    if not plan.run:
                        continue
                    state.cell = plan.number
                    state.ran.append(plan.number)
                    ipytest.exit_code = None
                    failure = run_cell(shell, plan)
                    deadline.check(state)
                    if failure is not None:
                        raise failure
                    if ipytest.exit_code not in (None, 0):
                        raise CellFailed.of(
                            plan,
                            "ran tests with %%ipytest and they failed: pytest exited with code "
                            f"{ipytest.exit_code} (its report is in the captured output)",
                        )


@contextlib.contextmanager
def _kept_ipytest_configuration() -> Iterator[None]:
    import ipytest
    from ipytest import _config, _options

    saved_config = dict(_options.current_config)
    saved_transformer = _config._rewrite_transformer
    saved_exit_code = ipytest.exit_code
    try:
        yield
    finally:
        _options.current_config.clear()
        _options.current_config.update(saved_config)
        _config._rewrite_transformer = saved_transformer
        ipytest.exit_code = saved_exit_code
