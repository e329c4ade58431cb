"""A student's progress: which steps are done, hints used, attempts, answers, timestamps.

    progress = load(path)                               # ProgressError if it is not progress
    progress.step("control-api", 1).attempts += 1
    save_atomic(path, progress.to_dict())               # a crash mid-save loses nothing

It is plain JSON, keyed by lesson id (the same in every language, so a
student who switches to German keeps their progress). The TUI saves it in the
user's data directory, the web in localStorage; both can export and import
it. `save_atomic` writes a temporary file next to the target, flushes it to
disk and renames it over the target: readers see the old file or the new
one, never half of one. It also keeps the student's seed, so their variant
(their own secrets and password) stays theirs across sessions.

What `load` and `Progress.from_dict` accept, and nothing else (a ProgressError
naming the file says which rule a file breaks): a JSON object with `version` 1,
at most 1 MiB and 32 levels deep, integers of at most 30 digits (lab.files);
an optional `seed` from 0 to 2^32 - 1; an optional `student` (the name or id the student
gave with a course seed, at most MAX_STUDENT_CHARS printable characters); `lessons`
keyed by lesson id, each with `current` (a count), `finished` (a timestamp or null) and `steps` keyed by step
numbers 0 to 999, each with `done` (true or false), `hints` and `attempts`
(counts: integers, 0 or more), `started` and `finished` (seconds since 1970, or null),
and optionally `quizzes` keyed by question numbers 1 to 99, each with `attempts` (a
count), `right` (true, false, or null while unanswered) and `answer` (the answer that
counted, a string of at most MAX_ANSWER_CHARS characters). `hints` is how far down the
step's hint ladder the student went.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from lab.files import MAX_TEXT_BYTES, FileFormatError, parse_json, read_text, shown, text_shown
from lab.lesson.quiz import MAX_ANSWER_CHARS

VERSION: Final = 1
SEEDS: Final = 2**32  # a seed is below this
MAX_PROGRESS_BYTES: Final = MAX_TEXT_BYTES  # the whole course's progress is a few KiB
MAX_STUDENT_CHARS: Final = 80  # a student's name or id, as they gave it with their course seed
MAX_STEP: Final = 999  # step numbers are 0 to this
STEP_KEY: Final = re.compile(r"0|[1-9][0-9]{0,2}")
QUIZ_KEY: Final = re.compile(r"[1-9][0-9]?")  # question numbers 1 to 99


@dataclass(slots=True)
class QuizProgress:
    attempts: int = 0  # answers given
    right: bool | None = None  # None: not answered yet (a quiz answered wrong: False, still open)
    answer: str = ""  # the answer that counted: the right one, or the prediction

    def to_dict(self) -> dict[str, Any]:
        return {"attempts": self.attempts, "right": self.right, "answer": self.answer}


class ProgressError(ValueError):
    """Progress data that is not what `Progress.to_dict` writes."""


@dataclass(slots=True)
class StepProgress:
    done: bool = False
    hints: int = 0  # hints revealed
    attempts: int = 0  # evaluations that found the step not yet done
    started: float | None = None
    finished: float | None = None
    quizzes: dict[int, QuizProgress] = field(default_factory=dict)  # question number (from 1) -> answers

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "done": self.done,
            "hints": self.hints,
            "attempts": self.attempts,
            "started": self.started,
            "finished": self.finished,
        }
        if self.quizzes:
            out["quizzes"] = {str(n): q.to_dict() for n, q in sorted(self.quizzes.items())}
        return out


@dataclass(slots=True)
class LessonProgress:
    steps: dict[int, StepProgress] = field(default_factory=dict)
    current: int = 0
    finished: float | None = None

    def done_steps(self) -> int:
        return sum(1 for s in self.steps.values() if s.done)


@dataclass(slots=True)
class Progress:
    lessons: dict[str, LessonProgress] = field(default_factory=dict)
    # The student's variant (lab.lesson.variants): made once, kept with the progress so a
    # resumed lesson meets the same secrets and password. None: not chosen yet.
    seed: int | None = None
    # Who the student says they are, given with a course seed (`hvlab class seeds`): the name
    # their record carries, which `hvlab verify` checks the seed against. "" when not given.
    student: str = ""

    def own_seed(self) -> int:
        """The student's seed, chosen at random the first time."""
        if self.seed is None:
            self.seed = secrets.randbelow(SEEDS)
        return self.seed

    def lesson(self, lesson_id: str) -> LessonProgress:
        return self.lessons.setdefault(lesson_id, LessonProgress())

    def step(self, lesson_id: str, index: int) -> StepProgress:
        return self.lesson(lesson_id).steps.setdefault(index, StepProgress())

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            **({"seed": self.seed} if self.seed is not None else {}),
            **({"student": self.student} if self.student else {}),
            "lessons": {
                lid: {
                    "current": lp.current,
                    "finished": lp.finished,
                    "steps": {str(i): s.to_dict() for i, s in sorted(lp.steps.items())},
                }
                for lid, lp in sorted(self.lessons.items())
            },
        }

    @classmethod
    def from_dict(cls, data: Any) -> Progress:
        if not isinstance(data, dict) or type(data.get("version")) is not int or data["version"] != VERSION:
            raise ProgressError(f"not hvlab progress data (expected an object with version {VERSION})")
        lessons = data.get("lessons", {})
        if not isinstance(lessons, dict):
            raise ProgressError("lessons must be an object keyed by lesson id")
        seed = data.get("seed")
        if seed is not None and (type(seed) is not int or not 0 <= seed < SEEDS):
            raise ProgressError(f"seed must be an integer from 0 to {SEEDS - 1}, not {shown(seed)}")
        student = data.get("student", "")
        if problem := student_problem(student):
            raise ProgressError(f"student: {problem}")
        progress = cls(seed=seed, student=student)
        for lid, lp in lessons.items():
            try:
                if not isinstance(lp, dict) or not isinstance(lp.get("steps", {}), dict):
                    raise ValueError("must be an object with a steps object")
                steps = {_step(i): _step_progress(s) for i, s in lp.get("steps", {}).items()}
                progress.lessons[lid] = LessonProgress(
                    steps, _count(lp.get("current", 0)), _stamp(lp.get("finished"))
                )
            except ValueError as exc:
                raise ProgressError(f"lesson {text_shown(lid)}: {exc}") from None
        return progress


