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
from tests.tui.conftest import SIZE, enter_line, lesson_started, open_tab, wait_for
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
            area = screen.query_one(TextArea)
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
            await pilot.click("#editor-go")
            assert "line" in str(screen.query_one("#editor-status").render())
            assert session.state().patches == ()

            # The lesson's fix: applied, it stops the leak of the neighbour's memory.
            editor.text = PATCH.read_text()
            await pilot.click("#editor-go")
            await pilot.pause()
            assert session.state().patches == ("dbcn.console_write",)
            assert "patched: dbcn.console_write" in status_line(screen)
            await open_tab(pilot, "tenant")
            await enter_line(pilot, "print 0x80041000 32")
            assert "SBI_ERR_INVALID_PARAM" in tenant.text

            # Rolled back, the original handler is in place again.
            await open_tab(pilot, "editor")
            await pilot.click("#editor-revert")
            await pilot.pause()
            assert session.state().patches == ()

            # Assembly: an error is shown with its line, and the cursor lands on that line.
            screen.query_one("#editor-source", Select).value = "asm"
            await pilot.pause()
            editor.text = BROKEN
            await pilot.click("#editor-check")
            status = str(screen.query_one("#editor-status").render())
            assert "line 3" in status and "frobnicate" in status
            assert area.cursor_location[0] == 2

            # The example program loads into the tenant and prints its greeting.
            editor.revert()
            await pilot.click("#editor-go")
            await wait_for(pilot, lambda: "hello from the editor" in tenant.text, what="the example program")

            # A guest that never waits: the run loop keeps the UI alive and shows it.
            editor.text = RUNAWAY
            await pilot.click("#editor-go")
            before = session.state().vms[1].instret
            for _ in range(20):
                await pilot.pause(0.1)
                if screen.mips > 0 and session.state().vms[1].instret > before + 10_000:
                    break
            assert session.state().running
            assert session.state().vms[1].instret > before + 10_000
            assert screen.mips > 0 and "MIPS" in status_line(screen)

            # The VMs panel shows each VM's disk: its size and its reads/writes (sectors).
            await open_tab(pilot, "vms")
            table = screen.query_one("#vms DataTable", DataTable)
            heads = [str(column.label) for column in table.columns.values()]
            assert heads[-2:] == ["disk", "disk r/w"]
            bank = [str(cell) for cell in table.get_row("bank")]
            assert bank[-2] == "64 KiB" and bank[-1].startswith("0/1 ")  # it wrote its ledger at boot

            # The VMs panel pauses just that VM: its count stops, the machine stays live.
            await pilot.press("down", "p")  # the tenant's row, Pause
            await pilot.pause()
            tenant_vm = session.state().vms[1]
            assert tenant_vm.state == "paused"
            await pilot.pause(0.2)
            assert session.state().vms[1].instret == tenant_vm.instret
            await pilot.press("u")
            await pilot.pause()
            assert session.state().vms[1].state == "running"

            await pilot.press("f5")  # pause the machine
            await pilot.pause()
            stopped = session.state().time
            await pilot.pause(0.2)
            assert not session.state().running
            assert session.state().time == stopped
            assert "paused" in status_line(screen)

            await pilot.press("f6")  # one instruction at a time
            assert session.state().time == stopped + 1

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
            await pilot.pause()
            assert "echo hello" in tenant.text

            await pilot.press("f9")
            await pilot.pause()
            await pilot.press("y")
            await pilot.pause()
            assert isinstance(app.screen, LessonScreen)
            assert "echo hello" not in tenant.text
            assert tenant.text.rstrip().endswith("dom1>")

            session.answer(1, "1")  # step 1's prediction (the quiz tests answer by keyboard)
            await enter_line(pilot, "vms")  # finishes step 1, which waits for the student
            assert session.state().done
            await pilot.press("ctrl+n")
            await pilot.pause()
            assert session.state().step == 1
            await pilot.press("f8")  # a hint for step 2, which the next visit shows again
            await pilot.pause()
            seen["hint"] = str(screen.query_one("#hints").source)
            assert "Hint 1" in seen["hint"]
            await open_tab(pilot, "trace")
            trace = screen.query_one(TracePanel)
            assert any("dom0 admin" in line for line in trace.lines)
            screen.query_one("#trace-vm", Select).value = 1
            screen.query_one("#trace-kind", Select).value = "hypercall"
            await pilot.pause()
            assert trace.lines and all("dom1 tenant" in line for line in trace.lines if line)
            assert any("VMCTL.info(domid=2)" in line for line in trace.lines)

            await pilot.press("escape")  # back to the picker, which shows the progress
            await pilot.pause()
            assert isinstance(app.screen, PickerScreen)
            table = app.screen.query_one("#lessons")
            assert str(table.get_row_at(2)[1]) == "1/6"

    asyncio.run(first_visit())
    assert progress_file.exists()

    # A new start of the lab (a fresh session on the same file) resumes at step 2.
    again = Session(seed=STUDENT, progress_path=progress_file)

    async def second_visit() -> None:
        app = HvlabApp(again, lesson="control-api")
        async with app.run_test(size=SIZE) as pilot:
            await lesson_started(pilot)
            assert again.state().step == 1
            assert "Step 2 of 6" in str(app.screen.query_one("#prose").source)
            assert str(app.screen.query_one("#hints").source) == seen["hint"]

    asyncio.run(second_visit())
