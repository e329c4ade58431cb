"""What a parsed lesson is: front matter, steps, and the directive lines inside them.

    lesson = parse_lesson("lessons/03-control-api.md")     # lab.lesson.parser
    for step in lesson.steps:
        step.checks      # predicates that must all hold (the `check` block)
        step.legit       # legitimate use that must still work after hardening (`legit`)
        step.solution    # actions that make the checks pass (`solution`)
        step.harden      # actions that fix the weakness this step exploits (`harden`)
        step.hints       # Markdown shown on request, one per `hint` block
        step.quizzes     # questions with checked answers, `quiz` and `predict` blocks (lab.lesson.quiz)
        step.notes       # instructor-only Markdown (`note`): the docs site shows it, students never

Every directive line is a `Call`: a registered name (lab.lesson.registry) and
its checked arguments, with the file and line it came from, so any later
failure can still point the instructor at the line. Every mistake in a file is
a `Problem` at its line; the parser gathers all of a file's problems and raises
them together as one `LessonError`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class Problem:
    """One mistake in a lesson file: where, and what was expected."""

    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


class LessonError(Exception):
    """A lesson that cannot be used: one or more problems, each `file:line: what was expected`
    on a line of its own. `path`, `line` and `message` are the first problem's."""

    def __init__(self, path: str | Path, line: int | None, message: str) -> None:
        self.problems: tuple[Problem, ...] = (Problem(str(path), line, message),)
        super().__init__(str(self.problems[0]))
        self.path = str(path)
        self.line = line
        self.message = message

    @classmethod
    def of(cls, problems: Iterable[Problem]) -> LessonError:
        """All of a file's problems as one error, in the order of their lines."""
        found = sorted(problems, key=lambda p: (p.path, p.line or 0))
        error = cls(found[0].path, found[0].line, found[0].message)
        error.problems = tuple(found)
        error.args = ("\n".join(map(str, found)),)
        return error


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """`; did you mean 'secret_leaked'?` when `word` is a near miss of a known name, else ""."""
    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


@dataclass(frozen=True, slots=True)
class Call:
    """One directive line: `name arg arg key=value ...`."""

    name: str
    args: dict[str, Any]
    text: str  # the line as written (what a UI shows)
    path: str
    line: int

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    def key(self) -> tuple[str, tuple[tuple[str, str], ...]]:
        """What must match between translations: the name and the arguments."""
        return self.name, tuple(sorted((k, repr(v)) for k, v in self.args.items()))


class QuizKind(Enum):
    """A `quiz` is answered until right, after the prose; a `predict` is answered once, before
    the student acts, and need not be right."""

    QUIZ = "quiz"
    PREDICT = "predict"


@dataclass(frozen=True, slots=True)
class Choice:
    """One choice of a quiz: `- [x] right` or `- [ ] wrong`."""

    markdown: str
    html: str
    right: bool


@dataclass(frozen=True, slots=True)
class Quiz:
    """A `quiz` or `predict` block: a question with choices or accepted free answers
    (lab.lesson.quiz judges them)."""

    kind: QuizKind
    number: int  # 1-based among the step's quiz and predict blocks: what `answer N` names
    question: str  # Markdown
    question_html: str
    choices: tuple[Choice, ...]  # empty: a free answer
    answers: tuple[str, ...]  # the accepted free answers, as written (`= 0x80041000`)
    explanation: str  # Markdown shown once answered ("" when none)
    explanation_html: str
    path: str
    line: int  # the block's opening fence

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    @property
    def free(self) -> bool:
        return not self.choices

    @property
    def multiple(self) -> bool:
        """Select all that apply: more than one choice is right."""
        return sum(c.right for c in self.choices) > 1

    @property
    def right(self) -> tuple[int, ...]:
        """The right choices' numbers, 1-based."""
        return tuple(i for i, c in enumerate(self.choices, 1) if c.right)


@dataclass(slots=True)
class Step:
    index: int  # 0-based
    title: str
    line: int
    html: str = ""  # the prose, rendered, without the directive blocks
    markdown: str = ""  # the prose as written (for Textual's Markdown widget)
    checks: list[Call] = field(default_factory=list)
    legit: list[Call] = field(default_factory=list)
    solution: list[Call] = field(default_factory=list)
    harden: list[Call] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)
    quizzes: list[Quiz] = field(default_factory=list)  # `quiz` and `predict` blocks, in order
    notes: list[str] = field(default_factory=list)  # instructor-only Markdown (`note` blocks)
    prose: list[tuple[int, str]] = field(default_factory=list)  # (file line, text) outside directives

    @property
    def is_attack(self) -> bool:
        """An attack step names its fix: the validator replays it hardened and expects it to fail."""
        return bool(self.harden)

    @property
    def is_hardening(self) -> bool:
        """A step where the student fixes the weakness: it checks `attack_blocked`, or its
        solution sets a policy switch or applies a patch."""
        return any(c.name == "attack_blocked" for c in self.all_checks) or any(
            a.name in ("set", "patch") for a in self.solution
        )

    @property
    def is_reflection(self) -> bool:
        """What the lesson's last step must be: quizzes and prose, nothing to check on the machine."""
        return (
            not self.all_checks
            and not self.harden
            and bool(self.quizzes)
            and all(q.kind is QuizKind.QUIZ for q in self.quizzes)
            and all(a.name == "answer" for a in self.solution)
        )

    @property
    def predicts(self) -> list[Quiz]:
        return [q for q in self.quizzes if q.kind is QuizKind.PREDICT]

    @property
    def all_checks(self) -> list[Call]:
        return self.checks + self.legit


@dataclass(slots=True)
class Lesson:
    path: Path
    id: str
    title: str
    scenario: Path
    lang: str
    summary: str
    minutes: int
    requires: list[str]
    incident: str
    vm_names: list[str]
    mgmt_password: str | None = None  # the scenario's, as written (variants.mgmt_password varies it)
    secrets: dict[str, str] = field(default_factory=dict)  # VM -> its secret as written (variants.variant)
    variant_vms: list[str] = field(default_factory=list)  # VMs with a variant word (variants.variant_word)
    program_name: str = ""  # the guest program the editor opens with (front matter `program`), if any
    program: str = ""  # ... its source
    intro_html: str = ""
    intro_markdown: str = ""
    notes: list[str] = field(default_factory=list)  # instructor-only notes of the introduction
    steps: list[Step] = field(default_factory=list)

    @property
    def directory(self) -> Path:
        return self.path.parent