def student_problem(name: Any) -> str:
    """Why `name` cannot be a student's name or id ("" when it can): a string of at most
    MAX_STUDENT_CHARS printable characters."""
    if not isinstance(name, str):
        return f"must be a string, not {shown(name)}"
    if len(name) > MAX_STUDENT_CHARS:
        return f"must be at most {MAX_STUDENT_CHARS} characters"
    if not name.isprintable():
        return "must be printable characters (no line breaks or control characters)"
    return ""


def _step(key: str) -> int:
    if not STEP_KEY.fullmatch(key):
        raise ValueError(f"step {text_shown(key)} is not a step number from 0 to {MAX_STEP}")
    return int(key)


def _step_progress(s: Any) -> StepProgress:
    if not isinstance(s, dict):
        raise ValueError("a step must be an object")
    done = s.get("done", False)
    if not isinstance(done, bool):
        raise ValueError("done must be true or false")
    quizzes = s.get("quizzes", {})
    if not isinstance(quizzes, dict):
        raise ValueError("quizzes must be an object keyed by question number")
    return StepProgress(
        done=done,
        hints=_count(s.get("hints", 0)),
        attempts=_count(s.get("attempts", 0)),
        started=_stamp(s.get("started")),
        finished=_stamp(s.get("finished")),
        quizzes={_quiz_number(n): _quiz_progress(q) for n, q in quizzes.items()},
    )


def _quiz_number(key: str) -> int:
    if not QUIZ_KEY.fullmatch(key):
        raise ValueError(f"question {text_shown(key)} is not a question number from 1 to 99")
    return int(key)


def _quiz_progress(q: Any) -> QuizProgress:
    if not isinstance(q, dict):
        raise ValueError("a question's progress must be an object")
    right, answer = q.get("right"), q.get("answer", "")
    if right is not None and not isinstance(right, bool):
        raise ValueError(f"right must be true, false or null, not {shown(right)}")
    if not isinstance(answer, str) or len(answer) > MAX_ANSWER_CHARS:
        raise ValueError(f"answer must be a string of at most {MAX_ANSWER_CHARS} characters")
    return QuizProgress(attempts=_count(q.get("attempts", 0)), right=right, answer=answer)


def _count(v: Any) -> int:
    if not isinstance(v, int) or isinstance(v, bool) or v < 0:
        raise ValueError(f"a count must be an integer, 0 or more, not {shown(v)}")
    return v


def _stamp(v: Any) -> float | None:
    if v is None:
        return None
    if not isinstance(v, int | float) or isinstance(v, bool) or not 0 <= v < 1e11:
        raise ValueError(f"a timestamp must be seconds since 1970, not {shown(v)}")
    return float(v)


def save_atomic(path: str | Path, data: dict[str, Any]) -> None:
    """Write `data` as JSON to `path` so that a crash leaves the old file or the new, whole."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, indent=1, sort_keys=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def load(path: str | Path) -> Progress:
    """Progress from a file; an absent file is a fresh start. Anything else that is not a
    progress file (a folder, a file in place of the data folder, not UTF-8, not JSON,
    nested too deep, too big, a number thousands of digits long) is a ProgressError
    naming the file: the caller keeps the file (lab.session moves it aside)."""
    try:
        data = parse_json(read_text(path, limit=MAX_PROGRESS_BYTES), path=path)
    except FileNotFoundError:
        return Progress()
    except FileFormatError as exc:
        raise ProgressError(str(exc)) from None
    try:
        return Progress.from_dict(data)
    except ProgressError as exc:
        raise ProgressError(f"{path}: {exc}") from None
