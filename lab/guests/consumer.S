# consumer.S - maps the producer's ring through a grant and prints its messages.
#
# The other half of producer.S:
#
#   1. wait for the producer's datagram carrying the grant reference (the
#      hypervisor stamps the sender's domid on it: that is the producer);
#   2. map the granted page into our grant window at 0x9000_0000;
#   3. print each message as it appears in the ring, advance the tail and
#      ack with a datagram, until MESSAGES messages are read;
#   4. unmap the page, send "done" (0xD0E), shut down.

.include "lib/machine.S"    # GRANT_WINDOW
.include "lib/sbi.S"        # EID_..., the hypercall numbers
.equ MESSAGES, 10
.equ SLOTS,    4

.text
.globl _start
_start:
    # 1. the grant reference
    call wait_datagram
    la   t0, msgbuf
    lw   s1, 0(t0)          # s1 = the producer's domid (stamped by the hypervisor)
    lw   s2, 4(t0)          # s2 = the grant reference

    # 2. map it
    li   a7, EID_GNTTAB
    li   a6, GNTTAB_MAP     # map(granter, ref, dest_gpa, flags)
    mv   a0, s1
    mv   a1, s2
    li   a2, GRANT_WINDOW
    li   a3, 0
    ecall
    bnez a0, fail
    la   a0, said_mapped
    call puts

    # 3. consume
    li   s0, GRANT_WINDOW
    li   s3, 0              # messages read
consume:
    lw   t0, 0(s0)          # head
    lw   t1, 4(s0)          # tail
    bne  t0, t1, 1f
    call wait_datagram      # empty: wait for the producer's doorbell datagram
    j    consume
1:  andi t2, t1, SLOTS - 1
    slli t2, t2, 4
    addi t2, t2, 16
    add  a1, s0, t2         # the slot, in the shared page
    li   a0, 11             # "message #N\n"
    li   a2, 0
    li   a7, EID_DBCN
    li   a6, DBCN_CONSOLE_WRITE
    ecall                   # console_write straight from the granted page
    addi t1, t1, 1
    sw   t1, 4(s0)          # tail += 1: the slot is free again
    mv   a0, s1             # ack
    la   a1, msgbuf
    li   a2, 4
    call dgram_send
    addi s3, s3, 1
    li   t0, MESSAGES
    blt  s3, t0, consume

    # 4. unmap, say done
    li   a7, EID_GNTTAB
    li   a6, GNTTAB_UNMAP   # unmap(dest_gpa)
    li   a0, GRANT_WINDOW
    ecall
    bnez a0, fail
    la   t0, msgbuf
    li   t1, 0xD0E
    sw   t1, 0(t0)
    mv   a0, s1
    la   a1, msgbuf
    li   a2, 4
    call dgram_send
    la   a0, said_done
    call puts
    li   a0, 0
    j    shutdown

fail:
    la   a0, said_failed
    call puts
    li   a0, 1
    j    shutdown

.include "lib/shutdown.S"  # shutdown(a0 = exit code): SRST, does not return
.include "lib/dgram.S"     # dgram_send(domid, buffer, length), wait_datagram() into msgbuf
.include "lib/clock.S"     # sleep_for: dgram_send's back-off
.include "lib/dbcn.S"      # puts(a0): print through the debug console

said_mapped: .asciz "consumer: ring mapped\n"
said_done:   .asciz "consumer: all messages read, page unmapped\n"
said_failed: .asciz "consumer: a hypercall failed\n"

.data
.balign 16
msgbuf: .zero 64
