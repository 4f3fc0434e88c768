"""Coverage of notebook cells: a coverage.py plugin for the code of IPython cells.

IPython compiles each cell under a made-up filename and keeps its source in `linecache`;
no file of that name exists. Left alone, coverage.py either skips such code or fails to
report it ("No source for code"). With this plugin, coverage.py measures cells and
reports each one as a file, with its source taken from `linecache`:

```ini
# .coveragerc beside the notebook
[run]
plugins =
    ipytest.cov
```

`ipytest.autoconfig(coverage=True)` does this for you (see the Readme's Coverage
section). The plugin takes one option, in a section named after it:

```ini
[ipytest.cov]
translate_cell_filenames = true
```

**How it works, on every core.** coverage.py picks the reporter of a measured file by
the plugin its data file records as that file's tracer. Cells are compiled under names
that look like files (Jupyter's `/tmp/ipykernel_<pid>/<n>.py`, or those of
`name_cells_as_files`), so every coverage.py core (`ctrace`, `pytrace`, `sysmon`)
measures them as it measures files; what remains is to record this plugin as their
tracer, and it then reports them with their source from `linecache`:

- In a pytest run (ipytest's own runs, and any pytest process where ipytest is
  installed: its pytest plugin `ipytest_cov` is loaded), coverage.py measures cells with
  whatever core it chose, and at the end of the test loop, before pytest-cov saves the
  data, ipytest records the plugin as the tracer of every measured cell
  (`claim_measured_files`). The plugin then is no file tracer, so coverage.py does not
  warn that its `sysmon` core cannot run one.
- Elsewhere (coverage.py used directly in a notebook), the plugin is a file tracer, and
  coverage.py records it for the cells it claims. File tracers run only on the C tracer:
  the plugin asks for `core = ctrace` unless a core was chosen (`coverage debug sys`
  shows it). With another core chosen, one warning says that cells are not reported
  and how to fix it.

**Other code measured this way.** Another tool that runs code compiled from some file
(a notebook, say) can have it measured and reported through this plugin on every core:

1. compile the code under a filename that coverage.py traces (no angle brackets; the
   notebook's own path is a good one, as coverage.py reports files by their path
   relative to the working directory), with line numbers that mean something in the
   source you will report;
2. call `register_source(claims, source)` at import time of a module that is imported
   in every process that measures or reports: `claims(filename)` says whether a file
   is yours, `source(filename)` returns the Python source to report for it (or None);
3. make sure the coverage configuration loads `ipytest.cov` (for `--cov` runs you do
   not configure, write one with `merged_config_text`);
4. in pytest runs nothing else is needed; elsewhere call
   `claim_measured_files(coverage)` before the data is saved.

Statements, branches and `# pragma: no cover` are then analysed from that source as
coverage.py analyses a file.

coverage.py imports this module in every process it measures, so it imports nothing
beyond coverage.py, the standard library and ipytest's adapters `_compat_coverage` and
`_compat_ipython` (which import nothing more) at module level.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import linecache
import os
import re
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from coverage import CoveragePlugin, FileTracer
from coverage.exceptions import ConfigError, CoverageWarning

from . import _compat_coverage, _compat_ipython

__all__ = [
    "CellFileReporter",
    "CellFileTracer",
    "CellPlugin",
    "claim_measured_files",
    "coverage_init",
    "is_cell_filename",
    "name_cells_as_files",
    "register_source",
    "translate_cell_filenames",
]

PLUGIN_NAME = "ipytest.cov"
# The tracer name coverage.py records in data files for files of this plugin (the
# module named in `plugins`, then the class): it picks the reporter by it.
TRACER_NAME = f"{PLUGIN_NAME}.CellPlugin"
TRANSLATE_OPTION = "translate_cell_filenames"
CELL_LABEL = "In[{number}]"
REPEATED_CELL_LABEL = "In[{number}/{index}]"
# What a report shows for a cell whose source this process does not have (a cell of
# another kernel, or one dropped from linecache): an honest empty file, not a crash.
MISSING_CELL_SOURCE = (
    "# ipytest.cov: the source of this cell is not available in this process (a cell of "
    "another kernel, or one removed from linecache)\n"
)
MISSING_SOURCE = "# ipytest.cov: the source of {filename} is not available in this process\n"
# The directory (under the temp dir, per process) of the file-like cell names that
# `name_cells_as_files` gives a terminal IPython shell.
CELL_DIRECTORY_PREFIX = "ipython_"

# How many parsed sources reports keep for the next report (those of the last cells run).
PARSED_SOURCES_KEPT = 64
# The coverage.py core that supports file tracer plugins.
TRACER_CORE = "ctrace"
CORE_ENVIRONMENT_VARIABLE = "COVERAGE_CORE"
UNSERVED_CORE_WARNING = (
    "ipytest.cov: coverage.py's {core} core cannot run plugin file tracers, so the notebook "
    "cells it measures here, outside a pytest run, will not be reported. Set "
    "'[run] core = ctrace' in the coverage configuration or COVERAGE_CORE=ctrace in the "
    "environment, or measure the cells in a pytest run (ipytest.run, %%ipytest)."
)

_TRUE_WORDS = ("true", "yes", "on", "1")
_FALSE_WORDS = ("false", "no", "off", "0")

# Cell filenames: ipykernel's (`<tmp>/ipykernel_<pid>/<hash>.py`), those of
# `name_cells_as_files` and terminal IPython's own `<ipython-input-N-hash>` (which
# coverage.py never hands to plugins, see `name_cells_as_files`).
_CELL_FILENAME = re.compile(
    r".*[\\/]ipykernel_\d+[\\/]\d+\.py"
    rf"|.*[\\/]{CELL_DIRECTORY_PREFIX}\d+[\\/]ipython-input-\d+-[0-9a-f]+\.py"
    r"|<ipython-input-\d+-[0-9a-f]+>"
)
_NUMBER_IN_NAME = re.compile(r"ipython-input-(\d+)-")
# IPython turns a `%%magic` cell into this one call; the magic compiles the body as a
# cell of its own, under the same execution count.
_CELL_MAGIC_CALL = "get_ipython().run_cell_magic("

# The default of the plugin option: changed by `translate_cell_filenames()`.
_translate_default = False


def translate_cell_filenames(enabled: bool = True) -> None:
    """Name cells in coverage reports by their execution count, `In[N]`.

    Without it, a cell is reported under the temporary filename IPython compiled it as
    (`/tmp/ipykernel_<pid>/<hash>.py`). With it, the cell that ran as `In[7]` is reported
    as `In[7]`; when several sources ran under one execution count (a cell that runs
    code of its own, like a cell magic), they are `In[7]`, `In[7/2]`, ... Names come
    from the running IPython shell, so reports made in another process keep filenames.

    Off by default, because `In[N]` is not unique across kernels: combined data of two
    notebooks would report two different `In[3]`. The option `translate_cell_filenames`
    in a `[ipytest.cov]` section of the coverage configuration overrides this default.
    """
    global _translate_default
    if not isinstance(enabled, bool):
        raise TypeError(f"translate_cell_filenames() takes True or False, not {enabled!r}")
    _translate_default = enabled


def parse_flag(name: str, value: Any) -> bool:
    """Read a boolean plugin option: a bool, or text such as `true`/`false`, `yes`/`no`."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE_WORDS:
            return True
        if word in _FALSE_WORDS:
            return False
    accepted = "/".join(_TRUE_WORDS + _FALSE_WORDS)
    raise ConfigError(f"[{PLUGIN_NAME}] {name} = {value!r} is not a boolean; use one of {accepted}")


