"""The sensor: a rule set watching a live hypervisor, as an IDS sensor watches a network.

    sensor = Sensor(hv, rules)
    hv.run(1_000_000)
    sensor.pull()                       # read what is new, run the rules
    sensor.detections(since=0)          # (seq, Detection) pairs, oldest first
    sensor.counts                       # rule id -> how often it fired

`Tap` reads what is new since its last look: the trace's records (`Trace.since`) and
every segment's captured frames (a segment's ports count every frame they captured,
so the difference since the last look is what is new). The sensor sets the trace's
`before_trim`, so a flood that adds more records between two looks than the trace's
window holds is still read in full: what a rule sees does not depend on how often a
front end looks. Frames are read from the capture, which keeps the last 100,000 of a
segment; more than that between two looks is counted in `lost`.

A rule fires on the same observation (one frame of a flood, one repeated hypercall) at
most once in QUIET instructions: a flood makes a detection a window, not a million.

The machine may go back in time (a step reset, a snapshot restored): the sensor then
forgets what happened after the time it went back to (detections, windows) and reads
on from there.
"""

from __future__ import annotations

import itertools
from collections import Counter, deque
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Final

from lab.detect.engine import MAX_KEYS, Detection, Detector
from lab.detect.fields import Observation, Source, event_fields, frame_fields, hypercall_fields, port_domids
from lab.detect.rules import RuleSet
from lab.hv.hypercalls import HypercallRecord

if TYPE_CHECKING:
    from lab.hv import Hypervisor
    from lab.hv.trace import Record

KEEP: Final = 2_000  # detections kept for reading; `counts` counts them all
QUIET: Final = 1_000_000  # instructions: a rule fires on the same observation at most once in this long

Seen = tuple[Source, int, Hashable, Observation]  # source, time, key, observation


class Tap:
    """What is new on a hypervisor since the last look, as interned observations."""

    def __init__(self, hv: Hypervisor, sources: frozenset[Source] = frozenset(Source)) -> None:
        self.hv = hv
        self.sources = sources
        self.lost = 0  # records or frames that were gone before they could be read
        self._cache: dict[Hashable, Observation] = {}
        self.skip_to_now()

    def skip_to_now(self) -> None:
        """Read on from here (what is there now counts as read)."""
        hv = self.hv
        self.time = hv.time
        self.trace_seq = hv.trace.seq
        self.frames = self._frame_totals()

    def _frame_totals(self) -> dict[str, int]:
        net = self.hv.net
        if net is None:
            return {}
        return {name: sum(p.counters.rx_frames for p in s.ports) for name, s in net.network.segments.items()}

    def rewound(self) -> bool:
        """The machine went back in time since the last look."""
        hv = self.hv
        totals = self._frame_totals()
        return (
            hv.time < self.time
            or hv.trace.seq < self.trace_seq
            or any(totals.get(name, 0) < n for name, n in self.frames.items())
        )

    def _intern(self, key: Hashable, build: object) -> Observation:
        obs = self._cache.get(key)
        if obs is None:
            if len(self._cache) >= MAX_KEYS:
                self._cache.clear()
            obs = self._cache[key] = build()  # type: ignore[operator]
        return obs

    def read(self) -> list[Seen]:
        """Everything new: the trace's records in order, then each segment's frames in order."""
        hv = self.hv
        out: list[Seen] = []
        trace = hv.trace
        if self.sources & {Source.HYPERCALL, Source.EVENT}:
            new = trace.seq - self.trace_seq
            records = trace.since(self.trace_seq)
            self.lost += max(0, new - len(records))
            out.extend(self._records(records))
        self.trace_seq = trace.seq
        totals = self._frame_totals()
        if Source.FRAME in self.sources and hv.net is not None:
            frames = []
            domids = port_domids(hv)
            for name, total in totals.items():
                new = total - self.frames.get(name, 0)
                if new <= 0:
                    continue
                segment = hv.net.network.segments[name]
                capture = segment.capture
                self.lost += max(0, new - len(capture))
                for c in itertools.islice(capture, max(0, len(capture) - new), None):
                    key = (name, c.port, c.frame)
                    obs = self._intern(key, lambda c=c, s=segment: frame_fields(c, s, domids))
                    frames.append((Source.FRAME, c.time, key, obs))
            out.extend(frames)
        self.frames = totals
        self.time = hv.time
        return out

    def _records(self, records: list[Record]) -> Iterator[Seen]:
        hv = self.hv
        calls = Source.HYPERCALL in self.sources
        events = Source.EVENT in self.sources
        for r in records:
            if type(r) is HypercallRecord:
                if calls:
                    key = (r.domid, r.eid, r.fid, r.args, r.error, r.value, r.why, r.patched, r.pc)
                    yield (
                        Source.HYPERCALL,
                        r.time,
                        key,
                        self._intern(key, lambda r=r: hypercall_fields(r, hv)),
                    )
            elif events:
                key = ("event", r.domid, r.kind, r.describe())
                yield Source.EVENT, r.time, key, self._intern(key, lambda r=r: event_fields(r, hv))


