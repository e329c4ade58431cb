"""VM control (hvlab's VMCTL, EID 0x0900_0001): the hypervisor's management API.

self() and count() tell any guest who it is and how many VMs exist. The rest
is the privileged control API, Xen's domctl in miniature: info, pause,
unpause, destroy, and peek/poke, which copy memory between another VM and
the caller. Only the control domain (dom0, the admin's VM) should reach
these. With `hypercall.authorize` on, every privileged call first asks
`authorized()`: deny by default, allow only the control label, as Xen's XSM
does. With it off, any tenant can read, change or kill its neighbours
(Xen's domctl before XSM). The target domid is an argument; the caller never is.

peek(domid, src_gpa, len, dest_gpa) copies len bytes (at most MAX_COPY) from
the target's memory at src_gpa into the caller's memory at dest_gpa; poke the
other way. Both buffers obey `hypercall.check_bounds`.
"""

from __future__ import annotations

from typing import Final

from lab.hv.hypercalls import SbiError, SbiRet, extension
from lab.hv.vm import VmState
from lab.trace_messages import (
    ALREADY_PAUSED,
    ALREADY_RUNNING,
    COPIED_FROM,
    COPIED_INTO,
    DEST_NOT_OF,
    DESTROYED_BY,
    LEN_OVER_LIMIT,
    NO_VM,
    NOT_CONTROL_DOMAIN,
    NOT_IN_STATE,
    PAUSED_BY,
    SOURCE_NOT_OF,
    UNPAUSED_BY,
)

MAX_COPY: Final = 4096

VMCTL = extension(0x0900_0001, "VMCTL", "VM control", __doc__ or "", standard=False)


def authorized(hv, vm) -> bool:
    """May `vm` use the privileged control API? Deny by default: only the domain
    the hypervisor's own records name as the control domain."""
    if not hv.policy["hypercall.authorize"]:
        return True
    return vm.domid == hv.control_domid


def _denied(vm) -> SbiRet:
    return SbiRet.fail(SbiError.DENIED, NOT_CONTROL_DOMAIN(vm=vm.label))


def _target(hv, domid):
    target = hv.live(domid)
    if target is None:
        return None, SbiRet.fail(SbiError.INVALID_PARAM, NO_VM(domid=domid))
    return target, None


@VMCTL.function(0, returns="the caller's domid", name="self")
def self_id(hv, vm) -> SbiRet:
    """Which domain am I? The hypervisor knows: it is whoever trapped."""
    return SbiRet.ok(vm.domid)


@VMCTL.function(1, returns="number of VMs")
def count(hv, vm) -> SbiRet:
    """How many domains exist (destroyed ones excluded); domids are 0..count-1 in creation order."""
    return SbiRet.ok(sum(1 for v in hv.vms if not v.destroyed))


@VMCTL.function(2, "domid", returns="state: 0 running, 1 paused, 2 halted, 3 faulted", privileged=True)
def info(hv, vm, domid) -> SbiRet:
    """The state of a domain."""
    if not authorized(hv, vm):
        return _denied(vm)
    target, err = _target(hv, domid)
    if err:
        return err
    return SbiRet.ok(int(target.state))


@VMCTL.function(3, "domid", returns="0", privileged=True)
def pause(hv, vm, domid) -> SbiRet:
    """Stop scheduling a domain's vCPU until unpause."""
    if not authorized(hv, vm):
        return _denied(vm)
    target, err = _target(hv, domid)
    if err:
        return err
    if target.state is VmState.PAUSED:
        return SbiRet.fail(SbiError.ALREADY_STOPPED, ALREADY_PAUSED(vm=target.label))
    if target.state is not VmState.RUNNING:
        return SbiRet.fail(SbiError.FAILED, NOT_IN_STATE(vm=target.label, state=target.state.label))
    hv.pause(target, PAUSED_BY(by=vm.label))
    return SbiRet.ok(0)


@VMCTL.function(4, "domid", returns="0", privileged=True)
def unpause(hv, vm, domid) -> SbiRet:
    """Schedule a paused domain again."""
    if not authorized(hv, vm):
        return _denied(vm)
    target, err = _target(hv, domid)
    if err:
        return err
    if target.state is VmState.RUNNING:
        return SbiRet.fail(SbiError.ALREADY_STARTED, ALREADY_RUNNING(vm=target.label))
    if target.state is not VmState.PAUSED:
        return SbiRet.fail(SbiError.FAILED, NOT_IN_STATE(vm=target.label, state=target.state.label))
    hv.unpause(target, UNPAUSED_BY(by=vm.label))
    return SbiRet.ok(0)


@VMCTL.function(5, "domid", returns="0", privileged=True)
def destroy(hv, vm, domid) -> SbiRet:
    """Kill a domain and scrub its memory."""
    if not authorized(hv, vm):
        return _denied(vm)
    target, err = _target(hv, domid)
    if err:
        return err
    hv.destroy(target, DESTROYED_BY(by=vm.label))
    return SbiRet.ok(0)


@VMCTL.function(6, "domid, src_gpa, len, dest_gpa", returns="bytes copied", privileged=True)
def peek(hv, vm, domid, src_gpa, length, dest_gpa) -> SbiRet:
    """Copy len bytes from domain domid's memory at src_gpa into the caller at dest_gpa."""
    if not authorized(hv, vm):
        return _denied(vm)
    target, err = _target(hv, domid)
    if err:
        return err
    if length > MAX_COPY:
        return SbiRet.fail(SbiError.INVALID_PARAM, LEN_OVER_LIMIT(size=length, limit=MAX_COPY))
    if hv.policy["hypercall.check_bounds"]:
        if not target.owns(src_gpa, length):
            why = SOURCE_NOT_OF(gpa=src_gpa, end=src_gpa + length, vm=target.label)
            return SbiRet.fail(SbiError.INVALID_ADDRESS, why)
        if not vm.owns(dest_gpa, length, write=True):
            why = DEST_NOT_OF(gpa=dest_gpa, end=dest_gpa + length, vm=vm.label)
            return SbiRet.fail(SbiError.INVALID_ADDRESS, why)
    data = target.read_guest(src_gpa, length)
    copied = vm.write_guest(dest_gpa, data)
    return SbiRet.ok(copied, COPIED_FROM(vm=target.label))


@VMCTL.function(7, "domid, dest_gpa, len, src_gpa", returns="bytes copied", privileged=True)
def poke(hv, vm, domid, dest_gpa, length, src_gpa) -> SbiRet:
    """Copy len bytes from the caller at src_gpa into domain domid's memory at dest_gpa."""
    if not authorized(hv, vm):
        return _denied(vm)
    target, err = _target(hv, domid)
    if err:
        return err
    if length > MAX_COPY:
        return SbiRet.fail(SbiError.INVALID_PARAM, LEN_OVER_LIMIT(size=length, limit=MAX_COPY))
    if hv.policy["hypercall.check_bounds"]:
        if not vm.owns(src_gpa, length):
            why = SOURCE_NOT_OF(gpa=src_gpa, end=src_gpa + length, vm=vm.label)
            return SbiRet.fail(SbiError.INVALID_ADDRESS, why)
        if not target.owns(dest_gpa, length, write=True):
            why = DEST_NOT_OF(gpa=dest_gpa, end=dest_gpa + length, vm=target.label)
            return SbiRet.fail(SbiError.INVALID_ADDRESS, why)
    data = vm.read_guest(src_gpa, length)
    copied = target.write_guest(dest_gpa, data)
    return SbiRet.ok(copied, COPIED_INTO(vm=target.label))
