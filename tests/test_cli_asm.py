"""`hvlab asm` and `hvlab disasm`: every option through `hvlab`'s own parser (hvlab.cli.main).

Each option is parsed once, by `hvlab`; these tests fail when an option is lost on the way
(`hvlab asm -I DIR` and `hvlab disasm --base ADDR` used to be refused by the parser).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hvlab.cli import main
from lab.riscv.asm import assemble
from lab.riscv.elf import EHDR

BASE = 0x8000_0000
ELF = Path(__file__).resolve().parents[1] / "bench" / "programs" / "crc32.elf"


def write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)


# ---------------------------------------------------------------- hvlab asm


def test_asm_writes_the_flat_image_next_to_the_source(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, {"prog.S": "_start: li a0, 42\n ecall\n"})
    assert main(["asm", str(tmp_path / "prog.S")]) == 0
    assert (tmp_path / "prog.bin").read_bytes() == bytes.fromhex("1305a002 73000000")
    assert capsys.readouterr().out == f"{tmp_path / 'prog.bin'}: 8 bytes at 0x80000000, entry 0x80000000\n"


def test_asm_output_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, {"prog.S": "_start: nop\n"})
    for option in ("-o", "--output"):
        out = tmp_path / f"image{option}.img"
        assert main(["asm", str(tmp_path / "prog.S"), option, str(out)]) == 0
        assert out.read_bytes() == bytes.fromhex("13000000")
    assert not (tmp_path / "prog.bin").exists()


def test_asm_base_links_the_image_there(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, {"prog.S": "nop\n_start: j _start\nhere: .word here\n"})
    assert main(["asm", str(tmp_path / "prog.S"), "--base", "0x1000"]) == 0
    # the word holds its own address: linked at 0x1000, not at the default 0x80000000
    assert (tmp_path / "prog.bin").read_bytes()[8:] == (0x1008).to_bytes(4, "little")
    assert capsys.readouterr().out.endswith(": 12 bytes at 0x00001000, entry 0x00001004\n")
    assert main(["asm", str(tmp_path / "prog.S"), "--base", "0x4000_0000"]) == 0  # underscores too
    assert (tmp_path / "prog.bin").read_bytes()[8:] == (0x4000_0008).to_bytes(4, "little")


def test_asm_include_dirs_are_searched_in_order(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(
        tmp_path,
        {
            "src/prog.S": '.include "defs.S"\n_start: li a0, N\n',
            "one/defs.S": ".equ N, 1\n",
            "two/defs.S": ".equ N, 2\n",
        },
    )
    prog, out = str(tmp_path / "src/prog.S"), tmp_path / "src/prog.bin"
    assert main(["asm", prog]) == 1
    assert "cannot find 'defs.S' to include" in capsys.readouterr().err
    assert main(["asm", prog, "-I", str(tmp_path / "one"), "-I", str(tmp_path / "two")]) == 0
    assert out.read_bytes() == bytes.fromhex("13051000")  # li a0, 1
    assert main(["asm", prog, "--include-dir", str(tmp_path / "two"), "-I", str(tmp_path / "one")]) == 0
    assert out.read_bytes() == bytes.fromhex("13052000")  # li a0, 2


def test_asm_finds_the_guest_library_as_hvlab_run_does(tmp_path: Path) -> None:
    """A program anywhere may `.include "lib/..."`: the loader finds it, so `hvlab asm` does too."""
    source = '.include "lib/machine.S"\n_start: li a0, UART_BASE\n'
    write(tmp_path, {"prog.S": source})
    assert main(["asm", str(tmp_path / "prog.S")]) == 0
    lib = Path(__file__).resolve().parents[1] / "lab" / "guests"
    assert (tmp_path / "prog.bin").read_bytes() == assemble(source, include_dirs=[lib]).data


def test_asm_reports_every_error_on_stderr_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, {"bad.S": "nop\nfrob a0\nadd a0\n"})
    assert main(["asm", str(tmp_path / "bad.S")]) == 1
    bad = tmp_path / "bad.S"
    assert capsys.readouterr().err.splitlines() == [
        f"{bad}:2:1: error: unknown instruction 'frob'",
        f"{bad}:3:1: error: 'add' takes 3 operands (rd,rs1,rs2), got 1",
    ]
    assert not (tmp_path / "bad.bin").exists()
    assert main(["asm", str(tmp_path / "missing.S")]) == 1
    assert "missing.S:1:1: error: cannot read" in capsys.readouterr().err


def test_asm_bad_options_and_outputs_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, {"prog.S": "nop\n"})
    assert main(["asm", str(tmp_path / "prog.S"), "--base", "0x1002"]) == 1
    assert "base 0x1002 must be a 4-byte aligned 32-bit address" in capsys.readouterr().err
    assert main(["asm", str(tmp_path / "prog.S"), "-o", str(tmp_path / "no/such/dir/x.bin")]) == 1
    assert capsys.readouterr().err.startswith("hvlab: cannot write ")
    with pytest.raises(SystemExit) as exit_:
        main(["asm", str(tmp_path / "prog.S"), "--base", "high"])
    assert exit_.value.code == 2
    assert "not a number: 'high'" in capsys.readouterr().err


# ---------------------------------------------------------------- hvlab disasm


def test_disasm_lists_a_flat_image_at_the_base(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flat = tmp_path / "prog.bin"
    flat.write_bytes(assemble("_start: li a0, 1\n ecall\n").data)
    assert main(["disasm", str(flat)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("prog.bin:     file format binary\n")
    assert "80000004:\t00000073          \tecall" in out
    assert main(["disasm", str(flat), "--base", "0x1000"]) == 0
    out = capsys.readouterr().out
    assert "    1000:\t00100513          \tli\ta0,1" in out and "80000000" not in out


def test_disasm_lists_an_elf_at_its_own_addresses(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["disasm", str(ELF), "--base", "0x1000"]) == 0  # --base is for flat images only
    out = capsys.readouterr().out
    assert out.startswith("crc32.elf:     file format elf32-littleriscv\n")
    assert "Disassembly of section .text:" in out
    assert "80000000 <_start>:" in out


def test_disasm_errors_name_the_file_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "missing.bin"
    assert main(["disasm", str(missing)]) == 1
    assert capsys.readouterr().err == f"hvlab: {missing}: cannot read: No such file or directory\n"
    wide = tmp_path / "wide.elf"
    wide.write_bytes(b"\x7fELF\x02\x01\x01" + bytes(60))
    assert main(["disasm", str(wide)]) == 1
    assert capsys.readouterr().err == (
        f"hvlab: {wide}: is a 64-bit ELF; hvlab runs RV32 (compile with -march=rv32im -mabi=ilp32)\n"
    )
    cut = tmp_path / "cut.elf"
    cut.write_bytes(ELF.read_bytes()[: EHDR.size + 100])
    assert main(["disasm", str(cut)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"hvlab: {cut}: truncated section headers") and err.count("\n") == 1
