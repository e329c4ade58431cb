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
# Commands, typed on the bank's console:
#   help                   list the commands
#   accounts               every account and its balance
#   balance NAME           one account's balance
#   deposit NAME N         add N to the account
#   withdraw NAME N        take N from the account (refused if it would overdraw)
# N is decimal, or hex with 0x.
#
# The console code (read_line, split_words, puts, ...) is the same as in
# monitor.S; the program has the same shape: a prompt loop and a command table.
# Routines follow the standard calling convention: arguments in a0..a7,
# results in a0 (and a1), ra is the return address, s0..s11 are preserved.

        # ---- the machine (QEMU virt board layout, see DESIGN.md)
        .equ UART_BASE,   0x10000000    # 16550 UART
        .equ UART_RBR,    0             # read: the next received byte
        .equ UART_THR,    0             # write: send a byte
        .equ UART_LSR,    5             # line status register
        .equ LSR_DR,      0x01          # bit 0: a received byte is waiting
        .equ LSR_THRE,    0x20          # bit 5: ready to send a byte

        .equ EID_VMCTL,   0x09000001    # hvlab VM control
        .equ EID_BLK,     0x09000005    # hvlab virtual disk
        .equ BLK_WRITE,   2
        .equ VMCTL_SELF,  0

        # ---- sizes
        .equ LINE_MAX,    120           # characters in a command line
        .equ MAX_ARGS,    64            # a 120-character line has at most 60 words
        .equ SECRET_SIZE, 64

        # ---- one entry of the command table (5 words)
        .equ CMD_NAME,    0             # the command's name (string)
        .equ CMD_RUN,     4             # its routine: a0 = argc, a1 = argv
        .equ CMD_MIN,     8             # fewest arguments after the name
        .equ CMD_MAX,     12            # most arguments after the name
        .equ CMD_HELP,    16            # its help line (string)
        .equ CMD_SIZE,    20

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

# abort_command: give up on the current command and go back to the prompt.
# Jump here (do not call) after printing the error; the stack is reset.
abort_command:
        la   t0, saved_sp
        lw   sp, 0(t0)
        j    prompt_loop

# ------------------------------------------------------------------ the command table

# run_command: look argv[0] up in the command table, check the argument count
# and run the command's routine.   in: a0 = argc (words on the line, >= 1)
run_command:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        sw   s1, 4(sp)
        mv   s1, a0                     # s1 = argc
        la   s0, commands               # s0 = the table entry being tried
1:      lw   a0, CMD_NAME(s0)
        beqz a0, 3f                     # end of the table: unknown command
        la   t0, argv
        lw   a1, 0(t0)
        call str_eq
        bnez a0, 2f
        addi s0, s0, CMD_SIZE
        j    1b
2:      addi t0, s1, -1                 # arguments after the name
        lw   t1, CMD_MIN(s0)
        blt  t0, t1, 4f
        lw   t1, CMD_MAX(s0)
        bgt  t0, t1, 4f
        mv   a0, s1
        la   a1, argv
        lw   t0, CMD_RUN(s0)
        jalr t0
        j    5f
3:      la   a0, msg_unknown            # error: unknown command 'foo' (try help)
        call puts
        la   t0, argv
        lw   a0, 0(t0)
        call puts
        la   a0, msg_try_help
        call puts
        j    5f
4:      la   a0, msg_usage              # error: usage: <the command's help line>
        call puts
        lw   a0, CMD_HELP(s0)
        call puts
        call newline
5:      lw   ra, 12(sp)
        lw   s0, 8(sp)
        lw   s1, 4(sp)
        addi sp, sp, 16
        ret

# ------------------------------------------------------------------ commands
# Every cmd_ routine gets a0 = argc (including the command's name) and
# a1 = argv (an array of pointers to the words).

# help: print every command's help line.
cmd_help:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        la   a0, msg_help_head
        call puts
        la   s0, commands
1:      lw   t0, CMD_NAME(s0)
        beqz t0, 2f
        la   a0, msg_indent
        call puts
        lw   a0, CMD_HELP(s0)
        call puts
        call newline
        addi s0, s0, CMD_SIZE
        j    1b
