# backup.S - the vault's backup agent: a service domain, not the control domain.
#
# Its job, run by typing `backup-now` on its console (the nightly job, by hand):
#
#   1. ask the hypervisor whether the vault (dom2) is running: VMCTL info(2),
#      a privileged call, the one privilege this domain needs;
#   2. OPEN a locker at the vault (a datagram), map the grant it answers with at
#      BACKUP_MAP in its grant window;
#   3. DUMP: the vault copies its keyring into the locker;
#   4. checksum what it got (FNV-1a), write its first sector to sector 0 of its
#      own disk (the backup store; no disk: nothing) and report
#      `backup ok: N bytes, sum 0x...`;
#   5. unmap the page and CLOSE the locker.
#
# Any step that fails ends the job with `backup failed: ...` and the reason.
# It never prints the keyring itself.

.include "lib/machine.S"    # UART_..., GRANT_WINDOW
.include "lib/sbi.S"        # EID_..., the hypercall numbers

.equ VAULT,      2
.equ BACKUP_MAP, GRANT_WINDOW

.text
.globl _start
_start:
    la   a0, banner
    call puts
prompt:
    la   a0, prompt_text
    call puts
    call getline
    mv   s0, a0
    la   a1, word_backup
    call str_eq
    bnez a0, do_backup
    mv   a0, s0
    la   a1, word_help
    call str_eq
    bnez a0, do_help
    lbu  t0, 0(s0)
    beqz t0, prompt
    la   a0, unknown
    call puts
    j    prompt

do_help:
    la   a0, help_text
    call puts
    j    prompt

do_backup:
    # 1. Is the vault running? (VMCTL info: privileged)
    li   a7, EID_VMCTL
    li   a6, VMCTL_INFO
    li   a0, VAULT
    ecall
    la   s1, f_info
    bnez a0, failed
    la   s1, f_not_running
    bnez a1, failed
    la   a0, t_running
    call puts
    # 2. OPEN a locker and map it.
    la   a0, w_open
    call ask                        # a0 = the vault's reply
    mv   s0, a0
    la   a1, r_locker
    call prefix                     # a0 = after "OK locker ", or 0
    la   s1, f_open
    beqz a0, failed_reply
    call parse_num
    la   s1, f_open
    beqz a1, failed_reply
    mv   s2, a0                     # s2 = the ref
    li   a7, EID_GNTTAB
    li   a6, GNTTAB_MAP             # map(vault, ref, BACKUP_MAP, read-write)
    li   a0, VAULT
    mv   a1, s2
    li   a2, BACKUP_MAP
    li   a3, 0
    ecall
    la   s1, f_map
    bnez a0, failed
    la   a0, t_locker
    call puts
    # 3. DUMP into it.
    la   a0, w_dump
    call ask
    mv   s0, a0
    la   a1, r_dumped
    call str_eq
    la   s1, f_dump
    beqz a0, failed_close
    # 4. Checksum it (up to the first NUL, at most a page).
    li   t0, BACKUP_MAP
    li   t3, PAGE_SIZE
    li   t1, 0
    li   s3, 0x811c9dc5
    li   t4, 0x01000193
1:  add  t2, t0, t1
    lbu  t2, 0(t2)
    beqz t2, 2f
    xor  s3, s3, t2
    mul  s3, s3, t4
    addi t1, t1, 1
    bltu t1, t3, 1b
2:  mv   s4, t1
    la   s1, f_empty
    beqz s4, failed_close
    li   a7, EID_BLK
    li   a6, BLK_WRITE              # write(sector 0, 1 sector, the locker): the backup store
    li   a0, 0
    li   a1, 1
    li   a2, BACKUP_MAP
    ecall
    la   a0, t_ok
    call puts
    mv   a0, s4
    call put_dec
    la   a0, t_sum
    call puts
    mv   a0, s3
    call put_hex
    la   a0, t_nl
    call puts
    # 5. Give the locker back.
    call close_locker
    j    prompt

# failed_close: the locker is mapped: say why, then give it back.
failed_close:
    call say_failed_reply
    call close_locker
    j    prompt

# failed_reply: "backup failed: WHY (vault: REPLY)"; failed: "backup failed: WHY (error N)"
failed_reply:
    call say_failed_reply
    j    prompt
say_failed_reply:
    addi sp, sp, -16
    sw   ra, 12(sp)
    la   a0, t_failed
    call puts
    mv   a0, s1
    call puts
    la   a0, t_vault_said
    call puts
    mv   a0, s0
    call puts
    la   a0, t_close_paren
    call puts
    lw   ra, 12(sp)
    addi sp, sp, 16
    ret
failed:
    mv   s0, a0
    la   a0, t_failed
    call puts
    mv   a0, s1
    call puts
    la   a0, t_error
    call puts
    neg  a0, s0
    call put_dec
    la   a0, t_close_paren
    call puts
    j    prompt

