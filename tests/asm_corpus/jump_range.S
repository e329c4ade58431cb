# The edges of the jal (+-1 MiB) and branch (+-4 KiB) ranges.
	.globl _start
_start:
	jal far
	beq a0, a1, near
	.space 4084
near:	bne a0, a1, _start + 4
	.space 1048568 - 4092
far:	jal _start
	j _start + 4
