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

.equ GNTTAB,   0x09000002
.equ DGRAM,    0x09000003
.equ DBCN,     0x4442434E
.equ SRST,     0x53525354
.equ WINDOW,   0x90000000
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
    li   a7, GNTTAB
    li   a6, 2              # map(granter, ref, dest_gpa, flags)
    mv   a0, s1
    mv   a1, s2
    li   a2, WINDOW
    li   a3, 0
    ecall
    bnez a0, fail
    la   a0, said_mapped
    call puts

    # 3. consume
    li   s0, WINDOW
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
    li   a7, DBCN
    li   a6, 0
    ecall                   # console_write straight from the granted page
    addi t1, t1, 1
    sw   t1, 4(s0)          # tail += 1: the slot is free again
    mv   a0, s1             # ack
    la   a1, msgbuf
    li   a2, 4
    call send
    addi s3, s3, 1
    li   t0, MESSAGES
    blt  s3, t0, consume

    # 4. unmap, say done
    li   a7, GNTTAB
    li   a6, 3              # unmap(dest_gpa)
    li   a0, WINDOW
    ecall
    bnez a0, fail
    la   t0, msgbuf
    li   t1, 0xD0E
    sw   t1, 0(t0)
    mv   a0, s1
    la   a1, msgbuf
    li   a2, 4
    call send
    la   a0, said_done
    call puts
    li   a0, 0
    j    shutdown

fail:
    la   a0, said_failed
    call puts
    li   a0, 1
shutdown:
    mv   a1, a0             # SRST system_reset(shutdown, reason)
    li   a0, 0
    li   a7, SRST
    li   a6, 0
    ecall

# send(a0 = domid, a1 = buffer, a2 = length): DGRAM send, retry while the queue is full
send:
    mv   t0, a0
1:  li   a7, DGRAM
    li   a6, 0
    mv   a0, t0
    ecall
    beqz a0, 2f
    wfi
    j    1b
2:  ret

# wait_datagram(): wait until a datagram arrives and receive it into msgbuf
wait_datagram:
1:  li   a7, DGRAM
    li   a6, 1              # recv(gpa, maxlen)
    la   a0, msgbuf
    li   a1, 64
    ecall
    bnez a1, 2f
    wfi
    j    1b
2:  ret

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

said_mapped: .asciz "consumer: ring mapped\n"
said_done:   .asciz "consumer: all messages read, page unmapped\n"
said_failed: .asciz "consumer: a hypercall failed\n"

.data
.balign 16
msgbuf: .zero 64
