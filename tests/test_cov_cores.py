"""ipytest.cov on each coverage.py core (ctrace, pytrace, and sysmon from Python 3.12).

Each test here picks the core with COVERAGE_CORE itself. The other coverage tests
(tests/test_cov.py, tests/coverage/*.ipynb) run under whatever core the environment
gives; CI runs them again with COVERAGE_CORE=sysmon and pytrace (see .ci/run).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import textwrap
import warnings

import coverage
import pytest
from covcells import (
    BODY_BRANCHES,
    BODY_LINES,
    HELPER_BRANCHES,
    HELPER_CELL,
    HELPER_LINES,
    TEST_BODY,
    branches_of,
    by_source,
    cell_files,
    lines_of,
    run_cells,
)
from coverage.config import CoverageConfig
from coverage.data import CoverageData
from coverage.exceptions import ConfigError

import ipytest
from ipytest import _cov_pytest, cov

pytest_plugins = ["pytester"]

# The tracer class coverage.py's sys_info() names for each core.
TRACERS = {"ctrace": "CTracer", "pytrace": "PyTracer", "sysmon": "SysMonitor"}
CORES = ["ctrace", "pytrace", *(["sysmon"] if sys.version_info >= (3, 12) else [])]
# coverage.py 7.9 and later read the core from `[run] core` too.
try:
    CORE_OPTION = CoverageConfig().get_option("run:core") is None
except ConfigError:
    CORE_OPTION = False
# Code compiled under a notebook's path, as a tool that runs notebooks would.
NOTES_SOURCE = """\
def double(x):
    if x:
        return 2 * x
    return 0  # pragma: no cover
"""


@pytest.fixture(autouse=True)
def fresh_cov_state(monkeypatch):
    monkeypatch.setattr(cov, "_translate_default", False)
    monkeypatch.setattr(cov, "_sources", list(cov._sources))


@pytest.fixture(params=CORES)
def core(request, monkeypatch):
    monkeypatch.setenv("COVERAGE_CORE", request.param)
    return request.param


@pytest.fixture
def started(monkeypatch):
    """The coverage.py instances started from now on, in order."""
    instances = []
    start = coverage.Coverage.start

    def recording_start(self):
        instances.append(self)
        return start(self)

    monkeypatch.setattr(coverage.Coverage, "start", recording_start)
    return instances


@pytest.fixture
def outside_pytest(monkeypatch):
    """As if no pytest run were in progress (this suite itself is one)."""
    monkeypatch.setattr(_cov_pytest, "active_runs", 0)


def core_of(instance: coverage.Coverage) -> str:
    return dict(instance.sys_info())["core"]


def plugin_warnings(record) -> list[str]:
    """The warnings about ipytest.cov or plugin file tracers among `record`."""
    return [
        str(item.message)
        for item in record
        if "ipytest.cov" in str(item.message) or "file tracer" in str(item.message)
    ]


@contextlib.contextmanager
def recorded_warnings():
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        yield record


def read_report(workdir) -> dict:
    return json.loads((workdir / "coverage.json").read_text(encoding="utf-8"))


# --- in pytest runs: every core measures cells as files --------------------------------


def test_each_core_reports_cells_exactly_and_records_the_plugin(shell, workdir, core, started):
    run_cells(shell, "import ipytest, ipytest.cov\nipytest.autoconfig(coverage=True)")
    cov.translate_cell_filenames()
    with recorded_warnings() as record:
        run_cells(shell, HELPER_CELL, f"%%ipytest --cov-report=json\n{TEST_BODY}")
    assert ipytest.exit_code == 0
    assert plugin_warnings(record) == []
    (measuring,) = [c for c in started if "ipytest.cov" in c.get_option("run:plugins")]
    assert core_of(measuring) == TRACERS[core]

    files = cell_files(read_report(workdir))
    assert sorted(files) == ["In[2]", "In[3]"]
    assert lines_of(files["In[2]"]) == HELPER_LINES
    assert lines_of(files["In[3]"]) == BODY_LINES
    data = CoverageData(basename=str(workdir / ".coverage"))
    data.read()
    cells = [name for name in data.measured_files() if cov.is_cell_filename(name)]
    assert len(cells) == 2
    assert {data.file_tracer(name) for name in cells} == {cov.TRACER_NAME}


def test_each_core_measures_branches_of_cells(shell, workdir, core):
    """sysmon measures branches from Python 3.14; before, coverage.py takes another core."""
    run_cells(shell, "import ipytest\nipytest.autoconfig(coverage=True)")
    cov.translate_cell_filenames()
    run_cells(shell, HELPER_CELL, f"%%ipytest --cov-branch --cov-report=json\n{TEST_BODY}")
    files = cell_files(read_report(workdir))
    assert lines_of(files["In[3]"]) == BODY_LINES
    assert branches_of(files["In[3]"]) == BODY_BRANCHES
    assert branches_of(files["In[2]"]) == HELPER_BRANCHES


def test_each_core_with_the_users_config_and_cov_on_the_magic_line(shell, workdir, core):
    (workdir / ".coveragerc").write_text("[run]\nplugins =\n    ipytest.cov\n", encoding="utf-8")
    run_cells(shell, "import ipytest, ipytest.cov\nipytest.autoconfig()")
    cov.name_cells_as_files(shell)
    cov.translate_cell_filenames()
    with recorded_warnings() as record:
        run_cells(shell, HELPER_CELL, f"%%ipytest --cov --cov-report=json\n{TEST_BODY}")
    assert plugin_warnings(record) == []
    files = cell_files(read_report(workdir))
    assert lines_of(files["In[2]"]) == HELPER_LINES
    assert lines_of(files["In[3]"]) == BODY_LINES


def test_the_environment_core_is_the_one_measuring(shell, workdir, started):
    """What CI's runs with COVERAGE_CORE=... rely on: the variable reaches the runs."""
    asked = os.environ.get("COVERAGE_CORE")
    if asked is None:
        pytest.skip("COVERAGE_CORE is not set")
    run_cells(shell, "import ipytest\nipytest.autoconfig(coverage=True)")
    run_cells(shell, f"%%ipytest --cov-report=\n{TEST_BODY}".replace("classify(1)", "'positive'"))
    assert [core_of(c) for c in started if "ipytest.cov" in c.get_option("run:plugins")] == [
        TRACERS[asked]
    ]


