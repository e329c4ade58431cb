"""The VMCI-style channel: datagrams the hypervisor copies, and a shared request ring.

Datagrams: `send(dest, gpa, len)` copies up to MAX_DATAGRAM bytes out of the
sender's memory into the destination's queue (at most QUEUE_DEPTH waiting);
`recv` copies the oldest one out, prefixed with the sender's domid, which
the hypervisor stamps: a guest cannot claim to be someone else.

The request ring is the other VMCI idiom: a guest shares a page with the
hypervisor's backend, writes a request into it and rings a doorbell.

    ring page   0x00 u32 status   0 idle, 1 pending, 2 done, 3 rejected
                0x04 u32 op       1 = LOG: copy data[0:len] to the hypervisor's log
                0x08 u32 len      bytes of data (at most RING_DATA_MAX)
                0x0C u32 result   written by the backend: bytes copied, or the SBI error
                0x10 data[240]

The backend is not the doorbell: like Xen's blkback or netback it is a
thread of its own, which the doorbell only wakes. It picks the request up
PICKUP_DELAY instructions after the doorbell (first fetch: it reads the
header from the shared page and checks op and len), then prepares its
256-byte buffer in the hypervisor region and copies the data COPY_DELAY
instructions after that. If it fetches `len` from the shared page a second
time for the copy (`dgram.copy_then_validate` off), a guest that changes
`len` between the two fetches (not before the first: the check would see it)
gets a copy longer than the check allowed: the XSA-155 double fetch, and the
copy overflows the buffer into what lies behind it. With the switch on, the
first fetch copies the whole request once and the backend uses only that copy.

Time is instructions retired, so the window is exact and the same on both CPU
cores: the hypervisor cuts vCPU slices at the backend's next step (`next_due`).
When every vCPU waits, nothing can change the page in between, and the backend
takes its steps at once.
"""

from __future__ import annotations

import struct
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from lab.hv.hypercalls import SbiError
from lab.hv.memory import HvLayout
from lab.trace_messages import (
    LEN_REREAD,
    OVERFLOW,
    REQUEST_TOO_LONG,
    RING_CHECKED,
    RING_COMPLETED,
    RING_COPIED,
    RING_REJECTED,
    UNKNOWN_RING_OP,
)

if TYPE_CHECKING:
    from lab.hv.hypervisor import Hypervisor
    from lab.hv.vm import Vm

MAX_DATAGRAM: Final = 256
QUEUE_DEPTH: Final = 16
RING_HEADER: Final = struct.Struct("<IIII")  # status, op, len, result
# Where each field sits in the ring page, for the guests (lib/sbi.S: DGRAM_RING_...).
RING_STATUS: Final = 0x00
RING_OP: Final = 0x04
RING_LEN: Final = 0x08
RING_RESULT: Final = 0x0C
RING_DATA: Final = 0x10
RING_DATA_MAX: Final = 240
OP_LOG: Final = 1
STATUS_IDLE, STATUS_PENDING, STATUS_DONE, STATUS_REJECTED = 0, 1, 2, 3
PICKUP_DELAY: Final = 1_000  # instructions from the doorbell until the backend fetches and checks
COPY_DELAY: Final = 50  # instructions from its check until it copies the data into its buffer


@dataclass(slots=True)
class Datagram:
    sender: int
    payload: bytes


@dataclass(slots=True)
class RingRequest:
    """A doorbell the backend has not finished with: rung (not yet checked) or checked."""

    domid: int
    ring_gpa: int
    due: int  # the time of the backend's next step on it
    checked: bool = False  # the first fetch and the check are done; the copy is next
    op: int = 0
    length: int = 0  # len as the check saw it
    data: bytes | None = None  # the private copy (copy_then_validate), else None: fetch again