def parse_plugin_options(options: Mapping[str, Any]) -> dict[str, bool]:
    """Check the `[ipytest.cov]` options: unknown names and bad values raise ConfigError."""
    parsed = {}
    for name, value in options.items():
        if name != TRANSLATE_OPTION:
            raise ConfigError(
                f"[{PLUGIN_NAME}] has no option {name!r}; its only option is {TRANSLATE_OPTION}"
            )
        parsed[name] = parse_flag(name, value)
    return parsed


def coverage_init(reg: Any, options: Mapping[str, Any]) -> None:
    """The entry point coverage.py calls for `plugins = ipytest.cov`.

    `options` are those of the `[ipytest.cov]` section; the only one is
    `translate_cell_filenames` (a boolean, see `translate_cell_filenames()`). Unknown
    options and values that are no booleans raise coverage.py's `ConfigError`.
    """
    plugin = CellPlugin(parse_plugin_options(options))
    reg.add_configurer(plugin)
    # In a pytest run, ipytest records the plugin as the cells' tracer itself; elsewhere
    # the plugin traces them, which only the C tracer supports.
    plugin.in_pytest_run = in_pytest_run()
    if not plugin.in_pytest_run and _environment_core() in (None, TRACER_CORE):
        reg.add_file_tracer(plugin)


