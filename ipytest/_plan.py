"""What runs: one plan per code cell, from cell tags, `# notebook-test:` directives and metadata.

Pure: no pytest, no IPython. Every front end that runs a notebook (`python -m ipytest`,
`pytest --notebook-test` with either engine) plans its cells here, so a notebook behaves
the same under each.

Cell tags are those nbmake and nbval users already write: `skip-execution` and
`nbval-skip` leave a cell out, `raises-exception` (also `nbval-raises-exception`) says it
must raise; nbval's comment markers `# NBVAL_SKIP` and `# NBVAL_RAISES_EXCEPTION` mean the
same. A directive is a comment line of a code cell:

    # notebook-test: default-all=False
    # notebook-test: test-cell=True, must-raise-exception=True

`default-all` sets whether this and the following code cells run (until the next
`default-all`), `test-cell` overrides that for its own cell, and `must-raise-exception`
says the cell must raise an `Exception`. Values are the literals `True` and `False`; a key
appears at most once per cell. Anything else on a directive line, or a comment that is
clearly a directive with a misspelt prefix (`# notebook_test: test-cell=True`), is a
`DirectiveError` that names the cell, the line and what is accepted.

Where a directive and a tag disagree, the directive wins: it is written in the cell's own
code, for this tool. A tag wins over `default-all`, which speaks of many cells.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from typing import Any

from ._notebook import Cell

DIRECTIVE_PREFIX = "# notebook-test:"
DEFAULT_ALL = "default-all"
TEST_CELL = "test-cell"
MUST_RAISE = "must-raise-exception"
KEYS = (DEFAULT_ALL, TEST_CELL, MUST_RAISE)
VALUES = {"True": True, "False": False}

# Cell tags and nbval's comment markers, read as nbmake and nbval read them.
SKIP_TAGS = frozenset({"skip-execution", "nbval-skip"})
RAISES_TAGS = frozenset({"raises-exception", "nbval-raises-exception"})
SKIP_MARKER = "NBVAL_SKIP"
# The notebook's own setting of `default-all`: metadata["notebook_test"]["default_all"].
METADATA_KEY = "notebook_test"
DEFAULT_ALL_METADATA = "default_all"
RAISES_MARKER = "NBVAL_RAISES_EXCEPTION"

# The exact prefix, with any indentation and spacing after "#".
_DIRECTIVE = re.compile(r"[ \t]*#[ \t]*notebook-test:(?P<body>.*)")
# A comment that means to be a directive but whose prefix is spelt differently: a variant
# of "notebook-test" followed by ":" or a space, then something of the form `name=`.
_MISSPELT = re.compile(
    r"[ \t]*#[ \t]*notebook[ \t_.-]*tests?[ \t]*(?::|[ \t])[ \t]*[A-Za-z_][\w-]*[ \t]*=",
    re.IGNORECASE,
)
_NBVAL_MARKER = re.compile(r"[ \t]*#[ \t]*(?P<marker>NBVAL_[A-Z_]+)[ \t]*")
_ASSIGNMENT = re.compile(r"[ \t]*(?P<key>[^=\s]+)[ \t]*=[ \t]*(?P<value>.*?)[ \t]*")


class PlanError(ValueError):
    """A notebook whose cells cannot be planned: a bad directive or bad metadata."""


class DirectiveError(PlanError):
    """A `# notebook-test:` line (or a misspelt one) that cannot be used.

    `cell` is the cell's number (1-based position among all cells of the notebook),
    `line` its 1-based line number in the cell, `text` the line itself.
    """

    def __init__(self, cell: int, line: int, text: str, reason: str) -> None:
        super().__init__(cell, line, text, reason)
        self.cell = cell
        self.line = line
        self.text = text
        self.reason = reason

    def __str__(self) -> str:
        return f"cell {self.cell}, line {self.line}: {self.text.strip()!r}: {self.reason}"


@dataclasses.dataclass(frozen=True)
class CellPlan:
    """What to do with one code cell: run it or not, and whether it must raise.

    `reason` says where the decision came from (a tag, a directive), for messages.
    """

    cell: Cell
    run: bool
    must_raise: bool
    reason: str = ""

    @property
    def number(self) -> int:
        return self.cell.number

    @property
    def source(self) -> str:
        return self.cell.source


class CellFailed(Exception):
    """A cell did not do what its plan says: it raised, or raised nothing where it must.

    `number` is the cell's number, `first_line` its first non-blank line (both name the
    cell in messages), `reason` what went wrong and `source` the cell's code.
    """

    def __init__(self, number: int, first_line: str, reason: str, source: str = "") -> None:
        super().__init__(number, first_line, reason, source)
        self.number = number
        self.first_line = first_line
        self.reason = reason
        self.source = source

    def __str__(self) -> str:
        return f"cell {self.number} ({self.first_line!r}) {self.reason}"

    @classmethod
    def of(cls, plan: CellPlan, reason: str) -> CellFailed:
        return cls(plan.number, plan.cell.first_line, reason, plan.source)

    @classmethod
    def raised_nothing(cls, plan: CellPlan) -> CellFailed:
        """The failure of a cell that must raise and did not."""
        how = plan.reason if plan.reason.startswith("tagged") else f"marked {MUST_RAISE}=True"
        return cls.of(plan, f"is {how} but raised nothing")


def parse_directives(source: str, cell: int = 1) -> dict[str, bool]:
    """The directives of one code cell's `source`, as `{key: value}`.

    `cell` is the cell's number, for error messages. Raises `DirectiveError`.
    """
    found: dict[str, bool] = {}
    first_line: dict[str, int] = {}
    for number, text in enumerate(source.splitlines(), start=1):
        if "notebook" not in text.lower():
            continue
        match = _DIRECTIVE.fullmatch(text)
        if match is None:
            if _MISSPELT.match(text):
                raise DirectiveError(
                    cell,
                    number,
                    text,
                    f"this looks like a directive but its prefix is not {DIRECTIVE_PREFIX!r}; "
                    f"write e.g. '{DIRECTIVE_PREFIX} {TEST_CELL}=True'",
                )
            continue
        for key, value in _parse_body(match["body"], cell, number, text):
            if key in found:
                raise DirectiveError(
                    cell,
                    number,
                    text,
                    f"{key!r} is already set on line {first_line[key]} of this cell; each "
                    "key may appear once per cell",
                )
            found[key] = value
            first_line[key] = number
    return found


def _parse_body(body: str, cell: int, line: int, text: str) -> list[tuple[str, bool]]:
    accepted = ", ".join(KEYS)
    if not body.strip():
        raise DirectiveError(
            cell,
            line,
            text,
            f"the directive is empty; write key=True or key=False with a key of: {accepted}",
        )
    pairs = []
    for item in body.split(","):
        match = _ASSIGNMENT.fullmatch(item)
        if match is None:
            raise DirectiveError(
                cell,
                line,
                text,
                f"{item.strip()!r} is not of the form key=True or key=False (keys: {accepted}; "
                "separate several with commas)",
            )
        key, value = match["key"], match["value"]
        if key not in KEYS:
            hint = ""
            normalized = key.lower().replace("_", "-")
            if normalized in KEYS:
                hint = f" (did you mean {normalized!r}?)"
            raise DirectiveError(
                cell, line, text, f"unknown key {key!r}{hint}; the keys are: {accepted}"
            )
        if value not in VALUES:
            raise DirectiveError(
                cell,
                line,
                text,
                f"the value of {key!r} is {value!r}; it must be the literal True or False",
            )
        pairs.append((key, VALUES[value]))
    return pairs


def nbval_markers(source: str) -> frozenset[str]:
    """nbval's comment markers in a cell (`# NBVAL_SKIP` ...), as the tags they stand for."""
    if "NBVAL_" not in source:
        return frozenset()
    found = set()
    for line in source.splitlines():
        match = _NBVAL_MARKER.fullmatch(line)
        if match is None:
            continue
        if match["marker"] == SKIP_MARKER:
            found.add("nbval-skip")
        elif match["marker"] == RAISES_MARKER:
            found.add("nbval-raises-exception")
    return frozenset(found)


