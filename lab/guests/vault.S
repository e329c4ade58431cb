# vault.S - a key vault: customers' lockers shared through grants, requests by datagram.
#
# The vault keeps two keys in its keyring: its master key (the scenario's
# `secret`, which seals customers' documents) and the admin's management
# credential, escrowed here so that the operators can find it (the scenario's
# `mgmt_password_at`). Customers talk to it with DGRAM datagrams of one word;
# the vault answers each with one datagram and logs it on its console:
#
#   HELP    the requests
#   OPEN    the vault takes a free locker page from its pool, scrubs it and grants
#           it to the sender read-write: "OK locker REF" (map it from the vault, dom2)
#   SEAL    the vault reads the document in the sender's locker and appends a seal,
#           a checksum keyed with the master key: "OK sealed"
#   CLOSE   the vault ends the sender's locker grant and puts the page back on top
#           of its pool, for the next OPEN: "OK closed"
#   DUMP    the backup's request: the vault copies its keyring, as text, into the
#           sender's locker. Only the domain the live policy block names may ask.
#
# Who asks is the sender domid the hypervisor stamps on every datagram: a guest
# cannot claim to be another. The vault's memory (its data pages, printed at boot):
#
#   policy page    8 blocks of 64 bytes; the live one (its number is printed at boot)
#                  holds at offset POLICY_DUMP_FOR the domid DUMP is allowed for
#   keyring page   8 slots of 64 bytes: the master key and the escrowed credential
#                  sit in two of them
#   lockers        LOCKERS pages, handed out by OPEN, taken back by CLOSE
#
# Which block and which slots: the variant word (`variant`, written by the
# hypervisor at boot from the student's seed, the scenario's `variant_at`).

.include "lib/machine.S"    # UART_..., RAM_BASE, PAGE_SIZE
.include "lib/sbi.S"        # EID_..., the hypercall numbers

.equ BACKUP,          3     # the backup agent's domid: the one DUMP is for
.equ LOCKERS,         4     # locker pages
.equ MAX_CLIENTS,     8     # domids 0..7 may hold a locker
.equ BLOCK,           64    # a policy block, a keyring slot
.equ SLOTS,           8
.equ POLICY_DUMP_FOR, 48    # offset of the u32 in a policy block
.equ NOBODY,          0xffffffff
.equ MSG_MAX,         256   # payload bytes of a request we read
.equ DOC_MAX,         3968  # bytes of a document SEAL reads (room for the seal after it)

.text
.globl _start
_start:
    # The live policy block and the key slots come from the variant word.
    la   t0, variant
    lw   t0, 0(t0)
    andi t1, t0, SLOTS - 1          # master key slot
    srli t2, t0, 3
    andi t2, t2, SLOTS - 1          # live policy block
    la   t3, layout
    sw   t1, 0(t3)                  # layout[0] = master key slot
    addi t4, t1, SLOTS / 2
    andi t4, t4, SLOTS - 1
    sw   t4, 4(t3)                  # layout[1] = credential slot (4 slots on)
    sw   t2, 8(t3)                  # layout[2] = live policy block
    call init_policy
    call init_keyring
    call init_pool
    call banner

serve:
    call recv_request               # a0 = sender, msg = payload (NUL-terminated)
    mv   s0, a0
    la   a0, log_dom                # "vault: domN "
    call puts
    mv   a0, s0
    call put_num
    la   a0, log_sp
    call puts
    la   a0, msg
    call puts
    la   a0, msg
    la   a1, w_open
    call str_eq
    bnez a0, req_open
    la   a0, msg
    la   a1, w_seal
    call str_eq
    bnez a0, req_seal
    la   a0, msg
    la   a1, w_close
    call str_eq
    bnez a0, req_close
    la   a0, msg
    la   a1, w_dump
    call str_eq
    bnez a0, req_dump
    la   a0, msg
    la   a1, w_help
    call str_eq
    bnez a0, req_help
    la   a1, r_unknown
    j    answer_text

req_help:
    la   a1, r_help
    j    answer_text

