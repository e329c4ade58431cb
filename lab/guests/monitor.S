# monitor.S -- an interactive shell on the VM's UART: the student's main tool.
#
# The monitor prints a prompt `domN> ` (N is this VM's domain ID, asked from the
# hypervisor with VMCTL self()), reads a line, splits it into words and looks the
# first word up in the command table `commands` at the end of this file. Every
# command is one routine `cmd_NAME`; to add a command, write the routine and add
# one line to the table (name, routine, fewest and most arguments, help text).
#
# Commands (numbers are hex `0x..` or decimal everywhere):
#   help                          list the commands
#   hcall EID FID [A0 .. A5]      make any hypercall, print a0 (error) and a1 (value)
#   x ADDR [LEN]                  hexdump own memory (x reads with loads: a bad address faults the VM)
#   w ADDR BYTE...                write bytes into own memory
#   peek DOMID ADDR [LEN]         VMCTL peek: copy another VM's memory here and dump it
#   poke DOMID ADDR BYTE...       VMCTL poke: write bytes into another VM's memory
#   vms                           list the VMs and their states (VMCTL count, info)
#   pause D / unpause D / destroy D   VMCTL control of another VM
#   print ADDR LEN                DBCN console_write of [ADDR, ADDR+LEN)
#   echo TEXT                     print TEXT
#   probe EID                     BASE probe_extension: does the hypervisor offer EID?
#   info                          SBI version, implementation ID, own domid, number of VMs
#   exit [CODE]                   SRST shutdown of this VM, with an exit code
#   grant ADDR DOMID [FLAGS]      GNTTAB grant_access: let DOMID map our page (FLAGS 1: read-only)
#   ungrant REF                   GNTTAB end_access: revoke grant REF
#   map DOMID REF ADDR [FLAGS]    GNTTAB map: map DOMID's grant REF at ADDR (grant window 0x90000000)
#   unmap ADDR                    GNTTAB unmap
#   dsend DOMID TEXT              DGRAM send TEXT to DOMID
#   drecv                         DGRAM recv: the oldest datagram and who sent it
#   ring                          DGRAM ring_setup: share our ring page with the backend
#   rlog TEXT                     put a LOG request in the ring and ring the doorbell
#   race LEN                      a 16-byte LOG request, then len = LEN right after the
#                                 doorbell: the double fetch (XSA-155) if the backend reads len twice
#
# The hypercall ABI (RISC-V SBI calling convention): a7 = extension ID (EID),
# a6 = function ID (FID), a0..a5 = arguments, then `ecall`; the hypervisor
# answers with a0 = error code (0 = success, negative = SBI_ERR_...) and
# a1 = value.
#
# Routines follow the standard calling convention: arguments in a0..a7, results
# in a0 (and a1), ra is the return address, s0..s11 are preserved.
#
# Errors in a command (a bad number, say) go through `abort_command`: it prints
# nothing itself, resets the stack to where the prompt loop had it and starts
# over at the prompt, so a handler never has to pass errors up by hand.

        # ---- the machine (QEMU virt board layout, see DESIGN.md)
        .equ UART_BASE,   0x10000000    # 16550 UART
        .equ UART_RBR,    0             # read: the next received byte
        .equ UART_THR,    0             # write: send a byte
        .equ UART_LSR,    5             # line status register
        .equ LSR_DR,      0x01          # bit 0: a received byte is waiting
        .equ LSR_THRE,    0x20          # bit 5: ready to send a byte

        # ---- hypercall extensions and functions
        .equ EID_BASE,    0x10          # SBI Base
        .equ BASE_SPEC_VERSION, 0
        .equ BASE_IMPL_ID, 1
        .equ BASE_PROBE,  3
        .equ EID_DBCN,    0x4442434E    # SBI Debug Console ("DBCN")
        .equ DBCN_WRITE,  0
        .equ EID_SRST,    0x53525354    # SBI System Reset ("SRST")
        .equ SRST_RESET,  0
        .equ SRST_SHUTDOWN, 0
        .equ REASON_EXIT, 0xE0000000    # reason 0xE00000NN = "exit code NN" (hvlab)
        .equ EID_VMCTL,   0x09000001    # hvlab VM control
        .equ VMCTL_SELF,  0
        .equ VMCTL_COUNT, 1
        .equ VMCTL_INFO,  2
        .equ VMCTL_PAUSE, 3
        .equ VMCTL_UNPAUSE, 4
        .equ VMCTL_DESTROY, 5
        .equ VMCTL_PEEK,  6
        .equ VMCTL_POKE,  7
        .equ EID_GNTTAB,  0x09000002    # hvlab grant tables
        .equ GNT_GRANT,   0
        .equ GNT_END,     1
        .equ GNT_MAP,     2
        .equ GNT_UNMAP,   3
        .equ EID_DGRAM,   0x09000003    # hvlab datagrams and request ring
        .equ DG_SEND,     0
        .equ DG_RECV,     1
        .equ DG_RING,     2
        .equ DG_DOORBELL, 3
        .equ DGRAM_MAX,   256           # bytes in one datagram
        .equ RING_OP,     4             # ring page: u32 status, op, len, result, then data
        .equ RING_LEN,    8
        .equ RING_DATA,   16
        .equ RING_DATA_MAX, 240
        .equ OP_LOG,      1
        .equ SBI_ERROR_COUNT, 14        # SBI_SUCCESS and the 13 errors, 0 to -13
        .equ SBI_ERR_INVALID_PARAM, -3
        .equ MAX_DOMID,   256           # vms stops here, whatever count() said

        # ---- sizes
        .equ LINE_MAX,    120           # characters in a command line
        .equ MAX_ARGS,    64            # a 120-character line has at most 60 words
        .equ BUF_SIZE,    4096          # peek buffer; also the largest x / peek LEN
        .equ MAX_BYTES,   64            # BYTE arguments of w and poke
        .equ DUMP_DEFAULT, 64           # LEN of x and peek when it is left out

        # ---- one entry of the command table (5 words)
        .equ CMD_NAME,    0             # the command's name (string)
        .equ CMD_RUN,     4             # its routine: a0 = argc, a1 = argv
        .equ CMD_MIN,     8             # fewest arguments after the name
        .equ CMD_MAX,     12            # most arguments after the name
        .equ CMD_HELP,    16            # its help line (string)
        .equ CMD_SIZE,    20

        .text
        .globl _start
