"""The ELF reader (lab.riscv.elf): what it reads from a linked program, what it refuses and how, and that
neither it nor the two readers built on it (the loader and the disassembler) fail any other way.

The tables are cross-checked against binutils' readelf and nm when they are installed.
"""

from __future__ import annotations

import re
import struct
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lab.riscv.disasm import disassemble_file
from lab.riscv.elf import EHDR, ET_EXEC, PHDR, PT_LOAD, SHDR, ElfError, read_elf
from lab.riscv.program import ProgramError, parse_elf
from tests.tools import require_tool

ELF = Path(__file__).resolve().parents[1] / "bench" / "programs" / "crc32.elf"
RAW = ELF.read_bytes()


def patched(offset: int, fmt: str, *values: int, data: bytes = RAW) -> bytes:
    """`data` with `values` packed little-endian at `offset`."""
    out = bytearray(data)
    struct.pack_into("<" + fmt, out, offset, *values)
    return bytes(out)


def section_offset(index: int) -> int:
    """Where section header `index` of the test program is."""
    shoff, shentsize = struct.unpack_from("<I", RAW, 32)[0], struct.unpack_from("<H", RAW, 46)[0]
    return shoff + index * shentsize


def index_of(name: str) -> int:
    elf = read_elf(RAW)
    return next(i for i, s in enumerate(elf.sections()) if elf.section_name(s) == name)


# ---------------------------------------------------------------- what it reads


def test_reads_the_tables_of_a_linked_program() -> None:
    elf = read_elf(RAW)
    assert (elf.header.type, elf.header.entry) == (ET_EXEC, 0x8000_0000)
    (load,) = [ph for ph in elf.program_headers() if ph.type == PT_LOAD]
    assert load.paddr == 0x8000_0000 and load.memsz > load.filesz
    names = [elf.section_name(s) for s in elf.sections()]
    assert names[:2] == ["", ".text"] and ".symtab" in names
    text = elf.sections()[1]
    # the code section is the start of the loaded segment
    assert elf.section_bytes(text) == elf.segment_bytes(0, load)[: text.size]
    labels = {s.name: s.value for s in elf.symbols() if s.is_label}
    assert labels["_start"] == 0x8000_0000
    assert not any(name.startswith("$") for name in labels)


@pytest.mark.binutils
def test_tables_match_readelf_and_nm() -> None:
    readelf, nm = require_tool("riscv64-unknown-elf-readelf"), require_tool("riscv64-unknown-elf-nm")
    listing = subprocess.run([readelf, "-S", "-W", ELF], check=True, capture_output=True, text=True).stdout
    theirs = [
        (m[1], int(m[2], 16), int(m[3], 16), int(m[4], 16))
        for m in re.finditer(r"\]\s+(\.\S+)\s+\S+\s+([0-9a-f]+) ([0-9a-f]+) ([0-9a-f]+)", listing)
    ]
    elf = read_elf(RAW)
    ours = [(elf.section_name(s), s.addr, s.offset, s.size) for s in elf.sections()[1:]]
    assert ours == theirs
    symbols = subprocess.run([nm, "--defined-only", ELF], check=True, capture_output=True, text=True).stdout
    theirs_symbols = {
        (name, int(value, 16)) for value, _kind, name in (line.split() for line in symbols.splitlines())
    }
    assert {(s.name, s.value) for s in elf.symbols() if s.is_label} == theirs_symbols


def test_a_file_without_section_headers_has_no_sections_or_symbols() -> None:
    elf = read_elf(patched(32, "I", 0))  # e_shoff = 0, as a stripped file may have it
    assert elf.sections() == [] and elf.symbols() == []
    assert parse_elf(patched(32, "I", 0), name="s.elf").symbols == {}


# ---------------------------------------------------------------- what it refuses


def _symtab_offset() -> int:
    return section_offset(index_of(".symtab"))


