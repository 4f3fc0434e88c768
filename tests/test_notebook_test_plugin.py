"""The --notebook-test pytest plugin, end to end with pytester (in-process pytest runs)."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]


INI = """\
[pytest]
asyncio_default_fixture_loop_scope = function
{extra}
"""


def notebook(path: Path, *cells, metadata: dict | None = None) -> Path:
    """Write a version-4 notebook: a str is a code cell, a (type, source) pair any cell."""
    path.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for index, cell in enumerate(cells):
        kind, source = ("code", cell) if isinstance(cell, str) else cell
        entry = {"cell_type": kind, "id": f"c{index}", "metadata": {}, "source": source}
        if kind == "code":
            entry.update(outputs=[], execution_count=None)
        written.append(entry)
    content = {
        "cells": written,
        "metadata": metadata or {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(content), encoding="utf-8")
    return path


@pytest.fixture
def nbtest(pytester):
    """pytester in a folder with an ini file; `nbtest.ini(...)` adds ini lines."""
    pytester.makefile(".ini", pytest=INI.format(extra=""))

    def ini(*lines: str) -> None:
        pytester.makefile(".ini", pytest=INI.format(extra="\n".join(lines)))

    pytester.ini = ini
    return pytester


def run(pytester, *args: str):
    return pytester.runpytest("-p", "no:cacheprovider", *args)


def run_in_subprocess(pytester, *args: str):
    """For numpy, matplotlib and plotly: pytester's in-process runs forget the modules they
    imported, and numpy cannot be imported twice in a process."""
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)


def needs(module: str) -> None:
    """Skip unless `module` is installed, without importing it here."""
    import importlib.util

    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed")


# --- enabling and collecting -------------------------------------------------------------


def test_inert_without_the_option(nbtest):
    notebook(nbtest.path / "nb.ipynb", "raise RuntimeError('ran')")
    result = run(nbtest)
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    result.stdout.no_fnmatch_line("*nb.ipynb*")


def test_disabled_plugin_collects_nothing(nbtest):
    nbtest.ini("notebook_test_enabled = true")
    notebook(nbtest.path / "nb.ipynb", "x = 1")
    result = run(nbtest, "-p", "no:notebook_test")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_ini_enables(nbtest):
    nbtest.ini("notebook_test_enabled = true")
    notebook(nbtest.path / "nb.ipynb", "x = 1")
    run(nbtest).assert_outcomes(passed=1)


def test_one_item_per_notebook_named_after_it(nbtest):
    notebook(nbtest.path / "docs" / "intro.ipynb", "x = 1", "y = 2")
    notebook(nbtest.path / "docs" / "sub" / "more.ipynb", "z = 3")
    result = run(nbtest, "--notebook-test", "--collect-only", "-q")
    result.stdout.fnmatch_lines(["docs/intro.ipynb::intro", "docs/sub/more.ipynb::more"])


def test_notebook_named_on_the_command_line(nbtest):
    notebook(nbtest.path / "a.ipynb", "x = 1")
    notebook(nbtest.path / "b.ipynb", "raise RuntimeError")
    run(nbtest, "--notebook-test", "a.ipynb").assert_outcomes(passed=1)


def test_checkpoints_are_never_collected(nbtest):
    nbtest.ini("norecursedirs = build")
    notebook(nbtest.path / "nb.ipynb", "x = 1")
    notebook(nbtest.path / ".ipynb_checkpoints" / "nb-checkpoint.ipynb", "raise RuntimeError")
    result = run(nbtest, "--notebook-test", "--notebook-test-path=**/*.ipynb", "-v")
    result.assert_outcomes(passed=1)
    result.stdout.no_fnmatch_line("*nb-checkpoint*")


@pytest.mark.parametrize("how", ["cli-dir", "cli-glob", "ini"])
def test_notebook_test_path_adds_notebooks(nbtest, how):
    (nbtest.path / "tests").mkdir()
    nbtest.makepyfile(**{"tests/test_plain": "def test_plain(): pass"})
    notebook(nbtest.path / "examples" / "one.ipynb", "x = 1")
    notebook(nbtest.path / "examples" / "deep" / "two.ipynb", "y = 2")
    args = ["--notebook-test", "tests", "-v"]
    if how == "cli-dir":
        args.append("--notebook-test-path=examples")
    elif how == "cli-glob":
        args.append("--notebook-test-path=examples/**/t*.ipynb")
    else:
        nbtest.ini("notebook_test_paths =\n    examples/one.ipynb\n    examples/deep")
    result = run(nbtest, *args)
    if how == "cli-glob":
        result.assert_outcomes(passed=2)
        result.stdout.fnmatch_lines(["*examples/deep/two.ipynb::two PASSED*"])
    else:
        result.assert_outcomes(passed=3)
        result.stdout.fnmatch_lines(["*examples/one.ipynb::one PASSED*"])
        result.stdout.fnmatch_lines(["*examples/deep/two.ipynb::two PASSED*"])


def test_notebook_test_path_is_not_collected_twice(nbtest):
    notebook(nbtest.path / "examples" / "one.ipynb", "x = 1")
    run(nbtest, "--notebook-test", "--notebook-test-path=examples").assert_outcomes(passed=1)


def test_notebook_test_path_that_matches_nothing_is_a_usage_error(nbtest):
    result = run(nbtest, "--notebook-test", "--notebook-test-path=nowhere/*.ipynb")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--notebook-test-path: 'nowhere/*.ipynb' matches no file*"])


@pytest.mark.parametrize("variable", [None, "MY_NOTEBOOKS"])
def test_environment_variable_names_a_folder(nbtest, monkeypatch, variable):
    notebook(nbtest.path / "notebooks" / "nb.ipynb", "x = 1")
    (nbtest.path / "tests").mkdir()
    nbtest.makepyfile(**{"tests/test_plain": "def test_plain(): pass"})
    args = ["--notebook-test", "tests", "-v"]
    if variable is None:
        monkeypatch.setenv("NOTEBOOK_DIR_TO_TEST", "notebooks")
    else:
        monkeypatch.setenv(variable, "notebooks")
        monkeypatch.setenv("NOTEBOOK_DIR_TO_TEST", "elsewhere")
        args.append(f"--notebook-test-envvar={variable}")
    result = run(nbtest, *args)
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*notebooks/nb.ipynb::nb PASSED*"])


def test_environment_variable_naming_no_folder_is_a_usage_error(nbtest, monkeypatch):
    monkeypatch.setenv("NOTEBOOK_DIR_TO_TEST", "missing")
    result = run(nbtest, "--notebook-test")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*the environment variable NOTEBOOK_DIR_TO_TEST: 'missing'*"])


def test_ini_envvar(nbtest, monkeypatch):
    nbtest.ini("notebook_test_envvar = NB_DIR")
    monkeypatch.setenv("NB_DIR", "nbs")
    notebook(nbtest.path / "nbs" / "nb.ipynb", "x = 1")
    nbtest.makepyfile(test_plain="def test_plain(): pass")
    run(nbtest, "--notebook-test", "test_plain.py").assert_outcomes(passed=2)


def test_xdist_distributes_notebooks(nbtest):
    for index in range(4):
        folder = "tests" if index % 2 else "extra"
        notebook(nbtest.path / folder / f"nb{index}.ipynb", f"print('notebook', {index})")
    result = nbtest.runpytest_subprocess(
        "--notebook-test", "tests", "--notebook-test-path=extra", "-n", "2", "-p",
        "no:cacheprovider",
    )  # fmt: skip
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["*2 workers [[]4 items[]]*"])


# --- beside nbval --------------------------------------------------------------------------
# nbval's --nbval and --nbval-lax also collect every notebook: the switch typed on the
# command line wins over one from the configuration; two typed, or two configured, are a
# usage error.

OUR_ITEM = "nb.ipynb::nb"
NBVAL_ITEM = "nb.ipynb::Cell 0"


@pytest.fixture
def beside_nbval(nbtest):
    needs("nbval")
    notebook(nbtest.path / "nb.ipynb", "x = 1")
    return nbtest


def collected(result) -> list[str]:
    return [line for line in result.stdout.lines if "::" in line]


@pytest.mark.parametrize("nbval", ["--nbval", "--nbval-lax"])
def test_nbval_and_notebook_test_both_typed_is_a_usage_error(beside_nbval, nbval):
    result = run(beside_nbval, nbval, "--notebook-test", "--co")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [f"*{nbval} and --notebook-test both collect the notebooks*give only one of them*"]
    )


@pytest.mark.parametrize(
    ("ini", "environment", "ours"),
    [
        (["addopts = --nbval-lax", "notebook_test_enabled = true"], "", "notebook_test_enabled"),
        (["addopts = --nbval --notebook-test"], "", "--notebook-test"),
        (["notebook_test_enabled = true"], "--nbval-lax", "notebook_test_enabled"),
    ],
)
def test_nbval_and_notebook_test_both_configured_is_a_usage_error(
    beside_nbval, monkeypatch, ini, environment, ours
):
    beside_nbval.ini(*ini)
    if environment:
        monkeypatch.setenv("PYTEST_ADDOPTS", environment)
    result = run(beside_nbval, "--co")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [f"*--nbval* and {ours}* both collect the notebooks*choose one on the command line*"]
    )


@pytest.mark.parametrize("typed", [["--notebook-test"], ["-o", "notebook_test_enabled=true"]])
@pytest.mark.parametrize("configured", ["ini", "environment"])
def test_notebook_test_typed_wins_over_nbval_configured(
    beside_nbval, monkeypatch, typed, configured
):
    if configured == "ini":
        beside_nbval.ini("addopts = --nbval-lax")
    else:
        monkeypatch.setenv("PYTEST_ADDOPTS", "--nbval-lax")
    result = run(beside_nbval, *typed, "--co", "-q")
    assert result.ret == pytest.ExitCode.OK, result.stderr.str()
    assert collected(result) == [OUR_ITEM]


def test_notebook_test_typed_runs_each_notebook_once_and_says_nbval_is_off(beside_nbval):
    beside_nbval.ini("addopts = --nbval-lax")
    result = run(beside_nbval, "--notebook-test")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["notebook-test: --nbval-lax (from the configuration) is off for this run*"]
    )


@pytest.mark.parametrize("nbval", ["--nbval", "--nbval-lax"])
def test_nbval_typed_wins_over_the_ini_switch(beside_nbval, nbval):
    beside_nbval.ini("notebook_test_enabled = true")
    result = run(beside_nbval, nbval, "--co")
    assert result.ret == pytest.ExitCode.OK, result.stderr.str()
    result.stdout.fnmatch_lines(
        [f"notebook-test: off for this run: {nbval} on the command line runs the notebooks*"]
    )
    assert collected(run(beside_nbval, nbval, "--co", "-q")) == [NBVAL_ITEM]


def test_nbval_off_and_notebook_test_on_agree_in_xdist_workers(beside_nbval):
    beside_nbval.ini("addopts = --nbval-lax")
    notebook(beside_nbval.path / "other.ipynb", "y = 2")
    result = run_in_subprocess(beside_nbval, "--notebook-test", "-n", "2")
    result.assert_outcomes(passed=2)


def test_nbval_alone_is_left_alone(beside_nbval):
    result = run(beside_nbval, "--nbval-lax", "--co", "-q")
    assert collected(result) == [NBVAL_ITEM]
    result.stdout.no_fnmatch_line("notebook-test:*")


# --- directives ---------------------------------------------------------------------------


def test_cells_run_in_order_and_share_globals(nbtest):
    notebook(
        nbtest.path / "nb.ipynb",
        "trace = ['first']",
        ("markdown", "Some *text*"),
        ("raw", "raise RuntimeError('raw cells do not run')"),
        "trace.append('second')",
        "assert trace == ['first', 'second']",
    )
    run(nbtest, "--notebook-test").assert_outcomes(passed=1)


def test_default_all_false_skips_this_and_following_cells(nbtest):
    notebook(
        nbtest.path / "nb.ipynb",
        "ran = []",
        "# notebook-test: default-all=False\nraise RuntimeError('skipped cell ran')",
        "raise RuntimeError('following cell ran')",
        "# notebook-test: default-all=True\nran.append(4)",
        "assert ran == [4]",
    )
    run(nbtest, "--notebook-test").assert_outcomes(passed=1)


def test_test_cell_overrides_default_all_for_its_cell_only(nbtest):
    notebook(
        nbtest.path / "nb.ipynb",
        "# notebook-test: default-all=False\nraise RuntimeError('skipped')",
        "# notebook-test: test-cell=True\nimport pathlib\npathlib.Path('ran.txt').write_text('x')",
        "raise RuntimeError('skipped too')",
        "# notebook-test: default-all=True, test-cell=False\nraise RuntimeError('nope')",
    )
    run(nbtest, "--notebook-test").assert_outcomes(passed=1)
    assert (nbtest.path / "ran.txt").exists()


@pytest.mark.parametrize("where", ["cli", "ini", "metadata"])
def test_default_all_option(nbtest, where):
    args = ["--notebook-test"]
    metadata = None
    if where == "cli":
        args.append("--notebook-test-default-all=false")
    elif where == "ini":
        nbtest.ini("notebook_test_default_all = false")
    else:
        args.append("--notebook-test-default-all=true")
        metadata = {"notebook_test": {"default_all": False}}
    notebook(
        nbtest.path / "nb.ipynb",
        "raise RuntimeError('runs by default')",
        "# notebook-test: test-cell=True\nx = 1",
        metadata=metadata,
    )
    run(nbtest, *args).assert_outcomes(passed=1)


def test_must_raise_exception_cell_that_raises_passes(nbtest):
    notebook(
        nbtest.path / "nb.ipynb",
        "# notebook-test: must-raise-exception=True\nraise ValueError('expected')",
        "after = True",
    )
    result = run(nbtest, "--notebook-test", "-rA")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*cell 1 raised ValueError: expected (expected: *"])


def test_must_raise_exception_cell_that_raises_nothing_fails(nbtest):
    notebook(
        nbtest.path / "nb.ipynb",
        "x = 1",
        "# notebook-test: must-raise-exception=True\ny = x + 1",
        "open('reached.txt', 'w').close()",
    )
    result = run(nbtest, "--notebook-test")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*nb.ipynb: cell 2 (*) is marked must-raise-exception=True but raised nothing",
            "*1 | # notebook-test: must-raise-exception=True",
            "*2 | y = x + 1",
        ]
    )
    assert not (nbtest.path / "reached.txt").exists()


def test_must_raise_exception_does_not_swallow_a_keyboard_interrupt_or_exit(nbtest):
    notebook(
        nbtest.path / "nb.ipynb",
        "# notebook-test: must-raise-exception=True\nraise SystemExit(3)",
    )
    result = run(nbtest, "--notebook-test")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*SystemExit: 3*"])


def test_bad_directive_fails_that_notebook_and_the_others_run(nbtest):
    notebook(nbtest.path / "bad.ipynb", "x = 1", "y = 2\n# notebook-test: test-cell=yes")
    notebook(nbtest.path / "good.ipynb", "x = 1")
    result = run(nbtest, "--notebook-test")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at setup of notebook bad.ipynb*",
            "bad.ipynb: bad notebook-test directive in cell 2, line 2: "
            "'# notebook-test: test-cell=yes': the value of 'test-cell' is 'yes'; it must be "
            "the literal True or False",
        ]
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("# notebook_test: test-cell=True", "*prefix is not '# notebook-test:'*"),
        ("# notebook-test: skip-cell=True", "*unknown key 'skip-cell'; the keys are*"),
        (
            "# notebook-test: test-cell=True\n# notebook-test: test-cell=False",
            "*'test-cell' is already set on line 1 of this cell*",
        ),
    ],
)
def test_directive_errors_name_notebook_cell_and_line(nbtest, line, message):
    notebook(nbtest.path / "nb.ipynb", ("markdown", "intro"), line)
    result = run(nbtest, "--notebook-test")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [f"nb.ipynb: bad notebook-test directive in cell 2, line {message}"]
    )


# --- reading notebooks --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "*NotJSONError: Notebook does not appear to be JSON*"),
        ("[1, 2]", "*cannot be read as a Jupyter notebook: *"),
        ('{"nbformat": 4, "cells": "nope"}', "*cannot be read as a Jupyter notebook: *"),
    ],
)
def test_unreadable_notebook_is_a_collection_error_naming_it(nbtest, content, message):
    (nbtest.path / "broken.ipynb").write_text(content, encoding="utf-8")
    result = run(nbtest, "--notebook-test")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*ERROR collecting broken.ipynb*", f"broken.ipynb: {message}"])
    result.stdout.no_fnmatch_line("*INTERNALERROR*")


def test_old_notebook_format_is_converted_by_nbformat(nbtest):
    import nbformat
    from nbformat.v3 import new_code_cell, new_notebook, new_worksheet

    old = new_notebook(worksheets=[new_worksheet(cells=[new_code_cell(input="x = 41 + 1")])])
    (nbtest.path / "old.ipynb").write_text(nbformat.v3.writes_json(old), encoding="utf-8")
    run(nbtest, "--notebook-test").assert_outcomes(passed=1)


@pytest.mark.parametrize(
    "cells",
    [(), (("markdown", "only text"),), ("# notebook-test: default-all=False\nraise Exception",)],
)
def test_empty_or_all_skipped_notebook_passes_and_says_so(nbtest, cells):
    notebook(nbtest.path / "nb.ipynb", *cells)
    result = run(nbtest, "--notebook-test", "-v", "-rA")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["*nb.ipynb::nb PASSED (no code cell selected)*", "nb.ipynb: no code cell selected"]
    )


# --- execution semantics ------------------------------------------------------------------


def test_cells_run_exactly_as_written(nbtest):
    notebook(
        nbtest.path / "nb.ipynb",
        "  text = '''first\n    second\n'''",
        "assert text == 'first\\n    second\\n', repr(text)",
    )
    result = run(nbtest, "--notebook-test")
    # An indented first line is an IndentationError in Jupyter too: nothing re-indents it.
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*cell 1, line 1: SyntaxError: unexpected indent*"])
    notebook(
        nbtest.path / "nb.ipynb",
        "text = '''first\n    second\n'''",
        "assert text == 'first\\n    second\\n', repr(text)",
    )
    run(nbtest, "--notebook-test").assert_outcomes(passed=1)


def test_notebook_runs_like_a_kernel(nbtest):
    helper = nbtest.path / "docs" / "helper.py"
    helper.parent.mkdir()
    helper.write_text("__all__ = ['VALUE']\nVALUE = 'from helper'\n_private = 1\n", "utf-8")
    (nbtest.path / "docs" / "data.txt").write_text("beside the notebook", "utf-8")
    notebook(
        nbtest.path / "docs" / "nb.ipynb",
        "assert __name__ == '__main__'",
        "from helper import *\nassert VALUE == 'from helper'\nassert '_private' not in dir()",
        "assert open('data.txt').read() == 'beside the notebook'",
        "import pickle, sys\nclass Point:\n    x = 1\n"
        "assert pickle.loads(pickle.dumps(Point())).x == 1\n"
        "assert sys.modules['__main__'].Point is Point",
        "import dataclasses\n@dataclasses.dataclass\nclass D:\n    a: 'int'\nassert D(1).a == 1",
        "def f():\n    return g()\ndef g():\n    return 2\nassert f() == 2",
        "from __future__ import annotations\ndef h(x: Undefined) -> None: pass",
        "def k(x: AlsoUndefined) -> None: pass",
    )
    run(nbtest, "--notebook-test").assert_outcomes(passed=1)


def test_each_notebook_gets_a_fresh_namespace(nbtest):
    notebook(nbtest.path / "a.ipynb", "shared = 1")
    notebook(nbtest.path / "b.ipynb", "assert 'shared' not in globals()")
    run(nbtest, "--notebook-test").assert_outcomes(passed=2)


def test_each_notebook_imports_the_modules_beside_it(nbtest):
    for name in ("one", "two"):
        (nbtest.path / name).mkdir()
        (nbtest.path / name / "helper.py").write_text(f"NAME = {name!r}\n", "utf-8")
        notebook(nbtest.path / name / "nb.ipynb", f"import helper\nassert helper.NAME == {name!r}")
    run(nbtest, "--notebook-test").assert_outcomes(passed=2)


def test_everything_the_run_changes_is_restored(nbtest):
    # Collected in this order by pytest 7 and 8: test_a_before.py, test_m/nb.ipynb,
    # test_z/test_after.py.
    (nbtest.path / "test_m").mkdir()
    (nbtest.path / "test_m" / "localmod.py").write_text("X = 1\n", "utf-8")
    nbtest.makepyfile(
        test_a_before="""
        import os, random, sys
        SAVED = {}
        def test_before():
            SAVED.update(cwd=os.getcwd(), path=list(sys.path), main=sys.modules['__main__'],
                         random=random.getstate(), env=environment())
        def environment():
            return {k: v for k, v in os.environ.items() if k != 'PYTEST_CURRENT_TEST'}
        """,
        **{
            "test_z/test_after": """
        import os, random, sys
        from test_a_before import SAVED, environment
        def test_after():
            assert os.getcwd() == SAVED['cwd']
            assert sys.path == SAVED['path']
            assert sys.modules['__main__'] is SAVED['main']
            assert random.getstate() == SAVED['random']
            assert environment() == SAVED['env']
            assert 'localmod' not in sys.modules
            assert 'colorsys' in sys.modules
        """
        },
    )
    notebook(
        nbtest.path / "test_m" / "nb.ipynb",
        "import os, sys, random, localmod, colorsys",
        "os.chdir('..')\nsys.path.append('/nowhere')\nos.environ['NB_SET'] = '1'\n"
        "os.environ['PATH'] = ''\nrandom.random()",
    )
    result = run(nbtest, "--notebook-test", "-p", "no:randomly", "-v")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*test_a_before*", "*test_m/nb.ipynb*", "*test_z/test_after*"])


def test_top_level_await_shares_one_loop_across_cells(nbtest):
    notebook(
        nbtest.path / "nb.ipynb",
        "import asyncio\nqueue = asyncio.Queue()\nawait queue.put(1)\n"
        "loop = asyncio.get_running_loop()",
        "assert asyncio.get_running_loop() is loop\nassert await queue.get() == 1",
        "# notebook-test: must-raise-exception=True\nawait asyncio.sleep(0)\nraise KeyError",
        "async def agen():\n    yield 1\nassert [x async for x in agen()] == [1]",
    )
    run(nbtest, "--notebook-test").assert_outcomes(passed=1)
    run(nbtest, "--notebook-test", "-p", "no:asyncio").assert_outcomes(passed=1)


def test_failing_await_cell_reports_its_line(nbtest):
    notebook(nbtest.path / "nb.ipynb", "import asyncio\nawait asyncio.sleep(0)\n1 / 0")
    result = run(nbtest, "--notebook-test")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["<nb.ipynb cell 1>:3: ZeroDivisionError"])


# --- the failure report -------------------------------------------------------------------


def test_failure_report_shows_notebook_cell_line_source_and_exception(nbtest):
    notebook(
        nbtest.path / "docs" / "nb.ipynb",
        "def double(x):\n    return x * 2",
        ("markdown", "text"),
        "a = 3\nb = double(a)\nassert b == 7\nprint('after')",
    )
    result = run(nbtest, "--notebook-test")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*_ notebook docs/nb.ipynb _*",
            "    a = 3",
            "    b = double(a)",
            ">   assert b == 7",
            "E   assert 6 == 7",
            "<docs/nb.ipynb cell 3>:3: AssertionError",
            "*- notebook-test -*",
            "docs/nb.ipynb: cell 3, line 3 raised AssertionError: assert 6 == 7",
            "*- notebook-test generated code -*",
            "*## notebook-test notebook=docs/nb.ipynb cell=1",
            "def double(x):",
            "*## notebook-test notebook=docs/nb.ipynb cell=3",
            "a = 3",
            "*short test summary info*",
            "FAILED docs/nb.ipynb::nb - assert 6 == 7",
        ]
    )
    result.stdout.no_fnmatch_line("*_pytest/runner.py*")
    result.stdout.no_fnmatch_line("*notebook_test/engines.py*")


def test_failure_in_a_function_of_an_earlier_cell_shows_both_cells(nbtest):
    notebook(
        nbtest.path / "nb.ipynb",
        "def divide(x):\n    return 1 / x",
        "divide(0)",
    )
    result = run(nbtest, "--notebook-test", "--tb=short")
    result.stdout.fnmatch_lines(
        [
            "<nb.ipynb cell 2>:1: in <module>",
            "    divide(0)",
            "<nb.ipynb cell 1>:2: in divide",
            "    return 1 / x",
            "E   ZeroDivisionError: division by zero",
            "nb.ipynb: cell 2, line 1 raised ZeroDivisionError: division by zero",
        ]
    )


FAILING_CELLS = ("def divide(x):\n    secret = 41\n    return secret / x", "divide(0)")


@pytest.mark.parametrize(
    ("option", "shown", "hidden"),
    [
        (
            "--tb=line",
            ["<nb.ipynb cell 1>:3: ZeroDivisionError: division by zero"],
            [">*", "*_pytest/runner.py*", "nb.ipynb: cell 2, line 1 raised*"],
        ),
        ("--tb=no", ["FAILED nb.ipynb::nb - ZeroDivisionError*"], ["*FAILURES*", ">*"]),
        (
            "--tb=short",
            ["<nb.ipynb cell 2>:1: in <module>", "<nb.ipynb cell 1>:3: in divide"],
            ["*_pytest/runner.py*", "*notebook_test*"],
        ),
        (
            "--tb=long",
            ["    def divide(x):", ">       return secret / x", "E       ZeroDivisionError*"],
            ["*_pytest/runner.py*"],
        ),
        ("--showlocals", ["secret * = 41", "x * = 0"], ["*_pytest/runner.py*"]),
        (
            "--fulltrace",
            ["*_pytest/runner.py:*", "*notebook_test/engines.py:*", "<nb.ipynb cell 2>:1: "],
            [],
        ),
    ],
)
def test_traceback_options_behave_as_for_a_test_module(nbtest, option, shown, hidden):
    """pytest draws the cells' traceback, so its options apply; only --fulltrace shows
    the frames of pytest and of the plugin that ran the cells. (Frames are looked for by
    pytest's runner module: a warnings summary may name other files of pytest.)"""
    notebook(nbtest.path / "nb.ipynb", *FAILING_CELLS)
    result = run(nbtest, "--notebook-test", option)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(shown)
    for line in hidden:
        result.stdout.no_fnmatch_line(line)


def test_traceback_starts_at_the_cell_as_for_a_test_module(nbtest):
    """The frames of pytest and of the plugin above the cell are never shown by default."""
    notebook(nbtest.path / "nb.ipynb", *FAILING_CELLS)
    output = run(nbtest, "--notebook-test").stdout.str()
    assert "notebook_test" not in output.split("_ notebook nb.ipynb _")[1].split("- notebook")[0]
    assert "def divide(x):" in output


def test_assertion_rewriting_can_be_turned_off(nbtest):
    notebook(nbtest.path / "nb.ipynb", "def f():\n    return 1", "assert f() == 2")
    result = run(nbtest, "--notebook-test", "--assert=plain")
    result.assert_outcomes(failed=1)
    result.stdout.no_fnmatch_line("*where 1 = *")
    result = run(nbtest, "--notebook-test")
    result.stdout.fnmatch_lines(["*where 1 = f()"])


@pytest.mark.parametrize("where", ["cli", "ini", "metadata"])
def test_dump_code_never_attaches_nothing(nbtest, where):
    args = ["--notebook-test"]
    metadata = None
    if where == "cli":
        args.append("--notebook-test-dump-code=never")
    elif where == "ini":
        nbtest.ini("notebook_test_dump_code = never")
    else:
        metadata = {"notebook_test": {"dump_code": "never"}}
    notebook(nbtest.path / "nb.ipynb", "1 / 0", metadata=metadata)
    result = run(nbtest, *args)
    result.assert_outcomes(failed=1)
    result.stdout.no_fnmatch_line("*generated code*")


@pytest.mark.parametrize("where", ["cli", "ini"])
def test_dump_code_always_writes_files_to_the_chosen_folder(nbtest, where):
    notebook(nbtest.path / "docs" / "nb.ipynb", "x = 1", "# notebook-test: test-cell=False\ny=1")
    args = ["--notebook-test", "--notebook-test-dump-code=always"]
    if where == "cli":
        args.append("--notebook-test-dump-dir=artefacts")
    else:
        nbtest.ini("notebook_test_dump_dir = artefacts")
    run(nbtest, *args).assert_outcomes(passed=1)
    dumped = (nbtest.path / "artefacts" / "docs__nb.py").read_text("utf-8")
    assert "## notebook-test notebook=docs/nb.ipynb cell=1\nx = 1\n" in dumped
    assert "y=1" not in dumped


def test_dump_code_always_writes_beside_the_junit_report(nbtest):
    nbtest.ini("notebook_test_dump_code = always")
    notebook(nbtest.path / "nb.ipynb", "x = 1")
    run(nbtest, "--notebook-test", "--junitxml=reports/junit.xml").assert_outcomes(passed=1)
    assert (nbtest.path / "reports" / "notebook-test-code" / "nb.py").is_file()


def test_dump_code_always_defaults_to_the_cache_folder(nbtest):
    notebook(nbtest.path / "nb.ipynb", "x = 1")
    nbtest.runpytest("--notebook-test", "--notebook-test-dump-code=always").assert_outcomes(
        passed=1
    )
    assert (nbtest.path / ".pytest_cache" / "d" / "notebook-test-code" / "nb.py").is_file()


# --- magics -------------------------------------------------------------------------------


def test_line_magics_and_shell_escapes_are_stripped(nbtest):
    notebook(
        nbtest.path / "nb.ipynb",
        "%matplotlib inline\n!echo hello\nx = 1",
        "for i in range(2):\n    %time x += i",
        "%%time\ny = x + 1",
        "%%capture\nprint('captured')\nz = 3",
        # The magic line did nothing: x stayed 1.
        "assert (x, y, z) == (1, 2, 3)",
    )
    run(nbtest, "--notebook-test").assert_outcomes(passed=1)


def test_other_cell_magics_are_left_out_with_a_warning(nbtest):
    notebook(nbtest.path / "nb.ipynb", "x = 1", "%%bash\necho hi\nexit 1", "assert x == 1")
    result = run(nbtest, "--notebook-test")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "*NotebookTestWarning: nb.ipynb: cell 2 was not run: its cell magic %%bash does not "
            "run Python in the notebook's namespace; run it with --notebook-test-engine=ipython"
        ]
    )


