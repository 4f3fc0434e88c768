"""The options of `--notebook-test`: parse their values and apply notebook metadata.

Pure: no pytest. Values come from three places, each overriding the one before: the ini
file (`notebook_test_*`), the command line (`--notebook-test-*`) and, for one notebook,
its metadata `metadata["notebook_test"]`. Every parser raises `SettingsError` naming the
option, the value and what is accepted. `choose_collector` settles which of nbval and
this plugin collects the notebooks when both are on.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from .options import OPTIONS, Option

METADATA_KEY = "notebook_test"
DUMP_CHOICES = ("never", "onfail", "always")
ENGINE_CHOICES = ("python", "ipython")
# Written for the seed, the backend and the renderer, it leaves that setting alone.
NONE_WORDS = frozenset({"none", "off", "no", "false"})
TRUE_WORDS = frozenset({"true", "yes", "on", "1"})
FALSE_WORDS = frozenset({"false", "no", "off", "0"})

# pytest's `-o NAME=VALUE` (also `-oNAME=VALUE`, `--override-ini NAME=VALUE` and
# `--override-ini=NAME=VALUE`), and the words its bool ini options read as true.
OVERRIDE_INI_FLAGS = ("-o", "--override-ini")
PYTEST_TRUE_WORDS = frozenset({"y", "yes", "t", "true", "on", "1"})

_DOTTED_NAME = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")


class SettingsError(ValueError):
    """A value of an option (or of a notebook's metadata) that is not accepted."""


@dataclasses.dataclass(frozen=True)
class Settings:
    """How one notebook is run. `default_settings()` gives the plugin's defaults."""

    default_all: bool
    strip_magics: bool
    seed: int | None
    mpl_backend: str | None
    plotly_renderer: str | None
    dump_code: str
    timeout: float | None
    engine: str
    # Only a notebook's metadata turns a notebook off.
    enabled: bool = True


def read_settings(
    value_of: Callable[[Option], Any], source_of: Callable[[Option], str]
) -> Settings:
    """The settings from each option's value; `source_of` names where a value comes from.

    The options are those of `options.OPTIONS` that have a setting; each value is parsed
    by the parser of its setting (`PARSERS`). Raises `SettingsError`.
    """
    values = {
        option.setting: PARSERS[option.setting](value_of(option), source_of(option))
        for option in OPTIONS
        if option.setting is not None
    }
    return Settings(**values)


def default_settings() -> Settings:
    """The settings when no option is given: the defaults of the option table."""
    return read_settings(lambda option: option.default, lambda option: option.name)


def parse_bool(value: str | bool, option: str) -> bool:
    """`true`/`false` (also yes/no, on/off, 1/0, any case) as a bool."""
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise SettingsError(f"{option}: {value!r} is not a boolean; write true or false")


def parse_seed(value: str | int | None, option: str) -> int | None:
    """An integer seed, or None (`none`) to leave the random generators alone."""
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    text = str(value).strip()
    if text.lower() in NONE_WORDS:
        return None
    try:
        return int(text)
    except ValueError:
        raise SettingsError(
            f"{option}: {value!r} is not an integer seed; write e.g. 42, or none to leave "
            "the random generators unseeded"
        ) from None


def parse_timeout(value: str | float | None, option: str) -> float | None:
    """Seconds (> 0) per notebook, or None (`none` or `0`) for no timeout."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise SettingsError(f"{option}: {value!r} is not a number of seconds")
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        text = str(value).strip()
        if text.lower() in NONE_WORDS:
            return None
        try:
            seconds = float(text)
        except ValueError:
            raise SettingsError(
                f"{option}: {value!r} is not a number of seconds; write e.g. 60 or 2.5, or "
                "none (or 0) for no timeout"
            ) from None
    if math.isnan(seconds) or seconds < 0 or math.isinf(seconds):
        raise SettingsError(
            f"{option}: {value!r} is not a positive number of seconds; write e.g. 60, or "
            "none (or 0) for no timeout"
        )
    return seconds or None


def parse_name(value: str | None, option: str) -> str | None:
    """A name such as a matplotlib backend, or None (`none` or empty) to leave it alone."""
    if value is None:
        return None
    text = str(value).strip()
    if not text or text.lower() in NONE_WORDS:
        return None
    if any(character.isspace() for character in text):
        raise SettingsError(f"{option}: {value!r} must be a single name, without spaces")
    return text


def parse_choice(value: str, option: str, choices: tuple[str, ...]) -> str:
    """One of `choices`, in any case."""
    text = str(value).strip().lower()
    if text not in choices:
        raise SettingsError(f"{option}: {value!r} is not one of: {', '.join(choices)}")
    return text


def parse_prelude(value: str | None, option: str) -> tuple[str, str] | None:
    """`package.module:function` as `(module, function)`; None or empty for no prelude."""
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    module, colon, function = text.partition(":")
    if not colon or not _DOTTED_NAME.fullmatch(module) or not function.isidentifier():
        raise SettingsError(
            f"{option}: {value!r} is not of the form module:function (e.g. "
            "mypackage.testing:notebook_prelude)"
        )
    return module, function


def parse_dump_code(value: str, option: str) -> str:
    return parse_choice(value, option, DUMP_CHOICES)


def parse_engine(value: str, option: str) -> str:
    return parse_choice(value, option, ENGINE_CHOICES)


# Setting -> the parser of its option's value (text from the command line or ini file).
PARSERS: dict[str, Callable[[Any, str], Any]] = {
    "default_all": parse_bool,
    "strip_magics": parse_bool,
    "seed": parse_seed,
    "mpl_backend": parse_name,
    "plotly_renderer": parse_name,
    "dump_code": parse_dump_code,
    "timeout": parse_timeout,
    "engine": parse_engine,
}


# Metadata key -> (Settings field, parser of the JSON value).
def _metadata_bool(value: Any, key: str) -> bool:
    if not isinstance(value, bool):
        raise SettingsError(f"{key}: {value!r} must be true or false")
    return value


def _metadata_seed(value: Any, key: str) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise SettingsError(f"{key}: {value!r} must be an integer or null")
    return value


def _metadata_timeout(value: Any, key: str) -> float | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise SettingsError(f"{key}: {value!r} must be a number of seconds or null")
    return parse_timeout(value, key)


def _metadata_choice(choices: tuple[str, ...]):
    def parse(value: Any, key: str) -> str:
        if not isinstance(value, str):
            raise SettingsError(f"{key}: {value!r} must be one of: {', '.join(choices)}")
        return parse_choice(value, key, choices)

    return parse


METADATA_FIELDS = {
    "enabled": _metadata_bool,
    "default_all": _metadata_bool,
    "strip_magics": _metadata_bool,
    "seed": _metadata_seed,
    "timeout": _metadata_timeout,
    "dump_code": _metadata_choice(DUMP_CHOICES),
    "engine": _metadata_choice(ENGINE_CHOICES),
}


def apply_metadata(settings: Settings, metadata: Mapping[str, Any] | None) -> Settings:
    """`settings` overridden by a notebook's metadata (the whole `metadata` dict).

    Only `metadata["notebook_test"]` is read; it must be an object whose keys are those of
    `METADATA_FIELDS`.
    """
    if not isinstance(metadata, Mapping) or METADATA_KEY not in metadata:
        return settings
    overrides = metadata[METADATA_KEY]
    accepted = ", ".join(METADATA_FIELDS)
    if not isinstance(overrides, Mapping):
        raise SettingsError(
            f'metadata["{METADATA_KEY}"] must be an object with keys among: {accepted}; '
            f"it is {overrides!r}"
        )
    changes = {}
    for key, value in overrides.items():
        parse = METADATA_FIELDS.get(key)
        if parse is None:
            raise SettingsError(
                f'metadata["{METADATA_KEY}"] has the unknown key {key!r}; the keys are: {accepted}'
            )
        changes[key] = parse(value, f'metadata["{METADATA_KEY}"]["{key}"]')
    return dataclasses.replace(settings, **changes)


def switched_on_in(
    args: Sequence[str], flags: Collection[str], ini_names: Collection[str]
) -> set[str]:
    """The `flags` (options without a value) and bool `ini_names` that `args` turn on.

    `args` are pytest's arguments as typed: an ini option is turned on by `-o NAME=true`
    (or another word pytest reads as true). Nothing after `--` is an option.
    """
    found = set()
    tokens = iter(args)
    for token in tokens:
        if token == "--":
            break
        if token in flags:
            found.add(token)
            continue
        if token in OVERRIDE_INI_FLAGS:
            setting = next(tokens, "")
        elif token.startswith("--override-ini="):
            setting = token.partition("=")[2]
        elif token.startswith("-o"):
            setting = token[2:]
        else:
            continue
        name, equals, value = setting.partition("=")
        if equals and name in ini_names and value.strip().lower() in PYTEST_TRUE_WORDS:
            found.add(name)
    return found


def choose_collector(ours: str, ours_typed: bool, nbval: str, nbval_typed: bool) -> str:
    """`"notebook-test"` or `"nbval"`: which collects the notebooks when both are on.

    `ours` and `nbval` name the switches that turned them on (for the error); `*_typed`
    say whether they were given on the command line rather than by the configuration
    (addopts, PYTEST_ADDOPTS, the ini file). The typed one wins; a tie is an error.
    """
    if ours_typed != nbval_typed:
        return "notebook-test" if ours_typed else "nbval"
    both = f"{nbval} and {ours} both collect the notebooks, and each notebook would run twice"
    if ours_typed:
        raise SettingsError(
            f"{both}: give only one of them ({nbval.split()[0]} runs them in a Jupyter kernel, "
            "--notebook-test in this process)"
        )
    raise SettingsError(
        f"{both} (both from the configuration: addopts, PYTEST_ADDOPTS or the ini file): "
        f"choose one on the command line ({nbval.split()[0]} or --notebook-test; the one "
        "given there wins over the configuration), or keep only one in the configuration"
    )
