# bank.S -- a bank VM: it keeps a secret in RAM and serves requests on its console.
#
# The bank holds a few accounts and a 64-byte secret (think of the PIN or the
# signing key of a real bank). The secret is written at the label `secret`
# when the VM boots: the scenario's `secret = "..."` replaces the default text.
# The bank never prints it. The lab's attacks read it anyway, from a
# neighbouring VM, through a hypervisor that forgets a check.
#
# When the VM has a disk, the bank keeps its ledger there: at boot it writes
# sector 0 with the opening balances and its audit key (the secret), as a
# real service keeps its books on its volume. (Without a disk it carries on.)
#
# Commands, typed on the bank's console: help, accounts, balance NAME, deposit
# NAME N, withdraw NAME N, batch ROUNDS (N decimal, or hex with 0x). The table `commands` in
# the data section says what each does: `help` prints it, and the docs' guest
# reference is generated from it.
#
# The program has the monitor's shape: a prompt loop and a command table, run
# by the command shell of lib/shell.S (read_line, split_words, run_command);
# the console output is lib/uart.S. Routines follow the standard calling
# convention: arguments in a0..a7, results in a0 (and a1), ra is the return
# address, s0..s11 are preserved.

        .include "lib/machine.S"        # the UART's registers (UART_BASE, ...)
        .include "lib/sbi.S"            # the hypercall numbers (EID_..., their functions)

        # ---- sizes
        .equ LINE_MAX,    120           # characters in a command line
        .equ MAX_ARGS,    64            # a 120-character line has at most 60 words
        .equ SECRET_SIZE, 64
        .equ REPORT_LEN,  10            # "batch done", the batch's report to dom0
        .equ HELP_COLUMN, 21            # help: where a command's description starts

        # ---- one account (2 words)
        .equ ACC_NAME,    0             # the owner's name (string); 0 ends the table
        .equ ACC_BALANCE, 4             # the balance (unsigned)
        .equ ACC_SIZE,    8

        .text
        .globl _start
# _start: print the banner, then the prompt loop forever.
_start:
        la   t0, saved_sp               # abort_command comes back to this stack
        sw   sp, 0(t0)
        call write_ledger
        la   a0, msg_banner
        call puts
        li   a7, EID_VMCTL              # the banner names our domain
        li   a6, VMCTL_SELF
        ecall
        mv   a0, a1
        call put_dec
        la   a0, msg_banner_end
        call puts

prompt_loop:
        la   a0, msg_prompt
        call puts
        la   a0, line
        li   a1, LINE_MAX
        call read_line
        la   a0, line
        call split_words                # a0 = number of words
        beqz a0, prompt_loop            # an empty line: just prompt again
        call run_command
        j    prompt_loop

# write_ledger: put the ledger (the opening balances, then the audit key,
# which is the secret) into sector 0 of our disk (BLK write). No disk: nothing.
write_ledger:
        la   t0, secret                 # the audit key goes after the text
        la   t1, ledger_key
        li   t2, SECRET_SIZE
1:      lbu  t3, 0(t0)
        sb   t3, 0(t1)
        addi t0, t0, 1
        addi t1, t1, 1
        addi t2, t2, -1
        bnez t2, 1b
        li   a0, 0                      # write(sector 0, 1 sector, ledger)
        li   a1, 1
        la   a2, ledger
        li   a7, EID_BLK
        li   a6, BLK_WRITE
        ecall
        ret

# ------------------------------------------------------------------ commands
# Every cmd_ routine gets a0 = argc (including the command's name) and
# a1 = argv (an array of pointers to the words); the table, `commands`, is at
# the end (its entries: CMD_NAME, CMD_RUN, CMD_MIN, CMD_MAX, CMD_HELP, see lib/shell.S).
# `help` is lib/shell.S's cmd_help.

# accounts: one line per account, `NAME: BALANCE`.
cmd_accounts:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        la   s0, accounts
1:      lw   t0, ACC_NAME(s0)
        beqz t0, 2f
        mv   a0, s0
        call put_account
        addi s0, s0, ACC_SIZE
        j    1b
2:      lw   ra, 12(sp)
        lw   s0, 8(sp)
        addi sp, sp, 16
        ret

