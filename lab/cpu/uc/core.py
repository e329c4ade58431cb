"""The unicorn core: a `Cpu` that runs guest code with unicorn (QEMU's TCG JIT).

    cpu = UnicornCpu(bus)          # or lab.cpu.make_cpu("unicorn", bus)
    result = cpu.run(100_000, on_ecall=handler)

It obeys the reference's stop rules (`lab.cpu.base`, `lab.cpu.interp`)
instruction for instruction; the differential tests hold it to that. QEMU's
RISC-V hart is a bigger machine than ours and cuts corners ours must not, so
the core narrows and watches it, at block granularity wherever it can:

    * RV32IM in U-mode (`lab.cpu.uc.qemu`): privileged instructions and CSRs
      trap, compressed, atomic and float encodings are illegal.
    * Privilege levels in Python: QEMU's hart stays in U-mode whatever level
      the guest's hart is at (`priv`, lab.cpu.priv), so every CSR instruction
      and `sret` raises an illegal-instruction exception in QEMU, and the
      interrupt hook runs it on `priv`, the very code the reference runs, and
      lets QEMU go on (at sepc after sret, at stvec after a trap). Nothing of
      it touches fast mode: only the instructions that need it leave QEMU,
      one interrupt hook each. An exception in user mode (careful mode's stops,
      the access hooks' faults) becomes a trap into the guest kernel in
      `_fault` instead of a FAULT stop.
    * Exact budgets: the block hook counts whole blocks as they start and
      stops in front of the first one that would overrun the budget; the few
      instructions left (the tail) run in careful mode, counted one by one.
    * Faults as the reference has them: QEMU performs misaligned accesses, so
      each block's alignment is proven once (`lab.cpu.uc.blocks`); a block
      that cannot be proven, or whose entry conditions fail, runs in careful
      mode, where a check before each access stops in front of a misaligned
      one. A faulting instruction therefore never starts, and changes nothing.
    * Code written by anyone is seen at once: every page holding translated
      code is mapped read-only, and the write-protect hook does the stores to
      it, stopping right after one that hits a translated word (even later in
      the running block). Writes by the hypervisor or another hart arrive
      through `PhysicalMemory.invalidate`; this core's stores to a page that
      another hart maps are passed on the same way.
    * Hypercalls inline: an ecall reaches the interrupt hook, which hands it
      to `on_ecall` and lets QEMU run on, unless the handler changed what QEMU
      must not see change under it (the memory map, a reset): then the core
      stops, applies it, and starts again.

Fast mode and careful mode are two sets of QEMU translations side by side,
told apart by mstatus.FS (`qemu.set_fp_state`); the code hook's range is
widened only while careful translations are made. The hooks themselves are
in `lab.cpu.uc.hooks`: machine code where it can run, Python twins elsewhere.

Memory is shared, not copied: RAM and mapped pages are `mem_map_ptr` views
of `bus.mem.buf`, MMIO pages call the devices.
"""

from __future__ import annotations

import ctypes
import mmap
import struct
from dataclasses import dataclass
from typing import Any, Final

from unicorn import (
    UC_ERR_INSN_INVALID,
    UC_HOOK_BLOCK,
    UC_HOOK_CODE,
    UC_HOOK_INTR,
    UC_HOOK_MEM_FETCH_PROT,
    UC_HOOK_MEM_FETCH_UNMAPPED,
    UC_HOOK_MEM_READ_PROT,
    UC_HOOK_MEM_READ_UNMAPPED,
    UC_HOOK_MEM_WRITE_PROT,
    UC_HOOK_MEM_WRITE_UNMAPPED,
    UC_MEM_FETCH_PROT,
    UC_MEM_FETCH_UNMAPPED,
    UC_MEM_WRITE_UNMAPPED,
    UC_PROT_ALL,
    UC_PROT_EXEC,
    UC_PROT_READ,
    Uc,
    UcError,
)
from unicorn.riscv_const import UC_RISCV_REG_PC, UC_RISCV_REG_X0
from unicorn.unicorn_py3.unicorn import uclib

from lab.cpu.base import Cause, EcallHandler, Fault, Privilege, RunResult, Stop
from lab.cpu.bus import PAGE_SHIFT, PAGE_SIZE, Bus, Mmio
from lab.cpu.priv import PrivilegeState
from lab.cpu.uc import blocks, hooks, qemu
from lab.cpu.uc.blocks import decode
from lab.cpu.uc.hooks import PAGE_SHARED, Mode, Reason, State, Tables
from lab.riscv.isa import BY_NAME, Kind, M, sext

_NEVER: Final = 0xFFFFFFFF  # `until` for emu_start: odd, so never a pc
_U32: Final = struct.Struct("<I")
_X: Final[tuple[int, ...]] = tuple(UC_RISCV_REG_X0 + i for i in range(32))
_emu_start: Final = uclib.uc_emu_start
_emu_stop: Final = uclib.uc_emu_stop
_reg_read: Final = uclib.uc_reg_read
_reg_write: Final = uclib.uc_reg_write

# RISC-V exception codes as unicorn's interrupt hook reports them (ecall is
# always 8 there, whatever the mode). unicorn has already added 4 to pc.
_INTR_FETCH_MISALIGNED: Final = 0
_INTR_ILLEGAL: Final = 2
_INTR_BREAKPOINT: Final = 3
_INTR_ECALL: Final = 8

