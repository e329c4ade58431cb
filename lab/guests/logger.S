# logger.S - sends every line typed on its console to the hypervisor's log,
# through the shared request ring (DGRAM ring_setup + doorbell): the legitimate
# use of the ring that racer.S abuses.
#
# Ring page layout (see lab/hv/channel.py):
#   0x00 u32 status  0 idle, 1 pending, 2 done     0x04 u32 op  (1 = LOG)
#   0x08 u32 len     bytes of data (at most 240)   0x0C u32 result
#   0x10 data[240]

.equ UART,   0x10000000
.equ DGRAM,  0x09000003
.equ DBCN,   0x4442434E

.text
.globl _start
_start:
    li   a7, DGRAM
    li   a6, 2              # ring_setup(ring)
    la   a0, ring
    ecall
    la   a0, banner
    call puts
loop:
    la   a0, prompt
    call puts
    call getline            # the line goes straight into the ring's data; a0 = length
    beqz a0, loop
    la   t0, ring
    sw   a0, 8(t0)          # len
    li   t1, 1
    sw   t1, 4(t0)          # op = LOG
    li   a7, DGRAM
    li   a6, 3              # doorbell()
    ecall
    bnez a0, refused
1:  la   t0, ring           # wait for the backend to complete it
    lw   t1, 0(t0)
    li   t2, 2
    beq  t1, t2, 2f
    wfi
    j    1b
2:  la   a0, logged
    call puts
    j    loop
refused:
    la   a0, refused_text
    call puts
    j    loop

# getline() -> a0 = length: read a line from the UART into the ring's data
# (at most 240 bytes), echoing it; wfi while no byte is there.
getline:
    la   t0, ring
    addi t0, t0, 16
    li   t1, UART
    li   t4, 0
1:  lbu  t2, 5(t1)          # LSR: data ready?
    andi t2, t2, 1
    bnez t2, 2f
    wfi
    j    1b
2:  lbu  t3, 0(t1)
    sb   t3, 0(t1)          # echo
    li   t2, '\n'
    beq  t3, t2, 3f
    li   t2, 240
    bgeu t4, t2, 1b
    add  t2, t0, t4
    sb   t3, 0(t2)
    addi t4, t4, 1
    j    1b
3:  mv   a0, t4
    ret

# puts(a0 = NUL-terminated string): print through the debug console
puts:
    mv   t0, a0
    li   t1, 0
1:  add  t2, t0, t1
    lbu  t2, 0(t2)
    beqz t2, 2f
    addi t1, t1, 1
    j    1b
2:  li   a7, DBCN
    li   a6, 0
    mv   a1, t0
    mv   a0, t1
    li   a2, 0
    ecall
    ret

banner:       .asciz "logger: every line you type goes to the hypervisor's log\n"
prompt:       .asciz "log> "
logged:       .asciz "logged\n"
refused_text: .asciz "the backend refused the request\n"

.data
.balign 4096
ring: .zero 4096
