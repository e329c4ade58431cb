"""The help screen: every key binding of the screen it was opened from, and what
the panels are for.

    app.push_screen(HelpScreen(bindings))    # bindings: [(key, description), ...]
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

from tui.keys import Key, Localized, localized, words


class HelpScreen(Localized, ModalScreen[None]):
    """Keys first, then a short guide to the panels (uitext's tui.help_guide). Escape or F1 closes it."""

    BINDINGS: ClassVar[list[BindingType]] = localized(Key("escape,f1,q", "close", "tui.close"))

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
    }
    HelpScreen > VerticalScroll {
        width: 80%;
        max-width: 90;
        height: 80%;
        border: thick $primary;
        background: $surface;
    }
    """

    def __init__(self, bindings: list[tuple[str, str]]) -> None:
        super().__init__()
        self.keys = bindings

    def compose(self) -> ComposeResult:
        say = words(self)
        rows = "\n".join(f"| `{key}` | {what} |" for key, what in self.keys)
        head = f"| {say('tui.help_key')} | {say('tui.help_what')} |\n| --- | --- |"
        with VerticalScroll():
            yield Markdown(f"# {say('help')}\n\n{head}\n{rows}\n\n{say('tui.help_guide')}")

    def action_close(self) -> None:
        self.dismiss(None)
