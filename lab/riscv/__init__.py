"""The RISC-V toolchain, the bottom layer: what a guest program is, before any VM runs it.

    isa.py        the RV32IM instruction table: encodings, operand shapes, decode/encode
    asm/          the assembler (GNU as syntax), from isa's table
    disasm.py     the disassembler (objdump's spelling), from the same table
    elf.py        the one ELF32 reader
    program.py    loading a program: assembly, an ELF executable or a flat image

Nothing here knows about VMs or the hypervisor; everything above uses it.
"""
