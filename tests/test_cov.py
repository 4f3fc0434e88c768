"""ipytest.cov and coverage=True: the plugin's parts, and exact line and branch data of
cells measured in a real IPython shell and a real Jupyter kernel."""

from __future__ import annotations

import configparser
import contextlib
import json
import linecache
import os
import re
import tempfile
import warnings
from pathlib import Path

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
    measured,
    run_cells,
)
from coverage.config import CoverageConfig
from coverage.exceptions import ConfigError
from hypothesis import given
from hypothesis import strategies as st
from kernel import execute_notebook, write_notebook

import ipytest
from ipytest import _impl, cov


@pytest.fixture(autouse=True)
def fresh_cov_state():
    saved = cov._translate_default
    _impl._warned_coverage_configs.clear()
    yield
    cov._translate_default = saved
    _impl._warned_coverage_configs.clear()


# --- the plugin option ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        (False, False),
        ("true", True),
        (" Yes ", True),
        ("ON", True),
        ("1", True),
        ("false", False),
        ("no", False),
        ("Off", False),
        ("0", False),
    ],
)
def test_parse_flag_accepts_booleans_and_words(value, expected):
    assert cov.parse_flag("translate_cell_filenames", value) is expected


@pytest.mark.parametrize("value", ["", "maybe", "2", "truee", None, 1, [], "y"])
def test_parse_flag_names_bad_values(value):
    with pytest.raises(ConfigError, match=r"translate_cell_filenames = .* is not a boolean"):
        cov.parse_flag("translate_cell_filenames", value)


@given(st.one_of(st.text(), st.booleans(), st.integers(), st.none(), st.floats()))
def test_parse_flag_gives_a_bool_or_a_clear_error(value):
    try:
        result = cov.parse_flag("translate_cell_filenames", value)
    except ConfigError as error:
        message = str(error)
        result = None
    if result is None:
        assert repr(value) in message
    else:
        assert isinstance(result, bool)


def test_plugin_options_reject_unknown_names():
    with pytest.raises(ConfigError, match="no option 'translate'"):
        cov.parse_plugin_options({"translate": "true"})


def test_translate_cell_filenames_takes_only_booleans():
    with pytest.raises(TypeError, match="True or False"):
        cov.translate_cell_filenames("yes")


# --- recognising and naming cells ------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "is_cell"),
    [
        ("/tmp/ipykernel_4242/1234567.py", True),
        ("C:\\Temp\\ipykernel_12\\99.py", True),
        ("/tmp/ipython_7/ipython-input-3-0123456789ab.py", True),
        ("<ipython-input-3-0123456789ab>", True),
        ("/tmp/ipykernel_4242/notes.py", False),
        ("/home/me/project/module.py", False),
        ("<string>", False),
        ("/tmp/ipython_7/other.py", False),
    ],
)
def test_is_cell_filename(filename, is_cell):
    assert cov.is_cell_filename(filename) is is_cell


def test_cell_labels_number_repeats_and_put_magic_calls_last(monkeypatch):
    sources = {
        "/tmp/ipykernel_1/1.py": "import ipytest\n",
        "/tmp/ipykernel_1/2.py": "get_ipython().run_cell_magic('ipytest', '', 'x')\n",
        "/tmp/ipykernel_1/3.py": "def test(): pass\n",
        "/tmp/ipykernel_1/4.py": "print(1)\n",
        "/tmp/ipykernel_1/5.py": "print(2)\n",
    }
    for name, text in sources.items():
        monkeypatch.setitem(linecache.cache, name, (len(text), None, [text], name))
    counts = dict(zip(sources, [1, 2, 2, 3, 3], strict=True))
    assert cov.cell_labels(counts) == {
        "/tmp/ipykernel_1/1.py": "In[1]",
        "/tmp/ipykernel_1/3.py": "In[2]",
        "/tmp/ipykernel_1/2.py": "In[2/2]",
        "/tmp/ipykernel_1/4.py": "In[3]",
        "/tmp/ipykernel_1/5.py": "In[3/2]",
    }


