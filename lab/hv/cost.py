"""What hardening costs: the same hypercall-heavy guest timed on two hypervisors.

    m = measure_cost(Policy.preset("hardened"), backend="interp")
    m.overhead_percent      # +3.1: the hardened hypervisor needs 3.1 % more CPU time
    m.summary()             # "hypercalls under the hardened policy cost +3.1 % (...)"

The checks a hardened hypervisor makes (`hypercall.check_bounds`,
`hypercall.authorize`, the grant and ring checks, ...) sit on hypercall paths,
which guests take thousands of times a second. To see their price, two
hypervisors run the same endless loop that makes every checked call once a turn
(`CHECKED_LOOP`): one with the vulnerable policy, one with the policy (and the
patched handlers) under test. They take turns, one slice of the
same number of instructions each, so both make the same calls; the figure is
the median over the pairs of (time with the policy / time without) - 1.
Pairing slices that run back to back cancels the drift of a busy machine that
timing two whole runs one after the other does not; alternating which side
goes first cancels what the first of a pair pays for the second (caches).

Host timing is not deterministic: the figure changes from run to run, which is
why `spread_percent` comes with it and why lessons only check that a
measurement was made (`trace "measured:"`), never its value. `bench/hv.py`
(`hvlab bench`) and the lesson action `measure` both call `measure_cost`.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from lab.hv.hypercalls import lookup
from lab.hv.hypervisor import Hypervisor
from lab.hv.policy import Policy
from lab.hv.vm import RAM_BASE, VmConfig
from lab.riscv.asm import assemble
from lab.riscv.program import INCLUDE_DIRS, Program, Segment

# One turn makes every call a hardening check sits on, as a guest makes it, so that
# whatever a lesson hardened (a switch or a patched handler) is on the measured path:
#   DBCN console_write(16 bytes)          hypercall.check_bounds, a patched dbcn.console_write
#   VMCTL info(0), from the control domain  hypercall.authorize
#   BLK read(sector 0, 1 sector)          blk.check_range (and check_bounds)
#   GNTTAB map + unmap of dom1's grant    grant.check_grantee, grant.enforce_readonly
#   GNTTAB grant_access + end_access      grant.check_in_use
#   DGRAM doorbell, wait for the backend  dgram.copy_then_validate
CHECKED_LOOP: Final = """
.include "lib/machine.S"
.include "lib/sbi.S"
_start:
    li   a7, EID_DGRAM
    li   a6, DGRAM_RING_SETUP
    la   a0, ring
    ecall
    la   s0, ring
    li   t0, DGRAM_OP_LOG
    sw   t0, DGRAM_RING_OP(s0)
    li   t0, 16
    sw   t0, DGRAM_RING_LEN(s0)
1:  li   a7, EID_DBCN
    li   a6, DBCN_CONSOLE_WRITE # console_write(16, msg, 0)
    li   a0, 16
    la   a1, msg
    li   a2, 0
    ecall
    li   a7, EID_VMCTL
    li   a6, VMCTL_INFO     # info(0): privileged
    li   a0, 0
    ecall
    li   a7, EID_BLK
    li   a6, BLK_READ       # read(0, 1, sector)
    li   a0, 0
    li   a1, 1
    la   a2, sector
    ecall
    li   a7, EID_GNTTAB
    li   a6, GNTTAB_MAP     # map(1, 0, GRANT_WINDOW, read-only): the granter's ref 0
    li   a0, 1
    li   a1, 0
    li   a2, GRANT_WINDOW
    li   a3, 1
    ecall
    li   a7, EID_GNTTAB
    li   a6, GNTTAB_UNMAP
    li   a0, GRANT_WINDOW
    ecall
    li   a7, EID_GNTTAB
    li   a6, GNTTAB_GRANT_ACCESS # grant_access(shared, 1, read-only) ...
    la   a0, shared
    li   a1, 1
    li   a2, 1
    ecall
    mv   a0, a1
    li   a7, EID_GNTTAB
    li   a6, GNTTAB_END_ACCESS # ... and end it again
    ecall
    li   a7, EID_DGRAM
    li   a6, DGRAM_DOORBELL # a LOG request of 16 bytes ...
    ecall
2:  lw   t0, DGRAM_RING_STATUS(s0) # ... and its completion
    li   t1, DGRAM_STATUS_PENDING
    bne  t0, t1, 1b
    wfi
    j    2b
msg:
    .ascii "0123456789abcdef"
.data
.balign 4096
ring:   .zero 4096
shared: .zero 4096
sector: .zero 512
"""
# The second VM grants the first a page read-only (its ref 0), then waits.
GRANTER: Final = """
.include "lib/sbi.S"
_start:
    li   a7, EID_GNTTAB
    li   a6, GNTTAB_GRANT_ACCESS # grant_access(page, 0, read-only)
    la   a0, page
    li   a1, 0
    li   a2, 1
    ecall
1:  wfi
    j    1b
