"""The hooks that run inside `emu_start`: one contract, machine code or Python.

Three hooks watch a running guest, so that unicorn needs no hook on the
ordinary load, store or instruction (which would cost QEMU its fast paths):

    block hook  (every translated block, before it runs)
        fast mode: count the block's instructions and check its entry
        conditions, the alignment proof `lab.cpu.uc.blocks` made for it.
        In front of a block that does not fit what is left of the budget
        (BUDGET), whose condition fails (ALIGN) or that must be watched
        instruction by instruction (CAREFUL), switch to careful mode and go
        on (nothing of the block has run yet): to the budget's end, or for
        `span` instructions. Stop instead when the budget is spent or the
        switch is not possible here.
        careful mode: only make sure the block has been analysed.
    code hook   (every instruction of a block translated in careful mode)
        count it, stop in front of it at the budget (BUDGET); stop in front
        of a misaligned access (MISALIGNED) or of a word the reference
        rejects (ILLEGAL), by the check word `blocks` made for that word.
    write-protect hook (a store to a page that holds translated code; those
        pages are mapped read-only)
        do the store, then: if it hit a word of a translated block, stop right
        after it (SMC) so that the core drops the stale translation before
        the next instruction; if the page is mapped by other harts too, let
        Python tell them. Returning True makes QEMU skip its own write.

Anything these do not cover natively they hand to Python through the slow
callbacks (`SLOW_BLOCK`, `SLOW_CODE`, `SLOW_STORE`: a block not yet
analysed, code outside RAM, a store to a page other harts map or to a grant
page): once per new block and on rare events, never per ordinary
instruction or access.

The switch to careful mode happens inside the block hook, without leaving
emu_start: it sets mstatus.FS (which picks QEMU's careful translations) and
widens the code hook's range, asks unicorn to leave the block (uc_emu_stop)
and then turns that stop request into a quit request, on which unicorn goes
on emulating from the same pc (see `lab.cpu.uc.qemu.RequestFlags`).

Everything the hooks read and write is in one `State` record and in tables
indexed by RAM word (`Tables`); both implementations read the very same
memory, so they are interchangeable and the tests run both. The machine code
(`native_hooks`, x86-64 System V, built with `lab.cpu.uc.x86`) exists on
x86-64 Linux; `PythonHooks` runs everywhere, far slower (a Python call per
block instead of a few machine instructions).
"""

from __future__ import annotations

import ctypes
import mmap
import platform
import sys
from dataclasses import dataclass
from enum import IntEnum
from typing import Final

from lab.cpu.uc import blocks, x86
from lab.cpu.uc.x86 import R8, R9, R10, R11, RAX, RCX, RDI, RDX, RSI, RSP, mem

# UC_MEM_WRITE_PROT (unicorn.h, uc_mem_type)
MEM_WRITE_PROT: Final = 22
FS_MASK: Final = 3 << 13  # mstatus.FS
FS_CAREFUL: Final = 1 << 13  # see lab.cpu.uc.qemu


class Mode(IntEnum):
    """Which set of translations runs: QEMU keys its blocks by this too (see core)."""

    FAST = 0  # no per-instruction hook; whole blocks are counted and checked on entry
    CAREFUL = 1  # a code hook before every instruction


class Reason(IntEnum):
    """Why a hook stopped the run (`State.reason`); NONE: it did not."""

    NONE = 0
    BUDGET = 1  # in front of the instruction that would exceed the budget
    CAREFUL = 2  # in front of a block that must run in careful mode
    ALIGN = 3  # in front of a block whose entry condition failed: it will fault
    MISALIGNED = 4  # in front of a misaligned access (careful mode)
    ILLEGAL = 5  # in front of a word the reference rejects (careful mode)
    SMC = 6  # right after a store into translated code
    PROTECT = 7  # in front of a block on a page not yet write-protected
    PYTHON = 8  # a slow-path callback asked to stop (see the core's own records)


