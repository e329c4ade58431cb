"""The validator's figure: how long an instructor waits for `hvlab lessons check` on the course.

    from bench import course
    course.measure()    # CourseCheck(files=..., wall=..., cpu=..., jobs=...)

Runs the check exactly as the command line does (every lesson file of the course, both
cores where unicorn is installed, one process per CPU) and times it twice: wall time,
which is what the instructor waits, and the CPU time of this process and the processes
it forked, which a busy machine does not inflate. The issue's goal is under 15 s wall
on the 2-core machine it was set on.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

GOAL_SECONDS: Final = 15.0


@dataclass(frozen=True)
class CourseCheck:
    files: int
    backends: tuple[str, ...]
    jobs: int
    wall: float  # seconds
    cpu: float  # seconds, this process and its children
    ok: bool  # every lesson proved


def measure(folder: Path | None = None) -> CourseCheck:
    """Check the lessons in `folder` (default: the course) and time it."""
    from lab.cpu import backends
    from lab.lesson.validator import TeachingRules, validate
    from lab.session import DEFAULT_LESSONS

    names = tuple(backends())
    jobs = os.cpu_count() or 1
    before, started = os.times(), time.perf_counter()
    reports, errors = validate(
        [folder or DEFAULT_LESSONS], backend_names=list(names), teaching=TeachingRules.WARN, jobs=jobs
    )
    wall = time.perf_counter() - started
    after = os.times()
    cpu = sum(
        getattr(after, f) - getattr(before, f) for f in ("user", "system", "children_user", "children_system")
    )
    ok = not errors and all(r.ok for r in reports)
    return CourseCheck(len(reports), names, jobs, wall, cpu, ok)


def format_line(c: CourseCheck) -> str:
    verdict = "" if c.ok else " (SOME LESSONS FAILED: run hvlab lessons check)"
    return (
        f"hvlab lessons check (the course: {c.files} files on {', '.join(c.backends)}, {c.jobs} processes): "
        f"{c.wall:.1f} s wall, {c.cpu:.1f} s CPU; goal under {GOAL_SECONDS:.0f} s wall{verdict}"
    )
