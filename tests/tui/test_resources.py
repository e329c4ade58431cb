"""A student plays the resources lesson (lesson 9) in the TUI at 80x24, by keyboard and mouse:
predictions answered before acting, the bank's batch and the tenant's work typed into their
consoles, the VMs panel's CPU and charged columns read with the run loop paused (the thief runs
nearly all the time and is charged for almost none of it; with exact accounting it gets its
quarter and pays for it), the policy switches flipped and set in the policy panel, and the
closing questions answered. Every step's checks turn done on the student's own commands.
"""

from __future__ import annotations

import asyncio
import json
import re

from textual.widgets import DataTable, Input, Static

from lab.hv.scheduler import PERIOD_TICKS, WINDOW_PERIODS
from tests.tui.conftest import SIZE, click_in_view, lesson_started, open_tab, settled, until
from tests.tui.test_lesson_flow import text_shown
from tests.tui.test_quiz import to_question
from tui.app import HvlabApp
from tui.widgets.console import ConsoleView
from tui.widgets.lesson_view import LessonView

WINDOW = WINDOW_PERIODS * PERIOD_TICKS * 10_000  # the VMs panel's window, in instructions of the clock
STEP_SECONDS = 180.0  # a step's guest work on a loaded 2-core machine (millions of instructions)


async def predict(pilot, choice: int, number: int = 1) -> None:
    """Answer the step's question `number` with `choice` (1-based), by keyboard, on the lesson's
    text (at 80 columns it takes turns with the machine: F2)."""
    await text_shown(pilot)
    panel = await to_question(pilot, number)
    await pilot.press(*["down"] * (choice - 1), "enter")
    await pilot.pause()
    await pilot.press("tab", "enter")  # the Answer button
    await settled(pilot)  # the engine took the answer: the choices are closed
    await until(
        pilot, lambda: panel.query_one("OptionList").disabled, timeout=10, what=f"question {number}'s answer"
    )


async def type_at(pilot, vm: str, line: str) -> None:
    """Type a line into a VM's console; it has reached the engine when this returns (a guest at
    work answers in its own time: the flow waits for what it needs to read)."""
    await open_tab(pilot, vm)
    # the tab's input line takes the focus once the tab is active (a busy screen takes a frame or two)
    await until(
        pilot,
        lambda: getattr(pilot.app.focused, "id", None) == f"input-{vm}",
        timeout=30,
        what=f"{vm}'s console",
    )
    focused = pilot.app.focused
    assert isinstance(focused, Input), focused
    focused.value = line
    await pilot.press("enter")
    await settled(pilot)


async def state_until(pilot, condition, what: str):
    """Ask the engine for the machine's state until `condition(state)` holds; returns that state."""
    for _ in range(int(STEP_SECONDS / 0.5)):
        state = await settled(pilot)
        if condition(state):
            return state
        await pilot.pause(0.5)
    raise AssertionError(f"waited {STEP_SECONDS} s for {what}: {state}")


async def step_done(pilot, index: int) -> None:
    """The step's checks all done on the machine the screen shows."""
    state = await state_until(pilot, lambda state: state.done, f"step {index + 1}")
    assert state.step == index and all(c.done for c in state.checks), state.checks


async def next_step(pilot, index: int) -> None:
    await pilot.press("ctrl+n")
    await pilot.pause()
    assert (await settled(pilot)).step == index + 1


def console(pilot, vm: str) -> str:
    return pilot.app.screen.query_one(f"#console-{vm}", ConsoleView).text


async def console_until(pilot, vm: str, condition, what: str) -> None:
    await until(pilot, lambda: condition(console(pilot, vm)), timeout=STEP_SECONDS, what=what)


async def watch_the_window(pilot) -> None:
    """Let the steal run until the VMs panel's window (WINDOW_PERIODS periods) holds nothing else."""
    start = (await settled(pilot)).time
    await state_until(pilot, lambda state: state.time - start > 2 * WINDOW, "the steal")


async def shares_paused(pilot) -> dict[str, tuple[int, int]]:
    """Pause the run loop (F5), open the VMs panel and read each VM's CPU and charged cells,
    once they show the paused machine's figures: {name: (cpu %, charged %)}."""
    await pilot.press("f5")
    state = await settled(pilot)
    assert not state.running
    await open_tab(pilot, "vms")
    table = pilot.app.screen.query_one("#vms DataTable", DataTable)
    want = {vm.name: (f"{vm.share * 100:.0f}%", f"{vm.charged * 100:.0f}%") for vm in state.vms}

    def cells() -> dict[str, tuple[str, ...]]:
        return {name: tuple(str(c) for c in table.get_row(name)[4:6]) for name in want}

    await until(pilot, lambda: cells() == want, timeout=10, what="the VMs panel")
    await pilot.press("f5")  # run on
    assert (await settled(pilot)).running
    return {name: (int(cpu[:-1]), int(charged[:-1])) for name, (cpu, charged) in want.items()}