class State(ctypes.Structure):
    """Shared by the core and its hooks. Counts are per `emu_start`."""

    _fields_ = [
        ("counted", ctypes.c_uint64),  # instructions counted (fast: whole blocks on entry)
        ("limit", ctypes.c_uint64),  # never count past this
        ("last_pc", ctypes.c_uint64),  # fast mode: the last block counted...
        ("last_n", ctypes.c_uint64),  # ...and its instructions
        ("fault_addr", ctypes.c_uint64),  # the store that stopped with SMC
        ("mode", ctypes.c_uint32),
        ("reason", ctypes.c_uint32),
        ("ram_gpa", ctypes.c_uint64),
        ("ram_size", ctypes.c_uint64),
        ("host_ram", ctypes.c_uint64),  # host address of RAM byte 0
        ("gpr", ctypes.c_uint64),  # host address of QEMU's x0 (x1..x31 follow, 32-bit)
        ("desc", ctypes.c_uint64),  # u64 per RAM word: address of the block's descriptor, 0 none
        ("checks", ctypes.c_uint64),  # u32 per RAM word: careful-mode check word
        ("codewords", ctypes.c_uint64),  # u8 per RAM word: part of (or just after) a translated block
        ("pages", ctypes.c_uint64),  # u8 per RAM page: PAGE_SHARED
        ("emu_stop", ctypes.c_uint64),  # uc_emu_stop
        ("slow_block", ctypes.c_uint64),  # SLOW_BLOCK
        ("slow_code", ctypes.c_uint64),  # SLOW_CODE
        ("slow_store", ctypes.c_uint64),  # SLOW_STORE
        # Switching to careful mode without leaving emu_start (see the module doc):
        ("switch", ctypes.c_uint32),  # 1 if the addresses below are known
        ("span", ctypes.c_uint64),  # instructions to stay careful for
        ("mstatus", ctypes.c_uint64),  # QEMU's mstatus (its FS bits pick the translations)
        ("range", ctypes.c_uint64),  # the code hook's [begin, end] (two u64)
        ("stop_flag", ctypes.c_uint64),  # uc_struct.stop_request
        ("quit_flag", ctypes.c_uint64),  # uc_struct.quit_request
    ]


# -- table formats (written by the core from `blocks` results, read by the hooks)
#
# Descriptor, at desc[word]:  u32 size in bytes; u32 flags | n << 8; n conditions (never moves).
# Condition (u32):   reg | add << 8 | mask << 16: (x[reg] + add) & mask must be 0.
# Check word (u32):  0 nothing to check; ILLEGAL_CHECK: stop; else reg | add << 8 | mask << 16.
DESC_CAREFUL: Final = 1
ILLEGAL_CHECK: Final = 1 << 31
PAGE_SHARED: Final = 1  # other harts map this RAM page: Python tells them of stores


def pack_condition(reg: int, add: int, mask: int) -> int:
    return reg | (add & 3) << 8 | mask << 16


def pack_check(check: tuple[int, int, int] | int | None) -> int:
    if check is None:
        return 0
    if check == blocks.ILLEGAL:
        return ILLEGAL_CHECK
    return pack_condition(*check)  # type: ignore[misc]


def pack(block: blocks.Block, size: int, extra: list) -> tuple[list[int], list[int]]:
    """(descriptor, check words from the block's first word on) for `block`;
    `extra`: the checks of words after it that the block may reach."""
    conditions = [pack_condition(*c) for c in block.conditions]
    desc = [size, (DESC_CAREFUL if block.careful else 0) | len(conditions) << 8, *conditions]
    return desc, [pack_check(c) for c in (*block.checks, *extra)]


def check_fails(word: int, gpr: ctypes.Array) -> bool:
    """Does the condition or check word `word` fail for these registers?"""
    reg, add, mask = word & 0xFF, (word >> 8) & 0xFF, (word >> 16) & 0xFF
    return bool((gpr[reg] + add) & mask)


# The slow paths, in Python, that the hooks call (C signatures).
SLOW_BLOCK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_uint64, ctypes.c_uint32)
"""block(address, size) -> 0 check the block again, 1 stop (reason set), 2 run it unchecked."""
SLOW_CODE = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_uint64)
"""code(address) -> 0 run it, 1 stop (reason set)."""
SLOW_STORE = ctypes.CFUNCTYPE(ctypes.c_bool, ctypes.c_int, ctypes.c_uint64, ctypes.c_int, ctypes.c_int64)
"""store(type, address, size, value) -> True: done (QEMU skips its write), False: a fault."""


