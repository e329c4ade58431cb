"""RV32IM assembler (GNU as syntax) producing a flat image; disassembler re-exported.

    image = assemble(source, filename="prog.S")        # -> Image(base, data, symbols, entry, lines)
    image = assemble_file("lab/guests/bank.S", include_dirs=["extra"])  # .include: its folder, then these
    text = disassemble_word(0x00150513)                   # 'add\ta0,a0,1', as objdump 2.40 spells addi

The output is byte-identical to GNU binutils for every input this module accepts:

    riscv64-unknown-elf-as -march=rv32im -mabi=ilp32 -mno-relax -o prog.o prog.S
    riscv64-unknown-elf-ld -m elf32lriscv --no-relax -T tests/asm_corpus/link.ld -o prog.elf prog.o
    riscv64-unknown-elf-objcopy -O binary prog.elf prog.bin

Layout (the reference linker script `tests/asm_corpus/link.ld`): `.text` at `base`, then `.rodata`,
`.data` and `.bss`, each output section aligned to the largest alignment of its input sections.
Input sections are taken in GNU as order: `.text`, `.data`, `.bss` first, then the others
(`.text.foo`, `.rodata`, ...) as they first appear. The flat image runs from `base` to the end of
the last section with contents; `.bss` is not in it (RAM starts zeroed). `entry` is `_start` when
it is defined, else `base`.

Two passes: pass 1 parses every statement, expands pseudo-instructions and lays out the sections
(every size is known then: `li` needs a constant, so its length is fixed); pass 2 evaluates the
operands with the final addresses and encodes from `lab.isa`. Every error of the file is
collected, with file, line and column, and raised as one `AsmError`.

`.include "file"` assembles the file's statements in place of the directive, as GNU as does
(so inside `.rept` it is read once per repetition, and `.end` in it ends the whole program).
The file is looked for in the including file's folder first, then in `include_dirs` in order.
GNU as looks in the current directory, then in its `-I` dirs, never next to the including file:
so a program assembles to the same bytes with `riscv64-unknown-elf-as -I DIR ...`, DIR being
the folder of each file that has an `.include`, as long as no name is found in two of those
folders or in the current directory (the guests: `-I lab/guests`, see lab/guests/lib/). Errors in an
included file name that file and line, and where it was included from; a missing file is an
error at the `.include`, and so is an include cycle (GNU as recurses until it runs out of files).

GNU as quirks reproduced on purpose: without the C extension, `.align`/`.balign` to 4 bytes or
less in a code section does nothing; code alignment pads with a zero byte, one `c.nop` and `nop`s;
a code section's end is padded to its alignment; expressions use GNU as operator precedence
(`a | b + c` is `(a | b) + c`) and 64-bit arithmetic; a leading `0` means octal; `li zero, big`
keeps its trailing `addi`; `la rd, CONSTANT` is `li`.

Where GNU as would accept a mistake, we report it instead (so these inputs are not "supported"):
a branch or jump to a constant address, a branch into another section (GNU as silently rewrites
it into an inverted branch over a `jal`), a target that is not 4-byte aligned, data that does not
fit its directive (`.byte 300`), anything but zeros in `.bss`, `li` beyond 32 bits. Accepted
beyond GNU as: `//` comments, and `_start` as the entry without `.globl`.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Final

from lab.disasm import Line, disassemble, disassemble_file, disassemble_word
from lab.isa import BY_NAME, IMM_RANGE, REGISTERS, Fmt, Kind, Spec, encode, sext

__all__ = [
    "AsmError",
    "Diagnostic",
    "Image",
    "Line",
    "assemble",
    "assemble_file",
    "disassemble",
    "disassemble_file",
    "disassemble_word",
    "main_asm",
    "main_disasm",
]

DEFAULT_BASE: Final = 0x8000_0000
MAX_IMAGE: Final = 64 << 20  # refuse absurd .space/.rept rather than eat the host's memory
MAX_STATEMENTS: Final = 65_536  # after .rept expansion; a teaching guest is a few hundred
MAX_EXPR_DEPTH: Final = 100

NOP_WORD: Final = encode(BY_NAME["addi"])  # addi zero,zero,0
# The 2-byte pad GNU as puts in code alignment even without the C extension (it is `c.nop`).
C_NOP_HALF: Final = 0x0001


# ---------------------------------------------------------------- public records


@dataclass(slots=True)
class Diagnostic:
    """One error, located in the source (line and column count from 1).

    `file` is the file the error is in; when that is an `.include`d file, `included_from`
    lists where it was included, innermost first, as (file, line) pairs.
    """

    file: str
    line: int
    col: int
    message: str
    included_from: tuple[tuple[str, int], ...] = ()

    @property
    def main_line(self) -> int:
        """The main source's line this error belongs to: its own, or that of the outermost
        `.include` when the error is in an included file (where an editor marks it)."""
        return self.included_from[-1][1] if self.included_from else self.line

    def __str__(self) -> str:
        text = f"{self.file}:{self.line}:{self.col}: error: {self.message}"
        if self.included_from:
            text += " (included from " + ", ".join(f"{f}:{n}" for f, n in self.included_from) + ")"
        return text


class AsmError(Exception):
    """Assembly failed; `diagnostics` lists every error found in the file."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        super().__init__("\n".join(str(d) for d in diagnostics))


@dataclass(slots=True)
class Image:
    """A linked flat image: `data` is loaded at `base`, execution starts at `entry`.

    `symbols` maps label names to addresses; `lines` maps the address of every
    instruction and data statement to its line in the main source (for the UIs' pc
    marker): code from an included file maps to the line of the main source's `.include`
    that brought it in. `includes` holds every file `.include` read: its resolved path and
    the bytes read (what a cache of assembled programs must check, see lab.program).
    """

    base: int
    data: bytes
    symbols: dict[str, int]
    entry: int
    lines: dict[int, int]
    includes: dict[str, bytes] = field(default_factory=dict)


# ---------------------------------------------------------------- source text


class _Fault(Exception):
    """An error at one place in the source; caught per statement and collected."""

    def __init__(self, col: int, message: str) -> None:
        super().__init__(message)
        self.col = col
        self.message = message


@dataclass(slots=True)
class _Source:
    """A file statements come from: the main source, or one that `.include` read."""

    name: str  # as diagnostics show it
    folder: Path  # where its own `.include`s are looked for first
    path: Path | None = None  # resolved, to detect include cycles (None: text not from a file)
    parent: _Source | None = None  # the file whose `.include` read this one...
    line: int = 0  # ...and the line of that `.include`

    def chain(self) -> tuple[tuple[str, int], ...]:
        """Where this file was included from, innermost first."""
        out = []
        src = self
        while src.parent is not None:
            out.append((src.parent.name, src.line))
            src = src.parent
        return tuple(out)

    def main_line(self, line: int) -> int:
        """The line in the main source that `line` of this file stands for."""
        src = self
        while src.parent is not None:
            line = src.line
            src = src.parent
        return line


@dataclass(slots=True)
class _Stmt:
    line: int
    col: int  # column of text[0]
    text: str
    src: _Source


@dataclass(slots=True)
class _Splice:
    """What a statement expands into (.rept, .include): `count` times `body` replaces stmts[index:end]."""

    end: int
    body: list[_Stmt]
    count: int
    what: str


def _statements(source: str, src: _Source) -> list[_Stmt]:
    """Split `source` into statements: comments blanked out (columns kept), `;` separates."""
    out: list[_Stmt] = []
    chars = list(source)
    n = len(chars)
    i = 0
    # Blank out comments in place so every remaining character keeps its line and column.
    while i < n:
        c = chars[i]
        if c == '"':
            i += 1
            while i < n and chars[i] not in '"\n':
                i += 2 if chars[i] == "\\" else 1
            i += 1
        elif c == "'":
            i += 3 if i + 1 < n and chars[i + 1] == "\\" else 2
            if i < n and chars[i] == "'":
                i += 1
        elif c == "#" or (c == "/" and i + 1 < n and chars[i + 1] == "/"):
            while i < n and chars[i] != "\n":
                chars[i] = " "
                i += 1
        elif c == "/" and i + 1 < n and chars[i + 1] == "*":
            end = source.find("*/", i + 2)
            end = n if end < 0 else end + 2
            for j in range(i, min(end, n)):
                if chars[j] != "\n":
                    chars[j] = " "
            i = end
        else:
            i += 1
    for lineno, text in enumerate("".join(chars).split("\n"), start=1):
        for start, part in _split_outside_quotes(text, ";"):
            if part.strip():
                out.append(_Stmt(lineno, start + 1, part, src))
    return out


