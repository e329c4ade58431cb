# The privileged instructions a guest kernel uses: Zicsr on each of this
# machine's CSRs (by name and by number), the aliases, the immediate forms,
# GNU as's register-form spellings of them, and sret. Checked byte for byte
# against GNU as, and our disassembly against objdump.
        .equ SCRATCH, 0x140
        .text
        .globl _start
_start:
        csrrw   a0, sstatus, a1
        csrrs   t0, stvec, zero
        csrrc   x5, sscratch, x31
        csrrw   zero, sepc, ra
        csrrs   a5, scause, a5
        csrrc   s11, stval, zero
        csrrwi  a0, sstatus, 0
        csrrsi  zero, stvec, 31
        csrrci  t6, sscratch, 17
        csrrw   a0, 0x100, a1               # by number: sstatus
        csrrs   a0, SCRATCH, zero           # by a constant's name
        csrrw   a0, 0x7c0, a1               # a custom CSR this machine lacks
        csrrs   a0, 0xfff, zero
        csrrw   a0, sstatus, 3              # GNU as reads these as csrrwi, csrrsi, csrrci
        csrrs   a0, stvec, 0
        csrrc   a0, sepc, 31
        csrr    a0, sstatus
        csrr    zero, scause
        csrw    stvec, t0
        csrw    sscratch, 5
        csrs    sstatus, a1
        csrs    sstatus, 2
        csrc    sstatus, a1
        csrc    sstatus, 2
        csrwi   sepc, 4
        csrsi   sstatus, 1
        csrci   sstatus, 0x1f
        csrw    sstatus, zero
        sret
        wfi
        ecall
kernel_entry:
        csrrw   sp, sscratch, sp            # swap in the kernel's stack
        sw      a0, -4(sp)
        csrr    a0, scause
        csrr    a1, sepc
        addi    a1, a1, 4
        csrw    sepc, a1
        csrrw   sp, sscratch, sp
        sret
