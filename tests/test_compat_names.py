"""`ipytest._impl` and `ipytest._config` keep every name they had before the split.

Notebooks and tools import these modules' names, the private-looking ones too; the lists
below were taken once with `dir()` from the modules as they were when `_impl.py` held all
the code, and must not shrink.
"""

from __future__ import annotations

import importlib

import pytest

IMPL_NAMES = [
    "Any",
    "ArgMapping",
    "COVERAGE_CONFIG_FILE",
    "COVERAGE_PLUGIN_PACKAGE",
    "EXIT_CODE_MEANINGS",
    "EXIT_INTERNAL_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_NO_TESTS_COLLECTED",
    "EXIT_OK",
    "EXIT_USAGE_ERROR",
    "Error",
    "IGNORE_ALREADY_IMPORTED",
    "Iterable",
    "Iterator",
    "MERGED_COVERAGE_PREFIX",
    "MODULE_PREFIX",
    "Mapping",
    "NotebookPlugin",
    "PROGRAM_NAME",
    "Path",
    "RUN_OPTIONS_MARKER",
    "RewriteAssertTransformer",
    "Sequence",
    "THREAD_NAME",
    "THREAD_POLL_INTERVAL",
    "THREAD_STOP_TIMEOUT",
    "UsageError",
    "_MISSING",
    "_Namespace",
    "_RUN_KEYWORDS",
    "_RUN_OPTIONS_LINE",
    "_SHELL_NAMES",
    "_call_in_thread",
    "_calling_cell_count",
    "_check_no_unstopped_thread",
    "_code_filename",
    "_environment_variable",
    "_evaluate_run_options",
    "_expand_arg",
    "_import_names",
    "_is_rewriter",
    "_known_shell_names",
    "_node_id",
    "_notebook_module_class",
    "_options",
    "_placeholder_name",
    "_placeholder_names",
    "_placeholders_in_use",
    "_point_doctest_at_cell",
    "_raise_in_thread",
    "_registered_module",
    "_run",
    "_temporary_module_file",
    "_test_module_names",
    "_unstopped_thread",
    "_warn_merged_once",
    "_warned_coverage_configs",
    "_xdist_workers",
    "annotations",
    "ast",
    "check_coverage_available",
    "check_run_options",
    "clean",
    "contextlib",
    "coverage_args",
    "coverage_requested",
    "ctypes",
    "default",
    "eval_defopts_auto",
    "eval_run_kwargs",
    "expand_args",
    "find_coverage_configs",
    "fnmatch",
    "force_reload",
    "functools",
    "hashlib",
    "importlib",
    "inspect",
    "ipytest_magic",
    "linecache",
    "os",
    "parse_magic_line",
    "parse_run_options",
    "re",
    "reload",
    "rewrite_module",
    "run",
    "run_options_comment",
    "shlex",
    "shutil",
    "string",
    "sys",
    "tempfile",
    "threading",
    "types",
    "user_module",
    "warnings",
]

CONFIG_NAMES = [
    "Any",
    "DEFAULTS",
    "MAGIC_NAME",
    "MisplacedMagicCheck",
    "UNCONFIGURED",
    "_apply_to_shell",
    "_configure",
    "_impl",
    "_rewrite_transformer",
    "annotations",
    "autoconfig",
    "config",
    "current_config",
    "default",
    "keep",
    "load_ipython_extension",
    "sys",
    "unload_ipython_extension",
    "validate",
]

