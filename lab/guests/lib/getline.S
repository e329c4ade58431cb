# lib/getline.S -- read one console line, waiting with wfi: getline.
#
# Provides (standard calling convention; it uses only a0 and t0..t4):
#   getline   read a line from the UART into the program's `line`, echoing each
#             byte, and end it with a NUL; a0 = line. The line ends at CR or LF;
#             bytes past LINE_CHARS are dropped. While no byte is there, `wfi` hands
#             the CPU back to the hypervisor until input arrives.
# Needs: lib/machine.S (the UART's registers), included before; `line`, a buffer
# of LINE_CHARS + 1 bytes in the program.
# (The monitor and the bank read lines with lib/shell.S's read_line, which also
# edits them; this is the small one of the single-command guests.)

        .equ LINE_CHARS, 79

getline:
    la   t0, line
    li   t1, UART_BASE
    li   t4, 0              # length
1:  lbu  t2, UART_LSR(t1)
    andi t2, t2, LSR_DR     # data ready?
    bnez t2, 2f
    wfi
    j    1b
2:  lbu  t3, UART_RBR(t1)
    sb   t3, UART_THR(t1)   # echo
    li   t2, '\n'
    beq  t3, t2, 3f
    li   t2, '\r'
    beq  t3, t2, 3f
    li   t2, LINE_CHARS
    bgeu t4, t2, 1b         # line full: drop the byte
    add  t2, t0, t4
    sb   t3, 0(t2)
    addi t4, t4, 1
    j    1b
3:  add  t2, t0, t4
    sb   zero, 0(t2)
    mv   a0, t0
    ret
