"""The pure-Python core: the reference semantics, and fast enough to teach with.

    cpu = InterpCpu(bus)
    cpu.reset(pc=0x8000_0000, sp=0x8001_0000)
    result = cpu.run(10_000)        # see lab.cpu.base for the stop rules

Two engines share the work:

    * `_step` decodes and executes one instruction: every case, MMIO, grant
      pages, faults. It is the reference, and runs all cold code.
    * hot code in RAM (an address entered `hot_threshold` times) is translated
      to Python source by `lab.cpu.translate` and compiled once: a superblock
      that follows jumps and not-taken branches, a bounded `for` loop when it
      comes back to its start. It covers only the fast case and hands anything
      else back to `_step`. Compiled code is shared by every core in the
      process (`_TRANSLATED`), so a restarted or second VM does not translate again.

Dispatch goes through a list with one slot per RAM word, indexed by
`(pc - ram_gpa) >> 2`: a compiled block or None. A block returns
(next pc, instructions retired); `~pc` means "interpret the instruction at pc"
(the slow case), and `pc | EBREAK` (or WFI, ECALL) that the block retired a
stop. Translations are dropped when the memory under them is written
(`PhysicalMemory.invalidate`), so self-modifying code and program loading stay
correct. `translation_source(pc)` shows a student the Python of a block.

Privilege levels (lab.cpu.priv): CSR instructions, `sret` and `wfi` are never
translated (a block ends in front of them), so `_step` runs each of them with
the hart's level in view; a block's own instructions mean the same at either
level. An exception in user mode becomes a trap into the guest kernel in
`_run`, instead of a FAULT stop.

Hypercalls (`run(n, on_ecall=handler)`, see lab.cpu.base) never leave `run`:
a compiled block calls the handler in the middle of its code (HYPERCALL, with
its registers written back to `X` and read again after), and the run loop
calls it for the ecalls it interprets. Only a handler that stops the run, or
one that changes the vCPU or its code under a block, makes the block return.
"""

from __future__ import annotations

import struct
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from itertools import repeat
from operator import length_hint
from typing import Any, Final

from lab.cpu.base import Cause, EcallHandler, Fault, Privilege, RunResult, Stop
from lab.cpu.bus import PAGE_SHIFT, Bus
from lab.cpu.priv import PrivilegeState
from lab.cpu.translate import (
    IMM_TWIN,
    MAX_BLOCK,
    SYSTEM_STOPS,
    BlockTranslator,
    Translation,
    div32,
    interp_functions,
    rem32,
)
from lab.riscv.isa import Kind, M, decode

HOT_THRESHOLD: Final = 40  # block entries before translation: compile() costs ~50 us an instruction
DECODE_CACHE_MAX: Final = 1 << 16
COMPILED_CACHE_MAX: Final = 4096  # blocks; a few KiB of bytecode each

_U32 = struct.Struct("<I")
_ALU_FN, _BRANCH_FN = interp_functions()

# Predecoded instruction: (op, rd, rs1, rs2, imm, extra). `op` picks the case in _step.
_ALU, _ALUI, _LOAD, _STORE, _BRANCH, _JAL, _JALR, _LUI, _AUIPC, _FENCE, _ECALL, _EBREAK, _WFI, _CSR, _SRET = (
    range(15)
)
_LOAD_SHAPE: Final = {
    "lb": (1, True),
    "lh": (2, True),
    "lw": (4, False),
    "lbu": (1, False),
    "lhu": (2, False),
}
_STORE_SIZE: Final = {"sb": 1, "sh": 2, "sw": 4}
# Stops travel as small ints (hashing an Enum member costs a Python call): 0 is
# the budget, 1..3 the SYSTEM_STOPS codes, 4 an ecall whose handler stopped the
# run (already handled); _JUMPED (-1) is a control transfer.
_STOPS: Final = (Stop.BUDGET, Stop.ECALL, Stop.EBREAK, Stop.WFI, Stop.ECALL)
_ECALL_STOP: Final = 1
_HANDLED: Final = 4
_JUMPED: Final = -1
_SYSTEM: Final = {"ecall": _ECALL, "ebreak": _EBREAK, "wfi": _WFI}
_FAULT: Final = Stop.FAULT
_Predecoded = tuple[int, int, int, int, int, Any]
_DECODED: dict[int, _Predecoded] = {}
# Translated blocks, for every core in this process, by the RAM window's guest
# address and size and the block's start. A block's source depends on nothing
# else but the code it was made from, so a VM that reboots, a scenario that
# restarts, or a second VM running the same program finds its translations
# made and compiled already (compile() is the dominant cost of translating, 30
# to 90 us an instruction; writing the source costs a few hundred us a block),
# once the bytes under them are checked to be the same.
_TRANSLATED: dict[tuple[int, int, int], list[_Translated]] = {}


