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
                0x0C u32 result   written by the backend
                0x10 data[240]

The doorbell hypercall validates the request at once; the backend completes
it on its next tick (when the scheduler's turn passes), copying the data into
its own 256-byte buffer in the hypervisor region. If it fetches `len` from
the shared page a second time to do the copy (`dgram.copy_then_validate`
off), the guest can change `len` in between: the XSA-155 double fetch, and
the copy overflows the buffer into what lies behind it. With the switch on,
the doorbell copies the request once and the backend uses only that copy.
"""

from __future__ import annotations

import struct
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from lab.hv.memory import HvLayout
from lab.trace_messages import LEN_REREAD, OVERFLOW, RING_COMPLETED

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


@dataclass(slots=True)
class Datagram:
    sender: int
    payload: bytes


@dataclass(slots=True)
class RingRequest:
    """A doorbell the backend has accepted but not yet completed."""

    domid: int
    ring_gpa: int
    op: int
    length: int
    data: bytes | None  # the private copy (copy_then_validate), else None: fetch again


@dataclass(slots=True)
class Channel:
    queues: dict[int, deque[Datagram]] = field(default_factory=dict)
    rings: dict[int, int] = field(default_factory=dict)  # domid -> ring page gpa
    pending: list[RingRequest] = field(default_factory=list)
    log: list[tuple[int, bytes]] = field(default_factory=list)  # what the backend logged

    def queue(self, domid: int) -> deque[Datagram]:
        return self.queues.setdefault(domid, deque())

    def forget(self, domid: int) -> None:
        """A VM went away (destroyed or rebooted): drop its queue, ring and requests."""
        self.queues.pop(domid, None)
        self.rings.pop(domid, None)
        self.pending = [r for r in self.pending if r.domid != domid]


# ---------------------------------------------------------------- the ring backend


def complete_rings(hv: Hypervisor) -> None:
    """The backend's tick (the hypervisor calls it when a scheduler turn has passed):
    complete every pending ring request of a VM that still exists."""
    pending, hv.channel.pending = hv.channel.pending, []
    for req in pending:
        vm = hv.live(req.domid)
        if vm is not None:
            _complete(hv, vm, req)


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
