"""Libraries set up for notebooks: post-import hooks, seeds, matplotlib's backend."""

from __future__ import annotations

import os
import random
import sys

import pytest

from ipytest.notebook_test.libraries import _PostImportHooks, library_settings


def test_post_import_hook_runs_once_after_the_import(importable):
    (importable / "hooked_mod.py").write_text("VALUE = 1\n", "utf-8")
    seen = []
    finder = _PostImportHooks({"hooked_mod": lambda module: seen.append(module.VALUE)})
    sys.meta_path.insert(0, finder)
    try:
        import hooked_mod
    finally:
        sys.meta_path.remove(finder)
    assert seen == [1]
    assert type(hooked_mod.__loader__).__name__ == "SourceFileLoader"
    assert hooked_mod.__spec__.loader is hooked_mod.__loader__
    assert finder.hooks == {}


def test_post_import_hook_ignores_other_modules(importable):
    (importable / "plain_mod.py").write_text("VALUE = 2\n", "utf-8")
    finder = _PostImportHooks({"hooked_mod": lambda module: None})
    assert finder.find_spec("plain_mod") is None
    assert finder.find_spec("hooked_mod") is None


def test_library_settings_seed_and_restore_random_numpy():
    numpy = pytest.importorskip("numpy")
    numpy_state = numpy.random.get_state()
    with library_settings(3, None, None):
        assert random.random() == random.Random(3).random()
        assert numpy.random.random_sample() == numpy.random.RandomState(3).random_sample()
    after = numpy.random.get_state()
    assert after[0] == numpy_state[0]
    assert (after[1] == numpy_state[1]).all()


def test_library_settings_backend_for_an_imported_matplotlib(monkeypatch):
    matplotlib = pytest.importorskip("matplotlib")
    monkeypatch.delenv("MPLBACKEND", raising=False)
    before = dict(matplotlib.rcParams.copy())
    with library_settings(None, "svg", None):
        assert matplotlib.get_backend().lower() == "svg"
        assert os.environ["MPLBACKEND"] == "svg"
        matplotlib.rcParams["lines.linewidth"] = 7
    assert dict(matplotlib.rcParams.copy())["lines.linewidth"] == before["lines.linewidth"]


def test_library_settings_reject_an_unknown_backend():
    pytest.importorskip("matplotlib")
    with pytest.raises(RuntimeError, match="matplotlib cannot use the backend 'nope'"):  # noqa: SIM117
        with library_settings(None, "nope", None):
            pass
