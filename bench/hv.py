"""Hypervisor benchmarks: what the checks cost, grants and datagrams.

Each figure function takes (backend, scale) like the others in bench.suite
and returns one number:

    * hardening_cost: the same hypercall-heavy workload (a 16-byte console
      write, which `hypercall.check_bounds` checks, and a privileged VMCTL info
      from the control domain, which `hypercall.authorize` checks) under the
      vulnerable and the hardened policy, alternating; how much slower the
      hardened hypervisor is, in percent: the price of the checks on every
      guest's critical path;
    * grant map + unmap pairs per second;
    * datagram ping-pong round trips per second between two VMs.
"""

from __future__ import annotations

from typing import Final

from bench.common import BenchError, program, run_on_hv

CHECKED_CALLS: Final = {"interp": 10_000, "unicorn": 4_000}
GRANT_PAIRS: Final = {"interp": 5_000, "unicorn": 2_000}
ROUND_TRIPS: Final = {"interp": 3_000, "unicorn": 1_000}
PAIRS: Final = 3  # vulnerable/hardened pairs per hardening_cost figure

CHECKED_LOOP: Final = """
_start:
    li   s0, {n}
1:  li   a7, 0x4442434E     # DBCN console_write(16, msg, 0)
    li   a6, 0
    li   a0, 16
    la   a1, msg
    li   a2, 0
    ecall
    li   a7, 0x09000001     # VMCTL info(0): privileged
    li   a6, 2
    li   a0, 0
    ecall
    addi s0, s0, -1
    bnez s0, 1b
    li   a7, 0x53525354     # SRST shutdown
    li   a6, 0
    li   a0, 0
    li   a1, 0
    ecall
msg:
    .ascii "0123456789abcdef"
"""


def hardening_cost(backend: str, scale: int) -> float:
    """Percent more CPU time the hardened policy takes on CHECKED_LOOP."""
    n = max(10, CHECKED_CALLS[backend] // scale)
    prog = program(CHECKED_LOOP.format(n=n), "checked")
    vulnerable = hardened = 0.0
    for _ in range(PAIRS):  # alternate, so drift in machine speed hits both alike
        vulnerable += run_on_hv(backend, prog, policy="vulnerable", control=True)[2]
        hardened += run_on_hv(backend, prog, policy="hardened", control=True)[2]
    return (hardened / vulnerable - 1) * 100


GRANT_LOOP = """
# dom0 grants a page to dom1 once; dom1 maps and unmaps it n times.
_start:
    li   a7, 0x09000001
    li   a6, 0
    ecall                   # VMCTL self
    bnez a1, mapper
    li   a7, 0x09000002
    li   a6, 0
    li   a0, 0x80008000     # grant_access(page, dom1, read-write)
    li   a1, 1
    li   a2, 0
    ecall
1:  wfi
    j    1b
mapper:
    li   s0, {n}
2:  li   a7, 0x09000002
    li   a6, 2              # map(dom0, ref 0, window, rw)
    li   a0, 0
    li   a1, 0
    li   a2, 0x90000000
    li   a3, 0
    ecall
    li   a6, 3              # unmap(window)
    li   a0, 0x90000000
    ecall
    addi s0, s0, -1
    bnez s0, 2b
    li   a7, 0x53525354
    li   a6, 0
    li   a0, 0
    li   a1, 0
    ecall
"""


PING_PONG = """
# dom0 sends a 16-byte datagram to dom1 and waits for the echo, n times;
# dom1 echoes every datagram back to its sender.
.equ DGRAM, 0x09000003
.equ BUF,   0x80008000
_start:
    li   a7, 0x09000001
    li   a6, 0
    ecall                   # VMCTL self
    bnez a1, echo
    li   s0, {n}
ping:
    li   a7, DGRAM
    li   a6, 0              # send(dom1, BUF, 16)
    li   a0, 1
    li   a1, BUF
    li   a2, 16
    ecall
1:  li   a7, DGRAM
    li   a6, 1              # recv(BUF, 64)
    li   a0, BUF
    li   a1, 64
    ecall
    bnez a1, 2f
    wfi
    j    1b
2:  addi s0, s0, -1
    bnez s0, ping
    li   a7, 0x53525354
    li   a6, 0
    li   a0, 0
    li   a1, 0
    ecall
echo:
    li   a7, DGRAM
    li   a6, 1              # recv(BUF, 64)
    li   a0, BUF
    li   a1, 64
    ecall
    bnez a1, 3f
    wfi
    j    echo
3:  li   a6, 0              # send(sender, BUF + 4, len - 4)
    li   t0, BUF
    lw   a0, 0(t0)
    addi a2, a1, -4
    addi a1, t0, 4
    ecall
    j    echo
"""


def grant_maps(backend: str, scale: int) -> float:
    """Grant map + unmap pairs per second (the hardened checks included)."""
    n = max(10, GRANT_PAIRS[backend] // scale)
    prog = program(GRANT_LOOP.format(n=n), "grants")
    _retired, _calls, seconds = run_on_hv(backend, prog, prog, policy="hardened", wait_for=1)
    return n / seconds


def datagram_round_trips(backend: str, scale: int) -> float:
    """Datagram ping-pong round trips per second between two VMs."""
    n = max(10, ROUND_TRIPS[backend] // scale)
    prog = program(PING_PONG.format(n=n), "pingpong")
    _retired, calls, seconds = run_on_hv(backend, prog, prog, policy="hardened")
    if calls < 4 * n:
        raise BenchError(f"the ping-pong guests made {calls} hypercalls, expected at least {4 * n}")
    return n / seconds