@pytest.mark.parametrize("where", ["cli", "ini", "metadata"])
def test_strip_magics_off_makes_magics_a_syntax_error(nbtest, where):
    args = ["--notebook-test"]
    metadata = None
    if where == "cli":
        args.append("--notebook-test-strip-magics=false")
    elif where == "ini":
        nbtest.ini("notebook_test_strip_magics = false")
    else:
        metadata = {"notebook_test": {"strip_magics": False}}
    notebook(nbtest.path / "nb.ipynb", "x = 1", "y = 2\n%time z = 3", metadata=metadata)
    result = run(nbtest, *args)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "nb.ipynb: cell 2, line 2: SyntaxError: invalid syntax",
            "  1 | y = 2",
            "> 2 | %time z = 3",
            "*--notebook-test-engine=ipython*",
        ]
    )


# --- options ------------------------------------------------------------------------------

SEED_CHECK = "import random\nassert random.random() == random.Random({seed}).random()"


@pytest.mark.parametrize(
    ("args", "ini", "metadata", "seed"),
    [
        ((), None, None, 42),
        (("--notebook-test-seed=7",), None, None, 7),
        ((), "notebook_test_seed = 9", None, 9),
        (("--notebook-test-seed=7",), None, {"seed": 3}, 3),
    ],
)
def test_seed(nbtest, args, ini, metadata, seed):
    if ini:
        nbtest.ini(ini)
    notebook(
        nbtest.path / "nb.ipynb",
        SEED_CHECK.format(seed=seed),
        metadata={"notebook_test": metadata} if metadata else None,
    )
    run(nbtest, "--notebook-test", *args).assert_outcomes(passed=1)


