# producer.S - shares a message ring with the next domain through a grant.
#
# The legitimate use of grant tables and datagrams, the way Xen's split
# drivers (netfront/netback, blkfront/blkback) use them:
#
#   1. grant the consumer (the domain after us) read-write access to our
#      ring page, and tell it the grant reference in a datagram;
#   2. write MESSAGES messages into the ring, one per slot, and ring the
#      consumer with a datagram after each one;
#   3. wait for the consumer's "done" datagram (it has unmapped the page),
#      then end the grant and shut down.
#
# The consumer acks every message with a datagram. The producer takes the
# acks as they come (take_acks, after each doorbell) instead of leaving them in
# its inbox: an inbox is shared and bounded, and a hardened hypervisor caps
# what one sender may have waiting in it (dgram.sender_quota).
#
# Ring page layout (shared):   0x00 u32 head   (slots written by the producer)
#                              0x04 u32 tail   (slots read by the consumer)
#                              0x10 slot[0]    16 bytes each, SLOTS slots
# The producer waits while the ring is full (head - tail == SLOTS).

.include "lib/sbi.S"        # EID_..., the hypercall numbers
.equ MESSAGES, 10
.equ SLOTS,    4

.text
.globl _start
_start:
    # s1 = our domid, s2 = the consumer's (the next domain)
    li   a7, EID_VMCTL
    li   a6, VMCTL_SELF     # self()
    ecall
    mv   s1, a1
    addi s2, s1, 1
    li   s5, 0              # s5 = 1 once the consumer's "done" came in

    # 1. grant the ring page to the consumer, read-write
    li   a7, EID_GNTTAB
    li   a6, GNTTAB_GRANT_ACCESS # grant_access(gpa, grantee, flags)
    la   a0, ring
    mv   a1, s2
    li   a2, 0
    ecall
    bnez a0, fail
    mv   s3, a1             # s3 = grant reference
    la   t0, msgbuf
    sw   s3, 0(t0)          # tell the consumer: datagram with the ref
    mv   a0, s2
    la   a1, msgbuf
    li   a2, 4
    call dgram_send
    la   a0, said_granted
    call puts

    # 2. produce MESSAGES messages
    li   s4, 0              # s4 = message number
produce:
    la   s0, ring
1:  lw   t0, 0(s0)          # head
    lw   t1, 4(s0)          # tail
    sub  t2, t0, t1
    li   t3, SLOTS
    bltu t2, t3, 2f         # room in the ring?
    call wait_datagram      # full: wait for the consumer's ack
    j    1b
2:  andi t2, t0, SLOTS - 1  # slot = head % SLOTS
    slli t2, t2, 4
    addi t2, t2, 16
    add  t2, s0, t2         # t2 = &slot
    la   t3, template       # copy "message #N" into the slot
    li   t4, 16
3:  lbu  t5, 0(t3)
    sb   t5, 0(t2)
    addi t3, t3, 1
    addi t2, t2, 1
    addi t4, t4, -1
    bnez t4, 3b
    addi t5, s4, '0'        # the digit
    sb   t5, -7(t2)
    addi t0, t0, 1
    sw   t0, 0(s0)          # publish: head += 1
    mv   a0, s2             # ring the consumer
    la   a1, msgbuf
    li   a2, 4
    call dgram_send
    call take_acks
    addi s4, s4, 1
    li   t0, MESSAGES
    blt  s4, t0, produce

    # 3. wait for "done" (a datagram whose first word is 0xD0NE), end the grant
    bnez s5, 5f
4:  call wait_datagram
    la   t0, msgbuf
    lw   t1, 4(t0)          # payload after the 4-byte sender id
    li   t2, 0xD0E
    bne  t1, t2, 4b
5:  li   a7, EID_GNTTAB
    li   a6, GNTTAB_END_ACCESS # end_access(ref)
    mv   a0, s3
    ecall
    bnez a0, fail
    la   a0, said_done
    call puts
    li   a0, 0
    j    shutdown

# take_acks: receive every datagram waiting (the consumer's acks) without
# waiting for more; a "done" among them sets s5.
take_acks:
1:  li   a7, EID_DGRAM
    li   a6, DGRAM_RECV     # recv(gpa, maxlen)
    la   a0, msgbuf
    li   a1, 64
    ecall
    beqz a1, 2f
    la   t0, msgbuf
    lw   t1, 4(t0)          # payload after the 4-byte sender id
    li   t2, 0xD0E
    bne  t1, t2, 1b
    li   s5, 1
    j    1b
2:  ret

fail:
    la   a0, said_failed
    call puts
    li   a0, 1
    j    shutdown

.include "lib/shutdown.S"  # shutdown(a0 = exit code): SRST, does not return
.include "lib/dgram.S"     # dgram_send(domid, buffer, length), wait_datagram() into msgbuf
.include "lib/clock.S"     # sleep_for: dgram_send's back-off
.include "lib/dbcn.S"      # puts(a0): print through the debug console

said_granted: .asciz "producer: ring granted to the consumer\n"
said_done:    .asciz "producer: consumer done, grant ended\n"
said_failed:  .asciz "producer: a hypercall failed\n"
template:     .ascii "message #0\n\0\0\0\0\0"

.data
.balign 4096
ring:   .zero 4096          # the shared page
msgbuf: .zero 64