def plan_cells(cells: Iterable[Cell], default_all: bool = True) -> list[CellPlan]:
    """The plan of every code cell of a notebook, in order.

    `cells` are all cells of the notebook: markdown and raw ones count in the numbers but
    have no plan. `default_all` is whether code cells run before any `default-all`
    directive. Raises `DirectiveError` for the first bad directive.
    """
    plans = []
    run_by_default = default_all
    default_reason = ""
    for cell in cells:
        if not cell.is_code:
            continue
        directives = parse_directives(cell.source, cell.number)
        if DEFAULT_ALL in directives:
            run_by_default = directives[DEFAULT_ALL]
            default_reason = (
                f"{DIRECTIVE_PREFIX} {DEFAULT_ALL}={run_by_default} in cell {cell.number}"
            )
        tags = cell.tags | nbval_markers(cell.source)
        plans.append(_plan(cell, directives, tags, run_by_default, default_reason))
    return plans


def _plan(
    cell: Cell, directives: dict[str, bool], tags: frozenset[str], run: bool, reason: str
) -> CellPlan:
    skip_tags = sorted(tags & SKIP_TAGS)
    raises_tags = sorted(tags & RAISES_TAGS)
    if TEST_CELL in directives:
        run = directives[TEST_CELL]
        reason = f"{DIRECTIVE_PREFIX} {TEST_CELL}={run}"
    elif skip_tags:
        run = False
        reason = f"tagged {skip_tags[0]}"
    if MUST_RAISE in directives:
        must_raise = directives[MUST_RAISE]
        if must_raise and run:
            reason = f"{DIRECTIVE_PREFIX} {MUST_RAISE}=True"
    else:
        must_raise = bool(raises_tags)
        if must_raise and run:
            reason = f"tagged {raises_tags[0]}"
    return CellPlan(cell, run, must_raise, reason)


def default_all_of(metadata: Mapping[str, Any], default: bool = True) -> bool:
    """Whether code cells run before any `default-all` directive, as the notebook says.

    That is `metadata["notebook_test"]["default_all"]` when set, else `default`. Raises
    `ValueError` naming the key when it is not true or false.
    """
    section = metadata.get(METADATA_KEY)
    if not isinstance(section, Mapping) or DEFAULT_ALL_METADATA not in section:
        return default
    value = section[DEFAULT_ALL_METADATA]
    if not isinstance(value, bool):
        raise PlanError(
            f'metadata["{METADATA_KEY}"]["{DEFAULT_ALL_METADATA}"] must be true or false, '
            f"not {value!r}"
        )
    return value