# Where the code of `ipytest._impl` lives now: module -> names defined there.
HOMES = {
    "ipytest._args": [
        "ArgMapping", "_expand_arg", "eval_defopts_auto", "expand_args", "parse_magic_line",
    ],
    "ipytest._collect": [
        "NotebookPlugin", "PROGRAM_NAME", "_SHELL_NAMES", "_code_filename", "_import_names",
        "_known_shell_names", "_node_id", "_notebook_module_class", "_point_doctest_at_cell",
        "_test_module_names", "_xdist_workers",
    ],
    "ipytest._coverage": [
        "COVERAGE_CONFIG_FILE", "COVERAGE_PLUGIN_PACKAGE", "MERGED_COVERAGE_PREFIX",
        "_warn_merged_once", "_warned_coverage_configs", "check_coverage_available",
        "coverage_args", "coverage_requested", "find_coverage_configs",
    ],
    "ipytest._exit_codes": [
        "EXIT_CODE_MEANINGS", "EXIT_INTERNAL_ERROR", "EXIT_INTERRUPTED",
        "EXIT_NO_TESTS_COLLECTED", "EXIT_OK", "EXIT_USAGE_ERROR",
    ],
    "ipytest._magic": [
        "RUN_OPTIONS_MARKER", "_RUN_KEYWORDS", "_RUN_OPTIONS_LINE", "_calling_cell_count",
        "_evaluate_run_options", "check_run_options", "eval_run_kwargs", "ipytest_magic",
        "parse_run_options", "run_options_comment",
    ],
    "ipytest._namespace": ["_Namespace", "clean", "force_reload", "reload", "user_module"],
    "ipytest._run": [
        "Error", "IGNORE_ALREADY_IMPORTED", "MODULE_PREFIX", "THREAD_NAME",
        "THREAD_POLL_INTERVAL", "THREAD_STOP_TIMEOUT", "_MISSING", "_call_in_thread",
        "_check_no_unstopped_thread", "_environment_variable", "_placeholder_name",
        "_placeholder_names", "_placeholders_in_use", "_raise_in_thread", "_registered_module",
        "_run", "_temporary_module_file", "_unstopped_thread", "run",
    ],
    "ipytest._transformers": ["RewriteAssertTransformer", "_is_rewriter"],
    # What the old module imported: standard library, typing and ipytest's own modules.
    "ipytest._impl": [
        "Any", "Iterable", "Iterator", "Mapping", "Path", "Sequence", "UsageError", "_options",
        "annotations", "ast", "contextlib", "ctypes", "default", "fnmatch", "functools",
        "hashlib", "importlib", "inspect", "linecache", "os", "re", "rewrite_module", "shlex",
        "shutil", "string", "sys", "tempfile", "threading", "types", "warnings",
    ],
}  # fmt: skip


def _home_of(name: str) -> str:
    return next(module for module, names in HOMES.items() if name in names)


@pytest.mark.parametrize("name", IMPL_NAMES)
def test_impl_keeps_the_name(name):
    impl = importlib.import_module("ipytest._impl")
    home = importlib.import_module(_home_of(name))
    assert hasattr(impl, name)
    assert getattr(impl, name) is getattr(home, name)


@pytest.mark.parametrize("name", CONFIG_NAMES)
def test_config_keeps_the_name(name):
    config = importlib.import_module("ipytest._config")
    assert hasattr(config, name)


def test_from_impl_import_star_gives_the_public_names():
    namespace: dict = {}
    exec("from ipytest._impl import *", namespace)
    assert {
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
    } <= set(namespace)


def test_every_old_name_has_one_home():
    homed = [name for names in HOMES.values() for name in names]
    assert sorted(homed) == sorted(IMPL_NAMES)


def test_setting_a_name_of_impl_sets_it_where_the_code_reads_it(monkeypatch):
    from ipytest import _impl, _run, _transformers

    monkeypatch.setattr(_impl, "THREAD_STOP_TIMEOUT", 0.5)
    assert _run.THREAD_STOP_TIMEOUT == 0.5
    sentinel = object()
    monkeypatch.setattr(_impl, "rewrite_module", sentinel)
    assert _transformers.rewrite_module is sentinel
    monkeypatch.undo()
    assert _run.THREAD_STOP_TIMEOUT == 10.0
    assert _transformers.rewrite_module is _impl.rewrite_module is not sentinel


def test_the_unstopped_thread_of_impl_is_the_runs_current_one(monkeypatch):
    import threading

    from ipytest import _impl, _run

    thread = threading.Thread(target=lambda: None)
    monkeypatch.setattr(_run, "_unstopped_thread", thread)
    assert _impl._unstopped_thread is thread
    _impl._unstopped_thread = None
    assert _run._unstopped_thread is None