def test_seed_none_leaves_random_alone(nbtest):
    notebook(nbtest.path / "nb.ipynb", SEED_CHECK.format(seed=42))
    notebook(nbtest.path / "nb2.ipynb", SEED_CHECK.format(seed=42))
    result = run(nbtest, "--notebook-test", "--notebook-test-seed=none")
    result.assert_outcomes(failed=2)


def test_seed_applies_to_numpy_when_the_notebook_imports_it(nbtest):
    needs("numpy")
    check = (
        "import numpy as np\n"
        "assert np.random.random() == np.random.RandomState({seed}).random_sample()"
    )
    notebook(nbtest.path / "a.ipynb", check.format(seed=42))
    notebook(nbtest.path / "b.ipynb", check.format(seed=5), metadata={"notebook_test": {"seed": 5}})
    run_in_subprocess(nbtest, "--notebook-test").assert_outcomes(passed=2)


def test_settings_do_not_import_numpy_matplotlib_or_plotly(nbtest):
    nbtest.makepyfile(
        test_z_after="""
        import sys
        def test_not_imported():
            assert not {'numpy', 'matplotlib', 'plotly'} & set(sys.modules)
        """
    )
    notebook(nbtest.path / "nb.ipynb", "import random\nx = random.random()")
    result = nbtest.runpytest_subprocess("--notebook-test", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


@pytest.mark.parametrize(
    ("args", "backend"), [((), "agg"), (("--notebook-test-mpl-backend=svg",), "svg")]
)
def test_matplotlib_backend(nbtest, args, backend):
    needs("matplotlib")
    notebook(
        nbtest.path / "nb.ipynb",
        "import matplotlib\nimport matplotlib.pyplot as plt\n"
        f"assert matplotlib.get_backend().lower() == {backend!r}\n"
        "plt.plot([1, 2])\nmatplotlib.rcParams['lines.linewidth'] = 9",
    )
    nbtest.makepyfile(
        test_z_after="""
        import sys
        def test_restored():
            mpl = sys.modules['matplotlib']
            assert mpl.rcParams['lines.linewidth'] != 9
            assert sys.modules['matplotlib.pyplot'].get_fignums() == []
        """
    )
    run_in_subprocess(nbtest, "--notebook-test", *args).assert_outcomes(passed=2)


def test_plotly_renderer(nbtest):
    needs("plotly")
    notebook(
        nbtest.path / "nb.ipynb",
        "import plotly.io as pio\nassert pio.renderers.default == 'png'",
    )
    nbtest.makepyfile(
        test_z_after="""
        import sys
        def test_restored():
            assert sys.modules['plotly.io'].renderers.default != 'png'
        """
    )
    result = run_in_subprocess(nbtest, "--notebook-test", "--notebook-test-plotly-renderer=png")
    result.assert_outcomes(passed=2)


@pytest.mark.parametrize(
    ("ini", "args"),
    [
        ("notebook_test_mpl_backend = svg", ()),
        ("notebook_test_plotly_renderer = png", ()),
    ],
)
def test_library_ini_options(nbtest, ini, args):
    library = "matplotlib" if "mpl" in ini else "plotly"
    needs(library)
    check = (
        "import matplotlib\nassert matplotlib.get_backend().lower() == 'svg'"
        if library == "matplotlib"
        else "import plotly.io as pio\nassert pio.renderers.default == 'png'"
    )
    nbtest.ini(ini)
    notebook(nbtest.path / "nb.ipynb", check)
    run_in_subprocess(nbtest, "--notebook-test", *args).assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("--notebook-test-seed=abc", "*--notebook-test-seed: 'abc' is not an integer seed*"),
        ("--notebook-test-timeout=-2", "*--notebook-test-timeout: '-2' is not a positive*"),
        ("--notebook-test-dump-code=maybe", "*'maybe' is not one of: never, onfail, always*"),
        ("--notebook-test-engine=jupyter", "*'jupyter' is not one of: python, ipython*"),
        ("--notebook-test-default-all=perhaps", "*'perhaps' is not a boolean*"),
        ("--notebook-test-prelude=nocolon", "*'nocolon' is not of the form module:function*"),
    ],
)
def test_bad_option_values_are_usage_errors(nbtest, option, message):
    notebook(nbtest.path / "nb.ipynb", "x = 1")
    result = run(nbtest, "--notebook-test", option)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


