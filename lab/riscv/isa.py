"""RV32IM + Zicsr + sret: the one table every other part derives from.

Each `Spec` names an instruction, its encoding format, the fixed bits that
identify it (opcode, funct3, funct7, or the whole word for `ecall` & co.) and
the operand syntax GNU as uses for it. The assembler encodes from this table,
the disassembler and both CPU cores decode with it; nothing else in the
project spells an opcode.

Formats (RISC-V unprivileged spec, chapter 2.2, "Base Instruction Formats"):

    31        25 24   20 19   15 14  12 11        7 6      0
    [ funct7    |  rs2  |  rs1  |funct3|    rd     | opcode ]  R
    [ imm[11:0]         |  rs1  |funct3|    rd     | opcode ]  I
    [ imm[11:5] |  rs2  |  rs1  |funct3| imm[4:0]  | opcode ]  S
    [imm[12|10:5]| rs2  |  rs1  |funct3|imm[4:1|11]| opcode ]  B
    [ imm[31:12]                       |    rd     | opcode ]  U
    [ imm[20|10:1|11|19:12]            |    rd     | opcode ]  J

`SHIFT` is I with a 5-bit shamt and funct7 in imm[11:5]; `SYS` is a whole fixed
word; `FENCE` carries the predecessor and successor sets in imm; `CSR` is I
with the CSR's number, unsigned, in imm[11:0] and, in the immediate forms
(`csrrwi` & co.), a 5-bit unsigned immediate in the rs1 field (Zicsr, chapter
"Control and Status Register Instructions").

The privileged part is what a small guest kernel needs (privileged spec,
chapter "Supervisor-Level ISA"): the Zicsr instructions, `sret`, and the
supervisor CSRs of `CSRS` below. Every other CSR number decodes (the
instruction is well formed) but does not exist on this machine: accessing it
is an illegal instruction, as is any CSR access or `sret` from user mode.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Final


class Fmt(Enum):
    R = "R"
    I = "I"  # noqa: E741 - the spec's own name for the format
    S = "S"
    B = "B"
    U = "U"
    J = "J"
    SHIFT = "SHIFT"
    FENCE = "FENCE"
    SYS = "SYS"
    CSR = "CSR"


class Kind(Enum):
    """What an instruction does, for the cores' dispatch and the trace."""

    ALU = "alu"
    ALU_IMM = "alu_imm"
    LOAD = "load"
    STORE = "store"
    BRANCH = "branch"
    JAL = "jal"
    JALR = "jalr"
    LUI = "lui"
    AUIPC = "auipc"
    FENCE = "fence"
    SYSTEM = "system"  # ecall, ebreak, wfi: the hart stops for the hypervisor (or traps, from user mode)
    CSR = "csr"  # read and write a control and status register
    TRAP_RETURN = "trap_return"  # sret: back to the privilege level and pc the trap came from


XLEN: Final = 32  # RV32: registers, addresses and the pc are 32 bits wide
M: Final = (1 << XLEN) - 1  # the mask that wraps a value to a register's width


# Operand syntaxes, as GNU as writes them. The assembler parses and the
# disassembler prints exactly these shapes.
OPS_R: Final = "rd,rs1,rs2"
OPS_I: Final = "rd,rs1,imm"
OPS_LOAD: Final = "rd,imm(rs1)"
OPS_STORE: Final = "rs2,imm(rs1)"
OPS_BRANCH: Final = "rs1,rs2,target"
OPS_U: Final = "rd,imm"
OPS_J: Final = "rd,target"
OPS_FENCE: Final = "pred,succ"
OPS_CSR: Final = "rd,csr,rs1"
OPS_CSR_IMM: Final = "rd,csr,uimm"  # uimm: 0..31, in the rs1 field
OPS_NONE: Final = ""


@dataclass(frozen=True, slots=True)
class Spec:
    """One instruction: its name, format, identifying bits and operand syntax."""

    name: str
    fmt: Fmt
    kind: Kind
    opcode: int
    funct3: int | None = None
    funct7: int | None = None
    word: int | None = None  # SYS: the complete encoding
    operands: str = OPS_NONE

    @property
    def mask(self) -> int:
        """Bits of the word that identify this instruction."""
        if self.word is not None:
            return 0xFFFFFFFF
        m = 0x7F
        if self.funct3 is not None:
            m |= 0x7 << 12
        if self.funct7 is not None:
            m |= 0x7F << 25
        return m

    @property
    def match(self) -> int:
        """The identifying bits' values (compare with `word & mask`)."""
        if self.word is not None:
            return self.word
        v = self.opcode
        if self.funct3 is not None:
            v |= self.funct3 << 12
        if self.funct7 is not None:
            v |= self.funct7 << 25
        return v


