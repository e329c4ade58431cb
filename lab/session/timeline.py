"""The timeline: the trace and every network segment's frames merged into one time-ordered list.

    line = Timeline()
    line.read(hv, since=0, limit=500)    # TimelineItems: items, seq, epoch, dropped
    trace_events(hv, since=0)            # TraceEvents: the trace alone, no frames, no code

Each hypercall carries the guest's instructions up to its `ecall` (LEAD_IN words before
it), read from the caller's RAM when the timeline first sees the call, so a student
watches an attack leave the guest's code and come back as the hypervisor's answer.

Frames carry no sequence number of their own, but every captured frame counted once
in its ingress port's rx_frames, so the sum over a segment's ports says how many it
ever captured: the difference since the last look is what is new. When the machine
goes back in time (a reset, a new machine) the numbering starts again and `epoch`
changes: a reader that sees a new epoch starts over from since=0.

What this module needs of the trace (lab.hv.trace) is its public face only: `seq`
(records ever added), `since(seq)` (the kept records after that one) and, per
record, `time`, `domid`, `kind`, `describe()` and `to_dict()`.
"""

from __future__ import annotations

import itertools
import struct
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Final

from lab.detect.fields import port_domids
from lab.hv.hypercalls import HypercallRecord
from lab.hv.vm import RAM_BASE
from lab.net.frames import describe
from lab.riscv.disasm import instruction_text
from lab.session.records import (
    CodeLine,
    HypercallView,
    PacketView,
    TimelineItem,
    TimelineItems,
    TraceEvents,
)

if TYPE_CHECKING:
    from lab.hv import Hypervisor
    from lab.hv.trace import Record
    from lab.net.switch import CapturedFrame

LEAD_IN: Final = 3  # instructions shown before each hypercall's ecall in the timeline
TIMELINE_KEEP: Final = 20_000  # timeline items kept for late readers
# A hypercall record's to_dict() keys that HypercallView holds; an event's other keys are its `data`.
CALL_KEYS: Final = frozenset(("pc", "eid", "fid", "ext", "fn", "args", "error", "error_name", "value", "why"))
ITEM_KEYS: Final = frozenset(("time", "kind", "domid", "text", "patched")) | CALL_KEYS


_disassemble = lru_cache(maxsize=4096)(instruction_text)


def record_item(seq: int, record: Record, code: tuple[CodeLine, ...] = ()) -> TimelineItem:
    """A trace record as a timeline item (a hypercall with the `code` under it)."""
    d = record.to_dict()
    call = None
    if d.get("kind") == "hypercall":
        call = HypercallView(
            pc=d["pc"],
            eid=d["eid"],
            fid=d["fid"],
            ext=d["ext"],
            fn=d["fn"],
            args=tuple(d["args"]),
            error=d["error"],
            error_name=d["error_name"],
            value=d["value"],
            why=d["why"],
            patched=d["patched"],
            code=code,
        )
    data = {} if call is not None else {k: v for k, v in d.items() if k not in ITEM_KEYS}
    return TimelineItem(
        seq=seq,
        time=record.time,
        kind=record.kind,
        domid=record.domid,
        text=d["text"] if "text" in d else record.describe(),
        call=call,
        packet=None,
        data=data,
    )


def trace_events(
    hv: Hypervisor, since: int = 0, *, domid: int | None = None, kinds: Iterable[str] | None = None
) -> TraceEvents:
    """The trace after record `since` (what is still kept), of one VM and some kinds if asked."""
    wanted = set(kinds) if kinds is not None else None
    records = hv.trace.since(since)
    first = hv.trace.seq - len(records)
    events = tuple(
        record_item(first + n + 1, r)
        for n, r in enumerate(records)
        if (domid is None or r.domid == domid) and (wanted is None or r.kind in wanted)
    )
    return TraceEvents(events=events, seq=hv.trace.seq)


@dataclass(slots=True)
class _Entry:
    """One timeline item as kept: the record or frame itself, made a TimelineItem on demand
    (a hypercall flood adds thousands a second; only what is read pays for the record)."""

    seq: int
    record: Record | None = None
    frame: CapturedFrame | None = None
    segment: str = ""
    code: bytes = b""  # the guest's words up to and including the ecall
    code_pc: int = 0  # the address of code[0]

    def item(self, port_domids: dict[str, int]) -> TimelineItem:
        if self.frame is not None:
            c = self.frame
            return TimelineItem(
                seq=self.seq,
                time=c.time,
                kind="frame",
                domid=port_domids.get(c.port, -1),
                text=describe(c.frame),
                call=None,
                packet=PacketView(segment=self.segment, port=c.port, len=len(c.frame)),
                data={},
            )
        assert self.record is not None
        code: tuple[CodeLine, ...] = ()
        if isinstance(self.record, HypercallRecord):
            pc = self.record.pc
            code = tuple(
                CodeLine(pc=at, word=word, text=_disassemble(word, at), ecall=at == pc)
                for at, (word,) in zip(
                    range(self.code_pc, self.code_pc + len(self.code), 4),
                    struct.iter_unpack("<I", self.code),
                    strict=True,
                )
            )
        return record_item(self.seq, self.record, code)