# _start: set up, then the prompt loop forever.
_start:
        la   t0, saved_sp               # abort_command comes back to this stack
        sw   sp, 0(t0)
        li   a7, EID_VMCTL              # who am I?
        li   a6, VMCTL_SELF
        ecall
        la   t0, my_domid
        sw   a1, 0(t0)
        la   a0, msg_banner
        call puts

prompt_loop:
        la   a0, msg_dom                # the prompt: "domN> "
        call puts
        la   t0, my_domid
        lw   a0, 0(t0)
        call put_dec
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
# a1 = argv (an array of pointers to the words); run_command has already
# checked the number of arguments against the table.

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

# hcall EID FID [A0 .. A5]: make the hypercall and print a0 and a1.
cmd_hcall:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        sw   s1, 4(sp)
        sw   s2, 0(sp)
        mv   s0, a0                     # s0 = argc
        la   t0, hcall_regs             # clear a7, a6, a0..a5
        li   t1, 8
1:      sw   zero, 0(t0)
        addi t0, t0, 4
        addi t1, t1, -1
        bnez t1, 1b
        li   s1, 1                      # s1 = argument index: EID, FID, A0 ...
2:      bge  s1, s0, 3f
        mv   a0, s1
        call arg_num
        la   t0, hcall_regs
        slli t1, s1, 2
        add  t0, t0, t1
        sw   a0, -4(t0)                 # hcall_regs[s1 - 1]
        addi s1, s1, 1
        j    2b
3:      la   t0, hcall_regs
        lw   a7, 0(t0)
        lw   a6, 4(t0)
        lw   a0, 8(t0)
        lw   a1, 12(t0)
        lw   a2, 16(t0)
        lw   a3, 20(t0)
        lw   a4, 24(t0)
        lw   a5, 28(t0)
        ecall
        mv   s1, a0                     # s1 = error
        mv   s2, a1                     # s2 = value
        la   a0, msg_a0
        call puts
        mv   a0, s1
        call put_hex32
        la   a0, msg_a1
        call puts
        mv   a0, s2
        call put_hex32
        beqz s1, 4f
        la   a0, msg_open               # " (SBI_ERR_...)"
        call puts
        mv   a0, s1
        call sbi_error_name
        call puts
        li   a0, ')'
        call putc
4:      call newline
        lw   ra, 12(sp)
        lw   s0, 8(sp)
        lw   s1, 4(sp)
        lw   s2, 0(sp)
        addi sp, sp, 16
        ret

# x ADDR [LEN]: hexdump LEN bytes (default 64) of own memory, read with loads.
cmd_x:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        sw   s1, 4(sp)
        mv   s1, a0                     # argc
        li   a0, 1
        call arg_num
        mv   s0, a0                     # s0 = ADDR
        li   a0, 2
        mv   a1, s1
        call arg_len                    # a0 = LEN
        mv   a1, a0
        mv   a0, s0
        mv   a2, s0                     # show the real addresses
        call hexdump
        lw   ra, 12(sp)
        lw   s0, 8(sp)
        lw   s1, 4(sp)
        addi sp, sp, 16
        ret

# w ADDR BYTE...: store the bytes at ADDR (own memory).
cmd_w:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        sw   s1, 4(sp)
        mv   s1, a0                     # argc
        li   a0, 1
        call arg_num
        mv   s0, a0                     # s0 = ADDR
        li   a0, 2
        mv   a1, s1
        call arg_bytes                  # all BYTEs into byte_buf first: a bad one writes nothing
        mv   s1, a0                     # s1 = how many
        la   t0, byte_buf
        li   t1, 0
1:      bge  t1, s1, 2f
        add  t2, t0, t1
        lbu  t3, 0(t2)
        add  t2, s0, t1
        sb   t3, 0(t2)
        addi t1, t1, 1
        j    1b
2:      la   a0, msg_wrote              # "wrote N bytes at 0x..."
        call puts
        mv   a0, s1
        call put_dec
        la   a0, msg_bytes_at
        call puts
        mv   a0, s0
        call put_hex32
        call newline
        lw   ra, 12(sp)
        lw   s0, 8(sp)
        lw   s1, 4(sp)
        addi sp, sp, 16
        ret

# peek DOMID ADDR [LEN]: copy LEN bytes of VM DOMID at ADDR into peek_buf
# (VMCTL peek, a privileged call) and hexdump them with DOMID's addresses.
cmd_peek:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        sw   s1, 4(sp)
        sw   s2, 0(sp)
        mv   s2, a0                     # argc
        li   a0, 1
        call arg_num
        mv   s0, a0                     # s0 = DOMID
        li   a0, 2
        call arg_num
        mv   s1, a0                     # s1 = ADDR
        li   a0, 3
        mv   a1, s2
        call arg_len
        mv   a2, a0                     # len
        mv   a0, s0                     # domid
        mv   a1, s1                     # src_gpa
        la   a3, peek_buf               # dest_gpa
        li   a7, EID_VMCTL
        li   a6, VMCTL_PEEK
        ecall
        beqz a0, 1f
        call put_refused                # "error: refused (SBI_ERR_...)"
        j    2f
1:      la   a0, peek_buf
        mv   a2, s1
        call hexdump                    # a1 = bytes copied
