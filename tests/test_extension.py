"""`%load_ext ipytest`, `%unload_ext ipytest` and `%reload_ext ipytest` in a real shell."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

import ipytest
from ipytest import _config, _impl, _options
from ipytest._magic_position import MisplacedMagicCheck


def registered(shell) -> dict[str, object]:
    """What ipytest has registered with the shell."""
    return {
        "magic": shell.magics_manager.magics["cell"].get("ipytest"),
        "rewriters": [
            t for t in shell.ast_transformers if isinstance(t, _impl.RewriteAssertTransformer)
        ],
        "checks": [
            t for t in shell.input_transformers_cleanup if isinstance(t, MisplacedMagicCheck)
        ],
    }


def assert_loaded(shell) -> None:
    found = registered(shell)
    assert found["magic"] is _impl.ipytest_magic
    assert len(found["rewriters"]) == 1
    assert len(found["checks"]) == 1
    assert _options.current_config == _options.DEFAULTS


def assert_unloaded(shell) -> None:
    assert registered(shell) == {"magic": None, "rewriters": [], "checks": []}
    assert _options.current_config == _options.UNCONFIGURED
    assert _config._rewrite_transformer is None


def line(shell, source: str):
    result = shell.run_cell(source)
    assert result.success, result.error_in_exec or result.error_before_exec
    return result


def test_load_ext_does_what_autoconfig_does(shell, capsys):
    line(shell, "%load_ext ipytest")
    assert capsys.readouterr().out == ""
    assert_loaded(shell)
    result = shell.run_cell("%%ipytest -q\ndef test_a():\n    assert [1] == [2]\n")
    assert result.success
    assert ipytest.exit_code == 1
    assert "At index 0 diff: 1 != 2" in re.sub(r"\x1b\[[0-9;]*m", "", capsys.readouterr().out)


def test_load_ext_after_autoconfig_registers_nothing_twice(shell):
    ipytest.autoconfig(raise_on_error=True, addopts=["-v"])
    line(shell, "%load_ext ipytest")
    assert_loaded(shell)


def test_load_ext_twice_keeps_one_of_everything(shell, capsys):
    line(shell, "%load_ext ipytest")
    line(shell, "%load_ext ipytest")
    assert "already loaded" in capsys.readouterr().out
    assert_loaded(shell)


def test_unload_ext_removes_what_load_ext_registered(shell, capsys):
    line(shell, "%load_ext ipytest")
    line(shell, "%unload_ext ipytest")
    assert_unloaded(shell)
    result = shell.run_cell("%%ipytest\ndef test_a():\n    pass\n")
    assert "Cell magic `%%ipytest` not found" in str(result.error_in_exec)
    # Asserts are plain again.
    result = shell.run_cell("assert [1] == [2]")
    assert str(result.error_in_exec) == ""


def test_unload_ext_after_autoconfig_removes_everything(shell):
    ipytest.autoconfig()
    line(shell, "%load_ext ipytest")
    line(shell, "%unload_ext ipytest")
    assert_unloaded(shell)


def test_unload_ext_leaves_a_magic_of_another_package(shell):
    line(shell, "%load_ext ipytest")

    def other(line, cell):
        return None

    shell.register_magic_function(other, "cell", "ipytest")
    line(shell, "%unload_ext ipytest")
    assert shell.magics_manager.magics["cell"]["ipytest"] is other


def test_unload_ext_restores_the_cells_names_coverage_changed(shell):
    pytest.importorskip("pytest_cov")
    original = shell.compile.get_code_name("x = 1\n", "x = 1\n", 5)
    line(shell, "%load_ext ipytest")
    ipytest.config(coverage=True)
    assert shell.compile.get_code_name("x = 1\n", "x = 1\n", 5) != original
    line(shell, "%unload_ext ipytest")
    assert shell.compile.get_code_name("x = 1\n", "x = 1\n", 5) == original


@pytest.mark.parametrize("times", [1, 3])
def test_reload_ext_keeps_one_of_everything_and_the_magic_works(shell, capsys, times):
    line(shell, "%load_ext ipytest")
    for _ in range(times):
        line(shell, "%reload_ext ipytest")
    assert_loaded(shell)
    for _ in range(2):
        result = shell.run_cell("%%ipytest {test_a}\ndef test_a():\n    pass\n")
        assert result.success
        assert ipytest.exit_code == 0
    assert "1 passed" in capsys.readouterr().out


def test_the_extension_hooks_are_found_without_importing_anything_heavy():
    code = (
        "import sys, ipytest\n"
        "assert callable(ipytest.load_ipython_extension)\n"
        "assert callable(ipytest.unload_ipython_extension)\n"
        "print([m for m in ('pytest', 'IPython', 'nbformat', 'coverage') if m in sys.modules])\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert output.split() == ["[]"]


def test_the_extension_hooks_are_not_public_names():
    assert "load_ipython_extension" not in ipytest.__all__
    assert "unload_ipython_extension" not in ipytest.__all__