def test_name_cells_as_files_names_new_cells_and_keeps_tracebacks(shell):
    run_cells(shell, "x = 1")
    cov.name_cells_as_files(shell)
    run_cells(shell, "def f():\n    return 1 / 0")
    name = shell.user_ns["f"].__code__.co_filename
    assert cov.is_cell_filename(name)
    assert not name.startswith("<")
    assert not os.path.exists(name)
    result = shell.run_cell("f()", store_history=True)
    assert isinstance(result.error_in_exec, ZeroDivisionError)
    assert shell.compile.format_code_name(name) == ("Cell", "In[2]")

    cov.name_cells_as_files(shell, enabled=False)
    run_cells(shell, "def g():\n    pass")
    assert shell.user_ns["g"].__code__.co_filename.startswith("<ipython-input-")


# --- configuration ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "addopts", "coverage", "expected"),
    [
        ([], [], False, False),
        ([], [], True, True),
        (["--cov"], [], False, True),
        (["--cov=src"], [], False, True),
        ([], ["--cov"], False, True),
        (["--cov", "--no-cov"], [], False, False),
        (["--no-cov"], [], True, False),
        (["--cov-report=json"], [], False, False),
        (["-k", "cov"], [], False, False),
    ],
)
def test_coverage_requested(args, addopts, coverage, expected):
    assert _impl.coverage_requested(args, addopts, coverage) is expected


USER_RCFILE = """\
[run]
branch = true
omit =
    */skipped/*
source = .
[report]
exclude_also =
    #\\s*unreachable
    raise NotImplementedError$
precision = 1
[paths]
source =
    src/
    */site-packages/
"""


@pytest.mark.parametrize(
    ("filename", "text"),
    [
        (".coveragerc", USER_RCFILE),
        ("setup.cfg", "[metadata]\nname = x\n" + USER_RCFILE.replace("[", "[coverage:")),
        ("tox.ini", USER_RCFILE.replace("[", "[coverage:")),
        (
            "pyproject.toml",
            """\
[tool.coverage.run]
branch = true
omit = ["*/skipped/*"]
source = ["."]
[tool.coverage.report]
exclude_also = ['#\\s*unreachable', 'raise NotImplementedError$']
precision = 1
[tool.coverage.paths]
source = ["src/", "*/site-packages/"]
""",
        ),
    ],
)
def test_merged_config_keeps_every_user_setting_and_adds_the_plugin(tmp_path, filename, text):
    path = tmp_path / filename
    path.write_text(text, encoding="utf-8")
    merged = tmp_path / "merged" / ".coveragerc"
    merged.parent.mkdir()
    merged.write_text(cov.merged_config_text(path), encoding="utf-8")

    original, result = CoverageConfig(), CoverageConfig()
    original.from_file(str(path), print, our_file=filename == ".coveragerc")
    assert result.from_file(str(merged), print, our_file=True)
    assert result.plugins == ["ipytest.cov"]
    assert result.branch is True
    assert result.run_omit == ["*/skipped/*", cov.own_code_pattern()]
    assert result.source == ["."]
    # INI drops a continuation line starting with # (a comment); from TOML it is kept,
    # written as [#] so that the merged INI file does not drop it.
    assert result.exclude_also[-1] == "raise NotImplementedError$"
    assert ("[#]\\s*unreachable" in result.exclude_also) is (filename == "pyproject.toml")
    assert result.precision == 1
    assert result.paths == original.paths == {"source": ["src/", "*/site-packages/"]}
    same_settings(result, original)


def same_settings(merged: CoverageConfig, original: CoverageConfig) -> None:
    for attribute, _, *kind in CoverageConfig.CONFIG_FILE_OPTIONS:
        value = getattr(merged, attribute)
        if kind == ["regexlist"]:
            value = [re.sub(r"^\[([#;])\]", r"\1", regex) for regex in value]
        if attribute == "plugins":
            assert value[0] == "ipytest.cov"
            value = [name for name in value if name != "ipytest.cov"]
            assert value == [name for name in original.plugins if name != "ipytest.cov"]
        elif attribute == "run_omit":
            assert value == [*original.run_omit, cov.own_code_pattern()]
        else:
            assert value == getattr(original, attribute), attribute
    assert merged.paths == original.paths


