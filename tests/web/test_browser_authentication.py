"""Lesson 10 (authentication, "who is calling?") played through in the page, start to end.

One Pyodide boot, as a student: the questions answered in their forms, every command typed
into the consoles (xterm), the hardening switched in the Policy panel, the management
console in the Network panel used out of band. The user shell in the control domain is
restarted by its kernel after reading sstatus, then pauses the note keeper with a
hypercall of its own; checking the caller's mode sends its ecall to the kernel; the tenant
speaks for the admin until the keeper believes the stamp; forged sources walk around the
lockout until anti-spoofing; the stolen session is revoked. Then the German lesson opens.

What a console printed is read back through the engine (`console`, the protocol's query:
xterm's DOM holds only the rows in view). The page fails the test on any console error
(conftest's `lab_page`); screenshots go to $HVLAB_SHOTS (default /tmp/web-shots).
"""

from __future__ import annotations

import re
from typing import Any

from tests.web.conftest import boot
from tests.web.test_browser_ui import STEP_TIMEOUT_MS, next_step, shot, type_line, wait_step_done


def output(page: Any, vm: str) -> str:
    """Everything the VM's console printed since the lesson's machine was built."""
    return page.evaluate("async (vm) => (await window.hvlab.lab.call('console', { vm })).text", vm)


