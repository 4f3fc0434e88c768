"""How the package is built: one notebook model for every front end, imports one way."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from kernel import write_notebook

pytest_plugins = ["pytester"]

# Each cell notes its number in ran.txt when it runs.
TAGGED_CELLS = (
    "open('ran.txt', 'a').write('1 ')",
    "open('ran.txt', 'a').write('2 ')\nraise RuntimeError('tagged skip-execution')",
    "open('ran.txt', 'a').write('3 ')\n1 / 0",
    "# notebook-test: test-cell=False\nopen('ran.txt', 'a').write('4 ')",
    "# notebook-test: default-all=False\nopen('ran.txt', 'a').write('5 ')",
    "# notebook-test: test-cell=True\nopen('ran.txt', 'a').write('6 ')",
    "# NBVAL_SKIP\nopen('ran.txt', 'a').write('7 ')",
    "# notebook-test: test-cell=True\nopen('ran.txt', 'a').write('8 ')\nraise KeyError('x')",
)
# By index (write_notebook's keys): cells 2, 3, 6 and 8.
TAGS = {1: ["skip-execution"], 2: ["raises-exception"], 5: ["nbval-skip"], 7: ["raises-exception"]}
# Cell 6 is tagged nbval-skip, but its directive says to run it: the directive wins.
PLANNED = "1 3 6 8"


def _ran(folder: Path) -> str:
    return (folder / "ran.txt").read_text().strip()


def test_python_m_ipytest_and_notebook_test_run_the_same_cells(tmp_path, pytester):
    cli = tmp_path / "cli"
    cli.mkdir()
    write_notebook(cli / "nb.ipynb", *TAGGED_CELLS, tags=TAGS)
    result = subprocess.run(
        [sys.executable, "-m", "ipytest", "nb.ipynb"],
        cwd=cli,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert _ran(cli) == PLANNED

    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    write_notebook(pytester.path / "nb.ipynb", *TAGGED_CELLS, tags=TAGS)
    for engine in ("python", "ipython"):
        (pytester.path / "ran.txt").unlink(missing_ok=True)
        run = pytester.runpytest("--notebook-test", f"--notebook-test-engine={engine}")
        run.assert_outcomes(passed=1)
        assert _ran(pytester.path) == PLANNED, engine


def test_a_tagged_cell_that_raises_nothing_fails_every_front_end(tmp_path, pytester):
    cells = ("x = 1", "y = 2")
    tags = {1: ["raises-exception"]}  # cell 2
    write_notebook(tmp_path / "nb.ipynb", *cells, tags=tags)
    result = subprocess.run(
        [sys.executable, "-m", "ipytest", "nb.ipynb"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1
    assert "cell 2 ('y = 2') is tagged raises-exception but raised nothing" in result.stderr

    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    write_notebook(pytester.path / "nb.ipynb", *cells, tags=tags)
    for engine in ("python", "ipython"):
        run = pytester.runpytest("--notebook-test", f"--notebook-test-engine={engine}")
        run.assert_outcomes(failed=1)
        run.stdout.fnmatch_lines(
            ["nb.ipynb: cell 2 ('y = 2') is tagged raises-exception but raised nothing"]
        )


def _modules_after(statement: str) -> set[str]:
    code = textwrap.dedent(
        f"""
        import sys
        before = set(sys.modules)
        {statement}
        print("\\n".join(sorted(set(sys.modules) - before)))
        """
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return set(output.split())


def test_the_command_line_imports_nothing_of_the_notebook_test_plugin():
    imported = _modules_after("import ipytest.__main__")
    assert "ipytest.__main__" in imported
    assert not {name for name in imported if name.startswith("ipytest.notebook_test")}


@pytest.mark.parametrize(
    "module",
    sorted(p.stem for p in (Path(__file__).parents[1] / "ipytest/notebook_test").glob("*.py")),
)
def test_the_notebook_test_plugin_imports_nothing_of_the_command_line(module):
    name = "ipytest.notebook_test" + ("" if module == "__init__" else f".{module}")
    assert "ipytest.__main__" not in _modules_after(f"import {name}")
    source = (Path(__file__).parents[1] / "ipytest/notebook_test" / f"{module}.py").read_text()
    assert "__main__ import" not in source
    assert "import __main__" not in source


# The modules that hold the code `ipytest._impl` re-exports, and the ipytest modules each
# may import at module level: imports flow down this list, never up, so there is no cycle.
RUN_LAYERS = {
    "_exit_codes": set(),
    "_args": {"_options"},
    "_namespace": {"_options"},
    "_coverage": {"_options"},
    "_transformers": {"_rewrite"},
    "_collect": {"_exit_codes"},
    "_run": {
        "_options",
        "_args",
        "_collect",
        "_coverage",
        "_environment",
        "_exit_codes",
        "_namespace",
        "_threads",
    },
    "_magic": {"_options", "_args", "_compat_ipython", "_coverage", "_namespace", "_run"},
}


def _module_level_ipytest_imports(module: str) -> set[str]:
    import ast

    source = (Path(__file__).parents[1] / "ipytest" / f"{module}.py").read_text()
    found = set()
    for node in ast.parse(source).body:
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize("module", sorted(RUN_LAYERS))
def test_the_run_modules_import_only_the_layers_below(module):
    assert _module_level_ipytest_imports(module) <= RUN_LAYERS[module]


def test_the_run_layers_have_no_cycle():
    # Each module imports only modules listed before it.
    seen: set[str] = set()
    for module, imports in RUN_LAYERS.items():
        assert imports & set(RUN_LAYERS) <= seen, module
        seen.add(module)


# Private internals of pytest, IPython and coverage.py: reached only from the adapters.
PRIVATE_INTERNALS = re.compile(
    r"\b_pytest\b|IPython\.core\.compilerop|coverage\.(python|parser|config)\b"
    r"|_filename_map|get_code_name|\.run_code\b|atexit_operations|kill_bg_processes"
    r"|_saferepr|_format_assertmsg|_format_explanation|_reprcompare|_should_repr_global_name"
)
ADAPTERS = {"_compat_pytest.py", "_compat_ipython.py", "_compat_coverage.py"}


def test_private_internals_are_reached_only_from_the_adapters():
    package = Path(__file__).parents[1] / "ipytest"
    found = [
        f"{path.relative_to(package)}:{number}: {line.strip()}"
        for path in sorted(package.rglob("*.py"))
        if path.name not in ADAPTERS
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if PRIVATE_INTERNALS.search(line)
    ]
    assert found == []
