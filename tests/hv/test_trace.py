"""The trace stays within its bound under a flood, and what lesson checks need survives it.

A guest can make a million hypercalls a second; the trace keeps the last
LIMIT records in order and, of those that left, the most recent of each kind
(lab.hv.trace). These tests flood real hypervisors and small traces and check
what a UI and a lesson check rely on: `seq` counts everything, `since` gives
exactly the new records, `records()` still finds a record of every kind that
happened, however long ago, snapshots put the whole trace back, and the
records read back say what the old ones said.
"""

from __future__ import annotations

from lab.hv import Hypervisor, Policy, VmConfig, VmState
from lab.hv.hypercalls import HypercallRecord, SbiError
from lab.hv.snapshot import restore, take
from lab.hv.trace import CHUNK, LIMIT, Event, Trace
from lab.hv.vm import RAM_BASE
from lab.riscv.asm import assemble
from lab.riscv.program import INCLUDE_DIRS, Program, Segment
from lab.trace_messages import PATCH_RESTORED
from tests.hv.conftest import idle_vm

FLOOD = """
# VMCTL peek of dom0 (denied when hypercall.authorize is on), once; then BASE
# get_spec_version {n} times, then shut down with exit code 0.
.include "lib/sbi.S"
_start:
    li   a7, EID_VMCTL
    li   a6, VMCTL_PEEK
    li   a0, 0
    li   a1, 0x80000000
    li   a2, 4
    li   a3, 0x80001000
    ecall
    li   s0, {n}
1:  li   a7, EID_BASE
    li   a6, BASE_GET_SPEC_VERSION
    ecall
    addi s0, s0, -1
    bnez s0, 1b
    li   a0, 0
    j    shutdown
.include "lib/shutdown.S"
"""


def flood_program(n: int) -> Program:
    image = assemble(FLOOD.format(n=n), filename="flood.S", base=RAM_BASE, include_dirs=INCLUDE_DIRS)
    return Program("flood", [Segment(image.base, image.data, len(image.data))], image.entry, image.symbols)


def flooded(n: int, backend: str = "interp") -> Hypervisor:
    hv = Hypervisor(backend=backend, policy=Policy.preset("hardened"), host_memory=1 << 20)
    hv.create_vm(idle_vm("admin", control=True))
    vm = hv.create_vm(VmConfig("flooder", program=flood_program(n), memory=64 << 10))
    while vm.state is VmState.RUNNING:
        hv.run(1 << 20)
    assert vm.exit_code == 0
    return hv


def test_a_flood_keeps_the_trace_bounded_and_every_kind_of_record(backend):
    n = LIMIT + 3 * CHUNK + 17
    hv = flooded(n, backend)
    trace = hv.trace
    calls = n + 2  # the peek, the flood, the shutdown
    assert hv.vms[1].hypercalls == calls
    assert LIMIT <= len(trace) <= LIMIT + CHUNK
    assert trace.seq >= calls  # plus the VMs' events
    last = [r.describe() for r in trace.since(trace.seq - 2)]
    assert last[0].startswith("dom1 (flooder) halted") and last[1].startswith("SRST.system_reset(")
    # The denied peek left the window long ago; the digest still has it, text and all.
    window = list(trace)
    assert not any(isinstance(r, HypercallRecord) and r.fid == 6 for r in window)
    peeks = [r for r in trace.records() if isinstance(r, HypercallRecord) and r.fid == 6]
    assert len(peeks) == 1 and peeks[0].domid == 1 and peeks[0].error == SbiError.DENIED
    assert peeks[0].describe() == (
        "VMCTL.peek(domid=0, src_gpa=0x80000000, len=4, dest_gpa=0x80001000) -> SBI_ERR_DENIED: "
        "dom1 (flooder) is not the control domain"
    )
    everything = trace.records()
    assert any(isinstance(r, Event) and "created dom0 (admin)" in r.text for r in everything)
    assert [r.time for r in everything] == sorted(r.time for r in everything)


def record(trace: Trace, calls: list[tuple]) -> None:
    """Record hypercalls the hypervisor's way: never more than `room()` between two looks."""
    while calls:
        n = trace.room()
        for call in calls[:n]:
            trace.hypercall(call)
        calls = calls[n:]


def test_records_since_a_mark_in_the_middle_of_a_flood():
    trace = Trace(limit=50, chunk=10)
    record(trace, [(i % 3, 0x10, i % 2, 0, "", False, i, 0x80000000, (), 7) for i in range(200)])
    assert trace.seq == 200 and 50 <= len(trace) <= 60
    mark = 120  # in the digest's past: records 121..140 left the window
    since = trace.records(mark)
    kinds = {(r.domid, r.fid) for r in since}
    assert kinds == {(d, f) for d in range(3) for f in range(2)}  # all six kinds happened after 120
    assert all(r.time >= mark for r in since)
    new = trace.since(195)
    assert [r.time for r in new] == [195, 196, 197, 198, 199]
    assert trace.since(200) == []


def test_the_digest_keeps_the_first_kinds_when_a_fuzzer_makes_too_many():
    trace = Trace(limit=20, chunk=10, digest_limit=8)
    trace.add(Event(0, 1, "vm", "the step's event"))
    record(trace, [(1, i, 0, -2, "", False, i, 0x80000000, (1, 2, 3), 0) for i in range(1, 1000)])  # new EIDs
    kept = trace.records()
    assert kept[0].describe() == "the step's event"  # seen first: it stays
    assert len(kept) == 8 + len(trace)
    assert len(trace) <= 30


def test_a_snapshot_restores_the_whole_trace():
    hv = flooded(LIMIT + CHUNK + 1)
    snap = take(hv)
    lines, seq, everything = hv.trace.lines(), hv.trace.seq, [r.describe() for r in hv.trace.records()]
    hv.event(-1, PATCH_RESTORED(handler="console_write"))  # any event after the snapshot
    hv.trace.clear()
    restore(hv, snap)
    assert hv.trace.lines() == lines and hv.trace.seq == seq
    assert [r.describe() for r in hv.trace.records()] == everything
