"""The current step's checks, each done or not yet, as the session last evaluated them.

view = ChecksView(id="checks")
view.checks = state.checks     # the CheckViews of lab.session.records
"""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from lab.session.records import CheckView
from tui.keys import words


class ChecksView(Static):
    """One line per check: a tick when it holds, a dot while it does not."""

    DEFAULT_CSS = """
    ChecksView {
        height: auto;
        overflow-y: auto;
        padding: 0 1;
        border-top: solid $primary;
    }
    """

    checks: reactive[tuple[CheckView, ...]] = reactive((), always_update=True)
    """The checks of the current step, as `Session.state().checks` gives them."""

    def render(self) -> Text:
        text = Text()
        say = words(self)
        if not self.checks:
            return Text(say("tui.no_checks_left"), style="bold green")
        done, pending = f"✓ {say('check_done')}", f"· {say('check_pending')}"
        width = max(len(done), len(pending)) + 1
        for n, check in enumerate(self.checks):
            if n:
                text.append("\n")
            if check.done:
                text.append(done.ljust(width), style="bold green")
            else:
                text.append(pending.ljust(width), style="yellow")
            text.append(check.check)
            note = check.error or check.detail
            if note:
                text.append(f"\n    {note}", style="italic dim")
        return text

    @property
    def done(self) -> int:
        return sum(1 for c in self.checks if c.done)