_SECTIONS = st.sampled_from(["[run]", "[report]", "[paths]", "[html]", "[ipytest.cov]", "[x"])
_KEYS = st.sampled_from(
    [
        "branch",
        "omit",
        "source",
        "exclude_lines",
        "exclude_also",
        "precision",
        "plugins",
        "data_file",
        "title",
        "sort",
        "skip_covered",
        "fail_under",
        "src",
        "translate_cell_filenames",
    ]
)
_VALUES = st.lists(
    st.sampled_from([*"ab1 .*/#;$%{}[]\\:=,\t-_'\"", "\n    ", "\n"]), max_size=20
).map("".join)


@given(st.lists(st.tuples(_SECTIONS, _KEYS, _VALUES), max_size=8))
def test_merged_config_of_any_rcfile_reads_back_the_same_or_raises_config_error(entries):
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / ".coveragerc"
        path.write_text(
            "".join(f"{section}\n{key} = {value}\n" for section, key, value in entries),
            encoding="utf-8",
        )
        try:
            text = cov.merged_config_text(path)
        except ConfigError:
            return
        original, merged = CoverageConfig(), CoverageConfig()
        original.from_file(str(path), lambda message: None, our_file=True)
        merged_path = Path(directory) / "merged.ini"
        merged_path.write_text(text, encoding="utf-8")
        assert merged.from_file(str(merged_path), lambda message: None, our_file=True)
        same_settings(merged, original)


def test_merged_config_keeps_plugin_options_and_other_plugins(tmp_path):
    path = tmp_path / ".coveragerc"
    path.write_text(
        "[run]\nplugins =\n    other.plugin\n    ipytest.cov\n"
        "[ipytest.cov]\ntranslate_cell_filenames = yes\n",
        encoding="utf-8",
    )
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(cov.merged_config_text(path))
    plugins = [name.strip() for name in re.split(r"[,\n]", parser["run"]["plugins"])]
    assert [name for name in plugins if name] == ["ipytest.cov", "other.plugin"]
    assert parser["ipytest.cov"]["translate_cell_filenames"] == "yes"


def read_config(path: Path) -> CoverageConfig:
    config = CoverageConfig()
    assert config.from_file(str(path), print, our_file=True)
    return config


def test_coverage_args_use_the_shipped_config_without_a_user_config(workdir):
    with _impl.coverage_args(workdir) as args:
        assert args[0] == "--cov"
        config_file = Path(args[1].removeprefix("--cov-config="))
        config = read_config(config_file)
    assert config.plugins == ["ipytest.cov"]
    assert config.run_omit == [cov.own_code_pattern()]
    assert not config_file.exists()


def test_coverage_args_merge_a_user_config_warn_once_and_clean_up(workdir):
    (workdir / ".coveragerc").write_text("[run]\nomit = */x/*\n", encoding="utf-8")
    (workdir / "tox.ini").write_text("[coverage:run]\nbranch = true\n", encoding="utf-8")
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        with _impl.coverage_args(workdir) as args:
            config_file = Path(args[1].removeprefix("--cov-config="))
            text = config_file.read_text(encoding="utf-8")
    assert len(record) == 1
    assert ".coveragerc, with the ipytest.cov plugin" in str(record[0].message)
    assert "tox.ini is not read" in str(record[0].message)
    assert "*/x/*" in text
    assert "ipytest.cov" in text
    assert not config_file.exists()

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with _impl.coverage_args(workdir):
            pass


def test_coverage_args_fall_back_to_the_shipped_config_for_a_broken_user_config(workdir):
    (workdir / ".coveragerc").write_text("[run\nbroken", encoding="utf-8")
    with (
        pytest.warns(UserWarning, match=r"could not read .*\.coveragerc"),
        _impl.coverage_args(workdir) as args,
    ):
        config = read_config(Path(args[1].removeprefix("--cov-config=")))
    assert config.plugins == ["ipytest.cov"]
    assert config.run_omit == [cov.own_code_pattern()]


