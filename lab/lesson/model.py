"""What a parsed lesson is: front matter, steps, and the directive lines inside them.

    lesson = parse_lesson("lessons/03-control-api.md")     # lab.lesson.parser
    for step in lesson.steps:
        step.checks      # predicates that must all hold (the `check` block)
        step.legit       # legitimate use that must still work after hardening (`legit`)
        step.solution    # actions that make the checks pass (`solution`)
        step.harden      # actions that fix the weakness this step exploits (`harden`)
        step.hints       # Markdown shown on request, one per `hint` block

Every directive line is a `Call`: a registered name (lab.lesson.registry) and
its checked arguments, with the file and line it came from, so any later
failure can still point the instructor at the line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class LessonError(Exception):
    """A lesson that cannot be used; the message is `file:line: what was expected`."""

    def __init__(self, path: str | Path, line: int | None, message: str) -> None:
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {message}")
        self.path = str(path)
        self.line = line
        self.message = message


@dataclass(frozen=True, slots=True)
class Call:
    """One directive line: `name arg arg key=value ...`."""

    name: str
    args: dict[str, Any]
    text: str  # the line as written (what a UI shows)
    path: str
    line: int

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    def key(self) -> tuple[str, tuple[tuple[str, str], ...]]:
        """What must match between translations: the name and the arguments."""
        return self.name, tuple(sorted((k, repr(v)) for k, v in self.args.items()))


@dataclass(slots=True)
class Step:
    index: int  # 0-based
    title: str
    line: int
    html: str = ""  # the prose, rendered, without the directive blocks
    markdown: str = ""  # the prose as written (for Textual's Markdown widget)
    checks: list[Call] = field(default_factory=list)
    legit: list[Call] = field(default_factory=list)
    solution: list[Call] = field(default_factory=list)
    harden: list[Call] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)

    @property
    def is_attack(self) -> bool:
        """An attack step names its fix: the validator replays it hardened and expects it to fail."""
        return bool(self.harden)

    @property
    def all_checks(self) -> list[Call]:
        return self.checks + self.legit


@dataclass(slots=True)
class Lesson:
    path: Path
    id: str
    title: str
    scenario: Path
    lang: str
    summary: str
    minutes: int
    requires: list[str]
    incident: str
    vm_names: list[str]
    mgmt_password: str | None = None  # the scenario's, as written (variants.mgmt_password varies it)
    secrets: dict[str, str] = field(default_factory=dict)  # VM -> its secret as written (variants.variant)
    variant_vms: list[str] = field(default_factory=list)  # VMs with a variant word (variants.variant_word)
    intro_html: str = ""
    intro_markdown: str = ""
    steps: list[Step] = field(default_factory=list)

    @property
    def directory(self) -> Path:
        return self.path.parent
