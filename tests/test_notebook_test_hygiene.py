"""Plugin hygiene: pytest's everyday commands in a project without notebooks.

ipytest registers its pytest plugin through an entry point, so it is loaded in every pytest
run of every environment where ipytest is installed, wanted or not. Each test here starts
`python -m pytest` in a subprocess, in a fresh project, as a user does: the plugin comes in
through the entry point, and nothing of this test process leaks into the run.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys

import pytest

from ipytest.notebook_test import options

pytest_plugins = ["pytester"]

PLAIN_TEST = "def test_plain():\n    assert True\n"
# Every ini option of the plugin, set to a valid value that is not its default.
OUR_INI = """\
[pytest]
notebook_test_paths =
    docs
notebook_test_envvar = MY_NOTEBOOKS
notebook_test_default_all = false
notebook_test_strip_magics = false
notebook_test_seed = 7
notebook_test_mpl_backend = svg
notebook_test_plotly_renderer = png
notebook_test_dump_code = never
notebook_test_dump_dir = dumps
notebook_test_timeout = 60
notebook_test_prelude = os.path:exists
notebook_test_engine = ipython
"""


# pytest-asyncio (0.24 and later) warns in a project whose ini file does not set its loop
# scope, and pytest-asyncio 0.23 (in CI's oldest environment) refuses that key under
# --strict-config: its warning is let through, any other warning is ours to explain.
ASYNCIO_UNSET = (
    'ignore:The configuration option "asyncio_default_fixture_loop_scope" is unset'
    ":pytest.PytestDeprecationWarning"
)


@pytest.fixture
def project(pytester):
    """A project with one plain test file and no notebook."""
    pytester.makepyfile(test_plain=PLAIN_TEST)
    return pytester


def pytest_in(project, *args: str):
    """`python -m pytest ARGS` in the project, in a subprocess."""
    return project.runpytest_subprocess("-W", ASYNCIO_UNSET, *args)


@pytest.fixture(scope="module")
def help_run(tmp_path_factory) -> subprocess.CompletedProcess:
    """`python -m pytest --help` in a project without notebooks (run once: it is slow)."""
    directory = tmp_path_factory.mktemp("help")
    (directory / "test_plain.py").write_text(PLAIN_TEST)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--help"],
        cwd=directory,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def squeezed(text: str) -> str:
    """`text` without whitespace: help is wrapped (also at hyphens) to the terminal width."""
    return "".join(text.split())


def all_output(result) -> str:
    return result.stdout.str() + "\n" + result.stderr.str()


def test_the_plugin_is_loaded_from_its_entry_point(project):
    result = pytest_in(project, "--version", "--version")
    assert result.ret == pytest.ExitCode.OK, all_output(result)
    assert re.search(r"ipytest-\S+ at \S+plugin\.py", all_output(result)), all_output(result)


def test_help_exits_0(help_run):
    assert help_run.returncode == 0, help_run.stderr
    assert "run notebooks in-process (ipytest)" in help_run.stdout


def test_help_shows_every_command_line_option_as_written(help_run):
    shown = squeezed(help_run.stdout)
    for usage, text in options.command_line_help():
        assert squeezed(f"{usage} {text}") in shown, f"{usage}: {text!r} not shown as written"


def test_help_shows_every_ini_option_as_written(help_run):
    shown = squeezed(help_run.stdout)
    for name, kind, text in options.ini_help():
        assert squeezed(f"{name} ({kind}): {text}") in shown, f"{name}: {text!r} not as written"


def test_help_shows_percent_signs_as_written(help_run):
    # One for the command-line option, one for its ini twin.
    assert squeezed(help_run.stdout).count("%%time-like") == 2, help_run.stdout


def test_help_lists_nothing_the_option_table_does_not_know(help_run):
    """An option added outside `OPTIONS` would escape the checks above and the Readme."""
    flags = set(re.findall(r"--notebook-test[\w-]*", help_run.stdout))
    ini_names = set(re.findall(r"\bnotebook_test_\w+", help_run.stdout))
    assert flags == {usage.partition("=")[0] for usage, _ in options.command_line_help()}
    assert ini_names == {name for name, _, _ in options.ini_help()}


def test_version(project):
    result = pytest_in(project, "--version")
    assert result.ret == pytest.ExitCode.OK, all_output(result)
    assert f"pytest {pytest.__version__}" in all_output(result)


def test_collect_only_lists_the_tests_and_nothing_else(project):
    result = pytest_in(project, "--co", "-q")
    assert result.ret == pytest.ExitCode.OK, all_output(result)
    result.stdout.fnmatch_lines(["test_plain.py::test_plain", "", "1 test collected*"])
    assert "warning" not in result.stdout.str().lower()


def test_run_with_the_plugin_blocked(project):
    result = pytest_in(project, "-p", "no:notebook_test")
    result.assert_outcomes(passed=1)
    # Blocked by its name, the plugin adds no option.
    blocked = pytest_in(project, "-p", "no:notebook_test", "--notebook-test")
    assert blocked.ret == pytest.ExitCode.USAGE_ERROR
    blocked.stderr.fnmatch_lines(["*unrecognized arguments: --notebook-test*"])


def test_strict_config_without_an_ini_file(project):
    result = pytest_in(project, "--strict-config")
    result.assert_outcomes(passed=1)
    assert "warning" not in all_output(result).lower()


@pytest.mark.parametrize("enabled", ["false", "true"])
def test_strict_config_with_every_ini_option_set(project, enabled):
    project.makeini(OUR_INI + f"notebook_test_enabled = {enabled}\n")
    (project.path / "docs").mkdir()
    result = pytest_in(project, "--strict-config", "-W", "error::pytest.PytestConfigWarning")
    result.assert_outcomes(passed=1)
    assert "notebook_test" not in all_output(result).replace(str(project.path), "")


def test_notebook_test_in_a_project_without_notebooks(project):
    result = pytest_in(project, "--notebook-test")
    result.assert_outcomes(passed=1)
    assert "warning" not in all_output(result).lower()


@pytest.mark.parametrize(
    "ini",
    [
        "notebook_test_enabled = true\nnotebook_test_timeout = soon\n",
        "addopts = --nbval-lax\nnotebook_test_enabled = true\n",
    ],
    ids=["bad value", "nbval beside"],
)
def test_help_works_in_a_project_whose_notebook_test_configuration_is_refused(project, ini):
    """The help is what a user reads to fix the configuration: it does not depend on it."""
    if "nbval" in ini and importlib.util.find_spec("nbval") is None:
        pytest.skip("nbval is not installed")
    project.makeini("[pytest]\n" + ini)
    refused = pytest_in(project)
    assert refused.ret == pytest.ExitCode.USAGE_ERROR, all_output(refused)
    result = pytest_in(project, "--help")
    assert result.ret == pytest.ExitCode.OK, all_output(result)
    result.stdout.fnmatch_lines(["*--notebook-test-timeout=SECONDS*"])