def test_bad_ini_values_are_usage_errors_naming_the_ini_key(nbtest):
    nbtest.ini("notebook_test_enabled = true", "notebook_test_timeout = soon")
    result = run(nbtest)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*notebook_test_timeout (ini): 'soon' is not a number*"])


def test_bad_ini_switch_is_a_usage_error_naming_it(nbtest):
    nbtest.ini("notebook_test_enabled = maybe")
    result = run(nbtest)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*notebook_test_enabled (ini): *'maybe'*write true or false*"])


def test_bad_option_values_are_ignored_when_disabled(nbtest):
    nbtest.makepyfile(test_plain="def test_plain(): pass")
    run(nbtest, "--notebook-test-seed=abc").assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        ({"notebook_test": {"timeuot": 3}}, "*unknown key 'timeuot'; the keys are: enabled*"),
        ({"notebook_test": {"seed": "x"}}, "*\"seed\"]: 'x' must be an integer or null*"),
    ],
)
def test_bad_metadata_fails_that_notebook(nbtest, metadata, message):
    notebook(nbtest.path / "bad.ipynb", "x = 1", metadata=metadata)
    notebook(nbtest.path / "good.ipynb", "x = 1")
    result = run(nbtest, "--notebook-test")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines([f"bad.ipynb: metadata{message}"])


