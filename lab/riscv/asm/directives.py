"""Assembler directives: the one table of every `.name` the assembler reads, registered by name.

    entry = DIRECTIVES[".word"]        # Directive(".word", syntax="expr[, expr...]", doc="...", ...)
    entry.handler(asm, ".word", ops, col)     # pass 1: places, defines, switches or splices

Each entry is registered with `@directive(*names, syntax=..., doc=...)`; the handler receives the
assembler in pass 1 (lab.riscv.asm.assembler), the name as written (lower-cased), its operands and the
directive's column, and raises `Fault` for a mistake. The unknown-directive hint, the docs'
directive reference and this table are the same list.

The directives are GNU as's (as manual, "Assembler Directives") as far as a flat RV32IM image
needs them. Those that only matter to a linker (`.globl`, `.type`, `.size`, `.option`, ...) are
accepted and ignored. Where GNU as would accept a mistake we report it: data that does not fit
its directive (`.byte 300`), anything but zeros in `.bss`, a section the reference link has no
place for; `.insn` is refused.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from lab.riscv.asm.diagnostics import Fault
from lab.riscv.asm.layout import MAX_IMAGE, output_of
from lab.riscv.asm.source import Operand, quoted, unescape

if TYPE_CHECKING:
    from lab.riscv.asm.assembler import Assembler

Handler = Callable[["Assembler", str, list[Operand], int], None]  # (asm, name, operands, column)


@dataclass(frozen=True, slots=True)
class Directive:
    """One registered directive."""

    name: str
    syntax: str  # its operands, as the docs show them
    doc: str
    handler: Handler


DIRECTIVES: Final[dict[str, Directive]] = {}


def directive(*names: str, syntax: str = "", doc: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of each of `names`."""

    def register(fn: Handler) -> Handler:
        for name in names:
            assert name not in DIRECTIVES, name
            DIRECTIVES[name] = Directive(name, syntax, doc, fn)
        return fn

    return register


def unknown_directive(name: str, col: int) -> Fault:
    hint = difflib.get_close_matches(name, list(DIRECTIVES), n=3, cutoff=0.6)
    return Fault(col, f"unknown directive '{name}'" + (f" (did you mean {', '.join(hint)}?)" if hint else ""))


# ---------------------------------------------------------------- sections


@directive(".text", ".data", ".bss", doc="Continue in that section.")
def _section_shorthand(asm: Assembler, name: str, ops: list[Operand], col: int) -> None:
    if ops:
        raise Fault(ops[0].col, f"{name} takes no operands here (subsections are not supported)")
    asm.layout.enter(name)


@directive(
    ".section",
    syntax="name[, flags]",
    doc="Continue in section `name`: `.text`, `.rodata`, `.data`, `.bss` or one below them "
    "(`.rodata.str`), which the link puts into that one.",
)
def _section(asm: Assembler, name: str, ops: list[Operand], col: int) -> None:
    if not ops:
        raise Fault(col, ".section needs a name")
    sec_name = ops[0].text.strip('"')
    if output_of(sec_name) is None:
        raise Fault(
            ops[0].col, f"unsupported section '{sec_name}': use .text, .rodata, .data or .bss (or .name.*)"
        )
    asm.layout.enter(sec_name)


# ---------------------------------------------------------------- data

_DATA_WIDTH: Final = {
    ".byte": 1,
    ".half": 2,
    ".short": 2,
    ".2byte": 2,
    ".word": 4,
    ".long": 4,
    ".4byte": 4,
    ".int": 4,
    ".dword": 8,
    ".quad": 8,
    ".8byte": 8,
}


def _data(asm: Assembler, name: str, ops: list[Operand], col: int) -> None:
    if ops:
        asm.place_data(_DATA_WIDTH[name], [(asm.symbols.parse(op), op.col) for op in ops], col)


for _width in (1, 2, 4, 8):
    directive(
        *(n for n, w in _DATA_WIDTH.items() if w == _width),
        syntax="expr[, expr...]",
        doc=f"{_width}-byte values{', little-endian' if _width > 1 else ''}: numbers, labels, expressions.",
    )(_data)


@directive(
    ".asciz", ".string", syntax='"string"[, ...]', doc="Like `.ascii`, each string followed by a zero byte."
)
@directive(".ascii", syntax='"string"[, ...]', doc="The bytes of each string (UTF-8, GNU as escapes).")
def _strings(asm: Assembler, name: str, ops: list[Operand], col: int) -> None:
    if not ops:
        raise Fault(col, f"{name} needs a string")
    blob = b""
    for op in ops:
        body = quoted(op)
        if body is None:
            raise Fault(op.col, f'{name} needs a "string", found {op.text or "nothing"}')
        blob += unescape(body, op.col) + (b"" if name == ".ascii" else b"\0")
    asm.place_bytes(blob, col)


@directive(".zero", syntax="size", doc="`size` zero bytes.")
@directive(".space", ".skip", syntax="size[, fill]", doc="`size` bytes of `fill` (default 0).")
def _space(asm: Assembler, name: str, ops: list[Operand], col: int) -> None:
    want = 1 if name == ".zero" else 2
    if not 1 <= len(ops) <= want:
        raise Fault(col, f"{name} takes a size{' and a fill byte' if want == 2 else ''}")
    size = asm.symbols.constant(ops[0], name)
    fill = asm.symbols.constant(ops[1], name) & 0xFF if len(ops) == 2 else 0
    if not 0 <= size <= MAX_IMAGE:
        raise Fault(ops[0].col, f"{name} size {size} is out of range 0..{MAX_IMAGE}")
    asm.place_bytes(bytes([fill]) * size, col)


