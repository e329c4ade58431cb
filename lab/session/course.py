"""The course a session serves: the lessons under a directory, and one student's progress.

    lessons = Catalogue(Path("lessons"))
    lessons.find("control-api", "de")      # the German text, else the English one
    lessons.ids()                          # every lesson id, in file order
    book = ProgressBook(path, seed=STUDENT, clock=time.time)
    book.step_began("control-api", 1)      # saved at once: a crash loses nothing
    book.answered("control-api", 1, 1, "2", right=True, prediction=False)   # a question answered
    book.first_open("control-api", 4)      # where a resumed lesson begins: the first step not done
    book.seed                              # the student's own variant (lab.lesson.variants)

A lesson that fails to parse is left out and named in `Catalogue.problems`. A
progress file that cannot be read is moved aside, never overwritten, and the
student starts afresh; `ProgressBook.problem` says why and where the old file went.
Every change to the progress is written at once (atomically, lab.lesson.progress).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final, Literal

from lab.lesson import progress as progress_io
from lab.lesson.model import Lesson, LessonError
from lab.lesson.parser import find_lessons, parse_lesson
from lab.lesson.variants import PLACEHOLDER, fill, student_values


def course_directory() -> Path:
    """The course's lessons: `lab/course/` when hvlab is installed (the wheel carries a copy of the
    checkout's `lessons/`, see setup.py), else `lessons/` at the root of the checkout."""
    lab = Path(__file__).resolve().parents[1]
    installed = lab / "course"
    return installed if installed.is_dir() else lab.parent / "lessons"


DEFAULT_LESSONS: Final = course_directory()
STUDENT: Final = "student"  # seed=STUDENT: the student's own variant, kept in their progress
SeedChoice = int | Literal["student"] | None  # a fixed seed, STUDENT, or the course as written


class SessionError(Exception):
    """A request the session cannot serve (no lesson open, an unknown lesson or VM)."""