def test_metadata_enabled_false_skips_the_notebook(nbtest):
    notebook(
        nbtest.path / "nb.ipynb",
        "raise RuntimeError",
        metadata={"notebook_test": {"enabled": False}},
    )
    result = run(nbtest, "--notebook-test", "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*nb.ipynb: disabled by its metadata*notebook_test*enabled*"])


# --- timeouts -----------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["cli", "ini", "metadata"])
def test_timeout_fails_the_notebook_naming_the_cell(nbtest, where):
    args = ["--notebook-test"]
    metadata = None
    if where == "cli":
        args.append("--notebook-test-timeout=0.5")
    elif where == "ini":
        nbtest.ini("notebook_test_timeout = 0.5")
    else:
        args.append("--notebook-test-timeout=60")
        metadata = {"notebook_test": {"timeout": 0.5}}
    notebook(
        nbtest.path / "slow.ipynb",
        "import time",
        "x = 1\ntime.sleep(30)",
        "raise RuntimeError('not reached')",
        metadata=metadata,
    )
    notebook(nbtest.path / "tail.ipynb", "x = 1")
    result = run(nbtest, *args)
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(
        [
            ">   time.sleep(30)",
            "E   *NotebookTimeout*",
            "slow.ipynb did not finish within 0.5 s (--notebook-test-timeout); "
            "it was running cell 2",
        ]
    )
    assert result.duration < 20


