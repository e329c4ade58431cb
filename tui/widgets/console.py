"""One VM's console: what the guest wrote to its UART, and an input line that
sends a line of text to it. The input line is the console's only focus: a click
anywhere on the console lands there, and PageUp/PageDown scroll the output, so
what the student types is always text for the guest.

    view = ConsoleView("tenant")
    view.append(output.text)         # a ConsoleOutput of the session's frames
    # posts ConsoleView.Typed(vm="tenant", text="vms") on Enter
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.events import Click
from textual.message import Message
from textual.widgets import Input

from tui.keys import words
from tui.widgets.text_log import TextLog


class ConsoleView(Vertical):
    """A VM's serial console: the output log above, the input line below."""

    # Keys the input line leaves alone (it consumes every printable one).
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("pageup", "scroll_output(-1)", show=False),
        Binding("pagedown", "scroll_output(1)", show=False),
    ]

    DEFAULT_CSS = """
    ConsoleView TextLog {
        height: 1fr;
    }
    ConsoleView Input {
        dock: bottom;
    }
    """

    class Typed(Message):
        """The student entered a line for the VM."""

        def __init__(self, vm: str, text: str) -> None:
            super().__init__()
            self.vm = vm
            self.text = text

    def __init__(self, vm: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.vm = vm

    def compose(self) -> ComposeResult:
        log = TextLog(max_lines=5000, id=f"log-{self.vm}")
        log.can_focus = False
        yield log
        yield Input(placeholder=words(self)("tui.console_placeholder", vm=self.vm), id=f"input-{self.vm}")

    def on_click(self, event: Click) -> None:
        self.query_one(Input).focus()

    def action_scroll_output(self, pages: int) -> None:
        log = self.query_one(TextLog)
        log.scroll_relative(y=pages * max(1, log.size.height - 1), animate=False)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        event.input.value = ""
        self.post_message(self.Typed(self.vm, event.value))

    def append(self, text: str) -> None:
        if text:
            self.query_one(TextLog).write(text)

    def clear(self) -> None:
        self.query_one(TextLog).clear()

    @property
    def text(self) -> str:
        return "\n".join(self.query_one(TextLog).lines)
