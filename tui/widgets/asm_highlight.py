"""RISC-V assembly highlighting for the editor, through Textual's documented hook.

    area = TextArea.code_editor(source)
    if register_assembly(area):
        area.language = ASSEMBLY_LANGUAGE

Textual highlights a TextArea with a tree-sitter grammar and a highlight query
(`TextArea.register_language`). GNU as has no grammar of its own on PyPI; the
`tree-sitter-riscv` package parses RISC-V assembly in the GNU syntax the lab's
assembler reads. The query below is ours: it names what a student should tell
apart (mnemonics, directives, registers, labels, numbers, strings, comments)
with the capture names Textual's themes colour. Without the packages (the `tui`
extra installs them) the editor shows plain text and works the same.
"""

from __future__ import annotations

from typing import Final

from textual.widgets import TextArea

ASSEMBLY_LANGUAGE: Final = "riscv-asm"

HIGHLIGHTS: Final = """
(comment) @comment
(instruction_mnemonic) @function
[
  (control_mnemonic)
  (integer_mnemonic)
  (string_mnemonic)
  (float_mnemonic)
  (macro_mnemonic)
] @keyword
(register) @type.builtin
[
  (label)
  (numeric_label)
  (numeric_label_reference)
] @class
(symbol) @variable
[
  (octal)
  (binary)
  (decimal)
  (hexadecimal)
  (float)
] @number
[
  (string)
  (char)
] @string
"""


def register_assembly(area: TextArea) -> bool:
    """Teach `area` the language ASSEMBLY_LANGUAGE; False when tree-sitter or the grammar is missing."""
    try:
        import tree_sitter_riscv
        from tree_sitter import Language
    except ImportError:
        return False
    area.register_language(ASSEMBLY_LANGUAGE, Language(tree_sitter_riscv.language()), HIGHLIGHTS)
    return ASSEMBLY_LANGUAGE in area.available_languages
