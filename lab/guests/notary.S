# notary.S - a VM that shares pages through grant tables, as real services do.
#
# At boot the notary grants three of its pages:
#
#   ref 0  statement  read-write to dom0 (the admin)     nobody else may map it
#   ref 1  rates      READ-ONLY to dom1 (the tenant)     the tenant may only read it
#   ref 2  drop box   read-write to dom1 (the tenant)    until the notary closes it
#
# and prints the references on its console. Then it serves its console:
#
#   rates    print the rates page (which only the notary should be able to change)
#   close    end the drop-box grant and reuse its page for the vault: the secret
#            (the scenario's `secret`, at the label `secret`) is copied into it,
#            as a service would reuse a page it believes is private again. If the
#            hypervisor refuses to end the grant (still mapped), the page is left
#            alone and `close` can be tried again later
#   help     list the commands
#
# Each grant is a promise the hypervisor must keep: only the named grantee
# maps it (grant.check_grantee), a read-only grant stays read-only
# (grant.enforce_readonly), and a grant still mapped cannot be ended, so the
# page is never reused while someone can reach it (grant.check_in_use). With
# the vulnerable policy, the tenant breaks all three.

.include "lib/machine.S"    # UART_...
.include "lib/sbi.S"        # EID_..., the hypercall numbers
.equ ADMIN,      0
.equ TENANT,     1

.text
.globl _start
_start:
    # ref 0: the statement, read-write, to the admin
    la   a0, statement
    li   a1, ADMIN
    li   a2, 0
    call grant
    # ref 1: the rates, read-only, to the tenant
    la   a0, rates
    li   a1, TENANT
    li   a2, 1
    call grant
    # ref 2: the drop box, read-write, to the tenant
    la   a0, dropbox
    li   a1, TENANT
    li   a2, 0
    call grant
    mv   s1, a0             # s1 = the drop box's ref, for `close`
    la   a0, banner
    call puts

prompt:
    la   a0, prompt_text
    call puts
    call getline            # a0 = the line (NUL-terminated)
    mv   s0, a0
    la   a1, word_rates
    call str_eq
    bnez a0, do_rates
    mv   a0, s0
    la   a1, word_close
    call str_eq
    bnez a0, do_close
    mv   a0, s0
    la   a1, word_help
    call str_eq
    bnez a0, do_help
    lbu  t0, 0(s0)
    beqz t0, prompt         # an empty line
    la   a0, unknown
    call puts
    j    prompt

do_help:
    la   a0, help_text
    call puts
    j    prompt

do_rates:
    la   a0, rates
    call puts
    j    prompt

do_close:
    beqz s1, 1f             # already closed (ref 2 is never 0)
    li   a7, EID_GNTTAB
    li   a6, GNTTAB_END_ACCESS # end_access(ref)
    mv   a0, s1
    ecall
    bnez a0, 3f             # refused: someone still has it mapped, the page is not ours yet
    li   s1, 0
    # The page is ours again: reuse it for the vault.
    la   t0, secret
    la   t1, dropbox
    li   t2, 64
2:  lbu  t3, 0(t0)
    sb   t3, 0(t1)
    addi t0, t0, 1
    addi t1, t1, 1
    addi t2, t2, -1
    bnez t2, 2b
    la   a0, closed_text
    call puts
    j    prompt
1:  la   a0, already_text
    call puts
    j    prompt
3:  la   a0, busy_text
    call puts
    j    prompt

# grant(a0 = page, a1 = grantee, a2 = flags) -> a0 = ref; prints "ref N: <page name>"
grant:
    addi sp, sp, -16
    sw   ra, 12(sp)
    li   a7, EID_GNTTAB
    li   a6, GNTTAB_GRANT_ACCESS # grant_access(gpa, grantee_domid, flags)
    ecall
    mv   a0, a1
    lw   ra, 12(sp)
    addi sp, sp, 16
    ret

.include "lib/getline.S"   # getline() -> a0 = a line typed on the console
.include "lib/str_eq.S"    # str_eq(a0, a1) -> a0 = 1 if the strings are equal
.include "lib/dbcn.S"      # puts(a0): print through the debug console

banner:       .ascii "notary: granted ref 0 statement -> dom0 (read-write), "
              .ascii "ref 1 rates -> dom1 (read-only), ref 2 drop box -> dom1 (read-write)\n\0"
prompt_text:  .asciz "notary> "
word_rates:   .asciz "rates"
word_close:   .asciz "close"
word_help:    .asciz "help"
unknown:      .asciz "error: unknown command (try help)\n"
help_text:    .asciz "rates    show the rates\nclose    close the drop box and reuse its page for the vault\n"
closed_text:  .asciz "drop box closed; its page now holds the vault\n"
already_text: .asciz "the drop box is already closed\n"
busy_text:    .asciz "the drop box is still mapped: the grant stays, the page is not reused\n"

.data
.balign 4096
statement:  .asciz "STATEMENT alice 1200 bob 340 carol 99000 (for the admin only)\n"
.balign 4096
rates:      .asciz "rates: savings 1.5%, loans 6.0%\n"
.balign 4096
dropbox:    .asciz "drop box: leave your documents here\n"
.balign 4096
secret:     .asciz "NOTARY{vault-key}"
            .balign 64
line:       .zero 80
