"""Block translator: turns a hot run of guest instructions into Python source.

`InterpCpu` interprets cold code one instruction at a time. Once an address
has been entered often enough, it asks `BlockTranslator.translate` for Python
source computing the same thing as the code from there, and compiles it once.
A block is a superblock (a trace): it follows unconditional jumps (`j`, `jal`)
to their targets and conditional branches along their fall-through path,
until a `jalr`, an `ebreak`, or a jump back to its own start:

    def block(budget):              # -> (next pc, instructions retired)
        a0 = X[10]; a1 = X[11]      # guest registers live in Python locals
        ...                         # one or two lines per instruction
        X[10] = a0                  # written back at every exit
        return 0x80000010, 4

A block whose final branch or jump goes back to its own start becomes a bounded
`for` loop, run at most `budget // length` times, so it never overruns the
budget (`for _ in repeat(None, n)`: unlike `range`, it allocates no counter).
A forward branch to an instruction further down the same trace is an `if`
that skips the instructions between (`_sk` counts those not retired); any
other taken branch leaves the block. An `ecall` is handed to the hypervisor
right where it stands (`HYPERCALL`), and the block runs on after it.
Aligned RAM loads and stores are done inline. A load or store outside the
block's RAM window calls the core (`MMIO_LOAD`, `MMIO_STORE`: a device's
registers, a grant page read) and the block leaves right after it, so a
polled console driver never goes through the interpreter. Anything else
(an access that faults: misaligned, unmapped; a store to a grant page; illegal
words, and the instructions whose meaning depends on the privilege level: CSR
instructions, `sret`, `wfi`) leaves the block *before* that instruction with
`return ~pc, retired`, and the interpreter runs it with the reference
semantics. The semantics themselves are written once, as the expression
templates below, which the interpreter evaluates too.

What makes the Python fast is keeping ints small: CPython computes on 30-bit
digits, and a 32-bit register value past 2^30 (every RAM address, at
0x8000_0000) takes two, and a slower path through every operation. So the
emitter tracks what it knows of each register (`_Facts`: bounds of its value,
whether `_o` or `_w` still hold a checked address) and writes the cheapest
line that is still exact: no `& 0xFFFFFFFF` where the value cannot overflow;
a sum left unwrapped until it is used (an address check rejects an
out-of-range one anyway); constants folded; in a loop, registers that only
ever point into RAM held as RAM offsets (`a0 = X[10] - 0x80000000`, written
back with the base added); a bitwise operation masked right after computed on
masked operands. Each trick is checked against the interpreter by property
tests over random code (tests/cpu/test_translation_property.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from lab.riscv.isa import ABI_NAMES, Decoded, Fmt, Kind, M, decode

MAX_BLOCK: Final = 48  # instructions; bounds compile time and code held per block

# RV32IM register-register semantics on unsigned 32-bit values {a} and {b}
# (unprivileged spec, chapters 2.4 and 13). Signed views use (v ^ 2^31) - 2^31.
ALU: Final[dict[str, str]] = {
    "add": "({a} + {b}) & 0xFFFFFFFF",
    "sub": "({a} - {b}) & 0xFFFFFFFF",
    "sll": "({a} << ({b} & 31)) & 0xFFFFFFFF",
    "slt": "(1 if ({a} ^ 0x80000000) < ({b} ^ 0x80000000) else 0)",
    "sltu": "(1 if {a} < {b} else 0)",
    "xor": "{a} ^ {b}",
    "or": "{a} | {b}",
    "and": "{a} & {b}",
    "srl": "{a} >> ({b} & 31)",
    "sra": "((({a} ^ 0x80000000) - 0x80000000) >> ({b} & 31)) & 0xFFFFFFFF",
    "mul": "({a} * {b}) & 0xFFFFFFFF",
    "mulh": "(((({a} ^ 0x80000000) - 0x80000000) * (({b} ^ 0x80000000) - 0x80000000)) >> 32) & 0xFFFFFFFF",
    "mulhsu": "(((({a} ^ 0x80000000) - 0x80000000) * {b}) >> 32) & 0xFFFFFFFF",
    "mulhu": "({a} * {b}) >> 32",
    "div": "div32({a}, {b})",
    "divu": "(({a} // {b}) if {b} else 0xFFFFFFFF)",
    "rem": "rem32({a}, {b})",
    "remu": "(({a} % {b}) if {b} else {a})",
}

# The register-immediate forms compute the same as their register twins,
# with b = the sign-extended immediate as an unsigned 32-bit value.
IMM_TWIN: Final[dict[str, str]] = {
    "addi": "add",
    "slti": "slt",
    "sltiu": "sltu",
    "xori": "xor",
    "ori": "or",
    "andi": "and",
    "slli": "sll",
    "srli": "srl",
    "srai": "sra",
}

# Branch conditions, and their negations (for a loop's exit test).
BRANCH: Final[dict[str, str]] = {
    "beq": "{a} == {b}",
    "bne": "{a} != {b}",
    "blt": "({a} ^ 0x80000000) < ({b} ^ 0x80000000)",
    "bge": "({a} ^ 0x80000000) >= ({b} ^ 0x80000000)",
    "bltu": "{a} < {b}",
    "bgeu": "{a} >= {b}",
}
BRANCH_NOT: Final[dict[str, str]] = {
    "beq": "bne",
    "bne": "beq",
    "blt": "bge",
    "bge": "blt",
    "bltu": "bgeu",
    "bgeu": "bltu",
}


# A block that ends in ecall, ebreak or wfi returns `next_pc | code`.
SYSTEM_STOPS: Final[dict[str, int]] = {"ECALL": 1 << 32, "EBREAK": 2 << 32, "WFI": 3 << 32}


def _signed(v: int) -> int:
    return (v ^ 0x80000000) - 0x80000000


def div32(a: int, b: int) -> int:
    """Signed division, rounding toward zero; x/0 = -1, INT_MIN/-1 = INT_MIN."""
    if b == 0:
        return M
    sa, sb = _signed(a), _signed(b)
    q = abs(sa) // abs(sb)
    return (-q if (sa < 0) != (sb < 0) else q) & M


def rem32(a: int, b: int) -> int:
    """Signed remainder, sign of the dividend; x%0 = x, INT_MIN%-1 = 0."""
    if b == 0:
        return a
    sa, sb = _signed(a), _signed(b)
    r = abs(sa) % abs(sb)
    return (-r if sa < 0 else r) & M


def alu_expr(name: str, a: str, b: str | int) -> str:
    """Python source computing instruction `name` on operands `a` and `b`
    (register locals, or an int for an immediate, folded where it reads better)."""
    if isinstance(b, int):
        if name == "add" and b & 0x80000000:
            return f"({a} - {(-b) & M}) & 0xFFFFFFFF" if a != "0" else str(b)
        if name == "add" and a == "0":
            return str(b)
        tmpl = ALU[name].replace("({b} & 31)", str(b & 31)).replace("({b} ^ 0x80000000)", hex(b ^ 0x80000000))
        return tmpl.format(a=a, b=hex(b) if b > 9 else b)
    return ALU[name].format(a=a, b=b)


def interp_functions() -> tuple[dict[str, object], dict[str, object]]:
    """The templates as Python functions f(a, b), for the interpreter."""
    env = {"div32": div32, "rem32": rem32}
    alu = {n: eval(f"lambda a, b: {t.format(a='a', b='b')}", env) for n, t in ALU.items()}
    br = {n: eval(f"lambda a, b: {t.format(a='a', b='b')}", env) for n, t in BRANCH.items()}
    return alu, br


_FOLD: Final = interp_functions()[0]  # for constants known at translation time


# ---------------------------------------------------------------- disassembly


def _reg(i: int) -> str:
    return ABI_NAMES[i]


def disassemble(d: Decoded, pc: int) -> str:
    """One instruction in GNU as syntax (enough for comments and traces)."""
    ops = d.spec.operands
    if not ops:
        return d.name
    if d.spec.fmt is Fmt.FENCE:
        return d.name
    target = (pc + d.imm) & M
    imm = d.imm if d.spec.fmt is not Fmt.U else hex(d.imm)
    text = (
        ops.replace("rd", _reg(d.rd))
        .replace("rs1", _reg(d.rs1))
        .replace("rs2", _reg(d.rs2))
        .replace("target", hex(target))
        .replace("imm", str(imm))
    )
    return f"{d.name} {text.replace(',', ', ')}"


# ---------------------------------------------------------------- translation


@dataclass(slots=True)
class Translation:
    """The source for one block and what it covers."""

    source: str
    start: int  # guest pc of the first instruction
    count: int  # instructions in the block (0: nothing translatable, always interpret)
    loop: bool
    ranges: list[tuple[int, int]]  # guest [start, end) runs of code the block was made from


# Loads and stores on the fast path, through views of the RAM window indexed by
# the RAM offset `_o` (RAM16/RAM32: native-endian casts, so little-endian hosts only).
_LOADS: Final[dict[str, tuple[int, str, int]]] = {  # size, value, largest result
    "lw": (4, "RAM32[_w]", M),
    "lhu": (2, "RAM16[_w]", 0xFFFF),
    "lh": (2, "((RAM16[_w] ^ 0x8000) - 0x8000) & 0xFFFFFFFF", M),
    "lbu": (1, "RAM[_o]", 0xFF),
    "lb": (1, "((RAM[_o] ^ 0x80) - 0x80) & 0xFFFFFFFF", M),
}
# The same loads' values from what MMIO_LOAD returned (`_v`, zero-extended).
_MMIO_VALUE: Final[dict[str, str]] = {
    "lw": "_v",
    "lhu": "_v",
    "lh": "((_v ^ 0x8000) - 0x8000) & 0xFFFFFFFF",
    "lbu": "_v",
    "lb": "((_v ^ 0x80) - 0x80) & 0xFFFFFFFF",
}
_STORES: Final[dict[str, tuple[int, str]]] = {
    "sw": (4, "RAM32[_w] = {v}"),
    "sh": (2, "RAM16[_w] = {v} & 0xFFFF"),
    "sb": (1, "RAM[_o] = {v} & 0xFF"),
}
_WRAP: Final = {1: "> 0xFFFFFFFF: {r} -= 0x100000000", -1: "< 0: {r} += 0x100000000"}


class BlockTranslator:
    """Writes the Python source of blocks in one RAM window (see module doc).

    Generated code refers to these globals, which the core provides:
    X (the register list), RAM/RAM16/RAM32 (byte, halfword and word views of
    the RAM window), CODE (the has-code map of its pages), HOST (the host
    offset of the RAM window), INVAL (PhysicalMemory.invalidate), T (the block
    table), div32, rem32, itertools.repeat and operator.length_hint,
    EBREAK/WFI (stop codes a block ORs into the pc it returns: SYSTEM_STOPS),
    HYPERCALL(pc, budget left), which handles an ecall in place: it returns None
    to go on, or what the block returns as its next pc, and MMIO_LOAD(address,
    size) -> value or -1 and MMIO_STORE(address, size, value) -> done, for the
    accesses outside RAM (-1 and False: it faults, nothing was done).
    """

    def __init__(self, buf: object, *, ram_gpa: int, ram_host: int, ram_size: int) -> None:
        self.buf = buf
        self.ram_gpa = ram_gpa
        self.ram_host = ram_host
        self.ram_size = ram_size

    def _scan(self, start: int) -> list[tuple[int, Decoded]]:
        """The trace from `start`: (pc, instruction) pairs, following jumps and
        the fall-through of conditional branches and ecalls, ending after a
        `jalr`, an `ebreak`, a jump or branch back to `start`, or before an
        address already in the trace (an inner loop is a block of its own),
        an illegal word, or an instruction the interpreter runs (a CSR
        instruction, `sret`, `wfi`: what they do depends on the level)."""
        out: list[tuple[int, Decoded]] = []
        seen: set[int] = set()
        lo, hi = self.ram_gpa, self.ram_gpa + self.ram_size
        pc = start
        while lo <= pc <= hi - 4 and pc not in seen and len(out) < MAX_BLOCK:
            h = self.ram_host + pc - lo
            d = decode(int.from_bytes(self.buf[h : h + 4], "little"))
            if d is None:
                break  # the interpreter raises the fault
            kind = d.spec.kind
            if kind is Kind.CSR or kind is Kind.TRAP_RETURN or d.name == "wfi":
                break  # the interpreter runs it, at the hart's level
            seen.add(pc)
            out.append((pc, d))
            if kind is Kind.SYSTEM:
                if d.name != "ecall":
                    break  # retired by the block, which then stops the run
                # A hypercall is handled in place, and the trace goes on after it.
            elif kind is Kind.BRANCH or kind is Kind.JAL:
                target = (pc + d.imm) & M
                if target & 3:
                    out.pop()
                    break  # the jump itself faults: leave it to the interpreter
                if target == start:
                    break  # the back edge: the block becomes a loop
                if kind is Kind.BRANCH and target < pc:
                    break  # another loop's back edge: what follows it runs once, when that loop ends
                if kind is Kind.JAL:
                    pc = target
                    continue
            elif kind is Kind.JALR:
                break
            pc += 4
        return out

    def translate(self, start: int) -> Translation:
        insns = self._scan(start)
        n = len(insns)
        if n == 0:
            return Translation(f"def block(budget):\n    return ~{start:#x}, 0\n", start, 0, False, [])
        last_pc, last = insns[-1]
        lk = last.spec.kind
        # A loop: the last instruction jumps, or branches either way, back to the start.
        loop = (lk is Kind.BRANCH or lk is Kind.JAL) and (last_pc + last.imm) & M == start
        loop = loop or (lk is Kind.BRANCH and last_pc + 4 == start)
        ranges: list[tuple[int, int]] = []
        for pc in sorted(pc for pc, _ in insns):
            if ranges and ranges[-1][1] == pc:
                ranges[-1] = (ranges[-1][0], pc + 4)
            else:
                ranges.append((pc, pc + 4))
        emitter = _Emitter(self, start, insns, loop, ranges, _skips(insns))
        return Translation(emitter.source(), start, n, loop, ranges)


def _skips(insns: list[tuple[int, Decoded]]) -> dict[int, int]:
    """The forward branches that stay inside the block: position of the branch
    -> position of its target, a later instruction of the same trace. Taken, the
    branch skips the instructions between (an `if` without `else`); those
    regions nest, so the source can be indented. Any other taken branch leaves."""
    where = {pc: i for i, (pc, _) in enumerate(insns)}
    skips: dict[int, int] = {}
    open_ends: list[int] = []  # ends of the regions around position i, innermost last
    for i, (pc, d) in enumerate(insns[:-1]):
        while open_ends and open_ends[-1] <= i:
            open_ends.pop()
        if d.spec.kind is not Kind.BRANCH:
            continue
        k = where.get((pc + d.imm) & M, -1)
        if k > i and (not open_ends or k <= open_ends[-1]):
            skips[i] = k
            open_ends.append(k)
    return skips


def _sources(d: Decoded) -> tuple[int, ...]:
    """The registers an instruction reads."""
    kind = d.spec.kind
    if kind in (Kind.ALU, Kind.BRANCH, Kind.STORE):
        return (d.rs1, d.rs2)
    if kind in (Kind.ALU_IMM, Kind.LOAD, Kind.JALR):
        return (d.rs1,)
    return ()


def _dest(d: Decoded) -> int:
    """The register an instruction writes (0: none)."""
    return 0 if d.spec.kind in (Kind.BRANCH, Kind.STORE, Kind.FENCE, Kind.SYSTEM) else d.rd


def _pointers(insns: list[tuple[int, Decoded]]) -> set[int]:
    """A loop's offset registers: those it uses only to point into RAM. Each is
    held as its RAM offset (value - RAM base), a small int, where the value is
    a 32-bit one of two 30-bit digits: the access needs no subtraction, and
    stepping and comparing pointers is cheaper. A register qualifies if the loop
    uses it only as the base of loads and stores, steps it (`addi r, r, imm`),
    adds an index to it into another register (`add rd, r, i`), or compares
    it (eq, ne, ltu, geu) with another offset register or x0: every other use
    would need its value."""

    def fits(r: int, regs: set[int]) -> bool:
        for _pc, d in insns:
            kind, name = d.spec.kind, d.name
            if r not in _sources(d) and _dest(d) != r:
                continue
            if kind is Kind.LOAD and d.rs1 == r and d.rd != r:
                continue
            if kind is Kind.STORE and d.rs1 == r and d.rs2 != r:
                continue
            if name == "addi" and d.rd == r and d.rs1 == r:
                continue
            if name == "add" and d.rd in bases and d.rd != r and (d.rs1 in regs) != (d.rs2 in regs):
                continue  # pointer + index, the address of an access: its RAM offset is r + index
            if name in ("beq", "bne", "bltu", "bgeu"):
                other = d.rs2 if d.rs1 == r else d.rs1
                if other in regs or (other == 0 and name in ("beq", "bne")):
                    continue
            return False
        return True

    def consistent(regs: set[int]) -> set[int]:
        """The largest part of `regs` whose members all fit, given each other."""
        while True:
            kept = {r for r in regs if fits(r, regs)}
            if kept == regs:
                return regs
            regs = kept

    bases = {d.rs1 for _pc, d in insns if d.spec.kind in (Kind.LOAD, Kind.STORE) and d.rs1}
    regs = set(bases)
    while True:  # and the registers they are compared with (the end of an array), and theirs
        partners = {
            d.rs1 if d.rs2 in regs else d.rs2
            for _pc, d in insns
            if d.name in ("beq", "bne", "bltu", "bgeu") and (d.rs1 in regs) != (d.rs2 in regs)
        } - {0}
        if not partners:
            break
        regs |= partners
    regs = consistent(regs)
    # An array's base, which the loop adds an index to: one at a time, each
    # kept if everything still fits (its index must not be an offset register).
    indexed = {op for _pc, d in insns if d.name == "add" and d.rd in bases for op in (d.rs1, d.rs2)}
    for r in sorted(indexed - regs - {0}):
        if all(fits(q, regs | {r}) for q in regs | {r}):
            regs = regs | {r}
    return regs


def _access_size(name: str) -> int:
    return (_LOADS[name] if name in _LOADS else _STORES[name])[0]


def _has_statement(lines: list[str], *, passes: bool = True) -> bool:
    """Is any of the lines a statement (a `pass` only if `passes`), not a comment?"""
    for line in lines:
        text = line.strip()
        if text and not text.startswith("#") and (passes or not text.startswith("pass")):
            return True
    return False


@dataclass(slots=True)
class _Facts:
    """What the emitter knows about the register locals at one point of a block,
    whichever path led there."""

    bounds: dict[int, tuple[int, int]]  # register -> (lo, hi) its value lies in (absent: 0..M)
    # A sum not yet brought back into 32 bits: register -> +1 (it may exceed M) or
    # -1 (it may be negative). The wrap is written where the value is next used,
    # or never, when that use is an address check, which rejects such a value anyway.
    unwrapped: dict[int, int]
    checked: tuple[int, int, int] | None  # (rs1, imm, size) whose RAM offset `o` holds, checked
    w_size: int  # the access size `_w` was computed for (1: none)
    o: str = "_o"  # where that offset is: `_o`, or the base's own local (an offset register, imm 0)
    offset_of: int = 0  # a register whose RAM offset (value - base) `_o` holds, not checked yet

    def copy(self) -> _Facts:
        return _Facts(
            dict(self.bounds), dict(self.unwrapped), self.checked, self.w_size, self.o, self.offset_of
        )

    def join(self, other: _Facts) -> None:
        """Keep what holds on both paths into a join point (no sum is left unwrapped there)."""
        bounds = {}
        for r, (lo, hi) in self.bounds.items():
            if r in other.bounds:
                olo, ohi = other.bounds[r]
                bounds[r] = (min(lo, olo), max(hi, ohi))
        self.bounds = bounds
        if self.checked != other.checked:
            self.checked = None
        if self.w_size != other.w_size or self.checked is None:
            self.w_size = 1
        if self.offset_of != other.offset_of:
            self.offset_of = 0


class _Emitter:
    """Builds one block's source; `written` tracks what each exit writes back."""

    def __init__(
        self,
        tr: BlockTranslator,
        start: int,
        insns: list[tuple[int, Decoded]],
        loop: bool,
        ranges: list[tuple[int, int]],
        skips: dict[int, int],
    ) -> None:
        self.tr = tr
        self.start = start
        self.insns = insns
        self.ranges = ranges
        self.skips = skips
        self.n = len(insns)
        self.loop = loop
        self.lines: list[str] = []
        self.written: list[int] = []  # registers written so far, in order
        self.all_written: list[int] = []
        self.locals: list[int] = []  # registers held in locals
        self.facts = _Facts({}, {}, None, 1)
        self.ind = "    "
        self.inside = {j for i, k in skips.items() for j in range(i + 1, k)}  # positions that may be skipped
        calls = [j for j, (_pc, d) in enumerate(insns) if d.name == "ecall"]
        self.calls = bool(calls)
        # The position of the block's one hypercall, when it has exactly one that
        # every round passes: then each exit writes back only what changed since
        # (`dirty`), and only the registers read on the way on are read back.
        self.sync = calls[0] if len(calls) == 1 and calls[0] not in self.inside else None
        self.dirty: list[int] | None = None  # written since the hypercall (None: not reached yet)
        self.ptr: set[int] = _pointers(insns) if loop else set()
        self.folded: set[int] = set()  # positions whose work an earlier line did (see _narrowed)
        self.dirty_head: list[int] = []  # a loop's registers written after its hypercall
        # A sum left unwrapped must fail an address check: true while RAM ends by 2^32.
        self.lazy_wrap = tr.ram_gpa + tr.ram_size <= 1 << 32

    # -- helpers

    def r(self, i: int) -> str:
        return "0" if i == 0 else ABI_NAMES[i]

    def emit(self, line: str) -> None:
        self.lines.append(self.ind + line)

    def count(self, j: int | str) -> str:
        """Instructions retired up to position j in this round (`_sk`: those skipped)."""
        return f"{j} - _sk" if self.skips else str(j)

    def load(self, i: int) -> str:
        """`reg = X[i]`, or its RAM offset for an offset register."""
        return f"{self.r(i)} = X[{i}] - {self.tr.ram_gpa:#x}" if i in self.ptr else f"{self.r(i)} = X[{i}]"

    def loads(self, regs: Iterable[int]) -> None:
        regs = list(regs)
        if regs:
            self.emit("; ".join(self.load(i) for i in regs))

    def store(self, i: int) -> str:
        return f"X[{i}] = {self.r(i)} + {self.tr.ram_gpa:#x}" if i in self.ptr else f"X[{i}] = {self.r(i)}"

    def wrap(self, i: int, sign: int) -> str:
        """The line that brings an unwrapped sum in register i back into 32 bits."""
        r = self.r(i)
        if i not in self.ptr:
            return f"if {r} {_WRAP[sign].format(r=r)}"
        gpa = self.tr.ram_gpa  # an offset register: the value is r + gpa
        return (
            f"if {r} > {M - gpa:#x}: {r} -= 0x100000000"
            if sign > 0
            else f"if {r} < -{gpa:#x}: {r} += 0x100000000"
        )

    def writeback(self) -> None:
        if self.sync is None:
            regs = self.all_written if self.loop else self.written
        elif self.dirty is not None:
            regs = self.dirty  # since the hypercall, which wrote back the rest
        elif self.loop:
            regs = self.dirty_head + [i for i in self.written if i not in self.dirty_head]
        else:
            regs = self.written
        if regs:
            self.emit("; ".join(self.store(i) for i in regs))

    def rounds_before(self) -> str:
        """A loop's rounds completed before this one, as source."""
        return "(_n - _r)" if self.calls else "(_n - length_hint(_it) - 1)"

    def leave(self, pc: str, j: int) -> None:
        for i, sign in self.facts.unwrapped.items():  # on this exit path only
            self.emit(self.wrap(i, sign))
        if self.loop and self.sync is None:
            # Every exit from a loop shares one write-back after it: less
            # source to compile than a write-back at each exit.
            self.emit(f"_pc = {pc}; _j = {j}; break")
            return
        self.writeback()
        retired = f"{self.rounds_before()} * {self.n} + {j}" if self.loop else str(j)
        self.emit(f"return {pc}, {self.count(retired)}")

    def bounds(self, i: int) -> tuple[int, int]:
        """(lo, hi): what a register's value is known to lie in (0..M when nothing is known)."""
        return (0, 0) if i == 0 else self.facts.bounds.get(i, (0, M))

    def width(self, i: int) -> int:
        """Bits a register's value is known to fit in (32 when nothing is known)."""
        return self.bounds(i)[1].bit_length()

    def need(self, *regs: int) -> None:
        """The registers are about to be read as values: wrap any sum left unwrapped."""
        facts = self.facts
        for i in regs:
            sign = facts.unwrapped.pop(i, 0)
            if sign:
                self.emit(self.wrap(i, sign))
                facts.bounds.pop(i, None)
                if facts.offset_of == i:
                    facts.offset_of = 0  # `_o` is the offset of the unwrapped sum

    def need_all(self) -> None:
        self.need(*list(self.facts.unwrapped))

    def set_reg(self, rd: int, expr: str, lo: int = 0, hi: int = M, unwrapped: int = 0) -> None:
        """Emit rd = expr, whose value lies in lo..hi (or, `unwrapped`, still needs a wrap)."""
        if rd == 0:
            return  # x0 is hard-wired: the write is dropped
        self.emit(f"{self.r(rd)} = {expr}")
        facts = self.facts
        if unwrapped:
            facts.unwrapped[rd] = unwrapped
            facts.bounds.pop(rd, None)
        else:
            facts.unwrapped.pop(rd, None)
            if lo == 0 and hi == M:
                facts.bounds.pop(rd, None)
            else:
                facts.bounds[rd] = (lo, hi)
        if facts.checked and facts.checked[0] == rd:
            facts.checked = None
        if facts.offset_of == rd:
            facts.offset_of = 0
        self.mark_written(rd)

    def mark_written(self, rd: int) -> None:
        """rd's local now differs from X[rd]: the exits write it back."""
        if rd not in self.written:
            self.written.append(rd)
        if self.dirty is not None and rd not in self.dirty:
            self.dirty.append(rd)

    def alu(self, name: str, rs1: int, rs2: int | None, imm: int = 0) -> tuple[str, int, int]:
        """Source and result bounds of an ALU operation. Every register holds an
        unsigned 32-bit value; where the operands are known to be narrower, the
        `& 0xFFFFFFFF` that keeps a result in range is left out (it costs as
        much as the operation)."""
        a = self.r(rs1)
        alo, ahi = self.bounds(rs1)
        wa = ahi.bit_length()
        if rs2 is None:  # immediate: b is imm as an unsigned 32-bit value
            b: int | None = imm & M
            blo = bhi = imm & M
            bs = str(b) if b <= 9 else hex(b)
        else:
            b, bs = None, self.r(rs2)
            blo, bhi = self.bounds(rs2)
        wb = bhi.bit_length()
        if name == "add" and (b == 0 or bs == "0"):
            return a, alo, ahi
        if name == "add" and rs1 == 0:
            return bs, blo, bhi
        if name == "and":
            return f"{a} & {bs}", 0, min(ahi, bhi)
        if name in ("or", "xor"):
            if rs1 == 0:
                return bs, blo, bhi
            return f"{a} {'|' if name == 'or' else '^'} {bs}", 0, (1 << max(wa, wb)) - 1
        if name == "srl" and b is not None:
            return f"{a} >> {b & 31}", alo >> (b & 31), ahi >> (b & 31)
        if name == "sll" and b is not None:
            # A multiplication by 2**shift: cheaper than << in CPython (and under Pyodide).
            shift = b & 31
            if not shift:
                return a, alo, ahi
            if wa + shift <= 32:
                return f"{a} * {1 << shift:#x}", alo << shift, ahi << shift
            # Drop the bits that would shift out first: smaller ints all the way.
            return f"({a} & {M >> shift:#x}) * {1 << shift:#x}", 0, M >> shift << shift
        if name == "mul" and ahi * bhi <= M:
            return f"{a} * {bs}", alo * blo, ahi * bhi
        if name in ("slt", "sltu"):
            return alu_expr(name, a, b if b is not None else bs), 0, 1
        if name in ("srl", "remu"):  # never more than a (divu by zero is all ones)
            return alu_expr(name, a, b if b is not None else bs), 0, max(ahi, 1)
        return alu_expr(name, a, b if b is not None else bs), 0, M

    # -- the block

    def source(self) -> str:
        start, n = self.start, self.n
        shape = f"a loop run at most budget // {n} times" if self.loop else "straight-line"
        spans = ", ".join(f"{a:#010x}..{b:#010x}" for a, b in self.ranges)
        out = [
            "def block(budget):",
            f"    # {spans}: {n} instructions, {shape}",
        ]
        reads, writes = self._uses()
        self.all_written = list(writes)
        # A loop reads at its top what the last round wrote; a register written
        # only on a path that may be skipped keeps the value it came in with.
        self.locals = sorted(set(reads) | set(writes)) if self.loop or self.skips else reads
        if self.ptr:
            names = ", ".join(self.r(i) for i in sorted(self.ptr))
            out.append(f"    # {names}: held as RAM offsets (the register's value - {self.tr.ram_gpa:#x})")
        if self.locals:
            out.append("    " + "; ".join(self.load(i) for i in self.locals))
        if self.skips:
            out.append("    _sk = 0  # instructions skipped by taken forward branches")
        if self.sync is not None and self.loop:
            self.dirty_head = [rd for _pc, d in self.insns[self.sync + 1 :] if (rd := _dest(d))]
        if self.loop:
            out.append(f"    _n = budget // {n}")
            out.append("    if not _n:")
            out.append(f"        return ~{start:#x}, 0  # budget too small: interpret")
            if self.calls:
                out.append(f"    _c = budget - _n * {n}  # the budget beyond whole rounds")
            self.ind = "        "
        elif n > 1:
            out.append(f"    if budget < {n}:")
            out.append(f"        return ~{start:#x}, 0  # budget too small: interpret")
        self._body()
        if not self.loop:
            last_pc, last = self.insns[-1]
            if last.spec.kind not in (Kind.BRANCH, Kind.JAL, Kind.JALR, Kind.SYSTEM) or last.name == "ecall":
                self.leave(hex(last_pc + 4), n)  # the trace ran into code it already holds
            return "\n".join(out + self.lines) + "\n"
        if not _has_statement(self.lines, passes=False):
            # `j .`, or nops and a jump back: a round changes nothing and never
            # leaves, so all _n rounds retire at once.
            out += [line[4:] for line in self.lines]
            out.append("    # nothing here changes state or leaves the loop: all _n rounds retire at once")
            out.append(f"    return {start:#x}, _n * {n}")
            return "\n".join(out) + "\n"
        if self.calls:
            out.append("    for _r in range(_n, 0, -1):  # _r: rounds left, this one included")
        else:
            out.append("    _it = repeat(None, _n)")
            out.append("    for _ in _it:")
        self.lines.append("    else:  # every round ran to the back edge")
        self.ind = "        "
        self.writeback()
        self.emit(f"return {start:#x}, {self.count(f'_n * {n}')}")
        if self.sync is None:  # the exits that left by `break`
            self.ind = "    "
            self.writeback()
            self.emit(f"return _pc, {self.count(f'{self.rounds_before()} * {n} + _j')}")
        return "\n".join(out + self.lines) + "\n"

    def _body(self) -> None:
        """Every instruction, with the skippable regions indented under their branch."""
        regions: list[tuple[int, _Facts, int]] = []  # (end, facts on the skipping path, first line)
        for j, (pc, d) in enumerate(self.insns):
            while regions and regions[-1][0] == j:
                _end, skipped, first = regions.pop()
                self.need_all()
                if not _has_statement(self.lines[first:]):
                    self.emit("pass")
                self.ind = self.ind[:-4]
                self.facts.join(skipped)
            if d.spec.kind is Kind.BRANCH:
                self.need_all()  # (before the branch's own line: each wrap reads under its sum)
            self.lines.append(f"{self.ind}# {pc:08x}: {disassemble(d, pc)}")
            self._insn(d, pc, j)
            if self.skips.get(j, j + 1) > j + 1:
                self.ind += "    "
                regions.append((self.skips[j], self.facts.copy(), len(self.lines)))

    def _uses(self) -> tuple[list[int], list[int]]:
        """Registers read before being written, and registers written."""
        reads: list[int] = []
        writes: list[int] = []
        for _pc, d in self.insns:
            for s in _sources(d):
                if s and s not in writes and s not in reads:
                    reads.append(s)
            rd = _dest(d)
            if rd and rd not in writes:
                writes.append(rd)
        return reads, writes

    def _read_back(self) -> list[int]:
        """After the block's one hypercall: the registers to read back from X,
        those read on the way on (around the loop, in one) before being written,
        and those written on a path that may be skipped (whose local must hold
        the register's value on the other path)."""
        j0 = self.sync
        assert j0 is not None
        on = list(range(j0 + 1, self.n)) + (list(range(j0)) if self.loop else [])
        defined: set[int] = set()
        back: set[int] = set()
        for j in on:
            d = self.insns[j][1]
            back.update(s for s in _sources(d) if s and s not in defined)
            rd = _dest(d)
            if rd:
                (back if j in self.inside else defined).add(rd)
        return sorted(back)

    def _address(self, d: Decoded, size: int) -> str | None:
        """Emit `_o` = the RAM offset of the access; return the condition for
        *leaving* the block (outside RAM or misaligned), or None when an
        earlier access in this round already checked the same address
        (a load-modify-store), at least as strictly."""
        facts = self.facts
        c = facts.checked
        if c is not None and c[0] == d.rs1 and c[1] == d.imm and c[2] >= size:
            return None
        tr = self.tr
        # A base left unwrapped above M (or below 0) lands outside RAM here,
        # whatever the wrap would have given, as long as the offset cannot
        # bring it back in (imm >= 0; imm <= the RAM base): no need to wrap it.
        sign = facts.unwrapped.get(d.rs1, 0)
        if sign and not (self.lazy_wrap and (d.imm >= 0 if sign > 0 else d.imm <= tr.ram_gpa)):
            self.need(d.rs1)
        fused = facts.offset_of == d.rs1 and d.rs1 != 0
        facts.checked = (d.rs1, d.imm, size)
        facts.offset_of = 0
        base = self.r(d.rs1)
        o = facts.o = "_o"
        if fused:  # `_o` holds the base's offset already (pointer + index, just above)
            if d.imm:
                self.emit(f"_o += {d.imm}" if d.imm > 0 else f"_o -= {-d.imm}")
        elif d.rs1 in self.ptr:  # the register is its RAM offset already
            if d.imm:
                self.emit(f"_o = {base} + {d.imm}" if d.imm > 0 else f"_o = {base} - {-d.imm}")
            else:
                o = facts.o = base
        else:
            delta = d.imm - tr.ram_gpa
            if d.rs1 == 0:
                self.emit(f"_o = {delta:#x}" if delta >= 0 else f"_o = -{-delta:#x}")
            else:
                self.emit(f"_o = {base} + {delta:#x}" if delta >= 0 else f"_o = {base} - {-delta:#x}")
        size_ram = tr.ram_size
        if size_ram & (size_ram - 1) == 0:
            # One test for both: in [0, size) and aligned iff no bit outside
            # the in-RAM offset bits, and no bit below the alignment, is set.
            return f"{o} & ~{(size_ram - 1) & ~(size - 1):#x}"
        cond = f"0 <= {o} <= {size_ram - size:#x}"
        if size > 1:
            cond += f" and not {o} & {size - 1}"
        return f"not ({cond})"

    def _checked_base(self, d: Decoded, size: int) -> None:
        """After a passed address check: the base register points into RAM."""
        if d.rs1 == 0:
            return
        facts = self.facts
        facts.unwrapped.pop(d.rs1, None)
        lo, hi = self.bounds(d.rs1)
        lo = max(lo, self.tr.ram_gpa - d.imm)
        hi = min(hi, self.tr.ram_gpa + self.tr.ram_size - size - d.imm)
        if lo <= hi:
            facts.bounds[d.rs1] = (lo, hi)

    def _insn(self, d: Decoded, pc: int, j: int) -> None:
        name, kind = d.name, d.spec.kind
        r = self.r
        if j in self.folded:
            self.lines.append(f"{self.ind}# (done with the instruction above)")
        elif kind in (Kind.ALU, Kind.ALU_IMM) and self._narrowed(d, j):
            pass
        elif kind is Kind.ALU and name == "add" and d.rd and (d.rs1 in self.ptr) != (d.rs2 in self.ptr):
            self._index(d)
        elif kind is Kind.ALU:
            self.need(d.rs1, d.rs2)
            if not self._constant(name, d.rd, d.rs1, self.bounds(d.rs2)) and not self._sum(
                name, d.rd, d.rs1, d.rs2, 0
            ):
                self.set_reg(d.rd, *self.alu(name, d.rs1, d.rs2))
        elif kind is Kind.ALU_IMM:
            self.need(d.rs1)
            twin = IMM_TWIN[name]
            if not self._constant(twin, d.rd, d.rs1, (d.imm & M, d.imm & M)) and not self._sum(
                twin, d.rd, d.rs1, None, d.imm
            ):
                self.set_reg(d.rd, *self.alu(twin, d.rs1, None, d.imm))
        elif kind is Kind.LUI:
            value = d.imm << 12 & M
            self.set_reg(d.rd, hex(value), value, value)
        elif kind is Kind.AUIPC:
            value = (pc + (d.imm << 12)) & M
            self.set_reg(d.rd, hex(value), value, value)
        elif kind is Kind.FENCE:
            self.emit("pass  # one hart, in-order memory: nothing to order")
        elif kind is Kind.LOAD:
            size, value, hi = _LOADS[name]
            index = self._guard(self._address(d, size), pc, j, size, load=d)
            o = self.facts.o
            self._checked_base(d, size)
            if d.rd:
                self.set_reg(d.rd, value.replace("_w", index).replace("_o", o), 0, hi)
        elif kind is Kind.STORE:
            size, stmt = _STORES[name]
            self.need(d.rs2)
            index = self._guard(self._address(d, size), pc, j, size, store=r(d.rs2))
            o = self.facts.o
            self._checked_base(d, size)
            if self.width(d.rs2) <= 8 * size:  # already fits: no truncating mask
                stmt = stmt.replace(" & 0xFFFF", "").replace(" & 0xFF", "")
            self.emit(stmt.replace("_w", index).replace("_o", o).format(v=r(d.rs2)))
            # A store into translated code: drop the stale translations, and
            # leave if that was this very block (the next instruction changed).
            # CODE_LO..CODE_HI (RAM offsets) spans every page holding translated
            # code: two integer compares let most stores skip the map lookup
            # (data usually lies above the code, so the upper bound goes first).
            self.emit(f"if {o} < CODE_HI and CODE_LO <= {o} and CODE[{o} >> 12]:")
            idx = (self.start - self.tr.ram_gpa) >> 2
            self._nested(
                lambda: (
                    self.emit(f"INVAL({o} + HOST, {o} + HOST + {size})"),
                    self.emit(f"if T[{idx}] is None:"),
                    self._nested(lambda: self.leave(f"{pc + 4:#x}", j + 1)),
                )
            )
        elif kind is Kind.BRANCH:
            self.need_all()  # a branch ends a round or joins paths: every sum is wrapped by then
            target = (pc + d.imm) & M
            fall = (pc + 4) & M
            last = j == self.n - 1
            if j in self.skips:
                skipped = self.skips[j] - j - 1
                if not skipped:
                    self.lines.append(f"{self.ind}# (both ways lead to the next instruction)")
                    return
                self.emit(f"if {self.condition(name, d.rs1, d.rs2)}:  # taken: skip to {target:#x}")
                self._nested(lambda: self.emit(f"_sk += {skipped}"))
                self.emit("else:")
            elif last and self.loop and target == self.start:  # the back edge: leave when not taken
                self.emit(f"if {self.condition(BRANCH_NOT[name], d.rs1, d.rs2)}:")
                self._nested(lambda: self.leave(hex(fall), j + 1))
            elif last and self.loop:  # the fall-through is the back edge: leave when taken
                self.emit(f"if {self.condition(name, d.rs1, d.rs2)}:")
                self._nested(lambda: self.leave(hex(target), j + 1))
            elif last:
                cond = self.condition(name, d.rs1, d.rs2)
                self.emit(f"_pc = {target:#x} if {cond} else {fall:#x}")
                self.leave("_pc", j + 1)
            else:  # the trace goes on along the fall-through: taken is a side exit
                self.emit(f"if {self.condition(name, d.rs1, d.rs2)}:")
                self._nested(lambda: self.leave(hex(target), j + 1))
        elif kind is Kind.JAL:
            self.set_reg(d.rd, hex((pc + 4) & M), (pc + 4) & M, (pc + 4) & M)
            if j == self.n - 1:
                self.need_all()
                if not self.loop:
                    self.leave(hex((pc + d.imm) & M), j + 1)
            # otherwise the trace goes on at the target
        elif kind is Kind.JALR:
            self.need(d.rs1)
            off = f" + {d.imm}" if d.imm > 0 else f" - {-d.imm}" if d.imm else ""
            self.emit(f"_t = ({r(d.rs1)}{off}) & 0xFFFFFFFE")
            self.emit("if _t & 2:  # misaligned target: the jalr faults")
            self._nested(lambda: self.leave(f"~{pc:#x}", j))
            self.set_reg(d.rd, hex((pc + 4) & M), (pc + 4) & M, (pc + 4) & M)
            self.leave("_t", j + 1)
        elif name == "ecall":
            self._hypercall(pc, j)
        elif kind is Kind.SYSTEM:
            # Retired and stepped over; the stop travels above bit 31 of the pc.
            self.leave(f"{(pc + 4) & M:#x} | {name.upper()}", j + 1)
        else:  # pragma: no cover
            raise AssertionError(name)

    def _hypercall(self, pc: int, j: int) -> None:
        """An ecall: the hypervisor handles it right here, with the registers in
        X, and the block goes on unless the handler stops the run, changes the
        vCPU or its code (HYPERCALL returns what to return then)."""
        self.need_all()
        self.writeback()
        if self.loop:  # the budget left once the ecall retired
            left = f"_r * {self.n} + _c - {j + 1}" + (" + _sk" if self.skips else "")
        else:
            left = f"budget - ({self.count(j + 1)})" if self.skips else f"budget - {j + 1}"
        self.emit(f"_s = HYPERCALL({pc:#x}, {(pc + 4) & M:#x}, {left})")
        # The handler may have written any register (a0 and a1 at least).
        held = sorted(set(self.locals) | set(self.written))
        self.facts = _Facts({}, {}, None, 1)
        if j != self.sync:
            self.loads(held)
            self.emit("if _s is not None:")
            self._nested(lambda: self.leave("_s", j + 1))
            return
        self.dirty = []  # X holds every register now: an exit from here writes back only what changes
        self.emit("if _s is not None:")
        self._nested(lambda: self.leave("_s", j + 1))
        self.loads(self._read_back())

    def condition(self, name: str, rs1: int, rs2: int) -> str:
        """A branch condition; a test against x0 is a truth test, the cheapest there is.
        Two offset registers compare as their values do (eq, ne, ltu, geu only)."""
        if name in ("beq", "bne") and (rs1 == 0 or rs2 == 0):
            i = rs2 if rs1 == 0 else rs1
            v = self.r(i)
            if i in self.ptr:  # zero is the offset -gpa
                return f"{v} {'==' if name == 'beq' else '!='} -{self.tr.ram_gpa:#x}"
            return f"not {v}" if name == "beq" else v
        return BRANCH[name].format(a=self.r(rs1), b=self.r(rs2))

    def _narrowed(self, d: Decoded, j: int) -> bool:
        """`xor/or/and rd, a, b` and then `andi rd, rd, m`: the bitwise operation
        commutes with the mask, so mask the operands first and compute on small
        ints (CRC's `(crc ^ byte) & 0xff`); one line for both instructions."""
        name = IMM_TWIN.get(d.name, d.name)
        if name not in ("xor", "or", "and") or not d.rd or j + 1 >= self.n or j + 1 in self.skips.values():
            return False
        nxt = self.insns[j + 1][1]
        if nxt.name != "andi" or nxt.rd != d.rd or nxt.rs1 != d.rd or nxt.imm < 0:
            return False
        m = nxt.imm
        b_reg = d.rs2 if d.spec.kind is Kind.ALU else None
        self.need(d.rs1, *([b_reg] if b_reg else []))

        def masked(i: int | None) -> str:
            if i is None:
                return hex(d.imm & M & m)
            if i == 0:
                return "0"
            # Already inside the mask: only for a mask of low bits (2^k - 1) does
            # "at most m" mean "no bit outside m".
            inside = m & (m + 1) == 0 and self.bounds(i)[1] <= m
            return self.r(i) if inside else f"({self.r(i)} & {m:#x})"

        a, b = masked(d.rs1), masked(b_reg)
        if name == "and":  # (a & b) & m: mask one side, the narrower result follows
            expr = f"{a} & {self.r(b_reg)}" if b_reg else f"{a} & {b}"
        else:
            expr = f"{a} {'^' if name == 'xor' else '|'} {b}"
        self.set_reg(d.rd, expr, 0, m)
        self.folded.add(j + 1)
        return True

    def _index(self, d: Decoded) -> None:
        """`add rd, p, i` with p an offset register: the sum's own RAM offset is
        p + i, small ints, kept in `_o` for an access through rd that follows;
        rd's value is that plus the RAM base."""
        p, i = (d.rs1, d.rs2) if d.rs1 in self.ptr else (d.rs2, d.rs1)
        self.need(i)
        facts = self.facts
        if facts.o == "_o":
            facts.checked = None  # `_o` is about to hold something else
        self.emit(f"_o = {self.r(p)} + {self.r(i)}" if i else f"_o = {self.r(p)}")
        (plo, phi), (ilo, ihi) = self.bounds(p), self.bounds(i)
        lo, hi = plo + ilo, phi + ihi
        value = f"_o + {self.tr.ram_gpa:#x}"
        if hi <= M:
            self.set_reg(d.rd, value, lo, hi)
        else:  # may pass M: the address check catches it, or the next use wraps it
            self.set_reg(d.rd, value, unwrapped=1)
        facts.offset_of = d.rd

    def _constant(self, name: str, rd: int, rs1: int, b: tuple[int, int]) -> bool:
        """Emit rd = the result, when both operands are known exactly (`li`
        built from lui + addi, `la` from auipc + addi): computed here, once."""
        lo, hi = self.bounds(rs1)
        if rd == 0 or lo != hi or b[0] != b[1]:
            return False
        value = _FOLD[name](lo, b[0])
        stored = value - self.tr.ram_gpa if rd in self.ptr else value
        self.set_reg(rd, str(stored) if -9 <= stored <= 9 else hex(stored), value, value)
        return True

    def _sum(self, name: str, rd: int, rs1: int, rs2: int | None, imm: int) -> bool:
        """Emit add/sub as a plain sum: where the operands' bounds show it stays in
        32 bits, nothing else; otherwise it is left unwrapped for the next use to
        wrap (cheaper than `& 0xFFFFFFFF`, which allocates a second int every
        time, and free when that use is an address check). False when `alu` has
        a better form (x0)."""
        if name not in ("add", "sub") or rd == 0 or rs1 == 0 or rs2 == 0 or (rs2 is None and imm == 0):
            return False
        a = self.r(rs1)
        alo, ahi = self.bounds(rs1)
        if rs2 is None:  # addi (on an offset register, the same sum: only ever `addi r, r, imm`)
            lo, hi = alo + imm, ahi + imm
            expr = f"{a} + {imm}" if imm > 0 else f"{a} - {-imm}"
        else:
            blo, bhi = self.bounds(rs2)
            if name == "add":
                lo, hi, expr = alo + blo, ahi + bhi, f"{a} + {self.r(rs2)}"
            else:
                lo, hi, expr = alo - bhi, ahi - blo, f"{a} - {self.r(rs2)}"
        if lo >= 0 and hi <= M:
            self.set_reg(rd, expr, lo, hi)
        else:
            self.set_reg(rd, expr, unwrapped=1 if lo >= 0 else -1)
        return True

    def _guard(
        self,
        leave_if: str | None,
        pc: int,
        j: int,
        size: int,
        *,
        load: Decoded | None = None,
        store: str = "",
    ) -> str:
        """Where `leave_if` holds (the access is not to RAM, or misaligned), hand the
        access to MMIO_LOAD or MMIO_STORE and leave after it, or before it when it
        would fault; return the index into the halfword or word view for the RAM
        path: `_w` when a load and a store to one address share it."""
        if leave_if is None:
            self.lines.append(f"{self.ind}# (the same address as checked above)")
        else:
            self.emit(f"if {leave_if}:")
            self._nested(lambda: self._outside_ram(pc, j, size, load, store))
            self.facts.w_size = 1
        if size == 1 or self.facts.w_size == size:
            return "_w"
        if not self._reused(j):
            return f"{self.facts.o} >> {size.bit_length() - 1}"
        self.emit(f"_w = {self.facts.o} >> {size.bit_length() - 1}")
        self.facts.w_size = size
        return "_w"

    def _outside_ram(self, pc: int, j: int, size: int, load: Decoded | None, store: str) -> None:
        """The access at pc is not to this block's RAM: a device's registers (the UART) or
        a mapped grant page, done by the core's MMIO_LOAD/MMIO_STORE right here (no trip
        through the interpreter); the block then leaves after it, since what the access
        read or changed is not what this block's facts assume. A fault (misaligned, nothing
        there) leaves before the instruction, unexecuted, for the interpreter to raise."""
        address = f"({self.facts.o} + {self.tr.ram_gpa:#x}) & 0xFFFFFFFF"
        if load is None:
            self.emit(f"if not MMIO_STORE({address}, {size}, {store}):")
            self._nested(lambda: self.leave(f"~{pc:#x}", j))
        else:
            self.emit(f"_v = MMIO_LOAD({address}, {size})")
            self.emit("if _v < 0:")
            self._nested(lambda: self.leave(f"~{pc:#x}", j))
            rd = load.rd
            if rd:
                self.emit(f"{self.r(rd)} = {_MMIO_VALUE[load.name]}")
                self.mark_written(rd)
        self.leave(f"{(pc + 4) & M:#x}", j + 1)

    def _reused(self, j: int) -> bool:
        """Does the next access after position j go to the address j checked, with
        the same size (a load-modify-store), so that `_w` is worth a local?"""
        d = self.insns[j][1]
        for _pc, e in self.insns[j + 1 :]:
            kind = e.spec.kind
            if kind is Kind.LOAD or kind is Kind.STORE:
                return (e.rs1, e.imm, _access_size(e.name)) == (d.rs1, d.imm, _access_size(d.name))
            if kind not in (Kind.ALU, Kind.ALU_IMM, Kind.LUI, Kind.AUIPC) or e.rd == d.rs1:
                return False
        return False

    def _nested(self, body: object) -> None:
        saved = self.ind
        self.ind += "    "
        body()  # type: ignore[operator]
        self.ind = saved
