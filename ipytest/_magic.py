"""The `%%ipytest` cell magic and the `# ipytest:` comment that gives a cell's run options."""

from __future__ import annotations

import ast
import contextlib
import importlib.util
import inspect
import re
import sys
from collections.abc import Iterable, Iterator
from typing import Any

from . import _compat_ipython, _options
from ._args import parse_magic_line
from ._coverage import coverage_requested
from ._namespace import clean, user_module
from ._options import UsageError, default
from ._run import Error, run

RUN_OPTIONS_MARKER = "# ipytest:"
_RUN_OPTIONS_LINE = re.compile(r"\s*#\s*ipytest\s*:(?P<options>.*)")


def run_options_comment(cell: str) -> str | None:
    """The cell's first non-blank line if it is a `# ipytest:` comment, stripped; else None."""
    first_line = next((line for line in cell.splitlines() if line.strip()), "")
    if _RUN_OPTIONS_LINE.fullmatch(first_line) is None:
        return None
    return first_line.strip()


def parse_run_options(cell: str) -> dict[str, ast.expr]:
    """Find the `# ipytest: key=value, ...` comment on the cell's first line.

    Returns the keyword arguments it gives, keys as written and values as unevaluated
    expressions; empty when the first line is no such comment. Whether the keys are
    options of `run()` is for the caller to check (see `check_run_options`).
    """
    comment = run_options_comment(cell)
    if comment is None:
        return {}
    text = _RUN_OPTIONS_LINE.fullmatch(comment)["options"].strip()
    if not text:
        return {}
    try:
        # The newline ends a trailing comment before the closing parenthesis.
        call = ast.parse(f"run({text}\n)", mode="eval").body
    except (SyntaxError, ValueError) as error:
        # Python 3.10 raises ValueError for a NUL character, later versions SyntaxError.
        reason = error.msg if isinstance(error, SyntaxError) else str(error)
        raise UsageError(
            f"{comment!r} is not valid Python keyword arguments ({reason}); write e.g. "
            f"'{RUN_OPTIONS_MARKER} raise_on_error=True, addopts=(\"-v\",)' with the keywords "
            f"of ipytest.run(): {', '.join(_RUN_KEYWORDS)}"
        ) from None
    if not isinstance(call, ast.Call) or call.args or any(kw.arg is None for kw in call.keywords):
        raise UsageError(
            f"{comment!r} must hold only keyword arguments (key=value, ...); the keywords "
            f"are those of ipytest.run(): {', '.join(_RUN_KEYWORDS)}"
        )
    options = {}
    for keyword in call.keywords:
        if keyword.arg in options:
            raise UsageError(f"{keyword.arg!r} is given twice in {comment!r}")
        options[keyword.arg] = keyword.value
    return options


def check_run_options(cell: str, names: Iterable[str]) -> None:
    """Raise UsageError, quoting the cell's comment, unless every name is a keyword of run()."""
    for name in names:
        if name not in _RUN_KEYWORDS:
            raise UsageError(
                f"{name!r} in {run_options_comment(cell)!r} is not an option of "
                f"ipytest.run(); the options are: {', '.join(_RUN_KEYWORDS)}"
            )


def eval_run_kwargs(cell: str, module: Any = None) -> dict[str, Any]:
    """The keyword arguments given by the cell's `# ipytest:` comment, evaluated.

    `"# ipytest: defopts=True, clean=True"` gives `{"defopts": True, "clean": True}`: the
    keys as written, whether or not `run()` takes them. Values are Python expressions
    evaluated in the namespace of `module` (default: the notebook).
    """
    return _evaluate_run_options(parse_run_options(cell), module)


