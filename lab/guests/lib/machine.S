# lib/machine.S -- the guest machine's memory map, as constants (QEMU `virt` layout, DESIGN.md).
#
# Provides: .equ symbols only (no code, no data): where RAM and the grant window
# are, and the registers of the 16550 UART.
# Include it near the top of a program, before any code that uses these names:
# `li` needs its constant defined before the line that uses it.

        .equ RAM_BASE,     0x80000000   # RAM: the program is loaded here and sp starts at its top
        .equ GRANT_WINDOW, 0x90000000   # where this VM maps the pages other VMs grant it (1 MiB)
        .equ PAGE_SIZE,    4096         # the unit of a grant

        .equ UART_BASE,   0x10000000    # 16550 UART
        .equ UART_RBR,    0             # read: the next received byte
        .equ UART_THR,    0             # write: send a byte
        .equ UART_LSR,    5             # line status register
        .equ LSR_DR,      0x01          # bit 0: a received byte is waiting
        .equ LSR_THRE,    0x20          # bit 5: ready to send a byte