def _time(found: Detection) -> int:
    return found.time


class Sensor:
    """A rule set on a live hypervisor: its detections as they happen."""

    def __init__(self, hv: Hypervisor, rules: RuleSet) -> None:
        self.hv = hv
        self.rules = rules
        self.detector = Detector(rules, quiet=QUIET)
        self.tap = Tap(hv, self.detector.sources)
        self.seq = 0  # detections ever made: the `since` of the next read
        self.counts: Counter[str] = Counter()  # rule id -> detections, all of them
        self._kept: deque[tuple[int, Detection]] = deque(maxlen=KEEP)
        self._suspended = 0
        hv.trace.before_trim = self.pull

    def close(self) -> None:
        """Stop watching (another rule set takes over, or the machine goes)."""
        if self.hv.trace.before_trim == self.pull:
            self.hv.trace.before_trim = None

    @contextmanager
    def suspended(self) -> Iterator[None]:
        """Look away while the machine does something that is not the student's (a replay of the
        lesson's attacks on the same machine, restored afterwards): what happens meanwhile is
        not read, and the sensor reads on from where the machine is afterwards."""
        self.pull()
        self._suspended += 1
        self.hv.trace.before_trim = None
        try:
            yield
        finally:
            self._suspended -= 1
            if not self._suspended:
                self.hv.trace.before_trim = self.pull
                self.tap.skip_to_now()

    def pull(self) -> int:
        """Read what is new and run the rules over it; how many detections that made."""
        if self._suspended:
            return 0
        if self.tap.rewound():
            self._went_back(self.hv.time)
            self.tap.skip_to_now()
            return 0
        observe = self.detector.observe
        new: list[Detection] = []
        for source, time, key, obs in self.tap.read():
            found = observe(source, time, key, obs)
            if found:
                new.extend(found)
        new.sort(key=_time)  # the trace's and the frames' detections, in the order they happened
        for found in new:
            self.seq += 1
            self.counts[found.rule] += 1
            self._kept.append((self.seq, found))
        return len(new)

    def _went_back(self, now: int) -> None:
        """Undo what happened after `now` (the detections kept; older ones stay counted)."""
        undone = [(seq, d) for seq, d in self._kept if d.time > now]
        for _, d in undone:
            self.counts[d.rule] -= 1
            if not self.counts[d.rule]:
                del self.counts[d.rule]
        self._kept = deque(((s, d) for s, d in self._kept if d.time <= now), maxlen=KEEP)
        self.detector.reset()

    def detections(self, since: int = 0) -> list[tuple[int, Detection]]:
        """The kept detections after number `since`, oldest first."""
        return [(s, d) for s, d in self._kept if s > since]

    @property
    def lost(self) -> int:
        return self.tap.lost
