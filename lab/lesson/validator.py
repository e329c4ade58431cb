"""`hvlab lessons check [PATH ...]`: prove that every lesson works and teaches.

For each lesson file:

1. It parses: every problem of the file at its line, all in one run (lab.lesson.parser).
2. Without running it: every step has a hint (the reflection need not), every predicate it
   checks has a sentence in the lesson's language (lab.lesson.sentences), every quiz and
   prediction is answered by its step's solution (a prediction before the solution acts), a
   right answer is accepted in every form (a number in decimal and in hex) and wrong ones
   are refused (every other choice, the right set with one more or one fewer, a value next
   to each number); and the course's teaching rules (lab.lesson.teaching): ladders of hints,
   prose that does not hand over its own command, a closing reflection.
3. On each CPU backend this Python has (`lab.cpu.backends()`), from a fresh scenario (with
   the scenario's own secrets and with a seeded variant, see lab.lesson.variants), step by
   step: the step's checks must NOT all hold before its solution (a check that passes
   whatever the student does teaches nothing), and after it the checks must hold and every
   quiz be answered.
4. For each attack step (a step with a `harden` block): in a fresh scenario with the harden
   actions applied first, replay the steps up to it; the attack's checks must fail, and
   every `legit` check must still pass.
5. Every translation (same `id`, other `lang`) has the same steps, checks, legitimate-use
   checks, solutions, harden actions and quizzes (kinds, choices, which are right, numeric
   answers); only prose, and the words of a free text answer, differ.

`check` prints one line per lesson file (`-v`: one per step and hardened replay, with each
check's internal line and the sentence a student reads) and, at the end, every problem with
its file and line; it returns non-zero when anything fails.

    reports, errors = validate([Path("lessons")])      # -> list[LessonReport], cross-lesson errors
"""

from __future__ import annotations

import contextlib
import re
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

from lab.cpu import backends
from lab.files import FileFormatError, read_text
from lab.lesson.actions import HARDENING
from lab.lesson.engine import ActionError, Lab
from lab.lesson.model import Lesson, LessonError, Quiz, QuizKind, Step
from lab.lesson.parser import find_lessons, parse_lesson
from lab.lesson.quiz import judge, number, right_answer, wrong_answers
from lab.lesson.registry import REGISTRY
from lab.lesson.sentences import SENTENCES, sentence
from lab.lesson.teaching import teaching_problems
from lab.scenario import ScenarioError, load_scenario

# The scenario's own secrets, and one per-student variant (lab.lesson.variants).
SEEDS: Final[tuple[int | None, ...]] = (None, 7)


class TeachingRules(StrEnum):
    """How the teaching rules (lab.lesson.teaching) count: as errors, or as warnings while a
    course is being rewritten to follow them."""

    ERROR = "error"
    WARN = "warn"


@dataclass(slots=True)
class LessonReport:
    path: str
    lesson: Lesson | None
    lines: list[str] = field(default_factory=list)  # "ok  ..." / "FAIL ..." per step (shown with -v)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # teaching rules, when they only warn
    runs: int = 0  # backend and seed combinations run
    hardened: int = 0  # hardened replays that blocked the attack
    proved_by: str = ""  # a translation the same as its original in all but words: the original

    @property
    def ok(self) -> bool:
        return not self.errors


def check_lesson(lesson: Lesson, backend: str, report: LessonReport, seed: int | None = None) -> None:
    """Steps 3 and 4 of the module doc, on one backend and seed (one machine, reset in between)."""
    lab = Lab(lesson, backend=backend, seed=seed)
    tag = backend if seed is None else f"{backend} seed {seed}"
    report.runs += 1
    try:
        lab.start()
        if not _check_steps(lab, tag, report):
            return  # the hardened replays would only repeat the failure
        for step in lesson.steps:
            if step.is_attack:
                _check_hardened(lab, tag, step.index, report)
    except LessonError as exc:
        report.errors.append(str(exc))
        report.lines.append(f"FAIL {lesson.id} [{tag}]: {exc}")
    finally:
        lab.close()


# One run of a lesson on one backend and seed, as a job of its own: the runs of a course are
# independent machines, so `validate(jobs=N)` spreads them over N processes (forked, so each
# inherits the parsed lessons and the programs already assembled: nothing is done twice).
_RUN_LESSONS: list[Lesson] = []


@dataclass(frozen=True, slots=True)
class _Run:
    lesson: int  # index into _RUN_LESSONS
    backend: str
    seed: int | None


