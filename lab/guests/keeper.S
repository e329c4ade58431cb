# keeper.S -- a note keeper on the DGRAM channel, that may believe what a request says about its sender.
#
# Each VM may leave one note with the keeper and fetch it again. A request is
# one datagram of text; the keeper answers each with one datagram, sent to
# the VM that really sent the request, and logs it on its console:
#
#   from=N PUT TEXT    keep TEXT as dom N's note         -> "OK kept"
#   from=N GET         send back dom N's note            -> "NOTE <text>" or "NO NOTE"
#   (`from=N` may be left out: then the request speaks for its sender)
#
# Who is asking? The hypervisor writes the true sender's domid in front of
# every datagram it delivers (DGRAM recv: the first 4 bytes): the stamp. No
# guest can forge it. The request's `from=N` is only what the sender claims.
#
# The keeper was written for a relay: requests used to come through a gateway
# VM, so the stamp was always the gateway's, and each client wrote its own
# domid into the request, as a web server behind a proxy reads X-Forwarded-For.
# The clients talk to the keeper directly now, and the keeper's setting says
# whom it believes; its operator changes it on the keeper's console:
#
#   trust claim   (at boot) the request's from=N decides whose note it is
#   trust stamp   the stamp decides; a request that claims another domain is refused
#   notes         whose notes the keeper holds
#   help          the commands
#
# At boot the keeper holds one note already: the admin's (dom ADMIN), the text
# at the label `secret`, which the scenario's `secret` replaces.

        .include "lib/machine.S"        # the UART's registers
        .include "lib/sbi.S"            # EID_DGRAM, DGRAM_SEND, DGRAM_RECV, ...

        .equ ADMIN,       3             # whose note the keeper holds at boot
        .equ MAX_DOMS,    8             # notes for dom0 .. dom7
        .equ NOTE_SIZE,   64            # bytes of a note, its NUL included
        .equ LINE_MAX,    60
        .equ MAX_ARGS,    32
        .equ HELP_COLUMN, 21            # help: where a command's description starts
        .equ NOBODY,      0xffffffff

        .text
        .globl _start
_start:
        la   t0, saved_sp               # abort_command comes back to this stack
        sw   sp, 0(t0)
        la   a0, secret                 # the admin's note
        li   a1, ADMIN
        call keep_note
        la   a0, msg_banner
        call puts

prompt_loop:
        la   a0, msg_prompt
        call puts
        la   a0, line
        li   a1, LINE_MAX
        call read_line
        la   a0, line
        call split_words
        beqz a0, prompt_loop
        call run_command
        j    prompt_loop

# getc: wait for a console byte; serve datagrams while none is there, and
# give the CPU back (wfi) when there is nothing to do.   out: a0 = byte
getc:
        addi sp, sp, -16
        sw   ra, 12(sp)
1:      li   t0, UART_BASE
        lbu  t1, UART_LSR(t0)
        andi t1, t1, LSR_DR
        bnez t1, 3f
        la   a0, request                # recv(gpa, maxlen): the stamp, then the payload
        li   a1, DGRAM_MAX_DATAGRAM + 4
        li   a7, EID_DGRAM
        li   a6, DGRAM_RECV
        ecall
        bnez a0, 2f
        beqz a1, 2f
        call serve                      # a1 = bytes received
        j    1b
2:      wfi
        j    1b
3:      lbu  a0, UART_RBR(t0)
        lw   ra, 12(sp)
        addi sp, sp, 16
        ret

# ------------------------------------------------------------------ requests

# serve: answer the request in `request` (a1 = its length, the stamp included).
serve:
        addi sp, sp, -32
        sw   ra, 28(sp)
        sw   s0, 24(sp)
        sw   s1, 20(sp)
        sw   s2, 16(sp)
        sw   s3, 12(sp)
        la   t0, request                # end the payload with a NUL
        add  t0, t0, a1
        sb   zero, 0(t0)
        la   t0, request
        lw   s0, 0(t0)                  # s0 = the stamp: who really sent it
        addi s1, t0, 4                  # s1 = the payload
        li   s2, NOBODY                 # s2 = the claim (none yet)
        mv   a0, s1
        la   a1, s_from
        call str_prefix
        beqz a0, 2f
        addi a0, s1, 5                  # the number after "from="
        call parse_claim                # a0 = its value, a1 = where it ends
        bltz a0, 9f
        mv   s2, a0
        mv   s1, a1
2:      lbu  t0, 0(s1)                  # skip spaces to the command
        li   t1, ' '
        bne  t0, t1, 3f
        addi s1, s1, 1
        j    2b
3:      la   a0, msg_request            # "request from domS (says from=C): "
        call puts
        mv   a0, s0
        call put_dec
        li   t0, NOBODY
        beq  s2, t0, 4f
        la   a0, msg_says
        call puts
        mv   a0, s2
        call put_dec
        li   a0, ')'
        call putc