2:      lw   ra, 12(sp)
        lw   s0, 8(sp)
        lw   s1, 4(sp)
        lw   s2, 0(sp)
        addi sp, sp, 16
        ret

# poke DOMID ADDR BYTE...: write the bytes into VM DOMID at ADDR (VMCTL poke).
cmd_poke:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        sw   s1, 4(sp)
        sw   s2, 0(sp)
        mv   s2, a0                     # argc
        li   a0, 1
        call arg_num
        mv   s0, a0                     # s0 = DOMID
        li   a0, 2
        call arg_num
        mv   s1, a0                     # s1 = ADDR
        li   a0, 3
        mv   a1, s2
        call arg_bytes                  # a0 = how many, in byte_buf
        mv   a2, a0                     # len
        mv   a0, s0                     # domid
        mv   a1, s1                     # dest_gpa
        la   a3, byte_buf               # src_gpa
        li   a7, EID_VMCTL
        li   a6, VMCTL_POKE
        ecall
        call put_result
        lw   ra, 12(sp)
        lw   s0, 8(sp)
        lw   s1, 4(sp)
        lw   s2, 0(sp)
        addi sp, sp, 16
        ret

# vms: one line per VM, `dom<d> <state>`, with ` *` on this VM's line.
# VMCTL count() says how many VMs are alive; domids count up from 0 and are
# never reused, so a domid that info() does not know (SBI_ERR_INVALID_PARAM)
# below the last live one was destroyed. info() is privileged: a hardened
# hypervisor refuses it to anyone but the control domain, and then the line
# says `? (SBI_ERR_DENIED)`.
cmd_vms:
        addi sp, sp, -32
        sw   ra, 28(sp)
        sw   s0, 24(sp)
        sw   s1, 20(sp)
        sw   s2, 16(sp)
        sw   s3, 12(sp)
        li   a7, EID_VMCTL
        li   a6, VMCTL_COUNT
        ecall
        mv   s1, a1                     # s1 = live VMs
        li   s0, 0                      # s0 = domid
        li   s3, 0                      # s3 = live VMs listed so far
1:      bge  s3, s1, 6f
        li   t0, MAX_DOMID
        bgeu s0, t0, 6f
        la   a0, msg_dom
        call puts
        mv   a0, s0
        call put_dec
        li   a0, ' '
        call putc
        mv   a0, s0
        li   a7, EID_VMCTL
        li   a6, VMCTL_INFO
        ecall
        addi s3, s3, 1                  # count it, unless it turns out destroyed
        beqz a0, 2f
        mv   s2, a0
        li   t0, SBI_ERR_INVALID_PARAM
        bne  s2, t0, 7f
        addi s3, s3, -1
        la   a0, msg_destroyed
        call puts
        j    3f
7:      la   a0, msg_unknown_state      # refused: "? (SBI_ERR_...)"
        call puts
        mv   a0, s2
        call sbi_error_name
        call puts
        li   a0, ')'
        call putc
        j    3f
2:      mv   a0, a1
        call state_name
        call puts
3:      la   t0, my_domid
        lw   t0, 0(t0)
        bne  t0, s0, 4f
        la   a0, msg_me
        call puts
4:      call newline
        addi s0, s0, 1
        j    1b
6:      lw   ra, 28(sp)
        lw   s0, 24(sp)
        lw   s1, 20(sp)
        lw   s2, 16(sp)
        lw   s3, 12(sp)
        addi sp, sp, 32
        ret

# pause D, unpause D, destroy D: one VMCTL call on domid D, then ok or the error.
cmd_pause:
        li   a2, VMCTL_PAUSE
        j    vmctl_on_domid
cmd_unpause:
        li   a2, VMCTL_UNPAUSE
        j    vmctl_on_domid
cmd_destroy:
        li   a2, VMCTL_DESTROY
        j    vmctl_on_domid

# vmctl_on_domid: VMCTL function a2 with argv[1] as the domid; prints the result.
# in: a2 = FID
vmctl_on_domid:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        mv   s0, a2
        li   a0, 1
        call arg_num                    # a0 = domid
        li   a7, EID_VMCTL
        mv   a6, s0
        ecall
        call put_result
        lw   ra, 12(sp)
        lw   s0, 8(sp)
        addi sp, sp, 16
        ret

# print ADDR LEN: the hypervisor prints [ADDR, ADDR+LEN) for us (DBCN
# console_write). The hypervisor must check that the buffer is ours: if it
# does not, ADDR past the end of our RAM reads the next VM's memory.
cmd_print:
        addi sp, sp, -32
        sw   ra, 28(sp)
        sw   s0, 24(sp)
        sw   s1, 20(sp)
        sw   s2, 16(sp)
        sw   s3, 12(sp)
        li   a0, 1
        call arg_num
        mv   s0, a0                     # s0 = where the rest starts
        li   a0, 2
        call arg_num
        mv   s1, a0                     # s1 = bytes still to print
        mv   s3, a0                     # s3 = LEN
        li   s2, 0                      # s2 = error
1:      beqz s1, 2f
        mv   a0, s1                     # console_write(num_bytes, base_lo, base_hi)
        mv   a1, s0
        li   a2, 0
        li   a7, EID_DBCN
        li   a6, DBCN_WRITE
        ecall
        mv   s2, a0
        bnez s2, 2f
        beqz a1, 2f                     # nothing written: stop rather than loop forever
        add  s0, s0, a1                 # writes may be partial (SBI spec): go on
        sub  s1, s1, a1
        j    1b
2:      beq  s1, s3, 3f                 # end what was printed with a newline
        call newline
3:      beqz s2, 4f
        mv   a0, s2
        call put_refused
4:      lw   ra, 28(sp)
        lw   s0, 24(sp)
        lw   s1, 20(sp)
        lw   s2, 16(sp)
        lw   s3, 12(sp)
        addi sp, sp, 32
        ret

