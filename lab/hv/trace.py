"""The trace: everything the hypervisor did, in time order, within a fixed bound.

Time is instructions retired by all vCPUs together (`Hypervisor.time`), so a
trace is the same, byte for byte, for the same scenario and inputs on either
CPU backend. Records are hypercalls (`HypercallRecord`) and `Event`s of other
kinds (VM state changes, faults, patches, grants, frames, logins).

Hypercalls are every guest's hot path (a million a second on the interp
core), so `dispatch` records one as a tuple; the `HypercallRecord` a reader
gets, with its text, is built only when someone reads it.

The bound. A guest can flood the trace (lesson 8 does), so it keeps:

    * the last LIMIT records, in order (up to LIMIT + CHUNK: the oldest CHUNK
      leave together, so that keeping the bound costs nothing per record);
    * of the records that left, the most recent of each *kind*: for a
      hypercall its caller, extension, function, result, `why` and whether a
      patch answered; for an event its kind, domain and text. At most
      DIGEST_LIMIT kinds: those seen first stay, later ones are kept only
      while in the window (a fuzzing guest cannot push out what a lesson
      looks for).

So a lesson check over "everything since the scenario started"
(lab.lesson.predicates `hypercall`, `trace`, `packet`, ... through
`records()`) finds the kind of record it asks for however many came after
it; what a flood erases is how often and when exactly a repeated outcome
happened, and the arguments of calls that ended the same way. About 25,000
tuples of a few hundred bytes: some 6 MB at most, whatever the guests do.
`seq` numbers every record ever added, so a UI can ask for "what is new
since N". A reader that must see every record, however fast they come (the
detection engine, lab.detect), sets `before_trim`: it is called before the
oldest records leave the window, to read what it has not read yet.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from lab.trace_messages import EventKind

LIMIT: Final = 20_000  # records kept in order
CHUNK: Final = 5_000  # records that leave the window at once
DIGEST_LIMIT: Final = 4_096  # kinds of records kept from before the window


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


# The window is one flat list, STRIDE slots a record, so that a record is no
# object of its own (a million tuples kept alive is what costs: allocation,
# cache misses, the garbage collector) and the digest is built from columns:
#
#   a hypercall  domid  eid   fid    error  why   patched  time  pc    args  value
#   an event     EVENT  kind  domid  text   None  None     time  None  None  the Event
#
# The first KEY slots are the record's kind.
STRIDE: Final = 10
KEY: Final = 6
HYPERCALL_FIELDS: Final = ("domid", "eid", "fid", "error", "why", "patched", "time", "pc", "args", "value")
EVENT: Final = object()  # marks an event's first slot


def _view(items: list, i: int) -> Record:
    """The record at slot i: an Event as it was added, a hypercall built now."""
    if items[i] is EVENT:
        return items[i + 9]
    from lab.hv.hypercalls import HypercallRecord  # the records know the hypercall table

    return HypercallRecord(*_fields(items, i))


def _fields(items: list, i: int) -> tuple:
    """A hypercall's HypercallRecord fields, from its slots."""
    domid, eid, fid, error, why, patched, time, pc, args, value = items[i : i + STRIDE]
    return time, domid, pc, eid, fid, args, error, value, why, patched


def _first(entry: tuple[int, Any]) -> int:
    return entry[0]


@dataclass(slots=True)
class TraceState:
    """A copy of a trace's contents (for snapshots); records are never changed, so sharing them is safe."""

    items: list[Any]
    dropped: int
    digest: dict[tuple, tuple[int, tuple]]


