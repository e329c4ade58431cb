"""A small x86-64 assembler: just what the unicorn core's native hooks use.

    a = Asm()
    a.load(RAX, mem(RCX, 8))             # mov rax, [rcx + 8]
    a.alu_i("add", RAX, 1)               # add rax, 1
    a.alu("cmp", RAX, mem(RCX, 16))      # cmp rax, [rcx + 16]
    a.jcc("a", "over")                   # ja over
    a.ret()
    a.label("over")
    ...
    code = a.assemble()                  # bytes, position-independent

Operands: a register (`RAX`..`R15`, plain ints) or a `Mem`
(`mem(base, disp, index, scale)`); immediates go to the `_i` methods. `width` is the operand size in bytes (8,
4, 2 or 1; 4 zero-extends into the 64-bit register as the CPU does). Jumps
take label names and are always rel32, so the code needs no second pass
beyond patching them. Encodings follow the Intel SDM, volume 2; every form
here is checked against `objdump` in tests/cpu/test_uc_native.py.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Final

RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI = range(8)
R8, R9, R10, R11, R12, R13, R14, R15 = range(8, 16)

# Condition codes for jcc (the low nibble of 0F 8x).
CONDITIONS: Final = {
    "o": 0x0, "no": 0x1, "b": 0x2, "ae": 0x3, "e": 0x4, "z": 0x4, "ne": 0x5, "nz": 0x5,
    "be": 0x6, "a": 0x7, "s": 0x8, "ns": 0x9, "l": 0xC, "ge": 0xD, "le": 0xE, "g": 0xF,
}  # fmt: skip

# Arithmetic group: (opcode "r/m, r", opcode "r, r/m", /digit of 81 id).
_ALU: Final = {
    "add": (0x01, 0x03, 0),
    "or": (0x09, 0x0B, 1),
    "and": (0x21, 0x23, 4),
    "sub": (0x29, 0x2B, 5),
    "xor": (0x31, 0x33, 6),
    "cmp": (0x39, 0x3B, 7),
}


@dataclass(frozen=True, slots=True)
class Mem:
    """A memory operand: [base + index*scale + disp]."""

    base: int
    disp: int = 0
    index: int | None = None
    scale: int = 1


def mem(base: int, disp: int = 0, index: int | None = None, scale: int = 1) -> Mem:
    return Mem(base, disp, index, scale)


Operand = int | Mem


class Asm:
    """Collects instructions; `assemble()` resolves labels into rel32 offsets."""

    def __init__(self) -> None:
        self._code = bytearray()
        self._labels: dict[str, int] = {}
        self._fixups: list[tuple[int, str]] = []  # (offset of a rel32 field, label)

    # -- encoding helpers

    def _emit(self, *parts: bytes | int) -> None:
        for p in parts:
            self._code += bytes([p]) if isinstance(p, int) else p

    @staticmethod
    def _rex(w: bool, reg: int, index: int, base: int, force: bool = False) -> bytes:
        rex = 0x40 | (w << 3) | ((reg >> 3) << 2) | ((index >> 3) << 1) | (base >> 3)
        return bytes([rex]) if rex != 0x40 or force else b""

    def _modrm(self, opcode: bytes, reg: int, rm: Operand, *, width: int, prefix: bytes = b"") -> None:
        """opcode with a ModRM byte: `reg` in the reg field, `rm` a register or memory."""
        w = width == 8
        pre = b"\x66" if width == 2 else b""
        # A byte operand in spl/bpl/sil/dil needs a REX prefix to mean that and not ah..bh.
        force = width == 1 and (reg in (RSP, RBP, RSI, RDI) or (isinstance(rm, int) and 4 <= rm <= 7))
        if isinstance(rm, int):
            self._emit(pre, prefix, self._rex(w, reg, 0, rm, force), opcode, 0xC0 | (reg & 7) << 3 | (rm & 7))
            return
        base, index = rm.base, rm.index
        rex = self._rex(w, reg, index or 0, base, force)
        disp = rm.disp
        if disp == 0 and base & 7 != RBP:
            mod, tail = 0, b""
        elif -128 <= disp <= 127:
            mod, tail = 1, struct.pack("<b", disp)
        else:
            mod, tail = 2, struct.pack("<i", disp)
        if index is None and base & 7 != RSP:
            self._emit(pre, prefix, rex, opcode, mod << 6 | (reg & 7) << 3 | (base & 7), tail)
            return
        if index == RSP:
            raise ValueError("rsp cannot be an index register")
        ss = {1: 0, 2: 1, 4: 2, 8: 3}[rm.scale]
        sib = ss << 6 | ((index if index is not None else RSP) & 7) << 3 | (base & 7)
        self._emit(pre, prefix, rex, opcode, mod << 6 | (reg & 7) << 3 | 0b100, sib, tail)

    # -- instructions

    def mov_rr(self, dst: int, src: int, width: int = 8) -> None:
        self._modrm(b"\x89", src, dst, width=width)

    def mov_ri(self, dst: int, imm: int) -> None:
        """movabs dst, imm64 (or mov r32, imm32 when it fits, zero-extending)."""
        if 0 <= imm < 1 << 32:
            self._emit(self._rex(False, 0, 0, dst), 0xB8 + (dst & 7), struct.pack("<I", imm))
        else:
            self._emit(self._rex(True, 0, 0, dst), 0xB8 + (dst & 7), struct.pack("<Q", imm & (1 << 64) - 1))

    def load(self, dst: int, src: Mem, width: int = 8) -> None:
        """dst = [src]; widths 1 and 2 zero-extend into the full register."""
        if width == 1:
            self._modrm(b"\x0f\xb6", dst, src, width=4)
        elif width == 2:
            self._modrm(b"\x0f\xb7", dst, src, width=4)
        else:
            self._modrm(b"\x8b", dst, src, width=width)

    def store(self, dst: Mem, src: int, width: int = 8) -> None:
        """[dst] = the low `width` bytes of src."""
        self._modrm(b"\x88" if width == 1 else b"\x89", src, dst, width=width)

    def store_i(self, dst: Mem, imm: int, width: int = 4) -> None:
        """[dst] = imm (width 4 or 8: imm32, sign-extended for 8)."""
        self._modrm(b"\xc7", 0, dst, width=width)
        self._emit(struct.pack("<i", imm))

    def lea(self, dst: int, src: Mem) -> None:
        self._modrm(b"\x8d", dst, src, width=8)

    def alu(self, op: str, dst: Operand, src: Operand, width: int = 8) -> None:
        """add/or/and/sub/xor/cmp dst, src (register, memory or imm32)."""
        to_rm, from_rm, _digit = _ALU[op]
        if isinstance(src, Mem):
            if isinstance(dst, Mem):
                raise TypeError("x86 has no memory-to-memory arithmetic")
            self._modrm(bytes([from_rm]), dst, src, width=width)
        else:
            self._modrm(bytes([to_rm]), src, dst, width=width)

    def alu_i(self, op: str, dst: Operand, imm: int, width: int = 8) -> None:
        """op dst, imm (imm8 when it fits, else imm32; sign-extended)."""
        digit = _ALU[op][2]
        if -128 <= imm <= 127:
            self._modrm(b"\x83", digit, dst, width=width)
            self._emit(struct.pack("<b", imm))
        else:
            self._modrm(b"\x81", digit, dst, width=width)
            self._emit(struct.pack("<i", imm))

    def test(self, a: Operand, b: int, width: int = 8) -> None:
        """test a, b (register b)."""
        self._modrm(b"\x85", b, a, width=width)

    def test_i(self, a: Operand, imm: int, width: int = 4) -> None:
        """test a, imm32 (or imm8 for a byte operand)."""
        if width == 1:
            self._modrm(b"\xf6", 0, a, width=1)
            self._emit(struct.pack("<B", imm & 0xFF))
        else:
            self._modrm(b"\xf7", 0, a, width=width)
            self._emit(struct.pack("<i", imm))

    def shift_i(self, op: str, dst: int, count: int, width: int = 8) -> None:
        """shl/shr dst, imm8."""
        self._modrm(b"\xc1", {"shl": 4, "shr": 5}[op], dst, width=width)
        self._emit(count & 0x3F)

    def inc(self, dst: Operand, width: int = 8) -> None:
        self._modrm(b"\xff", 0, dst, width=width)

    def dec(self, dst: Operand, width: int = 8) -> None:
        self._modrm(b"\xff", 1, dst, width=width)

    def push(self, reg: int) -> None:
        self._emit(self._rex(False, 0, 0, reg), 0x50 + (reg & 7))

    def pop(self, reg: int) -> None:
        self._emit(self._rex(False, 0, 0, reg), 0x58 + (reg & 7))

    def call_r(self, reg: int) -> None:
        self._modrm(b"\xff", 2, reg, width=4)

    def jmp_r(self, reg: int) -> None:
        self._modrm(b"\xff", 4, reg, width=4)

    def ret(self) -> None:
        self._emit(0xC3)

    def jmp(self, label: str) -> None:
        self._emit(0xE9)
        self._rel32(label)

    def jcc(self, cond: str, label: str) -> None:
        self._emit(0x0F, 0x80 | CONDITIONS[cond])
        self._rel32(label)

    def _rel32(self, label: str) -> None:
        self._fixups.append((len(self._code), label))
        self._code += b"\0\0\0\0"

    def label(self, name: str) -> None:
        if name in self._labels:
            raise ValueError(f"label {name!r} defined twice")
        self._labels[name] = len(self._code)

    def offset(self, name: str) -> int:
        """Where label `name` is in the assembled code."""
        return self._labels[name]

    def assemble(self) -> bytes:
        code = bytearray(self._code)
        for at, name in self._fixups:
            if name not in self._labels:
                raise ValueError(f"undefined label {name!r}")
            struct.pack_into("<i", code, at, self._labels[name] - (at + 4))
        return bytes(code)
