"""The headless shell of `python -m ipytest` and the ipython engine: magics as in a kernel.

A kernel without a screen runs the magics notebooks commonly use: `%matplotlib` with a
GUI-less backend, `%config InlineBackend...`, `%load_ext autoreload`, `display()`,
`%timeit`, `!cmd`. Headless, they must work the same; GUI event loops get a clear error;
package managers (`%pip`, ...) install nothing and say so. The table below runs through
`python -m ipytest` and `pytest --notebook-test` with both engines (the python engine
turns line magics and shell escapes into no-ops, so it differs where the table says).
"""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
import warnings
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from kernel import write_notebook

from ipytest import _shell
from ipytest._shell import fresh_shell

PYTEST_INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"
AFTER = "print('the cell after ran')"


def _package_magics() -> list[str]:
    from IPython.core.magics import PackagingMagics

    return [name for name in _shell.PACKAGE_MAGICS if name in PackagingMagics.magics["line"]]


@dataclasses.dataclass(frozen=True)
class Magic:
    """A cell, what it shows headless, and what fails where (None: the cell passes)."""

    name: str
    source: str
    shows: str = ""
    headless_error: str | None = None
    python_engine_error: str | None = None


SCREEN = "GUI event loop needs a screen"
MAGICS = [
    Magic(
        "matplotlib inline",
        "%matplotlib inline\nimport matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.show()",
        shows="<Figure size",
    ),
    Magic("matplotlib inline again", "%matplotlib inline\nplt.plot([3, 2])\nplt.show()"),
    Magic("matplotlib agg", "%matplotlib agg\nimport matplotlib.pyplot as plt\nplt.plot([1, 2])"),
    Magic("bare matplotlib", "%matplotlib", shows="Using matplotlib backend"),
    Magic("config InlineBackend", "%config InlineBackend.figure_format = 'svg'"),
    Magic("autoreload", "%load_ext autoreload\n%autoreload 2"),
    Magic("display", "display({'shown': 1})", shows="{'shown': 1}"),
    Magic("timeit", "%timeit -n 1 -r 1 sum(range(10))", shows="per loop"),
    Magic("shell escape", "!echo from-the-shell", shows="from-the-shell"),
    Magic(
        "shell capture",
        "listing = !echo captured\nassert listing == ['captured']",
        python_engine_error="SyntaxError",
    ),
    *(
        Magic(
            f"{name} install",
            f"%{name} install ipytest-no-such-package",
            shows=f"%{name} install ipytest-no-such-package was not run",
        )
        for name in _package_magics()
    ),
    Magic("matplotlib qt", "%matplotlib qt", headless_error=f"%matplotlib qt: the 'qt' {SCREEN}"),
    Magic("matplotlib tk", "%matplotlib tk", headless_error=f"%matplotlib tk: the 'tk' {SCREEN}"),
    # IPython's %gui prints what enable_gui raised and lets the cell pass, in a kernel too.
    Magic("gui qt", "%gui qt", shows=f"%gui qt: the 'qt' {SCREEN}"),
]


def _slug(name: str) -> str:
    return re.sub(r"\W+", "_", name)


def _write(folder: Path, name: str, *sources: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pytest.ini").write_text(PYTEST_INI, encoding="utf-8")
    return write_notebook(folder / f"{name}.ipynb", *sources)


def run_main(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ipytest", path.name],
        cwd=path.parent,
        capture_output=True,
        text=True,
        timeout=300,
    )


def run_plugin(folder: Path, engine: str, *args: str) -> dict[str, str | None]:
    """Each notebook of `folder` under `--notebook-test`: its failure text, or None."""
    report = folder / f"junit-{engine}.xml"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "--notebook-test",
            f"--notebook-test-engine={engine}",
            f"--junitxml={report}",
            "-o",
            "junit_logging=all",
            *args,
        ],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode in (0, 1), result.stdout + result.stderr
    outcomes = {}
    for case in ElementTree.parse(report).getroot().iter("testcase"):
        failures = [child for child in case if child.tag in ("failure", "error")]
        output = "".join(child.text or "" for child in case if child.tag.startswith("system-"))
        outcomes[case.get("name")] = (failures[0].text or "") if failures else None
        outcomes[f"{case.get('name')} output"] = output
    return outcomes


# --- python -m ipytest -------------------------------------------------------------------


def test_python_m_ipytest_runs_the_magics_a_kernel_runs(tmp_path):
    passing = [magic for magic in MAGICS if magic.headless_error is None]
    path = _write(tmp_path, "magics", *(magic.source for magic in passing), AFTER)
    result = run_main(path)
    assert result.returncode == 0, result.stdout + result.stderr
    output = result.stdout + result.stderr
    for magic in passing:
        assert magic.shows in output, magic.name
    assert "the cell after ran" in output
    # IPython's own %pip would have run pip and said this afterwards.
    assert "you may need to restart the kernel" not in output


@pytest.mark.parametrize(
    "magic", [m for m in MAGICS if m.headless_error], ids=lambda magic: _slug(magic.name)
)
def test_python_m_ipytest_refuses_a_gui_event_loop(tmp_path, magic):
    path = _write(tmp_path, _slug(magic.name), magic.source, AFTER)
    result = run_main(path)
    assert result.returncode == 1
    assert f"cell 1 ({magic.source!r}) raised UsageError: {magic.headless_error}" in result.stderr
    assert "use %matplotlib inline or %matplotlib agg" in result.stderr
    assert "the cell after ran" not in result.stdout


# --- pytest --notebook-test ----------------------------------------------------------------