def test_timeout_not_swallowed_by_the_cell(nbtest):
    notebook(
        nbtest.path / "nb.ipynb",
        "import time\ntry:\n    time.sleep(30)\nexcept BaseException:\n    pass",
        "raise RuntimeError('not reached')",
    )
    result = run(nbtest, "--notebook-test", "--notebook-test-timeout=0.3")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*did not finish within 0.3 s*it was running cell 1"])


def test_timeout_in_a_thread_uses_the_watchdog(nbtest):
    notebook(nbtest.path / "nb.ipynb", "while True:\n    pass")
    script = nbtest.makepyfile(
        run_in_thread="""
        import sys, threading, pytest
        codes = []
        thread = threading.Thread(target=lambda: codes.append(pytest.main(sys.argv[1:])))
        thread.start()
        thread.join(60)
        sys.exit(0 if codes == [1] else 9)
        """
    )
    result = nbtest.run(
        sys.executable,
        script,
        "--notebook-test",
        "--notebook-test-timeout=0.5",
        "nb.ipynb",
        "-p",
        "no:cacheprovider",
    )
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(["*did not finish within 0.5 s*it was running cell 1"])


# --- prelude ------------------------------------------------------------------------------

PRELUDE = """
import os
from pathlib import Path
CALLS = []
def prepare(path):
    with open(Path(__file__).with_name('calls.txt'), 'a') as calls:
        calls.write(f'{path}\\n')
    os.environ['PRELUDE_SAW'] = f'{path.name} in {Path.cwd().name}'
def broken(path):
    raise RuntimeError('prelude broke')
def slow(path):
    import time
    time.sleep(30)
"""


