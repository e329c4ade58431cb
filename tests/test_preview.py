"""An instructor's own lessons: `hvlab lessons new` writes one that validates as it is, and a
preview notices a changed lesson file and reloads it (Session.reload), keeping the machine
when the scenario did not change and restarting it when it did."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from hvlab.cli import main
from lab.lesson.scaffold import ScaffoldError, render, scaffold
from lab.lesson.validator import TeachingRules, check
from lab.session import Session

ID = "bank-heist"


def touch(path: Path, text: str) -> None:
    """Write `text` with a modification time surely later than the last one."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text, encoding="utf-8")
    later = max(time.time_ns(), before + 10_000_000)
    os.utime(path, ns=(later, later))


@pytest.fixture
def course(tmp_path: Path) -> Path:
    scaffold(ID, tmp_path)
    return tmp_path


# ------------------------------------------------------------------ lessons new


def test_a_new_lesson_validates_as_it_is_with_the_teaching_rules(course: Path) -> None:
    assert sorted(p.name for p in course.iterdir()) == [f"{ID}.de.md", f"{ID}.md", f"{ID}.toml"]
    heard: list[str] = []
    status = check([course], backend_names=["interp"], teaching=TeachingRules.ERROR, echo=heard.append)
    assert status == 0, heard
    assert any(f"{ID}.md ({ID}, en)" in line for line in heard)
    assert any(f"{ID}.de.md ({ID}, de)" in line for line in heard)


def test_a_new_lesson_has_what_a_lesson_needs(course: Path) -> None:
    from lab.lesson.model import QuizKind
    from lab.lesson.parser import parse_lesson

    en, de = parse_lesson(course / f"{ID}.md"), parse_lesson(course / f"{ID}.de.md")
    assert (en.id, en.lang, de.id, de.lang) == (ID, "en", ID, "de")
    assert en.scenario == (course / f"{ID}.toml").resolve()
    attack = [s for s in en.steps if s.is_attack]
    assert attack and all(len(s.hints) >= 3 for s in en.steps[:-1])  # ladders of three rungs
    kinds = [q.kind for s in en.steps for q in s.quizzes]
    assert QuizKind.PREDICT in kinds and kinds.count(QuizKind.QUIZ) >= 2
    reflection = en.steps[-1]
    assert not reflection.checks and all(c.name == "answer" for c in reflection.solution)

    def solutions(lesson):
        return [[c.text for c in s.solution] for s in lesson.steps]

    assert solutions(en) == solutions(de)


def test_new_refuses_a_bad_id_and_never_overwrites(course: Path) -> None:
    with pytest.raises(ScaffoldError, match="not a lesson id"):
        render("Bank Heist")
    before = (course / f"{ID}.md").read_text()
    with pytest.raises(ScaffoldError, match="exists already"):
        scaffold(ID, course)
    assert (course / f"{ID}.md").read_text() == before


def test_the_command_writes_into_the_current_folder(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["lessons", "new", "heist", "--title", 'The "big" heist']) == 0
    out = capsys.readouterr().out
    assert "heist.md" in out and "hvlab lessons check ." in out
    assert 'title = "The \\"big\\" heist"' in (tmp_path / "heist.md").read_text()
    assert main(["lessons", "new", "heist"]) == 1
    assert "exists already" in capsys.readouterr().err


# ------------------------------------------------------------------ reload


@pytest.fixture
def running(course: Path) -> Session:
    session = Session(course, progress_path=None)
    session.open_lesson(ID, "en")
    session.start()
    session.type("tenant", "vms")
    return session


def test_nothing_changed_nothing_reloaded(running: Session) -> None:
    reloaded = running.reload()
    assert (reloaded.changed, reloaded.lesson, reloaded.restarted) == (False, None, False)


def test_a_changed_lesson_text_keeps_the_machine(running: Session, course: Path) -> None:
    hv = running.lab.hv
    path = course / f"{ID}.md"
    touch(path, path.read_text().replace("Find your neighbours", "Meet the neighbours"))
    reloaded = running.reload()
    assert reloaded.changed and not reloaded.restarted and not reloaded.problems
    assert reloaded.lesson is not None and reloaded.lesson.steps[0].title == "Meet the neighbours"
    assert running.lab.hv is hv  # the same machine: what the instructor typed is still there
    assert "dom2 running" in running.lab.vm("tenant").console_text()
    assert running.lesson_view().steps[0].title == "Meet the neighbours"
    assert running.reload().changed is False  # and it is seen once