# --- exact data in a real shell ----------------------------------------------------------


def shell_report(shell, workdir, magic_line: str, body: str = TEST_BODY) -> dict:
    run_cells(shell, HELPER_CELL, f"%%ipytest {magic_line} --cov-report=json\n{body}")
    assert ipytest.exit_code == 0
    return json.loads((workdir / "coverage.json").read_text(encoding="utf-8"))


def test_shell_lines_are_exact_with_coverage_true(shell, workdir):
    run_cells(shell, "import ipytest\nipytest.autoconfig(coverage=True)")
    files = cell_files(shell_report(shell, workdir, ""))
    assert lines_of(by_source(shell, files, "def classify")) == HELPER_LINES
    assert lines_of(by_source(shell, files, "def test_sign")) == BODY_LINES


def test_shell_branches_are_exact(shell, workdir):
    run_cells(shell, "import ipytest\nipytest.autoconfig(coverage=True)")
    files = cell_files(shell_report(shell, workdir, "--cov-branch"))
    helper = by_source(shell, files, "def classify")
    body = by_source(shell, files, "def test_sign")
    assert lines_of(helper) == HELPER_LINES
    assert lines_of(body) == BODY_LINES
    assert branches_of(helper) == HELPER_BRANCHES
    assert branches_of(body) == BODY_BRANCHES


def test_shell_with_a_user_coveragerc_and_cov(shell, workdir):
    (workdir / ".coveragerc").write_text("[run]\nplugins =\n    ipytest.cov\n", encoding="utf-8")
    run_cells(shell, "import ipytest, ipytest.cov\nipytest.autoconfig()")
    cov.name_cells_as_files(shell)
    files = cell_files(shell_report(shell, workdir, "--cov"))
    assert lines_of(by_source(shell, files, "def classify")) == HELPER_LINES
    assert lines_of(by_source(shell, files, "def test_sign")) == BODY_LINES


@pytest.mark.parametrize(
    ("magic_line", "comment"), [("--cov", ""), ("", "# ipytest: coverage=True\n")]
)
def test_shell_measures_the_ipytest_cell_however_coverage_is_asked_for(
    shell, workdir, magic_line, comment
):
    """Without name_cells_as_files, terminal IPython names cells <ipython-input-...>."""
    (workdir / ".coveragerc").write_text("[run]\nplugins =\n    ipytest.cov\n", encoding="utf-8")
    run_cells(shell, "import ipytest\nipytest.autoconfig()")
    # coverage=True merges the user's configuration, and says so; --cov just uses it.
    merging = pytest.warns(UserWarning, match="your coverage configuration")
    with merging if comment else contextlib.nullcontext():
        files = cell_files(shell_report(shell, workdir, magic_line, comment + TEST_BODY))
    assert len(files) == 1  # the helper cell ran under IPython's own name: never measured
    (body,) = files.values()
    offset = comment.count("\n")
    assert lines_of(body) == {
        "executed": [line + offset for line in BODY_LINES["executed"]],
        "missing": [line + offset for line in BODY_LINES["missing"]],
        "excluded": [],
    }
    assert shell.compile.get_code_name("", "x", 1).startswith("<ipython-input-")


def test_shell_cov_as_the_last_argument_does_not_swallow_the_module(shell, workdir):
    (workdir / ".coveragerc").write_text(
        "[run]\nplugins = ipytest.cov\n[json]\noutput = report.json\n", encoding="utf-8"
    )
    run_cells(shell, "import ipytest, ipytest.cov\nipytest.autoconfig()")
    cov.name_cells_as_files(shell)
    run_cells(shell, HELPER_CELL, f"%%ipytest --cov-report=json --cov\n{TEST_BODY}")
    assert ipytest.exit_code == 0
    report = json.loads((workdir / "report.json").read_text(encoding="utf-8"))
    assert lines_of(by_source(shell, cell_files(report), "def test_sign")) == BODY_LINES


