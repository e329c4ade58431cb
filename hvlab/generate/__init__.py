"""Everything hvlab writes from its own tables, in one place: never edit the outputs by hand.

    python3 -m hvlab.generate            # rewrite every committed generated file that is stale
    python3 -m hvlab.generate --check    # exit 1 (naming them) if any is stale; a test runs this

Committed, because guests and instructors read them without running anything:

    lab/guests/lib/sbi.S, lib/machine.S   guest_headers   the hypercall table, the machine's layout
    tests/c/runtime/sbi.h                 guest_headers   the same for C guests
    docs/authoring.md (its vocabulary)    authoring       the lesson checks and actions

Written at every docs build (docs/hooks.py), never committed: the reference pages of
`pages` (hypercalls, policy, scenarios, guests, trace, assembler, vocabulary, detection rules,
front-end protocol).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Final

from hvlab.generate import authoring, guest_headers
from hvlab.generate.guest_headers import COMMAND

ROOT: Final = Path(__file__).resolve().parents[2]


def outputs() -> dict[Path, Callable[[], str]]:
    """Each committed generated file, with the function that writes its text."""
    return {**guest_headers.OUTPUTS, authoring.GUIDE: authoring.guide}


def main(argv: list[str], *, files: dict[Path, Callable[[], str]] | None = None) -> int:
    check = "--check" in argv
    stale = []
    for path, render in (files or outputs()).items():
        text = render()
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        if check:
            stale.append(path)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {_shown(path)}")
    for path in stale:
        print(f"{_shown(path)} is out of date: run {COMMAND}", file=sys.stderr)
    return 1 if stale else 0


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
