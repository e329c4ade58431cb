# lib/usys.S -- a user program's console, through its kernel's system calls: putc, newline,
# puts, getc, and the system call numbers of kernel.S.
#
# Provides (standard calling convention; each uses a0..a2, a7 and the ecall):
#   putc      print the byte in a0              (write(1, &byte, 1))
#   newline   print "\n"
#   puts      print the NUL-terminated string at a0   (write(1, s, strlen(s)))
#   getc      wait for a console byte, return it in a0  (read(0, &byte, 1))
#   SYS_...   the kernel's system call numbers
# Needs: nothing; the kernel (kernel.S) must be the one serving the calls.
#
# A system call is an `ecall` from user mode: a7 = the call's number, a0..a5
# its arguments; the kernel answers in a0 (a negative number is -errno). The
# user program never talks to the hardware or the hypervisor itself: its
# kernel does, on its behalf (xv6's usys.S, a stub per call, is the model).
# The numbers are Linux's on RISC-V where Linux has the call.

        .equ SYS_READ,     63           # read(fd, buf, len) -> bytes, waits for at least one
        .equ SYS_WRITE,    64           # write(fd, buf, len) -> bytes written
        .equ SYS_EXIT,     93           # exit(code): the program ends
        .equ SYS_GETUID,   174          # getuid() -> the user's id
        .equ SYS_VM_COUNT, 500          # vm_count() -> how many VMs the machine has (kernel.S's own)
        .equ SYS_VM_STATE, 501          # vm_state(domid) -> 0 running .. 3 faulted, < 0 none (ditto)
        .equ ENOSYS,       38           # a0 = -ENOSYS: no such system call

# putc: print one byte.   in: a0 = byte
putc:
        addi sp, sp, -16
        sb   a0, 0(sp)
        li   a0, 1                      # write(1, sp, 1)
        mv   a1, sp
        li   a2, 1
        li   a7, SYS_WRITE
        ecall
        addi sp, sp, 16
        ret

# newline: print "\n".
newline:
        li   a0, '\n'
        j    putc

# puts: print a NUL-terminated string with one system call.   in: a0 = string
puts:
        mv   a1, a0
        li   a2, 0
1:      add  t0, a1, a2
        lbu  t0, 0(t0)
        beqz t0, 2f
        addi a2, a2, 1
        j    1b
2:      li   a0, 1                      # write(1, s, len)
        li   a7, SYS_WRITE
        ecall
        ret

# getc: wait for a console byte (the kernel waits for us).   out: a0 = byte
getc:
        addi sp, sp, -16
        li   a0, 0                      # read(0, sp, 1)
        mv   a1, sp
        li   a2, 1
        li   a7, SYS_READ
        ecall
        lbu  a0, 0(sp)
        addi sp, sp, 16
        ret