async def noise(pilot) -> None:
    """The tenant's noise, on before the admin measures: its disk's read counter grows by a few
    requests' sectors (typed at once, the admin's quick reads could come first)."""

    def read(state) -> int:
        return next(vm for vm in state.vms if vm.name == "tenant").disk.sectors_read

    before = read(await settled(pilot))
    await type_at(pilot, "tenant", "dnoise 2000000")
    await state_until(pilot, lambda state: read(state) >= before + 64, "the noise")


async def batch_stopped(pilot) -> int:
    """A key stops the bank's batch before it reports to the admin (dom0): `accounts`, a command
    of its own. Returns how many reports its batches sent so far, each in the admin's inbox."""
    await type_at(pilot, "bank", "accounts")
    await console_until(
        pilot, "bank", lambda text: text.split("accounts")[-1].rstrip().endswith("bank>"), "the bank"
    )
    return console(pilot, "bank").count("batch: report sent to dom0")


def test_the_resources_lesson_by_keyboard(session, progress_file):
    async def flow() -> None:
        app = HvlabApp(session, lesson="resources")
        async with app.run_test(size=SIZE) as pilot:
            await lesson_started(pilot)
            assert app.screen.lesson.id == "resources"
            screen = app.screen

            # 1. Fair shares: predict, then the batch and honest work.
            await predict(pilot, 2)
            # A batch longer than the lesson's (the engine's speed is the host's: 20,000 rounds may
            # end before the spin begins); the next batch typed stops it.
            await type_at(pilot, "bank", "batch 200000")
            await type_at(pilot, "tenant", "spin 400000")
            await step_done(pilot, 0)
            spin = re.search(
                r"spin: \d+ instructions of work in \d+ of the clock \((\d+)%\)", console(pilot, "tenant")
            )
            assert spin and 20 <= int(spin[1]) <= 30, console(pilot, "tenant")
            feedback = screen.query_one(LessonView).questions[1].query_one(".quiz-feedback", Static)
            assert "Your prediction was right." in str(feedback.render())
            await next_step(pilot, 0)

            # 2. Steal: the tenant runs nearly all the time and is charged for almost none of it.
            # The engine runs as fast as the host lets it: ten times the lesson's figures (a key stops
            # them), or the batch ends before the steal begins and the steal before the panel is read.
            await type_at(pilot, "bank", "batch 200000")
            await type_at(pilot, "tenant", "steal 10000 300 10000")
            await watch_the_window(pilot)
            shares = await shares_paused(pilot)  # while it steals
            assert shares["tenant"][0] >= 70 and shares["tenant"][1] <= 10, shares
            assert shares["bank"][1] >= 80, (
                shares,
                console(pilot, "bank"),
            )  # the bank pays for the ticks it is found running
            await type_at(pilot, "tenant", "q")  # a key stops it, and it reports the share it got
            await step_done(pilot, 1)
            await next_step(pilot, 1)

            # 3. Exact accounting, switched on in the policy panel: the thief gets its quarter.
            await predict(pilot, 1)
            await open_tab(pilot, "policy")
            await click_in_view(pilot, "#policy-sched-exact-accounting")
            assert (await settled(pilot)).policy.values["sched.exact_accounting"] is True
            await type_at(pilot, "bank", "batch 200000")
            await type_at(pilot, "tenant", "steal 10000 300 10000")
            await watch_the_window(pilot)
            shares = await shares_paused(pilot)
            assert shares["tenant"][0] <= 35 and abs(shares["tenant"][0] - shares["tenant"][1]) <= 10, shares
            assert not (await settled(pilot)).done  # no report yet: paying its way, the thief is slow
            await type_at(pilot, "tenant", "q")  # a key stops it, and it reports
            await step_done(pilot, 2)
            stolen = re.findall(r"steal: .*\((\d+)%\)", console(pilot, "tenant"))
            assert int(stolen[-1]) <= 30, stolen
            await next_step(pilot, 2)

            # 4. One long hypercall holds the CPU: the admin wakes a million instructions late.
            await predict(pilot, 2)
            await type_at(pilot, "admin", "lat 100000 10000")  # more than needed: a key stops it
            await type_at(pilot, "tenant", "dzero 0 2048")
            await console_until(pilot, "tenant", lambda text: "dzero: 2048 sectors" in text, "dzero")
            await type_at(pilot, "admin", "q")
            await step_done(pilot, 3)
            late = re.findall(r"lat: \d+ wake-ups, max (\d+)", console(pilot, "admin"))
            assert late and int(late[-1]) >= 500_000
            await next_step(pilot, 3)

            # 5. Continuations: the same call in pieces, the admin runs in between.
            await predict(pilot, 1)
            await open_tab(pilot, "policy")
            await click_in_view(pilot, "#policy-hypercall-preemptible")
            await type_at(pilot, "admin", "lat 100000 10000")
            await type_at(pilot, "tenant", "dzero 0 2048")
            await console_until(pilot, "tenant", lambda text: text.count("dzero: 2048 sectors") == 2, "dzero")
            await type_at(pilot, "admin", "q")
            await step_done(pilot, 4)
            late = re.findall(r"lat: \d+ wake-ups, max (\d+)", console(pilot, "admin"))
            assert int(late[-1]) <= 20_000
            await next_step(pilot, 4)

            # 6. A full inbox: the tenant's junk fills the admin's inbox, the bank's report is refused.
            # The bank's batch of step 3 may still run (or have reported): stopped, its reports counted.
            reports = await batch_stopped(pilot)
            # The bank's reports so far hold places in it: the tenant's datagrams fill the rest.
            await type_at(pilot, "tenant", "dsendn 0 16 junk")
            queued = f"dsendn: {16 - reports} of 16 queued"
            await console_until(pilot, "tenant", lambda text: queued in text, queued)
            await type_at(pilot, "bank", "batch 10")
            await step_done(pilot, 5)
            assert "report to dom0 refused" in console(pilot, "bank")
            await next_step(pilot, 5)

            # 7. A quota per sender, typed into the policy panel's number field.
            await predict(pilot, 2)
            await open_tab(pilot, "policy")
            field = screen.query_one("#policy-dgram-sender-quota", Input)
            await click_in_view(pilot, "#policy-dgram-sender-quota")
            field.value = "4"
            await pilot.press("enter")
            await pilot.pause()
            assert (await settled(pilot)).policy.values["dgram.sender_quota"] == 4
            await type_at(pilot, "admin", "drecv 20")
            await type_at(pilot, "tenant", "dsendn 0 16 junk")
            await console_until(pilot, "tenant", lambda text: "dsendn: 4 of 16 queued" in text, "the quota")
            await type_at(pilot, "bank", "batch 10")
            await step_done(pilot, 6)
            assert "report sent to dom0" in console(pilot, "bank")
            await next_step(pilot, 6)

            # 8. The noisy neighbour: the admin's disk, quiet and then under the tenant's noise.
            await predict(pilot, 2)
            await type_at(pilot, "admin", "dbench 512")
            await console_until(pilot, "admin", lambda text: "dbench: 512 of 512" in text, "dbench")
            await noise(pilot)
            await type_at(pilot, "admin", "dbench 512")
            await step_done(pilot, 7)
            times = [
                int(t) for t in re.findall(r"dbench: \d+ of 512 sectors in (\d+)", console(pilot, "admin"))
            ]
            assert len(times) == 2 and times[1] > 20 * times[0], times
            await next_step(pilot, 7)

            # 9. A bucket per disk: the admin's disk is usable again.
            await predict(pilot, 2)
            await open_tab(pilot, "policy")
            field = screen.query_one("#policy-blk-rate-limit", Input)
            await click_in_view(pilot, "#policy-blk-rate-limit")
            field.value = "2000"
            await pilot.press("enter")
            await pilot.pause()
            await noise(pilot)
            await type_at(pilot, "admin", "dbench 512")
            await step_done(pilot, 8)
            times = [
                int(t) for t in re.findall(r"dbench: 512 of 512 sectors in (\d+)", console(pilot, "admin"))
            ]
            assert times[-1] <= 100_000, times
            await next_step(pilot, 8)

            # 10. The reflection, answered by keyboard.
            await predict(pilot, 2, 1)
            await predict(pilot, 3, 2)
            await text_shown(pilot)
            panel = await to_question(pilot, 3)
            await pilot.press("enter", "down", "down", "enter", "tab", "enter")  # the first and the third
            await pilot.pause()
            assert panel.chosen() == "1,3"
            await state_until(pilot, lambda state: state.complete, "the reflection")
            assert "Lesson complete" in str(screen.query_one("#status").render())

    asyncio.run(flow())
    assert json.loads(progress_file.read_text())["lessons"]["resources"]["finished"]
