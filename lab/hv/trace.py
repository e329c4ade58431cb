"""The trace: everything the hypervisor did, in time order.

Time is instructions retired by all vCPUs together (`Hypervisor.time`), so a
trace is the same, byte for byte, for the same scenario and inputs on either
CPU backend. Events are hypercalls (`HypercallRecord`) and `Event`s of other
kinds (VM state changes, faults, patches, later grants, frames, logins).

The trace keeps the last `limit` events; `seq` numbers every event ever
added so a UI can ask for "what is new since N".
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from lab.trace_messages import EventKind


class Record(Protocol):
    time: int
    domid: int

    @property
    def kind(self) -> EventKind: ...

    def describe(self) -> str: ...

    def to_dict(self) -> dict[str, Any]: ...


@dataclass(slots=True)
class Event:
    """A trace event that is not a hypercall: its text is one of the trace's messages
    (lab.trace_messages), filled in."""

    time: int
    domid: int  # -1: the hypervisor itself
    kind: EventKind
    text: str
    data: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        return self.text

    def to_dict(self) -> dict[str, Any]:
        return {"time": self.time, "kind": self.kind, "domid": self.domid, "text": self.text, **self.data}


class Trace:
    def __init__(self, limit: int = 50_000) -> None:
        self._events: deque[Record] = deque(maxlen=limit)
        self.seq = 0  # events ever added

    def add(self, record: Record) -> None:
        self._events.append(record)
        self.seq += 1

    def clear(self) -> None:
        self._events.clear()

    def __iter__(self) -> Iterator[Record]:
        return iter(self._events)

    def __len__(self) -> int:
        return len(self._events)

    def since(self, seq: int) -> list[Record]:
        """Events added after the first `seq` ever added (that are still kept)."""
        new = self.seq - seq
        if new <= 0:
            return []
        events = list(self._events)
        return events[-new:] if new < len(events) else events

    def select(self, *, domid: int | None = None, kinds: Iterable[str] | None = None) -> list[Record]:
        wanted = set(kinds) if kinds is not None else None
        return [
            r
            for r in self._events
            if (domid is None or r.domid == domid) and (wanted is None or r.kind in wanted)
        ]

    def lines(self, names: dict[int, str] | None = None) -> list[str]:
        """The trace as text, one event a line (the format `hvlab run --trace` prints)."""
        names = names or {}
        out = []
        for r in self._events:
            who = "hv" if r.domid < 0 else f"dom{r.domid}"
            if r.domid in names:
                who += f" {names[r.domid]}"
            out.append(f"[{r.time:>10}] {who:<14} {r.describe()}")
        return out
