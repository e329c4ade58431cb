"""The course's teaching rules, checked on a parsed lesson without running it.

    for problem in teaching_problems(lesson): ...     # str: `file:line: what to change`

1. Every attack step (it has a `harden` block) and every hardening step (its checks include
   `attack_blocked`, or its solution sets a policy switch or applies a patch) has at least
   MIN_LADDER hints: the concept, where to look, then the command.
2. Such a step's prose does not contain its own solution command (`giveaways`). The prose is
   every line of the step outside its directive blocks, its `##` heading included (hints,
   notes and quizzes are not prose). A line gives a solution line away when it contains:
   - for `type`, `paste` and `start`, the text typed, and for `oob` the console command: the
     same characters (case counts; any run of spaces matches any other), not run into a
     longer word or number on either side;
   - for `set KEY VALUE`, the switch's key, not part of a longer key; for a switch that takes
     a number, the key together with VALUE on the same line (a yes/no switch has one way to
     harden it, so naming it is the answer; for a number, finding the value is the task);
   - for `patch HANDLER FILE`, a line of the patch that the vulnerable handler does not have
     (the fix itself): the original handler without the blocks its policy switches guard
     (`if hv.policy[...]:` and what is indented under it), since those are the hardened
     hypervisor's own fix. Only lines at least FIX_CHARS characters long once spaces are
     removed count, and no comment, docstring, import or `def` line.
   `run`, `reset`, `measure`, `load` and `answer` type nothing a student could copy.
3. The lesson ends with a reflection: its last step has no `check`, `legit` or `harden`
   block, two or three `quiz` blocks (no `predict`), and a solution of `answer` lines only.

These rules are what makes the course teach rather than dictate; `hvlab lessons check`
reports them with the other problems (`--teaching-rules warn` reports them as warnings while
a course is being rewritten).
"""

from __future__ import annotations

import inspect
import re
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from lab.files import FileFormatError, read_text
from lab.hv.hypercalls import lookup
from lab.hv.policy import BY_KEY
from lab.lesson.model import Call, Lesson, QuizKind, Step

MIN_LADDER: Final = 3  # hints an attack or hardening step needs at least
FIX_CHARS: Final = 12  # a patch line shorter than this (spaces removed) gives nothing away
REFLECTION_QUIZZES: Final = (2, 3)  # quiz blocks the closing reflection has, at least and at most
TYPED: Final = ("type", "paste", "start", "oob")  # actions whose TEXT a student would type


@dataclass(frozen=True, slots=True)
class Giveaway:
    """A prose line that holds a solution line's command."""

    line: int  # the prose line
    call: Call  # the solution line it gives away
    what: str  # what of it the prose holds, as a reader sees it


def _typed(text: str) -> re.Pattern[str]:
    words = [re.escape(w) for w in text.split()]
    return re.compile(r"(?<![\w.])" + r"\s+".join(words) + r"(?![\w])")


def _key(key: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w.])" + re.escape(key) + r"(?![\w.])")


def _code_lines(source: str) -> list[str]:
    """A Python file's statement lines, stripped: no comments, docstrings, imports or `def`."""
    out: list[str] = []
    in_doc = False
    for raw in source.splitlines():
        line = raw.strip()
        quotes = line.count('"""') + line.count("'''")
        if in_doc:
            in_doc = quotes % 2 == 0
            continue
        if line.startswith(('"""', "'''")):
            in_doc = quotes % 2 == 1
            continue
        if not line or line.startswith(("#", "import ", "from ", "def ", "@")):
            continue
        out.append(line.split("  #")[0].strip())
    return out


_GUARD: Final = re.compile(r"\s*(?:el)?if\b.*\bhv\.policy\[")


