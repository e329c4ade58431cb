"""The assembler: encodings, pseudo-instruction expansions, layout, and every kind of error.

The words expected here were produced by GNU as (see tests/test_asm_binutils.py for the
full cross-check); these tests pin them down on machines without binutils.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hvlab.generate.pages import assembler_reference
from lab.riscv.asm import (
    DIRECTIVES,
    PSEUDOS,
    AsmError,
    Diagnostic,
    Directive,
    Image,
    Pseudo,
    assemble,
    assemble_file,
)
from lab.riscv.isa import SPECS

BASE = 0x8000_0000


def words(source: str, **kw: int) -> list[int]:
    data = assemble(source, **kw).data
    return list(struct.unpack(f"<{len(data) // 4}I", data[: len(data) // 4 * 4]))


def errors(source: str) -> list[Diagnostic]:
    with pytest.raises(AsmError) as info:
        assemble(source, filename="t.S")
    return info.value.diagnostics


def only_error(source: str) -> Diagnostic:
    diags = errors(source)
    assert len(diags) == 1, diags
    return diags[0]


# ---------------------------------------------------------------- encodings


@pytest.mark.parametrize(
    ("line", "word"),
    [
        ("addi a0, a0, 1", 0x00150513),
        ("addi x10, x10, 1", 0x00150513),
        ("lw a0, 0(a1)", 0x0005A503),
        ("lw a0, -4(a1)", 0xFFC5A503),
        ("sw a0, 8(sp)", 0x00A12423),
        ("lui a0, 0xfffff", 0xFFFFF537),
        ("auipc a0, 1", 0x00001517),
        ("slli a0, a1, 3", 0x00359513),
        ("srai a0, a1, 3", 0x4035D513),
        ("mul a0, a1, a2", 0x02C58533),
        ("lbu a0, 0x7ff(a0)", 0x7FF54503),
        ("ecall", 0x00000073),
        ("ebreak", 0x00100073),
        ("wfi", 0x10500073),
        ("fence", 0x0FF0000F),
        ("fence rw, w", 0x0310000F),
        ("fence.tso", 0x8330000F),
        ("nop", 0x00000013),
        ("ret", 0x00008067),
        ("mv a1, a1", 0x00058593),
        ("not a0, a1", 0xFFF5C513),
        ("neg a0, a1", 0x40B00533),
        ("seqz a0, a1", 0x0015B513),
        ("snez a0, a1", 0x00B03533),
        ("sltz a0, a1", 0x0005A533),
        ("sgtz a0, a1", 0x00B02533),
        ("jalr a0", 0x000500E7),
        ("jr a0", 0x00050067),
        ("jalr a0, 4(a1)", 0x00458567),
        ("add a0, a0, 1", 0x00150513),  # objdump 2.40's spelling of addi assembles too
        ("zext.b a0, a1", 0x0FF5F513),
    ],
)
def test_single_instruction_encodings(line: str, word: int) -> None:
    assert words(line) == [word]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, [0x00000513]),
        (2047, [0x7FF00513]),
        (-2048, [0x80000513]),
        (2048, [0x00001537, 0x80050513]),  # lui 1; addi -2048: the %lo carry
        (0x12345000, [0x12345537]),  # lui only
        (0x12345678, [0x12345537, 0x67850513]),
        (0x7FFFF800, [0x80000537, 0x80050513]),
        (0x7FFFFFFF, [0x80000537, 0xFFF50513]),
        (0xFFFFFFFF, [0xFFF00513]),  # -1 fits addi
        (0x80000000, [0x80000537]),
        (0xFFFFF800, [0x80000513]),
    ],
)
def test_li_expands_as_gnu_as(value: int, expected: list[int]) -> None:
    assert words(f"li a0, {value}") == expected


def test_la_and_call_are_pc_relative_pairs() -> None:
    src = """
    _start: la a0, msg
            call f
            tail f
    f:      ret
    msg:    .word 0
    """
    w = words(src)
    # la: auipc a0,0 ; addi a0,a0,28 (msg is 28 bytes on from the auipc)
    assert w[0:2] == [0x00000517, 0x01C50513]
    # call: auipc ra,0 ; jalr ra,16(ra)   tail: auipc t1,0 ; jr 8(t1)
    assert w[2:6] == [0x00000097, 0x010080E7, 0x00000317, 0x00830067]


def test_li_into_zero_keeps_gnu_as_trailing_addi() -> None:
    # load_const in GNU as: with rd = zero the addi is always emitted, reading zero
    assert words("li zero, 0x80000000") == [0x80000037, 0x00000013]


def test_symbol_loads_and_stores_go_through_auipc() -> None:
    src = "_start: lw a0, v\n sw a0, v, t0\nv: .word 0"
    # auipc a0,0 ; lw a0,16(a0) ; auipc t0,0 ; sw a0,8(t0)   (v is at +16)
    assert words(src)[:4] == [0x00000517, 0x01052503, 0x00000297, 0x00A2A423]


def test_pcrel_pair_carries_into_the_high_part() -> None:
    src = "_start: la a0, far\n .space 0x800 - 8\nfar: .word 1"
    # offset 0x800 from the auipc: %pcrel_hi = 1, %pcrel_lo = -2048
    assert words(src)[:2] == [0x00001517, 0x80050513]


def test_branches_and_local_labels_resolve_both_ways() -> None:
    src = """
    1:  beqz a0, 1f
        j 1b
    1:  bne a0, a1, 1b
    """
    # the last 1b is the label on its own line: offset 0
    assert words(src) == [0x00050463, 0xFFDFF06F, 0x00B51063]


def test_numeric_labels_are_not_exported_but_named_ones_are() -> None:
    image = assemble("_start: nop\n1: nop\nloop: j loop\n.data\nvalue: .word 7")
    assert image.symbols == {"_start": BASE, "loop": BASE + 8, "value": BASE + 12}
    assert image.entry == BASE


def test_entry_is_start_wherever_it_is() -> None:
    image = assemble("helper: ret\n_start: j helper")
    assert image.entry == BASE + 4


def test_lines_map_addresses_to_source_lines_for_the_ui() -> None:
    image = assemble("_start:\n  li a0, 0x12345678\n  nop\n.data\n.word 5")
    assert image.lines == {BASE: 2, BASE + 4: 2, BASE + 8: 3, BASE + 12: 5}


def test_sections_are_laid_out_text_rodata_data_with_bss_outside_the_image() -> None:
    src = """
        .data
    d:  .byte 1
        .section .rodata
    r:  .byte 2
        .bss
    b:  .space 8
        .text
    _start: nop
    """
    image = assemble(src)
    assert image.data == bytes.fromhex("13000000") + b"\x02\x01"
    assert image.symbols == {"d": BASE + 5, "r": BASE + 4, "b": BASE + 6, "_start": BASE}


def test_base_moves_everything() -> None:
    image = assemble("_start: la a0, x\nx: .word x", base=0x1000)
    assert image.base == 0x1000 and image.entry == 0x1000
    assert image.data[8:] == (0x1008).to_bytes(4, "little")


def test_base_must_be_an_aligned_address() -> None:
    with pytest.raises(AsmError, match="4-byte aligned"):
        assemble("nop", base=0x1002)


def test_code_alignment_pads_like_gnu_as() -> None:
    # a zero byte to reach an even address, one c.nop, then 4-byte nops
    image = assemble(".byte 1\n.align 3\nnop")
    # and the section's end is padded to its alignment (8 here) with nops too
    assert image.data == bytes.fromhex("01 00 0100 13000000 13000000 13000000")
    # .balign 4 in code is dropped without the C extension (GNU as does the same)
    assert assemble(".byte 1\n.balign 4\n.byte 2").data[:2] == b"\x01\x02"
    assert assemble(".data\n.byte 1\n.balign 4\n.byte 2").data == b"\x01\0\0\0\x02"


def test_data_directives_and_strings() -> None:
    src = r"""
    .byte 1, -1, 'a'
    .half 0x1234
    .word 0xdeadbeef
    .ascii "a\tb"
    .asciz "c\n"
    .string "\101\x42"
    .space 2, 0x55
    .zero 1
    .fill 2, 2, 0x0102
    """
    assert (
        assemble(src).data
        == (b"\x01\xff\x61" + b"\x34\x12" + b"\xef\xbe\xad\xde" + b"a\tb" + b"c\n\0" + b"AB\0" + b"UU\0")
        + b"\x02\x01\x02\x01"
        + b"\0\x01\0"
    )  # end of .text padded to 4: zero byte, c.nop


def test_expressions_follow_gnu_as_rules() -> None:
    assert words("li a0, 1 << 4 + 1") == [0x01100513]  # (1 << 4) + 1
    assert words("li a0, -7 / 2") == [0xFFD00513]  # truncates toward zero: -3
    assert words("li a0, 010") == [0x00800513]  # octal
    assert words("li a0, 3 == 3") == [0xFFF00513]  # true is -1
    assert words(".equ N, 5\n.set N, N + 1\nli a0, N") == [0x00600513]


def test_dot_is_the_location_of_each_value() -> None:
    assert assemble("x: .word 0, . - x").data == bytes(4) + b"\x04\0\0\0"


def test_hi_lo_relocations_and_pcrel_lo_of_a_label() -> None:
    src = """
    _start: lui a0, %hi(0x12345fff)
            addi a0, a0, %lo(0x12345fff)
    .Lp:    auipc a1, %pcrel_hi(v)
            lw a2, %pcrel_lo(.Lp)(a1)
    v:      .word 0
    """
    assert words(src)[:4] == [0x12346537, 0xFFF50513, 0x00000597, 0x0085A603]


def test_comments_separators_and_rept() -> None:
    src = "/* block\n comment */ nop # hash\nnop // slashes\nnop; nop\n.rept 2\n ebreak\n.endr"
    assert words(src) == [0x13, 0x13, 0x13, 0x13, 0x00100073, 0x00100073]


def test_jump_range_edges() -> None:
    src = "_start: jal far\n.space 1048568\nfar: jal _start"
    image = assemble(src)
    assert len(image.data) == 1048576
    assert only_error("_start: jal far\n.space 1048572\nfar: nop").message.startswith(
        "jump target out of range"
    )


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("source", "line", "col", "fragment"),
    [
        ("addi a0, a0, 5000", 1, 14, "immediate 5000 out of range for addi: must be in -2048..2047"),
        ("nop\n  lw a0, 4(a9)", 2, 12, "bad register 'a9'"),
        ("addi A0, a0, 1", 1, 6, "register names are lower case"),
        ("  ad a0, a1, a2", 1, 3, "unknown instruction 'ad' (did you mean"),
        ("beq a0, a1, nowhere", 1, 13, "undefined symbol 'nowhere'"),
        ("add a0, a1", 1, 1, "'add' takes 3 operands (rd,rs1,rs2), got 2"),
        ("lui a0, 0x100000", 1, 9, "out of range for lui"),
        ("slli a0, a0, 32", 1, 14, "must be in 0..31"),
        ("x: .byte 1\n beq a0, a1, x", 2, 14, "unaligned branch target"),
        ("beq a0, a1, x\n.space 5000\nx:", 1, 13, "branch target out of range"),
        ("j 0x80000000", 1, 3, "target must be a label"),
        (".data\nv: .word 0\n.text\nbeqz a0, v", 4, 10, "branch target 'v' is in .data"),
        ("li a0, later\nlater:", 1, 8, "li needs a constant expression"),
        ("li a0, 0x100000000", 1, 8, "does not fit in 32 bits"),
        (".byte 256", 1, 7, "does not fit in 1 byte"),
        ("j 1b", 1, 3, "no earlier local label '1:'"),
        ("j 1f", 1, 3, "no local label '1:' after this point"),
        (".frob 1", 1, 1, "unknown directive '.frob'"),
        (".bss\n.word 1", 2, 1, "holds no data"),
        ("x: nop\nx: nop", 2, 1, "symbol 'x' is already defined"),
        ("addi a0, a0, (1", 1, 16, "missing ')'"),
        ("li a0, 1 / 0", 1, 10, "division by zero"),
        ("addi a0, a0, %hi(4)", 1, 18, "%hi belongs in lui or auipc"),
        ("lw a0, 3", 1, 8, "expected offset(register)"),
        ("fence rx, r", 1, 7, "bad fence set"),
        (".ascii abc", 1, 8, 'needs a "string"'),
        (".rept 2\nnop", 1, 1, ".rept without a matching .endr"),
        (".section .weird", 1, 10, "unsupported section"),
    ],
)
def test_errors_name_the_place_and_the_reason(source: str, line: int, col: int, fragment: str) -> None:
    diag = only_error(source)
    assert (diag.file, diag.line, diag.col) == ("t.S", line, col)
    assert fragment in diag.message


def test_all_errors_of_a_file_are_collected_in_order() -> None:
    diags = errors("addi a0, a0, 9999\nfrob\nnop\nbeq a0, a1, nowhere\nlw a0, 0(q1)")
    assert [d.line for d in diags] == [1, 2, 4, 5]


def test_error_text_is_one_gnu_style_line_per_diagnostic() -> None:
    with pytest.raises(AsmError) as info:
        assemble("nop\nfrob\nadd a0", filename="prog.S")
    assert str(info.value).splitlines() == [
        "prog.S:2:1: error: unknown instruction 'frob'",
        "prog.S:3:1: error: 'add' takes 3 operands (rd,rs1,rs2), got 1",
    ]


_ASM_ALPHABET = st.sampled_from(
    [*"abcdefilnorstuwxz0123456789 ,.:;()%+-*/<>&|^!~'\"\\#\n\t",
     "addi", "lw", "sw", "la", "li", "a0", "sp", "x1", "0x", "1b", "1f", "%hi(", "%lo(", ".word",
     ".rept", ".endr", ".align", ".space", ".equ", ".section", ".data", ".bss", "/*", "*/", "beq"]
)  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_ASM_ALPHABET, max_size=40).map("".join))
def test_any_text_assembles_or_raises_asm_error(text: str) -> None:
    try:
        image = assemble(text)
    except AsmError as exc:
        assert exc.diagnostics
        assert all(d.line >= 1 and d.col >= 1 for d in exc.diagnostics)
        assert not any("internal assembler error" in d.message for d in exc.diagnostics), exc
    else:
        assert isinstance(image, Image)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=60))
def test_any_unicode_text_assembles_or_raises_asm_error(text: str) -> None:
    try:
        assemble(text)
    except AsmError as exc:
        assert not any("internal assembler error" in d.message for d in exc.diagnostics), exc


def test_huge_requests_are_refused_not_attempted() -> None:
    assert "out of range" in only_error(".space 0x7fffffff").message
    assert "expands past" in only_error(".rept 100000000\nnop\n.endr").message


# ---------------------------------------------------------------- files


def test_assemble_file_reads_the_file_and_names_it_in_errors(tmp_path: Path) -> None:
    src = tmp_path / "prog.S"
    src.write_text("_start: li a0, 42\n ecall\n")
    assert assemble_file(src).data == bytes.fromhex("1305a002 73000000")
    src.write_text("nop\nfrob a0\n")
    with pytest.raises(AsmError) as info:
        assemble_file(src)
    assert str(info.value) == f"{src}:2:1: error: unknown instruction 'frob'"
    with pytest.raises(AsmError, match="cannot read"):
        assemble_file(tmp_path / "missing.S")


# ---------------------------------------------------------------- .include


def write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)


def include_errors(path: Path, **kw: object) -> list[Diagnostic]:
    with pytest.raises(AsmError) as info:
        assemble_file(path, **kw)  # type: ignore[arg-type]
    return info.value.diagnostics


def test_include_assembles_the_file_in_place(tmp_path: Path) -> None:
    write(tmp_path, {"main.S": '_start: nop\n.include "lib.S"\n.word 3\n', "lib.S": "helper: ret\n.word 2\n"})
    image = assemble_file(tmp_path / "main.S")
    assert image.data == assemble("_start: nop\nhelper: ret\n.word 2\n.word 3\n").data
    assert image.symbols == {"_start": BASE, "helper": BASE + 4}
    # what a cache must check: every included file, by resolved path, and the bytes read
    assert image.includes == {str((tmp_path / "lib.S").resolve()): b"helper: ret\n.word 2\n"}


def test_nested_includes_start_from_the_including_files_folder(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.S": '.include "lib/a.S"\n.word 1\n',
            "lib/a.S": '.word 2\n.include "b.S"\n',  # lib/b.S, next to a.S
            "lib/b.S": ".word 3\n",
            "b.S": ".word 99\n",  # not this one: the including file's folder comes first
        },
    )
    image = assemble_file(tmp_path / "main.S")
    assert image.data == bytes([2, 0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0])
    assert len(image.includes) == 2


def test_include_dirs_are_searched_after_the_files_folder_in_order(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "prog/main.S": '.include "defs.S"\n.include "only_in_two.S"\nli a0, N\n',
            "one/defs.S": ".equ N, 1\n",
            "two/defs.S": ".equ N, 2\n",
            "two/only_in_two.S": ".word 7\n",
        },
    )
    one, two = tmp_path / "one", tmp_path / "two"

    def li_a0(*dirs: Path) -> bytes:
        return assemble_file(tmp_path / "prog" / "main.S", include_dirs=dirs).data[-4:]

    assert li_a0(one, two) == bytes.fromhex("13051000")  # li a0, 1
    assert li_a0(two, one) == bytes.fromhex("13052000")
    (tmp_path / "prog" / "defs.S").write_text(".equ N, 3\n")  # the file's own folder comes first
    assert li_a0(one, two) == bytes.fromhex("13053000")


def test_include_from_text_looks_in_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, {"defs.S": ".equ N, 5\n"})
    monkeypatch.chdir(tmp_path)
    assert words('.include "defs.S"\nli a0, N') == [0x00500513]


def test_errors_in_an_included_file_name_it_and_where_it_was_included(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.S": 'frob\n.include "sub/a.S"\nadd a0\n',
            "sub/a.S": 'nop\n.include "b.S"\n',
            "sub/b.S": "nop\n   beqz a0, nowhere\n",
        },
    )
    main, a, b = (str(tmp_path / n) for n in ("main.S", "sub/a.S", "sub/b.S"))
    diags = include_errors(tmp_path / "main.S")
    # in program order: main.S line 1, then b.S (pass 2, but it comes first), then main.S line 3
    assert [(d.file, d.line, d.col) for d in diags] == [(main, 1, 1), (b, 2, 13), (main, 3, 1)]
    assert diags[1].message == "undefined symbol 'nowhere'"
    assert diags[1].included_from == ((a, 2), (main, 2))
    assert str(diags[1]) == f"{b}:2:13: error: undefined symbol 'nowhere' (included from {a}:2, {main}:2)"
    assert str(diags[0]) == f"{main}:1:1: error: unknown instruction 'frob'"
    assert [d.main_line for d in diags] == [1, 2, 3]  # where an editor of main.S marks them


def test_a_label_clash_with_an_included_file_names_both_places(tmp_path: Path) -> None:
    write(
        tmp_path, {"main.S": '_start: call puts\n.include "lib.S"\nputs: ret\n', "lib.S": "nop\nputs: ret\n"}
    )
    (diag,) = include_errors(tmp_path / "main.S")
    assert (diag.file, diag.line) == (str(tmp_path / "main.S"), 3)
    assert diag.message == f"symbol 'puts' is already defined (in {tmp_path / 'lib.S'}:2)"


def test_a_missing_include_is_an_error_at_its_line(tmp_path: Path) -> None:
    write(tmp_path, {"main.S": 'nop\n  .include "lib/nothere.S"\nnop\n'})
    (diag,) = include_errors(tmp_path / "main.S", include_dirs=[tmp_path / "extra"])
    assert (diag.file, diag.line, diag.col) == (str(tmp_path / "main.S"), 2, 12)
    assert (
        diag.message == f"cannot find 'lib/nothere.S' to include (looked in {tmp_path}, {tmp_path / 'extra'})"
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (".include lib.S", '.include takes one file name in double quotes: .include "file.S"'),
        ('.include "a.S", "b.S"', '.include takes one file name in double quotes: .include "file.S"'),
        (".include", '.include takes one file name in double quotes: .include "file.S"'),
        ('.include ""', ".include needs a file name"),
    ],
)
def test_include_needs_one_quoted_name(line: str, message: str) -> None:
    assert only_error(line).message == message


def test_an_include_cycle_is_an_error_not_a_hang(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "a.S": '.word 1\n.include "b.S"\n',
            "b.S": '.include "a.S"\n.word 2\n',
            "self.S": '.include "self.S"\n',
        },
    )
    (diag,) = include_errors(tmp_path / "a.S")
    a, b = str(tmp_path / "a.S"), str(tmp_path / "b.S")
    assert (diag.file, diag.line, diag.included_from) == (b, 1, ((a, 2),))
    assert diag.message == f"include cycle: {a} -> {b} -> {(tmp_path / 'a.S').as_posix()}"
    (diag,) = include_errors(tmp_path / "self.S")
    assert diag.message.startswith("include cycle:") and diag.line == 1


def test_the_same_file_may_be_included_again_and_inside_rept(tmp_path: Path) -> None:
    # GNU as reads the file once per repetition: .rept repeats the .include line itself
    write(tmp_path, {"main.S": '.data\n.rept 2\n.include "w.S"\n.endr\n.include "w.S"\n', "w.S": ".byte 7\n"})
    image = assemble_file(tmp_path / "main.S")
    assert image.data == b"\x07\x07\x07"
    assert len(image.includes) == 1


def test_end_in_an_included_file_ends_the_program(tmp_path: Path) -> None:
    write(tmp_path, {"main.S": '.word 1\n.include "end.S"\n.word 3\n', "end.S": ".word 2\n.end\n.word 5\n"})
    assert assemble_file(tmp_path / "main.S").data == bytes([1, 0, 0, 0, 2, 0, 0, 0])


def test_lines_of_included_code_point_at_the_include(tmp_path: Path) -> None:
    write(tmp_path, {"main.S": '_start: nop\n\n.include "lib.S"\nnop\n', "lib.S": "nop\nnop\n"})
    image = assemble_file(tmp_path / "main.S")
    assert image.lines == {BASE: 1, BASE + 4: 3, BASE + 8: 3, BASE + 12: 4}


# ---------------------------------------------------------------- the tables


# Operands for each shape the tables name, and what a directive's sample needs around it.
_OPERAND: dict[str, str] = {
    "rd": "a0",
    "rs": "a1",
    "rt": "a2",
    "target": "end",
    "symbol": "end",
    "constant": "0x12345",
    "imm": "4",
    "imm(rs)": "4(a1)",
    "pred": "rw",
    "succ": "w",
    "csr": "sscratch",
    "uimm": "17",
}
_PROSE_EXPANSIONS = {"li", "la", "lla", "call", "tail", "fence.tso"}  # pairs and sequences, in words


def _substitute(form: str) -> str:
    return ", ".join(_OPERAND[token] for token in form.split(",")) if form else ""


@pytest.mark.parametrize(("name", "form"), [(p.name, form) for p in PSEUDOS.values() for form in p.forms])
def test_every_form_in_the_pseudo_table_assembles(name: str, form: str) -> None:
    assert len(words(f"{name} {_substitute(form)}\nend: nop")) >= 2


@pytest.mark.parametrize(
    "entry", [p for p in PSEUDOS.values() if p.name not in _PROSE_EXPANSIONS], ids=lambda p: p.name
)
def test_the_pseudo_table_says_what_each_expands_into(entry: Pseudo) -> None:
    """The docs show `expands`: it must be what the first form assembles to, word for word."""
    expansion = re.sub(r"\b(rd|rs|rt|target|csr|uimm)\b", lambda m: _OPERAND[m[1]], entry.expands)
    source = f"{entry.name} {_substitute(entry.forms[0])}"
    assert words(f"{source}\nend: nop") == words(f"{expansion}\nend: nop"), (source, expansion)


def test_csr_operands_are_this_machines_csrs_or_numbers() -> None:
    assert words("csrr a0, sstatus\ncsrr a0, 0x100\n.equ S, 0x100\ncsrr a0, S") == [0x10002573] * 3
    message = only_error("csrr a0, mstatus").message
    assert message == (
        "unknown CSR 'mstatus': this machine has sstatus, stvec, sscratch, sepc, scause, stval"
        " (or give a number)"
    )
    assert only_error("csrr a0, 0x1000").message == "CSR number 0x1000 out of range: must be in 0..0xfff"
    assert only_error("csrrwi a0, sstatus, 32").message == (
        "immediate 32 out of range for csrrwi: must be in 0..31"
    )
    assert only_error("csrw sstatus, 32").message == "immediate 32 out of range for csrrwi: must be in 0..31"
    assert only_error("csrrw a0, sstatus").message.startswith("'csrrw' takes 3 operands")


def test_a_wrong_operand_count_lists_every_form_of_a_pseudo() -> None:
    assert (
        only_error("jr a0, a1, a2").message == "'jr' takes 1 or 2 operands (rs or imm(rs) or rs,imm), got 3"
    )
    assert only_error("fence rw").message == "'fence' takes 0 or 2 operands (no operands or pred,succ), got 1"
    assert only_error("ret a0").message == "'ret' takes 0 operands (no operands), got 1"
    assert only_error("call").message == "'call' takes 1 or 2 operands (symbol or rd,symbol), got 0"


_DIRECTIVE_SAMPLE: dict[str, str] = {
    "": "",
    "name[, flags]": ".rodata.str",
    "expr[, expr...]": "1, end - .",
    '"string"[, ...]': '"ab\\n", "c"',
    "size": "3",
    "size[, fill]": "3, 0x55",
    "repeat[, size[, value]]": "2, 2, 7",
    "log2[, fill[, max]]": "3",
    "bytes[, fill[, max]]": "8",
    "symbol, expr": "N, 3",
    "count": "2\n nop\n.endr",
    '"file"': '"defs.S"',
    "...": "x",
}


@pytest.mark.parametrize("entry", DIRECTIVES.values(), ids=lambda d: d.name)
def test_every_directive_in_the_table_is_read(
    entry: Directive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "defs.S").write_text(".equ M, 1\n")
    monkeypatch.chdir(tmp_path)
    source = f".data\n{entry.name} {_DIRECTIVE_SAMPLE[entry.syntax]}\n.text\nend: nop\n"
    refused = {".insn": ".insn is not supported", ".endr": ".endr without .rept"}
    if entry.name in refused:
        assert only_error(source).message.startswith(refused[entry.name])
    else:
        assert isinstance(assemble(source), Image)


def test_an_unknown_directive_is_matched_against_the_table() -> None:
    assert only_error(".wrod 1").message == "unknown directive '.wrod' (did you mean .word, .zero?)"
    assert only_error('.asci "x"').message == (
        "unknown directive '.asci' (did you mean .asciz, .ascii, .section?)"
    )


def test_the_reference_page_lists_every_instruction_pseudo_and_directive() -> None:
    page = assembler_reference()
    for name in [*(spec.name for spec in SPECS), *PSEUDOS, *DIRECTIVES]:
        assert f"`{name}`" in page, name
