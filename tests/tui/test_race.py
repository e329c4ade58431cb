"""Lesson 6 in the TUI: the student writes the double-fetch race in the editor and tunes it.

The editor opens with the lesson's starting point (lessons/programs/race.S), not the
generic example. A change to `len` made at once is too early (the backend's check sees
it), one made long after is too late (the copy is done); a wait that lands between the
check and the copy wins, and the hypervisor takes the tenant for the control domain.
With dgram.copy_then_validate on, the same program loses.
"""

from __future__ import annotations

import asyncio

from textual.widgets import Select

from lab.session import Session
from tests.tui.conftest import SIZE, lesson_started, open_tab, press, settled, until
from tui.app import HvlabApp
from tui.widgets.console import ConsoleView
from tui.widgets.editor import Editor

ENDINGS = {  # what the tenant's console says at each ending of the race
    "early": "rejected the request: len was over 240",
    "late": "no more than its buffer holds",
    "won": "destroy(2) succeeded",
}
TUNING = (511, 500, 522, 490, 533, 480)  # the waits a student tries, nearest the window first
YOUR_PART = "        # Your part: make the backend copy more than its check allowed.\n"


def change_len(wait: int) -> str:
    """The student's part: wait `wait` turns of a two-instruction loop, then len = 260."""
    loop = f"        li   t0, {wait}\n1:      addi t0, t0, -1\n        bnez t0, 1b\n" if wait else ""
    return loop + "        li   t1, 260\n        sw   t1, DGRAM_RING_LEN(s0)\n"


def test_the_race_is_written_in_the_editor_and_timed_until_it_wins(session):
    async def flow() -> None:
        app = HvlabApp(session, lesson="double-fetch")
        async with app.run_test(size=SIZE) as pilot:
            await lesson_started(pilot)
            screen = app.screen
            tenant = screen.query_one("#console-tenant", ConsoleView)
            await open_tab(pilot, "editor")
            editor = screen.query_one(Editor)
            starter = editor.text
            assert YOUR_PART in starter and 'include "lib/race.S"' in starter  # the lesson's program
            screen.query_one("#editor-vm", Select).value = "tenant"
            await pilot.pause()

            async def race(wait: int) -> str:
                """Load the program with this wait; which of the three endings the tenant saw."""
                editor.text = starter.replace(YOUR_PART, change_len(wait))
                await press(pilot, "#editor-go")
                seen = lambda: [end for end, words in ENDINGS.items() if words in tenant.text]  # noqa: E731
                try:
                    await until(pilot, lambda: seen(), what=f"the race with {wait} to end")
                except AssertionError as exc:  # with what the tenant wrote, in the engine
                    got = []
                    screen.machine.submit(Session.console, "tenant", then=got.append)
                    await until(pilot, lambda: got, timeout=10)
                    raise AssertionError(
                        f"{exc}; the tenant's console in the engine:\n{got[0].text}"
                    ) from None
                (end, *_) = seen()
                tenant.clear()
                return end

            assert await race(0) == "early"  # the check sees 260
            assert await race(2000) == "late"  # the copy is done
            # Between the two fetches: tuned as a student tunes it (where the window lies moves a
            # little with what the other VMs were doing when the program started).
            won = None
            for wait in TUNING:
                if await race(wait) == "won":
                    won = wait
                    break
            assert won is not None, "no wait in the window"
            assert (await settled(pilot)).vms[2].state == "destroyed"

            # The defence: the backend copies the request once and checks the copy.
            screen.machine.submit(Session.set_policy, "dgram.copy_then_validate", True)
            assert (await settled(pilot)).policy.values["dgram.copy_then_validate"] is True
            assert await race(won) == "late"  # the winning wait now gets the checked length

    asyncio.run(flow())
