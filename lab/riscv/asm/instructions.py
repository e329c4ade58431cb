"""Machine instructions: operands parsed into `Insn` records in pass 1, encoded into words in pass 2.

    p = OperandParser(symbols)
    insns = parse_real(p, BY_NAME["lw"], "lw", ops, col)       # [Insn(spec, rd, rs1, imm=Imm(...))]
    word = Encoder(symbols, items).encode(insn, pc, dot, section)

Every instruction comes from `lab.riscv.isa`, the one table of encodings: its `Spec` gives the format
and the operand shape GNU as writes (`rd,imm(rs1)`), and `lab.riscv.isa.encode` builds the word. The
pseudo-instructions (lab.riscv.asm.pseudo) expand into the same `Insn` records. Two GNU as spellings of
real instructions are read here: objdump 2.40's register-form names of immediate instructions
(`add a0, a0, 1` is `addi`, `csrrw a0, sstatus, 1` is `csrrwi`), and a load or store of a symbol
(`lw a0, sym`, `sw a0, sym, t0`), which is an `auipc` into the destination (for a store, the scratch
register) and the access.

A CSR operand is the name of one of this machine's CSRs (`sstatus`; lab.riscv.isa.CSRS) or a
constant 0..0xfff. GNU as knows every standard CSR's name; ours refuses the others by name (this
machine does not have them: an access would be an illegal instruction), and says which it has.

An immediate is an expression with a way of deriving the field from it (`Mod`): as is, `%hi`,
`%lo`, `%pcrel_hi`, `%pcrel_lo(label of the auipc)`, or a branch or jump target. Targets and
%-relocations are resolved when the addresses are known (pass 2), and checked there: where GNU as
would accept a mistake we report it instead: a branch or jump to a constant address, a branch
into another section (GNU as silently rewrites it into an inverted branch over a `jal`), a target
that is not 4-byte aligned, an immediate out of its field's range.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from enum import Enum
from typing import Final

from lab.riscv.asm.diagnostics import Fault
from lab.riscv.asm.expr import Node, Num, Value, evaluate, symbols_in
from lab.riscv.asm.layout import Item, ItemKind, Section
from lab.riscv.asm.source import Operand
from lab.riscv.asm.symbols import SymbolTable, shown
from lab.riscv.isa import (
    BY_NAME,
    CSR_BY_NAME,
    CSR_IMM_RANGE,
    IMM_RANGE,
    REGISTERS,
    Fmt,
    Kind,
    Spec,
    encode,
    sext,
)


class Mod(Enum):
    """How an instruction's immediate is derived from its expression."""

    PLAIN = "plain"
    HI = "hi"  # %hi(x): (x + 0x800) >> 12
    LO = "lo"  # %lo(x)
    PCREL_HI = "pcrel_hi"  # %pcrel_hi(x): relative to this instruction
    PCREL_LO = "pcrel_lo"  # %pcrel_lo(L): L labels the auipc whose %pcrel_hi it completes
    PCREL_LO_PREV = "pcrel_lo_prev"  # la/call/tail: completes the auipc just before
    BRANCH = "branch"
    JUMP = "jump"


_RELOCATIONS: Final = {"hi": Mod.HI, "lo": Mod.LO, "pcrel_hi": Mod.PCREL_HI, "pcrel_lo": Mod.PCREL_LO}


@dataclass(slots=True)
class Imm:
    node: Node
    mod: Mod
    col: int


@dataclass(slots=True)
class Insn:
    """One machine instruction, its immediate still an expression (or `fixed_imm`, known)."""

    spec: Spec
    rd: int = 0
    rs1: int = 0
    rs2: int = 0
    imm: Imm | None = None
    fixed_imm: int = 0


def constant_imm(value: int, col: int) -> Imm:
    return Imm(Num(value), Mod.PLAIN, col)


def check_arity(name: str, forms: tuple[str, ...], ops: list[Operand], col: int) -> None:
    """A Fault unless `ops` has as many operands as one of `forms` ("rd,rs1,imm"; "": none)."""
    counts = sorted({len(form.split(",")) if form else 0 for form in forms})
    if len(ops) in counts:
        return
    *most, last = (str(n) for n in counts)
    number = f"{', '.join(most)} or {last}" if most else last
    shapes = " or ".join(form or "no operands" for form in forms)
    raise Fault(
        col, f"'{name}' takes {number} operand{'s' if counts != [1] else ''} ({shapes}), got {len(ops)}"
    )