# balance NAME: print that account's balance.
cmd_balance:
        addi sp, sp, -16
        sw   ra, 12(sp)
        li   a0, 1
        call arg_account
        call put_account
        lw   ra, 12(sp)
        addi sp, sp, 16
        ret

# deposit NAME N: add N to the account, then print the new balance.
cmd_deposit:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        li   a0, 1
        call arg_account
        mv   s0, a0                     # s0 = the account
        li   a0, 2
        call arg_num
        lw   t0, ACC_BALANCE(s0)
        add  t1, t0, a0
        bltu t1, t0, 1f                 # the sum does not fit in 32 bits
        sw   t1, ACC_BALANCE(s0)
        mv   a0, s0
        call put_account
        j    2f
1:      la   a0, msg_too_much
        call puts
2:      lw   ra, 12(sp)
        lw   s0, 8(sp)
        addi sp, sp, 16
        ret

# withdraw NAME N: take N from the account unless that would overdraw it.
cmd_withdraw:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        li   a0, 1
        call arg_account
        mv   s0, a0                     # s0 = the account
        li   a0, 2
        call arg_num
        lw   t0, ACC_BALANCE(s0)
        bgtu a0, t0, 1f                 # no overdraft at this bank
        sub  t0, t0, a0
        sw   t0, ACC_BALANCE(s0)
        mv   a0, s0
        call put_account
        j    2f
1:      la   a0, msg_overdraft          # error: insufficient funds: NAME has BALANCE
        call puts
        lw   a0, ACC_NAME(s0)
        call puts
        la   a0, msg_has
        call puts
        lw   a0, ACC_BALANCE(s0)
        call put_dec
        call newline
2:      lw   ra, 12(sp)
        lw   s0, 8(sp)
        addi sp, sp, 16
        ret

# batch ROUNDS: the nightly batch. ROUNDS times over the books: every account
# earns a day's interest (balance / 4096) and the audit works the ledger's
# checksum out again: pure computation, about 1,000 instructions a round. Then
# the bank reports to the admin (dom0) with a datagram, `batch done`, and
# prints what the batch took on the hypervisor's clock. A key stops the batch
# early (`batch: stopped after N rounds`, no report); the line typed is the
# next command.
cmd_batch:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        sw   s1, 4(sp)
        sw   s2, 0(sp)
        li   a0, 1
        call arg_num
        mv   s0, a0                     # s0 = rounds left
        mv   s2, a0                     # s2 = ROUNDS
        call clock_now
        mv   s1, a0                     # s1 = the clock at the start
1:      beqz s0, 5f
        li   t0, UART_BASE              # a key stops the batch (and stays for the prompt)
        lbu  t1, UART_LSR(t0)
        andi t1, t1, LSR_DR
        bnez t1, 8f
        la   t0, accounts               # interest on every account
2:      lw   t1, ACC_NAME(t0)
        beqz t1, 3f
        lw   t1, ACC_BALANCE(t0)
        srli t2, t1, 12
        add  t1, t1, t2
        sw   t1, ACC_BALANCE(t0)
        addi t0, t0, ACC_SIZE
        j    2b
3:      la   t0, ledger                 # the audit: a checksum over the ledger, x 31 + word
        li   t1, 512 / 4
        li   t2, 0
4:      lw   t3, 0(t0)
        slli t4, t2, 5
        sub  t2, t4, t2
        add  t2, t2, t3
        addi t0, t0, 4
        addi t1, t1, -1
        bnez t1, 4b
        la   t0, audit_sum
        sw   t2, 0(t0)
        addi s0, s0, -1
        j    1b
5:      la   a0, msg_batch              # "batch: N rounds in T instructions"
        call puts
        mv   a0, s2
        call put_dec
        la   a0, msg_rounds_in
        call puts
        call clock_now
        sub  a0, a0, s1
        call put_dec
        la   a0, msg_instructions
        call puts
        li   a0, 0                      # the report: send(dest_domid 0, gpa, len)
        la   a1, msg_report
        li   a2, REPORT_LEN
        li   a7, EID_DGRAM
        li   a6, DGRAM_SEND
        ecall
        bnez a0, 6f
        la   a0, msg_report_sent
        call puts
        j    7f
