"""The shared-memory attacks of lessons 5 and 6, typed as a student would,
on both backends: each works on the vulnerable hypervisor and fails on the
hardened one with the error the trace explains."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.cpu import backends
from lab.scenario import GUESTS_DIR, SCENARIOS_DIR, load_scenario

GNT_MAP = "hcall 0x09000002 2 2 {ref} {gpa:#x} {flags}"
DENIED = "SBI_ERR_DENIED"
REPO = Path(__file__).resolve().parents[2]


def grants(backend: str, preset: str):
    hv = load_scenario(SCENARIOS_DIR / "grants.toml", backend=backend, policy=preset).hv
    hv.run(300_000)  # boot: the notary grants its pages
    return hv


def type_and_run(hv, vm: str, text: str, steps: int = 400_000) -> str:
    before = len(hv.vm(vm).console_text())
    hv.feed(vm, text.encode() + b"\n")
    hv.run(steps)
    return hv.vm(vm).console_text()[before:]


def last_gnttab_why(hv) -> str:
    return [r for r in hv.trace.select(kinds=["hypercall"]) if r.eid == 0x0900_0002][-1].why


@pytest.fixture(params=backends())
def backend(request):
    return request.param


def test_mapping_a_grant_meant_for_someone_else(backend):
    hv = grants(backend, "vulnerable")
    out = type_and_run(hv, "tenant", GNT_MAP.format(ref=0, gpa=0x9000_0000, flags=0))
    assert "a0=0x00000000" in out
    assert "STATEMENT alice" in type_and_run(hv, "tenant", "x 0x90000000 32")
    hv = grants(backend, "hardened")
    assert DENIED in type_and_run(hv, "tenant", GNT_MAP.format(ref=0, gpa=0x9000_0000, flags=0))
    assert "granted to dom0, not to dom1 (tenant)" in last_gnttab_why(hv)


def test_writing_through_a_read_only_grant(backend):
    hv = grants(backend, "vulnerable")
    type_and_run(hv, "tenant", GNT_MAP.format(ref=1, gpa=0x9000_1000, flags=0))
    type_and_run(hv, "tenant", "w 0x90001000 0x48 0x41 0x43 0x4b")  # "HACK"
    assert "HACK" in type_and_run(hv, "notary", "rates")
    hv = grants(backend, "hardened")
    assert DENIED in type_and_run(hv, "tenant", GNT_MAP.format(ref=1, gpa=0x9000_1000, flags=0))
    assert "read-only" in last_gnttab_why(hv)
    # The legitimate read-only mapping still works, and reads the rates.
    assert "a0=0x00000000" in type_and_run(hv, "tenant", GNT_MAP.format(ref=1, gpa=0x9000_1000, flags=1))
    assert "rates" in type_and_run(hv, "tenant", "x 0x90001000 16")
    assert "HACK" not in type_and_run(hv, "notary", "rates")


def test_reading_a_page_after_the_granter_ended_and_reused_it(backend):
    secret = "NOTARY{vault-key-7f3a}"
    for preset in ("vulnerable", "hardened"):
        hv = grants(backend, preset)
        assert "a0=0x00000000" in type_and_run(hv, "tenant", GNT_MAP.format(ref=2, gpa=0x9000_2000, flags=0))
        closed = type_and_run(hv, "notary", "close")
        out = type_and_run(hv, "tenant", "x 0x90002000 32")
        if preset == "vulnerable":
            assert "holds the vault" in closed
            assert secret[:16] in out  # the ASCII column of the hexdump
            assert any("still mapped" in e.describe() for e in hv.trace if e.kind == "grant")
        else:
            # Ending a grant still mapped fails: the notary keeps the page out of the vault.
            assert "still mapped: the grant stays" in closed
            assert "drop box" in out and "NOTARY" not in hv.vm("tenant").console_text()
            # The legitimate way: the tenant unmaps, then the notary can close.
            assert "ok" in type_and_run(hv, "tenant", "unmap 0x90002000")
            assert "holds the vault" in type_and_run(hv, "notary", "close")


def test_changing_len_at_once_after_the_doorbell_is_too_early(backend):
    """The monitor's `race LEN` changes len right after the doorbell: the backend has not
    checked the request yet, sees LEN and rejects it. Winning takes a timed change (racer.S)."""
    for preset in ("vulnerable", "hardened"):
        hv = load_scenario(SCENARIOS_DIR / "ring.toml", backend=backend, policy=preset).hv
        hv.run(500_000)
        assert "ok" in type_and_run(hv, "tenant", "ring")
        assert "ok" in type_and_run(hv, "tenant", "race 260")
        assert any("rejects dom1 (tenant)'s request: len 260" in e.describe() for e in hv.trace)
        assert DENIED in type_and_run(hv, "tenant", "destroy 2")
        assert hv.control_domid == 0
        assert "logged" in type_and_run(hv, "logger", "hello backend")  # legitimate use works
        assert (2, b"hello backend") in hv.channel.log


def test_winning_the_double_fetch_with_the_racer_program(backend):
    from lab.riscv.program import load_program

    for preset, expected in (("vulnerable", "succeeded"), ("hardened", "copied 16 bytes")):
        hv = load_scenario(SCENARIOS_DIR / "ring.toml", backend=backend, policy=preset).hv
        hv.load(hv.vm("tenant"), load_program(GUESTS_DIR / "racer.S"))
        hv.run(1_000_000)
        assert expected in hv.vm("tenant").console_text()
        assert hv.vm("logger").destroyed is (preset == "vulnerable")


def test_the_lesson_starter_assembles_and_loses_without_the_students_part(backend):
    """lessons/programs/race.S, the program lesson 6 hands the student, runs as it stands:
    the backend copies the honest 16 bytes."""
    from lab.riscv.program import load_program

    hv = load_scenario(SCENARIOS_DIR / "ring.toml", backend=backend, policy="vulnerable").hv
    hv.load(hv.vm("tenant"), load_program(REPO / "lessons" / "programs" / "race.S"))
    hv.run(1_000_000)
    assert "the backend copied 16 bytes" in hv.vm("tenant").console_text()
    assert hv.control_domid == 0


def test_the_monitors_grant_and_datagram_commands(backend):
    hv = load_scenario(SCENARIOS_DIR / "api_hardened.toml", backend=backend).hv
    hv.run(500_000)
    assert type_and_run(hv, "admin", "w 0x80030000 0x68 0x69").endswith("wrote 2 bytes at 0x80030000\ndom0> ")
    assert "ref 0" in type_and_run(hv, "admin", "grant 0x80030000 1")
    assert "ok" in type_and_run(hv, "tenant", "map 0 0 0x90000000")
    assert "hi" in type_and_run(hv, "tenant", "x 0x90000000 16")
    assert "ok" in type_and_run(hv, "tenant", "unmap 0x90000000")
    assert "SBI_ERR_INVALID_PARAM" in type_and_run(hv, "tenant", "unmap 0x90000000")
    assert "ok" in type_and_run(hv, "admin", "ungrant 0")
    assert "error: usage: map DOMID REF ADDR" in type_and_run(hv, "tenant", "map 0")
    assert "no datagram" in type_and_run(hv, "admin", "drecv")
    assert "sent 11 bytes" in type_and_run(hv, "tenant", "dsend 0 hello admin")
    assert "from dom1: hello admin" in type_and_run(hv, "admin", "drecv")
    assert "SBI_ERR_NO_SHMEM" in type_and_run(hv, "tenant", "rlog too early")
