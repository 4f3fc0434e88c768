"""The headless runner of `python -m ipytest`, as the plugin's ipython engine reuses it."""

from __future__ import annotations

import atexit
import subprocess
import sys

from kernel import write_notebook

from ipytest._shell import fresh_shell


def test_fresh_shell_is_shut_down_and_cleared(workdir, monkeypatch):
    from IPython.core.interactiveshell import InteractiveShell

    main = sys.modules["__main__"]
    # A first shell imports the modules that register exit callbacks of their own.
    with fresh_shell(in_memory_history=True):
        pass
    registered, unregistered = [], []
    register, unregister = atexit.register, atexit.unregister

    def spy_register(function, *args, **kwargs):
        registered.append(function)
        return register(function, *args, **kwargs)

    def spy_unregister(function):
        unregistered.append(function)
        return unregister(function)

    monkeypatch.setattr(atexit, "register", spy_register)
    monkeypatch.setattr(atexit, "unregister", spy_unregister)
    try:
        with fresh_shell(in_memory_history=True) as shell:
            assert InteractiveShell.instance() is shell
            assert str(shell.history_manager.hist_file) == ":memory:"
            assert shell.run_cell("x = 1").success
            assert shell.atexit_operations in registered
        assert not InteractiveShell.initialized()
        # Shut down now (the history is closed), and nothing left to do at exit.
        assert shell.history_manager is None
        assert all(function in unregistered for function in registered)
    finally:
        sys.modules["__main__"] = main


def test_python_m_ipytest_still_runs_a_notebook(workdir):
    path = write_notebook(
        workdir / "nb.ipynb",
        "x = 1",
        "%time y = x + 1",
        "1 / 0",
        "assert y == 2",
        tags={2: ["raises-exception"]},
    )
    result = subprocess.run(
        [sys.executable, "-m", "ipytest", str(path)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "## cell 4: assert y == 2" in result.stdout

    write_notebook(workdir / "bad.ipynb", "x = 1", "assert x == 2")
    result = subprocess.run(
        [sys.executable, "-m", "ipytest", "bad.ipynb"], capture_output=True, text=True
    )
    assert result.returncode == 1
    assert "cell 2 ('assert x == 2') raised AssertionError" in result.stderr