def run(page: Any, vm: str, line: str, *, until: str) -> str:
    """Type a line into the VM's terminal and wait until its console shows `until` after it:
    the new output."""
    before = len(output(page, vm))
    type_line(page, vm, line)
    for _ in range(STEP_TIMEOUT_MS // 100):
        new = output(page, vm)[before:]
        if until in new:
            return new
        page.wait_for_timeout(100)
    raise AssertionError(f"{vm}: {line!r} never printed {until!r}: {new!r}")


def answer(page: Any, *picks: int, number: int = 1) -> None:
    """Pick choices of question `number` of the step and answer it."""
    for pick in picks:
        page.locator(f"#quiz-{number}-choice-{pick}").check()
    page.locator(f"#quiz-{number}-answer").click()
    page.wait_for_selector(f"#quiz-{number}.answered", timeout=STEP_TIMEOUT_MS)


def mgmt(page: Any, command: str) -> str:
    """A command at the hypervisor's management console (Network panel): its answer."""
    page.locator("#panel-tab-network").click()
    log = page.locator("pre.mgmt-log")
    before = log.inner_text() if log.count() else ""
    page.locator("#mgmt-input").fill(command)
    page.locator("#mgmt-input").press("Enter")
    page.wait_for_function(
        "([before]) => (document.querySelector('pre.mgmt-log')?.textContent ?? '').length > before.length",
        arg=[before],
        timeout=STEP_TIMEOUT_MS,
    )
    text = log.inner_text()
    return text[text.rindex(f"> {command}") :]


def harden(page: Any, key: str) -> None:
    """Switch a policy switch on in the Policy panel; its toast says so."""
    page.locator("#panel-tab-policy").click()
    box = page.locator("#policy-" + key.replace(".", "-").replace("_", "-"))
    assert not box.is_checked()
    box.check()
    page.wait_for_function(
        "(key) => document.querySelector('#toasts')?.innerText.includes(`${key}: on`)",
        arg=key,
        timeout=STEP_TIMEOUT_MS,
    )


def test_authentication_played_through_in_the_page(lab_page: Any, server_url: str) -> None:
    page = lab_page
    boot(page, server_url)
    page.locator('[data-lesson="authentication"] button').click()
    page.wait_for_selector(".lesson-screen")
    page.wait_for_function(
        "async () => (await window.hvlab.lab.call('console', { vm: 'ops' })).text.includes('$ ')",
        timeout=STEP_TIMEOUT_MS,
    )
    assert page.locator("#console-tab-ops").is_visible() and page.locator("#console-tab-keeper").is_visible()

    # Step 1: predict, then look around as the user; sstatus traps to the kernel, which restarts ush.
    assert page.locator("#predict-first").is_visible()
    answer(page, 3)
    assert "ecall A7 [A6 A0 A1 A2 A3]" in run(page, "ops", "help", until="$ ")
    assert "uid=1000" in run(page, "ops", "id", until="$ ")
    assert "dom2 running" in run(page, "ops", "vms", until="$ ")
    out = run(page, "ops", "sstatus", until="ush: a user shell")
    assert "illegal instruction at pc" in out and "scause 2" in out
    wait_step_done(page, 0)
    assert "Your prediction was right" in page.locator("#quiz-1-feedback").inner_text()
    shot(page, "auth-user-mode.png")
    next_step(page, 0)

    # Step 2: the user pauses the keeper itself.
    answer(page, 2)
    assert "a0=0 a1=0" in run(page, "ops", "ecall 0x09000001 3 2", until="$ ")
    assert "dom2 paused" in run(page, "ops", "vms", until="$ ")
    wait_step_done(page, 1)
    page.locator("#panel-tab-timeline").click()
    page.wait_for_function(
        "() => document.querySelector('#timeline-log')?.innerText.includes('served as a VMCTL hypercall')",
        timeout=STEP_TIMEOUT_MS,
    )
    next_step(page, 1)

    # Step 3: only the kernel calls the hypervisor; the keeper is freed out of band.
    harden(page, "hypercall.check_caller_mode")
    assert "OK unpaused keeper" in mgmt(page, "UNPAUSE keeper")
    assert "a0=-38" in run(page, "ops", "ecall 0x09000001 3 2", until="$ ")
    assert "dom2 running" in run(page, "ops", "vms", until="$ ")
    wait_step_done(page, 2)
    assert "Your hardening blocks the lesson's attacks" in page.locator("#checks").inner_text()
    next_step(page, 2)

    # Step 4: the admin's note, and the keeper's log of stamp and claim.
    run(page, "admin", "dsend 2 from=3 GET", until="dom3> ")
    note = re.search(r"NOTE (\S+)", run(page, "admin", "drecv", until="dom3> "))
    assert note
    assert "request from dom3 (says from=3): GET" in output(page, "keeper")
    answer(page, 1)
    wait_step_done(page, 3)
    next_step(page, 3)

    # Step 5: the tenant speaks for the admin.
    run(page, "tenant", "dsend 2 from=3 GET", until="dom1> ")
    assert note.group(1) in run(page, "tenant", "drecv", until="dom1> ")
    wait_step_done(page, 4)
    next_step(page, 4)

    # Step 6: the keeper believes the stamp.
    run(page, "keeper", "trust stamp", until="keeper> ")
    run(page, "tenant", "dsend 2 from=3 GET", until="dom1> ")
    assert "ERR refused" in run(page, "tenant", "drecv", until="dom1> ")
    run(page, "admin", "dsend 2 from=3 GET", until="dom3> ")
    assert note.group(1) in run(page, "admin", "drecv", until="dom3> ")
    wait_step_done(page, 5)
    next_step(page, 5)

    # Step 7: five guesses per forged address.
    assert "locked out after 6 tries" in run(page, "tenant", "brute admin", until="dom1> ")
    for n, first in ((66, 6), (67, 11), (68, 16), (70, 21), (71, 26)):
        run(page, "tenant", f"spoof 02:00:00:00:00:{n} 10.0.0.{n}", until="dom1> ")
        out = run(page, "tenant", f"brute admin 10.0.0.1 {first}", until="dom1> ")
        if "token: " in out:
            break
    found = re.search(r"password: (\S+)\ntoken: (\S+)", out)
    assert found, out
    password, stolen = found.groups()
    wait_step_done(page, 6)
    next_step(page, 6)

    # Step 8: anti-spoofing; the admin logs in from its own address.
    harden(page, "net.anti_spoofing")
    run(page, "tenant", "spoof 02:00:00:00:00:69 10.0.0.69", until="dom1> ")
    assert "no answer" in run(page, "tenant", "brute admin 10.0.0.1 1", until="dom1> ")
    admin = re.search(
        r"reply: OK (\S+)", run(page, "admin", f"send 10.0.0.1 6230 LOGIN admin {password}", until="dom3> ")
    )
    assert admin
    answer(page, 2)
    wait_step_done(page, 7)
    next_step(page, 7)

    # Step 9: the stolen session works until the console revokes it, and only it.
    answer(page, 1)
    run(page, "tenant", "spoof off", until="dom1> ")
    assert "reply: OK ops=running" in run(page, "tenant", f"send 10.0.0.1 6230 {stolen} LIST", until="dom1> ")
    sessions = mgmt(page, "SESSIONS")
    assert f"{stolen}=admin@10.0.0.6" in sessions and f"{admin.group(1)}=admin@10.0.0.13" in sessions
    assert "OK" in mgmt(page, f"REVOKE {stolen}")
    out = run(page, "tenant", f"send 10.0.0.1 6230 {stolen} LIST", until="dom1> ")
    assert "reply: ERR not logged in" in out
    out = run(page, "admin", f"send 10.0.0.1 6230 {admin.group(1)} LIST", until="dom3> ")
    assert "reply: OK ops=running" in out
    wait_step_done(page, 8)
    next_step(page, 8)

    # Step 10: the reflection.
    answer(page, 1, number=1)
    answer(page, 1, 2, number=2)
    answer(page, 2, number=3)
    page.wait_for_selector("#lesson-complete", timeout=STEP_TIMEOUT_MS)
    assert page.locator("details.step.done").count() == 10
    shot(page, "auth-complete.png")

    # German: the same lesson, the same machine.
    page.select_option("#lang", "de")
    page.locator("#confirm-ok").click()
    page.wait_for_function(
        "() => document.querySelector('#reset-step')?.textContent === 'Schritt zurücksetzen'"
    )
    assert (
        "Ein Benutzer in der Steuerdomäne" in page.locator('details.step[data-step="0"] summary').inner_text()
    )