def test_a_changed_check_is_evaluated_on_the_kept_machine(running: Session, course: Path) -> None:
    path = course / f"{ID}.md"
    check = 'console_contains tenant "dom2 running"'
    touch(path, path.read_text().replace(check, 'console_contains tenant "dom9"'))
    assert running.reload().restarted is False
    assert [c.done for c in running.evaluate().checks] == [False]


def test_a_changed_scenario_restarts_the_machine_at_the_same_step(running: Session, course: Path) -> None:
    running.evaluate()  # step 1 done; the student moves on to step 2
    running.next_step()
    assert running.state().step == 1
    hv = running.lab.hv
    scenario = course / f"{ID}.toml"
    touch(scenario, scenario.read_text().replace("BANK{pin-4711-do-not-share}", "BANK{new-pin}"))
    reloaded = running.reload()
    assert reloaded.changed and reloaded.restarted and reloaded.lesson is not None
    assert running.lab.hv is not hv
    assert running.state().step == 1  # resumed where the instructor was
    assert b"BANK{new-pin}" in bytes(running.lab.hv.mem.buf)


def test_a_changed_guest_program_restarts_the_machine(running: Session, course: Path) -> None:
    guest = course / "quiet.S"
    touch(guest, "        .text\n_start: wfi\n        j _start\n")
    scenario = course / f"{ID}.toml"
    touch(scenario, scenario.read_text() + '\n[[vm]]\nname = "quiet"\nprogram = "quiet.S"\nmemory = "16K"\n')
    assert running.reload().restarted
    hv = running.lab.hv
    touch(guest, "        .text\n_start: nop\n        wfi\n        j _start\n")
    assert running.reload().restarted and running.lab.hv is not hv


def test_a_lesson_that_does_not_parse_leaves_the_old_one_running(running: Session, course: Path) -> None:
    hv = running.lab.hv
    path = course / f"{ID}.md"
    touch(path, path.read_text().replace("console_contains tenant", "console_contain tenant"))
    reloaded = running.reload()
    assert reloaded.changed and reloaded.lesson is None
    assert any(f"{ID}.md" in p and "did you mean 'console_contains'" in p for p in reloaded.problems)
    assert running.lab.hv is hv and running.lesson_view().steps[0].title == "Find your neighbours"


def test_a_scenario_that_does_not_load_leaves_the_old_lesson(running: Session, course: Path) -> None:
    scenario = course / f"{ID}.toml"
    touch(scenario, scenario.read_text().replace('memory = "256K"', 'memory = "3K"', 1))
    reloaded = running.reload()
    assert reloaded.lesson is None and any("memory" in p for p in reloaded.problems)
    assert running.state().lesson == ID  # the lesson still runs (on the machine it had)


def test_a_new_lesson_file_joins_the_picker(running: Session, course: Path) -> None:
    assert [x.id for x in running.list_lessons()] == [ID]
    scaffold("second", course)
    assert running.reload().changed
    assert [x.id for x in running.list_lessons()] == [ID, "second"]


def test_preview_refuses_what_it_cannot_show(course: Path, capsys) -> None:
    assert main(["lessons", "preview", str(course / "missing")]) == 1
    assert "is not a folder" in capsys.readouterr().err
    assert main(["lessons", "preview", str(course), "--no-tui", "--no-web"]) == 1
    assert "leave nothing to show" in capsys.readouterr().err


def test_web_build_refuses_a_lessons_folder_that_is_not_one(tmp_path: Path, capsys) -> None:
    assert (
        main(["web", "build", "--lessons", str(tmp_path / "missing"), "--out", str(tmp_path / "site")]) == 1
    )
    assert "is not a folder" in capsys.readouterr().err


def test_the_preview_site_packs_a_changed_folder_again(course: Path, tmp_path_factory) -> None:
    """web/preview.py's watcher: lessons.zip and its stamp are rewritten only when a file changed."""
    import json
    import zipfile

    from web.preview import BuildError, refresh, start

    with pytest.raises(BuildError, match="outside the lessons' folder"):
        start(course, course / "build" / "preview")  # it would pack itself into its lessons
    site = tmp_path_factory.mktemp("site")
    assert refresh(course, site) is True
    first = json.loads((site / "preview.json").read_text())["stamp"]
    assert refresh(course, site) is False  # nothing changed: the page is not told to reload
    (course / "probe.S").write_text("_start: wfi\n")
    assert refresh(course, site) is True
    assert json.loads((site / "preview.json").read_text())["stamp"] != first
    names = zipfile.ZipFile(site / "lessons.zip").namelist()
    assert {f"lessons/{ID}.md", f"lessons/{ID}.toml", "lessons/probe.S"} <= set(names)
