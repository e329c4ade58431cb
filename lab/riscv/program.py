"""Program loading: turn a file into the segments a VM's RAM starts with.

    program = load_program("tests/c/build/crc32.elf")
    check_fits(program, ram_gpa=0x8000_0000, ram_size=1 << 20)
    for seg in program.segments: ...      # copy seg.data to seg.gpa, zero up to seg.memsz

Three kinds of file, told apart by content first and suffix second:

    * an ELF32 little-endian RISC-V executable: its PT_LOAD segments land at
      their physical addresses and it starts at its entry point;
    * assembly source (`.S`/`.s`): assembled by `lab.riscv.asm` into a flat image
      (its `.include "lib/uart.S"` and the like find the guest library,
      lab/guests/lib/, wherever the source is);
    * anything else: a flat binary image.

A flat image is loaded at `base` (the start of RAM) and starts there, as on
QEMU's `virt` board. ELF files are read by lab.riscv.elf; the loader refuses, with a
message a student can act on, every file this RV32IM hart could not run: 64-bit,
big-endian, another machine, compressed or floating-point code. No file is
larger than the largest RAM a VM can have (MAX_PROGRAM_BYTES, 256 MiB): a
larger one is refused before it is read. Every refusal is one ProgramError
line that starts with the file's name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Final

from lab.files import FileFormatError, cut, read_bytes
from lab.riscv.board import GRANT_WINDOW, RAM_BASE
from lab.riscv.elf import (
    EF_RISCV_FLOAT_ABI,
    EF_RISCV_RVC,
    ELF_MAGIC,
    ET_DYN,
    ET_EXEC,
    FLOAT_ABI_NAMES,
    PT_LOAD,
    STB_LOCAL,
    ElfError,
    ElfFile,
    read_elf,
)

DEFAULT_BASE: Final = RAM_BASE
# No program is larger than the largest RAM (256 MiB: RAM ends below the grant window,
# lab.scenario); a larger file is refused before it is read.
MAX_PROGRAM_BYTES: Final = GRANT_WINDOW - RAM_BASE
# Where `.include` looks after the including file's own folder: lab/guests/, so that a
# program anywhere (a lesson's own guest, say) can `.include "lib/uart.S"`.
GUESTS_DIR: Final = Path(__file__).resolve().parents[1] / "guests"  # the course's guest programs
INCLUDE_DIRS: Final = (GUESTS_DIR,)


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
    from lab.riscv.asm import AsmError, assemble_file

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
    try:
        return _program(read_elf(data), name=name)
    except ElfError as exc:
        raise ProgramError(f"{name}: {exc}") from None


def _program(elf: ElfFile, *, name: str) -> Program:
    e_type, e_flags, e_entry = elf.header.type, elf.header.flags, elf.header.entry
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
    if elf.header.phnum == 0:
        raise ProgramError(f"{name}: has no program headers, nothing to load")

    segments: list[Segment] = []
    for i, ph in enumerate(elf.program_headers()):
        if ph.type != PT_LOAD or ph.memsz == 0:
            continue
        data = elf.segment_bytes(i, ph)
        if ph.paddr + ph.memsz > 1 << 32:
            raise ProgramError(f"{name}: segment {i} at {ph.paddr:#010x} runs past the 32-bit address space")
        segments.append(Segment(ph.paddr, data, ph.memsz))
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
    return Program(name=name, segments=segments, entry=e_entry, symbols=_symbols(elf))


def _symbols(elf: ElfFile) -> dict[str, int]:
    """Named symbols from .symtab (none if the file is stripped). Globals win
    over locals of the same name; section, file and mapping symbols are skipped."""
    symbols: dict[str, int] = {}
    local: set[str] = set()
    for sym in elf.symbols():
        if not sym.is_label:
            continue
        is_local = sym.bind == STB_LOCAL
        if sym.name in symbols and (is_local or sym.name not in local):
            continue  # keep the first global, or a global over a local
        symbols[sym.name] = sym.value
        if is_local:
            local.add(sym.name)
        else:
            local.discard(sym.name)
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
