"""System reset (SBI SRST, EID 0x53525354 "SRST"): a VM shuts itself down or reboots.

system_reset(reset_type, reset_reason) stops the *calling* VM only: in a
hypervisor the "system" a guest may reset is its own virtual machine, never
the host or a neighbour. Types (SBI v2.0, chapter 10): 0 shutdown, 1 cold
reboot, 2 warm reboot. Reasons: 0 no reason, 1 system failure; 0xE000_0000 and
up are implementation specific, and hvlab uses 0xE000_00NN for "exit code
NN" so a program can report a status. Anything else is reserved and answered
with SBI_ERR_INVALID_PARAM, as the spec requires. The reason is recorded as
the VM's exit code.
"""

from __future__ import annotations

from typing import Final

from lab.hv.hypercalls import SbiError, SbiRet, extension
from lab.trace_messages import REBOOT_ASKED, REBOOTED_ITSELF, RESET_RESERVED, SHUT_DOWN

SHUTDOWN: Final = 0
COLD_REBOOT: Final = 1
WARM_REBOOT: Final = 2
REASON_NONE: Final = 0
REASON_FAILURE: Final = 1
REASON_EXIT_CODE: Final = 0xE000_0000  # | code (0-255): hvlab's "exit code" reason

SRST = extension(0x53525354, "SRST", "System Reset", __doc__ or "", standard=True)


def exit_code(reason: int) -> int | None:
    """The exit status a reset reason stands for, or None if it is reserved."""
    if reason in (REASON_NONE, REASON_FAILURE):
        return reason
    if reason & ~0xFF == REASON_EXIT_CODE:
        return reason & 0xFF
    return None


@SRST.function(0, "reset_type, reset_reason", returns="does not return on success")
def system_reset(hv, vm, reset_type, reset_reason) -> SbiRet:
    """Shut down (type 0) or reboot (types 1, 2) the calling VM."""
    code = exit_code(reset_reason)
    if reset_type not in (SHUTDOWN, COLD_REBOOT, WARM_REBOOT) or code is None:
        why = RESET_RESERVED(reset_type=reset_type, reset_reason=reset_reason)
        return SbiRet.fail(SbiError.INVALID_PARAM, why)
    vm.exit_code = code
    if reset_type == SHUTDOWN:
        hv.shutdown(vm, code)
        return SbiRet.ok(0, SHUT_DOWN(vm=vm.label, code=code))
    hv.reboot(vm, REBOOT_ASKED())
    return SbiRet.ok(0, REBOOTED_ITSELF(vm=vm.label))