@dataclass(slots=True)
class Tables:
    """The per-RAM-word tables, in lazily committed anonymous memory (only the
    pages holding code are ever touched)."""

    desc: ctypes.Array
    checks: ctypes.Array
    codewords: ctypes.Array
    pages: ctypes.Array
    _keep: tuple[object, ...]

    @classmethod
    def for_ram(cls, ram_size: int) -> Tables:
        words = ram_size >> 2
        maps = [mmap.mmap(-1, n) for n in (8 * words, 4 * words, words, max(ram_size >> 12, 1))]
        desc = (ctypes.c_uint64 * words).from_buffer(maps[0])
        checks = (ctypes.c_uint32 * words).from_buffer(maps[1])
        codewords = (ctypes.c_uint8 * words).from_buffer(maps[2])
        pages = (ctypes.c_uint8 * len(maps[3])).from_buffer(maps[3])
        return cls(desc, checks, codewords, pages, tuple(maps))


# ---------------------------------------------------------------- machine code


def _field(name: str) -> int:
    return getattr(State, name).offset


def _word_index(a: x86.Asm, outside: str) -> None:
    """rax = (rsi - ram_gpa) / 4, the RAM word at address rsi; jump to
    `outside` if rsi is not in RAM. rcx holds the State."""
    a.mov_rr(RAX, RSI)
    a.alu("sub", RAX, mem(RCX, _field("ram_gpa")))
    a.alu("cmp", RAX, mem(RCX, _field("ram_size")))
    a.jcc("ae", outside)
    a.shift_i("shr", RAX, 2)


def _stop(a: x86.Asm, state: int, reason: Reason, label: str) -> None:
    """label: state.reason = reason; tail-call uc_emu_stop(uc) (rdi holds uc)."""
    a.label(label)
    a.store_i(mem(state, _field("reason")), int(reason), 4)
    a.load(RAX, mem(state, _field("emu_stop")))
    a.jmp_r(RAX)