@pytest.mark.parametrize("where", ["cli", "ini"])
def test_prelude_is_called_with_the_path_before_the_first_cell(nbtest, monkeypatch, where):
    nbtest.makepyfile(nbprelude=PRELUDE)
    monkeypatch.syspath_prepend(nbtest.path)
    args = ["--notebook-test"]
    if where == "cli":
        args.append("--notebook-test-prelude=nbprelude:prepare")
    else:
        nbtest.ini("notebook_test_prelude = nbprelude:prepare")
    notebook(
        nbtest.path / "docs" / "nb.ipynb",
        "import os\nassert os.environ['PRELUDE_SAW'] == 'nb.ipynb in docs'",
    )
    run(nbtest, *args).assert_outcomes(passed=1)
    calls = (nbtest.path / "calls.txt").read_text("utf-8")
    assert calls == f"{nbtest.path / 'docs' / 'nb.ipynb'}\n"
    assert "PRELUDE_SAW" not in __import__("os").environ


@pytest.mark.parametrize(
    ("prelude", "message"),
    [
        ("nbprelude:missing", "*cannot load the prelude 'nbprelude:missing'*AttributeError*"),
        ("no_such_module:f", "*cannot load the prelude*ModuleNotFoundError*"),
        ("nbprelude:CALLS", "*the prelude 'nbprelude:CALLS' is not callable*"),
    ],
)
def test_prelude_that_cannot_load_fails_the_notebooks(nbtest, monkeypatch, prelude, message):
    nbtest.makepyfile(nbprelude=PRELUDE)
    monkeypatch.syspath_prepend(nbtest.path)
    notebook(nbtest.path / "nb.ipynb", "x = 1")
    result = run(nbtest, "--notebook-test", f"--notebook-test-prelude={prelude}")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([message])


