"""hvlab's own words (buttons, panel titles, column heads) in every language it speaks.

    from uitext import LANGUAGES, strings, text
    text("run", "de")                        # "Ausführen"
    text("steps_done", "de", done=2, total=5)  # "2 von 5 Schritten"
    strings("de")                            # every message id -> its German text
    LANGUAGES                                # {"en": "English", "de": "Deutsch"}

Each language is one TOML file in this folder (`de.toml`), keyed by message id; its
[tui] and [web] tables hold the ids only one front end uses (`tui.key_run`), and
[about] gives the language's name in itself. English is the reference: every id is in
en.toml; a language without one falls back to English, and an unknown id is a bug and
raises KeyError, so a typo cannot ship. Adding a language is adding a file, no code.

The TUI reads these with `text`; `hvlab web build` ships `strings(lang)` to the page as
JSON (uitext/<lang>.json in the site). Lessons carry their own prose: these are the
words around them, kept in one place so both front ends say the same thing. Nothing in
the engine (lab/) uses them.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any, Final

HERE: Final = Path(__file__).resolve().parent
REFERENCE: Final = "en"  # the language every message id must exist in
ABOUT: Final = "about"  # the table that describes the file's language, not a message


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[prefix + key] = value
    return out


@cache
def messages(lang: str) -> dict[str, str]:
    """The messages `lang`'s file defines, by id (no fallback); {} for a language with no file."""
    path = HERE / f"{lang}.toml"
    if not path.is_file():
        return {}
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    data.pop(ABOUT, None)
    return _flatten(data)


def languages() -> dict[str, str]:
    """Every language with a file here -> its name in itself, English first."""
    names = {}
    for path in sorted(HERE.glob("*.toml"), key=lambda p: (p.stem != REFERENCE, p.stem)):
        about = tomllib.loads(path.read_text(encoding="utf-8")).get(ABOUT, {})
        names[path.stem] = about.get("name", path.stem)
    return names


LANGUAGES: Final = languages()


def text(key: str, lang: str = REFERENCE, **fields: object) -> str:
    """The words for message `key` in `lang` (English when untranslated), fields filled in."""
    s = messages(lang).get(key) or messages(REFERENCE)[key]
    return s.format(**fields) if fields else s


def strings(lang: str = REFERENCE) -> dict[str, str]:
    """Every message id in `lang`, English where it has none: what the web page loads."""
    return {**messages(REFERENCE), **messages(lang)}
