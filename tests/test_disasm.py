"""The disassembler: objdump's spelling, its address notes, invalid words, files, and the
round trip through the assembler (every encodable instruction comes back as the same word).

Expected texts were taken from riscv64-unknown-elf-objdump 2.40 (see test_asm_binutils.py).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lab.riscv.asm import assemble
from lab.riscv.disasm import Line, disassemble, disassemble_file, disassemble_word, instruction_text
from lab.riscv.isa import IMM_RANGE, SPECS, Fmt, Kind, Spec, encode

BASE = 0x8000_0000


@pytest.mark.parametrize(
    ("word", "text"),
    [
        (0x00150513, "add\ta0,a0,1"),  # objdump 2.40 spells addi with a register-form name
        (0x00000513, "li\ta0,0"),
        (0x00058593, "mv\ta1,a1"),
        (0x00000013, "nop"),
        (0x0035F513, "and\ta0,a1,3"),
        (0x0FF5F513, "zext.b\ta0,a1"),
        (0xFFF5C513, "not\ta0,a1"),
        (0x00359513, "sll\ta0,a1,0x3"),
        (0x4035D513, "sra\ta0,a1,0x3"),
        (0x0035A513, "slti\ta0,a1,3"),
        (0x0015B513, "seqz\ta0,a1"),
        (0x40B00533, "neg\ta0,a1"),
        (0x00B03533, "snez\ta0,a1"),
        (0x0005A533, "sltz\ta0,a1"),
        (0x00B02533, "sgtz\ta0,a1"),
        (0x02C58533, "mul\ta0,a1,a2"),
        (0xFFC5A503, "lw\ta0,-4(a1)"),
        (0x00A12423, "sw\ta0,8(sp)"),
        (0xFFFFF537, "lui\ta0,0xfffff"),
        (0x00001517, "auipc\ta0,0x1"),
        (0x00000073, "ecall"),
        (0x00100073, "ebreak"),
        (0x10500073, "wfi"),
        (0x10200073, "sret"),
        (0x30200073, ".4byte\t0x30200073"),  # mret: this machine has no M-mode for guests
        (0x10059573, "csrrw\ta0,sstatus,a1"),
        (0x10002573, "csrr\ta0,sstatus"),
        (0x1055A073, "csrs\tstvec,a1"),
        (0x14159073, "csrw\tsepc,a1"),
        (0x1425B073, "csrc\tscause,a1"),
        (0x1432D573, "csrrw\ta0,stval,5"),  # csrrwi under its register-form name, as objdump
        (0x1402D073, "csrw\tsscratch,5"),
        (0x14006573, "csrrs\ta0,sscratch,0"),
        (0x10003573, "csrrc\ta0,sstatus,zero"),
        (0x7C059573, "csrrw\ta0,0x7c0,a1"),  # a CSR no one names
        (0x30002573, "csrr\ta0,0x300"),  # objdump: mstatus; this machine has no such CSR
        (0x0FF0000F, "fence"),
        (0x0120000F, "fence\tw,r"),
        (0x0100000F, "fence\tw,unknown"),
        (0x8330000F, "fence.tso"),
        (0x00008067, "ret"),
        (0x000500E7, "jalr\ta0"),
        (0x000502E7, "jalr\tt0,a0"),
        (0x00450067, "jr\t4(a0)"),
        (0x00458567, "jalr\ta0,4(a1)"),
        (0x0000500F, ".4byte\t0x500f"),  # fence with a reserved funct3
        (0x0000008F, ".4byte\t0x8f"),  # fence with rd != 0
        (0xFFFFFFFF, ".4byte\t0xffffffff"),
        (0x02051513, ".4byte\t0x2051513"),  # shamt[5] set: RV64 only
        (0x00000001, ".4byte\t0x1"),  # starts with a 16-bit (C extension) parcel
    ],
)
def test_words_are_spelled_as_objdump_spells_them(word: int, text: str) -> None:
    assert disassemble_word(word) == text


@pytest.mark.parametrize(
    ("word", "text"),
    [
        (0x00050063, "beqz\ta0,80000000"),
        (0x00A05063, "blez\ta0,80000000"),
        (0x00005063, "blez\tzero,80000000"),  # objdump tries blez before bgez
        (0x00054063, "bltz\ta0,80000000"),
        (0x00A04063, "bgtz\ta0,80000000"),
        (0x00A01063, "bne\tzero,a0,80000000"),
        (0x00A5C063, "blt\ta1,a0,80000000"),
        (0x0000006F, "j\t80000000"),
        (0x000000EF, "jal\t80000000"),
        (0x0000056F, "jal\ta0,80000000"),
        (0xFFDFF06F, "j\t7ffffffc"),
    ],
)
def test_targets_are_absolute_hex_addresses(word: int, text: str) -> None:
    assert disassemble_word(word, pc=BASE) == text


def test_symbols_annotate_targets() -> None:
    symbols = {BASE: "_start", BASE + 0x10: "loop"}
    assert disassemble_word(0x0000006F, BASE + 0x10, symbols) == "j\t80000010 <loop>"
    assert disassemble_word(0x0040006F, BASE + 0x10, symbols) == "j\t80000014 <loop+0x4>"


def test_disassemble_notes_addresses_built_by_lui_and_auipc() -> None:
    image = assemble("_start: la a0, msg\n lw a1, 0(a0)\n lui t0, 0x10000\n sb a1, 5(t0)\nmsg: .word 0")
    lines = disassemble(image.data, BASE, {BASE + 20: "msg"})
    assert [line.text for line in lines] == [
        "auipc\ta0,0x0",
        "add\ta0,a0,20 # 80000014 <msg>",
        "lw\ta1,0(a0)",  # objdump's memory of a0 was used up by the addi
        "lui\tt0,0x10000",
        "sb\ta1,5(t0) # 10000005",
        ".2byte\t0x0",  # the data word: a zero parcel is 16 bits long
        ".2byte\t0x0",
    ]
    assert lines[0] == Line(BASE, 0x00000517, "auipc\ta0,0x0", 4)


def test_disassemble_sizes_parcels_as_objdump() -> None:
    data = bytes.fromhex("0100") + bytes.fromhex("13000000") + b"\x07"
    assert [(line.addr - BASE, line.size, line.text) for line in disassemble(data)] == [
        (0, 2, ".2byte\t0x1"),
        (2, 4, "nop"),
        (6, 1, ".byte\t0x07"),
    ]


def test_disassemble_file_lists_a_flat_image(tmp_path: Path) -> None:
    flat = tmp_path / "prog.bin"
    flat.write_bytes(assemble("_start: li a0, 1\n ecall\n").data)
    listing = disassemble_file(flat)
    assert listing.startswith("prog.bin:     file format binary\n")
    assert "80000000:\t00100513          \tli\ta0,1" in listing
    assert "80000004:\t00000073          \tecall" in listing
    assert "    1004:\t00000073" in disassemble_file(flat, base=0x1000)
    with pytest.raises(OSError):
        disassemble_file(tmp_path / "missing.bin")


def test_instruction_text_is_one_line() -> None:
    """What traces and generated-code comments show: objdump's text, a space after the mnemonic."""
    assert instruction_text(0x00150513) == "add a0,a0,1"
    assert instruction_text(0x00050063, pc=BASE) == "beqz a0,80000000"
    assert instruction_text(0x00000073) == "ecall"
    assert instruction_text(0xFFFFFFFF) == ".4byte 0xffffffff"


