# ush.S -- a user shell: a program that runs in user mode under kernel.S.
#
# kernel.S includes this file and starts it in user mode at `ush_start`; it
# restarts it when it exits or does something only a kernel may. Everything
# ush does, it asks the kernel for with a system call (lib/usys.S): it prints
# with write(), reads the keyboard with read(), learns who it is with
# getuid(). It has the monitor's shape: a prompt loop and a command table, run
# by the command shell of lib/shell.S.
#
# Commands:
#   help                      list the commands
#   echo TEXT                 print TEXT
#   id                        who we are: the user id the kernel reports
#   vms                       the VMs and their states, as the kernel tells us (vm_count, vm_state)
#   sstatus                   read the CSR sstatus: only the kernel may (try it)
#   ecall A7 [A6 A0 A1 A2 A3] make an ecall with these registers from user mode and print
#                             a0 and a1: a system call is ecall with a7 = its number
#   exit [CODE]               end the program (exit system call): the kernel starts it again
#
# Like every user program, ush may execute any instruction it likes: the
# hardware (a trap to the kernel) and the kernel decide what that achieves.

        .include "lib/usys.S"           # putc, puts, newline, getc; SYS_... numbers

        .equ LINE_MAX,    120           # characters in a command line
        .equ MAX_ARGS,    64            # a 120-character line has at most 60 words
        .equ HELP_COLUMN, 26            # help: where a command's description starts

# ush_start: the kernel's sret lands here, in user mode, sp at the top of RAM.
ush_start:
        la   t0, saved_sp               # abort_command comes back to this stack
        sw   sp, 0(t0)
        la   a0, msg_banner
        call puts

prompt_loop:
        la   a0, msg_prompt
        call puts
        la   a0, line
        li   a1, LINE_MAX
        call read_line
        la   a0, line
        call split_words                # a0 = number of words
        beqz a0, prompt_loop
        call run_command
        j    prompt_loop

# ------------------------------------------------------------------ commands
# Each cmd_ routine gets a0 = argc and a1 = argv (lib/shell.S checked the count).

# echo TEXT: print the rest of the line as typed.
cmd_echo:
        addi sp, sp, -16
        sw   ra, 12(sp)
        la   a0, line
        li   t1, ' '
1:      lbu  t0, 0(a0)                  # skip spaces, then "echo", then spaces
        bne  t0, t1, 2f
        addi a0, a0, 1
        j    1b
2:      lbu  t0, 0(a0)
        beqz t0, 4f
        beq  t0, t1, 3f
        addi a0, a0, 1
        j    2b
3:      lbu  t0, 0(a0)
        bne  t0, t1, 4f
        addi a0, a0, 1
        j    3b
4:      call puts
        call newline
        lw   ra, 12(sp)
        addi sp, sp, 16
        ret

# id: the user id, from the kernel.
cmd_id:
        addi sp, sp, -16
        sw   ra, 12(sp)
        la   a0, msg_uid
        call puts
        li   a7, SYS_GETUID
        ecall
        call put_dec
        la   a0, msg_uid_end
        call puts
        lw   ra, 12(sp)
        addi sp, sp, 16
        ret

# vms: ask the kernel how many VMs there are, then each one's state.
cmd_vms:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        sw   s1, 4(sp)
        li   a7, SYS_VM_COUNT
        ecall
        mv   s1, a0                     # s1 = how many
        li   s0, 0                      # s0 = domid
1:      bgeu s0, s1, 3f
        la   a0, msg_dom
        call puts
        mv   a0, s0
        call put_dec
        li   a0, ' '
        call putc
        mv   a0, s0
        li   a7, SYS_VM_STATE
        ecall
        la   t0, msg_gone               # < 0: no such VM (destroyed)
        bltz a0, 2f
        li   t1, 3
        bgtu a0, t1, 2f
        slli a0, a0, 2
        la   t0, state_names
        add  t0, t0, a0
        lw   t0, 0(t0)
2:      mv   a0, t0
        call puts
        call newline
        addi s0, s0, 1
        j    1b
3:      lw   ra, 12(sp)
        lw   s0, 8(sp)
        lw   s1, 4(sp)
        addi sp, sp, 16
        ret

# sstatus: read the CSR. In user mode this is an illegal instruction: the
# kernel gets the trap (scause 2) and ush never sees the value.
cmd_sstatus:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        csrr s0, sstatus
        la   a0, msg_sstatus
        call puts
        mv   a0, s0
        call put_dec
        call newline
        lw   ra, 12(sp)
        lw   s0, 8(sp)
        addi sp, sp, 16
        ret

# ecall A7 [A6 A0 A1 A2 A3]: load the registers (0 for those left out),
# make the ecall and print a0 (signed) and a1.
cmd_ecall:
        addi sp, sp, -32
        sw   ra, 28(sp)
        sw   s0, 24(sp)
        sw   s1, 20(sp)
        mv   s0, a0                     # s0 = argc
        la   t0, ecall_regs             # a7, a6, a0 .. a3: clear them
        sw   zero, 0(t0)
        sw   zero, 4(t0)
        sw   zero, 8(t0)
        sw   zero, 12(t0)
        sw   zero, 16(t0)
        sw   zero, 20(t0)
        li   s1, 1                      # s1 = argument index
1:      bge  s1, s0, 2f
        mv   a0, s1
        call arg_num
        la   t0, ecall_regs
        slli t1, s1, 2
        add  t0, t0, t1
        sw   a0, -4(t0)
        addi s1, s1, 1
        j    1b
