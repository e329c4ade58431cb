"""The lab at the two terminal sizes it promises, 80x24 and 100x30, by keyboard alone: what a
lesson depends on is on screen, in full, and the text is there to read.

"On screen" is checked as the terminal would show it: the widget is the one at its place on
the screen, and the screen (Textual's own screenshot, read back as text) holds the words
where the widget is. Long lines wrap, so a sentence may run over two rows: the rows are
read as one text with the spacing evened out.
"""

from __future__ import annotations

import asyncio
import html
import re
from pathlib import Path

import pytest

from lab.session import STUDENT, Session
from lab.session.course import ProgressBook
from tests.tui.conftest import enter_line, lesson_started, settled, until
from tui.app import HvlabApp

SIZES = [(80, 24), (100, 30)]
KEY_LINE = "UNCHECKED: ref 0 was granted to dom0"  # lesson 5, step 2: what the trace says


def resumed(path: Path, lesson: str, step: int) -> Session:
    """A student who did the lesson's steps before `step`: the lab resumes there."""
    book = ProgressBook(path, seed=STUDENT)
    for done in range(step):
        book.step_done(lesson, done, last=False)
    book.step_began(lesson, step)
    return Session(seed=STUDENT, progress_path=path)


CELL = 12.2  # an SVG screenshot's character width (Rich's: 0.61 of its 20 px font)
TEXT = re.compile(
    r'<text class="[^"]*" x="([\d.]+)"[^>]*clip-path="url\(#terminal-(?:\d+-)?line-(\d+)\)">([^<]*)</text>'
)


def screen_rows(app) -> list[str]:
    """The screen as the terminal shows it, row by row (from Textual's SVG screenshot)."""
    width, height = app.size
    rows = [[" "] * width for _ in range(height)]
    for x, line, text in TEXT.findall(app.export_screenshot()):
        row, col = rows[int(line)], round(float(x) / CELL)
        for i, char in enumerate(html.unescape(text).replace("\xa0", " ")):
            if col + i < width:
                row[col + i] = char
    return ["".join(row) for row in rows]


def on_screen(app, widget) -> bool:
    """The widget has rows on the screen and nothing else covers its first one."""
    region = widget.region
    if not region.height or not app.screen.region.contains_region(region):
        return False
    found, _ = app.screen.get_widget_at(region.x, region.y)
    return widget in found.ancestors_with_self


def shown(app, widget) -> str:
    """What the screen shows where the widget is, as one text with its spacing evened out."""
    region = widget.region
    rows = screen_rows(app)[region.y : region.bottom]
    return " ".join(" ".join(row[region.x : region.right] for row in rows).split())


async def panel(pilot, name: str, *, most: int = 12) -> None:
    """F3 until the panel `name` is open, as a student steps through them."""
    from textual.widgets import TabbedContent

    tabs = pilot.app.screen.query_one(TabbedContent)
    for _ in range(most):
        if tabs.active == f"tab-{name}":
            return
        await pilot.press("f3")
        await pilot.pause()
    raise AssertionError(f"F3 never reached {name}")


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_lesson_5s_key_line_is_on_screen_in_full(size, tmp_path):
    session = resumed(tmp_path / "progress.json", "grant-tables", 1)

    async def flow() -> None:
        app = HvlabApp(session, lesson="grant-tables")
        async with app.run_test(size=size) as pilot:
            await lesson_started(pilot, machine=False)
            screen = app.screen
            # The step's text has the whole width: its commands are not cut.
            prose = screen.query_one("#prose-scroll")
            assert app.focused is prose and on_screen(app, prose)
            assert "into the tenant's grant window at 0x90000000 anyway" in shown(app, prose)

            screen.machine.submit(Session.answer, 1, "1")  # the step's prediction (test_quiz: by keyboard)
            await pilot.press("f2")  # to the machine: the tenant's console
            await pilot.pause()
            await enter_line(pilot, "map 2 0 0x90000000")
            await enter_line(pilot, "print 0x90000000 62")
            assert "STATEMENT alice" in screen.query_one("#console-tenant").text

            await panel(pilot, "trace")
            log = screen.query_one("#trace-log")
            assert app.focused is log and on_screen(app, log)
            await until(pilot, lambda: any(KEY_LINE in line for line in log.lines), what="the trace")
            # The newest events are in view; the key line is found with the keys, in full.
            for _ in range(40):
                if KEY_LINE in shown(app, log):
                    break
                await pilot.press("up")
                await pilot.pause()
            assert KEY_LINE in shown(app, log)
            state = await settled(pilot)
            assert state.step == 1 and state.done  # and the step is done

    asyncio.run(flow())


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_lesson_8s_management_console_and_drops_are_on_screen_in_the_storm(size, tmp_path):
    session = resumed(tmp_path / "progress.json", "flood", 1)

    async def flow() -> None:
        app = HvlabApp(session, lesson="flood")
        async with app.run_test(size=size) as pilot:
            await lesson_started(pilot)
            screen = app.screen
            app.focused.value = "storm 10.0.0.1 6230 1000000"  # it never gives the prompt back
            await pilot.press("enter")
            await until(pilot, lambda: screen.mips > 0, what="the storm")

            await panel(pilot, "network")
            ports = screen.query_one("#net-ports")
            assert app.focused is ports and on_screen(app, ports)
            await until(pilot, lambda: "tenant" in shown(app, ports), what="the ports")
            assert "drops" in shown(app, ports).split()  # the column's head is drawn in full
            console = screen.query_one("#mgmt-input")
            assert on_screen(app, console)

            await pilot.press("tab")  # from the ports table to the management console
            assert app.focused is console
            await enter_line(pilot, "LIST")
            log = screen.query_one("#mgmt-log")
            await until(pilot, lambda: "OK" in shown(app, log), what="the console's answer")
            assert on_screen(app, log)
            assert "> LIST" in shown(app, log) and "tenant=running" in shown(app, log)
            assert on_screen(app, console)  # still there for the next command
            drops = await settled(pilot)
            assert drops.running and screen.mips > 0  # the storm went on throughout

    asyncio.run(flow())
