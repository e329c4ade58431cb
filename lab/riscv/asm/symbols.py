"""The symbol table: labels, numeric local labels and `.equ` constants, resolved in two passes.

    symbols.define_label("loop", col, section, offset, file, line)      # pass 1
    node = symbols.parse(operand)                                        # 1b/1f resolved now
    n = symbols.constant(operand, ".space")                              # pass 1: constants only
    symbols.lookup("loop", col)                                          # pass 2: Value(address, 1)

A label names a place in a section: its address is known once the link has placed the section,
so pass 1 may only use constants (`.equ N, 4`, `.set`, `sym = expr`), which are evaluated as they
are defined. An `.equ` whose expression needs an address (`end = .`, `size = end - start`) is kept
as an expression and evaluated in pass 2 ("lazy"); one that refers to itself is an error.
`.equ`, `.set` and `=` may redefine a constant, `.equiv` may not; no constant may take a
label's name.

Numeric labels (`1:`) may repeat: each definition is renamed `.L1^B<n>`, and `1b`/`1f` refer to
the nearest one before or after the reference, in pass 1's order. Neither they nor constants
are exported; the image's symbols are the named labels and the `.equ`s that are addresses.
A label may be defined again where it already points (GNU as allows that); a name defined twice
otherwise is an error that names the first definition's file when it is another file's (the
usual clash with a library).
"""

from __future__ import annotations

from dataclasses import dataclass

from lab.riscv.asm.diagnostics import Fault
from lab.riscv.asm.expr import Node, Parser, Value, evaluate
from lab.riscv.asm.layout import Section
from lab.riscv.asm.source import Operand

_LOCAL: str = "\x02"  # separates a numeric label's number from its definition count


@dataclass(slots=True)
class Label:
    section: Section
    offset: int
    file: str
    line: int


def shown(name: str) -> str:
    """A symbol as the source spelled it (numeric local labels are renamed internally)."""
    return name[2:].split(_LOCAL)[0] if _LOCAL in name else name


class SymbolTable:
    """Every symbol of one program."""

    def __init__(self) -> None:
        self.labels: dict[str, Label] = {}
        self.consts: dict[str, int] = {}  # known in pass 1
        self.lazy: dict[str, tuple[Node, Section, int]] = {}  # needing addresses: (expr, where '.' is)
        self.local_count: dict[int, int] = {}  # numeric label -> definitions so far

    # -- pass 1

    def local_ref(self, number: int, direction: str, col: int) -> str:
        """The internal name `1b` (direction "b") or `1f` ("f") refers to at this point."""
        count = self.local_count.get(number, 0)
        if direction == "b":
            if count == 0:
                raise Fault(col, f"no earlier local label '{number}:' for '{number}b'")
            return f".L{number}{_LOCAL}{count}"
        return f".L{number}{_LOCAL}{count + 1}"

    def parse(self, op: Operand) -> Node:
        return Parser(op.text, op.col, self.local_ref).parse()

    def constant_value(self, name: str, col: int) -> Value:
        """Lookup for pass 1: a constant, or a Fault."""
        if name in self.consts:
            return Value(self.consts[name], 0)
        raise Fault(col, f"'{name}' is not a constant known at this point")

    def try_constant(self, op: Operand) -> int | None:
        """The value of `op` if it is a constant expression known now, else None."""
        try:
            return evaluate(self.parse(op), self.constant_value, None).value
        except Fault:
            return None

    def constant(self, op: Operand, what: str) -> int:
        """The value of `op`, which `what` needs to be a constant known now."""
        node = self.parse(op)
        try:
            v = evaluate(node, self.constant_value, None)
        except Fault as f:
            raise Fault(f.col or op.col, f"{what} needs a constant expression: {f.message}") from None
        return v.value

    def define_label(self, name: str, col: int, section: Section, offset: int, file: str, line: int) -> None:
        if name.isdigit():
            number = int(name)
            self.local_count[number] = self.local_count.get(number, 0) + 1
            name = f".L{number}{_LOCAL}{self.local_count[number]}"
        elif (old := self.labels.get(name)) is not None and old.section is section and old.offset == offset:
            return  # GNU as lets a label be repeated where it already points
        elif name in self.labels or name in self.consts or name in self.lazy:
            old = self.labels.get(name)
            # Two files defining one name is the usual clash with a library: say which file.
            other = f" (in {old.file}:{old.line})" if old and old.file != file else ""
            raise Fault(col, f"symbol '{name}' is already defined{other}")
        self.labels[name] = Label(section, offset, file, line)

    def define_equ(
        self, name: str, op: Operand, col: int, *, redefine: bool, section: Section, offset: int
    ) -> None:
        """`name` = the value of `op`; `section`/`offset` say where `.` is for a lazy one."""
        if name in self.labels or (not redefine and (name in self.consts or name in self.lazy)):
            raise Fault(col, f"symbol '{name}' is already defined")
        node = self.parse(op)
        try:
            v = evaluate(node, self.constant_value, None)
        except Fault:
            self.consts.pop(name, None)
            self.lazy[name] = (node, section, offset)
            return
        self.lazy.pop(name, None)
        self.consts[name] = v.value

    # -- pass 2 (sections placed)

    def lookup(self, name: str, col: int, resolving: frozenset[str] = frozenset()) -> Value:
        if name in self.labels:
            label = self.labels[name]
            return Value(label.section.base + label.offset, 1)
        if name in self.consts:
            return Value(self.consts[name], 0)
        if name in self.lazy:
            if name in resolving:
                raise Fault(col, f"symbol '{name}' is defined in terms of itself")
            node, sec, off = self.lazy[name]
            inner = resolving | {name}
            return evaluate(node, lambda n, c: self.lookup(n, c, inner), sec.base + off)
        if _LOCAL in name:
            number = shown(name)
            raise Fault(col, f"no local label '{number}:' after this point for '{number}f'")
        raise Fault(col, f"undefined symbol '{name}'")

    def section_of(self, name: str) -> Section | None:
        """The section label `name` is in (None: not a label)."""
        label = self.labels.get(name)
        return label.section if label else None

    def exported(self) -> dict[str, int]:
        """Name -> address: the named labels, then the `.equ`s whose value is an address."""
        symbols = {
            name: label.section.base + label.offset
            for name, label in self.labels.items()
            if _LOCAL not in name
        }
        for name in self.lazy:  # `here = .` and the like name an address too
            try:
                value = self.lookup(name, 0)
            except Fault:
                continue
            if value.reloc == 1:
                symbols[name] = value.value & 0xFFFFFFFF
        return symbols
