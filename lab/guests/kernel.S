# kernel.S -- a guest kernel: it runs a user program in user mode and serves its system calls.
#
# Real guests (Linux, xv6) run their kernel in the VM's supervisor mode and
# their programs in user mode; the kernel alone talks to the hardware and to
# the hypervisor. This one does it in miniature:
#
#   boot      in supervisor mode, where every guest starts: point stvec at the
#             trap handler and sscratch at the kernel's stack, then `sret` into
#             the user program, ush (ush.S, the shell a user types into)
#   traps     every trap from user mode lands in trap_entry, which swaps to the
#             kernel's stack, saves the user's registers and reads scause:
#               8 (CAUSE_USER_ECALL)  a system call: a7 = its number, a0..a5 its
#                                     arguments; the answer goes back in a0
#                                     (negative: -errno) and sret returns past it
#               anything else         the program did what only the kernel may (a
#                                     CSR, sret or wfi: illegal instruction) or hit
#                                     a bad address: the kernel says why, with
#                                     scause, sepc and stval, and starts it again
#   syscalls  (the numbers are Linux's on RISC-V where Linux has the call; lib/usys.S)
#               63  read(fd, buf, len)   console input; waits (wfi) for at least a byte
#               64  write(fd, buf, len)  console output: the kernel makes the SBI call
#               93  exit(code)           the program ends; the kernel starts it again
#               174 getuid()             1000: the user is not the administrator
#               500 vm_count()           how many VMs (the kernel asks the hypervisor)
#               501 vm_state(domid)      one VM's state, 0 running .. 3 faulted; < 0 none
#             any other number: -ENOSYS, never a crash (as xv6's syscall()).
#
# The kernel decides what its users may ask the hypervisor for: anyone may
# list the VMs, and no system call pauses or destroys one, although this VM
# may (it is the control domain). That holds only if the hypervisor serves
# nothing but the kernel's own ecalls: an ecall from user mode is a system
# call, and the hypervisor must pass it on here (hypercall.check_caller_mode).
#
# What this kernel leaves out: page tables. The machine has none, so a user
# program could read and write all of the VM's memory, the kernel's included;
# a real kernel maps only the program's own pages (satp). Here only the level
# is enforced: a CSR, sret or wfi from user mode traps.
#
# Memory: the kernel's code and data, then ush's (after .include "ush.S");
# the kernel's stack (kstack) in .bss; the user's stack at the top of RAM.

        .include "lib/machine.S"        # RAM_BASE, SSTATUS_*, CAUSE_*
        .include "lib/sbi.S"            # EID_..., the hypercall numbers

        .equ KSTACK_SIZE, 4096
        .equ FRAME,       128           # a trap frame: x1..x31 at 4 * n
        .equ USER_UID,    1000
        .equ EFAULT,      14            # -errno answers
        .equ ENOSYS_K,    38            # (lib/usys.S names it ENOSYS for the user side)
        .equ EINVAL,      22

        .text
        .globl _start
# _start: boot in supervisor mode, with sp at the top of RAM (the hypervisor's doing).
_start:
        la   t0, ram_top                # the user's stack starts where ours did
        sw   sp, 0(t0)
        la   sp, kstack_top
        la   t0, trap_entry             # every trap from user mode comes here
        csrw stvec, t0
        li   a7, EID_VMCTL              # who are we?
        li   a6, VMCTL_SELF
        ecall
        la   t0, my_domid
        sw   a1, 0(t0)
        la   a0, kmsg_banner
        call kputs
        la   t0, my_domid
        lw   a0, 0(t0)
        call kput_dec
        la   a0, kmsg_banner_end
        call kputs
        # fall through: start the user program

