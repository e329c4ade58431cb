# Labels, numeric local labels, constant expressions, %hi/%lo, %pcrel_hi/%pcrel_lo and '.'.
	.equ UART, 0x10000000
	.set LSR, 5
	SIZE = 64
	.set COUNT, 3
	.set COUNT, COUNT + 1		# .set may redefine
	.globl _start
_start:
	lui a0, %hi(UART)
	addi a0, a0, %lo(UART)
	lbu a1, LSR(a0)
	lui t0, %hi(data_word)
	lw t1, %lo(data_word)(t0)
	sw t1, %lo(data_word + 4)(t0)
	addi t2, t0, %lo(data_word)
	lui t3, %hi(0x12345fff)
	jalr ra, %lo(func)(t0)
.Lpc:	auipc a2, %pcrel_hi(data_word)
	lw a3, %pcrel_lo(.Lpc)(a2)
	sw a3, %pcrel_lo(.Lpc)(a2)
2:	auipc a4, %pcrel_hi(func)
	addi a4, a4, %pcrel_lo(2b)
	li a0, 1 + 2 * 3		# 7
	li a0, (1 + 2) * 3		# 9
	li a0, 1 << 4 + 1		# GNU precedence: (1 << 4) + 1
	li a0, 6 | 1 + 8		# GNU precedence: (6 | 1) + 8
	li a0, -7 / 2			# truncates toward zero: -3
	li a0, -7 % 2			# -1
	li a0, 0x10 >> 2
	li a0, ~0x0f & 0xff
	li a0, 5 ^ 3
	li a0, 5 ! 0			# or-not
	li a0, 3 == 3			# true is -1
	li a0, 3 != 3
	li a0, 2 < 3
	li a0, 2 > 3
	li a0, 2 <= 2
	li a0, 2 >= 3
	li a0, 3 <> 4
	li a0, 1 && 2
	li a0, 0 || 0
	li a0, !5
	li a0, -(-5)
	li a0, +5
	li a0, 017			# octal
	li a0, 0b1111
	li a0, 0X1F
	li a0, 'z' - 'a'
	li a0, '\n'
	li a0, SIZE * COUNT
	li a0, (1 << 31) - 1
	li a0, -(1 << 31)
	li a0, 0xffffffff & ~(SIZE - 1)
1:	addi a0, a0, -1
	bnez a0, 1b
	beqz a0, 1f
	j 1f
1:	j 2f
2:	j 1b
	beq a0, a0, . + 8
	bne a0, a0, . - 4
	jal . + 12
	nop; nop; nop
func:	ret
	.word 1b, 2b, func - _start, . - _start, _start + 16
	.data
data_word:
	.word 0x11111111, 0x22222222
	.word (end - data_word) / 4
	.word SIZE, COUNT, LSR, UART
	.byte . - data_word
here = .
	.word here - data_word
	.word _start, func, data_word
end:
