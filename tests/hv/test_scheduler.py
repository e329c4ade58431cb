"""The scheduler and run loop: determinism, weights, wfi, fault isolation."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lab.cpu import backends
from lab.hv import Hypervisor, Idle, Policy, VmConfig, VmState
from lab.hv.scheduler import Scheduler
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


# ---------------------------------------------------------------- accounting, timers, the clock

THIEF = """
# Work between the scheduler's ticks and sleep across each one (Zhou et al., 2011):
# the monitor's `steal`, without the monitor.
    .include "lib/sbi.S"
    .equ TICK, {tick}
    .equ MARGIN, 300
_start:
1:  call clock_now
    li   t0, TICK
    divu t1, a0, t0
    addi t1, t1, 1
    mul  s0, t1, t0              # s0 = the next tick
2:  li   t0, 32
3:  addi t0, t0, -1
    bnez t0, 3b
    call clock_now
    sub  t0, s0, a0
    li   t1, MARGIN
    bgt  t0, t1, 2b
    addi a0, s0, 1
    call sleep_until
    j    1b
    .include "lib/clock.S"
"""


def guest(source: str, name: str) -> VmConfig:
    return VmConfig(name, program=program(source, name), memory=64 << 10)


def contest(backend: str, *, exact: bool, quantum: int = 10_000) -> Hypervisor:
    """A thief (weight 1) next to an honest counter (weight 3)."""
    policy = Policy.preset("vulnerable")
    policy.set("sched.exact_accounting", exact)
    hv = Hypervisor(backend=backend, policy=policy, host_memory=4 << 20, quantum=quantum)
    hv.create_vm(counter("honest", 3))
    hv.create_vm(guest(THIEF.format(tick=quantum), "thief"))
    return hv


@pytest.mark.parametrize("exact", [False, True])
def test_a_vm_that_sleeps_across_the_ticks_steals_only_from_a_sampling_scheduler(backend, exact):
    hv = contest(backend, exact=exact)
    hv.run(2_000_000)
    honest, thief = hv.vms
    used = hv.scheduler.used
    share = used[thief.domid] / hv.time
    ran, charged = hv.scheduler.shares(hv.time)
    if exact:
        assert share < 0.3  # its weight's quarter, or less: it sleeps part of its turns
        assert charged == ran
    else:
        assert share > 0.9  # nearly everything, at weight 1 against 3
        assert charged[thief.domid] < 0.05 < 0.9 < charged[honest.domid]  # and the honest VM pays


@pytest.mark.parametrize("exact", [False, True])
def test_honest_vms_get_their_weights_under_either_accounting(backend, exact):
    policy = Policy.preset("vulnerable")
    policy.set("sched.exact_accounting", exact)
    hv = Hypervisor(backend=backend, policy=policy, host_memory=4 << 20, quantum=1000)
    for name, weight in (("a", 3), ("b", 1), ("c", 2)):
        hv.create_vm(counter(name, weight))
    hv.run(600_000)
    a, b, c = (hv.scheduler.used[vm.domid] for vm in hv.vms)
    assert a + b + c == hv.time == 600_000
    assert abs(a / b - 3) < 0.15 and abs(c / b - 2) < 0.1


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    weights=st.lists(st.integers(1, 4), min_size=1, max_size=4),
    pieces=st.lists(st.integers(1, 40_000), min_size=1, max_size=8),
    quantum=st.sampled_from([500, 1000, 3000]),
)
def test_exact_accounting_charges_exactly_what_ran(weights, pieces, quantum):
    """Whatever the weights, the quantum and however the run is sliced: each VM is charged
    exactly the clock it ran, every period; nothing is charged that did not run."""
    policy = Policy.preset("hardened")
    hv = Hypervisor(backend="interp", policy=policy, host_memory=4 << 20, quantum=quantum)
    for i, w in enumerate(weights):
        hv.create_vm(counter(f"v{i}", w))
    for n in pieces:
        hv.run(n)
    sched = hv.scheduler
    assert sched.charged == sched.ran
    assert all(r == c for r, c in sched.window)
    assert sum(sched.used) == hv.time == sum(pieces)
    assert [sched.used[vm.domid] for vm in hv.vms] == [vm.cpu.instret for vm in hv.vms]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    weights=st.lists(st.integers(1, 4), min_size=1, max_size=4),
    ticks=st.integers(1, 60),
    quantum=st.sampled_from([500, 1000, 3000]),
)
def test_sampled_accounting_charges_one_whole_tick_per_tick(weights, ticks, quantum):
    """Sampled, the scheduler charges exactly a quantum at every tick, to the VM running then."""
    policy = Policy.preset("vulnerable")
    hv = Hypervisor(backend="interp", policy=policy, host_memory=4 << 20, quantum=quantum)
    for i, w in enumerate(weights):
        hv.create_vm(counter(f"v{i}", w))
    hv.run(ticks * quantum)
    sched = hv.scheduler
    charged = sum(sched.charged) + sum(sum(c) for _, c in sched.window)
    assert sched.ticks == ticks
    assert charged == ticks * quantum
    assert sum(sched.used) == ticks * quantum


TIMED = """
    .include "lib/sbi.S"