def _run(run: _Run) -> tuple[list[str], list[str], int, int]:
    part = LessonReport("", None)
    check_lesson(_RUN_LESSONS[run.lesson], run.backend, part, run.seed)
    return part.lines, part.errors, part.runs, part.hardened


def _forking() -> Any:
    """multiprocessing's fork context, or None where there is none (Windows; Pyodide, whose
    standard library in the page leaves multiprocessing out: web/build.py)."""
    try:
        import multiprocessing
    except ImportError:
        return None
    return multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None


def _runs_in_processes(
    runs: list[_Run], jobs: int, corpora: list[Path] | None = None
) -> Iterator[tuple[list[str], list[str], int, int]]:
    """The runs' results in order: in `jobs` forked processes where the platform forks (CPython on
    Linux and macOS), else here, one after the other (Windows' spawn, Pyodide's single thread).
    `corpora`: lesson folders whose recorded runs (lab/lesson/corpus.py) some run scores against:
    one process builds each first, into the cache every run then reads, while the others start
    on the runs (each run that needs it would otherwise build it again, at the same time)."""
    context = _forking() if jobs > 1 and len(runs) > 1 else None
    if context is not None:
        with context.Pool(min(jobs, len(runs))) as pool:
            for directory in corpora or ():
                pool.apply_async(_build_corpus, (directory,))
            yield from pool.imap(_run, runs)
        return
    for run in runs:
        yield _run(run)


def _build_corpus(directory: Path) -> None:
    """Record the course's runs for `directory` into the cache (a failure is the runs' to report)."""
    from lab.lesson.corpus import CorpusError, corpus_for

    with contextlib.suppress(CorpusError, LessonError, OSError, ValueError):
        corpus_for(directory)


def _scored_folders(lessons: list[Lesson]) -> list[Path]:
    """The folders of the lessons with a check that scores against the recorded runs."""
    folders = {
        lesson.directory
        for lesson in lessons
        for step in lesson.steps
        if any(REGISTRY[c.name].corpus for c in step.all_checks)
    }
    return sorted(folders)


def _prepare(lessons: list[Lesson], backends_used: list[str]) -> None:
    """What every run would otherwise do first, done once before the runs fork: assemble each
    scenario's programs (cached per process) and let each backend calibrate itself."""
    seen: set[tuple[Path, str]] = set()
    for lesson in lessons:
        for backend in backends_used:
            key = (lesson.scenario, backend)
            if key in seen:
                continue
            seen.add(key)
            with contextlib.suppress(ScenarioError, OSError, ValueError):  # the run reports it
                load_scenario(lesson.scenario, backend=backend)


def _check_steps(lab: Lab, backend: str, report: LessonReport) -> bool:
    lesson = lab.lesson
    for step in lesson.steps:
        name = f"{lesson.id} [{backend}] step {step.index + 1} ({step.title})"
        lab.begin_step(step.index)
        if step.checks and lab.holds(step.checks):
            _fail(report, name, f"{step.checks[0].where}: its checks already hold before the solution ran")
        failed: list[str] = []
        try:
            for call in step.solution:
                lab.perform(call)
        except ActionError as exc:
            failed.append(f"solution failed: {exc}")
        for r in lab.results(step.all_checks):
            if not r.ok:
                why = f" ({r.error or r.detail})" if r.error or r.detail else ""
                failed.append(f"{r.call.where}: check fails after the solution: {r.call.text}{why}")
        if not failed and not lab.quizzes_done(step.index):
            failed.append(f"{step.quizzes[0].where}: the solution leaves a quiz of the step unanswered")
        if failed:
            for f in failed:
                _fail(report, name, f)
            return False  # later steps build on this one
        report.lines.append(f"ok   {name}")
    return True


def _check_hardened(lab: Lab, backend: str, index: int, report: LessonReport) -> None:
    step = lab.lesson.steps[index]
    name = f"{lab.lesson.id} [{backend}] step {index + 1} hardened"
    try:
        lab.reset_lesson()
        for call in step.harden:
            lab.perform(call)
        if all(call.name in HARDENING for call in step.harden):
            # The hardening is a policy and patches, nothing else: the same replay as the
            # `attack_blocked` check of a student who hardened so (the step after, as a rule),
            # whose answer the lab keeps: played once, not twice.
            blocked, why = lab.attack_outcome(upto=index)
        else:
            blocked, why = lab.replay_attacks(index)
    except ActionError as exc:
        blocked, why = False, str(exc)
    if blocked:
        report.hardened += 1
        report.lines.append(f"ok   {name}: attack blocked, legitimate use works")
    else:
        _fail(report, name, why)


