"""A yes/no question before anything that discards work (resetting a step or a lesson).

app.push_screen(ConfirmScreen("Reset this step?"), callback)   # callback(True|False)
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from tui.keys import Key, Localized, localized, words


class ConfirmScreen(Localized, ModalScreen[bool]):
    """Dismisses with True on Yes (y, or j for Ja), False on No (n or Escape)."""

    BINDINGS: ClassVar[list[BindingType]] = localized(
        Key("y,j", "answer(True)", "tui.yes"),
        Key("n,escape", "answer(False)", "tui.no"),
    )

    DEFAULT_CSS = """
    ConfirmScreen {
        align: center middle;
    }
    ConfirmScreen > Vertical {
        width: 60;
        max-width: 90%;
        height: auto;
        border: thick $warning;
        background: $surface;
        padding: 1 2;
    }
    ConfirmScreen Horizontal {
        height: auto;
        margin-top: 1;
        align-horizontal: right;
    }
    ConfirmScreen Button {
        margin-left: 2;
    }
    """

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question)
            with Horizontal():
                say = words(self)
                yield Button(say("tui.yes"), id="yes", variant="error")
                yield Button(say("tui.no"), id="no", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