@dataclass(slots=True)
class Timeline:
    """The merged view, built incrementally from the trace and the segments' captures."""

    entries: deque[_Entry] = field(default_factory=lambda: deque(maxlen=TIMELINE_KEEP))
    seq: int = 0
    epoch: int = 0
    hv: Hypervisor | None = None
    time: int = 0
    trace_seq: int = 0
    frames: dict[str, int] = field(default_factory=dict)  # segment -> frames captured so far

    def forget(self) -> None:
        """The machine is gone: the next one is a new epoch."""
        self.hv = None

    def read(self, hv: Hypervisor, since: int = 0, limit: int = 500) -> TimelineItems:
        """Items after item `since`, the newest `limit` of them (`dropped` counts the rest)."""
        self.sync(hv)
        first = self.seq - len(self.entries) + 1  # the seq of the oldest item kept
        skip = max(0, since - first + 1)
        fresh = len(self.entries) - skip
        dropped = max(0, fresh - max(0, limit))
        names = port_domids(hv)
        items = tuple(
            e.item(names) for e in itertools.islice(self.entries, skip + dropped, len(self.entries))
        )
        return TimelineItems(items=items, seq=self.seq, epoch=self.epoch, dropped=dropped)

    def sync(self, hv: Hypervisor) -> None:
        segments = hv.net.network.segments if hv.net is not None else {}
        totals = {name: sum(p.counters.rx_frames for p in seg.ports) for name, seg in segments.items()}
        rewound = (
            hv is not self.hv
            or hv.time < self.time
            or hv.trace.seq < self.trace_seq
            or any(totals.get(name, 0) < n for name, n in self.frames.items())
        )
        if rewound:
            self.entries.clear()
            self.seq, self.trace_seq, self.frames = 0, 0, {}
            self.epoch += 1
            self.hv = hv
        # (a trace record, "") or (a captured frame, its segment)
        fresh: list[tuple[Any, str]] = [(r, "") for r in hv.trace.since(self.trace_seq)]
        captured: list[tuple[Any, str]] = []
        for name, total in totals.items():
            new = total - self.frames.get(name, 0)
            if new > 0:
                last = list(itertools.islice(reversed(segments[name].capture), new))
                captured.extend((c, name) for c in reversed(last))
        if captured:
            # At the same time, a trace event goes first: a NET send's record before its frame.
            fresh.extend(captured)
            fresh.sort(key=lambda item: (item[0].time, 1 if item[1] else 0))
        skipped = max(0, len(fresh) - TIMELINE_KEEP)  # they would fall off the deque at once
        self.seq += skipped
        seq, append = self.seq, self.entries.append
        code: dict[tuple[int, int], tuple[bytes, int]] = {}  # a loop calls from one pc thousands of times
        for obj, segment in fresh[skipped:] if skipped else fresh:
            seq += 1
            if segment:
                append(_Entry(seq, None, obj, segment))
            elif type(obj) is HypercallRecord:
                key = (obj.domid, obj.pc)
                words = code.get(key)
                if words is None:
                    words = code[key] = _code_before(hv, obj)
                append(_Entry(seq, obj, None, "", *words))
            else:
                append(_Entry(seq, obj))
        self.seq = seq
        self.time, self.trace_seq, self.frames = hv.time, hv.trace.seq, totals


def _code_before(hv: Hypervisor, record: HypercallRecord) -> tuple[bytes, int]:
    """The LEAD_IN words before the ecall and the ecall, from the caller's RAM (none outside it)."""
    if not 0 <= record.domid < len(hv.vms):
        return b"", 0
    vm = hv.vms[record.domid]
    pc = record.pc
    if not RAM_BASE <= pc <= RAM_BASE + vm.ram_size - 4 or pc & 3:
        return b"", 0
    start = max(RAM_BASE, pc - 4 * LEAD_IN)
    return hv.mem.read(vm.ram_host + start - RAM_BASE, pc + 4 - start), start
