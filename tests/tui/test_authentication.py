"""A student plays lesson 10 (authentication, "who is calling?") in the TUI, start to end.

At 80x24, through the consoles, the questions, the policy panel and the management console
in the network panel, as a student would: the user shell `ush` in the control domain
(a user program under a guest kernel) reads a supervisor CSR and is restarted by its
kernel, then pauses the note keeper with a hypercall of its own; `hypercall.check_caller_mode`
sends its ecall back to the kernel; the tenant speaks for the admin to the keeper until the
keeper trusts the hypervisor's stamp; forged source addresses walk around the lockout until
anti-spoofing; the stolen session is revoked at the console. Then the German lesson opens
on the same machine.
"""

from __future__ import annotations

import asyncio
import json
import re

from textual.widgets import Input, Markdown, OptionList, Switch, TabbedContent

from tests.tui.conftest import SIZE, enter_line, lesson_started, machine_shown, open_tab, settled, until
from tui.app import HvlabApp
from tui.widgets.checks import ChecksView
from tui.widgets.console import ConsoleView
from tui.widgets.lesson_view import LessonView
from tui.widgets.network_panel import NetworkPanel

STEP_SECONDS = 30.0  # a step's commands and its evaluation, on a loaded 2-core machine


def console(pilot, vm: str) -> str:
    return pilot.app.screen.query_one(f"#console-{vm}", ConsoleView).text


async def type_in(pilot, vm: str, line: str, *, until_text: str) -> str:
    """Type a line into a VM's console and wait until its console shows `until_text` after it:
    the new output."""
    tabs = pilot.app.screen.query_one(TabbedContent)
    if tabs.active != f"tab-{vm}":
        await open_tab(pilot, vm)
    focused = pilot.app.screen.query_one(f"#input-{vm}", Input)
    if pilot.app.focused is not focused:  # back from a question: the console's line, as a click gives
        focused.focus()
        await pilot.pause()
    before = len(console(pilot, vm))
    focused.value = line
    await pilot.press("enter")
    await until(
        pilot, lambda: until_text in console(pilot, vm)[before:], timeout=STEP_SECONDS, what=f"{vm}: {line}"
    )
    await settled(pilot)
    return console(pilot, vm)[before:]


async def answer(pilot, number: int, *picks: int) -> None:
    """Pick choices of the current step's question `number` by keyboard and answer; then back
    to the machine (at 80 columns the lesson text and the machine take turns: F2)."""
    if not pilot.app.screen.query_one("#lesson").display:
        await pilot.press("f2")
        await pilot.pause()
    panel = pilot.app.screen.query_one(LessonView).questions[number]
    options = panel.query_one(OptionList)
    options.focus()
    await pilot.pause()
    at = 0
    for pick in picks:
        await pilot.press(*["down"] * (pick - 1 - at), "enter")
        at = pick - 1
    await pilot.press("tab", "enter")  # the Answer button
    await settled(pilot)
    assert panel.chosen() == ",".join(map(str, picks))
    await machine_shown(pilot)


async def mgmt(pilot, command: str) -> list[str]:
    """A command at the hypervisor's management console: the lines of its answer."""
    await open_tab(pilot, "network")
    panel = pilot.app.screen.query_one(NetworkPanel)
    before = len(panel.mgmt_lines)
    await pilot.click("#mgmt-input")
    assert pilot.app.focused is pilot.app.screen.query_one("#mgmt-input", Input)
    await enter_line(pilot, command)
    await until(pilot, lambda: len(panel.mgmt_lines) > before + 1, timeout=STEP_SECONDS, what=command)
    lines = panel.mgmt_lines[before:]
    assert lines[0] == f"> {command}"
    return lines[1:]


async def flip(pilot, switch: str) -> None:
    await open_tab(pilot, "policy")
    widget = pilot.app.screen.query_one(f"#{switch}", Switch)
    assert widget.value is False
    widget.scroll_visible(animate=False)
    await pilot.pause()
    await pilot.click(f"#{switch}")
    await pilot.pause()
    assert widget.value is True


async def step_done(pilot, session, index: int) -> None:
    for _ in range(int(STEP_SECONDS / 0.5)):
        state = await settled(pilot)
        if state.done:
            break
        await pilot.pause(0.5)
    assert state.step == index and all(c.done for c in state.checks), state.checks