def unknown_instruction(name: str, col: int, known: list[str]) -> Fault:
    hint = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    return Fault(
        col, f"unknown instruction '{name}'" + (f" (did you mean {', '.join(hint)}?)" if hint else "")
    )


class OperandParser:
    """Reads registers, immediates and memory operands; expressions through the symbol table."""

    def __init__(self, symbols: SymbolTable) -> None:
        self.symbols = symbols

    def reg(self, op: Operand) -> int:
        r = REGISTERS.get(op.text)
        if r is None:
            hint = difflib.get_close_matches(op.text.lower(), list(REGISTERS), n=1, cutoff=0.6)
            extra = f" (did you mean {hint[0]}?)" if hint and hint[0] != op.text else ""
            if op.text.lower() in REGISTERS:
                extra = f" (register names are lower case: {op.text.lower()})"
            raise Fault(op.col, f"bad register '{op.text}'{extra}")
        return r

    def is_reg(self, op: Operand) -> bool:
        return op.text in REGISTERS

    def imm(self, op: Operand, mod: Mod = Mod.PLAIN) -> Imm:
        """An immediate: `mod` for a target or a pseudo's pair; else `%hi(x)` and co. or plain."""
        m = re.fullmatch(r"%(\w+)\s*\((.*)\)", op.text, re.S)
        if m and mod is Mod.PLAIN:
            if m.group(1) not in _RELOCATIONS:
                raise Fault(op.col, f"unknown relocation '%{m.group(1)}': use %hi, %lo, %pcrel_hi, %pcrel_lo")
            inner = Operand(m.group(2), op.col + m.start(2))
            return Imm(self.symbols.parse(inner), _RELOCATIONS[m.group(1)], inner.col)
        return Imm(self.symbols.parse(op), mod, op.col)

    def mem(self, op: Operand) -> tuple[Imm, int]:
        """`imm(reg)` or `(reg)` or `%lo(sym)(reg)`: the offset and the base register."""
        m = re.fullmatch(r"(.*)\(\s*([^()]*?)\s*\)", op.text, re.S)
        if not m or (m.group(1).strip() and m.group(1).rstrip()[-1] in "+-*/|&^<>!~%"):
            raise Fault(op.col, f"expected offset(register), found '{op.text}'")
        reg = self.reg(Operand(m.group(2), op.col + m.start(2)))
        off_text = m.group(1).strip()
        if not off_text:
            return constant_imm(0, op.col), reg
        return self.imm(Operand(off_text, op.col)), reg

    def csr(self, op: Operand) -> int:
        """A CSR: one of this machine's by name, or its number as a constant expression."""
        csr = CSR_BY_NAME.get(op.text)
        if csr is not None:
            return csr.number
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", op.text) and op.text not in self.symbols.consts:
            names = ", ".join(CSR_BY_NAME)
            raise Fault(op.col, f"unknown CSR '{op.text}': this machine has {names} (or give a number)")
        value = self.symbols.constant(op, "a CSR")
        lo, hi = IMM_RANGE[Fmt.CSR]
        if not lo <= value <= hi:
            raise Fault(op.col, f"CSR number {value:#x} out of range: must be in {lo}..{hi:#x}")
        return value

    def csr_imm(self, op: Operand, name: str) -> int:
        """The 5-bit unsigned immediate of csrrwi, csrrsi and csrrci."""
        value = self.symbols.constant(op, name)
        lo, hi = CSR_IMM_RANGE
        if not lo <= value <= hi:
            raise Fault(op.col, f"immediate {value} out of range for {name}: must be in {lo}..{hi}")
        return value

    def symbol_access(self, spec: Spec, ops: list[Operand]) -> bool:
        """Is this load/store GNU's symbol form (`lw a0, sym`) rather than `lw a0, off(reg)`?"""
        if len(ops) != (2 if spec.kind is Kind.LOAD else 3) or ops[1].text.endswith(")"):
            return False
        if not re.fullmatch(r"[A-Za-z_.$][A-Za-z0-9_.$]*(\s*[-+]\s*\w+)?", ops[1].text):
            return False
        # GNU as refuses a constant there: it is not an address it can reach pc-relative.
        return self.symbols.try_constant(ops[1]) is None


