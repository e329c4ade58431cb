"""Hypervisor benchmarks: what the checks cost, grants and datagrams.

Each figure function takes (backend, scale) like the others in bench.suite
and returns one number:

    * hardening_cost: the same hypercall-heavy workload (a 16-byte console
      write, which `hypercall.check_bounds` checks, and a privileged VMCTL info
      from the control domain, which `hypercall.authorize` checks) under the
      vulnerable and the hardened policy, alternating; how much slower the
      hardened hypervisor is, in percent: the price of the checks on every
      guest's critical path;
    * grant map + unmap pairs per second;
    * datagram ping-pong round trips per second between two VMs;
    * virtual disk sectors read per second (BLK read, 8 sectors a request);
    * a whole-machine snapshot of the API scenario (what a lesson takes at
      every step start): its size and the time to take and restore it;
    * frames per second through a segment of the virtual switch (UDP frames
      from one vNIC to another, sent, switched and received), without and with
      `net.anti_spoofing`, and what anti-spoofing costs measured A/B in one run.
"""

from __future__ import annotations

import statistics
from typing import Final

from bench import common
from bench.common import SHUTDOWN, BenchError, program, run_on_hv

GRANT_PAIRS: Final = {"interp": 5_000, "unicorn": 2_000}
ROUND_TRIPS: Final = {"interp": 3_000, "unicorn": 1_000}
DISK_READS: Final = {"interp": 10_000, "unicorn": 4_000}  # requests of 8 sectors

COST_ROUNDS: Final = 15
COST_SLICE: Final = {"interp": 60_000, "unicorn": 30_000}  # instructions per timed slice