_EBREAK: Final = BY_NAME["ebreak"].word
_WFI: Final = BY_NAME["wfi"].word

# Instructions run in careful mode after a block that needed it: long enough
# that the round trip back to fast mode (an emu_start) is cheap beside it.
CAREFUL_SPAN: Final = 10_000
_POOL_CHUNK: Final = 1 << 14  # u32 words of descriptors per chunk
# What the hooks need to know of a block, by the block's bytes (and the word
# after it), for every core in this process: a rebooted or restarted VM, or a
# second one running the same program, does not prove its blocks again.
_PACKED: dict[tuple[int, bytes], tuple[list[int], list[int]]] = {}
_PACKED_MAX: Final = 1 << 14

_INTR_HOOK = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_uint32, ctypes.c_void_p)


class _ApiRegisters:
    """x0..x31 through the API, where QEMU's register file was not found."""

    def __init__(self, cpu: UnicornCpu) -> None:
        self._cpu = cpu

    def __getitem__(self, index: int) -> int:
        return self._cpu._api_read(_X[index]) if index else 0


@dataclass(slots=True)
class _Stop:
    """A stop recorded by a Python hook, applied once emu_start has returned."""

    kind: Stop
    pc: int | None  # None: where QEMU stops (a device access: QEMU has not synced pc yet)
    cause: Cause | None = None  # a fault's
    tval: int = 0
    fetch: bool = False  # a fetch fault: its instruction was never begun