# objdump 2.40 prints these immediate instructions under their register-form names; GNU as
# reads those names back when the last operand is not a register.
ALU_IMM_ALIAS: Final = {
    "add": "addi",
    "and": "andi",
    "or": "ori",
    "xor": "xori",
    "sll": "slli",
    "srl": "srli",
    "sra": "srai",
    "slt": "slti",
    "sltu": "sltiu",
    "csrrw": "csrrwi",
    "csrrs": "csrrsi",
    "csrrc": "csrrci",
}


def parse_real(p: OperandParser, spec: Spec, name: str, ops: list[Operand], col: int) -> list[Insn]:
    """A real instruction `name` (whose spec is `spec`) with its operands, as GNU as reads it."""
    if name in ALU_IMM_ALIAS and len(ops) == 3 and not p.is_reg(ops[2]):
        spec = BY_NAME[ALU_IMM_ALIAS[name]]
    if spec.kind in (Kind.LOAD, Kind.STORE) and p.symbol_access(spec, ops):
        load = spec.kind is Kind.LOAD
        scratch = p.reg(ops[0] if load else ops[2])
        hi = Insn(BY_NAME["auipc"], scratch, imm=p.imm(ops[1], Mod.PCREL_HI))
        lo = Imm(hi.imm.node, Mod.PCREL_LO_PREV, ops[1].col)  # type: ignore[union-attr]
        if load:
            return [hi, Insn(spec, scratch, scratch, imm=lo)]
        return [hi, Insn(spec, rs1=scratch, rs2=p.reg(ops[0]), imm=lo)]
    check_arity(name, (spec.operands,), ops, col)
    match spec.fmt:
        case Fmt.SYS:
            return [Insn(spec)]
        case Fmt.R:
            return [Insn(spec, p.reg(ops[0]), p.reg(ops[1]), p.reg(ops[2]))]
        case Fmt.I | Fmt.SHIFT if spec.operands.endswith("imm"):
            return [Insn(spec, p.reg(ops[0]), p.reg(ops[1]), imm=p.imm(ops[2]))]
        case Fmt.I:  # loads
            imm, rs1 = p.mem(ops[1])
            return [Insn(spec, p.reg(ops[0]), rs1, imm=imm)]
        case Fmt.S:
            imm, rs1 = p.mem(ops[1])
            return [Insn(spec, rs2=p.reg(ops[0]), rs1=rs1, imm=imm)]
        case Fmt.U:
            return [Insn(spec, p.reg(ops[0]), imm=p.imm(ops[1]))]
        case Fmt.B:
            return [Insn(spec, rs1=p.reg(ops[0]), rs2=p.reg(ops[1]), imm=p.imm(ops[2], Mod.BRANCH))]
        case Fmt.CSR:
            return [csr_insn(p, spec, p.reg(ops[0]), ops[1], ops[2])]
    # jal, jalr and fence have several syntaxes: the pseudo-instruction table reads them.
    raise AssertionError(f"no operand syntax for {name}")  # pragma: no cover


def csr_insn(p: OperandParser, spec: Spec, rd: int, csr: Operand, source: Operand) -> Insn:
    """A Zicsr instruction: the CSR's number in the immediate field, the source
    register (or, for the immediate forms, the 5-bit immediate) in the rs1 field."""
    number = p.csr(csr)
    rs1 = p.csr_imm(source, spec.name) if spec.operands.endswith("uimm") else p.reg(source)
    return Insn(spec, rd, rs1, fixed_imm=number)


def li_sequence(rd: int, v: int) -> list[Insn]:
    """`li rd, v` as GNU as expands it on RV32 (tc-riscv.c, load_const).

    lower = the low 12 bits, sign-extended; upper = v - lower (the %hi/%lo carry rule).
    `lui rd, upper` when upper is not 0; then `addi rd, hi_reg, lower` when lower is not 0 or
    no lui was emitted into a real register, hi_reg being rd after a lui, else zero. So `li zero`
    with a large value keeps a trailing `addi zero, zero, lower` even when lower is 0.
    """
    lower = sext(v & 0xFFF, 12)
    upper = (v - lower) & 0xFFFFFFFF
    out: list[Insn] = []
    hi_reg = 0
    if upper:
        out.append(Insn(BY_NAME["lui"], rd, imm=constant_imm(upper >> 12, 0)))
        hi_reg = rd
    if lower or hi_reg == 0:
        out.append(Insn(BY_NAME["addi"], rd, hi_reg, imm=constant_imm(lower, 0)))
    return out


