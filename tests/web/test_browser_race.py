"""Lesson 6 in the browser: the student writes the double-fetch race in the editor and tunes it.

The page's editor opens with the lesson's starting point (lessons/programs/race.S). The
student types their part below its "Your part" line, by keyboard, and loads it into the
tenant: a change of `len` made at once is rejected by the backend's check; a wait that
lands between the check and the copy wins, and the hypervisor takes the tenant for the
control domain. A screenshot of the won race goes to $HVLAB_SHOTS.
"""

from __future__ import annotations

from typing import Any

from tests.web.conftest import boot
from tests.web.test_browser_ui import shot, wait_console

YOUR_PART = "Your part: make the backend copy more than its check allowed."


def write_part(page: Any, lines: list[str]) -> None:
    """Put the cursor at the end of the "Your part" line and type `lines` below it, replacing
    what an earlier try typed there (everything up to the call of race_report)."""
    page.locator("#panel-tab-editor").click()
    part = page.locator(".cm-line", has_text=YOUR_PART)
    part.click()
    page.keyboard.press("End")
    for _ in range(20):  # down to the line that calls race_report
        page.keyboard.press("Shift+ArrowDown")
        if "race_report" in page.evaluate("() => window.getSelection().toString()"):
            break
    page.keyboard.press("Shift+Home")  # keep the call itself
    page.keyboard.press("Enter")
    for line in lines:
        page.keyboard.type(line)
        page.keyboard.press("Enter")
    page.locator("#editor-load").click()


def test_the_race_is_written_in_the_editor_and_timed_until_it_wins(lab_page: Any, server_url: str) -> None:
    page = lab_page
    boot(page, server_url)
    page.locator('[data-lesson="double-fetch"] button').click()
    page.wait_for_selector(".lesson-screen")
    wait_console(page, "tenant", "dom1>")
    page.locator("#panel-tab-editor").click()
    text = page.locator(".cm-content").inner_text()
    assert YOUR_PART in text and "race_report" in text  # the lesson's program, not the sample
    assert page.locator("#editor-vm").input_value() == "tenant"

    write_part(page, ["li t1, 260", "sw t1, DGRAM_RING_LEN(s0)"])  # at once: too early
    wait_console(page, "tenant", "rejected the request: len was over 240")

    wait = ["li t0, 511", "spin: addi t0, t0, -1", "bnez t0, spin", "li t1, 260", "sw t1, DGRAM_RING_LEN(s0)"]
    write_part(page, wait)  # between the backend's check and its copy
    wait_console(page, "tenant", "destroy(2) succeeded")
    shot(page, "race-won.png")
