"""`python -m ipytest NOTEBOOK`: run a notebook's code cells headless, in-process.

The cells run in order in an in-process IPython shell (so magics and `%%ipytest` work),
in the notebook's folder and with that folder first on `sys.path`, as in a Jupyter kernel
without a screen (see `ipytest._shell`); each cell's output goes to stdout after a line
`## cell N: <first line>`. The run stops at the first cell that fails. Cells are planned
as for `pytest --notebook-test` (see `ipytest._plan`): a cell tagged `raises-exception`
must fail instead, cells tagged `skip-execution` or `nbval-skip` (e.g. one that starts an
interactive debugger) are skipped, and `# notebook-test:` directives apply. Exit status: 0
when every cell behaved, 1 when one did not (the message names it), 2 when the notebook
cannot be read.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

PROGRAM = "python -m ipytest"
CELL_HEADER = "## cell"
EXIT_OK, EXIT_CELL_FAILED, EXIT_UNREADABLE = 0, 1, 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=PROGRAM,
        description="Run the code cells of a Jupyter notebook in order, in an in-process "
        "IPython shell, and stop at the first cell that fails.",
    )
    parser.add_argument("notebook", type=Path, help="the .ipynb file to run")
    path: Path = parser.parse_args(argv).notebook

    from ._notebook import NotebookError
    from ._plan import PlanError
    from ._shell import run_notebook

    try:
        failure = run_notebook(path, on_cell=_print_header)
    except (NotebookError, PlanError) as error:
        print(f"{PROGRAM}: {error}", file=sys.stderr)
        return EXIT_UNREADABLE
    if failure is not None:
        print(f"{PROGRAM}: {path}: {failure}", file=sys.stderr)
        return EXIT_CELL_FAILED
    return EXIT_OK


def _print_header(plan) -> None:
    print(f"{CELL_HEADER} {plan.number}: {plan.cell.first_line}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