@dataclass(slots=True)
class Channel:
    queues: dict[int, deque[Datagram]] = field(default_factory=dict)
    rings: dict[int, int] = field(default_factory=dict)  # domid -> ring page gpa
    pending: list[RingRequest] = field(default_factory=list)
    log: list[tuple[int, bytes]] = field(default_factory=list)  # what the backend logged

    def queue(self, domid: int) -> deque[Datagram]:
        return self.queues.setdefault(domid, deque())

    def next_due(self) -> int | None:
        """When the backend takes its next step (None: it has nothing to do)."""
        return min((r.due for r in self.pending), default=None)

    def forget(self, domid: int) -> None:
        """A VM went away (destroyed or rebooted): drop its queue, ring and requests."""
        self.queues.pop(domid, None)
        self.rings.pop(domid, None)
        self.pending = [r for r in self.pending if r.domid != domid]


# ---------------------------------------------------------------- the ring backend


def ring_doorbell(hv: Hypervisor, vm: Vm, ring_gpa: int) -> None:
    """The doorbell: wake the backend for the request in the ring. Nothing is read yet."""
    hv.channel.pending.append(RingRequest(vm.domid, ring_gpa, due=hv.time + PICKUP_DELAY))
    vm.write_guest(ring_gpa, STATUS_PENDING.to_bytes(4, "little"))


def run_backend(hv: Hypervisor, *, idle: bool = False) -> None:
    """The backend's steps that are due (the hypervisor calls it when `next_due` has come):
    check the requests it picks up, copy the ones it checked. `idle`: no vCPU can run,
    so nothing can touch a ring before the backend's later steps: take them all now."""
    channel = hv.channel
    while channel.pending:
        due = [r for r in channel.pending if idle or r.due <= hv.time]
        if not due:
            return
        for req in sorted(due, key=lambda r: (r.due, r.domid)):
            vm = hv.live(req.domid)
            if vm is None:
                channel.pending.remove(req)
            elif not req.checked:
                _pick_up(hv, vm, req)
            else:
                channel.pending.remove(req)
                _complete(hv, vm, req)


def _pick_up(hv: Hypervisor, vm: Vm, req: RingRequest) -> None:
    """The first fetch: read the header from the shared page and check it."""
    _status, op, length, _result = RING_HEADER.unpack(vm.read_guest(req.ring_gpa, RING_HEADER.size))
    why = None
    if op != OP_LOG:
        why = UNKNOWN_RING_OP(op=op)
    elif length > RING_DATA_MAX:
        why = REQUEST_TOO_LONG(size=length, limit=RING_DATA_MAX)
    if why is not None:
        hv.channel.pending.remove(req)
        error = SbiError.INVALID_PARAM & 0xFFFF_FFFF  # as the guest reads a u32
        vm.write_guest(req.ring_gpa, RING_HEADER.pack(STATUS_REJECTED, op, length, error))
        vm.notify()
        hv.event(vm.domid, RING_REJECTED(vm=vm.label, why=why))
        return
    req.op, req.length, req.checked = op, length, True
    req.due = hv.time + COPY_DELAY
    picked = RING_CHECKED
    if hv.policy["dgram.copy_then_validate"]:
        req.data = vm.read_guest(req.ring_gpa + RING_DATA, length)  # the one and only fetch of the data
        picked = RING_COPIED
    hv.event(vm.domid, picked(vm=vm.label, size=length))


def _complete(hv: Hypervisor, vm: Vm, req: RingRequest) -> None:
    data = req.data
    note = ""
    if data is None:
        # Second fetch from shared memory: the length may have changed since the check.
        length = int.from_bytes(vm.read_guest(req.ring_gpa + RING_LEN, 4), "little")
        if length != req.length:
            note = LEN_REREAD(size=length, checked=req.length)
        data = vm.read_guest(req.ring_gpa + RING_DATA, min(length, 4096 - RING_DATA))
    hv.mem.write(HvLayout.RING_BUFFER, data)
    if len(data) > HvLayout.CONTROL_DOMID - HvLayout.RING_BUFFER:
        note += OVERFLOW(excess=len(data) - 256)
    hv.channel.log.append((vm.domid, bytes(data[:256])))
    vm.write_guest(req.ring_gpa, RING_HEADER.pack(STATUS_DONE, req.op, req.length, len(data)))
    vm.notify()  # the completion is an event
    text = data[:256].decode("utf-8", "replace").rstrip("\0")
    hv.event(vm.domid, RING_COMPLETED(vm=vm.label, text=text, note=note), copied=len(data))