@directive(
    ".fill",
    syntax="repeat[, size[, value]]",
    doc="`repeat` copies of `value` (0), each `size` (1) bytes; values wider than 4 bytes are zero-extended.",
)
def _fill(asm: Assembler, name: str, ops: list[Operand], col: int) -> None:
    if not 1 <= len(ops) <= 3:
        raise Fault(col, ".fill takes repeat[, size[, value]]")
    repeat = asm.symbols.constant(ops[0], ".fill")
    size = asm.symbols.constant(ops[1], ".fill") if len(ops) > 1 else 1
    value = asm.symbols.constant(ops[2], ".fill") if len(ops) > 2 else 0
    if not 0 <= size <= 8 or not 0 <= repeat * size <= MAX_IMAGE:
        raise Fault(col, ".fill repeat or size out of range (size 0..8)")
    # GNU as: the value is at most 4 bytes wide; larger sizes are zero-extended.
    unit = (value & 0xFFFFFFFF).to_bytes(8, "little")[: min(size, 4)].ljust(size, b"\0")
    asm.place_bytes(unit * repeat, col)


# ---------------------------------------------------------------- alignment


@directive(".balign", syntax="bytes[, fill[, max]]", doc="Like `.align`, the alignment given in bytes.")
@directive(
    ".align",
    ".p2align",
    syntax="log2[, fill[, max]]",
    doc="Pad to a multiple of 2**log2 with `fill` bytes (data: zeros, code: nops), unless more than "
    "`max` would be needed. In code, 4 bytes or less does nothing (no C extension, as GNU as).",
)
def _align(asm: Assembler, name: str, ops: list[Operand], col: int) -> None:
    if not 1 <= len(ops) <= 3:
        raise Fault(col, f"{name} takes an alignment[, fill[, max]]")
    n = asm.symbols.constant(ops[0], name)
    if name == ".balign":
        if n <= 0 or n & (n - 1):
            raise Fault(ops[0].col, f".balign {n}: alignment must be a power of 2")
        n = n.bit_length() - 1
    if not 0 <= n <= 16:
        raise Fault(ops[0].col, f"{name}: alignment out of range")
    fill = None
    if len(ops) > 1 and ops[1].text:
        fill = asm.symbols.constant(ops[1], name) & 0xFF
    limit = asm.symbols.constant(ops[2], name) if len(ops) > 2 else 0
    blob = asm.layout.padding(n, fill, limit)
    if blob is not None:
        asm.place_bytes(blob, col)


# ---------------------------------------------------------------- symbols

_SYMBOL: Final = re.compile(r"[A-Za-z_.$][A-Za-z0-9_.$]*")


@directive(".equiv", syntax="symbol, expr", doc="Like `.equ`, but `symbol` must not be defined yet.")
@directive(
    ".equ",
    ".set",
    syntax="symbol, expr",
    doc="Define `symbol` as the value of `expr` (redefining it is allowed). `symbol = expr` is the same.",
)
def _equ(asm: Assembler, name: str, ops: list[Operand], col: int) -> None:
    if len(ops) != 2 or not _SYMBOL.fullmatch(ops[0].text):
        raise Fault(col, f"{name} takes a symbol name and a value")
    asm.define_equ(ops[0].text, ops[1], ops[0].col, redefine=name != ".equiv")


@directive(
    ".globl",
    ".global",
    ".local",
    ".weak",
    ".type",
    ".size",
    ".option",
    ".file",
    ".ident",
    ".attribute",
    syntax="...",
    doc="Accepted and ignored: it matters to a linker, not to a flat image.",
)
def _ignored(asm: Assembler, name: str, ops: list[Operand], col: int) -> None:
    return


# ---------------------------------------------------------------- the statement stream


@directive(
    ".rept",
    syntax="count",
    doc="Assemble the statements up to the matching `.endr` `count` times (blocks nest).",
)
def _rept(asm: Assembler, name: str, ops: list[Operand], col: int) -> None:
    if len(ops) != 1:
        raise Fault(col, ".rept takes one count")
    count = asm.symbols.constant(ops[0], ".rept")
    end = asm.stream.block_end(".rept", ".endr")
    if end is None:
        raise Fault(col, ".rept without a matching .endr")
    if count < 0:
        raise Fault(ops[0].col, f".rept count {count} is negative")
    asm.stream.splice(end + 1, asm.stream.body(end), count, ".rept")


@directive(".endr", doc="Ends a `.rept` block.")
def _endr(asm: Assembler, name: str, ops: list[Operand], col: int) -> None:
    raise Fault(col, ".endr without .rept")  # a matched one is consumed by its .rept


@directive(
    ".include",
    syntax='"file"',
    doc="Assemble the file's statements here: looked for next to the including file, then in the "
    "include directories in order.",
)
def _include(asm: Assembler, name: str, ops: list[Operand], col: int) -> None:
    body = quoted(ops[0]) if len(ops) == 1 else None
    if body is None:
        raise Fault(col, '.include takes one file name in double quotes: .include "file.S"')
    file = unescape(body, ops[0].col).decode("utf-8", "replace")
    if not file:
        raise Fault(ops[0].col, ".include needs a file name")
    stmts = asm.reader.statements(file, ops[0].col, asm.statement)
    asm.stream.splice(asm.stream.pos + 1, stmts, 1, ".include")


@directive(".end", doc="The end of the program: nothing after it is read, even from an including file.")
def _end(asm: Assembler, name: str, ops: list[Operand], col: int) -> None:
    asm.ended = True


@directive(".insn", syntax="...", doc="Refused: write the instruction, or `.word` for raw bits.")
def _insn(asm: Assembler, name: str, ops: list[Operand], col: int) -> None:
    raise Fault(col, ".insn is not supported: write the instruction, or .word for raw bits")
