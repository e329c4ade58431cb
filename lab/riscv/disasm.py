"""RV32IM + Zicsr disassembler that spells instructions as GNU objdump 2.40 does.

    disassemble_word(0x00150513)               -> 'add\ta0,a0,1'
    instruction_text(0x00150513)               -> 'add a0,a0,1'  (one line: traces, comments)
    disassemble(image.data, base, symbols)     -> [Line(addr, word, text, size), ...]
    disassemble_file("prog.elf")               -> an objdump-like listing (flat image or ELF32)

This is the lab's one disassembler: the CLI (`hvlab disasm`), the timeline's code view and the
block translator's source comments all spell instructions through it; ELF files are read by
lab.riscv.elf.

Decoding comes from `lab.riscv.isa`; only the spelling lives here. objdump prefers aliases
(`li`, `mv`, `nop`, `ret`, `j`, `beqz`, `not`, `neg`, `seqz`, ...) and, in binutils 2.40,
prints `addi`/`andi`/`ori`/`xori`/`slli`/`srli`/`srai` under their register-form names
(`add a0,a0,1`, `sll a0,a0,0x3`). Branch and jump targets are absolute hex addresses
without `0x`; `lui`/`auipc` immediates and shift amounts are hex, other immediates decimal.

Like objdump, `disassemble` remembers what `lui`/`auipc` put in each register and, when a
later `addi`, load, store or `jalr` uses it, appends the address it computes (`# 80001000`).
CSR instructions read as objdump's do (`csrr a0,sstatus`, `csrw stvec,t0`, `csrs sstatus,2`; the
immediate forms under the register forms' names, `csrrw a0,stval,5`), the CSR by name if this
machine has it (lab.riscv.isa.CSRS), else by number (`0x7c0`). objdump names every standard CSR
(`mstatus`, `cycle` as `rdcycle a0`): where this machine lacks the CSR, ours shows the number,
which is all an access to it means here (an illegal instruction).
Words that are not in the table print as objdump prints them: `.4byte 0x...`; in `disassemble`,
a 16-bit parcel is `.2byte` (objdump sizes a parcel by its low bits, unprivileged spec 1.5),
while `disassemble_word`, asked about one whole word, always answers `.4byte`. One
deliberate difference: a shift with shamt bit 5 set (RV64 only) is shown as `.4byte`,
where objdump 2.40 prints it as a shift: it is an illegal instruction on RV32.
Symbols annotate addresses up to 64 KiB past them (`<loop+0x8>`), as objdump's `<sym>`.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from lab.files import FileFormatError, read_bytes
from lab.riscv.board import RAM_BASE
from lab.riscv.elf import ELF_MAGIC, SHF_EXECINSTR, SHT_NOBITS, ElfError, read_elf
from lab.riscv.isa import ABI_NAMES, BY_NAME, CSR_BY_NUMBER, Decoded, Fmt, Kind, decode, encode
from lab.riscv.program import MAX_PROGRAM_BYTES

DEFAULT_BASE: Final = RAM_BASE
_NAME_REACH: Final = 0x10000  # how far past a symbol an address is still shown as <sym+off>
_ZERO, _RA, _TP = 0, 1, 4
_FENCE_SETS: Final = (
    "unknown", "w", "r", "rw", "o", "ow", "or", "orw",
    "i", "iw", "ir", "irw", "io", "iow", "ior", "iorw",
)  # fmt: skip
_FENCE_TSO_WORD: Final = encode(BY_NAME["fence"], imm=0b1000_0011_0011)  # fm=TSO, rw,rw
# objdump 2.40 lists these register-form aliases before the immediate forms.
_IMM_ALIAS: Final = {"addi": "add", "andi": "and", "ori": "or", "xori": "xor"}
_SHIFT_ALIAS: Final = {"slli": "sll", "srli": "srl", "srai": "sra"}


@dataclass(slots=True)
class Line:
    """One disassembled parcel: its address, its value (little-endian), text and size in bytes."""

    addr: int
    word: int
    text: str
    size: int = 4


def _reg(n: int) -> str:
    return ABI_NAMES[n]


def _parcel_length(low16: int) -> int:
    """Instruction length from its first 16 bits (RISC-V unprivileged spec, 1.5)."""
    if low16 & 0x3 != 0x3:
        return 2
    if low16 & 0x1F != 0x1F:
        return 4
    if low16 & 0x3F == 0x1F:
        return 6
    if low16 & 0x7F == 0x3F:
        return 8
    if low16 & 0x7F == 0x7F and low16 & 0x7000 != 0x7000:
        return 10 + (low16 >> 11 & 0xE)
    return 2


class _Names:
    """Symbol lookup for annotations: the nearest symbol at or below an address."""

    def __init__(self, symbols: dict[int, str] | None) -> None:
        self.symbols = symbols or {}
        self.addrs = sorted(self.symbols)

    def target(self, addr: int) -> str:
        """`addr` in hex as objdump prints it, with ` <sym+0xoff>` when a symbol is near."""
        addr &= 0xFFFFFFFF
        text = f"{addr:x}"
        k = bisect.bisect_right(self.addrs, addr) - 1
        # A far-away address (a constant that merely looks like one) gets no name.
        if k >= 0 and addr - self.addrs[k] < _NAME_REACH:
            off = addr - self.addrs[k]
            text += f" <{self.symbols[self.addrs[k]]}{f'+{off:#x}' if off else ''}>"
        return text


class _Tracker:
    """objdump's memory of `lui`/`auipc` results per register (riscv-dis.c, hi_addr)."""

    def __init__(self) -> None:
        self.hi: list[int | None] = [None] * 32

    def address(self, base: int, offset: int) -> int | None:
        """The address `offset(base)` if objdump would annotate it; consumes the register's value."""
        hi = self.hi[base]
        if hi is not None:
            self.hi[base] = None
            return ((hi if base else 0) + offset) & 0xFFFFFFFF
        if base in (_ZERO, _TP):
            return offset & 0xFFFFFFFF
        return None


