"""What running a notebook changes in the process, and puts back."""

from __future__ import annotations

import os
import random
import sys

from ipytest._environment import notebook_environment


def test_notebook_environment_restores_and_forgets_local_modules(tmp_path, importable):
    folder = tmp_path / "nb"
    folder.mkdir()
    (folder / "local_helper.py").write_text("X = 1\n", "utf-8")
    (importable / "library_mod.py").write_text("Y = 2\n", "utf-8")
    cwd, path, main = os.getcwd(), list(sys.path), sys.modules["__main__"]
    state = random.getstate()
    with notebook_environment(folder):
        assert os.getcwd() == str(folder)
        assert sys.path[0] == str(folder)
        import library_mod  # noqa: F401
        import local_helper  # noqa: F401

        os.environ["NOTEBOOK_TEST_VARIABLE"] = "set"
        sys.path.append("elsewhere")
        sys.modules["__main__"] = "replaced"
        random.random()
    assert (os.getcwd(), sys.path, sys.modules["__main__"]) == (cwd, path, main)
    assert random.getstate() == state
    assert "NOTEBOOK_TEST_VARIABLE" not in os.environ
    assert "local_helper" not in sys.modules
    assert "library_mod" in sys.modules
