"""The TUI's words live in lab.i18n: every `tui.` key the code names exists there, in
English and German, and every `tui.` key there is used (no stale chrome)."""

from __future__ import annotations

import re
from pathlib import Path

from lab.i18n import _TEXT

TUI = Path(__file__).resolve().parents[2] / "tui"


def test_every_tui_word_is_in_lab_i18n_and_used():
    source = "\n".join(p.read_text(encoding="utf-8") for p in TUI.rglob("*.py"))
    named = set(re.findall(r"[\"'](tui\.[a-z_]+)[\"']", source))
    known = {key for key in _TEXT if key.startswith("tui.")}
    assert named - known == set(), "named in tui/ but missing from lab.i18n"
    assert known - named == set(), "in lab.i18n but used nowhere in tui/"
