"""The editor's RISC-V highlighting: our query against the tree-sitter-riscv grammar."""

from __future__ import annotations

import pytest

tree_sitter = pytest.importorskip("tree_sitter")
riscv = pytest.importorskip("tree_sitter_riscv")

from tui.widgets.asm_highlight import HIGHLIGHTS  # noqa: E402
from tui.widgets.editor import TEMPLATE  # noqa: E402


def captures(source: str) -> dict[str, set[str]]:
    """Capture name -> the texts it covers, as Textual's TextArea asks the tree."""
    language = tree_sitter.Language(riscv.language())
    tree = tree_sitter.Parser(language).parse(source.encode())
    found = tree_sitter.QueryCursor(tree_sitter.Query(language, HIGHLIGHTS)).captures(tree.root_node)
    return {name: {node.text.decode().strip() for node in nodes} for name, nodes in found.items()}


def test_the_editors_example_is_highlighted_as_risc_v_assembly():
    seen = captures(TEMPLATE)
    assert {"la", "lbu", "beqz", "li", "ecall", "wfi"} <= seen["function"]  # instructions
    assert {".include", ".text", ".data", ".asciz"} <= seen["keyword"]  # directives
    assert {"s0", "a0", "a6", "a7"} <= seen["type.builtin"]  # registers
    assert {"_start:", "greeting:", "1:", "2:"} <= seen["class"]  # labels
    assert {"0", "1"} <= seen["number"]
    assert {"EID_DBCN", "DBCN_CONSOLE_WRITE_BYTE"} <= seen["variable"]  # lib/sbi.S's names
    assert {'"hello from the editor\\n"', '"lib/sbi.S"'} <= seen["string"]
    assert any(c.startswith("# A guest program") for c in seen["comment"])