2:      lw   ra, 12(sp)
        lw   s0, 8(sp)
        addi sp, sp, 16
        ret

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
        la   t0, argv
        slli a0, a0, 2
        add  t0, t0, a0
        lw   s0, 0(t0)                  # s0 = the name
        mv   a0, s0
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

# ------------------------------------------------------------------ arguments

# arg_num: argv[a0] as a number; a bad one prints an error and aborts the command.
# in: a0 = index into argv   out: a0 = value
arg_num:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        la   t0, argv
        slli a0, a0, 2
        add  t0, t0, a0
        lw   s0, 0(t0)                  # s0 = the word
        mv   a0, s0
        call parse_num
        beqz a1, 1f
        lw   ra, 12(sp)
        lw   s0, 8(sp)
        addi sp, sp, 16
        ret
1:      la   a0, msg_bad_number         # error: bad number 'xyz' (use 0x.. or decimal)
        call puts
        mv   a0, s0
        call puts
        la   a0, msg_bad_number_end
        call puts
        j    abort_command

# arg_byte: argv[a0] as a byte (0..255); anything else aborts the command.
# in: a0 = index into argv   out: a0 = value
# ------------------------------------------------------------------ text

# parse_num: a string as a number: `0x` then hex digits, or decimal digits.
# in: a0 = string   out: a0 = value, a1 = 1 if it was a number (0 if not,
# which includes an empty string, a stray character or more than 32 bits)
parse_num:
        li   t2, 0                      # t2 = value
        lbu  t0, 0(a0)
        beqz t0, 9f
        li   t1, '0'
        bne  t0, t1, 5f
        lbu  t0, 1(a0)
        ori  t0, t0, 0x20               # 'X' -> 'x'
        li   t1, 'x'
        bne  t0, t1, 5f
        addi a0, a0, 2                  # hex
        li   t3, 0                      # t3 = digits seen
1:      lbu  t0, 0(a0)
        beqz t0, 4f
        addi t1, t0, -'0'
        li   t4, 10
        bltu t1, t4, 3f
        ori  t0, t0, 0x20               # lower case
        addi t1, t0, -'a'
        li   t4, 6
        bgeu t1, t4, 9f
        addi t1, t1, 10
3:      srli t4, t2, 28                 # a 9th significant digit overflows 32 bits
        bnez t4, 9f
        slli t2, t2, 4
        or   t2, t2, t1
        addi t3, t3, 1
        addi a0, a0, 1
        j    1b
4:      beqz t3, 9f                     # "0x" alone is not a number
        j    8f
5:      li   t4, 10                     # decimal
6:      lbu  t0, 0(a0)
        beqz t0, 8f
        addi t1, t0, -'0'
        bgeu t1, t4, 9f
        mulhu t3, t2, t4                # value * 10 must fit in 32 bits
        bnez t3, 9f
        mul  t2, t2, t4
        add  t3, t2, t1
        bltu t3, t2, 9f                 # and so must + digit
        mv   t2, t3
        addi a0, a0, 1
        j    6b
8:      mv   a0, t2
        li   a1, 1
        ret
9:      li   a0, 0
        li   a1, 0
        ret

# str_eq: are two strings equal?   in: a0, a1 = strings   out: a0 = 1 or 0
str_eq:
1:      lbu  t0, 0(a0)
        lbu  t1, 0(a1)
        bne  t0, t1, 2f
        beqz t0, 3f
        addi a0, a0, 1
        addi a1, a1, 1
        j    1b
2:      li   a0, 0
        ret
3:      li   a0, 1
        ret
# split_words: copy the line into `words`, one NUL-terminated word after the
# other, and point argv[0], argv[1], ... at them.
#   in: a0 = line   out: a0 = argc
split_words:
        la   t1, words                  # t1 = where the next word is copied
        la   t2, argv                   # t2 = next argv slot
        li   t3, 0                      # t3 = argc
        li   t5, ' '
1:      lbu  t0, 0(a0)                  # skip spaces
        bne  t0, t5, 2f
        addi a0, a0, 1
        j    1b
