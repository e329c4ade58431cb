"""The lesson screen's panels: the editor (patch points and guest assembly), the
run loop with a runaway guest, resetting a step, the trace filter, and progress
that survives a restart.

Each test drives one app through several panels: starting a lesson screen is
the expensive part of a pilot test, so the flows are few and long.
"""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path

from textual.widgets import DataTable, Select, TextArea

from lab.session import STUDENT, Session
from tests.tui.conftest import (
    SIZE,
    enter_line,
    lesson_started,
    machine_shown,
    open_tab,
    press,
    settled,
    until,
)
from tui.app import HvlabApp
from tui.screens.confirm import ConfirmScreen
from tui.screens.lesson import LessonScreen
from tui.screens.picker import PickerScreen
from tui.widgets.console import ConsoleView
from tui.widgets.editor import Editor
from tui.widgets.trace_panel import TracePanel

PATCH = Path(__file__).resolve().parents[2] / "lessons" / "patches" / "console_write.py"
# The `tui` extra brings the grammars; without them the editor is plain text and the rest holds.
HIGHLIGHTING = all(importlib.util.find_spec(m) for m in ("tree_sitter_python", "tree_sitter_riscv"))
RUNAWAY = "_start:\n    addi t0, t0, 1\n    j _start\n"
BROKEN = "_start:\n    li a0, 1\n    frobnicate a0, a1\n    j _start\n"


def status_line(screen) -> str:
    return str(screen.query_one("#status").render())


def test_editor_patches_a_handler_and_loads_assembly_and_a_runaway_guest_stops(session):
    async def flow() -> None:
        app = HvlabApp(session, lesson="guest-buffers")
        async with app.run_test(size=SIZE) as pilot:
            await lesson_started(pilot)
            screen = app.screen
            tenant = screen.query_one("#console-tenant", ConsoleView)
            await open_tab(pilot, "editor")
            editor = screen.query_one(Editor)
            area = screen.query_one("#editor-text", TextArea)
            if HIGHLIGHTING:  # guest assembly is highlighted as RISC-V
                assert area.language == "riscv-asm" and area.is_syntax_aware
            await pilot.press("ctrl+t")  # the light theme: the code's colours follow
            await pilot.pause()
            assert area.theme == "github_light"
            await pilot.press("ctrl+t")
            await pilot.pause()
            assert area.theme == "css"

            # A patch point: the original handler comes up to edit, highlighted as Python.
            screen.query_one("#editor-source", Select).value = "dbcn.console_write"
            await pilot.pause()
            assert "def console_write" in editor.text
            if HIGHLIGHTING:
                assert area.language == "python" and area.is_syntax_aware

            # A patch that does not compile is refused with its line; nothing changes.
            editor.text = "def console_write(hv, vm, n, lo, hi):\n    return (\n"
            await press(pilot, "#editor-go")
            assert (await settled(pilot)).patches == ()
            assert "line" in str(screen.query_one("#editor-status").render())

            # The lesson's fix: applied, it stops the leak of the neighbour's memory.
            editor.text = PATCH.read_text()
            await press(pilot, "#editor-go")
            assert (await settled(pilot)).patches == ("dbcn.console_write",)
            assert "patched: dbcn.console_write" in status_line(screen)
            await open_tab(pilot, "tenant")
            await enter_line(pilot, "print 0x80041000 32")
            assert "SBI_ERR_INVALID_PARAM" in tenant.text

            # Rolled back, the original handler is in place again.
            await open_tab(pilot, "editor")
            await press(pilot, "#editor-revert")
            assert (await settled(pilot)).patches == ()
            assert "def console_write" in editor.text and editor.text != PATCH.read_text()

            # Assembly: an error is shown with its line, and the cursor lands on that line.
            screen.query_one("#editor-source", Select).value = "asm"
            await pilot.pause()
            editor.text = BROKEN
            await press(pilot, "#editor-check")
            await settled(pilot)
            status = str(screen.query_one("#editor-status").render())
            assert "line 3" in status and "frobnicate" in status
            assert area.cursor_location[0] == 2

            # The example program loads into the tenant and prints its greeting.
            editor.revert()
            await press(pilot, "#editor-go")
            await until(pilot, lambda: "hello from the editor" in tenant.text, what="the example program")

            # A guest that never waits: the run loop keeps the UI alive and shows it.
            editor.text = RUNAWAY
            await press(pilot, "#editor-go")
            before = (await settled(pilot)).vms[1].instret
            await until(pilot, lambda: screen.mips > 0 and screen.state.vms[1].instret > before + 10_000)
            assert screen.state.running
            assert "MIPS" in status_line(screen)

            # The VMs panel shows each VM's disk: its size and its reads/writes (sectors).
            await open_tab(pilot, "vms")
            table = screen.query_one("#vms DataTable", DataTable)
            heads = [str(column.label) for column in table.columns.values()]
            assert heads[-2:] == ["disk", "disk r/w"]
            bank = [str(cell) for cell in table.get_row("bank")]
            assert bank[-2] == "64 KiB" and bank[-1].startswith("0/1 ")  # it wrote its ledger at boot

            # The VMs panel pauses just that VM, and says so: its count stops, the machine stays live.
            await pilot.press("down", "p")  # the tenant's row, Pause
            tenant_vm = (await settled(pilot)).vms[1]
            assert tenant_vm.state == "paused"
            assert any("tenant" in n.message and "paused" in n.message for n in app._notifications)
            await pilot.pause(0.2)
            assert (await settled(pilot)).vms[1].instret == tenant_vm.instret
            await pilot.press("u")
            assert (await settled(pilot)).vms[1].state == "running"

            # Rebooting throws the VM's state away: it asks first, and No leaves the VM alone.
            instret = (await settled(pilot)).vms[1].instret
            await pilot.press("b")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen)
            await pilot.press("n")
            await pilot.pause()
            assert (await settled(pilot)).vms[1].instret > instret  # not rebooted: still counting up
            await pilot.press("b")
            await pilot.pause()
            await pilot.press("y")
            await pilot.pause()
            assert (await settled(pilot)).vms[1].instret < instret  # rebooted: counting from 0 again

            await pilot.press("f5")  # pause the machine
            stopped = (await settled(pilot)).time
            await pilot.pause(0.2)
            state = await settled(pilot)
            assert not state.running and state.time == stopped
            assert "paused" in status_line(screen)

            await pilot.press("f6")  # one instruction at a time
            assert (await settled(pilot)).time == stopped + 1

    asyncio.run(flow())