class Encoder:
    """Pass 2: each instruction at its final address into its 32-bit word (sections placed)."""

    def __init__(self, symbols: SymbolTable, items: list[Item]) -> None:
        self.symbols = symbols
        # Where each %pcrel_hi points, by the address of its auipc: %pcrel_lo(label) needs it.
        self.pcrel: dict[int, int] = {}
        for item in items:
            insn = item.insn
            if item.kind is ItemKind.INSN and insn and insn.imm and insn.imm.mod is Mod.PCREL_HI:
                try:
                    pc = item.section.base + item.offset
                    self.pcrel[pc] = self.value(insn.imm, item.section.base + item.dot).value
                except Fault:
                    pass  # reported when the auipc itself is encoded

    def value(self, imm: Imm, dot: int) -> Value:
        return self.value_at(imm.node, imm.col, dot)

    def value_at(self, node: Node, col: int, dot: int) -> Value:
        """The value of expression `node` (at column `col`) with `.` at `dot`, addresses known."""
        try:
            return evaluate(node, self.symbols.lookup, dot)
        except Fault as f:
            raise Fault(f.col or col, f.message) from None

    def encode(self, insn: Insn, pc: int, dot: int, section: Section) -> int:
        """The word of `insn` at address `pc` (`dot`: its statement's address, for `.`)."""
        spec = insn.spec
        imm = insn.imm
        if imm is None:
            return encode(spec, insn.rd, insn.rs1, insn.rs2, insn.fixed_imm)
        val = self.value(imm, dot)
        if imm.mod in (Mod.BRANCH, Mod.JUMP):
            field = self.target(spec, imm, val, pc, section)
        elif imm.mod in (Mod.HI, Mod.PCREL_HI):
            if spec.fmt is not Fmt.U:
                raise Fault(imm.col, f"%{imm.mod.value} belongs in lui or auipc, not {spec.name}")
            v = val.value - pc if imm.mod is Mod.PCREL_HI else val.value
            field = (sext(v & 0xFFFFFFFF, 32) + 0x800) >> 12 & 0xFFFFF
        elif imm.mod in (Mod.LO, Mod.PCREL_LO, Mod.PCREL_LO_PREV):
            if spec.fmt not in (Fmt.I, Fmt.S):
                raise Fault(imm.col, f"%lo/%pcrel_lo belong in an I- or S-type instruction, not {spec.name}")
            v = val.value
            if imm.mod is Mod.PCREL_LO_PREV:
                v = v - (pc - 4)
            elif imm.mod is Mod.PCREL_LO:
                if v not in self.pcrel:
                    raise Fault(imm.col, f"%pcrel_lo: no auipc with %pcrel_hi at {v & 0xFFFFFFFF:#x}")
                v = self.pcrel[v] - v
            field = sext(v & 0xFFF, 12)
        else:
            field = val.value
            lo, hi = IMM_RANGE[spec.fmt]
            if not lo <= field <= hi:
                value, top = (f"{field:#x}", f"{hi:#x}") if spec.fmt is Fmt.U else (str(field), str(hi))
                raise Fault(
                    imm.col, f"immediate {value} out of range for {spec.name}: must be in {lo}..{top}"
                )
        return encode(spec, insn.rd, insn.rs1, insn.rs2, field)

    def target(self, spec: Spec, imm: Imm, val: Value, pc: int, section: Section) -> int:
        """The pc-relative offset to a branch or jump target, checked."""
        if imm.mod is Mod.BRANCH:
            for name in symbols_in(imm.node):
                where = self.symbols.section_of(name)
                if where is not None and where is not section:
                    # GNU as would turn this into an inverted branch over a jump: not supported.
                    message = (
                        f"branch target {shown(name)!r} is in {where.name}: branches stay in their section"
                    )
                    raise Fault(imm.col, message)
        v = val.value
        if val.reloc == 0:
            raise Fault(
                imm.col, f"{spec.name} target must be a label (or '.'-relative), not the constant {v:#x}"
            )
        off = sext((v - pc) & 0xFFFFFFFF, 32)
        if off % 4:
            raise Fault(
                imm.col, f"unaligned branch target {v & 0xFFFFFFFF:#x}: instructions are 4-byte aligned"
            )
        lo, hi = IMM_RANGE[spec.fmt]
        if not lo <= off <= hi:
            what = "branch" if imm.mod is Mod.BRANCH else "jump"
            raise Fault(imm.col, f"{what} target out of range: offset {off} is not in {lo}..{hi}")
        return off