# echo TEXT: print the rest of the line as it was typed.
cmd_echo:
        addi sp, sp, -16
        sw   ra, 12(sp)
        la   a0, line
        call skip_spaces                # to "echo"
        call skip_word                  # past it
        call skip_spaces                # to TEXT
        call puts
        call newline
        lw   ra, 12(sp)
        addi sp, sp, 16
        ret

# probe EID: BASE probe_extension(EID) answers 1 (available) or 0.
cmd_probe:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        sw   s1, 4(sp)
        li   a0, 1
        call arg_num
        mv   s0, a0
        li   a7, EID_BASE
        li   a6, BASE_PROBE
        ecall
        mv   s1, a1
        la   a0, msg_eid
        call puts
        mv   a0, s0
        call put_hex32
        la   a0, msg_available
        bnez s1, 1f
        la   a0, msg_not_available
1:      call puts
        lw   ra, 12(sp)
        lw   s0, 8(sp)
        lw   s1, 4(sp)
        addi sp, sp, 16
        ret

# info: SBI spec version, implementation ID, own domid and the number of VMs.
cmd_info:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        li   a7, EID_BASE
        li   a6, BASE_SPEC_VERSION
        ecall
        mv   s0, a1                     # major in bits 30:24, minor in 23:0
        la   a0, msg_spec
        call puts
        srli a0, s0, 24
        andi a0, a0, 0x7f
        call put_dec
        li   a0, '.'
        call putc
        slli a0, s0, 8
        srli a0, a0, 8
        call put_dec
        call newline
        li   a7, EID_BASE
        li   a6, BASE_IMPL_ID
        ecall
        mv   s0, a1
        la   a0, msg_impl
        call puts
        mv   a0, s0
        call put_hex32
        call newline
        la   a0, msg_this_vm
        call puts
        la   t0, my_domid
        lw   a0, 0(t0)
        call put_dec
        li   a7, EID_VMCTL
        li   a6, VMCTL_COUNT
        ecall
        mv   s0, a1
        la   a0, msg_of
        call puts
        mv   a0, s0
        call put_dec
        la   a0, msg_vms
        call puts
        lw   ra, 12(sp)
        lw   s0, 8(sp)
        addi sp, sp, 16
        ret

# exit [CODE]: shut this VM down (SRST) with exit code CODE (0..255, default 0).
cmd_exit:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        li   s0, 0
        li   t0, 2
        blt  a0, t0, 1f
        li   a0, 1
        call arg_byte
        mv   s0, a0
1:      mv   a1, s0                     # reason 0, or 0xE00000NN for exit code NN
        beqz s0, 2f
        li   t0, REASON_EXIT
        or   a1, s0, t0
2:      li   a0, SRST_SHUTDOWN
        li   a7, EID_SRST
        li   a6, SRST_RESET
        ecall
        call put_result                 # only reached when the hypervisor refused
        lw   ra, 12(sp)
        lw   s0, 8(sp)
        addi sp, sp, 16
        ret

# ------------------------------------------------------------------ shared memory

# grant ADDR DOMID [FLAGS]: let VM DOMID map our page at ADDR (GNTTAB
# grant_access; FLAGS 1 = read-only). Prints the grant reference to hand over.
cmd_grant:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        sw   s1, 4(sp)
        sw   s2, 0(sp)
        mv   s2, a0                     # argc, then FLAGS
        li   a0, 1
        call arg_num
        mv   s0, a0                     # s0 = ADDR
        li   a0, 2
        call arg_num
        mv   s1, a0                     # s1 = DOMID
        li   t0, 4
        li   a0, 0
        blt  s2, t0, 1f                 # FLAGS, if given
        li   a0, 3
        call arg_num
1:      mv   a2, a0
        mv   a0, s0                     # grant_access(gpa, grantee_domid, flags)
        mv   a1, s1
        li   a7, EID_GNTTAB
        li   a6, GNT_GRANT
        ecall
        beqz a0, 2f
        call put_refused
        j    3f
2:      mv   s0, a1
        la   a0, msg_ref
        call puts
        mv   a0, s0
        call put_dec
        call newline
3:      lw   ra, 12(sp)
        lw   s0, 8(sp)
        lw   s1, 4(sp)
        lw   s2, 0(sp)
        addi sp, sp, 16
        ret

# ungrant REF: revoke our grant REF (GNTTAB end_access). After this we may
# reuse the page, so the hypervisor must make sure no one still maps it.
cmd_ungrant:
        addi sp, sp, -16
        sw   ra, 12(sp)
        li   a0, 1
        call arg_num                    # a0 = REF
        li   a7, EID_GNTTAB
        li   a6, GNT_END
        ecall
        call put_result
        lw   ra, 12(sp)
        addi sp, sp, 16
        ret

# map DOMID REF ADDR [FLAGS]: map VM DOMID's grant REF at ADDR, a page of our
# grant window at 0x90000000 (GNTTAB map; FLAGS 1 = read-only). Then x and w
# at ADDR read and write the other VM's page.
cmd_map:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        sw   s1, 4(sp)
        sw   s2, 0(sp)
        mv   s2, a0                     # argc
        li   a0, 1
        call arg_num
        mv   s0, a0                     # s0 = DOMID
        li   a0, 2
        call arg_num
        mv   s1, a0                     # s1 = REF
        li   a0, 3
        call arg_num
        mv   a2, a0                     # ADDR
        li   a3, 0                      # FLAGS, if given
        li   t0, 5
        blt  s2, t0, 1f
        mv   s2, a2
        li   a0, 4
        call arg_num
        mv   a3, a0
        mv   a2, s2
1:      mv   a0, s0                     # map(granter_domid, ref, dest_gpa, flags)
        mv   a1, s1
        li   a7, EID_GNTTAB
        li   a6, GNT_MAP
        ecall
        call put_result
        lw   ra, 12(sp)
        lw   s0, 8(sp)
        lw   s1, 4(sp)
        lw   s2, 0(sp)
        addi sp, sp, 16
        ret

