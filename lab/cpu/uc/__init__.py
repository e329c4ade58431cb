"""The unicorn core: RV32IM guests run by unicorn (QEMU's TCG JIT) behind the `Cpu` protocol.

    from lab.cpu.uc import UnicornCpu      # or lab.cpu.make_cpu("unicorn", bus)
    cpu = UnicornCpu(bus)
    result = cpu.run(100_000, on_ecall=handler)

One job per module:

    core.py    the adapter, `UnicornCpu`: runs, stops and faults, the memory map,
               translations dropped when code is written, hypercalls inline
    blocks.py  what a translated block may do unwatched: the alignment proof
    hooks.py   the hooks that run inside emu_start: machine code on x86-64 Linux,
               their Python twins elsewhere, and the tables they share
    qemu.py    QEMU's internals reached into: the narrowed hart, where the
               registers live, hook ranges, the two sets of translations
    x86.py     the small assembler hooks.py writes its machine code with

Unicorn is imported in this package and nowhere else in hvlab.
"""

from lab.cpu.uc.core import UnicornCpu

__all__ = ["UnicornCpu"]
