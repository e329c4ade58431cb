"""Fixtures for the TUI's pilot tests: a session on the real lessons whose progress
goes to a temporary file, and a helper that waits for the lesson screen (its machine
is built in a worker thread)."""

from __future__ import annotations

import importlib.util
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


async def lesson_started(pilot) -> None:
    """Wait until the chosen lesson's machine is built and its screen is up."""
    from tui.screens.lesson import LessonScreen

    await pilot.app.workers.wait_for_complete()
    for _ in range(100):  # the screen mounts after the worker hands it over
        if isinstance(pilot.app.screen, LessonScreen):
            break
        await pilot.pause(0.02)
    await pilot.pause()


async def wait_for(pilot, condition, seconds: float = 10.0, what: str = "the lab") -> None:
    """Let the app run until `condition()` holds: the run loop advances the guests on a
    timer, so output appears after some frames, later on a loaded machine."""
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"{what} did not react in {seconds} s")


async def enter_line(pilot, text: str) -> None:
    """Put `text` in the focused input line and press Enter.

    Typing key by key costs a screen refresh per key (about 0.1 s in a pilot
    run); the flow test types the attack itself that way, the rest uses this.
    """
    from textual.widgets import Input

    focused = pilot.app.focused
    assert isinstance(focused, Input), focused
    focused.value = text
    await pilot.press("enter")
    await pilot.pause()


async def open_tab(pilot, name: str) -> None:
    """Click a tab of the machine's panels, as a student does with the mouse.

    At 80 columns the tab bar is wider than the screen and Textual scrolls it to
    keep the active tab in view; a tab off the edge is first brought into view, as
    the student would by widening the terminal or stepping there with F3.
    """
    from textual.widgets import TabbedContent

    screen = pilot.app.screen
    tab = screen.query_one(f"#work Tab#--content-tab-tab-{name}")
    screen.query_one("#work #tabs-scroll").scroll_to_center(tab, animate=False, force=True)
    await pilot.pause()
    await pilot.click(tab)
    await pilot.pause()
    assert screen.query_one(TabbedContent).active == f"tab-{name}"