def _split_outside_quotes(text: str, sep: str) -> list[tuple[int, str]]:
    """Split at `sep` outside string and character literals (and, for ',', parentheses)."""
    parts: list[tuple[int, str]] = []
    depth = 0
    start = 0
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif c == "'":
            i += 2 if i + 1 < n and text[i + 1] == "\\" else 1
            if i + 1 < n and text[i + 1] == "'":
                i += 1
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == sep and (sep == ";" or depth <= 0):
            parts.append((start, text[start:i]))
            start = i + 1
        i += 1
    parts.append((start, text[start:]))
    return parts


@dataclass(slots=True)
class _Operand:
    text: str
    col: int


def _operands(text: str, col: int) -> list[_Operand]:
    if not text.strip():
        return []
    ops = []
    for start, part in _split_outside_quotes(text, ","):
        lead = len(part) - len(part.lstrip())
        ops.append(_Operand(part.strip(), col + start + lead))
    return ops


# ---------------------------------------------------------------- expressions

# GNU as precedence (as manual, "Infix Operators"), loosest first; comparisons give -1 for true.
_BINARY_LEVELS: Final = (
    ("&&", "||"),
    ("+", "-", "==", "!=", "<>", "<", ">", "<=", ">="),
    ("|", "&", "^", "!"),
    ("*", "/", "%", "<<", ">>"),
)
_TOKEN = re.compile(
    r"\s*(?:(?P<num>[0-9][0-9A-Za-z_]*)|(?P<sym>[A-Za-z_.$][A-Za-z0-9_.$]*)"
    r"|(?P<chr>'(?:\\(?:x[0-9A-Fa-f]+|[0-7]{1,3}|.)|[^\\])'?)"
    r"|(?P<op><<|>>|<=|>=|==|!=|<>|&&|\|\||[-+*/%|&^!~<>()]))"
)
_MASK64: Final = (1 << 64) - 1

Node = tuple  # ("num", v) | ("sym", name, col) | ("dot",) | ("un", op, a) | ("bin", op, a, b, col)


def _wrap(v: int) -> int:
    return sext(v & _MASK64, 64)


_ESCAPES: Final = {"n": 10, "t": 9, "r": 13, "b": 8, "f": 12, "v": 11, "\\": 92, '"': 34}
_ESCAPES_ALL: Final = {**_ESCAPES, "'": 39}


def _unescape(body: str, col: int) -> bytes:
    """The bytes of a string literal's body (between the quotes), GNU as escapes."""
    out = bytearray()
    i = 0
    n = len(body)
    while i < n:
        c = body[i]
        if c != "\\":
            out += c.encode("utf-8")
            i += 1
            continue
        i += 1
        if i >= n:
            raise _Fault(col, "string ends with a lone backslash")
        c = body[i]
        if c in "01234567":
            j = i
            while j < n and j < i + 3 and body[j] in "01234567":
                j += 1
            out.append(int(body[i:j], 8) & 0xFF)
            i = j
        elif c in "xX":
            j = i + 1
            while j < n and body[j] in "0123456789abcdefABCDEF":
                j += 1
            if j == i + 1:
                raise _Fault(col, "\\x used with no following hex digits")
            out.append(int(body[i + 1 : j], 16) & 0xFF)
            i = j
        else:
            out.append(_ESCAPES_ALL.get(c, ord(c) & 0xFF))
            i += 1
    return bytes(out)