_start:
    call clock_now
    mv   s0, a0                 # s0 = the clock at the start
    li   t0, 50000
    add  a0, s0, t0
    call sleep_until            # a0 = the clock on waking
    mv   s1, a0
    ebreak
    .include "lib/clock.S"
"""


def test_a_timer_wakes_wfi_and_time_passes_while_every_vm_sleeps(backend):
    hv = build(backend, guest(TIMED, "sleeper"))
    summary = hv.run(1_000_000)
    vm = hv.vms[0]
    assert vm.state is VmState.PAUSED  # at its ebreak
    regs = vm.cpu.regs()
    start, woke = regs[8], regs[9]
    assert start == 6  # CLOCK now() reads the clock at its ecall: call (2), li (2), li, ecall
    assert woke - start - 50_000 in range(0, 10)  # on time: nobody else wanted the CPU
    assert vm.cpu.instret < 40 and hv.time == summary.retired > 50_000  # the rest was idle time
    assert hv.scheduler.timers == {}


def test_a_machine_with_no_timer_set_is_idle_not_busy(backend):
    hv = build(backend, idle_vm("idle"))
    assert hv.run(10_000).reason is Idle.IDLE


@pytest.mark.skipif(len(backends()) < 2, reason="needs both CPU backends (pip install unicorn)")
def test_timers_and_stolen_ticks_give_the_same_trace_on_both_cores():
    traces = []
    for backend in backends():
        hv = contest(backend, exact=False, quantum=2000)
        for n in (1, 7_777, 50_000, 142_222):
            hv.run(n)
        traces.append((hv.trace.lines(), hv.time, hv.scheduler.snapshot(), [vm.cpu.regs() for vm in hv.vms]))
    assert traces[0] == traces[1]


def test_timers_and_ticks_run_in_pieces_as_at_once(backend):
    whole = contest(backend, exact=False, quantum=2000)
    whole.run(200_000)
    pieces = contest(backend, exact=False, quantum=2000)
    for n in (1, 999, 12_345, 33_333, 53_322, 100_000):
        pieces.run(n)
    assert pieces.time == whole.time == 200_000
    assert pieces.trace.lines() == whole.trace.lines()
    assert pieces.scheduler.snapshot() == whole.scheduler.snapshot()


@dataclass
class Seat:
    """What the scheduler reads of a VM: its domid, weight and whether it can run."""

    domid: int
    weight: int
    runnable: bool = True


@pytest.mark.parametrize("credit, boosted", [(5_000, True), (-5_000, False)])
def test_a_timer_boosts_a_vm_with_credit_left_over_a_running_under_vm(credit, boosted):
    """BOOST, as Xen's credit1 gives a waking vCPU: woken by its timer with credit left, a VM
    takes the CPU from a neighbour in the middle of its slice, though that one has credit
    too; without credit it waits its turn. A tick that finds it running ends the boost."""
    sched = Scheduler(quantum=10_000)
    busy, sleeper = Seat(0, 3), Seat(1, 1, runnable=False)
    vms = [busy, sleeper]
    sched._grow(2)
    sched.credit[:] = [20_000, credit]
    assert sched.pick(vms) is busy and sched.slice_left == 30_000
    sched.charge(busy, 1_000, exact=True)
    sched.set_timer(1, 1_000)
    assert sched.due(1_000) == [1]
    sleeper.runnable = True  # the hypervisor wakes its wfi
    assert sched.pick(vms) is (sleeper if boosted else busy)
    if boosted:
        sched.tick(vms, sleeper, exact=True)  # found running: an ordinary UNDER VM again
        assert sched.boosted == set()