def _block_hook() -> x86.Asm:
    """void block(uc rdi, u64 address rsi, u32 size edx, State* rcx)."""
    a = x86.Asm()
    a.label("block")
    _word_index(a, "slow")  # outside RAM: Python
    a.load(R9, mem(RCX, _field("desc")))
    a.load(R9, mem(R9, 0, RAX, 8))  # r9 = the block's descriptor, 0: none yet
    a.test(R9, R9)
    a.jcc("z", "slow")
    a.alu("cmp", RDX, mem(R9), 4)  # made for a block of this size?
    a.jcc("ne", "slow")
    a.alu_i("cmp", mem(RCX, _field("mode")), 0, 4)
    a.jcc("ne", "done")  # careful mode: the code hook counts and checks
    # fast mode: r10 = counted + n; over the limit: in front of the block
    # (an empty block, a fault alone, is careful: see lab.cpu.uc.blocks)
    a.mov_rr(RAX, RDX, 4)
    a.shift_i("shr", RAX, 2, 4)
    a.load(R10, mem(RCX, _field("counted")))
    a.alu("add", R10, RAX)
    a.alu("cmp", R10, mem(RCX, _field("limit")))
    a.jcc("a", "stop_budget")
    # What the core reads if this block stops part way (written even if the
    # block does not start: then nothing stops in it).
    a.store(mem(RCX, _field("last_pc")), RSI)
    a.store(mem(RCX, _field("last_n")), RAX)
    a.load(R11, mem(R9, 4), 4)
    a.test(R11, R11, 4)
    a.jcc("z", "commit")  # the common case: nothing to check
    a.test_i(R11, DESC_CAREFUL, 4)
    a.jcc("nz", "stop_careful")
    a.shift_i("shr", R11, 8, 4)  # r11 = number of conditions
    a.load(R8, mem(RCX, _field("gpr")))
    a.label("condition")
    a.alu_i("add", R9, 4)
    a.load(RAX, mem(R9, 4), 1)  # reg
    a.load(RAX, mem(R8, 0, RAX, 4), 4)  # x[reg]
    a.load(RDX, mem(R9, 5), 1)  # add
    a.alu("add", RAX, RDX, 4)
    a.load(RDX, mem(R9, 6), 1)  # mask
    a.test(RAX, RDX, 4)
    a.jcc("nz", "stop_align")
    a.dec(R11, 4)
    a.jcc("nz", "condition")
    a.label("commit")
    a.store(mem(RCX, _field("counted")), R10)
    a.label("done")
    a.ret()
    # Python: analyse the block (or decide for one outside RAM), then as it says.
    a.label("slow")
    for reg in (RDI, RSI, RDX, RCX):
        a.push(reg)
    a.alu_i("sub", RSP, 8)  # keep the stack 16-byte aligned for the call
    a.mov_rr(RDI, RSI)
    a.mov_rr(RSI, RDX, 4)
    a.load(RAX, mem(RCX, _field("slow_block")))
    a.call_r(RAX)
    a.alu_i("add", RSP, 8)
    for reg in (RCX, RDX, RSI, RDI):
        a.pop(reg)
    a.test(RAX, RAX, 4)
    a.jcc("z", "block")  # analysed: check it again
    a.alu_i("cmp", RAX, 2, 4)
    a.jcc("e", "done")
    a.load(RAX, mem(RCX, _field("emu_stop")))  # Python set the reason
    a.jmp_r(RAX)
    # -- in front of the block: switch to careful mode, or stop (r11 = the new limit)
    a.label("stop_budget")
    a.store_i(mem(RCX, _field("reason")), int(Reason.BUDGET), 4)
    a.load(R11, mem(RCX, _field("limit")))
    a.alu("cmp", R11, mem(RCX, _field("counted")))
    a.jcc("ne", "switch")  # some budget left, less than the block: count it out carefully
    a.jmp("stop")
    for label, reason in (("stop_careful", Reason.CAREFUL), ("stop_align", Reason.ALIGN)):
        a.label(label)
        a.store_i(mem(RCX, _field("reason")), int(reason), 4)
        a.load(R11, mem(RCX, _field("counted")))
        a.alu("add", R11, mem(RCX, _field("span")))
        a.alu("cmp", R11, mem(RCX, _field("limit")))
        a.jcc("be", "switch")
        a.load(R11, mem(RCX, _field("limit")))
        a.jmp("switch")
    a.label("switch")
    a.load(RAX, mem(RCX, _field("switch")), 4)
    a.test(RAX, RAX, 4)
    a.jcc("z", "stop")
    a.store(mem(RCX, _field("limit")), R11)
    a.store_i(mem(RCX, _field("mode")), int(Mode.CAREFUL), 4)
    a.store_i(mem(RCX, _field("reason")), int(Reason.NONE), 4)
    a.load(R8, mem(RCX, _field("mstatus")))
    a.load(RAX, mem(R8), 4)
    a.alu_i("and", RAX, ~FS_MASK, 4)
    a.alu_i("or", RAX, FS_CAREFUL, 4)
    a.store(mem(R8), RAX, 4)
    a.load(R8, mem(RCX, _field("range")))
    a.store_i(mem(R8), 0, 8)
    a.mov_ri(RAX, 0xFFFF_FFFF)
    a.store(mem(R8, 8), RAX)
    a.push(RCX)
    a.load(RAX, mem(RCX, _field("emu_stop")))
    a.call_r(RAX)  # QEMU leaves this block before it runs...
    a.pop(RCX)
    a.load(R8, mem(RCX, _field("stop_flag")))
    a.alu("xor", RAX, RAX, 4)
    a.store(mem(R8), RAX, 1)
    a.load(R8, mem(RCX, _field("quit_flag")))
    a.inc(RAX, 4)
    a.store(mem(R8), RAX, 1)  # ...and goes on, finding the careful translations
    a.ret()
    a.label("stop")
    a.load(RAX, mem(RCX, _field("emu_stop")))
    a.jmp_r(RAX)
    return a


def _code_hook() -> x86.Asm:
    """void code(uc rdi, u64 address rsi, u32 size edx, State* rcx)."""
    a = x86.Asm()
    a.load(RAX, mem(RCX, _field("counted")))
    a.inc(RAX)
    a.store(mem(RCX, _field("counted")), RAX)
    a.alu("cmp", RAX, mem(RCX, _field("limit")))
    a.jcc("a", "stop_budget")
    _word_index(a, "slow")  # outside RAM: Python
    a.load(R9, mem(RCX, _field("checks")))
    a.load(R9, mem(R9, 0, RAX, 4), 4)  # the check word
    a.test(R9, R9, 4)
    a.jcc("z", "done")
    a.jcc("s", "stop_illegal")  # ILLEGAL_CHECK is the sign bit
    a.mov_rr(RAX, R9, 4)
    a.alu_i("and", RAX, 0xFF, 4)
    a.load(R8, mem(RCX, _field("gpr")))
    a.load(RAX, mem(R8, 0, RAX, 4), 4)  # x[reg]
    a.mov_rr(RDX, R9, 4)
    a.shift_i("shr", RDX, 8, 4)
    a.alu_i("and", RDX, 0xFF, 4)
    a.alu("add", RAX, RDX, 4)
    a.shift_i("shr", R9, 16, 4)
    a.test(RAX, R9, 4)
    a.jcc("nz", "stop_misaligned")
    a.label("done")
    a.ret()
    a.label("slow")
    a.push(RDI)
    a.push(RCX)
    a.alu_i("sub", RSP, 8)
    a.mov_rr(RDI, RSI)
    a.load(RAX, mem(RCX, _field("slow_code")))
    a.call_r(RAX)
    a.alu_i("add", RSP, 8)
    a.pop(RCX)
    a.pop(RDI)
    a.test(RAX, RAX, 4)
    a.jcc("z", "done")
    a.load(RAX, mem(RCX, _field("emu_stop")))
    a.jmp_r(RAX)
    _stop(a, RCX, Reason.BUDGET, "stop_budget")
    _stop(a, RCX, Reason.ILLEGAL, "stop_illegal")
    _stop(a, RCX, Reason.MISALIGNED, "stop_misaligned")
    return a


