"""The front ends' words (uitext): every message in every language, the same fields, no silent typos."""

import string
import tomllib

import pytest

from uitext import HERE, LANGUAGES, REFERENCE, messages, strings, text


def fields(s: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(s) if name}


REFERENCE_IDS = sorted(messages(REFERENCE))


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_every_message_is_in_every_language_with_the_same_fields(lang):
    words = messages(lang)
    assert set(words) == set(REFERENCE_IDS), f"{lang}.toml: missing {set(REFERENCE_IDS) - set(words)}"
    for key in REFERENCE_IDS:
        assert words[key], f"{lang}: {key} is empty"
        assert fields(words[key]) == fields(messages(REFERENCE)[key]), f"{lang}: {key} fills in other fields"


def test_each_language_names_itself_and_nothing_else_is_in_the_folder():
    assert LANGUAGES == {"en": "English", "de": "Deutsch"}
    for path in HERE.iterdir():
        assert path.suffix in (".toml", ".py") or path.name == "__pycache__", path
    for lang in LANGUAGES:
        assert tomllib.loads((HERE / f"{lang}.toml").read_text())["about"]["name"] == LANGUAGES[lang]


def test_lookup_fills_fields_and_rejects_unknown_keys():
    assert text("steps_done", "de", done=2, total=5) == "2 von 5 Schritten"
    assert text("run", "fr") == "Run"  # a language the lab does not speak falls back to English
    with pytest.raises(KeyError):
        text("no-such-key")
    assert set(strings("de")) == set(REFERENCE_IDS) and strings("de")["lessons"] == "Lektionen"


def test_a_third_language_is_a_file_and_no_code(tmp_path, monkeypatch):
    """What an instructor adding French does: copy en.toml, translate a word, name the language."""
    import uitext

    english = (HERE / "en.toml").read_text(encoding="utf-8")
    for name in ("en", "de"):
        (tmp_path / f"{name}.toml").write_text((HERE / f"{name}.toml").read_text(encoding="utf-8"))
    french = english.replace('run = "Run"', 'run = "Exécuter"').replace(
        'name = "English"', 'name = "Français"'
    )
    (tmp_path / "fr.toml").write_text(french, encoding="utf-8")
    monkeypatch.setattr(uitext, "HERE", tmp_path)
    uitext.messages.cache_clear()
    try:
        assert uitext.languages() == {"en": "English", "de": "Deutsch", "fr": "Français"}
        assert uitext.text("run", "fr") == "Exécuter" and uitext.text("lessons", "fr") == "Lessons"
    finally:
        uitext.messages.cache_clear()