# OPEN: a fresh locker for the sender.
req_open:
    mv   a0, s0
    call client_entry               # a0 = &entry (page+1, ref) or 0
    beqz a0, not_client
    mv   s1, a0
    lw   t0, 0(s1)
    la   a1, r_already
    bnez t0, answer_text
    la   t0, pool_top
    lw   t1, 0(t0)
    la   a1, r_full
    beqz t1, answer_text
    addi t1, t1, -1                 # pop a page from the pool
    sw   t1, 0(t0)
    la   t2, pool
    slli t1, t1, 2
    add  t2, t2, t1
    lw   s2, 0(t2)                  # s2 = the page
    mv   a0, s2                     # scrub it: it is the customer's now
    li   a1, PAGE_SIZE
    call zero
    mv   a0, s2                     # "locker of domN\n"
    la   a1, t_locker_of
    call cat
    mv   a1, s0
    call cat_dec
    la   a1, t_nl
    call cat
    li   a7, EID_GNTTAB
    li   a6, GNTTAB_GRANT_ACCESS    # grant_access(page, sender, read-write)
    mv   a0, s2
    mv   a1, s0
    li   a2, 0
    ecall
    bnez a0, open_refused
    addi t0, s2, 1
    sw   t0, 0(s1)                  # entry: page + 1, ref
    sw   a1, 4(s1)
    mv   s3, a1
    la   a0, reply                  # "OK locker REF"
    la   a1, r_locker
    call cat
    mv   a1, s3
    call cat_dec
    j    answer
open_refused:
    mv   a0, s2                     # the page goes back on the pool
    call push_page
    la   a1, r_grant_failed
    j    answer_text

# SEAL: append "SEALED <keyed checksum>" to the document in the sender's locker.
req_seal:
    call sender_locker              # a0 = page, or answers and goes back to serve
    mv   s2, a0
    li   t3, DOC_MAX
    li   t1, 0                      # t1 = the document's length
1:  add  t0, s2, t1
    lbu  t0, 0(t0)
    beqz t0, 2f
    addi t1, t1, 1
    bltu t1, t3, 1b
2:  mv   s3, t1
    li   s4, 0x811c9dc5             # FNV-1a over the master key, then the document
    li   s5, 0x01000193
    la   t2, layout
    lw   t2, 0(t2)
    slli t2, t2, 6
    la   a0, keyring
    add  a0, a0, t2
    li   a1, BLOCK
    call fnv
    mv   a0, s2
    mv   a1, s3
    call fnv
    add  a0, s2, s3
    la   a1, t_sealed
    call cat
    mv   a1, s4
    call cat_hex
    la   a1, t_nl
    call cat
    la   a1, r_sealed
    j    answer_text

# CLOSE: end the sender's grant and put the page back on the pool.
req_close:
    call sender_locker
    mv   s2, a0
    mv   a0, s0
    call client_entry
    mv   s1, a0
    li   a7, EID_GNTTAB
    li   a6, GNTTAB_END_ACCESS      # end_access(ref)
    lw   a0, 4(s1)
    ecall
    la   a1, r_close_failed
    bnez a0, answer_text
    sw   zero, 0(s1)
    sw   zero, 4(s1)
    mv   a0, s2                     # the page is ours again: next OPEN gets it
    call push_page
    la   a1, r_closed
    j    answer_text

# DUMP: the keyring, as text, into the sender's locker; only for the policy's domid.
req_dump:
    la   t0, layout
    lw   t0, 8(t0)
    slli t0, t0, 6
    la   t1, policy
    add  t1, t1, t0
    lw   t1, POLICY_DUMP_FOR(t1)
    la   a1, r_denied
    bne  t1, s0, answer_text
    call sender_locker
    la   a1, t_keyring              # "KEYRING of the vault\n", then every slot in use
    call cat
    mv   s2, a0
    li   s3, 0
