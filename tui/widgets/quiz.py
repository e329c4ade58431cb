"""One question of a lesson step: a `quiz` (answered until right) or a `predict` (answered once,
before acting; whether it was right shows when the step is done).

    panel = QuizPanel(step.quizzes[0], words=Words("en"))    # a QuizView of lab.session.records
    panel.show(state.quizzes[0])                               # the QuizState: answered, right, ...
    # posts QuizPanel.Answered(number=1, value="1,3") when the student answers

Choices are a list (○/● pick one, ☐/☑ select all that apply), a free answer an input line:
Tab moves to the list, the arrows along it, Enter or a click picks a choice (or unpicks one of
several), Tab then Enter on the Answer button (or Enter in the input line) answers. A long
choice wraps. The words are in the lesson's language, as the lesson's text.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Button, Input, Markdown, OptionList, Static

from lab.session.records import QuizState, QuizView
from tui.keys import Words
from tui.markup import inline


class QuizPanel(Vertical):
    """The question, its choices or input line, an Answer button, what the answer got."""

    DEFAULT_CSS = """
    QuizPanel {
        height: auto;
        margin: 1 0 0 0;
        padding: 0 1;
        border-left: thick $accent;
    }
    QuizPanel.predict {
        border-left: thick $warning;
    }
    QuizPanel.answered {
        border-left: thick $success;
    }
    QuizPanel .quiz-label {
        text-style: bold;
    }
    QuizPanel Markdown {
        margin: 0;
        padding: 0;
    }
    QuizPanel OptionList {
        height: auto;
        max-height: 100%;
        overflow-y: hidden;
        scrollbar-size-vertical: 0;
        border: none;
        padding: 0;
        margin: 0;
    }
    QuizPanel .quiz-feedback {
        padding: 0;
        width: 100%;
    }
    QuizPanel .quiz-feedback.right {
        color: $success;
    }
    QuizPanel .quiz-feedback.wrong {
        color: $warning;
    }
    QuizPanel .quiz-explanation {
        display: none;
    }
    QuizPanel .quiz-explanation.shown {
        display: block;
    }
    """

    class Answered(Message):
        """The student answered: `value` is a choice's number, the numbers of all chosen
        (`1,3`), or the text typed."""

        def __init__(self, number: int, value: str) -> None:
            super().__init__()
            self.number = number
            self.value = value

    def __init__(self, quiz: QuizView, *, words: Words, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.quiz = quiz
        self.words = words
        self.state: QuizState | None = None
        self._shown: QuizState | None = None  # the state on screen (set once mounted)
        self.chosen_numbers: set[int] = set()  # the choices picked, 1-based
        self.add_class(quiz.kind)

    def compose(self) -> ComposeResult:
        say, quiz = self.words, self.quiz
        label = say("predict") if quiz.kind == "predict" else f"{say('quiz')} {quiz.number}"
        if quiz.multiple:
            label += f" ({say('select_all')})"
        yield Static(label, classes="quiz-label")
        yield Markdown(quiz.question_markdown, classes="quiz-question")
        if not quiz.choices_markdown:
            yield Input(placeholder=say("your_answer"), classes="quiz-input", compact=True)
        else:
            yield OptionList(*(self._choice(n) for n in range(1, len(quiz.choices_markdown) + 1)))
        yield Button(say("answer"), classes="quiz-answer", compact=True)
        yield Static("", classes="quiz-feedback")
        yield Markdown("", classes="quiz-explanation")

    def on_mount(self) -> None:
        self._apply()

    def _choice(self, number: int) -> Text:
        """A choice as the list shows it: its mark (picked or not), its number, its words."""
        picked = number in self.chosen_numbers
        mark = ("☑" if picked else "☐") if self.quiz.multiple else ("●" if picked else "○")
        text = Text(f"{mark} {number}. ", style="bold" if picked else "")
        return text.append_text(inline(self.quiz.choices_markdown[number - 1]))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        number = event.option_index + 1
        if self.quiz.multiple:
            self.chosen_numbers ^= {number}
        else:
            self.chosen_numbers = {number}
        options = event.option_list
        for n in range(1, options.option_count + 1):
            options.replace_option_prompt_at_index(n - 1, self._choice(n))

    # -- what the student does

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.submit()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.submit()

    def chosen(self) -> str:
        """The answer as the widgets hold it ("" while nothing is chosen or typed)."""
        if not self.quiz.choices_markdown:
            return self.query_one(Input).value.strip()
        return ",".join(map(str, sorted(self.chosen_numbers)))

    def submit(self) -> None:
        if self.state is not None and self.state.answered:
            return
        value = self.chosen()
        if not value:
            self._feedback(self.words("choose_first"), "wrong")
            return
        self.post_message(self.Answered(self.quiz.number, value))

    # -- what the session says

    def show(self, state: QuizState) -> None:
        """Show where the student is with the question (after an answer, a frame, a resume)."""
        self.state = state
        if self.is_mounted:
            self._apply()

    def _apply(self) -> None:
        state = self.state
        if state is None or state == self._shown:
            return
        self._shown = state
        say = self.words
        self.set_class(state.answered, "answered")
        for widget in self.query("OptionList, Input, .quiz-answer"):
            widget.disabled = state.answered
        if state.kind == "predict" and state.answered:
            if state.right is None:
                self._feedback(say("prediction_taken"), "")
            elif state.right:
                self._feedback("✓ " + say("prediction_right"), "right")
            else:
                self._feedback("✗ " + say("prediction_wrong", answer=state.answer), "wrong")
        elif state.answered:
            self._feedback("✓ " + say("answer_right"), "right")
        elif state.right is False:
            self._feedback("✗ " + say("answer_wrong"), "wrong")
        else:
            self._feedback("", "")
        explanation = self.query_one(".quiz-explanation", Markdown)
        explanation.update(state.explanation_markdown)
        explanation.set_class(bool(state.explanation_markdown), "shown")

    def _feedback(self, text: str, kind: str) -> None:
        feedback = self.query_one(".quiz-feedback", Static)
        feedback.update(text)
        feedback.set_class(kind == "right", "right")
        feedback.set_class(kind == "wrong", "wrong")
