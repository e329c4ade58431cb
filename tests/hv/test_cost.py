"""The cost measurement shared by `hvlab bench` and the lesson action `measure`."""

from __future__ import annotations

import math

import pytest

from bench import hv as hv_bench
from lab.hv import Policy, cost
from lab.hv.cost import CostMeasurement, measure_cost


def test_a_measurement_times_the_same_calls_on_both_sides(backend: str) -> None:
    m = measure_cost(Policy.preset("hardened"), backend=backend, pairs=3, calls=300)
    assert m.label == "hardened" and m.backend == backend and m.pairs == 3
    # both hypervisors ran the loop: a slice of about 300 calls, each a few microseconds
    assert 250 <= m.calls <= 350
    assert 0 < m.base_us < 1_000 and 0 < m.policy_us < 1_000
    assert math.isfinite(m.overhead_percent) and m.spread_percent >= 0
    assert m.delta_us == pytest.approx(m.policy_us - m.base_us)
    assert m.summary().startswith("hypercalls under the hardened policy cost ")
    assert "median of 3 pairs of " in m.summary()


def test_the_measured_policy_is_really_applied(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[dict] = []
    real = cost._machine

    def spy(backend, policy, patches):
        hv = real(backend, policy, patches)
        seen.append(dict(hv.policy))
        return hv

    monkeypatch.setattr(cost, "_machine", spy)
    policy = Policy.preset("vulnerable")
    policy.set("hypercall.check_bounds", True)
    m = measure_cost(policy, pairs=1, calls=100)
    assert m.label == "custom"
    assert [s["hypercall.check_bounds"] for s in seen] == [False, True]  # vulnerable side, then ours


def test_the_bench_figure_is_the_shared_measurement(monkeypatch: pytest.MonkeyPatch) -> None:
    asked = {}

    def fake(policy, **kwargs):
        asked.update(kwargs, preset=policy.name)
        return CostMeasurement("hardened", kwargs["backend"], kwargs["pairs"], 10, 1.0, 1.05, 5.0, 0.5)

    monkeypatch.setattr(cost, "measure_cost", fake)
    assert hv_bench.hardening_cost("interp", 5) == 5.0
    assert asked["preset"] == "hardened"
    assert asked["pairs"] == max(3, hv_bench.COST_ROUNDS // 5)
    assert asked["slice_instructions"] == hv_bench.COST_SLICE["interp"] // 5


def test_pairs_must_be_positive() -> None:
    with pytest.raises(ValueError, match="pairs"):
        measure_cost(Policy.preset("hardened"), pairs=0)


def test_patched_handlers_are_measured_too(monkeypatch: pytest.MonkeyPatch) -> None:
    from lab.hv.sbi.dbcn import DBCN
    from tests.lesson.conftest import LESSONS

    source = (LESSONS / "patches" / "console_write.py").read_text(encoding="utf-8")
    key = (DBCN.eid, 0)
    patched: list[int] = []
    real = cost._machine

    def spy(backend, policy, patches):
        hv = real(backend, policy, patches)
        patched.append(len(list(hv.patches)))
        return hv

    monkeypatch.setattr(cost, "_machine", spy)
    measure_cost(Policy.preset("vulnerable"), pairs=1, calls=100, patches=[(key, source)])
    assert patched == [0, 1]


def test_the_loop_makes_every_call_a_lesson_hardens(backend: str) -> None:
    """Whatever a lesson hardens (lessons 3 to 6: authorize, check_bounds and console_write,
    blk.check_range, the grant checks, copy_then_validate) is on the measured path, so that
    `measure` measures it. Under both presets every call of the loop succeeds."""
    for preset in ("vulnerable", "hardened"):
        hv = cost._machine(backend, Policy.preset(preset), ())
        hv.run(50_000)
        done = {r.describe().split("(")[0] for r in hv.trace.select(kinds=["hypercall"]) if r.error == 0}
        assert {
            "DBCN.console_write",
            "VMCTL.info",
            "BLK.read",
            "GNTTAB.map",
            "GNTTAB.unmap",
            "GNTTAB.grant_access",
            "GNTTAB.end_access",
            "DGRAM.doorbell",
        } <= done, done
        assert sum("backend completes" in e.describe() for e in hv.trace if e.kind == "dgram") > 10