def _store_hook() -> x86.Asm:
    """bool store(uc rdi, int type esi, u64 address rdx, int size ecx, i64 value r8, State* r9)."""
    a = x86.Asm()
    a.alu_i("cmp", RSI, MEM_WRITE_PROT, 4)
    a.jcc("ne", "slow")
    a.mov_rr(RAX, RDX)
    a.alu("sub", RAX, mem(R9, _field("ram_gpa")))
    a.alu("cmp", RAX, mem(R9, _field("ram_size")))
    a.jcc("ae", "slow")
    a.mov_rr(R10, RCX, 4)
    a.alu_i("sub", R10, 1, 4)
    a.test(RDX, R10)
    a.jcc("nz", "slow")  # misaligned (the fast path never lets one through)
    a.mov_rr(R10, RAX)
    a.shift_i("shr", R10, 12)
    a.load(R11, mem(R9, _field("pages")))
    a.test_i(mem(R11, 0, R10), PAGE_SHARED, 1)
    a.jcc("nz", "slow")
    a.load(R10, mem(R9, _field("host_ram")))
    a.alu("add", R10, RAX)
    a.alu_i("cmp", RCX, 4, 4)
    a.jcc("e", "word")
    a.alu_i("cmp", RCX, 2, 4)
    a.jcc("e", "half")
    a.store(mem(R10), R8, 1)
    a.jmp("written")
    a.label("half")
    a.store(mem(R10), R8, 2)
    a.jmp("written")
    a.label("word")
    a.store(mem(R10), R8, 4)
    a.label("written")
    a.shift_i("shr", RAX, 2)
    a.load(R10, mem(R9, _field("codewords")))
    a.load(RAX, mem(R10, 0, RAX), 1)
    a.test(RAX, RAX, 4)
    a.jcc("nz", "smc")
    a.mov_ri(RAX, 1)
    a.ret()
    a.label("smc")
    a.store_i(mem(R9, _field("reason")), int(Reason.SMC), 4)
    a.store(mem(R9, _field("fault_addr")), RDX)
    a.alu_i("sub", RSP, 8)
    a.load(RAX, mem(R9, _field("emu_stop")))
    a.call_r(RAX)
    a.alu_i("add", RSP, 8)
    a.mov_ri(RAX, 1)
    a.ret()
    # Python: store(type, address, size, value)
    a.label("slow")
    a.mov_rr(RDI, RSI, 4)
    a.mov_rr(RSI, RDX)
    a.mov_rr(RDX, RCX, 4)
    a.mov_rr(RCX, R8)
    a.load(RAX, mem(R9, _field("slow_store")))
    a.jmp_r(RAX)
    return a


@dataclass(slots=True)
class NativeHooks:
    """The three hooks as machine code, in one read-only executable page."""

    block: int
    code: int
    store: int
    _page: mmap.mmap


def executable(code: bytes) -> tuple[int, mmap.mmap] | None:
    """`code` in a fresh read-only executable page: (its address, the page to
    keep alive), or None where it cannot run (not x86-64 Linux, or the host
    refuses executable memory)."""
    if platform.machine().lower() not in ("x86_64", "amd64") or not sys.platform.startswith("linux"):
        return None
    try:
        page = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE)
        page.write(code)
        base = ctypes.addressof(ctypes.c_char.from_buffer(page))
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.mprotect(ctypes.c_void_p(base), mmap.PAGESIZE, mmap.PROT_READ | mmap.PROT_EXEC) != 0:
            return None
    except (OSError, AttributeError, ValueError):
        return None
    return base, page