2:      beqz t0, 4f                     # end of the line
        sw   t1, 0(t2)                  # a word starts
        addi t2, t2, 4
        addi t3, t3, 1
3:      sb   t0, 0(t1)                  # copy it
        addi t1, t1, 1
        addi a0, a0, 1
        lbu  t0, 0(a0)
        beqz t0, 5f
        bne  t0, t5, 3b
5:      sb   zero, 0(t1)                # and end it
        addi t1, t1, 1
        j    1b
4:      mv   a0, t3
        ret

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

# read_line: read one line from the UART into a buffer, echoing what is typed.
# Backspace (0x7f or 0x08) erases, CR or LF ends the line (CR LF counts once),
# other control characters are ignored and a full line takes no more.
# in: a0 = buffer (a1 + 1 bytes), a1 = most characters   out: a0 = length
read_line:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        sw   s1, 4(sp)
        sw   s2, 0(sp)
        mv   s0, a0                     # s0 = buffer
        mv   s1, a1                     # s1 = most characters
        li   s2, 0                      # s2 = length
1:      call getc
        la   t0, saw_cr
        lbu  t1, 0(t0)
        sb   zero, 0(t0)
        li   t2, '\n'
        bne  a0, t2, 2f
        bnez t1, 1b                     # the LF of a CR LF: the line already ended
        j    6f
2:      li   t2, '\r'
        bne  a0, t2, 3f
        li   t1, 1
        sb   t1, 0(t0)
        j    6f
3:      li   t2, 0x7f                   # DEL or BS: erase the last character
        beq  a0, t2, 4f
        li   t2, 0x08
        beq  a0, t2, 4f
        li   t2, '\t'                   # a tab is a space
        bne  a0, t2, 5f
        li   a0, ' '
5:      li   t2, ' '
        bltu a0, t2, 1b                 # other control characters
        li   t2, 0x7f
        bgeu a0, t2, 1b                 # and non-ASCII bytes are ignored
        bgeu s2, s1, 1b                 # the line is full
        add  t0, s0, s2
        sb   a0, 0(t0)
        addi s2, s2, 1
        call putc                       # echo
        j    1b
4:      beqz s2, 1b
        addi s2, s2, -1
        la   a0, msg_erase              # back, blank, back
        call puts
        j    1b
6:      add  t0, s0, s2
        sb   zero, 0(t0)
        call newline
        mv   a0, s2
        lw   ra, 12(sp)
        lw   s0, 8(sp)
        lw   s1, 4(sp)
        lw   s2, 0(sp)
        addi sp, sp, 16
        ret

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

# The command table: name, routine, fewest and most arguments, help line.
# Ends with a zero name. Add a line here to add a command.
        .balign 4
commands:
        .word s_help,     cmd_help,     0, 0, h_help
        .word s_accounts, cmd_accounts, 0, 0, h_accounts
        .word s_balance,  cmd_balance,  1, 1, h_balance
        .word s_deposit,  cmd_deposit,  2, 2, h_deposit
        .word s_withdraw, cmd_withdraw, 2, 2, h_withdraw
        .word 0, 0, 0, 0, 0

s_help:     .asciz "help"
s_accounts: .asciz "accounts"
s_balance:  .asciz "balance"
s_deposit:  .asciz "deposit"
s_withdraw: .asciz "withdraw"

h_help:     .asciz "help                 list the commands"
h_accounts: .asciz "accounts             every account and its balance"
h_balance:  .asciz "balance NAME         one account's balance"
h_deposit:  .asciz "deposit NAME N       add N to the account"
h_withdraw: .asciz "withdraw NAME N      take N from the account (no overdraft)"

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

# ---- variables and buffers
        .balign 4
saved_sp:   .word 0                     # the prompt loop's stack (abort_command)
argv:       .space MAX_ARGS * 4         # pointers to the words of the line
saw_cr:     .byte 0                     # the last line ended with CR (skip its LF)
line:       .space LINE_MAX + 1         # the line as typed
words:      .space LINE_MAX + 1         # its words, each ended by a NUL
