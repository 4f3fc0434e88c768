"""The pytest plugin `notebook_test`: collect `.ipynb` files and run them in-process.

Inert unless `--notebook-test` (or the ini option `notebook_test_enabled = true`) turns it
on: then every notebook pytest comes across (given on the command line, under a collected
folder, under `--notebook-test-path` or under the folder named by the environment
variable of `--notebook-test-envvar`) is one test item, run by `engines` without a Jupyter
kernel. With nbval's `--nbval`/`--nbval-lax` on too, the switch given on the command line
wins over the one from the configuration (see `_wins_over_nbval`). This module imports
nothing that pytest has not imported already: the notebook machinery is imported when a
notebook is collected.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

PLUGIN_NAME = "notebook_test"
SESSION_PLUGIN_NAME = "notebook_test-session"
ENABLE_OPTION = "--notebook-test"
ENABLE_INI = "notebook_test_enabled"
NOTEBOOK_SUFFIX = ".ipynb"
CHECKPOINTS_FOLDER = ".ipynb_checkpoints"
DUMP_FOLDER = "notebook-test-code"
CODE_SECTION = "notebook-test generated code"
REPORT_SECTION = "notebook-test"
EMPTY_PROPERTY = "notebook-test"
EMPTY_VALUE = "no code cell selected"
EMPTY_STATUS = "PASSED (no code cell selected)"
SOURCE_CONTEXT = 3
# nbval's switches (option -> dest): nbval collects notebooks too.
NBVAL_SWITCHES = {"--nbval": "nbval", "--nbval-lax": "nbval_lax"}
ENABLE_HELP = "collect .ipynb files and run each as one test, in this process"
ENABLE_INI_HELP = "collect .ipynb files as with --notebook-test"


class _Option:
    """One `--notebook-test-<flag>` option and its ini twin `notebook_test_<ini>`.

    A plain class: this module is imported on every pytest start, and a dataclass costs
    more to define than all the rest of it.
    """

    __slots__ = ("default", "flag", "help", "ini", "metavar", "multiple")

    def __init__(
        self, flag: str, ini: str, default: str, metavar: str, help: str, multiple: bool = False
    ) -> None:
        self.flag = flag
        self.ini = ini
        self.default = default
        self.metavar = metavar
        self.help = help
        self.multiple = multiple

    @property
    def dest(self) -> str:
        return "notebook_test_" + self.flag.replace("-", "_")

    @property
    def name(self) -> str:
        return f"{ENABLE_OPTION}-{self.flag}"

    @property
    def ini_name(self) -> str:
        return f"notebook_test_{self.ini}"

    @property
    def ini_type(self) -> str:
        return "linelist" if self.multiple else "string"

    @property
    def usage(self) -> str:
        return f"{self.name}={self.metavar}"

    @property
    def command_line_help(self) -> str:
        return f"{self.help} (default: {self.default or 'none'})"


OPTIONS = (
    _Option(
        "path",
        "paths",
        "",
        "PATH",
        "also collect the notebooks under this folder, or matching this glob "
        "(repeatable; the ini option takes one per line)",
        multiple=True,
    ),
    _Option(
        "envvar",
        "envvar",
        "NOTEBOOK_DIR_TO_TEST",
        "NAME",
        "also collect the notebooks under the folder that this environment variable names, "
        "when it is set",
    ),
    _Option(
        "default-all",
        "default_all",
        "true",
        "BOOL",
        "whether code cells run before a '# notebook-test: default-all=' directive",
    ),
    _Option(
        "strip-magics",
        "strip_magics",
        "true",
        "BOOL",
        "python engine: turn IPython line magics (%...) and shell escapes (!...) into no-ops; "
        "run the body of %%time-like cell magics; leave out cells of other cell magics",
    ),
    _Option(
        "seed",
        "seed",
        "42",
        "INT",
        "seed random, and numpy.random once imported, before each notebook ('none': leave "
        "them alone)",
    ),
    _Option(
        "mpl-backend",
        "mpl_backend",
        "Agg",
        "NAME",
        "matplotlib backend for notebooks that use matplotlib ('none': leave it alone)",
    ),
    _Option(
        "plotly-renderer",
        "plotly_renderer",
        "jpg",
        "NAME",
        "plotly's default renderer for notebooks that use plotly ('none': leave it alone)",
    ),
    _Option(
        "dump-code",
        "dump_code",
        "onfail",
        "never|onfail|always",
        "onfail: attach the generated code to a failure's report; always: also write it to a "
        "file for every notebook (see dump-dir)",
    ),
    _Option(
        "dump-dir",
        "dump_dir",
        "",
        "DIR",
        f"folder for dump-code=always (default: {DUMP_FOLDER}/ beside the --junitxml file, "
        "else in pytest's cache folder)",
    ),
    _Option(
        "timeout",
        "timeout",
        "none",
        "SECONDS",
        "fail a notebook that runs longer than this, naming the cell it was running "
        "('none' or 0: no limit)",
    ),
    _Option(
        "prelude",
        "prelude",
        "",
        "MODULE:FUNCTION",
        "call this function with the notebook's path before its first cell, in the "
        "notebook's folder",
    ),
    _Option(
        "engine",
        "engine",
        "python",
        "python|ipython",
        "python: compile the cells and run them in a module namespace; ipython: run them in "
        "an in-process IPython shell (magics and %%ipytest work)",
    ),
)

_OPTIONS_BY_FLAG = {option.flag: option for option in OPTIONS}


def command_line_help() -> list[tuple[str, str]]:
    """`(usage, help)` of every command-line option, as `pytest --help` shows them."""
    return [(ENABLE_OPTION, ENABLE_HELP)] + [(o.usage, o.command_line_help) for o in OPTIONS]


def ini_help() -> list[tuple[str, str, str]]:
    """`(name, type, help)` of every ini option, the help as `pytest --help` shows it."""
    return [(ENABLE_INI, "bool", ENABLE_INI_HELP)] + [
        (o.ini_name, o.ini_type, o.help) for o in OPTIONS
    ]


def _for_argparse(text: str) -> str:
    """`text` as argparse's help: argparse formats it with `%`, so every `%` is doubled.

    (pytest prints the help of ini options as it is.)
    """
    return text.replace("%", "%%")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("notebook-test", "run notebooks in-process (ipytest)")
    group.addoption(
        ENABLE_OPTION,
        action="store_true",
        default=None,
        dest="notebook_test",
        help=_for_argparse(ENABLE_HELP),
    )
    parser.addini(ENABLE_INI, type="bool", default=False, help=ENABLE_INI_HELP)
    for option in OPTIONS:
        group.addoption(
            option.name,
            action="append" if option.multiple else "store",
            default=None,
            dest=option.dest,
            metavar=option.metavar,
            help=_for_argparse(option.command_line_help),
        )
        parser.addini(
            option.ini_name,
            type=option.ini_type,
            default=[] if option.multiple else option.default,
            help=option.help,
        )


# Before nbval's: a check of nbval's options is moot when nbval is off for the run.
@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    # `pytest --help` configures too; it must work whatever the configuration it may fix.
    if config.getoption("help", False):
        return
    if not (config.getoption("notebook_test") or _ini_switch(config)):
        return
    from .settings import SettingsError

    try:
        if not _wins_over_nbval(config):
            return
        plugin = NotebookTestSession(config)
    except SettingsError as error:
        raise pytest.UsageError(str(error)) from None
    config.pluginmanager.register(plugin, SESSION_PLUGIN_NAME)
    _add_collection_paths(config, plugin.extra_paths)


def _ini_switch(config: pytest.Config) -> bool:
    try:
        return config.getini(ENABLE_INI)
    except (ValueError, pytest.UsageError) as error:
        # pytest's message (a ValueError before pytest 9) does not say which option.
        raise pytest.UsageError(f"{ENABLE_INI} (ini): {error}; write true or false") from None


_HEADER_NOTE = pytest.StashKey[str]()


def pytest_report_header(config: pytest.Config) -> str | None:
    return config.stash.get(_HEADER_NOTE, None)


def _wins_over_nbval(config: pytest.Config) -> bool:
    """Whether this plugin, turned on, collects the notebooks rather than nbval.

    With nbval on too, each notebook would be collected twice: the switch given on the
    command line wins over the one from the configuration, and nbval's off when it loses.
    (xdist's workers get the same arguments and configuration, and decide alike.)
    """
    from .settings import choose_collector, switched_on_in

    nbval_on = [flag for flag, dest in NBVAL_SWITCHES.items() if getattr(config.option, dest, None)]
    if not nbval_on:
        return True
    nbval = " and ".join(nbval_on)
    ours = ENABLE_OPTION if config.getoption("notebook_test") else f"{ENABLE_INI} (ini)"
    typed = switched_on_in(
        config.invocation_params.args, {ENABLE_OPTION, *NBVAL_SWITCHES}, {ENABLE_INI}
    )
    ours_typed = bool(typed & {ENABLE_OPTION, ENABLE_INI})
    nbval_typed = bool(typed & NBVAL_SWITCHES.keys())
    if choose_collector(ours, ours_typed, nbval, nbval_typed) == "nbval":
        config.stash[_HEADER_NOTE] = (
            f"notebook-test: off for this run: {nbval} on the command line runs the notebooks "
            f"({ours} is in the configuration)"
        )
        return False
    for dest in NBVAL_SWITCHES.values():
        setattr(config.option, dest, False)
    config.stash[_HEADER_NOTE] = (
        f"notebook-test: {nbval} (from the configuration) is off for this run: "
        "the notebooks run in-process"
    )
    return True


def options_table() -> str:
    """The Markdown table of the options, for the Readme."""
    rows = [
        "| command line | ini option | default | meaning |",
        "| --- | --- | --- | --- |",
        f"| `{ENABLE_OPTION}` | `{ENABLE_INI}` | off | collect notebooks and run them in-process |",
    ]
    for option in OPTIONS:
        # A "|" inside a table cell must be escaped, even in a code span.
        usage = option.usage.replace("|", "\\|")
        default = f"`{option.default}`" if option.default else "none"
        rows.append(f"| `{usage}` | `{option.ini_name}` | {default} | {option.help} |")
    return "\n".join(rows) + "\n"


class NotebookTestSession:
    """The options of a session with notebook testing on, and its collection hooks."""

    def __init__(self, config: pytest.Config) -> None:
        from . import settings as parse

        self.config = config
        value, name = self._value, self._source
        self.settings = parse.Settings(
            default_all=parse.parse_bool(value("default-all"), name("default-all")),
            strip_magics=parse.parse_bool(value("strip-magics"), name("strip-magics")),
            seed=parse.parse_seed(value("seed"), name("seed")),
            mpl_backend=parse.parse_name(value("mpl-backend"), name("mpl-backend")),
            plotly_renderer=parse.parse_name(value("plotly-renderer"), name("plotly-renderer")),
            dump_code=parse.parse_choice(value("dump-code"), name("dump-code"), parse.DUMP_CHOICES),
            timeout=parse.parse_timeout(value("timeout"), name("timeout")),
            engine=parse.parse_choice(value("engine"), name("engine"), parse.ENGINE_CHOICES),
        )
        self.prelude_name = parse.parse_prelude(value("prelude"), name("prelude"))
        self._prelude: Any = None
        self.rewrite_asserts = config.getoption("assertmode", "rewrite") != "plain"
        self.dump_dir = self._dump_dir(value("dump-dir"))
        self.extra_paths = list(self._extra_paths())

    @property
    def _ini_base(self) -> Path:
        return self.config.inipath.parent if self.config.inipath else self.config.rootpath

    def _value(self, flag: str) -> Any:
        """The option's value: from the command line, else the ini file, else the default."""
        option = _OPTIONS_BY_FLAG[flag]
        given = self.config.getoption(option.dest)
        return self.config.getini(f"notebook_test_{option.ini}") if given is None else given

    def _source(self, flag: str) -> str:
        """Where the option's value comes from, for error messages."""
        option = _OPTIONS_BY_FLAG[flag]
        if self.config.getoption(option.dest) is not None:
            return f"{ENABLE_OPTION}-{flag}"
        return f"notebook_test_{option.ini} (ini)"

    def _dump_dir(self, chosen: str) -> Path | None:
        if chosen:
            # From the command line, relative to where pytest runs; else to the ini file.
            from_cli = self.config.getoption("notebook_test_dump_dir") is not None
            return (self.config.invocation_params.dir if from_cli else self._ini_base) / chosen
        junitxml = self.config.getoption("xmlpath", None)
        if junitxml:
            return (self.config.invocation_params.dir / junitxml).parent / DUMP_FOLDER
        return None

    def _extra_paths(self) -> Iterator[Path]:
        import glob

        from .settings import SettingsError

        invocation = self.config.invocation_params.dir
        ini_base = self._ini_base
        given = [
            (invocation, p, "--notebook-test-path")
            for p in self.config.getoption("notebook_test_path") or ()
        ]
        given += [
            (ini_base, p, "notebook_test_paths") for p in self.config.getini("notebook_test_paths")
        ]
        variable = self._value("envvar")
        directory = os.environ.get(variable) if variable else None
        if directory:
            given.append((invocation, directory, f"the environment variable {variable}"))
        for base, pattern, source in given:
            matches = sorted(glob.glob(pattern, root_dir=base, recursive=True))
            if not matches:
                raise SettingsError(
                    f"{source}: {pattern!r} matches no file or folder (relative to {base})"
                )
            for match in matches:
                path = base / match
                if CHECKPOINTS_FOLDER in path.parts:
                    continue
                if path.is_dir() or path.suffix == NOTEBOOK_SUFFIX:
                    yield path

    def prelude(self) -> Any:
        """The prelude function, imported on first use; None without one."""
        if self.prelude_name is None or self._prelude is not None:
            return self._prelude
        import importlib

        module_name, function_name = self.prelude_name
        text = f"{module_name}:{function_name}"
        try:
            function = getattr(importlib.import_module(module_name), function_name)
        except Exception as error:
            raise PreludeError(
                f"cannot load the prelude {text!r} (--notebook-test-prelude): "
                f"{type(error).__name__}: {error}"
            ) from error
        if not callable(function):
            raise PreludeError(f"the prelude {text!r} is not callable: {function!r}")
        self._prelude = function
        return function

    def pytest_collect_file(self, file_path: Path, parent: pytest.Collector) -> Any:
        if file_path.suffix != NOTEBOOK_SUFFIX or CHECKPOINTS_FOLDER in file_path.parts:
            return None
        return NotebookFile.from_parent(parent, path=file_path, session_options=self)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: Any) -> Iterator[None]:
        outcome = yield
        if not isinstance(item, NotebookItem) or call.when != "call":
            return
        report = outcome.get_result()
        if report.failed and item.settings.dump_code != "never":
            report.sections.append((CODE_SECTION, item.dump()))

    def pytest_report_teststatus(self, report: Any, config: pytest.Config) -> Any:
        if report.when == "call" and report.passed and _is_empty(report):
            return "passed", ".", (EMPTY_STATUS, {"green": True})
        return None


