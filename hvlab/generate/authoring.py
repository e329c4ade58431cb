"""Keeps the authoring guide's reference table in step with the lesson vocabulary's registry.

    python3 -m hvlab.generate             # rewrites it (with every other committed generated file)
    python3 -m hvlab.generate --check     # exit 1 if any is out of date

The table sits between `<!-- registry:start -->` and `<!-- registry:end -->`;
everything else in the guide is written by hand.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

from hvlab.generate.pages import vocabulary_reference

GUIDE: Final = Path(__file__).resolve().parents[2] / "docs" / "authoring.md"
START: Final = "<!-- registry:start -->\n"
END: Final = "<!-- registry:end -->"


def updated(text: str) -> str:
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        raise ValueError(f"the guide lacks the markers {START.strip()} ... {END}")
    return pattern.sub(lambda _: START + vocabulary_reference() + END, text)


def guide() -> str:
    """docs/authoring.md as it should be: the hand-written text around the generated table."""
    return updated(GUIDE.read_text(encoding="utf-8"))
