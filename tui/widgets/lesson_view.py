"""The lesson text: the introduction, the current step's prose, its checks and hints.

view = LessonView(lesson)        # the LessonView `Session.open_lesson` returns
view.show_step(2)                # step index
view.add_hint(hint)              # a HintView, as `Session.hint()` returns it
view.set_checks(state.checks)    # the CheckViews of the current step
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Markdown

from lab.session.records import CheckView, HintView
from lab.session.records import LessonView as Lesson
from tui.keys import Words
from tui.widgets.checks import ChecksView
from uitext import LANGUAGES


class LessonView(Vertical):
    """Scrollable lesson prose and revealed hints, the step's checks always in view below."""

    DEFAULT_CSS = """
    LessonView {
        height: 1fr;
    }
    LessonView #prose-scroll {
        height: 1fr;
    }
    LessonView ChecksView {
        max-height: 50%;
    }
    LessonView #hints {
        height: auto;
        border-top: dashed $secondary;
        display: none;
    }
    LessonView #hints.shown {
        display: block;
    }
    """

    def __init__(self, lesson: Lesson, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.lesson = lesson
        self.step_index = -1
        self._hints: list[str] = []
        # The few words added to the lesson's own text are in the lesson's language.
        lang = lesson.lang
        self.words = Words(lang if lang in LANGUAGES else "en")

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="prose-scroll"):
            yield Markdown(id="prose")
            yield Markdown(id="hints")
        yield ChecksView(id="checks")

    def show_step(self, index: int) -> bool:
        """Show step `index` (the introduction comes with the first step); False if it already was."""
        if index == self.step_index:
            return False
        self.step_index = index
        self._hints = []
        hints = self.query_one("#hints", Markdown)
        hints.remove_class("shown")
        hints.update("")
        self.query_one("#prose", Markdown).update(self.step_markdown(index))
        self.query_one("#prose-scroll").scroll_home(animate=False)
        return True

    def step_markdown(self, index: int) -> str:
        lesson = self.lesson
        steps = lesson.steps
        parts = [f"# {lesson.title}"]
        if index == 0:
            parts.append(lesson.intro_markdown)
        if index < len(steps):
            step = steps[index]
            heading = self.words("tui.step_of", n=index + 1, total=len(steps))
            parts.append(f"## {heading}: {step.title}")
            parts.append(step.markdown)
        return "\n\n".join(parts)

    def add_hint(self, hint: HintView, *, scroll: bool = True) -> None:
        if hint.index < 0:
            self._hints = [f"*{self.words('tui.no_hints')}*"]
        elif hint.index >= len(self._hints):
            label = self.words("tui.hint_n", n=hint.index + 1)
            self._hints.append(f"**{label}:** {hint.text}")
        hints = self.query_one("#hints", Markdown)
        hints.update("\n\n".join(self._hints))
        hints.add_class("shown")
        if scroll:  # a hint just asked for; ones shown again on resuming leave the prose at its top
            self.query_one("#prose-scroll").scroll_end(animate=False)

    def set_checks(self, checks: tuple[CheckView, ...]) -> None:
        view = self.query_one(ChecksView)
        if view.checks != checks:
            view.checks = checks
