"""Debug console (SBI DBCN, EID 0x4442434E "DBCN"): print and read through hypercalls.

console_write(num_bytes, base_addr_lo, base_addr_hi) copies the guest's buffer
to its console. The buffer is guest memory named by a guest-supplied address
and length, so the hypervisor MUST check that all of it is the caller's own
memory before copying: the spec's error table answers SBI_ERR_INVALID_PARAM
when it is not. A handler that forgets the check (hypercall.check_bounds off)
copies whatever lies at that host offset: the neighbour's RAM, or the
hypervisor's own region. That is lesson 4, and this handler is its patch
point. Writes are non-blocking and may be partial: at most MAX_CHUNK bytes
per call, as the spec allows.
"""

from __future__ import annotations

from typing import Final

from lab.hv.hypercalls import SbiError, SbiRet, extension
from lab.trace_messages import MEMORY_NOT_YOURS

MAX_CHUNK: Final = 4096

DBCN = extension(0x4442434E, "DBCN", "Debug Console", __doc__ or "", standard=True)


def _not_yours(vm, lo: int, n: int) -> str:
    return MEMORY_NOT_YOURS(gpa=lo, end=lo + n, vm=vm.label)


@DBCN.function(0, "num_bytes, base_addr_lo, base_addr_hi", returns="bytes written")
def console_write(hv, vm, num_bytes, base_addr_lo, base_addr_hi) -> SbiRet:
    """Write num_bytes bytes from guest memory at base_addr to the console."""
    num_bytes = min(num_bytes, MAX_CHUNK)
    if hv.policy["hypercall.check_bounds"]:
        if base_addr_hi != 0 or not vm.owns(base_addr_lo, num_bytes):
            return SbiRet.fail(SbiError.INVALID_PARAM, _not_yours(vm, base_addr_lo, num_bytes))
    data = vm.read_guest(base_addr_lo, num_bytes)
    vm.console_write(data)
    return SbiRet.ok(len(data), hv.leak_note(vm, base_addr_lo, num_bytes))


@DBCN.function(1, "num_bytes, base_addr_lo, base_addr_hi", returns="bytes read")
def console_read(hv, vm, num_bytes, base_addr_lo, base_addr_hi) -> SbiRet:
    """Read up to num_bytes bytes of console input into guest memory; 0 when none waits."""
    num_bytes = min(num_bytes, MAX_CHUNK)
    if hv.policy["hypercall.check_bounds"]:
        if base_addr_hi != 0 or not vm.owns(base_addr_lo, num_bytes, write=True):
            return SbiRet.fail(SbiError.INVALID_PARAM, _not_yours(vm, base_addr_lo, num_bytes))
    data = vm.uart.read_input(num_bytes)
    written = vm.write_guest(base_addr_lo, data)
    return SbiRet.ok(written, hv.leak_note(vm, base_addr_lo, len(data)))


@DBCN.function(2, "byte", returns="0")
def console_write_byte(hv, vm, byte) -> SbiRet:
    """Write one byte (the low 8 bits of the argument) to the console."""
    vm.console_write(bytes((byte & 0xFF,)))
    return SbiRet.ok(0)
