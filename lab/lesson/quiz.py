"""Questions with checked answers: the `quiz` and `predict` blocks of a lesson.

    ```quiz
    Which address does the bank keep its secret at?
    = 0x80001000
    > The bank's program stores it there before its first prompt.
    ```

A block is the question (Markdown, its first lines), then either choices, `- [x] right`
and `- [ ] wrong` (one `[x]`: pick one; several: select all that apply), or one or more
accepted free answers, `= ANSWER`, then optionally `> explanation` lines (Markdown)
shown once the question is answered. A choice may go on over following lines indented
by two spaces or more.

    quiz = read_quiz(QuizKind.QUIZ, text, number=1, path=..., line=12, render=render)
    judge(quiz, "0x80001000")     # True; "2147487744" too: a number matches by value
    judge(quiz, "1,3")            # choices: their numbers, 1-based, comma- or space-separated
    wrong_answers(quiz)           # what the validator tries, each of which must be refused

A free answer that is a number (`0x80041000`, `42`, `-3`, `0b101`, `0o17`, `_` allowed)
matches a student's answer of the same value written in any of those bases; any other
free answer matches text that is the same ignoring case and the amount of whitespace.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

from lab.lesson.model import Choice, Problem, Quiz, QuizKind

CHOICE: Final = re.compile(r"^[-*] \[([ xX])\]\s+(.*)$")
ANSWER_PREFIX: Final = "="
EXPLANATION_PREFIX: Final = ">"
MAX_ANSWER_CHARS: Final = 200  # a student's answer is cut to this before it is judged or kept
CONTINUATION: Final = "  "  # a line indented this much goes on with the choice above it


def read_quiz(
    kind: QuizKind,
    content: str,
    *,
    number: int,
    path: str,
    line: int,
    render: Callable[[str], str],
) -> tuple[Quiz | None, list[Problem]]:
    """A block's text -> the quiz, or None and the problems (each at its file line).
    `line` is the opening fence's line; the content starts on the next."""
    problems: list[Problem] = []
    question: list[str] = []
    choices: list[tuple[bool, list[str]]] = []
    answers: list[str] = []
    explanation: list[str] = []
    block = f"a {kind.value} block"

    def problem(n: int, message: str) -> None:
        problems.append(Problem(path, line + 1 + n, message))

    for n, raw in enumerate(content.splitlines()):
        text = raw.rstrip()
        stripped = text.strip()
        choice = CHOICE.match(stripped)
        if stripped.startswith(EXPLANATION_PREFIX) and (choices or answers):
            explanation.append(stripped[1:].removeprefix(" "))
        elif explanation and stripped:
            problem(n, f"{block} ends with its `>` explanation lines; this line comes after them")
        elif choice:
            if answers:
                problem(n, f"{block} has `=` free answers or `- [ ]` choices, not both")
            choices.append((choice.group(1) != " ", [choice.group(2)]))
        elif stripped.startswith(ANSWER_PREFIX):
            if choices:
                problem(n, f"{block} has `=` free answers or `- [ ]` choices, not both")
            value = stripped[1:].strip()
            if not value:
                problem(n, "an empty `=` answer: write the accepted answer after the `=`")
            else:
                answers.append(value)
        elif choices and text.startswith(CONTINUATION) and stripped:
            choices[-1][1].append(stripped)
        elif choices or answers:
            if stripped:
                problem(
                    n,
                    f"{block}: expected a choice (`- [x] ...`, `- [ ] ...`), an answer (`= ...`) or an "
                    f"explanation (`> ...`), not {stripped[:40]!r}",
                )
        else:
            question.append(text)
    if not "\n".join(question).strip():
        problems.append(Problem(path, line, f"{block} needs a question: its first lines, before the answers"))
    if not choices and not answers:
        problems.append(
            Problem(
                path,
                line,
                f"{block} needs choices (`- [x] right`, `- [ ] wrong`) or free answers (`= answer`)",
            )
        )
    elif choices and not any(right for right, _ in choices):
        problems.append(Problem(path, line, f"{block}'s choices need a right one: mark it `- [x]`"))
    elif choices and len(choices) < 2:
        problems.append(Problem(path, line, f"{block} with choices needs at least two of them"))
    if problems:
        return None, problems
    question_md = "\n".join(question).strip()
    explanation_md = "\n".join(explanation).strip()
    return (
        Quiz(
            kind=kind,
            number=number,
            question=question_md,
            question_html=render(question_md),
            choices=tuple(
                Choice(" ".join(words), _inline(render(" ".join(words))), right) for right, words in choices
            ),
            answers=tuple(answers),
            explanation=explanation_md,
            explanation_html=render(explanation_md) if explanation_md else "",
            path=path,
            line=line,
        ),
        [],
    )