OP_LUI: Final = 0x37
OP_AUIPC: Final = 0x17
OP_JAL: Final = 0x6F
OP_JALR: Final = 0x67
OP_BRANCH: Final = 0x63
OP_LOAD: Final = 0x03
OP_STORE: Final = 0x23
OP_IMM: Final = 0x13
OP_REG: Final = 0x33
OP_MISC_MEM: Final = 0x0F
OP_SYSTEM: Final = 0x73


def _table() -> tuple[Spec, ...]:
    s: list[Spec] = [
        Spec("lui", Fmt.U, Kind.LUI, OP_LUI, operands=OPS_U),
        Spec("auipc", Fmt.U, Kind.AUIPC, OP_AUIPC, operands=OPS_U),
        Spec("jal", Fmt.J, Kind.JAL, OP_JAL, operands=OPS_J),
        Spec("jalr", Fmt.I, Kind.JALR, OP_JALR, funct3=0, operands=OPS_LOAD),
    ]
    for name, f3 in (("beq", 0), ("bne", 1), ("blt", 4), ("bge", 5), ("bltu", 6), ("bgeu", 7)):
        s.append(Spec(name, Fmt.B, Kind.BRANCH, OP_BRANCH, funct3=f3, operands=OPS_BRANCH))
    for name, f3 in (("lb", 0), ("lh", 1), ("lw", 2), ("lbu", 4), ("lhu", 5)):
        s.append(Spec(name, Fmt.I, Kind.LOAD, OP_LOAD, funct3=f3, operands=OPS_LOAD))
    for name, f3 in (("sb", 0), ("sh", 1), ("sw", 2)):
        s.append(Spec(name, Fmt.S, Kind.STORE, OP_STORE, funct3=f3, operands=OPS_STORE))
    for name, f3 in (("addi", 0), ("slti", 2), ("sltiu", 3), ("xori", 4), ("ori", 6), ("andi", 7)):
        s.append(Spec(name, Fmt.I, Kind.ALU_IMM, OP_IMM, funct3=f3, operands=OPS_I))
    for name, f3, f7 in (("slli", 1, 0x00), ("srli", 5, 0x00), ("srai", 5, 0x20)):
        s.append(Spec(name, Fmt.SHIFT, Kind.ALU_IMM, OP_IMM, funct3=f3, funct7=f7, operands=OPS_I))
    for name, f3, f7 in (
        ("add", 0, 0x00),
        ("sub", 0, 0x20),
        ("sll", 1, 0x00),
        ("slt", 2, 0x00),
        ("sltu", 3, 0x00),
        ("xor", 4, 0x00),
        ("srl", 5, 0x00),
        ("sra", 5, 0x20),
        ("or", 6, 0x00),
        ("and", 7, 0x00),
        # M extension: funct7 = 1 (unprivileged spec, chapter 13)
        ("mul", 0, 0x01),
        ("mulh", 1, 0x01),
        ("mulhsu", 2, 0x01),
        ("mulhu", 3, 0x01),
        ("div", 4, 0x01),
        ("divu", 5, 0x01),
        ("rem", 6, 0x01),
        ("remu", 7, 0x01),
    ):
        s.append(Spec(name, Fmt.R, Kind.ALU, OP_REG, funct3=f3, funct7=f7, operands=OPS_R))
    s += [
        Spec("fence", Fmt.FENCE, Kind.FENCE, OP_MISC_MEM, funct3=0, operands=OPS_FENCE),
        Spec("ecall", Fmt.SYS, Kind.SYSTEM, OP_SYSTEM, word=0x00000073),
        Spec("ebreak", Fmt.SYS, Kind.SYSTEM, OP_SYSTEM, word=0x00100073),
        Spec("wfi", Fmt.SYS, Kind.SYSTEM, OP_SYSTEM, word=0x10500073),
        Spec("sret", Fmt.SYS, Kind.TRAP_RETURN, OP_SYSTEM, word=0x10200073),
    ]
    # Zicsr: funct3 picks the operation; bit 2 of it, the immediate form.
    for name, f3 in (("csrrw", 1), ("csrrs", 2), ("csrrc", 3), ("csrrwi", 5), ("csrrsi", 6), ("csrrci", 7)):
        s.append(
            Spec(name, Fmt.CSR, Kind.CSR, OP_SYSTEM, funct3=f3, operands=OPS_CSR_IMM if f3 & 4 else OPS_CSR)
        )
    return tuple(s)