def is_cell_filename(filename: str) -> bool:
    """Whether `filename` is one IPython (or ipykernel) compiles cells under."""
    return _CELL_FILENAME.fullmatch(filename) is not None


# Which measured files this plugin reports, and their sources: cells, then what other
# tools register (see the module docstring).
SourceFunction = Callable[[str], "str | None"]
ClaimFunction = Callable[[str], bool]


def _cell_source(filename: str) -> str | None:
    lines = cell_source_lines(filename)
    return "".join(lines) if lines is not None else None


_sources: list[tuple[ClaimFunction, SourceFunction]] = [(is_cell_filename, _cell_source)]


def register_source(claims: ClaimFunction, source: SourceFunction) -> None:
    """Have this plugin measure and report the files for which `claims(filename)` is true.

    `source(filename)` returns the Python source to report for such a file (its line
    numbers are those the code was compiled with), or None when this process does not
    have it; the file is then reported with no statements. Register at import time of a
    module imported in every process that measures or reports (see the module
    docstring). Registering the same pair again does nothing; cells come first.
    """
    if not callable(claims) or not callable(source):
        raise TypeError("register_source() takes two functions: claims(filename), source(filename)")
    if (claims, source) not in _sources:
        _sources.append((claims, source))


def _source_of(filename: str) -> tuple[bool, SourceFunction | None]:
    """Whether `filename` is claimed, and the function that gives its source."""
    for claims, source in _sources:
        if claims(filename):
            return True, source
    return False, None


def claimed(filename: str) -> bool:
    """Whether this plugin reports `filename`: a cell, or a file of a registered source."""
    return _source_of(filename)[0]


def claim_measured_files(coverage_object: Any) -> list[str]:
    """Record this plugin as the tracer of the files it claims in `coverage_object`'s data.

    coverage.py then reports them with this plugin whatever core measured them. Only
    when `coverage_object` loads this plugin (else no reporter would answer to the
    name), and only files that have no tracer yet. Returns the files named. ipytest's
    pytest plugin calls this at the end of every test loop.
    """
    plugins = coverage_object.get_option("run:plugins") or ()
    if PLUGIN_NAME not in plugins:
        return []
    data = coverage_object.get_data()
    files = [
        filename
        for filename in data.measured_files()
        if claimed(filename) and not data.file_tracer(filename)
    ]
    if files:
        data.add_file_tracers(dict.fromkeys(files, TRACER_NAME))
    return files


def in_pytest_run() -> bool:
    """Whether this process is in a pytest run that loads ipytest's pytest plugin."""
    hooks = sys.modules.get("ipytest._cov_pytest")
    return hooks is not None and hooks.active_runs > 0


def _environment_core() -> str | None:
    return os.environ.get(CORE_ENVIRONMENT_VARIABLE) or None


def _chosen_core(config: Any) -> str | None:
    """The core the configuration asks for; None when coverage.py is to choose."""
    if config.get_option("run:timid"):
        return "pytrace"
    try:
        return config.get_option("run:core")
    except ConfigError:
        # coverage.py before 7.9 reads the core only from the environment.
        return _environment_core()


