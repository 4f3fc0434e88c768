"""Render the docstrings of ipytest's public API into Readme.md.

    python minidoc.py           # rewrite the reference section of Readme.md
    python minidoc.py --check   # exit 1 if Readme.md is not what this would write

The reference goes between the lines `<!-- minidoc start -->` and `<!-- minidoc end -->`.
It documents, in this order, every name of `ipytest.__all__`, `ipytest.exit_code`, the
`%%ipytest` magic, and each module in `MODULES` below (its docstring, then its own
`__all__`). Docstrings are Markdown.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import sys
from pathlib import Path

README = Path(__file__).with_name("Readme.md")
START_MARKER = "<!-- minidoc start -->"
END_MARKER = "<!-- minidoc end -->"
# Modules documented after ipytest itself: their docstring, then the names of their __all__.
MODULES = ["ipytest.cov"]
# Documented after ipytest.__all__ under the name a user types: (heading, module, attribute).
EXTRAS = [("%%ipytest ARGS", "ipytest._impl", "ipytest_magic")]
EXIT_CODE_TEXT = (
    "#### `ipytest.exit_code`\n\n"
    "The exit code of the last run (an int), also after a run that raised; None before the "
    "first run."
)


def render() -> str:
    """The reference section, markers excluded."""
    import ipytest

    parts = [_render_object(f"ipytest.{name}", getattr(ipytest, name)) for name in ipytest.__all__]
    parts.append(EXIT_CODE_TEXT)
    for heading, module_name, attribute in EXTRAS:
        obj = getattr(importlib.import_module(module_name), attribute)
        parts.append(f"#### `{heading}`\n\n{_docstring(obj)}")
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        parts.append(f"### `{module_name}`\n\n{_docstring(module)}")
        parts.extend(
            _render_object(f"{module_name}.{name}", getattr(module, name))
            for name in module.__all__
        )
    return "\n\n".join(parts)


def _render_object(qualified_name: str, obj: object) -> str:
    if inspect.isclass(obj):
        heading = f"#### `{qualified_name}`"
    else:
        heading = f"#### `{qualified_name}{_signature(obj)}`"
    return f"{heading}\n\n{_docstring(obj)}"


def _docstring(obj: object) -> str:
    doc = inspect.getdoc(obj)
    if not doc:
        raise SystemExit(f"minidoc: {obj!r} has no docstring; every public name needs one")
    return doc


def _signature(function: object) -> str:
    """The parameters with their defaults, without annotations."""
    parameters = []
    seen_keyword_only = False
    for parameter in inspect.signature(function).parameters.values():
        kind = parameter.kind
        if kind is parameter.VAR_POSITIONAL:
            parameters.append(f"*{parameter.name}")
            seen_keyword_only = True
            continue
        if kind is parameter.VAR_KEYWORD:
            parameters.append(f"**{parameter.name}")
            continue
        if kind is parameter.KEYWORD_ONLY and not seen_keyword_only:
            parameters.append("*")
            seen_keyword_only = True
        if parameter.default is parameter.empty:
            parameters.append(parameter.name)
        else:
            parameters.append(f"{parameter.name}={_default(parameter.default)}")
    return f"({', '.join(parameters)})"


def _default(value: object) -> str:
    # The sentinels' reprs are <keep> and <default>; in a signature their names read better.
    name = getattr(value, "name", None)
    if type(value).__name__ == "Sentinel" and isinstance(name, str):
        return name
    return repr(value)


def updated(readme: str, reference: str) -> str:
    """`readme` with its reference section replaced by `reference`."""
    start = readme.find(START_MARKER)
    end = readme.find(END_MARKER)
    if start < 0 or end < start:
        raise SystemExit(f"minidoc: {README.name} needs the lines {START_MARKER} and {END_MARKER}")
    return f"{readme[: start + len(START_MARKER)]}\n\n{reference}\n\n{readme[end:]}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="minidoc.py", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that Readme.md is current")
    options = parser.parse_args(argv)

    current = README.read_text(encoding="utf-8")
    wanted = updated(current, render())
    if options.check:
        if current != wanted:
            print(
                f"minidoc: the reference in {README.name} is out of date; run python minidoc.py",
                file=sys.stderr,
            )
            return 1
        return 0
    if current != wanted:
        README.write_text(wanted, encoding="utf-8")
        print(f"minidoc: updated {README.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