async def next_step(pilot, session, index: int) -> None:
    await pilot.press("ctrl+n")
    await pilot.pause()
    assert (await settled(pilot)).step == index + 1


def test_authentication_played_through_in_the_tui(session, progress_file):
    asyncio.run(authentication_flow(session))
    assert json.loads(progress_file.read_text())["lessons"]["authentication"]["finished"]


async def authentication_flow(session) -> None:
    app = HvlabApp(session, lesson="authentication")
    async with app.run_test(size=SIZE) as pilot:
        await lesson_started(pilot)
        screen = app.screen
        checks = screen.query_one(ChecksView)
        assert "Answer the prediction above first" in str(checks.render())
        await until(pilot, lambda: "$ " in console(pilot, "ops"), timeout=STEP_SECONDS, what="ush's prompt")
        assert "starting ush in user mode" in console(pilot, "ops")

        # Step 1: predict, then look around as the user; sstatus traps to the kernel.
        await answer(pilot, 1, 3)
        out = await type_in(pilot, "ops", "help", until_text="$ ")
        assert "ecall A7 [A6 A0 A1 A2 A3]" in out  # ush's command table, help's columns
        assert "uid=1000" in await type_in(pilot, "ops", "id", until_text="$ ")
        assert "dom2 running" in await type_in(pilot, "ops", "vms", until_text="$ ")
        out = await type_in(pilot, "ops", "sstatus", until_text="ush: a user shell")
        assert "illegal instruction at pc" in out and "scause 2" in out
        await step_done(pilot, session, 0)
        feedback = screen.query_one(LessonView).questions[1].query_one(".quiz-feedback")
        assert "prediction was right" in str(feedback.render())
        await next_step(pilot, session, 0)

        # Step 2: the user pauses the keeper with a hypercall of its own.
        await answer(pilot, 1, 2)
        assert "a0=0 a1=0" in await type_in(pilot, "ops", "ecall 0x09000001 3 2", until_text="$ ")
        assert "dom2 paused" in await type_in(pilot, "ops", "vms", until_text="$ ")
        await step_done(pilot, session, 1)
        await next_step(pilot, session, 1)

        # Step 3: check the caller's mode; free the keeper out of band; the user's call is the kernel's.
        await flip(pilot, "policy-hypercall-check-caller-mode")
        assert (await settled(pilot)).policy.values["hypercall.check_caller_mode"] is True
        assert await mgmt(pilot, "UNPAUSE keeper") == ["OK unpaused keeper"]
        assert "a0=-38" in await type_in(pilot, "ops", "ecall 0x09000001 3 2", until_text="$ ")
        assert "dom2 running" in await type_in(pilot, "ops", "vms", until_text="$ ")
        await step_done(pilot, session, 2)
        assert "Your hardening blocks the lesson's attacks" in str(checks.render())
        await next_step(pilot, session, 2)

        # Step 4: the admin fetches its note; the keeper logs the stamp and the claim.
        note = await type_in(pilot, "admin", "dsend 2 from=3 GET", until_text="dom3> ")
        note = await type_in(pilot, "admin", "drecv", until_text="dom3> ")
        secret = re.search(r"NOTE (\S+)", note)
        assert secret, note
        assert "request from dom3 (says from=3): GET" in console(pilot, "keeper")
        await answer(pilot, 1, 1)
        await step_done(pilot, session, 3)
        await next_step(pilot, session, 3)

        # Step 5: the tenant claims to be the admin and gets the admin's note.
        await type_in(pilot, "tenant", "dsend 2 from=3 GET", until_text="dom1> ")
        assert secret.group(1) in await type_in(pilot, "tenant", "drecv", until_text="dom1> ")
        await step_done(pilot, session, 4)
        await next_step(pilot, session, 4)

        # Step 6: the keeper believes the stamp: the tenant is refused, the admin is not.
        await type_in(pilot, "keeper", "trust stamp", until_text="keeper> ")
        await type_in(pilot, "tenant", "dsend 2 from=3 GET", until_text="dom1> ")
        assert "ERR refused" in await type_in(pilot, "tenant", "drecv", until_text="dom1> ")
        await type_in(pilot, "admin", "dsend 2 from=3 GET", until_text="dom3> ")
        assert secret.group(1) in await type_in(pilot, "admin", "drecv", until_text="dom3> ")
        await step_done(pilot, session, 5)
        await next_step(pilot, session, 5)

        # Step 7: five guesses per forged address, until one is the admin's password.
        out = await type_in(pilot, "tenant", "brute admin", until_text="dom1> ")
        assert "locked out after 6 tries" in out
        for n, first in ((66, 6), (67, 11), (68, 16), (70, 21), (71, 26)):
            await type_in(pilot, "tenant", f"spoof 02:00:00:00:00:{n} 10.0.0.{n}", until_text="dom1> ")
            out = await type_in(pilot, "tenant", f"brute admin 10.0.0.1 {first}", until_text="dom1> ")
            if "token: " in out:
                break
        found = re.search(r"password: (\S+)\ntoken: (\S+)", out)
        assert found, out
        password, stolen = found.groups()
        await step_done(pilot, session, 6)
        await next_step(pilot, session, 6)

        # Step 8: the switch pins addresses to ports; the admin, at its own address, logs in.
        await flip(pilot, "policy-net-anti-spoofing")
        await type_in(pilot, "tenant", "spoof 02:00:00:00:00:69 10.0.0.69", until_text="dom1> ")
        assert "no answer" in await type_in(pilot, "tenant", "brute admin 10.0.0.1 1", until_text="dom1> ")
        out = await type_in(pilot, "admin", f"send 10.0.0.1 6230 LOGIN admin {password}", until_text="dom3> ")
        admin_token = re.search(r"reply: OK (\S+)", out)
        assert admin_token, out
        await answer(pilot, 1, 2)
        await step_done(pilot, session, 7)
        await next_step(pilot, session, 7)

        # Step 9: the stolen token still works until the console revokes that session, and only it.
        await answer(pilot, 1, 1)
        await type_in(pilot, "tenant", "spoof off", until_text="dom1> ")
        out = await type_in(pilot, "tenant", f"send 10.0.0.1 6230 {stolen} LIST", until_text="dom1> ")
        assert "reply: OK ops=running" in out
        sessions = await mgmt(pilot, "SESSIONS")
        assert any(f"{stolen}=admin@10.0.0.6" in line for line in sessions), sessions  # a forged source
        assert any(f"{admin_token.group(1)}=admin@10.0.0.13" in line for line in sessions), sessions
        assert (await mgmt(pilot, f"REVOKE {stolen}"))[0].startswith("OK")
        out = await type_in(pilot, "tenant", f"send 10.0.0.1 6230 {stolen} LIST", until_text="dom1> ")
        assert "reply: ERR not logged in" in out
        out = await type_in(
            pilot, "admin", f"send 10.0.0.1 6230 {admin_token.group(1)} LIST", until_text="dom3> "
        )
        assert "reply: OK ops=running" in out
        await step_done(pilot, session, 8)
        await next_step(pilot, session, 8)

        # Step 10: the reflection, answered.
        assert "Answer the questions above" in str(checks.render())
        await answer(pilot, 1, 1)
        await answer(pilot, 2, 1, 2)
        await answer(pilot, 3, 2)
        for _ in range(int(STEP_SECONDS / 0.5)):
            if (await settled(pilot)).complete:
                break
            await pilot.pause(0.5)
        assert (await settled(pilot)).complete
        assert "Lesson complete" in str(screen.query_one("#status").render())


def test_the_german_lesson_runs_the_same_machine(session):
    async def flow() -> None:
        app = HvlabApp(session, lesson="authentication", lang="de")
        async with app.run_test(size=SIZE) as pilot:
            await lesson_started(pilot)
            prose = str(app.screen.query_one("#prose", Markdown).source)
            assert "Ein Benutzer in der Steuerdomäne" in prose
            assert "Erst vorhersagen" in str(
                app.screen.query_one(LessonView).questions[1].query_one(".quiz-label").render()
            )
            await until(
                pilot, lambda: "$ " in console(pilot, "ops"), timeout=STEP_SECONDS, what="ush's prompt"
            )
            assert "uid=1000" in await type_in(pilot, "ops", "id", until_text="$ ")

    asyncio.run(flow())