def test_reset_step_asks_first_trace_filters_and_progress_resumes(session, progress_file):
    seen: dict[str, str] = {}

    async def first_visit() -> None:
        app = HvlabApp(session, lesson="control-api")
        async with app.run_test(size=SIZE) as pilot:
            await lesson_started(pilot)
            screen = app.screen
            tenant = screen.query_one("#console-tenant", ConsoleView)
            await enter_line(pilot, "echo hello")
            assert "hello" in tenant.text.splitlines()[-2]

            await pilot.press("f9")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen)
            await pilot.press("n")  # no: nothing is lost
            await settled(pilot)
            assert "echo hello" in tenant.text

            await pilot.press("f9")
            await pilot.pause()
            await pilot.press("y")
            await pilot.pause()
            assert isinstance(app.screen, LessonScreen)
            await settled(pilot)
            assert "echo hello" not in tenant.text
            assert tenant.text.rstrip().endswith("dom1>")

            screen.machine.submit(Session.answer, 1, "1")  # step 1's prediction (test_quiz: by keyboard)
            await enter_line(pilot, "vms")  # finishes step 1, which waits for the student
            assert (await settled(pilot)).done
            await pilot.press("ctrl+n")
            assert (await settled(pilot)).step == 1
            await machine_shown(pilot)
            await pilot.press("f8")  # a hint for step 2, which the next visit shows again
            await settled(pilot)
            seen["hint"] = str(screen.query_one("#hints").source)
            assert "Hint 1" in seen["hint"]
            await open_tab(pilot, "trace")
            trace = screen.query_one(TracePanel)
            await until(pilot, lambda: any("dom0 admin" in line for line in trace.lines))  # drawn when shown
            screen.query_one("#trace-vm", Select).value = 1
            screen.query_one("#trace-kind", Select).value = "hypercall"
            await pilot.pause()
            assert trace.lines and all("dom1 tenant" in line for line in trace.lines if line)
            assert any("VMCTL.info(domid=2)" in line for line in trace.lines)

            await pilot.press("escape")  # back to the picker, which shows the progress
            await pilot.pause()
            assert isinstance(app.screen, PickerScreen)
            table = app.screen.query_one("#lessons")
            await until(pilot, lambda: str(table.get_row_at(2)[1]) == "1/6", what="the progress")

    asyncio.run(first_visit())
    assert progress_file.exists()

    # A new start of the lab (a fresh session on the same file) resumes at step 2.
    again = Session(seed=STUDENT, progress_path=progress_file)

    async def second_visit() -> None:
        app = HvlabApp(again, lesson="control-api")
        async with app.run_test(size=SIZE) as pilot:
            await lesson_started(pilot)
            assert app.screen.state.step == 1
            assert "Step 2 of 6" in str(app.screen.query_one("#prose").source)
            assert str(app.screen.query_one("#hints").source) == seen["hint"]

    asyncio.run(second_visit())
