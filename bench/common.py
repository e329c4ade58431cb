"""What every benchmark needs: building a guest, running it bare or on a hypervisor.

Times are the CPU time of this process (`time.process_time`): the guest runs
on this one thread, unicorn included, and CPU time is not inflated by other
load on a shared machine the way wall time is. Under Pyodide, whose
`process_time` is wall time, `bench.pyodide` swaps in Node's own CPU clock
(`cpu_clock`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Final

from lab.cpu import PhysicalMemory, Stop, make_cpu
from lab.cpu.bus import Bus
from lab.riscv.asm import assemble
from lab.riscv.program import Program, Segment

RAM_GPA: Final = 0x8000_0000

# The end of every bench guest: SBI SRST, shut this VM down (and, should it return, stop).
SHUTDOWN: Final = """\
    li      a7, 0x53525354
    li      a6, 0
    li      a0, 0
    li      a1, 0
    ecall
    ebreak
"""

cpu_clock: Callable[[], float] = time.process_time  # seconds of CPU this process used
RAM_SIZE: Final = 1 << 20


class BenchError(RuntimeError):
    """A benchmark guest did not do what it should (so its figure would be meaningless)."""


# ---------------------------------------------------------------- running guests


def run_on_cpu(backend: str, source: str) -> tuple[int, float]:
    """Assemble `source`, run it on a bare CPU (no hypervisor) to its ebreak:
    (instructions retired, seconds)."""
    image = assemble(source, filename="bench.S", base=RAM_GPA)
    mem = PhysicalMemory(RAM_SIZE)
    mem.write(0, image.data)
    cpu = make_cpu(backend, Bus(mem, ram_gpa=RAM_GPA, ram_host=0, ram_size=RAM_SIZE))
    try:
        cpu.reset(image.entry, RAM_GPA + RAM_SIZE)
        start = cpu_clock()
        while True:
            result = cpu.run(1 << 30)
            if result.stop is Stop.EBREAK:
                break
            if result.stop is not Stop.BUDGET:
                raise BenchError(f"bench guest stopped with {result.stop.value} at {result.pc:#010x}")
        return cpu.instret, cpu_clock() - start
    finally:
        cpu.close()


def run_on_hv(
    backend: str, *programs: Program, policy: str = "vulnerable", control: bool = False, wait_for: int = 0
) -> tuple[int, int, float]:
    """Run `programs` as the VMs of a fresh hypervisor until VM `wait_for` shuts
    down: (instructions retired by all, hypercalls made by all, seconds)."""
    from lab.hv import Hypervisor, Idle, Policy, VmConfig, VmState

    hv = Hypervisor(backend=backend, policy=Policy.preset(policy), host_memory=8 << 20)
    hv.on_output = lambda vm, data: None
    for i, prog in enumerate(programs):
        hv.create_vm(VmConfig(f"bench{i}", program=prog, memory=RAM_SIZE, control=control and i == 0))
    vm = hv.vms[wait_for]
    start = cpu_clock()
    while vm.state is VmState.RUNNING:
        if hv.run(1 << 24).reason is not Idle.BUDGET and not any(v.runnable for v in hv.vms):
            break  # every vCPU waits for an event that will never come
    elapsed = cpu_clock() - start
    if vm.exit_code != 0:
        why = vm.fault.describe() if vm.fault else f"state {vm.state.name.lower()}, exit code {vm.exit_code}"
        raise BenchError(f"bench guest {vm.config.program.name} did not finish cleanly: {why}")
    return hv.time, sum(v.hypercalls for v in hv.vms), elapsed


def run_raw_unicorn(
    prog: Program, *, until: str | None = None, block_hook: bool = False
) -> tuple[float, int]:
    """Run `prog` in raw unicorn, with no hvlab in the way (lab.cpu.uc.raw):
    (seconds, hypercalls made). `until`: stop at that symbol, with no hook
    at all; else hypercalls are answered by the cheapest hook there is.
    `block_hook`: add a block hook that does nothing."""
    from lab.cpu.uc.raw import run_raw

    return run_raw(
        ((seg.gpa, seg.data) for seg in prog.segments),
        prog.entry,
        ram_gpa=RAM_GPA,
        ram_size=RAM_SIZE,
        until=None if until is None else prog.symbols[until],
        block_hook=block_hook,
    )


def program(source: str, name: str) -> Program:
    image = assemble(source, filename=f"{name}.S", base=RAM_GPA)
    return Program(name, [Segment(image.base, image.data, len(image.data))], image.entry, image.symbols)
