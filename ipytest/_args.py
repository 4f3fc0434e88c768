"""The arguments of a run: the placeholders `{MODULE}` and `{test_name}`, `defopts="auto"`,
and the split of an `%%ipytest` line. Pure functions of their input.
"""

from __future__ import annotations

import shlex
import string
from collections.abc import Mapping, Sequence

from ._options import UsageError


class ArgMapping(dict):
    """The placeholders of pytest arguments: `{MODULE}` and `{test_name}`.

    `{MODULE}` is the node id of the notebook module. Keys made of uppercase letters alone
    (`{MODULE}`, `{DUMMY}`) are reserved for ipytest; any other key is a test name and
    expands to `{MODULE}::name` (`{TEST_CASE}` too).
    """

    def __missing__(self, key: str) -> str:
        if key.isalpha() and key.isupper():
            raise KeyError(
                f"{{{key}}} is not an ipytest placeholder (there is {{MODULE}}); to select "
                f"a test named {key}, write {{MODULE}}::{key}"
            )
        return f"{self['MODULE']}::{key}"


def expand_args(args: Sequence[str], arg_mapping: Mapping[str, str]) -> list[str]:
    """Replace the placeholders of each argument; literal braces are written `{{` and `}}`.

    A placeholder is a bare name in braces; indexing, attributes, conversions and format
    specs are refused rather than applied to the node id.
    """
    return [_expand_arg(arg, arg_mapping) for arg in args]


def _expand_arg(arg: str, arg_mapping: Mapping[str, str]) -> str:
    if not isinstance(arg, str):
        raise UsageError(f"pytest arguments are strings, not {arg!r}")
    hint = "placeholders are {MODULE} and {test_name}; write literal braces as {{ and }}"
    try:
        pieces = list(string.Formatter().parse(arg))
    except ValueError as error:
        raise UsageError(f"cannot expand the argument {arg!r}: {error}; {hint}") from None
    expanded = []
    for literal, field, spec, conversion in pieces:
        expanded.append(literal)
        if field is None:
            continue
        if not field.isidentifier() or spec or conversion:
            text = (
                "{"
                + field
                + (f"!{conversion}" if conversion else "")
                + (f":{spec}" if spec else "")
                + "}"
            )
            raise UsageError(f"cannot expand {text} in the argument {arg!r}: {hint}")
        try:
            expanded.append(arg_mapping[field])
        except KeyError as error:
            raise UsageError(f"cannot expand the argument {arg!r}: {error.args[0]}") from None
    return "".join(expanded)


def eval_defopts_auto(args: Sequence[str], arg_mapping: Mapping[str, str]) -> bool:
    """Whether `defopts="auto"` adds the notebook module: True unless an argument names it.

    An argument names the module when it is the module's node id or starts with it and
    `::`. The value of `--deselect` does not count: deselecting a test still needs the
    module to be collected.
    """
    module = arg_mapping["MODULE"]
    previous = None
    for arg in args:
        if previous != "--deselect" and (arg == module or arg.startswith(f"{module}::")):
            return False
        previous = arg
    return True


def parse_magic_line(line: str) -> list[str]:
    """Split the arguments of an `%%ipytest` line as a POSIX shell would."""
    try:
        return shlex.split(line)
    except ValueError as error:
        raise UsageError(
            f"cannot split the %%ipytest arguments {line!r}: {error}. Quote arguments "
            "that contain spaces, e.g. -k 'fast and not slow'"
        ) from None
