"""The help screen: every key binding of the screen it was opened from, and what
the panels are for.

    app.push_screen(HelpScreen(bindings))    # bindings: [(key, description), ...]
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

GUIDE = """\
## The lab

- **Lesson** (left): the step you are on, its checks (✓ done / · not yet) and
  any hints you asked for. The checks update as you work.
- **Consoles**: one tab per VM. Type in the line at the bottom and press Enter:
  the text goes to that VM's UART.
- **VMs**: state, instructions retired, CPU share, memory; pause, unpause or
  reboot the highlighted VM.
- **Trace**: every hypercall and hypervisor event, filterable by VM and kind.
- **Policy**: the hardening switches, each with what it checks and the real bug
  it mirrors.
- **Editor**: write guest assembly and load it into a VM, or rewrite a
  hypercall handler (a patch point) and apply or roll it back.

Progress is saved as you go; reopening a lesson resumes at your step.
"""


class HelpScreen(ModalScreen[None]):
    """Keys first, then a short guide to the panels. Escape or F1 closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,f1,q", "close", "Close")]

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
        rows = "\n".join(f"| `{key}` | {what} |" for key, what in self.keys)
        with VerticalScroll():
            yield Markdown(f"# Help\n\n| key | what it does |\n| --- | --- |\n{rows}\n\n{GUIDE}")

    def action_close(self) -> None:
        self.dismiss(None)