4:      la   a0, msg_colon
        call puts
        mv   a0, s1
        call puts
        # Whose note is it? s3 = that domain.
        mv   s3, s0                     # no claim: the sender's own
        li   t0, NOBODY
        beq  s2, t0, 5f
        la   t0, trust_stamp
        lw   t0, 0(t0)
        beqz t0, 41f
        bne  s2, s0, 8f                 # trust stamp: a claim must be the truth
        j    5f
41:     mv   s3, s2                     # trust claim: the request says whose
5:      li   t0, MAX_DOMS
        bgeu s3, t0, 9f
        mv   a0, s1
        la   a1, s_get
        call str_eq
        bnez a0, 6f
        mv   a0, s1
        la   a1, s_put
        call str_prefix
        beqz a0, 9f
        addi a0, s1, 4                  # PUT TEXT: keep it
        mv   a1, s3
        call keep_note
        la   a0, msg_kept_log
        call puts
        mv   a0, s3
        call put_dec
        la   a0, msg_kept_log_end
        call puts
        la   a1, reply_ok
        j    7f
6:      slli t0, s3, 6                  # GET: dom s3's note
        la   a1, notes
        add  a1, a1, t0
        lbu  t0, 0(a1)
        beqz t0, 61f
        la   a0, reply                  # "NOTE " + the note
        la   a1, s_note
        call str_copy
        slli t0, s3, 6
        la   a1, notes
        add  a1, a1, t0
        call str_copy
        la   a0, msg_sent_log           # " -> domX's note, to domS"
        call puts
        mv   a0, s3
        call put_dec
        la   a0, msg_sent_log_mid
        call puts
        mv   a0, s0
        call put_dec
        call newline
        la   a1, reply
        j    7f
61:     la   a0, msg_no_note_log
        call puts
        la   a1, reply_no_note
        j    7f
8:      la   a0, msg_refused_log        # " -> refused: the stamp says domS"
        call puts
        mv   a0, s0
        call put_dec
        call newline
        la   a1, reply_refused
        j    7f
9:      la   a0, msg_bad_log
        call puts
        la   a1, reply_usage
7:      mv   a0, s0                     # the answer goes to the true sender
        call send_text
        la   a0, msg_prompt             # and the operator gets the prompt back
        call puts
        lw   ra, 28(sp)
        lw   s0, 24(sp)
        lw   s1, 20(sp)
        lw   s2, 16(sp)
        lw   s3, 12(sp)
        addi sp, sp, 32
        ret

# parse_claim: the decimal number at a0, ended by a space or the end.
# out: a0 = the number (-1: none), a1 = where it ends
parse_claim:
        li   t2, 0
        li   t3, 0                      # digits seen
1:      lbu  t0, 0(a0)
        addi t1, t0, -'0'
        li   t4, 10
        bgeu t1, t4, 2f
        li   t4, 10
        mul  t2, t2, t4
        add  t2, t2, t1
        addi t3, t3, 1
        addi a0, a0, 1
        li   t4, 4
        bltu t3, t4, 1b
        j    3f
2:      beqz t3, 3f
        beqz t0, 4f
        li   t4, ' '
        beq  t0, t4, 4f
3:      mv   a1, a0
        li   a0, -1
        ret
4:      mv   a1, a0
        mv   a0, t2
        ret

# keep_note: copy the string at a0 (at most NOTE_SIZE - 1 bytes) as dom a1's note.
keep_note:
        slli t0, a1, 6
        la   t1, notes
        add  t1, t1, t0
        li   t2, NOTE_SIZE - 1
1:      lbu  t0, 0(a0)
        beqz t0, 2f
        beqz t2, 2f
        sb   t0, 0(t1)
        addi a0, a0, 1
        addi t1, t1, 1
        addi t2, t2, -1
        j    1b
2:      sb   zero, 0(t1)
        ret

# send_text: send the NUL-terminated string at a1 to dom a0 (DGRAM send).
send_text:
        li   a2, 0
1:      add  t0, a1, a2
        lbu  t0, 0(t0)
        beqz t0, 2f
        addi a2, a2, 1
        j    1b
2:      li   a7, EID_DGRAM
        li   a6, DGRAM_SEND
        ecall
        ret

# ------------------------------------------------------------------ console commands

# trust claim | trust stamp: whom the keeper believes.
cmd_trust:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        li   a0, 1
        call arg_word
        mv   s0, a0
        la   a1, s_stamp
        call str_eq
        li   t1, 1
        bnez a0, 1f
        mv   a0, s0
        la   a1, s_claim
        call str_eq
        li   t1, 0
        bnez a0, 1f
        la   a0, msg_trust_usage
        call puts
        j    abort_command
1:      la   t0, trust_stamp
        sw   t1, 0(t0)
        la   a0, msg_trusting_claim
        beqz t1, 2f
        la   a0, msg_trusting_stamp
