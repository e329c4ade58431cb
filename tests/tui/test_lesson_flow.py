"""A student completes the control-API lesson in the TUI: attack, harden, replay, measure, reflect.

Everything goes through keys and clicks at 80x24, as a student would do it:
pick the lesson, predict, type the attack into the tenant's console, watch the
check turn done, flip `hypercall.authorize` in the policy panel, replay the
attack and see it denied while the administrator keeps working, measure what
the check costs and answer the closing questions.
"""

from __future__ import annotations

import asyncio
import json

from textual.widgets import DataTable, Input, Switch, TabbedContent, TabPane

from lab.lesson.variants import variant
from tests.tui.conftest import (
    SIZE,
    answered,
    click_in_view,
    console_of,
    enter_line,
    lesson_started,
    machine_shown,
    open_tab,
    press,
    settled,
)
from tests.tui.test_quiz import to_question
from tui.app import HvlabApp
from tui.screens.lesson import LessonScreen
from tui.widgets.checks import ChecksView
from tui.widgets.console import ConsoleView


async def text_shown(pilot) -> None:
    """The lesson text on screen (at 80 columns it takes turns with the machine: F2)."""
    if not pilot.app.screen.query_one("#lesson").display:
        await pilot.press("f2")
        await pilot.pause()


async def predict(pilot, choice: int) -> None:
    """Answer the step's prediction by keyboard (choice 1 is the first), then go back to the
    tenant's console (answered, the screen goes there by itself)."""
    await text_shown(pilot)
    await to_question(pilot, 1)
    await pilot.press(*["down"] * (choice - 1), "enter", "tab", "enter")
    await settled(pilot)
    await machine_shown(pilot)
    pilot.app.screen.query_one("#input-tenant", Input).focus()
    await pilot.pause()


async def type_line(pilot, text: str) -> None:
    """Type `text` key by key into the focused console, Enter, and wait for the guest's answer."""
    console = console_of(pilot)
    before = len(console.text)
    await pilot.press(*text, "enter")
    await answered(pilot, console, before, text)


def test_control_api_attack_then_hardening_blocks_it(session, progress_file):
    asyncio.run(control_api_flow(session))
    # Progress went to the file as the student worked, written whole (valid JSON).
    saved = json.loads(progress_file.read_text())
    assert saved["lessons"]["control-api"]["finished"]
    assert saved["seed"] == session.seed  # the variant stays the student's