1:  la   a1, keyring
    slli t0, s3, 6
    add  a1, a1, t0
    lbu  t0, 0(a1)
    beqz t0, 2f
    mv   a0, s2
    call cat
    la   a1, t_nl
    call cat
    mv   s2, a0
2:  addi s3, s3, 1
    li   t0, SLOTS
    bltu s3, t0, 1b
    la   a1, r_dumped
    j    answer_text

not_client:
    la   a1, r_no_room
    j    answer_text

# answer_text: reply with the string at a1.  answer: reply with what is in `reply`.
answer_text:
    la   a0, reply
    call cat
answer:
    la   a0, log_arrow              # log "-> REPLY"
    call puts
    la   a0, reply
    call puts
    la   a0, t_nl
    call puts
    la   t0, reply                  # its length
    li   a2, 0
1:  add  t1, t0, a2
    lbu  t1, 0(t1)
    beqz t1, 2f
    addi a2, a2, 1
    j    1b
2:  mv   a0, s0
    la   a1, reply
    li   a7, EID_DGRAM
    li   a6, DGRAM_SEND             # send(sender, reply, len); a full queue loses the reply
    ecall
    j    serve

# sender_locker() -> a0 = the sender's locker page; without one it answers
# "ERR open a locker first" and goes back to serve (it never returns then).
sender_locker:
    addi sp, sp, -16
    sw   ra, 12(sp)
    mv   a0, s0
    call client_entry
    beqz a0, 1f
    lw   t0, 0(a0)
    beqz t0, 1f
    addi a0, t0, -1
    lw   ra, 12(sp)
    addi sp, sp, 16
    ret
1:  addi sp, sp, 16
    la   a1, r_open_first
    j    answer_text

# client_entry(a0 = domid) -> a0 = its entry in `clients` (2 words), 0 if out of range
client_entry:
    li   t0, MAX_CLIENTS
    bgeu a0, t0, 1f
    slli a0, a0, 3
    la   t0, clients
    add  a0, a0, t0
    ret
1:  li   a0, 0
    ret

# push_page(a0 = page): back on top of the pool
push_page:
    la   t0, pool_top
    lw   t1, 0(t0)
    la   t2, pool
    slli t3, t1, 2
    add  t2, t2, t3
    sw   a0, 0(t2)
    addi t1, t1, 1
    sw   t1, 0(t0)
    ret

# recv_request() -> a0 = sender; msg = the payload, NUL-terminated. Waits (wfi).
recv_request:
1:  li   a7, EID_DGRAM
    li   a6, DGRAM_RECV             # recv(gpa, maxlen): sender, then payload
    la   a0, inbox
    li   a1, MSG_MAX + 4
    ecall
    bnez a1, 2f
    wfi
    j    1b
2:  la   t0, inbox
    lw   a0, 0(t0)                  # the sender, as the hypervisor stamped it
    addi a1, a1, -4                 # payload length
    la   t1, msg
    li   t2, 0
3:  bgeu t2, a1, 4f
    add  t3, t0, t2
    lbu  t3, 4(t3)
    li   t4, '\n'                   # a trailing newline ends the word
    beq  t3, t4, 4f
    add  t4, t1, t2
    sb   t3, 0(t4)
    addi t2, t2, 1
    j    3b
4:  add  t4, t1, t2
    sb   zero, 0(t4)
    la   t0, reply                  # a fresh reply
    sb   zero, 0(t0)
    ret

# init_policy: every block "unused", then the live block names the backup.
init_policy:
    addi sp, sp, -16
    sw   ra, 12(sp)
    sw   s0, 8(sp)
    li   s0, 0
1:  la   a0, policy
    slli t0, s0, 6
    add  a0, a0, t0
    la   a1, t_unused
    call cat
    la   a0, policy
    slli t0, s0, 6
    add  a0, a0, t0
    li   t1, NOBODY
    sw   t1, POLICY_DUMP_FOR(a0)
    addi s0, s0, 1
    li   t0, SLOTS
    bltu s0, t0, 1b
    la   t0, layout
    lw   t0, 8(t0)
    slli t0, t0, 6
    la   a0, policy
    add  s0, a0, t0
    mv   a0, s0
    la   a1, t_live
    call cat
    li   t1, BACKUP
    sw   t1, POLICY_DUMP_FOR(s0)
    lw   ra, 12(sp)
    lw   s0, 8(sp)
    addi sp, sp, 16
    ret

