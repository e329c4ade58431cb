# spin.S -- a guest that never waits: it counts in a loop forever (for `run N` tests).
        .text
        .globl _start
_start:
        li   t0, 0
loop:
        addi t0, t0, 1
        j    loop