class PreludeError(Exception):
    """The prelude cannot be imported or called."""


def _is_empty(report: Any) -> bool:
    # user_properties come back as lists from xdist's workers.
    return any(tuple(item) == (EMPTY_PROPERTY, EMPTY_VALUE) for item in report.user_properties)


def _add_collection_paths(config: pytest.Config, paths: list[Path]) -> None:
    """Add `paths` to what pytest collects, unless an argument already covers them."""
    invocation = config.invocation_params.dir
    covered = [(invocation / arg.split("::")[0]).resolve() for arg in config.args]
    for path in paths:
        resolved = path.resolve()
        if any(resolved == root or root in resolved.parents for root in covered):
            continue
        config.args.append(str(path))
        covered.append(resolved)


class NotebookFile(pytest.File):
    """A notebook: read, its metadata applied and its directives planned at collection."""

    def __init__(self, *, session_options: NotebookTestSession, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.session_options = session_options

    def collect(self) -> Iterator[pytest.Item]:
        from .._notebook import NotebookError, read_notebook
        from .._plan import DirectiveError, plan_cells
        from .settings import SettingsError, apply_metadata

        label = _label(self)
        try:
            notebook = read_notebook(self.path)
        except NotebookError as error:
            reason = str(error).removeprefix(f"{self.path}: ")
            raise pytest.Collector.CollectError(f"{label}: {reason}") from None
        problem = None
        settings = self.session_options.settings
        plans: list = []
        try:
            settings = apply_metadata(settings, notebook.metadata)
            plans = plan_cells(notebook.cells, settings.default_all)
        except DirectiveError as error:
            problem = f"{label}: bad notebook-test directive in {error}"
        except SettingsError as error:
            problem = f"{label}: {error}"
        # A bad directive fails this notebook only (at setup), and the others still run,
        # where a collection error would stop the session.
        item = NotebookItem.from_parent(
            self, name=self.path.stem, plans=plans, settings=settings, problem=problem
        )
        if problem is None and not settings.enabled:
            item.add_marker(
                pytest.mark.skip(reason='disabled by its metadata["notebook_test"]["enabled"]')
            )
        yield item


def _label(node: pytest.Node) -> str:
    """The notebook's path as pytest shows it: relative to rootdir, with "/"."""
    return node.nodeid.split("::")[0]


class NotebookItem(pytest.Item):
    """One notebook run as one test."""

    def __init__(
        self, *, plans: list, settings: Any, problem: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.plans = plans
        self.settings = settings
        self.problem = problem
        self.state: Any = None

    def setup(self) -> None:
        if self.problem is not None:
            # Without pytest's traceback: the message says all.
            pytest.fail(self.problem, pytrace=False)

    def runtest(self) -> None:
        from .engines import ENGINES, RunOptions, RunState, run_notebook

        session = self.session_options
        settings = self.settings
        label = _label(self)
        if settings.engine == "python":
            engine = ENGINES["python"](settings.strip_magics, session.rewrite_asserts)
        else:
            engine = ENGINES["ipython"]()
        if settings.dump_code == "always":
            self._write_dump(label)
        options = RunOptions(
            seed=settings.seed,
            mpl_backend=settings.mpl_backend,
            plotly_renderer=settings.plotly_renderer,
            timeout=settings.timeout,
            prelude=session.prelude(),
        )
        self.state = RunState(label)
        run_notebook(self.path, self.plans, engine, self.state, options)
        if not self.state.ran:
            self.user_properties.append((EMPTY_PROPERTY, EMPTY_VALUE))
            self.add_report_section("call", REPORT_SECTION, f"{label}: {EMPTY_VALUE}")

    def dump(self) -> str:
        """The code of the cells that run, as one text (`source.dump`)."""
        from .source import dump

        strip = self.settings.strip_magics and self.settings.engine == "python"
        return dump(_label(self), self.plans, strip)

    @property
    def session_options(self) -> NotebookTestSession:
        parent = self.parent
        assert isinstance(parent, NotebookFile)
        return parent.session_options

    def _write_dump(self, label: str) -> None:
        directory = self.session_options.dump_dir
        if directory is None:
            cache = getattr(self.config, "cache", None)
            if cache is not None:
                directory = Path(cache.mkdir(DUMP_FOLDER))
            else:
                directory = self.config.rootpath / DUMP_FOLDER
        directory.mkdir(parents=True, exist_ok=True)
        name = label.replace("/", "__").removesuffix(NOTEBOOK_SUFFIX) + ".py"
        (directory / name).write_text(self.dump(), encoding="utf-8")

    def teardown(self) -> None:
        if self.state is not None:
            self.state.forget()

    def reportinfo(self) -> tuple[Path, int, str]:
        # Line 0: pytest needs a number (e.g. to report a skip).
        return self.path, 0, f"notebook {_label(self)}"

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        from .._plan import CellFailed
        from .deadline import NotebookTimeout

        error = excinfo.value
        state = self.state
        if isinstance(error, PreludeError):
            return str(error)
        if isinstance(error, CellFailed):
            text = f"{_label(self)}: {error}"
            if error.source:
                text += "\n" + _excerpt(error.source, None)
            return text
        filenames = set(state.filenames) if state is not None else set()
        if isinstance(error, SyntaxError) and error.filename in filenames:
            return _syntax_error_text(_label(self), state.cell, error)
        traceback = excinfo.traceback
        cell_entries = [
            entry for entry in traceback if entry.frame.code.raw.co_filename in filenames
        ]
        if cell_entries:
            # From the cell that was running: what called it is the plugin and pytest.
            first = next(i for i, entry in enumerate(traceback) if entry in cell_entries)
            excinfo.traceback = type(traceback)(list(traceback)[first:])
        elif not isinstance(error, NotebookTimeout):
            excinfo.traceback = traceback.filter(
                lambda entry: (
                    not _is_internal(entry.frame.code.raw.co_filename)
                    and not _is_pytest(entry.frame.code.raw.co_filename)
                )
            )
        tbstyle = style or self.config.getoption("tbstyle", "auto")
        representation = excinfo.getrepr(
            funcargs=True,
            abspath=False,
            showlocals=self.config.getoption("showlocals", False),
            style="long" if tbstyle == "auto" else tbstyle,
            tbfilter=False,
            truncate_locals=self.config.getoption("verbose", 0) < 2,
        )
        summary = (
            str(error)
            if isinstance(error, NotebookTimeout)
            else _summary(_label(self), state, error, cell_entries)
        )
        if hasattr(representation, "addsection"):
            representation.addsection(REPORT_SECTION, summary)
        return representation


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_PYTEST_DIRS = tuple(
    os.path.dirname(os.path.abspath(module.__file__))
    for module in (pytest, sys.modules.get("_pytest"), sys.modules.get("pluggy"))
    if module is not None and getattr(module, "__file__", None)
)


def _is_internal(filename: str) -> bool:
    return os.path.dirname(os.path.abspath(filename)) == _PACKAGE_DIR


def _is_pytest(filename: str) -> bool:
    return os.path.abspath(filename).startswith(_PYTEST_DIRS)


def _summary(label: str, state: Any, error: BaseException, cell_entries: list) -> str:
    where = state.where if state is not None else "the prelude"
    if cell_entries:
        last = cell_entries[0]
        where = f"{where}, line {last.lineno + 1}"
    return f"{label}: {where} raised {type(error).__name__}: {error}"


def _syntax_error_text(label: str, cell: int | None, error: SyntaxError) -> str:
    lines = [
        f"{label}: cell {cell}, line {error.lineno}: SyntaxError: {error.msg}",
        _excerpt(linecache_source(error.filename), error.lineno, error.offset),
        "(IPython syntax such as %magic, !command or obj? runs with "
        "--notebook-test-strip-magics=true for line magics and shell escapes, or "
        "--notebook-test-engine=ipython for all of it)",
    ]
    return "\n".join(lines)


def linecache_source(filename: str) -> str:
    import linecache

    return "".join(linecache.getlines(filename))


def _excerpt(source: str, line: int | None, column: int | None = None) -> str:
    """Numbered lines of a cell: all of a short cell, else those around `line`."""
    lines = source.splitlines()
    if line is None or len(lines) <= 2 * SOURCE_CONTEXT + 1:
        first, last = 1, len(lines)
    else:
        first, last = max(1, line - SOURCE_CONTEXT), min(len(lines), line + SOURCE_CONTEXT)
    width = len(str(last))
    shown = []
    for number in range(first, last + 1):
        mark = ">" if number == line else " "
        shown.append(f"{mark} {number:>{width}} | {lines[number - 1]}")
        if number == line and column:
            shown.append(" " * (width + 5 + column - 1) + "^")
    return "\n".join(shown)