# ---------------------------------------------------------------- round trip


@st.composite
def instructions(draw: st.DrawFn) -> tuple[Spec, int]:
    """A random encodable RV32IM instruction (branch and jump offsets 4-aligned, as we require)."""
    spec = draw(st.sampled_from(SPECS))
    reg = st.integers(0, 31)
    rd, rs1, rs2 = draw(reg), draw(reg), draw(reg)
    imm = 0
    if spec.fmt in IMM_RANGE:
        lo, hi = IMM_RANGE[spec.fmt]
        imm = draw(st.integers(lo, hi))
        if spec.fmt in (Fmt.B, Fmt.J):
            imm -= imm % 4
    if spec.fmt is Fmt.FENCE:
        imm = draw(st.integers(1, 15)) << 4 | draw(st.integers(1, 15))
        rd = rs1 = 0
    return spec, encode(spec, rd, rs1, rs2, imm)


def as_source(text: str, kind: Kind, pc: int) -> str:
    """objdump prints targets as bare hex addresses; GNU as reads `.`-relative ones."""
    if kind in (Kind.BRANCH, Kind.JAL):
        target = int(re.search(r"([0-9a-f]+)$", text)[1], 16)
        return re.sub(r"[0-9a-f]+$", f". + ({target - pc})", text)
    return text


@settings(max_examples=400, deadline=None)
@given(instructions(), st.integers(0, 1 << 16).map(lambda k: BASE + 4 * k))
def test_round_trip_word_to_text_to_word(insn: tuple[Spec, int], pc: int) -> None:
    spec, word = insn
    text = disassemble_word(word, pc)
    source = as_source(text, spec.kind, pc)
    assert assemble(source, base=pc).data == word.to_bytes(4, "little"), (hex(word), text)


def test_round_trip_covers_every_spec() -> None:
    for spec in SPECS:
        fence = spec.fmt is Fmt.FENCE
        word = encode(spec, 0 if fence else 1, 0 if fence else 2, 3, 0x3F if fence else 8)
        text = disassemble_word(word, BASE)
        assert not text.startswith("."), (spec.name, text)
        assert assemble(as_source(text, spec.kind, BASE), base=BASE).data == word.to_bytes(4, "little")