def test_a_pytest_run_counts_itself_while_it_runs_and_after_it_fails(shell, workdir):
    before = _cov_pytest.active_runs
    run_cells(
        shell,
        "import ipytest\nfrom ipytest import _cov_pytest\nipytest.autoconfig()\nseen = []",
        "%%ipytest\ndef test_count():\n    seen.append(_cov_pytest.active_runs)",
    )
    assert shell.user_ns["seen"] == [before + 1]
    assert _cov_pytest.active_runs == before
    with warnings.catch_warnings():
        # pytest 7 with a newer pluggy warns about its own hookwrapper on usage errors.
        warnings.simplefilter("ignore")
        assert ipytest.run("--no-such-option") == 4
    assert _cov_pytest.active_runs == before


# --- files of a registered source: what a notebook runner would use ----------------------


def register_notes(path) -> None:
    target = os.path.realpath(path)
    cov.register_source(lambda name: os.path.realpath(name) == target, lambda name: NOTES_SOURCE)


def test_each_core_reports_a_registered_source_under_its_path(shell, workdir, core):
    notes = workdir / "notes.ipynb"
    notes.write_text("{}", encoding="utf-8")
    register_notes(notes)
    (workdir / ".coveragerc").write_text("[run]\nplugins = ipytest.cov\n", encoding="utf-8")
    run_cells(shell, "import ipytest\nipytest.autoconfig()")
    exec(compile(NOTES_SOURCE, str(notes), "exec"), shell.user_ns)
    run_cells(
        shell, "%%ipytest --cov --cov-report=json\ndef test_double():\n    assert double(2) == 4"
    )
    assert ipytest.exit_code == 0
    entry = read_report(workdir)["files"]["notes.ipynb"]
    # The def line ran before measuring started, as for any module imported before.
    assert lines_of(entry) == {"executed": [2, 3], "missing": [1], "excluded": [4]}