@dataclass(frozen=True, slots=True)
class _Translated:
    translation: Translation
    code: Any  # compiled
    image: bytes  # the code it was made from: the bytes of `spans`, one after another
    spans: tuple[tuple[int, int], ...]  # guest [start, end) runs (at least the first word)


def _predecode(word: int) -> _Predecoded | None:
    d = decode(word)
    if d is None:
        return None
    name, kind = d.name, d.spec.kind
    if kind is Kind.ALU:
        return (_ALU, d.rd, d.rs1, d.rs2, 0, _ALU_FN[name])
    if kind is Kind.ALU_IMM:
        return (_ALUI, d.rd, d.rs1, 0, d.imm & M, _ALU_FN[IMM_TWIN[name]])
    if kind is Kind.LOAD:
        return (_LOAD, d.rd, d.rs1, 0, d.imm, _LOAD_SHAPE[name])
    if kind is Kind.STORE:
        return (_STORE, 0, d.rs1, d.rs2, d.imm, _STORE_SIZE[name])
    if kind is Kind.BRANCH:
        return (_BRANCH, 0, d.rs1, d.rs2, d.imm, _BRANCH_FN[name])
    if kind is Kind.JAL:
        return (_JAL, d.rd, 0, 0, d.imm, None)
    if kind is Kind.JALR:
        return (_JALR, d.rd, d.rs1, 0, d.imm, None)
    if kind is Kind.LUI:
        return (_LUI, d.rd, 0, 0, d.imm << 12 & M, None)
    if kind is Kind.AUIPC:
        return (_AUIPC, d.rd, 0, 0, d.imm << 12 & M, None)
    if kind is Kind.FENCE:
        return (_FENCE, 0, 0, 0, 0, None)
    if kind is Kind.CSR:  # extra: funct3; rs1 is a register, or the immediate (funct3 bit 2)
        return (_CSR, d.rd, d.rs1, 0, d.imm, d.spec.funct3)
    if kind is Kind.TRAP_RETURN:
        return (_SRET, 0, 0, 0, 0, None)
    return (_SYSTEM[name], 0, 0, 0, 0, SYSTEM_STOPS[name.upper()] >> 32)


class _Trap(Exception):
    """A guest exception inside _step; becomes a Fault in the RunResult."""

    def __init__(self, cause: Cause, tval: int) -> None:
        self.cause = cause
        self.tval = tval & M


_RESULTS: dict[tuple[int, int, int], RunResult] = {}


def _result(stop: int, retired: int, pc: int) -> RunResult:
    """A RunResult, shared when the same one recurs: building a frozen
    dataclass costs microseconds, which a guest making a hypercall in a loop
    (the same ecall, the same count) would pay on every call."""
    key = (stop, retired, pc)
    r = _RESULTS.get(key)
    if r is None:
        if len(_RESULTS) >= 4096:
            _RESULTS.clear()
        r = _RESULTS[key] = RunResult(_STOPS[stop], retired, pc)
    return r


Block = Callable[[int], tuple[int, int]]


class TranslationWarning(RuntimeWarning):
    """The block translator failed on some code: a bug in hvlab, not the guest's
    doing. The core interprets that code instead, so the guest never notices;
    the test suite turns this warning into an error, so no such bug hides."""


