"""Inline Markdown as Rich text: a policy switch's description, a quiz's choice, a check's words.

    inline("`hypercall.authorize` is **on**")   # Text: the code styled, the stars gone

The engine's texts are Markdown (the same text the page renders as HTML); a label or a
one-line widget shows them through this, so a student never sees raw backticks. Links
keep their text; raw HTML is text.
"""

from __future__ import annotations

from typing import Final

from markdown_it import MarkdownIt
from rich.style import Style
from rich.text import Text

_MD: Final = MarkdownIt("commonmark", {"html": False})
CODE: Final = Style(bold=True, color="cyan")
STYLES: Final = {"strong": Style(bold=True), "em": Style(italic=True), "link": Style(underline=True)}


def inline(markdown: str) -> Text:
    """One paragraph of Markdown (a line break is a space) as styled text."""
    out = Text()
    for block in _MD.parseInline(markdown.strip()):
        open_styles: list[Style] = []
        for tok in block.children or ():
            if tok.type.endswith("_open") and tok.type[:-5] in STYLES:
                open_styles.append(STYLES[tok.type[:-5]])
            elif tok.type.endswith("_close") and tok.type[:-6] in STYLES and open_styles:
                open_styles.pop()
            elif tok.type == "code_inline":
                out.append(tok.content, Style.combine([*open_styles, CODE]))
            elif tok.type in ("softbreak", "hardbreak"):
                out.append(" ")
            elif tok.type == "text":
                out.append(tok.content, Style.combine(open_styles) if open_styles else None)
    return out
