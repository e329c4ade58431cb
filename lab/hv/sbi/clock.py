"""The clock (hvlab's CLOCK, EID 0x0900_0006): what time is it?

now() -> a1 = the hypervisor's clock, low 32 bits: instructions retired by all
vCPUs since the machine started, plus hypervisor work and idle time
(lab.hv.scheduler). It is the time SBI TIME's set_timer takes, and the one the
trace's timestamps show, so a guest can measure a latency in the same unit a
student reads off the trace.

A real RISC-V guest reads the `time` CSR (`rdtime`). hvlab's cores keep the
clock exact only at a trap, so the lab asks the hypervisor, as a Xen PV guest
asks for system time: a hypercall costs one trap and the answer is exact on
every core. The value wraps after 2^32 instructions; subtract two readings
(modulo 2^32) to get an interval.
"""

from __future__ import annotations

from lab.hv.hypercalls import SbiRet, extension

CLOCK = extension(0x0900_0006, "CLOCK", "Clock", __doc__ or "", standard=False)


@CLOCK.function(0, returns="the clock, low 32 bits")
def now(hv, vm) -> SbiRet:
    """The hypervisor's clock (instructions of all vCPUs, hypervisor work and idle time), low 32 bits."""
    return SbiRet.ok(hv.time & 0xFFFF_FFFF)