# init_keyring: "master: SECRET" and "mgmt: admin PASSWORD" into their slots; the
# secret's boot copy is scrubbed (only the keyring holds it from now on).
init_keyring:
    addi sp, sp, -16
    sw   ra, 12(sp)
    la   t0, layout
    lw   t0, 0(t0)
    slli t0, t0, 6
    la   a0, keyring
    add  a0, a0, t0
    la   a1, t_master
    call cat
    la   a1, secret
    call cat
    la   a0, secret
    li   a1, BLOCK
    call zero
    la   t0, layout
    lw   t0, 4(t0)
    slli t0, t0, 6
    la   a0, keyring
    add  a0, a0, t0
    la   a1, t_mgmt
    call cat
    la   a1, mgmt_password
    call cat
    lw   ra, 12(sp)
    addi sp, sp, 16
    ret

# init_pool: every locker page on the pool, locker 0 on top.
init_pool:
    addi sp, sp, -16
    sw   ra, 12(sp)
    sw   s0, 8(sp)
    li   s0, LOCKERS
1:  addi s0, s0, -1
    la   a0, lockers
    slli t0, s0, 12
    add  a0, a0, t0
    call push_page
    bnez s0, 1b
    lw   ra, 12(sp)
    lw   s0, 8(sp)
    addi sp, sp, 16
    ret

# banner: who the vault is and where its pages are.
banner:
    addi sp, sp, -16
    sw   ra, 12(sp)
    la   a0, b_hello
    call puts
    la   a0, policy
    call put_hex
    la   a0, b_block
    call puts
    la   t0, layout
    lw   a0, 8(t0)
    call put_num
    la   a0, b_keyring
    call puts
    la   a0, keyring
    call put_hex
    la   a0, b_lockers
    call puts
    la   a0, lockers
    call put_hex
    la   a0, b_end
    call puts
    lw   ra, 12(sp)
    addi sp, sp, 16
    ret

# fnv(a0 = bytes, a1 = count): s4 = FNV-1a of them, continuing from s4 (prime in s5)
fnv:
    beqz a1, 2f
1:  lbu  t0, 0(a0)
    xor  s4, s4, t0
    mul  s4, s4, s5
    addi a0, a0, 1
    addi a1, a1, -1
    bnez a1, 1b
2:  ret

# zero(a0 = start, a1 = bytes, a multiple of 4)
zero:
1:  sw   zero, 0(a0)
    addi a0, a0, 4
    addi a1, a1, -4
    bnez a1, 1b
    ret

# cat(a0 = dest, a1 = string) -> a0 = the NUL written at the end of dest
cat:
1:  lbu  t0, 0(a1)
    sb   t0, 0(a0)
    beqz t0, 2f
    addi a0, a0, 1
    addi a1, a1, 1
    j    1b
2:  ret

# cat_dec(a0 = dest, a1 = value) -> a0 = end: the value in decimal
cat_dec:
    addi sp, sp, -16
    addi t2, sp, 12                 # digits, last first, on the stack
    sb   zero, 0(t2)
    li   t1, 10
1:  remu t0, a1, t1
    addi t0, t0, '0'
    addi t2, t2, -1
    sb   t0, 0(t2)
    divu a1, a1, t1
    bnez a1, 1b
2:  lbu  t0, 0(t2)
    sb   t0, 0(a0)
    beqz t0, 3f
    addi a0, a0, 1
    addi t2, t2, 1
    j    2b
3:  addi sp, sp, 16
    ret

# cat_hex(a0 = dest, a1 = value) -> a0 = end: 8 hex digits
cat_hex:
    li   t1, 28
