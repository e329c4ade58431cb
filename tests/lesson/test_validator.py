"""The validator: the course passes, and a lesson broken on purpose is caught with a reason."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from hvlab.cli import main as hvlab
from lab.lesson.validator import validate
from lab.scenario import SCENARIOS_DIR
from tests.lesson.conftest import LESSONS


def test_hvlab_lessons_check_prints_a_line_per_lesson_file(course, capsys):
    # (make test proves the whole course with `hvlab lessons check lessons/` before pytest runs.)
    # The teaching rules are errors: the lesson passes them (tests/lesson/test_teaching.py).
    pair = [str(course / "03-control-api.md"), str(course / "03-control-api.de.md")]
    assert hvlab(["lessons", "check", *pair]) == 0
    out = capsys.readouterr().out
    assert "FAIL" not in out
    # one line per lesson file: make test's log stays readable
    assert len(out.splitlines()) == len(pair) + 1
    assert "ok   " + str(course / "03-control-api.md") + " (control-api, en): 6 steps" in out
    # The German twin is the same machine, actions and checks: proved by the original's runs.
    assert (
        f"(control-api, de): 6 steps, 6 quizzes proved by its original's runs ({course / '03-control-api.md'}"
        in out
    )


def test_a_course_checked_in_processes_is_reported_as_one_checked_here(course):
    pair = [course / "03-control-api.md", course / "03-control-api.de.md"]
    alone, errors_alone = validate(pair, backend_names=["interp"], jobs=1)
    spread, errors_spread = validate(pair, backend_names=["interp"], jobs=2)
    assert errors_alone == errors_spread == []
    assert [(r.path, r.lines, r.errors, r.runs, r.hardened, r.proved_by) for r in alone] == [
        (r.path, r.lines, r.errors, r.runs, r.hardened, r.proved_by) for r in spread
    ]
    assert [r.runs for r in alone] == [2, 0]  # two seeds; the German twin by its original's runs


def test_a_translation_that_differs_is_not_taken_as_proved(course):
    edit(
        course / "03-control-api.de.md",
        "type tenant peek 2 0x80001000 32\n",
        "type tenant peek 2 0x80002000 32\n",
    )
    reports, errors = validate(
        [course / "03-control-api.md", course / "03-control-api.de.md"], backend_names=["interp"]
    )
    german = next(r for r in reports if r.path.endswith(".de.md"))
    assert german.proved_by == "" and german.runs == 2 and not german.ok
    assert any("03-control-api.de.md" in e and "solution" in e for e in errors)


@pytest.fixture
def course(tmp_path: Path) -> Path:
    """A copy of the control-api lesson (both languages) laid out as in the repo."""
    (tmp_path / "lab" / "guests").mkdir(parents=True)
    shutil.copy(SCENARIOS_DIR / "api.toml", tmp_path / "lab" / "guests" / "api.toml")
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    for name in ("02-hypercalls.md", "03-control-api.md", "03-control-api.de.md"):
        shutil.copy(LESSONS / name, lessons / name)
    return lessons


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def run(paths: list[Path]) -> list[str]:
    reports, errors = validate(paths, backend_names=["interp"])
    return [e for r in reports for e in r.errors] + errors


def test_a_solution_that_no_longer_works_is_caught(course, capsys):
    lesson = course / "03-control-api.md"
    edit(lesson, "type tenant peek 2 0x80001000 32\n", "type tenant peek 2 0x80002000 32\n")
    errors = run([lesson])
    assert any(
        "step 2" in e and "check fails after the solution: secret_leaked tenant from=bank" in e
        for e in errors
    )
    assert hvlab(["lessons", "check", "--backend", "interp", "-v", str(lesson)]) == 1
    assert "FAIL control-api [interp] step 2" in capsys.readouterr().out


def test_a_harden_block_that_does_not_harden_is_caught(course):
    lesson = course / "03-control-api.md"
    edit(lesson, "```harden\nset hypercall.authorize on", "```harden\nset hypercall.check_bounds on")
    errors = run([lesson])
    assert any("step 2 hardened" in e and "the attack still works" in e for e in errors)


def test_hardening_that_breaks_legitimate_use_is_caught(course):
    lesson = course / "03-control-api.md"
    # a "fix" that refuses every privileged call, the admin's too
    edit(
        lesson,
        "```harden\nset hypercall.authorize on",
        "```harden\nset hypercall.authorize on\ntype admin destroy 0",
    )
    errors = run([lesson])
    assert any("step 2 hardened" in e and "breaks legitimate use" in e for e in errors)


def test_checks_that_hold_before_the_solution_are_caught(course):
    lesson = course / "03-control-api.md"
    edit(
        lesson,
        "hypercall vm=tenant fn=info since=step",
        "vm_state bank running",
    )
    errors = run([lesson])
    assert any("already hold before the solution" in e for e in errors)


def test_a_translation_that_differs_is_caught(course):
    edit(course / "03-control-api.de.md", "type tenant destroy 2", "type tenant destroy 0")
    errors = run([course])
    assert any("03-control-api.de.md" in e and "step 3's solution differ" in e for e in errors)


def test_a_step_without_hint_and_an_unknown_requirement_are_caught(course):
    lesson = course / "03-control-api.md"
    text = lesson.read_text(encoding="utf-8")
    start = text.index("## Destroy the bank")
    end = text.index("## ", start + 3)
    step = re.sub(r"```hint\n.*?```\n", "", text[start:end], flags=re.S)
    assert "```hint" not in step
    lesson.write_text(text[:start] + step + text[end:], encoding="utf-8")
    edit(lesson, 'requires = ["hypercalls"]', 'requires = ["time-travel"]')
    errors = run([lesson])
    assert any("step 3" in e and "has no hint" in e for e in errors)
    assert any("requires 'time-travel'" in e for e in errors)


def test_a_parse_error_fails_with_its_line(course, capsys):
    lesson = course / "03-control-api.md"
    edit(lesson, "vm_state bank destroyed", "vm_state bank gone")
    assert hvlab(["lessons", "check", "--backend", "interp", str(lesson)]) == 1
    out = capsys.readouterr()
    assert f"{lesson}:" in out.err and "STATE 'gone' is not valid" in out.err