@pytest.mark.parametrize(
    ("data", "read", "message"),
    [
        (RAW[:40], "header", "truncated ELF header (40 of 52 bytes)"),
        (patched(18, "H", 62), "header", "is an ELF for x86-64, not RISC-V"),
        (
            patched(42, "H", 16),
            "program headers",
            f"program header entries of 16 bytes (expected {PHDR.size})",
        ),
        (patched(44, "H", 4000), "program headers", f"truncated program headers (file is {len(RAW)} bytes)"),
        (
            patched(EHDR.size + 20, "I", 0x10),
            "segment",
            "segment 0 has more file bytes (2755) than memory (16)",
        ),
        (patched(EHDR.size + 4, "I", len(RAW)), "segment", "truncated segment 0: needs bytes"),
        (
            RAW[: section_offset(3)],
            "sections",
            f"truncated section headers (file is {section_offset(3)} bytes)",
        ),
        (patched(46, "H", 20), "sections", "truncated section headers"),
        (patched(50, "H", 99), "names", "section name table 99 does not exist (the file has 7 sections)"),
        (patched(section_offset(1) + 20, "I", 1 << 20), "text", "truncated section .text: needs bytes"),
        (
            patched(_symtab_offset() + 24, "I", 99),
            "symbols",
            "symbol table names a string table that does not",
        ),
        (patched(_symtab_offset() + 20, "I", 1 << 20), "symbols", "truncated symbol table"),
    ],
)
def test_each_problem_is_one_line_that_names_it(data: bytes, read: str, message: str) -> None:
    def reading() -> None:
        elf = read_elf(data)
        if read == "program headers":
            elf.program_headers()
        elif read == "segment":
            elf.segment_bytes(0, elf.program_headers()[0])
        elif read == "sections":
            elf.sections()
        elif read == "names":
            elf.section_name(elf.sections()[1])
        elif read == "text":
            elf.section_bytes(elf.sections()[1])
        elif read == "symbols":
            elf.symbols()

    with pytest.raises(ElfError) as info:
        reading()
    assert str(info.value).startswith(message) and "\n" not in str(info.value)


def test_problems_surface_in_the_order_a_reader_meets_them() -> None:
    # a wrong machine and a broken section table: the header is read first
    both = patched(46, "H", 20, data=patched(18, "H", 62))
    with pytest.raises(ElfError, match="not RISC-V"):
        read_elf(both)
    # the loader reads no section table it does not need before its segments are good
    bad_segment_and_table = patched(EHDR.size + 20, "I", 0x10, data=patched(46, "H", 20))
    with pytest.raises(ProgramError, match="segment 0 has more file bytes"):
        parse_elf(bad_segment_and_table, name="t.elf")


def test_the_disassembler_refuses_what_it_cannot_list(tmp_path: Path) -> None:
    stripped = tmp_path / "stripped.elf"
    stripped.write_bytes(patched(32, "I", 0))
    with pytest.raises(ElfError, match="has no section headers, so no code sections to disassemble"):
        disassemble_file(stripped)
    noname = tmp_path / "noname.elf"
    noname.write_bytes(patched(50, "H", 0))  # no section name table: sections are unnamed
    assert "Disassembly of section (unnamed):" in disassemble_file(noname)


# ---------------------------------------------------------------- nothing else escapes


@st.composite
def damaged(draw: st.DrawFn) -> bytes:
    """The test program cut short and/or with a few bytes overwritten, mostly in its headers and tables."""
    data = bytearray(RAW[: draw(st.integers(0, len(RAW)))] if draw(st.booleans()) else RAW)
    hot = [0, EHDR.size, section_offset(0), _symtab_offset(), len(RAW) - 0x50]
    for _ in range(draw(st.integers(0, 6))):
        if not data:
            break
        at = min(len(data) - 1, draw(st.sampled_from(hot)) + draw(st.integers(0, SHDR.size * 2)))
        data[at] = draw(st.integers(0, 255))
    return bytes(data)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(damaged())
def test_damaged_files_raise_only_the_readers_own_errors(
    tmp_path_factory: pytest.TempPathFactory, data: bytes
) -> None:
    try:
        elf = read_elf(data)
        for i, ph in enumerate(elf.program_headers()):
            elf.segment_bytes(i, ph)
        for sec in elf.sections():
            elf.section_name(sec)
            elf.section_bytes(sec)
        elf.symbols()
    except ElfError as exc:
        assert str(exc) and "\n" not in str(exc)
    try:
        parse_elf(data, name="d.elf")
    except ProgramError as exc:
        assert str(exc).startswith("d.elf: ")
    path = tmp_path_factory.mktemp("elf") / "d.elf"
    path.write_bytes(data)
    try:
        assert disassemble_file(path).startswith("d.elf:     file format ")
    except ElfError as exc:
        assert str(exc) and "\n" not in str(exc)