class Catalogue:
    """The lessons under one directory, parsed once, each id in every language it has.
    `changed()` says whether a file under the directory changed since they were read
    (an instructor's preview polls it), `refresh()` reads them again on the next use."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self._lessons: list[Lesson] | None = None
        self._stamp: Stamp | None = None  # the directory's files when the lessons were read
        self.problems: list[str] = []  # lessons that failed to parse, as `file:line: what`

    def all(self) -> list[Lesson]:
        if self._lessons is None:
            self._stamp = stamp(self.directory)
            self._lessons, self.problems = [], []
            for path in find_lessons([self.directory]):
                try:
                    self._lessons.append(parse_lesson(path))
                except LessonError as exc:
                    self.problems.append(str(exc))
        return self._lessons

    def changed(self) -> bool:
        """Has a file under the directory changed, come or gone since the lessons were read?"""
        return self._stamp is not None and stamp(self.directory) != self._stamp

    def refresh(self) -> None:
        """Read the lessons again on the next use (a lesson file is parsed again only if its
        text changed: lab.lesson.parser keeps them by path and text)."""
        self._lessons = None

    def ids(self) -> list[str]:
        """Every lesson id once, in file order."""
        return list(dict.fromkeys(x.id for x in self.all()))

    def find(self, lesson_id: str, lang: str) -> Lesson:
        """The lesson in `lang`, else in English, else in whatever language it has."""
        matches = [x for x in self.all() if x.id == lesson_id]
        if not matches:
            raise SessionError(f"no lesson {lesson_id!r} in {self.directory}")
        return next(
            (x for x in matches if x.lang == lang), next((x for x in matches if x.lang == "en"), matches[0])
        )


Stamp = frozenset[tuple[str, int, int]]  # (path, mtime in ns, size) of every file under a folder


def stamp(directory: Path) -> Stamp:
    """Every file under `directory` with its modification time and size: a cheap way to
    notice a change (a folder of lessons, scenarios and programs has some tens of files)."""
    out = set()
    for path in directory.rglob("*"):
        try:
            info = path.stat()
        except OSError:
            continue  # gone meanwhile
        if path.is_file() and "__pycache__" not in path.parts:
            out.add((str(path), info.st_mtime_ns, info.st_size))
    return frozenset(out)


def own_words(lesson: Lesson, text: str, seed: int | None, *, as_html: bool = False) -> str:
    """A lesson's prose with the student's own values (`{password}`, `{secret:VM}`, ...) filled in."""
    if not PLACEHOLDER.search(text):
        return text  # (and the wordlist is not even read)
    values = student_values(
        seed, password=lesson.mgmt_password, secrets=lesson.secrets, variant_vms=lesson.variant_vms
    )
    return fill(text, values, as_html=as_html)


class ProgressBook:
    """One student's progress and seed, from and to the progress file (none: kept in memory)."""

    def __init__(
        self, path: str | Path | None, *, seed: SeedChoice = None, clock: Callable[[], float] = time.time
    ) -> None:
        self.path = Path(path) if path else None
        self.clock = clock
        self._seed = seed
        self.problem = ""  # why the progress file could not be read ("" when it could)
        self.progress = self._load()
        if seed == STUDENT:
            self.progress.own_seed()

    def _load(self) -> progress_io.Progress:
        if self.path is None:
            return progress_io.Progress()
        try:
            return progress_io.load(self.path)
        except progress_io.ProgressError as exc:
            kept = self.path.with_name(f"{self.path.name}.unreadable-{time.strftime('%Y%m%d-%H%M%S')}")
            try:
                self.path.replace(kept)
            except OSError as err:
                self.problem = f"{exc}; cannot move it aside ({err}), so progress is not saved"
                self.path = None  # never write over what the student may still want
            else:
                self.problem = f"{exc}; kept as {kept}, starting afresh"
            return progress_io.Progress()

    @property
    def seed(self) -> int | None:
        """The variant the machines are built in (lab.lesson.variants): a fixed seed, the
        student's own from their progress (seed=STUDENT), or None for the course as written."""
        if self._seed == STUDENT:
            return self.progress.seed
        return self._seed

    def save(self) -> None:
        if self.path is not None:
            progress_io.save_atomic(self.path, self.progress.to_dict())

    def replace(self, data: dict[str, Any]) -> str:
        """Take over a progress file's data; "" or why it was refused (nothing changes then)."""
        try:
            progress = progress_io.Progress.from_dict(data)
        except progress_io.ProgressError as exc:
            return str(exc)
        if self._seed == STUDENT and progress.seed is None:
            progress.seed = self.progress.seed  # older files carry no seed: keep this one
        self.progress = progress
        self.save()
        return ""

    # -- what the student did

    def current(self, lesson_id: str) -> int:
        return self.progress.lesson(lesson_id).current

    def first_open(self, lesson_id: str, steps: int) -> int:
        """The first step not done (the last step when every one is): where a lesson resumes."""
        done = self.progress.lesson(lesson_id).steps
        return next((i for i in range(steps) if not (i in done and done[i].done)), max(steps - 1, 0))

    def step(self, lesson_id: str, index: int) -> progress_io.StepProgress:
        return self.progress.step(lesson_id, index)

    def quiz(self, lesson_id: str, index: int, number: int) -> progress_io.QuizProgress | None:
        """What the student answered to question `number` of step `index` (None: nothing yet)."""
        lp = self.progress.lessons.get(lesson_id)
        step = lp.steps.get(index) if lp else None
        return step.quizzes.get(number) if step else None

    def answered(
        self, lesson_id: str, index: int, number: int, value: str, *, right: bool, prediction: bool
    ) -> None:
        """An answer to question `number` of step `index`: counted, and kept when it counts (a
        right one, or a prediction, which is answered once)."""
        quiz = self.progress.step(lesson_id, index).quizzes.setdefault(number, progress_io.QuizProgress())
        quiz.attempts += 1
        quiz.right = right
        if right or prediction:
            quiz.answer = value[: progress_io.MAX_ANSWER_CHARS]
        self.save()

    def finished(self, lesson_id: str) -> bool:
        return self.progress.lesson(lesson_id).finished is not None

    def done_steps(self, lesson_id: str) -> int:
        lp = self.progress.lessons.get(lesson_id)
        return lp.done_steps() if lp else 0

    def hints(self, lesson_id: str, step: int) -> int:
        return self.progress.step(lesson_id, step).hints

    def step_began(self, lesson_id: str, index: int) -> None:
        self.progress.lesson(lesson_id).current = index
        record = self.progress.step(lesson_id, index)
        if record.started is None:
            record.started = self.clock()
        self.save()

    def attempted(self, lesson_id: str, index: int) -> None:
        self.progress.step(lesson_id, index).attempts += 1
        self.save()

    def step_done(self, lesson_id: str, index: int, *, last: bool) -> None:
        """Step `index` is done; the last step's completion finishes the lesson."""
        record = self.progress.step(lesson_id, index)
        record.done, record.finished = True, self.clock()
        if last:
            lp = self.progress.lesson(lesson_id)
            lp.finished = lp.finished or self.clock()
            lp.current = index
        self.save()

    def done(self, lesson_id: str, index: int) -> bool:
        """The student did step `index` (once, at least)."""
        lp = self.progress.lessons.get(lesson_id)
        return bool(lp and index in lp.steps and lp.steps[index].done)

    def hint_shown(self, lesson_id: str, index: int, shown: int) -> None:
        self.progress.step(lesson_id, index).hints = shown
        self.save()
