"""A student plays the resources lesson (lesson 9) in the TUI at 80x24, by keyboard and mouse:
predictions answered before acting, the bank's batch and the tenant's work typed into their
consoles, the VMs panel's CPU and charged columns read with the run loop paused (the thief runs
nearly all the time and is charged for almost none of it; with exact accounting it gets its
quarter and pays for it), the policy switches flipped and set in the policy panel, and the
closing questions answered. Every step's checks turn done on the student's own commands.
"""

from __future__ import annotations

import asyncio
import re

from textual.widgets import DataTable, Input, Static

from lab.hv.scheduler import PERIOD_TICKS, WINDOW_PERIODS
from tests.tui.conftest import SIZE, click_in_view, enter_line, lesson_started, open_tab, wait_for
from tests.tui.test_quiz import to_question
from tui.app import HvlabApp
from tui.widgets.console import ConsoleView
from tui.widgets.lesson_view import LessonView

WINDOW = WINDOW_PERIODS * PERIOD_TICKS * 10_000  # the VMs panel's window, in instructions of the clock
STEP_SECONDS = 180.0  # a step's guest work on a loaded 2-core machine (millions of instructions)


async def predict(pilot, choice: int, number: int = 1) -> None:
    """Answer the step's question `number` with `choice` (1-based), by keyboard."""
    panel = await to_question(pilot, number)
    await pilot.press(*["down"] * (choice - 1), "enter")
    await pilot.pause()
    await pilot.press("tab", "enter")  # the Answer button
    await pilot.pause()
    assert panel.query_one("OptionList").disabled, f"question {number} was not answered"


async def type_at(pilot, vm: str, line: str) -> None:
    await open_tab(pilot, vm)
    # the tab's input line takes the focus once the tab is active (a busy screen takes a frame or two)
    await wait_for(
        pilot, lambda: getattr(pilot.app.focused, "id", None) == f"input-{vm}", 30, f"{vm}'s console"
    )
    await enter_line(pilot, line)


async def step_done(pilot, session, index: int) -> None:
    await wait_for(
        pilot,
        lambda: session.state().step == index and session.state().done,
        STEP_SECONDS,
        f"step {index + 1}",
    )


async def next_step(pilot, session, index: int) -> None:
    await pilot.press("ctrl+n")
    await pilot.pause()
    assert session.state().step == index + 1


def console(pilot, vm: str) -> str:
    return pilot.app.screen.query_one(f"#console-{vm}", ConsoleView).text


async def watch_the_window(pilot, session) -> None:
    """Let the steal run until the VMs panel's window (WINDOW_PERIODS periods) holds nothing else."""
    start = session.state().time
    await wait_for(pilot, lambda: session.state().time - start > 2 * WINDOW, STEP_SECONDS, "the steal")


async def shares_paused(pilot, session) -> dict[str, tuple[int, int]]:
    """Pause the run loop (F5), open the VMs panel and read each VM's CPU and charged cells,
    once they show the paused machine's figures: {name: (cpu %, charged %)}."""
    await pilot.press("f5")
    await pilot.pause()
    assert not session.running
    await open_tab(pilot, "vms")
    table = pilot.app.screen.query_one("#vms DataTable", DataTable)
    want = {vm.name: (f"{vm.share * 100:.0f}%", f"{vm.charged * 100:.0f}%") for vm in session.state().vms}

    def shown() -> dict[str, tuple[str, str]]:
        return {name: tuple(str(c) for c in table.get_row(name)[4:6]) for name in want}

    await wait_for(pilot, lambda: shown() == want, 10, "the VMs panel")
    await pilot.press("f5")  # run on
    await pilot.pause()
    return {name: (int(cpu[:-1]), int(charged[:-1])) for name, (cpu, charged) in want.items()}