def test_prelude_that_raises_fails_the_notebook(nbtest, monkeypatch):
    nbtest.makepyfile(nbprelude=PRELUDE)
    monkeypatch.syspath_prepend(nbtest.path)
    notebook(nbtest.path / "nb.ipynb", "x = 1")
    result = run(nbtest, "--notebook-test", "--notebook-test-prelude=nbprelude:broken")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*raise RuntimeError('prelude broke')*", "nb.ipynb: the prelude raised RuntimeError: *"]
    )


def test_timeout_covers_the_prelude(nbtest, monkeypatch):
    nbtest.makepyfile(nbprelude=PRELUDE)
    monkeypatch.syspath_prepend(nbtest.path)
    notebook(nbtest.path / "nb.ipynb", "x = 1")
    result = run(
        nbtest,
        "--notebook-test",
        "--notebook-test-prelude=nbprelude:slow",
        "--notebook-test-timeout=0.5",
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*nb.ipynb did not finish within 0.5 s*it was running the prelude"]
    )


# --- the ipython engine -------------------------------------------------------------------


@pytest.mark.parametrize("where", ["cli", "ini", "metadata"])
def test_ipython_engine_runs_magics(nbtest, where):
    args = ["--notebook-test"]
    metadata = None
    if where == "cli":
        args.append("--notebook-test-engine=ipython")
    elif where == "ini":
        nbtest.ini("notebook_test_engine = ipython")
    else:
        metadata = {"notebook_test": {"engine": "ipython"}}
    notebook(
        nbtest.path / "nb.ipynb",
        "%%capture out\nprint('captured')",
        "assert out.stdout == 'captured\\n'\nlines = !echo hello\nassert lines == ['hello']",
        "%%writefile made.py\nVALUE = 5",
        "import made\nassert made.VALUE == 5\nassert get_ipython() is not None",
        metadata=metadata,
    )
    run(nbtest, *args).assert_outcomes(passed=1)


def test_ipython_engine_reports_the_failing_cell(nbtest):
    notebook(nbtest.path / "nb.ipynb", "%precision 2", "y = 1 / 0", "open('reached.txt', 'w')")
    result = run(nbtest, "--notebook-test", "--notebook-test-engine=ipython")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "nb.ipynb: cell 2 ('y = 1 / 0') raised ZeroDivisionError: division by zero",
            "  1 | y = 1 / 0",
        ]
    )
    result.stdout.fnmatch_lines(["*ZeroDivisionError*Traceback (most recent call last)"])
    result.stdout.no_fnmatch_line("*\x1b[[]*")
    assert not (nbtest.path / "reached.txt").exists()


def test_ipython_engine_must_raise_and_directives(nbtest):
    notebook(
        nbtest.path / "nb.ipynb",
        "# notebook-test: must-raise-exception=True\n1 / 0",
        "# notebook-test: default-all=False\nraise RuntimeError('skipped')",
        "# notebook-test: test-cell=True, must-raise-exception=True\nx = 1",
    )
    result = run(nbtest, "--notebook-test", "--notebook-test-engine=ipython")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*cell 3 (*) is marked must-raise-exception=True but raised nothing*"]
    )


def test_ipython_engine_fails_on_failing_ipytest_cell(nbtest):
    notebook(
        nbtest.path / "nb.ipynb",
        "import ipytest\nipytest.autoconfig()",
        "%%ipytest -q\ndef test_ok():\n    assert True",
        "%%ipytest -q\ndef test_bad():\n    assert [1, 2] == [1, 3]",
    )
    result = run(nbtest, "--notebook-test", "--notebook-test-engine=ipython")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "nb.ipynb: cell 3 (*) ran tests with %%ipytest and they failed: pytest exited *code 1*",
            "*def test_bad():",
        ]
    )


def test_ipython_engine_timeout(nbtest):
    notebook(nbtest.path / "nb.ipynb", "import time", "time.sleep(30)")
    result = run(
        nbtest, "--notebook-test", "--notebook-test-engine=ipython", "--notebook-test-timeout=1"
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*nb.ipynb did not finish within 1 s*it was running cell 2"])


# --- documentation ------------------------------------------------------------------------


def test_readme_lists_every_option():
    from ipytest.notebook_test.options import options_table

    readme = (Path(__file__).parents[1] / "Readme.md").read_text("utf-8")
    assert options_table() in readme, "regenerate the table with options_table()"


def test_plugin_module_imports_nothing_heavy():
    code = textwrap.dedent(
        """
        import sys, pytest, ipytest
        before = set(sys.modules)
        import ipytest.notebook_test.plugin
        print(sorted(set(sys.modules) - before))
        """
    )
    import subprocess

    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    # Only the plugin's own small modules: no IPython, nbformat, coverage or engine.
    assert output.strip() == str(
        [
            "ipytest._compat_pytest",
            "ipytest.notebook_test",
            "ipytest.notebook_test.options",
            "ipytest.notebook_test.plugin",
            "ipytest.notebook_test.report",
        ]
    )


def test_display_is_ipythons(nbtest):
    notebook(nbtest.path / "nb.ipynb", "display({'shown': 1})")
    result = run(nbtest, "--notebook-test", "-rA")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["{'shown': 1}"])