def test_a_registered_source_is_reported_across_xdist_workers(pytester):
    """Each worker names the files it measured; the controller reports them combined."""
    pytester.makefile(".ini", pytest="[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    (pytester.path / ".coveragerc").write_text("[run]\nplugins = ipytest.cov\n", encoding="utf-8")
    (pytester.path / "notes.ipynb").write_text("{}", encoding="utf-8")
    pytester.makeconftest(
        f"""
        import os
        from ipytest import cov

        SOURCE = {NOTES_SOURCE!r}
        PATH = os.path.realpath("notes.ipynb")
        cov.register_source(lambda name: os.path.realpath(name) == PATH, lambda name: SOURCE)
        namespace = {{}}
        exec(compile(SOURCE, PATH, "exec"), namespace)
        double = namespace["double"]
        """
    )
    pytester.makepyfile(
        test_one="from conftest import double\ndef test_two():\n    assert double(1) == 2\n",
        test_two="from conftest import double\ndef test_four():\n    assert double(2) == 4\n",
    )
    result = pytester.runpytest_subprocess(
        "-p", "xdist", "-n", "2", "--cov", "--cov-report=json", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=2)
    report = json.loads((pytester.path / "coverage.json").read_text(encoding="utf-8"))
    # The controller measures from before it imports conftest.py: the def line ran there.
    assert lines_of(report["files"]["notes.ipynb"]) == {
        "executed": [1, 2, 3],
        "missing": [],
        "excluded": [4],
    }


def test_register_source_takes_two_functions():
    with pytest.raises(TypeError, match="two functions"):
        cov.register_source("*.ipynb", None)


def test_claim_measured_files_only_when_the_plugin_is_loaded(shell, workdir, monkeypatch):
    monkeypatch.setattr(_cov_pytest, "active_runs", 1)  # in a run: the plugin traces nothing
    cov.name_cells_as_files(shell)
    run_cells(shell, HELPER_CELL)
    for plugins, named in (([], False), (["ipytest.cov"], True)):
        measurement = coverage.Coverage(data_file=None, config_file=False)
        measurement.set_option("run:plugins", plugins)
        measurement.start()
        try:
            run_cells(shell, "classify(1)")
        finally:
            measurement.stop()
        data = measurement.get_data()
        (cell,) = [
            name
            for name in data.measured_files()
            if cov.is_cell_filename(name)
            and "def classify" in "".join(cov.cell_source_lines(name) or ())
        ]
        claimed = cov.claim_measured_files(measurement)
        assert (cell in claimed) is named
        assert all(cov.is_cell_filename(name) for name in claimed)
        assert bool(data.file_tracer(cell)) is named


# --- outside pytest: the plugin is a file tracer --------------------------------------


def measure_cells(shell, *sources: str) -> coverage.Coverage:
    """Measure `sources` run in `shell` with coverage.py used directly, plugin loaded."""
    measurement = coverage.Coverage(data_file=None, config_file=False)
    measurement.set_option("run:plugins", ["ipytest.cov"])
    measurement.start()
    try:
        run_cells(shell, *sources)
    finally:
        measurement.stop()
    return measurement


def test_outside_pytest_cells_are_traced_by_the_plugin_on_the_c_tracer(
    shell, workdir, outside_pytest, monkeypatch
):
    monkeypatch.delenv("COVERAGE_CORE", raising=False)
    cov.name_cells_as_files(shell)
    run_cells(shell, HELPER_CELL)
    with recorded_warnings() as record:
        measurement = measure_cells(shell, "classify(1)")
    assert plugin_warnings(record) == []
    assert core_of(measurement) == "CTracer"
    if CORE_OPTION:
        assert measurement.get_option("run:core") == "ctrace"
    measurement.json_report(outfile=str(workdir / "coverage.json"))
    files = cell_files(read_report(workdir))
    assert len(files) == 2
    assert lines_of(by_source(shell, files, "def classify")) == {
        "executed": [2, 3],
        "missing": [1, 6],
        "excluded": [4, 5],
    }
    data = measurement.get_data()
    cells = [name for name in data.measured_files() if cov.is_cell_filename(name)]
    assert {data.file_tracer(name) for name in cells} == {cov.TRACER_NAME}


@pytest.mark.parametrize("other_core", [c for c in CORES if c != "ctrace"])
def test_outside_pytest_a_core_without_file_tracers_gets_one_warning_naming_the_fix(
    shell, workdir, outside_pytest, monkeypatch, other_core
):
    monkeypatch.setenv("COVERAGE_CORE", other_core)
    cov.name_cells_as_files(shell)
    with recorded_warnings() as record:
        measure_cells(shell, "x = 1")
    messages = [str(item.message) for item in record if "core" in str(item.message)]
    assert messages == [textwrap.dedent(cov.UNSERVED_CORE_WARNING.format(core=other_core)).strip()]
    assert "core = ctrace" in messages[0]


def test_coverage_debug_sys_says_how_the_plugin_measures(workdir, monkeypatch):
    """With no core chosen, the plugin asks for the C tracer, and coverage.py shows it."""
    monkeypatch.delenv("COVERAGE_CORE", raising=False)
    (workdir / ".coveragerc").write_text("[run]\nplugins = ipytest.cov\n", encoding="utf-8")
    (workdir / "script.py").write_text("x = 1\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "coverage", "run", "--debug=sys", "script.py"],
        capture_output=True,
        text=True,
        check=True,
    )
    expected = "file tracer; set [run] core = ctrace" if CORE_OPTION else "file tracer"
    assert re.search(rf"^ +mode: {re.escape(expected)}", result.stdout + result.stderr, re.M)
    assert "core: CTracer" in result.stdout + result.stderr
