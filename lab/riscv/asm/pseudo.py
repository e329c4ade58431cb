"""Pseudo-instructions: the one table of what each expands into, registered by name.

    entry = PSEUDOS["mv"]           # Pseudo("mv", forms=("rd,rs",), expands="addi rd, rs, 0", ...)
    insns = entry.assemble(p, ops, col)     # [Insn(addi, rd, rs, imm=0)]; a Fault on a bad operand

Each entry is registered with `@pseudo(name, *forms, expands=...)`: the operand shapes it takes
(the arity check and its message come from them) and, for the docs, what its first form becomes
(assembly a test assembles and compares, except for the pairs and constants below). The
expansions are GNU as's (binutils `riscv-opc.c` and `tc-riscv.c`), so the words are the same:

* `li` is `lui` and/or `addi` by the %hi/%lo carry rule (`li_sequence`); its value must be a
  constant known in pass 1, which fixes its length before any address is known; `li zero, big`
  keeps its trailing `addi`, as GNU as's does.
* `la`/`lla`, `call` and `tail` are an `auipc` and the instruction that completes its
  %pcrel_hi: `la rd, CONSTANT` is `li`, as in GNU as.
* `jal`, `jalr` and `fence` are real instructions with more than one syntax (`jal target` links
  `ra`; `jalr rs`; `fence` alone orders everything): their entries here read every syntax.

Every other name in lab.riscv.isa is assembled from its own operand shape (lab.riscv.asm.instructions).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Final

from lab.riscv.asm.diagnostics import Fault
from lab.riscv.asm.instructions import (
    Imm,
    Insn,
    Mod,
    OperandParser,
    check_arity,
    constant_imm,
    csr_insn,
    li_sequence,
)
from lab.riscv.asm.source import Operand
from lab.riscv.isa import BY_NAME, REGISTERS, sext

Expand = Callable[[OperandParser, list[Operand], int], list[Insn]]  # (operands, ops, statement column)


@dataclass(frozen=True, slots=True)
class Pseudo:
    """One registered pseudo-instruction (or extra syntax of a real one)."""

    name: str
    forms: tuple[str, ...]  # operand shapes, as GNU as's manual writes them; "" is none
    expands: str  # what it becomes, for the docs
    expand: Expand

    def assemble(self, p: OperandParser, ops: list[Operand], col: int) -> list[Insn]:
        check_arity(self.name, self.forms, ops, col)
        return self.expand(p, ops, col)


PSEUDOS: Final[dict[str, Pseudo]] = {}


def pseudo(name: str, *forms: str, expands: str) -> Callable[[Expand], Expand]:
    """Register the decorated function as the expansion of `name`."""

    def register(fn: Expand) -> Expand:
        assert name not in PSEUDOS, name
        PSEUDOS[name] = Pseudo(name, forms, expands, fn)
        return fn

    return register


_B: Final = BY_NAME
ZERO: Final = REGISTERS["zero"]
RA: Final = REGISTERS["ra"]
T1: Final = REGISTERS["t1"]


# ---------------------------------------------------------------- constants and addresses


@pseudo("li", "rd,constant", expands="lui rd, %hi(c); addi rd, rd, %lo(c), or one of them")
def _li(p: OperandParser, ops: list[Operand], col: int) -> list[Insn]:
    rd = p.reg(ops[0])
    try:
        value = p.symbols.constant(ops[1], "li")
    except Fault as f:
        raise Fault(f.col, f.message + " (use la for an address)") from None
    if not -(1 << 31) <= value < (1 << 32):
        raise Fault(ops[1].col, f"li value {value:#x} does not fit in 32 bits")
    return li_sequence(rd, sext(value & 0xFFFFFFFF, 32))


def _pcrel_pair(p: OperandParser, real: str, link: int, scratch: int, target: Operand) -> list[Insn]:
    """auipc scratch, %pcrel_hi(target); then `real` link, scratch, %pcrel_lo of that auipc."""
    hi = p.imm(target, Mod.PCREL_HI)
    lo = Imm(hi.node, Mod.PCREL_LO_PREV, target.col)
    return [Insn(_B["auipc"], scratch, imm=hi), Insn(_B[real], link, scratch, imm=lo)]


def _la(name: str, p: OperandParser, ops: list[Operand], col: int) -> list[Insn]:
    rd, target = p.reg(ops[0]), ops[1]
    value = p.symbols.try_constant(target)
    if value is not None:  # GNU as loads a constant "address" as li does
        if not -(1 << 31) <= value < (1 << 32):
            raise Fault(target.col, f"{name} value {value:#x} does not fit in 32 bits")
        return li_sequence(rd, sext(value & 0xFFFFFFFF, 32))
    return _pcrel_pair(p, "addi", rd, rd, target)


for _name in ("la", "lla"):
    pseudo(_name, "rd,symbol", expands="auipc rd, %pcrel_hi(s); addi rd, rd, %pcrel_lo(s)")(
        partial(_la, _name)
    )


@pseudo("call", "symbol", "rd,symbol", expands="auipc ra, %pcrel_hi(s); jalr ra, %pcrel_lo(s)(ra)")
def _call(p: OperandParser, ops: list[Operand], col: int) -> list[Insn]:
    if len(ops) == 2:  # call rd, symbol: the link in rd, the address in t1
        return _pcrel_pair(p, "jalr", p.reg(ops[0]), T1, ops[1])
    return _pcrel_pair(p, "jalr", RA, RA, ops[0])


@pseudo("tail", "symbol", expands="auipc t1, %pcrel_hi(s); jalr zero, %pcrel_lo(s)(t1)")
def _tail(p: OperandParser, ops: list[Operand], col: int) -> list[Insn]:
    return _pcrel_pair(p, "jalr", ZERO, T1, ops[0])


# ---------------------------------------------------------------- one register from another


def _with_imm(real: str, value: int, p: OperandParser, ops: list[Operand], col: int) -> list[Insn]:
    rd, rs = p.reg(ops[0]), p.reg(ops[1])
    return [Insn(_B[real], rd, rs, imm=constant_imm(value, col))]


def _with_zero(real: str, zero_first: bool, p: OperandParser, ops: list[Operand], col: int) -> list[Insn]:
    rd, rs = p.reg(ops[0]), p.reg(ops[1])
    return [Insn(_B[real], rd, ZERO, rs) if zero_first else Insn(_B[real], rd, rs, ZERO)]


for _name, _real, _value in (
    ("mv", "addi", 0),
    ("not", "xori", -1),
    ("seqz", "sltiu", 1),
    ("zext.b", "andi", 0xFF),
):
    pseudo(_name, "rd,rs", expands=f"{_real} rd, rs, {_value}")(partial(_with_imm, _real, _value))

for _name, _real, _zero_first in (
    ("neg", "sub", True),
    ("snez", "sltu", True),
    ("sltz", "slt", False),
    ("sgtz", "slt", True),
):
    _shape = "rd, zero, rs" if _zero_first else "rd, rs, zero"
    pseudo(_name, "rd,rs", expands=f"{_real} {_shape}")(partial(_with_zero, _real, _zero_first))


# ---------------------------------------------------------------- branches and jumps


def _branch_zero(real: str, zero_first: bool, p: OperandParser, ops: list[Operand], col: int) -> list[Insn]:
    rs = p.reg(ops[0])
    rs1, rs2 = (ZERO, rs) if zero_first else (rs, ZERO)
    return [Insn(_B[real], rs1=rs1, rs2=rs2, imm=p.imm(ops[1], Mod.BRANCH))]


for _name, _real, _zero_first in (
    ("beqz", "beq", False),
    ("bnez", "bne", False),
    ("blez", "bge", True),
    ("bgez", "bge", False),
    ("bltz", "blt", False),
    ("bgtz", "blt", True),
):
    _shape = "zero, rs" if _zero_first else "rs, zero"
    pseudo(_name, "rs,target", expands=f"{_real} {_shape}, target")(partial(_branch_zero, _real, _zero_first))


def _branch_swapped(real: str, p: OperandParser, ops: list[Operand], col: int) -> list[Insn]:
    return [Insn(_B[real], rs1=p.reg(ops[1]), rs2=p.reg(ops[0]), imm=p.imm(ops[2], Mod.BRANCH))]


for _name, _real in (("bgt", "blt"), ("ble", "bge"), ("bgtu", "bltu"), ("bleu", "bgeu")):
    pseudo(_name, "rs,rt,target", expands=f"{_real} rt, rs, target")(partial(_branch_swapped, _real))


@pseudo("j", "target", expands="jal zero, target")
def _j(p: OperandParser, ops: list[Operand], col: int) -> list[Insn]:
    return [Insn(_B["jal"], ZERO, imm=p.imm(ops[0], Mod.JUMP))]


@pseudo("jal", "target", "rd,target", expands="jal ra, target")
def _jal(p: OperandParser, ops: list[Operand], col: int) -> list[Insn]:
    if len(ops) == 1:
        return [Insn(_B["jal"], RA, imm=p.imm(ops[0], Mod.JUMP))]
    return [Insn(_B["jal"], p.reg(ops[0]), imm=p.imm(ops[1], Mod.JUMP))]


def _jalr_one(link: int, p: OperandParser, op: Operand, col: int) -> list[Insn]:
    """`jalr rs` / `jr rs` or with `imm(rs)`: jump there, the link in `link`."""
    if p.is_reg(op):
        return [Insn(_B["jalr"], link, p.reg(op), imm=constant_imm(0, col))]
    imm, rs1 = p.mem(op)
    return [Insn(_B["jalr"], link, rs1, imm=imm)]


@pseudo("jalr", "rs", "imm(rs)", "rd,rs", "rd,imm(rs)", "rs,imm", "rd,rs,imm", expands="jalr ra, 0(rs)")
def _jalr(p: OperandParser, ops: list[Operand], col: int) -> list[Insn]:
    if len(ops) == 1:
        return _jalr_one(RA, p, ops[0], col)
    if len(ops) == 2:
        if p.is_reg(ops[1]):
            return [Insn(_B["jalr"], p.reg(ops[0]), p.reg(ops[1]), imm=constant_imm(0, col))]
        if ops[1].text.endswith(")"):
            imm, rs1 = p.mem(ops[1])
            return [Insn(_B["jalr"], p.reg(ops[0]), rs1, imm=imm)]
        return [Insn(_B["jalr"], RA, p.reg(ops[0]), imm=p.imm(ops[1]))]
    return [Insn(_B["jalr"], p.reg(ops[0]), p.reg(ops[1]), imm=p.imm(ops[2]))]


@pseudo("jr", "rs", "imm(rs)", "rs,imm", expands="jalr zero, 0(rs)")
def _jr(p: OperandParser, ops: list[Operand], col: int) -> list[Insn]:
    if len(ops) == 1:
        return _jalr_one(ZERO, p, ops[0], col)
    return [Insn(_B["jalr"], ZERO, p.reg(ops[0]), imm=p.imm(ops[1]))]


@pseudo("ret", "", expands="jalr zero, 0(ra)")
def _ret(p: OperandParser, ops: list[Operand], col: int) -> list[Insn]:
    return [Insn(_B["jalr"], ZERO, RA, imm=constant_imm(0, col))]


# ---------------------------------------------------------------- no operands


@pseudo("nop", "", expands="addi zero, zero, 0")
def _nop(p: OperandParser, ops: list[Operand], col: int) -> list[Insn]:
    return [Insn(_B["addi"])]


_FENCE_BITS: Final = "iorw"
_FENCE_TSO: Final = 0b1000_0011_0011  # fm=TSO, pred=rw, succ=rw (unprivileged spec, 2.7)


def _fence_set(op: Operand) -> int:
    text = op.text.lower()
    if text == "0":
        return 0
    bits = 0
    last = -1
    for ch in text:
        idx = _FENCE_BITS.find(ch)
        if idx < 0 or idx <= last:
            raise Fault(op.col, f"bad fence set '{op.text}': letters from 'iorw', in that order")
        last = idx
        bits |= 8 >> idx
    if not bits:
        raise Fault(op.col, f"bad fence set '{op.text}'")
    return bits


@pseudo("fence", "", "pred,succ", expands="fence iorw, iorw")
def _fence(p: OperandParser, ops: list[Operand], col: int) -> list[Insn]:
    if not ops:
        return [Insn(_B["fence"], fixed_imm=0xFF)]
    return [Insn(_B["fence"], fixed_imm=_fence_set(ops[0]) << 4 | _fence_set(ops[1]))]


@pseudo("fence.tso", "", expands="fence rw, rw with fm=TSO (0x8330000f)")
def _fence_tso(p: OperandParser, ops: list[Operand], col: int) -> list[Insn]:
    return [Insn(_B["fence"], fixed_imm=_FENCE_TSO)]


# ---------------------------------------------------------------- CSRs (Zicsr)


@pseudo("csrr", "rd,csr", expands="csrrs rd, csr, zero")
def _csrr(p: OperandParser, ops: list[Operand], col: int) -> list[Insn]:
    return [csr_insn(p, _B["csrrs"], p.reg(ops[0]), ops[1], Operand("zero", col))]


def _csr_update(real: str, p: OperandParser, ops: list[Operand], col: int) -> list[Insn]:
    """csrw/csrs/csrc csr, rs (or an immediate, as GNU as takes it: the `i` form)."""
    spec = _B[real] if p.is_reg(ops[1]) else _B[real + "i"]
    return [csr_insn(p, spec, ZERO, ops[0], ops[1])]


def _csr_update_imm(real: str, p: OperandParser, ops: list[Operand], col: int) -> list[Insn]:
    return [csr_insn(p, _B[real], ZERO, ops[0], ops[1])]


for _name, _real in (("csrw", "csrrw"), ("csrs", "csrrs"), ("csrc", "csrrc")):
    pseudo(_name, "csr,rs", "csr,uimm", expands=f"{_real} zero, csr, rs")(partial(_csr_update, _real))
    pseudo(_name + "i", "csr,uimm", expands=f"{_real}i zero, csr, uimm")(
        partial(_csr_update_imm, _real + "i")
    )
