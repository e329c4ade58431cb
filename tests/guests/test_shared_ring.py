"""The legitimate producer/consumer pair: grants and datagrams, under both presets."""

from __future__ import annotations

import pytest

from lab.cpu import backends
from lab.hv import VmState
from lab.scenario import SCENARIOS_DIR, load_scenario


@pytest.mark.parametrize("backend", backends())
@pytest.mark.parametrize("preset", ["vulnerable", "hardened"])
def test_the_consumer_reads_every_message_through_the_grant(backend, preset):
    scenario = load_scenario(SCENARIOS_DIR / "shared_ring.toml", backend=backend, policy=preset)
    hv = scenario.hv
    hv.run(2_000_000)
    producer, consumer = hv.vms
    assert consumer.console_text().splitlines() == [
        "consumer: ring mapped",
        *(f"message #{i}" for i in range(10)),
        "consumer: all messages read, page unmapped",
    ]
    assert "consumer done, grant ended" in producer.console_text()
    assert producer.state is consumer.state is VmState.HALTED
    assert producer.exit_code == consumer.exit_code == 0
    # Every grant operation is in the trace, and nothing is left behind.
    grant_events = [e.describe() for e in hv.trace if e.kind == "grant"]
    assert any("grants page" in t for t in grant_events) and any("maps dom0" in t for t in grant_events)
    assert hv.grants.mappings == [] and hv.grants.entries(producer.domid) == []
