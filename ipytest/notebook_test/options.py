"""The options of `--notebook-test`: one table, for pytest's parser, its help and the Readme.

Each option is `--notebook-test-<flag>` on the command line and `notebook_test_<ini>` in
the ini file; its default is written as on the command line, and `settings` parses it like
any other value. Pure and cheap: the plugin imports this on every pytest start.
"""

from __future__ import annotations

ENABLE_OPTION = "--notebook-test"
ENABLE_INI = "notebook_test_enabled"
ENABLE_HELP = "collect .ipynb files and run each as one test, in this process"
ENABLE_INI_HELP = "collect .ipynb files as with --notebook-test"
DUMP_FOLDER = "notebook-test-code"


class Option:
    """One `--notebook-test-<flag>` option and its ini twin `notebook_test_<ini>`.

    A plain class: this module is imported on every pytest start, and a dataclass costs
    more to define than all the rest of it.
    """

    __slots__ = ("default", "flag", "help", "ini", "metavar", "multiple", "setting")

    def __init__(
        self,
        flag: str,
        ini: str,
        default: str,
        metavar: str,
        help: str,
        multiple: bool = False,
        setting: str | None = None,
    ) -> None:
        self.flag = flag
        self.ini = ini
        self.default = default
        self.metavar = metavar
        self.help = help
        self.multiple = multiple
        # The field of `settings.Settings` the value is parsed into, if any.
        self.setting = setting

    @property
    def dest(self) -> str:
        return "notebook_test_" + self.flag.replace("-", "_")

    @property
    def name(self) -> str:
        return f"{ENABLE_OPTION}-{self.flag}"

    @property
    def ini_name(self) -> str:
        return f"notebook_test_{self.ini}"

    @property
    def ini_type(self) -> str:
        return "linelist" if self.multiple else "string"

    @property
    def usage(self) -> str:
        return f"{self.name}={self.metavar}"

    @property
    def command_line_help(self) -> str:
        return f"{self.help} (default: {self.default or 'none'})"


OPTIONS = (
    Option(
        "path",
        "paths",
        "",
        "PATH",
        "also collect the notebooks under this folder, or matching this glob "
        "(repeatable; the ini option takes one per line)",
        multiple=True,
    ),
    Option(
        "envvar",
        "envvar",
        "NOTEBOOK_DIR_TO_TEST",
        "NAME",
        "also collect the notebooks under the folder that this environment variable names, "
        "when it is set",
    ),
    Option(
        "default-all",
        "default_all",
        "true",
        "BOOL",
        "whether code cells run before a '# notebook-test: default-all=' directive",
        setting="default_all",
    ),
    Option(
        "strip-magics",
        "strip_magics",
        "true",
        "BOOL",
        "python engine: turn IPython line magics (%...) and shell escapes (!...) into no-ops; "
        "run the body of %%time-like cell magics; leave out cells of other cell magics",
        setting="strip_magics",
    ),
    Option(
        "seed",
        "seed",
        "42",
        "INT",
        "seed random, and numpy.random once imported, before each notebook ('none': leave "
        "them alone)",
        setting="seed",
    ),
    Option(
        "mpl-backend",
        "mpl_backend",
        "Agg",
        "NAME",
        "matplotlib backend for notebooks that use matplotlib ('none': leave it alone)",
        setting="mpl_backend",
    ),
    Option(
        "plotly-renderer",
        "plotly_renderer",
        "jpg",
        "NAME",
        "plotly's default renderer for notebooks that use plotly ('none': leave it alone)",
        setting="plotly_renderer",
    ),
    Option(
        "dump-code",
        "dump_code",
        "onfail",
        "never|onfail|always",
        "onfail: attach the generated code to a failure's report; always: also write it to a "
        "file for every notebook (see dump-dir)",
        setting="dump_code",
    ),
    Option(
        "dump-dir",
        "dump_dir",
        "",
        "DIR",
        f"folder for dump-code=always (default: {DUMP_FOLDER}/ beside the --junitxml file, "
        "else in pytest's cache folder)",
    ),
    Option(
        "timeout",
        "timeout",
        "none",
        "SECONDS",
        "fail a notebook that runs longer than this, naming the cell it was running "
        "('none' or 0: no limit)",
        setting="timeout",
    ),
    Option(
        "prelude",
        "prelude",
        "",
        "MODULE:FUNCTION",
        "call this function with the notebook's path before its first cell, in the "
        "notebook's folder",
    ),
    Option(
        "engine",
        "engine",
        "python",
        "python|ipython",
        "python: compile the cells and run them in a module namespace; ipython: run them in "
        "an in-process IPython shell (magics and %%ipytest work)",
        setting="engine",
    ),
)

BY_FLAG = {option.flag: option for option in OPTIONS}


def command_line_help() -> list[tuple[str, str]]:
    """`(usage, help)` of every command-line option, as `pytest --help` shows them."""
    return [(ENABLE_OPTION, ENABLE_HELP)] + [(o.usage, o.command_line_help) for o in OPTIONS]


def ini_help() -> list[tuple[str, str, str]]:
    """`(name, type, help)` of every ini option, the help as `pytest --help` shows it."""
    return [(ENABLE_INI, "bool", ENABLE_INI_HELP)] + [
        (o.ini_name, o.ini_type, o.help) for o in OPTIONS
    ]


def for_argparse(text: str) -> str:
    """`text` as argparse's help: argparse formats it with `%`, so every `%` is doubled.

    (pytest prints the help of ini options as it is.)
    """
    return text.replace("%", "%%")


def options_table() -> str:
    """The Markdown table of the options, for the Readme."""
    rows = [
        "| command line | ini option | default | meaning |",
        "| --- | --- | --- | --- |",
        f"| `{ENABLE_OPTION}` | `{ENABLE_INI}` | off | collect notebooks and run them in-process |",
    ]
    for option in OPTIONS:
        # A "|" inside a table cell must be escaped, even in a code span.
        usage = option.usage.replace("|", "\\|")
        default = f"`{option.default}`" if option.default else "none"
        rows.append(f"| `{usage}` | `{option.ini_name}` | {default} | {option.help} |")
    return "\n".join(rows) + "\n"