# start_user: (re)start ush in user mode: a fresh stack, every register 0.
start_user:
        la   sp, kstack_top
        csrw sscratch, sp               # the kernel's stack, for the next trap from user mode
        li   t0, SSTATUS_SPP
        csrc sstatus, t0                # SPP = user: sret drops to user mode
        la   t0, ush_start
        csrw sepc, t0                   # ... at the program's entry
        la   t0, ram_top
        lw   sp, 0(t0)
        mv   ra, zero
        mv   gp, zero
        mv   tp, zero
        mv   t0, zero
        mv   t1, zero
        mv   t2, zero
        mv   s0, zero
        mv   s1, zero
        mv   s2, zero
        mv   s3, zero
        mv   s4, zero
        mv   s5, zero
        mv   s6, zero
        mv   s7, zero
        mv   s8, zero
        mv   s9, zero
        mv   s10, zero
        mv   s11, zero
        mv   a0, zero
        mv   a1, zero
        mv   a2, zero
        mv   a3, zero
        mv   a4, zero
        mv   a5, zero
        mv   a6, zero
        mv   a7, zero
        mv   t3, zero
        mv   t4, zero
        mv   t5, zero
        mv   t6, zero
        sret

# ------------------------------------------------------------------ traps

# trap_entry: a trap from user mode (stvec). sscratch holds the kernel's stack.
        .balign 4
trap_entry:
        csrrw sp, sscratch, sp          # sp = the kernel's stack, sscratch = the user's sp
        addi sp, sp, -FRAME
        sw   x1, 4(sp)
        sw   x3, 12(sp)
        sw   x4, 16(sp)
        sw   x5, 20(sp)
        sw   x6, 24(sp)
        sw   x7, 28(sp)
        sw   x8, 32(sp)
        sw   x9, 36(sp)
        sw   x10, 40(sp)
        sw   x11, 44(sp)
        sw   x12, 48(sp)
        sw   x13, 52(sp)
        sw   x14, 56(sp)
        sw   x15, 60(sp)
        sw   x16, 64(sp)
        sw   x17, 68(sp)
        sw   x18, 72(sp)
        sw   x19, 76(sp)
        sw   x20, 80(sp)
        sw   x21, 84(sp)
        sw   x22, 88(sp)
        sw   x23, 92(sp)
        sw   x24, 96(sp)
        sw   x25, 100(sp)
        sw   x26, 104(sp)
        sw   x27, 108(sp)
        sw   x28, 112(sp)
        sw   x29, 116(sp)
        sw   x30, 120(sp)
        sw   x31, 124(sp)
        csrr t0, scause
        li   t1, CAUSE_USER_ECALL
        bne  t0, t1, user_fault
        csrr t0, sepc                   # a system call: return past the ecall
        addi t0, t0, 4
        csrw sepc, t0
        call syscall                    # a0..a7 are still the user's
        sw   a0, 40(sp)                 # the answer, in the user's a0
        lw   x1, 4(sp)
        lw   x3, 12(sp)
        lw   x4, 16(sp)
        lw   x5, 20(sp)
        lw   x6, 24(sp)
        lw   x7, 28(sp)
        lw   x8, 32(sp)
        lw   x9, 36(sp)
        lw   x10, 40(sp)
        lw   x11, 44(sp)
        lw   x12, 48(sp)
        lw   x13, 52(sp)
        lw   x14, 56(sp)
        lw   x15, 60(sp)
        lw   x16, 64(sp)
        lw   x17, 68(sp)
        lw   x18, 72(sp)
        lw   x19, 76(sp)
        lw   x20, 80(sp)
        lw   x21, 84(sp)
        lw   x22, 88(sp)
        lw   x23, 92(sp)
        lw   x24, 96(sp)
        lw   x25, 100(sp)
        lw   x26, 104(sp)
        lw   x27, 108(sp)
        lw   x28, 112(sp)
        lw   x29, 116(sp)
        lw   x30, 120(sp)
        lw   x31, 124(sp)
        addi sp, sp, FRAME
        csrrw sp, sscratch, sp          # sp = the user's, sscratch = the kernel's stack again
        sret

# user_fault: the program trapped for another reason: say why, start it again.
user_fault:
        la   a0, msg_killed             # "[kernel] ush: <cause> at pc 0x...", "[kernel] scause N, stval 0x...: killed"
        call kputs
        csrr a0, scause
        li   t0, CAUSE_SUPERVISOR_ECALL
        bgtu a0, t0, 1f
        slli a0, a0, 2
        la   t0, cause_names
        add  t0, t0, a0
        lw   a0, 0(t0)
        j    2f
