"""Whole-machine snapshots (step reset): memory, vCPUs, consoles, grants, the network."""

from __future__ import annotations

from lab.hv import snapshot
from lab.hv.vm import GRANT_WINDOW
from lab.scenario import SCENARIOS_DIR, load_scenario
from tests.hv.test_net import login


def typed(hv, vm: str, text: str) -> None:
    hv.feed(vm, text.encode() + b"\n")
    hv.run(2_000_000)


def test_restore_puts_the_machine_back_and_it_runs_the_same_again(backend):
    hv = load_scenario(SCENARIOS_DIR / "api.toml", backend=backend).hv
    hv.run(500_000)
    snap = snapshot.take(hv)
    typed(hv, "tenant", "w 0x80030000 1 2 3")
    typed(hv, "tenant", "peek 2 0x80001000 32")
    first = (hv.vm("tenant").console_text(), hv.trace.lines(), hv.time)
    snapshot.restore(hv, snap)
    assert "peek" not in hv.vm("tenant").console_text()
    assert hv.mem.read(hv.vm("tenant").ram_host + 0x30000, 3) == bytes(3)
    typed(hv, "tenant", "w 0x80030000 1 2 3")
    typed(hv, "tenant", "peek 2 0x80001000 32")
    assert (hv.vm("tenant").console_text(), hv.trace.lines(), hv.time) == first


def test_restore_undoes_grant_mappings(backend):
    hv = load_scenario(SCENARIOS_DIR / "grants.toml", backend=backend).hv
    hv.run(500_000)
    snap = snapshot.take(hv)
    typed(hv, "tenant", "map 2 2 0x90002000")
    assert GRANT_WINDOW + 0x2000 >> 12 in hv.vm("tenant").bus.pages
    snapshot.restore(hv, snap)
    assert hv.vm("tenant").bus.pages == {} and hv.grants.mappings == []
    typed(hv, "tenant", "map 2 2 0x90002000")  # and it can be done again
    assert hv.vm("tenant").console_text().rstrip().endswith("ok\ndom1>")


def test_restore_rewinds_the_network(backend):
    hv = load_scenario(SCENARIOS_DIR / "mgmt.toml", backend=backend).hv
    hv.run(500_000)
    snap = snapshot.take(hv)
    frames_before = len(hv.net.network.segment("tenants").capture)
    assert login(hv, hv.vm("tenant"), "letmein").startswith("OK")
    assert hv.net.mgmt.sessions
    snapshot.restore(hv, snap)
    assert not hv.net.mgmt.sessions
    assert len(hv.net.network.segment("tenants").capture) == frames_before
    assert login(hv, hv.vm("tenant"), "letmein").startswith("OK")  # the restored network works