SPECS: Final[tuple[Spec, ...]] = _table()
BY_NAME: Final[dict[str, Spec]] = {spec.name: spec for spec in SPECS}

# ABI register names (psABI, "Integer Register Convention"), index = xN.
ABI_NAMES: Final[tuple[str, ...]] = (
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2",
    "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
    "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7",
    "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
)  # fmt: skip

REGISTERS: Final[dict[str, int]] = {
    **{f"x{i}": i for i in range(32)},
    **{name: i for i, name in enumerate(ABI_NAMES)},
    "fp": 8,  # the frame pointer is s0
}

# Immediate ranges, for the assembler's error messages.
IMM_RANGE: Final[dict[Fmt, tuple[int, int]]] = {
    Fmt.I: (-2048, 2047),
    Fmt.S: (-2048, 2047),
    Fmt.B: (-4096, 4094),
    Fmt.U: (0, 0xFFFFF),
    Fmt.J: (-(1 << 20), (1 << 20) - 2),
    Fmt.SHIFT: (0, 31),
    Fmt.CSR: (0, 0xFFF),  # the CSR number
}
CSR_IMM_RANGE: Final = (0, 31)  # the immediate of csrrwi, csrrsi, csrrci


# ---------------------------------------------------------------- CSRs


@dataclass(frozen=True, slots=True)
class Csr:
    """One control and status register of this machine: its number, the bits a
    write can change (the others are read-only zero: "WARL" in the spec's terms)
    and what it is for."""

    name: str
    number: int
    writable: int
    doc: str


# The supervisor CSRs a small kernel needs (privileged spec, "Supervisor CSRs").
# Bits 9:8 of a CSR's number are the lowest privilege level that may access it
# (1: supervisor), so user mode may touch none of these.
CSRS: Final[tuple[Csr, ...]] = (
    Csr("sstatus", 0x100, 0x0000_0122, "status: SIE (bit 1), SPIE (bit 5), SPP (bit 8); the rest read as 0"),
    Csr(
        "stvec",
        0x105,
        0xFFFF_FFFC,
        "where traps go: a 4-byte aligned address, direct mode only (bits 1:0 = 0)",
    ),
    Csr("sscratch", 0x140, 0xFFFF_FFFF, "a word for the trap handler (the kernel's stack pointer, say)"),
    Csr("sepc", 0x141, 0xFFFF_FFFC, "the pc of the instruction that trapped; sret returns there"),
    Csr("scause", 0x142, 0xFFFF_FFFF, "why the last trap happened (an exception code)"),
    Csr("stval", 0x143, 0xFFFF_FFFF, "the trap's value: the bad address, the illegal instruction, or 0"),
)
CSR_BY_NAME: Final[dict[str, Csr]] = {c.name: c for c in CSRS}
CSR_BY_NUMBER: Final[dict[int, Csr]] = {c.number: c for c in CSRS}

# sstatus fields (privileged spec, "Supervisor Status (sstatus) Register").
SSTATUS_SIE: Final = 1 << 1  # supervisor interrupts enabled (this machine has no interrupts)
SSTATUS_SPIE: Final = 1 << 5  # SIE before the last trap
SSTATUS_SPP: Final = 1 << 8  # the level the last trap came from: 0 user, 1 supervisor


def sext(value: int, bits: int) -> int:
    """Sign-extend the low `bits` bits of `value`."""
    sign = 1 << (bits - 1)
    return (value & (sign - 1)) - (value & sign)


# ---------------------------------------------------------------- encoding