1:      la   a0, msg_unknown_cause
2:      call kputs
        la   a0, msg_at_pc
        call kputs
        csrr a0, sepc
        call kput_hex
        la   a0, msg_scause
        call kputs
        csrr a0, scause
        call kput_dec
        la   a0, msg_stval
        call kputs
        csrr a0, stval
        call kput_hex
        la   a0, msg_restart
        call kputs
        j    start_user

# syscall: run system call a7 with arguments a0..a5; a0 = its answer.
# The table: number, routine; a number not in it is -ENOSYS.
syscall:
        addi sp, sp, -16
        sw   ra, 12(sp)
        la   t0, syscalls
1:      lw   t1, 0(t0)
        beqz t1, 2f
        beq  t1, a7, 3f
        addi t0, t0, 8
        j    1b
2:      li   a0, -ENOSYS_K
        j    4f
3:      lw   t1, 4(t0)
        jalr t1
4:      lw   ra, 12(sp)
        addi sp, sp, 16
        ret

# user_buffer: is [a1, a1 + a2) inside RAM? (the kernel checks what a user
# hands it before it hands it on, as the hypervisor checks the kernel's
# buffers.)   out: t0 = 1 if it is
user_buffer:
        li   t0, RAM_BASE
        bltu a1, t0, 1f
        add  t1, a1, a2
        bltu t1, a1, 1f                 # wrapped around
        la   t2, ram_top
        lw   t2, 0(t2)
        bgtu t1, t2, 1f
        li   t0, 1
        ret
1:      li   t0, 0
        ret

# read(fd, buf, len): console input; waits with wfi until at least a byte came.
sys_read:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        sw   s1, 4(sp)
        call user_buffer
        beqz t0, 8f
        beqz a2, 7f
        mv   s0, a1                     # s0 = buf, s1 = len
        mv   s1, a2
1:      li   a7, EID_DBCN               # console_read(len, base_lo, base_hi)
        li   a6, DBCN_CONSOLE_READ
        mv   a0, s1
        mv   a1, s0
        mv   a2, zero
        ecall
        bnez a0, 8f
        bnez a1, 6f
        wfi                             # nothing yet: give the CPU back until input comes
        j    1b
6:      mv   a0, a1
        j    9f
7:      li   a0, 0
        j    9f
8:      li   a0, -EFAULT
9:      lw   ra, 12(sp)
        lw   s0, 8(sp)
        lw   s1, 4(sp)
        addi sp, sp, 16
        ret

# write(fd, buf, len): console output, by the hypervisor's debug console (DBCN).
sys_write:
        mv   t3, ra
        call user_buffer
        mv   ra, t3
        beqz t0, 1f
        li   a7, EID_DBCN               # console_write(len, base_lo, base_hi)
        li   a6, DBCN_CONSOLE_WRITE
        mv   a0, a2
        mv   a2, zero
        ecall
        bnez a0, 1f
        mv   a0, a1                     # bytes written
        ret
1:      li   a0, -EFAULT
        ret

# exit(code): the program is done: say so, and start it again.
sys_exit:
        mv   s0, a0
        la   a0, msg_exit
        call kputs
        mv   a0, s0
        call kput_dec
        call knewline
        j    start_user

# getuid(): the user's id.
sys_getuid:
        li   a0, USER_UID
        ret

# vm_count(): how many VMs the machine has (VMCTL count).
sys_vm_count:
        li   a7, EID_VMCTL
        li   a6, VMCTL_COUNT
        ecall
        mv   a0, a1
        ret

# vm_state(domid): a VM's state (VMCTL info: the control domain may ask), or < 0.
sys_vm_state:
        li   a7, EID_VMCTL
        li   a6, VMCTL_INFO
        ecall
        bnez a0, 1f
        mv   a0, a1
1:      ret

# ------------------------------------------------------------------ the kernel's console

# kputs: print a NUL-terminated string with one hypercall (DBCN console_write).
kputs:
        mv   t0, a0
        mv   t1, zero
