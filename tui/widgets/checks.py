"""The current step's checks, each done or not yet, as the session last evaluated them: in
words a student reads (the check's sentence), never the lesson's internal line.

view = ChecksView(id="checks")
view.waiting = True            # a prediction is unanswered: the checks do not count yet
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

    waiting: reactive[bool] = reactive(False)
    """A prediction of the step is unanswered: the checks count only once it is."""

    questions: reactive[bool] = reactive(False)
    """The step has questions: with no checks (the reflection), answering them is what is left."""

    def render(self) -> Text:
        text = Text()
        say = words(self)
        if not self.checks:
            if self.questions:
                return Text(say("answer_questions"), style="yellow")
            return Text(say("tui.no_checks_left"), style="bold green")
        if self.waiting:
            text.append(say("predict_first") + "\n", style="bold yellow")
        done, pending = f"✓ {say('check_done')}", f"· {say('check_pending')}"
        width = max(len(done), len(pending)) + 1
        for n, check in enumerate(self.checks):
            if n:
                text.append("\n")
            if check.done:
                text.append(done.ljust(width), style="bold green")
            else:
                text.append(pending.ljust(width), style="yellow")
            text.append(check.sentence)
            if check.legit:
                text.append(f" ({say('legit')})", style="dim")
            note = check.error or check.detail
            if note and note.casefold() != check.sentence.casefold():  # (a detail may only repeat it)
                text.append(f"\n    {note}", style="italic dim")
        return text

    @property
    def done(self) -> int:
        return sum(1 for c in self.checks if c.done)
