"""Raw unicorn: the same guest with nothing of hvlab's in the way, the floor `hvlab bench` compares with.

    seconds, calls = run_raw(program, until=None)

The program runs in a bare RISCV32 engine (the same narrowing to RV32IM as
the core, `qemu.new_engine`): no block, code or memory hook, no counting, no
alignment or self-modifying-code watch, no hypervisor. With `until` (the
address of its last instruction) it runs to there with no hook at all. A
program that makes hypercalls gets one interrupt hook, the cheapest that can
answer them: a ctypes callback that reads a7/a6 and writes a0/a1 (SBI SRST
stops the run; any other call succeeds with a1 = a0, which is what a console
write of a0 bytes returns). Its rate of calls is the floor for hypercalls.

`block_hook=True` adds a block hook that does nothing (one x86-64 `ret`, where
that machine code can run): the floor for any core that counts instructions by
unicorn's block hooks, as hvlab's does, since unicorn calls it before every
translated block however little it does.

Times are the CPU time of this process, like the rest of the bench.
"""

from __future__ import annotations

import ctypes
import time
from collections.abc import Iterable
from typing import Final

from unicorn import UC_HOOK_BLOCK, UC_HOOK_INTR
from unicorn.riscv_const import (
    UC_RISCV_REG_A0,
    UC_RISCV_REG_A1,
    UC_RISCV_REG_A6,
    UC_RISCV_REG_A7,
    UC_RISCV_REG_SP,
)
from unicorn.unicorn_py3.unicorn import uclib

from lab.cpu.uc import hooks, qemu

SRST: Final = 0x53525354
_NEVER: Final = 0xFFFF_FFFF
_INTR = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_uint32, ctypes.c_void_p)


def run_raw(
    segments: Iterable[tuple[int, bytes]],
    entry: int,
    *,
    ram_gpa: int,
    ram_size: int,
    until: int | None = None,
    block_hook: bool = False,
) -> tuple[float, int]:
    """Run the program in raw unicorn: (CPU seconds, hypercalls answered)."""
    uc, _ = qemu.new_engine()
    if block_hook:
        qemu.add_hook(uc, UC_HOOK_BLOCK, _empty_hook())
    uc.mem_map(ram_gpa, ram_size)
    for gpa, data in segments:
        uc.mem_write(gpa, data)
    uc.reg_write(UC_RISCV_REG_SP, ram_gpa + ram_size)
    uch = uc._uch
    value = ctypes.c_uint64()
    ref = ctypes.byref(value)
    read, write, stop = uclib.uc_reg_read, uclib.uc_reg_write, uclib.uc_emu_stop
    calls = 0

    def on_interrupt(_uc: int, intno: int, _ud: int) -> None:
        nonlocal calls
        if intno != 8:  # not an ecall: a fault, which a bench guest does not make
            stop(uch)
            return
        calls += 1
        read(uch, UC_RISCV_REG_A7, ref)
        if value.value == SRST:
            stop(uch)
            return
        read(uch, UC_RISCV_REG_A6, ref)
        read(uch, UC_RISCV_REG_A0, ref)
        write(uch, UC_RISCV_REG_A1, ref)
        value.value = 0
        write(uch, UC_RISCV_REG_A0, ref)

    hook = _INTR(on_interrupt)
    if until is None:
        qemu.add_hook(uc, UC_HOOK_INTR, qemu.address_of(hook))
    start = time.process_time()
    uclib.uc_emu_start(uch, entry, _NEVER if until is None else until, 0, 0)
    return time.process_time() - start, calls


_EMPTY_HOOK: list[tuple[int, object]] = []  # (address, its page), made once per process


def _empty_hook() -> int:
    """The address of a block hook that returns at once, as machine code."""
    if not _EMPTY_HOOK:
        mapped = hooks.executable(bytes([0xC3]))  # ret
        if mapped is None:
            raise RuntimeError("this host cannot run machine-code hooks")
        _EMPTY_HOOK.append(mapped)
    return _EMPTY_HOOK[0][0]