def _evaluate_run_options(options: dict[str, ast.expr], module: Any) -> dict[str, Any]:
    namespace = vars(module if module is not None else user_module())
    kwargs = {}
    for name, expression in options.items():
        source = ast.unparse(expression)
        try:
            kwargs[name] = eval(
                compile(ast.Expression(expression), RUN_OPTIONS_MARKER, "eval"), namespace
            )
        except Exception as error:
            raise UsageError(
                f"{RUN_OPTIONS_MARKER} {name}={source}: evaluating {source!r} raised "
                f"{type(error).__name__}: {error}"
            ) from error
    return kwargs


def ipytest_magic(line: str, cell: str, module: Any = None) -> None:
    """The `%%ipytest` cell magic: clean, run the cell, then run pytest with the line's arguments.

    The line holds pytest's arguments, with the placeholders of `run`; it reaches pytest as
    written (IPython does not replace `{name}` or `$name` in it with notebook variables).
    The magic must be the cell's first line: below a comment or code, the cell fails
    before any of it runs, with an error saying so. A first line
    `# ipytest: key=value, ...` in the cell gives further keyword arguments of `run`,
    evaluated in the notebook. If the cell's code raises, pytest does not run; with
    `raise_on_error`, the cell then fails with `ipytest.Error`.
    """
    from IPython import get_ipython

    options = parse_run_options(cell)
    check_run_options(cell, options)
    run_kwargs = _evaluate_run_options(options, module)
    if module is not None:
        run_kwargs.setdefault("module", module)
    args = parse_magic_line(line)
    raise_on_error = _options.resolve("raise_on_error", run_kwargs.get("raise_on_error", default))
    target = run_kwargs.get("module") or user_module()
    pattern = _options.current_config["clean"]
    if pattern is not False:
        clean(pattern, module=target)

    shell = get_ipython()
    with contextlib.ExitStack() as stack:
        recording = None
        coverage = _options.resolve("coverage", run_kwargs.get("coverage", default))
        addopts = _options.resolve("addopts", run_kwargs.get("addopts", default))
        if coverage_requested(args, addopts, coverage) and importlib.util.find_spec("coverage"):
            # The body runs before pytest-cov measures: record it so that its def and
            # module-level lines count as executed.
            from .cov import CellRecording, cells_named_as_files

            stack.enter_context(cells_named_as_files(shell))
            recording = CellRecording()
            stack.enter_context(recording.record(shell))
        stack.enter_context(_calling_cell_count(shell))
        result = shell.run_cell(cell)
    if getattr(result, "success", True) is False:
        error = result.error_in_exec or result.error_before_exec
        if isinstance(error, KeyboardInterrupt):
            raise KeyboardInterrupt
        message = (
            f"the %%ipytest cell raised {type(error).__name__} (shown above), so its tests "
            "were not run"
        )
        if raise_on_error:
            raise Error(message)
        print(f"ipytest: {message}", file=sys.stderr)
        return
    if recording is not None:
        run_kwargs["plugins"] = (*run_kwargs.get("plugins", ()), recording.pytest_plugin())
    run(*args, **run_kwargs)


@contextlib.contextmanager
def _calling_cell_count(shell: Any) -> Iterator[None]:
    """Run an `%%ipytest` body under the execution count of the cell that holds it.

    IPython counts a cell before running it, so the body would otherwise be compiled as
    the next cell: `In[N+1]` in tracebacks and coverage reports instead of `In[N]`.
    """
    counts = _compat_ipython.execution_counts(shell)
    frame = sys._getframe(1)
    number = None
    while frame is not None and isinstance(counts, dict) and number is None:
        number = counts.get(frame.f_code.co_filename)
        frame = frame.f_back
    if number is None or number == shell.execution_count:
        yield
        return
    saved = shell.execution_count
    shell.execution_count = number
    try:
        yield
    finally:
        # A body that ran cells of its own with history moved the count on: keep that.
        shell.execution_count = saved + (shell.execution_count - number)


# The keywords a `# ipytest:` comment may set: those of run().
_RUN_KEYWORDS = tuple(
    name
    for name, parameter in inspect.signature(run).parameters.items()
    if parameter.kind is parameter.KEYWORD_ONLY
)