1:  srl  t0, a1, t1
    andi t0, t0, 15
    la   t2, hexdigits
    add  t2, t2, t0
    lbu  t0, 0(t2)
    sb   t0, 0(a0)
    addi a0, a0, 1
    addi t1, t1, -4
    bgez t1, 1b
    sb   zero, 0(a0)
    ret

# put_num(a0 = value): print it in decimal.  put_hex(a0): print 0x and 8 hex digits.
put_num:
    addi sp, sp, -16
    sw   ra, 12(sp)
    mv   a1, a0
    la   a0, numbuf
    call cat_dec
    la   a0, numbuf
    call puts
    lw   ra, 12(sp)
    addi sp, sp, 16
    ret
put_hex:
    addi sp, sp, -16
    sw   ra, 12(sp)
    mv   a1, a0
    la   a0, numbuf
    li   t0, '0'
    sb   t0, 0(a0)
    li   t0, 'x'
    sb   t0, 1(a0)
    addi a0, a0, 2
    call cat_hex
    la   a0, numbuf
    call puts
    lw   ra, 12(sp)
    addi sp, sp, 16
    ret

.include "lib/str_eq.S"    # str_eq(a0, a1) -> a0 = 1 if the strings are equal
.include "lib/dbcn.S"      # puts(a0): print through the debug console

b_hello:      .asciz "vault (dom2): lockers for customers, by datagram (send HELP)\nvault: policy page "
b_block:      .asciz ", live block "
b_keyring:    .asciz "; keyring page "
b_lockers:    .asciz "; lockers from "
b_end:        .asciz "\n"
log_dom:      .asciz "vault: dom"
log_sp:       .asciz " "
log_arrow:    .asciz " -> "
w_help:       .asciz "HELP"
w_open:       .asciz "OPEN"
w_seal:       .asciz "SEAL"
w_close:      .asciz "CLOSE"
w_dump:       .asciz "DUMP"
r_help:       .asciz "OK requests: OPEN, SEAL, CLOSE, DUMP (the backup's)"
r_unknown:    .asciz "ERR unknown request (try HELP)"
r_already:    .asciz "ERR you have a locker already"
r_full:       .asciz "ERR no free locker"
r_no_room:    .asciz "ERR no lockers for your domain"
r_grant_failed: .asciz "ERR the grant failed"
r_locker:     .asciz "OK locker "
r_sealed:     .asciz "OK sealed"
r_closed:     .asciz "OK closed"
r_close_failed: .asciz "ERR the grant could not be ended"
r_denied:     .asciz "ERR denied: DUMP is the backup's"
r_open_first: .asciz "ERR open a locker first"
r_dumped:     .asciz "OK dumped"
t_locker_of:  .asciz "locker of dom"
t_nl:         .asciz "\n"
t_sealed:     .asciz "SEALED "
t_keyring:    .asciz "KEYRING of the vault\n"
t_master:     .asciz "master: "
t_mgmt:       .asciz "mgmt: admin "
t_unused:     .asciz "policy block: unused"
t_live:       .asciz "policy block: DUMP allowed for"
hexdigits:    .ascii "0123456789abcdef"

.data
.balign 4096
policy:     .zero SLOTS * BLOCK
.balign 4096
keyring:    .zero SLOTS * BLOCK
.balign 4096
lockers:    .zero LOCKERS * PAGE_SIZE
# the rest: variables, and what the hypervisor writes at boot
.balign 4
variant:    .word 0                 # the variant word (scenario: variant_at)
layout:     .word 0, 0, 0           # master key slot, credential slot, live policy block
pool_top:   .word 0
pool:       .zero LOCKERS * 4
clients:    .zero MAX_CLIENTS * 8   # per domid: locker page + 1 (0: none), grant ref
secret:     .zero 64                # the master key, written by the hypervisor at boot (scenario: secret)
mgmt_password: .zero 68             # the escrowed credential (scenario: mgmt_password_at)
numbuf:     .zero 16
inbox:      .zero MSG_MAX + 8
msg:        .zero MSG_MAX + 4
reply:      .zero 128
