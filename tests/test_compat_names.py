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
    "ipytest._impl": IMPL_NAMES,
}


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
