"""RV32IM assembler (GNU as syntax) producing a flat image.

    from lab.riscv.asm import assemble, assemble_file, AsmError, Diagnostic, Image

    image = assemble(source, filename="prog.S")        # -> Image(base, data, symbols, entry, lines)
    image = assemble_file("lab/guests/bank.S", include_dirs=["extra"])  # .include: its folder, then these
    except AsmError as exc: exc.diagnostics             # every error: file, line, col, include chain

The output is byte-identical to GNU binutils for every input this package accepts:

    riscv64-unknown-elf-as -march=rv32im_zicsr -mabi=ilp32 -mno-relax -o prog.o prog.S
    riscv64-unknown-elf-ld -m elf32lriscv --no-relax -T tests/asm_corpus/link.ld -o prog.elf prog.o
    riscv64-unknown-elf-objcopy -O binary prog.elf prog.bin

GNU as looks for an `.include`d file in the current directory, then in its `-I` dirs, never next to
the including file as we do first: so a program assembles to the same bytes with
`riscv64-unknown-elf-as -I DIR ...`, DIR being the folder of each file that has an `.include`, as
long as no name is found in two of those folders or in the current directory (the guests:
`-I lab/guests`, see lab/guests/lib/). Accepted beyond GNU as: `//` comments, and `_start` as the
entry without `.globl`. Where GNU as would accept a mistake we report it instead; each module says
which.

The pipeline, one module each, in the order a statement meets them:

    source.py        text -> statements; .include and .rept splice into the statement stream
    expr.py          the expression language: parser and evaluator (GNU as precedence, 64-bit)
    symbols.py       labels, numeric local labels, .equ constants; resolution in two passes
    directives.py    the directive table: .word, .section, .align, .rept, .include, ...
    pseudo.py        the pseudo-instruction table: li, la, call, mv, beqz, ...
    instructions.py  real instructions from lab.riscv.isa: operands in, words out (pass 2)
    layout.py        sections, alignment and the link that gives each its address
    assembler.py     the two passes over them; `assemble` and `assemble_file`
    diagnostics.py   Diagnostic, AsmError, and the Fault a statement raises

The disassembler is lab.riscv.disasm; both take their encodings from lab.riscv.isa.
"""

from lab.riscv.asm.assembler import DEFAULT_BASE, Image, assemble, assemble_file
from lab.riscv.asm.diagnostics import AsmError, Diagnostic
from lab.riscv.asm.directives import DIRECTIVES, Directive
from lab.riscv.asm.pseudo import PSEUDOS, Pseudo

__all__ = [
    "DEFAULT_BASE",
    "DIRECTIVES",
    "PSEUDOS",
    "AsmError",
    "Diagnostic",
    "Directive",
    "Image",
    "Pseudo",
    "assemble",
    "assemble_file",
]