# unmap ADDR: remove the grant mapping at ADDR (GNTTAB unmap).
cmd_unmap:
        addi sp, sp, -16
        sw   ra, 12(sp)
        li   a0, 1
        call arg_num                    # a0 = ADDR
        li   a7, EID_GNTTAB
        li   a6, GNT_UNMAP
        ecall
        call put_result
        lw   ra, 12(sp)
        addi sp, sp, 16
        ret

# dsend DOMID TEXT: send the rest of the line to VM DOMID as a datagram
# (DGRAM send). The hypervisor copies it and stamps our domid on it.
cmd_dsend:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        li   a0, 1
        call arg_num
        mv   s0, a0                     # s0 = DOMID
        la   a0, line
        call skip_spaces                # to "dsend"
        call skip_word
        call skip_spaces                # to DOMID
        call skip_word
        call skip_spaces                # to TEXT
        mv   a1, a0                     # a1 = TEXT
        li   a2, 0                      # a2 = its length
1:      add  t0, a1, a2
        lbu  t0, 0(t0)
        beqz t0, 2f
        addi a2, a2, 1
        j    1b
2:      mv   a0, s0                     # send(dest_domid, gpa, len)
        li   a7, EID_DGRAM
        li   a6, DG_SEND
        ecall
        beqz a0, 3f
        call put_refused
        j    4f
3:      mv   s0, a1
        la   a0, msg_sent
        call puts
        mv   a0, s0
        call put_dec
        la   a0, msg_bytes
        call puts
4:      lw   ra, 12(sp)
        lw   s0, 8(sp)
        addi sp, sp, 16
        ret

# drecv: take the oldest datagram (DGRAM recv) and print `from domN: TEXT`.
cmd_drecv:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        la   a0, dgram_buf              # recv(gpa, maxlen): sender id, then payload
        li   a1, DGRAM_MAX + 4
        li   a7, EID_DGRAM
        li   a6, DG_RECV
        ecall
        beqz a0, 1f
        call put_refused
        j    3f
1:      bnez a1, 2f
        la   a0, msg_no_dgram
        call puts
        j    3f
2:      la   t0, dgram_buf              # end the payload with a NUL
        add  t0, t0, a1
        sb   zero, 0(t0)
        la   a0, msg_from
        call puts
        la   t0, dgram_buf
        lw   a0, 0(t0)
        call put_dec
        la   a0, msg_colon
        call puts
        la   a0, dgram_buf + 4
        call puts
        call newline
3:      lw   ra, 12(sp)
        lw   s0, 8(sp)
        addi sp, sp, 16
        ret

# ring: register our ring page with the hypervisor's backend (DGRAM ring_setup).
cmd_ring:
        addi sp, sp, -16
        sw   ra, 12(sp)
        la   a0, ring_page
        li   a7, EID_DGRAM
        li   a6, DG_RING
        ecall
        call put_result
        lw   ra, 12(sp)
        addi sp, sp, 16
        ret

# rlog TEXT: put a LOG request for TEXT in the ring and ring the doorbell. The
# backend completes it on its next tick; the trace shows what it logged.
cmd_rlog:
        addi sp, sp, -16
        sw   ra, 12(sp)
        la   a0, line
        call skip_spaces                # to "rlog"
        call skip_word
        call skip_spaces                # to TEXT
        la   t1, ring_page
        addi t2, t1, RING_DATA          # copy TEXT into the ring's data
        li   t3, 0                      # its length
1:      lbu  t0, 0(a0)
        beqz t0, 2f
        li   t4, RING_DATA_MAX
        bgeu t3, t4, 2f
        sb   t0, 0(t2)
        addi a0, a0, 1
        addi t2, t2, 1
        addi t3, t3, 1
        j    1b
2:      li   t0, OP_LOG
        sw   t0, RING_OP(t1)
        sw   t3, RING_LEN(t1)
        li   a7, EID_DGRAM
        li   a6, DG_DOORBELL
        ecall
        call put_result
        lw   ra, 12(sp)
        addi sp, sp, 16
        ret

# race LEN: ring the doorbell for an honest 16-byte LOG request, then write
# LEN into the request's len field right away, before the backend's tick.
# A backend that copies the request once (dgram.copy_then_validate) never
# sees the change; one that fetches len again copies LEN bytes into its
# 256-byte buffer. Our domid waits at data[256], the first byte past it.
cmd_race:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        li   a0, 1
        call arg_num
        mv   s0, a0                     # s0 = LEN
        la   t1, ring_page
        li   t0, OP_LOG
        sw   t0, RING_OP(t1)
        li   t0, 16
        sw   t0, RING_LEN(t1)           # honest: passes the doorbell's check
        la   t0, my_domid
        lw   t0, 0(t0)
        sw   t0, RING_DATA + 256(t1)    # what lands past the backend's buffer
        li   a7, EID_DGRAM
        li   a6, DG_DOORBELL
        ecall
        la   t1, ring_page
        sw   s0, RING_LEN(t1)           # the change, between check and use
        call put_result
        lw   ra, 12(sp)
        lw   s0, 8(sp)
        addi sp, sp, 16
        ret

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
arg_byte:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        mv   s0, a0
        call arg_num
        li   t0, 255
        bgtu a0, t0, 1f
        lw   ra, 12(sp)
        lw   s0, 8(sp)
        addi sp, sp, 16
        ret
1:      la   a0, msg_bad_byte           # error: not a byte '0x100' (0..0xff)
        call puts
        la   t0, argv
        slli s0, s0, 2
        add  t0, t0, s0
        lw   a0, 0(t0)
        call puts
        la   a0, msg_bad_byte_end
        call puts
        j    abort_command

