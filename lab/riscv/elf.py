"""ELF32 little-endian RISC-V files, read once: the header, program headers, sections and symbols.

    elf = read_elf(data)                        # ElfError unless an ELF32 LE RISC-V header is whole
    elf.header.entry, elf.header.type, elf.header.flags
    for i, ph in enumerate(elf.program_headers()):
        data = elf.segment_bytes(i, ph)        # its file bytes (ph.memsz - len(data) zeros follow)
    for sec in elf.sections():
        elf.section_name(sec), elf.section_bytes(sec)
    labels = [s for s in elf.symbols() if s.is_label]

The loader (lab.riscv.program) and the disassembler (lab.riscv.disasm) both read ELF files through this one
reader; each applies its own rules on top (the loader refuses what this hart cannot run: shared
objects, compressed or floating-point code). It uses only `struct` (the browser has no
pyelftools). Each table is checked when it is first asked for, so a caller meets the problems in
the order it reads the file, and each is read once. A file that is not what its tables say
raises `ElfError` with one line naming the problem, phrased to follow the file's name:

    prog.elf: is a 64-bit ELF; hvlab runs RV32 (compile with -march=rv32im -mabi=ilp32)
    prog.elf: truncated segment 1: needs bytes [0x1000, 0x1400) but the file is 0x1200 bytes

Layouts: System V gABI, "ELF Header", "Program Header", "Sections", "Symbol Table" (32-bit
variants); e_flags from the RISC-V psABI, "ELF Object Files".
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Final

ELF_MAGIC: Final = b"\x7fELF"
# Offsets into e_ident, and their values.
EI_CLASS: Final = 4
EI_DATA: Final = 5
ELFCLASS32: Final = 1
ELFCLASS64: Final = 2
ELFDATA2LSB: Final = 1
ELFDATA2MSB: Final = 2
# e_type
ET_REL: Final = 1
ET_EXEC: Final = 2
ET_DYN: Final = 3
EM_RISCV: Final = 243
PT_LOAD: Final = 1
SHT_SYMTAB: Final = 2
SHT_NOBITS: Final = 8
SHF_EXECINSTR: Final = 0x4
SHN_UNDEF: Final = 0
STB_LOCAL: Final = 0
STT_SECTION: Final = 3
STT_FILE: Final = 4

# e_flags of a RISC-V ELF (RISC-V psABI, "File Header").
EF_RISCV_RVC: Final = 0x0001
EF_RISCV_FLOAT_ABI: Final = 0x0006  # 0 soft, 2 single, 4 double, 6 quad
FLOAT_ABI_NAMES: Final = {0x2: "single", 0x4: "double", 0x6: "quad"}

EHDR: Final = struct.Struct("<16sHHIIIIIHHHHHH")  # 52 bytes
PHDR: Final = struct.Struct("<IIIIIIII")  # 32 bytes
SHDR: Final = struct.Struct("<IIIIIIIIII")  # 40 bytes
SYM: Final = struct.Struct("<IIIBBH")  # 16 bytes

MACHINE_NAMES: Final = {3: "x86", 8: "MIPS", 40: "ARM", 62: "x86-64", 183: "AArch64"}
# psABI mapping symbols ("code/data starts here": $x, $d, $xrv32i2p1...), not names.
MAPPING_SYMBOLS: Final = ("$x", "$d")


class ElfError(ValueError):
    """The file is not a readable ELF32 little-endian RISC-V file; the message says why."""


@dataclass(frozen=True, slots=True)
class Header:
    """The ELF header's fields that say what the file is and where its tables are."""

    type: int
    machine: int
    entry: int
    phoff: int
    shoff: int
    flags: int
    phentsize: int
    phnum: int
    shentsize: int
    shnum: int
    shstrndx: int


@dataclass(frozen=True, slots=True)
class ProgramHeader:
    type: int
    offset: int
    vaddr: int
    paddr: int
    filesz: int
    memsz: int
    flags: int
    align: int


@dataclass(frozen=True, slots=True)
class SectionHeader:
    name_offset: int  # into the section name table (see ElfFile.section_name)
    type: int
    flags: int
    addr: int
    offset: int
    size: int
    link: int
    info: int
    addralign: int
    entsize: int


@dataclass(frozen=True, slots=True)
class Symbol:
    name: str
    value: int
    size: int
    info: int
    shndx: int

    @property
    def bind(self) -> int:
        return self.info >> 4

    @property
    def type(self) -> int:
        return self.info & 0xF

    @property
    def is_label(self) -> bool:
        """A named, defined symbol for a place or value: not a section, file or mapping symbol."""
        return (
            bool(self.name)
            and self.shndx != SHN_UNDEF
            and self.type not in (STT_SECTION, STT_FILE)
            and not self.name.startswith(MAPPING_SYMBOLS)
        )


def read_elf(data: bytes) -> ElfFile:
    """The ELF file in `data`: its header checked (ElfError if it is not ELF32 LE RISC-V)."""
    return ElfFile(data)


