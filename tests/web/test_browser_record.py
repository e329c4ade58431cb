"""The record in the browser lab: a student enters their course seed, works through two
sittings (a reload between), exports the record, and the command line's engine verifies it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from lab.session.record import engine, read_record, student_seed
from lab.session.verify import verify
from tests.web.conftest import boot
from tests.web.test_browser_ui import (
    STEP_TIMEOUT_MS,
    answer,
    next_step,
    type_line,
    wait_console,
    wait_step_done,
)

KEY = "a course key the students never see"
STUDENT = "Ada Lovelace"


def open_lesson(page: Any, lesson: str) -> None:
    page.locator(f'[data-lesson="{lesson}"] button').click()
    page.wait_for_selector(".lesson-screen")
    wait_console(page, "tenant", "dom1>")


def test_a_record_made_in_the_page_verifies_on_the_command_lines_engine(lab_page, server_url, tmp_path):
    page = lab_page
    boot(page, server_url)
    seed = student_seed(KEY, STUDENT)
    page.fill("#student-name", STUDENT)
    page.fill("#student-seed", "12x")
    page.click("#student-save")
    error = page.wait_for_selector("#student-error:not([hidden])")
    assert "4294967295" in error.text_content()  # the page's own words, not the browser's tooltip
    page.fill("#student-seed", str(seed))
    page.click("#student-save")
    page.wait_for_function(
        "(name) => document.querySelector('.student-status')?.textContent.includes(name)", arg=STUDENT
    )

    # The first sitting: step 1, then a hint for step 2.
    open_lesson(page, "control-api")
    answer(page, 1, 1)  # step 1's prediction
    type_line(page, "tenant", "vms")
    wait_step_done(page, 0)
    next_step(page, 0)
    page.locator("#hint").click()
    page.wait_for_selector('.hint[data-hint="0"]')
    kept = page.evaluate("() => localStorage.getItem('hvlab.record')")
    assert kept.startswith('{"format":"hvlab-journal"') and '"cmd":"hint"' in kept  # on this computer only

    # The next day: the lab resumes at step 2 and the record goes on.
    page.reload()
    page.wait_for_function("() => window.hvlab && window.hvlab.lab", timeout=90_000)
    open_lesson(page, "control-api")
    page.wait_for_selector('details.step.current[data-step="1"]', timeout=STEP_TIMEOUT_MS)
    type_line(page, "admin", "vms")
    type_line(page, "tenant", "peek 2 0x80001000 32")
    wait_step_done(page, 1)

    page.locator("#brand").click()
    page.wait_for_selector("#export-record")
    with page.expect_download() as caught:
        page.click("#export-record")
    download = caught.value
    assert download.suggested_filename == "hvlab-record-ada-lovelace.json"
    path = tmp_path / download.suggested_filename
    download.save_as(path)

    rec = read_record(path)
    assert rec.student == STUDENT and [r.from_step for r in rec.runs] == [0, 1]
    assert all(r.engine.code == engine().code for r in rec.runs)  # the page runs the same engine
    verdict = verify(rec, key=KEY)
    assert verdict.seed_check == "ok" and [r.refused for r in verdict.runs] == ["", ""]
    lesson = verdict.lessons["control-api"]
    assert lesson.done == {0, 1} and lesson.hints == 1

    # The file as a student might edit it, and the file handed in as another student's.
    tampered = tmp_path / "edited.json"
    tampered.write_text(path.read_text().replace("peek 2 0x80001000 32", "peek 2 0x80001000 31"))
    edited = verify(read_record(tampered), key=KEY)
    assert edited.runs[0].refused == "" and "the machine after it is not" in edited.runs[1].refused
    assert edited.lessons["control-api"].done == {0}
    theirs = verify(replace(rec, student="Grace Hopper"), key=KEY)
    assert (
        theirs.seed_check == f"seed {seed} is not Grace Hopper's" and not theirs.lessons["control-api"].done
    )
