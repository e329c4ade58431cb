"""Source text into statements, and the statement stream that `.include` and `.rept` splice into.

    main = Source("prog.S", Path("."))
    stream = StatementStream(statements(text, main))     # Statement(line, col, text, src), ...
    for st in stream: ...                                 # operands(text, col) splits at commas

Comments (`#`, `//` and `/* */`) are blanked out in place, so every character keeps its line and
column for the diagnostics; `;` separates statements on a line. Neither counts inside a string
("...") or character ('c') literal, and a comma inside parentheses does not split operands
(`%lo(a, b)` is one operand, as GNU as reads it).

`.include "file"` and `.rept N ... .endr` replace themselves with statements while pass 1 reads
(`StatementStream.splice`), as GNU as does: a `.rept` body is read again for each repetition (an
`.include` in it reads its file each time), and `.end` in an included file ends the whole program.
`IncludeReader` finds the file: in the including file's folder first, then in the include dirs in
order (GNU as looks in the current directory, then its -I dirs, never next to the including file;
see lab.riscv.asm for what that means for cross-checking). A missing file, an include cycle (GNU as
recurses until it runs out of files) and a splice past MAX_STATEMENTS are errors at the directive.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from lab.riscv.asm.diagnostics import Fault

MAX_STATEMENTS: Final = 65_536  # after .rept and .include; a teaching guest is a few hundred


@dataclass(slots=True)
class Source:
    """A file statements come from: the main source, or one that `.include` read."""

    name: str  # as diagnostics show it
    folder: Path  # where its own `.include`s are looked for first
    path: Path | None = None  # resolved, to detect include cycles (None: text not from a file)
    parent: Source | None = None  # the file whose `.include` read this one...
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
class Statement:
    """One statement: its text (labels included) and where it starts."""

    line: int
    col: int  # column of text[0]
    text: str
    src: Source


@dataclass(slots=True)
class Operand:
    """One comma-separated operand, stripped, and the column it starts at."""

    text: str
    col: int


def statements(source: str, src: Source) -> list[Statement]:
    """Split `source` into statements: comments blanked out (columns kept), `;` separates."""
    chars = list(source)
    n = len(chars)
    i = 0
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
    out: list[Statement] = []
    for lineno, text in enumerate("".join(chars).split("\n"), start=1):
        for start, part in split_outside_quotes(text, ";"):
            if part.strip():
                out.append(Statement(lineno, start + 1, part, src))
    return out


def split_outside_quotes(text: str, sep: str) -> list[tuple[int, str]]:
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


def operands(text: str, col: int) -> list[Operand]:
    """The operands in `text` (which starts at column `col`), split at top-level commas."""
    if not text.strip():
        return []
    ops = []
    for start, part in split_outside_quotes(text, ","):
        lead = len(part) - len(part.lstrip())
        ops.append(Operand(part.strip(), col + start + lead))
    return ops


# GNU as string escapes (as manual, "Strings"); \ooo octal and \xhh hex are handled apart.
_ESCAPES: Final = {"n": 10, "t": 9, "r": 13, "b": 8, "f": 12, "v": 11, "\\": 92, '"': 34, "'": 39}


def unescape(body: str, col: int) -> bytes:
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
            raise Fault(col, "string ends with a lone backslash")
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
                raise Fault(col, "\\x used with no following hex digits")
            out.append(int(body[i + 1 : j], 16) & 0xFF)
            i = j
        else:
            out.append(_ESCAPES.get(c, ord(c) & 0xFF))
            i += 1
    return bytes(out)


def quoted(op: Operand) -> str | None:
    """The body of `op` if it is one double-quoted string, else None."""
    text = op.text
    return text[1:-1] if len(text) >= 2 and text[0] == '"' and text[-1] == '"' else None


class StatementStream:
    """The statements pass 1 reads, in order; `.rept` and `.include` splice theirs in.

    Iterating yields each statement once; a splice at the current statement puts its
    statements right after it, so they are read next.
    """

    def __init__(self, stmts: list[Statement]) -> None:
        self.stmts = stmts
        self.pos = 0

    def __iter__(self):
        while self.pos < len(self.stmts):
            yield self.stmts[self.pos]
            self.pos += 1

    def block_end(self, opener: str, closer: str) -> int | None:
        """Where the block the current statement opens ends: the index of its matching `closer`
        (blocks nest; a statement counts by its first word), or None when it is never closed."""
        depth = 0
        for j in range(self.pos + 1, len(self.stmts)):
            words = self.stmts[j].text.split(None, 1)
            word = words[0].lower() if words else ""
            if word == opener:
                depth += 1
            elif word == closer:
                if depth == 0:
                    return j
                depth -= 1
        return None

    def body(self, end: int) -> list[Statement]:
        """The statements between the current one and index `end` (both excluded)."""
        return self.stmts[self.pos + 1 : end]

    def splice(self, end: int, body: list[Statement], count: int, what: str) -> None:
        """Replace the statements after the current one, up to index `end` (excluded), with
        `count` copies of `body`. Past MAX_STATEMENTS the old ones are dropped and nothing is
        put in: a Fault at the current statement."""
        if len(self.stmts) + len(body) * count > MAX_STATEMENTS:
            del self.stmts[self.pos + 1 : end]
            raise Fault(0, f"{what} expands past {MAX_STATEMENTS} statements")
        self.stmts[self.pos + 1 : end] = body * count


def resolved_file(path: Path) -> Path | None:
    """`path` resolved, when it names a readable regular file; else None."""
    try:
        return path.resolve() if path.is_file() else None
    except (OSError, ValueError, RuntimeError):  # no such file, a NUL in the name, a symlink loop
        return None


class IncludeReader:
    """Finds and reads the files `.include` names; remembers every file it read.

    `read` maps each included file's resolved path to the bytes read: what a cache of
    assembled programs must check (see lab.riscv.program). A file included twice is read once.
    """

    def __init__(self, include_dirs: tuple[Path, ...]) -> None:
        self.include_dirs = include_dirs
        self.texts: dict[Path, str] = {}
        self.read: dict[str, bytes] = {}

    def statements(self, name: str, col: int, at: Statement) -> list[Statement]:
        """The statements of file `name`, included by statement `at` (`col`: the name's column)."""
        folders = list(dict.fromkeys([at.src.folder, *self.include_dirs]))
        found = next((f / name for f in folders if resolved_file(f / name) is not None), None)
        if found is None:
            where = ", ".join(str(f) for f in folders)
            raise Fault(col, f"cannot find '{name}' to include (looked in {where})")
        real = resolved_file(found)
        assert real is not None
        cycle = [found.as_posix()]
        src: Source | None = at.src
        while src is not None:
            cycle.append(src.name)
            if src.path == real:
                raise Fault(col, "include cycle: " + " -> ".join(reversed(cycle)))
            src = src.parent
        text = self.texts.get(real)
        if text is None:
            try:
                data = real.read_bytes()
                text = data.decode("utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise Fault(col, f"cannot read '{found}': {exc}") from None
            self.texts[real] = text
            self.read[str(real)] = data
        return statements(text, Source(found.as_posix(), found.parent, real, at.src, at.line))
