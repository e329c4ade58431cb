"""`hvlab lessons check [PATH ...]`: prove that every lesson works.

For each lesson, on each CPU backend this Python has (`lab.cpu.backends()`):

1. From a fresh scenario (with the scenario's own secrets and with a seeded
   variant, see lab.lesson.variants), step by step: the step's checks must NOT all hold
   before its solution (a check that passes whatever the student does
   teaches nothing), and must all hold after it.
2. For each attack step (a step with a `harden` block): in a fresh scenario
   with the harden actions applied first, replay the steps up to it; the
   attack's checks must fail, and every `legit` check must still pass.
3. Every translation (same `id`, other `lang`) has the same steps, checks,
   legitimate-use checks, solutions and harden actions; only prose differs.
4. Every step has at least one hint.

It prints one line per lesson and step and returns non-zero with the reasons
when anything fails.

    results = validate([Path("lessons")])      # -> list[LessonReport]
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from lab.cpu import backends
from lab.files import FileFormatError, read_text
from lab.lesson.engine import ActionError, Lab
from lab.lesson.model import Lesson, LessonError
from lab.lesson.parser import find_lessons, parse_lesson

# The scenario's own secrets, and one per-student variant (lab.lesson.variants).
SEEDS: Final[tuple[int | None, ...]] = (None, 7)


@dataclass(slots=True)
class LessonReport:
    path: str
    lesson: Lesson | None
    lines: list[str] = field(default_factory=list)  # "ok  ..." / "FAIL ..." per step
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def check_lesson(lesson: Lesson, backend: str, report: LessonReport, seed: int | None = None) -> None:
    """Steps 1 and 2 of the module doc, on one backend and seed (one machine, reset in between)."""
    lab = Lab(lesson, backend=backend, seed=seed)
    tag = backend if seed is None else f"{backend} seed {seed}"
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


def _check_steps(lab: Lab, backend: str, report: LessonReport) -> bool:
    lesson = lab.lesson
    for step in lesson.steps:
        name = f"{lesson.id} [{backend}] step {step.index + 1} ({step.title})"
        lab.begin_step(step.index)
        before = lab.results(step.checks)
        if step.checks and all(r.ok for r in before):
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
        blocked, why = lab.replay_attacks(index)
    except ActionError as exc:
        blocked, why = False, str(exc)
    if blocked:
        report.lines.append(f"ok   {name}: attack blocked, legitimate use works")
    else:
        _fail(report, name, why)


def _fail(report: LessonReport, name: str, why: str) -> None:
    report.lines.append(f"FAIL {name}: {why}")
    report.errors.append(f"{name}: {why}")


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


def _differences(a: Lesson, b: Lesson) -> list[str]:
    out = []
    for key in ("scenario", "minutes", "requires"):
        if getattr(a, key) != getattr(b, key):
            out.append(f"{key} differs from {a.path} ({getattr(b, key)!r} vs {getattr(a, key)!r})")
    if len(a.steps) != len(b.steps):
        return [*out, f"has {len(b.steps)} steps, {a.path} has {len(a.steps)}"]
    for sa, sb in zip(a.steps, b.steps, strict=True):
        for block in ("checks", "legit", "solution", "harden"):
            ka = [c.key() for c in getattr(sa, block)]
            kb = [c.key() for c in getattr(sb, block)]
            if ka != kb:
                out.append(f"line {sb.line}: step {sb.index + 1}'s {block} differ from {a.path}:{sa.line}")
    return out


def validate(
    paths: list[str | Path],
    *,
    backend_names: list[str] | None = None,
    seeds: tuple[int | None, ...] = SEEDS,
    echo: Callable[[str], None] | None = None,
) -> tuple[list[LessonReport], list[str]]:
    """Check every lesson under `paths`; returns the per-lesson reports and the cross-lesson errors."""
    reports: list[LessonReport] = []
    lessons: list[Lesson] = []
    names = backend_names or backends()
    files = find_lessons(list(paths))
    for path in files:
        try:
            lesson = parse_lesson(path)
        except LessonError as exc:
            report = LessonReport(str(path), None, [f"FAIL {exc}"], [str(exc)])
        else:
            lessons.append(lesson)
            report = LessonReport(str(path), lesson)
            for i, step in enumerate(lesson.steps):
                if not step.hints:
                    _fail(report, f"{lesson.id} step {i + 1}", f"{path}:{step.line}: the step has no hint")
            for name in names:
                for seed in seeds:
                    check_lesson(lesson, name, report, seed)
        reports.append(report)
        if echo:
            for line in report.lines:
                echo(line)
    errors = compare_translations(lessons)
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


def check(
    paths: list[Path],
    *,
    backend_names: list[str] | None = None,
    seeds: tuple[int | None, ...] = SEEDS,
    echo: Callable[[str], None] = print,
    complain: Callable[[str], None] | None = None,
) -> int:
    """`hvlab lessons check [PATH ...]` (the command line parses): prove every lesson, print a
    line per lesson and step through `echo`, the failures again at the end through `complain`
    (stderr), and return the exit status (0: every lesson proved)."""
    complain = complain or (lambda line: print(line, file=sys.stderr))
    started = time.perf_counter()
    reports, errors = validate(paths, backend_names=backend_names, seeds=seeds, echo=echo)
    for e in errors:
        echo(f"FAIL {e}")
    bad = [r for r in reports if not r.ok]
    total = len(reports)
    elapsed = time.perf_counter() - started
    if bad or errors:
        extra = f", {len(errors)} problem(s) across lessons" if errors else ""
        complain(f"\n{len(bad)} of {total} lesson files failed{extra} ({elapsed:.1f} s):")
        for r in bad:
            for e in r.errors:
                complain(f"  {e}")
        for e in errors:
            complain(f"  {e}")
        return 1
    echo(f"{total} lesson files ok on {', '.join(backend_names or backends())} ({elapsed:.1f} s)")
    return 0
