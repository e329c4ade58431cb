"""Reading the files hvlab loads: size, text, TOML and JSON, refused in one way.

Every loader (scenarios, lessons, progress, programs) reads its file through
here, so a file that is not what it claims is refused the same way wherever it
turns up: too big, not UTF-8, TOML or JSON that does not parse, nests too deep
or holds a number thousands of digits long. A refusal is a `FileFormatError`
with the file, the line (when there is one) and the rule broken; each loader
turns it into its own error type, so its callers catch one type.

    text = read_text(path, limit=MAX_TEXT_BYTES)     # FileFormatError
    data = parse_toml(text, path=path)               # a dict, at most MAX_DEPTH deep

The limits, each the same for every file:

    MAX_TEXT_BYTES   1 MiB     a scenario, a lesson or a progress file (the course's
                               largest is under 20 KiB)
    MAX_DEPTH        32        tables or arrays inside one another (the formats use
                               at most 5; Python's own parsers give up near 1000)
    MAX_DIGITS       30        digits of a JSON integer (a timestamp has 10)

`shown(value)` says what a value is in plain words ("a string ('abc')",
"an integer (5)", "a table") and never prints more than a few dozen characters,
however large or deep the value: loaders use it in their messages.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any, Final

MAX_TEXT_BYTES: Final = 1 << 20
MAX_DEPTH: Final = 32
MAX_DIGITS: Final = 30
SHOWN_CHARS: Final = 40  # of a string in a message


class FileFormatError(ValueError):
    """A file that cannot be read as what it should be: its path, line (or None) and the rule."""

    def __init__(self, path: str | Path, line: int | None, rule: str) -> None:
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {rule}")
        self.path = str(path)
        self.line = line
        self.rule = rule


def read_bytes(path: str | Path, *, limit: int) -> bytes:
    """The file's bytes; a file longer than `limit` bytes is refused without reading it all
    (a FIFO or /dev/zero included). A missing file raises FileNotFoundError, which a
    loader may take as "nothing yet"; any other failure is a FileFormatError."""
    try:
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    except FileNotFoundError:
        raise
    except IsADirectoryError:
        raise FileFormatError(path, None, "is a folder, not a file") from None
    except NotADirectoryError:
        blocker = next((p for p in Path(path).parents if p.exists() and not p.is_dir()), None)
        rule = f"cannot read: {blocker} is a file, not a folder" if blocker else "cannot read: not a folder"
        raise FileFormatError(path, None, rule) from None
    except OSError as exc:
        raise FileFormatError(path, None, f"cannot read: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise FileFormatError(path, None, f"is larger than the limit of {size_words(limit)}")
    return data


def read_text(path: str | Path, *, limit: int = MAX_TEXT_BYTES) -> str:
    """The file as UTF-8 text (a leading byte-order mark dropped); see `read_bytes`."""
    return decode(read_bytes(path, limit=limit), path=path)


def decode(data: bytes, *, path: str | Path) -> str:
    """UTF-8 bytes as text; the error names the line of the first byte that is not UTF-8."""
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        byte = data[exc.start]
        raise FileFormatError(
            path, line, f"is not UTF-8 text (byte {byte:#04x} starts no character)"
        ) from None


_TOML_AT: Final = re.compile(r"\s*\(at line (\d+), column \d+\)")
_TOML_END: Final = re.compile(r"\s*\(at end of document\)")
_TOML_KEY: Final = re.compile(r"\s*([A-Za-z0-9_.-]+|\"[^\"]*\")\s*=")
# tomllib's messages in plain words (the rest are passed on as tomllib words them).
_TOML_WORDS: Final = (
    ("Invalid value", 'a value TOML cannot read: text needs quotes ("..."), a list brackets ([...])'),
    ("Expected newline or end of document", "more after the value on the same line: one key = value a line"),
    ("Expected '=' after a key", "a key without a value: write key = value"),
    ("Unterminated string", "a string left open: close it with the quote it opened with"),
    ("Unclosed array", "a list left open: close it with ]"),
    ("Unclosed inline table", "an inline table left open: close it with }"),
    ("Invalid statement", "a line that is neither key = value nor a [table] heading"),
    ("Invalid initial character for a key", "a key starts with a letter, a digit, _ or - (or is quoted)"),
    ("Expected ']' at the end of a table declaration", "a [table] heading left open: close it with ]"),
    ("Illegal character '\\n'", "a string left open: close it with the quote it opened with"),
    ("Illegal character", "a control character, which TOML text may not hold"),
    ("Invalid date or datetime", "a date or time TOML cannot read (write it as 2024-05-01 or quote it)"),
)


def _toml_problem(text: str, message: str, first_line: int) -> tuple[int | None, str]:
    """tomllib's message -> (the file's line, or None, what is wrong in plain words); the text
    starts on the file's line `first_line`."""
    m = _TOML_AT.search(message)
    line = int(m.group(1)) + first_line - 1 if m else None
    bare = _TOML_END.sub("", _TOML_AT.sub("", message))
    if bare.startswith(("Cannot overwrite a value", "Cannot declare", "Duplicate inline table key")):
        seen: dict[str, int] = {}  # keys of the current table
        for n, row in enumerate(text.splitlines(), first_line):
            if row.lstrip().startswith("["):
                seen = {}
            key = _TOML_KEY.match(row)
            if key:
                name = key.group(1).strip('"')
                if name in seen:
                    return n, f"{name} is set twice (first on line {seen[name]}): give each key once"
                seen[name] = n
        return line, "a key or table set twice: give each key once"
    if line is None and _TOML_END.search(message):
        line = len(text.rstrip().splitlines()) + first_line - 1  # the document's last line
    words = next((plain for start, plain in _TOML_WORDS if bare.startswith(start)), bare)
    return line, words


