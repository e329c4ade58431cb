"""The lesson picker: lessons with their summary and progress, in English or German."""

from __future__ import annotations

import asyncio

import pytest
from textual import events
from textual.widgets import DataTable, Static

from hvlab.cli import main as hvlab
from lab.session import STUDENT, Session
from tests.tui.conftest import SIZE
from tui.app import HvlabApp
from tui.screens.help import HelpScreen
from tui.screens.picker import PickerScreen


def rows(app) -> list[list[str]]:
    table = app.screen.query_one(DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def test_picker_lists_lessons_switches_language_and_shows_help(session):
    async def flow() -> None:
        app = HvlabApp(session)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, PickerScreen)
            english = rows(app)
            ids = [x.id for x in session.list_lessons("en")]
            assert ids[:4] == ["tour", "hypercalls", "control-api", "guest-buffers"]
            assert len(english) == len(ids)
            assert english[2][4].startswith("The control API")
            steps = [x.steps for x in session.list_lessons("en")]
            assert [(r[3], r[1]) for r in english] == [("en", f"0/{n}") for n in steps]
            summary = str(app.screen.query_one("#summary", Static).render())
            assert "Popek and Goldberg" in summary  # the highlighted lesson's incident

            await pilot.press("down")
            assert "probing for extensions" in str(app.screen.query_one("#summary", Static).render())

            await pilot.press("l")  # German, the cursor stays on its lesson
            await pilot.pause()
            assert app.screen.query_one(DataTable).cursor_row == 1
            german = rows(app)
            assert [r[3] for r in german] == ["de"] * len(ids)
            assert german[2][4] != english[2][4]

            await pilot.press("f1")
            await pilot.pause()
            assert isinstance(app.screen, HelpScreen)
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, PickerScreen)

            dark = app.theme
            await pilot.press("ctrl+t")
            assert app.theme != dark and "light" in app.theme

    asyncio.run(flow())


def test_main_refuses_an_unknown_lesson(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HVLAB_DATA", str(tmp_path))
    assert hvlab(["tui", "no-such-lesson"]) == 2
    assert "no lesson 'no-such-lesson'" in capsys.readouterr().err


def test_main_names_an_empty_lessons_directory_and_refuses_abbreviated_options(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HVLAB_DATA", str(tmp_path))
    empty = tmp_path / "none"
    empty.mkdir()
    assert hvlab(["--lessons", str(empty)]) == 2  # not an empty picker the student cannot explain
    assert f"no lessons in {empty}" in capsys.readouterr().err
    # `--lesson flood` is a typo for the positional lesson; it must not read as `--lessons flood`.
    with pytest.raises(SystemExit):
        hvlab(["tui", "--lesson", "flood"])
    assert "unrecognized arguments: --lesson" in capsys.readouterr().err


def test_an_unreadable_progress_file_is_named_on_the_screen_and_kept(tmp_path):
    path = tmp_path / "progress.json"
    path.write_text("{half a file")

    async def flow() -> None:
        app = HvlabApp(Session(seed=STUDENT, progress_path=path))
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await pilot.pause()
            toasts = " ".join(str(t.render()) for t in app.screen.query("Toast"))
            assert "progress file could not be read" in toasts and "unreadable-" in toasts

    asyncio.run(flow())
    assert [p.read_text() for p in tmp_path.glob("progress.json.unreadable-*")] == ["{half a file"]


def test_keys_typed_ahead_open_the_lesson_they_point_at(session):
    """Arrow keys and Enter in one burst (a fast typist, a busy machine): Enter opens the row the
    arrows reached, not the one the cursor was on when Enter arrived."""
    from tests.tui.conftest import lesson_started

    async def flow() -> None:
        app = HvlabApp(session)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            for key in ("down", "down", "down", "down", "enter"):  # all queued before any is handled
                app.post_message(events.Key(key, None if key != "enter" else "\r"))
            await lesson_started(pilot, machine=False)
            assert app.screen.lesson.id == session.list_lessons("en")[4].id == "grant-tables"

    asyncio.run(flow())