class CellPlugin(CoveragePlugin):
    """Reports cells (and registered files) from their source; traces them outside pytest."""

    def __init__(self, options: Mapping[str, bool] | None = None) -> None:
        self.translate: bool | None = (options or {}).get(TRANSLATE_OPTION)
        self.in_pytest_run = False
        self.asked_for_core = False
        self._config: Any = None
        self._labels: dict[str, str] | None = None

    def configure(self, config: Any) -> None:
        # Kept to read the exclusion regexes when reporting: they may change until then.
        self._config = config
        if self.in_pytest_run:
            return
        core = _chosen_core(config)
        if core is None:
            # The sys.monitoring core (the default from Python 3.14) runs no file tracers.
            with contextlib.suppress(ConfigError):
                config.set_option("run:core", TRACER_CORE)
                self.asked_for_core = True
        elif core != TRACER_CORE:
            warnings.warn(UNSERVED_CORE_WARNING.format(core=core), CoverageWarning, stacklevel=2)

    def sys_info(self) -> list[tuple[str, Any]]:
        if self.in_pytest_run:
            mode = "cells measured as files by any core, named at the end of the pytest run"
        elif self.asked_for_core:
            mode = f"file tracer; set [run] core = {TRACER_CORE}, which file tracers need"
        else:
            mode = "file tracer"
        return [("mode", mode), ("translate_cell_filenames", self.translating())]

    def file_tracer(self, filename: str) -> CellFileTracer | None:
        if claimed(filename):
            return CellFileTracer(filename)
        return None

    def file_reporter(self, filename: str) -> CellFileReporter:
        return CellFileReporter(filename, self)

    def translating(self) -> bool:
        return _translate_default if self.translate is None else self.translate

    def label(self, filename: str) -> str | None:
        """The `In[N]` name of a cell, when this process knows its execution count."""
        if not is_cell_filename(filename):
            return None
        if self._labels is None:
            self._labels = cell_labels(_execution_counts())
        label = self._labels.get(filename)
        if label is None:
            match = _NUMBER_IN_NAME.search(os.path.basename(filename))
            if match:
                label = CELL_LABEL.format(number=match[1])
        return label

    def regex(self, *option_names: str) -> str:
        """The alternation of the regexes in the given configuration options."""
        if self._config is None:
            return ""
        patterns = [p for name in option_names for p in self._config.get_option(name) or ()]
        return "|".join(f"(?:{pattern})" for pattern in patterns)


class CellFileTracer(FileTracer):
    """Traces a cell's code as the cell's own file."""

    def __init__(self, filename: str) -> None:
        self._filename = filename

    def source_filename(self) -> str:
        return self._filename


class CellFileReporter(_compat_coverage.PythonSourceReporter):
    """coverage.py's Python reporter, reading a cell's source from linecache.

    Statements, branches and `# pragma: no cover` exclusions are analysed exactly as
    for a Python file; only the source and the reported name differ. Files of a
    registered source get their source from it.
    """

    def __init__(self, filename: str, plugin: CellPlugin) -> None:
        super().__init__(filename)
        self._plugin = plugin

    def relative_filename(self) -> str:
        if self._plugin.translating():
            label = self._plugin.label(self.filename)
            if label is not None:
                return label
        return super().relative_filename()

    def read_source(self) -> str:
        _, source = _source_of(self.filename)
        text = source(self.filename) if source is not None else None
        if text is None:
            text = (
                MISSING_CELL_SOURCE
                if is_cell_filename(self.filename)
                else MISSING_SOURCE.format(filename=self.filename)
            )
        return text

    def make_parser(self) -> Any:
        exclude = self._plugin.regex("report:exclude_lines")
        return _parsed(self.filename, self.source(), exclude)

    def no_branch_lines(self) -> set[int]:
        regex = self._plugin.regex("report:partial_branches", "report:partial_branches_always")
        return self.parser.lines_matching(regex) if regex else set()


@functools.lru_cache(maxsize=PARSED_SOURCES_KEPT)
def _parsed(filename: str, text: str, exclude: str) -> Any:
    """coverage.py's analysis of a source, kept: pytest-cov reports a run twice (its total
    and the reports asked for), and a cell is run again and again."""
    return _compat_coverage.parse_python(filename, text, exclude)


def cell_source_lines(filename: str) -> list[str] | None:
    """A cell's source lines from linecache, or None when it is not there."""
    entry = linecache.cache.get(filename)
    if entry is None and not filename.startswith("<"):
        # coverage.py names files by their real path; linecache by the name compiled.
        for name, candidate in list(linecache.cache.items()):
            if is_cell_filename(name) and os.path.realpath(name) == filename:
                entry = candidate
                break
    if entry is None or len(entry) < 3:
        return None
    return list(entry[2])


