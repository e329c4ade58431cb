"""The alignment proof behind the unicorn core's fast mode (lab/cpu/uc/blocks.py).

A wrong proof would let QEMU perform a misaligned access the reference
faults on; these pin down what is proven, what becomes an entry condition
and what is left to careful mode. Pure Python: no unicorn needed.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lab.cpu.uc import blocks
from lab.riscv.isa import BY_NAME, encode


def op(name: str, rd: int = 0, rs1: int = 0, rs2: int = 0, imm: int = 0) -> int:
    return encode(BY_NAME[name], rd, rs1, rs2, imm)


A0, A1, A2, A3, T0, T1 = 10, 11, 12, 13, 5, 6


def test_entry_register_base_gives_a_condition() -> None:
    b = blocks.analyze([op("lw", A1, A0, imm=8), op("sh", 0, A0, A1, imm=6), op("lb", A2, A0, imm=3)])
    assert not b.careful
    assert b.conditions == ((A0, 0, 3), (A0, 2, 1))  # lw 8(a0): a0 % 4 == 0; sh 6(a0): (a0 + 2) % 2 == 0
    assert b.checks == ((A0, 0, 3), (A0, 2, 1), None)  # bytes are never misaligned


def test_computed_bases_keep_their_low_bits() -> None:
    """The CRC's table lookup: an index shifted left by 2 plus a base held in a register."""
    b = blocks.analyze(
        [
            op("lbu", A2, A0),  # a loaded byte: unknown bits
            op("xor", A2, A2, A1),
            op("andi", A2, A2, imm=255),
            op("slli", A2, A2, imm=2),  # ... known to be 0 after this
            op("add", A2, A2, A3),  # + the table base: a3's bits
            op("lw", A2, A2),
            op("addi", A0, A0, imm=1),
            op("lw", T0, A0, imm=3),  # a0 + 1 + 3
        ]
    )
    assert not b.careful
    assert b.conditions == ((A3, 0, 3), (A0, 0, 3))


@pytest.mark.parametrize(
    "words",
    [
        [op("lw", A1, A0), op("lw", A2, A1)],  # a pointer loaded in the block
        [op("srli", A1, A0, imm=3), op("lh", A2, A1)],  # a right shift loses track
        [op("add", A1, A0, A2), op("sw", 0, A1, A3)],  # the sum of two registers from entry
        [op("lui", A1, imm=0x12345), op("lw", A2, A1, imm=2)],  # known, and misaligned: will fault
        [op("addi", A0, A0, imm=1), 0x0000100F],  # fence.i: QEMU runs it, the reference does not
        [0x001022F3],  # csrr t0, fflags: legal to QEMU whenever mstatus.FS is on
    ],
)
def test_what_cannot_be_proven_is_careful(words: list[int]) -> None:
    assert blocks.analyze(words).careful


def test_a_compressed_looking_word_after_the_block_is_part_of_it() -> None:
    """QEMU ends the block in front of it and raises its fault from there."""
    body = [op("addi", A0, A0, imm=1)]
    assert blocks.analyze(body, after=0).careful
    assert blocks.analyze([], after=0).careful
    assert not blocks.analyze(body, after=op("addi", A0, A0, imm=1)).careful
    assert not blocks.analyze([op("jal", 0, imm=8)], after=0).careful  # the block ended at the jump


def test_checks_mark_words_the_reference_rejects() -> None:
    b = blocks.analyze([op("addi", A0, A0, imm=1), 0xFFFF_FFFF])
    assert b.checks == (None, blocks.ILLEGAL)


# The proof must agree with brute force: for any straight-line block of ALU
# ops and accesses and any entry registers, an access the proof calls
# aligned (no condition, or its condition holding) is aligned when computed.

_ALU = [
    "addi",
    "andi",
    "ori",
    "xori",
    "slli",
    "srli",
    "add",
    "sub",
    "and",
    "or",
    "xor",
    "mul",
    "lui",
    "auipc",
]
_ACCESS = ["lw", "lh", "lhu", "sw", "sh", "lb"]


@st.composite
def block(draw):
    words = []
    for _ in range(draw(st.integers(1, 12))):
        name = draw(st.sampled_from(_ALU + _ACCESS))
        rd, rs1, rs2 = (draw(st.integers(0, 7)) for _ in range(3))
        spec = BY_NAME[name]
        if name in ("slli", "srli"):
            imm = draw(st.integers(0, 31))
        elif name in ("lui", "auipc"):
            imm = draw(st.integers(0, 0xFFFFF))
        else:
            imm = draw(st.integers(-2048, 2047))
        words.append(encode(spec, rd, rs1, rs2, imm))
    return words


def _run(words: list[int], regs: list[int]) -> list[tuple[int, int]]:
    """(address, size) of every 2- or 4-byte access, by straightforward execution."""
    from lab.riscv.isa import decode

    x = [0, *regs[1:8]] + [0] * 24
    out = []
    pc = 0x8000_0000
    for w in words:
        d = decode(w)
        assert d is not None
        a, b, imm = x[d.rs1], x[d.rs2], d.imm
        size = blocks.ACCESS_SIZE.get(d.name, 0)
        if size:
            if size > 1:
                out.append(((a + imm) & 0xFFFFFFFF, size))
            if d.name.startswith("l"):
                v = 0x1234_5673  # whatever was loaded
                x[d.rd] = v if d.rd else 0
            pc += 4
            continue
        r = {
            "addi": a + imm,
            "andi": a & imm,
            "ori": a | imm,
            "xori": a ^ imm,
            "slli": a << (imm & 31),
            "srli": a >> (imm & 31),
            "add": a + b,
            "sub": a - b,
            "and": a & b,
            "or": a | b,
            "xor": a ^ b,
            "mul": a * b,
            "lui": imm << 12,
            "auipc": pc + (imm << 12),
        }[d.name]
        if d.rd:
            x[d.rd] = r & 0xFFFFFFFF
        pc += 4
    return out


@settings(max_examples=300, deadline=None)
@given(words=block(), regs=st.lists(st.integers(0, 0xFFFFFFFF), min_size=8, max_size=8))
def test_the_proof_never_lets_a_misaligned_access_through(words: list[int], regs: list[int]) -> None:
    b = blocks.analyze(words)
    if b.careful:
        return  # watched instruction by instruction: nothing to trust
    conditions_hold = all((regs[r] + add) & mask == 0 for r, add, mask in b.conditions)
    if conditions_hold:
        assert all(addr % size == 0 for addr, size in _run(words, regs)), [hex(w) for w in words]
