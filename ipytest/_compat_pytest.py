"""The private parts of pytest that ipytest uses, each in one place, each tested.

pytest keeps these stable in practice but documents none of them; CI runs their tests on
the oldest (7.4) and newest pytest. When one moves, this module is the one to change.
"""

from __future__ import annotations

import sys
from typing import Any


class TracebackFilter:
    """A mixin for a pytest `Item`: its `filter_traceback(excinfo)` prunes its failures.

    pytest's `Node._repr_failure_py` asks the item's `_traceback_filter` which entries of
    a failure's traceback to show, except under `--fulltrace` (pytest 7.4 to 9). So the
    item's own frames are hidden while `--tb`, `-l` and `--fulltrace` behave as for any
    test.
    """

    def filter_traceback(self, excinfo: Any) -> Any:
        return excinfo.traceback

    def _traceback_filter(self, excinfo: Any) -> Any:
        return self.filter_traceback(excinfo)


# pytest's assertion rewriting, which explains a failed assert of a rewritten cell. The
# functions import pytest when first called, so that `import ipytest` stays free of it.


def saferepr(value: object) -> str:
    """pytest's short repr of a value in an assert explanation (never raises)."""
    from _pytest.assertion import rewrite

    return rewrite._saferepr(value)


def format_assertmsg(message: object) -> str:
    """An assert's message as pytest puts it above the explanation (with `%` doubled)."""
    from _pytest.assertion import rewrite

    return rewrite._format_assertmsg(message)


def format_explanation(text: str) -> str:
    """pytest's explanation markup (`{`, `}`, `~` lines) rendered as the failure's text."""
    from _pytest.assertion import rewrite

    return rewrite._format_explanation(text)


def should_repr_global_name(value: object) -> bool:
    """Whether pytest shows the value of a global name in an explanation (not for modules,
    functions and classes)."""
    from _pytest.assertion import rewrite

    return rewrite._should_repr_global_name(value)


def compare_explanation(symbol: str, left: object, right: object) -> str | None:
    """pytest's detailed explanation of `left <symbol> right` (diffs of lists, strings, ...).

    None outside a pytest run with assertion rewriting, or when pytest has nothing to add.
    """
    from _pytest.assertion import util

    if util._reprcompare is None:
        return None
    detail = util._reprcompare(symbol, left, right)
    if detail is None:
        return None
    config = getattr(util, "_config", None)
    if config is None or config.getvalue("assertmode") == "rewrite":
        # pytest doubled every "%" for its %-formatted template; undo it.
        detail = detail.replace("%%", "%")
    return detail


def packages_of_pytest() -> tuple[Any, ...]:
    """pytest's packages: `pytest`, its implementation `_pytest` and `pluggy` (None if not
    imported), whose frames a failure report leaves out."""
    import pytest

    return (pytest, sys.modules.get("_pytest"), sys.modules.get("pluggy"))
