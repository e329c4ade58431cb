"""The lesson text: the introduction, the current step's prose and questions, its hints and
checks, and, once the step is done, what was achieved and the way on.

view = LessonView(lesson)        # the LessonView `Session.open_lesson` returns
view.show_step(2)                # step index: its prose and its questions (QuizPanel)
view.add_hint(hint)              # a HintView, as `Session.hint()` returns it
view.set_checks(state.checks, waiting=...)   # the CheckViews of the current step
view.set_quizzes(state.quizzes)  # where the student is with each question (view.questions[n])
view.set_done(state.done, last=...)          # done: the Next step button
# posts QuizPanel.Answered (from a question) and LessonView.NextRequested (the button)

A step that is done stays on screen until the student moves on: the checks all ticked, a
prediction's result, and the Next step button (Ctrl+N on the lesson screen).
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Markdown, Static

from lab.session.records import CheckView, HintView, QuizState
from lab.session.records import LessonView as Lesson
from tui.keys import Words
from tui.widgets.checks import ChecksView
from tui.widgets.quiz import QuizPanel
from uitext import LANGUAGES


class LessonView(Vertical):
    """Scrollable lesson prose, questions and revealed hints, the step's checks always in view
    below, and the way on once the step is done."""

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
    LessonView #quizzes {
        height: auto;
    }
    LessonView #step-done {
        height: auto;
        display: none;
        background: $success 15%;
        padding: 0 1;
    }
    LessonView #step-done.shown {
        display: block;
    }
    LessonView #step-done Static {
        width: 100%;
    }
    """

    class NextRequested(Message):
        """The student asked to move on to the next step."""

    def __init__(self, lesson: Lesson, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.lesson = lesson
        self.step_index = -1
        self.questions: dict[int, QuizPanel] = {}  # the current step's, by number
        self._hints: list[str] = []
        self.done = False
        # The few words added to the lesson's own text are in the lesson's language.
        lang = lesson.lang
        self.words = Words(lang if lang in LANGUAGES else "en")

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="prose-scroll"):
            yield Markdown(id="prose")
            yield Vertical(id="quizzes")
            yield Markdown(id="hints")
        yield ChecksView(id="checks")
        with Vertical(id="step-done"):
            yield Static(id="step-done-text")
            yield Button(self.words("next_step") + " →", id="next-step", variant="success", compact=True)

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
        quizzes = self.query_one("#quizzes", Vertical)
        quizzes.remove_children()
        self.questions = {}
        if index < len(self.lesson.steps):
            for q in self.lesson.steps[index].quizzes:  # ids per step: the old panels go in the background
                self.questions[q.number] = QuizPanel(q, words=self.words, id=f"quiz-{index}-{q.number}")
            quizzes.mount_all(self.questions.values())
        self.set_done(False, last=False)
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

    def set_checks(self, checks: tuple[CheckView, ...], *, waiting: bool = False) -> None:
        """The step's checks; `waiting`: a prediction is unanswered, so they do not count yet."""
        view = self.query_one(ChecksView)
        questions = 0 <= self.step_index < len(self.lesson.steps) and bool(
            self.lesson.steps[self.step_index].quizzes
        )
        if view.checks != checks or view.waiting != waiting or view.questions != questions:
            view.waiting, view.questions = waiting, questions
            view.checks = checks

    def set_quizzes(self, states: tuple[QuizState, ...]) -> None:
        for state in states:
            if state.number in self.questions:
                self.questions[state.number].show(state)

    def open_question(self) -> bool:
        """The step has a question not answered yet."""
        return any(panel.state is None or not panel.state.answered for panel in self.questions.values())

    def focus_open_question(self) -> bool:
        """Focus the step's first question not answered yet; False when there is none."""
        for panel in self.questions.values():
            if panel.state is None or not panel.state.answered:
                panel.query_one("OptionList, Input").focus()
                return True
        return False

    def set_done(self, done: bool, *, last: bool) -> None:
        """Done: say so and offer the next step (the last step: the lesson is complete)."""
        if done and not self.done and self.questions:  # a prediction's result shows now: bring it in view
            next(iter(self.questions.values())).scroll_visible(animate=False)
        self.done = done
        bar = self.query_one("#step-done")
        bar.set_class(done, "shown")
        if done:
            say = self.words
            text = f"[b]{say('step_done_title')}[/b] {say('step_done_text')}" if not last else ""
            self.query_one("#step-done-text", Static).update(text or f"[b]✓ {say('lesson_complete')}[/b]")
            self.query_one("#next-step", Button).display = not last

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "next-step":
            event.stop()
            self.post_message(self.NextRequested())
