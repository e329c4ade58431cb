"""Hypervisor benchmarks: the hypercall path, grants and datagrams.

Each function builds a small hypervisor, runs a guest that does nothing but
the operation being measured, and returns operations per second of wall
time. `hardening_cost` runs the same hypercall-heavy workload under the
vulnerable and the hardened policy, alternating, and reports how much slower
the hardened dispatch is: the price of the checks on every guest's critical
path.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from lab.asm import assemble
from lab.hv import Hypervisor, Policy, VmConfig
from lab.program import Program, Segment


def _program(source: str, name: str) -> Program:
    image = assemble(source, filename=f"{name}.S")
    return Program(name, [Segment(image.base, image.data, len(image.data))], image.entry, image.symbols)


# A loop of N hypercalls; s0 counts down. The call and its arguments are
# filled in per workload.
CALL_LOOP = """
_start:
    li   s0, {n}
1:  {setup}
    ecall
    addi s0, s0, -1
    bnez s0, 1b
    li   a7, 0x53525354     # SRST shutdown: the run ends here
    li   a6, 0
    li   a0, 0
    li   a1, 0
    ecall
msg:
    .ascii "0123456789abcdef"
"""

WORKLOADS: dict[str, str] = {
    # The cheapest call: BASE get_spec_version.
    "base": "li a7, 0x10\n    li a6, 0",
    # The checked paths: a 16-byte console write (check_bounds) and a
    # privileged VMCTL info from the control domain (authorize).
    "checked": (
        "li a7, 0x4442434E\n    li a6, 0\n    li a0, 16\n    la a1, msg\n    li a2, 0\n    ecall\n"
        "    li a7, 0x09000001\n    li a6, 2\n    li a0, 0"
    ),
}


def _timed_run(hv: Hypervisor, budget: int = 50_000_000) -> float:
    start = time.perf_counter()
    hv.run(budget)
    return time.perf_counter() - start


def hypercalls_per_second(
    backend: str, *, workload: str = "base", preset: str = "vulnerable", n: int
) -> float:
    """Hypercall round trips per second (guest ecall -> handler -> back)."""
    source = CALL_LOOP.format(n=n, setup=WORKLOADS[workload])
    calls = n * (2 if workload == "checked" else 1)
    hv = Hypervisor(backend=backend, policy=Policy.preset(preset), host_memory=2 << 20)
    hv.create_vm(VmConfig("bench", program=_program(source, "calls"), memory=64 << 10, control=True))
    return calls / _timed_run(hv)


def hardening_cost(backend: str, *, n: int, runs: int) -> tuple[float, float, float]:
    """(vulnerable calls/s, hardened calls/s, hardened slowdown in %) on the checked workload."""
    vulnerable, hardened = [], []
    for _ in range(runs):  # alternate, so drift in machine speed hits both alike
        vulnerable.append(hypercalls_per_second(backend, workload="checked", preset="vulnerable", n=n))
        hardened.append(hypercalls_per_second(backend, workload="checked", preset="hardened", n=n))
    v, h = statistics.median(vulnerable), statistics.median(hardened)
    return v, h, (v / h - 1) * 100


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


def grant_maps_per_second(backend: str, *, n: int) -> float:
    """Grant map + unmap pairs per second."""
    prog = _program(GRANT_LOOP.format(n=n), "grants")
    hv = Hypervisor(backend=backend, policy=Policy.preset("hardened"), host_memory=2 << 20)
    hv.create_vm(VmConfig("granter", program=prog, memory=64 << 10))
    hv.create_vm(VmConfig("mapper", program=prog, memory=64 << 10))
    return n / _timed_run(hv)


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


def datagram_round_trips_per_second(backend: str, *, n: int) -> float:
    """Datagram ping-pong round trips per second between two VMs."""
    prog = _program(PING_PONG.format(n=n), "pingpong")
    hv = Hypervisor(backend=backend, policy=Policy.preset("hardened"), host_memory=2 << 20)
    hv.create_vm(VmConfig("ping", program=prog, memory=64 << 10))
    hv.create_vm(VmConfig("pong", program=prog, memory=64 << 10))
    elapsed = _timed_run(hv)
    if hv.vms[0].exit_code != 0:
        raise RuntimeError("the ping-pong guest did not finish")
    return n / elapsed


def median_of(runs: int, fn: Callable[[], float]) -> tuple[float, list[float]]:
    values = [fn() for _ in range(runs)]
    return statistics.median(values), values