def _spell(d: Decoded, pc: int, names: _Names, track: _Tracker | None) -> str:
    name = d.spec.name
    kind = d.spec.kind
    rd, rs1, rs2, imm = _reg(d.rd), _reg(d.rs1), _reg(d.rs2), d.imm
    note: int | None = None
    text: str

    def mark(base: int, offset: int) -> None:
        nonlocal note
        if track is not None:
            got = track.address(base, offset)
            if got is not None:
                note = got

    if kind is Kind.ALU:
        if name == "sub" and d.rs1 == _ZERO:
            text = f"neg\t{rd},{rs2}"
        elif name == "sltu" and d.rs1 == _ZERO:
            text = f"snez\t{rd},{rs2}"
        elif name == "slt" and d.rs2 == _ZERO:
            text = f"sltz\t{rd},{rs1}"
        elif name == "slt" and d.rs1 == _ZERO:
            text = f"sgtz\t{rd},{rs2}"
        else:
            text = f"{name}\t{rd},{rs1},{rs2}"
    elif kind is Kind.ALU_IMM:
        if d.spec.fmt is Fmt.SHIFT:
            text = f"{_SHIFT_ALIAS[name]}\t{rd},{rs1},{imm:#x}"
        elif name == "addi" and d.rd == _ZERO and d.rs1 == _ZERO and imm == 0:
            text = "nop"
        elif name == "addi" and d.rs1 == _ZERO:
            text = f"li\t{rd},{imm}"
        elif name == "addi" and imm == 0:
            text = f"mv\t{rd},{rs1}"
        elif name == "xori" and imm == -1:
            text = f"not\t{rd},{rs1}"
        elif name == "andi" and imm == 0xFF:
            text = f"zext.b\t{rd},{rs1}"
        elif name == "sltiu" and imm == 1:
            text = f"seqz\t{rd},{rs1}"
        else:
            if name == "addi":
                mark(d.rs1, imm)
            text = f"{_IMM_ALIAS.get(name, name)}\t{rd},{rs1},{imm}"
    elif kind is Kind.LOAD:
        mark(d.rs1, imm)
        text = f"{name}\t{rd},{imm}({rs1})"
    elif kind is Kind.STORE:
        mark(d.rs1, imm)
        text = f"{name}\t{rs2},{imm}({rs1})"
    elif kind in (Kind.LUI, Kind.AUIPC):
        if track is not None:
            track.hi[d.rd] = ((imm << 12) + (pc if kind is Kind.AUIPC else 0)) & 0xFFFFFFFF
        text = f"{name}\t{rd},{imm:#x}"
    elif kind is Kind.BRANCH:
        target = names.target(pc + imm)
        zero_forms = {
            ("beq", False): "beqz",
            ("bne", False): "bnez",
            ("bge", True): "blez",
            ("bge", False): "bgez",
            ("blt", False): "bltz",
            ("blt", True): "bgtz",
        }
        # objdump's table order: blez before bgez, but bltz before bgtz.
        zero_first = name == "bge"
        if zero_first and d.rs1 == _ZERO:
            text = f"blez\t{rs2},{target}"
        elif d.rs2 == _ZERO and (name, False) in zero_forms:
            text = f"{zero_forms[name, False]}\t{rs1},{target}"
        elif d.rs1 == _ZERO and (name, True) in zero_forms:
            text = f"{zero_forms[name, True]}\t{rs2},{target}"
        else:
            text = f"{name}\t{rs1},{rs2},{target}"
    elif kind is Kind.JAL:
        target = names.target(pc + imm)
        if d.rd == _ZERO:
            text = f"j\t{target}"
        elif d.rd == _RA:
            text = f"jal\t{target}"
        else:
            text = f"jal\t{rd},{target}"
    elif kind is Kind.JALR:
        if d.rd == _ZERO and d.rs1 == _RA and imm == 0:
            text = "ret"
        else:
            mark(d.rs1, imm)
            if imm:
                # objdump's `o` operand falls through to `j`, which looks the base up a second time.
                mark(d.rs1, imm)
            where = rs1 if imm == 0 else f"{imm}({rs1})"
            if d.rd == _ZERO:
                text = f"jr\t{where}"
            elif d.rd == _RA:
                text = f"jalr\t{where}"
            else:
                text = f"jalr\t{rd},{where}"
    elif kind is Kind.CSR:
        text = _csr_text(d)
    elif kind is Kind.FENCE:
        pred, succ = imm >> 4 & 0xF, imm & 0xF
        if pred == succ == 0xF:
            text = "fence"
        else:
            text = f"fence\t{_FENCE_SETS[pred]},{_FENCE_SETS[succ]}"
    else:
        text = name
    if note is not None:
        text += f" # {names.target(note)}"
    return text


