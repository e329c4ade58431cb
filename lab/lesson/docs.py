"""Keeps the authoring guide's reference table in step with the registry.

    python3 -m lab.lesson.docs            # rewrite the table in docs/authoring.md
    python3 -m lab.lesson.docs --check    # exit 1 if it is out of date

The table sits between `<!-- registry:start -->` and `<!-- registry:end -->`;
everything else in the guide is written by hand.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Final

from lab.lesson.registry import reference_markdown

GUIDE: Final = Path(__file__).resolve().parents[2] / "docs" / "authoring.md"
START: Final = "<!-- registry:start -->\n"
END: Final = "<!-- registry:end -->"


def updated(text: str) -> str:
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        raise ValueError(f"the guide lacks the markers {START.strip()} ... {END}")
    return pattern.sub(lambda _: START + reference_markdown() + END, text)


def main(argv: list[str]) -> int:
    text = GUIDE.read_text(encoding="utf-8")
    new = updated(text)
    if "--check" in argv:
        if new != text:
            print(f"{GUIDE} is out of date: run python3 -m lab.lesson.docs", file=sys.stderr)
            return 1
        return 0
    GUIDE.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
