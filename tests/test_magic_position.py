"""An `%%ipytest` line below a cell's first line: found exactly, explained, nothing runs."""

from __future__ import annotations

import textwrap

import pytest
from hypothesis import given
from hypothesis import strategies as st
from IPython.core.inputtransformer2 import TransformerManager

import ipytest
from ipytest._magic_position import (
    MisplacedMagicCheck,
    find_misplaced_magic,
    misplaced_magic_message,
)
from ipytest._options import UsageError

MANAGER = TransformerManager()


def is_complete(text: str) -> bool:
    return MANAGER.check_complete(text)[0] == "complete"


def lines_of(source: str) -> list[str]:
    return textwrap.dedent(source).splitlines(keepends=True)


@pytest.mark.parametrize(
    ("source", "index"),
    [
        ("# my tests\n%%ipytest\ndef test(): pass\n", 1),
        ("# my tests\n%%ipytest -v {test_a}\n", 1),
        ("x = 1\n\n%%ipytest\n", 2),
        ("# ipytest: raise_on_error=True\n%%ipytest\n", 1),
        ("def f():\n    pass\n%%ipytest\n", 2),
        ("import os\n!ls\n%%ipytest\n", 2),
        ("s = '''\n'''\n%%ipytest\n", 2),
        ("# a\n%%ipytest\n%%ipytest\n", 1),
        ("# a\n%%ipytest", 1),
        ("# a\n%%ipytest\t-x\n", 1),
    ],
)
def test_a_magic_line_below_complete_input_is_found(source, index):
    assert find_misplaced_magic(lines_of(source), is_complete) == index


@pytest.mark.parametrize(
    "source",
    [
        "",
        "x = 1\n",
        "%%ipytest\ndef test(): pass\n",
        "%%ipytest\n# comment\n%%ipytest\n",
        # The body of another cell magic is that magic's input.
        "%%writefile notes.txt\n# header\n%%ipytest\n",
        "%%capture\nx = 1\n%%ipytest\n",
        "%%time\n# a\n%%ipytest\n",
        # Inside a string, brackets, a continued line, or a block: not a line of its own.
        "s = '''\n%%ipytest\n'''\n",
        's = """\nabc\n%%ipytest -v\n"""\n',
        "x = (\n%%ipytest\n)\n",
        "x = 1 + \\\n%%ipytest\n",
        "if True:\n%%ipytest\n",
        # Other names, and the magic elsewhere on a line.
        "# a\n%%ipytestx\n",
        "# a\n%%ipytest_other\n",
        "# a\n%%ipytest?\n",
        "# a\nx = '%%ipytest'\n",
        "# a\n# %%ipytest\n",
        "# a\n    %%ipytest\n",
        "# a\n%ipytest\n",
    ],
)
def test_other_cells_are_not_reported(source):
    assert find_misplaced_magic(lines_of(source), is_complete) is None


def test_only_candidate_lines_ask_whether_the_text_above_is_complete():
    asked = []

    def recording(text: str) -> bool:
        asked.append(text)
        return True

    lines = lines_of("x = 1\ny = 2\n%%ipytest\nz = 3\n")
    assert find_misplaced_magic(lines, recording) == 2
    assert asked == ["x = 1\ny = 2\n"]
    asked.clear()
    assert find_misplaced_magic(lines_of("x = 1\n" * 100), recording) is None
    assert asked == []


@given(st.lists(st.text()))
def test_any_lines_give_none_or_the_index_of_a_magic_line(lines):
    index = find_misplaced_magic(lines, is_complete)
    if index is not None:
        assert 0 < index < len(lines)
        assert lines[index].startswith("%%ipytest")
        message = misplaced_magic_message(lines, index)
        assert "must be the cell's first line" in message


@given(st.lists(st.sampled_from(["# c\n", "x = 1\n", "'''\n", "(\n", ")\n", "%%ipytest\n"])))
def test_a_reported_line_is_one_ipython_would_run_as_a_line_magic(lines):
    index = find_misplaced_magic(lines, is_complete)
    if index is not None:
        before = MANAGER.transform_cell("".join(lines[:index]))
        whole = MANAGER.transform_cell("".join(lines))
        assert whole.startswith(before)
        assert whole[len(before) :].startswith("get_ipython().run_line_magic('%ipytest'")


