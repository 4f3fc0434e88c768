"""Running pytest on the notebook: arguments, the %%ipytest magic, clean and reload.

A run makes the notebook look like a test module to pytest: it writes an empty file
`t_<hex>.py` into the working directory (so rootdir and conftest.py discovery are those of
the notebook), registers the notebook's module in `sys.modules` under that name with
`__file__` pointing at the file, and hands pytest a plugin that collects the module's
objects instead of importing the file. Everything changed is restored when the run ends,
however it ends.
"""

from __future__ import annotations

import ast
import contextlib
import ctypes
import fnmatch
import functools
import hashlib
import importlib
import inspect
import linecache
import os
import re
import shlex
import shutil
import string
import sys
import tempfile
import threading
import types
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from . import _options
from ._options import UsageError, default
from ._rewrite import rewrite_module

__all__ = [
    "ArgMapping",
    "Error",
    "RewriteAssertTransformer",
    "UsageError",
    "clean",
    "eval_defopts_auto",
    "eval_run_kwargs",
    "find_coverage_configs",
    "force_reload",
    "ipytest_magic",
    "reload",
    "run",
]

PROGRAM_NAME = "%%ipytest"
RUN_OPTIONS_MARKER = "# ipytest:"
MODULE_PREFIX = "t_"
COVERAGE_PLUGIN_PACKAGE = "pytest-cov"
# pytest warns in every run that it cannot rewrite the asserts of a plugin module the
# notebook imported itself; in a kernel that lives on, nothing can be done about it.
IGNORE_ALREADY_IMPORTED = (
    "ignore:Module already imported so cannot be rewritten:pytest.PytestAssertRewriteWarning"
)
# The coverage.py configuration of `coverage=True`, shipped with ipytest.
COVERAGE_CONFIG_FILE = Path(__file__).with_name("coveragerc")
MERGED_COVERAGE_PREFIX = "ipytest-coverage-"

# pytest exit codes (pytest.ExitCode), spelled out to keep `import ipytest` free of pytest.
EXIT_OK = 0
EXIT_INTERRUPTED = 2
EXIT_INTERNAL_ERROR = 3
EXIT_USAGE_ERROR = 4
EXIT_NO_TESTS_COLLECTED = 5
EXIT_CODE_MEANINGS = {
    0: "all tests passed",
    1: "tests failed",
    2: "interrupted",
    3: "internal error",
    4: "usage error",
    5: "no tests collected",
}

# How long an interrupted run waits for its pytest thread to stop before restoring state.
THREAD_STOP_TIMEOUT = 10.0
THREAD_POLL_INTERVAL = 0.1
THREAD_NAME = "ipytest"

_RUN_OPTIONS_LINE = re.compile(r"\s*#\s*ipytest\s*:(?P<options>.*)")
# Names IPython keeps in the user namespace (input/output history, its own helpers) and
# the temporaries of rewritten asserts: never tests, and thousands of them after a long
# session, so pytest does not get to scan them.
_SHELL_NAMES = re.compile(r"_|__|___|_i{1,3}|_i?\d+|_[ido]h|In|Out|get_ipython|exit|quit|@.*")


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


class ArgMapping(dict):
    """The placeholders of pytest arguments: `{MODULE}` and `{test_name}`.

    `{MODULE}` is the node id of the notebook module. Keys made of uppercase letters alone
    (`{MODULE}`, `{DUMMY}`) are reserved for ipytest; any other key is a test name and
    expands to `{MODULE}::name` (`{TEST_CASE}` too).
    """

    def __missing__(self, key: str) -> str:
        if key.isalpha() and key.isupper():
            raise KeyError(
                f"{{{key}}} is not an ipytest placeholder (there is {{MODULE}}); to select "
                f"a test named {key}, write {{MODULE}}::{key}"
            )
        return f"{self['MODULE']}::{key}"


def expand_args(args: Sequence[str], arg_mapping: Mapping[str, str]) -> list[str]:
    """Replace the placeholders of each argument; literal braces are written `{{` and `}}`.

    A placeholder is a bare name in braces; indexing, attributes, conversions and format
    specs are refused rather than applied to the node id.
    """
    return [_expand_arg(arg, arg_mapping) for arg in args]


