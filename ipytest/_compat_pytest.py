"""The private parts of pytest that ipytest uses, each in one place, each tested.

pytest keeps these stable in practice but documents none of them; CI runs their tests on
the oldest (7.4) and newest pytest. When one moves, this module is the one to change.
"""

from __future__ import annotations

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
