"""German, switched in the picker: the lesson and every word of the lab around it
(footer keys, column heads, panel tabs, the status line, dialogs, help) follow."""

from __future__ import annotations

import asyncio

from textual.widgets import Button, DataTable, Markdown, TabbedContent

from tests.tui.conftest import SIZE, lesson_started
from tui.app import HvlabApp
from tui.screens.confirm import ConfirmScreen
from tui.screens.help import HelpScreen
from tui.screens.lesson import LessonScreen
from tui.screens.picker import PickerScreen


def footer_words(app) -> set[str]:
    """What the footer offers right now (the bindings it shows)."""
    return {a.binding.description for a in app.screen.active_bindings.values() if a.binding.show}


def heads(table: DataTable) -> list[str]:
    return [str(column.label) for column in table.columns.values()]


def test_switching_to_german_in_the_picker_switches_the_lesson_and_the_lab(session):
    async def flow() -> None:
        app = HvlabApp(session)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert {"Open", "Language"} <= footer_words(app)
            await pilot.press("l")
            await pilot.pause()
            picker = app.screen
            assert isinstance(picker, PickerScreen)
            assert {"Öffnen", "Sprache", "Hilfe"} <= footer_words(app)
            assert "Open" not in footer_words(app)
            assert heads(picker.query_one(DataTable))[1:] == ["erledigt", "Min.", "Spr.", "Lektion"]
            assert "Lektionen · Deutsch" in picker.sub_title

            await pilot.press("down", "down", "enter")  # the control API, in German
            await lesson_started(pilot)
            screen = app.screen
            assert isinstance(screen, LessonScreen)
            assert screen.lesson.lang == "de"
            assert "Schritt 1 von 6" in str(screen.query_one("#prose", Markdown).source)
            assert {"Hilfe", "Reiter", "Start", "Prüfen", "Tipp", "Text", "Einzel", "Neu"} <= footer_words(
                app
            )
            tabs = screen.query_one(TabbedContent)
            labels = [str(tabs.get_tab(pane).label) for pane in ("tab-timeline", "tab-policy", "tab-editor")]
            assert labels == ["Zeit", "Richtlinie", "Edit"]  # short (80 columns); as the lessons name them
            status = str(screen.query_one("#status").render())
            assert "Schritt 1/6" in status and "Reiter 2/9" in status and "Richtlinie vulnerable" in status
            assert "noch nicht" in str(screen.query_one("#checks").render())
            table = screen.query_one("#vms DataTable", DataTable)
            assert heads(table)[:3] == ["dom", "Name", "Zustand"]
            assert str(screen.query_one("#vm-reboot", Button).label) == "Neustart (b)"

            await pilot.press("f9")  # a dialog: in German, and "n" keeps the step
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen)
            assert str(app.screen.query_one("#yes", Button).label) == "Ja (j)"
            await pilot.press("n")
            await pilot.pause()
            assert app.screen is screen

            await pilot.press("f1")
            await pilot.pause()
            assert isinstance(app.screen, HelpScreen)
            help_text = str(app.screen.query_one(Markdown).source)
            assert "| Taste | was sie tut |" in help_text and "Das Labor" in help_text
            assert (
                "| `f7` | Den Schritt jetzt prüfen |" in help_text
                and "| `^r` | Lektion zurücksetzen |" in help_text
            )
            await pilot.press("escape")
            await pilot.pause()
            assert app.screen is screen

    asyncio.run(flow())
