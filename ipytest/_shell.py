"""The in-process IPython shell that runs notebooks headless, as a kernel without a screen.

`python -m ipytest` runs notebooks with `run_notebook`; the `--notebook-test` ipython
engine runs cells with `fresh_shell` and `run_cell`. IPython's
base `InteractiveShell` leaves GUI integration to its subclasses (terminal IPython,
ipykernel): `%matplotlib inline` would raise `NotImplementedError` there. This subclass
does what a kernel on a machine without a display does: GUI-less matplotlib backends
work, GUI event loops (`%matplotlib qt`, `%gui tk`) are refused with a clear error, and
package managers (`%pip install ...`) are not run.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from . import _compat_ipython
from ._environment import environment_variable, notebook_folder
from ._notebook import read_notebook
from ._plan import CellFailed, CellPlan, default_all_of, plan_cells

# IPython's GUI event loops: each needs a screen. Any other `gui` (None, "inline",
# "agg", "svg", "webagg", ...) draws without one.
SCREEN_GUIS = frozenset(
    {"qt", "qt4", "qt5", "qt6", "gtk", "gtk2", "gtk3", "gtk4", "tk", "wx", "pyglet", "glut", "osx"}
)
# IPython's package manager magics (`%uv` since IPython 9): only those the running
# IPython has are replaced.
PACKAGE_MAGICS = ("pip", "conda", "mamba", "micromamba", "uv")
HEADLESS_RUNNERS = "python -m ipytest and --notebook-test-engine=ipython"
MPL_BACKEND_VARIABLE = "MPLBACKEND"
# The default matplotlib backend of a Jupyter kernel (ipykernel sets it the same way).
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"


def screen_gui_error(what: str, gui: str) -> UsageError:
    return UsageError(
        f"{what}: the {gui!r} GUI event loop needs a screen, and {HEADLESS_RUNNERS} run "
        "notebooks headless, as a kernel without a display; use %matplotlib inline or "
        "%matplotlib agg for figures, or leave this cell out of headless runs"
    )


class HeadlessShell(InteractiveShell):
    """An `InteractiveShell` that integrates no GUI and installs no package."""

    def enable_gui(self, gui: str | None = None) -> None:
        # A kernel integrates no event loop for GUI-less backends either.
        if gui in SCREEN_GUIS:
            raise screen_gui_error(f"%gui {gui}", gui)

    def enable_matplotlib(self, gui: str | None = None) -> Any:
        # Refused before matplotlib switches to the GUI backend (which could open windows).
        from IPython.core import pylabtools

        wanted, _ = pylabtools.find_gui_and_backend(gui, self.pylab_gui_select)
        if wanted in SCREEN_GUIS:
            raise screen_gui_error(f"%matplotlib {gui or ''}".rstrip(), wanted)
        return super().enable_matplotlib(gui)

    def init_magics(self) -> None:
        super().init_magics()
        line_magics = self.magics_manager.magics["line"]
        for name in PACKAGE_MAGICS:
            if name in line_magics:
                self.register_magic_function(_package_magic(name), "line", name)


def _package_magic(name: str) -> Any:
    def not_installing(line: str) -> None:
        # The cell goes on: a notebook's packages are the environment's business, and a
        # missing one fails the cell that imports it.
        command = f"%{name} {line}".rstrip()
        print(
            f"ipytest: {command} was not run: {HEADLESS_RUNNERS} install nothing; the "
            "notebook runs with the packages of this environment, so install what it "
            "needs beforehand",
            file=sys.stderr,
        )

    not_installing.__name__ = name
    not_installing.__doc__ = f"Headless: `%{name}` prints that it installs nothing."
    return not_installing


def forget_inline_backend() -> None:
    """Forget the inline backend's settings (`%config InlineBackend...`).

    matplotlib_inline keeps them in a singleton, which would hand them on to the next
    shell of this process: the next notebook of a pytest run.
    """
    config = sys.modules.get("matplotlib_inline.config")
    if config is not None:
        config.InlineBackend.clear_instance()


def no_color_scheme() -> str:
    """The argument of `%colors` for plain text, as the running IPython spells it."""
    import IPython

    # IPython 9 names its themes in lower case and warns about "NoColor" (IPython 8's name).
    return "nocolor" if IPython.version_info >= (9,) else "NoColor"


@contextlib.contextmanager
def inline_backend_by_default() -> Iterator[None]:
    """matplotlib's default backend is the inline one in this block, as in a kernel.

    Unless `MPLBACKEND` is set already. So a bare `%matplotlib` selects the inline
    backend, and `plt.show()` shows a figure's text form instead of opening a window.
    """
    if os.environ.get(MPL_BACKEND_VARIABLE):
        yield
        return
    with environment_variable(MPL_BACKEND_VARIABLE, INLINE_BACKEND):
        yield


@contextlib.contextmanager
def fresh_shell(*, in_memory_history: bool = False) -> Iterator[HeadlessShell]:
    """A new `HeadlessShell` singleton, shut down and cleared afterwards.

    The shell installs its module as `sys.modules["__main__"]`; the caller restores it if
    the process goes on. `in_memory_history` keeps the input history out of the profile's
    history file.
    """
    if InteractiveShell.initialized():
        raise RuntimeError("an IPython shell is already running in this process")
    # One left registered on the subclass alone, had someone cleared InteractiveShell's.
    HeadlessShell.clear_instance()
    config = None
    if in_memory_history:
        from traitlets.config import Config

        config = Config()
        config.HistoryManager.hist_file = ":memory:"
    shell = HeadlessShell.instance(config=config)
    try:
        yield shell
    finally:
        # What IPython would do at exit (close the history, delete its temporary files,
        # stop %%script --bg processes), now: a process that goes on (pytest running
        # notebook after notebook) must not pile up shells to shut down at exit.
        try:
            shut_down(shell)
        finally:
            HeadlessShell.clear_instance()
            forget_inline_backend()


def shut_down(shell: InteractiveShell) -> None:
    """Do now what IPython does for `shell` at exit, and take it off the exit handlers."""
    _compat_ipython.run_exit_operations(shell)


def run_cell(shell: InteractiveShell, plan: CellPlan) -> CellFailed | None:
    """Run one planned cell in `shell`, stored in its history; how it misbehaved, or None."""
    result = shell.run_cell(plan.source, store_history=True)
    error = result.error_before_exec or result.error_in_exec
    if plan.must_raise:
        return CellFailed.raised_nothing(plan) if error is None else None
    if isinstance(error, KeyboardInterrupt):
        raise KeyboardInterrupt
    if error is not None:
        return CellFailed.of(plan, f"raised {type(error).__name__}: {error}")
    return None


def run_notebook(
    path: Path, on_cell: Callable[[CellPlan], object] | None = None
) -> CellFailed | None:
    """Run the notebook at `path` in a fresh headless shell; the first misbehaving cell.

    The cells run as planned (`ipytest._plan`: tags and `# notebook-test:` directives), in
    the notebook's folder, with matplotlib's inline backend by default as in a kernel.
    `on_cell` is called with each cell's plan before it runs. Raises `NotebookError` when
    the file cannot be read.
    """
    notebook = read_notebook(path)
    plans = plan_cells(notebook.cells, default_all_of(notebook.metadata))
    with (
        inline_backend_by_default(),
        fresh_shell() as shell,
        notebook_folder(path.resolve().parent),
    ):
        for plan in plans:
            if not plan.run:
                continue
            if on_cell is not None:
                on_cell(plan)
            failure = run_cell(shell, plan)
            if failure is not None:
                return failure
    return None
