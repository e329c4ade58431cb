"""Key bindings and words in the student's language (`uitext`), switched live.

    class MyScreen(Localized, Screen):
        BINDINGS = localized(Key("f5", "run_pause", "tui.key_run", priority=True))

Each binding exists once per language; Textual's dynamic actions (`check_action`)
keep only the one in the app's language, so the footer, the help screen and the
keys themselves follow a language switch at once (after `refresh_bindings()`),
with no private Textual API. `words(node)` is the `uitext.text` of the app's
language, for every label a widget shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from textual.binding import Binding
from textual.dom import DOMNode

from uitext import LANGUAGES, text

IN_LANGUAGE: Final = "in_language"


@dataclass(frozen=True, slots=True)
class Key:
    """A binding before translation: `word` is its uitext message id."""

    keys: str
    action: str
    word: str
    show: bool = True
    priority: bool = False
    long: str = ""  # a longer uitext message for the help screen (the binding's tooltip)


def localized(*keys: Key) -> list[Binding]:
    """Every key once per language, each running `action` only in its own language."""
    return [
        Binding(
            key.keys,
            f"{IN_LANGUAGE}({key.action!r}, {lang!r})",
            text(key.word, lang),
            show=key.show,
            priority=key.priority,
            tooltip=text(key.long, lang) if key.long else "",
        )
        for key in keys
        for lang in LANGUAGES
    ]


def ui_language(node: DOMNode | Any) -> str:
    """The language the student chose (the app's `lang`), English before the app runs."""
    try:
        app = node.app
    except Exception:  # no active app: a widget built outside one (e.g. in a unit test)
        return "en"
    return getattr(app, "lang", "en") or "en"


class Words:
    """`uitext.text` bound to a language: `words("tui.yes")`, `words("tui.step_of", n=1, total=3)`."""

    __slots__ = ("lang",)

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __call__(self, word: str, /, **fields: object) -> str:
        return text(word, self.lang, **fields)


def words(node: DOMNode | Any) -> Words:
    return Words(ui_language(node))


class Localized:
    """Mixin for an App, Screen or Widget whose BINDINGS come from `localized`."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == IN_LANGUAGE:
            return parameters[1] == ui_language(self)
        return True

    async def action_in_language(self, action: str, lang: str) -> None:
        await self.run_action(action)  # type: ignore[attr-defined]