@pytest.mark.parametrize(
    ("above", "quoted"),
    [
        ("# my tests\n", "'# my tests'"),
        ("x = 1\n\n", "'x = 1'"),
        ("# one\n# two\n", "'# one\\n# two'"),
        ("x = 'a'\n", "\"x = 'a'\""),
        # Long text is cut at the front: the lines nearest the magic stay.
        ("# " + "word " * 40 + "end\n", "'..." + ("word " * 40 + "end")[-77:] + "'"),
    ],
)
def test_the_message_quotes_what_stands_above(above, quoted):
    lines = lines_of(above + "%%ipytest\n")
    message = misplaced_magic_message(lines, len(lines) - 1)
    assert f"%%ipytest is not the first line of this cell: {quoted} stands above it" in message
    assert "A cell magic must be the cell's first line" in message


@pytest.fixture
def configured(shell):
    ipytest.autoconfig()
    return shell


def test_in_a_shell_the_cell_fails_before_any_of_it_runs(configured, capsys):
    result = configured.run_cell("x = 1\n%%ipytest\ndef test_a():\n    pass\n")
    assert isinstance(result.error_before_exec, UsageError)
    assert "x" not in configured.user_ns
    assert "test_a" not in configured.user_ns
    captured = capsys.readouterr()
    # One line, as the magic's other usage errors: no traceback into ipytest.
    assert captured.err.splitlines() + captured.out.splitlines() == [
        "UsageError: %%ipytest is not the first line of this cell: 'x = 1' stands above it. "
        "A cell magic must be the cell's first line; move the %%ipytest line to the top of "
        "the cell (comments and code can follow it) or put what is above it in a cell of "
        "its own."
    ]


def test_leading_blank_lines_keep_working(configured, capsys):
    result = configured.run_cell("\n  \n%%ipytest\ndef test_a():\n    pass\n")
    assert result.success
    assert ipytest.exit_code == 0


ORDINARY_CELLS = [
    "x = 1",
    "s = '''\n%%ipytest\n'''",
    "x = (1,\n2)",
    "%%writefile notes.txt\n# header\n%%ipytest\n",
    "%%capture\nprint('hidden')\n",
    "%time 1 + 1",
    "!echo hi",
    "x?",
    "def f():\n    return '%%ipytest'\n",
    "%%ipytest\ndef test_a():\n    pass\n",
    "if True:\n    y = 2\n",
]


@pytest.mark.parametrize("source", ORDINARY_CELLS)
def test_ordinary_cells_transform_as_without_the_check(configured, source):
    with_check = configured.transform_cell(source)
    MisplacedMagicCheck.unregister_with_shell(configured)
    assert configured.transform_cell(source) == with_check


def test_check_complete_is_unchanged(configured):
    # Terminal IPython and kernels ask at every Enter whether input is complete.
    manager = configured.input_transformer_manager
    sources = ["# a\n%%ipytest\n", "x = 1\n%%ipytest -v", "# a\n%%ipytest\ndef f():\n"]
    with_check = [manager.check_complete(source) for source in sources]
    MisplacedMagicCheck.unregister_with_shell(configured)
    assert with_check == [manager.check_complete(source) for source in sources]


def test_registering_again_keeps_one_check(shell):
    for _ in range(3):
        MisplacedMagicCheck.register_with_shell(shell)
    checks = [t for t in shell.input_transformers_cleanup if isinstance(t, MisplacedMagicCheck)]
    assert len(checks) == 1
    # After IPython's own clean-up, which removes leading blank lines.
    assert shell.input_transformers_cleanup[-1] is checks[0]
    MisplacedMagicCheck.unregister_with_shell(shell)
    assert not any(isinstance(t, MisplacedMagicCheck) for t in shell.input_transformers_cleanup)


def test_without_the_magic_registered_nothing_is_checked(shell):
    ipytest.autoconfig(magics=False)
    result = shell.run_cell("# a\n%%ipytest\n")
    assert "Line magic function `%%ipytest` not found" in str(result.error_in_exec)
