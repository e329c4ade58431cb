"""The timeline: one time-ordered view of what crossed the guest/hypervisor boundary.

Hypercalls (each with the guest instructions that led to its `ecall`, indented
under it), the hypervisor's other events and every frame on the virtual
network, merged by `Session.timeline`, newest at the bottom, following live.
A student watches an attack leave the guest's code, become a hypercall or a
frame, and come back as the hypervisor's answer.

    panel = TimelinePanel(id="timeline")
    panel.set_vms(state["vms"])
    panel.add(items)                 # new items from `Session.timeline(since)`
"""

from __future__ import annotations

from collections import deque
from typing import Any, Final

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Checkbox, Log, Select

from tui.keys import words

KEEP: Final = 3000  # items held for re-filtering (a hypercall with its code is five lines)
INDENT: Final = " " * 12  # the code sits under the event text, past the time column
HYPERVISOR: Final = -1


class TimelinePanel(Vertical):
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
    TimelinePanel Log {
        height: 1fr;
    }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.seq = 0  # the last item fetched (Session.timeline's `since`)
        self.epoch = 0  # the session's numbering; a new one means the machine went back
        self._items: deque[dict[str, Any]] = deque(maxlen=KEEP)
        self._names: dict[int, str] = {}
        self._vm: int | None = None
        self._code = True  # the instructions under each hypercall

    def compose(self) -> ComposeResult:
        with Horizontal():
            say = words(self)
            yield Select([], prompt=say("tui.every_vm"), allow_blank=True, id="timeline-vm")
            yield Checkbox(say("tui.code"), value=True, id="timeline-code")
        yield Log(id="timeline-log", max_lines=KEEP * 3)

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        # Textual 8 spells "nothing chosen" Select.NULL (Select.BLANK is a flag): ask the widget.
        self._vm = None if event.select.is_blank() else event.value  # type: ignore[assignment]
        self._redraw()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        event.stop()
        self._code = event.value
        self._redraw()

    def set_vms(self, vms: list[dict[str, Any]]) -> None:
        names = {vm["domid"]: vm["name"] for vm in vms}
        if names != self._names:
            self._names = names
            self.query_one("#timeline-vm", Select).set_options(
                [(f"dom{d} {n}", d) for d, n in names.items()] + [(words(self)("tui.hypervisor"), HYPERVISOR)]
            )

    def add(self, items: list[dict[str, Any]], *, dropped: int = 0) -> None:
        """Items oldest first; `dropped` came before them and are not listed (a flood)."""
        lines: list[str] = []
        if dropped:
            gap = {"kind": "gap", "time": items[0]["time"] if items else 0, "domid": None, "dropped": dropped}
            self._items.append(gap)
            lines.extend(self._lines(gap))
        for item in items:
            self._items.append(item)
            if self._passes(item):
                lines.extend(self._lines(item))
        if lines:
            self.query_one(Log).write_lines(lines)

    def clear(self) -> None:
        self._items.clear()
        self.seq = 0
        self.query_one(Log).clear()

    def _passes(self, item: dict[str, Any]) -> bool:
        return self._vm is None or item["domid"] in (self._vm, None)

    def _lines(self, item: dict[str, Any]) -> list[str]:
        if item["kind"] == "gap":
            return [INDENT + words(self)("tui.more_events", n=f"{item['dropped']:,}")]
        domid = item["domid"]
        who = "hv" if domid < 0 else f"dom{domid} {self._names.get(domid, '')}".rstrip()
        kind = item["kind"]
        if kind == "frame":
            what = f"frame {item['segment']}/{item['port']}: {item['text']}"
        elif kind == "hypercall":
            what = item["text"]
        else:
            what = f"{kind}: {item['text']}"
        lines = [f"[{item['time']:>9}] {who:<11} {what}"]
        traps = "  " + words(self)("tui.traps")
        for ins in item.get("code", ()) if self._code else ():
            mark = traps if ins["ecall"] else ""
            lines.append(f"{INDENT}{ins['pc']:08x}  {ins['text']}{mark}")
        return lines

    def _redraw(self) -> None:
        log = self.query_one(Log)
        log.clear()
        log.write_lines([line for item in self._items if self._passes(item) for line in self._lines(item)])

    @property
    def lines(self) -> list[str]:
        return list(self.query_one(Log).lines)
