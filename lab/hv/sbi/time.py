"""Timer (SBI TIME, EID 0x54494D45 "TIME"): wake me at a time of my choosing.

set_timer(stime_value) programs the caller's timer for the absolute time
stime_value (SBI v2.0, chapter 6); on RV32 the 64-bit value comes in a0 (low
word) and a1 (high word). hvlab's time is the hypervisor's clock: instructions
retired by all vCPUs, hypervisor work and idle time (lab.hv.scheduler), which
a guest reads with the lab's CLOCK now(). When the clock reaches the deadline
the timer fires once: it is an event for the VM, like console input or a
datagram, so a `wfi` returns (a real hart's `wfi` resumes on a pending timer
interrupt too, even with interrupts masked). A deadline already past fires at
once; (uint64_t)-1, as the spec suggests, cancels the timer. Each VM has one
timer: a new deadline replaces the old.

A guest that sleeps with a timer costs nothing while it sleeps, and if every
VM sleeps, the clock runs on to the next deadline: time passes while a machine
is idle, as it does on real hardware.
"""

from __future__ import annotations

from lab.hv.hypercalls import SbiRet, extension
from lab.trace_messages import TIMER_CANCELLED

TIME = extension(0x54494D45, "TIME", "Timer", __doc__ or "", standard=True)

NEVER = (1 << 64) - 1


@TIME.function(0, "stime_value_lo, stime_value_hi", returns="0")
def set_timer(hv, vm, stime_value_lo, stime_value_hi) -> SbiRet:
    """Wake the caller (an event: wfi returns) once the clock reaches the 64-bit time stime_value."""
    deadline = stime_value_hi << 32 | stime_value_lo
    if deadline == NEVER:
        hv.set_timer(vm, None)
        return SbiRet.ok(0, TIMER_CANCELLED())
    hv.set_timer(vm, deadline)
    return SbiRet.ok(0)