class Trace:
    def __init__(self, limit: int = LIMIT, chunk: int = CHUNK, digest_limit: int = DIGEST_LIMIT) -> None:
        self.limit = limit
        self.chunk = chunk
        self.digest_limit = digest_limit
        self._items: list[Any] = []  # the window, flat (see STRIDE)
        self._dropped = 0  # records that left the window
        self._high = (limit + chunk) * STRIDE
        # kind -> (seq, slots): the most recent record of each kind that left the window
        self._digest: dict[tuple, tuple[int, tuple]] = {}
        # Record a hypercall, `dispatch`'s way, a million times a second: extend the
        # window by the ten HYPERCALL_FIELDS (`args` a tuple). No bound check per
        # call: the caller keeps within `room()`.
        self.hypercall = self._items.extend
        # Called before the oldest records leave the window (a reader catches up).
        self.before_trim: Callable[[], None] | None = None

    # -- adding

    def add(self, record: Record) -> None:
        items = self._items
        items += (
            EVENT,
            record.kind,
            record.domid,
            record.describe(),
            None,
            None,
            record.time,
            None,
            None,
            record,
        )
        if len(items) >= self._high:
            self._trim()

    def room(self) -> int:
        """How many hypercalls may be recorded with `hypercall` before the window
        must be trimmed (trimming first if that is less than a chunk). The
        hypervisor runs a vCPU for at most this many instructions at a time:
        every hypercall takes one, so the bound holds without a check per call."""
        if len(self._items) + self.chunk * STRIDE > self._high:
            self._trim()
        return (self._high - len(self._items)) // STRIDE

    def _trim(self) -> None:
        """The oldest CHUNK records leave the window; the digest keeps the last of
        each kind, and of kinds beyond DIGEST_LIMIT none (the first ones stay)."""
        if self.before_trim is not None:
            self.before_trim()
        n = self.chunk * STRIDE
        gone = self._items[:n]
        del self._items[:n]
        count = len(gone) // STRIDE
        columns = [gone[k:n:STRIDE] for k in range(KEY)]
        if all(col.count(col[0]) == count for col in columns):
            # A flood of one kind (compared column by column, in C): its last record is all to keep.
            last = {tuple(col[0] for col in columns): count - 1}
        else:
            last = dict(zip(zip(*columns, strict=True), range(count), strict=True))  # kind -> its last record
        digest, first, room = self._digest, self._dropped + 1, self.digest_limit
        for kind, r in last.items():
            if kind in digest or len(digest) < room:
                digest[kind] = (first + r, tuple(gone[r * STRIDE : (r + 1) * STRIDE]))
        self._dropped += count

    def clear(self) -> None:
        self._items.clear()
        self._digest.clear()
        self._dropped = 0

    # -- reading

    @property
    def seq(self) -> int:
        """Records ever added."""
        return self._dropped + len(self._items) // STRIDE

    def __iter__(self) -> Iterator[Record]:
        """The records in the window, oldest first."""
        items = self._items
        return (_view(items, i) for i in range(0, len(items), STRIDE))

    def __len__(self) -> int:
        return len(self._items) // STRIDE

    def since(self, seq: int) -> list[Record]:
        """Records in the window added after the first `seq` ever added."""
        new = min(self.seq - seq, len(self))
        items = self._items
        return (
            [_view(items, i) for i in range(len(items) - new * STRIDE, len(items), STRIDE)] if new > 0 else []
        )

    def records(self, since: int = 0) -> list[Record]:
        """Everything a check needs about the records added after the first `since`:
        the window's, and before them the digest's (one of each kind that left
        the window, its most recent), in order."""
        kept = sorted((entry for entry in self._digest.values() if entry[0] > since), key=_first)
        return [_view(list(slots), 0) for _s, slots in kept] + self.since(since)

    def select(self, *, domid: int | None = None, kinds: Iterable[str] | None = None) -> list[Record]:
        wanted = set(kinds) if kinds is not None else None
        return [
            r for r in self if (domid is None or r.domid == domid) and (wanted is None or r.kind in wanted)
        ]

    def lines(self, names: dict[int, str] | None = None) -> list[str]:
        """The trace as text, one event a line (the format `hvlab run --trace` prints)."""
        names = names or {}
        out = []
        for r in self:
            who = "hv" if r.domid < 0 else f"dom{r.domid}"
            if r.domid in names:
                who += f" {names[r.domid]}"
            out.append(f"[{r.time:>10}] {who:<14} {r.describe()}")
        return out

    # -- snapshots

    def state(self) -> TraceState:
        return TraceState(list(self._items), self._dropped, dict(self._digest))

    def restore(self, state: TraceState) -> None:
        self._items[:] = state.items
        self._dropped = state.dropped
        self._digest = dict(state.digest)