# arg_len: the optional LEN argument of x and peek: argv[a0] if present,
# else DUMP_DEFAULT; more than BUF_SIZE aborts the command.
# in: a0 = index, a1 = argc   out: a0 = LEN
arg_len:
        addi sp, sp, -16
        sw   ra, 12(sp)
        blt  a0, a1, 1f
        li   a0, DUMP_DEFAULT
        j    2f
1:      call arg_num
        li   t0, BUF_SIZE
        bleu a0, t0, 2f
        la   a0, msg_too_long
        call puts
        j    abort_command
2:      lw   ra, 12(sp)
        addi sp, sp, 16
        ret

# arg_bytes: argv[a0 .. argc-1] as bytes, stored in byte_buf (at most MAX_BYTES).
# in: a0 = first index, a1 = argc   out: a0 = how many bytes
arg_bytes:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        sw   s1, 4(sp)
        sw   s2, 0(sp)
        mv   s0, a0                     # s0 = index
        mv   s1, a1                     # s1 = argc
        li   s2, 0                      # s2 = bytes stored
1:      bge  s0, s1, 2f
        mv   a0, s0
        call arg_byte
        la   t0, byte_buf
        add  t0, t0, s2
        sb   a0, 0(t0)
        addi s2, s2, 1
        addi s0, s0, 1
        j    1b
2:      mv   a0, s2
        lw   ra, 12(sp)
        lw   s0, 8(sp)
        lw   s1, 4(sp)
        lw   s2, 0(sp)
        addi sp, sp, 16
        ret

# ------------------------------------------------------------------ hypercall results

# put_result: print `ok` for a0 = 0, else the error as put_refused does.
# in: a0 = error code (as a hypercall returns it)
put_result:
        bnez a0, put_refused
        addi sp, sp, -16
        sw   ra, 12(sp)
        la   a0, msg_ok
        call puts
        lw   ra, 12(sp)
        addi sp, sp, 16
        ret

# put_refused: print `error: refused (SBI_ERR_...)` and a newline.
# in: a0 = error code
put_refused:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        mv   s0, a0
        la   a0, msg_refused
        call puts
        mv   a0, s0
        call sbi_error_name
        call puts
        li   a0, ')'
        call putc
        call newline
        lw   ra, 12(sp)
        lw   s0, 8(sp)
        addi sp, sp, 16
        ret

# sbi_error_name: the name of an SBI error code (the SBI spec's table).
# in: a0 = error code (0 or negative)   out: a0 = string
sbi_error_name:
        neg  t0, a0                     # 1 for SBI_ERR_FAILED, 2 for ..._NOT_SUPPORTED, ...
        li   t1, SBI_ERROR_COUNT
        bgeu t0, t1, 1f                 # also catches positive codes (huge when negated)
        la   t1, sbi_error_names
        slli t0, t0, 2
        add  t1, t1, t0
        lw   a0, 0(t1)
        ret
1:      la   a0, msg_err_unknown
        ret

# state_name: the name of a VM state as VMCTL info reports it.
# in: a0 = state   out: a0 = string
state_name:
        li   t1, 4
        bgeu a0, t1, 1f
        la   t1, state_names
        slli t0, a0, 2
        add  t1, t1, t0
        lw   a0, 0(t1)
        ret
1:      la   a0, msg_state_unknown
        ret

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

# skip_spaces: in: a0 = string   out: a0 = first character that is not a space
skip_spaces:
        li   t1, ' '
1:      lbu  t0, 0(a0)
        bne  t0, t1, 2f
        addi a0, a0, 1
        j    1b
2:      ret

# skip_word: in: a0 = string   out: a0 = first space or the end of the string
skip_word:
        li   t1, ' '
1:      lbu  t0, 0(a0)
        beqz t0, 2f
        beq  t0, t1, 2f
        addi a0, a0, 1
        j    1b
2:      ret

# split_words: copy the line into `words`, one NUL-terminated word after the
# other, and point argv[0], argv[1], ... at them. The line is left as typed
# (echo prints from it).   in: a0 = line   out: a0 = argc
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

# put_hex: print the low a1 hex digits of a0 (no "0x").   in: a0 = value, a1 = digits
put_hex:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        sw   s1, 4(sp)
        mv   s0, a0
        slli s1, a1, 2                  # s1 = bit position after the next digit
1:      beqz s1, 2f
        addi s1, s1, -4
        srl  t0, s0, s1
        andi t0, t0, 0xf
        la   t1, hex_digits
        add  t1, t1, t0
        lbu  a0, 0(t1)
        call putc
        j    1b
2:      lw   ra, 12(sp)
        lw   s0, 8(sp)
        lw   s1, 4(sp)
        addi sp, sp, 16
        ret

# put_hex32: print a0 as 0x followed by 8 hex digits.   in: a0 = value
put_hex32:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        mv   s0, a0
        li   a0, '0'
        call putc
        li   a0, 'x'
        call putc
        mv   a0, s0
        li   a1, 8
        call put_hex
        lw   ra, 12(sp)
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

# hexdump: print bytes like `xxd`: the address, 16 bytes in hex, then as text.
# The bytes are read with loads (lbu), so an address this VM cannot read
# faults the VM, as it would on real hardware.
# in: a0 = first byte, a1 = how many, a2 = the address to show for the first byte
hexdump:
        addi sp, sp, -32
        sw   ra, 28(sp)
        sw   s0, 24(sp)
        sw   s1, 20(sp)
        sw   s2, 16(sp)
        sw   s3, 12(sp)
        sw   s4, 8(sp)
        mv   s0, a0                     # s0 = next byte
        mv   s1, a1                     # s1 = bytes left
        mv   s2, a2                     # s2 = address shown
1:      beqz s1, 9f                     # one line
        li   s3, 16                     # s3 = bytes on this line
        bgeu s1, s3, 2f
        mv   s3, s1
