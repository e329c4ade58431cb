"""Proof of work by replay: a student's record, replayed on this engine, says what they did.

    verdict = verify(read_record("alice.json"), lessons_dir="lessons", key=COURSE_KEY)
    verdict.lessons["control-api"].done          # the steps the replay really completed
    [run.refused for run in verdict.runs]        # "" or why a run does not count

Each run of the record (lab.session.record) is replayed headless by a Session like the
student's, on the record's seed: the lesson is opened and its machine built as the student's
was (a resumed run replays the steps before with their solutions, with the answers it knew),
then every event is done again at exactly its machine time: the guests are run up to it
(`Session.run`), then the command is called with its arguments. The replay keeps its own
record, and after each event the two must agree: the same machine time, step, outcome and
digest of the machine. A step counts when the replay's own checks found it done.

A run does not count (`refused`, with the reason) when it was made on another engine (the
package's version and the digest of its code: `lab.session.record.Engine`), for another
lesson file, under a seed that is not the student's (with the course key: `student_seed`), or
when its replay stops agreeing with it: a command changed, added or removed, or a record
copied and given another seed. What it began knowing (the answers of questions from an
earlier run) must have been answered in an earlier run that counts. The student's clock
(`t`) is shown as time spent; it proves nothing, and a reader should treat it so.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from lab.cpu import backends
from lab.lesson.model import Lesson, QuizKind
from lab.lesson.progress import QuizProgress
from lab.session.course import DEFAULT_LESSONS, Catalogue, SessionError
from lab.session.protocol import argument_problem
from lab.session.record import (
    IDLE,
    RECORDED,
    Event,
    Journal,
    Record,
    Run,
    engine,
    lesson_fingerprint,
    normal_student,
    student_seed,
)
from lab.session.records import Evaluation
from lab.session.session import Session

IDLE_GAP: Final = 600.0  # seconds between two events counted at most as time spent (a pause)
MAX_POLLS: Final = 1_000_000  # idle polls an event may ask for (an hour idle is about 72 000)
MAX_MACHINE_TIME: Final = 10**11  # instructions a run may ask the replay to run (hours of guest work)


@dataclass(slots=True)
class RunVerdict:
    """One run of the record, replayed."""

    number: int  # its place in the record, from 1
    lesson: str
    title: str
    lang: str
    seed: int | None
    from_step: int
    events: int
    refused: str = ""  # why it does not count ("" when it does)
    done: set[int] = field(default_factory=set)  # steps the replay found done
    answers: list[tuple[int, int, bool]] = field(default_factory=list)  # (step, quiz, right) given
    hints: Counter[int] = field(default_factory=Counter)  # hints opened, per step
    known: dict[tuple[int, int], bool] = field(default_factory=dict)  # answers the machine knew at the end
    seconds: float = 0.0  # time spent on the student's clock (pauses cut to IDLE_GAP)

    @classmethod
    def of(cls, run: Run, number: int, refused: str = "") -> RunVerdict:
        """The verdict on `run` before its replay (or refused without one)."""
        return cls(
            number=number,
            lesson=run.lesson,
            title=run.title,
            lang=run.lang,
            seed=run.seed,
            from_step=run.from_step,
            events=len(run.events),
            refused=refused,
            seconds=_seconds(run),
        )


@dataclass(slots=True)
class LessonVerdict:
    """A lesson over every run of it that counts."""

    id: str
    title: str
    steps: int
    quizzes: int  # questions of kind quiz (answered until right) the lesson asks
    kinds: dict[tuple[int, int], QuizKind]  # every question (step, number) and its kind
    hints_available: list[int]  # per step
    done: set[int] = field(default_factory=set)  # steps done in a run that counts
    right: set[tuple[int, int]] = field(default_factory=set)  # quizzes answered right (step, quiz)
    answers: int = 0  # answers given (quizzes and predictions)
    opened: Counter[int] = field(default_factory=Counter)  # hints opened per step, over every run
    seconds: float = 0.0
    runs: int = 0  # runs that count
    refused: int = 0  # runs that do not

    @property
    def complete(self) -> bool:
        return len(self.done) >= self.steps > 0

    @property
    def hints(self) -> int:
        """Hints used: how far down each step's ladder the student went (a hint opened again
        after the last one, or in another run, is not another hint)."""
        available = self.hints_available
        return sum(min(n, available[s]) if s < len(available) else n for s, n in self.opened.items())


@dataclass(slots=True)
class Verdict:
    """A record replayed: who, whether their seed is theirs, and every run and lesson."""

    source: str  # the file (or what the record came from)
    student: str  # the name the record carries (or the roster's, when the record has none)
    seed: int | None
    seed_check: str  # "" unchecked (no course key), "ok", or why the seed is not the student's
    runs: list[RunVerdict] = field(default_factory=list)
    lessons: dict[str, LessonVerdict] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # what a reader should know (not refusals)

    @property
    def refused(self) -> list[RunVerdict]:
        return [r for r in self.runs if r.refused]


class _Refusal(Exception):
    """A run stops counting: the reason."""


# ------------------------------------------------------------------ one run


def _say(event: Event) -> str:
    """An event as a reader recognizes it: `type vm=tenant text='peek 2 0x80001000 32' at time 8581`."""
    shown = []
    for name, value in event.args.items():
        text = repr(value) if isinstance(value, str) else str(value)
        shown.append(f"{name}={text[:47] + '...' if len(text) > 50 else text}")
    return " ".join([event.cmd, *shown]) + f" at time {event.time}"


def _progress_for(session: Session, lesson: Lesson, run: Run) -> None:
    """The progress the student's machine was built from: the steps before `from_step` done
    (a resumed lesson replays them with their solutions) and the answers it knew."""
    book = session.book
    for i in range(run.from_step):
        book.step(lesson.id, i).done = True
    kinds = {(s.index, q.number): q.kind for s in lesson.steps for q in s.quizzes}
    for a in run.answers:
        if (a.step, a.quiz) not in kinds:
            where = f"question {a.quiz} of step {a.step + 1}"
            raise _Refusal(f"it begins knowing an answer to {where}, which the lesson does not ask")
        book.step(lesson.id, a.step).quizzes[a.quiz] = QuizProgress(
            attempts=1, right=a.right, answer="(an earlier run)"
        )


def _new_entries(journal: Journal, seen: int) -> list[dict[str, Any]]:
    journal.flush()
    return [json.loads(line) for line in journal.lines[seen:]]


def _perform(session: Session, event: Event) -> Any:
    """Do `event` again on the replay's machine, at its machine time; its result."""
    lab = session.lab
    assert lab is not None
    hv = lab.hv
    if event.time < hv.time:
        raise _Refusal(f"the machine is at time {hv.time} already: the record goes back in time")
    if event.time > MAX_MACHINE_TIME:
        raise _Refusal(f"it asks for more than {MAX_MACHINE_TIME} instructions of guest work: not replayed")
    if event.cmd == IDLE:
        polls = event.args.get("polls")
        if set(event.args) != {"polls"} or type(polls) is not int or not 1 <= polls <= MAX_POLLS:
            raise _Refusal(f"idle takes polls, a number from 1 to {MAX_POLLS}")
        for _ in range(polls):
            ran = session.run(event.time - hv.time + 1)
            if ran.reason == "budget" or hv.time != event.time:
                raise _Refusal(f"the record has every guest waiting at time {event.time}; here they do not")
        return None
    if event.time > hv.time:
        ran = session.run(event.time - hv.time)
        if hv.time != event.time:
            raise _Refusal(f"every guest waits at time {hv.time}: nothing moves the machine to {event.time}")
    if event.cmd not in RECORDED:
        raise _Refusal(f"{event.cmd!r} is not something a record keeps")
    problem = argument_problem(event.cmd, event.args)
    if problem:
        raise _Refusal(problem)
    try:
        return getattr(session, event.cmd)(**event.args)
    except (SessionError, ValueError, TypeError) as exc:
        raise _Refusal(f"the lab refuses it: {exc}") from None


