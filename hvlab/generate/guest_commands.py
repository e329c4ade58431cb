"""The guests' commands, read out of their command tables in the assembled programs.

    commands(GUESTS_DIR / "monitor.S")   # -> [GuestCommand(name="help", args="[COMMAND]", ...), ...]
    guests()                             # every course guest: its file, its header's summary, commands

A console guest (the monitor, the bank) runs lib/shell.S: its commands are one table,
`commands`, whose entries lib/shell.S lays out with its `.equ CMD_...` offsets. `help`
prints that table in the guest; this module reads the very same bytes from the program
the assembler makes of the source, so the docs' guest reference (docs/reference/guests.md)
shows what the guest runs, never a copy. Each entry is checked on the way: its routine
must be the label `cmd_<name>`, so a table laid out differently than this module reads
it fails loudly instead of writing nonsense.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from lab.riscv.asm import assemble_file
from lab.riscv.program import GUESTS_DIR, INCLUDE_DIRS

SHELL: Final = GUESTS_DIR / "lib" / "shell.S"
FIELDS: Final = ("NAME", "RUN", "MIN", "MAX", "ARGS", "HELP", "NOTES")  # lib/shell.S's CMD_<field>
MAX_STRING: Final = 4096


@dataclass(frozen=True, slots=True)
class GuestCommand:
    """One entry of a guest's command table."""

    name: str
    min_args: int
    max_args: int
    args: str  # the arguments' shape, as help shows them ("" : none)
    help: str  # what it does, one line
    notes: str  # more, as `help NAME` prints it ("" : none)

    @property
    def usage(self) -> str:
        return f"{self.name} {self.args}".rstrip()


@dataclass(frozen=True, slots=True)
class Guest:
    """A course guest program: its file, what its header says it is, its commands (if a shell)."""

    path: Path
    summary: str
    commands: tuple[GuestCommand, ...]


def layout(shell: Path = SHELL) -> dict[str, int]:
    """lib/shell.S's entry layout: field -> byte offset, and SIZE."""
    equs = dict(re.findall(r"^\s*\.equ\s+CMD_(\w+),\s*(\d+)", shell.read_text(encoding="utf-8"), re.M))
    missing = [f for f in (*FIELDS, "SIZE") if f not in equs]
    if missing:
        raise ValueError(f"{shell}: no .equ CMD_{missing[0]}: the command table's layout changed")
    return {name: int(value) for name, value in equs.items()}


def commands(source: Path) -> list[GuestCommand]:
    """The command table of a guest program, as its assembled image holds it ([] : none)."""
    image = assemble_file(source, include_dirs=list(INCLUDE_DIRS))
    if "commands" not in image.symbols:
        return []
    at = layout()
    data, base = image.data, image.base

    def word(addr: int) -> int:
        return struct.unpack_from("<I", data, addr - base)[0]

    def string(addr: int) -> str:
        start = addr - base
        end = data.index(b"\0", start, start + MAX_STRING)
        return data[start:end].decode("ascii")

    out = []
    entry = image.symbols["commands"]
    while name_at := word(entry + at["NAME"]):
        name = string(name_at)
        routine = word(entry + at["RUN"])
        if image.symbols.get(f"cmd_{name}") != routine:
            raise ValueError(f"{source.name}: the table's entry {name!r} does not run cmd_{name}")
        out.append(
            GuestCommand(
                name=name,
                min_args=word(entry + at["MIN"]),
                max_args=word(entry + at["MAX"]),
                args=string(word(entry + at["ARGS"])),
                help=string(word(entry + at["HELP"])),
                notes=string(word(entry + at["NOTES"])),
            )
        )
        entry += at["SIZE"]
    return out


def routines(source: Path) -> list[str]:
    """Every command routine (a `cmd_NAME` label) the program has, by command name."""
    image = assemble_file(source, include_dirs=list(INCLUDE_DIRS))
    return sorted(name.removeprefix("cmd_") for name in image.symbols if name.startswith("cmd_"))


def summary(source: Path) -> str:
    """The header's first paragraph without the file's name: `# name.S -- what it is` -> `what it is`."""
    lines = []
    for line in source.read_text(encoding="utf-8").splitlines():
        text = line.removeprefix("#").strip()
        if not line.startswith("#") or not text:
            break
        lines.append(text)
    match = re.match(r"\S+\.S\s+-{1,2}\s+(.*)", " ".join(lines))
    return match.group(1) if match else ""


def guests(folder: Path = GUESTS_DIR) -> list[Guest]:
    """The course's guest programs (lab/guests/*.S), each with its commands."""
    return [Guest(p, summary(p), tuple(commands(p))) for p in sorted(folder.glob("*.S"))]
