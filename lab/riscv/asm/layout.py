"""Sections and the link: where pass 1 places each statement, and the address each section gets.

    layout = Layout()
    layout.enter(".data")                      # .data, .section .rodata.str, ...
    layout.place(Item(...))                    # at layout.current.size, which grows
    ordered = layout.link(base)                # every Section.base set; those with contents, in order
    data = layout.image(ordered, base)         # once pass 2 has filled each Section.data

The reference link (`tests/asm_corpus/link.ld`) puts `.text` at `base`, then `.rodata`, `.data`
and `.bss`; every input section goes into the output section its name starts with
(`.text.boot` into `.text`, `.srodata` into `.rodata`, ...), in GNU as order: `.text`, `.data`,
`.bss` first, then the others as they first appear. Each output section is aligned to the
largest alignment of its input sections, each input section to its own. The flat image runs from
`base` to the end of the last section with contents; `.bss` is not in it (RAM starts zeroed), so
it holds nothing but zeros.

GNU as quirks reproduced on purpose: without the C extension, `.align`/`.balign` to 4 bytes or
less in a code section does nothing; code alignment pads with a zero byte (to an even address),
one `c.nop` and then `nop`s; and a code section's end is padded to its alignment the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Final

from lab.riscv.asm.diagnostics import Fault
from lab.riscv.asm.expr import Node
from lab.riscv.asm.source import Source
from lab.riscv.isa import BY_NAME, encode

if TYPE_CHECKING:
    from lab.riscv.asm.instructions import Insn

MAX_IMAGE: Final = 64 << 20  # refuse absurd .space/.rept rather than eat the host's memory
NOP_WORD: Final = encode(BY_NAME["addi"])  # addi zero,zero,0
# The 2-byte pad GNU as puts in code alignment even without the C extension (it is `c.nop`).
C_NOP_HALF: Final = 0x0001


class Out(Enum):
    """Output sections of the reference link, in address order."""

    TEXT = ".text"
    RODATA = ".rodata"
    DATA = ".data"
    BSS = ".bss"


_INPUTS: Final = (
    (Out.TEXT, (".text",)),
    (Out.RODATA, (".rodata", ".srodata")),
    (Out.DATA, (".data", ".sdata")),
    (Out.BSS, (".bss", ".sbss")),
)


def output_of(name: str) -> Out | None:
    """The output section an input section of this name goes into; None: not one we link."""
    for out, prefixes in _INPUTS:
        for p in prefixes:
            if name == p or name.startswith(p + "."):
                return out
    return None


@dataclass(slots=True)
class Section:
    """An input section: its size grows in pass 1; the link sets `base`; pass 2 fills `data`."""

    name: str
    out: Out
    size: int = 0
    align: int = 0  # log2
    data: bytearray = field(default_factory=bytearray)
    base: int = 0

    @property
    def code(self) -> bool:
        return self.out is Out.TEXT


class ItemKind(Enum):
    INSN = "insn"  # one machine instruction, encoded in pass 2
    DATA = "data"  # .byte/.word/...: values evaluated in pass 2
    BYTES = "bytes"  # known in pass 1: strings, .space, padding


@dataclass(slots=True)
class Item:
    """Something pass 1 placed in a section, for pass 2 to fill in."""

    kind: ItemKind
    section: Section
    offset: int
    size: int
    line: int  # 0: not from a statement (the padding at a code section's end)
    col: int
    src: Source | None = None  # the file of `line`
    seq: int = 0  # the statement's place in the expanded program: diagnostics sort by it
    dot: int = 0  # section offset of the statement start, for '.'
    insn: Insn | None = None
    width: int = 0  # DATA: bytes per value
    values: list[tuple[Node, int]] = field(default_factory=list)  # DATA: (expression, column)
    payload: bytes = b""  # BYTES


class Layout:
    """The sections of one program, the current one, and everything placed in them."""

    def __init__(self) -> None:
        self.sections: dict[str, Section] = {
            name: Section(name, Out(name)) for name in (".text", ".data", ".bss")
        }
        self.sections[".text"].align = 2  # GNU as: .text starts 4-aligned without C
        self.current = self.sections[".text"]
        self.items: list[Item] = []

    def enter(self, name: str) -> None:
        """Make section `name` current (created on first use); the caller checks `output_of`."""
        out = output_of(name)
        assert out is not None, name
        if name not in self.sections:
            self.sections[name] = Section(name, out)
        self.current = self.sections[name]

    def place(self, item: Item) -> None:
        """Append `item` to its section (the current one), which grows by its size."""
        sec = item.section
        if sec.out is Out.BSS and item.kind is not ItemKind.BYTES:
            raise Fault(item.col, f"{sec.name} holds no data: only labels, .space, .zero and .align")
        if sec.out is Out.BSS and any(item.payload):
            raise Fault(item.col, f"{sec.name} holds zeros only")
        sec.size += item.size
        if sec.size > MAX_IMAGE:
            raise Fault(item.col, f"section {sec.name} grows past {MAX_IMAGE >> 20} MiB")
        self.items.append(item)

    def padding(self, log2: int, fill: int | None, limit: int) -> bytes | None:
        """The bytes that align the current section to 2**log2 (None: GNU as would not align).

        `fill` is the pad byte (None: zeros in data, nops in code); no padding when more than
        `limit` bytes would be needed (0: no limit). The section's alignment grows either way.
        """
        sec = self.current
        sec.align = max(sec.align, log2)
        # GNU as with rv32im: alignment no wider than an instruction is dropped in code sections.
        if fill is None and sec.code and (1 << log2) <= 4:
            return None
        pad = -sec.size % (1 << log2)
        if limit and pad > limit:
            return None
        if fill is not None:
            return bytes([fill]) * pad
        return code_padding(pad) if sec.code else bytes(pad)

    def link(self, base: int) -> list[Section]:
        """Pad code sections, place the sections like the reference link; those with contents, in
        address order (an empty section's base is where the next one would start)."""
        for sec in self.sections.values():
            pad = -sec.size % (1 << sec.align)
            if sec.code and pad:
                self.items.append(Item(ItemKind.BYTES, sec, sec.size, pad, 0, 0, payload=code_padding(pad)))
                sec.size += pad
        ordered: list[Section] = []
        addr = base
        for out in Out:
            members = [s for s in self.sections.values() if s.out is out]
            if not any(s.size for s in members):
                for s in members:
                    s.base = addr
                continue
            addr = align_up(addr, 1 << max(s.align for s in members))
            for s in members:
                addr = align_up(addr, 1 << s.align)
                s.base = addr
                addr += s.size
                ordered.append(s)
        for sec in ordered:
            sec.data = bytearray(sec.size)
        return ordered

    @staticmethod
    def image(ordered: list[Section], base: int) -> bytes:
        """The flat image: the sections' data at their addresses, gaps zeroed, `.bss` left out."""
        image = bytearray()
        for sec in ordered:
            if sec.out is Out.BSS:
                continue
            image += bytes(sec.base - base - len(image))
            image += sec.data
        return bytes(image)


def code_padding(size: int) -> bytes:
    """GNU as's code padding: a zero byte if odd, at most one c.nop, then 4-byte nops."""
    out = bytearray()
    if size % 2:
        out.append(0)
    if (size - len(out)) % 4 == 2:
        out += C_NOP_HALF.to_bytes(2, "little")
    while len(out) < size:
        out += NOP_WORD.to_bytes(4, "little")
    return bytes(out)


def align_up(addr: int, align: int) -> int:
    return (addr + align - 1) // align * align