1:      add  t2, t0, t1
        lbu  t2, 0(t2)
        beqz t2, 2f
        addi t1, t1, 1
        j    1b
2:      li   a7, EID_DBCN
        li   a6, DBCN_CONSOLE_WRITE
        mv   a0, t1
        mv   a1, t0
        mv   a2, zero
        ecall
        ret

knewline:
        la   a0, msg_newline
        j    kputs

# kput_dec: print a0 as an unsigned decimal number.
kput_dec:
        addi sp, sp, -32
        sw   ra, 28(sp)
        addi t1, sp, 15                 # digits go into sp+0..14, last digit first
        sb   zero, 0(t1)
        li   t2, 10
1:      remu t0, a0, t2
        addi t0, t0, '0'
        addi t1, t1, -1
        sb   t0, 0(t1)
        divu a0, a0, t2
        bnez a0, 1b
        mv   a0, t1
        call kputs
        lw   ra, 28(sp)
        addi sp, sp, 32
        ret

# kput_hex: print a0 as 0x and 8 hex digits.
kput_hex:
        addi sp, sp, -32
        sw   ra, 28(sp)
        li   t0, '0'
        sb   t0, 0(sp)
        li   t0, 'x'
        sb   t0, 1(sp)
        addi t1, sp, 2
        li   t2, 28                     # the bit position of the next digit
1:      srl  t0, a0, t2
        andi t0, t0, 0xf
        la   t3, hex_digits
        add  t3, t3, t0
        lbu  t0, 0(t3)
        sb   t0, 0(t1)
        addi t1, t1, 1
        addi t2, t2, -4
        bgez t2, 1b
        sb   zero, 0(t1)
        mv   a0, sp
        call kputs
        lw   ra, 28(sp)
        addi sp, sp, 32
        ret

# ================================================================== the kernel's data
# On pages of their own: the pure-Python core checks stores against pages that hold code.
        .data
        .balign 4096
# The system call table: number, routine; ends with 0.
syscalls:
        .word 63,  sys_read
        .word 64,  sys_write
        .word 93,  sys_exit
        .word 174, sys_getuid
        .word 500, sys_vm_count
        .word 501, sys_vm_state
        .word 0,   0

# What scause says, by its value (privileged spec, table "scause values").
cause_names:
        .word c_fetch_misaligned, c_fetch_access, c_illegal, c_breakpoint, c_load_misaligned
        .word c_load_access, c_store_misaligned, c_store_access, c_user_ecall, c_supervisor_ecall
c_fetch_misaligned: .asciz "instruction address misaligned"
c_fetch_access:     .asciz "instruction access fault"
c_illegal:          .asciz "illegal instruction"
c_breakpoint:       .asciz "breakpoint"
c_load_misaligned:  .asciz "load address misaligned"
c_load_access:      .asciz "load access fault"
c_store_misaligned: .asciz "store address misaligned"
c_store_access:     .asciz "store access fault"
c_user_ecall:       .asciz "environment call from U-mode"
c_supervisor_ecall: .asciz "environment call from S-mode"

kmsg_banner:       .asciz "[kernel] hvlab kernel on dom"
kmsg_banner_end:   .asciz ": starting ush in user mode\n"
msg_killed:        .asciz "[kernel] ush: "
msg_unknown_cause: .asciz "unknown trap"
msg_at_pc:         .asciz " at pc "
msg_scause:        .asciz "\n[kernel] scause "  # two short lines: a narrow console shows them whole
msg_stval:         .asciz ", stval "
msg_restart:       .asciz ": killed\n"
msg_exit:          .asciz "[kernel] ush exited with code "
msg_newline:       .asciz "\n"
hex_digits:        .ascii "0123456789abcdef"

        .balign 4
ram_top:    .word 0                     # the top of RAM: the user's stack starts here
my_domid:   .word 0

        .bss
        .balign 16
kstack:     .space KSTACK_SIZE
kstack_top:

# ================================================================== the user program
        .text
        .balign 4096
        .include "ush.S"
