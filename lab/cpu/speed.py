"""How fast a core runs guest code: MIPS on a tight loop, on a bare core.

    figure = tight_loop("interp", iterations=200_000)   # CoreSpeed(instructions, seconds)
    figure.mips

The loop is two instructions, `addi t0, t0, -1` and `bnez t0, 1b`, run `iterations`
times on a core with nothing around it (no hypervisor, no devices), after a short
warm-up run that pays for translating it. It is the figure `hvlab bench` prints first
and the one the browser lab measures in the page (the bridge asks it of the worker):
what the emulator itself costs, before any hypercall. Times are this process's CPU time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Final

from lab.cpu import PhysicalMemory, Stop, make_cpu
from lab.cpu.bus import Bus
from lab.riscv.board import RAM_BASE as RAM_GPA

TIGHT_LOOP: Final = """
_start:
    li      t0, {n}
1:  addi    t0, t0, -1
    bnez    t0, 1b
    ebreak
"""
RAM_SIZE: Final = 64 << 10


@dataclass(frozen=True, slots=True)
class CoreSpeed:
    instructions: int
    seconds: float

    @property
    def mips(self) -> float:
        return self.instructions / max(self.seconds, 1e-9) / 1e6


def run_to_ebreak(backend: str, source: str) -> CoreSpeed:
    """Assemble `source`, run it on a bare core to its ebreak: what it retired, in how long."""
    from lab.riscv.asm import assemble

    image = assemble(source, filename="speed.S", base=RAM_GPA)
    mem = PhysicalMemory(RAM_SIZE)
    mem.write(0, image.data)
    cpu = make_cpu(backend, Bus(mem, ram_gpa=RAM_GPA, ram_host=0, ram_size=RAM_SIZE))
    try:
        cpu.reset(image.entry, RAM_GPA + RAM_SIZE)
        start = time.process_time()
        while True:
            result = cpu.run(1 << 30)
            if result.stop is Stop.EBREAK:
                break
            if result.stop is not Stop.BUDGET:
                raise RuntimeError(f"the guest stopped with {result.stop.value} at {result.pc:#010x}")
        return CoreSpeed(cpu.instret, time.process_time() - start)
    finally:
        cpu.close()


def tight_loop(backend: str = "interp", *, iterations: int = 200_000) -> CoreSpeed:
    """The core's speed on the tight loop (after a warm-up run)."""
    run_to_ebreak(backend, TIGHT_LOOP.format(n=1000))
    return run_to_ebreak(backend, TIGHT_LOOP.format(n=max(1, int(iterations))))
