"""Assembler errors: one `Diagnostic` per mistake, every one of a file's in one `AsmError`.

    try:
        assemble(source, filename="prog.S")
    except AsmError as exc:
        for d in exc.diagnostics: ...       # d.file, d.line, d.col, d.message, d.included_from
        print(exc)                          # one GNU-style line each:
                                            # prog.S:12:9: error: bad register 'a9'

Inside the assembler a mistake at one place in a statement is raised as `Fault(col, message)`;
the pass that catches it knows the statement, so it adds the file, the line and the chain of
`.include`s, collects it and carries on: one run reports every mistake in the file, in program
order. A `Fault` whose column is 0 stands for the whole statement (its first column).
"""

from __future__ import annotations

from dataclasses import dataclass


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


class Fault(Exception):
    """A mistake at column `col` of the statement being assembled (0: the statement itself)."""

    def __init__(self, col: int, message: str) -> None:
        super().__init__(message)
        self.col = col
        self.message = message