def _expand_arg(arg: str, arg_mapping: Mapping[str, str]) -> str:
    if not isinstance(arg, str):
        raise UsageError(f"pytest arguments are strings, not {arg!r}")
    hint = "placeholders are {MODULE} and {test_name}; write literal braces as {{ and }}"
    try:
        pieces = list(string.Formatter().parse(arg))
    except ValueError as error:
        raise UsageError(f"cannot expand the argument {arg!r}: {error}; {hint}") from None
    expanded = []
    for literal, field, spec, conversion in pieces:
        expanded.append(literal)
        if field is None:
            continue
        if not field.isidentifier() or spec or conversion:
            text = (
                "{"
                + field
                + (f"!{conversion}" if conversion else "")
                + (f":{spec}" if spec else "")
                + "}"
            )
            raise UsageError(f"cannot expand {text} in the argument {arg!r}: {hint}")
        try:
            expanded.append(arg_mapping[field])
        except KeyError as error:
            raise UsageError(f"cannot expand the argument {arg!r}: {error.args[0]}") from None
    return "".join(expanded)


def eval_defopts_auto(args: Sequence[str], arg_mapping: Mapping[str, str]) -> bool:
    """Whether `defopts="auto"` adds the notebook module: True unless an argument names it.

    An argument names the module when it is the module's node id or starts with it and
    `::`. The value of `--deselect` does not count: deselecting a test still needs the
    module to be collected.
    """
    module = arg_mapping["MODULE"]
    previous = None
    for arg in args:
        if previous != "--deselect" and (arg == module or arg.startswith(f"{module}::")):
            return False
        previous = arg
    return True


def parse_magic_line(line: str) -> list[str]:
    """Split the arguments of an `%%ipytest` line as a POSIX shell would."""
    try:
        return shlex.split(line)
    except ValueError as error:
        raise UsageError(
            f"cannot split the %%ipytest arguments {line!r}: {error}. Quote arguments "
            "that contain spaces, e.g. -k 'fast and not slow'"
        ) from None


def run_options_comment(cell: str) -> str | None:
    """The cell's first non-blank line if it is a `# ipytest:` comment, stripped; else None."""
    first_line = next((line for line in cell.splitlines() if line.strip()), "")
    if _RUN_OPTIONS_LINE.fullmatch(first_line) is None:
        return None
    return first_line.strip()


def parse_run_options(cell: str) -> dict[str, ast.expr]:
    """Find the `# ipytest: key=value, ...` comment on the cell's first line.

    Returns the keyword arguments it gives, keys as written and values as unevaluated
    expressions; empty when the first line is no such comment. Whether the keys are
    options of `run()` is for the caller to check (see `check_run_options`).
    """
    comment = run_options_comment(cell)
    if comment is None:
        return {}
    text = _RUN_OPTIONS_LINE.fullmatch(comment)["options"].strip()
    if not text:
        return {}
    try:
        # The newline ends a trailing comment before the closing parenthesis.
        call = ast.parse(f"run({text}\n)", mode="eval").body
    except (SyntaxError, ValueError) as error:
        # Python 3.10 raises ValueError for a NUL character, later versions SyntaxError.
        reason = error.msg if isinstance(error, SyntaxError) else str(error)
        raise UsageError(
            f"{comment!r} is not valid Python keyword arguments ({reason}); write e.g. "
            f"'{RUN_OPTIONS_MARKER} raise_on_error=True, addopts=(\"-v\",)' with the keywords "
            f"of ipytest.run(): {', '.join(_RUN_KEYWORDS)}"
        ) from None
    if not isinstance(call, ast.Call) or call.args or any(kw.arg is None for kw in call.keywords):
        raise UsageError(
            f"{comment!r} must hold only keyword arguments (key=value, ...); the keywords "
            f"are those of ipytest.run(): {', '.join(_RUN_KEYWORDS)}"
        )
    options = {}
    for keyword in call.keywords:
        if keyword.arg in options:
            raise UsageError(f"{keyword.arg!r} is given twice in {comment!r}")
        options[keyword.arg] = keyword.value
    return options


def check_run_options(cell: str, names: Iterable[str]) -> None:
    """Raise UsageError, quoting the cell's comment, unless every name is a keyword of run()."""
    for name in names:
        if name not in _RUN_KEYWORDS:
            raise UsageError(
                f"{name!r} in {run_options_comment(cell)!r} is not an option of "
                f"ipytest.run(); the options are: {', '.join(_RUN_KEYWORDS)}"
            )


def eval_run_kwargs(cell: str, module: Any = None) -> dict[str, Any]:
    """The keyword arguments given by the cell's `# ipytest:` comment, evaluated.

    `"# ipytest: defopts=True, clean=True"` gives `{"defopts": True, "clean": True}`: the
    keys as written, whether or not `run()` takes them. Values are Python expressions
    evaluated in the namespace of `module` (default: the notebook).
    """
    return _evaluate_run_options(parse_run_options(cell), module)


