# Every pseudo-instruction hvlab supports, expanded exactly as GNU as expands it.
	.globl _start
	.equ CONST, 0x1234
_start:
	nop
	# li: addi only, lui only, lui+addi with the %hi/%lo carry rule
	li a0, 0
	li a1, 1
	li a2, -1
	li a3, 2047
	li a4, -2048
	li a5, 2048
	li a6, -2049
	li a7, 0x800
	li t0, 0xfff
	li t1, 0x1000
	li t2, 0x12345000
	li s0, 0x12345678
	li s1, 0x7ffff7ff
	li s2, 0x7ffff800
	li s3, 0x7fffffff
	li s4, 0x80000000
	li s5, 0x80000800
	li s6, 0xfffff800
	li s7, 0xfffff7ff
	li s8, 0xffffffff
	li s9, -0x80000000
	li s10, 0xdeadbeef
	li s11, 'A'
	li t3, CONST
	li t4, CONST * 16 + (1 << 20)
	li t5, ~0
	li x31, 0b1010
	li zero, 010
	li zero, 0x80000000		# GNU as keeps the addi for zero
	li zero, 0x12345678
	la a0, message
	lla a1, message
	la a2, _start
	la a3, message + 4
	la a4, 5			# a constant: expanded as li
	la a5, CONST << 16
	call func
	call t0, func
	tail func
	mv a0, a1
	not a0, a1
	neg a0, a1
	seqz a0, a1
	snez a0, a1
	sltz a0, a1
	sgtz a0, a1
1:	beqz a0, 1b
	bnez a0, 1b
	blez a0, 1f
	bgez a0, 1f
	bltz a0, 1f
	bgtz a0, 1f
1:	bgt a0, a1, 1b
	ble a0, a1, 1b
	bgtu a0, a1, 1b
	bleu a0, a1, 1b
	j 1b
	jal func
	jal t0, func
	jr t0
	jr t0, 8
	jr 12(t0)
	jalr t1
	jalr t1, 16
	jalr 20(t1)
	jalr a0, t1
	jalr a0, 4(t1)
	jalr a0, t1, -4
	ret
	add a0, a1, 5
	and a0, a1, 0xff
	zext.b a0, a2
	lw a0, message		# symbol loads and stores: auipc + access
	lbu a1, message + 1
	sw a0, message, t0
	sb a1, message + 2, t1
	or a0, a1, 1
	xor a0, a1, -1
	sll a0, a1, 3
	srl a0, a1, 31
	sra a0, a1, 7
	slt a0, a1, -5
	sltu a0, a1, 9
func:	ret
	.section .rodata
message:
	.asciz "hello, world\n"