def _execution_counts() -> dict[str, int]:
    """The running IPython shell's map of cell filename to execution count, if any."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return {}
    shell = ipython.get_ipython()
    counts = _compat_ipython.execution_counts(shell)
    return dict(counts) if counts is not None else {}


def cell_labels(counts: Mapping[str, int]) -> dict[str, str]:
    """`In[N]` names for cell filenames, from filename -> execution count (in run order).

    Sources sharing an execution count are `In[N]`, `In[N/2]`, ... in the order they
    were compiled, except that IPython's one-line call of a cell magic comes after the
    body the magic ran, so that an `%%ipytest` cell's code is plain `In[N]`.
    """
    by_number: dict[int, list[str]] = {}
    for filename, number in counts.items():
        by_number.setdefault(number, []).append(filename)
    labels = {}
    for number, filenames in by_number.items():
        ordered = sorted(filenames, key=_is_cell_magic_call)
        for index, filename in enumerate(ordered, start=1):
            label = (
                CELL_LABEL.format(number=number)
                if index == 1
                else REPEATED_CELL_LABEL.format(number=number, index=index)
            )
            labels[filename] = label
            if not filename.startswith("<"):
                labels.setdefault(os.path.realpath(filename), label)
    return labels


def _is_cell_magic_call(filename: str) -> bool:
    lines = cell_source_lines(filename)
    return bool(lines) and lines[0].startswith(_CELL_MAGIC_CALL)


def name_cells_as_files(shell: Any, enabled: bool = True) -> None:
    """Make a terminal IPython `shell` compile cells under filenames coverage.py traces.

    Terminal IPython names cells `<ipython-input-N-hash>`, and coverage.py ignores all
    code from names in angle brackets. With this, cells run afterwards are named
    `<tmp>/ipython_<pid>/ipython-input-N-hash.py` instead (as ipykernel does, no file is
    written; tracebacks still say `Cell In[N]`). `autoconfig(coverage=True)` calls it;
    `enabled=False` restores IPython's names. Shells that already use file-like names
    (ipykernel's) are left alone.
    """
    compiler = getattr(shell, "compile", None)
    if compiler is None:
        return
    installed = _compat_ipython.code_namer_of(compiler)
    if not enabled:
        if installed is _file_like_code_name:
            _compat_ipython.remove_code_namer(compiler)
        return
    if installed is not None:
        return
    probe = _compat_ipython.code_name(compiler, "", 0)
    if isinstance(probe, str) and probe.startswith("<"):
        _compat_ipython.install_code_namer(compiler, _file_like_code_name)


@contextlib.contextmanager
def cells_named_as_files(shell: Any) -> Iterator[None]:
    """Name the cells a shell runs in this block as `name_cells_as_files` does, then restore.

    An `%%ipytest` cell whose run measures coverage runs its code in such a block, so that
    the code is measured in terminal IPython too, however coverage was asked for.
    """
    compiler = getattr(shell, "compile", None)
    already = compiler is not None and _compat_ipython.code_namer_of(compiler) is not None
    name_cells_as_files(shell)
    try:
        yield
    finally:
        if not already:
            name_cells_as_files(shell, enabled=False)


def _file_like_code_name(raw_code: str, transformed_code: str, number: int) -> str:
    digest = hashlib.sha1(transformed_code.encode("utf-8"), usedforsecurity=False).hexdigest()
    directory = os.path.join(tempfile.gettempdir(), f"{CELL_DIRECTORY_PREFIX}{os.getpid()}")
    return os.path.join(directory, f"ipython-input-{number}-{digest[:12]}.py")


# Glob characters of coverage.py's file patterns; `?` matches any one of them.
_GLOB_CHARACTERS = re.compile(r"[][*?]")


def own_code_pattern() -> str:
    """The `omit` pattern of ipytest's own files, where this process imported them from.

    An absolute path, not a glob such as `*/ipytest/*`: that would not follow the
    package wherever it is installed, and would hide a user's own folder of that name.
    coverage.py names files by their real path, hence the real path here; a glob
    character in it is written as `?`, and the final `/*` matches subfolders too.
    """
    folder = os.path.realpath(os.path.dirname(os.path.abspath(__file__)))
    return _GLOB_CHARACTERS.sub("?", folder.replace(os.sep, "/")) + "/*"


# Recording an %%ipytest cell's body: it runs before pytest-cov starts measuring, so
# its module-level lines (def lines included) would be reported as never executed.


class CellRecording:
    """The coverage data of code run before a pytest run, to add to the run's data.

    `record(shell)` measures the code a shell runs in a block (the body of an
    `%%ipytest` cell) with a private coverage.py instance, always with branch data;
    `pytest_plugin()` then gives the run a plugin that adds the recorded lines (or arcs,
    for `--cov-branch`) to pytest-cov's data when the tests are done, for the files the
    run itself measured. The run's configuration thus still decides what is measured.
    """

    def __init__(self) -> None:
        self.data: Any = None
        self.context: str | None = None
        self._outer: Any = None

    @contextlib.contextmanager
    def record(self, shell: Any) -> Iterator[None]:
        """Measure the code `shell` runs in this block (its cells' code, not IPython's).

        Measuring starts when the shell first executes compiled code, so that IPython's
        own work before (transforming and compiling the cell) runs at full speed.
        """
        import coverage

        self._outer = coverage.Coverage.current()
        recorder = _body_recorder()
        context = f"{RECORDING_CONTEXT}{next(_recording_numbers)}"
        started = False

        def start_once() -> None:
            nonlocal started
            if not started:
                recorder.start()
                started = True
                recorder.switch_context(context)

        try:
            with _compat_ipython.before_each_run_code(shell, start_once):
                yield
        finally:
            if started:
                recorder.stop()
                self.data = recorder.get_data()
                self.context = context

    def pytest_plugin(self) -> object:
        return _recorded_cells_plugin_class()(self)

    def add_to(self, run_coverage: Any) -> None:
        """Add the recorded lines of the files `run_coverage` measured to its data."""
        if self.data is None or run_coverage is None or run_coverage is self._outer:
            return
        data = run_coverage.get_data()
        measured = set(data.measured_files())
        files = [name for name in self.data.measured_files() if name in measured]
        if not files:
            return
        # The recorder keeps the data of every recording, each in a context of its own.
        self.data.set_query_contexts([f"^{re.escape(self.context or '')}$"])
        if data.has_arcs():
            data.add_arcs({name: self.data.arcs(name) or [] for name in files})
        else:
            data.add_lines({name: self.data.lines(name) or [] for name in files})


RECORDING_CONTEXT = "ipytest-cell-body-"
_recording_numbers = itertools.count(1)


@functools.cache
def _body_recorder() -> Any:
    """The coverage.py instance that records `%%ipytest` cell bodies: one per process.

    A new one for each cell would cost milliseconds (coverage.py classifies the folders of
    `sys.path` when an instance first starts) and memory (it keeps every started instance
    until the process exits). Each recording is a dynamic context of its own.
    """
    import coverage

    recorder = coverage.Coverage(data_file=None, branch=True, config_file=False)
    # Cells are traced as files without the plugin. The C tracer records branches and
    # dynamic contexts on every Python (sys.monitoring neither before 3.14); coverage.py
    # before 7.9 has no such option (it reads COVERAGE_CORE).
    with contextlib.suppress(ConfigError):
        recorder.set_option("run:core", TRACER_CORE)
    # ipytest's own code (its assert rewriter runs in every cell) is no notebook code.
    recorder.set_option("run:omit", [own_code_pattern()])
    recorder.set_option("run:disable_warnings", ["no-data-collected"])
    return recorder


@functools.cache
def _recorded_cells_plugin_class() -> type:
    import pytest

    class RecordedCells:
        def __init__(self, recording: CellRecording) -> None:
            self.recording = recording

        # Innermost wrapper: runs after the tests, before pytest-cov stops measuring.
        @pytest.hookimpl(hookwrapper=True, trylast=True)
        def pytest_runtestloop(self, session):
            yield
            import coverage

            self.recording.add_to(coverage.Coverage.current())

    return RecordedCells


# The configuration of `coverage=True` when the user has one of their own.


_SHARED_CONFIG_FILES = ("setup.cfg", "tox.ini", "pyproject.toml")


def merged_config_text(path: Path) -> str:
    """A `.coveragerc` text: the coverage configuration in `path`, plus this plugin.

    coverage.py reads `path` (any of its formats) and every option it sets is written
    back, so its `source`, `omit`, exclusions and report settings apply unchanged;
    `omit` also gets `own_code_pattern()`.
    """
    # Files shared with other tools hold coverage.py's settings in sections of their own.
    our_file = path.name not in _SHARED_CONFIG_FILES
    config = _compat_coverage.read_config(str(path), our_file=our_file)

    def adjust(where: str, value: Any) -> Any:
        if where == "run:plugins":
            return [PLUGIN_NAME, *(name for name in value if name != PLUGIN_NAME)]
        if where == "run:omit":
            return [*value, own_code_pattern()]
        return value

    return _compat_coverage.config_as_ini(
        config, adjust, f"coverage.py configuration written by ipytest from {path}"
    )
