"""The expression language of operands: parsed once in pass 1, evaluated when its symbols are known.

    node = Parser("msg + 4 * N", col=9, local=symbols.local_ref).parse()
    value = evaluate(node, lookup, dot=0x8000_0010)     # Value(value, reloc)

Expressions are GNU as's (as manual, "Expressions"): numbers (decimal, `0x` hex, `0b` binary, a
leading `0` means octal), character literals ('a', '\\n'), symbols, `.` (the address of the
statement, or of the value being emitted), unary `- ~ ! +`, and the binary operators in GNU as
precedence, which is not C's: `a | b + c` is `(a | b) + c`. Arithmetic is 64-bit and wraps;
comparisons give -1 for true; division truncates toward zero, and by zero is an error.

`1b` and `1f` name the numeric local label `1:` before or after this point: the parser asks
`local` for the internal name at parse time, because "before" means before in pass 1's order.

`reloc` counts the label (or `.`) terms of a value, GNU as's "relocatable" expressions: 0 is a
plain constant, 1 an address (`label + 4`), and the difference of two labels is a constant again.
A branch target must be an address, `li` a constant.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from lab.riscv.asm.diagnostics import Fault
from lab.riscv.asm.source import unescape
from lab.riscv.isa import sext

MAX_EXPR_DEPTH: Final = 100
MASK64: Final = (1 << 64) - 1


@dataclass(frozen=True, slots=True)
class Num:
    value: int


@dataclass(frozen=True, slots=True)
class Sym:
    name: str
    col: int


@dataclass(frozen=True, slots=True)
class Dot:
    """`.`: the current address."""


@dataclass(frozen=True, slots=True)
class Unary:
    op: str
    operand: Node


@dataclass(frozen=True, slots=True)
class Binary:
    op: str
    left: Node
    right: Node
    col: int  # of the operator, where a division by zero is reported


Node = Num | Sym | Dot | Unary | Binary


@dataclass(slots=True)
class Value:
    """An evaluated expression: `reloc` counts label (or `.`) terms, 0 means a pure constant."""

    value: int
    reloc: int


def wrap(v: int) -> int:
    """`v` as GNU as's 64-bit signed arithmetic keeps it."""
    return sext(v & MASK64, 64)


# GNU as precedence (as manual, "Infix Operators"), loosest first.
_BINARY_LEVELS: Final = (
    ("&&", "||"),
    ("+", "-", "==", "!=", "<>", "<", ">", "<=", ">="),
    ("|", "&", "^", "!"),
    ("*", "/", "%", "<<", ">>"),
)
_TOKEN: Final = re.compile(
    r"\s*(?:(?P<num>[0-9][0-9A-Za-z_]*)|(?P<sym>[A-Za-z_.$][A-Za-z0-9_.$]*)"
    r"|(?P<chr>'(?:\\(?:x[0-9A-Fa-f]+|[0-7]{1,3}|.)|[^\\])'?)"
    r"|(?P<op><<|>>|<=|>=|==|!=|<>|&&|\|\||[-+*/%|&^!~<>()]))"
)