def test_shell_coverage_true_applies_the_users_exclusions(shell, workdir):
    (workdir / ".coveragerc").write_text(
        "[report]\nexclude_also =\n    def unused\n", encoding="utf-8"
    )
    run_cells(shell, "import ipytest\nipytest.autoconfig(coverage=True)")
    with pytest.warns(UserWarning, match="your coverage configuration in"):
        files = cell_files(shell_report(shell, workdir, ""))
    body = by_source(shell, files, "def test_sign")
    assert lines_of(measured(body)) == {
        "executed": [1, 2, 3, 9, 10, 11],
        "missing": [4],
        "excluded": [6, 7],
    }


def test_shell_reports_cells_as_in_n_when_translating(shell, workdir):
    run_cells(shell, "import ipytest\nipytest.autoconfig(coverage=True)")
    cov.translate_cell_filenames()
    files = cell_files(shell_report(shell, workdir, ""))
    assert sorted(files) == ["In[2]", "In[3]"]
    assert lines_of(files["In[2]"]) == HELPER_LINES
    assert lines_of(files["In[3]"]) == BODY_LINES


def test_shell_plugin_option_overrides_translate_default(shell, workdir):
    (workdir / ".coveragerc").write_text(
        "[run]\nplugins = ipytest.cov\n[ipytest.cov]\ntranslate_cell_filenames = false\n",
        encoding="utf-8",
    )
    run_cells(shell, "import ipytest\nipytest.autoconfig(coverage=True)")
    cov.translate_cell_filenames()
    with pytest.warns(UserWarning, match="your coverage configuration"):
        files = cell_files(shell_report(shell, workdir, ""))
    assert all(cov.is_cell_filename(name) for name in files)


def test_shell_report_survives_a_cell_missing_from_linecache(shell, workdir):
    run_cells(shell, "import ipytest\nipytest.autoconfig(coverage=True)", HELPER_CELL)
    helper_file = shell.user_ns["classify"].__code__.co_filename
    del linecache.cache[helper_file]
    run_cells(shell, f"%%ipytest --cov-report=json\n{TEST_BODY}")
    assert ipytest.exit_code == 0
    report = json.loads((workdir / "coverage.json").read_text(encoding="utf-8"))
    helper = report["files"][helper_file]
    assert helper["summary"]["num_statements"] == 0


def test_shell_reports_the_version_of_an_edited_cell_that_ran(shell, workdir):
    run_cells(shell, "import ipytest\nipytest.autoconfig(coverage=True)", HELPER_CELL)
    run_cells(shell, "%%ipytest --cov-report=json\ndef test_one():\n    assert classify(1)\n")
    edited = "def test_one():\n    x = classify(0)\n    assert x == 'zero'\n"
    run_cells(shell, f"%%ipytest --cov-report=json\n{edited}")
    files = cell_files(json.loads((workdir / "coverage.json").read_text(encoding="utf-8")))
    assert lines_of(by_source(shell, files, "x = classify(0)")) == {
        "executed": [1, 2, 3],
        "missing": [],
        "excluded": [],
    }
    assert not any("assert classify(1)" in "".join(cov.cell_source_lines(f) or ()) for f in files)


def test_shell_reruns_report_only_what_each_run_executed(shell, workdir):
    """The body recording of one run does not leak into the next run's report."""
    run_cells(shell, "import ipytest, ipytest.cov\nipytest.autoconfig(coverage=True)")
    cov.translate_cell_filenames()
    first = "def helper():\n    return 1\n\ndef test_a():\n    assert helper() == 1\n"
    second = "def test_b():\n    assert helper() == 1\n"
    run_cells(shell, f"%%ipytest --cov-report=json\n{first}")
    files = cell_files(json.loads((workdir / "coverage.json").read_text(encoding="utf-8")))
    assert lines_of(files["In[2]"]) == {"executed": [1, 2, 4, 5], "missing": [], "excluded": []}
    for number in (3, 4):  # the same cell, run twice
        run_cells(shell, f"%%ipytest --cov-report=json\n{second}")
        report = json.loads((workdir / "coverage.json").read_text(encoding="utf-8"))
        files = cell_files(report)
        assert lines_of(files["In[2]"]) == {"executed": [2], "missing": [1, 4, 5], "excluded": []}
        assert lines_of(files[f"In[{number}]"]) == {
            "executed": [1, 2],
            "missing": [],
            "excluded": [],
        }


