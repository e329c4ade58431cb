"""Whole-machine snapshots: everything a running hypervisor is, captured and put back.

    snap = take(hv)          # at the start of a lesson step
    ...                      # the student runs, types, breaks things
    restore(hv, snap)        # "reset step": the machine is as it was

A snapshot holds host memory (every VM's RAM and the hypervisor region with
its grant tables and secret), each vCPU's registers (`Cpu.snapshot()`), the
scheduler's state (whose turn, credits, timers, the shares' window), VM
states, UART input queues, consoles, the trace, the policy, active patches,
grant mappings, the channel's queues, the disks and their token buckets, the
virtual network (switch queues, vNICs, the management service). Restoring
writes back only the memory pages that changed, so cores keep the
translations of code that did not change. One snapshot can be restored any
number of times. `size` says how many bytes it holds (`hvlab bench` shows it).
"""

from __future__ import annotations

import copy
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lab.cpu.bus import PAGE_SIZE
from lab.hv.hypercalls import lookup
from lab.hv.policy import Policy
from lab.hv.trace import TraceState
from lab.hv.vm import VmState

if TYPE_CHECKING:
    from lab.hv.hypervisor import Hypervisor
    from lab.riscv.program import Program


@dataclass(slots=True)
class VmSnapshot:
    cpu: dict[str, Any]
    state: VmState
    waiting: bool
    wake_pending: bool
    fault: Any
    exit_code: int | None
    destroyed: bool
    boots: int
    console: bytes
    console_seq: int
    hypercalls: int
    rx: bytes
    pages: dict[int, tuple[int, bool]]  # guest page number -> (host offset, writable)
    program: Program | None


@dataclass(slots=True)
class HvSnapshot:
    memory: bytes
    time: int
    scheduler: dict[str, Any]
    trace: TraceState
    policy: dict[str, Any]
    patches: list[tuple[tuple[int, int], str]]  # (eid, fid), source
    mappings: list[Any]
    channel: Any
    net: Any  # a private copy of the virtual network (switch, vNICs, services), or None
    disks: bytes | None  # the backing store's contents
    disk_counters: list[dict[str, int] | None]
    disk_limiters: Any  # (the store's bandwidth bucket, each VM's blk.rate_limit limiter), copies
    vms: list[VmSnapshot]

    @property
    def size(self) -> int:
        """Bytes held, roughly: memory plus consoles (the rest is small)."""
        disks = len(self.disks) if self.disks is not None else 0
        return len(self.memory) + disks + sum(len(v.console) + len(v.rx) for v in self.vms)


def take(hv: Hypervisor) -> HvSnapshot:
    vms = [
        VmSnapshot(
            cpu=vm.cpu.snapshot(),  # type: ignore[attr-defined]
            state=vm.state,
            waiting=vm.waiting,
            wake_pending=vm.wake_pending,
            fault=vm.fault,
            exit_code=vm.exit_code,
            destroyed=vm.destroyed,
            boots=vm.boots,
            console=bytes(vm.console),
            console_seq=vm.console_seq,
            hypercalls=vm.hypercalls,
            rx=bytes(vm.uart.rx),
            pages={n: (p.host_off, p.writable) for n, p in vm.bus.pages.items()},
            program=vm.config.program,
        )
        for vm in hv.vms
    ]
    return HvSnapshot(
        memory=hv.mem.read(0, hv.mem.used),  # the hypervisor region and every VM's RAM
        time=hv.time,
        scheduler=hv.scheduler.snapshot(),
        trace=hv.trace.state(),
        policy=hv.policy.to_dict(),
        patches=[(p.key, p.source) for p in hv.patches],
        mappings=list(hv.grants.mappings),
        channel=copy.deepcopy(hv.channel),
        net=_copy_net(hv, hv.net),
        disks=bytes(hv.disks.data) if hv.disks is not None else None,
        disk_counters=[vm.disk.counters() if vm.disk else None for vm in hv.vms],
        disk_limiters=_disk_limiters(hv),
        vms=vms,
    )


