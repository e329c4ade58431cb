# logger.S - sends every line typed on its console to the hypervisor's log,
# through the shared request ring (DGRAM ring_setup + doorbell): the legitimate
# use of the ring that racer.S abuses.
#
# Ring page layout (see lab/hv/devices/dgram.py):
#   0x00 u32 status  0 idle, 1 pending, 2 done, 3 rejected
#   0x04 u32 op      1 = LOG
#   0x08 u32 len     bytes of data (at most 240)
#   0x0C u32 result  written by the backend
#   0x10 data[240]

.include "lib/machine.S"    # UART_...
.include "lib/sbi.S"        # EID_..., the hypercall numbers

.text
.globl _start
_start:
    li   a7, EID_DGRAM
    li   a6, DGRAM_RING_SETUP # ring_setup(ring)
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
    sw   a0, DGRAM_RING_LEN(t0)
    li   t1, DGRAM_OP_LOG
    sw   t1, DGRAM_RING_OP(t0)
    li   a7, EID_DGRAM
    li   a6, DGRAM_DOORBELL # doorbell()
    ecall
    bnez a0, refused
1:  la   t0, ring           # wait while the backend has not finished with it
    lw   t1, DGRAM_RING_STATUS(t0)
    li   t2, DGRAM_STATUS_PENDING
    bne  t1, t2, 2f
    wfi
    j    1b
2:  li   t2, DGRAM_STATUS_DONE
    bne  t1, t2, refused    # rejected by the backend's check
    la   a0, logged
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
    addi t0, t0, DGRAM_RING_DATA
    li   t1, UART_BASE
    li   t4, 0
1:  lbu  t2, UART_LSR(t1)   # data ready?
    andi t2, t2, LSR_DR
    bnez t2, 2f
    wfi
    j    1b
2:  lbu  t3, UART_RBR(t1)
    sb   t3, UART_THR(t1)   # echo
    li   t2, '\n'
    beq  t3, t2, 3f
    li   t2, DGRAM_RING_DATA_MAX
    bgeu t4, t2, 1b
    add  t2, t0, t4
    sb   t3, 0(t2)
    addi t4, t4, 1
    j    1b
3:  mv   a0, t4
    ret

.include "lib/dbcn.S"      # puts(a0): print through the debug console

banner:       .asciz "logger: every line you type goes to the hypervisor's log\n"
prompt:       .asciz "log> "
logged:       .asciz "logged\n"
refused_text: .asciz "the backend refused the request\n"

.data
.balign 4096
ring: .zero 4096
