"""The VMs: state, instructions retired, CPU share, memory and hypercalls, with
pause / unpause / reboot for the highlighted one.

    panel = VmPanel(id="vms")
    panel.update_vms(state["vms"])
    # posts VmPanel.ActionRequested(vm="tenant", action="pause")
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, DataTable

COLUMNS = ("dom", "name", "state", "instret", "CPU", "memory", "hcalls")


def _memory(size: int) -> str:
    return f"{size >> 20} MiB" if size >= 1 << 20 else f"{size >> 10} KiB"


class VmPanel(Vertical):
    """A table of the VMs and the buttons that act on the highlighted row."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", "vm('pause')", "Pause VM"),
        Binding("u", "vm('unpause')", "Unpause VM"),
        Binding("b", "vm('reboot')", "Reboot VM"),
    ]

    DEFAULT_CSS = """
    VmPanel DataTable {
        height: auto;
        max-height: 12;
    }
    VmPanel Horizontal {
        height: auto;
    }
    VmPanel Button {
        min-width: 10;
        margin-right: 1;
    }
    """

    class ActionRequested(Message):
        """The student asked to pause, unpause or reboot a VM."""

        def __init__(self, vm: str, action: str) -> None:
            super().__init__()
            self.vm = vm
            self.action = action

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._names: list[str] = []
        self._rows: list[tuple[str, ...]] = []

    def compose(self) -> ComposeResult:
        table: DataTable[str] = DataTable(cursor_type="row", zebra_stripes=True)
        table.add_columns(*COLUMNS)
        yield table
        with Horizontal():
            yield Button("Pause", id="vm-pause")
            yield Button("Unpause", id="vm-unpause")
            yield Button("Reboot", id="vm-reboot", variant="warning")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        assert event.button.id is not None
        self.action_vm(event.button.id.removeprefix("vm-"))

    def action_vm(self, action: str) -> None:
        table = self.query_one(DataTable)
        if self._names and 0 <= table.cursor_row < len(self._names):
            self.post_message(self.ActionRequested(self._names[table.cursor_row], action))

    def update_vms(self, vms: list[dict[str, Any]]) -> None:
        """Refresh the rows in place (the cursor stays on its VM)."""
        rows = [self._cells(vm) for vm in vms]
        if rows == self._rows:
            return
        table = self.query_one(DataTable)
        names = [vm["name"] for vm in vms]
        if names != self._names:
            table.clear()
            for name, row in zip(names, rows, strict=True):
                table.add_row(*row, key=name)
        else:
            for name, row, old in zip(names, rows, self._rows, strict=True):
                for column, cell, was in zip(table.columns, row, old, strict=True):
                    if cell != was:
                        table.update_cell(name, column, cell)
        self._names, self._rows = names, rows

    @staticmethod
    def _cells(vm: dict[str, Any]) -> tuple[str, ...]:
        state = vm["state"]
        if state == "running" and vm.get("waiting"):
            state = "waiting"
        if vm.get("fault"):
            state = f"faulted: {vm['fault']}"
        return (
            f"{vm['domid']}{'*' if vm.get('control') else ''}",
            vm["name"],
            state,
            f"{vm['instret']:,}",
            f"{vm['share'] * 100:.0f}%",
            _memory(vm["memory"]),
            str(vm["hypercalls"]),
        )