def _csr_text(d: Decoded) -> str:
    """A Zicsr instruction with objdump's aliases: csrr, and csrw/csrs/csrc when rd is zero."""
    csr = CSR_BY_NUMBER.get(d.imm)
    where = csr.name if csr is not None else f"{d.imm:#x}"
    reg_form = d.name.rstrip("i")  # objdump shows csrrwi as csrrw, with the immediate
    source = str(d.rs1) if d.name.endswith("i") else _reg(d.rs1)
    if d.name == "csrrs" and d.rs1 == _ZERO:
        return f"csrr\t{_reg(d.rd)},{where}"
    if d.rd == _ZERO:
        return f"csr{reg_form[4]}\t{where},{source}"  # csrw, csrs, csrc
    return f"{reg_form}\t{_reg(d.rd)},{where},{source}"


def _fence_ok(word: int) -> bool:
    """objdump decodes fence only with rd, rs1 and fm zero (fence.tso is matched apart)."""
    return word >> 7 & 0x1F == 0 and word >> 15 & 0x1F == 0 and word >> 28 == 0


def _word_text(word: int, pc: int, names: _Names, track: _Tracker | None) -> str:
    word &= 0xFFFFFFFF
    length = _parcel_length(word & 0xFFFF)
    if length == 2:
        return f".2byte\t{word & 0xFFFF:#x}"
    if length != 4:
        raise ValueError("not a 32-bit parcel")
    d = decode(word)
    if d is not None and d.spec.kind is Kind.FENCE and word == _FENCE_TSO_WORD:
        return "fence.tso"
    if d is None or (d.spec.kind is Kind.FENCE and not _fence_ok(word)):
        return f".4byte\t{word:#x}"
    return _spell(d, pc, names, track)


