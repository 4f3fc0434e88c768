"""The parsers of user input: placeholders, magic lines, `# ipytest:` comments, config files."""

from __future__ import annotations

import inspect
import types

import pytest
from hypothesis import given
from hypothesis import strategies as st

import ipytest
from ipytest._impl import (
    ArgMapping,
    check_run_options,
    eval_defopts_auto,
    eval_run_kwargs,
    expand_args,
    find_coverage_configs,
    parse_magic_line,
    parse_run_options,
)
from ipytest._options import UsageError

MODULE = "t_0123.py"


def mapping() -> ArgMapping:
    return ArgMapping(MODULE=MODULE)


def test_arg_mapping_expands_test_names():
    assert mapping()["test_foo"] == f"{MODULE}::test_foo"
    assert mapping()["TestClass"] == f"{MODULE}::TestClass"
    assert mapping()["MODULE"] == MODULE


@pytest.mark.parametrize("key", ["FOO", "DUMMY", "X", "ÄÖ"])
def test_arg_mapping_reserves_keys_of_uppercase_letters_alone(key):
    with pytest.raises(KeyError) as error:
        mapping()[key]
    assert error.value.args[0] == (
        f"{{{key}}} is not an ipytest placeholder (there is {{MODULE}}); to select a test "
        f"named {key}, write {{MODULE}}::{key}"
    )


@pytest.mark.parametrize("key", ["TEST_CASE", "TEST1", "_X", "Test", "test_x", "X_"])
def test_arg_mapping_expands_other_keys_as_test_names(key):
    assert mapping()[key] == f"{MODULE}::{key}"
    assert expand_args([f"{{{key}}}"], mapping()) == [f"{MODULE}::{key}"]


@given(st.text(min_size=1))
def test_arg_mapping_reserves_exactly_uppercase_letter_keys(key):
    try:
        value = mapping()[key]
    except KeyError:
        reserved = True
    else:
        reserved = False
        assert value == f"{MODULE}::{key}"
    assert reserved is (key != "MODULE" and key.isalpha() and key.isupper())


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], []),
        (["-v"], ["-v"]),
        (["{MODULE}"], [MODULE]),
        (["{MODULE}::test_a"], [f"{MODULE}::test_a"]),
        (["{test_a}", "{TestB}"], [f"{MODULE}::test_a", f"{MODULE}::TestB"]),
        (["{test_p}[1]"], [f"{MODULE}::test_p[1]"]),
        (["-k", "{{literal}}"], ["-k", "{literal}"]),
        (["--deselect", "{test_a}"], ["--deselect", f"{MODULE}::test_a"]),
    ],
)
def test_expand_args(args, expected):
    assert expand_args(args, mapping()) == expected


@pytest.mark.parametrize(
    ("arg", "says"),
    [
        ("{FOO}", "{MODULE}::FOO"),
        ("{", "{{"),
        ("}", "{{"),
        ("{test_a[1]}", "{test_a[1]} in"),
        ("{test_a.x}", "{test_a.x} in"),
        ("{test_a!r}", "{test_a!r} in"),
        ("{test_a:>9}", "{test_a:>9} in"),
        ("{0}", "{0} in"),
        ("{}", "{} in"),
    ],
)
def test_expand_args_names_the_bad_argument(arg, says):
    with pytest.raises(UsageError) as error:
        expand_args([arg], mapping())
    assert arg in str(error.value)
    assert says in str(error.value)


def test_expand_args_refuses_non_strings():
    with pytest.raises(UsageError, match="strings"):
        expand_args([1], mapping())


@given(st.lists(st.text()))
def test_expand_args_gives_a_result_or_a_clear_error(args):
    try:
        result = expand_args(args, mapping())
    except UsageError as error:
        named = any(repr(arg) in str(error) for arg in args)
    else:
        named = len(result) == len(args)
    assert named


@pytest.mark.parametrize(
    ("args", "adds_module"),
    [
        ([], True),
        (["-v", "-k", "fast"], True),
        ([MODULE], False),
        ([f"{MODULE}::test_a"], False),
        (["-v", f"{MODULE}::test_a[1]"], False),
        (["--deselect", f"{MODULE}::test_a"], True),
        (["--deselect", f"{MODULE}::test_a", MODULE], False),
        (["other.py"], True),
        ([f"{MODULE}x"], True),
    ],
)
def test_eval_defopts_auto(args, adds_module):
    assert eval_defopts_auto(args, mapping()) is adds_module


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("", []),
        ("-v", ["-v"]),
        ("  -v   -x  ", ["-v", "-x"]),
        ("-k 'fast and not slow'", ["-k", "fast and not slow"]),
        ('-k "a b" {test_x}', ["-k", "a b", "{test_x}"]),
        ("--deselect {MODULE}::test_a", ["--deselect", "{MODULE}::test_a"]),
    ],
)
def test_parse_magic_line(line, expected):
    assert parse_magic_line(line) == expected


@pytest.mark.parametrize("line", ["-k 'open", '-k "open', "-k \\"])
def test_parse_magic_line_names_the_line(line):
    with pytest.raises(UsageError) as error:
        parse_magic_line(line)
    assert repr(line) in str(error.value)


@given(st.text())
def test_parse_magic_line_gives_a_result_or_a_clear_error(line):
    try:
        result = parse_magic_line(line)
    except UsageError as error:
        ok = repr(line) in str(error)
    else:
        ok = all(isinstance(arg, str) for arg in result)
    assert ok