class InterpCpu:
    """One RV32IM hart with Zicsr, supervisor and user mode, in pure Python (a `lab.cpu.base.Cpu`)."""

    backend = "interp"

    def __init__(self, bus: Bus, *, hot_threshold: int = HOT_THRESHOLD) -> None:
        self.bus = bus
        self.instret = 0
        self.hot_threshold = hot_threshold
        self._x: list[int] = [0] * 32  # never replaced: compiled blocks hold it
        self.reg_file = self._x  # offered to the hypervisor's hot path (lab.cpu.base)
        self._pc = bus.ram_gpa
        self.priv = PrivilegeState()  # the hart's level and supervisor CSRs; never replaced
        self._resumed = False  # the last run ended on its budget, maybe inside a block
        # The run in progress, for HYPERCALL: its handler, its budget, how many of
        # its instructions instret already counts (a handler may reset the vCPU).
        self._on_ecall: EcallHandler | None = None
        self._max = 0
        self._counted = 0
        self._rebased = False  # reset or restored since the handler was called
        self._ecall_pc = 0  # the ecall whose handler stopped the run
        # Bumped whenever something outside the core's run changes what it runs
        # (pc, registers wholesale, translations): a block calling a handler
        # compares it before and after, and leaves if it moved.
        self._epoch = 0
        self.translation_failures: list[tuple[int, str]] = []  # (guest pc, error): see TranslationWarning
        self._code_version = -1  # of PhysicalMemory.code when CODE_LO/CODE_HI were computed
        mem = bus.mem
        self._buf = mem.buf
        self._ram_gpa, self._ram_host, self._ram_size = bus.ram_gpa, bus.ram_host, bus.ram_size
        self._table: list[Block | None] = [None] * (bus.ram_size >> 2)
        self._heat: dict[int, int] = {}  # RAM word index -> entries while cold
        self._sources: dict[int, str] = {}  # word index -> block source
        self._spans: dict[int, list[tuple[int, int]]] = {}  # word index -> host [start, end) it was made from
        self._by_page: dict[int, set[int]] = {}  # host page -> word indexes of blocks on it
        # host word -> the blocks made from it: a store into data next to code
        # (C programs keep .data and .bss on the page their code ends on) finds none at once.
        self._by_word: dict[int, set[int]] = {}
        self._translator = BlockTranslator(
            mem.buf, ram_gpa=bus.ram_gpa, ram_host=bus.ram_host, ram_size=bus.ram_size
        )
        # Views of this hart's RAM window, indexed by RAM offset: indexing a
        # memoryview beats struct and slicing, and a cast view reads a whole
        # word at once. They are native-endian, so only little-endian hosts
        # (x86, Arm, WebAssembly) translate; others interpret everything.
        self._ram = memoryview(mem.buf)[bus.ram_host : bus.ram_host + bus.ram_size]
        self._code = memoryview(mem.code)[
            bus.ram_host >> PAGE_SHIFT : (bus.ram_host + bus.ram_size) >> PAGE_SHIFT
        ]
        if sys.byteorder != "little":  # pragma: no cover
            self.hot_threshold = 1 << 62
        self._globals: dict[str, Any] = {
            "X": self._x,
            "RAM": self._ram,
            "RAM16": self._ram.cast("H"),
            "RAM32": self._ram.cast("I"),
            "CODE": self._code,
            "HOST": bus.ram_host,
            "CODE_LO": 0,
            "CODE_HI": 0,
            "INVAL": mem.invalidate,
            "T": self._table,
            "div32": div32,
            "rem32": rem32,
            "repeat": repeat,
            "length_hint": length_hint,
            "HYPERCALL": self._hypercall,
            "MMIO_LOAD": self._mmio_load,
            "MMIO_STORE": self._mmio_store,
            **SYSTEM_STOPS,
        }
        mem.on_invalidate(self._invalidate)

    # -- architectural state

    @property
    def pc(self) -> int:
        return self._pc

    @pc.setter
    def pc(self, value: int) -> None:
        self._pc = value & M
        self._epoch += 1

    @property
    def mode(self) -> Privilege:
        return self.priv.mode

    def redirect_trap(self, cause: Cause, epc: int, tval: int = 0) -> None:
        self.pc = self.priv.trap(cause, epc, tval)  # the pc setter makes a running block leave

    def get_reg(self, index: int) -> int:
        return self._x[index]

    def set_reg(self, index: int, value: int) -> None:
        if index:
            self._x[index] = value & M

    def regs(self) -> list[int]:
        return list(self._x)

    def snapshot(self) -> dict[str, Any]:
        """The architectural state as plain data (regs, pc, instret, the level and CSRs)."""
        return {"regs": list(self._x), "pc": self._pc, "instret": self.instret, "priv": self.priv.snapshot()}

    def restore(self, state: dict[str, Any]) -> None:
        regs = [v & M for v in state["regs"]]
        regs[0] = 0
        self._x[:] = regs
        self._pc = state["pc"] & M
        self.instret = state["instret"]
        self.priv.restore(state.get("priv", {}))
        self._rebased = True
        self._epoch += 1

    def reset(self, pc: int, sp: int) -> None:
        self._x[:] = [0] * 32
        self._x[2] = sp & M
        self._pc = pc & M
        self.priv.reset()
        self.instret = 0
        self._resumed = False
        self._rebased = True
        self._drop_all()

    def close(self) -> None:
        self.bus.mem.off_invalidate(self._invalidate)
        self._drop_all()
        # Let go of the memory views, so the host buffer is not pinned.
        for name in ("RAM16", "RAM32"):
            self._globals.pop(name).release()
        for name in ("HYPERCALL", "MMIO_LOAD", "MMIO_STORE"):  # bound methods: let the core go
            self._globals.pop(name)
        self._ram.release()
        self._code.release()

    # -- translations

    def translation_source(self, pc: int) -> str | None:
        """The Python source of the compiled block starting at `pc`, if any."""
        return self._sources.get((pc - self._ram_gpa) >> 2) if not pc & 3 else None

    def translated_blocks(self) -> list[int]:
        """Guest addresses where a compiled block starts (for tests and the UI)."""
        return sorted(self._ram_gpa + 4 * i for i in self._sources)

    def _drop_all(self) -> None:
        self._epoch += 1
        table = self._table
        for idx in self._sources:  # cheaper than refilling a table of a slot per RAM word
            table[idx] = None
        self._heat.clear()
        self._sources.clear()
        self._spans.clear()
        self._by_page.clear()
        self._by_word.clear()

    def _image(self, spans: tuple[tuple[int, int], ...]) -> bytes:
        base = self._ram_gpa
        return b"".join(self._ram[a - base : b - base] for a, b in spans)

    def _translated(self, start: int) -> _Translated:
        """The block at `start`: made before from the same code, or made now."""
        key = (self._ram_gpa, self._ram_size, start)
        for made in _TRANSLATED.get(key, ()):
            if made.image == self._image(made.spans):
                return made
        tr = self._translator.translate(start)
        code = compile(tr.source, f"<block {tr.start:#010x}>", "exec")
        spans = tuple(tr.ranges) or ((start, start + 4),)
        made = _Translated(tr, code, self._image(spans), spans)
        if sum(map(len, _TRANSLATED.values())) >= COMPILED_CACHE_MAX:
            _TRANSLATED.clear()
        _TRANSLATED.setdefault(key, []).append(made)
        return made

    def _translate(self, idx: int) -> None:
        start = self._ram_gpa + 4 * idx
        try:
            made = self._translated(start)
            tr = made.translation
            namespace: dict[str, Any] = {}
            exec(made.code, self._globals, namespace)
            block = namespace["block"]
        except Exception as exc:  # any translator bug: interpret instead
            self._heat[idx] = -(1 << 62)  # never hot again: the interpreter runs this code
            self.translation_failures.append((start, f"{type(exc).__name__}: {exc}"))
            warnings.warn(
                f"hvlab interp core: translating the block at {start:#010x} failed "
                f"({type(exc).__name__}: {exc}); interpreting it instead",
                TranslationWarning,
                stacklevel=2,
            )
            return
        self._table[idx] = block
        self._sources[idx] = tr.source
        # A superblock is made from several runs of code: a write into any of
        # them makes it stale. An empty block still watches its first word.
        delta = self._ram_host - self._ram_gpa
        spans = [(a + delta, b + delta) for a, b in made.spans]
        self._spans[idx] = spans
        for host, end in spans:
            self.bus.mem.mark_code(host, end)
            for page in range(host >> PAGE_SHIFT, ((end - 1) >> PAGE_SHIFT) + 1):
                self._by_page.setdefault(page, set()).add(idx)
            for word in range(host >> 2, end >> 2):
                self._by_word.setdefault(word, set()).add(idx)
        self._code_span()

    def _code_span(self) -> None:
        """Set CODE_LO..CODE_HI, the RAM offsets from the first to the end of the
        last page of this window that holds translated code (any core's), so a
        store in a block tests the has-code map only inside that span."""
        self._code_version = self.bus.mem.code_version
        marks = bytes(self._code)
        hi = len(marks.rstrip(b"\0"))
        lo = len(marks) - len(marks.lstrip(b"\0")) if hi else 0
        self._globals["CODE_LO"] = lo << PAGE_SHIFT
        self._globals["CODE_HI"] = hi << PAGE_SHIFT

    def _invalidate(self, start: int, end: int) -> None:
        """Host bytes [start, end) changed: drop the blocks that overlap them."""
        if end - start <= 16:  # a guest store (a hypervisor copy is larger): word by word
            by_word = self._by_word
            for word in range(start >> 2, (end + 3) >> 2):
                if word in by_word:
                    for idx in list(by_word[word]):
                        self._drop(idx)
            return
        for page in range(start >> PAGE_SHIFT, ((end - 1) >> PAGE_SHIFT) + 1):
            idxs = self._by_page.get(page)
            if not idxs:
                continue
            # Data next to code lands here on every store: keep the no-overlap case cheap.
            stale = [idx for idx in idxs for a, b in self._spans[idx] if a < end and start < b]
            for idx in stale:
                if idx in self._spans:  # a block listed twice (two of its spans overlap)
                    self._drop(idx)

    def _drop(self, idx: int) -> None:
        self._epoch += 1
        self._table[idx] = None
        self._heat.pop(idx, None)
        self._sources.pop(idx, None)
        by_word = self._by_word
        for host, end in self._spans.pop(idx):
            for page in range(host >> PAGE_SHIFT, ((end - 1) >> PAGE_SHIFT) + 1):
                self._by_page[page].discard(idx)
            for word in range(host >> 2, end >> 2):
                blocks = by_word[word]
                blocks.discard(idx)
                if not blocks:
                    del by_word[word]

    # -- running

    def run(self, max_instructions: int, *, on_ecall: EcallHandler | None = None) -> RunResult:
        self._on_ecall = on_ecall
        self._max = max_instructions
        self._counted = 0
        self._rebased = False
        return self._run(max_instructions)

    def _hypercall(self, pc: int, nxt: int, left: int) -> int | None:
        """Hand the ecall at `pc` (the next instruction at `nxt`), just retired
        with `left` instructions of the budget left, to the run's handler.
        Compiled blocks call it as HYPERCALL, the run loop for the ecalls it
        retires itself. None: run on, the call handled. Otherwise the pc to go
        on at (the handler changed the vCPU or code under the block), with the
        stop code above bit 31 if the run stops."""
        on_ecall = self._on_ecall
        if on_ecall is None:
            return nxt | SYSTEM_STOPS["ECALL"]  # no handler: the caller of run handles it
        self._pc = nxt
        epoch = self._epoch
        if on_ecall(pc, self._max - left):
            if self._epoch == epoch:
                return None
            self._recount(left)
            return self._pc
        if self._epoch != epoch:
            self._recount(left)
        self._ecall_pc = pc
        return self._pc | _HANDLED << 32

    def _recount(self, left: int) -> None:
        """After a handler reset or restored the vCPU, instret starts from what it
        set: the run's instructions so far are not added to it any more."""
        if self._rebased:
            self._counted = self._max - left
            self._rebased = False

    def _run(self, max_instructions: int) -> RunResult:
        remaining = max_instructions
        pc = self._pc
        table, heat, hot = self._table, self._heat, self.hot_threshold
        base, size = self._ram_gpa, self._ram_size
        step = self._step
        stop: int | None = None
        resumed = self._resumed
        if self.bus.mem.code_version != self._code_version:
            self._code_span()  # another core translated code, maybe in this window
        while True:  # once more after each ecall this loop retires itself and hands on
            stop = None
            try:
                off = pc - base
                if resumed and remaining > 0 and 0 <= off < size and table[off >> 2] is None:
                    # The last budget ran out here, likely mid-loop: interpret to the
                    # next control transfer without counting this address towards a
                    # translation. Entered once a quantum, it would cost a compile()
                    # for each offset a quantum can end at, and never pay it back.
                    self._pc = pc
                    stop = step()
                    remaining -= 1
                    while stop is None and remaining > 0:
                        stop = step()
                        remaining -= 1
                    pc = self._pc
                if stop is None or stop < 0:
                    while remaining > 0:
                        off = pc - base
                        if 0 <= off < size and not off & 3:
                            idx = off >> 2
                            fn = table[idx]
                            if fn is not None:
                                pc, k = fn(remaining)
                                remaining -= k
                                if pc >= 0:
                                    if pc <= M:
                                        continue
                                    stop = pc >> 32  # ecall, ebreak or wfi retired
                                    pc &= M
                                    break
                                pc = ~pc  # the block left this instruction to the interpreter
                                if remaining < MAX_BLOCK:
                                    # The budget's tail, likely too short for the block:
                                    # interpret it without counting the mid-block
                                    # addresses it passes towards translations.
                                    self._pc = pc
                                    while remaining > 0:
                                        stop = step()
                                        remaining -= 1
                                        if stop is not None and stop > 0:
                                            break
                                    pc = self._pc
                                    break
                            else:
                                n = heat.get(idx, 0) + 1
                                if n >= hot:
                                    self._translate(idx)
                                    if table[idx] is not None:
                                        continue
                                    n = heat[idx]  # translation failed: interpret, for good
                                heat[idx] = n
                                # Cold: interpret up to the next control transfer, so
                                # only block starts are counted.
                                self._pc = pc
                                stop = step()
                                remaining -= 1
                                while stop is None and remaining > 0:
                                    stop = step()
                                    remaining -= 1
                                pc = self._pc
                                if stop is None or stop < 0:
                                    continue
                                break
                        self._pc = pc
                        stop = step()
                        remaining -= 1
                        pc = self._pc
                        if stop is not None and stop > 0:
                            break
            except _Trap as trap:
                if self.priv.mode is not Privilege.USER:
                    retired = max_instructions - remaining
                    self.instret += retired - self._counted
                    fault = Fault(trap.cause, self._pc, trap.tval)
                    return RunResult(_FAULT, retired, self._pc, fault)
                # User mode: the guest kernel takes it (lab.cpu.base), and the trap counts.
                remaining -= 1
                pc = self._pc = self.priv.trap(trap.cause, self._pc, trap.tval)
                resumed = False
                continue
            if stop == _ECALL_STOP and self._on_ecall is not None:
                # An ecall retired here rather than inside a block: handle it the same way.
                nxt = self._hypercall((pc - 4) & M, pc, remaining)
                if nxt is None:
                    pc = self._pc
                    resumed = True
                    continue
                stop = nxt >> 32
                pc = nxt & M
                if not stop:
                    continue
            break
        retired = max_instructions - remaining if max_instructions > 0 else 0
        self.instret += retired - self._counted
        self._pc = pc
        if stop is not None and stop > 0:
            self._resumed = False
            return _result(stop, retired, self._ecall_pc if stop == _HANDLED else (pc - 4) & M)
        self._resumed = True
        return _result(0, retired, pc)

    def _step(self) -> int | None:
        """Execute the instruction at pc: None if it fell through, _JUMPED after
        a branch, a jump or sret, a stop code (1..3) for ecall/ebreak/wfi. Raises
        _Trap, having changed nothing, if it faults."""
        pc = self._pc
        x = self._x
        if pc & 3:
            raise _Trap(Cause.FETCH_MISALIGNED, pc)
        off = pc - self._ram_gpa
        if 0 <= off < self._ram_size:
            host: int | None = self._ram_host + off
        else:
            host = self.bus.translate(pc, 4)  # grant pages; never MMIO
            if host is None:
                raise _Trap(Cause.FETCH_ACCESS, pc)
        word = _U32.unpack_from(self._buf, host)[0]
        p = _DECODED.get(word)
        if p is None:
            p = _predecode(word)
            if p is None:
                raise _Trap(Cause.ILLEGAL_INSTRUCTION, word)
            if len(_DECODED) >= DECODE_CACHE_MAX:
                _DECODED.clear()
            _DECODED[word] = p
        op, rd, rs1, rs2, imm, extra = p
        nxt = (pc + 4) & M
        if op == _ALUI:
            if rd:
                x[rd] = extra(x[rs1], imm)
        elif op == _ALU:
            if rd:
                x[rd] = extra(x[rs1], x[rs2])
        elif op == _LOAD:
            v = self._load((x[rs1] + imm) & M, *extra)
            if rd:
                x[rd] = v
        elif op == _STORE:
            self._store((x[rs1] + imm) & M, extra, x[rs2])
        elif op == _BRANCH:
            if extra(x[rs1], x[rs2]):
                target = (pc + imm) & M
                if target & 3:
                    raise _Trap(Cause.FETCH_MISALIGNED, target)
                nxt = target
            self._pc = nxt
            return _JUMPED
        elif op in (_JAL, _JALR):
            target = (pc + imm) & M if op == _JAL else (x[rs1] + imm) & 0xFFFFFFFE
            if target & 3:
                raise _Trap(Cause.FETCH_MISALIGNED, target)
            if rd:
                x[rd] = nxt
            self._pc = target
            return _JUMPED
        elif op == _LUI:
            if rd:
                x[rd] = imm
        elif op == _AUIPC:
            if rd:
                x[rd] = (pc + imm) & M
        elif op == _CSR:
            old = self.priv.csr(extra, imm, rs1, x[rs1])
            if old is None:
                raise _Trap(Cause.ILLEGAL_INSTRUCTION, word)
            if rd:
                x[rd] = old
        elif op == _SRET:
            target = self.priv.sret()
            if target is None:
                raise _Trap(Cause.ILLEGAL_INSTRUCTION, word)
            self._pc = target
            return _JUMPED
        elif op != _FENCE:  # ecall, ebreak, wfi: retire, step over, stop
            if op == _WFI and self.priv.mode is Privilege.USER:
                raise _Trap(
                    Cause.ILLEGAL_INSTRUCTION, word
                )  # privileged spec: user mode may not stall the hart
            self._pc = nxt
            return extra
        self._pc = nxt
        return None

    def _mmio_load(self, addr: int, size: int) -> int:
        """A load outside the RAM window, for a compiled block (MMIO_LOAD): the
        value, zero-extended, or -1 when the load faults (misaligned, nothing
        there), having done nothing: the block leaves and `_load` raises it."""
        if addr & (size - 1):
            return -1
        bus = self.bus
        host = bus.translate(addr, size)
        if host is not None:
            return int.from_bytes(self._buf[host : host + size], "little")
        found = bus.device_at(addr)
        if found is None:
            return -1
        dev_base, device = found
        return device.read(addr - dev_base, size) & ((1 << (8 * size)) - 1)

    def _mmio_store(self, addr: int, size: int, value: int) -> bool:
        """A store to a device's registers, for a compiled block (MMIO_STORE): True
        once done. False, having done nothing, for a store that faults or goes to
        memory outside the RAM window (a grant page, which may hold code): the
        block leaves and `_store` does it with every check."""
        if addr & (size - 1) or self.bus.translate(addr, size, write=True) is not None:
            return False
        found = self.bus.device_at(addr)
        if found is None:
            return False
        dev_base, device = found
        device.write(addr - dev_base, size, value & ((1 << (8 * size)) - 1))
        return True

    def _load(self, addr: int, size: int, signed: bool) -> int:
        if addr & (size - 1):
            raise _Trap(Cause.LOAD_MISALIGNED, addr)
        bus = self.bus
        host = bus.translate(addr, size)
        if host is not None:
            v = int.from_bytes(self._buf[host : host + size], "little")
        else:
            found = bus.device_at(addr)
            if found is None:
                raise _Trap(Cause.LOAD_ACCESS, addr)
            dev_base, device = found
            v = device.read(addr - dev_base, size) & ((1 << (8 * size)) - 1)
        if signed:
            sign = 1 << (8 * size - 1)
            v = ((v ^ sign) - sign) & M
        return v

    def _store(self, addr: int, size: int, value: int) -> None:
        if addr & (size - 1):
            raise _Trap(Cause.STORE_MISALIGNED, addr)
        bus = self.bus
        value &= (1 << (8 * size)) - 1
        host = bus.translate(addr, size, write=True)
        if host is not None:
            self._buf[host : host + size] = value.to_bytes(size, "little")
            if bus.mem.code[host >> PAGE_SHIFT]:
                bus.mem.invalidate(host, host + size)
            return
        found = bus.device_at(addr)
        if found is None:
            raise _Trap(Cause.STORE_ACCESS, addr)
        dev_base, device = found
        device.write(addr - dev_base, size, value)