def native_hooks() -> NativeHooks | None:
    """A fresh copy of the hooks' machine code, or None where it cannot run."""
    parts = [_block_hook().assemble(), _code_hook().assemble(), _store_hook().assemble()]
    mapped = executable(b"".join(parts))
    if mapped is None:
        return None
    base, page = mapped
    code, store = base + len(parts[0]), base + len(parts[0]) + len(parts[1])
    return NativeHooks(base, code, store, page)


# ---------------------------------------------------------------- the Python twins


class PythonHooks:
    """The same three hooks in Python, for hosts without the machine code.
    `gpr` reads the registers (a view of QEMU's, or one that asks unicorn)."""

    def __init__(
        self, state: State, tables: Tables, gpr, slow_block, slow_code, slow_store, stop, leave
    ) -> None:
        self.state, self.tables, self.gpr = state, tables, gpr
        self.slow_block, self.slow_code, self.slow_store = slow_block, slow_code, slow_store
        self.stop = stop  # ask the run to stop (a reason is set)
        self.leave = leave  # uc_emu_stop alone: leave the block (to switch modes)

    def _stop(self, reason: Reason) -> None:
        self.state.reason = reason
        self.stop()

    def block(self, _uc: object, address: int, size: int, _ud: object) -> None:
        s = self.state
        while True:
            off = address - s.ram_gpa
            d = self.tables.desc[off >> 2] if 0 <= off < s.ram_size else 0
            head = (ctypes.c_uint32 * 2).from_address(d) if d else None
            if head is None or head[0] != size:
                verdict = self.slow_block(address, size)
                if verdict == 0:
                    continue
                if verdict == 1:
                    self.stop()
                return
            if s.mode != Mode.FAST:
                return
            n = size >> 2
            if s.counted + n > s.limit:
                return self._switch(Reason.BUDGET, s.limit)
            s.last_pc, s.last_n = address, n
            flags = head[1]
            if flags & DESC_CAREFUL:
                return self._switch(Reason.CAREFUL, min(s.limit, s.counted + s.span))
            gpr = self.gpr
            for condition in (ctypes.c_uint32 * (flags >> 8)).from_address(d + 8):
                if check_fails(condition, gpr):
                    return self._switch(Reason.ALIGN, min(s.limit, s.counted + s.span))
            s.counted += n
            return

    def _switch(self, reason: Reason, limit: int) -> None:
        """In front of a block: go on in careful mode up to `limit`, or stop."""
        s = self.state
        if not s.switch or s.counted == limit:
            return self._stop(reason)
        s.limit, s.mode, s.reason = limit, Mode.CAREFUL, Reason.NONE
        mstatus = ctypes.c_uint32.from_address(s.mstatus)
        mstatus.value = (mstatus.value & ~FS_MASK) | FS_CAREFUL
        rng = (ctypes.c_uint64 * 2).from_address(s.range)
        rng[0], rng[1] = 0, 0xFFFF_FFFF
        self.leave()
        ctypes.c_uint8.from_address(s.stop_flag).value = 0
        ctypes.c_uint8.from_address(s.quit_flag).value = 1

    def code(self, _uc: object, address: int, _size: int, _ud: object) -> None:
        s = self.state
        s.counted += 1
        if s.counted > s.limit:
            return self._stop(Reason.BUDGET)
        off = address - s.ram_gpa
        if not 0 <= off < s.ram_size:
            if self.slow_code(address):
                self.stop()
            return
        word = self.tables.checks[off >> 2]
        if word & ILLEGAL_CHECK:
            self._stop(Reason.ILLEGAL)
        elif word and check_fails(word, self.gpr):
            self._stop(Reason.MISALIGNED)

    def store(self, _uc: object, access: int, address: int, size: int, value: int, _ud: object) -> bool:
        s = self.state
        off = address - s.ram_gpa
        if (
            access != MEM_WRITE_PROT
            or not 0 <= off < s.ram_size
            or address & (size - 1)
            or self.tables.pages[off >> 12] & PAGE_SHARED
        ):
            return self.slow_store(access, address, size, value)
        ctypes.memmove(s.host_ram + off, (value & ((1 << 8 * size) - 1)).to_bytes(size, "little"), size)
        if self.tables.codewords[off >> 2]:
            s.fault_addr = address
            self._stop(Reason.SMC)
        return True
