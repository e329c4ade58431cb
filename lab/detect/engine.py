"""The detection engine: observations in, detections out.

    detector = Detector(rules)                     # a RuleSet (lab.detect.rules)
    for found in detector.observe(source, time, key, obs):
        print(found.rule, found.output)

Observations are *interned*: each distinct one (a frame's bytes on a port, a hypercall's
caller, function, arguments and answer, an event's line) is built once and given a
number, `key`; a flood of one frame is one observation seen a thousand times. The
detector remembers per key which rules matched, so the rules run once per distinct
observation and a flood costs a dictionary lookup a frame.

A rule without `count` fires on every observation it matches; with `quiet`, not again on the
same observation within `quiet` instructions (a flood of one frame then gives one detection
a window, as a SIEM's throttle does; the scoring corpus uses no quiet). A counting rule keeps,
per group (the values of its `by` fields), the times of its recent matches: when
`at_least` of them (or that many distinct values of its `distinct` field) fall within
`within` instructions, it fires once, forgets them and stays quiet for one window, so
a sustained flood gives one detection a window, not one a frame (as a Sigma
correlation gives one alert a timespan).
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any, Final

from lab.detect.fields import Observation, Source
from lab.detect.rules import Rule, RuleSet

MAX_KEYS: Final = 50_000  # distinct observations remembered before the memo starts afresh


@dataclass(frozen=True, slots=True)
class Detection:
    """A rule that fired, on what, when and about whom."""

    rule: str  # the rule's id
    title: str  # its title
    level: str  # informational, low, medium, high or critical
    source: str  # hypercall, event or frame
    time: int  # the time of the observation that set it off
    vm: str  # the VM it is about (a frame: the VM whose port sent it)
    domid: int  # that VM's domid (-1: the hypervisor or the management service)
    text: str  # the observation's own line
    output: str  # the rule's output, filled in (its `text` when the rule has none)
    count: int = 1  # a counting rule: matches (or distinct values) in the window; else 1
    since: int = 0  # a counting rule: the time of the window's first match; else `time`
    group: str = ""  # a counting rule: its `by` fields' values (`ip.src=10.0.0.11`)


@dataclass(slots=True)
class _Window:
    times: deque[int] = field(default_factory=deque)
    values: deque[Hashable] = field(default_factory=deque)
    distinct: Counter[Hashable] = field(default_factory=Counter)
    quiet_until: int = -1


class Detector:
    """Rules over a stream of observations, in time order per source."""

    def __init__(self, rules: RuleSet, *, quiet: int = 0) -> None:
        self.rules = rules
        self.quiet = quiet
        self.suppressed = 0  # detections left out by `quiet`
        self._by_source = rules.by_source()
        self._memo: dict[Hashable, tuple[Rule, ...]] = {}
        self._windows: dict[tuple[str, tuple[Any, ...]], _Window] = {}
        self._last: dict[tuple[str, Hashable], int] = {}  # (rule, observation) -> when it last fired

    @property
    def sources(self) -> frozenset[Source]:
        """The sources some enabled rule watches: the others need not be read at all."""
        return frozenset(self._by_source)

    def reset(self) -> None:
        """Forget every window (the machine went back in time)."""
        self._windows.clear()
        self._last.clear()

    def matching(self, source: Source, key: Hashable, obs: Observation) -> tuple[Rule, ...]:
        """The rules of `source` that match `obs` (remembered under `key`)."""
        found = self._memo.get(key)
        if found is None:
            if len(self._memo) >= MAX_KEYS:
                self._memo.clear()
            found = self._memo[key] = tuple(r for r in self._by_source.get(source, ()) if r.matches(obs))
        return found

    def observe(self, source: Source, time: int, key: Hashable, obs: Observation) -> list[Detection]:
        """What the rules make of one observation at `time`."""
        rules = self.matching(source, key, obs)
        if not rules:
            return []
        out = []
        for rule in rules:
            if rule.count is None:
                if self.quiet:
                    last = self._last.get((rule.id, key))
                    if last is not None and 0 <= time - last < self.quiet:
                        self.suppressed += 1
                        continue
                    if len(self._last) >= MAX_KEYS:
                        self._last.clear()
                    self._last[(rule.id, key)] = time
                out.append(_detection(rule, time, obs))
            else:
                found = self._count(rule, time, obs)
                if found is not None:
                    out.append(found)
        return out

    def _count(self, rule: Rule, time: int, obs: Observation) -> Detection | None:
        spec = rule.count
        assert spec is not None
        group = tuple(obs.get(name) for name in spec.by)
        window = self._windows.get((rule.id, group))
        if window is None:
            window = self._windows[(rule.id, group)] = _Window()
        times = window.times
        times.append(time)
        if spec.distinct:
            value = obs.get(spec.distinct)
            window.values.append(value)
            window.distinct[value] += 1
        start = time - spec.within
        while times and times[0] <= start:
            times.popleft()
            if spec.distinct:
                gone = window.values.popleft()
                window.distinct[gone] -= 1
                if not window.distinct[gone]:
                    del window.distinct[gone]
        seen = len(window.distinct) if spec.distinct else len(times)
        if seen < spec.at_least or time < window.quiet_until:
            return None
        first = times[0]
        times.clear()
        window.values.clear()
        window.distinct.clear()
        window.quiet_until = time + spec.within
        label = ", ".join(f"{name}={value}" for name, value in zip(spec.by, group, strict=True))
        return _detection(rule, time, obs, count=seen, since=first, group=label)


def _detection(
    rule: Rule, time: int, obs: Observation, *, count: int = 1, since: int | None = None, group: str = ""
) -> Detection:
    return Detection(
        rule=rule.id,
        title=rule.title,
        level=rule.level.value,
        source=rule.source.value,
        time=time,
        vm=str(obs.get("vm", "")),
        domid=int(obs.get("domid", -1)),
        text=str(obs.get("text", "")),
        output=rule.describe(obs, count),
        count=count,
        since=time if since is None else since,
        group=group,
    )
