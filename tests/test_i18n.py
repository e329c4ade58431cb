"""The front ends' words: every key in every language, and no silent typos."""

import string

import pytest

from lab.i18n import _TEXT, LANGUAGES, strings, text


def fields(s: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(s) if name}


@pytest.mark.parametrize("key", sorted(_TEXT))
def test_every_key_is_translated_with_the_same_fields(key):
    en, de = _TEXT[key]
    assert en and de, f"{key} is missing a language"
    assert fields(en) == fields(de), f"{key}: the German text fills in other fields"


def test_lookup_fills_fields_and_rejects_unknown_keys():
    assert text("steps_done", "de", done=2, total=5) == "2 von 5 Schritten"
    assert text("run", "fr") == "Run"  # a language the lab does not speak falls back to English
    with pytest.raises(KeyError):
        text("no-such-key")
    assert set(strings("de")) == set(_TEXT) and set(LANGUAGES) == {"en", "de"}
