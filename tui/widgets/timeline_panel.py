"""The timeline: one time-ordered view of what crossed the guest/hypervisor boundary.

Hypercalls (each with the guest instructions that led to its `ecall`, indented
under it), the hypervisor's other events and every frame on the virtual
network, merged by `Session.timeline`, newest at the bottom, following live.
A student watches an attack leave the guest's code, become a hypercall or a
frame, and come back as the hypervisor's answer.

    panel = TimelinePanel(id="timeline")
    panel.set_vms(state.vms)
    panel.add(frame.timeline.items, dropped=frame.timeline.dropped)   # what a frame brings
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any, Final

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Checkbox, Select

from lab.session.records import TimelineItem, VmView
from tui.keys import Words, words
from tui.widgets.text_log import DrawnWhenShown, TextLog

KEEP: Final = 3000  # items held for re-filtering (a hypercall with its code is five lines)
INDENT: Final = " " * 12  # the code sits under the event text, past the time column
HYPERVISOR: Final = -1


@dataclass(frozen=True, slots=True)
class Gap:
    """Items a flood brought that were counted, not listed: one line saying how many."""

    dropped: int

    def line(self, say: Words) -> str:
        return INDENT + say("tui.more_events", n=f"{self.dropped:,}")


def who(domid: int, names: dict[int, str]) -> str:
    """The actor column: hv, or domN and the VM's name."""
    return "hv" if domid < 0 else f"dom{domid} {names.get(domid, '')}".rstrip()


class TimelinePanel(DrawnWhenShown, Vertical):
    """A VM filter and a code switch above the merged trace and frames, code under each hypercall."""

    DEFAULT_CSS = """
    TimelinePanel Horizontal {
        height: auto;
    }
    TimelinePanel Select {
        width: 1fr;
    }
    TimelinePanel Checkbox {
        width: auto;
    }
    TimelinePanel TextLog {
        height: 1fr;
    }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._items: deque[TimelineItem | Gap] = deque(maxlen=KEEP)
        self._names: dict[int, str] = {}
        self._vm: int | None = None
        self._code = True  # the instructions under each hypercall

    def compose(self) -> ComposeResult:
        with Horizontal():
            say = words(self)
            yield Select([], prompt=say("tui.every_vm"), allow_blank=True, id="timeline-vm")
            yield Checkbox(say("tui.code"), value=True, id="timeline-code")
        yield TextLog(max_lines=KEEP * 3, id="timeline-log")

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        # Textual 8 spells "nothing chosen" Select.NULL (Select.BLANK is a flag): ask the widget.
        self._vm = None if event.select.is_blank() else event.value  # type: ignore[assignment]
        self._redraw()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        event.stop()
        self._code = event.value
        self._redraw()

    def set_vms(self, vms: tuple[VmView, ...]) -> None:
        names = {vm.domid: vm.name for vm in vms}
        if names != self._names:
            self._names = names
            self.query_one("#timeline-vm", Select).set_options(
                [(f"dom{d} {n}", d) for d, n in names.items()] + [(words(self)("tui.hypervisor"), HYPERVISOR)]
            )

    def add(self, items: tuple[TimelineItem, ...], *, dropped: int = 0) -> None:
        """Items oldest first; `dropped` came before them and are not listed (a flood)."""
        lines: list[str] = []
        shown = self._shown
        if dropped:
            gap = Gap(dropped)
            self._items.append(gap)
            lines.extend(self._lines(gap))
        for item in items:
            self._items.append(item)
            if shown and self._passes(item):
                lines.extend(self._lines(item))
        if not shown:  # drawn once, from the items kept, when the panel is opened
            self._stale = self._stale or bool(items or dropped)
        elif lines:
            self.query_one(TextLog).write_lines(lines)

    def clear(self) -> None:
        self._items.clear()
        self._stale = False
        self.query_one(TextLog).clear()

    def _passes(self, item: TimelineItem | Gap) -> bool:
        return self._vm is None or isinstance(item, Gap) or item.domid == self._vm

    def _lines(self, item: TimelineItem | Gap) -> list[str]:
        if isinstance(item, Gap):
            return [item.line(words(self))]
        if item.packet is not None:
            what = f"frame {item.packet.segment}/{item.packet.port}: {item.text}"
        elif item.call is not None:
            what = item.text
        else:
            what = f"{item.kind}: {item.text}"
        lines = [f"[{item.time:>9}] {who(item.domid, self._names):<11} {what}"]
        if self._code and item.call is not None:
            traps = "  " + words(self)("tui.traps")
            for ins in item.call.code:
                mark = traps if ins.ecall else ""
                lines.append(f"{INDENT}{ins.pc:08x}  {ins.text}{mark}")
        return lines

    def _redraw(self) -> None:
        self._stale = False
        log = self.query_one(TextLog)
        log.clear()
        log.write_lines([line for item in self._items if self._passes(item) for line in self._lines(item)])

    @property
    def lines(self) -> list[str]:
        return self.query_one(TextLog).lines
