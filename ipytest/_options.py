"""The configuration options: names, defaults, current values and validation.

This module is the bottom layer: `_impl` reads the current values when a run leaves an
option unset, and `_config` changes them. It imports nothing of ipytest.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from typing import Any


class Sentinel:
    """A named marker for an argument that was not given."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name}>"


keep = Sentinel("keep")
default = Sentinel("default")


class UsageError(ValueError):
    """Bad input to ipytest: an option value, a magic line, a `# ipytest:` comment."""

    def _render_traceback_(self) -> list[str]:
        # IPython shows this instead of a traceback into ipytest's internals.
        return [f"UsageError: {self}"]


DEFAULTS: dict[str, Any] = {
    "rewrite_asserts": True,
    "magics": True,
    "clean": "[Tt]est*",
    "addopts": ("-q", "--color=yes"),
    "run_in_thread": False,
    "defopts": "auto",
    "display_columns": 100,
    "raise_on_error": False,
    "coverage": False,
}

# What holds before autoconfig() and after `%unload_ext ipytest`: nothing registered with
# the shell, no extra options.
UNCONFIGURED: dict[str, Any] = {
    **DEFAULTS,
    "rewrite_asserts": False,
    "magics": False,
    "addopts": (),
}

current_config: dict[str, Any] = dict(UNCONFIGURED)

DEFOPTS_CHOICES = ("auto", True, False)


def validate(name: str, value: Any) -> Any:
    """Return the option's value in normal form, or raise UsageError naming what is accepted."""
    if name not in DEFAULTS:
        raise UsageError(f"unknown ipytest option {name!r}; the options are: {', '.join(DEFAULTS)}")
    return _VALIDATORS[name](name, value)


def resolve(name: str, value: Any) -> Any:
    """The value a run uses: `value` if given, else the current configuration."""
    if value is default:
        return current_config[name]
    return validate(name, value)


def _flag(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise UsageError(f"{name} takes True or False, not {value!r}")


def _clean(name: str, value: Any) -> str | bool:
    if value is False or isinstance(value, str):
        return value
    raise UsageError(
        f"{name} takes a glob pattern of the names to delete before an %%ipytest cell runs "
        f"(default {DEFAULTS['clean']!r}) or False to keep every name, not {value!r}"
    )


def _addopts(name: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        try:
            return tuple(shlex.split(value))
        except ValueError as error:
            raise UsageError(f"{name}={value!r} cannot be split into arguments: {error}") from None
    if isinstance(value, Sequence) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise UsageError(f"{name} takes a sequence of pytest arguments such as ('-q',), not {value!r}")


def _defopts(name: str, value: Any) -> str | bool:
    for choice in DEFOPTS_CHOICES:
        if value is choice or (isinstance(choice, str) and value == choice):
            return choice
    raise UsageError(
        f"{name} takes 'auto' (add the notebook module unless an argument names it), True "
        f"(always add it) or False (never), not {value!r}"
    )


def _columns(name: str, value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    raise UsageError(f"{name} takes a positive number of columns, not {value!r}")


_VALIDATORS = {
    "rewrite_asserts": _flag,
    "magics": _flag,
    "clean": _clean,
    "addopts": _addopts,
    "run_in_thread": _flag,
    "defopts": _defopts,
    "display_columns": _columns,
    "raise_on_error": _flag,
    "coverage": _flag,
}
