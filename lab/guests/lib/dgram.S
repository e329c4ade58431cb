# lib/dgram.S -- datagrams between VMs (the lab's DGRAM extension): dgram_send, wait_datagram.
#
# Provides (standard calling convention; both use a0..a2, a6, a7, t0):
#   dgram_send      send a2 bytes at a1 to domain a0; while the hypervisor's
#                   queue is full, wait (wfi) and try again
#   wait_datagram   wait (wfi) until a datagram arrives and receive it into
#                   msgbuf: the sender's domid (stamped by the hypervisor), then
#                   the payload; a1 = bytes received
# Needs: lib/sbi.S, included before; msgbuf, a 64-byte buffer of the program.

# dgram_send(a0 = domid, a1 = buffer, a2 = length): DGRAM send, retry while the queue is full
dgram_send:
    mv   t0, a0
1:  li   a7, EID_DGRAM
    li   a6, DGRAM_SEND
    mv   a0, t0
    ecall
    beqz a0, 2f
    wfi
    j    1b
2:  ret

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
