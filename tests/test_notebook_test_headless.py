"""The headless runner of `python -m ipytest`, as the plugin's ipython engine reuses it."""

from __future__ import annotations

import atexit
import subprocess
import sys

from kernel import write_notebook

from ipytest.__main__ import fresh_shell


def test_fresh_shell_is_shut_down_and_cleared(workdir):
    from IPython.core.interactiveshell import InteractiveShell

    main = sys.modules["__main__"]
    try:
        # A first shell imports the modules that register exit callbacks of their own.
        with fresh_shell(in_memory_history=True):
            pass
        exit_callbacks = atexit._ncallbacks()
        with fresh_shell(in_memory_history=True) as shell:
            assert InteractiveShell.instance() is shell
            assert str(shell.history_manager.hist_file) == ":memory:"
            assert shell.run_cell("x = 1").success
            assert atexit._ncallbacks() > exit_callbacks
        assert not InteractiveShell.initialized()
        # Shut down now, and no longer registered to be at exit.
        assert shell.history_manager is None
        assert atexit._ncallbacks() == exit_callbacks
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
