/* crt0: the first code a hvlab C guest runs.
 *
 * The hypervisor enters at _start with sp at the top of the VM's RAM (see
 * DESIGN, "The guest machine"). We zero .bss (the ELF says how big it is but
 * carries no bytes for it), call main, flush the console and hand main's
 * return value to SBI SRST system_reset(type 0 = shutdown, reason), which
 * the hypervisor records as the VM's exit code. SBI reserves most reason
 * values; hvlab reads the vendor range 0xE000_00NN as "exit code NN".
 */
#include "sbi.h"

    .section .text.init, "ax"
    .globl _start
_start:
    bnez    sp, 1f
    la      sp, __stack_top         /* a loader that set no sp: use the link-time top */
1:  andi    sp, sp, -16             /* the psABI wants a 16-byte aligned stack */
    la      t0, __bss_start
    la      t1, __bss_end
2:  bgeu    t0, t1, 3f
    sw      zero, 0(t0)
    addi    t0, t0, 4
    j       2b
3:  li      a0, 0                   /* argc */
    li      a1, 0                   /* argv */
    call    main
    mv      s0, a0
    call    hv_flush
    li      a7, EID_SRST
    li      a6, SRST_SYSTEM_RESET
    li      a0, SRST_SHUTDOWN
    andi    a1, s0, 0xFF            /* reason: 0xE000_0000 | exit code */
    li      t0, SRST_REASON_EXIT_CODE
    or      a1, a1, t0
    ecall
4:  ebreak                          /* SRST returned (refused): stop for the debugger */
    j       4b
