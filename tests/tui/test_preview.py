"""An instructor's preview in the terminal lab: a saved lesson file is drawn afresh on the
machine it had, a changed scenario builds a new one, a broken file is named, not shown."""

from __future__ import annotations

import asyncio
from pathlib import Path

from lab.lesson.scaffold import scaffold
from lab.session import STUDENT, Session
from tests.test_preview import ID, touch
from tests.tui.conftest import SIZE, enter_line, lesson_started, settled, until
from tui.app import HvlabApp
from tui.screens.lesson import LessonScreen
from tui.widgets.console import ConsoleView
from tui.widgets.lesson_view import LessonView


def test_a_saved_lesson_is_shown_again_on_the_machine_it_had(tmp_path: Path) -> None:
    scaffold(ID, tmp_path)
    asyncio.run(preview_flow(tmp_path))


async def preview_flow(folder: Path) -> None:
    session = Session(folder, seed=STUDENT, progress_path=None)
    app = HvlabApp(session, preview="Previewing the folder")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await lesson_started(pilot)
        first = app.screen
        assert isinstance(first, LessonScreen)
        await enter_line(pilot, "vms")
        before = (await settled(pilot)).time

        lesson = folder / f"{ID}.md"
        touch(lesson, lesson.read_text().replace("## Find your neighbours", "## Meet the neighbours"))
        await until(pilot, lambda: app.screen is not first and isinstance(app.screen, LessonScreen))
        shown = app.screen
        assert any("read again; the machine is kept" in n.message for n in app._notifications)
        assert (await settled(pilot)).time >= before  # the machine was kept (its engine, its clock) ...
        assert "Meet the neighbours" in str(shown.query_one(LessonView).lesson.steps[0].title)
        tenant = shown.query_one("#console-tenant", ConsoleView)
        await until(pilot, lambda: "dom2 running" in tenant.text)  # ... and drawn in full on the new screen

        lesson.write_text(lesson.read_text().replace("console_contains tenant", "console_contain tenant"))
        touch(lesson, lesson.read_text())
        await until(pilot, lambda: any("did you mean" in n.message for n in app._notifications))
        assert app.screen is shown  # the old lesson goes on

        scenario = folder / f"{ID}.toml"
        touch(lesson, lesson.read_text().replace("console_contain tenant", "console_contains tenant"))
        touch(scenario, scenario.read_text().replace("pin-4711", "pin-0815"))
        await until(pilot, lambda: any("machine was built again" in n.message for n in app._notifications))
        await until(pilot, lambda: isinstance(app.screen, LessonScreen) and app.screen is not shown)
        await settled(pilot)
        assert app.machine is not None and not app.machine.ended  # one engine all along