@pytest.mark.parametrize(
    ("cell", "keys"),
    [
        ("", []),
        ("def test(): pass", []),
        ("# a comment\n# ipytest: raise_on_error=True", []),
        ("# ipytest: raise_on_error=True\ndef test(): pass", ["raise_on_error"]),
        ("\n\n   # ipytest: raise_on_error=True", ["raise_on_error"]),
        ("#ipytest:raise_on_error=True", ["raise_on_error"]),
        ("# ipytest:", []),
        ("# ipytest:   ", []),
        ("# ipytest: addopts=('-v',), defopts=False,", ["addopts", "defopts"]),
        ("# ipytest: run_in_thread=True  # why", ["run_in_thread"]),
        # Keys as written: run() does not take these, the magic refuses them.
        ("# ipytest: defopts=True, clean=True", ["defopts", "clean"]),
        ("# ipytest: verbose=2", ["verbose"]),
    ],
)
def test_parse_run_options(cell, keys):
    assert list(parse_run_options(cell)) == keys


@pytest.mark.parametrize(
    ("cell", "says"),
    [
        ("# ipytest: raise_on_error=", "not valid Python keyword arguments"),
        ("# ipytest: raise_on_error", "only keyword arguments"),
        ("# ipytest: True", "only keyword arguments"),
        ("# ipytest: **options", "only keyword arguments"),
        ("# ipytest: coverage=True, coverage=False", "'coverage' is given twice"),
        ("# ipytest: x=(", "not valid Python keyword arguments"),
    ],
)
def test_parse_run_options_quotes_the_comment_and_says_what_is_accepted(cell, says):
    with pytest.raises(UsageError) as error:
        parse_run_options(cell)
    message = str(error.value)
    assert says in message
    assert "'# ipytest:" in message  # the comment is quoted


@given(st.text())
def test_parse_run_options_gives_a_result_or_a_clear_error(text):
    try:
        options = parse_run_options(f"# ipytest: {text}")
    except UsageError as error:
        ok = "ipytest" in str(error)
    else:
        ok = all(name.isidentifier() for name in options)
    assert ok


RUN_KEYWORDS = [
    name
    for name, parameter in inspect.signature(ipytest.run).parameters.items()
    if parameter.kind is parameter.KEYWORD_ONLY
]


@pytest.mark.parametrize("names", [[], ["raise_on_error"], RUN_KEYWORDS])
def test_check_run_options_accepts_the_keywords_of_run(names):
    check_run_options("# ipytest: ...", names)


@pytest.mark.parametrize("name", ["clean", "verbose", "args", "raise_on_eror"])
def test_check_run_options_quotes_the_comment_and_lists_the_keywords(name):
    cell = f"# ipytest: defopts=True, {name}=1\ndef test(): pass"
    with pytest.raises(UsageError) as error:
        check_run_options(cell, ["defopts", name])
    assert str(error.value) == (
        f"{name!r} in '# ipytest: defopts=True, {name}=1' is not an option of ipytest.run(); "
        f"the options are: {', '.join(RUN_KEYWORDS)}"
    )


def test_eval_run_kwargs_returns_the_keys_as_written():
    module = types.ModuleType("notebook")
    cell = "# ipytest: defopts=True, clean=True\ndef test(): pass"
    assert eval_run_kwargs(cell, module=module) == {"defopts": True, "clean": True}


def test_eval_run_kwargs_evaluates_in_the_module_namespace():
    module = types.ModuleType("notebook")
    module.flag = True
    kwargs = eval_run_kwargs("# ipytest: raise_on_error=flag, addopts=['-v']", module=module)
    assert kwargs == {"raise_on_error": True, "addopts": ["-v"]}


def test_eval_run_kwargs_without_a_comment_is_empty():
    module = types.ModuleType("notebook")
    assert eval_run_kwargs("def test(): pass", module=module) == {}


def test_eval_run_kwargs_defaults_to_the_notebook_namespace(shell):
    shell.run_cell("flag = False")
    assert eval_run_kwargs("# ipytest: raise_on_error=flag") == {"raise_on_error": False}


def test_eval_run_kwargs_lets_the_comment_choose_the_module():
    module, other = types.ModuleType("notebook"), types.ModuleType("other")
    module.other = other
    assert eval_run_kwargs("# ipytest: module=other", module=module)["module"] is other


def test_eval_run_kwargs_names_a_failing_value():
    module = types.ModuleType("notebook")
    with pytest.raises(UsageError) as error:
        eval_run_kwargs("# ipytest: raise_on_error=undefined_name", module=module)
    assert "raise_on_error=undefined_name" in str(error.value)
    assert "NameError" in str(error.value)


@pytest.mark.parametrize(
    ("files", "found"),
    [
        ({}, []),
        ({".coveragerc": "[run]\n"}, [".coveragerc"]),
        ({"setup.cfg": "[metadata]\n"}, []),
        ({"setup.cfg": "[coverage:run]\nbranch = True\n"}, ["setup.cfg"]),
        ({"tox.ini": "[coverage:report]\n"}, ["tox.ini"]),
        ({"pyproject.toml": "[tool.coverage.run]\n"}, ["pyproject.toml"]),
        ({"pyproject.toml": "[project]\n"}, []),
        (
            {
                "pyproject.toml": "[tool.coverage.run]\n",
                "tox.ini": "[coverage:run]\n",
                "setup.cfg": "[coverage:run]\n",
                ".coveragerc": "",
            },
            [".coveragerc", "setup.cfg", "tox.ini", "pyproject.toml"],
        ),
    ],
)
def test_find_coverage_configs(tmp_path, files, found):
    for name, content in files.items():
        (tmp_path / name).write_text(content)
    assert find_coverage_configs(tmp_path) == [tmp_path / name for name in found]
    assert find_coverage_configs(str(tmp_path)) == [tmp_path / name for name in found]