6:      neg  s0, a0
        la   a0, msg_report_refused     # "batch: report to dom0 refused (error -N)"
        call puts
        mv   a0, s0
        call put_dec
        la   a0, msg_close
        call puts
        j    7f
8:      la   a0, msg_batch_stopped      # "batch: stopped after N rounds"
        call puts
        sub  a0, s2, s0
        call put_dec
        la   a0, msg_rounds
        call puts
7:      lw   ra, 12(sp)
        lw   s0, 8(sp)
        lw   s1, 4(sp)
        lw   s2, 0(sp)
        addi sp, sp, 16
        ret

# ------------------------------------------------------------------ accounts

# put_account: print `NAME: BALANCE` and a newline.   in: a0 = the account
put_account:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        mv   s0, a0
        lw   a0, ACC_NAME(s0)
        call puts
        la   a0, msg_colon
        call puts
        lw   a0, ACC_BALANCE(s0)
        call put_dec
        call newline
        lw   ra, 12(sp)
        lw   s0, 8(sp)
        addi sp, sp, 16
        ret

# find_account: the account with this name.   in: a0 = name   out: a0 = account or 0
find_account:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        sw   s1, 4(sp)
        mv   s1, a0                     # s1 = the name looked for
        la   s0, accounts               # s0 = the account being tried
1:      lw   a0, ACC_NAME(s0)
        beqz a0, 3f
        mv   a1, s1
        call str_eq
        bnez a0, 2f
        addi s0, s0, ACC_SIZE
        j    1b
2:      mv   a0, s0
        j    4f
3:      li   a0, 0
4:      lw   ra, 12(sp)
        lw   s0, 8(sp)
        lw   s1, 4(sp)
        addi sp, sp, 16
        ret

# arg_account: the account named by argv[a0]; an unknown name prints an error
# and aborts the command.   in: a0 = index into argv   out: a0 = account
arg_account:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        call arg_word
        mv   s0, a0                     # s0 = the name
        call find_account
        beqz a0, 1f
        lw   ra, 12(sp)
        lw   s0, 8(sp)
        addi sp, sp, 16
        ret
1:      la   a0, msg_no_account         # error: no account 'NAME' (try accounts)
        call puts
        mv   a0, s0
        call puts
        la   a0, msg_no_account_end
        call puts
        j    abort_command

# ------------------------------------------------------------------ console I/O

# getc: wait for a byte from the UART. While none is there, `wfi` hands the
# CPU back to the hypervisor, which runs other VMs and wakes this one when
# input arrives (a busy loop would burn everyone's time).   out: a0 = byte
getc:
        li   t0, UART_BASE
1:      lbu  t1, UART_LSR(t0)
        andi t1, t1, LSR_DR
        bnez t1, 2f
        wfi
        j    1b
2:      lbu  a0, UART_RBR(t0)
        ret

# ------------------------------------------------------------------ the library

        .include "lib/shell.S"          # abort_command, run_command, cmd_help, arg_num, read_line, ...
        .include "lib/parse_num.S"      # parse_num: a string as a number
        .include "lib/str_eq.S"         # str_eq: are two strings equal?
        .include "lib/uart.S"           # putc, newline, puts
        .include "lib/put_dec.S"        # put_dec: a number in decimal
        .include "lib/clock.S"          # clock_now: the hypervisor's clock

# ================================================================== data
# On its own page: the pure-Python CPU checks stores against pages that hold
# code, so keeping data away from code keeps every store cheap.
        .balign 4096
        .data

# The secret: 64 bytes, overwritten at boot with the scenario's `secret`.
# Nothing in this program prints it.
        .globl secret
secret:
        .ascii "BANK{default-secret}"
        .space SECRET_SIZE - 20

# The ledger sector written to disk at boot (write_ledger): 512 bytes.
        .balign 512
ledger:
        .ascii "LEDGER opening balances: alice 1200 bob 350 carol 80 dave 0; audit key: "
ledger_key:
        .space SECRET_SIZE
        .space 512 - 72 - SECRET_SIZE

# The accounts: name, balance. Ends with a zero name.
        .balign 4
accounts:
        .word a_alice, 1200
        .word a_bob,   350
        .word a_carol, 80
        .word a_dave,  0
        .word 0, 0
