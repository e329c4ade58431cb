"""The two passes that turn a source into a linked flat image: the engine behind `assemble`.

    image = assemble(source, filename="prog.S", base=0x8000_0000, include_dirs=["lib"])
    image = assemble_file("lab/guests/bank.S", include_dirs=INCLUDE_DIRS)

Pass 1 reads the statement stream (lab.riscv.asm.source) once, in order. Each statement's labels go
into the symbol table (lab.riscv.asm.symbols) at the current section's size; then a directive runs its
entry of the directive table (lab.riscv.asm.directives), a pseudo-instruction expands by its entry of
the pseudo-instruction table (lab.riscv.asm.pseudo), any other name is a real instruction read from its
lab.riscv.isa operand shape (lab.riscv.asm.instructions). What they emit is placed in the current section
(lab.riscv.asm.layout): every size is known in pass 1 (`li` needs a constant, so its length is fixed).
Then the link gives each section its address, and pass 2 evaluates every operand with the final
addresses: data values, and instruction words encoded from lab.riscv.isa.

A mistake is a `Fault` from the statement that made it; it is collected with its file, line and
include chain, and assembling goes on, so one `AsmError` lists every error of the file in program
order. Anything else escaping (a bug here) is reported as an internal error, never a traceback:
a student's input must not crash the lab.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from lab.riscv.asm.diagnostics import AsmError, Diagnostic, Fault
from lab.riscv.asm.directives import DIRECTIVES, unknown_directive
from lab.riscv.asm.expr import Node
from lab.riscv.asm.instructions import Encoder, OperandParser, parse_real, unknown_instruction
from lab.riscv.asm.layout import Item, ItemKind, Layout, Out, Section
from lab.riscv.asm.pseudo import PSEUDOS
from lab.riscv.asm.source import (
    IncludeReader,
    Operand,
    Source,
    Statement,
    StatementStream,
    operands,
    resolved_file,
    statements,
)
from lab.riscv.asm.symbols import SymbolTable
from lab.riscv.board import RAM_BASE
from lab.riscv.isa import BY_NAME

DEFAULT_BASE: Final = RAM_BASE  # the guest's RAM, where a flat image is loaded and starts

_LABEL: Final = re.compile(r"\s*([A-Za-z_.$][A-Za-z0-9_.$]*|[0-9]+)\s*:(?!=)")
_ASSIGNMENT: Final = re.compile(r"([A-Za-z_.$][A-Za-z0-9_.$]*)\s*=(?!=)\s*")
_MNEMONIC: Final = re.compile(r"[A-Za-z_.][A-Za-z0-9_.]*")
# What "did you mean" picks from for an unknown instruction.
_MNEMONICS: Final = list(dict.fromkeys([*BY_NAME, *PSEUDOS]))


@dataclass(slots=True)
class Image:
    """A linked flat image: `data` is loaded at `base`, execution starts at `entry`.

    `symbols` maps label names to addresses; `lines` maps the address of every
    instruction and data statement to its line in the main source (for the UIs' pc
    marker): code from an included file maps to the line of the main source's `.include`
    that brought it in. `includes` holds every file `.include` read: its resolved path and
    the bytes read (what a cache of assembled programs must check, see lab.riscv.program).
    """

    base: int
    data: bytes
    symbols: dict[str, int]
    entry: int
    lines: dict[int, int]
    includes: dict[str, bytes] = field(default_factory=dict)


class Assembler:
    """One assembly: the state pass 1 builds and pass 2 reads (directive handlers use it)."""

    def __init__(self, filename: str, base: int, include_dirs: tuple[Path, ...] = ()) -> None:
        self.base = base
        self.main = Source(filename, Path(filename).parent, resolved_file(Path(filename)))
        self.reader = IncludeReader(include_dirs)
        self.layout = Layout()
        self.symbols = SymbolTable()
        self.operands = OperandParser(self.symbols)
        self.stream = StatementStream([])
        self.diags: list[tuple[int, int, Diagnostic]] = []  # (seq, col, diagnostic)
        # The statement being assembled, its file and line, and its place in the program.
        self.statement = Statement(0, 1, "", self.main)
        self.src = self.main
        self.line = 0
        self.seq = 0
        self.ended = False  # .end was read

    # -- diagnostics

    def report(self, src: Source, seq: int, line: int, col: int, message: str) -> None:
        col = max(col, 1)
        self.diags.append((seq, col, Diagnostic(src.name, line, col, message, src.chain())))

    # -- pass 1

    def pass1(self) -> None:
        for st in self.stream:
            if self.ended:
                break
            self.statement, self.src, self.line = st, st.src, st.line
            self.seq += 1
            try:
                self.assemble_statement(st)
            except Fault as f:
                self.report(st.src, self.seq, st.line, f.col or st.col, f.message)

    def assemble_statement(self, st: Statement) -> None:
        text = st.text
        pos = 0
        while m := _LABEL.match(text, pos):
            self.define_label(m.group(1), st.col + m.start(1))
            pos = m.end()
        rest = text[pos:]
        if not rest.strip():
            return
        col = st.col + pos + len(rest) - len(rest.lstrip())
        rest = rest.strip()
        if m := _ASSIGNMENT.match(rest):
            self.define_equ(m.group(1), Operand(rest[m.end() :], col + m.end()), col, redefine=True)
            return
        m = _MNEMONIC.match(rest)
        if not m:
            raise Fault(col, f"expected an instruction or directive, found '{rest.split()[0]}'")
        name = m.group(0).lower()
        ops_text = rest[m.end() :]
        if ops_text and not ops_text[0].isspace():
            raise Fault(col + m.end(), f"unexpected '{ops_text[0]}' after '{m.group(0)}'")
        ops = operands(ops_text, col + m.end())
        if name.startswith("."):
            entry = DIRECTIVES.get(name)
            if entry is None:
                raise unknown_directive(name, col)
            entry.handler(self, name, ops, col)
        else:
            self.instruction(name, ops, col)

    def define_label(self, name: str, col: int) -> None:
        sec = self.layout.current
        self.symbols.define_label(name, col, sec, sec.size, self.src.name, self.line)

    def define_equ(self, name: str, op: Operand, col: int, *, redefine: bool) -> None:
        sec = self.layout.current
        self.symbols.define_equ(name, op, col, redefine=redefine, section=sec, offset=sec.size)

    def instruction(self, name: str, ops: list[Operand], col: int) -> None:
        sec = self.layout.current
        if sec.out is Out.BSS:
            raise Fault(col, f"instruction '{name}' in {sec.name}, which holds no data")
        entry = PSEUDOS.get(name)
        if entry is not None:
            insns = entry.assemble(self.operands, ops, col)
        elif name in BY_NAME:
            insns = parse_real(self.operands, BY_NAME[name], name, ops, col)
        else:
            raise unknown_instruction(name, col, _MNEMONICS)
        start = sec.size
        for insn in insns:
            self.place(ItemKind.INSN, 4, col, dot=start, insn=insn)

    def place(self, kind: ItemKind, size: int, col: int, **fields) -> None:
        """Place an item of the current statement at the end of the current section."""
        sec = self.layout.current
        item = Item(kind, sec, sec.size, size, self.line, col, src=self.src, seq=self.seq, **fields)
        self.layout.place(item)

    def place_bytes(self, blob: bytes, col: int) -> None:
        self.place(ItemKind.BYTES, len(blob), col, payload=blob)

    def place_data(self, width: int, values: list[tuple[Node, int]], col: int) -> None:
        """`width`-byte values, evaluated in pass 2 ('.' is where each one goes)."""
        sec = self.layout.current
        self.place(ItemKind.DATA, width * len(values), col, dot=sec.size, width=width, values=values)

    # -- pass 2

    def pass2(self, ordered: list[Section]) -> tuple[bytes, dict[int, int]]:
        encoder = Encoder(self.symbols, self.layout.items)
        lines: dict[int, int] = {}
        for item in self.layout.items:
            sec = item.section
            addr = sec.base + item.offset
            if item.line and item.src is not None:
                lines.setdefault(addr, item.src.main_line(item.line))
            try:
                if item.kind is ItemKind.BYTES:
                    if sec.out is not Out.BSS:
                        sec.data[item.offset : item.offset + item.size] = item.payload
                elif item.kind is ItemKind.DATA:
                    self.fill_data(item, encoder)
                else:
                    assert item.insn is not None
                    word = encoder.encode(item.insn, addr, sec.base + item.dot, sec)
                    sec.data[item.offset : item.offset + 4] = word.to_bytes(4, "little")
            except Fault as f:
                self.report(item.src or self.main, item.seq, item.line, f.col or item.col, f.message)
        return Layout.image(ordered, self.base), lines

    def fill_data(self, item: Item, encoder: Encoder) -> None:
        width = item.width
        bits = 8 * width
        for k, (node, col) in enumerate(item.values):
            # '.' is where this value goes, as in GNU as (so `.word 0, . - x` counts the first).
            dot = item.section.base + item.dot + k * width
            v = encoder.value_at(node, col, dot).value
            if bits < 64 and not -(1 << (bits - 1)) <= v < (1 << bits):
                raise Fault(col, f"value {v} does not fit in {width} byte{'s' if width > 1 else ''}")
            off = item.offset + k * width
            item.section.data[off : off + width] = (v & ((1 << bits) - 1)).to_bytes(width, "little")

    def run(self, source: str) -> Image:
        self.stream = StatementStream(statements(source, self.main))
        self.pass1()
        ordered = self.layout.link(self.base)
        data, lines = self.pass2(ordered)  # even after errors: report every one in the file
        if self.diags:
            self.diags.sort(key=lambda d: (d[0], d[1]))
            raise AsmError([d for _, _, d in self.diags])
        symbols = self.symbols.exported()
        return Image(
            base=self.base,
            data=data,
            symbols=symbols,
            entry=symbols.get("_start", self.base),
            lines=lines,
            includes=dict(self.reader.read),
        )


def assemble(
    source: str,
    *,
    filename: str = "<input>",
    base: int = DEFAULT_BASE,
    include_dirs: Iterable[str | Path] = (),
) -> Image:
    """Assemble GNU as source into a flat image linked at `base`; raise AsmError on any error.

    `.include "file"` looks in the folder of `filename` (the current directory for text that
    is not from a file), then in `include_dirs` in order.
    """
    if base % 4 or not 0 <= base < 1 << 32:
        raise AsmError(
            [Diagnostic(filename, 1, 1, f"base {base:#x} must be a 4-byte aligned 32-bit address")]
        )
    asm = Assembler(filename, base, tuple(Path(d) for d in include_dirs))
    try:
        return asm.run(source)
    except AsmError:
        raise
    except RecursionError:
        where = asm.src
        raise AsmError(
            [Diagnostic(where.name, asm.line or 1, 1, "input nested too deeply", where.chain())]
        ) from None
    except Exception as exc:  # a student's input must never end in a traceback
        message = f"internal assembler error ({type(exc).__name__}: {exc}); please report this input"
        where = asm.src
        raise AsmError([Diagnostic(where.name, asm.line or 1, 1, message, where.chain())]) from exc


def assemble_file(
    path: str | Path, *, base: int = DEFAULT_BASE, include_dirs: Iterable[str | Path] = ()
) -> Image:
    """Assemble the file at `path` (errors name it; its `.include`s start from its folder)."""
    p = Path(path)
    try:
        source = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AsmError([Diagnostic(str(p), 1, 1, f"cannot read: {exc}")]) from None
    return assemble(source, filename=str(p), base=base, include_dirs=include_dirs)