def _fail(report: LessonReport, name: str, why: str) -> None:
    report.lines.append(f"FAIL {name}: {why}")
    report.errors.append(f"{name}: {why}")


# ------------------------------------------------------------------ without running it


def static_problems(lesson: Lesson) -> list[str]:
    """Step 2 of the module doc, but for the teaching rules: `file:line: what` each."""
    out = []
    for step in lesson.steps:
        if not step.hints and not (step is lesson.steps[-1] and step.is_reflection):
            out.append(f"{lesson.path}:{step.line}: step {step.index + 1} ({step.title}) has no hint")
        for call in step.all_checks:
            if lesson.lang not in SENTENCES.get(call.name, {}):
                out.append(
                    f"{call.where}: {call.name} has no sentence in {lesson.lang} for students to read: "
                    "add one to lab/lesson/sentences.py"
                )
        out += _answered(lesson, step)
        for quiz in step.quizzes:
            out += quiz_problems(quiz)
    return out


def _answered(lesson: Lesson, step: Step) -> list[str]:
    """Every quiz of the step is answered by its solution; every prediction before it acts."""
    out = []
    answers = {c.args["n"]: i for i, c in enumerate(step.solution) if c.name == "answer"}
    first_act = next((i for i, c in enumerate(step.solution) if c.name != "answer"), len(step.solution))
    for call in step.solution:
        if call.name == "answer" and 1 <= call.args["n"] <= len(step.quizzes):
            if not judge(step.quizzes[call.args["n"] - 1], call.args["text"]):
                out.append(
                    f"{call.where}: {call.text}: {call.args['text']!r} is not a right answer to quiz "
                    f"{call.args['n']}"
                )
    for quiz in step.quizzes:
        at = answers.get(quiz.number)
        if at is None:
            out.append(
                f"{quiz.where}: {quiz.kind.value} {quiz.number} of step {step.index + 1} is never answered "
                f"by the step's solution: add `answer {quiz.number} {right_answer(quiz)}` to it"
            )
        elif quiz.kind is QuizKind.PREDICT and at > first_act:
            line = step.solution[at].line
            out.append(
                f"{lesson.path}:{line}: predict {quiz.number} is asked before the student acts: move "
                f"`answer {quiz.number} ...` above the solution's first action"
            )
    return out


def quiz_problems(quiz: Quiz) -> list[str]:
    """A right answer is accepted in every form, and every wrong answer tried is refused."""
    out = []
    rights = [right_answer(quiz)]
    for accepted in quiz.answers:
        value = number(accepted)
        forms = [str(value), hex(value), f"  {accepted.upper()} "] if value is not None else []
        rights += [accepted, *forms]
    for right in rights:
        if not judge(quiz, right):
            out.append(f"{quiz.where}: the right answer {right!r} is refused")
    wrong = wrong_answers(quiz)
    if not wrong:
        out.append(f"{quiz.where}: no wrong answer to try: every answer tried is accepted")
    for value in wrong:
        if judge(quiz, value):
            out.append(f"{quiz.where}: the wrong answer {value!r} is accepted")
    return out


# ------------------------------------------------------------------ translations


def compare_translations(lessons: list[Lesson]) -> list[str]:
    """Errors for translations that differ from the English original in anything but prose."""
    errors = []
    by_id: dict[str, list[Lesson]] = {}
    for lesson in lessons:
        by_id.setdefault(lesson.id, []).append(lesson)
    for lesson_id, group in by_id.items():
        langs = [x.lang for x in group]
        for lang in set(langs):
            if langs.count(lang) > 1:
                paths = ", ".join(str(x.path) for x in group if x.lang == lang)
                errors.append(f"lesson {lesson_id!r} exists twice in {lang}: {paths}")
        original = next((x for x in group if x.lang == "en"), group[0])
        for other in group:
            if other is not original:
                errors += [f"{other.path}: {e}" for e in _differences(original, other)]
    return errors


def _quiz_key(quiz: Quiz) -> tuple[object, ...]:
    """What a translated quiz keeps: its kind, its choices and which are right, numeric answers."""
    numbers = sorted(v for v in map(number, quiz.answers) if v is not None)
    return quiz.kind, len(quiz.choices), quiz.right, numbers, bool(quiz.answers)


