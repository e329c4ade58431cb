"""The VMs: state, instructions retired, CPU share, memory and hypercalls, and,
where a VM has a NIC, a line with its frames and bytes out and in and its drops;
with pause / unpause / reboot for the highlighted one.

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
from textual.widgets import Button, DataTable, Static

COLUMNS = ("dom", "name", "state", "instret", "CPU", "memory", "hcalls")
NIC_HEADER = f"{'NIC':<8}{'address':<12}{'out fr/B':<10}{'in fr/B':<10}drop"


def nic_line(name: str, nic: dict[str, Any]) -> str:
    """A VM's NIC in one line under NIC_HEADER: frames/bytes out and in, drops either way."""
    c = nic["counters"]
    out, into = f"{c['tx_frames']}/{c['tx_bytes']}", f"{c['rx_frames']}/{c['rx_bytes']}"
    return f"{name:<7} {nic['ip']:<11} {out:<9} {into:<9} {c['tx_drops'] + c['rx_drops']}"


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
    VmPanel #vm-nics {
        height: auto;
        padding: 0 1;
        display: none;
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
        self._nic_text = ""

    def compose(self) -> ComposeResult:
        table: DataTable[str] = DataTable(cursor_type="row", zebra_stripes=True)
        table.add_columns(*COLUMNS)
        yield table
        yield Static(id="vm-nics")
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
        nic_lines = [nic_line(vm["name"], vm["nic"]) for vm in vms if vm.get("nic")]
        nic_text = "\n".join([NIC_HEADER, *nic_lines]) if nic_lines else ""
        if nic_text != self._nic_text:
            self._nic_text = nic_text
            nics = self.query_one("#vm-nics", Static)
            nics.update(nic_text)
            nics.display = bool(nic_text)
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