def disassemble_word(word: int, pc: int = 0, symbols: dict[int, str] | None = None) -> str:
    """One 32-bit word as objdump spells it (mnemonic, a tab, operands); targets are absolute.

    Whatever is not an RV32IM instruction, 16-bit parcels included, is `.4byte 0x...`: the
    caller asked about the whole word (a trace shows the word at the pc).
    """
    word &= 0xFFFFFFFF
    if _parcel_length(word & 0xFFFF) != 4:
        return f".4byte\t{word:#x}"
    return _word_text(word, pc, _Names(symbols), None)


def instruction_text(word: int, pc: int = 0) -> str:
    """One instruction word as `disassemble_word` spells it, on one line: a space, not a tab,
    after the mnemonic (`add a0,a0,1`). For traces, the timeline and generated-code comments."""
    return disassemble_word(word, pc).replace("\t", " ", 1)


def disassemble(data: bytes, base: int = DEFAULT_BASE, symbols: dict[int, str] | None = None) -> list[Line]:
    """Every parcel of `data` (loaded at `base`), sized as objdump sizes it."""
    out: list[Line] = []
    track = _Tracker()
    names = _Names(symbols)
    pos = 0
    n = len(data)
    while pos < n:
        addr = base + pos
        if n - pos < 2:
            out.append(Line(addr, data[pos], f".byte\t{data[pos]:#04x}", 1))
            break
        length = _parcel_length(int.from_bytes(data[pos : pos + 2], "little"))
        if pos + length > n:
            length = 2
        chunk = data[pos : pos + length]
        value = int.from_bytes(chunk, "little")
        if length == 4:
            text = _word_text(value, addr, names, track)
        elif length == 2:
            text = f".2byte\t{value:#x}"
        elif length == 8:
            text = f".8byte\t{value:#x}"
        else:
            text = ".byte\t" + ", ".join(f"{b:#04x}" for b in chunk)
        out.append(Line(addr, value, text, length))
        pos += length
    return out


# ---------------------------------------------------------------- files


def _listing(title: str, fmt: str, chunks: list[tuple[str, int, bytes]], symbols: dict[int, str]) -> str:
    out = [f"{title}:     file format {fmt}", ""]
    for section, base, data in chunks:
        out += ["", f"Disassembly of section {section}:", ""]
        for line in disassemble(data, base, symbols):
            if line.addr in symbols:
                if out[-1] != "":
                    out.append("")
                out.append(f"{line.addr:08x} <{symbols[line.addr]}>:")
            raw = data[line.addr - base : line.addr - base + line.size]
            hexed = f"{line.word:0{2 * line.size}x}" if line.size in (2, 4) else raw.hex()
            # objdump's column: 4-byte words padded to 18 characters, 16-bit parcels to 20
            out.append(f"{line.addr:8x}:\t{hexed:<{20 if line.size == 2 else 18}}\t{line.text}")
    return "\n".join(out) + "\n"


def disassemble_file(path: str | Path, *, base: int = DEFAULT_BASE) -> str:
    """An objdump-like listing of a flat image (loaded at `base`) or of an ELF32's code sections.

    OSError when the file cannot be read; ElfError (a ValueError, its message phrased to follow
    the file's name) when it starts like an ELF but is not a readable ELF32 RISC-V file.
    """
    p = Path(path)
    try:
        raw = read_bytes(p, limit=MAX_PROGRAM_BYTES)  # /dev/zero or a huge file: refused, not read
    except FileFormatError as exc:
        raise ElfError(exc.rule) from None
    if not raw.startswith(ELF_MAGIC):
        return _listing(p.name, "binary", [(".data", base, raw)], {})  # objdump -b binary's name
    elf = read_elf(raw)
    sections = elf.sections()
    if not sections:
        raise ElfError("has no section headers, so no code sections to disassemble")
    symbols: dict[int, str] = {}
    for sym in elf.symbols():
        if sym.is_label:
            symbols.setdefault(sym.value, sym.name)
    chunks = [
        (elf.section_name(s) or "(unnamed)", s.addr, elf.section_bytes(s))
        for s in sections
        if s.flags & SHF_EXECINSTR and s.type != SHT_NOBITS and s.size
    ]
    return _listing(p.name, "elf32-littleriscv", chunks, symbols)
