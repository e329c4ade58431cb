"""The TUI's words live in uitext: every `tui.` message the code names exists there, in
every language, and every `tui.` message there is used (no stale chrome)."""

from __future__ import annotations

import re
from pathlib import Path

from uitext import REFERENCE, messages

TUI = Path(__file__).resolve().parents[2] / "tui"


def test_every_tui_word_is_in_uitext_and_used():
    source = "\n".join(p.read_text(encoding="utf-8") for p in TUI.rglob("*.py"))
    named = set(re.findall(r"[\"'](tui\.[a-z_]+)[\"']", source))
    known = {key for key in messages(REFERENCE) if key.startswith("tui.")}
    assert named - known == set(), "named in tui/ but missing from uitext"
    assert known - named == set(), "in uitext but used nowhere in tui/"
