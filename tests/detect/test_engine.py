"""The detector and the sensor: counting rules fire once a window per group; what a sensor on a
live machine detects does not depend on how often a front end looks (the trace's window may
trim in between); a machine that goes back in time takes its detections back."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lab.detect import Detector, Sensor, parse_rules
from lab.detect.fields import Source
from lab.detect.sensor import QUIET
from lab.hv.trace import CHUNK, LIMIT
from lab.scenario import SCENARIOS_DIR, load_scenario

COUNTING = """
[[rule]]
id = "burst"
title = "Many requests from one port"
source = "frame"
output = "{count} from {port}"
[rule.detection]
condition = "sel"
sel = { "udp.dstport" = 6230 }
[rule.count]
at_least = 3
within = 100
by = ["port"]
"""

SCAN = """
[[rule]]
id = "scan"
title = "Many ports from one address"
source = "frame"
[rule.detection]
condition = "sel"
sel = { "ip.proto" = 17 }
[rule.count]
at_least = 3
within = 1000
by = ["ip.src"]
distinct = "udp.dstport"
"""


def frame(port: str, dstport: int = 6230, src: str = "10.0.0.11") -> dict[str, object]:
    return {"port": port, "vm": port, "udp.dstport": dstport, "ip.src": src, "ip.proto": 17}


def observe(detector: Detector, time: int, obs: dict[str, object]) -> list[str]:
    key = tuple(sorted(obs.items()))
    return [d.output or d.rule for d in detector.observe(Source.FRAME, time, key, obs)]


def test_a_counting_rule_fires_once_a_window_per_group() -> None:
    detector = Detector(parse_rules(COUNTING))
    fired = []
    for time in range(0, 100, 10):  # ten requests from ci within one window
        fired += observe(detector, time, frame("ci"))
    assert fired == ["3 from ci"]  # not eight times: quiet for the rest of the window
    assert observe(detector, 50, frame("web")) == []  # web's count is its own
    assert observe(detector, 55, frame("web")) == []
    assert observe(detector, 56, frame("web")) == ["3 from web"]
    assert observe(detector, 500, frame("ci")) == []  # a new window starts empty
    assert observe(detector, 700, frame("ci")) == []  # and old matches leave it
    assert observe(detector, 750, frame("ci")) == []


def test_distinct_counts_values_not_matches() -> None:
    detector = Detector(parse_rules(SCAN))
    assert [x for port in (1, 1, 1, 1) for x in observe(detector, port, frame("ci", port))] == []
    assert observe(detector, 10, frame("ci", 2)) == []
    assert observe(detector, 11, frame("ci", 3)) == ["scan"]


def test_quiet_keeps_a_flood_of_one_frame_to_one_detection_a_window() -> None:
    rules = parse_rules(COUNTING.replace('[rule.count]\nat_least = 3\nwithin = 100\nby = ["port"]\n', ""))
    loud, quiet = Detector(rules), Detector(rules, quiet=1000)
    times = range(0, 3000, 10)
    assert sum(len(observe(loud, t, frame("ci"))) for t in times) == len(times)
    assert sum(len(observe(quiet, t, frame("ci"))) for t in times) == 3
    assert quiet.suppressed == len(times) - 3


FLOOD_RULES = """
[[rule]]
id = "flood-frames"
title = "A flood on the wire"
source = "frame"
[rule.detection]
condition = "to_mgmt"
to_mgmt = { "udp.dstport" = 6230 }
[rule.count]
at_least = 50
within = 20_000
by = ["port"]

[[rule]]
id = "flood-calls"
title = "A flood of NET.send hypercalls"
source = "hypercall"
[rule.detection]
condition = "send"
send = { call = "NET.send" }
[rule.count]
at_least = 50
within = 20_000
by = ["vm"]

[[rule]]
id = "queue-full"
title = "The management service drops requests: its queue is full"
source = "event"
[rule.detection]
condition = "drop"
drop = { tag = "queue-drop", where = "mgmt" }
[rule.count]
at_least = 100
within = 50_000
"""
RUN = 1_200_000  # instructions: some 40,000 trace records of the flood, more than the trace keeps


def detections(pulls: list[int]) -> tuple[list[tuple[str, str, int, int]], int, int]:
    """Run the incident of lesson 11 for RUN instructions, the sensor pulling after each of
    `pulls` (instructions run between two looks), then at the end."""
    hv = load_scenario(SCENARIOS_DIR / "soc.toml").hv
    sensor = Sensor(hv, parse_rules(FLOOD_RULES))
    done = 0
    for n in [*pulls, RUN]:
        n = min(n, RUN - done)
        if n > 0:
            hv.run(n)
            done += n
            sensor.pull()
    found = [(d.rule, d.vm, d.time, d.count) for _, d in sensor.detections()]
    return found, hv.trace.seq, sensor.lost


def test_the_sensor_reads_a_flood_in_full_however_rarely_it_looks() -> None:
    once, records, lost = detections([])
    assert records > LIMIT + CHUNK  # the trace trimmed its window while nobody looked
    assert lost == 0
    rules = {r for r, *_ in once}
    assert rules == {"flood-frames", "flood-calls", "queue-full"}
    assert {vm for r, vm, *_ in once if r.startswith("flood")} == {
        "ci"
    }  # the port and the vCPU, not the address
    # The windows follow the flood: one detection a window of 20,000 instructions, at most.
    calls = [t for r, _, t, _ in once if r == "flood-calls"]
    assert all(b - a >= 20_000 for a, b in itertools.pairwise(calls))
    assert len(calls) >= RUN // 20_000 // 2


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(min_value=1, max_value=400_000), min_size=1, max_size=8))
def test_what_a_sensor_detects_does_not_depend_on_when_it_looks(pulls: list[int]) -> None:
    assert detections(pulls) == detections([])


def test_a_machine_that_goes_back_in_time_takes_its_detections_back() -> None:
    from lab.hv.snapshot import restore, take

    hv = load_scenario(SCENARIOS_DIR / "soc.toml").hv
    sensor = Sensor(hv, parse_rules(FLOOD_RULES))
    hv.run(50_000)
    sensor.pull()
    snap, before = take(hv), dict(sensor.counts)
    hv.run(200_000)
    sensor.pull()
    assert sensor.counts["flood-calls"] > before.get("flood-calls", 0)
    restore(hv, snap)
    sensor.pull()
    assert dict(sensor.counts) == before
    assert all(d.time <= hv.time for _, d in sensor.detections())
    hv.run(200_000)  # and it reads on from there
    sensor.pull()
    assert sensor.counts["flood-calls"] > before.get("flood-calls", 0)


def test_a_closed_sensor_lets_go_of_the_trace() -> None:
    hv = load_scenario(SCENARIOS_DIR / "soc.toml").hv
    sensor = Sensor(hv, parse_rules(FLOOD_RULES))
    assert hv.trace.before_trim == sensor.pull
    sensor.close()
    assert hv.trace.before_trim is None
    assert QUIET > 0
