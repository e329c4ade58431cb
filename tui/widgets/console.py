"""One VM's console: what the guest wrote to its UART, and an input line that
sends a line of text to it.

    view = ConsoleView("tenant")
    view.append(chunk["text"])       # new output from `Session.console`
    # posts ConsoleView.Typed(vm="tenant", text="vms") on Enter
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Log


class ConsoleView(Vertical):
    """A VM's serial console: the output log above, the input line below."""

    DEFAULT_CSS = """
    ConsoleView Log {
        height: 1fr;
        border: none;
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
        self.seq = 0  # console bytes already shown (Session.console's `since`)

    def compose(self) -> ComposeResult:
        yield Log(max_lines=5000, id=f"log-{self.vm}")
        yield Input(placeholder=f"type to {self.vm}, Enter sends", id=f"input-{self.vm}")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        event.input.value = ""
        self.post_message(self.Typed(self.vm, event.value))

    def append(self, text: str) -> None:
        if text:
            self.query_one(Log).write(text)

    def clear(self) -> None:
        self.query_one(Log).clear()
        self.seq = 0

    @property
    def text(self) -> str:
        return "\n".join(self.query_one(Log).lines)
