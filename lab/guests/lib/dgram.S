# lib/dgram.S -- datagrams between VMs (the lab's DGRAM extension): dgram_send, wait_datagram.
#
# Provides (standard calling convention; both use a0..a2, a6, a7, t0, t1):
#   dgram_send      send a2 bytes at a1 to domain a0; while the hypervisor
#                   refuses (the receiver's inbox is full, or our quota in it is
#                   used up: dgram.sender_quota), sleep DGRAM_BACKOFF
#                   instructions (lib/clock.S) and try again. A timer, not a
#                   bare wfi: nothing tells a sender that room came free.
#   wait_datagram   wait (wfi) until a datagram arrives and receive it into
#                   msgbuf: the sender's domid (stamped by the hypervisor), then
#                   the payload; a1 = bytes received
# Needs: lib/sbi.S, included before; lib/clock.S; msgbuf, a 64-byte buffer of the program.

        .equ DGRAM_BACKOFF, 1000    # instructions dgram_send sleeps after a refusal

# dgram_send(a0 = domid, a1 = buffer, a2 = length): DGRAM send, retry while refused
dgram_send:
    addi sp, sp, -16
    sw   ra, 12(sp)
    sw   a0, 8(sp)
    sw   a1, 4(sp)
    sw   a2, 0(sp)
1:  lw   a0, 8(sp)
    lw   a1, 4(sp)
    lw   a2, 0(sp)
    li   a7, EID_DGRAM
    li   a6, DGRAM_SEND
    ecall
    beqz a0, 2f
    li   a0, DGRAM_BACKOFF
    call sleep_for
    j    1b
2:  lw   ra, 12(sp)
    addi sp, sp, 16
    ret

# wait_datagram(): wait until a datagram arrives and receive it into msgbuf
wait_datagram:
1:  li   a7, EID_DGRAM
    li   a6, DGRAM_RECV     # recv(gpa, maxlen)
    la   a0, msgbuf
    li   a1, 64
    ecall
    bnez a1, 2f
    wfi
    j    1b
2:  ret
