"""What a translated block may do unwatched: the alignment proof behind fast mode.

    block = analyze(words)          # the block's instruction words, in order
    block.careful                   # True: run it with an instruction hook
    block.conditions                # (reg, add, mask): on entry, (x[reg] + add) & mask must be 0
    block.checks                    # per word: what careful mode checks before it

QEMU performs misaligned loads and stores without complaint; the reference
faults on them. Watching every access would cost QEMU its fast path, so each
block is proven instead, once, when it is first translated. A QEMU block is
straight-line code (it ends at the first jump, branch or trap), so the low
two bits of every address it computes follow from the low two bits of the
registers on entry. The proof tracks, per register, those two bits as one of

    known(v)       the bits are v, whatever the registers held on entry
                   (lui, auipc, a link address, a shift left by 2 or more, ...)
    entry(r, c)    the bits are those of x[r] on entry plus c
    unknown        anything else (a loaded value, a right shift, a division, ...)

An access of 2 or 4 bytes through a `known` address is aligned or not for
good; through `entry(r, c)` it yields a condition the block hook checks on
entry, in a few machine instructions; through an `unknown` one, or a known
misaligned one, the block is `careful`: it runs with a hook before each
instruction that checks the very address (`checks`). So do blocks with a word
the reference rejects whatever the hart's level (`fence.i`, compressed
encodings, a CSR this machine does not have): QEMU would run some of those
(the floating-point CSRs, in careful mode), the reference raises an
illegal-instruction exception. The CSRs this machine has, and `sret`, QEMU's
user-mode hart always refuses: the core runs them in its interrupt hook.

Pure Python, no unicorn: the hooks (`lab.cpu.uc.hooks`) read the results.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from lab.riscv.isa import CSR_BY_NUMBER, Decoded, Kind
from lab.riscv.isa import decode as _decode_word

# Blocks share most of their words with other blocks (and with other runs of
# the same program): decode each word once.
decode = functools.lru_cache(maxsize=1 << 14)(_decode_word)

ACCESS_SIZE: Final = {"lb": 1, "lbu": 1, "sb": 1, "lh": 2, "lhu": 2, "sh": 2, "lw": 4, "sw": 4}
ILLEGAL: Final = -1
"""`checks` entry for a word the reference rejects."""

# A register's low two bits: (None, v) known to be v; (r, c) x[r] on entry plus c; None unknown.
Bits = tuple[int | None, int] | None
_ZERO: Final[Bits] = (None, 0)


@dataclass(frozen=True, slots=True)
class Block:
    careful: bool
    conditions: tuple[tuple[int, int, int], ...]  # (reg, add, mask)
    checks: tuple[tuple[int, int, int] | int | None, ...]  # per word: (reg, add, mask), ILLEGAL or None


def check_for(d: Decoded | None) -> tuple[int, int, int] | int | None:
    """What careful mode checks before the instruction `d` (None: nothing)."""
    if d is None or (d.spec.kind is Kind.CSR and d.imm not in CSR_BY_NUMBER):
        return ILLEGAL
    size = ACCESS_SIZE.get(d.name, 1)
    return (d.rs1, d.imm & 3, size - 1) if size > 1 else None


def _add(a: Bits, b: Bits) -> Bits:
    if a is None or b is None:
        return None
    if a[0] is None:
        return (b[0], (a[1] + b[1]) & 3)
    if b[0] is None:
        return (a[0], (a[1] + b[1]) & 3)
    return None  # two registers from entry: their sum's bits are not one register's


def _sub(a: Bits, b: Bits) -> Bits:
    if a is None or b is None:
        return None
    if b[0] is None:
        return (a[0], (a[1] - b[1]) & 3)
    if a[0] == b[0]:
        return (None, (a[1] - b[1]) & 3)  # (x + c1) - (x + c2)
    return None


def _known(a: Bits) -> int | None:
    return a[1] if a is not None and a[0] is None else None


def _and(a: Bits, m: int | None) -> Bits:
    """x & m, m's low bits known (None: not known)."""
    if m == 0:
        return _ZERO
    if m == 3:
        return a  # the low bits pass through
    v = _known(a)
    return (None, v & m) if v is not None and m is not None else None


