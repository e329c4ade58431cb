"""The VMCI-style channel (hvlab's DGRAM, EID 0x0900_0003): datagrams and a request ring.

send/recv: the hypervisor copies a datagram from one VM to another and stamps
the sender's domid on it itself. ring_setup/doorbell: a guest shares a
request page with the hypervisor's backend (layout and timing in
lab/hv/devices/dgram.py); the doorbell only wakes the backend, which checks
the request a little later and then copies it. Whether it copies a private
copy it checked or fetches the shared length a second time is
`dgram.copy_then_validate` (XSA-155).

Each inbox holds QUEUE_DEPTH datagrams for all senders together: a table every
domain shares. `dgram.sender_quota` caps what one sender may hold in it, so a
VM that fills someone's inbox cannot make everyone else's sends fail.
"""

from __future__ import annotations

from lab.cpu.bus import PAGE_SIZE
from lab.hv.devices.dgram import MAX_DATAGRAM, QUEUE_DEPTH, Datagram, ring_doorbell
from lab.hv.hypercalls import SbiError, SbiRet, extension
from lab.hv.vm import RAM_BASE
from lab.trace_messages import (
    BUFFER_NOT_YOURS,
    DGRAM_SENT,
    LEN_OVER_LIMIT,
    MAXLEN_TOO_SMALL,
    NO_RING,
    NO_VM,
    NOT_IN_RAM,
    NOT_PAGE_ALIGNED,
    QUEUE_FULL,
    RING_REGISTERED,
    SENDER_QUOTA,
    STILL_PENDING,
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
    quota = hv.policy["dgram.sender_quota"]
    if quota and sum(1 for d in queue if d.sender == vm.domid) >= quota:
        return SbiRet.fail(SbiError.DENIED, SENDER_QUOTA(vm=vm.label, quota=quota, dest=dest.label))
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
    """Wake the backend for the request in the caller's ring: it checks the request
    PICKUP_DELAY instructions later and completes it COPY_DELAY after that (status, result)."""
    ring = hv.channel.rings.get(vm.domid)
    if ring is None:
        return SbiRet.fail(SbiError.NO_SHMEM, NO_RING(vm=vm.label))
    if any(r.domid == vm.domid for r in hv.channel.pending):
        return SbiRet.fail(SbiError.FAILED, STILL_PENDING())
    ring_doorbell(hv, vm, ring)
    hv.replan()  # the backend's step may come before this vCPU's slice ends
    return SbiRet.ok(0)
