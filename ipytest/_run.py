"""`run()`: pytest on the notebook, through a placeholder module file.

A run makes the notebook look like a test module to pytest: it writes an empty file
`t_<hex>.py` into the working directory (so rootdir and conftest.py discovery are those of
the notebook), registers the notebook's module in `sys.modules` under that name with
`__file__` pointing at the file, and hands pytest a plugin (`_collect.NotebookPlugin`) that
collects the module's objects instead of importing the file. Everything changed is
restored when the run ends, however it ends.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from . import _options
from ._args import ArgMapping, eval_defopts_auto, expand_args
from ._collect import NotebookPlugin
from ._coverage import coverage_args
from ._environment import environment_variable
from ._exit_codes import (
    EXIT_CODE_MEANINGS,
    EXIT_INTERNAL_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE_ERROR,
)
from ._namespace import user_module
from ._options import UsageError, default
from ._threads import raise_in_thread

MODULE_PREFIX = "t_"
# pytest warns in every run that it cannot rewrite the asserts of a plugin module the
# notebook imported itself; in a kernel that lives on, nothing can be done about it.
IGNORE_ALREADY_IMPORTED = (
    "ignore:Module already imported so cannot be rewritten:pytest.PytestAssertRewriteWarning"
)

# How long an interrupted run waits for its pytest thread to stop before restoring state.
THREAD_STOP_TIMEOUT = 10.0
THREAD_POLL_INTERVAL = 0.1
THREAD_NAME = "ipytest"


class Error(RuntimeError):
    """Raised for a failed run when `raise_on_error` is set.

    `args[0]` is pytest's exit code (an int) when pytest ran and exited with a non-zero
    code, or a message when the code of an `%%ipytest` cell raised and pytest did not run.
    """

    def __str__(self) -> str:
        reason = self.args[0] if self.args else None
        if isinstance(reason, int):
            meaning = EXIT_CODE_MEANINGS.get(reason, "see pytest's exit codes")
            return f"pytest exited with code {reason} ({meaning})"
        return str(reason)

    def _render_traceback_(self) -> list[str]:
        # pytest's report is printed above; a traceback into ipytest would only be noise.
        return [f"ipytest.Error: {self}"]


def run(
    *args: str,
    module: Any = None,
    plugins: Sequence[object] = (),
    run_in_thread: Any = default,
    raise_on_error: Any = default,
    addopts: Any = default,
    defopts: Any = default,
    display_columns: Any = default,
    coverage: Any = default,
) -> int:
    """Run pytest on the tests of the notebook and return its exit code.

    `args` are pytest's command-line arguments, with the placeholders `{MODULE}` (the
    notebook module's node id) and `{test_name}` (short for `{MODULE}::test_name`).
    `module` is the module whose tests run (default: the notebook's); `plugins` are
    extra pytest plugin objects. The other options override the configuration for this
    run (see `autoconfig`).

    The exit code is also kept in `ipytest.exit_code`. With `raise_on_error`, a
    non-zero exit code raises `ipytest.Error`. Interrupting the kernel stops the run,
    restores everything it changed and raises KeyboardInterrupt.

    The tests run in this process: arguments that start pytest-xdist's worker processes
    (`-n 2`, from anywhere pytest reads options) raise a UsageError, as workers cannot see
    the notebook; `-n 0` and `-p no:xdist` run as usual.
    """
    import ipytest

    exit_code = EXIT_INTERNAL_ERROR
    try:
        options = {
            "run_in_thread": _options.resolve("run_in_thread", run_in_thread),
            "raise_on_error": _options.resolve("raise_on_error", raise_on_error),
            "addopts": _options.resolve("addopts", addopts),
            "defopts": _options.resolve("defopts", defopts),
            "display_columns": _options.resolve("display_columns", display_columns),
            "coverage": _options.resolve("coverage", coverage),
        }
        if module is None:
            module = user_module()
        exit_code = _run(args, module, tuple(plugins), options)
    except UsageError:
        exit_code = EXIT_USAGE_ERROR
        raise
    except KeyboardInterrupt:
        exit_code = EXIT_INTERRUPTED
        raise
    finally:
        ipytest.exit_code = exit_code

    if options["raise_on_error"] and exit_code != EXIT_OK:
        raise Error(exit_code)
    return exit_code


def _run(args: Sequence[str], module: Any, plugins: tuple, options: dict[str, Any]) -> int:
    import pytest

    _check_no_unstopped_thread()
    cwd = Path.cwd()
    with contextlib.ExitStack() as stack:
        path = stack.enter_context(_temporary_module_file(cwd))
        arg_mapping = ArgMapping(MODULE=path.name)
        user_args = expand_args(args, arg_mapping)
        full_args = ["-W", IGNORE_ALREADY_IMPORTED, *options["addopts"]]
        if options["coverage"]:
            full_args += stack.enter_context(coverage_args(cwd))
        full_args += user_args
        defopts = options["defopts"]
        if defopts is True or (defopts == "auto" and eval_defopts_auto(user_args, arg_mapping)):
            # First: last, it would be taken as the value of an option with an optional
            # one, like pytest-cov's `%%ipytest --cov`.
            full_args.insert(0, arg_mapping["MODULE"])

        aliases = stack.enter_context(_registered_module(module, path))
        stack.enter_context(environment_variable("COLUMNS", str(options["display_columns"])))
        plugin = NotebookPlugin(module, path, aliases)
        all_plugins = [*plugins, plugin]
        if options["run_in_thread"]:
            exit_code = _call_in_thread(pytest.main, full_args, all_plugins)
        else:
            exit_code = pytest.main(full_args, all_plugins)
        if plugin.interrupted:
            raise KeyboardInterrupt
        if plugin.refusal is not None:
            raise UsageError(plugin.refusal)
        return int(exit_code)


# The placeholder's name in each working directory: every run there uses the same one, so
# that what pytest and Python keep per test module (the node ids and last failures in
# .pytest_cache, which every run reads and writes again; inspect's module caches) holds
# one entry, not one more per run of a long session. Derived from the directory, it is
# also the same in the next kernel.
_placeholder_names: dict[Path, str] = {}
# The placeholders of the runs in progress in this process (a test may run ipytest).
_placeholders_in_use: set[Path] = set()


def _placeholder_name(directory: Path) -> str:
    """The placeholder module's name for runs in `directory`, without `.py`."""
    name = _placeholder_names.get(directory)
    if name is None:
        digest = hashlib.sha256(os.fsencode(directory)).hexdigest()
        name = f"{MODULE_PREFIX}{digest[:16]}"
    return name


@contextlib.contextmanager
def _temporary_module_file(directory: Path) -> Iterator[Path]:
    """Create an empty `t_<hex>.py` in `directory` for the run, and delete it afterwards.

    The name is the directory's (`_placeholder_name`). When a file of that name exists
    (another kernel's run in the same folder, or one a killed process left) or the module
    name is taken, the run takes a random name, which later runs of this process keep.
    """
    preferred = _placeholder_name(directory)
    name = preferred
    while True:
        path = directory / f"{name}.py"
        if path in _placeholders_in_use or name in sys.modules:
            name = f"{MODULE_PREFIX}{os.urandom(8).hex()}"
            continue
        try:
            # Empty: doctest then takes line numbers from the notebook's functions, not
            # from this file.
            path.open("x").close()
            break
        except FileExistsError:
            name = f"{MODULE_PREFIX}{os.urandom(8).hex()}"
            continue
        except OSError as error:
            with contextlib.suppress(OSError):
                path.unlink()
            raise UsageError(
                f"ipytest cannot write its temporary test module into the working directory "
                f"{str(directory)!r} ({error.strerror or error}). pytest needs it there so that "
                "rootdir and conftest.py discovery are the notebook's; change to a writable "
                "directory (os.chdir or %cd) and run again."
            ) from error
    if name != preferred and directory / f"{preferred}.py" not in _placeholders_in_use:
        _placeholder_names[directory] = name
    _placeholders_in_use.add(path)
    try:
        yield path
    finally:
        _placeholders_in_use.discard(path)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


_MISSING = object()


@contextlib.contextmanager
def _registered_module(module: Any, path: Path) -> Iterator[list[str]]:
    """Make `module` importable under the temporary file's name, with `__file__` set.

    Yields the list of module names registered; the collection plugin adds the names
    pytest computes for the file, and all of them are removed afterwards, also when an
    import of the placeholder file during the run put another module there: each name was
    free when the run took it, and a name left behind would keep later runs from reusing
    the directory's placeholder name.
    """
    namespace = vars(module)
    previous_file = namespace.get("__file__", _MISSING)
    aliases = [path.stem]
    sys.modules[path.stem] = module
    namespace["__file__"] = str(path)
    try:
        yield aliases
    finally:
        for name in aliases:
            sys.modules.pop(name, None)
        if previous_file is _MISSING:
            namespace.pop("__file__", None)
        else:
            namespace["__file__"] = previous_file


# The name this module had for it when it lived in `_impl` (re-exported there).
_environment_variable = environment_variable


def _call_in_thread(function, *args):
    """Call `function` in a new thread and wait; its exception is re-raised here.

    When the waiting thread is interrupted (Ctrl-C, the kernel's interrupt), the
    KeyboardInterrupt is passed on to the worker, which is given a moment to stop.
    """
    outcome: dict[str, Any] = {}
    finished = threading.Event()

    def target() -> None:
        try:
            outcome["value"] = function(*args)
        except BaseException as error:
            outcome["error"] = error
        finally:
            finished.set()

    worker = threading.Thread(target=target, name=THREAD_NAME, daemon=True)
    worker.start()
    # Waiting on an Event, not on Thread.join: an interrupt inside join() can mark a
    # running thread as stopped (CPython 3.11). Short waits notice a pending interrupt
    # even when it did not come as a signal that breaks a blocking wait.
    try:
        while not finished.wait(THREAD_POLL_INTERVAL):
            pass
    except KeyboardInterrupt:
        if not finished.is_set():
            _raise_in_thread(worker, KeyboardInterrupt)
            if not finished.wait(THREAD_STOP_TIMEOUT):
                global _unstopped_thread
                _unstopped_thread = worker
                raise KeyboardInterrupt(
                    f"ipytest: pytest's thread did not stop within {THREAD_STOP_TIMEOUT:g} s "
                    "of the interrupt: a test is blocked in a call that an interrupt cannot "
                    "break (time.sleep, a network read, ...). The thread runs on until that "
                    "call returns; until then pytest's output capture swallows what this "
                    "notebook prints, and ipytest starts no other run."
                ) from None
        raise
    worker.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


# The pytest thread of an interrupted run that did not stop, while it runs on.
_unstopped_thread: threading.Thread | None = None


def _check_no_unstopped_thread() -> None:
    """Refuse to start pytest beside the thread of an interrupted run that still runs."""
    thread = _unstopped_thread
    if thread is not None and thread.is_alive():
        raise UsageError(
            "the pytest thread of an interrupted run is still running (a test is blocked in a "
            "call an interrupt cannot break); a second pytest beside it would lose its "
            "output. Run again once it has ended, or restart the kernel."
        )


def _raise_in_thread(thread: threading.Thread, exception: type[BaseException]) -> None:
    raise_in_thread(thread.ident, exception)