def _or(a: Bits, m: int | None) -> Bits:
    if m == 0:
        return a
    if m == 3:
        return (None, 3)
    v = _known(a)
    return (None, v | m) if v is not None and m is not None else None


def _xor(a: Bits, m: int | None) -> Bits:
    if m == 0:
        return a
    v = _known(a)
    return (None, v ^ m) if v is not None and m is not None else None


def _result(d: Decoded, regs: list[Bits]) -> Bits:
    """The low two bits of what `d` writes to rd."""
    kind, name = d.spec.kind, d.name
    a, b = regs[d.rs1], regs[d.rs2]
    if kind in (Kind.LUI, Kind.AUIPC, Kind.JAL, Kind.JALR):
        return _ZERO  # a page-aligned value, or pc + 4
    if kind is Kind.ALU_IMM:
        imm = d.imm & 3
        if name == "addi":
            return _add(a, (None, imm))
        if name == "andi":
            return _and(a, imm)
        if name == "ori":
            return _or(a, imm)
        if name == "xori":
            return _xor(a, imm)
        if name == "slli":
            shamt = d.imm & 0x1F
            if shamt >= 2:
                return _ZERO
            v = _known(a)
            return a if shamt == 0 else ((None, v << 1 & 3) if v is not None else None)
        return None  # slti, sltiu, srli, srai
    if kind is Kind.ALU:
        if name == "add":
            return _add(a, b)
        if name == "sub":
            return _sub(a, b)
        if name in ("and", "or", "xor"):
            op = {"and": _and, "or": _or, "xor": _xor}[name]
            return op(a, _known(b)) if _known(b) is not None else op(b, _known(a))
        if name == "mul":
            va, vb = _known(a), _known(b)
            if va == 0 or vb == 0:
                return _ZERO
            return (None, va * vb & 3) if va is not None and vb is not None else None
        return None
    return None  # loads and everything else: unknown


def ends_block(word: int) -> bool:
    """Does QEMU end a block after this word (a jump, a branch, a trap, a CSR instruction, sret)?"""
    d = decode(word)
    return d is None or d.spec.kind in (
        Kind.BRANCH,
        Kind.JAL,
        Kind.JALR,
        Kind.SYSTEM,
        Kind.CSR,
        Kind.TRAP_RETURN,
    )


def analyze(words: Sequence[int], after: int | None = None) -> Block:
    """Prove what can be proven about the straight-line block `words`.

    `after` is the word that follows the block on its page, if any. QEMU ends
    a block in front of a compressed-looking word (there is no C extension)
    and raises its illegal-instruction fault from the block, without counting
    the word in the block's size: such a block holds one more instruction
    than its size says, so it is careful (counted one by one)."""
    regs: list[Bits] = [(r, 0) for r in range(32)]
    regs[0] = _ZERO
    careful = False
    conditions: list[tuple[int, int, int]] = []
    checks: list[tuple[int, int, int] | int | None] = []
    for word in words:
        d = decode(word)
        check = check_for(d)
        checks.append(check)
        if d is None or check == ILLEGAL:
            careful = True
            continue
        size = ACCESS_SIZE.get(d.name, 0)
        if size > 1:
            addr = _add(regs[d.rs1], (None, d.imm & 3))
            if addr is None:
                careful = True  # unknown: watch it
            elif addr[0] is None:
                careful |= bool(addr[1] & (size - 1))  # misaligned for sure: let careful mode fault it
            elif (cond := (addr[0], addr[1], size - 1)) not in conditions:
                conditions.append(cond)
        if d.spec.kind not in (Kind.STORE, Kind.BRANCH, Kind.FENCE, Kind.SYSTEM, Kind.TRAP_RETURN) and d.rd:
            regs[d.rd] = _result(d, regs) if d.spec.kind is not Kind.LOAD else None
    if after is not None and after & 3 != 3 and (not words or not ends_block(words[-1])):
        careful = True
    return Block(careful, tuple(conditions), tuple(checks))
