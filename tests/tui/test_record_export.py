"""The TUI's record proves the play-through: the control-API lesson done through keys and
clicks (predictions, a hint, typed attacks, a policy switch, a measurement, the reflection)
under a course seed, recorded by the lesson's engine process beside the progress, exported
with `x` in the picker as soon as the student is back there (while that engine may still be
ending), replays on the command line's engine; the same file edited, or handed in as another
student's, does not."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from lab.session.record import read_record, student_seed
from lab.session.verify import verify
from tests.tui.conftest import until
from tests.tui.test_lesson_flow import control_api_flow
from tui.app import app_session
from tui.paths import record_path
from tui.screens.picker import PickerScreen

KEY = "the course key of the TUI's test"
ADA = "Ada Lovelace"


def test_the_tuis_record_of_a_play_through_verifies_and_an_edited_copy_does_not(
    progress_file, tmp_path, monkeypatch
):
    session = app_session(progress_file)  # as `hvlab tui` makes it: the record read only
    seed = student_seed(KEY, ADA)
    session.set_student(ADA, seed)
    monkeypatch.chdir(tmp_path)
    saved = tmp_path / "hvlab-record-ada-lovelace.json"

    async def export(pilot) -> None:
        await pilot.press("escape")  # back to the lesson picker
        await until(pilot, lambda: isinstance(pilot.app.screen, PickerScreen), what="the picker")
        await pilot.press("x")
        await until(pilot, saved.is_file, what="the record's export")

    asyncio.run(control_api_flow(session, then=export))
    kept = record_path(progress_file).read_text(encoding="utf-8")  # beside the progress, by the engine
    assert kept.count('{"run"') == 1  # one run: recorded once, by the engine alone

    rec = read_record(saved)
    assert rec.student == ADA and rec.seed == seed and len(rec.runs) == 1
    cmds = {e.cmd for e in rec.runs[0].events}
    assert {"type", "hint", "next_step", "set_policy", "answer", "measure"} <= cmds, cmds
    verdict = verify(rec, key=KEY)
    assert verdict.seed_check == "ok" and verdict.runs[0].refused == ""
    lesson = verdict.lessons["control-api"]
    assert lesson.complete and lesson.done == set(range(6)) and lesson.hints == 1
    assert len(lesson.right) == lesson.quizzes == 3  # the reflection, answered by keyboard

    # The student edits the file: the bank destroyed is another VM now.
    text = saved.read_text(encoding="utf-8")
    assert text.count('"destroy 2"') == 1
    edited = tmp_path / "edited.json"
    edited.write_text(text.replace('"destroy 2"', '"destroy 1"'), encoding="utf-8")
    refused = verify(read_record(edited), key=KEY)
    assert "destroy 1" in refused.runs[0].refused and not refused.lessons["control-api"].complete

    # Ada's file handed in as Grace's.
    theirs = verify(replace(rec, student="Grace Hopper"), key=KEY)
    assert theirs.seed_check == f"seed {seed} is not Grace Hopper's"
    assert theirs.lessons["control-api"].done == set()
