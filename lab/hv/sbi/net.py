"""The virtual NIC (hvlab's NET, EID 0x0900_0004): whole Ethernet frames in and out.

A guest builds real frames itself (Ethernet II, ARP, IPv4, UDP, ICMP, with
their checksums) and hands them to the hypervisor, which puts them on the
VM's segment of the virtual switch; the switch delivers frames into the
VM's receive queue, and `wfi` wakes when one arrives. The VM's MAC is
02:00:00:00:00:<domid>; info() tells it its IPv4 address. A frame the rate
limiter (vnic.rate_limit) or a full queue refuses is dropped, as a real NIC
drops it: send answers 0 bytes, not an error. The device does not look at
the source addresses the guest wrote; with net.anti_spoofing the switch drops
a frame whose source MAC or IP is not the VM's, after send has answered, as a
real virtual switch does (the guest is not told; the trace and the port's
counters are).
"""

from __future__ import annotations

from lab.hv.devices.net import ip_to_int
from lab.hv.hypercalls import SbiError, SbiRet, extension
from lab.net.frames import ETH_HEADER_LEN, ETH_MAX_FRAME
from lab.net.vnic import SendResult
from lab.trace_messages import BAD_FRAME_LENGTH, BUFFER_NOT_YOURS, FRAME_DROPPED, NO_NIC

NET = extension(0x0900_0004, "NET", "Virtual NIC", __doc__ or "", standard=False)


def _nic(hv, vm):
    devices = hv.net
    return devices.vnics.get(vm.domid) if devices is not None else None


@NET.function(0, returns="the VM's IPv4 address (10.0.0.11 = 0x0a00000b)")
def info(hv, vm) -> SbiRet:
    """The VM's IPv4 address; its MAC is 02:00:00:00:00:<domid>."""
    nic = _nic(hv, vm)
    if nic is None:
        return SbiRet.fail(SbiError.NOT_SUPPORTED, NO_NIC(vm=vm.label))
    return SbiRet.ok(ip_to_int(nic.ip))


@NET.function(1, "gpa, len", returns="bytes sent (0: dropped by the rate limiter or a full queue)")
def send(hv, vm, gpa, length) -> SbiRet:
    """Send the Ethernet frame of len bytes (14 to 1514) at gpa."""
    nic = _nic(hv, vm)
    if nic is None:
        return SbiRet.fail(SbiError.NOT_SUPPORTED, NO_NIC(vm=vm.label))
    if not ETH_HEADER_LEN <= length <= ETH_MAX_FRAME:
        why = BAD_FRAME_LENGTH(low=ETH_HEADER_LEN, high=ETH_MAX_FRAME, size=length)
        return SbiRet.fail(SbiError.INVALID_PARAM, why)
    if hv.policy["hypercall.check_bounds"] and not vm.owns(gpa, length):
        return SbiRet.fail(SbiError.INVALID_ADDRESS, BUFFER_NOT_YOURS(gpa=gpa, end=gpa + length, vm=vm.label))
    frame = vm.read_guest(gpa, length)
    result = nic.send(frame, hv.time)
    if result is SendResult.SENT:
        return SbiRet.ok(length, hv.leak_note(vm, gpa, length))
    return SbiRet.ok(0, FRAME_DROPPED(result=result.value))


@NET.function(2, "gpa, maxlen", returns="frame length, 0 when none waits")
def recv(hv, vm, gpa, maxlen) -> SbiRet:
    """Take the oldest received frame into gpa (cut to maxlen bytes)."""
    nic = _nic(hv, vm)
    if nic is None:
        return SbiRet.fail(SbiError.NOT_SUPPORTED, NO_NIC(vm=vm.label))
    if not nic.pending:
        return SbiRet.ok(0)
    size = min(maxlen, len(nic.rx[0]))
    if hv.policy["hypercall.check_bounds"] and not vm.owns(gpa, size, write=True):
        return SbiRet.fail(SbiError.INVALID_ADDRESS, BUFFER_NOT_YOURS(gpa=gpa, end=gpa + size, vm=vm.label))
    frame = nic.recv()
    assert frame is not None
    written = vm.write_guest(gpa, frame[:size])
    return SbiRet.ok(written, hv.leak_note(vm, gpa, size))
