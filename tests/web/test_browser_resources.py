"""The resources lesson (lesson 9) in the page, as a student plays it: predictions answered
before acting, the bank's batch and the tenant's commands typed into their terminals, the
VMs panel's CPU share and what the scheduler charged read with the run loop paused (the
thief runs nearly all the time and is charged for almost none of it; with exact accounting it
gets its quarter and pays for it), the four defences set in the Policy panel (switches and
number fields), and the closing questions answered. Every step's checks turn done on the
student's own commands; the page fails the test on any console error (conftest).

Screenshots of the VMs panel under the attack and after the fix go to $HVLAB_SHOTS.
"""

from __future__ import annotations

import re
import time
from typing import Any, Final

from lab.hv.scheduler import PERIOD_TICKS, WINDOW_PERIODS
from tests.web.conftest import boot, vm_panel_fits
from tests.web.test_browser_ui import console_text, next_step, shot, type_line

WINDOW: Final = WINDOW_PERIODS * PERIOD_TICKS * 10_000  # the VMs panel's window, in instructions
STEP_MS: Final = 300_000  # a step's millions of guest instructions under Pyodide, on a loaded machine


def wait_console(page: Any, vm: str, text: str) -> None:
    """As test_browser_ui's, with a step's time: the guests' work here is millions of instructions."""
    page.wait_for_function(
        """([vm, text]) => document.querySelector(`.console-host[data-vm="${vm}"] .xterm-rows`)
            ?.innerText.includes(text)""",
        arg=[vm, text],
        timeout=STEP_MS,
    )


def predict(page: Any, choice: int, number: int = 1) -> None:
    page.locator(f"#quiz-{number}-choice-{choice}").check()
    page.locator(f"#quiz-{number}-answer").click()
    page.wait_for_selector(f"#quiz-{number}.answered")


def step_done(page: Any, index: int) -> None:
    """The step's checks done; if they never are, the failure shows what the terminals showed."""
    try:
        page.wait_for_selector(f'details.step.done[data-step="{index}"]', timeout=STEP_MS)
    except Exception as exc:
        shown = {vm: console_text(page, vm)[-600:] for vm in ("admin", "tenant", "bank")}
        raise AssertionError(f"step {index + 1} not done: {shown}") from exc


def shown_reports(page: Any, vm: str, pattern: str, count: int) -> list[str]:
    """The first group of each match of `pattern` in the VM's terminal, once it shows `count` of
    them: a step is marked done as soon as its check has seen the report, and the terminal draws
    the report on its next frame, later on a busy machine."""
    found: list[str] = []
    deadline = time.monotonic() + STEP_MS / 1000
    while len(found := re.findall(pattern, console_text(page, vm))) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"{vm}'s terminal shows {len(found)} of {count} reports: {found}")
        page.wait_for_timeout(100)
    return found


def clock(page: Any) -> int:
    return page.evaluate("() => window.hvlab.ui.screen?.state?.time ?? 0")


def shares_paused(page: Any, name: str) -> dict[str, tuple[int, int]]:
    """Let the steal run until the VMs panel's window holds nothing else, pause the run loop,
    open the VMs panel, read each VM's CPU share and charged share (percent), take a
    screenshot, and run on."""
    start = clock(page)
    page.wait_for_function(
        f"() => (window.hvlab.ui.screen?.state?.time ?? 0) > {start + 2 * WINDOW}", timeout=STEP_MS
    )
    page.locator("#run-pause").click()
    page.wait_for_function("() => !document.querySelector('#run-state').classList.contains('running')")
    page.locator("#panel-tab-vms").click()
    page.wait_for_timeout(300)  # the last frame's figures: the machine stands still
    shares = {}
    for vm in ("admin", "tenant", "bank"):
        row = page.locator(f'#vm-table tr[data-vm="{vm}"] .c-cpu')
        cpu = int(row.locator(".share").inner_text().rstrip("%"))
        charged = int(re.sub(r"\D", "", row.locator(".charged").inner_text()))
        shares[vm] = (cpu, charged)
    shot(page, name)
    page.locator("#run-pause").click()
    page.wait_for_function("() => document.querySelector('#run-state').classList.contains('running')")
    return shares


def batch_stopped(page: Any) -> int:
    """A key stops the bank's batch before it reports to the admin (dom0): `accounts`, a command
    of its own. Returns how many reports its batches sent so far, each in the admin's inbox."""
    type_line(page, "bank", "accounts")
    page.wait_for_function(
        """() => document.querySelector('.console-host[data-vm="bank"] .xterm-rows')
            ?.innerText.split("accounts").pop().trimEnd().endsWith("bank>")""",
        timeout=STEP_MS,
    )
    return console_text(page, "bank").count("batch: report sent to dom0")


TENANT_READ: Final = (  # the sectors the tenant's disk read, as the VMs panel has them
    "(window.hvlab.ui.screen?.state?.vms ?? []).find((vm) => vm.name === 'tenant')?.disk?.sectors_read ?? 0"
)


def noise(page: Any) -> None:
    """The tenant's noise, on before the admin measures: its disk's read counter in the VMs panel
    grows by a few requests' sectors (typed at once, the admin's quick reads could come first)."""
    before = page.evaluate(f"() => {TENANT_READ}")
    type_line(page, "tenant", "dnoise 2000000")
    page.wait_for_function(f"() => {TENANT_READ} >= {before + 64}", timeout=STEP_MS)


