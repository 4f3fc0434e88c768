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
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .._compat_pytest import TracebackFilter, packages_of_pytest
from . import report
from .options import (
    BY_FLAG,
    DUMP_FOLDER,
    ENABLE_HELP,
    ENABLE_INI,
    ENABLE_INI_HELP,
    ENABLE_OPTION,
    OPTIONS,
    for_argparse,
)

PLUGIN_NAME = "notebook_test"
SESSION_PLUGIN_NAME = "notebook_test-session"
NOTEBOOK_SUFFIX = ".ipynb"
CHECKPOINTS_FOLDER = ".ipynb_checkpoints"
CODE_SECTION = "notebook-test generated code"
EMPTY_PROPERTY = "notebook-test"
EMPTY_VALUE = "no code cell selected"
EMPTY_STATUS = "PASSED (no code cell selected)"
# nbval's switches (option -> dest): nbval collects notebooks too.
NBVAL_SWITCHES = {"--nbval": "nbval", "--nbval-lax": "nbval_lax"}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("notebook-test", "run notebooks in-process (ipytest)")
    group.addoption(
        ENABLE_OPTION,
        action="store_true",
        default=None,
        dest="notebook_test",
        help=for_argparse(ENABLE_HELP),
    )
    parser.addini(ENABLE_INI, type="bool", default=False, help=ENABLE_INI_HELP)
    for option in OPTIONS:
        group.addoption(
            option.name,
            action="append" if option.multiple else "store",
            default=None,
            dest=option.dest,
            metavar=option.metavar,
            help=for_argparse(option.command_line_help),
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


class NotebookTestSession:
    """The options of a session with notebook testing on, and its collection hooks."""

    def __init__(self, config: pytest.Config) -> None:
        from . import settings as parse

        self.config = config
        value, name = self._value, self._source
        self.settings = parse.read_settings(
            lambda option: value(option.flag), lambda option: name(option.flag)
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
        option = BY_FLAG[flag]
        given = self.config.getoption(option.dest)
        return self.config.getini(f"notebook_test_{option.ini}") if given is None else given

    def _source(self, flag: str) -> str:
        """Where the option's value comes from, for error messages."""
        option = BY_FLAG[flag]
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


class NotebookItem(TracebackFilter, pytest.Item):
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
        from .engines import RunState, engine_for, run_notebook

        session = self.session_options
        label = _label(self)
        if self.settings.dump_code == "always":
            self._write_dump(label)
        self.state = RunState(label)
        engine = engine_for(self.settings, rewrite_asserts=session.rewrite_asserts)
        run_notebook(self.path, self.plans, engine, self.state, self.settings, session.prelude())
        if not self.state.ran:
            self.user_properties.append((EMPTY_PROPERTY, EMPTY_VALUE))
            self.add_report_section("call", report.SECTION, f"{label}: {EMPTY_VALUE}")

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
        label = _label(self)
        if isinstance(error, PreludeError):
            return str(error)
        if isinstance(error, CellFailed):
            return report.cell_failure_text(label, error)
        state = self.state
        if isinstance(error, SyntaxError) and error.filename in self._cell_filenames():
            return report.syntax_error_text(label, state.cell, error)
        # pytest's own report (--tb, --fulltrace, -l), with the frames `filter_traceback` keeps;
        # the style chosen as pytest's `Function` chooses it (`Node` would ignore line and no).
        if style is None:
            style = self.config.getoption("tbstyle", "auto")
        representation = super().repr_failure(excinfo, "long" if style == "auto" else style)
        if hasattr(representation, "addsection") and style != "line":
            if isinstance(error, NotebookTimeout):
                text = str(error)
            else:
                where = state.where if state is not None else "the prelude"
                text = report.summary(label, where, error, self._failing_line(excinfo))
            representation.addsection(report.SECTION, text)
        return representation

    def filter_traceback(self, excinfo: pytest.ExceptionInfo[BaseException]) -> Any:
        """From the cell that raised; else without the plugin's and pytest's frames."""
        from .deadline import NotebookTimeout

        traceback = excinfo.traceback
        first = report.first_cell_entry(traceback, self._cell_filenames())
        if first is not None:
            return type(traceback)(list(traceback)[first:])
        if isinstance(excinfo.value, NotebookTimeout):
            return traceback
        return traceback.filter(
            lambda entry: not report.is_machinery(entry.frame.code.raw.co_filename, _PYTEST_DIRS)
        )

    def _cell_filenames(self) -> set[str]:
        return set(self.state.filenames) if self.state is not None else set()

    def _failing_line(self, excinfo: pytest.ExceptionInfo[BaseException]) -> int | None:
        first = report.first_cell_entry(excinfo.traceback, self._cell_filenames())
        return None if first is None else excinfo.traceback[first].lineno + 1


_PYTEST_DIRS = report.pytest_dirs(packages_of_pytest())