def _solution_key(step: Step) -> list[tuple[object, ...]]:
    """A solution's lines as translations share them: the words of a free text answer may differ."""
    out: list[tuple[object, ...]] = []
    for call in step.solution:
        if call.name == "answer" and 1 <= call.args["n"] <= len(step.quizzes):
            quiz = step.quizzes[call.args["n"] - 1]
            if quiz.answers and all(number(a) is None for a in quiz.answers):
                out.append(("answer", call.args["n"], "(text)"))
                continue
            value = number(call.args["text"])
            out.append(("answer", call.args["n"], value if value is not None else call.args["text"]))
        else:
            out.append(call.key())
    return out


def _differences(a: Lesson, b: Lesson) -> list[str]:
    out = []
    for key in ("scenario", "minutes", "requires", "program_name"):
        if getattr(a, key) != getattr(b, key):
            out.append(f"{key} differs from {a.path} ({getattr(b, key)!r} vs {getattr(a, key)!r})")
    if len(a.steps) != len(b.steps):
        return [*out, f"has {len(b.steps)} steps, {a.path} has {len(a.steps)}"]
    for sa, sb in zip(a.steps, b.steps, strict=True):
        for block in ("checks", "legit", "harden"):
            ka = [c.key() for c in getattr(sa, block)]
            kb = [c.key() for c in getattr(sb, block)]
            if ka != kb:
                out.append(f"line {sb.line}: step {sb.index + 1}'s {block} differ from {a.path}:{sa.line}")
        if _solution_key(sa) != _solution_key(sb):
            out.append(f"line {sb.line}: step {sb.index + 1}'s solution differ from {a.path}:{sa.line}")
        if [_quiz_key(q) for q in sa.quizzes] != [_quiz_key(q) for q in sb.quizzes]:
            out.append(
                f"line {sb.line}: step {sb.index + 1}'s quizzes differ from {a.path}:{sa.line} (their kinds, "
                "choices, which are right, or numeric answers)"
            )
    return out


# ------------------------------------------------------------------ the whole course


def validate(
    paths: list[str | Path],
    *,
    backend_names: list[str] | None = None,
    seeds: tuple[int | None, ...] = SEEDS,
    teaching: TeachingRules = TeachingRules.ERROR,
    echo: Callable[[LessonReport], None] | None = None,
    jobs: int = 1,
) -> tuple[list[LessonReport], list[str]]:
    """Check every lesson under `paths`; returns the per-lesson reports and the cross-lesson errors.
    `echo` hears each report as soon as its lesson is done; `jobs` runs that many machines at once.

    A translation whose steps, checks, solutions, harden actions and quizzes are the original's
    (step 5) is not run again: the original's runs prove the same machine, the same actions and
    the same checks; the translation's own quizzes and teaching rules are still checked."""
    reports: list[LessonReport] = []
    lessons: list[Lesson] = []
    names = backend_names or backends()
    files = find_lessons(list(paths))
    for path in files:
        try:
            lesson = parse_lesson(path)
        except LessonError as exc:
            problems = [str(p) for p in exc.problems]
            reports.append(LessonReport(str(path), None, [f"FAIL {p}" for p in problems], problems))
            continue
        lessons.append(lesson)
        report = LessonReport(str(path), lesson)
        for problem in static_problems(lesson):
            report.errors.append(problem)
            report.lines.append(f"FAIL {problem}")
        rules = teaching_problems(lesson)
        (report.errors if teaching is TeachingRules.ERROR else report.warnings).extend(rules)
        report.lines += [f"{'FAIL' if teaching is TeachingRules.ERROR else 'warn'} {r}" for r in rules]
        reports.append(report)
    errors = compare_translations(lessons)
    originals = _originals(lessons)
    runs: list[_Run] = []
    for i, lesson in enumerate(lessons):
        original = originals.get(lesson.path)
        if original is not None and not _differences(original, lesson):
            continue  # proved by its original's runs
        runs += [_Run(i, name, seed) for name in names for seed in seeds]
    global _RUN_LESSONS
    _RUN_LESSONS = lessons
    run_lessons = [lessons[r.lesson] for r in runs]
    if jobs > 1:
        _prepare(run_lessons, names)
    results = _runs_in_processes(runs, jobs, _scored_folders(run_lessons))
    pending = list(runs)
    for report in reports:
        lesson = report.lesson
        if lesson is not None:
            index = lessons.index(lesson)
            while pending and pending[0].lesson == index:
                pending.pop(0)
                lines, errs, n, hardened = next(results)
                report.lines += lines
                report.errors += errs
                report.runs += n
                report.hardened += hardened
            original = originals.get(lesson.path)
            if original is not None and report.runs == 0:
                report.proved_by = str(original.path)
        if echo:
            echo(report)
    for lesson in lessons:
        known = _ids_in(lesson.directory)
        for req in lesson.requires:
            if req not in known:
                errors.append(
                    f"{lesson.path}: requires {req!r}, but no lesson in {lesson.directory} has that id"
                )
    if not files:
        errors.append(f"no lesson files (Markdown starting with {'+++'}) in {', '.join(map(str, paths))}")
    return reports, errors