def set_number(page: Any, control: str, value: int) -> None:
    page.locator("#panel-tab-policy").click()
    field = page.locator(control)
    field.fill(str(value))
    field.press("Enter")
    field.blur()  # a number field reports its change when it loses the focus, too


def test_the_resources_lesson_in_the_page(lab_page: Any, server_url: str) -> None:
    page = lab_page
    page.set_viewport_size({"width": 1280, "height": 800})  # a laptop: three VMs with disks
    boot(page, server_url)
    page.locator('[data-lesson="resources"] button').click()
    page.wait_for_selector(".lesson-screen")
    wait_console(page, "tenant", "dom1>")
    vm_panel_fits(page)
    page.set_viewport_size({"width": 1366, "height": 768})

    # 1. Fair shares.
    predict(page, 2)
    type_line(page, "bank", "batch 20000")
    type_line(page, "tenant", "spin 400000")
    step_done(page, 0)
    spin = shown_reports(page, "tenant", r"spin: .*\((\d+)%\)", 1)
    assert 20 <= int(spin[-1]) <= 30, spin
    next_step(page, 0)

    # 2. Steal: nearly all of the CPU, charged for almost none of it.
    type_line(page, "bank", "batch 20000")
    type_line(page, "tenant", "steal 10000 300 1000")
    shares = shares_paused(page, "resources-stolen.png")  # while it steals
    assert shares["tenant"][0] >= 70 and shares["tenant"][1] <= 10, shares
    assert shares["bank"][1] >= 80, shares
    step_done(page, 1)  # its report: the share it got
    next_step(page, 1)

    # 3. Exact accounting, a switch in the Policy panel.
    predict(page, 1)
    page.locator("#panel-tab-policy").click()
    page.locator("#policy-sched-exact-accounting").check()
    type_line(page, "bank", "batch 20000")
    type_line(page, "tenant", "steal 10000 300 1000")
    shares = shares_paused(page, "resources-exact.png")
    assert shares["tenant"][0] <= 35 and abs(shares["tenant"][0] - shares["tenant"][1]) <= 10, shares
    type_line(page, "tenant", "q")  # a key stops it, and it reports
    step_done(page, 2)
    stolen = shown_reports(page, "tenant", r"steal: .*\((\d+)%\)", 2)  # step 2's, then this one
    assert int(stolen[-1]) <= 30, stolen
    next_step(page, 2)

    # 4. One long hypercall; 5. continuations.
    predict(page, 2)
    type_line(page, "admin", "lat 100000 10000")  # more than needed: a key stops it
    type_line(page, "tenant", "dzero 0 2048")
    wait_console(page, "tenant", "dzero: 2048 sectors")
    type_line(page, "admin", "q")
    step_done(page, 3)
    next_step(page, 3)
    predict(page, 1)
    page.locator("#panel-tab-policy").click()
    page.locator("#policy-hypercall-preemptible").check()
    type_line(page, "admin", "lat 100000 10000")
    type_line(page, "tenant", "dzero 0 2048")
    page.wait_for_function(
        """() => document.querySelector('.console-host[data-vm="tenant"] .xterm-rows')
            ?.innerText.split("dzero: 2048 sectors").length === 3""",
        timeout=STEP_MS,
    )
    type_line(page, "admin", "q")
    step_done(page, 4)
    late = shown_reports(page, "admin", r"lat: \d+ wake-ups, max (\d+)", 2)  # step 4's, then this one
    assert int(late[-1]) <= 20_000, late
    next_step(page, 4)

    # 6. A full inbox; 7. a quota per sender, a number field. The bank's batch of step 3 may still
    # run, or have reported to the admin: stopped, its reports hold places the tenant's junk cannot take.
    reports = batch_stopped(page)
    type_line(page, "tenant", "dsendn 0 16 junk")
    wait_console(page, "tenant", f"dsendn: {16 - reports} of 16 queued")
    type_line(page, "bank", "batch 10")
    step_done(page, 5)
    wait_console(page, "bank", "report to dom0 refused")  # drawn a frame after the check saw it
    next_step(page, 5)
    predict(page, 2)
    set_number(page, "#policy-dgram-sender-quota", 4)
    page.wait_for_function("() => document.querySelector('#toasts')?.textContent.includes('sender_quota')")
    type_line(page, "admin", "drecv 20")
    type_line(page, "tenant", "dsendn 0 16 junk")
    wait_console(page, "tenant", "dsendn: 4 of 16 queued")
    type_line(page, "bank", "batch 10")
    step_done(page, 6)
    next_step(page, 6)

    # 8. The noisy neighbour; 9. a bucket per disk.
    predict(page, 2)
    type_line(page, "admin", "dbench 512")
    wait_console(page, "admin", "dbench: 512 of 512")
    noise(page)
    type_line(page, "admin", "dbench 512")
    step_done(page, 7)
    next_step(page, 7)
    predict(page, 2)
    set_number(page, "#policy-blk-rate-limit", 2000)
    noise(page)
    type_line(page, "admin", "dbench 512")
    step_done(page, 8)
    next_step(page, 8)

    # 10. What you learned.
    predict(page, 2, 1)
    predict(page, 3, 2)
    page.locator("#quiz-3-choice-1").check()
    page.locator("#quiz-3-choice-3").check()
    page.locator("#quiz-3-answer").click()
    page.wait_for_selector("#lesson-complete", timeout=STEP_MS)
    assert page.locator("details.step.done").count() == 10
    shot(page, "resources-complete.png")
