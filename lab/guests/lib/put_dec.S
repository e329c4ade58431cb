# lib/put_dec.S -- print a number in decimal: put_dec.
#
# Provides (standard calling convention):
#   put_dec   print a0 as an unsigned decimal number (no newline)
# Needs: puts (lib/uart.S, or the program's own).
# It builds the digits in 12 bytes of its own stack frame, last digit first.

# put_dec: print a0 as an unsigned decimal number.   in: a0 = value
put_dec:
        addi sp, sp, -32
        sw   ra, 28(sp)
        sw   s0, 24(sp)
        sw   s1, 20(sp)
        mv   s0, a0
        addi s1, sp, 12                 # digits go into sp+0..11, last digit first
        sb   zero, 0(s1)
        li   t1, 10
1:      remu t0, s0, t1
        addi t0, t0, '0'
        addi s1, s1, -1
        sb   t0, 0(s1)
        divu s0, s0, t1
        bnez s0, 1b
        mv   a0, s1
        call puts
        lw   ra, 28(sp)
        lw   s0, 24(sp)
        lw   s1, 20(sp)
        addi sp, sp, 32
        ret
