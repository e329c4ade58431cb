/* Every directive hvlab's assembler supports, in every section kind.
   Block comments may span lines. */
	.file "directives.S"
	.option norvc
	.option norelax
	.attribute arch, "rv32i2p1_m2p0"
	.text
	.globl _start
	.type _start, @function
_start:	la a0, table; lw a1, 0(a0)   # two statements on one line
	la a2, counter
	sw a1, 0(a2)
	.size _start, . - _start
	.byte 1
	.align 3			# code alignment: a zero byte, a c.nop, then nops
	nop
	.byte 2, 3
	.balign 4			# no effect in code without the C extension
	.half 0x1234
	.p2align 4
	.balign 8, 0xcc
	.word 0xdeadbeef
	.balign 16, 0, 3		# would skip more than 3 bytes: nothing
	.byte 0xff
	.align 2

	.section .rodata
	.type table, @object
table:	.word 1, 2, 3, -1, 0xffffffff, -0x80000000
	.half -1, 0xffff, 42
	.short 7
	.2byte 8
	.4byte 9
	.long 10
	.int 11
	.dword 0x0123456789abcdef
	.8byte -2
	.quad 3
	.byte 'a', '\n', '\\', '\'', 0x80, -128, 255
str:	.ascii "abc", "d\te\"f"
	.asciz "zero terminated"
	.string "also", "two"
	.ascii "\101\x42\103\0\a\b\f\v\r"
	.space 3
	.space 2, 0x55
	.skip 1
	.zero 5
	.fill 3, 2, 0x1234
	.fill 2, 4, -1
	.fill 2, 8, 0x11223344
	.fill 1
	.ident "hvlab"

	.data
	.align 2
counter: .word 0
	.byte 1
	.balign 4
	.word str - table, . - counter
	.p2align 3
	.half 5
	.align 4, 0xee
	.byte 6
	.rept 3
	.word 0x77, counter
	.endr
	.rept 2
	.rept 2
	.byte 9
	.endr
	.endr
	.section .data.extra
	.byte 0x42
	.section .text.tail
tail:	ret

	.bss
	.align 3
buffer:	.space 64
	.zero 8
	.section .bss.more
more:	.space 4
	.end
	this line is after .end and is never read