class ElfFile:
    """One ELF32 little-endian RISC-V file; its tables are read and checked on first use."""

    def __init__(self, data: bytes) -> None:
        if data[:4] != ELF_MAGIC:
            raise ElfError("is not an ELF file (no \\x7fELF magic)")
        if len(data) < 16:
            raise ElfError(f"truncated ELF header ({len(data)} bytes)")
        cls, order = data[EI_CLASS], data[EI_DATA]
        if cls == ELFCLASS64:
            raise ElfError("is a 64-bit ELF; hvlab runs RV32 (compile with -march=rv32im -mabi=ilp32)")
        if cls != ELFCLASS32:
            raise ElfError(f"unknown ELF class {cls}")
        if order == ELFDATA2MSB:
            raise ElfError("is a big-endian ELF; RISC-V is little-endian")
        if order != ELFDATA2LSB:
            raise ElfError(f"unknown ELF data encoding {order}")
        if len(data) < EHDR.size:
            raise ElfError(f"truncated ELF header ({len(data)} of {EHDR.size} bytes)")
        fields = EHDR.unpack_from(data, 0)
        self.data = data
        self.header = Header(
            type=fields[1],
            machine=fields[2],
            entry=fields[4],
            phoff=fields[5],
            shoff=fields[6],
            flags=fields[7],
            phentsize=fields[9],
            phnum=fields[10],
            shentsize=fields[11],
            shnum=fields[12],
            shstrndx=fields[13],
        )
        if self.header.machine != EM_RISCV:
            what = MACHINE_NAMES.get(self.header.machine, f"machine {self.header.machine}")
            raise ElfError(f"is an ELF for {what}, not RISC-V")
        self._program_headers: list[ProgramHeader] | None = None
        self._sections: list[SectionHeader] | None = None
        self._symbols: list[Symbol] | None = None

    # -- segments

    def program_headers(self) -> list[ProgramHeader]:
        """The program header table (empty when the file has none)."""
        if self._program_headers is None:
            h = self.header
            if h.phnum and h.phentsize < PHDR.size:
                raise ElfError(f"program header entries of {h.phentsize} bytes (expected {PHDR.size})")
            if h.phoff + h.phnum * h.phentsize > len(self.data):
                raise ElfError(f"truncated program headers (file is {len(self.data)} bytes)")
            self._program_headers = [
                ProgramHeader(*PHDR.unpack_from(self.data, h.phoff + i * h.phentsize)) for i in range(h.phnum)
            ]
        return self._program_headers

    def segment_bytes(self, index: int, ph: ProgramHeader) -> bytes:
        """The file bytes of segment `index` (described by `ph`)."""
        if ph.filesz > ph.memsz:
            raise ElfError(f"segment {index} has more file bytes ({ph.filesz}) than memory ({ph.memsz})")
        if ph.offset + ph.filesz > len(self.data):
            raise ElfError(
                f"truncated segment {index}: needs bytes [{ph.offset:#x}, {ph.offset + ph.filesz:#x})"
                f" but the file is {len(self.data):#x} bytes"
            )
        return bytes(self.data[ph.offset : ph.offset + ph.filesz])

    # -- sections

    def sections(self) -> list[SectionHeader]:
        """The section header table (empty when the file has none, as a stripped one may)."""
        if self._sections is None:
            h = self.header
            if h.shoff == 0 or h.shnum == 0:
                self._sections = []
            elif h.shentsize < SHDR.size or h.shoff + h.shnum * h.shentsize > len(self.data):
                raise ElfError(f"truncated section headers (file is {len(self.data)} bytes)")
            else:
                self._sections = [
                    SectionHeader(*SHDR.unpack_from(self.data, h.shoff + i * h.shentsize))
                    for i in range(h.shnum)
                ]
        return self._sections

    def section_bytes(self, sec: SectionHeader) -> bytes:
        """What the section holds in the file (nothing for .bss and the like)."""
        if sec.type == SHT_NOBITS:
            return b""
        if sec.offset + sec.size > len(self.data):
            raise ElfError(
                f"truncated section {self.section_name(sec) or '(unnamed)'}: needs bytes"
                f" [{sec.offset:#x}, {sec.offset + sec.size:#x}) but the file is {len(self.data):#x} bytes"
            )
        return bytes(self.data[sec.offset : sec.offset + sec.size])

    def section_name(self, sec: SectionHeader) -> str:
        """The section's name, from the section name table ("" when the file has none)."""
        index = self.header.shstrndx
        if index == SHN_UNDEF:
            return ""
        sections = self.sections()
        if index >= len(sections):
            raise ElfError(
                f"section name table {index} does not exist (the file has {len(sections)} sections)"
            )
        table = sections[index]
        if table.offset + table.size > len(self.data):
            raise ElfError("truncated section name table")
        return _string(self.data[table.offset : table.offset + table.size], sec.name_offset)

    # -- symbols

    def symbols(self) -> list[Symbol]:
        """Every entry of the symbol tables (.symtab), in file order; none if the file is stripped."""
        if self._symbols is None:
            sections = self.sections()
            symbols: list[Symbol] = []
            for sec in sections:
                if sec.type != SHT_SYMTAB:
                    continue
                if sec.link >= len(sections):
                    raise ElfError("symbol table names a string table that does not exist")
                strings = sections[sec.link]
                entsize = sec.entsize or SYM.size
                if (
                    sec.offset + sec.size > len(self.data)
                    or strings.offset + strings.size > len(self.data)
                    or entsize < SYM.size
                ):
                    raise ElfError("truncated symbol table")
                strtab = self.data[strings.offset : strings.offset + strings.size]
                for off in range(sec.offset, sec.offset + sec.size - entsize + 1, entsize):
                    name, value, size, info, _other, shndx = SYM.unpack_from(self.data, off)
                    symbols.append(Symbol(_string(strtab, name) if name else "", value, size, info, shndx))
            self._symbols = symbols
        return self._symbols


def _string(table: bytes, offset: int) -> str:
    """The NUL-terminated string at `offset` of a string table (cut at the table's end)."""
    end = table.find(b"\0", offset)
    return table[offset : end if end >= 0 else len(table)].decode("utf-8", "replace")
