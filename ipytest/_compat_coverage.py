"""The private parts of coverage.py that ipytest uses, each in one place, each tested.

coverage.py's plugin API gives a file reporter's interface but no Python analysis to
reuse, and no way to write a configuration back out: ipytest builds on coverage's
reporter for Python files (`coverage.python`), its parser (`coverage.parser`) and its
configuration table (`coverage.config`). CI runs the tests of this module on the oldest
and newest coverage.py; when one of these moves, this module is the one to change.
"""

from __future__ import annotations

import configparser
import io
from collections.abc import Callable, Iterable
from typing import Any

from coverage.exceptions import ConfigError
from coverage.python import PythonFileReporter

# The kinds of option in coverage's table (`CoverageConfig.CONFIG_FILE_OPTIONS`) that
# `config_as_ini` writes: "" a string, then those coverage.py reads with its typed getters.
KNOWN_OPTION_KINDS = frozenset({"", "boolean", "int", "float", "file", "list", "regexlist"})


class PythonSourceReporter(PythonFileReporter):
    """coverage.py's reporter for a Python file, with the source and parser a subclass gives.

    Statements, branches and exclusions are analysed as for a Python file; a subclass says
    where the source comes from (`read_source`) and how it is parsed (`make_parser`), each
    asked once per reporter.
    """

    def read_source(self) -> str:
        raise NotImplementedError

    def make_parser(self) -> Any:
        raise NotImplementedError

    def source(self) -> str:
        if self._source is None:
            self._source = self.read_source()
        return self._source

    @property
    def parser(self) -> Any:
        if self._parser is None:
            self._parser = self.make_parser()
        return self._parser


def parse_python(filename: str, text: str, exclude: str) -> Any:
    """coverage.py's analysis of Python source `text`: a parsed `PythonParser`."""
    from coverage.parser import PythonParser

    parser = PythonParser(text=text, filename=filename, exclude=exclude)
    parser.parse_source()
    return parser


def config_options() -> list[tuple[str, str, str]]:
    """coverage's table of configuration file options: (attribute, "section:option", kind)."""
    from coverage.config import CoverageConfig

    return [
        (attribute, where, kind[0] if kind else "")
        for attribute, where, *kind in CoverageConfig.CONFIG_FILE_OPTIONS
    ]


def read_config(path: str, our_file: bool) -> Any:
    """The `CoverageConfig` coverage.py reads from `path`; ConfigError when it holds none.

    `our_file` is False for files shared with other tools (setup.cfg, tox.ini,
    pyproject.toml), whose coverage settings are in sections of their own.
    """
    from coverage.config import CoverageConfig

    problems: list[str] = []
    config = CoverageConfig()
    if not config.from_file(path, problems.append, our_file=our_file):
        raise ConfigError(f"{path} holds no coverage.py settings")
    return config


def config_as_ini(config: Any, adjust: Callable[[str, Any], Any], heading: str) -> str:
    """`config` (a `CoverageConfig`) as a `.coveragerc` text coverage.py reads back the same.

    Only options that differ from coverage's defaults are written, and those `adjust`
    changes: `adjust("run:plugins", value)` returns the value to write (the same object
    when it leaves the option alone). `heading` is the comment on the first line.
    """
    from coverage.config import CoverageConfig

    defaults = CoverageConfig()
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keep the case of [paths] names
    for attribute, where, kind in config_options():
        if kind not in KNOWN_OPTION_KINDS:
            raise ConfigError(
                f"ipytest cannot write coverage.py's option {where}, of a kind it does not "
                f"know ({kind!r})"
            )
        value = getattr(config, attribute)
        adjusted = adjust(where, value)
        if adjusted is value and value == getattr(defaults, attribute):
            continue
        section, option = where.split(":")
        _set(parser, section, option, _ini_value(adjusted, regexes=kind == "regexlist"))
    for name, paths in config.paths.items():
        _set(parser, "paths", name, _ini_value(paths, regexes=False))
    for plugin, options in config.plugin_options.items():
        for option, value in options.items():
            _set(parser, plugin, option, _ini_value(value, regexes=False))
    text = io.StringIO()
    text.write(f"# {heading}\n")
    parser.write(text)
    return text.getvalue()


def _set(parser: configparser.ConfigParser, section: str, option: str, value: str) -> None:
    if not parser.has_section(section):
        parser.add_section(section)
    parser.set(section, option, value)


def _ini_value(value: Any, regexes: bool) -> str:
    """A value as coverage.py's INI reader reads it back: `$` doubled, lists split.

    Plain lists are read split at commas and newlines, regex lists at newlines; a
    continuation line starting with `#` or `;` would be read as a comment.
    """
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return value.replace("$", "$$")
    if not isinstance(value, Iterable):
        return str(value)
    items = [str(item).replace("$", "$$") for item in value]
    if regexes:
        # `[#]` matches what `#` matches.
        items = [f"[{item[0]}]{item[1:]}" if item[:1] in ("#", ";") else item for item in items]
        return "".join(f"\n{item}" for item in items)
    if any("," in item or "\n" in item for item in items):
        if any(item.lstrip()[:1] in ("#", ";") for item in items):
            raise ConfigError(f"the list {value!r} cannot be written to an INI file")
        return "".join(f"\n{item}" for item in items)
    return ", ".join(items)