2:      call puts
        lw   ra, 12(sp)
        lw   s0, 8(sp)
        addi sp, sp, 16
        ret

# notes: whose notes the keeper holds (never their text).
cmd_notes:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        la   a0, msg_notes
        call puts
        li   s0, 0
1:      li   t0, MAX_DOMS
        bgeu s0, t0, 3f
        slli t0, s0, 6
        la   t1, notes
        add  t1, t1, t0
        lbu  t0, 0(t1)
        beqz t0, 2f
        la   a0, msg_dom
        call puts
        mv   a0, s0
        call put_dec
2:      addi s0, s0, 1
        j    1b
3:      call newline
        lw   ra, 12(sp)
        lw   s0, 8(sp)
        addi sp, sp, 16
        ret

        .include "lib/shell.S"          # run_command, cmd_help, arg_word, read_line, split_words, ...
        .include "lib/parse_num.S"
        .include "lib/str_eq.S"
        .include "lib/str_prefix.S"
        .include "lib/str_copy.S"
        .include "lib/uart.S"           # putc, newline, puts
        .include "lib/put_dec.S"

# ================================================================== data
        .balign 4096
        .data

# The admin's note, kept at boot: the scenario's `secret` is written here.
        .globl secret
secret:
        .ascii "KEEPER{the-admin-note}"
        .space NOTE_SIZE - 22

        .balign 4
trust_stamp: .word 0                    # 0: trust claim (the request's from=N); 1: trust stamp
commands:
        .word s_help,  cmd_help,  0, 1, a_help,  h_help,  n_help
        .word s_notes, cmd_notes, 0, 0, a_notes, h_notes, n_notes
        .word s_trust, cmd_trust, 1, 1, a_trust, h_trust, n_trust
        .word 0, 0, 0, 0, 0, 0, 0

s_help:  .asciz "help"
s_notes: .asciz "notes"
s_trust: .asciz "trust"
s_claim: .asciz "claim"
s_stamp: .asciz "stamp"
s_from:  .asciz "from="
s_get:   .asciz "GET"
s_put:   .asciz "PUT "
s_note:  .asciz "NOTE "

a_help:  .asciz "[COMMAND]"
a_notes: .asciz ""
a_trust: .asciz "claim|stamp"

h_help:  .asciz "list the commands"
h_notes: .asciz "whose notes the keeper holds"
h_trust: .asciz "who a request is from: what it says (from=N), or the hypervisor's stamp"

n_help:  .asciz ""
n_notes: .asciz ""
n_trust: .asciz "claim (at boot): a request's from=N says whose note it is; stamp: the sender domid the hypervisor writes in front of every datagram does, and a request that claims another domain is refused"

reply_ok:       .asciz "OK kept"
reply_no_note:  .asciz "NO NOTE"
reply_refused:  .asciz "ERR refused: you are not who you say"
reply_usage:    .asciz "ERR usage: [from=N] GET | [from=N] PUT TEXT"

msg_banner:         .asciz "note keeper: requests by datagram ([from=N] GET, [from=N] PUT TEXT); trusting claims (type help)\n"
msg_prompt:         .asciz "keeper> "
msg_request:        .asciz "\nrequest from dom"
msg_says:           .asciz " (says from="
msg_colon:          .asciz ": "
msg_sent_log:       .asciz " -> dom"
msg_sent_log_mid:   .asciz "'s note, sent to dom"
msg_no_note_log:    .asciz " -> no note\n"
msg_kept_log:       .asciz " -> kept as dom"
msg_kept_log_end:   .asciz "'s note\n"
msg_refused_log:    .asciz " -> refused: the stamp says dom"
msg_bad_log:        .asciz " -> not a request\n"
msg_trusting_claim: .asciz "trusting claims: a request's from=N says whose note it is\n"
msg_trusting_stamp: .asciz "trusting the stamp: the hypervisor's sender domid says whose note it is\n"
msg_trust_usage:    .asciz "error: usage: trust claim | trust stamp\n"
msg_notes:          .asciz "notes of:"
msg_dom:            .asciz " dom"
msg_erase:          .asciz "\b \b"
msg_unknown:        .asciz "error: unknown command '"
msg_try_help:       .asciz "' (try help)\n"
msg_usage:          .asciz "error: usage: "
msg_help_head:      .asciz "commands:\n"
msg_indent:         .asciz "  "
msg_bad_number:     .asciz "error: bad number '"
msg_bad_number_end: .asciz "' (use hex 0x.. or decimal)\n"

        .balign 4
saved_sp:   .word 0
argv:       .space MAX_ARGS * 4
saw_cr:     .byte 0
line:       .space LINE_MAX + 1
words:      .space LINE_MAX + 1
        .balign 4
request:    .space DGRAM_MAX_DATAGRAM + 8   # the stamp, the payload, a NUL
reply:      .space NOTE_SIZE + 8
        .balign 64
notes:      .space MAX_DOMS * NOTE_SIZE
