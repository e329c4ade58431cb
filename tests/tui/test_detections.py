"""The defender's panels: detection rules written in the editor, checked at their line,
loaded, firing live in the Detections panel, and scored against the recorded runs, all
through the lesson's engine process while the screen stays free."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.widgets import Select, Static, TabbedContent, TextArea

from tests.tui.conftest import SIZE, lesson_started, open_tab, press, settled, until
from tui.app import HvlabApp
from tui.widgets.detections_panel import DetectionsPanel
from tui.widgets.editor import RULES, Editor

FLOOD_RULES = (Path(__file__).resolve().parents[2] / "lessons" / "detect" / "flood.toml").read_text()
MISSPELT = FLOOD_RULES.replace('"udp.dstport"', '"udp.dstprt"')


def test_rules_from_the_editor_fire_live_on_the_flood_and_are_scored(session, tmp_path, monkeypatch):
    monkeypatch.setenv("HVLAB_CACHE", str(tmp_path / "cache"))  # the engine records the runs afresh

    async def flow() -> None:
        app = HvlabApp(session, lesson="defender")
        async with app.run_test(size=SIZE) as pilot:
            await lesson_started(pilot)
            screen = app.screen
            panel = screen.query_one(DetectionsPanel)
            rules_line = screen.query_one("#det-rules", Static)
            await open_tab(pilot, "detections")
            assert "No detection rules" in str(rules_line.render())

            await open_tab(pilot, "editor")
            editor = screen.query_one(Editor)
            status = screen.query_one("#editor-status", Static)
            screen.query_one("#editor-source", Select).value = RULES
            area = screen.query_one("#editor-text", TextArea)
            await until(pilot, lambda: editor.mode == RULES and area.text != "", what="the rules' template")
            assert area.text.startswith("# Detection rules (TOML)")  # the template, valid as it stands
            await press(pilot, "#editor-check")
            await settled(pilot)
            assert "1 rule(s)" in str(status.render())

            # A misspelt field: Check names its line and the field meant; Load refuses it.
            area.load_text(MISSPELT)
            await press(pilot, "#editor-check")
            await settled(pilot)
            line = next(n for n, text in enumerate(MISSPELT.splitlines(), 1) if "udp.dstprt" in text)
            said = str(status.render())
            assert f"line {line}:" in said and "did you mean 'udp.dstport'" in said
            assert area.selection.start[0] == line - 1  # the cursor sits on it
            area.move_cursor((0, 0))
            await press(pilot, "#editor-go")
            await settled(pilot)
            assert "did you mean 'udp.dstport'" in str(status.render())
            assert area.selection.start[0] == line - 1
            assert "No detection rules" in str(rules_line.render())  # nothing watches the machine

            # Fixed and loaded: the rule watches the machine and fires on the running flood.
            area.load_text(FLOOD_RULES)
            await press(pilot, "#editor-go")
            await settled(pilot)
            assert "1 rule(s) now watch the machine" in str(status.render())
            await open_tab(pilot, "detections")
            await until(pilot, lambda: panel.lines, what="a detection in a frame")
            first = panel.lines[0]
            assert "mgmt-flood ci: " in first and "claiming to be 10.0.0.11" in first
            assert "mgmt-flood" in str(rules_line.render())

            # The editor shows the rules that watch the machine when the student comes back to it.
            screen.query_one("#editor-source", Select).value = "asm"
            await until(pilot, lambda: editor.mode == "asm", what="the assembly")
            screen.query_one("#editor-source", Select).value = RULES
            await until(pilot, lambda: area.text == FLOOD_RULES, what="the loaded rules from the engine")

            # The score: the engine records the course's runs (seconds) while the screen answers keys.
            await open_tab(pilot, "detections")
            score_box = screen.query_one("#det-score", Static)
            await press(pilot, "#det-score-button")
            await pilot.press("f3")
            await pilot.pause()
            assert screen.query_one(TabbedContent).active == "tab-editor"
            assert "attacks detected" not in str(score_box.render())  # still scoring, and the screen moved
            await until(pilot, lambda: "attacks detected" in str(score_box.render()), what="the score")
            score = str(score_box.render())
            assert "0 of 12 legitimate runs with a false positive" in score
            assert "mgmt-flood: detects flood/2" in score

    asyncio.run(flow())