def _vulnerable(source: str) -> str:
    """A handler's source without the blocks a policy switch guards: its vulnerable path."""
    out: list[str] = []
    guard: int | None = None  # the indentation of the guarding `if`, while inside its block
    for line in source.splitlines():
        indent = len(line) - len(line.lstrip())
        if guard is not None and (not line.strip() or indent > guard):
            continue
        guard = indent if _GUARD.match(line) else None
        if guard is None:
            out.append(line)
    return "\n".join(out)


def fix_lines(lesson: Lesson, call: Call) -> list[str]:
    """The lines of a patch that the vulnerable handler does not have: the fix itself."""
    try:
        source = read_text(lesson.directory / call.args["file"])
    except (OSError, FileFormatError):
        return []  # the validator's replay says what is wrong with the file
    fn = lookup(*call.args["handler"])
    try:
        original = (
            set(_code_lines(_vulnerable(textwrap.dedent(inspect.getsource(fn.handler))))) if fn else set()
        )
    except (OSError, TypeError):
        original = set()
    fixes = [line for line in _code_lines(source) if line not in original]
    return [line for line in fixes if len("".join(line.split())) >= FIX_CHARS]


def _patterns(lesson: Lesson, call: Call) -> Iterator[tuple[re.Pattern[str], re.Pattern[str] | None, str]]:
    """What in a prose line would give `call` away: (a pattern, one more that must hold on the
    same line or None, the words a message shows)."""
    if call.name in TYPED and call.args.get("text", "").strip():
        text = call.args["text"]
        yield _typed(text), None, f"`{' '.join(text.split())}`"
    elif call.name == "set":
        key, value = call.args["switch"], call.args["value"]
        if BY_KEY[key].kind is bool:
            yield _key(key), None, f"the switch `{key}`"
        else:
            yield _key(key), _typed(str(value)), f"`{key}` with its value {value}"
    elif call.name == "patch":
        for line in fix_lines(lesson, call):
            yield _typed(line), None, f"the patch's line `{line}`"


def giveaways(lesson: Lesson, step: Step) -> list[Giveaway]:
    """Every prose line of `step` that holds one of its own solution commands."""
    found = []
    for call in step.solution:
        for pattern, also, what in _patterns(lesson, call):
            for line, text in step.prose:
                if pattern.search(text) and (also is None or also.search(text)):
                    found.append(Giveaway(line, call, what))
                    break
    return found


def teaching_problems(lesson: Lesson) -> list[str]:
    """Rules 1 to 3 of the module doc, each problem as `file:line: what to change`."""
    out = []
    for step in lesson.steps:
        name = f"step {step.index + 1} ({step.title})"
        if not (step.is_attack or step.is_hardening):
            continue
        kind = "an attack step" if step.is_attack else "a hardening step"
        if len(step.hints) < MIN_LADDER:
            out.append(
                f"{lesson.path}:{step.line}: {name} is {kind} with {len(step.hints)} hint(s); it needs at "
                f"least {MIN_LADDER}, a ladder: the concept, where to look, then the command"
            )
        for g in giveaways(lesson, step):
            out.append(
                f"{lesson.path}:{g.line}: {name}'s prose gives away its solution: it holds {g.what} "
                f"(solution line {g.call.line}: {g.call.text}); say what to find or achieve, and leave "
                "the command to the last hint"
            )
    if lesson.steps:
        out += _reflection(lesson, lesson.steps[-1])
    return out


def _reflection(lesson: Lesson, last: Step) -> list[str]:
    quizzes = [q for q in last.quizzes if q.kind is QuizKind.QUIZ]
    low, high = REFLECTION_QUIZZES
    where = f"{lesson.path}:{last.line}: the last step ({last.title})"
    if not last.is_reflection:
        return [
            f"{where} is not a reflection: a lesson ends with a step of prose (what was learned, how it "
            f"maps to real systems) and {low} or {high} ```quiz blocks, without check, legit, harden or "
            "predict blocks, answered by a solution of `answer` lines"
        ]
    if not low <= len(quizzes) <= high:
        return [f"{where} has {len(quizzes)} quiz block(s); a reflection asks {low} or {high} questions"]
    return []
