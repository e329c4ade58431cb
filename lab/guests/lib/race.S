# lib/race.S -- the scaffolding of a double-fetch race against the ring backend.
#
# Provides (standard calling convention):
#   race_setup    register race_ring as this VM's request ring and write an honest
#                 request into it: LOG 16 bytes. Our domid waits at data[256], the
#                 first word past the backend's 256-byte buffer: what a copy longer
#                 than 256 bytes writes over whatever lies behind that buffer.
#                 Returns a0 = the ring page.
#   race_report   spin until the backend is done with the request, say what it did
#                 (rejected it, or copied how many bytes) and, if its copy ran past
#                 its buffer, try the privileged VMCTL destroy(2). Never returns.
# Needs: lib/sbi.S included before; puts (lib/dbcn.S) and put_dec (lib/put_dec.S).
#
# What goes between the doorbell and race_report is the race itself: the part a
# student writes (lessons/programs/race.S) and racer.S has written.

.equ RACE_VICTIM, 2                 # the domain race_report tries to destroy

# race_setup() -> a0 = the ring page, with an honest LOG request of 16 bytes in it
race_setup:
    li   a7, EID_VMCTL
    li   a6, VMCTL_SELF             # self(): our domid, the value we smuggle in
    ecall
    mv   t2, a1
    li   a7, EID_DGRAM
    li   a6, DGRAM_RING_SETUP       # ring_setup(race_ring)
    la   a0, race_ring
    ecall
    la   a0, race_ring
    li   t0, DGRAM_OP_LOG
    sw   t0, DGRAM_RING_OP(a0)
    li   t0, 16
    sw   t0, DGRAM_RING_LEN(a0)     # len = 16: what the backend's check will see
    la   t0, race_honest            # data[0:16]: the honest text
    addi t1, a0, DGRAM_RING_DATA
    li   t3, 16
1:  lbu  t4, 0(t0)
    sb   t4, 0(t1)
    addi t0, t0, 1
    addi t1, t1, 1
    addi t3, t3, -1
    bnez t3, 1b
    sw   t2, DGRAM_RING_DATA + 256(a0) # data[256]: right behind the backend's buffer
    ret

# race_report(): wait for the backend, say what it did, use the keys if it overflowed
race_report:
    la   s0, race_ring
1:  lw   t0, DGRAM_RING_STATUS(s0)  # spin while the request is pending (no wfi: a guest
    li   t1, DGRAM_STATUS_PENDING   # that parks lets the backend act at once, and the
    beq  t0, t1, 1b                 # trace would not show its own timing)
2:  li   t1, DGRAM_STATUS_REJECTED
    bne  t0, t1, 3f
    la   a0, race_rejected
    call puts
    j    race_idle
3:  lw   s1, DGRAM_RING_RESULT(s0)  # bytes the backend copied
    la   a0, race_copied
    call puts
    mv   a0, s1
    call put_dec
    li   t0, 256
    bgtu s1, t0, 4f
    la   a0, race_fits
    call puts
    j    race_idle
4:  la   a0, race_overflow
    call puts
    li   a7, EID_VMCTL
    li   a6, VMCTL_DESTROY          # destroy(2): only the control domain may
    li   a0, RACE_VICTIM
    ecall
    bnez a0, 5f
    la   a0, race_won
    call puts
    j    race_idle
5:  la   a0, race_denied
    call puts
race_idle:
    wfi
    j    race_idle

race_honest:   .ascii "hello, backend!\n"
race_rejected: .asciz "race: the backend rejected the request: len was over 240 when it checked\n"
race_copied:   .asciz "race: the backend copied "
race_fits:     .asciz " bytes, no more than its buffer holds\n"
race_overflow: .asciz " bytes, past the end of its 256-byte buffer: trying VMCTL destroy(2)\n"
race_won:      .asciz "race: destroy(2) succeeded: the hypervisor takes us for the control domain\n"
race_denied:   .asciz "race: destroy(2) was denied\n"

.data
.balign 4096
race_ring: .zero 4096
