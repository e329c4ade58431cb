# Every RV32IM instruction, with ABI and xN register names and edge immediates.
# Generated once from lab/isa.py; checked byte for byte against GNU as.
	.text
	.globl _start
_start:
	lui x0, 0x0
	lui x0, 0x1
	lui x0, 0xfffff
	lui x0, 0x80000
	lui x0, 0x12345
	lui a0, 0x0
	lui a0, 0x1
	lui a0, 0xfffff
	lui a0, 0x80000
	lui a0, 0x12345
	lui t6, 0x0
	lui t6, 0x1
	lui t6, 0xfffff
	lui t6, 0x80000
	lui t6, 0x12345
	lui x5, 0x0
	lui x5, 0x1
	lui x5, 0xfffff
	lui x5, 0x80000
	lui x5, 0x12345
	lui gp, 0x0
	lui gp, 0x1
	lui gp, 0xfffff
	lui gp, 0x80000
	lui gp, 0x12345
	auipc x0, 0x0
	auipc x0, 0x1
	auipc x0, 0xfffff
	auipc x0, 0x80000
	auipc x0, 0x12345
	auipc a0, 0x0
	auipc a0, 0x1
	auipc a0, 0xfffff
	auipc a0, 0x80000
	auipc a0, 0x12345
	auipc t6, 0x0
	auipc t6, 0x1
	auipc t6, 0xfffff
	auipc t6, 0x80000
	auipc t6, 0x12345
	auipc x5, 0x0
	auipc x5, 0x1
	auipc x5, 0xfffff
	auipc x5, 0x80000
	auipc x5, 0x12345
	auipc gp, 0x0
	auipc gp, 0x1
	auipc gp, 0xfffff
	auipc gp, 0x80000
	auipc gp, 0x12345
	jal x0, _start
	jal x0, far_fwd
	jal a0, _start
	jal a0, far_fwd
	jal t6, _start
	jal t6, far_fwd
	jal x5, _start
	jal x5, far_fwd
	jal gp, _start
	jal gp, far_fwd
	jalr x0, -2048(x31)
	jalr x0, -1(x31)
	jalr x0, 0(x31)
	jalr x0, 1(x31)
	jalr x0, 2047(x31)
	jalr x0, 2047(x31)
	jalr x0, -2048(x31)
	jalr x0, (x31)
	jalr a0, -2048(a1)
	jalr a0, -1(a1)
	jalr a0, 0(a1)
	jalr a0, 1(a1)
	jalr a0, 2047(a1)
	jalr a0, 2047(a1)
	jalr a0, -2048(a1)
	jalr a0, (a1)
	jalr t6, -2048(s11)
	jalr t6, -1(s11)
	jalr t6, 0(s11)
	jalr t6, 1(s11)
	jalr t6, 2047(s11)
	jalr t6, 2047(s11)
	jalr t6, -2048(s11)
	jalr t6, (s11)
	jalr x5, -2048(sp)
	jalr x5, -1(sp)
	jalr x5, 0(sp)
	jalr x5, 1(sp)
	jalr x5, 2047(sp)
	jalr x5, 2047(sp)
	jalr x5, -2048(sp)
	jalr x5, (sp)
	jalr gp, -2048(tp)
	jalr gp, -1(tp)
	jalr gp, 0(tp)
	jalr gp, 1(tp)
	jalr gp, 2047(tp)
	jalr gp, 2047(tp)
	jalr gp, -2048(tp)
	jalr gp, (tp)
	beq x0, x31, _start
	beq x0, x31, . + 8
	beq x0, x1, far_fwd
	beq a0, a1, _start
	beq a0, a1, . + 8
	beq a0, a2, far_fwd
	beq t6, s11, _start
	beq t6, s11, . + 8
	beq t6, zero, far_fwd
	beq x5, sp, _start
	beq x5, sp, . + 8
	beq x5, fp, far_fwd
	beq gp, tp, _start
	beq gp, tp, . + 8
	beq gp, x17, far_fwd
	bne x0, x31, _start
	bne x0, x31, . + 8
	bne x0, x1, far_fwd
	bne a0, a1, _start
	bne a0, a1, . + 8
	bne a0, a2, far_fwd
	bne t6, s11, _start
	bne t6, s11, . + 8
	bne t6, zero, far_fwd
	bne x5, sp, _start
	bne x5, sp, . + 8
	bne x5, fp, far_fwd
	bne gp, tp, _start
	bne gp, tp, . + 8
	bne gp, x17, far_fwd
	blt x0, x31, _start
	blt x0, x31, . + 8
	blt x0, x1, far_fwd
	blt a0, a1, _start
	blt a0, a1, . + 8
	blt a0, a2, far_fwd
	blt t6, s11, _start
	blt t6, s11, . + 8
	blt t6, zero, far_fwd
	blt x5, sp, _start
	blt x5, sp, . + 8
	blt x5, fp, far_fwd
	blt gp, tp, _start
	blt gp, tp, . + 8
	blt gp, x17, far_fwd
	bge x0, x31, _start
	bge x0, x31, . + 8
	bge x0, x1, far_fwd
	bge a0, a1, _start
	bge a0, a1, . + 8
	bge a0, a2, far_fwd
	bge t6, s11, _start
	bge t6, s11, . + 8
	bge t6, zero, far_fwd
	bge x5, sp, _start
	bge x5, sp, . + 8
	bge x5, fp, far_fwd
	bge gp, tp, _start
	bge gp, tp, . + 8
	bge gp, x17, far_fwd
	bltu x0, x31, _start
	bltu x0, x31, . + 8
	bltu x0, x1, far_fwd
	bltu a0, a1, _start
	bltu a0, a1, . + 8
	bltu a0, a2, far_fwd
	bltu t6, s11, _start
	bltu t6, s11, . + 8
	bltu t6, zero, far_fwd
	bltu x5, sp, _start
	bltu x5, sp, . + 8
	bltu x5, fp, far_fwd
	bltu gp, tp, _start
	bltu gp, tp, . + 8
	bltu gp, x17, far_fwd
	bgeu x0, x31, _start
	bgeu x0, x31, . + 8
	bgeu x0, x1, far_fwd
	bgeu a0, a1, _start
	bgeu a0, a1, . + 8
	bgeu a0, a2, far_fwd
	bgeu t6, s11, _start
	bgeu t6, s11, . + 8
	bgeu t6, zero, far_fwd
	bgeu x5, sp, _start
	bgeu x5, sp, . + 8
	bgeu x5, fp, far_fwd
	bgeu gp, tp, _start
	bgeu gp, tp, . + 8
	bgeu gp, x17, far_fwd
	lb x0, -2048(x31)
	lb x0, -1(x31)
	lb x0, 0(x31)
	lb x0, 1(x31)
	lb x0, 2047(x31)
	lb x0, 2047(x31)
	lb x0, -2048(x31)
	lb x0, (x31)
	lb a0, -2048(a1)
	lb a0, -1(a1)
	lb a0, 0(a1)
	lb a0, 1(a1)
	lb a0, 2047(a1)
	lb a0, 2047(a1)
	lb a0, -2048(a1)
	lb a0, (a1)
	lb t6, -2048(s11)
	lb t6, -1(s11)
	lb t6, 0(s11)
	lb t6, 1(s11)
	lb t6, 2047(s11)
	lb t6, 2047(s11)
	lb t6, -2048(s11)
	lb t6, (s11)
	lb x5, -2048(sp)
	lb x5, -1(sp)
	lb x5, 0(sp)
	lb x5, 1(sp)
	lb x5, 2047(sp)
	lb x5, 2047(sp)
	lb x5, -2048(sp)
	lb x5, (sp)
	lb gp, -2048(tp)
	lb gp, -1(tp)
	lb gp, 0(tp)
	lb gp, 1(tp)
	lb gp, 2047(tp)
	lb gp, 2047(tp)
	lb gp, -2048(tp)
	lb gp, (tp)
	lh x0, -2048(x31)
	lh x0, -1(x31)
	lh x0, 0(x31)
	lh x0, 1(x31)
	lh x0, 2047(x31)
	lh x0, 2047(x31)
	lh x0, -2048(x31)
	lh x0, (x31)
	lh a0, -2048(a1)
	lh a0, -1(a1)
	lh a0, 0(a1)
	lh a0, 1(a1)
	lh a0, 2047(a1)
	lh a0, 2047(a1)
	lh a0, -2048(a1)
	lh a0, (a1)
	lh t6, -2048(s11)
	lh t6, -1(s11)
	lh t6, 0(s11)
	lh t6, 1(s11)
	lh t6, 2047(s11)
	lh t6, 2047(s11)
	lh t6, -2048(s11)
	lh t6, (s11)
	lh x5, -2048(sp)
	lh x5, -1(sp)
	lh x5, 0(sp)
	lh x5, 1(sp)
	lh x5, 2047(sp)
	lh x5, 2047(sp)
	lh x5, -2048(sp)
	lh x5, (sp)
	lh gp, -2048(tp)
	lh gp, -1(tp)
	lh gp, 0(tp)
	lh gp, 1(tp)
	lh gp, 2047(tp)
	lh gp, 2047(tp)
	lh gp, -2048(tp)
	lh gp, (tp)
	lw x0, -2048(x31)
	lw x0, -1(x31)
	lw x0, 0(x31)
	lw x0, 1(x31)
	lw x0, 2047(x31)
	lw x0, 2047(x31)
	lw x0, -2048(x31)
	lw x0, (x31)
	lw a0, -2048(a1)
	lw a0, -1(a1)
	lw a0, 0(a1)
	lw a0, 1(a1)
	lw a0, 2047(a1)
	lw a0, 2047(a1)
	lw a0, -2048(a1)
	lw a0, (a1)
	lw t6, -2048(s11)
	lw t6, -1(s11)
	lw t6, 0(s11)
	lw t6, 1(s11)
	lw t6, 2047(s11)
	lw t6, 2047(s11)
	lw t6, -2048(s11)
	lw t6, (s11)
	lw x5, -2048(sp)
	lw x5, -1(sp)
	lw x5, 0(sp)
	lw x5, 1(sp)
	lw x5, 2047(sp)
	lw x5, 2047(sp)
	lw x5, -2048(sp)
	lw x5, (sp)
	lw gp, -2048(tp)
	lw gp, -1(tp)
	lw gp, 0(tp)
	lw gp, 1(tp)
	lw gp, 2047(tp)
	lw gp, 2047(tp)
	lw gp, -2048(tp)
	lw gp, (tp)
	lbu x0, -2048(x31)
	lbu x0, -1(x31)
	lbu x0, 0(x31)
	lbu x0, 1(x31)
	lbu x0, 2047(x31)
	lbu x0, 2047(x31)
	lbu x0, -2048(x31)
	lbu x0, (x31)
	lbu a0, -2048(a1)
	lbu a0, -1(a1)
	lbu a0, 0(a1)
	lbu a0, 1(a1)
	lbu a0, 2047(a1)
	lbu a0, 2047(a1)
	lbu a0, -2048(a1)
	lbu a0, (a1)
	lbu t6, -2048(s11)
	lbu t6, -1(s11)
	lbu t6, 0(s11)
	lbu t6, 1(s11)
	lbu t6, 2047(s11)
	lbu t6, 2047(s11)
	lbu t6, -2048(s11)
	lbu t6, (s11)
	lbu x5, -2048(sp)
	lbu x5, -1(sp)
	lbu x5, 0(sp)
	lbu x5, 1(sp)
	lbu x5, 2047(sp)
	lbu x5, 2047(sp)
	lbu x5, -2048(sp)
	lbu x5, (sp)
	lbu gp, -2048(tp)
	lbu gp, -1(tp)
	lbu gp, 0(tp)
	lbu gp, 1(tp)
	lbu gp, 2047(tp)
	lbu gp, 2047(tp)
	lbu gp, -2048(tp)
	lbu gp, (tp)
	lhu x0, -2048(x31)
	lhu x0, -1(x31)
	lhu x0, 0(x31)
	lhu x0, 1(x31)
	lhu x0, 2047(x31)
	lhu x0, 2047(x31)
	lhu x0, -2048(x31)
	lhu x0, (x31)
	lhu a0, -2048(a1)
	lhu a0, -1(a1)
	lhu a0, 0(a1)
	lhu a0, 1(a1)
	lhu a0, 2047(a1)
	lhu a0, 2047(a1)
	lhu a0, -2048(a1)
	lhu a0, (a1)
	lhu t6, -2048(s11)
	lhu t6, -1(s11)
	lhu t6, 0(s11)
	lhu t6, 1(s11)
	lhu t6, 2047(s11)
	lhu t6, 2047(s11)
	lhu t6, -2048(s11)
	lhu t6, (s11)
	lhu x5, -2048(sp)
	lhu x5, -1(sp)
	lhu x5, 0(sp)
	lhu x5, 1(sp)
	lhu x5, 2047(sp)
	lhu x5, 2047(sp)
	lhu x5, -2048(sp)
	lhu x5, (sp)
	lhu gp, -2048(tp)
	lhu gp, -1(tp)
	lhu gp, 0(tp)
	lhu gp, 1(tp)
	lhu gp, 2047(tp)
	lhu gp, 2047(tp)
	lhu gp, -2048(tp)
	lhu gp, (tp)
	sb x0, -2048(x31)
	sb x0, 0(x31)
	sb x0, 2047(x31)
	sb x0, -4(x31)
	sb a0, -2048(a1)
	sb a0, 0(a1)
	sb a0, 2047(a1)
	sb a0, -4(a1)
	sb t6, -2048(s11)
	sb t6, 0(s11)
	sb t6, 2047(s11)
	sb t6, -4(s11)
	sb x5, -2048(sp)
	sb x5, 0(sp)
	sb x5, 2047(sp)
	sb x5, -4(sp)
	sb gp, -2048(tp)
	sb gp, 0(tp)
	sb gp, 2047(tp)
	sb gp, -4(tp)
	sh x0, -2048(x31)
	sh x0, 0(x31)
	sh x0, 2047(x31)
	sh x0, -4(x31)
	sh a0, -2048(a1)
	sh a0, 0(a1)
	sh a0, 2047(a1)
	sh a0, -4(a1)
	sh t6, -2048(s11)
	sh t6, 0(s11)
	sh t6, 2047(s11)
	sh t6, -4(s11)
	sh x5, -2048(sp)
	sh x5, 0(sp)
	sh x5, 2047(sp)
	sh x5, -4(sp)
	sh gp, -2048(tp)
	sh gp, 0(tp)
	sh gp, 2047(tp)
	sh gp, -4(tp)
	sw x0, -2048(x31)
	sw x0, 0(x31)
	sw x0, 2047(x31)
	sw x0, -4(x31)
	sw a0, -2048(a1)
	sw a0, 0(a1)
	sw a0, 2047(a1)
	sw a0, -4(a1)
	sw t6, -2048(s11)
	sw t6, 0(s11)
	sw t6, 2047(s11)
	sw t6, -4(s11)
	sw x5, -2048(sp)
	sw x5, 0(sp)
	sw x5, 2047(sp)
	sw x5, -4(sp)
	sw gp, -2048(tp)
	sw gp, 0(tp)
	sw gp, 2047(tp)
	sw gp, -4(tp)
	addi	x0,x31,-2048
	addi	x0,x31,-1
	addi	x0,x31,0
	addi	x0,x31,1
	addi	x0,x31,2047
	addi	x0,x31,2047
	addi	x0,x31,-2048
	addi	a0,a1,-2048
	addi	a0,a1,-1
	addi	a0,a1,0
	addi	a0,a1,1
	addi	a0,a1,2047
	addi	a0,a1,2047
	addi	a0,a1,-2048
	addi	t6,s11,-2048
	addi	t6,s11,-1
	addi	t6,s11,0
	addi	t6,s11,1
	addi	t6,s11,2047
	addi	t6,s11,2047
	addi	t6,s11,-2048
	addi	x5,sp,-2048
	addi	x5,sp,-1
	addi	x5,sp,0
	addi	x5,sp,1
	addi	x5,sp,2047
	addi	x5,sp,2047
	addi	x5,sp,-2048
	addi	gp,tp,-2048
	addi	gp,tp,-1
	addi	gp,tp,0
	addi	gp,tp,1
	addi	gp,tp,2047
	addi	gp,tp,2047
	addi	gp,tp,-2048
	slti	x0,x31,-2048
	slti	x0,x31,-1
	slti	x0,x31,0
	slti	x0,x31,1
	slti	x0,x31,2047
	slti	x0,x31,2047
	slti	x0,x31,-2048
	slti	a0,a1,-2048
	slti	a0,a1,-1
	slti	a0,a1,0
	slti	a0,a1,1
	slti	a0,a1,2047
	slti	a0,a1,2047
	slti	a0,a1,-2048
	slti	t6,s11,-2048
	slti	t6,s11,-1
	slti	t6,s11,0
	slti	t6,s11,1
	slti	t6,s11,2047
	slti	t6,s11,2047
	slti	t6,s11,-2048
	slti	x5,sp,-2048
	slti	x5,sp,-1
	slti	x5,sp,0
	slti	x5,sp,1
	slti	x5,sp,2047
	slti	x5,sp,2047
	slti	x5,sp,-2048
	slti	gp,tp,-2048
	slti	gp,tp,-1
	slti	gp,tp,0
	slti	gp,tp,1
	slti	gp,tp,2047
	slti	gp,tp,2047
	slti	gp,tp,-2048
	sltiu	x0,x31,-2048
	sltiu	x0,x31,-1
	sltiu	x0,x31,0
	sltiu	x0,x31,1
	sltiu	x0,x31,2047
	sltiu	x0,x31,2047
	sltiu	x0,x31,-2048
	sltiu	a0,a1,-2048
	sltiu	a0,a1,-1
	sltiu	a0,a1,0
	sltiu	a0,a1,1
	sltiu	a0,a1,2047
	sltiu	a0,a1,2047
	sltiu	a0,a1,-2048
	sltiu	t6,s11,-2048
	sltiu	t6,s11,-1
	sltiu	t6,s11,0
	sltiu	t6,s11,1
	sltiu	t6,s11,2047
	sltiu	t6,s11,2047
	sltiu	t6,s11,-2048
	sltiu	x5,sp,-2048
	sltiu	x5,sp,-1
	sltiu	x5,sp,0
	sltiu	x5,sp,1
	sltiu	x5,sp,2047
	sltiu	x5,sp,2047
	sltiu	x5,sp,-2048
	sltiu	gp,tp,-2048
	sltiu	gp,tp,-1
	sltiu	gp,tp,0
	sltiu	gp,tp,1
	sltiu	gp,tp,2047
	sltiu	gp,tp,2047
	sltiu	gp,tp,-2048
	xori	x0,x31,-2048
	xori	x0,x31,-1
	xori	x0,x31,0
	xori	x0,x31,1
	xori	x0,x31,2047
	xori	x0,x31,2047
	xori	x0,x31,-2048
	xori	a0,a1,-2048
	xori	a0,a1,-1
	xori	a0,a1,0
	xori	a0,a1,1
	xori	a0,a1,2047
	xori	a0,a1,2047
	xori	a0,a1,-2048
	xori	t6,s11,-2048
	xori	t6,s11,-1
	xori	t6,s11,0
	xori	t6,s11,1
	xori	t6,s11,2047
	xori	t6,s11,2047
	xori	t6,s11,-2048
	xori	x5,sp,-2048
	xori	x5,sp,-1
	xori	x5,sp,0
	xori	x5,sp,1
	xori	x5,sp,2047
	xori	x5,sp,2047
	xori	x5,sp,-2048
	xori	gp,tp,-2048
	xori	gp,tp,-1
	xori	gp,tp,0
	xori	gp,tp,1
	xori	gp,tp,2047
	xori	gp,tp,2047
	xori	gp,tp,-2048
	ori	x0,x31,-2048
	ori	x0,x31,-1
	ori	x0,x31,0
	ori	x0,x31,1
	ori	x0,x31,2047
	ori	x0,x31,2047
	ori	x0,x31,-2048
	ori	a0,a1,-2048
	ori	a0,a1,-1
	ori	a0,a1,0
	ori	a0,a1,1
	ori	a0,a1,2047
	ori	a0,a1,2047
	ori	a0,a1,-2048
	ori	t6,s11,-2048
	ori	t6,s11,-1
	ori	t6,s11,0
	ori	t6,s11,1
	ori	t6,s11,2047
	ori	t6,s11,2047
	ori	t6,s11,-2048
	ori	x5,sp,-2048
	ori	x5,sp,-1
	ori	x5,sp,0
	ori	x5,sp,1
	ori	x5,sp,2047
	ori	x5,sp,2047
	ori	x5,sp,-2048
	ori	gp,tp,-2048
	ori	gp,tp,-1
	ori	gp,tp,0
	ori	gp,tp,1
	ori	gp,tp,2047
	ori	gp,tp,2047
	ori	gp,tp,-2048
	andi	x0,x31,-2048
	andi	x0,x31,-1
	andi	x0,x31,0
	andi	x0,x31,1
	andi	x0,x31,2047
	andi	x0,x31,2047
	andi	x0,x31,-2048
	andi	a0,a1,-2048
	andi	a0,a1,-1
	andi	a0,a1,0
	andi	a0,a1,1
	andi	a0,a1,2047
	andi	a0,a1,2047
	andi	a0,a1,-2048
	andi	t6,s11,-2048
	andi	t6,s11,-1
	andi	t6,s11,0
	andi	t6,s11,1
	andi	t6,s11,2047
	andi	t6,s11,2047
	andi	t6,s11,-2048
	andi	x5,sp,-2048
	andi	x5,sp,-1
	andi	x5,sp,0
	andi	x5,sp,1
	andi	x5,sp,2047
	andi	x5,sp,2047
	andi	x5,sp,-2048
	andi	gp,tp,-2048
	andi	gp,tp,-1
	andi	gp,tp,0
	andi	gp,tp,1
	andi	gp,tp,2047
	andi	gp,tp,2047
	andi	gp,tp,-2048
	slli	x0,x31,0
	slli	x0,x31,1
	slli	x0,x31,31
	slli	x0,x31,31
	slli	a0,a1,0
	slli	a0,a1,1
	slli	a0,a1,31
	slli	a0,a1,31
	slli	t6,s11,0
	slli	t6,s11,1
	slli	t6,s11,31
	slli	t6,s11,31
	slli	x5,sp,0
	slli	x5,sp,1
	slli	x5,sp,31
	slli	x5,sp,31
	slli	gp,tp,0
	slli	gp,tp,1
	slli	gp,tp,31
	slli	gp,tp,31
	srli	x0,x31,0
	srli	x0,x31,1
	srli	x0,x31,31
	srli	x0,x31,31
	srli	a0,a1,0
	srli	a0,a1,1
	srli	a0,a1,31
	srli	a0,a1,31
	srli	t6,s11,0
	srli	t6,s11,1
	srli	t6,s11,31
	srli	t6,s11,31
	srli	x5,sp,0
	srli	x5,sp,1
	srli	x5,sp,31
	srli	x5,sp,31
	srli	gp,tp,0
	srli	gp,tp,1
	srli	gp,tp,31
	srli	gp,tp,31
	srai	x0,x31,0
	srai	x0,x31,1
	srai	x0,x31,31
	srai	x0,x31,31
	srai	a0,a1,0
	srai	a0,a1,1
	srai	a0,a1,31
	srai	a0,a1,31
	srai	t6,s11,0
	srai	t6,s11,1
	srai	t6,s11,31
	srai	t6,s11,31
	srai	x5,sp,0
	srai	x5,sp,1
	srai	x5,sp,31
	srai	x5,sp,31
	srai	gp,tp,0
	srai	gp,tp,1
	srai	gp,tp,31
	srai	gp,tp,31
	add x0, x31, x1
	add a0, a1, a2
	add t6, s11, zero
	add x5, sp, fp
	add gp, tp, x17
	sub x0, x31, x1
	sub a0, a1, a2
	sub t6, s11, zero
	sub x5, sp, fp
	sub gp, tp, x17
	sll x0, x31, x1
	sll a0, a1, a2
	sll t6, s11, zero
	sll x5, sp, fp
	sll gp, tp, x17
	slt x0, x31, x1
	slt a0, a1, a2
	slt t6, s11, zero
	slt x5, sp, fp
	slt gp, tp, x17
	sltu x0, x31, x1
	sltu a0, a1, a2
	sltu t6, s11, zero
	sltu x5, sp, fp
	sltu gp, tp, x17
	xor x0, x31, x1
	xor a0, a1, a2
	xor t6, s11, zero
	xor x5, sp, fp
	xor gp, tp, x17
	srl x0, x31, x1
	srl a0, a1, a2
	srl t6, s11, zero
	srl x5, sp, fp
	srl gp, tp, x17
	sra x0, x31, x1
	sra a0, a1, a2
	sra t6, s11, zero
	sra x5, sp, fp
	sra gp, tp, x17
	or x0, x31, x1
	or a0, a1, a2
	or t6, s11, zero
	or x5, sp, fp
	or gp, tp, x17
	and x0, x31, x1
	and a0, a1, a2
	and t6, s11, zero
	and x5, sp, fp
	and gp, tp, x17
	mul x0, x31, x1
	mul a0, a1, a2
	mul t6, s11, zero
	mul x5, sp, fp
	mul gp, tp, x17
	mulh x0, x31, x1
	mulh a0, a1, a2
	mulh t6, s11, zero
	mulh x5, sp, fp
	mulh gp, tp, x17
	mulhsu x0, x31, x1
	mulhsu a0, a1, a2
	mulhsu t6, s11, zero
	mulhsu x5, sp, fp
	mulhsu gp, tp, x17
	mulhu x0, x31, x1
	mulhu a0, a1, a2
	mulhu t6, s11, zero
	mulhu x5, sp, fp
	mulhu gp, tp, x17
	div x0, x31, x1
	div a0, a1, a2
	div t6, s11, zero
	div x5, sp, fp
	div gp, tp, x17
	divu x0, x31, x1
	divu a0, a1, a2
	divu t6, s11, zero
	divu x5, sp, fp
	divu gp, tp, x17
	rem x0, x31, x1
	rem a0, a1, a2
	rem t6, s11, zero
	rem x5, sp, fp
	rem gp, tp, x17
	remu x0, x31, x1
	remu a0, a1, a2
	remu t6, s11, zero
	remu x5, sp, fp
	remu gp, tp, x17
	ecall
	ebreak
	wfi
	fence
	fence iorw, iorw
	fence rw, w
	fence r, r
	fence i, o
	fence w, rw
	fence.tso
	ADDI a0, a0, 1  # mnemonics are case-insensitive
far_fwd:	nop
	beq a0, a1, _start + 4
	beq a0, a1, far_fwd
	jal _start + 4
	ret
