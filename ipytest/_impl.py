"""Every name `ipytest._impl` had when it held the code of a run, from the modules that now do.

Notebooks and tools import these names (`ipytest._impl.ipytest_magic`, `_impl.ArgMapping`,
...), so they stay. The code lives by topic: `_args` (placeholders, `defopts`), `_magic`
(the `%%ipytest` magic and `# ipytest:` comments), `_run` (`run()` and its placeholder
module), `_collect` (the pytest-side plugin), `_namespace` (clean, force_reload, reload),
`_coverage` (pytest-cov's arguments), `_transformers` (the assert rewriter), `_exit_codes`.

Setting a name here (`ipytest._impl.THREAD_STOP_TIMEOUT = 1`, a test's monkeypatch) sets it
in each of those modules that holds the same object under that name, so that it takes
effect as it did when the code lived here.
"""
# ruff: noqa: F401

from __future__ import annotations

import ast
import contextlib
import ctypes
import fnmatch
import functools
import hashlib
import importlib
import inspect
import linecache
import os
import re
import shlex
import shutil
import string
import sys
import tempfile
import threading
import types
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from . import _args, _collect, _coverage, _exit_codes, _magic, _namespace, _options, _transformers
from . import _run as _run_module
from ._args import ArgMapping, _expand_arg, eval_defopts_auto, expand_args, parse_magic_line
from ._collect import (
    _SHELL_NAMES,
    PROGRAM_NAME,
    NotebookPlugin,
    _code_filename,
    _import_names,
    _known_shell_names,
    _node_id,
    _notebook_module_class,
    _point_doctest_at_cell,
    _test_module_names,
    _xdist_workers,
)
from ._coverage import (
    COVERAGE_CONFIG_FILE,
    COVERAGE_PLUGIN_PACKAGE,
    MERGED_COVERAGE_PREFIX,
    _warn_merged_once,
    _warned_coverage_configs,
    check_coverage_available,
    coverage_args,
    coverage_requested,
    find_coverage_configs,
)
from ._exit_codes import (
    EXIT_CODE_MEANINGS,
    EXIT_INTERNAL_ERROR,
    EXIT_INTERRUPTED,
    EXIT_NO_TESTS_COLLECTED,
    EXIT_OK,
    EXIT_USAGE_ERROR,
)
from ._magic import (
    _RUN_KEYWORDS,
    _RUN_OPTIONS_LINE,
    RUN_OPTIONS_MARKER,
    _calling_cell_count,
    _evaluate_run_options,
    check_run_options,
    eval_run_kwargs,
    ipytest_magic,
    parse_run_options,
    run_options_comment,
)
from ._namespace import _Namespace, clean, force_reload, reload, user_module
from ._options import UsageError, default
from ._rewrite import rewrite_module
from ._run import (
    _MISSING,
    IGNORE_ALREADY_IMPORTED,
    MODULE_PREFIX,
    THREAD_NAME,
    THREAD_POLL_INTERVAL,
    THREAD_STOP_TIMEOUT,
    Error,
    _call_in_thread,
    _check_no_unstopped_thread,
    _environment_variable,
    _placeholder_name,
    _placeholder_names,
    _placeholders_in_use,
    _raise_in_thread,
    _registered_module,
    _run,
    _temporary_module_file,
    run,
)
from ._transformers import RewriteAssertTransformer, _is_rewriter

__all__ = [
    "ArgMapping",
    "Error",
    "RewriteAssertTransformer",
    "UsageError",
    "clean",
    "eval_defopts_auto",
    "eval_run_kwargs",
    "find_coverage_configs",
    "force_reload",
    "ipytest_magic",
    "reload",
    "run",
]

_HOMES = (
    _args,
    _collect,
    _coverage,
    _exit_codes,
    _magic,
    _namespace,
    _run_module,
    _transformers,
)
# Names their module assigns anew while ipytest runs: read from there on each access.
_LIVE = {"_unstopped_thread": _run_module}


def __getattr__(name: str) -> Any:
    if name in _LIVE:
        return getattr(_LIVE[name], name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LIVE})


class _ReExportingModule(types.ModuleType):
    """This module's type: setting a name also sets it where the code looks it up."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _LIVE:
            setattr(_LIVE[name], name, value)
            return
        previous = self.__dict__.get(name, _MISSING)
        if previous is not _MISSING:
            for home in _HOMES:
                if vars(home).get(name, _MISSING) is previous:
                    setattr(home, name, value)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _ReExportingModule
