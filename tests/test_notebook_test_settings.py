"""Option values and notebook metadata of --notebook-test: table tests and properties."""

from __future__ import annotations

import dataclasses
import fnmatch
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipytest.notebook_test.options import OPTIONS
from ipytest.notebook_test.settings import (
    DUMP_CHOICES,
    PARSERS,
    Settings,
    SettingsError,
    apply_metadata,
    choose_collector,
    default_settings,
    parse_bool,
    parse_choice,
    parse_name,
    parse_prelude,
    parse_seed,
    parse_timeout,
    switched_on_in,
)

DEFAULTS = default_settings()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("true", True),
        ("False", False),
        ("YES", True),
        ("off", False),
        ("1", True),
        (" 0 ", False),
        (True, True),
        (False, False),
    ],
)
def test_parse_bool_accepts(value, expected):
    assert parse_bool(value, "--opt") is expected


@pytest.mark.parametrize("value", ["", "maybe", "2", "truee", "none"])
def test_parse_bool_rejects(value):
    with pytest.raises(SettingsError, match=rf"^--opt: {value!r} is not a boolean; write true"):
        parse_bool(value, "--opt")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("42", 42),
        ("-1", -1),
        (" 7 ", 7),
        ("none", None),
        ("None", None),
        ("off", None),
        (3, 3),
        (None, None),
    ],
)
def test_parse_seed_accepts(value, expected):
    assert parse_seed(value, "--seed") == expected


@pytest.mark.parametrize("value", ["", "4.2", "forty-two", "0x10"])
def test_parse_seed_rejects(value):
    with pytest.raises(SettingsError, match=r"is not an integer seed; write e.g. 42, or none"):
        parse_seed(value, "--seed")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("60", 60.0),
        ("2.5", 2.5),
        ("0", None),
        ("none", None),
        (None, None),
        (3, 3.0),
        (0.5, 0.5),
        (0, None),
    ],
)
def test_parse_timeout_accepts(value, expected):
    assert parse_timeout(value, "--timeout") == expected


@pytest.mark.parametrize("value", ["-1", "nan", "inf", "1 minute", "", True, -3])
def test_parse_timeout_rejects(value):
    with pytest.raises(SettingsError, match=r"^--timeout: .* (seconds|number)"):
        parse_timeout(value, "--timeout")


@pytest.mark.parametrize(
    ("value", "expected"), [("Agg", "Agg"), (" svg ", "svg"), ("none", None), ("", None)]
)
def test_parse_name_accepts(value, expected):
    assert parse_name(value, "--name") == expected


def test_parse_name_rejects_spaces():
    with pytest.raises(SettingsError, match="must be a single name"):
        parse_name("two words", "--name")


@pytest.mark.parametrize(("value", "expected"), [("never", "never"), ("OnFail", "onfail")])
def test_parse_choice_accepts(value, expected):
    assert parse_choice(value, "--dump", DUMP_CHOICES) == expected


def test_parse_choice_rejects_naming_the_choices():
    with pytest.raises(SettingsError, match=r"'sometimes' is not one of: never, onfail, always"):
        parse_choice("sometimes", "--dump", DUMP_CHOICES)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("pkg.mod:func", ("pkg.mod", "func")), ("m:f", ("m", "f")), ("", None), (None, None)],
)
def test_parse_prelude_accepts(value, expected):
    assert parse_prelude(value, "--prelude") == expected


@pytest.mark.parametrize(
    "value", ["module", "module:", ":func", "a..b:f", "m:f()", "m:f.g", "1m:f"]
)
def test_parse_prelude_rejects(value):
    with pytest.raises(SettingsError, match=r"is not of the form module:function"):
        parse_prelude(value, "--prelude")


def test_metadata_overrides_each_key():
    metadata = {
        "kernelspec": {"name": "python3"},
        "notebook_test": {
            "enabled": False,
            "default_all": False,
            "strip_magics": False,
            "seed": 7,
            "timeout": 1.5,
            "dump_code": "always",
            "engine": "ipython",
        },
    }
    assert apply_metadata(DEFAULTS, metadata) == dataclasses.replace(
        DEFAULTS,
        enabled=False,
        default_all=False,
        strip_magics=False,
        seed=7,
        timeout=1.5,
        dump_code="always",
        engine="ipython",
    )


@pytest.mark.parametrize("metadata", [None, {}, {"kernelspec": {}}, [], "text"])
def test_metadata_without_the_key_changes_nothing(metadata):
    settings = dataclasses.replace(DEFAULTS, seed=3)
    assert apply_metadata(settings, metadata) == settings


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"colour": 1}, r"unknown key 'colour'; the keys are: enabled, default_all"),
        ({"enabled": "false"}, r'\["enabled"\]: \'false\' must be true or false'),
        ({"seed": True}, r"must be an integer or null"),
        ({"seed": 1.5}, r"must be an integer or null"),
        ({"timeout": "10"}, r"must be a number of seconds or null"),
        ({"timeout": -1}, r"is not a positive number of seconds"),
        ({"dump_code": "later"}, r"'later' is not one of: never, onfail, always"),
        ({"engine": 3}, r"must be one of: python, ipython"),
        ([1, 2], r'metadata\["notebook_test"\] must be an object'),
    ],
)
def test_metadata_rejects(overrides, message):
    with pytest.raises(SettingsError, match=message):
        apply_metadata(DEFAULTS, {"notebook_test": overrides})


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)