def test_the_ipython_engine_runs_the_magics_a_kernel_runs(tmp_path):
    passing = [magic for magic in MAGICS if magic.headless_error is None]
    _write(tmp_path, "magics", *(magic.source for magic in passing), AFTER)
    refused = [magic for magic in MAGICS if magic.headless_error]
    for magic in refused:
        _write(tmp_path, _slug(magic.name), magic.source, AFTER)

    outcomes = run_plugin(tmp_path, "ipython")

    assert outcomes["magics"] is None, outcomes["magics"]
    for magic in passing:
        assert magic.shows in outcomes["magics output"], magic.name
    assert "the cell after ran" in outcomes["magics output"]
    for magic in refused:
        failure = outcomes[_slug(magic.name)]
        assert failure is not None
        assert f"cell 1 ({magic.source!r}) raised UsageError: {magic.headless_error}" in failure


def test_the_python_engine_leaves_the_magics_out(tmp_path):
    """Line magics and shell escapes are no-ops there, GUI ones included; `x = !cmd` is
    IPython syntax that the python engine cannot run."""
    failing = [magic for magic in MAGICS if magic.python_engine_error]
    passing = [magic for magic in MAGICS if not magic.python_engine_error]
    _write(tmp_path, "magics", *(magic.source for magic in passing), AFTER)
    for magic in failing:
        _write(tmp_path, _slug(magic.name), magic.source, AFTER)

    outcomes = run_plugin(tmp_path, "python")

    assert outcomes["magics"] is None, outcomes["magics"]
    assert "the cell after ran" in outcomes["magics output"]
    assert "from-the-shell" not in outcomes["magics output"]
    for magic in failing:
        failure = outcomes[_slug(magic.name)]
        assert failure is not None
        assert f"cell 1, line 1: {magic.python_engine_error}" in failure


@pytest.mark.parametrize("engine", ["ipython", "python"])
def test_a_notebook_passes_under_deprecation_warnings_as_errors(tmp_path, engine):
    _write(tmp_path, "plain", "x = 1", "%precision 3", "y = x + 1", "assert y == 2")
    outcomes = run_plugin(tmp_path, engine, "-W", "error::DeprecationWarning")
    assert outcomes["plain"] is None, outcomes["plain"]


def test_the_ipython_engine_reports_tracebacks_without_colors(tmp_path):
    _write(tmp_path, "failing", "def f():\n    return 1 / 0", "f()")
    outcomes = run_plugin(tmp_path, "ipython", "-W", "error::DeprecationWarning")
    assert "ZeroDivisionError" in outcomes["failing output"]
    assert "\x1b[" not in outcomes["failing output"]


def test_inline_backend_settings_do_not_reach_the_next_notebook(tmp_path):
    for name in ("first", "second"):
        _write(
            tmp_path,
            name,
            "%matplotlib inline",
            "from matplotlib_inline.config import InlineBackend\n"
            "assert InlineBackend.instance().figure_formats == {'png'}",
            "%config InlineBackend.figure_format = 'svg'",
        )
    outcomes = run_plugin(tmp_path, "ipython")
    assert outcomes["first"] is None, outcomes["first"]
    assert outcomes["second"] is None, outcomes["second"]


# --- the shell itself, in this process -------------------------------------------------------


@pytest.fixture
def headless(workdir):
    main = sys.modules["__main__"]
    try:
        with fresh_shell(in_memory_history=True) as shell:
            yield shell
    finally:
        sys.modules["__main__"] = main


@pytest.mark.parametrize("name", _package_magics())
def test_a_package_magic_runs_nothing_and_says_so(headless, monkeypatch, capsys, name):
    commands = []
    monkeypatch.setattr(headless, "system", commands.append)
    monkeypatch.setattr(headless, "system_piped", commands.append)
    for _ in range(2):
        result = headless.run_cell(f"%{name} install --upgrade requests")
        assert result.success
    assert commands == []
    message = f"ipytest: %{name} install --upgrade requests was not run"
    assert capsys.readouterr().err.count(message) == 2


def test_gui_event_loops_are_refused_and_gui_less_ones_accepted(headless):
    from IPython.core.error import UsageError

    for gui in (None, "inline", "agg"):
        headless.enable_gui(gui)
    for gui in ("tk", "qt", "osx"):
        with pytest.raises(UsageError, match=f"^%gui {gui}: the '{gui}' GUI event loop needs"):
            headless.enable_gui(gui)


def test_fresh_shells_one_after_another_are_headless(workdir):
    main = sys.modules["__main__"]
    try:
        for _ in range(3):
            with fresh_shell(in_memory_history=True) as shell:
                assert isinstance(shell, _shell.HeadlessShell)
                assert shell.run_cell("%gui").success
    finally:
        sys.modules["__main__"] = main


def test_the_no_color_scheme_is_spelt_as_the_running_ipython_wants(headless):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        headless.run_line_magic("colors", _shell.no_color_scheme())
    result = headless.run_cell("1 / 0")
    assert isinstance(result.error_in_exec, ZeroDivisionError)


def test_the_inline_backend_is_the_default_only_where_none_is_set(monkeypatch):
    monkeypatch.delenv("MPLBACKEND", raising=False)
    with _shell.inline_backend_by_default():
        assert os.environ["MPLBACKEND"] == _shell.INLINE_BACKEND
    assert "MPLBACKEND" not in os.environ
    with pytest.raises(KeyboardInterrupt), _shell.inline_backend_by_default():
        raise KeyboardInterrupt
    assert "MPLBACKEND" not in os.environ
    monkeypatch.setenv("MPLBACKEND", "svg")
    with _shell.inline_backend_by_default():
        assert os.environ["MPLBACKEND"] == "svg"
    assert os.environ["MPLBACKEND"] == "svg"
