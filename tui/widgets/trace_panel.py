"""The trace: every hypercall, VM state change, fault, policy change and patch,
in time order, filterable by VM and by kind: the timeline without its frames and code.

    panel = TracePanel(id="trace")
    panel.set_vms(state.vms)
    panel.add(frame.timeline.items, dropped=frame.timeline.dropped)   # frames are left out
"""

from __future__ import annotations

from collections import deque
from typing import Any, Final

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Select

from lab.session.records import TimelineItem, VmView
from tui.keys import words
from tui.widgets.text_log import DrawnWhenShown, TextLog
from tui.widgets.timeline_panel import Gap, who

KEEP: Final = 5000  # events held for re-filtering; the session keeps more
ALL: Final = "all"
KINDS: Final = ("hypercall", "vm", "fault", "policy", "patch")  # more join as they appear


class TracePanel(DrawnWhenShown, Vertical):
    """A filter row (VM, kind) above the trace lines that pass it."""

    DEFAULT_CSS = """
    TracePanel Horizontal {
        height: auto;
    }
    TracePanel Select {
        width: 1fr;
    }
    TracePanel TextLog {
        height: 1fr;
    }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._events: deque[TimelineItem | Gap] = deque(maxlen=KEEP)
        self._names: dict[int, str] = {}
        self._vm: int | None = None
        self._kind: str | None = None
        self._kinds: list[str] = list(KINDS)

    def compose(self) -> ComposeResult:
        with Horizontal():
            say = words(self)
            yield Select([], prompt=say("tui.every_vm"), allow_blank=True, id="trace-vm")
            yield Select(
                [(k, k) for k in KINDS], prompt=say("tui.every_kind"), allow_blank=True, id="trace-kind"
            )
        yield TextLog(max_lines=KEEP, id="trace-log")

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        # Textual 8 spells "nothing chosen" Select.NULL (Select.BLANK is a flag): ask the widget.
        value = None if event.select.is_blank() else event.value
        if event.select.id == "trace-vm":
            self._vm = value  # type: ignore[assignment]
        else:
            self._kind = value  # type: ignore[assignment]
        self._redraw()

    def set_vms(self, vms: tuple[VmView, ...]) -> None:
        names = {vm.domid: vm.name for vm in vms}
        if names != self._names:
            self._names = names
            self.query_one("#trace-vm", Select).set_options(
                [(f"dom{d} {n}", d) for d, n in names.items()] + [(words(self)("tui.hypervisor"), -1)]
            )

    def add(self, items: tuple[TimelineItem, ...], *, dropped: int = 0) -> None:
        """Timeline items oldest first (frames are not the trace's); `dropped` came before them."""
        log = self.query_one(TextLog)
        lines = []
        shown = self._shown
        if dropped:
            self._events.append(Gap(dropped))
            lines.append(Gap(dropped).line(words(self)))
        for event in items:
            if event.packet is not None:
                continue
            if event.kind not in self._kinds:
                self._kinds.append(event.kind)
                select = self.query_one("#trace-kind", Select)
                with select.prevent(Select.Changed):
                    select.set_options([(k, k) for k in self._kinds])
                    if self._kind is not None:
                        select.value = self._kind
            self._events.append(event)
            if shown and self._passes(event):
                lines.append(self._line(event))
        if not shown:  # a flood's thousands of lines are drawn once, when the panel is opened
            self._stale = self._stale or bool(items or dropped)
        elif lines:
            log.write_lines(lines)

    def clear(self) -> None:
        self._events.clear()
        self._stale = False
        self.query_one(TextLog).clear()

    def _passes(self, event: TimelineItem | Gap) -> bool:
        if isinstance(event, Gap):
            return True
        return (self._vm is None or event.domid == self._vm) and (
            self._kind is None or event.kind == self._kind
        )

    def _line(self, event: TimelineItem | Gap) -> str:
        if isinstance(event, Gap):
            return event.line(words(self))
        return f"[{event.time:>9}] {who(event.domid, self._names):<11} {event.text}"

    def _redraw(self) -> None:
        self._stale = False
        log = self.query_one(TextLog)
        log.clear()
        log.write_lines([self._line(e) for e in self._events if self._passes(e)])

    @property
    def lines(self) -> list[str]:
        return self.query_one(TextLog).lines
