"""Snapshots of the main screens at 80x24 (pytest-textual-snapshot).

After a deliberate change to a screen, look at the new picture and accept it
with `pytest tests/tui/test_snapshots.py --snapshot-update`; the SVGs in
`__snapshots__/` are the reference and render in a browser.
"""

from __future__ import annotations

from functools import partial

import pytest

pytest.importorskip("pytest_textual_snapshot")

from textual.widgets import Input, TextArea

from tests.tui.conftest import SIZE, lesson_started, open_tab
from tui.app import HvlabApp


def test_picker_snapshot(snap_compare, session):
    assert snap_compare(HvlabApp(session), terminal_size=SIZE)


async def steady_cursor(pilot, *, machine: bool = True) -> None:
    """A blinking cursor would make the picture depend on when it is taken."""
    await lesson_started(pilot, machine=machine)
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False
    for area in pilot.app.screen.query(TextArea):
        area.cursor_blink = False
    await pilot.pause()


def test_lesson_screen_snapshot(snap_compare, session):
    # The control-API lesson as a student first meets it at 80x24: the step's text, the whole width.
    app = HvlabApp(session, lesson="control-api")
    assert snap_compare(app, terminal_size=SIZE, run_before=partial(steady_cursor, machine=False))


def test_lesson_machine_snapshot(snap_compare, session):
    # ... and after F2: the machine, the tenant's console focused, the step and its checks in the status.
    app = HvlabApp(session, lesson="control-api")
    assert snap_compare(app, terminal_size=SIZE, run_before=steady_cursor)


def test_editor_in_german_snapshot(snap_compare, session):
    # The editor at 80x24 in German: highlighted assembly, the short tab labels, the German footer.
    async def editor(pilot) -> None:
        await lesson_started(pilot)
        await open_tab(pilot, "editor")
        await steady_cursor(pilot)
        pilot.app.screen.query_one("#editor-text").focus()  # as the tab's click leaves it, in every run
        await pilot.pause()

    app = HvlabApp(session, lesson="hypercalls", lang="de")
    assert snap_compare(app, terminal_size=SIZE, run_before=editor)