def _originals(lessons: list[Lesson]) -> dict[Path, Lesson]:
    """Each translation's original: the English lesson with its id (when there is one)."""
    english = {x.id: x for x in lessons if x.lang == "en"}
    return {x.path: english[x.id] for x in lessons if x.lang != "en" and x.id in english}


def _ids_in(directory: Path) -> set[str]:
    """The lesson ids next to a lesson (for `requires`), read from front matter only."""
    ids = set()
    for path in find_lessons([directory]):
        try:
            text = read_text(path)
        except (OSError, FileFormatError):
            continue  # parse_lesson says what is wrong with it
        match = re.search(r'^id\s*=\s*"([^"]+)"', text, re.MULTILINE)
        if match:
            ids.add(match.group(1))
    return ids


def summary(report: LessonReport) -> str:
    """One line for a lesson file: ok or FAIL, and what was proved or how many problems."""
    lesson = report.lesson
    if not report.ok:
        return f"FAIL {report.path}: {len(report.errors)} problem(s)"
    assert lesson is not None
    line = f"ok   {report.path} ({lesson.id}, {lesson.lang}): {len(lesson.steps)} steps"
    quizzes = sum(len(s.quizzes) for s in lesson.steps)
    if quizzes:
        line += f", {quizzes} quizzes"
    if report.proved_by:
        line += f" proved by its original's runs ({report.proved_by}: the same machine, actions and checks)"
    else:
        line += f" proved in {report.runs} run(s)"
    if report.hardened:
        line += f", {report.hardened} hardened replay(s) blocked"
    if report.warnings:
        line += f"; {len(report.warnings)} teaching-rule warning(s) (-v lists them)"
    return line


def _details(report: LessonReport) -> list[str]:
    """`-v`: each step and replay, then each step's checks as written and as students read them."""
    out = list(report.lines)
    if report.lesson is not None:
        lang = report.lesson.lang
        for step in report.lesson.steps:
            out += [f"     step {step.index + 1}: {c.text}  ->  {sentence(c, lang)}" for c in step.all_checks]
    return out


def check(
    paths: list[Path],
    *,
    backend_names: list[str] | None = None,
    seeds: tuple[int | None, ...] = SEEDS,
    teaching: TeachingRules = TeachingRules.ERROR,
    verbose: bool = False,
    jobs: int = 1,
    echo: Callable[[str], None] = print,
    complain: Callable[[str], None] | None = None,
) -> int:
    """`hvlab lessons check [PATH ...]` (the command line parses): prove every lesson, print a
    line per lesson file through `echo` (with `verbose`, a line per step and replay and each
    check as written and as read), every problem at the end through `complain` (stderr), and
    return the exit status (0: every lesson proved)."""
    complain = complain or (lambda line: print(line, file=sys.stderr))
    started = time.perf_counter()

    def heard(report: LessonReport) -> None:
        for line in _details(report) if verbose else []:
            echo(line)
        echo(summary(report))

    reports, errors = validate(
        paths, backend_names=backend_names, seeds=seeds, teaching=teaching, echo=heard, jobs=jobs
    )
    for e in errors:
        echo(f"FAIL {e}")
    bad = [r for r in reports if not r.ok]
    total = len(reports)
    elapsed = time.perf_counter() - started
    warned = sum(len(r.warnings) for r in reports)
    if bad or errors:
        extra = f", {len(errors)} problem(s) across lessons" if errors else ""
        failed = f"{len(bad)} of {total} lesson files" if total != 1 else "the lesson file"
        complain(f"\n{failed} failed{extra} ({elapsed:.1f} s):")
        for r in bad:
            for e in r.errors:
                complain(f"  {e}")
        for e in errors:
            complain(f"  {e}")
        return 1
    note = f"; {warned} teaching-rule warning(s) (-v lists them)" if warned else ""
    files = "1 lesson file" if total == 1 else f"{total} lesson files"
    echo(f"{files} ok on {', '.join(backend_names or backends())} ({elapsed:.1f} s){note}")
    return 0