def _disagreement(event: Event, mine: list[dict[str, Any]], result: Any) -> str:
    """How the replay's own record of `event` differs from the record's ("" when it agrees)."""
    if event.cmd == "evaluate" and not mine:
        failing = []
        if isinstance(result, Evaluation):
            failing = [c.sentence for c in result.checks if not c.done]
            if not result.predicted:
                failing.append("a prediction is not answered")
        why = f": {'; '.join(failing[:2])}" if failing else ""
        return f"the record says step {event.step + 1} was done here; on replay it is not{why}"
    if len(mine) != 1 or "event" not in mine[0]:
        if mine and "event" in mine[0] and mine[0]["event"]["cmd"] == IDLE:
            return f"on replay every guest waits at time {mine[0]['event']['time']}, before it"
        return "the replay does not do it the way the record says"
    got = Event(**mine[0]["event"])
    if got.step != event.step:
        return f"the record has it on step {event.step + 1}, the replay on step {got.step + 1}"
    if got.ok != event.ok:
        if event.ok:
            return "the lab refuses it on replay"
        return "the record has it refused; on replay it is taken"
    if got.outcome != event.outcome:
        return f"the record says {event.outcome!r}, the replay {got.outcome!r}"
    if got.after != event.after:
        return (
            "the machine after it is not the one the record says (the record was changed, "
            "or made under another seed)"
        )
    return ""