_LONG_NUMBER: Final = re.compile(r"\d[\d_]{4299,}")


def parse_toml(text: str, *, path: str | Path, first_line: int = 1) -> dict[str, Any]:
    """TOML text as a dict. `first_line` is the file's line the text starts on (a lesson's
    front matter starts on line 2), so an error points at the file's own line."""
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise FileFormatError(path, None, f"nests tables or arrays deeper than {MAX_DEPTH} levels") from None
    except tomllib.TOMLDecodeError as exc:
        line, words = _toml_problem(text, str(exc), first_line)
        raise FileFormatError(path, line, f"is not valid TOML: {words}") from None
    except ValueError:  # tomllib's int() of a number past Python's digit limit
        m = _LONG_NUMBER.search(text)
        line = text.count("\n", 0, m.start()) + first_line if m else None
        raise FileFormatError(path, line, "holds a number thousands of digits long") from None
    check_depth(data, path=path)
    return data


def parse_json(text: str, *, path: str | Path) -> Any:
    """JSON text as Python values: integers of at most MAX_DIGITS digits, no NaN or Infinity."""

    def integer(s: str) -> int:
        if len(s.lstrip("-")) > MAX_DIGITS:
            raise _Refused(f"holds an integer of {len(s.lstrip('-'))} digits (at most {MAX_DIGITS})")
        return int(s)

    def constant(s: str) -> Any:
        raise _Refused(f"holds {s}, which is not a JSON number")

    try:
        data = json.loads(text, parse_int=integer, parse_constant=constant)
    except _Refused as exc:
        raise FileFormatError(path, None, str(exc)) from None
    except RecursionError:
        raise FileFormatError(path, None, f"nests objects or arrays deeper than {MAX_DEPTH} levels") from None
    except json.JSONDecodeError as exc:
        raise FileFormatError(path, exc.lineno, f"is not JSON: {exc.msg} (column {exc.colno})") from None
    check_depth(data, path=path)
    return data


class _Refused(Exception):
    """Raised from inside json.loads by a hook; becomes a FileFormatError."""


def check_depth(data: Any, *, path: str | Path) -> None:
    """FileFormatError if tables/objects or arrays nest more than MAX_DEPTH levels (no recursion)."""
    stack = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth >= MAX_DEPTH:
                raise FileFormatError(path, None, f"nests tables or arrays deeper than {MAX_DEPTH} levels")
            children = value.values() if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in children)


def shown(value: Any) -> str:
    """A value in plain words, short: for messages that say what was found instead."""
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int):
        if abs(value) < 10**SHOWN_CHARS:
            return f"an integer ({value})"
        try:
            return f"an integer of {len(str(abs(value)))} digits"
        except ValueError:  # past Python's digit limit for int -> str
            return "an integer of thousands of digits"
    if isinstance(value, float):
        return f"a float ({value:g})"
    if isinstance(value, str):
        return f"a string ({text_shown(value)})"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array" if value else "an empty array"
    return f"a {type(value).__name__.replace('_', ' ')}"  # TOML's dates and times


def text_shown(text: str) -> str:
    """A string quoted for a message, cut to SHOWN_CHARS characters."""
    cut = text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 3] + "..."
    return repr(cut)  # one line: control characters and lone surrogates come out escaped


def cut(text: str, limit: int = 300) -> str:
    """A message relayed from elsewhere, on one line and at most `limit` characters: the
    start (the file and the place) and the end kept, the middle (an echoed token) cut."""
    text = " ".join(text.splitlines())
    if len(text) <= limit:
        return text
    keep = limit - 5
    return f"{text[: keep * 2 // 3]} ... {text[-(keep - keep * 2 // 3) :]}"


def size_words(n: int) -> str:
    """Bytes as a person writes them: 4 KiB, 256 MiB, 1.5 GiB, 700 bytes."""
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift:
            value = n / (1 << shift)
            return f"{value:g} {unit}" if value == int(value) or value >= 100 else f"{value:.1f} {unit}"
    return f"{n} bytes"
