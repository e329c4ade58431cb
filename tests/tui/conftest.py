"""Fixtures for the TUI's pilot tests: a session on the real lessons whose progress
goes to a temporary file, and a helper that waits for the lesson screen (its machine
is built in a worker thread)."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import pytest

from lab.session import STUDENT, Session

# The TUI is an optional extra (`pip install -e '.[tui]'`): without Textual its tests are not collected.
if importlib.util.find_spec("textual") is None:
    collect_ignore_glob = ["test_*.py"]

SIZE = (80, 24)  # the smallest terminal the lab promises to work in


@pytest.fixture
def progress_file(tmp_path: Path) -> Path:
    return tmp_path / "hvlab" / "progress.json"


@pytest.fixture
def session(progress_file: Path) -> Session:
    return Session(seed=STUDENT, progress_path=progress_file)


async def lesson_started(pilot, *, machine: bool = True, timeout: float = 120) -> None:
    """Wait until the chosen lesson's engine has built its machine and the screen shows it;
    with `machine`, go on to the machine (F2) if the terminal is too narrow for text and machine."""
    from tui.screens.lesson import LessonScreen

    await until(pilot, lambda: isinstance(pilot.app.screen, LessonScreen), timeout=timeout, what="the lesson")
    await settled(pilot)
    if machine:
        await machine_shown(pilot)


async def machine_shown(pilot) -> None:
    """The machine's panels on screen, as F2 brings them when the lesson text has the screen."""
    if not pilot.app.screen.query_one("#work").display:
        await pilot.press("f2")
        await pilot.pause()


async def until(pilot, condition, *, timeout: float = 60, what: str = "") -> None:
    """Let the app run until `condition()` holds: what the engine does reaches the screen in its own time."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s for {what or condition}")
        await pilot.pause(0.02)


async def settled(pilot, *, timeout: float = 60):
    """Every command sent so far has run in the lesson's engine, and the screen draws the machine
    as it is now (the step's checks evaluated if due); returns the state the screen shows."""
    from lab.session import Session

    screen = pilot.app.screen
    drawn = []

    def show(frame) -> None:
        screen.show(frame)
        drawn.append(frame)

    screen.machine.submit(Session.frame, then=show)
    await until(pilot, lambda: drawn, timeout=timeout, what="the engine's frame")
    await pilot.pause()
    return screen.state


def console_of(pilot):
    """The console whose input line has the focus (None: the focus is elsewhere)."""
    from tui.widgets.console import ConsoleView

    focused = pilot.app.focused
    parent = focused.parent if focused is not None else None
    return parent if isinstance(parent, ConsoleView) else None


async def answered(pilot, console, before: int, text: str) -> None:
    """The guest echoed `text` after `before` characters of its console and shows its prompt again."""

    def done() -> bool:
        new = console.text[before:]
        return text.strip() in new and new.rstrip().endswith(">")

    await until(pilot, done, what=f"{console.vm}'s answer to {text!r}")
    await settled(pilot)


async def enter_line(pilot, text: str) -> None:
    """Put `text` in the focused input line and press Enter; at a console, wait for the answer.

    Typing key by key costs a screen refresh per key (about 0.1 s in a pilot
    run); the flow test types the attack itself that way, the rest uses this.
    """
    from textual.widgets import Input

    focused = pilot.app.focused
    assert isinstance(focused, Input), focused
    console = console_of(pilot)
    before = len(console.text) if console is not None else 0
    focused.value = text
    await pilot.press("enter")
    if console is not None:
        await answered(pilot, console, before, text)
    else:
        await settled(pilot)


async def open_tab(pilot, name: str) -> None:
    """Click a tab of the machine's panels, as a student does with the mouse.

    At 80 columns the tab bar is wider than the screen and Textual scrolls it to
    keep the active tab in view; a tab off the edge is first brought into view, as
    the student would by widening the terminal or stepping there with F3.
    """
    from textual.widgets import TabbedContent

    await machine_shown(pilot)
    screen = pilot.app.screen
    tab = screen.query_one(f"#work Tab#--content-tab-tab-{name}")
    screen.query_one("#work #tabs-scroll").scroll_to_center(tab, animate=False, force=True)
    await pilot.pause()
    await pilot.click(tab)
    await pilot.pause()
    assert screen.query_one(TabbedContent).active == f"tab-{name}"


async def press(pilot, selector: str) -> None:
    """Click a button as a student does, not faster: Textual ignores a click while the button
    still shows its last press (0.2 s, longer on a busy machine), and a guest that answers at
    once let the race test click again within that, a click that did nothing."""
    from textual.widgets import Button

    button = pilot.app.screen.query_one(selector, Button)
    await until(pilot, lambda: not button.has_class("-active"), timeout=10, what=f"{selector} ready")
    await pilot.click(selector)


async def click_in_view(pilot, selector: str) -> None:
    """Click a widget of a panel (a policy switch, the Measure button), scrolled into view first
    as a student scrolls the panel to it (at 80x24 the policy panel is taller than the screen)."""
    widget = pilot.app.screen.query_one(selector)
    widget.scroll_visible(animate=False, immediate=True)
    await pilot.pause()
    await pilot.click(selector)
    await pilot.pause()
