"""The VMs: state, instructions retired, CPU share (over the scheduler's window) and the
part of it the scheduler charged for, memory and hypercalls; where a
VM has a virtual disk, its size and its reads/writes (two more columns, shown
once any VM has a disk); where a VM has a NIC, a line with its frames and bytes
out and in and its drops; with pause / unpause / reboot for the highlighted one.

    panel = VmPanel(id="vms")
    panel.update_vms(state.vms)     # the VmViews of a MachineState
    # posts VmPanel.ActionRequested(vm="tenant", action="pause")
"""

from __future__ import annotations

from typing import Any, ClassVar, Final

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, DataTable, Static

from lab.session.records import DiskView, NicView, VmView
from tui.keys import Key, Localized, Words, localized, words

# Column keys, which are also their uitext message ids.
COLUMNS: Final = (
    "tui.col_dom",
    "tui.col_name",
    "tui.col_state",
    "tui.col_instret",
    "tui.col_cpu",
    "tui.col_charged",
    "tui.col_memory",
    "tui.col_hcalls",
)
DISK_COLUMNS: Final = ("tui.col_disk", "tui.col_disk_io")
STATES: Final = {
    "running": "tui.state_running",
    "waiting": "tui.state_waiting",
    "paused": "tui.state_paused",
    "destroyed": "tui.state_destroyed",
}
NO_DISK: Final = "–"


def nic_header(say: Words) -> str:
    heads = (say("tui.nic_address"), say("tui.nic_out"), say("tui.nic_in"))
    return f"{'NIC':<8}{heads[0]:<12}{heads[1]:<10}{heads[2]:<10}{say('tui.nic_drop')}"


def nic_line(name: str, nic: NicView) -> str:
    """A VM's NIC in one line under NIC_HEADER: frames/bytes out and in, drops either way."""
    c = nic.counters
    out, into = f"{c.tx_frames}/{c.tx_bytes}", f"{c.rx_frames}/{c.rx_bytes}"
    return f"{name:<7} {nic.ip:<11} {out:<9} {into:<9} {c.tx_drops + c.rx_drops}"


def _memory(size: int) -> str:
    return f"{size >> 20} MiB" if size >= 1 << 20 else f"{size >> 10} KiB"


def disk_cells(disk: DiskView | None) -> tuple[str, str]:
    """A VM's disk in two cells: its size, and its read and write requests (sectors in brackets)."""
    if disk is None:
        return NO_DISK, NO_DISK
    io = f"{disk.reads}/{disk.writes} ({disk.sectors_read}/{disk.sectors_written})"
    return _memory(disk.size), io


class VmPanel(Localized, Vertical):
    """A table of the VMs and the buttons that act on the highlighted row.

    The letter keys act only while the table has the focus (never from a console).
    """

    BINDINGS: ClassVar[list[BindingType]] = localized(
        # Not in the footer (the lab's own keys need its room): the buttons name them.
        Key("p", "vm('pause')", "tui.key_pause_vm", show=False),
        Key("u", "vm('unpause')", "tui.key_unpause_vm", show=False),
        Key("b", "vm('reboot')", "tui.key_reboot_vm", show=False),
    )

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
        self._disks = False  # the disk columns are shown

    def compose(self) -> ComposeResult:
        say = words(self)
        table: DataTable[str] = DataTable(cursor_type="row", zebra_stripes=True)
        for column in COLUMNS:
            table.add_column(say(column), key=column)
        yield table
        yield Static(id="vm-nics")
        with Horizontal():
            yield Button(f"{say('pause')} (p)", id="vm-pause")
            yield Button(f"{say('unpause')} (u)", id="vm-unpause")
            yield Button(f"{say('reboot')} (b)", id="vm-reboot", variant="warning")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        assert event.button.id is not None
        self.action_vm(event.button.id.removeprefix("vm-"))

    def action_vm(self, action: str) -> None:
        table = self.query_one(DataTable)
        if self._names and 0 <= table.cursor_row < len(self._names):
            self.post_message(self.ActionRequested(self._names[table.cursor_row], action))

    def update_vms(self, vms: tuple[VmView, ...]) -> None:
        """Refresh the rows in place (the cursor stays on its VM)."""
        say = words(self)
        nic_lines = [nic_line(vm.name, vm.nic) for vm in vms if vm.nic]
        nic_text = "\n".join([nic_header(say), *nic_lines]) if nic_lines else ""
        if nic_text != self._nic_text:
            self._nic_text = nic_text
            nics = self.query_one("#vm-nics", Static)
            nics.update(nic_text)
            nics.display = bool(nic_text)
        table = self.query_one(DataTable)
        disks = any(vm.disk for vm in vms)
        if disks and not self._disks:
            self._disks = True
            for column in DISK_COLUMNS:
                table.add_column(say(column), key=column)
            self._names = []  # the rows are built again with the new cells
        rows = [self._cells(vm, say, disks=self._disks) for vm in vms]
        if rows == self._rows:
            return
        names = [vm.name for vm in vms]
        if names != self._names:
            table.clear()
            for name, row in zip(names, rows, strict=True):
                table.add_row(*row, key=name)
        else:
            for name, row, old in zip(names, rows, self._rows, strict=True):
                for column, cell, was in zip(table.columns, row, old, strict=True):
                    if cell != was:
                        table.update_cell(name, column, cell, update_width=True)
        self._names, self._rows = names, rows

    @staticmethod
    def _cells(vm: VmView, say: Words, *, disks: bool = False) -> tuple[str, ...]:
        state = vm.state
        if state == "running" and vm.waiting:
            state = "waiting"
        state = say(STATES[state]) if state in STATES else state
        if vm.fault:
            state = say("tui.state_faulted", fault=vm.fault)
        extra = disk_cells(vm.disk) if disks else ()
        return (
            f"{vm.domid}{'*' if vm.control else ''}",
            vm.name,
            state,
            f"{vm.instret:,}",
            f"{vm.share * 100:.0f}%",
            f"{vm.charged * 100:.0f}%",
            _memory(vm.memory),
            str(vm.hypercalls),
            *extra,
        )
