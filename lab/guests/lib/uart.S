# lib/uart.S -- console output on the UART: putc, newline, puts.
#
# Provides (standard calling convention: arguments in a0..a7, result in a0,
# ra the return address, s0..s11 preserved, t0..t6 and a0..a7 not):
#   putc      send the byte in a0 (waits while the UART is busy)
#   newline   send "\n"
#   puts      send the NUL-terminated string at a0
# Needs: lib/machine.S (the UART's registers), included before.
# Reading is left to the program: its getc decides what to do while no key
# is there (wfi, or service the network as the monitor does).

# putc: send one byte to the UART.   in: a0 = byte
putc:
        li   t0, UART_BASE
1:      lbu  t1, UART_LSR(t0)
        andi t1, t1, LSR_THRE
        beqz t1, 1b
        sb   a0, UART_THR(t0)
        ret

# newline: send "\n".
newline:
        li   a0, '\n'
        j    putc

# puts: send a NUL-terminated string.   in: a0 = string
puts:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        mv   s0, a0
1:      lbu  a0, 0(s0)
        beqz a0, 2f
        call putc
        addi s0, s0, 1
        j    1b
2:      lw   ra, 12(sp)
        lw   s0, 8(sp)
        addi sp, sp, 16
        ret