async def control_api_flow(session, then=None) -> None:
    """The whole lesson through keys and clicks; `then(pilot)`, if given, runs on the finished lesson."""
    app = HvlabApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down", "down", "enter")  # the third lesson: control-api
        await lesson_started(pilot)
        screen = app.screen
        assert isinstance(screen, LessonScreen)
        assert screen.lesson.id == "control-api"
        # At 80 columns the text and the machine take turns (F2); on the machine, the student's
        # seat, the tenant's console, has the focus.
        assert app.focused.id == "input-tenant" and not screen.query_one("#lesson").display

        # At 80x24 every panel is reachable with F3 and its whole tab is on screen.
        tabs = screen.query_one(TabbedContent)
        panes = [pane.id for pane in screen.query(TabPane)]
        assert len(panes) == 9  # three consoles and six panels (Detections the last one added)
        start = panes.index("tab-tenant")
        for n in range(1, len(panes) + 1):
            await pilot.press("f3")
            await pilot.pause()
            pane = panes[(start + n) % len(panes)]
            assert tabs.active == pane
            tab = tabs.get_tab(pane).region
            assert tab.width > 2 and tab.x >= 0 and tab.right <= SIZE[0], (pane, tab)
            assert f"panel {panes.index(pane) + 1}/9" in str(screen.query_one("#status").render())
        assert app.focused.id == "input-tenant"  # once round, back in the console
        checks = screen.query_one(ChecksView)
        assert [c.done for c in checks.checks] == [False]

        # A hint on request (F8), shown below the step's text, which comes back for it.
        await pilot.press("f8")
        await settled(pilot)
        hints = screen.query_one("#hints")
        assert hints.display and "`help`" in hints.source
        assert screen.query_one("#lesson").display and not screen.query_one("#work").display

        # Step 1: predict, then list the VMs from the tenant; the checks hold, in words, and it waits.
        await predict(pilot, 1)  # yes: nothing checks who makes a control call
        await enter_line(pilot, "vms")
        assert "dom2 running" in screen.query_one("#console-tenant", ConsoleView).text
        state = await settled(pilot)
        assert state.step == 0 and state.done
        shown = str(checks.render())
        assert "tenant called info (in this step)" in shown and "hypercall vm=" not in shown
        done_bar = screen.query_one("#step-done")
        assert done_bar.display and "Step done" in str(screen.query_one("#step-done-text").render())
        await pilot.press("ctrl+n")  # on when the student is ready, from the machine too
        assert (await settled(pilot)).step == 1 and not done_bar.display
        assert screen.query_one("#lesson").display  # below WIDE columns, the new step's text to read
        await machine_shown(pilot)
        assert not any(c.done for c in checks.checks)  # the new step's checks

        # Step 2: the admin lists the VMs (legitimate use), the tenant reads the bank's secret.
        await open_tab(pilot, "admin")
        assert app.focused.id == "input-admin"
        await enter_line(pilot, "vms")
        await open_tab(pilot, "tenant")
        await type_line(pilot, "peek 2 0x80001000 32")
        # The bank's secret as this student's variant has it (the hexdump shows 16 bytes a line).
        own = variant(b"BANK{pin-4711-do-not-share}", session.seed, "bank").decode()
        assert own[:16] in screen.query_one("#console-tenant", ConsoleView).text
        assert (await settled(pilot)).done
        await text_shown(pilot)
        await press(pilot, "#next-step")  # the button does what Ctrl+N does
        assert (await settled(pilot)).step == 2
        await machine_shown(pilot)

        # Step 3: destroy the bank.
        await enter_line(pilot, "destroy 2")
        assert (await settled(pilot)).done
        await pilot.press("ctrl+n")
        state = await settled(pilot)
        await machine_shown(pilot)
        assert state.step == 3
        assert next(vm for vm in state.vms if vm.name == "bank").state == "destroyed"
        # The VM list says so in full (its column widens), as the monitor's `vms` stops listing dom2.
        await open_tab(pilot, "vms")
        table = screen.query_one("#vms DataTable", DataTable)
        assert table.get_row("bank")[2] == "destroyed"
        assert table.columns["tui.col_state"].get_render_width(table) >= len("destroyed") + 2

        # Step 4: predict, harden in the policy panel, replay the attack, check the admin still works.
        await predict(pilot, 2)  # SBI_ERR_DENIED
        await open_tab(pilot, "policy")
        switch = screen.query_one("#policy-hypercall-authorize", Switch)
        assert switch.value is False
        await click_in_view(pilot, "#policy-hypercall-authorize")
        assert (await settled(pilot)).policy.values["hypercall.authorize"] is True

        # The switch kept the focus; the student types the replay key by key into the console:
        # the spaces and letters are text for the guest, the switch stays on.
        assert app.focused is switch
        await open_tab(pilot, "tenant")
        assert app.focused.id == "input-tenant"
        await type_line(pilot, "peek 2 0x80001000 32")
        assert switch.value is True
        assert (await settled(pilot)).policy.values["hypercall.authorize"] is True
        assert "SBI_ERR_DENIED" in screen.query_one("#console-tenant", ConsoleView).text
        await open_tab(pilot, "admin")
        await enter_line(pilot, "vms")
        admin = screen.query_one("#console-admin", ConsoleView).text
        assert "dom1 running" in admin.split("dom0> vms")[-1] and "dom2" not in admin.split("dom0> vms")[-1]
        await pilot.press("f7")  # check now, as a student would
        state = await settled(pilot)
        assert state.done and not state.finished, state.checks
        assert all(c.done for c in checks.checks)
        assert any("attack_blocked" in c.check for c in checks.checks)
        assert "Your hardening blocks the lesson's attacks" in str(checks.render())
        await pilot.press("ctrl+n")

        # Step 5: predict the check's cost, then measure it in the policy panel.
        assert (await settled(pilot)).step == 4
        await predict(pilot, 2)  # a few percent at most
        await open_tab(pilot, "policy")
        await click_in_view(pilot, "#measure")
        await settled(pilot)
        await pilot.press("f7")  # check now
        state = await settled(pilot)
        assert state.done, state.checks
        await pilot.press("ctrl+n")

        # Step 6: the reflection's three questions.
        assert (await settled(pilot)).step == 5
        for number, choice in ((1, 1), (2, 2), (3, 2)):
            await text_shown(pilot)
            await to_question(pilot, number)
            await pilot.press(*["down"] * (choice - 1), "enter", "tab", "enter")
            await settled(pilot)
        state = await settled(pilot)
        assert state.finished, state.quizzes
        assert "Lesson complete" in str(screen.query_one("#status").render())
        if then is not None:
            await then(pilot)