@given(
    st.dictionaries(
        st.sampled_from(
            [
                "enabled",
                "seed",
                "timeout",
                "engine",
                "dump_code",
                "default_all",
                "strip_magics",
                "other",
            ]
        ),
        _json,
    )
)
def test_metadata_gives_settings_or_a_clear_error(overrides):
    settings, error = _outcome(apply_metadata, DEFAULTS, {"notebook_test": overrides})
    if error is not None:
        assert 'metadata["notebook_test"]' in str(error)
    else:
        assert isinstance(settings, Settings)


@given(st.one_of(st.text(max_size=12), st.integers(), st.floats(), st.none(), st.booleans()))
def test_value_parsers_give_a_value_or_a_clear_error(value):
    for parse in (parse_bool, parse_seed, parse_timeout, parse_name, parse_prelude):
        result, error = _outcome(parse, value, "--option")
        if error is not None:
            assert str(error).startswith("--option: ")
        elif parse is parse_timeout and result is not None:
            assert result > 0
            assert not math.isinf(result)


def _outcome(function, *args):
    """`(result, None)`, or `(None, error)` when `function` raises SettingsError."""
    try:
        return function(*args), None
    except SettingsError as error:
        return None, error


# --- which collector of notebooks: --notebook-test or nbval -------------------------------

FLAGS = {"--notebook-test", "--nbval", "--nbval-lax"}
INI = {"notebook_test_enabled"}


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], set()),
        (["--notebook-test"], {"--notebook-test"}),
        (["-x", "--nbval-lax", "tests/"], {"--nbval-lax"}),
        (["--nbval", "--notebook-test"], {"--nbval", "--notebook-test"}),
        (["-o", "notebook_test_enabled=true"], {"notebook_test_enabled"}),
        (["-onotebook_test_enabled=yes"], {"notebook_test_enabled"}),
        (["--override-ini", "notebook_test_enabled=1"], {"notebook_test_enabled"}),
        (["--override-ini=notebook_test_enabled=On"], {"notebook_test_enabled"}),
        (["-o", "notebook_test_enabled=false"], set()),
        (["-o", "notebook_test_enabled"], set()),
        (["-o", "other=true", "--nbval"], {"--nbval"}),
        # The value of -o is not an option, even when it looks like one.
        (["-o", "--nbval"], set()),
        (["-o"], set()),
        # Abbreviations are not pytest's options either (pytest turns them off).
        (["--notebook-tes", "--nbval-la"], set()),
        (["--notebook-test-seed=3"], set()),
        (["--", "--notebook-test"], set()),
    ],
)
def test_switched_on_in(args, expected):
    assert switched_on_in(args, FLAGS, INI) == expected


@given(st.lists(st.sampled_from([*FLAGS, "-o", "--", "notebook_test_enabled=true"]) | st.text()))
def test_switched_on_in_gives_a_subset_of_the_switches(args):
    assert switched_on_in(args, FLAGS, INI) <= FLAGS | INI


@pytest.mark.parametrize(
    ("ours_typed", "nbval_typed", "expected"),
    [(True, False, "notebook-test"), (False, True, "nbval")],
)
def test_choose_collector_picks_the_typed_one(ours_typed, nbval_typed, expected):
    assert choose_collector("--notebook-test", ours_typed, "--nbval", nbval_typed) == expected


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (True, "--nbval-lax and --notebook-test both collect the notebooks*give only one of them"),
        (
            False,
            "--nbval-lax and --notebook-test both collect*(both from the configuration*"
            "choose one on the command line (--nbval-lax or --notebook-test;*",
        ),
    ],
)
def test_choose_collector_refuses_a_tie_naming_both(typed, message):
    with pytest.raises(SettingsError) as error:
        choose_collector("--notebook-test", typed, "--nbval-lax", typed)
    assert fnmatch.fnmatchcase(str(error.value), message + "*"), str(error.value)


def test_the_defaults_are_those_of_the_option_table():
    assert default_settings() == Settings(
        default_all=True,
        strip_magics=True,
        seed=42,
        mpl_backend="Agg",
        plotly_renderer="jpg",
        dump_code="onfail",
        timeout=None,
        engine="python",
        enabled=True,
    )


def test_every_setting_has_an_option_and_a_parser():
    fields = {field.name for field in dataclasses.fields(Settings)} - {"enabled"}
    assert {option.setting for option in OPTIONS if option.setting} == fields
    assert set(PARSERS) == fields