2:      mv   a0, s2
        li   a1, 8
        call put_hex
        la   a0, msg_colon
        call puts
        li   s4, 0                      # s4 = column
3:      bgeu s4, s3, 4f                 # hex: a byte, or blanks past the end
        add  t0, s0, s4
        lbu  a0, 0(t0)
        li   a1, 2
        call put_hex
        j    5f
4:      li   a0, ' '
        call putc
        li   a0, ' '
        call putc
5:      andi t0, s4, 1                  # a space after every two bytes
        beqz t0, 6f
        li   a0, ' '
        call putc
6:      addi s4, s4, 1
        li   t0, 16
        blt  s4, t0, 3b
        li   a0, ' '
        call putc
        li   s4, 0
7:      bgeu s4, s3, 8f                 # text: printable ASCII, else '.'
        add  t0, s0, s4
        lbu  a0, 0(t0)
        li   t0, ' '
        bltu a0, t0, 71f
        li   t0, 0x7f
        bltu a0, t0, 72f
71:     li   a0, '.'
72:     call putc
        addi s4, s4, 1
        j    7b
8:      call newline
        add  s0, s0, s3
        add  s2, s2, s3
        sub  s1, s1, s3
        j    1b
9:      lw   ra, 28(sp)
        lw   s0, 24(sp)
        lw   s1, 20(sp)
        lw   s2, 16(sp)
        lw   s3, 12(sp)
        lw   s4, 8(sp)
        addi sp, sp, 32
        ret

# ================================================================== data
# On its own page: the pure-Python CPU checks stores against pages that hold
# code, so keeping data away from code keeps every store cheap.
        .balign 4096
        .data

# The command table: name, routine, fewest and most arguments, help line.
# Ends with a zero name. Add a line here to add a command.
        .balign 4
commands:
        .word s_help,    cmd_help,    0, 0,        h_help
        .word s_hcall,   cmd_hcall,   2, 8,        h_hcall
        .word s_x,       cmd_x,       1, 2,        h_x
        .word s_w,       cmd_w,       2, MAX_BYTES + 1, h_w
        .word s_peek,    cmd_peek,    2, 3,        h_peek
        .word s_poke,    cmd_poke,    3, MAX_BYTES + 2, h_poke
        .word s_vms,     cmd_vms,     0, 0,        h_vms
        .word s_pause,   cmd_pause,   1, 1,        h_pause
        .word s_unpause, cmd_unpause, 1, 1,        h_unpause
        .word s_destroy, cmd_destroy, 1, 1,        h_destroy
        .word s_print,   cmd_print,   2, 2,        h_print
        .word s_echo,    cmd_echo,    0, MAX_ARGS, h_echo
        .word s_probe,   cmd_probe,   1, 1,        h_probe
        .word s_info,    cmd_info,    0, 0,        h_info
        .word s_exit,    cmd_exit,    0, 1,        h_exit
        .word s_grant,   cmd_grant,   2, 3,        h_grant
        .word s_ungrant, cmd_ungrant, 1, 1,        h_ungrant
        .word s_map,     cmd_map,     3, 4,        h_map
        .word s_unmap,   cmd_unmap,   1, 1,        h_unmap
        .word s_dsend,   cmd_dsend,   2, MAX_ARGS, h_dsend
        .word s_drecv,   cmd_drecv,   0, 0,        h_drecv
        .word s_ring,    cmd_ring,    0, 0,        h_ring
        .word s_rlog,    cmd_rlog,    1, MAX_ARGS, h_rlog
        .word s_race,    cmd_race,    1, 1,        h_race
        .word 0, 0, 0, 0, 0

s_help:    .asciz "help"
s_hcall:   .asciz "hcall"
s_x:       .asciz "x"
s_w:       .asciz "w"
s_peek:    .asciz "peek"
s_poke:    .asciz "poke"
s_vms:     .asciz "vms"
s_pause:   .asciz "pause"
s_unpause: .asciz "unpause"
s_destroy: .asciz "destroy"
s_print:   .asciz "print"
s_echo:    .asciz "echo"
s_probe:   .asciz "probe"
s_info:    .asciz "info"
s_exit:    .asciz "exit"
s_grant:   .asciz "grant"
s_ungrant: .asciz "ungrant"
s_map:     .asciz "map"
s_unmap:   .asciz "unmap"
s_dsend:   .asciz "dsend"
s_drecv:   .asciz "drecv"
s_ring:    .asciz "ring"
s_rlog:    .asciz "rlog"
s_race:    .asciz "race"

h_help:    .asciz "help                      list the commands"
h_hcall:   .asciz "hcall EID FID [A0 .. A5]  make a hypercall, print a0 (error) and a1 (value)"
h_x:       .asciz "x ADDR [LEN]              hexdump own memory (x reads with loads: a bad address faults the VM)"
h_w:       .asciz "w ADDR BYTE...            write bytes into own memory"
h_peek:    .asciz "peek DOMID ADDR [LEN]     copy another VM's memory here (VMCTL peek) and hexdump it"
h_poke:    .asciz "poke DOMID ADDR BYTE...   write bytes into another VM's memory (VMCTL poke)"
h_vms:     .asciz "vms                       list the VMs and their states (* = this VM)"
h_pause:   .asciz "pause D                   pause VM D (VMCTL)"
h_unpause: .asciz "unpause D                 unpause VM D (VMCTL)"
h_destroy: .asciz "destroy D                 destroy VM D (VMCTL)"
h_print:   .asciz "print ADDR LEN            the hypervisor prints [ADDR, ADDR+LEN) (DBCN console_write)"
h_echo:    .asciz "echo TEXT                 print TEXT"
h_probe:   .asciz "probe EID                 is extension EID available? (BASE probe_extension)"
h_info:    .asciz "info                      SBI version, implementation, own domid, number of VMs"
h_exit:    .asciz "exit [CODE]               shut this VM down with exit code CODE (SRST)"
h_grant:   .asciz "grant ADDR DOMID [FLAGS]  let DOMID map our page at ADDR; FLAGS 1 = read-only (GNTTAB)"
h_ungrant: .asciz "ungrant REF               revoke our grant REF (GNTTAB end_access)"
h_map:     .asciz "map DOMID REF ADDR [FLAGS] map DOMID's grant REF at ADDR in 0x90000000.. (GNTTAB)"
h_unmap:   .asciz "unmap ADDR                remove the grant mapping at ADDR (GNTTAB)"
h_dsend:   .asciz "dsend DOMID TEXT          send TEXT to DOMID as a datagram (DGRAM)"
h_drecv:   .asciz "drecv                     receive the oldest datagram (DGRAM)"
h_ring:    .asciz "ring                      share our request ring with the backend (DGRAM ring_setup)"
h_rlog:    .asciz "rlog TEXT                 ask the backend to log TEXT through the ring (doorbell)"
h_race:    .asciz "race LEN                  honest 16-byte request, then len = LEN after the doorbell"