def _inline(html: str) -> str:
    """A one-paragraph rendering without its <p>: a choice sits inside a label."""
    html = html.strip()
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        return html[3:-4]
    return html


# ------------------------------------------------------------------ judging


def number(text: str) -> int | None:
    """The integer `text` spells (decimal, 0x hex, 0b binary, 0o octal, `_` allowed), else None."""
    s = text.strip().replace("_", "")
    if not s or len(s) > 80:
        return None
    sign = -1 if s.startswith("-") else 1
    s = s.lstrip("+-")
    try:
        return sign * (int(s, 10) if s.isdigit() else int(s, 0))
    except ValueError:
        return None


def _words(text: str) -> str:
    return " ".join(text.split()).casefold()


def choice_numbers(value: str, count: int) -> tuple[int, ...] | None:
    """`"1,3"` or `"1 3"` -> (1, 3) when every number names one of `count` choices, else None."""
    parts = [p for p in re.split(r"[\s,;]+", value.strip()) if p]
    if not parts or not all(p.isdigit() for p in parts):
        return None
    numbers = tuple(sorted({int(p) for p in parts}))
    return numbers if all(1 <= n <= count for n in numbers) else None


def judge(quiz: Quiz, value: str) -> bool:
    """Is `value` a right answer? Choices: the set of numbers is exactly the right ones."""
    value = value[:MAX_ANSWER_CHARS]
    if quiz.choices:
        return choice_numbers(value, len(quiz.choices)) == quiz.right
    given = number(value)
    for accepted in quiz.answers:
        wanted = number(accepted)
        if wanted is not None:
            if given == wanted:
                return True
        elif _words(value) == _words(accepted):
            return True
    return False


def refusal(quiz: Quiz, value: str) -> str:
    """Why `value` cannot even be judged ("" when it can): a choice number out of range."""
    if quiz.choices and choice_numbers(value, len(quiz.choices)) is None:
        return f"answer with choice numbers from 1 to {len(quiz.choices)}, such as 1 or 1,3"
    if not value.strip():
        return "an empty answer"
    return ""


def right_answer(quiz: Quiz) -> str:
    """One right answer, as a solution's `answer N VALUE` writes it."""
    return ",".join(map(str, quiz.right)) if quiz.choices else quiz.answers[0]


def wrong_answers(quiz: Quiz) -> list[str]:
    """Answers that must be refused: every other single choice, the right set with one more or
    one fewer choice; for free answers, a value next to each number (and its digits read in
    the other base), and each text with a letter changed."""
    if quiz.choices:
        right = set(quiz.right)
        count = len(quiz.choices)
        tries: list[set[int]] = [{i} for i in range(1, count + 1) if {i} != right]
        tries += [right | {i} for i in range(1, count + 1) if i not in right]
        if len(right) > 1:
            tries += [right - {i} for i in right]
        seen: list[str] = []
        for t in tries:
            text = ",".join(map(str, sorted(t)))
            if t and text not in seen:
                seen.append(text)
        return seen
    out: list[str] = []
    for accepted in quiz.answers:
        value = number(accepted)
        if value is not None:
            out += [str(value + 1), hex(value - 1)]
            digits = accepted.strip().lower().removeprefix("0x")
            if accepted.strip().lower().startswith("0x") and digits.isdigit():
                out.append(digits)  # the hex digits read as decimal: a classic slip
        else:
            out.append(accepted[:-1] + ("x" if accepted[-1:] != "x" else "y"))
    accepted_right = [w for w in out if judge(quiz, w)]
    return [w for w in dict.fromkeys(out) if w not in accepted_right]