class Parser:
    """Recursive descent over one operand's expression; local label refs are resolved here."""

    def __init__(self, text: str, col: int, local: Callable[[int, str, int], str]) -> None:
        self.text = text
        self.col = col
        self.local = local
        self.pos = 0
        self.depth = 0

    def parse(self) -> Node:
        if not self.text.strip():
            raise Fault(self.col, "expected an expression")
        node = self.binary(0)
        kind, tok, at = self.peek()
        if kind is not None:
            raise Fault(self.col + at, f"unexpected '{tok}' in expression")
        return node

    def peek(self) -> tuple[str | None, str, int]:
        if self.pos >= len(self.text) or not self.text[self.pos :].strip():
            return None, "", len(self.text)
        m = _TOKEN.match(self.text, self.pos)
        if m is None or m.lastgroup is None:
            at = self.pos + len(self.text[self.pos :]) - len(self.text[self.pos :].lstrip())
            raise Fault(self.col + at, f"unexpected character '{self.text[at]}' in expression")
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
            left = Binary(tok, left, right, self.col + at)

    def unary(self) -> Node:
        self.depth += 1
        if self.depth > MAX_EXPR_DEPTH:
            raise Fault(self.col, "expression nested too deeply")
        try:
            kind, tok, at = self.take()
            col = self.col + at
            if kind is None:
                raise Fault(self.col + len(self.text), "expression ends early")
            if kind == "op" and tok in "-~!+":
                return Unary(tok, self.unary())
            if kind == "op" and tok == "(":
                inner = self.binary(0)
                k2, t2, at2 = self.take()
                if t2 != ")" or k2 != "op":
                    raise Fault(self.col + at2, "missing ')'")
                return inner
            if kind == "num":
                return self.number(tok, col)
            if kind == "sym":
                return Dot() if tok == "." else Sym(tok, col)
            if kind == "chr":
                body = tok[1:-1] if tok.endswith("'") and len(tok) > 2 else tok[1:]
                value = unescape(body, col)
                return Num(value[0] if value else 0)
            raise Fault(col, f"unexpected '{tok}' in expression")
        finally:
            self.depth -= 1

    def number(self, tok: str, col: int) -> Node:
        low = tok.lower()
        m = re.fullmatch(r"([0-9]+)([bf])", low)
        if m and not re.fullmatch(r"0b[01]+", low):
            return Sym(self.local(int(m.group(1)), m.group(2), col), col)
        try:
            if low.startswith("0x"):
                return Num(wrap(int(low[2:], 16)))
            if low.startswith("0b"):
                return Num(wrap(int(low[2:], 2)))
            if low.startswith("0") and len(low) > 1:
                return Num(wrap(int(low[1:], 8)))
            return Num(wrap(int(low, 10)))
        except ValueError:
            raise Fault(col, f"bad number '{tok}'") from None


Lookup = Callable[[str, int], Value]  # (symbol name, its column) -> its value, or a Fault

# The operators whose result is a plain function of the two values.
_PLAIN: Final[dict[str, Callable[[int, int], int]]] = {
    "*": lambda p, q: p * q,
    "|": lambda p, q: p | q,
    "&": lambda p, q: p & q,
    "^": lambda p, q: p ^ q,
    "!": lambda p, q: p | ~q,  # GNU as's binary "or not"
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


def evaluate(node: Node, lookup: Lookup, dot: int | None) -> Value:
    """The value of `node`; `dot` is the value of `.` (None: not known here, a Fault)."""
    match node:
        case Num(value):
            return Value(value, 0)
        case Sym(name, col):
            return lookup(name, col)
        case Dot():
            if dot is None:
                raise Fault(0, "'.' is not known here")
            return Value(dot, 1)
        case Unary(op, operand):
            a = evaluate(operand, lookup, dot)
            if op == "+":
                return a
            if op == "-":
                return Value(wrap(-a.value), a.reloc and 1)
            if op == "~":
                return Value(wrap(~a.value), a.reloc and 1)
            return Value(0 if a.value else 1, a.reloc and 1)
    assert isinstance(node, Binary)
    op, col = node.op, node.col
    a = evaluate(node.left, lookup, dot)
    b = evaluate(node.right, lookup, dot)
    x, y = a.value, b.value
    reloc = 1 if a.reloc or b.reloc else 0
    if op == "+":
        return Value(wrap(x + y), a.reloc + b.reloc)
    if op == "-":
        return Value(wrap(x - y), a.reloc - b.reloc)
    if op in ("/", "%"):
        if y == 0:
            raise Fault(col, "division by zero")
        q = abs(x) // abs(y) * (1 if (x < 0) == (y < 0) else -1)  # C truncates toward zero
        return Value(wrap(q if op == "/" else x - q * y), reloc)
    if op in ("<<", ">>"):
        if not 0 <= y < 64:
            return Value(0, reloc)
        u = x & MASK64
        return Value(wrap(u << y if op == "<<" else u >> y), reloc)
    return Value(wrap(_PLAIN[op](x, y)), reloc)


def symbols_in(node: Node) -> list[str]:
    """The symbol names `node` refers to, in order."""
    match node:
        case Sym(name, _):
            return [name]
        case Unary(_, operand):
            return symbols_in(operand)
        case Binary(_, left, right, _):
            return symbols_in(left) + symbols_in(right)
    return []