def test_the_resources_lesson_by_keyboard(session):
    async def flow() -> None:
        app = HvlabApp(session, lesson="resources")
        async with app.run_test(size=SIZE) as pilot:
            await lesson_started(pilot)
            assert session.lesson.id == "resources"
            screen = app.screen

            # 1. Fair shares: predict, then the batch and honest work.
            await predict(pilot, 2)
            await type_at(pilot, "bank", "batch 20000")
            await type_at(pilot, "tenant", "spin 400000")
            await step_done(pilot, session, 0)
            spin = re.search(
                r"spin: \d+ instructions of work in \d+ of the clock \((\d+)%\)", console(pilot, "tenant")
            )
            assert spin and 20 <= int(spin[1]) <= 30, console(pilot, "tenant")
            feedback = screen.query_one(LessonView).questions[1].query_one(".quiz-feedback", Static)
            assert "Your prediction was right." in str(feedback.render())
            await next_step(pilot, session, 0)

            # 2. Steal: the tenant runs nearly all the time and is charged for almost none of it.
            await type_at(pilot, "bank", "batch 20000")
            await type_at(pilot, "tenant", "steal 10000 300 1000")
            await watch_the_window(pilot, session)
            shares = await shares_paused(pilot, session)  # while it steals
            assert shares["tenant"][0] >= 70 and shares["tenant"][1] <= 10, shares
            assert shares["bank"][1] >= 80, shares  # the bank pays for the ticks it is found running
            await step_done(pilot, session, 1)  # its report: the share it got
            await next_step(pilot, session, 1)

            # 3. Exact accounting, switched on in the policy panel: the thief gets its quarter.
            await predict(pilot, 1)
            await open_tab(pilot, "policy")
            await click_in_view(pilot, "#policy-sched-exact-accounting")
            assert session.state().policy.values["sched.exact_accounting"] is True
            await type_at(pilot, "bank", "batch 20000")
            await type_at(pilot, "tenant", "steal 10000 300 1000")
            await watch_the_window(pilot, session)
            shares = await shares_paused(pilot, session)
            assert shares["tenant"][0] <= 35 and abs(shares["tenant"][0] - shares["tenant"][1]) <= 10, shares
            assert not session.state().done  # no report yet: paying its way, the thief is slow
            await type_at(pilot, "tenant", "q")  # a key stops it, and it reports
            await step_done(pilot, session, 2)
            stolen = re.findall(r"steal: .*\((\d+)%\)", console(pilot, "tenant"))
            assert int(stolen[-1]) <= 30, stolen
            await next_step(pilot, session, 2)

            # 4. One long hypercall holds the CPU: the admin wakes a million instructions late.
            await predict(pilot, 2)
            await type_at(pilot, "admin", "lat 100000 10000")  # more than needed: a key stops it
            await type_at(pilot, "tenant", "dzero 0 2048")
            await wait_for(pilot, lambda: "dzero: 2048 sectors" in console(pilot, "tenant"), STEP_SECONDS)
            await type_at(pilot, "admin", "q")
            await step_done(pilot, session, 3)
            late = re.findall(r"lat: \d+ wake-ups, max (\d+)", console(pilot, "admin"))
            assert late and int(late[-1]) >= 500_000
            await next_step(pilot, session, 3)

            # 5. Continuations: the same call in pieces, the admin runs in between.
            await predict(pilot, 1)
            await open_tab(pilot, "policy")
            await click_in_view(pilot, "#policy-hypercall-preemptible")
            await type_at(pilot, "admin", "lat 100000 10000")
            await type_at(pilot, "tenant", "dzero 0 2048")
            await wait_for(
                pilot, lambda: console(pilot, "tenant").count("dzero: 2048 sectors") == 2, STEP_SECONDS
            )
            await type_at(pilot, "admin", "q")
            await step_done(pilot, session, 4)
            late = re.findall(r"lat: \d+ wake-ups, max (\d+)", console(pilot, "admin"))
            assert int(late[-1]) <= 20_000
            await next_step(pilot, session, 4)

            # 6. A full inbox: the tenant's junk fills the admin's inbox, the bank's report is refused.
            await type_at(pilot, "tenant", "dsendn 0 16 junk")
            await wait_for(pilot, lambda: "dsendn: 16 of 16 queued" in console(pilot, "tenant"), STEP_SECONDS)
            await type_at(pilot, "bank", "batch 10")
            await step_done(pilot, session, 5)
            assert "report to dom0 refused" in console(pilot, "bank")
            await next_step(pilot, session, 5)

            # 7. A quota per sender, typed into the policy panel's number field.
            await predict(pilot, 2)
            await open_tab(pilot, "policy")
            field = screen.query_one("#policy-dgram-sender-quota", Input)
            await click_in_view(pilot, "#policy-dgram-sender-quota")
            field.value = "4"
            await pilot.press("enter")
            await pilot.pause()
            assert session.state().policy.values["dgram.sender_quota"] == 4
            await type_at(pilot, "admin", "drecv 20")
            await type_at(pilot, "tenant", "dsendn 0 16 junk")
            await wait_for(pilot, lambda: "dsendn: 4 of 16 queued" in console(pilot, "tenant"), STEP_SECONDS)
            await type_at(pilot, "bank", "batch 10")
            await step_done(pilot, session, 6)
            assert "report sent to dom0" in console(pilot, "bank")
            await next_step(pilot, session, 6)

            # 8. The noisy neighbour: the admin's disk, quiet and then under the tenant's noise.
            await predict(pilot, 2)
            await type_at(pilot, "admin", "dbench 512")
            await wait_for(pilot, lambda: "dbench: 512 of 512" in console(pilot, "admin"), STEP_SECONDS)
            await type_at(pilot, "tenant", "dnoise 200000")
            await type_at(pilot, "admin", "dbench 512")
            await step_done(pilot, session, 7)
            times = [
                int(t) for t in re.findall(r"dbench: \d+ of 512 sectors in (\d+)", console(pilot, "admin"))
            ]
            assert len(times) == 2 and times[1] > 20 * times[0], times
            await next_step(pilot, session, 7)

            # 9. A bucket per disk: the admin's disk is usable again.
            await predict(pilot, 2)
            await open_tab(pilot, "policy")
            field = screen.query_one("#policy-blk-rate-limit", Input)
            await click_in_view(pilot, "#policy-blk-rate-limit")
            field.value = "2000"
            await pilot.press("enter")
            await pilot.pause()
            await type_at(pilot, "tenant", "dnoise 200000")
            await type_at(pilot, "admin", "dbench 512")
            await step_done(pilot, session, 8)
            times = [
                int(t) for t in re.findall(r"dbench: 512 of 512 sectors in (\d+)", console(pilot, "admin"))
            ]
            assert times[-1] <= 100_000, times
            await next_step(pilot, session, 8)

            # 10. The reflection, answered by keyboard.
            await predict(pilot, 2, 1)
            await predict(pilot, 3, 2)
            panel = await to_question(pilot, 3)
            await pilot.press("enter", "down", "down", "enter", "tab", "enter")  # the first and the third
            await pilot.pause()
            assert panel.chosen() == "1,3"
            await wait_for(pilot, lambda: session.state().finished, 10, "the reflection")
            assert "Lesson complete" in str(screen.query_one("#status").render())

    asyncio.run(flow())
    assert session.progress()["lessons"]["resources"]["finished"]
