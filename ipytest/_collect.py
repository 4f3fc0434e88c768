"""The pytest side of a run: the plugin that hands pytest the notebook module to collect.

pytest gets the notebook's namespace (minus the shell's bookkeeping names) as the test
module of the placeholder file, and doctests of the notebook point at the cells.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import linecache
import re
import sys
import types
from pathlib import Path
from typing import Any

from ._exit_codes import EXIT_NO_TESTS_COLLECTED, EXIT_USAGE_ERROR

PROGRAM_NAME = "%%ipytest"
# Names IPython keeps in the user namespace (input/output history, its own helpers) and
# the temporaries of rewritten asserts: never tests, and thousands of them after a long
# session, so pytest does not get to scan them.
_SHELL_NAMES = re.compile(r"_|__|___|_i{1,3}|_i?\d+|_[ido]h|In|Out|get_ipython|exit|quit|@.*")


class NotebookPlugin:
    """The pytest plugin of a run: collects the notebook module's objects.

    pytest gets the notebook module itself, as a copy without the shell's history names,
    instead of importing the placeholder file. It also names the program `%%ipytest` in
    usage errors, refuses to hand the tests to worker processes, notes an interrupt, and
    explains an empty collection.
    """

    def __init__(self, module: Any, path: Path, aliases: list[str]) -> None:
        self.module = module
        self.path = path
        self.aliases = aliases
        self.interrupted = False
        # Why pytest was stopped before the session began, for run() to raise.
        self.refusal: str | None = None

    def pytest_addoption(self, parser) -> None:
        parser.prog = PROGRAM_NAME

    def pytest_cmdline_main(self, config):
        # Called after pytest-xdist resolved -n (its hook runs first), before any worker
        # starts; returning an exit code ends the run there.
        workers = _xdist_workers(config)
        if workers:
            self.refusal = (
                f"ipytest cannot hand the notebook's tests to pytest-xdist's {workers} worker "
                "processes (-n/--numprocesses or --dist with --tx): a worker is a separate "
                "Python process, which cannot see the tests defined in this notebook's "
                "namespace. Run without -n (or with -n 0 or -p no:xdist); to use workers, "
                f"save the notebook and run `pytest --notebook-test -n {workers} "
                "NOTEBOOK.ipynb` in a terminal (each worker runs whole notebooks)."
            )
            return EXIT_USAGE_ERROR
        return None

    def pytest_configure(self, config) -> None:
        node_id = _node_id(self.path, config.rootpath)
        deselect = getattr(config.option, "deselect", None)
        if deselect and node_id != self.path.name:
            config.option.deselect = [
                node_id + item[len(self.path.name) :] if item.startswith(self.path.name) else item
                for item in deselect
            ]
        # The names under which pytest's import modes look the file up (doctests import it).
        for name in _import_names(self.path, config.rootpath):
            if name not in sys.modules:
                sys.modules[name] = self.module
                self.aliases.append(name)

    def pytest_pycollect_makemodule(self, module_path: Path, parent):
        if module_path == self.path:
            return _notebook_module_class().from_parent(
                parent, path=module_path, notebook=self.module
            )
        return None

    def pytest_collection_modifyitems(self, items) -> None:
        for item in items:
            test = getattr(item, "dtest", None)
            if test is not None and test.filename == str(self.path):
                _point_doctest_at_cell(test, self.module)

    def pytest_keyboard_interrupt(self) -> None:
        self.interrupted = True

    def pytest_terminal_summary(self, terminalreporter, exitstatus) -> None:
        if exitstatus == EXIT_NO_TESTS_COLLECTED:
            name = getattr(self.module, "__name__", repr(self.module))
            terminalreporter.write_line(
                f"ipytest searched the module {name!r} (as {self.path.name}): no test "
                "function or Test class matched, or all were deselected. Tests are functions "
                "named test* and classes named Test*, defined in this notebook; an %%ipytest "
                "cell deletes such names before it runs (the 'clean' option)."
            )


def _xdist_workers(config: Any) -> int:
    """How many worker processes pytest-xdist is to start for this run (0: none).

    Read from pytest's parsed options, so that every spelling counts (`-n 2`, `-n2`,
    `--numprocesses=auto`, `--dist load --tx 2*popen`, ini `addopts`, `PYTEST_ADDOPTS`).
    xdist distributes nothing when it only collects, nor with `--dist no` or `-n 0`.
    """
    if config.getoption("collectonly", False) or config.getoption("dist", "no") == "no":
        return 0
    count = 0
    for spec in config.getoption("tx", None) or ():
        times, star, _ = str(spec).partition("*")
        count += int(times) if star and times.isdigit() else 1
    return count


def _point_doctest_at_cell(test: Any, module: Any) -> None:
    """Make a doctest of the notebook report the cell and line its docstring is in.

    pytest's finder reads line numbers from the module's file, the empty placeholder; the
    cell's source is in linecache, under the filename of the object's code.
    """
    import doctest

    prefix = f"{getattr(module, '__name__', '')}."
    if not test.name.startswith(prefix):
        return
    obj = module
    for part in test.name[len(prefix) :].split("."):
        obj = getattr(obj, part, None)
    filename = _code_filename(obj)
    lines = linecache.getlines(filename) if filename else []
    if not lines:
        return
    test.filename = filename
    # A private helper of doctest, there since Python 2: where the docstring starts.
    lineno = doctest.DocTestFinder()._find_lineno(obj, lines)
    if lineno is not None:
        test.lineno = lineno


def _code_filename(obj: Any) -> str | None:
    """The file of the code that defines `obj`: a function, a method or a class."""
    if isinstance(obj, (staticmethod, classmethod)):
        obj = obj.__func__
    if isinstance(obj, property):
        obj = obj.fget
    if inspect.isclass(obj):
        functions = (_code_filename(value) for value in vars(obj).values())
        return next((name for name in functions if name), None)
    code = getattr(inspect.unwrap(obj), "__code__", None) if callable(obj) else None
    return code.co_filename if code is not None else None


def _node_id(path: Path, rootpath: Path) -> str:
    try:
        return path.relative_to(rootpath).as_posix()
    except ValueError:
        return path.name


def _import_names(path: Path, rootpath: Path) -> list[str]:
    """Module names pytest may import the file as: by package (prepend) and by rootdir."""
    names = []
    parts = [path.stem]
    directory = path.parent
    while (directory / "__init__.py").is_file():
        parts.insert(0, directory.name)
        directory = directory.parent
    names.append(".".join(parts))
    with contextlib.suppress(ValueError):
        names.append(".".join(path.with_suffix("").relative_to(rootpath).parts))
    return [name for name in dict.fromkeys(names) if name != path.stem]


@functools.cache
def _notebook_module_class():
    # Made on first use so that `import ipytest` does not import pytest.
    import pytest

    class NotebookModule(pytest.Module):
        """A test module whose object is the notebook, minus the shell's bookkeeping names."""

        def __init__(self, *, notebook: Any, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self._notebook = notebook

        def _getobj(self):
            namespace = vars(self._notebook)
            view = types.ModuleType(getattr(self._notebook, "__name__", "__main__"))
            view.__dict__.update((name, namespace[name]) for name in _test_module_names(namespace))
            return view

    return NotebookModule


# Names of notebook namespaces known to be the shell's (see _SHELL_NAMES). A session adds
# one per stored cell (`_i42`): remembering them keeps a run from matching all of them
# again. Never larger than the namespace last searched.
_known_shell_names: set[str] = set()


def _test_module_names(namespace: dict[str, Any]) -> list[str]:
    """The names of `namespace` that pytest sees, in order: all but the shell's."""
    known = _known_shell_names
    known.intersection_update(namespace)
    names = [name for name in namespace if name not in known]
    shell_names = {name for name in names if _SHELL_NAMES.fullmatch(name)}
    known.update(shell_names)
    return [name for name in names if name not in shell_names]
