"""The adapter to IPython's private parts: each function in a real InteractiveShell."""

from __future__ import annotations

import atexit
from pathlib import Path

from IPython.core.magics import ScriptMagics

from ipytest import _compat_ipython


def test_execution_counts_maps_a_cells_filename_to_its_number(shell):
    shell.run_cell("x = 1", store_history=True)
    counts = _compat_ipython.execution_counts(shell)
    assert counts is shell.compile._filename_map
    assert shell.execution_count - 1 in counts.values()


def test_execution_counts_is_none_without_a_compiler():
    assert _compat_ipython.execution_counts(object()) is None


def test_code_name_is_the_shells_name_for_a_cell(shell):
    name = _compat_ipython.code_name(shell.compile, "x = 1\n", 7)
    assert isinstance(name, str)
    assert "7" in name


def test_an_installed_code_namer_names_the_cells_until_removed(shell):
    def namer(raw_code: str, transformed_code: str, number: int) -> str:
        return f"/nowhere/cell-{number}.py"

    assert _compat_ipython.code_namer_of(shell.compile) is None
    _compat_ipython.install_code_namer(shell.compile, namer)
    try:
        assert _compat_ipython.code_namer_of(shell.compile) is namer
        shell.run_cell("def f(): pass", store_history=True)
        assert shell.user_ns["f"].__code__.co_filename.startswith("/nowhere/cell-")
    finally:
        _compat_ipython.remove_code_namer(shell.compile)
    assert _compat_ipython.code_namer_of(shell.compile) is None
    assert _compat_ipython.code_name(shell.compile, "", 1) != "/nowhere/cell-1.py"


def test_before_each_run_code_calls_back_for_each_code_object_then_restores(shell):
    calls = []
    with _compat_ipython.before_each_run_code(shell, lambda: calls.append(1)):
        shell.run_cell("a = 1\nb = 2\nb", store_history=True)
    assert len(calls) >= 1
    assert shell.user_ns["a"] == 1
    calls.clear()
    shell.run_cell("c = 3")
    assert calls == []
    assert "run_code" not in vars(shell)


def test_run_exit_operations_deletes_temporary_files_and_unregisters(shell, monkeypatch):
    unregistered = []
    real_unregister = atexit.unregister

    def unregister(function):
        unregistered.append(getattr(function, "__name__", None))
        real_unregister(function)

    monkeypatch.setattr(atexit, "unregister", unregister)
    # As terminal IPython and ipykernel have them: the magics of %%script --bg.
    shell.register_magics(ScriptMagics)
    temporary = Path(shell.mktempfile("x = 1"))
    assert temporary.exists()
    _compat_ipython.run_exit_operations(shell)
    assert not temporary.exists()
    assert "atexit_operations" in unregistered
    assert "kill_bg_processes" in unregistered
