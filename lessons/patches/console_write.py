"""DBCN console_write with the check the SBI specification demands.

The lesson `guest-buffers` applies this as a patch to the handler
`dbcn.console_write` (lab/hv/sbi/dbcn.py). A buffer the guest names by
address and length is only the guest's if every byte of it is: otherwise the
spec's answer is SBI_ERR_INVALID_PARAM and nothing is copied.
"""

from lab.hv.hypercalls import SbiError, SbiRet

MAX_CHUNK = 4096  # bytes per call; the spec allows partial writes


def console_write(hv, vm, num_bytes, base_addr_lo, base_addr_hi):
    num_bytes = min(num_bytes, MAX_CHUNK)
    # The check: the whole buffer [base, base + num_bytes) lies in the caller's own memory.
    if base_addr_hi != 0 or not vm.owns(base_addr_lo, num_bytes):
        return SbiRet.fail(
            SbiError.INVALID_PARAM, f"buffer {base_addr_lo:#x}+{num_bytes} is not {vm.label}'s"
        )
    data = vm.read_guest(base_addr_lo, num_bytes)
    vm.console_write(data)
    return SbiRet.ok(len(data))
