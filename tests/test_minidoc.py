"""The Readme's reference is generated from the docstrings and must be current."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import ipytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import minidoc  # noqa: E402


def test_the_readme_reference_is_current():
    assert minidoc.main(["--check"]) == 0


def test_check_fails_after_a_docstring_edit(monkeypatch, capsys):
    monkeypatch.setattr(ipytest.clean, "__doc__", "An edited docstring.")
    assert minidoc.main(["--check"]) == 1
    assert "out of date" in capsys.readouterr().err


def test_every_public_name_and_option_is_in_the_reference():
    reference = minidoc.render()
    for name in ipytest.__all__:
        assert f"`ipytest.{name}" in reference
    for option in ipytest._config.DEFAULTS:
        assert f"`{option}` (default" in reference
    assert "`%%ipytest ARGS`" in reference


def test_a_public_name_without_docstring_is_refused(monkeypatch):
    monkeypatch.setattr(ipytest.reload, "__doc__", None)
    with pytest.raises(SystemExit, match="no docstring"):
        minidoc.render()