def _evaluate_run_options(options: dict[str, ast.expr], module: Any) -> dict[str, Any]:
    namespace = vars(module if module is not None else user_module())
    kwargs = {}
    for name, expression in options.items():
        source = ast.unparse(expression)
        try:
            kwargs[name] = eval(
                compile(ast.Expression(expression), RUN_OPTIONS_MARKER, "eval"), namespace
            )
        except Exception as error:
            raise UsageError(
                f"{RUN_OPTIONS_MARKER} {name}={source}: evaluating {source!r} raised "
                f"{type(error).__name__}: {error}"
            ) from error
    return kwargs


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
        stack.enter_context(_environment_variable("COLUMNS", str(options["display_columns"])))
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


@contextlib.contextmanager
def _environment_variable(name: str, value: str) -> Iterator[None]:
    previous = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = previous


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
    if thread.ident is not None:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(
            ctypes.c_ulong(thread.ident), ctypes.py_object(exception)
        )


class NotebookPlugin:
    """The pytest plugin of a run: collects the notebook module's objects.

    pytest gets the notebook module itself, as a copy without the shell's history names,
    instead of importing the placeholder file. It also names the program `%%ipytest` in
    usage errors, refuses to hand the tests to worker processes, notes an interrupt, and
    explains an empty collection.
    """

    def __init__(self, module: Any, path: Path, aliases: list[str]) -> None:
        self.module = module
        self.path = path
        self.aliases = aliases
        self.interrupted = False
        # Why pytest was stopped before the session began, for run() to raise.
        self.refusal: str | None = None

    def pytest_addoption(self, parser) -> None:
        parser.prog = PROGRAM_NAME

    def pytest_cmdline_main(self, config):
        # Called after pytest-xdist resolved -n (its hook runs first), before any worker
        # starts; returning an exit code ends the run there.
        workers = _xdist_workers(config)
        if workers:
            self.refusal = (
                f"ipytest cannot hand the notebook's tests to pytest-xdist's {workers} worker "
                "processes (-n/--numprocesses or --dist with --tx): a worker is a separate "
                "Python process, which cannot see the tests defined in this notebook's "
                "namespace. Run without -n (or with -n 0 or -p no:xdist); to use workers, "
                f"save the notebook and run `pytest --notebook-test -n {workers} "
                "NOTEBOOK.ipynb` in a terminal (each worker runs whole notebooks)."
            )
            return EXIT_USAGE_ERROR
        return None

    def pytest_configure(self, config) -> None:
        node_id = _node_id(self.path, config.rootpath)
        deselect = getattr(config.option, "deselect", None)
        if deselect and node_id != self.path.name:
            config.option.deselect = [
                node_id + item[len(self.path.name) :] if item.startswith(self.path.name) else item
                for item in deselect
            ]
        # The names under which pytest's import modes look the file up (doctests import it).
        for name in _import_names(self.path, config.rootpath):
            if name not in sys.modules:
                sys.modules[name] = self.module
                self.aliases.append(name)

    def pytest_pycollect_makemodule(self, module_path: Path, parent):
        if module_path == self.path:
            return _notebook_module_class().from_parent(
                parent, path=module_path, notebook=self.module
            )
        return None

    def pytest_collection_modifyitems(self, items) -> None:
        for item in items:
            test = getattr(item, "dtest", None)
            if test is not None and test.filename == str(self.path):
                _point_doctest_at_cell(test, self.module)

    def pytest_keyboard_interrupt(self) -> None:
        self.interrupted = True

    def pytest_terminal_summary(self, terminalreporter, exitstatus) -> None:
        if exitstatus == EXIT_NO_TESTS_COLLECTED:
            name = getattr(self.module, "__name__", repr(self.module))
            terminalreporter.write_line(
                f"ipytest searched the module {name!r} (as {self.path.name}): no test "
                "function or Test class matched, or all were deselected. Tests are functions "
                "named test* and classes named Test*, defined in this notebook; an %%ipytest "
                "cell deletes such names before it runs (the 'clean' option)."
            )