class _Parser:
    """Recursive descent over one operand's expression; local label refs are resolved here."""

    def __init__(self, text: str, col: int, local: Callable[[int, str, int], str]) -> None:
        self.text = text
        self.col = col
        self.local = local
        self.pos = 0
        self.depth = 0

    def parse(self) -> Node:
        if not self.text.strip():
            raise _Fault(self.col, "expected an expression")
        node = self.binary(0)
        kind, tok, at = self.peek()
        if kind is not None:
            raise _Fault(self.col + at, f"unexpected '{tok}' in expression")
        return node

    def peek(self) -> tuple[str | None, str, int]:
        if self.pos >= len(self.text) or not self.text[self.pos :].strip():
            return None, "", len(self.text)
        m = _TOKEN.match(self.text, self.pos)
        if m is None or m.lastgroup is None:
            at = self.pos + len(self.text[self.pos :]) - len(self.text[self.pos :].lstrip())
            raise _Fault(self.col + at, f"unexpected character '{self.text[at]}' in expression")
        return m.lastgroup, m.group(m.lastgroup), m.start(m.lastgroup)

    def take(self) -> tuple[str | None, str, int]:
        kind, tok, at = self.peek()
        if kind is not None:
            m = _TOKEN.match(self.text, self.pos)
            assert m is not None
            self.pos = m.end()
        return kind, tok, at

    def binary(self, level: int) -> Node:
        if level == len(_BINARY_LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while True:
            kind, tok, at = self.peek()
            if kind != "op" or tok not in _BINARY_LEVELS[level]:
                return left
            self.take()
            right = self.binary(level + 1)
            left = ("bin", tok, left, right, self.col + at)

    def unary(self) -> Node:
        self.depth += 1
        if self.depth > MAX_EXPR_DEPTH:
            raise _Fault(self.col, "expression nested too deeply")
        try:
            kind, tok, at = self.take()
            col = self.col + at
            if kind is None:
                raise _Fault(self.col + len(self.text), "expression ends early")
            if kind == "op" and tok in "-~!+":
                return ("un", tok, self.unary())
            if kind == "op" and tok == "(":
                inner = self.binary(0)
                k2, t2, at2 = self.take()
                if t2 != ")" or k2 != "op":
                    raise _Fault(self.col + at2, "missing ')'")
                return inner
            if kind == "num":
                return self.number(tok, col)
            if kind == "sym":
                return ("dot",) if tok == "." else ("sym", tok, col)
            if kind == "chr":
                body = tok[1:-1] if tok.endswith("'") and len(tok) > 2 else tok[1:]
                value = _unescape(body, col)
                return ("num", value[0] if value else 0)
            raise _Fault(col, f"unexpected '{tok}' in expression")
        finally:
            self.depth -= 1

    def number(self, tok: str, col: int) -> Node:
        low = tok.lower()
        m = re.fullmatch(r"([0-9]+)([bf])", low)
        if m and not re.fullmatch(r"0b[01]+", low):
            return ("sym", self.local(int(m.group(1)), m.group(2), col), col)
        try:
            if low.startswith("0x"):
                return ("num", _wrap(int(low[2:], 16)))
            if low.startswith("0b"):
                return ("num", _wrap(int(low[2:], 2)))
            if low.startswith("0") and len(low) > 1:
                return ("num", _wrap(int(low[1:], 8)))
            return ("num", _wrap(int(low, 10)))
        except ValueError:
            raise _Fault(col, f"bad number '{tok}'") from None


@dataclass(slots=True)
class _Value:
    """An evaluated expression: `reloc` counts label (or `.`) terms, 0 means a pure constant."""

    value: int
    reloc: int


def _evaluate(node: Node, lookup: Callable[[str, int], _Value], dot: int | None) -> _Value:
    kind = node[0]
    if kind == "num":
        return _Value(node[1], 0)
    if kind == "sym":
        return lookup(node[1], node[2])
    if kind == "dot":
        if dot is None:
            raise _Fault(0, "'.' is not known here")
        return _Value(dot, 1)
    if kind == "un":
        a = _evaluate(node[2], lookup, dot)
        op = node[1]
        if op == "+":
            return a
        if op == "-":
            return _Value(_wrap(-a.value), a.reloc and 1)
        if op == "~":
            return _Value(_wrap(~a.value), a.reloc and 1)
        return _Value(0 if a.value else 1, a.reloc and 1)
    _, op, ln, rn, col = node
    a = _evaluate(ln, lookup, dot)
    b = _evaluate(rn, lookup, dot)
    x, y = a.value, b.value
    reloc = 1 if a.reloc or b.reloc else 0
    if op == "+":
        return _Value(_wrap(x + y), a.reloc + b.reloc)
    if op == "-":
        return _Value(_wrap(x - y), a.reloc - b.reloc)
    if op in ("/", "%"):
        if y == 0:
            raise _Fault(col, "division by zero")
        q = abs(x) // abs(y) * (1 if (x < 0) == (y < 0) else -1)  # C truncates toward zero
        return _Value(_wrap(q if op == "/" else x - q * y), reloc)
    if op in ("<<", ">>"):
        if not 0 <= y < 64:
            return _Value(0, reloc)
        u = x & _MASK64
        return _Value(_wrap(u << y if op == "<<" else u >> y), reloc)
    simple: dict[str, Callable[[int, int], int]] = {
        "*": lambda p, q: p * q,
        "|": lambda p, q: p | q,
        "&": lambda p, q: p & q,
        "^": lambda p, q: p ^ q,
        "!": lambda p, q: p | ~q,
        "==": lambda p, q: -int(p == q),
        "!=": lambda p, q: -int(p != q),
        "<>": lambda p, q: -int(p != q),
        "<": lambda p, q: -int(p < q),
        ">": lambda p, q: -int(p > q),
        "<=": lambda p, q: -int(p <= q),
        ">=": lambda p, q: -int(p >= q),
        "&&": lambda p, q: int(bool(p) and bool(q)),
        "||": lambda p, q: int(bool(p) or bool(q)),
    }
    return _Value(_wrap(simple[op](x, y)), reloc)


# ---------------------------------------------------------------- sections


class _Out(Enum):
    """Output sections of the reference link, in address order."""

    TEXT = ".text"
    RODATA = ".rodata"
    DATA = ".data"
    BSS = ".bss"


def _output_of(name: str) -> _Out | None:
    for out, prefixes in (
        (_Out.TEXT, (".text",)),
        (_Out.RODATA, (".rodata", ".srodata")),
        (_Out.DATA, (".data", ".sdata")),
        (_Out.BSS, (".bss", ".sbss")),
    ):
        for p in prefixes:
            if name == p or name.startswith(p + "."):
                return out
    return None


@dataclass(slots=True)
class _Section:
    name: str
    out: _Out
    size: int = 0
    align: int = 0  # log2
    data: bytearray = field(default_factory=bytearray)
    base: int = 0

    @property
    def code(self) -> bool:
        return self.out is _Out.TEXT


# ---------------------------------------------------------------- instructions


class _Mod(Enum):
    """How an instruction's immediate is derived from its expression."""

    PLAIN = "plain"
    HI = "hi"  # %hi(x): (x + 0x800) >> 12
    LO = "lo"  # %lo(x)
    PCREL_HI = "pcrel_hi"  # %pcrel_hi(x): relative to this instruction
    PCREL_LO = "pcrel_lo"  # %pcrel_lo(L): L labels the auipc whose %pcrel_hi it completes
    PCREL_LO_PREV = "pcrel_lo_prev"  # la/call/tail: completes the auipc just before
    BRANCH = "branch"
    JUMP = "jump"


@dataclass(slots=True)
class _Imm:
    node: Node
    mod: _Mod
    col: int


@dataclass(slots=True)
class _Insn:
    spec: Spec
    rd: int = 0
    rs1: int = 0
    rs2: int = 0
    imm: _Imm | None = None
    fixed_imm: int = 0


class _Kind(Enum):
    INSN = "insn"
    DATA = "data"
    BYTES = "bytes"


@dataclass(slots=True)
class _Item:
    """Something pass 1 placed in a section, for pass 2 to fill in."""

    kind: _Kind
    section: _Section
    offset: int
    size: int
    line: int
    col: int
    insn: _Insn | None = None
    width: int = 0
    values: list[_Operand] | None = None
    nodes: list[Node] | None = None
    payload: bytes = b""
    dot: int = 0  # section offset of the statement start, for '.'
    src: _Source | None = None  # the file of `line` (set by _Assembler.place)
    seq: int = 0  # the statement's place in the expanded program: diagnostics sort by it


_ALU_IMM_ALIAS: Final = {
    "add": "addi",
    "and": "andi",
    "or": "ori",
    "xor": "xori",
    "sll": "slli",
    "srl": "srli",
    "sra": "srai",
    "slt": "slti",
    "sltu": "sltiu",
}
_BRANCH_ZERO: Final = {  # name -> (real, zero operand goes first?)
    "beqz": ("beq", False),
    "bnez": ("bne", False),
    "blez": ("bge", True),
    "bgez": ("bge", False),
    "bltz": ("blt", False),
    "bgtz": ("blt", True),
}
_BRANCH_SWAP: Final = {"bgt": "blt", "ble": "bge", "bgtu": "bltu", "bleu": "bgeu"}
_PSEUDOS: Final = (
    "li", "la", "lla", "mv", "not", "neg", "seqz", "snez", "sltz", "sgtz", "j", "jr", "ret", "call",
    "tail", "nop", "fence.tso", "zext.b", *_BRANCH_ZERO, *_BRANCH_SWAP,
)  # fmt: skip
_DIRECTIVES: Final = (
    ".text", ".data", ".bss", ".section", ".globl", ".global", ".local", ".weak", ".equ", ".set",
    ".equiv", ".byte", ".half", ".short", ".2byte", ".word", ".long", ".4byte", ".int", ".dword",
    ".quad", ".8byte", ".ascii", ".asciz", ".string", ".space", ".skip", ".zero", ".fill", ".align",
    ".balign", ".p2align", ".option", ".type", ".size", ".file", ".ident", ".attribute", ".rept",
    ".endr", ".end", ".insn", ".include",
)  # fmt: skip
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
_FENCE_BITS: Final = "iorw"
_FENCE_TSO: Final = 0b1000_0011_0011  # fm=TSO, pred=rw, succ=rw (unprivileged spec, 2.7)


def _fence_set(op: _Operand) -> int:
    text = op.text.lower()
    if text == "0":
        return 0
    bits = 0
    last = -1
    for ch in text:
        idx = _FENCE_BITS.find(ch)
        if idx < 0 or idx <= last:
            raise _Fault(op.col, f"bad fence set '{op.text}': letters from 'iorw', in that order")
        last = idx
        bits |= 8 >> idx
    if not bits:
        raise _Fault(op.col, f"bad fence set '{op.text}'")
    return bits


# ---------------------------------------------------------------- the assembler


class _Assembler:
    def __init__(self, filename: str, base: int, include_dirs: tuple[Path, ...] = ()) -> None:
        self.filename = filename
        self.base = base
        self.include_dirs = include_dirs
        self.main = _Source(filename, Path(filename).parent, _resolved_file(Path(filename)))
        self.src = self.main  # the file of the statement being assembled
        self.seq = 0  # statements assembled so far (diagnostics sort by it)
        self.texts: dict[Path, str] = {}  # included files read, by resolved path
        self.includes: dict[str, bytes] = {}
        self.diags: list[tuple[int, int, Diagnostic]] = []  # (seq, col, diagnostic)
        self.sections: dict[str, _Section] = {}
        for name in (".text", ".data", ".bss"):
            self.sections[name] = _Section(name, _output_of(name) or _Out.TEXT)
        self.sections[".text"].align = 2  # GNU as: .text starts 4-aligned without C
        self.current = self.sections[".text"]
        self.labels: dict[str, tuple[_Section, int, int]] = {}  # name -> section, offset, line
        self.label_files: dict[str, tuple[str, int]] = {}  # name -> file and line of its definition
        self.consts: dict[str, int] = {}  # .equ symbols known in pass 1
        self.lazy: dict[str, tuple[Node, _Section, int]] = {}  # .equ needing label addresses
        self.local_count: dict[int, int] = {}
        self.items: list[_Item] = []
        self.line = 0
        self.ended = False

    # -- diagnostics

    def error(self, line: int, col: int, message: str) -> None:
        self.report(self.src, self.seq, line, col, message)

    def report(self, src: _Source, seq: int, line: int, col: int, message: str) -> None:
        col = max(col, 1)
        self.diags.append((seq, col, Diagnostic(src.name, line, col, message, src.chain())))

    # -- pass 1

    def local_ref(self, number: int, direction: str, col: int) -> str:
        count = self.local_count.get(number, 0)
        if direction == "b":
            if count == 0:
                raise _Fault(col, f"no earlier local label '{number}:' for '{number}b'")
            return f".L{number}\x02{count}"
        return f".L{number}\x02{count + 1}"

    def expr(self, op: _Operand) -> Node:
        return _Parser(op.text, op.col, self.local_ref).parse()

    def const_lookup(self, name: str, col: int) -> _Value:
        if name in self.consts:
            return _Value(self.consts[name], 0)
        raise _Fault(col, f"'{name}' is not a constant known at this point")

    def constant(self, op: _Operand, what: str) -> int:
        node = self.expr(op)
        try:
            v = _evaluate(node, self.const_lookup, None)
        except _Fault as f:
            raise _Fault(f.col or op.col, f"{what} needs a constant expression: {f.message}") from None
        return v.value

    def place(self, item: _Item) -> None:
        sec = self.current
        if sec.out is _Out.BSS and item.kind is not _Kind.BYTES:
            raise _Fault(item.col, f"{sec.name} holds no data: only labels, .space, .zero and .align")
        if sec.out is _Out.BSS and any(item.payload):
            raise _Fault(item.col, f"{sec.name} holds zeros only")
        sec.size += item.size
        if sec.size > MAX_IMAGE:
            raise _Fault(item.col, f"section {sec.name} grows past {MAX_IMAGE >> 20} MiB")
        item.src = self.src
        item.seq = self.seq
        self.items.append(item)

    def pass1(self, stmts: list[_Stmt]) -> None:
        i = 0
        while i < len(stmts) and not self.ended:
            st = stmts[i]
            self.line = st.line
            self.src = st.src
            self.seq += 1
            try:
                splice = self.statement(st, stmts, i)
            except _Fault as f:
                self.error(st.line, f.col or st.col, f.message)
                splice = None
            if splice is None:
                i += 1
            elif len(stmts) + len(splice.body) * splice.count > MAX_STATEMENTS:
                self.error(st.line, st.col, f"{splice.what} expands past {MAX_STATEMENTS} statements")
                stmts = stmts[: i + 1] + stmts[splice.end :]  # drop a .rept's body, include nothing
                i += 1
            else:
                stmts = stmts[:i] + splice.body * splice.count + stmts[splice.end :]

    def statement(self, st: _Stmt, stmts: list[_Stmt], index: int) -> _Splice | None:
        text = st.text
        pos = 0
        while True:
            m = re.match(r"\s*([A-Za-z_.$][A-Za-z0-9_.$]*|[0-9]+)\s*:(?!=)", text[pos:])
            if not m:
                break
            self.define_label(m.group(1), st.col + pos + m.start(1))
            pos += m.end()
        rest = text[pos:]
        if not rest.strip():
            return None
        lead = len(rest) - len(rest.lstrip())
        col = st.col + pos + lead
        rest = rest.strip()
        m = re.match(r"([A-Za-z_.$][A-Za-z0-9_.$]*)\s*=(?!=)\s*", rest)
        if m:
            self.define_equ(m.group(1), _Operand(rest[m.end() :], col + m.end()), col, redefine=True)
            return None
        m = re.match(r"[A-Za-z_.][A-Za-z0-9_.]*", rest)
        if not m:
            raise _Fault(col, f"expected an instruction or directive, found '{rest.split()[0]}'")
        name = m.group(0).lower()
        ops_text = rest[m.end() :]
        if ops_text and not ops_text[0].isspace():
            raise _Fault(col + m.end(), f"unexpected '{ops_text[0]}' after '{m.group(0)}'")
        ops = _operands(ops_text, col + m.end())
        if name.startswith("."):
            if name == ".rept":
                return self.rept(ops, col, stmts, index)
            if name == ".include":
                return self.include(ops, col, st, index)
            self.directive(name, ops, col)
            return None
        self.instruction(name, ops, col)
        return None

    def define_label(self, name: str, col: int) -> None:
        if name.isdigit():
            number = int(name)
            self.local_count[number] = self.local_count.get(number, 0) + 1
            name = f".L{number}\x02{self.local_count[number]}"
        elif name in self.labels and self.labels[name][:2] == (self.current, self.current.size):
            return  # GNU as lets a label be repeated where it already points
        elif name in self.labels or name in self.consts or name in self.lazy:
            where = self.label_files.get(name)
            # Two files defining one name is the usual clash with a library: say which file.
            other = f" (in {where[0]}:{where[1]})" if where and where[0] != self.src.name else ""
            raise _Fault(col, f"symbol '{name}' is already defined{other}")
        self.labels[name] = (self.current, self.current.size, self.line)
        self.label_files[name] = (self.src.name, self.line)

    def define_equ(self, name: str, op: _Operand, col: int, *, redefine: bool) -> None:
        if name in self.labels or (not redefine and (name in self.consts or name in self.lazy)):
            raise _Fault(col, f"symbol '{name}' is already defined")
        node = self.expr(op)
        try:
            v = _evaluate(node, self.const_lookup, None)
        except _Fault:
            self.consts.pop(name, None)
            self.lazy[name] = (node, self.current, self.current.size)
            return
        self.lazy.pop(name, None)
        self.consts[name] = v.value

    def rept(self, ops: list[_Operand], col: int, stmts: list[_Stmt], index: int) -> _Splice:
        if len(ops) != 1:
            raise _Fault(col, ".rept takes one count")
        count = self.constant(ops[0], ".rept")
        depth = 0
        for j in range(index + 1, len(stmts)):
            word = stmts[j].text.split(None, 1)[0].lower() if stmts[j].text.split() else ""
            if word == ".rept":
                depth += 1
            elif word == ".endr":
                if depth == 0:
                    if count < 0:
                        raise _Fault(ops[0].col, f".rept count {count} is negative")
                    return _Splice(j + 1, stmts[index + 1 : j], count, ".rept")
                depth -= 1
        raise _Fault(col, ".rept without a matching .endr")

    def include(self, ops: list[_Operand], col: int, st: _Stmt, index: int) -> _Splice:
        """`.include "file"`: the file's statements, to be assembled in place of this one.

        The file is looked for in the including file's folder, then in the include dirs in
        order (GNU as looks in the current directory, then its -I dirs: see the module doc).
        """
        if len(ops) != 1 or len(ops[0].text) < 2 or ops[0].text[0] != '"' or ops[0].text[-1] != '"':
            raise _Fault(col, '.include takes one file name in double quotes: .include "file.S"')
        op = ops[0]
        name = _unescape(op.text[1:-1], op.col).decode("utf-8", "replace")
        if not name:
            raise _Fault(op.col, ".include needs a file name")
        folders = list(dict.fromkeys([st.src.folder, *self.include_dirs]))
        found = next((f / name for f in folders if _resolved_file(f / name) is not None), None)
        if found is None:
            where = ", ".join(str(f) for f in folders)
            raise _Fault(op.col, f"cannot find '{name}' to include (looked in {where})")
        real = _resolved_file(found)
        assert real is not None
        cycle = [found.as_posix()]
        src: _Source | None = st.src
        while src is not None:
            cycle.append(src.name)
            if src.path == real:
                raise _Fault(op.col, "include cycle: " + " -> ".join(reversed(cycle)))
            src = src.parent
        text = self.texts.get(real)
        if text is None:
            try:
                data = real.read_bytes()
                text = data.decode("utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise _Fault(op.col, f"cannot read '{found}': {exc}") from None
            self.texts[real] = text
            self.includes[str(real)] = data
        child = _Source(found.as_posix(), found.parent, real, st.src, st.line)
        return _Splice(index + 1, _statements(text, child), 1, ".include")

    # -- directives

    def directive(self, name: str, ops: list[_Operand], col: int) -> None:
        if name in _DATA_WIDTH:
            if not ops:
                return
            width = _DATA_WIDTH[name]
            nodes = [self.expr(op) for op in ops]
            self.place(
                _Item(
                    _Kind.DATA,
                    self.current,
                    self.current.size,
                    width * len(ops),
                    self.line,
                    col,
                    width=width,
                    values=ops,
                    nodes=nodes,
                    dot=self.current.size,
                )
            )
        elif name in (".ascii", ".asciz", ".string"):
            if not ops:
                raise _Fault(col, f"{name} needs a string")
            blob = b""
            for op in ops:
                if len(op.text) < 2 or op.text[0] != '"' or op.text[-1] != '"':
                    raise _Fault(op.col, f'{name} needs a "string", found {op.text or "nothing"}')
                blob += _unescape(op.text[1:-1], op.col) + (b"" if name == ".ascii" else b"\0")
            self.bytes_item(blob, col)
        elif name in (".space", ".skip", ".zero"):
            want = 1 if name == ".zero" else 2
            if not 1 <= len(ops) <= want:
                raise _Fault(col, f"{name} takes a size{' and a fill byte' if want == 2 else ''}")
            size = self.constant(ops[0], name)
            fill = self.constant(ops[1], name) & 0xFF if len(ops) == 2 else 0
            if not 0 <= size <= MAX_IMAGE:
                raise _Fault(ops[0].col, f"{name} size {size} is out of range 0..{MAX_IMAGE}")
            self.bytes_item(bytes([fill]) * size, col)
        elif name == ".fill":
            if not 1 <= len(ops) <= 3:
                raise _Fault(col, ".fill takes repeat[, size[, value]]")
            repeat = self.constant(ops[0], ".fill")
            size = self.constant(ops[1], ".fill") if len(ops) > 1 else 1
            value = self.constant(ops[2], ".fill") if len(ops) > 2 else 0
            if not 0 <= size <= 8 or not 0 <= repeat * size <= MAX_IMAGE:
                raise _Fault(col, ".fill repeat or size out of range (size 0..8)")
            # GNU as: the value is at most 4 bytes wide; larger sizes are zero-extended.
            unit = (value & 0xFFFFFFFF).to_bytes(8, "little")[: min(size, 4)].ljust(size, b"\0")
            self.bytes_item(unit * repeat, col)
        elif name in (".align", ".p2align", ".balign"):
            self.align(name, ops, col)
        elif name in (".text", ".data", ".bss"):
            if ops:
                raise _Fault(ops[0].col, f"{name} takes no operands here (subsections are not supported)")
            self.current = self.sections[name]
        elif name == ".section":
            if not ops:
                raise _Fault(col, ".section needs a name")
            sec_name = ops[0].text.strip('"')
            out = _output_of(sec_name)
            if out is None:
                raise _Fault(
                    ops[0].col,
                    f"unsupported section '{sec_name}': use .text, .rodata, .data or .bss (or .name.*)",
                )
            if sec_name not in self.sections:
                self.sections[sec_name] = _Section(sec_name, out)
            self.current = self.sections[sec_name]
        elif name in (".equ", ".set", ".equiv"):
            if len(ops) != 2 or not re.fullmatch(r"[A-Za-z_.$][A-Za-z0-9_.$]*", ops[0].text):
                raise _Fault(col, f"{name} takes a symbol name and a value")
            self.define_equ(ops[0].text, ops[1], ops[0].col, redefine=name != ".equiv")
        elif name == ".endr":
            raise _Fault(col, ".endr without .rept")
        elif name == ".end":
            self.ended = True
        elif name == ".insn":
            raise _Fault(col, ".insn is not supported: write the instruction, or .word for raw bits")
        elif name in _DIRECTIVES:
            return  # .globl, .type, .size, .option, ...: meaningful to a linker, not to a flat image
        else:
            hint = difflib.get_close_matches(name, _DIRECTIVES, n=3, cutoff=0.6)
            raise _Fault(
                col, f"unknown directive '{name}'" + (f" (did you mean {', '.join(hint)}?)" if hint else "")
            )

    def bytes_item(self, blob: bytes, col: int) -> None:
        sec = self.current
        self.place(_Item(_Kind.BYTES, sec, sec.size, len(blob), self.line, col, payload=blob))

    def align(self, name: str, ops: list[_Operand], col: int) -> None:
        if not 1 <= len(ops) <= 3:
            raise _Fault(col, f"{name} takes an alignment[, fill[, max]]")
        n = self.constant(ops[0], name)
        if name == ".balign":
            if n <= 0 or n & (n - 1):
                raise _Fault(ops[0].col, f".balign {n}: alignment must be a power of 2")
            n = n.bit_length() - 1
        if not 0 <= n <= 16:
            raise _Fault(ops[0].col, f"{name}: alignment out of range")
        fill = None
        if len(ops) > 1 and ops[1].text:
            fill = self.constant(ops[1], name) & 0xFF
        limit = self.constant(ops[2], name) if len(ops) > 2 else 0
        sec = self.current
        sec.align = max(sec.align, n)
        # GNU as with rv32im: alignment no wider than an instruction is dropped in code sections.
        if fill is None and sec.code and (1 << n) <= 4:
            return
        pad = -sec.size % (1 << n)
        if limit and pad > limit:
            return
        if fill is not None:
            blob = bytes([fill]) * pad
        elif sec.code:
            blob = _code_padding(pad)
        else:
            blob = bytes(pad)
        self.bytes_item(blob, col)

    # -- instructions

    def instruction(self, name: str, ops: list[_Operand], col: int) -> None:
        if self.current.out is _Out.BSS:
            raise _Fault(col, f"instruction '{name}' in {self.current.name}, which holds no data")
        insns = self.expand(name, ops, col)
        for k, insn in enumerate(insns):
            sec = self.current
            self.place(_Item(_Kind.INSN, sec, sec.size, 4, self.line, col, insn=insn, dot=sec.size - 4 * k))

    def count(self, name: str, ops: list[_Operand], want: int, shape: str, col: int) -> None:
        if len(ops) != want:
            raise _Fault(
                col,
                f"'{name}' takes {want} operand{'s' if want != 1 else ''} ({shape}), got {len(ops)}",
            )

    def reg(self, op: _Operand) -> int:
        r = REGISTERS.get(op.text)
        if r is None:
            hint = difflib.get_close_matches(op.text.lower(), list(REGISTERS), n=1, cutoff=0.6)
            extra = f" (did you mean {hint[0]}?)" if hint and hint[0] != op.text else ""
            if op.text.lower() in REGISTERS:
                extra = f" (register names are lower case: {op.text.lower()})"
            raise _Fault(op.col, f"bad register '{op.text}'{extra}")
        return r

    def is_reg(self, op: _Operand) -> bool:
        return op.text in REGISTERS

    def imm(self, op: _Operand, mod: _Mod = _Mod.PLAIN) -> _Imm:
        m = re.fullmatch(r"%(\w+)\s*\((.*)\)", op.text, re.S)
        if m and mod is _Mod.PLAIN:
            kinds = {"hi": _Mod.HI, "lo": _Mod.LO, "pcrel_hi": _Mod.PCREL_HI, "pcrel_lo": _Mod.PCREL_LO}
            if m.group(1) not in kinds:
                raise _Fault(
                    op.col, f"unknown relocation '%{m.group(1)}': use %hi, %lo, %pcrel_hi, %pcrel_lo"
                )
            inner = _Operand(m.group(2), op.col + m.start(2))
            return _Imm(self.expr(inner), kinds[m.group(1)], inner.col)
        return _Imm(self.expr(op), mod, op.col)

    def mem(self, op: _Operand) -> tuple[_Imm, int]:
        """`imm(reg)` or `(reg)` or `%lo(sym)(reg)`."""
        m = re.fullmatch(r"(.*)\(\s*([^()]*?)\s*\)", op.text, re.S)
        if not m or (m.group(1).strip() and m.group(1).rstrip()[-1] in "+-*/|&^<>!~%"):
            raise _Fault(op.col, f"expected offset(register), found '{op.text}'")
        reg = self.reg(_Operand(m.group(2), op.col + m.start(2)))
        off_text = m.group(1).strip()
        if not off_text:
            return _Imm(("num", 0), _Mod.PLAIN, op.col), reg
        return self.imm(_Operand(off_text, op.col)), reg

    def symbol_access(self, spec: Spec, ops: list[_Operand]) -> bool:
        """Is this load/store GNU's symbol form (`lw a0, sym`) rather than `lw a0, off(reg)`?"""
        if len(ops) != (2 if spec.kind is Kind.LOAD else 3) or ops[1].text.endswith(")"):
            return False
        if not re.fullmatch(r"[A-Za-z_.$][A-Za-z0-9_.$]*(\s*[-+]\s*\w+)?", ops[1].text):
            return False
        try:  # GNU as refuses a constant there: it is not an address it can reach pc-relative
            _evaluate(self.expr(ops[1]), self.const_lookup, None)
        except _Fault:
            return True
        return False

    def expand(self, name: str, ops: list[_Operand], col: int) -> list[_Insn]:
        """Parse one instruction or pseudo-instruction into real instructions."""
        spec = BY_NAME.get(name)
        z = 0
        ra = REGISTERS["ra"]
        if name in _ALU_IMM_ALIAS and len(ops) == 3 and not self.is_reg(ops[2]):
            spec = BY_NAME[_ALU_IMM_ALIAS[name]]
        if spec is not None and spec.kind in (Kind.LOAD, Kind.STORE) and self.symbol_access(spec, ops):
            # `lw rd, sym` / `sw rs, sym, rt`: an auipc into rd (rt for stores), then the access
            want = 2 if spec.kind is Kind.LOAD else 3
            self.count(name, ops, want, "rd,symbol" if want == 2 else "rs,symbol,rt", col)
            scratch = self.reg(ops[0] if want == 2 else ops[2])
            hi = _Insn(BY_NAME["auipc"], scratch, imm=self.imm(ops[1], _Mod.PCREL_HI))
            assert hi.imm is not None
            lo = _Imm(hi.imm.node, _Mod.PCREL_LO_PREV, ops[1].col)
            if want == 2:
                return [hi, _Insn(spec, scratch, scratch, imm=lo)]
            return [hi, _Insn(spec, rs1=scratch, rs2=self.reg(ops[0]), imm=lo)]
        if spec is not None and name not in ("jal", "jalr", "fence"):
            shape = spec.operands
            want = len(shape.split(",")) if shape else 0
            self.count(name, ops, want, shape, col)
            if spec.fmt is Fmt.SYS:
                return [_Insn(spec)]
            if spec.fmt in (Fmt.R,):
                return [_Insn(spec, self.reg(ops[0]), self.reg(ops[1]), self.reg(ops[2]))]
            if spec.fmt in (Fmt.I, Fmt.SHIFT) and spec.operands.endswith("imm"):
                return [_Insn(spec, self.reg(ops[0]), self.reg(ops[1]), imm=self.imm(ops[2]))]
            if spec.fmt is Fmt.I:  # loads
                imm, rs1 = self.mem(ops[1])
                return [_Insn(spec, self.reg(ops[0]), rs1, imm=imm)]
            if spec.fmt is Fmt.S:
                imm, rs1 = self.mem(ops[1])
                return [_Insn(spec, rs2=self.reg(ops[0]), rs1=rs1, imm=imm)]
            if spec.fmt is Fmt.U:
                return [_Insn(spec, self.reg(ops[0]), imm=self.imm(ops[1]))]
            if spec.fmt is Fmt.B:
                return [
                    _Insn(spec, rs1=self.reg(ops[0]), rs2=self.reg(ops[1]), imm=self.imm(ops[2], _Mod.BRANCH))
                ]
            raise _Fault(col, f"cannot assemble '{name}'")  # pragma: no cover - table shapes above
        b = BY_NAME
        if name == "jal":
            if len(ops) == 1:
                return [_Insn(b["jal"], ra, imm=self.imm(ops[0], _Mod.JUMP))]
            self.count(name, ops, 2, "rd,target or target", col)
            return [_Insn(b["jal"], self.reg(ops[0]), imm=self.imm(ops[1], _Mod.JUMP))]
        if name in ("jalr", "jr"):
            link = ra if name == "jalr" else z
            if len(ops) == 1:
                if self.is_reg(ops[0]):
                    return [_Insn(b["jalr"], link, self.reg(ops[0]), imm=_Imm(("num", 0), _Mod.PLAIN, col))]
                imm, rs1 = self.mem(ops[0])
                return [_Insn(b["jalr"], link, rs1, imm=imm)]
            if len(ops) == 2 and name == "jr":
                return [_Insn(b["jalr"], z, self.reg(ops[0]), imm=self.imm(ops[1]))]
            if len(ops) == 2:
                if self.is_reg(ops[1]):
                    zero = _Imm(("num", 0), _Mod.PLAIN, col)
                    return [_Insn(b["jalr"], self.reg(ops[0]), self.reg(ops[1]), imm=zero)]
                if ops[1].text.endswith(")"):
                    imm, rs1 = self.mem(ops[1])
                    return [_Insn(b["jalr"], self.reg(ops[0]), rs1, imm=imm)]
                return [_Insn(b["jalr"], ra, self.reg(ops[0]), imm=self.imm(ops[1]))]
            self.count(name, ops, 3 if name == "jalr" else 1, "rd,rs1,imm or rd,imm(rs1) or rs1", col)
            return [_Insn(b["jalr"], self.reg(ops[0]), self.reg(ops[1]), imm=self.imm(ops[2]))]
        if name == "fence":
            if not ops:
                return [_Insn(b["fence"], fixed_imm=0xFF)]
            self.count(name, ops, 2, "pred,succ", col)
            return [_Insn(b["fence"], fixed_imm=_fence_set(ops[0]) << 4 | _fence_set(ops[1]))]
        if name == "fence.tso":
            self.count(name, ops, 0, "no operands", col)
            return [_Insn(b["fence"], fixed_imm=_FENCE_TSO)]
        if name == "nop":
            self.count(name, ops, 0, "no operands", col)
            return [_Insn(b["addi"])]
        if name == "ret":
            self.count(name, ops, 0, "no operands", col)
            return [_Insn(b["jalr"], z, ra, imm=_Imm(("num", 0), _Mod.PLAIN, col))]
        if name == "li":
            self.count(name, ops, 2, "rd,constant", col)
            rd = self.reg(ops[0])
            try:
                value = self.constant(ops[1], "li")
            except _Fault as f:
                raise _Fault(f.col, f.message + " (use la for an address)") from None
            if not -(1 << 31) <= value < (1 << 32):
                raise _Fault(ops[1].col, f"li value {value:#x} does not fit in 32 bits")
            return _li(rd, sext(value & 0xFFFFFFFF, 32))
        if name in ("la", "lla", "call", "tail"):
            # (link register, scratch register for auipc, symbol operand), as GNU as expands them
            t1 = REGISTERS["t1"]
            if name in ("la", "lla"):
                self.count(name, ops, 2, "rd,symbol", col)
                link, scratch, target = self.reg(ops[0]), self.reg(ops[0]), ops[1]
                try:  # GNU as loads a constant "address" as li does
                    value = _evaluate(self.expr(target), self.const_lookup, None).value
                except _Fault:
                    pass
                else:
                    if not -(1 << 31) <= value < (1 << 32):
                        raise _Fault(target.col, f"{name} value {value:#x} does not fit in 32 bits")
                    return _li(link, sext(value & 0xFFFFFFFF, 32))
            elif name == "call" and len(ops) == 2:
                link, scratch, target = self.reg(ops[0]), t1, ops[1]
            else:
                self.count(name, ops, 1, "symbol", col)
                link, scratch, target = (ra, ra, ops[0]) if name == "call" else (z, t1, ops[0])
            hi = _Insn(b["auipc"], scratch, imm=self.imm(target, _Mod.PCREL_HI))
            if hi.imm is None or hi.imm.mod is not _Mod.PCREL_HI:
                raise _Fault(target.col, f"{name} takes a symbol, not a %relocation")
            lo = _Imm(hi.imm.node, _Mod.PCREL_LO_PREV, target.col)
            if name in ("la", "lla"):
                return [hi, _Insn(b["addi"], link, scratch, imm=lo)]
            return [hi, _Insn(b["jalr"], link, scratch, imm=lo)]
        if name == "zext.b":
            self.count(name, ops, 2, "rd,rs", col)
            return [
                _Insn(b["andi"], self.reg(ops[0]), self.reg(ops[1]), imm=_Imm(("num", 0xFF), _Mod.PLAIN, col))
            ]
        if name in ("mv", "not", "neg", "seqz", "snez", "sltz", "sgtz"):
            self.count(name, ops, 2, "rd,rs", col)
            rd, rs = self.reg(ops[0]), self.reg(ops[1])
            one = {"mv": 0, "not": -1, "seqz": 1}
            if name in one:
                real = {"mv": "addi", "not": "xori", "seqz": "sltiu"}[name]
                return [_Insn(b[real], rd, rs, imm=_Imm(("num", one[name]), _Mod.PLAIN, col))]
            if name == "neg":
                return [_Insn(b["sub"], rd, z, rs)]
            if name == "snez":
                return [_Insn(b["sltu"], rd, z, rs)]
            if name == "sltz":
                return [_Insn(b["slt"], rd, rs, z)]
            return [_Insn(b["slt"], rd, z, rs)]
        if name in _BRANCH_ZERO:
            self.count(name, ops, 2, "rs,target", col)
            real, zero_first = _BRANCH_ZERO[name]
            rs = self.reg(ops[0])
            rs1, rs2 = (z, rs) if zero_first else (rs, z)
            return [_Insn(b[real], rs1=rs1, rs2=rs2, imm=self.imm(ops[1], _Mod.BRANCH))]
        if name in _BRANCH_SWAP:
            self.count(name, ops, 3, "rs,rt,target", col)
            return [
                _Insn(
                    b[_BRANCH_SWAP[name]],
                    rs1=self.reg(ops[1]),
                    rs2=self.reg(ops[0]),
                    imm=self.imm(ops[2], _Mod.BRANCH),
                )
            ]
        if name == "j":
            self.count(name, ops, 1, "target", col)
            return [_Insn(b["jal"], z, imm=self.imm(ops[0], _Mod.JUMP))]
        known = [*BY_NAME, *_PSEUDOS]
        hint = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
        raise _Fault(
            col, f"unknown instruction '{name}'" + (f" (did you mean {', '.join(hint)}?)" if hint else "")
        )

    # -- layout

    def layout(self) -> list[_Section]:
        """Pad code sections, place sections like the reference link; the sections in address order."""
        for sec in self.sections.values():
            pad = -sec.size % (1 << sec.align)
            if sec.code and pad:
                self.items.append(_Item(_Kind.BYTES, sec, sec.size, pad, 0, 0, payload=_code_padding(pad)))
                sec.size += pad
        ordered: list[_Section] = []
        addr = self.base
        for out in _Out:
            members = [s for s in self.sections.values() if s.out is out]
            if not any(s.size for s in members):
                for s in members:
                    s.base = addr
                continue
            addr = _align_up(addr, 1 << max(s.align for s in members))
            for s in members:
                addr = _align_up(addr, 1 << s.align)
                s.base = addr
                addr += s.size
                ordered.append(s)
        return ordered

    # -- pass 2

    def lookup(self, name: str, col: int, resolving: frozenset[str] = frozenset()) -> _Value:
        if name in self.labels:
            sec, off, _ = self.labels[name]
            return _Value(sec.base + off, 1)
        if name in self.consts:
            return _Value(self.consts[name], 0)
        if name in self.lazy:
            if name in resolving:
                raise _Fault(col, f"symbol '{name}' is defined in terms of itself")
            node, sec, off = self.lazy[name]
            inner = resolving | {name}
            return _evaluate(node, lambda n, c: self.lookup(n, c, inner), sec.base + off)
        if "\x02" in name:
            number = name[2:].split("\x02")[0]
            raise _Fault(col, f"no local label '{number}:' after this point for '{number}f'")
        raise _Fault(col, f"undefined symbol '{name}'")

    def pass2(self, ordered: list[_Section]) -> tuple[bytes, dict[int, int]]:
        for sec in ordered:
            sec.data = bytearray(sec.size)
        lines: dict[int, int] = {}
        pcrel: dict[int, int] = {}
        for item in self.items:
            if item.kind is _Kind.INSN and item.insn and item.insn.imm and item.insn.imm.mod is _Mod.PCREL_HI:
                try:
                    pc = item.section.base + item.offset
                    pcrel[pc] = self.value(item.insn.imm, item.section.base + item.dot).value
                except _Fault:
                    pass  # reported when the auipc itself is encoded
        for item in self.items:
            sec = item.section
            addr = sec.base + item.offset
            if item.line and item.src is not None:
                lines.setdefault(addr, item.src.main_line(item.line))
            try:
                if item.kind is _Kind.BYTES:
                    if sec.out is not _Out.BSS:
                        sec.data[item.offset : item.offset + item.size] = item.payload
                elif item.kind is _Kind.DATA:
                    self.emit_data(item, addr)
                else:
                    assert item.insn is not None
                    word = self.encode(item.insn, addr, sec.base + item.dot, pcrel, sec)
                    sec.data[item.offset : item.offset + 4] = word.to_bytes(4, "little")
            except _Fault as f:
                self.report(item.src or self.main, item.seq, item.line, f.col or item.col, f.message)
        image = bytearray()
        for sec in ordered:
            if sec.out is _Out.BSS:
                continue
            image += bytes(sec.base - self.base - len(image))
            image += sec.data
        return bytes(image), lines

    def value(self, imm: _Imm, dot: int) -> _Value:
        try:
            return _evaluate(imm.node, self.lookup, dot)
        except _Fault as f:
            raise _Fault(f.col or imm.col, f.message) from None

    def emit_data(self, item: _Item, addr: int) -> None:
        assert item.nodes is not None and item.values is not None
        width = item.width
        bits = 8 * width
        for k, (node, op) in enumerate(zip(item.nodes, item.values, strict=True)):
            # '.' is where this value goes, as in GNU as (so `.word 0, . - x` counts the first).
            dot = item.section.base + item.dot + k * width
            v = self.value(_Imm(node, _Mod.PLAIN, op.col), dot).value
            if bits < 64 and not -(1 << (bits - 1)) <= v < (1 << bits):
                raise _Fault(op.col, f"value {v} does not fit in {width} byte{'s' if width > 1 else ''}")
            off = item.offset + k * width
            item.section.data[off : off + width] = (v & ((1 << bits) - 1)).to_bytes(width, "little")

    def encode(self, insn: _Insn, pc: int, dot: int, pcrel: dict[int, int], section: _Section) -> int:
        spec = insn.spec
        if insn.imm is None:
            return encode(spec, insn.rd, insn.rs1, insn.rs2, insn.fixed_imm)
        imm = insn.imm
        val = self.value(imm, dot)
        v = val.value
        fmt = spec.fmt
        mod = imm.mod
        if mod in (_Mod.BRANCH, _Mod.JUMP):
            if mod is _Mod.BRANCH:
                for name in _symbols_in(imm.node):
                    where = self.labels.get(name)
                    if where is not None and where[0] is not section:
                        # GNU as would turn this into an inverted branch over a jump: not supported.
                        raise _Fault(
                            imm.col,
                            f"branch target {_shown(name)!r} is in {where[0].name}: "
                            "branches stay in their section",
                        )
            if val.reloc == 0:
                raise _Fault(
                    imm.col, f"{spec.name} target must be a label (or '.'-relative), not the constant {v:#x}"
                )
            off = sext((v - pc) & 0xFFFFFFFF, 32)
            if off % 4:
                raise _Fault(
                    imm.col, f"unaligned branch target {v & 0xFFFFFFFF:#x}: instructions are 4-byte aligned"
                )
            lo, hi = IMM_RANGE[fmt]
            if not lo <= off <= hi:
                what = "branch" if mod is _Mod.BRANCH else "jump"
                raise _Fault(imm.col, f"{what} target out of range: offset {off} is not in {lo}..{hi}")
            return encode(spec, insn.rd, insn.rs1, insn.rs2, off)
        if mod is _Mod.HI or mod is _Mod.PCREL_HI:
            if fmt is not Fmt.U:
                raise _Fault(imm.col, f"%{mod.value} belongs in lui or auipc, not {spec.name}")
            if mod is _Mod.PCREL_HI:
                v = v - pc
            return encode(spec, insn.rd, imm=(sext(v & 0xFFFFFFFF, 32) + 0x800) >> 12 & 0xFFFFF)
        if mod in (_Mod.LO, _Mod.PCREL_LO, _Mod.PCREL_LO_PREV):
            if fmt not in (Fmt.I, Fmt.S):
                raise _Fault(imm.col, f"%lo/%pcrel_lo belong in an I- or S-type instruction, not {spec.name}")
            if mod is _Mod.PCREL_LO_PREV:
                v = v - (pc - 4)
            elif mod is _Mod.PCREL_LO:
                if v not in pcrel:
                    raise _Fault(imm.col, f"%pcrel_lo: no auipc with %pcrel_hi at {v & 0xFFFFFFFF:#x}")
                v = pcrel[v] - v
            return encode(spec, insn.rd, insn.rs1, insn.rs2, sext(v & 0xFFF, 12))
        lo, hi = IMM_RANGE[fmt]
        if not lo <= v <= hi:
            shown, top = (f"{v:#x}", f"{hi:#x}") if fmt is Fmt.U else (str(v), str(hi))
            raise _Fault(imm.col, f"immediate {shown} out of range for {spec.name}: must be in {lo}..{top}")
        return encode(spec, insn.rd, insn.rs1, insn.rs2, v)

    def run(self, source: str) -> Image:
        self.pass1(_statements(source, self.main))
        ordered = self.layout()
        data, lines = self.pass2(ordered)  # even after errors: report every one in the file
        if self.diags:
            self.diags.sort(key=lambda d: (d[0], d[1]))
            raise AsmError([d for _, _, d in self.diags])
        symbols = {name: sec.base + off for name, (sec, off, _) in self.labels.items() if "\x02" not in name}
        for name in self.lazy:  # `here = .` and the like name an address too
            try:
                value = self.lookup(name, 0)
            except _Fault:
                continue
            if value.reloc == 1:
                symbols[name] = value.value & 0xFFFFFFFF
        return Image(
            base=self.base,
            data=data,
            symbols=symbols,
            entry=symbols.get("_start", self.base),
            lines=lines,
            includes=dict(self.includes),
        )


def _shown(name: str) -> str:
    """A symbol as the source spelled it (numeric local labels are renamed internally)."""
    return name[2:].split("\x02")[0] if "\x02" in name else name


def _symbols_in(node: Node) -> list[str]:
    if node[0] == "sym":
        return [node[1]]
    return [name for child in node[1:] if isinstance(child, tuple) for name in _symbols_in(child)]


def _li(rd: int, v: int) -> list[_Insn]:
    """`li` as GNU as expands it on RV32 (tc-riscv.c, load_const).

    lower = the low 12 bits, sign-extended; upper = v - lower (the %hi/%lo carry rule).
    `lui rd, upper` when upper is not 0; then `addi rd, hi_reg, lower` when lower is not 0 or
    no lui was emitted into a real register, hi_reg being rd after a lui, else zero. So `li zero`
    with a large value keeps a trailing `addi zero, zero, lower` even when lower is 0.
    """
    b = BY_NAME

    def imm(x: int) -> _Imm:
        return _Imm(("num", x), _Mod.PLAIN, 0)

    lower = sext(v & 0xFFF, 12)
    upper = (v - lower) & 0xFFFFFFFF
    out: list[_Insn] = []
    hi_reg = 0
    if upper:
        out.append(_Insn(b["lui"], rd, imm=imm(upper >> 12)))
        hi_reg = rd
    if lower or hi_reg == 0:
        out.append(_Insn(b["addi"], rd, hi_reg, imm=imm(lower)))
    return out


def _code_padding(size: int) -> bytes:
    """GNU as's code padding: a zero byte if odd, at most one c.nop, then 4-byte nops."""
    out = bytearray()
    if size % 2:
        out.append(0)
    if (size - len(out)) % 4 == 2:
        out += C_NOP_HALF.to_bytes(2, "little")
    while len(out) < size:
        out += NOP_WORD.to_bytes(4, "little")
    return bytes(out)


def _align_up(addr: int, align: int) -> int:
    return (addr + align - 1) // align * align


def _resolved_file(path: Path) -> Path | None:
    """`path` resolved, when it names a readable regular file; else None."""
    try:
        return path.resolve() if path.is_file() else None
    except (OSError, ValueError, RuntimeError):  # no such file, a NUL in the name, a symlink loop
        return None


# ---------------------------------------------------------------- public API


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
    asm = _Assembler(filename, base, tuple(Path(d) for d in include_dirs))
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


def main_asm(argv: list[str] | None = None) -> int:
    """`hvlab asm FILE.S [-o OUT] [--base ADDR] [-I DIR]...`: write the flat image (default FILE.bin)."""
    ap = argparse.ArgumentParser(prog="hvlab asm", description="Assemble RV32IM source into a flat image.")
    ap.add_argument("file", help="assembly source (GNU as syntax)")
    ap.add_argument("-o", "--output", help="output file (default: FILE with .bin)")
    ap.add_argument("--base", type=lambda s: int(s, 0), default=DEFAULT_BASE, help="link address")
    ap.add_argument(
        "-I",
        "--include-dir",
        action="append",
        default=[],
        metavar="DIR",
        help=".include looks here after the including file's folder (repeatable, in order)",
    )
    args = ap.parse_args(argv)
    try:
        image = assemble_file(args.file, base=args.base, include_dirs=args.include_dir)
    except AsmError as exc:
        print(exc, file=sys.stderr)
        return 1
    out = Path(args.output) if args.output else Path(args.file).with_suffix(".bin")
    try:
        out.write_bytes(image.data)
    except OSError as exc:
        print(f"hvlab asm: cannot write {out}: {exc}", file=sys.stderr)
        return 1
    print(f"{out}: {len(image.data)} bytes at {image.base:#010x}, entry {image.entry:#010x}")
    return 0


def main_disasm(argv: list[str] | None = None) -> int:
    """`hvlab disasm FILE [--base ADDR]`: print an objdump-like listing of a flat image or ELF."""
    ap = argparse.ArgumentParser(prog="hvlab disasm", description="Disassemble a flat RV32IM image or ELF.")
    ap.add_argument("file")
    ap.add_argument(
        "--base", type=lambda s: int(s, 0), default=DEFAULT_BASE, help="load address of a flat image"
    )
    args = ap.parse_args(argv)
    try:
        print(disassemble_file(args.file, base=args.base), end="")
    except (OSError, ValueError) as exc:
        print(f"hvlab disasm: {exc}", file=sys.stderr)
        return 1
    return 0