# close_locker: unmap BACKUP_MAP and CLOSE the locker at the vault.
close_locker:
    addi sp, sp, -16
    sw   ra, 12(sp)
    li   a7, EID_GNTTAB
    li   a6, GNTTAB_UNMAP
    li   a0, BACKUP_MAP
    ecall
    la   a0, w_close
    call ask
    lw   ra, 12(sp)
    addi sp, sp, 16
    ret

# ask(a0 = request) -> a0 = the vault's reply (NUL-terminated): send it to the
# vault, wait for the vault's answer; datagrams from anyone else are dropped.
ask:
    addi sp, sp, -16
    sw   ra, 12(sp)
    mv   a1, a0
    li   a2, 0
1:  add  t0, a1, a2
    lbu  t0, 0(t0)
    beqz t0, 2f
    addi a2, a2, 1
    j    1b
2:  li   a0, VAULT
    call dgram_send
3:  li   a7, EID_DGRAM
    li   a6, DGRAM_RECV
    la   a0, inbox
    li   a1, 132
    ecall
    bnez a1, 4f
    wfi
    j    3b
4:  la   t0, inbox
    lw   t1, 0(t0)
    li   t2, VAULT
    bne  t1, t2, 3b                 # not the vault's: ignore it
    add  t1, t0, a1                 # end the payload with a NUL
    sb   zero, 0(t1)
    addi a0, t0, 4
    lw   ra, 12(sp)
    addi sp, sp, 16
    ret

# prefix(a0 = string, a1 = prefix) -> a0 = string after the prefix, or 0
prefix:
1:  lbu  t1, 0(a1)
    beqz t1, 2f
    lbu  t0, 0(a0)
    bne  t0, t1, 3f
    addi a0, a0, 1
    addi a1, a1, 1
    j    1b
2:  ret
3:  li   a0, 0
    ret

# put_hex(a0): 0x and 8 hex digits
put_hex:
    addi sp, sp, -16
    sw   ra, 12(sp)
    la   t3, numbuf
    li   t0, '0'
    sb   t0, 0(t3)
    li   t0, 'x'
    sb   t0, 1(t3)
    addi t3, t3, 2
    li   t1, 28
1:  srl  t0, a0, t1
    andi t0, t0, 15
    la   t2, hexdigits
    add  t2, t2, t0
    lbu  t0, 0(t2)
    sb   t0, 0(t3)
    addi t3, t3, 1
    addi t1, t1, -4
    bgez t1, 1b
    sb   zero, 0(t3)
    la   a0, numbuf
    call puts
    lw   ra, 12(sp)
    addi sp, sp, 16
    ret

.include "lib/getline.S"   # getline() -> a0 = a line typed on the console
.include "lib/str_eq.S"    # str_eq(a0, a1) -> a0 = 1 if the strings are equal
.include "lib/parse_num.S" # parse_num(a0) -> a0 = value, a1 = 1 if a number
.include "lib/dgram.S"     # dgram_send(a0 = domid, a1 = buffer, a2 = length)
.include "lib/clock.S"     # sleep_for: dgram_send's back-off
.include "lib/dbcn.S"      # puts(a0): print through the debug console
.include "lib/put_dec.S"   # put_dec(a0): a number in decimal

banner:       .asciz "backup agent (dom3): type backup-now to back the vault up\n"
prompt_text:  .asciz "backup> "
word_backup:  .asciz "backup-now"
word_help:    .asciz "help"
unknown:      .asciz "error: unknown command (try help)\n"
help_text:    .asciz "backup-now   back the vault up: VMCTL info, OPEN, map, DUMP, checksum, CLOSE\n"
w_open:       .asciz "OPEN"
w_dump:       .asciz "DUMP"
w_close:      .asciz "CLOSE"
r_locker:     .asciz "OK locker "
r_dumped:     .asciz "OK dumped"
t_running:    .asciz "backup: the vault is running\n"
t_locker:     .asciz "backup: locker mapped\n"
t_ok:         .asciz "backup ok: "
t_sum:        .asciz " bytes, sum "
t_nl:         .asciz "\n"
t_failed:     .asciz "backup failed: "
t_vault_said: .asciz " (vault: "
t_error:      .asciz " (error -"
t_close_paren: .asciz ")\n"
f_info:       .asciz "the hypervisor refused VMCTL info(vault)"
f_not_running: .asciz "the vault is not running"
f_open:       .asciz "no locker"
f_map:        .asciz "the locker could not be mapped"
f_dump:       .asciz "the vault refused the dump"
f_empty:      .asciz "the dump is empty"
hexdigits:    .ascii "0123456789abcdef"

.data
.balign 4096
.balign 4
numbuf:     .zero 16
inbox:      .zero 136
line:       .zero 80
msgbuf:     .zero 64                # lib/dgram.S's wait_datagram (unused here)
