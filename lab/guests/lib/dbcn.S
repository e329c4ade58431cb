# lib/dbcn.S -- console output through the hypervisor: puts by DBCN console_write.
#
# Provides (standard calling convention; it uses a0..a2, a6, a7, t0..t2):
#   puts      print the NUL-terminated string at a0 with one hypercall
# Needs: lib/sbi.S (EID_DBCN, DBCN_CONSOLE_WRITE), included before.
# Unlike lib/uart.S's puts, byte by byte into the UART, this one hands the
# whole buffer to the hypervisor: the buffer is guest memory, which the
# hypervisor must check lies in the caller's RAM (hypercall.check_bounds).

# puts(a0 = NUL-terminated string): print through the debug console
puts:
    mv   t0, a0
    li   t1, 0
1:  add  t2, t0, t1
    lbu  t2, 0(t2)
    beqz t2, 2f
    addi t1, t1, 1
    j    1b
2:  li   a7, EID_DBCN
    li   a6, DBCN_CONSOLE_WRITE # console_write(len, base_lo, base_hi)
    mv   a1, t0
    mv   a0, t1
    li   a2, 0
    ecall
    ret