def _xdist_workers(config: Any) -> int:
    """How many worker processes pytest-xdist is to start for this run (0: none).

    Read from pytest's parsed options, so that every spelling counts (`-n 2`, `-n2`,
    `--numprocesses=auto`, `--dist load --tx 2*popen`, ini `addopts`, `PYTEST_ADDOPTS`).
    xdist distributes nothing when it only collects, nor with `--dist no` or `-n 0`.
    """
    if config.getoption("collectonly", False) or config.getoption("dist", "no") == "no":
        return 0
    count = 0
    for spec in config.getoption("tx", None) or ():
        times, star, _ = str(spec).partition("*")
        count += int(times) if star and times.isdigit() else 1
    return count


def _point_doctest_at_cell(test: Any, module: Any) -> None:
    """Make a doctest of the notebook report the cell and line its docstring is in.

    pytest's finder reads line numbers from the module's file, the empty placeholder; the
    cell's source is in linecache, under the filename of the object's code.
    """
    import doctest

    prefix = f"{getattr(module, '__name__', '')}."
    if not test.name.startswith(prefix):
        return
    obj = module
    for part in test.name[len(prefix) :].split("."):
        obj = getattr(obj, part, None)
    filename = _code_filename(obj)
    lines = linecache.getlines(filename) if filename else []
    if not lines:
        return
    test.filename = filename
    # A private helper of doctest, there since Python 2: where the docstring starts.
    lineno = doctest.DocTestFinder()._find_lineno(obj, lines)
    if lineno is not None:
        test.lineno = lineno


def _code_filename(obj: Any) -> str | None:
    """The file of the code that defines `obj`: a function, a method or a class."""
    if isinstance(obj, (staticmethod, classmethod)):
        obj = obj.__func__
    if isinstance(obj, property):
        obj = obj.fget
    if inspect.isclass(obj):
        functions = (_code_filename(value) for value in vars(obj).values())
        return next((name for name in functions if name), None)
    code = getattr(inspect.unwrap(obj), "__code__", None) if callable(obj) else None
    return code.co_filename if code is not None else None


def _node_id(path: Path, rootpath: Path) -> str:
    try:
        return path.relative_to(rootpath).as_posix()
    except ValueError:
        return path.name


def _import_names(path: Path, rootpath: Path) -> list[str]:
    """Module names pytest may import the file as: by package (prepend) and by rootdir."""
    names = []
    parts = [path.stem]
    directory = path.parent
    while (directory / "__init__.py").is_file():
        parts.insert(0, directory.name)
        directory = directory.parent
    names.append(".".join(parts))
    with contextlib.suppress(ValueError):
        names.append(".".join(path.with_suffix("").relative_to(rootpath).parts))
    return [name for name in dict.fromkeys(names) if name != path.stem]