2:      la   t0, ecall_regs
        lw   a7, 0(t0)
        lw   a6, 4(t0)
        lw   a0, 8(t0)
        lw   a1, 12(t0)
        lw   a2, 16(t0)
        lw   a3, 20(t0)
        ecall                           # from user mode: whoever takes it, answers in a0, a1
        mv   s0, a0
        mv   s1, a1
        la   a0, msg_a0
        call puts
        mv   a0, s0
        call put_signed
        la   a0, msg_a1
        call puts
        mv   a0, s1
        call put_dec
        call newline
        lw   ra, 28(sp)
        lw   s0, 24(sp)
        lw   s1, 20(sp)
        addi sp, sp, 32
        ret

# exit [CODE]: the exit system call; the kernel starts ush again.
cmd_exit:
        li   t0, 2
        li   s0, 0
        blt  a0, t0, 1f
        li   a0, 1
        call arg_num
        mv   s0, a0
1:      mv   a0, s0
        li   a7, SYS_EXIT
        ecall                           # does not return

# put_signed: print a0 as a signed decimal number.
put_signed:
        bgez a0, put_dec
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   a0, 8(sp)
        li   a0, '-'
        call putc
        lw   a0, 8(sp)
        neg  a0, a0
        call put_dec
        lw   ra, 12(sp)
        addi sp, sp, 16
        ret

        .include "lib/shell.S"          # run_command, cmd_help, arg_num, read_line, split_words, ...
        .include "lib/parse_num.S"      # parse_num
        .include "lib/str_eq.S"         # str_eq
        .include "lib/put_dec.S"        # put_dec

# ================================================================== ush's data
        .data
        .balign 4
commands:
        .word s_help,    cmd_help,    0, 1,  a_help,    h_help,    n_help
        .word s_echo,    cmd_echo,    0, 60, a_echo,    h_echo,    n_echo
        .word s_id,      cmd_id,      0, 0,  a_id,      h_id,      n_id
        .word s_vms,     cmd_vms,     0, 0,  a_vms,     h_vms,     n_vms
        .word s_sstatus, cmd_sstatus, 0, 0,  a_sstatus, h_sstatus, n_sstatus
        .word s_ecall,   cmd_ecall,   1, 6,  a_ecall,   h_ecall,   n_ecall
        .word s_exit,    cmd_exit,    0, 1,  a_exit,    h_exit,    n_exit
        .word 0, 0, 0, 0, 0, 0, 0

s_help:    .asciz "help"
s_echo:    .asciz "echo"
s_id:      .asciz "id"
s_vms:     .asciz "vms"
s_sstatus: .asciz "sstatus"
s_ecall:   .asciz "ecall"
s_exit:    .asciz "exit"

a_help:    .asciz "[COMMAND]"
a_echo:    .asciz "TEXT"
a_id:      .asciz ""
a_vms:     .asciz ""
a_sstatus: .asciz ""
a_ecall:   .asciz "A7 [A6 A0 A1 A2 A3]"
a_exit:    .asciz "[CODE]"

h_help:    .asciz "list the commands"
h_echo:    .asciz "print TEXT"
h_id:      .asciz "who we are (the kernel's getuid)"
h_vms:     .asciz "the VMs and their states (the kernel asks the hypervisor)"
h_sstatus: .asciz "read the CSR sstatus (only the kernel may)"
h_ecall:   .asciz "an ecall with these registers; prints a0 and a1"
h_exit:    .asciz "end ush (the kernel starts it again)"

n_help:    .asciz ""
n_echo:    .asciz ""
n_id:      .asciz ""
n_vms:     .asciz "system calls vm_count and vm_state: the kernel makes the hypercalls"
n_sstatus: .asciz "csrr from user mode is an illegal instruction: the kernel takes the trap (scause 2) and restarts ush"
n_ecall:   .asciz "a7 = a system call's number (the kernel's) or an extension's EID (the hypervisor's), a6 = its function"
n_exit:    .asciz ""

        .balign 4
state_names:
        .word st_running, st_paused, st_halted, st_faulted
st_running: .asciz "running"
st_paused:  .asciz "paused"
st_halted:  .asciz "halted"
st_faulted: .asciz "faulted"

msg_banner:         .asciz "ush: a user shell, in user mode (type help)\n"
msg_prompt:         .asciz "$ "
msg_uid:            .asciz "uid="
msg_uid_end:        .asciz " (a user: the kernel is in charge)\n"
msg_dom:            .asciz "dom"
msg_gone:           .asciz "gone"
msg_sstatus:        .asciz "sstatus="
msg_a0:             .asciz "a0="
msg_a1:             .asciz " a1="
msg_erase:          .asciz "\b \b"
msg_unknown:        .asciz "error: unknown command '"
msg_try_help:       .asciz "' (try help)\n"
msg_usage:          .asciz "error: usage: "
msg_help_head:      .asciz "commands (numbers are decimal or hex 0x..):\n"
msg_indent:         .asciz "  "
msg_bad_number:     .asciz "error: bad number '"
msg_bad_number_end: .asciz "' (use hex 0x.. or decimal)\n"

        .balign 4
saved_sp:   .word 0                     # the prompt loop's stack (abort_command)
ecall_regs: .space 24                   # a7, a6, a0 .. a3 for `ecall`
argv:       .space MAX_ARGS * 4
saw_cr:     .byte 0
line:       .space LINE_MAX + 1
words:      .space LINE_MAX + 1
