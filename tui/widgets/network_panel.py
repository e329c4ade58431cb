"""The network: each segment's switch ports with their counters, the management
service's counters, where the scenario has a management service its out-of-band
console (the hypervisor's own: LIST, PAUSE vm, ... reach it even while a flood
starves the network), the frames as they cross the switch, and "save pcap".

    panel = NetworkPanel(default_dir=default_capture_dir(), mgmt=True, id="network")
    panel.update_network(frame.network)        # a NetworkView (Session.network, or a frame's)
    panel.add_frames(items)                    # TimelineItems of kind "frame"
    # posts NetworkPanel.SaveRequested(segment="tenants", path=Path(...))
    panel.show_saved(session.save_pcap(...))
    # posts NetworkPanel.CommandEntered(command="LIST") from the management console
    panel.show_reply("LIST", session.mgmt_console("LIST"))

The capture goes to the path in the input line, or, left empty, to a file named
after the segment and the time in the user's data dir: a student who opens it in
Wireshark sees the same frames the panel lists.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path
from typing import Any, ClassVar, Final

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, DataTable, Input, Static

from lab.session.records import (
    MgmtReply,
    MgmtView,
    NetworkView,
    PcapSaved,
    PortView,
    Refused,
    TimelineItem,
)
from tui.keys import Key, Localized, Words, localized, words
from tui.widgets.text_log import DrawnWhenShown, TextLog

KEEP: Final = 2000  # frames listed
MGMT_KEEP: Final = 200  # management console lines kept
# Drops first after the port: what a flood does to a port must fit on an 80-column screen.
COLUMNS: Final = (
    "tui.col_segment",
    "tui.col_port",
    "tui.col_kind",
    "tui.col_drops",
    "tui.col_spoofed",
    "tui.col_rx_frames",
    "tui.col_rx_bytes",
    "tui.col_tx_frames",
    "tui.col_tx_bytes",
)
MGMT_SHOWN: Final = (
    ("received", "received"),
    ("handled", "handled"),
    ("queue_drops", "queue drops"),
    ("rate_limited", "rate-limited"),
    ("logins_ok", "logins"),
    ("logins_failed", "failed logins"),
    ("lockouts", "lockouts"),
    ("unlocks", "unlocks"),
    ("commands", "commands"),
    ("denied", "denied"),
    ("arp_replies", "ARP replies"),
    ("echo_replies", "pings answered"),
    ("bad_frames", "bad frames"),
)


def mgmt_line(mgmt: MgmtView | None, say: Words | None = None) -> str:
    """The management service in one line: where it listens and what it has seen.

    The counters' names are the service's own (English, as in its log), like a device's.
    """
    say = say or Words("en")
    if mgmt is None:
        return say("tui.no_mgmt")
    counters = mgmt.counters
    counts = [(label, getattr(counters, key)) for key, label in MGMT_SHOWN]
    shown = ", ".join(f"{label} {n}" for label, n in counts if n)
    return say(
        "tui.mgmt_line",
        ip=mgmt.ip,
        port=mgmt.port,
        segment=mgmt.segment,
        queued=mgmt.queued,
        counters=shown or say("tui.mgmt_idle"),
    )


class NetworkPanel(Localized, DrawnWhenShown, Vertical):
    """The service line, the ports table, the management console, the frames and the pcap row."""

    BINDINGS: ClassVar[list[BindingType]] = localized(Key("s", "save", "save_pcap", show=False))

    DEFAULT_CSS = """
    NetworkPanel #net-mgmt {
        height: auto;
        padding: 0 1;
    }
    NetworkPanel DataTable {
        height: auto;
        max-height: 7;
    }
    NetworkPanel #net-frames {
        height: 1fr;
        min-height: 2;
    }
    NetworkPanel Horizontal {
        height: auto;
    }
    NetworkPanel Input {
        width: 1fr;
    }
    NetworkPanel #pcap-status {
        height: auto;
        padding: 0 1;
    }
    NetworkPanel #mgmt-log {
        height: auto;
        max-height: 6;
    }
    """

    class SaveRequested(Message):
        """The student asked to save a segment's capture as a pcap file at `path`."""

        def __init__(self, segment: str, path: Path) -> None:
            super().__init__()
            self.segment = segment
            self.path = path

    class CommandEntered(Message):
        """The student entered a command at the hypervisor's management console."""

        def __init__(self, command: str) -> None:
            super().__init__()
            self.command = command

    def __init__(self, *, default_dir: Path, mgmt: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.default_dir = default_dir
        self.mgmt = mgmt  # the scenario has a management service: offer its console
        self.time = 0  # the machine's time at the last update: names the default file
        self.lesson = "hvlab"
        self._rows: list[tuple[str, ...]] = []
        self._keys: list[str] = []
        self._segments: list[str] = []
        self._frames: deque[str] = deque(maxlen=KEEP)

    def compose(self) -> ComposeResult:
        say = words(self)
        yield Static(id="net-mgmt")
        table: DataTable[str] = DataTable(cursor_type="row", zebra_stripes=True, id="net-ports")
        table.add_columns(*(say(column) for column in COLUMNS))
        yield table
        if self.mgmt:  # above the frames: in a flood it is the way in, and must not scroll away
            log = TextLog(max_lines=MGMT_KEEP, id="mgmt-log")
            log.can_focus = False
            yield log
            yield Input(placeholder=say("tui.mgmt_placeholder"), id="mgmt-input", compact=True)
        yield TextLog(max_lines=KEEP, id="net-frames")
        with Horizontal():
            yield Input(placeholder=say("tui.pcap_placeholder", dir=self.default_dir), id="pcap-path")
            yield Button(f"{say('save_pcap')} (s)", id="pcap-save")
        yield Static(id="pcap-status")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_save()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "mgmt-input":
            command = event.value.strip()
            event.input.value = ""
            if command:
                self.post_message(self.CommandEntered(command))
            return
        self.action_save()

    def show_reply(self, command: str, result: MgmtReply | Refused) -> None:
        """The management console's answer under the command, as on a serial line."""
        reply = result.error if isinstance(result, Refused) else result.reply
        self.query_one("#mgmt-log", TextLog).write_lines([f"> {command}", *str(reply).splitlines()])

    @property
    def mgmt_lines(self) -> list[str]:
        return self.query_one("#mgmt-log", TextLog).lines if self.mgmt else []

    def action_save(self) -> None:
        segment = self.segment
        if segment is None:
            return
        typed = self.query_one("#pcap-path", Input).value.strip()
        path = Path(typed).expanduser() if typed else self.default_path(segment)
        self.post_message(self.SaveRequested(segment, path))

    # -- what the screen calls

    @property
    def segment(self) -> str | None:
        """The segment to save: the highlighted port's, else the first one."""
        table = self.query_one("#net-ports", DataTable)
        if self._rows and 0 <= table.cursor_row < len(self._rows):
            return self._rows[table.cursor_row][0]
        return self._segments[0] if self._segments else None

    def default_path(self, segment: str) -> Path:
        return self.default_dir / f"{self.lesson}-{segment}-t{self.time}.pcap"

    def update_network(self, net: NetworkView | None, *, time: int = 0) -> None:
        """Refresh the counters in place (the cursor stays on its port)."""
        self.time = time
        say = words(self)
        if net is None:
            self.query_one("#net-mgmt", Static).update(say("tui.no_network"))
            return
        self.query_one("#net-mgmt", Static).update(mgmt_line(net.mgmt, say))
        self._segments = [seg.name for seg in net.segments]
        rows = [_port_row(seg.name, port) for seg in net.segments for port in seg.ports]
        if rows == self._rows:
            return
        table = self.query_one("#net-ports", DataTable)
        keys = [f"{row[0]}/{row[1]}" for row in rows]
        if keys != self._keys:
            table.clear()
            for key, row in zip(keys, rows, strict=True):
                table.add_row(*row, key=key)
        else:
            for key, row, old in zip(keys, rows, self._rows, strict=True):
                for column, cell, was in zip(table.columns, row, old, strict=True):
                    if cell != was:
                        table.update_cell(key, column, cell, update_width=True)
        self._rows, self._keys = rows, keys

    def add_frames(self, items: tuple[TimelineItem, ...]) -> None:
        """Timeline items of kind "frame", oldest first."""
        lines = [
            f"[{i.time:>9}] {i.packet.segment}/{i.packet.port}: {i.text}"
            for i in items
            if i.packet is not None
        ]
        if lines:
            self._frames.extend(lines)
            if self._shown:
                self.query_one("#net-frames", TextLog).write_lines(lines)
            else:  # a flood's frames are drawn once, when the panel is opened
                self._stale = True

    def clear_frames(self) -> None:
        self._frames.clear()
        self._stale = False
        self.query_one("#net-frames", TextLog).clear()

    def _redraw(self) -> None:
        log = self.query_one("#net-frames", TextLog)
        log.clear()
        log.write_lines(list(self._frames))

    def show_saved(self, result: PcapSaved | Refused) -> str:
        """Say where the capture went (or why it did not); returns the text shown."""
        say = words(self)
        if isinstance(result, PcapSaved):
            text = say("tui.pcap_saved", frames=result.frames, path=result.path)
        else:
            text = say("tui.pcap_not_saved", error=result.error)
        self.query_one("#pcap-status", Static).update(text)
        return text

    @property
    def frames(self) -> list[str]:
        return list(self._frames)


def _port_row(segment: str, port: PortView) -> tuple[str, ...]:
    c = port.counters
    return (
        segment,
        port.name,
        port.kind,
        f"{c.acl_drops + c.endpoint_drops:,}",
        f"{c.spoof_drops:,}",  # sent with another's address (net.anti_spoofing)
        f"{c.rx_frames:,}",
        f"{c.rx_bytes:,}",
        f"{c.tx_frames:,}",
        f"{c.tx_bytes:,}",
    )
