"""The VMCI-style channel (hvlab's DGRAM, EID 0x0900_0003): datagrams and a request ring.

send/recv: the hypervisor copies a datagram from one VM to another and stamps
the sender's domid on it itself. ring_setup/doorbell: a guest shares a
request page with the hypervisor's backend (layout in lab/hv/devices/dgram.py);
the doorbell validates the request, the backend completes it on its next
tick. Whether the backend validates a private copy or fetches the shared
length a second time is `dgram.copy_then_validate` (XSA-155).
"""

from __future__ import annotations

from lab.cpu.bus import PAGE_SIZE
from lab.hv.devices.dgram import (
    MAX_DATAGRAM,
    OP_LOG,
    QUEUE_DEPTH,
    RING_DATA,
    RING_DATA_MAX,
    RING_HEADER,
    STATUS_PENDING,
    Datagram,
    RingRequest,
)
from lab.hv.hypercalls import SbiError, SbiRet, extension
from lab.hv.vm import RAM_BASE
from lab.trace_messages import (
    BUFFER_NOT_YOURS,
    DGRAM_SENT,
    DOORBELL,
    LEN_OVER_LIMIT,
    MAXLEN_TOO_SMALL,
    NO_RING,
    NO_VM,
    NOT_IN_RAM,
    NOT_PAGE_ALIGNED,
    QUEUE_FULL,
    REQUEST_TOO_LONG,
    RING_REGISTERED,
    STILL_PENDING,
    UNKNOWN_RING_OP,
)

DGRAM = extension(0x0900_0003, "DGRAM", "Datagrams and request ring", __doc__ or "", standard=False)


@DGRAM.function(0, "dest_domid, gpa, len", returns="bytes queued")
def send(hv, vm, dest_domid, gpa, length) -> SbiRet:
    """Copy a datagram of len bytes (at most 256) from gpa to domain dest_domid's queue."""
    if length > MAX_DATAGRAM:
        return SbiRet.fail(SbiError.INVALID_PARAM, LEN_OVER_LIMIT(size=length, limit=MAX_DATAGRAM))
    dest = hv.live(dest_domid)
    if dest is None:
        return SbiRet.fail(SbiError.INVALID_PARAM, NO_VM(domid=dest_domid))
    if hv.policy["hypercall.check_bounds"] and not vm.owns(gpa, length):
        return SbiRet.fail(SbiError.INVALID_ADDRESS, BUFFER_NOT_YOURS(gpa=gpa, end=gpa + length, vm=vm.label))
    queue = hv.channel.queue(dest.domid)
    if len(queue) >= QUEUE_DEPTH:
        return SbiRet.fail(SbiError.FAILED, QUEUE_FULL(vm=dest.label, depth=QUEUE_DEPTH))
    payload = vm.read_guest(gpa, length)
    queue.append(Datagram(vm.domid, payload))
    dest.notify()
    hv.event(vm.domid, DGRAM_SENT(vm=vm.label, dest=dest.label, size=len(payload)), to=dest.domid)
    return SbiRet.ok(len(payload), hv.leak_note(vm, gpa, length))


@DGRAM.function(1, "gpa, maxlen", returns="bytes received (4-byte sender domid + payload), 0 if none")
def recv(hv, vm, gpa, maxlen) -> SbiRet:
    """Take the oldest datagram: its sender's domid (4 bytes) then its payload, cut to maxlen."""
    if maxlen < 4:
        return SbiRet.fail(SbiError.INVALID_PARAM, MAXLEN_TOO_SMALL())
    queue = hv.channel.queue(vm.domid)
    if not queue:
        return SbiRet.ok(0)
    size = min(maxlen, 4 + len(queue[0].payload))
    if hv.policy["hypercall.check_bounds"] and not vm.owns(gpa, size, write=True):
        return SbiRet.fail(SbiError.INVALID_ADDRESS, BUFFER_NOT_YOURS(gpa=gpa, end=gpa + size, vm=vm.label))
    dgram = queue.popleft()
    data = (dgram.sender.to_bytes(4, "little") + dgram.payload)[:size]
    written = vm.write_guest(gpa, data)
    return SbiRet.ok(written, hv.leak_note(vm, gpa, size))


@DGRAM.function(2, "gpa", returns="0")
def ring_setup(hv, vm, gpa) -> SbiRet:
    """Register the caller's page at gpa as its request ring."""
    if gpa % PAGE_SIZE:
        return SbiRet.fail(SbiError.INVALID_PARAM, NOT_PAGE_ALIGNED(gpa=gpa))
    if not RAM_BASE <= gpa < RAM_BASE + vm.ram_size:
        return SbiRet.fail(SbiError.INVALID_ADDRESS, NOT_IN_RAM(gpa=gpa, vm=vm.label))
    hv.channel.rings[vm.domid] = gpa
    hv.event(vm.domid, RING_REGISTERED(vm=vm.label, gpa=gpa))
    return SbiRet.ok(0)


@DGRAM.function(3, returns="0")
def doorbell(hv, vm) -> SbiRet:
    """Ask the backend to process the request in the caller's ring (completed on its next tick)."""
    ring = hv.channel.rings.get(vm.domid)
    if ring is None:
        return SbiRet.fail(SbiError.NO_SHMEM, NO_RING(vm=vm.label))
    if any(r.domid == vm.domid for r in hv.channel.pending):
        return SbiRet.fail(SbiError.INVALID_STATE, STILL_PENDING())
    header = vm.read_guest(ring, RING_HEADER.size)  # first fetch: to check
    _status, op, length, _result = RING_HEADER.unpack(header)
    if op != OP_LOG:
        return SbiRet.fail(SbiError.INVALID_PARAM, UNKNOWN_RING_OP(op=op))
    if length > RING_DATA_MAX:
        return SbiRet.fail(SbiError.INVALID_PARAM, REQUEST_TOO_LONG(size=length, limit=RING_DATA_MAX))
    data = None
    if hv.policy["dgram.copy_then_validate"]:
        data = vm.read_guest(ring + RING_DATA, length)  # the one and only fetch of the data
    hv.channel.pending.append(RingRequest(vm.domid, ring, op, length, data))
    vm.write_guest(ring, STATUS_PENDING.to_bytes(4, "little"))
    hv.event(vm.domid, DOORBELL(vm=vm.label, size=length))
    return SbiRet.ok(0)