.data
.balign 4096
page: .zero 4096
"""
WARM_UP: Final = 20_000  # instructions each side runs before timing: the loop gets translated
DEFAULT_PAIRS: Final = 7
DEFAULT_CALLS: Final = 1_000  # hypercalls per timed slice (the `measure` action's default)


class CostError(RuntimeError):
    """The measurement guest did not run its loop, so a figure would mean nothing."""


@dataclass(frozen=True, slots=True)
class CostMeasurement:
    """The outcome of `measure_cost`: per-call times and the relative overhead."""

    label: str  # what was measured against the vulnerable hypervisor ("hardened", "custom")
    backend: str
    pairs: int  # timed slice pairs
    calls: int  # hypercalls per slice (the same on both sides)
    base_us: float  # median time per hypercall, vulnerable policy, in microseconds
    policy_us: float  # the same with the measured policy
    overhead_percent: float  # median over the pairs of (policy / vulnerable - 1) * 100
    spread_percent: float  # half the interquartile range of the pairs' overheads

    @property
    def delta_us(self) -> float:
        """What the policy adds to one hypercall, in microseconds (may be negative: noise)."""
        return self.policy_us - self.base_us

    def summary(self) -> str:
        """One line for the trace and the bench log."""
        return (
            f"hypercalls under the {self.label} policy cost {self.overhead_percent:+.1f} % "
            f"(\u00b1{self.spread_percent:.1f} %; {self.policy_us:.2f} us a call instead of "
            f"{self.base_us:.2f}, median of {self.pairs} pairs of {self.calls} calls, {self.backend})"
        )


def _program(name: str, source: str) -> Program:
    image = assemble(source, filename=f"{name}.S", base=RAM_BASE, include_dirs=INCLUDE_DIRS)
    return Program(name, [Segment(image.base, image.data, len(image.data))], image.entry, image.symbols)


def checked_loop() -> Program:
    """The measurement guest, assembled (the same every time)."""
    return _program("checked", CHECKED_LOOP)


def _machine(backend: str, policy: Policy, patches: Iterable[tuple[tuple[int, int], str]]) -> Hypervisor:
    hv = Hypervisor(backend=backend, policy=policy.copy(), host_memory=4 << 20)
    hv.on_output = lambda vm, data: None
    hv.create_vm(VmConfig("checked", program=checked_loop(), memory=64 << 10, control=True, disk=4096))
    hv.create_vm(VmConfig("granter", program=_program("granter", GRANTER), memory=64 << 10))
    for key, source in patches:
        fn = lookup(*key)
        if fn is not None:
            hv.patches.apply(fn, source)
    hv.run(WARM_UP)
    return hv


def measure_cost(
    policy: Policy,
    *,
    backend: str = "interp",
    pairs: int = DEFAULT_PAIRS,
    calls: int | None = None,
    slice_instructions: int | None = None,
    patches: Iterable[tuple[tuple[int, int], str]] = (),
    label: str | None = None,
) -> CostMeasurement:
    """Time CHECKED_LOOP under `policy` (and `patches`) against the vulnerable preset.

    A slice is `slice_instructions` long, or as many as `calls` hypercalls take
    (default DEFAULT_CALLS). Times are this process's CPU time: the guest runs
    on this thread, unicorn included, and CPU time is not inflated by other
    load on a shared machine the way wall time is.
    """
    if pairs < 1:
        raise ValueError("pairs must be at least 1")
    machines = {
        "vulnerable": _machine(backend, Policy.preset("vulnerable"), ()),
        "policy": _machine(backend, policy, patches),
    }
    if slice_instructions is None:
        warm = machines["vulnerable"].vms[0]
        per_call = WARM_UP / max(1, warm.hypercalls)
        slice_instructions = max(100, round((calls or DEFAULT_CALLS) * per_call))
    ratios: list[float] = []
    per_call_us: dict[str, list[float]] = {"vulnerable": [], "policy": []}
    made = 0
    for i in range(pairs):
        times: dict[str, float] = {}
        for side in ("vulnerable", "policy") if i % 2 else ("policy", "vulnerable"):
            vm = machines[side].vms[0]
            before = vm.hypercalls
            start = time.process_time()
            machines[side].run(slice_instructions)
            times[side] = time.process_time() - start
            made = vm.hypercalls - before
            per_call_us[side].append(times[side] / max(1, made) * 1e6)
        if times["vulnerable"] > 0:
            ratios.append(times["policy"] / times["vulnerable"])
    for hv in machines.values():
        vm = hv.vms[0]
        if vm.hypercalls == 0 or vm.fault is not None:
            raise CostError("the checked-calls guest did not run its loop")
    overheads = [(r - 1) * 100 for r in ratios] or [0.0]
    return CostMeasurement(
        label=label or policy.name,
        backend=backend,
        pairs=pairs,
        calls=made,
        base_us=statistics.median(per_call_us["vulnerable"]),
        policy_us=statistics.median(per_call_us["policy"]),
        overhead_percent=statistics.median(overheads),
        spread_percent=_half_iqr(overheads),
    )


def _half_iqr(values: list[float]) -> float:
    """Half the interquartile range: the spread a median is quoted with (0 for fewer than 2)."""
    if len(values) < 2:
        return 0.0
    q1, _median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return (q3 - q1) / 2