a_alice:  .asciz "alice"
a_bob:    .asciz "bob"
a_carol:  .asciz "carol"
a_dave:   .asciz "dave"

# The command table (lib/shell.S, CMD_...): name, routine, fewest and most
# arguments, then the strings: arguments, help line, notes for `help NAME`.
# Ends with a zero name. Add a line here (and its strings) to add a command:
# help, the argument check and the docs' guest reference all read it.
        .balign 4
commands:
        .word s_help,     cmd_help,     0,  1,              a_help, h_help, n_help
        .word s_accounts, cmd_accounts, 0,  0,              a_accounts, h_accounts, n_accounts
        .word s_balance,  cmd_balance,  1,  1,              a_balance, h_balance, n_balance
        .word s_deposit,  cmd_deposit,  2,  2,              a_deposit, h_deposit, n_deposit
        .word s_withdraw, cmd_withdraw, 2,  2,              a_withdraw, h_withdraw, n_withdraw
        .word s_batch,    cmd_batch,    1,  1,              a_batch, h_batch, n_batch
        .word 0, 0, 0, 0, 0, 0, 0

s_help:       .asciz "help"
s_accounts:   .asciz "accounts"
s_balance:    .asciz "balance"
s_deposit:    .asciz "deposit"
s_withdraw:   .asciz "withdraw"
s_batch:      .asciz "batch"

a_help:       .asciz "[COMMAND]"
a_accounts:   .asciz ""
a_balance:    .asciz "NAME"
a_deposit:    .asciz "NAME N"
a_withdraw:   .asciz "NAME N"
a_batch:      .asciz "ROUNDS"

h_help:       .asciz "list the commands"
h_accounts:   .asciz "every account and its balance"
h_balance:    .asciz "one account's balance"
h_deposit:    .asciz "add N to the account"
h_withdraw:   .asciz "take N from the account (no overdraft)"
h_batch:      .asciz "the nightly batch (interest, audit), then a report to dom0"

n_help:       .asciz ""
n_accounts:   .asciz ""
n_balance:    .asciz ""
n_deposit:    .asciz ""
n_withdraw:   .asciz ""
n_batch:      .asciz "ROUNDS rounds of interest and audit, about 1,000 instructions each and no\nhypercalls, then batch done as a datagram to the admin (dom0). A key typed on the\nbank's console stops it early."

msg_banner:         .asciz "Bank of hvlab on dom"
msg_banner_end:     .asciz ": open for business (type help)\n"
msg_prompt:         .asciz "bank> "
msg_erase:          .asciz "\b \b"
msg_unknown:        .asciz "error: unknown command '"
msg_try_help:       .asciz "' (try help)\n"
msg_usage:          .asciz "error: usage: "
msg_help_head:      .asciz "commands (amounts are decimal or hex 0x..):\n"
msg_indent:         .asciz "  "
msg_bad_number:     .asciz "error: bad number '"
msg_bad_number_end: .asciz "' (use hex 0x.. or decimal)\n"
msg_no_account:     .asciz "error: no account '"
msg_no_account_end: .asciz "' (try accounts)\n"
msg_overdraft:      .asciz "error: insufficient funds: "
msg_has:            .asciz " has "
msg_too_much:       .asciz "error: the balance would overflow\n"
msg_colon:          .asciz ": "
msg_batch:          .asciz "batch: "
msg_rounds_in:      .asciz " rounds in "
msg_batch_stopped:  .asciz "batch: stopped after "
msg_rounds:         .asciz " rounds\n"
msg_instructions:   .asciz " instructions\n"
msg_report:         .asciz "batch done"     # REPORT_LEN bytes
msg_report_sent:    .asciz "batch: report sent to dom0\n"
msg_report_refused: .asciz "batch: report to dom0 refused (error -"
msg_close:          .asciz ")\n"

# ---- variables and buffers
        .balign 4
saved_sp:   .word 0                     # the prompt loop's stack (abort_command)
audit_sum:  .word 0                     # the last batch's ledger checksum
argv:       .space MAX_ARGS * 4         # pointers to the words of the line
saw_cr:     .byte 0                     # the last line ended with CR (skip its LF)
line:       .space LINE_MAX + 1         # the line as typed
words:      .space LINE_MAX + 1         # its words, each ended by a NUL
