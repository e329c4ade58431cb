"""The unicorn core: a `Cpu` that runs guest code with unicorn (QEMU's TCG JIT).

    cpu = UnicornCpu(bus)          # or lab.cpu.make_cpu("unicorn", bus)
    result = cpu.run(100_000)

It obeys the same stop rules as the pure-Python reference (`lab.cpu.interp`),
instruction for instruction; the differential tests hold it to that. QEMU's
RISC-V model is a bigger machine than ours, so the core narrows it down:

    * RV32IM only: the hart runs in U-mode (privileged instructions and CSRs
      trap as illegal) and the A, F, D and C bits are cleared from `misa`, so
      QEMU itself raises "illegal instruction" for compressed, atomic or
      floating-point code and "fetch misaligned" for a jump to a 2-aligned
      target. One difference remains: QEMU runs `fence.i` (a no-op here), the
      reference calls it illegal.
    * Misaligned loads and stores: QEMU performs them silently; a memory hook
      catches them, undoes the access and reports the fault.
    * Self-modifying code: unicorn misses a guest store into translated
      code. A block hook marks the RAM words run as code; a store onto a
      marked word stops the run after the store, drops the translations and
      goes on. On x86-64 Linux both hooks are a few bytes of native code that
      call Python only when there is something to do ("native hooks" below).
    * Stops: QEMU reports ecall with pc already past it, wfi (privileged in
      U-mode) as an illegal instruction, ebreak as UC_ERR_INSN_INVALID with pc
      on it; `run` turns each into the stop the reference gives.
    * Exact counting: `emu_start(count=n)` stops after exactly n instructions
      with a C-level counting hook (cheap). Unicorn keeps the count of the run
      in its engine struct but has no API to read it; the core finds the field
      once by a calibration run and reads it with ctypes. If the calibration
      fails (another unicorn build), it counts in a Python code hook: exact,
      but about a hundred times slower.

Memory is shared, not copied: RAM and mapped pages are `mem_map_ptr` views of
`bus.mem.buf`, MMIO ranges call the devices, and writes from outside this core
reach it through `PhysicalMemory.invalidate`, which drops the stale
translations (`ctl_remove_cache`). Unicorn is imported here and nowhere else.
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import mmap
import platform
import struct
import sys
import weakref
from dataclasses import dataclass
from enum import Enum
from typing import Any, Final

from unicorn import (
    UC_ARCH_RISCV,
    UC_ERR_ARG,
    UC_ERR_INSN_INVALID,
    UC_HOOK_BLOCK,
    UC_HOOK_CODE,
    UC_HOOK_INTR,
    UC_HOOK_MEM_FETCH_PROT,
    UC_HOOK_MEM_FETCH_UNMAPPED,
    UC_HOOK_MEM_READ,
    UC_HOOK_MEM_READ_PROT,
    UC_HOOK_MEM_READ_UNMAPPED,
    UC_HOOK_MEM_WRITE,
    UC_HOOK_MEM_WRITE_PROT,
    UC_HOOK_MEM_WRITE_UNMAPPED,
    UC_MEM_FETCH_PROT,
    UC_MEM_FETCH_UNMAPPED,
    UC_MEM_WRITE,
    UC_MEM_WRITE_PROT,
    UC_MEM_WRITE_UNMAPPED,
    UC_MODE_RISCV32,
    UC_PROT_ALL,
    UC_PROT_EXEC,
    UC_PROT_READ,
    Uc,
    UcError,
)
from unicorn.riscv_const import UC_RISCV_REG_MISA, UC_RISCV_REG_PC, UC_RISCV_REG_PRIV, UC_RISCV_REG_X0
from unicorn.unicorn_py3.unicorn import uclib

from lab.cpu.base import Cause, EcallHandler, Fault, RunResult, Stop, run_handling_ecalls
from lab.cpu.bus import PAGE_SHIFT, PAGE_SIZE, Bus, Mmio
from lab.riscv.isa import BY_NAME, Decoded, Kind, decode, sext

M: Final = 0xFFFFFFFF
_reg_read: Final = uclib.uc_reg_read
_reg_write: Final = uclib.uc_reg_write
_emu_start: Final = uclib.uc_emu_start
_U32: Final = struct.Struct("<I")
_X: Final[tuple[int, ...]] = tuple(UC_RISCV_REG_X0 + i for i in range(32))

# `until` for emu_start: an odd address, which no RISC-V pc can ever be.
_NEVER: Final = 0xFFFFFFFF

# RISC-V exception codes as unicorn's interrupt hook reports them. The hook
# runs before QEMU maps "ecall" to the ecall-from-mode code, so it is always 8.
_INTR_FETCH_MISALIGNED: Final = 0
_INTR_ILLEGAL: Final = 2
_INTR_BREAKPOINT: Final = 3
_INTR_ECALL: Final = 8

_PRV_U: Final = 0
# misa extension bits (privileged spec, "Machine ISA Register"): A, C, D, F.
_MISA_DROP: Final = 1 << 0 | 1 << 2 | 1 << 3 | 1 << 5
# QEMU's PRIV_VERSION_* encodings.
_PRIV_1_9_1: Final = 0x0001_0901
_PRIV_VERSIONS: Final = (0x0001_1000, 0x0001_1100)

_EBREAK: Final = BY_NAME["ebreak"].word
_WFI: Final = BY_NAME["wfi"].word
_ACCESS_SIZE: Final = {"lb": 1, "lbu": 1, "sb": 1, "lh": 2, "lhu": 2, "sh": 2, "lw": 4, "sw": 4}


class Counting(Enum):
    """How a core learns how many instructions a run retired."""

    NATIVE = "native"  # emu_start(count=n); the count read from the engine
    PYTHON = "python"  # a Python UC_HOOK_CODE counts (the fallback, ~100x slower)


def _new_engine() -> tuple[Uc, bool]:
    """A RISCV32 engine narrowed to RV32IM in U-mode; the flag says whether
    the misa patch took (see `_narrow_cpu`)."""
    uc = Uc(UC_ARCH_RISCV, UC_MODE_RISCV32)
    narrowed = _narrow_cpu(uc)  # before dropping to U-mode, where misa is unreadable
    uc.reg_write(UC_RISCV_REG_PRIV, _PRV_U)
    return uc, narrowed


def _narrow_cpu(uc: Uc) -> bool:
    """Make QEMU's hart an RV32IM one; True if it took.

    QEMU ignores misa writes on this model, so the fields are patched in a
    saved CPU context and the context restored. CPURISCVState (QEMU 5.0, which
    unicorn 2.1 is built on) holds `priv_ver, misa, misa_mask` side by side;
    misa is found by its value next to the identical mask. Then:
      * misa loses A, C, D and F;
      * priv_ver drops to 1.9.1, the last spec where U-mode needs mcounteren
        (zero) to read cycle/time/instret: without it those CSR reads would
        return host ticks and break determinism."""
    misa = uc.reg_read(UC_RISCV_REG_MISA)
    want = misa & ~_MISA_DROP
    ctx = uc.context_save()
    base = ctx.context.value
    raw = ctypes.string_at(base, ctx.size)
    off = raw.find(struct.pack("<II", misa, misa))
    while off != -1 and off % 4:
        off = raw.find(struct.pack("<II", misa, misa), off + 1)
    if off < 4 or _U32.unpack_from(raw, off - 4)[0] not in _PRIV_VERSIONS:
        return False
    ctypes.c_uint32.from_address(base + off).value = want
    ctypes.c_uint32.from_address(base + off - 4).value = _PRIV_1_9_1
    uc.context_restore(ctx)
    if uc.reg_read(UC_RISCV_REG_MISA) == want:
        return True
    ctx = uc.context_save()  # not what we thought it was: put the bytes back
    ctypes.c_uint32.from_address(ctx.context.value + off).value = misa
    ctypes.c_uint32.from_address(ctx.context.value + off - 4).value = _U32.unpack_from(raw, off - 4)[0]
    uc.context_restore(ctx)
    return False


def _engine_handle(uc: Uc) -> int:
    return uc._uch.value or 0  # the uc_engine pointer the binding holds


_SCAN_BYTES: Final = 4096
_counter_offset: int | bool | None = False  # False: not calibrated yet


def _calibrate_counter() -> int | None:
    """Offset of unicorn's `emu_counter` in its engine struct, or None.

    Runs known programs with distinctive budgets and looks for the 8-byte
    pair (instructions counted, budget) that unicorn keeps side by side."""
    from lab.riscv.isa import encode

    addi, ecall, wfi = BY_NAME["addi"], BY_NAME["ecall"], BY_NAME["wfi"]
    candidates: set[int] | None = None
    for n_addi, last, budget in ((3, ecall, 0x5EED_0001_2345), (6, wfi, 0x5EED_0006_789A)):
        uc, _ = _new_engine()
        uc.mem_map(0x1000, PAGE_SIZE)
        code = [encode(addi, 5, 5, 0, 1)] * n_addi + [encode(last)]
        uc.mem_write(0x1000, b"".join(_U32.pack(w) for w in code))
        uc.hook_add(UC_HOOK_INTR, lambda uc, _no, _ud: uc.emu_stop())
        try:
            uc.emu_start(0x1000, _NEVER, count=budget)
        except UcError:
            return None
        raw = ctypes.string_at(_engine_handle(uc), _SCAN_BYTES)
        found = {
            off
            for off in range(0, _SCAN_BYTES - 16, 8)
            if struct.unpack_from("<QQ", raw, off) == (n_addi + 1, budget)
        }
        candidates = found if candidates is None else candidates & found
    if candidates and len(candidates) == 1:
        return candidates.pop()
    return None


def counter_offset() -> int | None:
    """The calibrated offset (cached per process); None means Python counting."""
    global _counter_offset
    if _counter_offset is False:
        _counter_offset = _calibrate_counter()
    return _counter_offset  # type: ignore[return-value]


# -- native hooks
#
# Two things need a look at guest memory traffic that unicorn does not give:
#
#   * QEMU's RISC-V model performs misaligned loads and stores; the
#     reference faults on them.
#   * QEMU would notice a store into translated code through dirty-page
#     tracking, which unicorn leaves out: a guest that rewrites its own code
#     would run the stale translation.
#
# A Python hook on every access costs about a microsecond, 30 times the cost
# of the access. So on x86-64 Linux each core gets two small native hooks
# that call Python only when something is to be done:
#
#   block hook (every translated block run): mark its words in `code`, one
#   byte per RAM word:
#       rsi -= ram_gpa; if rsi >= ram_size: ret
#       memset(code + rsi / 4, 1, size / 4)                 (rep stosb)
#   access hook (every load and store):
#       if address & (size - 1): goto slow                  misaligned
#       if store and address in RAM and code[(address - ram_gpa) / 4]: goto slow
#       ret
#     slow: tail-call the Python callback, arguments untouched.
#
# Elsewhere, or if the host refuses executable memory, Python hooks do the
# same (exact, just slower).

_MemHook = ctypes.CFUNCTYPE(
    None, ctypes.c_void_p, ctypes.c_int, ctypes.c_uint64, ctypes.c_int, ctypes.c_int64, ctypes.c_void_p
)
_cores: weakref.WeakValueDictionary[int, UnicornCpu] = weakref.WeakValueDictionary()


def _slow_access(_uch: int, access: int, address: int, size: int, _value: int, key: int) -> None:
    cpu = _cores.get(key)
    if cpu is not None:
        cpu._on_access(cpu._uc, access, address, size, 0, None)


_SLOW: Final = _MemHook(_slow_access)


def _imm64(v: int) -> bytes:
    return struct.pack("<Q", v & 0xFFFF_FFFF_FFFF_FFFF)


def _native_hooks(ram_gpa: int, ram_size: int, code_map: int) -> tuple[int, int, object] | None:
    """(block hook, access hook, the page holding them) for one core, or None."""
    if platform.machine().lower() not in ("x86_64", "amd64") or not sys.platform.startswith("linux"):
        return None
    target = ctypes.cast(_SLOW, ctypes.c_void_p).value or 0
    in_ram = (
        b"\x49\xba" + _imm64(ram_gpa)  # movabs r10, ram_gpa
        + b"\x4c\x29\xd0"  # sub rax, r10
        + b"\x49\xba" + _imm64(ram_size)  # movabs r10, ram_size
        + b"\x4c\x39\xd0"  # cmp rax, r10
    )  # fmt: skip
    mark = (
        b"\x48\xc1\xe8\x02"  # shr rax, 2
        + b"\x48\xbf" + _imm64(code_map)  # movabs rdi, code
        + b"\x48\x01\xc7"  # add rdi, rax
        + b"\x89\xd1\xc1\xe9\x02"  # mov ecx, edx; shr ecx, 2
        + b"\xb0\x01\xf3\xaa"  # mov al, 1; rep stosb
    )  # fmt: skip
    block = (
        b"\x48\x89\xf0" + in_ram + b"\x73" + bytes([len(mark)]) + mark + b"\xc3"
    )  # mov rax, rsi; ...; jae ret
    tail = (
        b"\x48\xc1\xe8\x02"  # shr rax, 2
        + b"\x49\xba" + _imm64(code_map)  # movabs r10, code
        + b"\x41\x80\x3c\x02\x00"  # cmp byte [r10 + rax], 0
        + b"\x75\x01"  # jne slow
        + b"\xc3"  # ret
    )  # fmt: skip
    slow = b"\x48\xb8" + _imm64(target) + b"\xff\xe0"  # movabs rax, target; jmp rax
    check = b"\x48\x89\xd0" + in_ram + b"\x73" + bytes([len(tail) - 1]) + tail  # mov rax, rdx; ...; jae ret
    head_rest = (
        b"\x83\xfe" + bytes([UC_MEM_WRITE]) + b"\x75" + bytes([len(check) - 1])
    )  # cmp esi, WRITE; jne ret
    access = (
        b"\x8d\x41\xff\x48\x85\xc2"  # lea eax, [rcx - 1]; test rdx, rax
        + b"\x75" + bytes([len(head_rest) + len(check)])  # jnz slow
        + head_rest + check + slow
    )  # fmt: skip
    try:
        page = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE)
        page.write(block + access)
        base = ctypes.addressof(ctypes.c_char.from_buffer(page))
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.mprotect(ctypes.c_void_p(base), mmap.PAGESIZE, mmap.PROT_READ | mmap.PROT_EXEC) != 0:
            return None
    except (OSError, AttributeError, ValueError):
        return None
    return base, base + len(block), page


def _hook_native(uc: Uc, kind: int, fn: int, key: int) -> None:
    handle = ctypes.c_size_t()
    status = uclib.uc_hook_add(
        uc._uch,
        ctypes.byref(handle),
        kind,
        ctypes.c_void_p(fn),
        ctypes.c_void_p(key),
        ctypes.c_uint64(1),
        ctypes.c_uint64(0),
    )
    if status:
        raise UcError(status)


_keys = itertools.count(1)


@dataclass(slots=True)
class _Pending:
    """A fault noticed inside a hook; applied once emu_start has returned."""

    fault: Fault
    retired: int
    restore_reg: tuple[int, int] | None = None  # (rd, old value): a load that completed anyway
    restore_mem: tuple[int, bytes] | None = None  # (gpa, old bytes): a store that completed anyway


class UnicornCpu:
    """One RV32IM hart run by unicorn. See `lab.cpu.base` for the contract."""

    backend = "unicorn"

    def __init__(self, bus: Bus, *, counting: Counting | None = None, native_filter: bool = True) -> None:
        self.bus = bus
        self.instret = 0
        uc, self.narrowed = _new_engine()
        self._uc = uc
        self._uch = uc._uch
        self._scratch = ctypes.c_uint64()  # unicorn writes a 64-bit value for RISC-V registers
        self._scratch_ref = ctypes.byref(self._scratch)
        if counting is None:
            counting = Counting.NATIVE if counter_offset() is not None else Counting.PYTHON
        if counting == Counting.NATIVE and counter_offset() is None:
            raise ValueError("native instruction counting is not available with this unicorn build")
        self.counting = counting
        self._counter: Any = None
        if counting == Counting.NATIVE:
            self._counter = ctypes.c_uint64.from_address(_engine_handle(uc) + counter_offset())  # type: ignore[operator]
        else:
            self._py_count = 0
            self._py_budget = 0
            uc.hook_add(UC_HOOK_CODE, self._on_code)
        self._closed = False
        self._storing = False  # inside our own store's invalidate call
        self._running = False  # inside emu_start
        self._resync: list[tuple[int, int]] = []  # host ranges written during emu_start
        self._slice_retired = 0
        # An access that QEMU abandoned after we stopped it, for `run` to
        # finish: (pc, value a device returned, whether to redo a RAM store).
        self._done: tuple[int, int | None, bool] | None = None
        self._event: tuple[int, int] | None = None  # (interrupt number, pc) from the interrupt hook
        self._pending: _Pending | None = None

        mem = bus.mem
        self._host = (ctypes.c_char * mem.size).from_buffer(mem.buf)
        self._host_base = ctypes.addressof(self._host)
        uc.mem_map_ptr(bus.ram_gpa, bus.ram_size, UC_PROT_ALL, self._host_base + bus.ram_host)
        mem.mark_code(bus.ram_host, bus.ram_host + bus.ram_size)
        self._mapped: dict[int, tuple[object, ...]] = {}  # gpa of a 4 KiB page -> how it is mapped
        self._sync_layout()
        bus.on_change(self._sync_layout)
        mem.on_invalidate(self._invalidate)

        uc.hook_add(UC_HOOK_INTR, self._on_interrupt)
        uc.hook_add(
            UC_HOOK_MEM_READ_UNMAPPED
            | UC_HOOK_MEM_WRITE_UNMAPPED
            | UC_HOOK_MEM_FETCH_UNMAPPED
            | UC_HOOK_MEM_READ_PROT
            | UC_HOOK_MEM_WRITE_PROT
            | UC_HOOK_MEM_FETCH_PROT,
            self._on_bad_access,
        )
        # Misaligned accesses and stores into translated code (see "native
        # hooks" above): native hooks where possible, else Python ones.
        self._code = (ctypes.c_char * (bus.ram_size >> 2))()  # 1 per RAM word run as code
        native = (
            _native_hooks(bus.ram_gpa, bus.ram_size, ctypes.addressof(self._code)) if native_filter else None
        )
        self.native_filter = native is not None
        if native is not None:
            block_fn, access_fn, self._native_page = native
            key = next(_keys)
            _cores[key] = self
            _hook_native(uc, UC_HOOK_BLOCK, block_fn, key)
            _hook_native(uc, UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE, access_fn, key)
        else:
            uc.hook_add(UC_HOOK_BLOCK, self._on_block)
            uc.hook_add(UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE, self._on_access)
        # Stores outside RAM may land in a shared page: tell the other cores.
        ram_end = bus.ram_gpa + bus.ram_size
        if bus.ram_gpa:
            uc.hook_add(UC_HOOK_MEM_WRITE, self._on_shared_store, None, 0, bus.ram_gpa - 1)
        if ram_end <= M:
            uc.hook_add(UC_HOOK_MEM_WRITE, self._on_shared_store, None, ram_end, M)

    # -- registers
    #
    # Straight to the C API with one reusable buffer: the binding's reg_read
    # builds ctypes objects per call, and the hypervisor reads a0..a7 on every
    # hypercall.

    def _read(self, reg: int) -> int:
        if _reg_read(self._uch, reg, self._scratch_ref):
            raise UcError(UC_ERR_ARG)
        return self._scratch.value & M

    def _write(self, reg: int, value: int) -> None:
        self._scratch.value = value & M
        if _reg_write(self._uch, reg, self._scratch_ref):
            raise UcError(UC_ERR_ARG)

    @property
    def pc(self) -> int:
        return self._read(UC_RISCV_REG_PC)

    @pc.setter
    def pc(self, value: int) -> None:
        self._write(UC_RISCV_REG_PC, value)

    def get_reg(self, index: int) -> int:
        return self._read(_X[index]) if index else 0

    def set_reg(self, index: int, value: int) -> None:
        if index:
            self._write(_X[index], value)

    def regs(self) -> list[int]:
        return [v & M for v in self._uc.reg_read_batch(_X)]

    def snapshot(self) -> dict[str, Any]:
        """The architectural state as plain data (regs, pc, instret)."""
        return {"regs": self.regs(), "pc": self.pc, "instret": self.instret}

    def restore(self, state: dict[str, Any]) -> None:
        self._uc.reg_write_batch([(_X[i], v & M) for i, v in enumerate(state["regs"]) if i])
        self.pc = state["pc"]
        self.instret = state["instret"]

    def reset(self, pc: int, sp: int) -> None:
        self._uc.reg_write_batch([(_X[i], 0) for i in range(1, 32)])
        self.set_reg(2, sp)
        self.pc = pc
        self.instret = 0
        self._uc.ctl_flush_tb()
        ctypes.memset(self._code, 0, len(self._code))

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.bus.mem.off_invalidate(self._invalidate)
        self.bus.off_change(self._sync_layout)
        self._counter = None
        del self._uc  # the engine is freed with its last reference

    # -- running

    def run(self, max_instructions: int, *, on_ecall: EcallHandler | None = None) -> RunResult:
        if on_ecall is None:
            return self._run(max_instructions)
        return run_handling_ecalls(self._run, max_instructions, on_ecall, lambda: self.pc)

    def _run(self, max_instructions: int) -> RunResult:
        done = 0
        while True:
            r = self._slice(max_instructions - done)
            if r is None:  # code changed under our feet: go on with fresh translations
                done += self._slice_retired
                continue
            if done:
                r = RunResult(r.stop, done + r.retired, r.pc, r.fault)
            self.instret += r.retired
            return r

    def _slice(self, budget: int) -> RunResult | None:
        """One emu_start. None if it was cut short because a device wrote
        over translated code (`_slice_retired` says how far it got)."""
        uc = self._uc
        start = self._read(UC_RISCV_REG_PC)
        if budget <= 0:
            return RunResult(Stop.BUDGET, 0, start)
        if start & 3:
            return self._fault(Fault(Cause.FETCH_MISALIGNED, start, start), 0)
        self._event = None
        self._pending = None
        self._done = None
        if self._counter is not None:
            count = budget
        else:
            self._py_count, self._py_budget, count = 0, budget, 0
        # The binding's emu_start minus its wrapping; a Python exception in one
        # of our hooks is still re-raised the way the binding would.
        uc._hook_exception = None
        self._running = True
        try:
            error = _emu_start(self._uch, start, _NEVER, 0, count)
        finally:
            self._running = False
        resync, self._resync = self._resync, []
        done, self._done = self._done, None
        for lo, hi in resync:
            self._invalidate(lo, hi)
        if uc._hook_exception is not None:
            raise uc._hook_exception
        counted = self._count()
        pending = self._pending
        if pending is not None:
            if pending.restore_reg is not None:
                self.set_reg(*pending.restore_reg)
            if pending.restore_mem is not None:
                uc.mem_write(*pending.restore_mem)
            if pending.retired >= budget:
                # QEMU fetches (translates) the next block before its first
                # instruction is counted, so a fetch fault can arrive after the
                # budget ran out: that instruction was never due.
                self._write(UC_RISCV_REG_PC, pending.fault.pc)
                return RunResult(Stop.BUDGET, budget, pending.fault.pc)
            return self._fault(pending.fault, pending.retired)
        if self._event is not None:
            intno, after = self._event
            pc = (after - 4) & M
            if intno == _INTR_ECALL:
                return RunResult(Stop.ECALL, counted, pc)
            if intno == _INTR_BREAKPOINT:
                return RunResult(Stop.EBREAK, counted, pc)
            self._write(UC_RISCV_REG_PC, pc)
            if intno == _INTR_FETCH_MISALIGNED:
                return self._fault(Fault(Cause.FETCH_MISALIGNED, pc, self._jump_target(pc)), counted - 1)
            if intno == _INTR_ILLEGAL and self._word(pc) == _WFI:
                # wfi is privileged in QEMU's U-mode: it retires here and yields.
                self._write(UC_RISCV_REG_PC, after)
                return RunResult(Stop.WFI, counted, pc)
            if intno == _INTR_ILLEGAL:
                return self._fault(Fault(Cause.ILLEGAL_INSTRUCTION, pc, self._word(pc)), counted - 1)
            raise RuntimeError(f"unicorn raised unexpected exception {intno} at {pc:#010x}")
        pc = self._read(UC_RISCV_REG_PC)
        if error == UC_ERR_INSN_INVALID and self._word(pc) == _EBREAK:
            # QEMU turns ebreak into a debug exit with pc on the ebreak: step over it.
            self._write(UC_RISCV_REG_PC, (pc + 4) & M)
            return RunResult(Stop.EBREAK, counted, pc)
        if error:
            raise RuntimeError(f"unicorn stopped with error {error} at {pc:#010x} and no fault recorded")
        if counted > budget:
            return RunResult(Stop.BUDGET, budget, pc)
        if resync:
            if done is not None and done[0] == pc:
                self._finish_access(pc, done[1], store=done[2])  # abandoned by QEMU
                self._slice_retired = counted
            else:
                self._slice_retired = counted - 1  # stopped in front of the next instruction
            return None
        if self._word((pc - 4) & M) == _WFI:
            # QEMU halts the hart on wfi, with pc already past it.
            return RunResult(Stop.WFI, counted, (pc - 4) & M)
        raise RuntimeError(f"unicorn stopped early at {pc:#010x} for no known reason")

    def _finish_access(self, pc: int, loaded: int | None, *, store: bool) -> None:
        """Complete the load or store at pc that QEMU abandoned when we
        stopped it from inside the access, then step past it."""
        d = decode(self._word(pc))
        if d is not None and d.name in _ACCESS_SIZE:
            size = _ACCESS_SIZE[d.name]
            if store:
                value = self.get_reg(d.rs2) & ((1 << (8 * size)) - 1)
                self._uc.mem_write((self.get_reg(d.rs1) + d.imm) & M, value.to_bytes(size, "little"))
            elif loaded is not None and d.rd:
                self.set_reg(d.rd, sext(loaded, 8 * size) if d.name in ("lb", "lh") else loaded)
        self._write(UC_RISCV_REG_PC, (pc + 4) & M)

    def _count(self) -> int:
        """Instructions begun in this emu_start, including one that faulted
        or the one the budget stopped in front of."""
        return self._counter.value if self._counter is not None else self._py_count

    def _fault(self, fault: Fault, retired: int) -> RunResult:
        self._write(UC_RISCV_REG_PC, fault.pc)
        return RunResult(Stop.FAULT, retired, fault.pc, fault)

    # -- hooks (called by unicorn from inside emu_start)

    def _on_code(self, uc: Uc, _address: int, _size: int, _ud: object) -> None:
        self._py_count += 1
        if self._py_count > self._py_budget:
            uc.emu_stop()

    def _on_interrupt(self, uc: Uc, intno: int, _ud: object) -> None:
        if self._event is None and self._pending is None:
            self._event = (intno, self._read(UC_RISCV_REG_PC))
        uc.emu_stop()

    def _on_block(self, uc: Uc, address: int, size: int, _ud: object) -> None:
        """Python twin of the native block hook: note the words run as code."""
        off = address - self.bus.ram_gpa
        if 0 <= off < self.bus.ram_size:
            ctypes.memset(ctypes.addressof(self._code) + (off >> 2), 1, size >> 2)

    def _on_access(self, uc: Uc, access: int, address: int, size: int, _value: int, _ud: object) -> bool:
        """Python twin of the native access hook (which calls it for the
        cases below): a misaligned access, or a store over code run before."""
        if address & (size - 1):
            self._data_fault(access == UC_MEM_WRITE, completes=True)
        elif access == UC_MEM_WRITE:
            off = address - self.bus.ram_gpa
            if 0 <= off < self.bus.ram_size and self._code[off >> 2] != b"\0":
                # The store goes ahead; stop after it and retranslate (`_slice`).
                ctypes.memset(ctypes.addressof(self._code) + (off >> 2), 0, max(size >> 2, 1))
                host = self.bus.ram_host + off
                self._resync.append((host, host + size))
                if self._done is None:
                    self._done = (self._read(UC_RISCV_REG_PC), None, True)
                uc.emu_stop()
        return True

    def _on_shared_store(
        self, uc: Uc, _access: int, address: int, size: int, _value: int, _ud: object
    ) -> bool:
        """A store outside RAM, perhaps into a granted page that another core
        has translated code from."""
        if address & (size - 1) == 0:
            host = self.bus.translate(address, size, write=True)
            if host is not None:
                self._notify_others(host, host + size)
        return True

    def _on_bad_access(self, uc: Uc, access: int, address: int, _size: int, _value: int, _ud: object) -> bool:
        if access in (UC_MEM_FETCH_UNMAPPED, UC_MEM_FETCH_PROT):
            if self._pending is None:
                self._pending = _Pending(Fault(Cause.FETCH_ACCESS, address, address), self._count())
        else:
            self._data_fault(access in (UC_MEM_WRITE_UNMAPPED, UC_MEM_WRITE_PROT), completes=False)
        return False

    def _data_fault(self, store: bool, *, completes: bool) -> None:
        """Record the fault of the load/store at pc. `completes`: QEMU will
        still perform it, so save what it overwrites for the undo."""
        if self._pending is not None:
            return
        uc = self._uc
        pc = self._read(UC_RISCV_REG_PC)
        d = decode(self._word(pc))
        if d is None or d.spec.kind not in (Kind.LOAD, Kind.STORE):
            raise RuntimeError(f"memory fault at {pc:#010x} from a non-memory instruction")
        addr = (self.get_reg(d.rs1) + d.imm) & M
        size = _ACCESS_SIZE[d.name]
        if addr & (size - 1):
            cause = Cause.STORE_MISALIGNED if store else Cause.LOAD_MISALIGNED
        else:
            cause = Cause.STORE_ACCESS if store else Cause.LOAD_ACCESS
        pending = _Pending(Fault(cause, pc, addr), self._count() - 1)
        if completes:
            if store:
                # If it crosses into unmapped memory, QEMU faults the rest anyway.
                with contextlib.suppress(UcError):
                    pending.restore_mem = (addr, bytes(uc.mem_read(addr, size)))
            elif d.rd:
                pending.restore_reg = (d.rd, self.get_reg(d.rd))
        self._pending = pending
        uc.emu_stop()

    # -- MMIO

    def _mmio_read(self, uc: Uc, offset: int, size: int, page_gpa: int) -> int:
        addr = page_gpa + offset
        found = self._device_for(addr, store=False)
        if found is None:
            return 0
        base, device = found
        value = device.read(addr - base, size) & ((1 << (8 * size)) - 1)
        self._after_device(value)
        return value

    def _mmio_write(self, uc: Uc, offset: int, size: int, value: int, page_gpa: int) -> None:
        addr = page_gpa + offset
        found = self._device_for(addr, store=True)
        if found is not None:
            base, device = found
            device.write(addr - base, size, value & ((1 << (8 * size)) - 1))
            self._after_device(None)

    def _after_device(self, loaded: int | None) -> None:
        """If the device wrote memory, `_invalidate` asked unicorn to stop,
        and a stop requested inside a device access makes QEMU abandon the
        instruction and run it again later. The device must not see the
        access twice, so `run` completes the instruction itself (`_done`)."""
        if self._resync and self._done is None:
            self._done = (self._read(UC_RISCV_REG_PC), loaded, False)

    def _device_for(self, addr: int, *, store: bool) -> tuple[int, Mmio] | None:
        """The device an MMIO access may reach, or None after recording the
        fault. QEMU splits a misaligned device access into aligned pieces
        before any hook sees it, so alignment is judged on the instruction."""
        if self._pending is not None:
            return None
        found = self.bus.device_at(addr)
        if found is None or self._misaligned_at_pc():
            self._data_fault(store, completes=not store)
            return None
        return found

    def _misaligned_at_pc(self) -> bool:
        d = decode(self._word(self._read(UC_RISCV_REG_PC)))
        if d is None or d.name not in _ACCESS_SIZE:
            return False
        return bool((self.get_reg(d.rs1) + d.imm) & (_ACCESS_SIZE[d.name] - 1))

    # -- address space

    def _sync_layout(self) -> None:
        """Mirror the bus's pages and devices into unicorn's memory map."""
        if self._closed:
            return
        bus, uc = self.bus, self._uc
        ram_lo, ram_hi = bus.ram_gpa >> PAGE_SHIFT, (bus.ram_gpa + bus.ram_size) >> PAGE_SHIFT
        want: dict[int, tuple[object, ...]] = {}
        for gpn, page in bus.pages.items():
            if not ram_lo <= gpn < ram_hi:
                want[gpn << PAGE_SHIFT] = ("page", page.host_off, page.writable)
        for base, size, _dev in bus.mmio:
            for gpn in range(base >> PAGE_SHIFT, (base + size - 1 >> PAGE_SHIFT) + 1):
                if not ram_lo <= gpn < ram_hi and (gpn << PAGE_SHIFT) not in want:
                    want[gpn << PAGE_SHIFT] = ("mmio",)
        for gpa, how in list(self._mapped.items()):
            if want.get(gpa) != how:
                uc.mem_unmap(gpa, PAGE_SIZE)
                del self._mapped[gpa]
        for gpa, how in want.items():
            if gpa in self._mapped:
                continue
            if how[0] == "page":
                host_off, writable = how[1], how[2]
                perms = UC_PROT_ALL if writable else UC_PROT_READ | UC_PROT_EXEC
                uc.mem_map_ptr(gpa, PAGE_SIZE, perms, self._host_base + host_off)  # type: ignore[operator]
                bus.mem.mark_code(host_off, host_off + PAGE_SIZE)  # type: ignore[operator]
            else:
                uc.mmio_map(gpa, PAGE_SIZE, self._mmio_read, gpa, self._mmio_write, gpa)
            self._mapped[gpa] = how

    def _invalidate(self, start: int, end: int) -> None:
        """Host bytes [start, end) were written by someone else: drop the
        translations of the guest addresses that show them."""
        if self._storing:
            return
        if self._running:
            # A device wrote memory mid-run. Dropping translations now could
            # drop the block being executed, and QEMU would then re-execute
            # the device access. Stop after this instruction, drop them then,
            # and go on with fresh ones.
            self._resync.append((start, end))
            self._uc.emu_stop()
            return
        bus, uc = self.bus, self._uc
        lo, hi = max(start, bus.ram_host), min(end, bus.ram_host + bus.ram_size)
        if lo < hi:
            uc.ctl_remove_cache(bus.ram_gpa + lo - bus.ram_host, bus.ram_gpa + hi - bus.ram_host)
        for gpa, how in self._mapped.items():
            if how[0] == "page":
                host_off: int = how[1]  # type: ignore[assignment]
                lo, hi = max(start, host_off), min(end, host_off + PAGE_SIZE)
                if lo < hi:
                    uc.ctl_remove_cache(gpa + lo - host_off, gpa + hi - host_off)

    def _notify_others(self, start: int, end: int) -> None:
        """A guest store into a shared page: other cores may have translated
        it. Unicorn handles its own stores, so this core sits it out."""
        self._storing = True
        try:
            self.bus.mem.invalidate(start, end)
        finally:
            self._storing = False

    # -- decoding help

    def _word(self, pc: int) -> int:
        try:
            return _U32.unpack(self._uc.mem_read(pc, 4))[0]
        except UcError:
            return 0

    def _jump_target(self, pc: int) -> int:
        d: Decoded | None = decode(self._word(pc))
        if d is None:
            return pc
        kind = d.spec.kind
        if kind is Kind.JALR:
            return (self.get_reg(d.rs1) + d.imm) & 0xFFFFFFFE
        return (pc + d.imm) & M
