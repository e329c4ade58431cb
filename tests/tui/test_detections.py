"""The defender's panels: detection rules written in the editor, checked at their line,
loaded, firing live in the Detections panel, and scored against the recorded runs."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.widgets import Select, Static, TextArea

from tests.tui.conftest import SIZE, lesson_started, open_tab
from tui.app import HvlabApp
from tui.widgets.detections_panel import DetectionsPanel
from tui.widgets.editor import RULES, Editor

FLOOD_RULES = (Path(__file__).resolve().parents[2] / "lessons" / "detect" / "flood.toml").read_text()
MISSPELT = FLOOD_RULES.replace('"udp.dstport"', '"udp.dstprt"')


def test_rules_from_the_editor_fire_live_on_the_flood_and_are_scored(session, tmp_path, monkeypatch):
    monkeypatch.setenv("HVLAB_CACHE", str(tmp_path / "cache"))

    async def flow() -> None:
        app = HvlabApp(session, lesson="defender")
        async with app.run_test(size=SIZE) as pilot:
            await lesson_started(pilot)
            screen = app.screen
            panel = screen.query_one(DetectionsPanel)
            await open_tab(pilot, "detections")
            assert "No detection rules" in str(screen.query_one("#det-rules", Static).render())

            await open_tab(pilot, "editor")
            editor = screen.query_one(Editor)
            screen.query_one("#editor-source", Select).value = RULES
            await pilot.pause()
            area = screen.query_one(TextArea)
            assert area.text.startswith("# Detection rules (TOML)")  # the template, valid as it stands

            # A misspelt field: Check names its line and the field meant; nothing is loaded.
            area.load_text(MISSPELT)
            assert not editor.check()
            status = str(screen.query_one("#editor-status", Static).render())
            line = next(n for n, text in enumerate(MISSPELT.splitlines(), 1) if "udp.dstprt" in text)
            assert f"line {line}:" in status and "did you mean 'udp.dstport'" in status
            assert area.selection.start[0] == line - 1  # the cursor sits on it
            editor.go()
            await pilot.pause()
            assert session.lab.sensor is None

            # Fixed and loaded: the rule watches the machine and fires on the running flood.
            area.load_text(FLOOD_RULES)
            editor.go()
            await pilot.pause()
            status = str(screen.query_one("#editor-status", Static).render())
            assert "1 rule(s) now watch the machine" in status
            await open_tab(pilot, "detections")
            for _ in range(200):
                if panel.lines:
                    break
                await pilot.pause(0.05)
            first = panel.lines[0]
            assert "mgmt-flood ci: " in first and "claiming to be 10.0.0.11" in first

            # The score: the course's floods are detected, no honest run sets the rule off.
            await pilot.click("#det-score-button")
            for _ in range(400):
                score = str(screen.query_one("#det-score", Static).render())
                if "attacks detected" in score:
                    break
                await pilot.pause(0.05)
            assert "0 of 10 legitimate runs with a false positive" in score
            assert "mgmt-flood: detects flood/2" in score

    asyncio.run(flow())