# SBI error names, indexed by -code (SBI v2.0, "Standard SBI Errors").
        .balign 4
sbi_error_names:
        .word e_success, e_failed, e_not_supported, e_invalid_param, e_denied
        .word e_invalid_address, e_already_available, e_already_started
        .word e_already_stopped, e_no_shmem, e_invalid_state, e_bad_range
        .word e_timeout, e_io
e_success:           .asciz "SBI_SUCCESS"
e_failed:            .asciz "SBI_ERR_FAILED"
e_not_supported:     .asciz "SBI_ERR_NOT_SUPPORTED"
e_invalid_param:     .asciz "SBI_ERR_INVALID_PARAM"
e_denied:            .asciz "SBI_ERR_DENIED"
e_invalid_address:   .asciz "SBI_ERR_INVALID_ADDRESS"
e_already_available: .asciz "SBI_ERR_ALREADY_AVAILABLE"
e_already_started:   .asciz "SBI_ERR_ALREADY_STARTED"
e_already_stopped:   .asciz "SBI_ERR_ALREADY_STOPPED"
e_no_shmem:          .asciz "SBI_ERR_NO_SHMEM"
e_invalid_state:     .asciz "SBI_ERR_INVALID_STATE"
e_bad_range:         .asciz "SBI_ERR_BAD_RANGE"
e_timeout:           .asciz "SBI_ERR_TIMEOUT"
e_io:                .asciz "SBI_ERR_IO"
msg_err_unknown:     .asciz "unknown error"

# VM states, as VMCTL info reports them.
        .balign 4
state_names:
        .word st_running, st_paused, st_halted, st_faulted
st_running:        .asciz "running"
st_paused:         .asciz "paused"
st_halted:         .asciz "halted"
st_faulted:        .asciz "faulted"
msg_state_unknown: .asciz "unknown state"

hex_digits:        .ascii "0123456789abcdef"

msg_banner:        .asciz "hvlab monitor: type help for the commands\n"
msg_dom:           .asciz "dom"
msg_prompt:        .asciz "> "
msg_erase:         .asciz "\b \b"
msg_unknown:       .asciz "error: unknown command '"
msg_try_help:      .asciz "' (try help)\n"
msg_usage:         .asciz "error: usage: "
msg_help_head:     .asciz "commands (numbers are hex 0x.. or decimal):\n"
msg_indent:        .asciz "  "
msg_bad_number:    .asciz "error: bad number '"
msg_bad_number_end: .asciz "' (use hex 0x.. or decimal)\n"
msg_bad_byte:      .asciz "error: not a byte '"
msg_bad_byte_end:  .asciz "' (0 .. 0xff)\n"
msg_too_long:      .asciz "error: LEN is at most 4096\n"
msg_ok:            .asciz "ok\n"
msg_refused:       .asciz "error: refused ("
msg_a0:            .asciz "a0="
msg_a1:            .asciz " a1="
msg_open:          .asciz " ("
msg_unknown_state: .asciz "? ("
msg_me:            .asciz " *"
msg_destroyed:     .asciz "destroyed"
msg_wrote:         .asciz "wrote "
msg_bytes_at:      .asciz " bytes at "
msg_colon:         .asciz ": "
msg_ref:           .asciz "ref "
msg_sent:          .asciz "sent "
msg_bytes:         .asciz " bytes\n"
msg_no_dgram:      .asciz "no datagram\n"
msg_from:          .asciz "from dom"
msg_eid:           .asciz "extension "
msg_available:     .asciz " is available\n"
msg_not_available: .asciz " is not available\n"
msg_spec:          .asciz "SBI spec version "
msg_impl:          .asciz "implementation id "
msg_this_vm:       .asciz "this VM is dom"
msg_of:            .asciz " of "
msg_vms:           .asciz " VMs\n"

# ---- variables and buffers
        .balign 4
saved_sp:   .word 0                     # the prompt loop's stack (abort_command)
my_domid:   .word 0                     # from VMCTL self()
hcall_regs: .space 32                   # a7, a6, a0 .. a5 for hcall
argv:       .space MAX_ARGS * 4         # pointers to the words of the line
saw_cr:     .byte 0                     # the last line ended with CR (skip its LF)
line:       .space LINE_MAX + 1         # the line as typed
words:      .space LINE_MAX + 1         # its words, each ended by a NUL
byte_buf:   .space MAX_BYTES            # BYTE arguments of w and poke
        .balign 4
dgram_buf:  .space DGRAM_MAX + 8       # drecv: sender id, payload, NUL
        .balign 4096
peek_buf:   .space BUF_SIZE             # what peek copies here
ring_page:  .space 4096                 # our request ring (ring, rlog, race)
