"""The storage attack: a read that runs past the end of the tenant's disk into the bank's ledger."""

from __future__ import annotations

import pytest

from lab.cpu import backends
from lab.scenario import SCENARIOS_DIR, load_scenario


def boot(backend: str, preset: str):
    hv = load_scenario(SCENARIOS_DIR / "storage.toml", backend=backend, policy=preset).hv
    hv.run(500_000)  # every VM at its prompt; the bank has written its ledger
    return hv


def type_and_run(hv, vm: str, text: str) -> str:
    before = len(hv.vm(vm).console_text())
    hv.feed(vm, text.encode() + b"\n")
    hv.run(3_000_000)
    return hv.vm(vm).console_text()[before:]


@pytest.mark.parametrize("backend", backends())
def test_the_bank_keeps_its_ledger_on_disk(backend):
    hv = boot(backend, "hardened")
    bank = hv.vm("bank")
    sector0 = hv.disks.read(bank.disk.first, 1)
    assert sector0.startswith(b"LEDGER opening balances: alice 1200")
    assert b"BANK{pin-4711-do-not-share}" in sector0
    assert bank.disk.counters()["sectors_written"] == 1


@pytest.mark.parametrize("backend", backends())
def test_monitor_disk_commands_round_trip(backend):
    hv = boot(backend, "hardened")
    assert "disk: 8 sectors (4096 bytes)" in type_and_run(hv, "tenant", "dinfo")
    assert type_and_run(hv, "tenant", "dwrite 3 hello disk").endswith("ok\ndom1> ")
    assert "hello disk" in type_and_run(hv, "tenant", "dread 3")
    assert "SBI_ERR_NOT_SUPPORTED" not in type_and_run(hv, "admin", "dinfo")


@pytest.mark.parametrize("backend", backends())
def test_a_too_long_read_leaks_the_ledger_only_when_unchecked(backend):
    hv = boot(backend, "vulnerable")
    out = type_and_run(hv, "tenant", "dread 7 2")
    assert "LEDGER opening b" in out  # the ASCII column of the dump (16 bytes a line)
    calls = [r for r in hv.trace.select(kinds=["hypercall"]) if r.eid == 0x0900_0005 and r.domid == 1]
    assert "reached dom2 (bank)" in calls[-1].why
    hv = boot(backend, "hardened")
    out = type_and_run(hv, "tenant", "dread 7 2")
    assert "SBI_ERR_INVALID_PARAM" in out and "LEDGER" not in out
    assert "run past the end of dom1 (tenant)'s disk" in hv.trace.select(kinds=["hypercall"])[-1].why
