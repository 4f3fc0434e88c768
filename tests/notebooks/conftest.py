"""Fixtures that the notebooks in this folder and below use from inside their kernels.

`TestConftest.ipynb` (beside this file) and `nested/TestParentConftest.ipynb` (below it)
show that pytest runs started by `%%ipytest` load this file. The suite's own pytest run
loads it too, as it collects these notebooks; it only defines fixtures, which the notebooks'
cells, as nbval runs them, do not request.
"""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def conftest_folder() -> Path:
    """The folder of the conftest.py that defined this fixture."""
    return Path(__file__).resolve().parent


@pytest.fixture
def greeting() -> str:
    """A value a notebook may override with a fixture of its own."""
    return "hello from conftest.py"
