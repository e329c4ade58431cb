"""The page's side of the contract, read from its sources: every Session method it calls is one
the bridge lets it call, and every word it shows is a uitext message in every language."""

from __future__ import annotations

import re
from pathlib import Path

from uitext import LANGUAGES, REFERENCE, messages
from web.bridge import METHODS

SRC = Path(__file__).resolve().parents[2] / "web" / "src"


def sources(*, worker: bool = True) -> str:
    """The page's JavaScript (with or without the worker, which names Python modules, not words)."""
    files = sorted(p for p in SRC.rglob("*.js") if worker or p.name != "worker.js")
    return "\n".join(p.read_text(encoding="utf-8") for p in files)


def test_the_page_calls_only_methods_the_bridge_exposes():
    called = set(re.findall(r"""\bcall\(\s*["']([a-z_]+)["']""", sources()))
    assert called, "no calls found: the pattern no longer matches the page's sources"
    assert called - METHODS == set(), "the page calls methods the bridge refuses"


def test_every_word_the_page_names_is_in_uitext():
    text = sources(worker=False)
    # Every id passed to t() and every "web." id quoted anywhere (a table of column heads, say).
    named = set(re.findall(r"""\bt\(\s*["']([\w.]+)["']""", text))
    named |= set(re.findall(r"""["'](web\.[a-z_]+)["']""", text))
    # Ids put together at run time (`web.state_${state}`): each variant the code can make.
    for prefix, values in (("web.confirm_", ("destroy", "reboot")), ("web.state_", ("waiting", "paused"))):
        assert f"t(`{prefix}${{" in text
        named |= {prefix + v for v in values}
    for lang in LANGUAGES:
        missing = named - set(messages(lang))
        assert missing == set(), f"{lang}.toml lacks what the page names"
    web_words = {k for k in messages(REFERENCE) if k.startswith("web.")}
    unused = {k for k in web_words - named if not k.startswith(("web.state_", "web.confirm_"))}
    assert unused == set(), "in uitext but used nowhere in web/src"