def restore(hv: Hypervisor, snap: HvSnapshot) -> None:
    if len(snap.vms) != len(hv.vms):
        raise ValueError("the snapshot is of another machine (a different number of VMs)")
    _restore_memory(hv, snap.memory)
    hv.time = snap.time
    hv.scheduler.restore(snap.scheduler)
    hv.trace.restore(snap.trace)
    hv.policy = Policy(snap.policy)
    hv.patches.clear()
    for (eid, fid), source in snap.patches:
        fn = lookup(eid, fid)
        if fn is not None:
            hv.patches.apply(fn, source)
    hv.grants.mappings[:] = snap.mappings
    hv.channel = copy.deepcopy(snap.channel)
    hv.net = _copy_net(hv, snap.net)
    if hv.disks is not None and snap.disks is not None:
        hv.disks.data[:] = snap.disks
    store, limiters = copy.deepcopy(snap.disk_limiters)
    if hv.disks is not None:
        hv.disks.bandwidth = store
    for vm, limiter in zip(hv.vms, limiters, strict=True):
        vm.disk_limiter = limiter
    for vm, counters in zip(hv.vms, snap.disk_counters, strict=False):
        if vm.disk is not None and counters is not None:
            for key in ("reads", "writes", "sectors_read", "sectors_written"):
                setattr(vm.disk, key, counters[key])
    for vm, s in zip(hv.vms, snap.vms, strict=True):
        vm.config.program = s.program
        vm.cpu.restore(s.cpu)  # type: ignore[attr-defined]
        vm.state, vm.waiting, vm.wake_pending, vm.fault = s.state, s.waiting, s.wake_pending, s.fault
        vm.exit_code, vm.destroyed, vm.boots = s.exit_code, s.destroyed, s.boots
        vm.console[:] = s.console
        vm.console_seq = s.console_seq
        vm.hypercalls = s.hypercalls
        vm.uart.rx.clear()
        vm.uart.rx.extend(s.rx)
        current = {n: (p.host_off, p.writable) for n, p in vm.bus.pages.items()}
        if current != s.pages:
            for n in list(vm.bus.pages):
                vm.bus.unmap_page(n * PAGE_SIZE)
            for n, (host_off, writable) in s.pages.items():
                vm.bus.map_page(n * PAGE_SIZE, host_off, writable=writable)


def _disk_limiters(hv: Hypervisor) -> Any:
    """The disks' token buckets, copied: a restored machine throttles as it did then."""
    store = hv.disks.bandwidth if hv.disks is not None else None
    return copy.deepcopy((store, [vm.disk_limiter for vm in hv.vms]))


def _copy_net(hv: Hypervisor, net: Any) -> Any:
    """A deep copy of the network's state that still points at this hypervisor, its
    memory and its VMs (they are restored separately, never duplicated)."""
    if net is None:
        return None
    memo: dict[int, Any] = {id(hv): hv, id(hv.mem): hv.mem, id(hv.trace): hv.trace}
    memo.update({id(vm): vm for vm in hv.vms})
    # A capture (up to 100,000 frames a segment) holds immutable frames: a new deque that
    # shares them, not a copy of each (which was most of a lesson check's time).
    for segment in net.network.segments.values():
        memo[id(segment.capture)] = deque(segment.capture, maxlen=segment.capture.maxlen)
    return copy.deepcopy(net, memo)


def _restore_memory(hv: Hypervisor, saved: bytes) -> None:
    """Write back the pages that differ (runs of them at once)."""
    mem = hv.mem
    now = memoryview(mem.buf)
    old = memoryview(saved)
    start = None
    for off in range(0, len(saved), PAGE_SIZE):
        differs = now[off : off + PAGE_SIZE] != old[off : off + PAGE_SIZE]
        if differs and start is None:
            start = off
        elif not differs and start is not None:
            mem.write(start, old[start:off])
            start = None
    if start is not None:
        mem.write(start, old[start:])
    if mem.used > len(saved):  # RAM allocated after the snapshot: nothing lived there then
        mem.fill(len(saved), mem.used - len(saved))
    now.release()