def _seconds(run: Run) -> float:
    spent, last = 0.0, run.started
    for event in run.events:
        spent += min(max(event.t - last, 0.0), IDLE_GAP)
        last = max(last, event.t)
    return spent


def replay(
    run: Run,
    number: int,
    *,
    lessons_dir: str | Path = DEFAULT_LESSONS,
    proven: dict[tuple[int, int], bool] | None = None,
) -> RunVerdict:
    """Replay one run; `proven`: the answers earlier runs of its lesson that count ended knowing."""
    verdict = RunVerdict.of(run, number)
    try:
        _replay(run, verdict, lessons_dir, proven or {})
    except _Refusal as exc:
        verdict.refused = str(exc)
        verdict.done.clear()
        verdict.answers.clear()
        verdict.hints.clear()
        verdict.known.clear()
    return verdict


def _replay(
    run: Run, verdict: RunVerdict, lessons_dir: str | Path, proven: dict[tuple[int, int], bool]
) -> None:
    here = engine()
    if (run.engine.hvlab, run.engine.code) != (here.hvlab, here.code):
        raise _Refusal(
            f"made on another engine: hvlab {run.engine.hvlab} (code {run.engine.code[:12]}); this is "
            f"hvlab {here.hvlab} (code {here.code[:12]}): verify it with the version the student used"
        )
    backend = run.backend if run.backend in backends() else "interp"
    session = Session(lessons_dir, backend=backend, seed=run.seed, clock=lambda: run.started)
    try:
        try:
            lesson = session.catalogue.find(run.lesson, run.lang)
        except SessionError as exc:
            raise _Refusal(str(exc)) from None
        if lesson.lang != run.lang:
            raise _Refusal(f"there is no {run.lang!r} text of lesson {run.lesson!r} in {session.lessons_dir}")
        if lesson_fingerprint(lesson.path) != run.file:
            raise _Refusal(
                f"made for another text of the lesson than {lesson.path} (edited since, or another course's)"
            )
        if not 0 <= run.from_step < max(len(lesson.steps), 1):
            raise _Refusal(f"it begins at step {run.from_step + 1}; the lesson has {len(lesson.steps)}")
        for a in run.answers:
            if a.step >= run.from_step and proven.get((a.step, a.quiz)) != a.right:
                raise _Refusal(
                    f"it begins knowing the answer to question {a.quiz} of step {a.step + 1}, "
                    "which no earlier run that counts gave"
                )
        _progress_for(session, lesson, run)
        try:
            session.open_lesson(run.lesson, run.lang)
            session.start(resume=True)
        except SessionError as exc:
            raise _Refusal(f"the lesson does not start: {exc}") from None
        lab = session.lab
        assert lab is not None
        header = json.loads(session.journal.lines[-1])["run"]
        if header["from_step"] != run.from_step or header["time"] != run.time or header["after"] != run.after:
            raise _Refusal("the machine built for it is not the record's (changed, or another seed)")
        for k, event in enumerate(run.events, 1):
            seen = len(session.journal.lines)
            try:
                result = _perform(session, event)
                why = _disagreement(event, _new_entries(session.journal, seen), result)
            except _Refusal as exc:
                why = str(exc)
            if why:
                raise _Refusal(f"event {k} ({_say(event)}): {why}")
            if event.cmd == "evaluate":
                verdict.done.add(event.step)
            elif event.cmd == "answer" and event.ok:
                verdict.answers.append((event.step, int(event.args["quiz"]), event.outcome == "right"))
            elif event.cmd == "hint":
                verdict.hints[event.step] += 1
        verdict.known = dict(lab.answers)
    finally:
        session.close()