def encode(spec: Spec, rd: int = 0, rs1: int = 0, rs2: int = 0, imm: int = 0) -> int:
    """The 32-bit word for `spec` with these operands (imm already in range)."""
    f = spec.fmt
    if f is Fmt.SYS:
        assert spec.word is not None
        return spec.word
    w = spec.match
    if f is Fmt.R:
        return w | rd << 7 | rs1 << 15 | rs2 << 20
    if f is Fmt.I:
        return w | rd << 7 | rs1 << 15 | (imm & 0xFFF) << 20
    if f is Fmt.SHIFT:
        return w | rd << 7 | rs1 << 15 | (imm & 0x1F) << 20
    if f is Fmt.FENCE or f is Fmt.CSR:  # CSR: imm is the CSR number, rs1 the register or uimm
        return w | rd << 7 | rs1 << 15 | (imm & 0xFFF) << 20
    if f is Fmt.S:
        return w | (imm & 0x1F) << 7 | rs1 << 15 | rs2 << 20 | (imm >> 5 & 0x7F) << 25
    if f is Fmt.B:
        return (
            w
            | (imm >> 11 & 1) << 7
            | (imm >> 1 & 0xF) << 8
            | rs1 << 15
            | rs2 << 20
            | (imm >> 5 & 0x3F) << 25
            | (imm >> 12 & 1) << 31
        )
    if f is Fmt.U:
        return w | rd << 7 | (imm & 0xFFFFF) << 12
    if f is Fmt.J:
        return (
            w
            | rd << 7
            | (imm >> 12 & 0xFF) << 12
            | (imm >> 11 & 1) << 20
            | (imm >> 1 & 0x3FF) << 21
            | (imm >> 20 & 1) << 31
        )
    raise AssertionError(f)


# ---------------------------------------------------------------- decoding


@dataclass(frozen=True, slots=True)
class Decoded:
    """An instruction word taken apart. `imm` is sign-extended (U: the upper
    20 bits as written in assembly, i.e. not shifted; SHIFT: the shamt; CSR:
    the CSR's number, unsigned, with `rs1` the register or the 5-bit immediate)."""

    spec: Spec
    rd: int
    rs1: int
    rs2: int
    imm: int
    word: int

    @property
    def name(self) -> str:
        return self.spec.name


def imm_of(fmt: Fmt, w: int) -> int:
    """The immediate of word `w` in format `fmt`."""
    if fmt is Fmt.I or fmt is Fmt.FENCE:
        return sext(w >> 20, 12)
    if fmt is Fmt.SHIFT:
        return w >> 20 & 0x1F
    if fmt is Fmt.CSR:
        return w >> 20
    if fmt is Fmt.S:
        return sext((w >> 25) << 5 | (w >> 7 & 0x1F), 12)
    if fmt is Fmt.B:
        return sext(
            (w >> 31 & 1) << 12 | (w >> 7 & 1) << 11 | (w >> 25 & 0x3F) << 5 | (w >> 8 & 0xF) << 1,
            13,
        )
    if fmt is Fmt.U:
        return w >> 12 & 0xFFFFF
    if fmt is Fmt.J:
        return sext(
            (w >> 31 & 1) << 20 | (w >> 12 & 0xFF) << 12 | (w >> 20 & 1) << 11 | (w >> 21 & 0x3FF) << 1,
            21,
        )
    return 0


def _index() -> dict[int, tuple[Spec, ...]]:
    by_opcode: dict[int, list[Spec]] = {}
    for spec in SPECS:
        by_opcode.setdefault(spec.opcode, []).append(spec)
    # Most specific first, so a full-word match beats a partial one.
    return {op: tuple(sorted(v, key=lambda sp: -bin(sp.mask).count("1"))) for op, v in by_opcode.items()}


_BY_OPCODE: Final = _index()


def lookup(word: int) -> Spec | None:
    """The spec whose fixed bits match `word`, or None if it is not in the table."""
    for spec in _BY_OPCODE.get(word & 0x7F, ()):
        if word & spec.mask == spec.match:
            if spec.fmt is Fmt.SHIFT and word >> 25 != spec.funct7:
                continue
            return spec
    return None


def decode(word: int) -> Decoded | None:
    """Take `word` apart, or None if it is not a valid instruction of the table.

    Encodings that the spec reserves are rejected too: a `fence` with fields
    other than pred/succ/fm zero is still a legal hint and decodes; a shift
    with shamt[5] set (RV64 only) does not.
    """
    word &= 0xFFFFFFFF
    if word & 3 != 3:
        return None  # compressed (C extension) or invalid
    spec = lookup(word)
    if spec is None:
        return None
    return Decoded(
        spec=spec,
        rd=word >> 7 & 0x1F,
        rs1=word >> 15 & 0x1F,
        rs2=word >> 20 & 0x1F,
        imm=imm_of(spec.fmt, word),
        word=word,
    )