@functools.cache
def _notebook_module_class():
    # Made on first use so that `import ipytest` does not import pytest.
    import pytest

    class NotebookModule(pytest.Module):
        """A test module whose object is the notebook, minus the shell's bookkeeping names."""

        def __init__(self, *, notebook: Any, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self._notebook = notebook

        def _getobj(self):
            namespace = vars(self._notebook)
            view = types.ModuleType(getattr(self._notebook, "__name__", "__main__"))
            view.__dict__.update((name, namespace[name]) for name in _test_module_names(namespace))
            return view

    return NotebookModule


# Names of notebook namespaces known to be the shell's (see _SHELL_NAMES). A session adds
# one per stored cell (`_i42`): remembering them keeps a run from matching all of them
# again. Never larger than the namespace last searched.
_known_shell_names: set[str] = set()


def _test_module_names(namespace: dict[str, Any]) -> list[str]:
    """The names of `namespace` that pytest sees, in order: all but the shell's."""
    known = _known_shell_names
    known.intersection_update(namespace)
    names = [name for name in namespace if name not in known]
    shell_names = {name for name in names if _SHELL_NAMES.fullmatch(name)}
    known.update(shell_names)
    return [name for name in names if name not in shell_names]


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


def ipytest_magic(line: str, cell: str, module: Any = None) -> None:
    """The `%%ipytest` cell magic: clean, run the cell, then run pytest with the line's arguments.

    The line holds pytest's arguments, with the placeholders of `run`; it reaches pytest as
    written (IPython does not replace `{name}` or `$name` in it with notebook variables).
    The magic must be the cell's first line: below a comment or code, the cell fails
    before any of it runs, with an error saying so. A first line
    `# ipytest: key=value, ...` in the cell gives further keyword arguments of `run`,
    evaluated in the notebook. If the cell's code raises, pytest does not run; with
    `raise_on_error`, the cell then fails with `ipytest.Error`.
    """
    from IPython import get_ipython

    options = parse_run_options(cell)
    check_run_options(cell, options)
    run_kwargs = _evaluate_run_options(options, module)
    if module is not None:
        run_kwargs.setdefault("module", module)
    args = parse_magic_line(line)
    raise_on_error = _options.resolve("raise_on_error", run_kwargs.get("raise_on_error", default))
    target = run_kwargs.get("module") or user_module()
    pattern = _options.current_config["clean"]
    if pattern is not False:
        clean(pattern, module=target)

    shell = get_ipython()
    with contextlib.ExitStack() as stack:
        recording = None
        coverage = _options.resolve("coverage", run_kwargs.get("coverage", default))
        addopts = _options.resolve("addopts", run_kwargs.get("addopts", default))
        if coverage_requested(args, addopts, coverage) and importlib.util.find_spec("coverage"):
            # The body runs before pytest-cov measures: record it so that its def and
            # module-level lines count as executed.
            from .cov import CellRecording, cells_named_as_files

            stack.enter_context(cells_named_as_files(shell))
            recording = CellRecording()
            stack.enter_context(recording.record(shell))
        stack.enter_context(_calling_cell_count(shell))
        result = shell.run_cell(cell)
    if getattr(result, "success", True) is False:
        error = result.error_in_exec or result.error_before_exec
        if isinstance(error, KeyboardInterrupt):
            raise KeyboardInterrupt
        message = (
            f"the %%ipytest cell raised {type(error).__name__} (shown above), so its tests "
            "were not run"
        )
        if raise_on_error:
            raise Error(message)
        print(f"ipytest: {message}", file=sys.stderr)
        return
    if recording is not None:
        run_kwargs["plugins"] = (*run_kwargs.get("plugins", ()), recording.pytest_plugin())
    run(*args, **run_kwargs)


@contextlib.contextmanager
def _calling_cell_count(shell: Any) -> Iterator[None]:
    """Run an `%%ipytest` body under the execution count of the cell that holds it.

    IPython counts a cell before running it, so the body would otherwise be compiled as
    the next cell: `In[N+1]` in tracebacks and coverage reports instead of `In[N]`.
    """
    counts = getattr(getattr(shell, "compile", None), "_filename_map", None)
    frame = sys._getframe(1)
    number = None
    while frame is not None and isinstance(counts, dict) and number is None:
        number = counts.get(frame.f_code.co_filename)
        frame = frame.f_back
    if number is None or number == shell.execution_count:
        yield
        return
    saved = shell.execution_count
    shell.execution_count = number
    try:
        yield
    finally:
        # A body that ran cells of its own with history moved the count on: keep that.
        shell.execution_count = saved + (shell.execution_count - number)


class RewriteAssertTransformer(ast.NodeTransformer):
    """The IPython AST transformer that rewrites the asserts of every executed cell.

    A failing assert then explains itself as in a pytest test module. A cell the rewriter
    cannot handle runs unchanged, with a warning.
    """

    def register_with_shell(self, shell) -> None:
        """Add this transformer to `shell`, replacing any other assert rewriter of ipytest."""
        transformers = shell.ast_transformers
        positions = [index for index, item in enumerate(transformers) if _is_rewriter(item)]
        if not positions:
            transformers.append(self)
            return
        transformers[positions[0]] = self
        for index in reversed(positions[1:]):
            del transformers[index]

    def unregister_with_shell(self, shell) -> None:
        """Remove every assert rewriter of ipytest from `shell`."""
        shell.ast_transformers[:] = [
            item for item in shell.ast_transformers if not _is_rewriter(item)
        ]

    def visit(self, node: ast.AST) -> ast.AST:
        if isinstance(node, ast.Module):
            try:
                rewrite_module(node)
            except Exception as error:
                warnings.warn(
                    f"ipytest could not rewrite the asserts of this cell ({type(error).__name__}: "
                    f"{error}); it runs with plain asserts",
                    stacklevel=2,
                )
        return node


def _is_rewriter(transformer: object) -> bool:
    # A reloaded ipytest has a new class: recognise its predecessors by name too.
    cls = type(transformer)
    return isinstance(transformer, RewriteAssertTransformer) or (
        cls.__name__ == RewriteAssertTransformer.__name__ and cls.__module__ == __name__
    )


# The keywords a `# ipytest:` comment may set: those of run().
_RUN_KEYWORDS = tuple(
    name
    for name, parameter in inspect.signature(run).parameters.items()
    if parameter.kind is parameter.KEYWORD_ONLY
)