# ------------------------------------------------------------------ a record


def verify(
    rec: Record,
    *,
    source: str = "",
    lessons_dir: str | Path = DEFAULT_LESSONS,
    key: str | None = None,
    roster: Iterable[str] = (),
) -> Verdict:
    """Replay every run of `rec`. With the course `key`, each run's seed must be the student's:
    the one `student_seed(key, name)` gives the name the record carries (or, for a record
    without a name, a name of the `roster` whose seed it is)."""
    names = list(roster)
    verdict = Verdict(source=source, student=rec.student, seed=rec.seed, seed_check="")
    expected: int | None = None
    if key is not None:
        if not rec.student and names:
            owners = [n for n in names if student_seed(key, n) == rec.seed]
            verdict.student = owners[0] if owners else ""
        if not verdict.student:
            verdict.seed_check = "the record names no student, and its seed is no one's on the roster"
        else:
            expected = student_seed(key, verdict.student)
            verdict.seed_check = "ok"
            if names and normal_student(verdict.student) not in {normal_student(n) for n in names}:
                verdict.notes.append(f"{verdict.student!r} is not on the roster")
    else:
        verdict.notes.append("seeds not checked (no course key)")
    proven: dict[str, dict[tuple[int, int], bool]] = {}
    catalogue = Catalogue(lessons_dir)
    for number, run in enumerate(rec.runs, 1):
        if key is not None and (expected is None or run.seed != expected):
            who = verdict.student or "the student"
            refused = f"made under seed {run.seed}, which is not {who}'s: another student's record"
            result = RunVerdict.of(run, number, refused)
            if expected is not None and verdict.seed_check == "ok" and run.seed == rec.seed:
                verdict.seed_check = f"seed {rec.seed} is not {who}'s"
        else:
            result = replay(run, number, lessons_dir=lessons_dir, proven=proven.get(run.lesson, {}))
        verdict.runs.append(result)
        _count(verdict, result, _lesson(catalogue, run), run)
        if not result.refused:
            proven.setdefault(run.lesson, {}).update(result.known)
    return verdict


def _lesson(catalogue: Catalogue, run: Run) -> Lesson | None:
    try:
        return catalogue.find(run.lesson, run.lang)
    except SessionError:
        return None


def _count(verdict: Verdict, result: RunVerdict, lesson: Lesson | None, run: Run) -> None:
    """Add a run to its lesson's totals (a refused run only to the count of refusals)."""
    lv = verdict.lessons.get(run.lesson)
    if lv is None:
        steps = lesson.steps if lesson is not None else []
        lv = verdict.lessons[run.lesson] = LessonVerdict(
            id=run.lesson,
            title=run.title,
            steps=len(steps) or run.steps,
            quizzes=sum(1 for s in steps for q in s.quizzes if q.kind is QuizKind.QUIZ),
            kinds={(s.index, q.number): q.kind for s in steps for q in s.quizzes},
            hints_available=[len(s.hints) for s in steps],
        )
    if result.refused:
        lv.refused += 1
        return
    lv.runs += 1
    lv.done |= result.done
    lv.answers += len(result.answers)
    lv.right |= {(s, q) for s, q, right in result.answers if right and lv.kinds.get((s, q)) is QuizKind.QUIZ}
    lv.seconds += result.seconds
    lv.opened.update(result.hints)
