"""Program loading (lab.riscv.program): ELF, assembly and flat images, and every
file the loader must refuse with a message a student can act on."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lab.riscv.elf import EHDR, PHDR, SHDR, SYM
from lab.riscv.program import (
    Program,
    ProgramError,
    Segment,
    check_fits,
    load_program,
    parse_elf,
)
from tests.tools import require_tool

RAM = 0x8000_0000
CODE = bytes.fromhex("13050000") + bytes.fromhex("73001000")  # li a0, 0; ebreak


def make_elf(
    *,
    ident: bytes = b"\x7fELF\x01\x01\x01",
    e_type: int = 2,
    machine: int = 243,
    flags: int = 0,
    entry: int = RAM,
    loads: list[tuple[int, bytes, int]] | None = None,
    symbols: list[tuple[str, int, int]] | None = None,
) -> bytes:
    """A minimal ELF32 executable: PT_LOAD segments (gpa, bytes, memsz) and an
    optional .symtab of (name, value, st_info)."""
    loads = [(RAM, CODE, len(CODE))] if loads is None else loads
    phoff = EHDR.size
    body = bytearray()
    data_at = phoff + PHDR.size * len(loads)
    phdrs = b""
    for gpa, data, memsz in loads:
        phdrs += PHDR.pack(1, data_at + len(body), gpa, gpa, len(data), memsz, 7, 4)
        body += data
    shoff = shnum = 0
    tail = b""
    if symbols is not None:
        strtab = b"\0"
        syms = SYM.pack(0, 0, 0, 0, 0, 0)
        for name, value, info in symbols:
            syms += SYM.pack(len(strtab), value, 0, info, 0, 1)
            strtab += name.encode() + b"\0"
        base = data_at + len(body)
        tail = syms + strtab
        shoff = base + len(tail)
        shnum = 3
        tail += SHDR.pack(0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        tail += SHDR.pack(0, 2, 0, 0, base, len(syms), 2, 1, 4, SYM.size)  # .symtab -> strtab
        tail += SHDR.pack(0, 3, 0, 0, base + len(syms), len(strtab), 0, 0, 1, 0)
    header = EHDR.pack(
        ident.ljust(16, b"\0"),
        e_type,
        machine,
        1,
        entry,
        phoff,
        shoff,
        flags,
        EHDR.size,
        PHDR.size,
        len(loads),
        SHDR.size,
        shnum,
        0,
    )
    return header + phdrs + bytes(body) + tail


# ---------------------------------------------------------------- ELF: what loads


def test_elf_segments_entry_and_bss() -> None:
    elf = make_elf(loads=[(RAM, CODE, len(CODE)), (RAM + 0x100, b"\x2a\0\0\0", 0x40)], entry=RAM)
    prog = parse_elf(elf, name="t.elf")
    assert prog.entry == RAM
    assert prog.segments == [Segment(RAM, CODE, len(CODE)), Segment(RAM + 0x100, b"\x2a\0\0\0", 0x40)]
    assert prog.segments[1].end == RAM + 0x140


def test_elf_symbols_global_beats_local_and_skips_noise() -> None:
    glob, local, section, file_ = 0x10, 0x00, 0x03, 0x04
    elf = make_elf(
        symbols=[
            ("main", RAM + 8, local),
            ("main", RAM + 4, glob),
            ("main", RAM + 12, local),
            ("helper", RAM, local),
            (".text", RAM, section),
            ("prog.c", 0, file_),
            ("$xrv32i2p1_m2p0", RAM, local),
        ]
    )
    assert parse_elf(elf, name="t.elf").symbols == {"main": RAM + 4, "helper": RAM}


def test_elf_without_symtab_has_no_symbols() -> None:
    assert parse_elf(make_elf(), name="t.elf").symbols == {}


def test_elf_zero_sized_and_non_load_segments_are_ignored() -> None:
    elf = bytearray(make_elf(loads=[(RAM, CODE, len(CODE)), (RAM + 0x1000, b"", 0)]))
    prog = parse_elf(bytes(elf), name="t.elf")
    assert [s.gpa for s in prog.segments] == [RAM]


# ---------------------------------------------------------------- ELF: what is refused


@pytest.mark.parametrize(
    ("elf", "message"),
    [
        (b"MZ\x90\0" + bytes(60), "is not an ELF file"),
        (
            make_elf(ident=b"\x7fELF\x02\x01\x01"),
            "is a 64-bit ELF; hvlab runs RV32 (compile with -march=rv32im",
        ),
        (make_elf(ident=b"\x7fELF\x01\x02\x01"), "is a big-endian ELF"),
        (make_elf(ident=b"\x7fELF\x05\x01\x01"), "unknown ELF class 5"),
        (make_elf(machine=62), "is an ELF for x86-64, not RISC-V"),
        (make_elf(machine=999), "is an ELF for machine 999, not RISC-V"),
        (make_elf(e_type=1), "is not an executable (ELF type 1)"),
        (make_elf(e_type=3), "is a shared object or PIE"),
        (make_elf(flags=0x1), "uses compressed instructions (C extension); compile with -march=rv32im"),
        (make_elf(flags=0x2), "uses the single-float ABI"),
        (make_elf(flags=0x4), "uses the double-float ABI"),
        (make_elf()[:40], "truncated ELF header (40 of 52 bytes)"),
        (make_elf()[:10], "truncated ELF header (10 bytes)"),
        (make_elf()[: EHDR.size + 10], "truncated program headers"),
        (make_elf()[:-2], "truncated segment 0"),
        (make_elf(loads=[]), "has no program headers"),
        (make_elf(loads=[(RAM, b"", 0)]), "has no loadable (PT_LOAD) segments"),
        (make_elf(loads=[(RAM, CODE, 4)]), "segment 0 has more file bytes (8) than memory (4)"),
        (make_elf(entry=RAM + 0x1000), "entry point 0x80001000 lies outside every loaded segment"),
        (make_elf(entry=RAM + 2), "entry point 0x80000002 is not 4-byte aligned"),
        (make_elf(loads=[(0xFFFF_FFFC, CODE, 8)], entry=0xFFFF_FFFC), "runs past the 32-bit address space"),
        (
            make_elf(loads=[(RAM, CODE, 0x20), (RAM + 0x10, CODE, 8)]),
            "segments [0x80000000, 0x80000020) and [0x80000010, 0x80000018) overlap",
        ),
    ],
)
def test_elf_rejections_name_the_file_and_the_problem(elf: bytes, message: str) -> None:
    with pytest.raises(ProgramError) as info:
        parse_elf(elf, name="prog.elf")
    text = str(info.value)
    assert text.startswith("prog.elf: ")
    assert message in text
    assert "\n" not in text


def test_elf_truncated_symbol_table_is_refused() -> None:
    elf = make_elf(symbols=[("main", RAM, 0x10)])
    with pytest.raises(ProgramError, match="truncated section headers"):
        parse_elf(elf[:-10], name="t.elf")


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_corrupt_elf_never_raises_anything_but_program_error(data: st.DataObject) -> None:
    elf = bytearray(make_elf(loads=[(RAM, CODE, 0x40)], symbols=[("main", RAM, 0x10), ("x", RAM + 4, 0)]))
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(4, len(elf) - 1))
        elf[at] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(4, len(elf)))
    try:
        prog = parse_elf(bytes(elf[:cut]), name="fuzz.elf")
    except ProgramError as exc:
        assert str(exc).startswith("fuzz.elf: ")
    else:
        assert all(len(s.data) <= s.memsz for s in prog.segments)
        assert any(s.gpa <= prog.entry < s.gpa + len(s.data) for s in prog.segments)


# ---------------------------------------------------------------- load_program: by content and suffix


def test_flat_binary_loads_at_base_and_starts_there(tmp_path: Path) -> None:
    path = tmp_path / "guest.bin"
    path.write_bytes(CODE)
    prog = load_program(path)
    assert prog == Program(str(path), [Segment(RAM, CODE, len(CODE))], RAM, {})
    assert load_program(path, base=0x1000).entry == 0x1000


def test_elf_is_recognised_by_content_not_suffix(tmp_path: Path) -> None:
    path = tmp_path / "guest.bin"
    path.write_bytes(make_elf(loads=[(RAM + 0x40, CODE, 8)], entry=RAM + 0x44))
    prog = load_program(path)
    assert prog.entry == RAM + 0x44
    assert prog.segments[0].gpa == RAM + 0x40


def test_assembly_source_is_assembled(tmp_path: Path) -> None:
    path = tmp_path / "guest.S"
    path.write_text(".globl _start\nhelper:\n  ret\n_start:\n  li a0, 7\n  ebreak\n")
    prog = load_program(path)
    assert prog.segments[0].gpa == RAM
    assert prog.entry == RAM + 4  # _start, not the first byte
    assert prog.symbols["helper"] == RAM
    assert prog.segments[0].data[:4] == bytes.fromhex("67800000")  # ret = jalr x0, 0(ra)


def test_assembly_errors_become_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.s"
    path.write_text("_start:\n  frob a0\n  addi x99, x0, 1\n")
    with pytest.raises(ProgramError) as info:
        load_program(path)
    text = str(info.value)
    assert text.startswith(f"{path}:2:")
    assert "(and 1 more error)" in text
    assert "\n" not in text


def test_assembled_programs_are_cached_until_an_included_file_changes(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    main, lib = tmp_path / "guest.S", tmp_path / "lib" / "value.S"
    main.write_text('_start:\n  .include "lib/value.S"\n  ebreak\n')
    lib.write_text("  li a0, 7\n")
    first = load_program(main)
    assert load_program(main) is first  # nothing changed: the cached program
    lib.write_text("  li a0, 8\n")  # only the included file changes
    second = load_program(main)
    assert second is not first
    assert second.segments[0].data[:4] == bytes.fromhex("13058000")  # li a0, 8
    assert load_program(main) is second
    lib.unlink()  # an included file that went away: assembled afresh, and the error says so
    with pytest.raises(ProgramError, match=r"guest\.S:2:.*cannot find 'lib/value\.S'"):
        load_program(main)


def test_programs_anywhere_can_include_the_guest_library(tmp_path: Path) -> None:
    path = tmp_path / "hello.S"
    path.write_text(
        '.include "lib/machine.S"\n_start:\n  la a0, msg\n  call puts\n  ebreak\n'
        '.include "lib/uart.S"\nmsg: .asciz "hi"\n'
    )
    prog = load_program(path)
    assert {"_start", "putc", "puts", "newline", "msg"} <= prog.symbols.keys()


def test_missing_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(ProgramError, match=r"nope\.elf: cannot read: No such file"):
        load_program(tmp_path / "nope.elf")
    (tmp_path / "empty.bin").write_bytes(b"")
    with pytest.raises(ProgramError, match="is empty"):
        load_program(tmp_path / "empty.bin")


# ---------------------------------------------------------------- check_fits


def test_check_fits_accepts_a_program_inside_ram() -> None:
    prog = Program("p", [Segment(RAM, CODE, 0x1000), Segment(RAM + 0xF000, b"", 0x1000)], RAM, {})
    check_fits(prog, ram_gpa=RAM, ram_size=0x10000)


@pytest.mark.parametrize(
    ("segment", "message"),
    [
        (
            Segment(RAM + 0xF000, b"x", 0x1001),
            "p: segment [0x8000f000, 0x80010001) lies outside RAM [0x80000000, 0x80010000)"
            " (give the VM more RAM)",
        ),
        (Segment(0x1000, b"x", 1), "p: segment [0x00001000, 0x00001001) lies outside RAM"),
    ],
)
def test_check_fits_names_segment_and_ram(segment: Segment, message: str) -> None:
    prog = Program("p", [Segment(RAM, CODE, 8), segment], RAM, {})
    with pytest.raises(ProgramError) as info:
        check_fits(prog, ram_gpa=RAM, ram_size=0x10000)
    assert str(info.value).startswith(message)


# ---------------------------------------------------------------- real ELFs from gcc

START_S = ".globl _start\n_start:\n  li a0, 1\n  mul a0, a0, a0\n  ebreak\n"


def _gcc(tmp_path: Path, *flags: str, source: str = START_S) -> Path:
    gcc = require_tool("riscv64-unknown-elf-gcc")
    src = tmp_path / "start.S"
    src.write_text(source)
    out = tmp_path / "start.elf"
    ld = "-Wl,-Ttext=0x80000000,--no-warn-rwx-segments"
    cmd = [gcc, *flags, "-nostdlib", "-nostartfiles", "-static", ld, "-o", str(out), str(src)]
    subprocess.run(cmd, check=True, capture_output=True)
    return out


@pytest.mark.binutils
def test_gcc_rv32im_elf_matches_pyelftools(tmp_path: Path) -> None:
    from elftools.elf.elffile import ELFFile

    path = _gcc(tmp_path, "-march=rv32im", "-mabi=ilp32")
    prog = load_program(path)
    with path.open("rb") as f:
        elf = ELFFile(f)
        loads = [s for s in elf.iter_segments() if s["p_type"] == "PT_LOAD" and s["p_memsz"]]
        want = sorted((s["p_paddr"], s.data(), s["p_memsz"]) for s in loads)
        assert prog.entry == elf["e_entry"]
        assert (
            prog.symbols["_start"]
            == elf.get_section_by_name(".symtab").get_symbol_by_name("_start")[0]["st_value"]
        )
    assert [(s.gpa, s.data, s.memsz) for s in prog.segments] == want
    assert prog.entry == prog.symbols["_start"] == RAM


@pytest.mark.binutils
@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (("-march=rv32imc", "-mabi=ilp32"), "uses compressed instructions (C extension)"),
        (("-march=rv64im", "-mabi=lp64"), "is a 64-bit ELF; hvlab runs RV32"),
        (("-march=rv32imf", "-mabi=ilp32f"), "uses the single-float ABI"),
    ],
)
def test_gcc_elves_hvlab_cannot_run_are_refused(tmp_path: Path, flags: tuple[str, ...], message: str) -> None:
    path = _gcc(tmp_path, *flags)
    with pytest.raises(ProgramError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_program(path)


@pytest.mark.binutils
def test_gcc_object_file_is_not_an_executable(tmp_path: Path) -> None:
    gcc = require_tool("riscv64-unknown-elf-gcc")
    src = tmp_path / "start.S"
    src.write_text(START_S)
    obj = tmp_path / "start.o"
    subprocess.run([gcc, "-march=rv32im", "-mabi=ilp32", "-c", "-o", str(obj), str(src)], check=True)
    with pytest.raises(ProgramError, match=r"is not an executable \(ELF type 1\); link it first"):
        load_program(obj)


def test_struct_layouts_match_the_elf32_spec() -> None:
    assert (EHDR.size, PHDR.size, SHDR.size, SYM.size) == (52, 32, 40, 16)


# ---------------------------------------------------------------- the committed benchmark ELF (no compiler)

BENCH_ELF = Path(__file__).resolve().parent.parent / "bench" / "programs" / "crc32.elf"


def test_committed_crc32_elf_loads_with_its_bss_and_symbols() -> None:
    prog = load_program(BENCH_ELF)
    assert prog.entry == prog.symbols["_start"] == RAM
    assert {"main", "hv_printf", "__bss_start", "__bss_end"} <= prog.symbols.keys()
    bss = prog.symbols["__bss_end"] - prog.symbols["__bss_start"]
    assert bss >= 64 * 1024  # the 64 KiB data buffer takes no bytes in the file
    assert sum(s.memsz - len(s.data) for s in prog.segments) >= bss
    check_fits(prog, ram_gpa=RAM, ram_size=1 << 20)


def test_hvlab_run_refuses_a_program_bigger_than_ram() -> None:
    cmd = [sys.executable, "-m", "hvlab.cli", "run", str(BENCH_ELF), "--memory", "64K"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.strip().endswith("lies outside RAM [0x80000000, 0x80010000) (give the VM more RAM)"), (
        done.stderr
    )
    assert len(done.stderr.strip().splitlines()) == 1


def test_an_assembly_error_echoing_a_long_token_stays_short(tmp_path: Path) -> None:
    # found by the file fuzzer: the assembler's message quoted a 3,000-character operand
    path = tmp_path / "long.S"
    path.write_text("_start: mv " + "[" * 3000 + ", a0\n")
    with pytest.raises(ProgramError) as info:
        load_program(path)
    text = str(info.value)
    assert text.startswith(f"{path}:1:") and "bad register" in text and len(text) <= 300
