"""The adapter to coverage.py's private parts: each function against the installed coverage."""

from __future__ import annotations

import pytest

from ipytest import _compat_coverage

# A value other than coverage's default, for an option of each kind.
SAMPLES = {
    "": "sample text",
    "boolean": None,  # the negation of the default
    "int": 7,
    "float": 12.5,
    "file": "reports/out.txt",
    "list": ["first", "second item"],
    "regexlist": ["never.*", "also $here"],
}
# What CoverageConfig holds besides the options of its table: the [paths] section, the
# plugins' sections, and bookkeeping of the files read.
NOT_OPTIONS = {
    "_config_contents",
    "_include",
    "_omit",
    "config_file",
    "config_files_attempted",
    "config_files_read",
    "paths",
    "plugin_options",
}


def test_every_option_kind_of_coverage_is_one_the_writer_knows():
    # Fails when a coverage.py release adds an option of a new kind: config_as_ini must
    # then learn how coverage reads it back.
    unknown = [
        (where, kind)
        for _, where, kind in _compat_coverage.config_options()
        if kind not in _compat_coverage.KNOWN_OPTION_KINDS
    ]
    assert unknown == []


def test_every_setting_of_coverage_config_is_in_its_option_table():
    # Fails when coverage.py keeps a setting outside the table, which the writer would drop.
    from coverage.config import CoverageConfig

    table = {attribute for attribute, _, _ in _compat_coverage.config_options()}
    outside = {
        name for name in vars(CoverageConfig()) if name not in table and name not in NOT_OPTIONS
    }
    assert outside == set()


def _non_default(kind: str, default: object) -> object:
    if kind == "boolean":
        return not default
    return SAMPLES[kind]


def test_every_option_written_reads_back_the_same(tmp_path):
    from coverage.config import CoverageConfig

    config = CoverageConfig()
    options = [item for item in _compat_coverage.config_options() if item[0] != "_crash"]
    for attribute, _, kind in options:
        setattr(config, attribute, _non_default(kind, getattr(config, attribute)))
    # coverage.py reads the sections of the plugins it loads.
    config.plugins = ["ipytest.cov"]
    config.paths = {"source": ["src/", "*/site-packages/"]}
    config.plugin_options = {"ipytest.cov": {"translate_cell_filenames": "false"}}

    text = _compat_coverage.config_as_ini(config, lambda where, value: value, "written")
    rc = tmp_path / ".coveragerc"
    rc.write_text(text)
    read = _compat_coverage.read_config(str(rc), our_file=True)

    for attribute, where, _ in options:
        assert getattr(read, attribute) == getattr(config, attribute), where
    assert read.paths == config.paths
    assert read.plugin_options == config.plugin_options
    assert text.startswith("# written\n")


def test_config_as_ini_writes_only_changed_and_adjusted_options(tmp_path):
    from coverage.config import CoverageConfig

    config = CoverageConfig()
    config.branch = True

    def adjust(where, value):
        return ["extra.py"] if where == "run:omit" else value

    text = _compat_coverage.config_as_ini(config, adjust, "heading")
    assert "branch = true" in text
    assert "omit = extra.py" in text
    assert "precision" not in text


def test_read_config_refuses_a_file_without_coverage_settings(tmp_path):
    from coverage.exceptions import ConfigError

    setup = tmp_path / "setup.cfg"
    setup.write_text("[metadata]\nname = x\n")
    with pytest.raises(ConfigError, match=r"holds no coverage\.py settings"):
        _compat_coverage.read_config(str(setup), our_file=False)


def test_read_config_reads_a_shared_files_coverage_section(tmp_path):
    setup = tmp_path / "setup.cfg"
    setup.write_text("[coverage:run]\nbranch = true\n")
    assert _compat_coverage.read_config(str(setup), our_file=False).branch is True


def test_parse_python_finds_statements_and_exclusions():
    source = "a = 1\nif a:  # pragma: no cover\n    b = 2\nc = 3\n"
    parser = _compat_coverage.parse_python("cell.py", source, r"#\s*pragma: no cover")
    assert parser.statements == {1, 4}
    assert 2 in parser.excluded


class _TextReporter(_compat_coverage.PythonSourceReporter):
    asked = 0

    def read_source(self) -> str:
        type(self).asked += 1
        return "x = 1\ny = 2\n"

    def make_parser(self):
        return _compat_coverage.parse_python(self.filename, self.source(), "nothing^")


def test_python_source_reporter_reads_the_source_once_and_analyses_it():
    reporter = _TextReporter("/nowhere/cell.py")
    assert reporter.source() == "x = 1\ny = 2\n"
    assert reporter.source() == "x = 1\ny = 2\n"
    assert _TextReporter.asked == 1
    assert reporter.lines() == {1, 2}
    assert reporter.parser is reporter.parser