class UnicornCpu:
    """One RV32IM hart with Zicsr and supervisor and user mode, run by unicorn. See `lab.cpu.base`.

    `native=False` runs the Python twins of the hooks; `fast_mode=False` runs
    everything in careful mode (both only for tests and odd hosts)."""

    backend = "unicorn"

    def __init__(self, bus: Bus, *, native: bool = True, fast_mode: bool = True) -> None:
        self.bus = bus
        self.instret = 0
        self.priv = PrivilegeState()  # the guest hart's level and CSRs, never replaced (QEMU's: U-mode)
        uc, self.narrowed = qemu.new_engine()
        self._uc = uc
        self._uch = uc._uch
        self._scratch = ctypes.c_uint64()
        self._scratch_ref = ctypes.byref(self._scratch)
        self._regs = qemu.registers(uc)
        self._x: Any = self._regs.x if self._regs is not None else None
        self._closed = False
        self._running = False
        self._in_interrupt = False

        # -- what a run is doing (see `run`)
        self._on_ecall: EcallHandler | None = None
        self._budget = 0  # instructions this run may retire
        self._done = 0  # ... and has retired
        self._accounted = 0  # of the current emu_start's, already added to _done and instret
        self._careful_left = 0  # instructions still to run in careful mode
        # -- records from the hooks, for after emu_start
        self._stop: _Stop | None = None
        self._finish: tuple[int | None, int | None] | None = None  # (pc, loaded): an access QEMU abandoned
        self._resync: list[tuple[int, int]] = []  # host ranges written while running
        self._layout_dirty = False
        self._flush_pending = False
        self._exc: BaseException | None = None
        self._stop_asked = False
        self._protect: set[int] = set()  # guest pages to write-protect before going on
        self._twins: hooks.PythonHooks | None = None

        # -- memory
        mem = bus.mem
        self._host = (ctypes.c_char * mem.size).from_buffer(mem.buf)
        self._host_base = ctypes.addressof(self._host)
        uc.mem_map_ptr(bus.ram_gpa, bus.ram_size, UC_PROT_ALL, self._host_base + bus.ram_host)
        self._mapped: dict[int, tuple[object, ...]] = {}  # gpa of a 4 KiB page outside RAM -> how
        self._protected: set[int] = set()  # RAM page numbers mapped read-only (code on them)
        self._far_code: set[int] = set()  # host pages outside RAM this core runs code from
        self._seen = (-1, -1)  # (mem.code_version, mem.mapped_version) last tracked
        self._shared: set[int] = set()  # RAM page numbers that other harts map (PAGE_SHARED)

        # -- the hooks' shared state
        s = self._state = State()
        s.ram_gpa, s.ram_size = bus.ram_gpa, bus.ram_size
        s.host_ram = self._host_base + bus.ram_host
        s.gpr = self._regs.gpr_address if self._regs is not None else 0
        s.emu_stop = qemu.EMU_STOP
        self._forget_blocks()
        self._slow = (
            hooks.SLOW_BLOCK(self._guard(self._slow_block, 1)),
            hooks.SLOW_CODE(self._guard(self._slow_code, 1)),
            hooks.SLOW_STORE(self._guard(self._slow_store, False)),
            _INTR_HOOK(self._on_interrupt),
        )
        s.slow_block, s.slow_code, s.slow_store = (qemu.address_of(f) for f in self._slow[:3])

        code = native and self._regs is not None and hooks.native_hooks()
        self.native = bool(code)
        begin, end = (1, 1) if fast_mode else (0, M)  # the code hook: only careful translations get it
        if code:
            self._native_page = code
            state = ctypes.addressof(s)
            qemu.add_hook(uc, UC_HOOK_BLOCK, code.block, state)
            code_hook = qemu.add_hook(uc, UC_HOOK_CODE, code.code, state, begin, end)
            qemu.add_hook(uc, UC_HOOK_MEM_WRITE_PROT, code.store, state)
        else:
            twins = hooks.PythonHooks(
                s,
                self._tables,
                self._x if self._x is not None else _ApiRegisters(self),
                self._slow_block,
                self._slow_code,
                self._slow_store,
                self._ask_stop,
                lambda: _emu_stop(self._uch),
            )
            self._twins = twins
            uc.hook_add(UC_HOOK_BLOCK, twins.block)
            code_hook = uc.hook_add(UC_HOOK_CODE, twins.code, None, begin, end)
            uc.hook_add(UC_HOOK_MEM_WRITE_PROT, twins.store)
        self._range = qemu.hook_range(uc, code_hook) if fast_mode else None
        self.fast_mode = self._range is not None
        self._mode: int = Mode.FAST if self.fast_mode else Mode.CAREFUL
        s.mode = self._mode
        flags = qemu.request_flags()
        if self._range is not None and self._regs is not None and flags is not None:
            handle = qemu.engine_handle(uc)
            s.switch, s.span = 1, CAREFUL_SPAN
            s.mstatus = ctypes.addressof(self._regs.mstatus)
            s.range = self._range.address
            s.stop_flag, s.quit_flag = handle + flags.stop, handle + flags.quit
        qemu.add_hook(uc, UC_HOOK_INTR, qemu.address_of(self._slow[3]), 0)
        uc.hook_add(
            UC_HOOK_MEM_READ_UNMAPPED
            | UC_HOOK_MEM_WRITE_UNMAPPED
            | UC_HOOK_MEM_FETCH_UNMAPPED
            | UC_HOOK_MEM_READ_PROT
            | UC_HOOK_MEM_FETCH_PROT,
            self._on_bad_access,
        )
        self._sync_layout()
        bus.on_change(self._sync_layout)
        mem.on_invalidate(self._invalidate)

    # -- registers
    #
    # Straight from QEMU's register file where it was found (`qemu.registers`),
    # else straight to the C API with one reusable buffer.

    def _api_read(self, reg: int) -> int:
        if _reg_read(self._uch, reg, self._scratch_ref):
            raise UcError(1)
        return self._scratch.value & M

    def _api_write(self, reg: int, value: int) -> None:
        self._scratch.value = value & M
        if _reg_write(self._uch, reg, self._scratch_ref):
            raise UcError(1)

    @property
    def pc(self) -> int:
        regs = self._regs
        return regs.pc.value if regs is not None else self._api_read(UC_RISCV_REG_PC)

    @pc.setter
    def pc(self, value: int) -> None:
        if self._regs is not None:
            self._regs.pc.value = value & M
        else:
            self._api_write(UC_RISCV_REG_PC, value)

    @property
    def mode(self) -> Privilege:
        return self.priv.mode

    def redirect_trap(self, cause: Cause, epc: int, tval: int = 0) -> None:
        self.pc = self.priv.trap(cause, epc, tval)  # in the interrupt hook too: QEMU goes on there

    def get_reg(self, index: int) -> int:
        if self._x is not None:
            return self._x[index]
        return self._api_read(_X[index]) if index else 0

    def set_reg(self, index: int, value: int) -> None:
        if index:
            if self._x is not None:
                self._x[index] = value & M
            else:
                self._api_write(_X[index], value)

    def regs(self) -> list[int]:
        if self._x is not None:
            return [0, *self._x[1:]]
        return [v & M for v in self._uc.reg_read_batch(_X)]

    def snapshot(self) -> dict[str, Any]:
        """The architectural state as plain data (regs, pc, instret, the level and CSRs)."""
        return {"regs": self.regs(), "pc": self.pc, "instret": self.instret, "priv": self.priv.snapshot()}

    def restore(self, state: dict[str, Any]) -> None:
        for i, v in enumerate(state["regs"]):
            self.set_reg(i, v)
        self.pc = state["pc"]
        self.instret = state["instret"]
        self.priv.restore(state.get("priv", {}))

    def reset(self, pc: int, sp: int) -> None:
        for i in range(1, 32):
            self.set_reg(i, 0)
        self.set_reg(2, sp)
        self.pc = pc
        self.priv.reset()
        self.instret = 0
        self._careful_left = 0
        self._forget_blocks()
        if self._running:  # from a hypercall: drop QEMU's blocks once it has stopped
            self._flush_pending = True
            self._ask_stop()
        else:
            self._uc.ctl_flush_tb()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.bus.mem.off_invalidate(self._invalidate)
        self.bus.off_change(self._sync_layout)
        if self._running:
            self._ask_stop()
            return  # `run` lets go of the engine when it returns
        self._release()

    def _release(self) -> None:
        self._regs = self._x = None
        if hasattr(self, "_uc"):
            del self._uc  # the engine is freed with its last reference

    # -- running

    def run(self, max_instructions: int, *, on_ecall: EcallHandler | None = None) -> RunResult:
        if max_instructions <= 0:
            return RunResult(Stop.BUDGET, 0, self.pc)
        self._on_ecall = on_ecall
        self._budget, self._done = max_instructions, 0
        try:
            while True:
                result = self._slice()
                if result is not None:
                    return result
                if self._closed:
                    return RunResult(Stop.BUDGET, self._done, 0)
                if self._done >= self._budget:
                    return RunResult(Stop.BUDGET, self._done, self.pc)
        finally:
            self._on_ecall = None
            if self._closed:
                self._release()

    def _slice(self) -> RunResult | None:
        """One emu_start. A RunResult ends the run; None: go on."""
        pc = self.pc
        if pc & 3:
            return self._fault(Fault(Cause.FETCH_MISALIGNED, pc, pc))
        mem = self.bus.mem
        if (mem.code_version, mem.mapped_version) != self._seen:
            self._track()
        left = self._budget - self._done
        if self._careful_left > 0 or not self.fast_mode:
            mode, limit = Mode.CAREFUL, (min(left, self._careful_left) if self.fast_mode else left)
        else:
            mode, limit = Mode.FAST, left
        if mode != self._mode:
            self._set_mode(mode)
        s = self._state
        s.counted, s.limit, s.reason, s.last_n = 0, limit, Reason.NONE, 0
        self._accounted = 0
        self._stop = self._finish = None
        self._stop_asked = False
        uc = self._uc
        uc._hook_exception = None  # the binding's own record, for its Python hooks
        self._running = True
        try:
            error = _emu_start(self._uch, pc, _NEVER, 0, 0)
        finally:
            self._running = False
            self._mode = s.mode  # a hook may have switched to careful mode
        if self._closed:
            return None
        if (
            s.reason == Reason.SMC
            or self._resync
            or self._protect
            or self._flush_pending
            or self._layout_dirty
        ):
            self._after_run()
        if self._exc is not None:
            exc, self._exc = self._exc, None
            raise exc
        if uc._hook_exception is not None:
            raise uc._hook_exception
        return self._conclude(error, limit)

    def _after_run(self) -> None:
        """Apply what hooks could not do while QEMU was running."""
        s = self._state
        if s.reason == Reason.SMC:  # a store hit translated code: drop what it made stale
            host = self.bus.ram_host + (s.fault_addr & ~3) - self.bus.ram_gpa
            self._resync.append((host, host + 4))
        resync, self._resync = self._resync, []
        for lo, hi in resync:
            self._drop_code(lo, hi)
        if self._flush_pending:
            self._flush_pending = False
            self._uc.ctl_flush_tb()
        if self._layout_dirty:
            self._layout_dirty = False
            self._sync_layout()
        for gpa in sorted(self._protect):
            self._write_protect(gpa)
        self._protect.clear()

    def _conclude(self, error: int, limit: int) -> RunResult | None:
        s = self._state
        reason, counted = s.reason, s.counted
        careful = s.mode == Mode.CAREFUL
        if reason == Reason.BUDGET:
            self._account(counted - 1 if careful else counted)
            if careful:
                self._careful_left = 0  # the span (or the tail) is done
            elif self._done < self._budget:
                self._careful_left = self._budget - self._done  # the tail, shorter than the next block
            return None
        if reason in (Reason.CAREFUL, Reason.ALIGN):
            self._account(counted)
            self._careful_left = CAREFUL_SPAN
            return None
        if reason == Reason.PROTECT:
            self._account(counted)
            return None
        pc = self.pc
        if reason == Reason.MISALIGNED:
            self._account(counted - 1)
            d = decode(self._word(pc))
            assert d is not None and d.name in blocks.ACCESS_SIZE
            addr = (self.get_reg(d.rs1) + d.imm) & M
            cause = Cause.STORE_MISALIGNED if d.name.startswith("s") else Cause.LOAD_MISALIGNED
            return self._fault(Fault(cause, pc, addr))
        if reason == Reason.ILLEGAL:
            self._account(counted - 1)
            return self._fault(Fault(Cause.ILLEGAL_INSTRUCTION, pc, self._word(pc)))
        if reason == Reason.SMC and self._finish is None:
            self._finish = (pc, None)  # the store was done by the hook; QEMU stopped in front of it
        if self._finish is not None:
            at, loaded = self._finish
            at = pc if at is None else at
            self._complete(at, loaded)
            self._account(self._before(at) + 1)
            return None
        stop = self._stop
        if stop is not None:
            return self._conclude_stop(stop)
        if error == UC_ERR_INSN_INVALID and self._word(pc) == _EBREAK:
            # QEMU turns ebreak into a debug exit with pc on the ebreak: step over it.
            self._account(self._before(pc) + 1)
            self.pc = (pc + 4) & M
            return RunResult(Stop.EBREAK, self._done, pc)
        if self._stop_asked:
            self._account(s.counted)  # ours, between two instructions: just go on
            return None
        if error:
            raise RuntimeError(f"unicorn stopped with error {error} at {pc:#010x} and no stop recorded")
        if self._word((pc - 4) & M) == _WFI:  # QEMU halts the hart on wfi, pc already past it
            self._account(self._before((pc - 4) & M) + 1)
            return RunResult(Stop.WFI, self._done, (pc - 4) & M)
        raise RuntimeError(f"unicorn stopped early at {pc:#010x} for no known reason")

    def _conclude_stop(self, stop: _Stop) -> RunResult | None:
        pc = self.pc if stop.pc is None else stop.pc
        if stop.kind is Stop.FAULT:
            assert stop.cause is not None
            before = self._before(pc, fetch=stop.fetch)
            if stop.fetch and before >= self._budget - self._done:
                # QEMU fetches (translates) the next block before counting its
                # first instruction: a fetch fault can come after the budget ran out.
                self._account(before)
                self.pc = pc
                return RunResult(Stop.BUDGET, self._done, pc)
            self._account(before)
            return self._fault(Fault(stop.cause, pc, stop.tval))
        if stop.kind is Stop.BUDGET:  # the budget ran out on a hypercall handled inline
            return RunResult(Stop.BUDGET, self._done, pc)
        if stop.kind in (Stop.ECALL, Stop.EBREAK, Stop.WFI):
            if stop.kind is not Stop.ECALL or self._on_ecall is None:
                self._account(self._before(pc) + 1)
            return RunResult(stop.kind, self._done, pc)
        raise AssertionError(stop)

    def _account(self, retired: int) -> None:
        """`retired` instructions of this emu_start have retired so far."""
        delta = retired - self._accounted
        self._accounted = retired
        self.instret += delta
        self._done += delta
        if self._state.mode == Mode.CAREFUL:
            self._careful_left -= delta

    def _before(self, pc: int, *, fetch: bool = False) -> int:
        """Instructions of this emu_start retired before the one at `pc`, which
        QEMU stopped at or in (a fetch fault: which it never began)."""
        s = self._state
        if s.mode == Mode.CAREFUL:
            return s.counted if fetch else s.counted - 1
        n = s.last_n
        if n and s.last_pc <= pc < s.last_pc + 4 * n:
            return s.counted - n + ((pc - s.last_pc) >> 2)
        return s.counted

    def _fault(self, fault: Fault) -> RunResult | None:
        """A FAULT stop in supervisor mode; in user mode a trap into the guest
        kernel, which counts as the instruction (lab.cpu.base), and None: go on."""
        if self.priv.mode is Privilege.USER:
            self.instret += 1
            self._done += 1
            if self._state.mode == Mode.CAREFUL:
                self._careful_left -= 1
            self.pc = self.priv.trap(fault.cause, fault.pc, fault.tval)
            return None
        self.pc = fault.pc
        return RunResult(Stop.FAULT, self._done, fault.pc, fault)

    def _complete(self, pc: int, loaded: int | None) -> None:
        """Finish the access at pc that QEMU abandoned when we stopped it from
        inside the access (the store itself was done already), and step past it."""
        d = decode(self._word(pc))
        if loaded is not None and d is not None and d.rd:
            size = blocks.ACCESS_SIZE[d.name]
            self.set_reg(d.rd, sext(loaded, 8 * size) if d.name in ("lb", "lh") else loaded)
        self.pc = (pc + 4) & M

    def _set_mode(self, mode: Mode) -> None:
        self._mode = mode
        self._state.mode = mode
        if self._range is not None:
            self._range.cover(mode == Mode.CAREFUL)
            qemu.set_fp_state(self._uc, self._regs, qemu.FS_INITIAL if mode == Mode.CAREFUL else qemu.FS_OFF)

    def _ask_stop(self) -> None:
        self._stop_asked = True
        _emu_stop(self._uch)

    def _guard(self, fn, failed):
        """A callback that unicorn calls from C: an exception in it stops the
        run and is raised by `run`, instead of vanishing in ctypes."""

        def guarded(*args):
            try:
                return fn(*args)
            except BaseException as exc:
                if self._exc is None:
                    self._exc = exc
                self._state.reason = Reason.PYTHON
                self._ask_stop()
                return failed

        return guarded

    # -- hooks' slow paths (called from inside emu_start)

    def _slow_block(self, address: int, size: int) -> int:
        """A block the hooks know nothing of: analyse it (RAM) or decide (elsewhere)."""
        s = self._state
        off = address - self.bus.ram_gpa
        if 0 <= off < self.bus.ram_size:
            self._analyse(off, size)
            page = off >> PAGE_SHIFT
            if page in self._protected:
                return 0
            self._protect.add(self.bus.ram_gpa + (page << PAGE_SHIFT))
            s.reason = Reason.PROTECT
            return 1
        host = self.bus.translate(address, 4)
        if host is not None and host >> PAGE_SHIFT not in self._far_code:
            self._far_code.add(host >> PAGE_SHIFT)
            self.bus.mem.mark_code(host & ~(PAGE_SIZE - 1), (host & ~(PAGE_SIZE - 1)) + PAGE_SIZE)
            gpa = address & ~(PAGE_SIZE - 1)
            if self._mapped.get(gpa, ("",))[0] == "rw":
                self._protect.add(gpa)
                s.reason = Reason.PROTECT
                return 1
        if s.mode == Mode.FAST:
            s.reason = Reason.CAREFUL  # code outside RAM always runs watched
            return 1
        return 2

    def _analyse(self, off: int, size: int) -> None:
        """Prove the RAM block at `off` and write what the hooks need."""
        n = size >> 2
        idx = off >> 2
        host = self.bus.ram_host + off
        # The word after the block too: QEMU ends a block in front of a
        # compressed-looking illegal word and raises its fault from the block.
        extra = 1 if (off + size) >> PAGE_SHIFT == off >> PAGE_SHIFT and off + size < self.bus.ram_size else 0
        code = bytes(self.bus.mem.buf[host : host + size + 4 * extra])
        key = (size, code)  # the same bytes may be a block and the word after it, or a longer block
        packed = _PACKED.get(key)
        if packed is None:
            words = struct.unpack(f"<{n + extra}I", code)
            block = blocks.analyze(words[:n], words[n] if extra else None)
            extra_checks = [blocks.check_for(decode(w)) for w in words[n:]]
            packed = hooks.pack(block, size, extra_checks)
            if len(_PACKED) >= _PACKED_MAX:
                _PACKED.clear()
            _PACKED[key] = packed
        desc, checks = packed
        t = self._tables
        t.desc[idx] = self._store_descriptor(desc)
        t.checks[idx : idx + len(checks)] = checks
        ctypes.memset(ctypes.addressof(t.codewords) + idx, 1, n + extra)
        page = host & ~(PAGE_SIZE - 1)
        if not self.bus.mem.code[page >> PAGE_SHIFT]:
            self.bus.mem.mark_code(page, page + PAGE_SIZE)

    def _forget_blocks(self) -> None:
        """Fresh tables: no block analysed (fresh anonymous memory costs nothing
        until touched, where clearing the old tables would touch them all)."""
        s, old = self._state, getattr(self, "_tables", None)
        self._tables = Tables.for_ram(self.bus.ram_size)
        if old is not None:
            ctypes.memmove(self._tables.pages, old.pages, ctypes.sizeof(old.pages))
            if self._twins is not None:
                self._twins.tables = self._tables
        self._codewords = memoryview(self._tables.codewords).cast("B")
        self._pool: list[ctypes.Array] = [
            (ctypes.c_uint32 * _POOL_CHUNK).from_buffer(mmap.mmap(-1, 4 * _POOL_CHUNK))
        ]
        self._pool_used = 0
        s.desc = ctypes.addressof(self._tables.desc)
        s.checks = ctypes.addressof(self._tables.checks)
        s.codewords = ctypes.addressof(self._tables.codewords)
        s.pages = ctypes.addressof(self._tables.pages)

    def _store_descriptor(self, words: list[int]) -> int:
        """Keep a descriptor where it never moves (the hooks hold its address)."""
        chunk, used = self._pool[-1], self._pool_used
        if used + len(words) > len(chunk):
            size = max(_POOL_CHUNK, len(words))
            chunk = (ctypes.c_uint32 * size).from_buffer(mmap.mmap(-1, 4 * size))
            self._pool.append(chunk)
            used = 0
        chunk[used : used + len(words)] = words
        self._pool_used = used + len(words)
        return ctypes.addressof(chunk) + 4 * used

    def _slow_code(self, address: int) -> int:
        """Careful mode, code outside RAM: check the instruction here."""
        check = blocks.check_for(decode(self._word(address)))
        if check == blocks.ILLEGAL:
            self._state.reason = Reason.ILLEGAL
            return 1
        if isinstance(check, tuple):
            reg, add, mask = check
            if (self.get_reg(reg) + add) & mask:
                self._state.reason = Reason.MISALIGNED
                return 1
        return 0

    def _slow_store(self, access: int, address: int, size: int, value: int) -> bool:
        """A store to a read-only page the machine code does not handle: a
        shared RAM page, a grant page, or one that really is read-only."""
        pc = self.pc
        host = self.bus.translate(address, size, write=True)
        if host is None or address & (size - 1) or access != hooks.MEM_WRITE_PROT:
            cause = Cause.STORE_MISALIGNED if address & (size - 1) else Cause.STORE_ACCESS
            self._record(_Stop(Stop.FAULT, pc, cause, address))
            return False  # QEMU stops, the store undone
        self.bus.mem.buf[host : host + size] = (value & ((1 << 8 * size) - 1)).to_bytes(size, "little")
        self.bus.mem.invalidate(host, host + size)  # every hart, this one too (`_invalidate`)
        if self._stop_asked and self._finish is None:
            self._finish = (pc, None)
        return True

    def _record(self, stop: _Stop) -> None:
        if self._stop is None:
            self._stop = stop
        self._ask_stop()

    def _on_interrupt(self, _uch: int, intno: int, _ud: int) -> None:
        self._in_interrupt = True
        try:
            if intno == _INTR_ECALL and self._on_ecall is not None and self._stop is None:
                self._hypercall()
            elif intno != _INTR_ILLEGAL or self._stop is not None or not self._privileged():
                self._interrupt(intno)
        except BaseException as exc:
            if self._exc is None:
                self._exc = exc
            self._ask_stop()
        finally:
            self._in_interrupt = False

    def _hypercall(self) -> None:
        """An ecall, handed to `on_ecall` there and then (the hot path of
        hypercall-heavy guests: keep it short)."""
        pc = (self.pc - 4) & M
        # The ecall ended its block: every instruction counted so far retired.
        counted = self._state.counted
        delta = counted - self._accounted
        self._accounted = counted
        self.instret += delta
        self._done += delta
        if not self._on_ecall(pc, self._done):  # type: ignore[misc]
            self._record(_Stop(Stop.ECALL, pc))
        elif self._closed or self._flush_pending or self._layout_dirty:
            self._ask_stop()  # apply the change before QEMU runs on
        elif self._done >= self._budget:
            self._record(_Stop(Stop.BUDGET, None))

    def _privileged(self) -> bool:
        """QEMU refused the instruction before pc: if it is one this machine's hart
        runs at some level (a CSR instruction, sret, wfi), run it here on `priv`
        and return True (QEMU goes on at pc); False for the stop rules of `_interrupt`.
        It counts as retired, as a trap does (the block or code hook counted it)."""
        after = self.pc
        pc = (after - 4) & M
        word = self._word(pc)
        d = decode(word)
        if d is None:
            return False
        priv = self.priv
        kind = d.spec.kind
        if kind is Kind.CSR:
            old = priv.csr(d.spec.funct3, d.imm, d.rs1, self.get_reg(d.rs1))  # type: ignore[arg-type]
            if old is not None:
                self._count_through(pc)
                self.set_reg(d.rd, old)
                return True
        elif kind is Kind.TRAP_RETURN:
            target = priv.sret()
            if target is not None:
                self._count_through(pc)
                self.pc = target
                return True
        elif word != _WFI:
            return False
        if priv.mode is not Privilege.USER:
            return False  # wfi: the hart waits (`_interrupt`)
        self._count_through(pc)
        self.pc = priv.trap(Cause.ILLEGAL_INSTRUCTION, pc, word)
        return True

    def _count_through(self, pc: int) -> None:
        """The instruction at pc was the last of its block to run: a fast-mode block,
        counted whole on entry, is cut short there (wfi does not end QEMU's block;
        CSR instructions and sret do, so for them this changes nothing)."""
        s = self._state
        if s.mode == Mode.FAST:
            s.counted = self._before(pc) + 1
            s.last_n = 0

    def _interrupt(self, intno: int) -> None:
        if self._stop is not None or self._stop_asked:
            self._ask_stop()
            return
        after = self.pc
        pc = (after - 4) & M
        if intno == _INTR_ECALL:
            self._record(_Stop(Stop.ECALL, pc))
            return
        if intno == _INTR_BREAKPOINT:
            self._record(_Stop(Stop.EBREAK, pc))
            return
        self.pc = pc
        if intno == _INTR_FETCH_MISALIGNED:
            self._record(_Stop(Stop.FAULT, pc, Cause.FETCH_MISALIGNED, self._jump_target(pc)))
        elif intno == _INTR_ILLEGAL and self._word(pc) == _WFI:
            # wfi is privileged in QEMU's U-mode: it retires here and yields.
            self.pc = after
            self._record(_Stop(Stop.WFI, pc))
        elif intno == _INTR_ILLEGAL:
            self._record(_Stop(Stop.FAULT, pc, Cause.ILLEGAL_INSTRUCTION, self._word(pc)))
        else:
            raise RuntimeError(f"unicorn raised unexpected exception {intno} at {pc:#010x}")

    def _on_bad_access(self, uc: Uc, access: int, address: int, _size: int, _value: int, _ud: object) -> bool:
        if access in (UC_MEM_FETCH_UNMAPPED, UC_MEM_FETCH_PROT):
            self._record(_Stop(Stop.FAULT, address, Cause.FETCH_ACCESS, address, fetch=True))
        else:
            cause = Cause.STORE_ACCESS if access == UC_MEM_WRITE_UNMAPPED else Cause.LOAD_ACCESS
            self._record(_Stop(Stop.FAULT, self.pc, cause, address))
        return False

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
        """If the device wrote memory we translated, `_invalidate` asked QEMU
        to stop, and a stop inside a device access makes QEMU abandon the
        instruction. The device must not see the access twice, so `run`
        completes the instruction itself (`_finish`)."""
        if self._stop_asked and self._finish is None and self._stop is None:
            self._finish = (None, loaded)  # QEMU syncs pc as it stops

    def _device_for(self, addr: int, *, store: bool) -> tuple[int, Mmio] | None:
        """The device an MMIO access reaches, or None after recording the fault."""
        if self._stop is not None:
            return None
        found = self.bus.device_at(addr)
        if found is None:  # pc: where QEMU stops, right at this access
            self._record(_Stop(Stop.FAULT, None, Cause.STORE_ACCESS if store else Cause.LOAD_ACCESS, addr))
        return found

    # -- address space

    def _sync_layout(self) -> None:
        """Mirror the bus's pages and devices into unicorn's memory map."""
        if self._closed:
            return
        if self._running:  # not under QEMU's feet: when it has stopped
            self._layout_dirty = True
            self._ask_stop()
            return
        bus, uc, mem = self.bus, self._uc, self.bus.mem
        ram_lo, ram_hi = bus.ram_gpa >> PAGE_SHIFT, (bus.ram_gpa + bus.ram_size) >> PAGE_SHIFT
        want: dict[int, tuple[object, ...]] = {}
        for gpn, page in bus.pages.items():
            if not ram_lo <= gpn < ram_hi:
                tracked = page.writable and mem.code[page.host_off >> PAGE_SHIFT]
                how = "rw" if page.writable and not tracked else ("tracked" if page.writable else "ro")
                want[gpn << PAGE_SHIFT] = (how, page.host_off)
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
            if how[0] == "mmio":
                uc.mmio_map(gpa, PAGE_SIZE, self._mmio_read, gpa, self._mmio_write, gpa)
            else:
                perms = UC_PROT_ALL if how[0] == "rw" else UC_PROT_READ | UC_PROT_EXEC
                uc.mem_map_ptr(gpa, PAGE_SIZE, perms, self._host_base + how[1])  # type: ignore[operator]
            self._mapped[gpa] = how

    def _track(self) -> None:
        """Write-protect the pages someone translated code on, and note the RAM
        pages other harts map (their stores must be passed on)."""
        mem, bus = self.bus.mem, self.bus
        code_changed = mem.code_version != self._seen[0]
        self._seen = (mem.code_version, mem.mapped_version)
        first, count = bus.ram_host >> PAGE_SHIFT, bus.ram_size >> PAGE_SHIFT
        if code_changed:
            marks = bytes(mem.code[first : first + count])
            page = marks.find(1)
            while page != -1:
                if page not in self._protected:
                    self._write_protect(bus.ram_gpa + (page << PAGE_SHIFT))
                page = marks.find(1, page + 1)
            if any(how[0] == "rw" and mem.code[how[1] >> PAGE_SHIFT] for how in self._mapped.values()):
                self._sync_layout()  # a grant page became code: map it tracked
        shared = {page - first for page in mem.mapped if first <= page < first + count}
        pages = self._tables.pages
        for page in shared ^ self._shared:
            pages[page] = PAGE_SHARED if page in shared else 0
        self._shared = shared

    def _write_protect(self, gpa: int) -> None:
        off = gpa - self.bus.ram_gpa
        if 0 <= off < self.bus.ram_size:
            if off >> PAGE_SHIFT not in self._protected:
                self._uc.mem_protect(gpa, PAGE_SIZE, UC_PROT_READ | UC_PROT_EXEC)
                self._protected.add(off >> PAGE_SHIFT)
        else:
            self._sync_layout()  # a grant page: remapped "tracked"

    def _invalidate(self, start: int, end: int) -> None:
        """Host bytes [start, end) were written (by anyone): drop the translations of them."""
        if not self._touches_code(start, end):
            return
        if self._running and not self._in_interrupt:
            # Mid-block (a device or a store hook): dropping translations now
            # could drop the block being run. Stop after this instruction.
            self._resync.append((start, end))
            self._ask_stop()
            return
        self._drop_code(start, end)

    def _touches_code(self, start: int, end: int) -> bool:
        bus = self.bus
        lo, hi = max(start, bus.ram_host), min(end, bus.ram_host + bus.ram_size)
        if lo < hi:
            a, b = (lo - bus.ram_host) >> 2, ((hi - 1 - bus.ram_host) >> 2) + 1
            if self._codewords[a:b].tobytes().strip(b"\0"):
                return True
        return any(p in self._far_code for p in range(start >> PAGE_SHIFT, ((end - 1) >> PAGE_SHIFT) + 1))

    def _drop_code(self, start: int, end: int) -> None:
        """Forget the translations of host bytes [start, end), in QEMU and here."""
        bus, uc, t = self.bus, self._uc, self._tables
        lo, hi = max(start, bus.ram_host), min(end, bus.ram_host + bus.ram_size)
        if lo < hi:
            a, b = lo - bus.ram_host, hi - bus.ram_host
            # Blocks start on the same page as the bytes they read (the word
            # after included), so look from the page's start.
            first = (a & ~(PAGE_SIZE - 1)) >> 2
            for idx in range(first, (b + 3) >> 2):
                d = t.desc[idx]
                if not d:
                    continue
                size = ctypes.c_uint32.from_address(d).value
                if 4 * idx < b and 4 * idx + size + 4 > a:
                    t.desc[idx] = 0
                    gpa = bus.ram_gpa + 4 * idx
                    uc.ctl_remove_cache(gpa, gpa + size + 4)
            uc.ctl_remove_cache(bus.ram_gpa + max(a - 4, 0), bus.ram_gpa + b)
        for gpa, how in self._mapped.items():
            if how[0] != "mmio":
                host_off: int = how[1]  # type: ignore[assignment]
                lo, hi = max(start, host_off), min(end, host_off + PAGE_SIZE)
                if lo < hi:
                    uc.ctl_remove_cache(gpa + max(lo - host_off - 4, 0), gpa + hi - host_off)

    # -- decoding help

    def _word(self, pc: int) -> int:
        host = self.bus.translate(pc, 4)
        if host is None:
            return 0
        return _U32.unpack_from(self.bus.mem.buf, host)[0]

    def _jump_target(self, pc: int) -> int:
        d = decode(self._word(pc))
        if d is None:
            return pc
        if d.name == "jalr":
            return (self.get_reg(d.rs1) + d.imm) & 0xFFFFFFFE
        return (pc + d.imm) & M
