"""The defender's lesson in the page: detection rules written in the editor's Detection rules
mode, a misspelt field marked at its line, the rules loaded and firing live on the flood in
the Detections panel, scored against the recorded runs, and the flood stopped out of band."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.web.conftest import BOOT_TIMEOUT_MS, boot
from tests.web.test_browser_ui import STEP_TIMEOUT_MS, shot, wait_console

FLOOD_RULES = (Path(__file__).resolve().parents[2] / "lessons" / "detect" / "flood.toml").read_text()
SCORE_TIMEOUT_MS = 240_000  # the first score records the course's runs, in Pyodide


def set_editor_text(page: Any, text: str) -> None:
    """Select all in the editor and put `text` in its place, as a paste does."""
    page.locator(".cm-content").click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(text)


def test_rules_fire_live_on_the_flood_are_scored_and_the_flood_is_stopped(lab_page: Any, server_url: str):
    page = lab_page
    boot(page, server_url)
    page.locator('[data-lesson="defender"] button').click()
    page.wait_for_selector(".lesson-screen", timeout=BOOT_TIMEOUT_MS)  # three guests assembled, in Pyodide
    wait_console(page, "web", "dom1>")

    page.locator("#panel-tab-editor").click()
    page.locator('[data-mode="rules"]').click()
    page.wait_for_function(
        "() => document.querySelector('.editor-host .cm-content')"
        ".textContent.includes('Detection rules (TOML)')"
    )
    set_editor_text(page, FLOOD_RULES.replace('"udp.dstport"', '"udp.dstprt"'))
    page.locator("#editor-check-rules").click()
    page.wait_for_selector("#editor-result li")
    problem = page.locator("#editor-result li").first.inner_text()
    assert "did you mean 'udp.dstport'" in problem and problem.startswith("line ")
    assert page.locator(".cm-error-line").count() == 1  # marked at its line
    shot(page, "detections-misspelt.png")

    set_editor_text(page, FLOOD_RULES)
    page.locator("#editor-load-rules").click()
    page.wait_for_function(
        "() => document.querySelector('#editor-result')?.textContent.includes('now watch the machine')"
    )

    page.locator("#panel-tab-detections").click()
    page.wait_for_selector("#det-log li", timeout=STEP_TIMEOUT_MS)
    row = page.locator("#det-log li").first.inner_text()
    assert "mgmt-flood" in row and "ci" in row and "claiming to be 10.0.0.11" in row
    assert "mgmt-flood:" in page.locator("#det-rules").inner_text()
    shot(page, "detections-live.png")

    page.locator("#det-score-button").click()
    page.wait_for_selector(".score-summary", timeout=SCORE_TIMEOUT_MS)
    summary = page.locator(".score-summary").inner_text()
    # The flood rule catches lesson 8's flood and spares every honest run; the course's other
    # attacks are for the lesson's later steps.
    assert summary.startswith("1 of ") and "0 of 12 legitimate runs with a false positive" in summary
    assert "mgmt-flood: detects flood/2" in page.locator("#det-score").inner_text()
    shot(page, "detections-score.png")

    # Out of band: the management console pauses the runner; the flood stops.
    page.locator("#panel-tab-network").click()
    console = page.locator("#mgmt-input")
    console.fill("PAUSE ci")
    console.press("Enter")
    page.wait_for_function(
        "() => document.querySelector('#panel-panel-network')?.textContent.includes('OK paused ci')",
        timeout=STEP_TIMEOUT_MS,
    )