def test_shell_body_of_a_failing_cell_is_named_after_its_cell(shell, workdir):
    run_cells(shell, "import ipytest\nipytest.autoconfig()")
    shell.run_cell("%%ipytest\nraise ValueError('boom')", store_history=True)
    body = [name for name, number in shell.compile._filename_map.items() if number == 2]
    assert len(body) == 2


# --- exact data in a real kernel ---------------------------------------------------------


def test_kernel_lines_and_branches_are_exact(tmp_path):
    notebook = write_notebook(
        tmp_path / "coverage.ipynb",
        "import ipytest, ipytest.cov\nipytest.autoconfig(coverage=True)\n"
        "ipytest.cov.translate_cell_filenames()",
        HELPER_CELL,
        f"%%ipytest --cov-report=json:lines.json\n{TEST_BODY}",
        f"%%ipytest --cov-branch --cov-report=json:branches.json\n{TEST_BODY}",
    )
    outcomes = execute_notebook(notebook)
    assert [outcome.status for outcome in outcomes] == ["ok"] * 4, outcomes[-1].text
    lines = cell_files(json.loads((tmp_path / "lines.json").read_text(encoding="utf-8")))
    assert sorted(lines) == ["In[2]", "In[3]"]
    assert lines_of(lines["In[2]"]) == HELPER_LINES
    assert lines_of(lines["In[3]"]) == BODY_LINES
    branches = cell_files(json.loads((tmp_path / "branches.json").read_text(encoding="utf-8")))
    assert sorted(branches) == ["In[2]", "In[4]"]
    assert lines_of(branches["In[4]"]) == BODY_LINES
    assert branches_of(branches["In[4]"]) == BODY_BRANCHES
    assert branches_of(branches["In[2]"]) == HELPER_BRANCHES


def test_kernel_cells_keep_their_filenames_without_translation(tmp_path):
    (tmp_path / ".coveragerc").write_text("[run]\nplugins = ipytest.cov\n", encoding="utf-8")
    notebook = write_notebook(
        tmp_path / "plain.ipynb",
        "import ipytest\nipytest.autoconfig()",
        HELPER_CELL,
        f"%%ipytest --cov --cov-report=json\n{TEST_BODY}",
    )
    outcomes = execute_notebook(notebook)
    assert [outcome.status for outcome in outcomes] == ["ok"] * 3, outcomes[-1].text
    files = cell_files(json.loads((tmp_path / "coverage.json").read_text(encoding="utf-8")))
    assert len(files) == 2
    assert all("ipykernel_" in name for name in files)
    assert sorted(len(data["executed_lines"]) for data in files.values()) == [2, 7]


def test_report_of_combined_data_with_another_kernels_cell_does_not_fail(workdir):
    import coverage
    from coverage.data import CoverageData

    other_kernel_cell = "/tmp/ipykernel_999999/12345.py"
    assert other_kernel_cell not in linecache.cache
    (workdir / ".coveragerc").write_text("[run]\nplugins = ipytest.cov\n", encoding="utf-8")
    data = CoverageData(basename=str(workdir / ".coverage"))
    data.add_lines({other_kernel_cell: [1, 2]})
    data.add_file_tracers({other_kernel_cell: "ipytest.cov.CellPlugin"})
    data.write()

    measurement = coverage.Coverage()
    measurement.load()
    measurement.json_report(outfile=str(workdir / "report.json"))
    report = json.loads((workdir / "report.json").read_text(encoding="utf-8"))
    assert report["files"][other_kernel_cell]["summary"]["num_statements"] == 0