def hardening_cost(backend: str, scale: int) -> float:
    """Percent more CPU time the hardened policy takes on lab.hv.cost.CHECKED_LOOP.

    Two hypervisors, one per preset, run the same endless loop of checked
    calls; they take turns, a slice of the same number of instructions each
    (so the same number of hypercalls), and the figure is the median ratio of
    the paired slices (lab.hv.cost.measure_cost, which lesson 9's `measure`
    action runs too).
    """
    from lab.hv import Policy
    from lab.hv.cost import CostError, measure_cost

    try:
        measured = measure_cost(
            Policy.preset("hardened"),
            backend=backend,
            pairs=max(3, COST_ROUNDS // scale),
            slice_instructions=max(1_000, COST_SLICE[backend] // scale),
        )
    except CostError as exc:
        raise BenchError(str(exc)) from None
    return measured.overhead_percent


GRANT_LOOP = (
    """
# dom0 grants a page to dom1 once; dom1 maps and unmaps it n times.
_start:
    li   a7, 0x09000001
    li   a6, 0
    ecall                   # VMCTL self
    bnez a1, mapper
    li   a7, 0x09000002
    li   a6, 0
    li   a0, 0x80008000     # grant_access(page, dom1, read-write)
    li   a1, 1
    li   a2, 0
    ecall
1:  wfi
    j    1b
mapper:
    li   s0, {n}
2:  li   a7, 0x09000002
    li   a6, 2              # map(dom0, ref 0, window, rw)
    li   a0, 0
    li   a1, 0
    li   a2, 0x90000000
    li   a3, 0
    ecall
    li   a6, 3              # unmap(window)
    li   a0, 0x90000000
    ecall
    addi s0, s0, -1
    bnez s0, 2b
"""
    + SHUTDOWN
)


PING_PONG = (
    """
# dom0 sends a 16-byte datagram to dom1 and waits for the echo, n times;
# dom1 echoes every datagram back to its sender.
.equ DGRAM, 0x09000003
.equ BUF,   0x80008000
_start:
    li   a7, 0x09000001
    li   a6, 0
    ecall                   # VMCTL self
    bnez a1, echo
    li   s0, {n}
ping:
    li   a7, DGRAM
    li   a6, 0              # send(dom1, BUF, 16)
    li   a0, 1
    li   a1, BUF
    li   a2, 16
    ecall
1:  li   a7, DGRAM
    li   a6, 1              # recv(BUF, 64)
    li   a0, BUF
    li   a1, 64
    ecall
    bnez a1, 2f
    wfi
    j    1b
2:  addi s0, s0, -1
    bnez s0, ping
"""
    + SHUTDOWN
    + """echo:
    li   a7, DGRAM
    li   a6, 1              # recv(BUF, 64)
    li   a0, BUF
    li   a1, 64
    ecall
    bnez a1, 3f
    wfi
    j    echo
3:  li   a6, 0              # send(sender, BUF + 4, len - 4)
    li   t0, BUF
    lw   a0, 0(t0)
    addi a2, a1, -4
    addi a1, t0, 4
    ecall
    j    echo
"""
)


def grant_maps(backend: str, scale: int) -> float:
    """Grant map + unmap pairs per second (the hardened checks included)."""
    n = max(10, GRANT_PAIRS[backend] // scale)
    prog = program(GRANT_LOOP.format(n=n), "grants")
    _retired, _calls, seconds = run_on_hv(backend, prog, prog, policy="hardened", wait_for=1)
    return n / seconds


def datagram_round_trips(backend: str, scale: int) -> float:
    """Datagram ping-pong round trips per second between two VMs."""
    n = max(10, ROUND_TRIPS[backend] // scale)
    prog = program(PING_PONG.format(n=n), "pingpong")
    _retired, calls, seconds = run_on_hv(backend, prog, prog, policy="hardened")
    if calls < 4 * n:
        raise BenchError(f"the ping-pong guests made {calls} hypercalls, expected at least {4 * n}")
    return n / seconds


DISK_LOOP = (
    """
# BLK read(sector 0, 8 sectors, buf), n times, then shut down.
_start:
    li   s0, {n}
1:  li   a7, 0x09000005
    li   a6, 1
    li   a0, 0
    li   a1, 8
    la   a2, buf
    ecall
    addi s0, s0, -1
    bnez s0, 1b
"""
    + SHUTDOWN
    + """    .balign 4096
buf:
    .space 4096
"""
)


def disk_sectors(backend: str, scale: int) -> float:
    """Sectors per second through BLK read (hardened checks, no rate limit)."""
    from lab.hv import Hypervisor, Policy, VmConfig, VmState

    n = max(10, DISK_READS[backend] // scale)
    policy = Policy.preset("hardened")
    policy.set("blk.rate_limit", 0)
    hv = Hypervisor(backend=backend, policy=policy, host_memory=2 << 20)
    vm = hv.create_vm(
        VmConfig("disk", program=program(DISK_LOOP.format(n=n), "disk"), memory=64 << 10, disk=64 << 10)
    )
    start = common.cpu_clock()
    while vm.state is VmState.RUNNING:
        hv.run(1 << 24)
    seconds = common.cpu_clock() - start
    if vm.exit_code != 0 or vm.disk is None or vm.disk.sectors_read != 8 * n:
        raise BenchError("the disk guest did not read what it should")
    return 8 * n / seconds


def _api_machine(backend: str):
    from lab.scenario import SCENARIOS_DIR, load_scenario

    hv = load_scenario(SCENARIOS_DIR / "api.toml", backend=backend).hv
    hv.run(500_000)
    return hv


def snapshot_ms(backend: str, scale: int) -> float:
    """Milliseconds to take a snapshot of the API scenario plus restoring it after some work."""
    from lab.hv import snapshot

    hv = _api_machine(backend)
    start = common.cpu_clock()
    snap = snapshot.take(hv)
    taken = common.cpu_clock() - start
    hv.feed("tenant", b"vms\n")  # change the machine a little, as a student's step does
    hv.run(200_000)
    start = common.cpu_clock()
    snapshot.restore(hv, snap)
    restored = common.cpu_clock() - start
    return (taken + restored) * 1000


def snapshot_mb(backend: str, scale: int) -> float:
    """Megabytes one snapshot of the API scenario holds."""
    from lab.hv import snapshot

    return snapshot.take(_api_machine(backend)).size / 1e6


SWITCH_FRAMES: Final = 20_000
SWITCH_PAIRS: Final = 9


def _switch_seconds(n: int, *, anti_spoofing: bool) -> float:
    """CPU seconds to move n UDP frames vNIC -> segment -> vNIC (the frames checked and counted)."""
    from lab.net import Network, Vnic
    from lab.net.frames import udp_frame

    net = Network()
    net.add_segment("bench", anti_spoofing=anti_spoofing)
    a, b = Vnic(domid=1, ip="10.0.0.11"), Vnic(domid=2, ip="10.0.0.12", rx_capacity=1 << 30)
    net.add_vnic("bench", a)
    net.add_vnic("bench", b)
    frame = udp_frame(a.mac, b.mac, a.ip, b.ip, 40000, 7, b"x" * 64)
    start = common.cpu_clock()
    for i in range(n):
        a.send(frame, i)
        if i % 16 == 15:
            net.tick(i)
    net.tick(n)
    received = 0
    while b.recv() is not None:
        received += 1
    seconds = common.cpu_clock() - start
    if received != n:
        raise BenchError(f"the switch delivered {received} of {n} frames")
    return seconds


def switch_frames(backend: str, scale: int) -> float:
    """Frames per second through the virtual switch: vNIC -> segment -> vNIC.

    The network is the same Python whatever the CPU backend; this measures the
    switch and the vNICs, not a guest."""
    n = max(100, SWITCH_FRAMES // scale)
    return n / _switch_seconds(n, anti_spoofing=False)


def switch_frames_anti_spoofing(backend: str, scale: int) -> float:
    """The same with `net.anti_spoofing`: every frame's source MAC and IP checked against its port's."""
    n = max(100, SWITCH_FRAMES // scale)
    return n / _switch_seconds(n, anti_spoofing=True)


def anti_spoofing_cost(backend: str, scale: int) -> float:
    """Percent of the switch's frames per second that anti-spoofing costs (negative: it saves).

    A/B in one run: the two switches take turns (which goes first alternates), and
    the figure is the median ratio of the paired runs. The check is two byte-string
    comparisons per frame; it also pins each port's MAC, so the switch no longer
    learns it from every frame, which saves more than the check costs."""
    n = max(100, SWITCH_FRAMES // scale)
    ratios = []
    for i in range(max(1, SWITCH_PAIRS // scale)):
        order = (False, True) if i % 2 == 0 else (True, False)
        seconds = {on: _switch_seconds(n, anti_spoofing=on) for on in order}
        ratios.append(seconds[False] / seconds[True])  # frames/s with it over frames/s without
    return (1 - statistics.median(ratios)) * 100
