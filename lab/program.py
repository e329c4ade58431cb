"""Program loading: turn a file into the segments a VM's RAM starts with.

    program = load_program("tests/c/build/crc32.elf")
    check_fits(program, ram_gpa=0x8000_0000, ram_size=1 << 20)
    for seg in program.segments: ...      # copy seg.data to seg.gpa, zero up to seg.memsz

Three kinds of file, told apart by content first and suffix second:

    * an ELF32 little-endian RISC-V executable: its PT_LOAD segments land at
      their physical addresses and it starts at its entry point;
    * assembly source (`.S`/`.s`): assembled by `lab.asm` into a flat image
      (its `.include "lib/uart.S"` and the like find the guest library,
      lab/guests/lib/, wherever the source is);
    * anything else: a flat binary image.

A flat image is loaded at `base` (the start of RAM) and starts there, as on
QEMU's `virt` board. The ELF reader uses only `struct` (the browser has no
pyelftools) and refuses, with a message a student can act on, every file this
RV32IM hart could not run: 64-bit, big-endian, another machine, compressed or
floating-point code.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Final

from lab.files import FileFormatError, cut, read_bytes

DEFAULT_BASE: Final = 0x8000_0000
# No program is larger than the largest RAM (256 MiB: RAM ends below the grant window at
# 0x9000_0000, lab.scenario); a larger file is refused before it is read.
MAX_PROGRAM_BYTES: Final = 256 << 20
# Where `.include` looks after the including file's own folder: lab/guests/, so that a
# program anywhere (a lesson's own guest, say) can `.include "lib/uart.S"`.
INCLUDE_DIRS: Final = (Path(__file__).parent / "guests",)

# ELF layout (System V gABI, "ELF Header", "Program Header", "Sections",
# "Symbol Table"; 32-bit variants). Offsets are into e_ident.
ELF_MAGIC: Final = b"\x7fELF"
EI_CLASS: Final = 4
EI_DATA: Final = 5
ELFCLASS32: Final = 1
ELFCLASS64: Final = 2
ELFDATA2LSB: Final = 1
ELFDATA2MSB: Final = 2
ET_EXEC: Final = 2
ET_DYN: Final = 3
EM_RISCV: Final = 243
PT_LOAD: Final = 1
SHT_SYMTAB: Final = 2
SHN_UNDEF: Final = 0
STB_LOCAL: Final = 0
STT_SECTION: Final = 3
STT_FILE: Final = 4

# e_flags of a RISC-V ELF (RISC-V psABI, "ELF Object Files", "File Header").
EF_RISCV_RVC: Final = 0x0001
EF_RISCV_FLOAT_ABI: Final = 0x0006  # 0 soft, 2 single, 4 double, 6 quad
FLOAT_ABI_NAMES: Final = {0x2: "single", 0x4: "double", 0x6: "quad"}

EHDR: Final = struct.Struct("<16sHHIIIIIHHHHHH")  # 52 bytes
PHDR: Final = struct.Struct("<IIIIIIII")  # 32 bytes
SHDR: Final = struct.Struct("<IIIIIIIIII")  # 40 bytes
SYM: Final = struct.Struct("<IIIBBH")  # 16 bytes

MACHINE_NAMES: Final = {3: "x86", 8: "MIPS", 40: "ARM", 62: "x86-64", 183: "AArch64"}


class ProgramError(Exception):
    """A file that cannot be loaded; the message names the file and the problem."""


@dataclass(slots=True)
class Segment:
    """Bytes to place at guest-physical `gpa`; `memsz - len(data)` zero bytes follow (bss)."""

    gpa: int
    data: bytes
    memsz: int

    @property
    def end(self) -> int:
        return self.gpa + self.memsz


@dataclass(slots=True)
class Program:
    """What a VM is started with: its memory image, where it starts, its symbols."""

    name: str
    segments: list[Segment]
    entry: int
    symbols: dict[str, int] = field(default_factory=dict)


def load_program(path: str | Path, *, base: int = DEFAULT_BASE) -> Program:
    """Read `path` as an ELF, assembly source or flat binary (see the module doc)."""
    p = Path(path)
    name = str(path)
    try:
        data = read_bytes(p, limit=MAX_PROGRAM_BYTES)
    except FileNotFoundError:
        raise ProgramError(f"{name}: cannot read: No such file or directory") from None
    except FileFormatError as exc:
        raise ProgramError(str(exc)) from None
    if data[:4] == ELF_MAGIC:
        return parse_elf(data, name=name)
    if p.suffix in (".S", ".s"):
        key = (name, base, data)
        cached = _ASSEMBLED.get(key)
        if cached is None or not cached.current():
            cached = _ASSEMBLED[key] = _assemble(p, name=name, base=base)
        return cached.program
    if not data:
        raise ProgramError(f"{name}: is empty, nothing to run")
    return Program(name=name, segments=[Segment(base, data, len(data))], entry=base, symbols={})


@dataclass(slots=True)
class _Assembled:
    """An assembled program and the files it `.include`d (resolved path -> the bytes read)."""

    program: Program
    includes: dict[str, bytes]

    def current(self) -> bool:
        """Does every included file still hold the bytes it was assembled from?"""
        for path, data in self.includes.items():
            try:
                if Path(path).read_bytes() != data:
                    return False
            except OSError:
                return False
        return True


# Assembled sources by (name, base, source bytes): scenarios and lesson resets
# load the same guests again and again, and assembling is most of that cost.
# A changed file has other bytes, so it is assembled afresh; so is a program
# one of whose included files changed (or went away) since (`current`).
_ASSEMBLED: dict[tuple[str, int, bytes], _Assembled] = {}


def _assemble(path: Path, *, name: str, base: int) -> _Assembled:
    from lab.asm import AsmError, assemble_file

    try:
        image = assemble_file(path, base=base, include_dirs=INCLUDE_DIRS)
    except AsmError as exc:
        # One line for the user: the first error (it names file, line and column).
        first = str(exc.diagnostics[0]) if exc.diagnostics else f"{name}: {exc}"
        more = len(exc.diagnostics) - 1
        raise ProgramError(
            cut(first) + (f" (and {more} more error{'s' * (more > 1)})" if more else "")
        ) from None
    if not image.data:
        raise ProgramError(f"{name}: assembles to nothing, no code to run")
    program = Program(
        name=name,
        segments=[Segment(image.base, image.data, len(image.data))],
        entry=image.entry,
        symbols=dict(image.symbols),
    )
    return _Assembled(program, dict(image.includes))


def parse_elf(data: bytes, *, name: str) -> Program:
    """An ELF32 little-endian RISC-V executable as a `Program` (ProgramError if not)."""
    if data[:4] != ELF_MAGIC:
        raise ProgramError(f"{name}: is not an ELF file (no \\x7fELF magic)")
    if len(data) < 16:
        raise ProgramError(f"{name}: truncated ELF header ({len(data)} bytes)")
    cls, order = data[EI_CLASS], data[EI_DATA]
    if cls == ELFCLASS64:
        raise ProgramError(
            f"{name}: is a 64-bit ELF; hvlab runs RV32 (compile with -march=rv32im -mabi=ilp32)"
        )
    if cls != ELFCLASS32:
        raise ProgramError(f"{name}: unknown ELF class {cls}")
    if order == ELFDATA2MSB:
        raise ProgramError(f"{name}: is a big-endian ELF; RISC-V is little-endian")
    if order != ELFDATA2LSB:
        raise ProgramError(f"{name}: unknown ELF data encoding {order}")
    if len(data) < EHDR.size:
        raise ProgramError(f"{name}: truncated ELF header ({len(data)} of {EHDR.size} bytes)")
    (
        _ident,
        e_type,
        e_machine,
        _version,
        e_entry,
        e_phoff,
        e_shoff,
        e_flags,
        _ehsize,
        e_phentsize,
        e_phnum,
        e_shentsize,
        e_shnum,
        _shstrndx,
    ) = EHDR.unpack_from(data, 0)
    if e_machine != EM_RISCV:
        what = MACHINE_NAMES.get(e_machine, f"machine {e_machine}")
        raise ProgramError(f"{name}: is an ELF for {what}, not RISC-V")
    if e_type == ET_DYN:
        raise ProgramError(f"{name}: is a shared object or PIE, not a static executable (link with -static)")
    if e_type != ET_EXEC:
        raise ProgramError(f"{name}: is not an executable (ELF type {e_type}); link it first")
    if e_flags & EF_RISCV_RVC:
        raise ProgramError(f"{name}: uses compressed instructions (C extension); compile with -march=rv32im")
    if e_flags & EF_RISCV_FLOAT_ABI:
        abi = FLOAT_ABI_NAMES[e_flags & EF_RISCV_FLOAT_ABI]
        raise ProgramError(
            f"{name}: uses the {abi}-float ABI; hvlab has no FPU (compile with -march=rv32im -mabi=ilp32)"
        )
    if e_phnum == 0:
        raise ProgramError(f"{name}: has no program headers, nothing to load")
    if e_phentsize < PHDR.size:
        raise ProgramError(f"{name}: program header entries of {e_phentsize} bytes (expected {PHDR.size})")
    if e_phoff + e_phnum * e_phentsize > len(data):
        raise ProgramError(f"{name}: truncated program headers (file is {len(data)} bytes)")

    segments: list[Segment] = []
    for i in range(e_phnum):
        p_type, p_offset, _vaddr, p_paddr, p_filesz, p_memsz, _flags, _align = PHDR.unpack_from(
            data, e_phoff + i * e_phentsize
        )
        if p_type != PT_LOAD or p_memsz == 0:
            continue
        if p_filesz > p_memsz:
            raise ProgramError(
                f"{name}: segment {i} has more file bytes ({p_filesz}) than memory ({p_memsz})"
            )
        if p_offset + p_filesz > len(data):
            raise ProgramError(
                f"{name}: truncated segment {i}: needs bytes [{p_offset:#x}, {p_offset + p_filesz:#x})"
                f" but the file is {len(data):#x} bytes"
            )
        if p_paddr + p_memsz > 1 << 32:
            raise ProgramError(f"{name}: segment {i} at {p_paddr:#010x} runs past the 32-bit address space")
        segments.append(Segment(p_paddr, bytes(data[p_offset : p_offset + p_filesz]), p_memsz))
    if not segments:
        raise ProgramError(f"{name}: has no loadable (PT_LOAD) segments")
    segments.sort(key=lambda s: s.gpa)
    for a, b in pairwise(segments):
        if b.gpa < a.end:
            raise ProgramError(
                f"{name}: segments [{a.gpa:#010x}, {a.end:#010x}) and [{b.gpa:#010x}, {b.end:#010x}) overlap"
            )
    if not any(s.gpa <= e_entry < s.gpa + len(s.data) for s in segments):
        raise ProgramError(f"{name}: entry point {e_entry:#010x} lies outside every loaded segment")
    if e_entry & 3:
        raise ProgramError(f"{name}: entry point {e_entry:#010x} is not 4-byte aligned")
    symbols = _symbols(data, name=name, shoff=e_shoff, shnum=e_shnum, shentsize=e_shentsize)
    return Program(name=name, segments=segments, entry=e_entry, symbols=symbols)


def _symbols(data: bytes, *, name: str, shoff: int, shnum: int, shentsize: int) -> dict[str, int]:
    """Named symbols from .symtab (none if the file is stripped). Globals win
    over locals of the same name; section, file and mapping symbols are skipped."""
    if shoff == 0 or shnum == 0:
        return {}
    if shentsize < SHDR.size or shoff + shnum * shentsize > len(data):
        raise ProgramError(f"{name}: truncated section headers (file is {len(data)} bytes)")
    sections = [SHDR.unpack_from(data, shoff + i * shentsize) for i in range(shnum)]
    symbols: dict[str, int] = {}
    local: set[str] = set()
    for sh in sections:
        sh_type, sh_offset, sh_size, sh_link, sh_entsize = sh[1], sh[4], sh[5], sh[6], sh[9]
        if sh_type != SHT_SYMTAB:
            continue
        if sh_link >= shnum:
            raise ProgramError(f"{name}: symbol table names a string table that does not exist")
        str_off, str_size = sections[sh_link][4], sections[sh_link][5]
        entsize = sh_entsize or SYM.size
        if sh_offset + sh_size > len(data) or str_off + str_size > len(data) or entsize < SYM.size:
            raise ProgramError(f"{name}: truncated symbol table")
        strtab = data[str_off : str_off + str_size]
        for off in range(sh_offset, sh_offset + sh_size - entsize + 1, entsize):
            st_name, st_value, _size, st_info, _other, st_shndx = SYM.unpack_from(data, off)
            if st_name == 0 or st_shndx == SHN_UNDEF or (st_info & 0xF) in (STT_SECTION, STT_FILE):
                continue
            end = strtab.find(b"\0", st_name)
            sym = strtab[st_name : end if end >= 0 else len(strtab)].decode("utf-8", "replace")
            if sym.startswith(("$x", "$d")):
                continue  # psABI mapping symbols ("code/data starts here"), not names
            is_local = st_info >> 4 == STB_LOCAL
            if sym in symbols and (is_local or sym not in local):
                continue  # keep the first global, or a global over a local
            symbols[sym] = st_value
            if is_local:
                local.add(sym)
            else:
                local.discard(sym)
    return symbols


def check_fits(program: Program, *, ram_gpa: int, ram_size: int) -> None:
    """ProgramError unless every segment, bss included, lies inside RAM."""
    ram_end = ram_gpa + ram_size
    for seg in program.segments:
        if seg.gpa < ram_gpa or seg.end > ram_end:
            raise ProgramError(
                f"{program.name}: segment [{seg.gpa:#010x}, {seg.end:#010x}) lies outside RAM"
                f" [{ram_gpa:#010x}, {ram_end:#010x})"
                + (" (give the VM more RAM)" if seg.gpa >= ram_gpa and seg.gpa < ram_end else "")
            )
