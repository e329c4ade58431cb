"""The scheduler and run loop: determinism, weights, wfi, fault isolation."""

from __future__ import annotations

import pytest

from lab.cpu import backends
from lab.hv import Hypervisor, Idle, Policy, VmConfig, VmState
from tests.hv.conftest import idle_vm, program

COUNTER = """
# Count forever in a0, and print a dot through DBCN every 4096 iterations.
_start:
    li   a0, 0
1:  addi a0, a0, 1
    slli t0, a0, 20          # low 12 bits zero: every 4096th time round
    bnez t0, 1b
    li   a7, 0x4442434E
    li   a6, 2
    mv   t1, a0
    li   a0, '.'
    ecall
    mv   a0, t1
    j    1b
"""

FAULTER = """
_start:
    li   t0, 200
1:  addi t0, t0, -1
    bnez t0, 1b
    lw   t1, 0(zero)        # unmapped: a load access fault
"""


def counter(name: str, weight: int = 1) -> VmConfig:
    return VmConfig(name, program=program(COUNTER, name), memory=64 << 10, weight=weight)


def build(backend: str, *configs: VmConfig, quantum: int = 1000) -> Hypervisor:
    hv = Hypervisor(backend=backend, policy=Policy.preset("hardened"), host_memory=4 << 20, quantum=quantum)
    for c in configs:
        hv.create_vm(c)
    return hv


def trace_text(hv: Hypervisor) -> list[str]:
    return hv.trace.lines()


def test_same_scenario_same_trace(backend):
    runs = []
    for _ in range(2):
        hv = build(
            backend, counter("a"), counter("b", 2), VmConfig("f", program=program(FAULTER), memory=64 << 10)
        )
        hv.run(300_000)
        runs.append((trace_text(hv), [vm.cpu.instret for vm in hv.vms], [vm.console_text() for vm in hv.vms]))
    assert runs[0] == runs[1]
    assert len(runs[0][0]) > 20


@pytest.mark.skipif(len(backends()) < 2, reason="needs both CPU backends (pip install unicorn)")
def test_both_backends_give_the_same_trace_byte_for_byte():
    traces = []
    for backend in backends():
        hv = build(
            backend, counter("a"), counter("b", 3), VmConfig("f", program=program(FAULTER), memory=64 << 10)
        )
        hv.run(500_000)
        traces.append(("\n".join(trace_text(hv)), [vm.cpu.instret for vm in hv.vms], hv.time))
    assert traces[0] == traces[1]


def test_run_in_pieces_equals_run_at_once(backend):
    whole = build(backend, counter("a"), counter("b", 2))
    whole.run(100_000)
    pieces = build(backend, counter("a"), counter("b", 2))
    for n in (1, 999, 12_345, 33_333, 53_322):
        pieces.run(n)
    assert pieces.time == whole.time == 100_000
    assert trace_text(pieces) == trace_text(whole)
    assert [vm.cpu.regs() for vm in pieces.vms] == [vm.cpu.regs() for vm in whole.vms]


def test_weights_share_the_cpu_3_to_1(backend):
    hv = build(backend, counter("heavy", 3), counter("light", 1))
    hv.run(400_000)
    heavy, light = (vm.cpu.instret for vm in hv.vms)
    assert heavy + light == 400_000
    assert abs(heavy / light - 3) / 3 < 0.02


def test_a_faulting_guest_stops_alone(backend):
    hv = build(backend, counter("a"), VmConfig("f", program=program(FAULTER), memory=64 << 10), counter("b"))
    hv.run(200_000)
    a, f, b = hv.vms
    assert f.state is VmState.FAULTED
    assert f.fault is not None and f.fault.tval == 0 and "load access fault" in f.fault.describe()
    assert a.state is b.state is VmState.RUNNING
    assert a.cpu.instret + b.cpu.instret + f.cpu.instret == 200_000
    assert any(e.kind == "vm" and "faulted" in e.describe() for e in hv.trace)


def test_wfi_parks_until_console_input(backend):
    hv = build(backend, idle_vm("idle"))
    summary = hv.run(10_000)
    assert summary.reason is Idle.IDLE and summary.retired < 10
    vm = hv.vms[0]
    assert vm.waiting
    hv.feed("idle", b"x")
    assert not vm.waiting
    # The idle loop never reads the UART: it goes round once (j, wfi) and parks
    # again rather than spinning on an event it ignores.
    assert hv.run(1000).retired == 2 and vm.waiting


def test_an_event_between_check_and_wfi_is_not_lost(backend):
    hv = build(backend, idle_vm("idle"))
    hv.run(10_000)
    vm = hv.vms[0]
    hv.feed("idle", b"x")  # wakes it
    hv.feed("idle", b"y")  # arrives while it runs: its next wfi must return at once
    assert vm.wake_pending
    assert hv.run(1000).retired == 4  # j, wfi (returns), j, wfi (parks)
    assert vm.waiting and not vm.wake_pending


def test_run_reports_stopped_when_every_vm_is_done(backend):
    hv = build(backend, VmConfig("f", program=program(FAULTER), memory=64 << 10))
    assert hv.run(100_000).reason is Idle.STOPPED


def test_vms_can_be_paused_destroyed_and_created_while_others_run(backend):
    hv = build(backend, counter("a"), counter("b"))
    hv.run(10_000)
    a, b = hv.vms
    hv.pause(a)
    before = a.cpu.instret
    hv.run(10_000)
    assert a.cpu.instret == before and b.cpu.instret > 5_000
    hv.unpause(a)
    hv.destroy(b)
    c = hv.create_vm(counter("c"))
    hv.run(20_000)
    assert a.cpu.instret > before and c.cpu.instret > 0
    assert hv.mem.read(b.ram_host, b.ram_size) == bytes(b.ram_size)  # scrubbed
