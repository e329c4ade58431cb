# monitor.S -- an interactive shell on the VM's UART: the student's main tool.
#
# The monitor prints a prompt `domN> ` (N is this VM's domain ID, asked from the
# hypervisor with VMCTL self()), reads a line, splits it into words and looks the
# first word up in the command table `commands` at the end of this file. Every
# command is one routine `cmd_NAME`; to add a command, write the routine and add
# one line to the table (name, routine, fewest and most arguments, help text).
#
# The commands are the table `commands` in the data section (lib/shell.S's
# layout): each one's name, argument shape, help line and notes. `help` prints
# it, `help COMMAND` one command with its notes, and the docs' guest reference
# (docs/reference/guests.md) is generated from it. Numbers are hex `0x..` or
# decimal everywhere. A few of them, to give the idea:
#   hcall EID FID [A0 .. A5]      make any hypercall, print a0 (error) and a1 (value)
#   x ADDR [LEN]                  hexdump own memory
#   peek DOMID ADDR [LEN]         VMCTL peek: copy another VM's memory here and dump it
#   send IP PORT TEXT             one UDP datagram, then the answer if one comes
#   spin N / steal TICK MARGIN ROUNDS  honest work / the scheduler attack (lesson 9)
#
# The network commands build and parse real Ethernet/ARP/IPv4/UDP/ICMP frames
# themselves: see the section "network library" near the end. While it waits
# at the prompt the monitor answers ARP and ping, like any host.
#
# The hypercall ABI (RISC-V SBI calling convention): a7 = extension ID (EID),
# a6 = function ID (FID), a0..a5 = arguments, then `ecall`; the hypervisor
# answers with a0 = error code (0 = success, negative = SBI_ERR_...) and
# a1 = value. The numbers are in lib/sbi.S.
#
# The command shell (read_line, split_words, run_command, help, abort_command)
# is lib/shell.S, shared with bank.S; the console output is lib/uart.S.
#
# Routines follow the standard calling convention: arguments in a0..a7, results
# in a0 (and a1), ra is the return address, s0..s11 are preserved.
#
# Errors in a command (a bad number, say) go through `abort_command`: it prints
# nothing itself, resets the stack to where the prompt loop had it and starts
# over at the prompt, so a handler never has to pass errors up by hand.

        .include "lib/machine.S"        # the UART's registers (UART_BASE, ...)
        .include "lib/sbi.S"            # the hypercall numbers (EID_..., their functions, SBI_ERR_...)

        .equ MAX_DOMID,   256           # vms stops here, whatever count() said

        # ---- frames (offsets from the start of the Ethernet frame; see "network library")
        .equ ETH_DST,     0
        .equ ETH_SRC,     6
        .equ ETH_TYPE,    12
        .equ ETH_TYPE_IP, 0x0800
        .equ ETH_TYPE_ARP, 0x0806
        .equ ARP_HTYPE,   14
        .equ ARP_PTYPE,   16
        .equ ARP_HLEN,    18
        .equ ARP_PLEN,    19
        .equ ARP_OP,      20
        .equ ARP_SHA,     22
        .equ ARP_SPA,     28
        .equ ARP_THA,     32
        .equ ARP_TPA,     38
        .equ ARP_END,     42
        .equ ARP_REQUEST, 1
        .equ ARP_REPLY,   2
        .equ IP_VHL,      14
        .equ IP_TOS,      15
        .equ IP_LEN,      16
        .equ IP_IDENT,    18
        .equ IP_FRAG,     20
        .equ IP_TTL,      22
        .equ IP_PROTO,    23
        .equ IP_CSUM,     24
        .equ IP_SRC,      26
        .equ IP_DST,      30
        .equ IP_HEADER_LEN, 20
        .equ IP_PROTO_ICMP, 1
        .equ IP_PROTO_UDP, 17
        .equ UDP_SPORT,   34
        .equ UDP_DPORT,   36
        .equ UDP_LEN,     38
        .equ UDP_CSUM,    40
        .equ UDP_DATA,    42
        .equ UDP_HEADER_LEN, 8
        .equ ICMP_TYPE,   34
        .equ ICMP_CODE,   35
        .equ ICMP_CSUM,   36
        .equ ICMP_IDENT,  38
        .equ ICMP_SEQ,    40
        .equ ICMP_DATA,   42
        .equ ICMP_HEADER_LEN, 8
        .equ ICMP_ECHO_REPLY, 0
        .equ ICMP_ECHO_REQUEST, 8

        # ---- network tunables
        .equ ARP_SLOTS,   16            # ARP cache entries
        .equ ARP_ENTRY,   12            # one entry: IP (u32), MAC (6 bytes), 2 spare
        .equ ARP_IP,      0
        .equ ARP_MAC,     4
        .equ ARP_TRIES,   3             # ARP requests before giving up on an address
        .equ WAIT_SPIN,   250           # one wait round: this many 2-instruction spins,
        .equ ROUND_INSNS, 500           # so about this many instructions
        .equ ARP_ROUNDS,  40            # rounds to wait for an ARP reply (~20,000 instructions)
        .equ REPLY_ROUNDS, 200          # rounds to wait for a ping or UDP answer (~100,000)
        .equ FRAMES_PER_ROUND, 8      # other frames a wait takes as one round
        .equ SCAN_ROUNDS, 60            # scan: rounds to collect the ARP replies
        .equ SCAN_FIRST,  1             # scan asks for .1 to .30 of our /24
        .equ SCAN_LAST,   30
        .equ PING_IDENT,  0x4856        # "HV": our echo requests' identifier
        .equ PING_DEFAULT, 3            # pings when COUNT is left out
        .equ PING_MAX,    100
        .equ PING_DATA_LEN, 32
        .equ CLIENT_PORT, 40000         # send's and brute's UDP source port
        .equ FLOOD_PORT,  40666         # flood's
        .equ SENDN_PORT,  41000         # sendn's: 41000 + round % 1000
        .equ SENDN_ROUNDS, 20           # sendn: rounds to wait for each answer (~10,000)
        .equ SENDN_GAP,   4             # sendn: rounds between requests (~2,000)
        .equ MGMT_PORT,   6230          # the hypervisor's management service (lab/net/mgmt.py)
        .equ MAX_TEXT,    256           # bytes of a UDP payload we send or print
        .equ LISTEN_DEFAULT, 10         # listen: datagrams when COUNT is left out
        .equ LISTEN_WAKES, 1000         # listen: wfi wake-ups before it gives up
        .equ FLOOD_DATA_LEN, 16
        .equ FLOOD_GAP,   25            # flood: spins between frames (~60 instructions a frame:
                                        # ~16 a quantum, 4x what the service handles; 0 = flat out,
                                        # the same outcome, only slower to simulate)
        .equ FLOOD_BACKOFF, 250         # flood: spins after the NIC dropped a frame
        .equ STEAL_ROUND, 128           # steal: work between looks at the clock (2 instructions each)
        .equ DBENCH_BACKOFF, 2000       # dbench: instructions asleep after the disk refused
        .equ DBENCH_TRIES, 50           # dbench: refusals in a row before it gives up

        # ---- sizes
        .equ LINE_MAX,    120           # characters in a command line
        .equ MAX_ARGS,    64            # a 120-character line has at most 60 words
        .equ BUF_SIZE,    4096          # peek buffer; also the largest x / peek LEN
        .equ MAX_BYTES,   64            # BYTE arguments of w and poke
        .equ DUMP_DEFAULT, 64           # LEN of x and peek when it is left out
        .equ HELP_COLUMN, 26            # help: where a command's description starts

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
        call net_init                   # our IPv4 address, if we have a NIC
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

# ------------------------------------------------------------------ commands
# Every cmd_ routine gets a0 = argc (including the command's name) and
# a1 = argv (an array of pointers to the words); run_command has already
# checked the number of arguments against the table (`commands`, at the end;
# its entries' layout is lib/shell.S's CMD_...). `help` is lib/shell.S's cmd_help.

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
# below the last live one was destroyed, and the list goes on until it has
# shown count() live VMs. info() is privileged: a hardened hypervisor refuses
# it to anyone but the control domain, and then nothing tells a live domid
# from a destroyed one (listing domids 0 to count()-1 would drop a live VM
# that sits above a destroyed one). So the monitor first asks info() about
# itself; refused, it says what it knows: its own line, then how many other
# VMs there are, `2 other VMs: ? (SBI_ERR_DENIED)`.
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
        la   t0, my_domid
        lw   a0, 0(t0)
        li   a7, EID_VMCTL
        li   a6, VMCTL_INFO
        ecall                           # may this VM list VMs at all?
        bnez a0, 8f
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
8:      mv   s2, a0                     # refused: this VM's line, then the others' count
        la   a0, msg_dom
        call puts
        la   t0, my_domid
        lw   a0, 0(t0)
        call put_dec
        li   a0, ' '
        call putc
        li   a0, 0                      # running: it is running this command
        call state_name
        call puts
        la   a0, msg_me
        call puts
        call newline
        addi a0, s1, -1
        call put_dec
        la   a0, msg_other_vms
        li   t0, 2
        bne  s1, t0, 9f                 # count() - 1 others
        la   a0, msg_other_vm           # 1 other VM
9:      call puts
        mv   a0, s2
        call sbi_error_name
        call puts
        li   a0, ')'
        call putc
        call newline
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
        li   a6, DBCN_CONSOLE_WRITE
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
        li   a6, BASE_PROBE_EXTENSION
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
        li   a6, BASE_GET_SPEC_VERSION
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
        li   a6, BASE_GET_IMPL_ID
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
        li   t0, SRST_REASON_EXIT_CODE
        or   a1, s0, t0
2:      li   a0, SRST_SHUTDOWN
        li   a7, EID_SRST
        li   a6, SRST_SYSTEM_RESET
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
        li   a6, GNTTAB_GRANT_ACCESS
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

# ungrant REF: end our grant REF (GNTTAB end_access). After this we may reuse
# the page, so the hypervisor refuses while someone still maps it (Xen's rule).
cmd_ungrant:
        addi sp, sp, -16
        sw   ra, 12(sp)
        li   a0, 1
        call arg_num                    # a0 = REF
        li   a7, EID_GNTTAB
        li   a6, GNTTAB_END_ACCESS
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
        li   a6, GNTTAB_MAP
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
        li   a6, GNTTAB_UNMAP
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
        li   a6, DGRAM_SEND
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

# drecv [COUNT]: take the oldest datagram (DGRAM recv) and print `from domN: TEXT`;
# COUNT of them (default 1), or until the inbox is empty.
cmd_drecv:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        li   s0, 1                      # s0 = datagrams still to take
        li   t0, 2
        blt  a0, t0, 1f
        li   a0, 1
        call arg_num
        mv   s0, a0
1:      beqz s0, 3f
        la   a0, dgram_buf              # recv(gpa, maxlen): sender id, then payload
        li   a1, DGRAM_MAX_DATAGRAM + 4
        li   a7, EID_DGRAM
        li   a6, DGRAM_RECV
        ecall
        beqz a0, 2f
        call put_refused
        j    3f
2:      bnez a1, 4f
        la   a0, msg_no_dgram
        call puts
        j    3f
4:      la   t0, dgram_buf              # end the payload with a NUL
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
        addi s0, s0, -1
        j    1b
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
        li   a6, DGRAM_RING_SETUP
        ecall
        call put_result
        lw   ra, 12(sp)
        addi sp, sp, 16
        ret

# rlog TEXT: put a LOG request for TEXT in the ring and ring the doorbell. The
# backend checks it a moment later and then completes it; the trace shows both.
cmd_rlog:
        addi sp, sp, -16
        sw   ra, 12(sp)
        la   a0, line
        call skip_spaces                # to "rlog"
        call skip_word
        call skip_spaces                # to TEXT
        la   t1, ring_page
        addi t2, t1, DGRAM_RING_DATA    # copy TEXT into the ring's data
        li   t3, 0                      # its length
1:      lbu  t0, 0(a0)
        beqz t0, 2f
        li   t4, DGRAM_RING_DATA_MAX
        bgeu t3, t4, 2f
        sb   t0, 0(t2)
        addi a0, a0, 1
        addi t2, t2, 1
        addi t3, t3, 1
        j    1b
2:      li   t0, DGRAM_OP_LOG
        sw   t0, DGRAM_RING_OP(t1)
        sw   t3, DGRAM_RING_LEN(t1)
        li   a7, EID_DGRAM
        li   a6, DGRAM_DOORBELL
        ecall
        call put_result
        lw   ra, 12(sp)
        addi sp, sp, 16
        ret

# race LEN: ring the doorbell for an honest 16-byte LOG request, then write
# LEN into the request's len field at once. The backend has not even read
# the request yet: it checks len a while after the doorbell and sees LEN, so
# it rejects anything over 240. Winning the double fetch takes a change after
# the backend's check and before its copy: lib/race.S and racer.S time one.
# Our domid waits at data[256], the first byte past the backend's buffer.
cmd_race:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        li   a0, 1
        call arg_num
        mv   s0, a0                     # s0 = LEN
        la   t1, ring_page
        li   t0, DGRAM_OP_LOG
        sw   t0, DGRAM_RING_OP(t1)
        li   t0, 16
        sw   t0, DGRAM_RING_LEN(t1)     # honest: passes the doorbell's check
        la   t0, my_domid
        lw   t0, 0(t0)
        sw   t0, DGRAM_RING_DATA + 256(t1) # what lands past the backend's buffer
        li   a7, EID_DGRAM
        li   a6, DGRAM_DOORBELL
        ecall
        la   t1, ring_page
        sw   s0, DGRAM_RING_LEN(t1)     # the change, between check and use
        call put_result
        lw   ra, 12(sp)
        lw   s0, 8(sp)
        addi sp, sp, 16
        ret

# ------------------------------------------------------------------ network commands
# They use the network library below. Every wait for an answer is bounded in
# rounds (see wait_frame), so a lost packet costs a timeout, never a hang.

# ip: this VM's addresses (NET info gave the IPv4 address; the MAC follows the domid).
cmd_ip:
        addi sp, sp, -16
        sw   ra, 12(sp)
        call need_net
        call put_addresses
        lw   ra, 12(sp)
        addi sp, sp, 16
        ret

# spoof MAC [IP]: send as another host. From now on every frame this monitor
# builds carries MAC (and IP, when given) as its source, and it answers ARP,
# ping and datagrams for them. A gratuitous ARP (a reply "IP is at MAC" to the
# broadcast address) announces the change at once: a learning switch moves MAC
# to our port, so frames for that MAC come to us. `spoof off` takes our own
# addresses back (announced the same way). Nothing in a guest stops it, since
# the guest writes its frames itself; whether they get anywhere is up to the
# virtual switch (net.anti_spoofing).
cmd_spoof:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        sw   s1, 4(sp)
        mv   s0, a0                     # argc
        call need_net
        li   a0, 1
        call arg_word
        la   a1, s_off
        call str_eq
        beqz a0, 1f
        call net_init                   # our own addresses again
        j    3f
1:      li   a0, 1                      # parse everything before changing anything
        call arg_mac                    # a0 = the MAC's 6 bytes
        la   t0, my_ip
        lw   s1, 0(t0)                  # s1 = IP: ours unless given
        li   t0, 3
        blt  s0, t0, 2f
        li   a0, 2
        call arg_ip
        mv   s1, a0
2:      la   a0, my_mac
        la   a1, mac_arg                # where arg_mac left the MAC
        li   a2, 6
        call copy_bytes
        la   t0, my_ip
        sw   s1, 0(t0)
3:      li   a0, ARP_REPLY              # arp_frame(op, eth dst, target MAC, target IP):
        la   a1, broadcast_mac          # "my_ip is at my_mac", to everyone
        la   a2, broadcast_mac
        la   t0, my_ip
        lw   a3, 0(t0)
        call arp_frame
        call net_send
        la   a0, msg_sending_as         # "sending as ip IP mac MAC"
        call puts
        call put_addresses
        lw   ra, 12(sp)
        lw   s0, 8(sp)
        lw   s1, 4(sp)
        addi sp, sp, 16
        ret

# arp: the ARP cache, one `IP is at MAC` line per entry.
cmd_arp:
        addi sp, sp, -16
        sw   ra, 12(sp)
        call need_net
        call put_arp_cache
        lw   ra, 12(sp)
        addi sp, sp, 16
        ret

# scan: ARP every address .1 to .30 of our /24, wait a moment and list who
# answered: how a tenant finds the hypervisor's management interface.
cmd_scan:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        sw   s1, 4(sp)
        call need_net
        la   t0, my_ip
        lw   s1, 0(t0)
        srli s1, s1, 8
        slli s1, s1, 8                  # s1 = our /24 network
        li   s0, SCAN_FIRST             # s0 = host number
1:      li   t0, SCAN_LAST
        bgt  s0, t0, 2f
        or   a0, s1, s0
        call arp_request
        addi s0, s0, 1
        j    1b
2:      la   a0, match_nothing          # net_service learns every reply meanwhile
        li   a1, SCAN_ROUNDS
        call wait_frame
        la   a0, msg_scanned
        call puts
        call put_arp_cache
        lw   ra, 12(sp)
        lw   s0, 8(sp)
        lw   s1, 4(sp)
        addi sp, sp, 16
        ret

# ping IP [COUNT]: ICMP echo requests (ARP first if needed); one line per
# reply with its sequence number and the time this VM waited for it, in
# instructions (counted in wait rounds of ROUND_INSNS: the lab has no clock
# a guest can read).
cmd_ping:
        addi sp, sp, -32
        sw   ra, 28(sp)
        sw   s0, 24(sp)
        sw   s1, 20(sp)
        sw   s2, 16(sp)
        sw   s3, 12(sp)
        sw   s4, 8(sp)
        mv   s4, a0                     # argc
        call need_net
        li   a0, 1
        call arg_ip
        mv   s0, a0                     # s0 = IP
        li   s2, PING_DEFAULT           # s2 = COUNT
        li   t0, 3
        blt  s4, t0, 1f
        li   a0, 2
        call arg_num
        mv   s2, a0
        li   t0, PING_MAX
        bleu s2, t0, 1f
        mv   s2, t0
1:      mv   a0, s0
        call resolve_or_abort
        mv   s1, a0                     # s1 = its MAC
        li   s3, 0                      # s3 = replies
        li   s4, 1                      # s4 = seq
2:      bgt  s4, s2, 5f
        mv   a0, s1                     # icmp_echo(dst mac, dst ip, type, ident, seq, data, len)
        mv   a1, s0
        li   a2, ICMP_ECHO_REQUEST
        li   a3, PING_IDENT
        mv   a4, s4
        la   a5, ping_data
        li   a6, PING_DATA_LEN
        call icmp_echo
        call net_send
        la   t0, want_ip
        sw   s0, 0(t0)
        la   t0, want_seq
        sw   s4, 0(t0)
        la   a0, match_echo_reply
        li   a1, REPLY_ROUNDS
        call wait_frame
        beqz a0, 3f
        addi s3, s3, 1
        la   a0, msg_reply_from         # "reply from IP: seq=N time=T instructions"
        call puts
        mv   a0, s0
        call put_ip
        la   a0, msg_seq
        call puts
        mv   a0, s4
        call put_dec
        la   a0, msg_time
        call puts
        call put_wait_time
        la   a0, msg_instructions
        call puts
        j    4f
3:      la   a0, msg_no_reply_seq       # "no reply: seq=N"
        call puts
        mv   a0, s4
        call put_dec
        call newline
4:      addi s4, s4, 1
        j    2b
5:      mv   a0, s2                     # "N sent, M received"
        call put_dec
        la   a0, msg_sent_received
        call puts
        mv   a0, s3
        call put_dec
        la   a0, msg_received
        call puts
        lw   ra, 28(sp)
        lw   s0, 24(sp)
        lw   s1, 20(sp)
        lw   s2, 16(sp)
        lw   s3, 12(sp)
        lw   s4, 8(sp)
        addi sp, sp, 32
        ret

# send IP PORT TEXT: TEXT as one UDP datagram from our client port
# CLIENT_PORT, then the answer if one comes back within REPLY_ROUNDS rounds.
# With the management service: send 10.0.0.1 6230 LOGIN admin letmein
cmd_send:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        call need_net
        li   a0, 3                      # TEXT: the line after three words
        call rest_of_line
        mv   a1, a0
        li   a0, CLIENT_PORT
        call udp_request                # a0 = 1 answered, 0 not
        beqz a0, 1f
        la   a0, msg_reply_colon
        call puts
        call put_udp_payload
        call newline
        j    2f
1:      la   a0, msg_no_answer
        call puts
2:      lw   ra, 12(sp)
        lw   s0, 8(sp)
        addi sp, sp, 16
        ret

# listen PORT [COUNT]: print the UDP datagrams that arrive for PORT until
# COUNT (default 10) have come, a key is typed or LISTEN_WAKES wake-ups have
# passed. Between frames the VM waits in wfi: listening costs no CPU time.
cmd_listen:
        addi sp, sp, -32
        sw   ra, 28(sp)
        sw   s0, 24(sp)
        sw   s1, 20(sp)
        sw   s2, 16(sp)
        sw   s3, 12(sp)
        mv   s3, a0                     # argc
        call need_net
        li   a0, 1
        call arg_num
        mv   s0, a0                     # s0 = PORT
        li   s1, LISTEN_DEFAULT         # s1 = COUNT
        li   t0, 3
        blt  s3, t0, 1f
        li   a0, 2
        call arg_num
        mv   s1, a0
1:      la   t0, want_ip                # any sender, any source port
        sw   zero, 0(t0)
        la   t0, want_port
        sw   zero, 0(t0)
        la   t0, want_my_port
        sw   s0, 0(t0)
        la   a0, msg_listening
        call puts
        mv   a0, s0
        call put_dec
        call newline
        li   s2, LISTEN_WAKES           # s2 = wake-ups left
2:      beqz s1, 6f
3:      call net_recv
        beqz a0, 4f
        mv   s3, a0
        call net_service
        bnez a0, 3b
        mv   a0, s3
        call match_udp
        beqz a0, 3b
        call put_udp_from               # "from IP:PORT: TEXT"
        addi s1, s1, -1
        j    2b
4:      li   t0, UART_BASE              # a key ends it (and stays for the prompt)
        lbu  t1, UART_LSR(t0)
        andi t1, t1, LSR_DR
        bnez t1, 6f
        beqz s2, 6f
        addi s2, s2, -1
        wfi
        j    3b
6:      lw   ra, 28(sp)
        lw   s0, 24(sp)
        lw   s1, 20(sp)
        lw   s2, 16(sp)
        lw   s3, 12(sp)
        addi sp, sp, 32
        ret

# brute USER [IP] [FIRST]: online password guessing. LOGIN USER with every
# word of `wordlist`, from its FIRST (default 1), against the management
# service at IP (default .1 of our /24), port MGMT_PORT, until one answers
# OK: prints the password and the token. A lockout (mgmt.lockout_after) or an
# unreachable service stops it; `locked out after N tries` tells where a
# second run (from another address) would go on: FIRST = N.
cmd_brute:
        addi sp, sp, -32
        sw   ra, 28(sp)
        sw   s0, 24(sp)
        sw   s1, 20(sp)
        sw   s2, 16(sp)
        sw   s3, 12(sp)
        mv   s3, a0                     # argc
        call need_net
        la   t0, my_ip                  # IP: .1 of our /24 unless given
        lw   t1, 0(t0)
        srli t1, t1, 8
        slli t1, t1, 8
        addi s0, t1, 1
        la   s1, wordlist               # s1 = the next word's pointer in the table
        li   t0, 3
        blt  s3, t0, 1f
        li   a0, 2
        call arg_ip
        mv   s0, a0                     # s0 = IP
        li   t0, 4
        blt  s3, t0, 1f
        li   a0, 3                      # FIRST: skip the words before it
        call arg_num
        call wordlist_skip
        mv   s1, a0
1:      la   t0, target_ip
        sw   s0, 0(t0)
        li   t0, MGMT_PORT
        la   t1, target_port
        sw   t0, 0(t1)
        la   t0, wordlist               # s2 = tries so far: the words skipped
        sub  s2, s1, t0
        srli s2, s2, 2
2:      lw   s3, 0(s1)                  # s3 = the password to try
        beqz s3, 7f
        addi s1, s1, 4
        addi s2, s2, 1
        la   a0, text_buf               # "LOGIN " USER " " word
        la   a1, s_login
        call str_copy
        la   t0, argv
        lw   a1, 4(t0)
        call str_copy
        li   t0, ' '
        sb   t0, 0(a0)
        addi a0, a0, 1
        mv   a1, s3
        call str_copy
        la   a0, msg_trying             # "trying WORD: REPLY"
        call puts
        mv   a0, s3
        call puts
        la   a0, msg_colon
        call puts
        li   a0, CLIENT_PORT
        la   a1, text_buf
        call udp_to_target
        beqz a0, 8f
        call put_udp_payload
        call newline
        la   a0, rx_buf + UDP_DATA      # "OK <token>": found it
        la   a1, s_ok_space
        call str_prefix
        bnez a0, 6f
        la   a0, rx_buf + UDP_DATA
        la   a1, s_locked
        call str_prefix
        beqz a0, 2b
        la   a0, msg_locked             # "locked out after N tries"
        call puts
        mv   a0, s2
        call put_dec
        la   a0, msg_tries
        call puts
        j    9f
6:      la   a0, msg_password           # "password: WORD\ntoken: T"
        call puts
        mv   a0, s3
        call puts
        la   a0, msg_token
        call puts
        la   a0, rx_buf + UDP_DATA + 3
        call puts
        call newline
        j    9f
7:      la   a0, msg_no_password        # "no password of the wordlist worked (N tried)"
        call puts
        mv   a0, s2
        call put_dec
        la   a0, msg_tried
        call puts
        j    9f
8:      la   a0, msg_no_answer
        call puts
9:      lw   ra, 28(sp)
        lw   s0, 24(sp)
        lw   s1, 20(sp)
        lw   s2, 16(sp)
        lw   s3, 12(sp)
        addi sp, sp, 32
        ret

# wordlist_skip: where brute starts: the FIRST word of `wordlist` (1 is the
# first; 0 counts as 1, past the end is the end of the list).
# in: a0 = FIRST   out: a0 = pointer to that word's entry in the table
wordlist_skip:
        la   t0, wordlist
        beqz a0, 2f
1:      addi a0, a0, -1
        beqz a0, 2f
        lw   t1, 0(t0)
        beqz t1, 2f
        addi t0, t0, 4
        j    1b
2:      mv   a0, t0
        ret

# flood IP PORT COUNT: send COUNT junk UDP requests to IP:PORT, one frame
# built once and sent again and again, FLOOD_GAP spins apart, and count how
# many the NIC dropped (vnic.rate_limit). After a drop it waits
# FLOOD_BACKOFF spins, as a sender does when its NIC's transmit ring is full.
# The denial-of-service attack.
# storm IP PORT COUNT: the same, sent to the Ethernet broadcast address: the
# switch copies every frame to every port, so it also fills the other VMs'
# receive queues, the admin's among them.
cmd_flood:
        li   a2, 0
        j    flood_common
cmd_storm:
        li   a2, 1
flood_common:
        addi sp, sp, -32
        sw   ra, 28(sp)
        sw   s0, 24(sp)
        sw   s1, 20(sp)
        sw   s2, 16(sp)
        sw   s3, 12(sp)
        sw   s4, 8(sp)
        mv   s4, a2                     # s4 = broadcast?
        call need_net
        li   a0, 1
        call arg_ip
        mv   s0, a0                     # s0 = IP
        li   a0, 2
        call arg_num
        mv   s1, a0                     # s1 = PORT
        li   a0, 3
        call arg_num
        mv   s2, a0                     # s2 = COUNT
        la   a0, broadcast_mac
        bnez s4, 1f
        mv   a0, s0
        call resolve_or_abort
1:      mv   a1, s0                     # udp_frame(dst mac, dst ip, sport, dport, data, len)
        li   a2, FLOOD_PORT
        mv   a3, s1
        la   a4, flood_data
        li   a5, FLOOD_DATA_LEN
        call udp_frame
        mv   s3, a0                     # s3 = frame length
        li   s0, 0                      # s0 = sent
        li   s1, 0                      # s1 = dropped by the NIC
2:      beqz s2, 4f
        addi s2, s2, -1
        la   a0, tx_buf                 # NET send(gpa, len): inlined, this loop is the attack
        mv   a1, s3
        li   a7, EID_NET
        li   a6, NET_SEND
        ecall
        bnez a1, 3f
        addi s1, s1, 1
        li   t0, FLOOD_BACKOFF          # dropped: the NIC is full, give it a moment
31:     addi t0, t0, -1
        bnez t0, 31b
        j    2b
3:      addi s0, s0, 1
        li   t0, FLOOD_GAP
32:     addi t0, t0, -1
        bnez t0, 32b
        j    2b
4:      la   a0, msg_flood              # "flood: N sent, D dropped by the NIC"
        call puts
        mv   a0, s0
        call put_dec
        la   a0, msg_sent_comma
        call puts
        mv   a0, s1
        call put_dec
        la   a0, msg_dropped
        call puts
        lw   ra, 28(sp)
        lw   s0, 24(sp)
        lw   s1, 20(sp)
        lw   s2, 16(sp)
        lw   s3, 12(sp)
        lw   s4, 8(sp)
        addi sp, sp, 32
        ret

# sendn COUNT IP PORT TEXT: the admin's side of the flood lesson: send TEXT
# COUNT times, one request at a time, each from its own source port (so a
# late answer to an earlier round is never counted), waiting up to
# SENDN_ROUNDS rounds for its answer and SENDN_GAP rounds between requests
# (an admin is slower than a flooder). Prints how many answers began with OK.
cmd_sendn:
        addi sp, sp, -32
        sw   ra, 28(sp)
        sw   s0, 24(sp)
        sw   s1, 20(sp)
        sw   s2, 16(sp)
        sw   s3, 12(sp)
        call need_net
        li   a0, 1
        call arg_num
        mv   s0, a0                     # s0 = COUNT
        la   t0, argv                   # udp_request reads IP and PORT from argv[1..2]:
        lw   t1, 8(t0)
        sw   t1, 4(t0)
        lw   t1, 12(t0)
        sw   t1, 8(t0)                  # (shifted by one word)
        li   a0, 4
        call rest_of_line
        mv   s3, a0                     # s3 = TEXT
        li   s1, 0                      # s1 = round
        li   s2, 0                      # s2 = OK answers
1:      bgeu s1, s0, 4f
        li   t0, 1000                   # source port: 41000 + round % 1000
        remu a0, s1, t0
        li   t0, SENDN_PORT
        add  a0, a0, t0
        mv   a1, s3
        li   a2, SENDN_ROUNDS
        call udp_request_rounds
        beqz a0, 2f
        la   a0, rx_buf + UDP_DATA
        la   a1, s_ok
        call str_prefix
        add  s2, s2, a0
2:      li   t0, SENDN_GAP * WAIT_SPIN  # pause between requests
3:      addi t0, t0, -1
        bnez t0, 3b
        addi s1, s1, 1
        j    1b
4:      la   a0, msg_sendn              # "sendn: K of N answered OK"
        call puts
        mv   a0, s2
        call put_dec
        la   a0, msg_of
        call puts
        mv   a0, s0
        call put_dec
        la   a0, msg_answered_ok
        call puts
        lw   ra, 28(sp)
        lw   s0, 24(sp)
        lw   s1, 20(sp)
        lw   s2, 16(sp)
        lw   s3, 12(sp)
        addi sp, sp, 32
        ret

# ------------------------------------------------------------------ network command helpers

# need_net: abort the command with an error when this VM has no NIC.
need_net:
        la   t0, net_up
        lw   t0, 0(t0)
        beqz t0, 1f
        ret
1:      la   a0, msg_no_nic
        call puts
        j    abort_command

# arg_ip: argv[a0] as a dotted IPv4 address; a bad one aborts the command.
# in: a0 = index into argv   out: a0 = address (10.0.0.1 = 0x0a000001)
arg_ip:
        la   a1, parse_ip
        la   a2, msg_bad_ip             # error: bad IPv4 address 'x' (like 10.0.0.1)
        la   a3, msg_bad_ip_end
        j    arg_parsed

# arg_mac: argv[a0] as a MAC address, copied to mac_arg; a bad one aborts the command.
# in: a0 = index into argv   out: a0 = mac_arg
arg_mac:
        la   a1, parse_mac
        la   a2, msg_bad_mac            # error: bad MAC address 'x' (like 02:00:00:00:00:fe)
        la   a3, msg_bad_mac_end
        j    arg_parsed

# put_addresses: "ip IP mac MAC" and a newline: the addresses we send from.
put_addresses:
        addi sp, sp, -16
        sw   ra, 12(sp)
        la   a0, msg_ip
        call puts
        la   t0, my_ip
        lw   a0, 0(t0)
        call put_ip
        la   a0, msg_mac
        call puts
        la   a0, my_mac
        call put_mac
        call newline
        lw   ra, 12(sp)
        addi sp, sp, 16
        ret

# rest_of_line: the text of the line after its first a0 words.
# in: a0 = words to skip   out: a0 = string
rest_of_line:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        mv   s0, a0
        la   a0, line
1:      call skip_spaces
        beqz s0, 2f
        call skip_word
        addi s0, s0, -1
        j    1b
2:      lw   ra, 12(sp)
        lw   s0, 8(sp)
        addi sp, sp, 16
        ret

# resolve_or_abort: the MAC of an IP; no ARP answer aborts the command.
# in: a0 = IP   out: a0 = pointer to the 6-byte MAC (in the ARP cache)
resolve_or_abort:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        mv   s0, a0
        call resolve
        beqz a0, 1f
        lw   ra, 12(sp)
        lw   s0, 8(sp)
        addi sp, sp, 16
        ret
1:      la   a0, msg_no_arp             # "no ARP reply from IP"
        call puts
        mv   a0, s0
        call put_ip
        call newline
        j    abort_command

# udp_request: send TEXT to IP:PORT (argv[1], argv[2]) from source port a0
# and wait up to REPLY_ROUNDS rounds for the answer.
# in: a0 = source port, a1 = TEXT   out: a0 = 1 answered (in rx_buf), 0 not
udp_request:
        li   a2, REPLY_ROUNDS
# the same with a2 = rounds to wait
udp_request_rounds:
        addi sp, sp, -32
        sw   ra, 28(sp)
        sw   s0, 24(sp)
        sw   s1, 20(sp)
        sw   s2, 16(sp)
        mv   s0, a0
        mv   s1, a1
        mv   s2, a2
        li   a0, 1
        call arg_ip
        la   t0, target_ip
        sw   a0, 0(t0)
        li   a0, 2
        call arg_num
        la   t0, target_port
        sw   a0, 0(t0)
        mv   a0, s0
        mv   a1, s1
        mv   a2, s2
        call udp_to_target_rounds
        lw   ra, 28(sp)
        lw   s0, 24(sp)
        lw   s1, 20(sp)
        lw   s2, 16(sp)
        addi sp, sp, 32
        ret

# udp_to_target: send the string a1 to target_ip:target_port from source
# port a0 and wait up to REPLY_ROUNDS (or a2) rounds for the answer.
# A frame the NIC drops is reported at once.
# out: a0 = 1 answered (the frame is in rx_buf), 0 not
udp_to_target:
        li   a2, REPLY_ROUNDS
udp_to_target_rounds:
        addi sp, sp, -32
        sw   ra, 28(sp)
        sw   s0, 24(sp)
        sw   s1, 20(sp)
        sw   s2, 16(sp)
        sw   s3, 12(sp)
        mv   s0, a0                     # s0 = source port
        mv   s1, a1                     # s1 = text
        mv   s3, a2                     # s3 = rounds
        la   t0, target_ip
        lw   a0, 0(t0)
        call resolve_or_abort
        mv   s2, a0                     # s2 = MAC
        mv   a0, s1                     # a5 = strlen(text), at most MAX_TEXT
        li   a5, 0
1:      add  t0, a0, a5
        lbu  t0, 0(t0)
        beqz t0, 2f
        li   t1, MAX_TEXT
        bgeu a5, t1, 2f
        addi a5, a5, 1
        j    1b
2:      mv   a4, s1
        mv   a0, s2
        la   t0, target_ip
        lw   a1, 0(t0)
        mv   a2, s0
        la   t0, target_port
        lw   a3, 0(t0)
        call udp_frame
        call net_send
        bnez a0, 3f
        la   a0, msg_nic_dropped        # the rate limiter said no
        call puts
        li   a0, 0
        j    4f
3:      la   t0, target_ip              # the answer: from IP:PORT to our port
        lw   t1, 0(t0)
        la   t0, want_ip
        sw   t1, 0(t0)
        la   t0, target_port
        lw   t1, 0(t0)
        la   t0, want_port
        sw   t1, 0(t0)
        la   t0, want_my_port
        sw   s0, 0(t0)
        la   a0, match_udp
        mv   a1, s3
        call wait_frame
        snez a0, a0
4:      lw   ra, 28(sp)
        lw   s0, 24(sp)
        lw   s1, 20(sp)
        lw   s2, 16(sp)
        lw   s3, 12(sp)
        addi sp, sp, 32
        ret

# put_udp_payload: print the payload of the UDP datagram in rx_buf (at most
# MAX_TEXT bytes; it is ended with a NUL in place).
put_udp_payload:
        la   t0, rx_buf
        lbu  t1, UDP_LEN(t0)
        lbu  t2, UDP_LEN + 1(t0)
        slli t1, t1, 8
        or   t1, t1, t2
        addi t1, t1, -UDP_HEADER_LEN   # payload length
        li   t2, MAX_TEXT
        bleu t1, t2, 1f
        mv   t1, t2
1:      addi t0, t0, UDP_DATA
        add  t2, t0, t1
        sb   zero, 0(t2)
        mv   a0, t0
        j    puts

# put_udp_from: print `from IP:PORT: TEXT` for the UDP datagram in rx_buf.
put_udp_from:
        addi sp, sp, -16
        sw   ra, 12(sp)
        la   a0, msg_from_ip
        call puts
        la   a0, rx_buf + IP_SRC
        call get_be32
        call put_ip
        li   a0, ':'
        call putc
        la   a0, rx_buf + UDP_SPORT
        call get_be16
        call put_dec
        la   a0, msg_colon
        call puts
        call put_udp_payload
        call newline
        lw   ra, 12(sp)
        addi sp, sp, 16
        ret

# put_wait_time: the last wait_frame's rounds, in instructions.
put_wait_time:
        la   t0, wait_used
        lw   a0, 0(t0)
        li   t1, ROUND_INSNS
        mul  a0, a0, t1
        j    put_dec

# put_arp_cache: one `IP is at MAC` line per entry, or `arp cache empty`.
put_arp_cache:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        sw   s1, 4(sp)
        la   t0, arp_count
        lw   s1, 0(t0)                  # s1 = entries left
        bnez s1, 1f
        la   a0, msg_arp_empty
        call puts
        j    3f
1:      la   s0, arp_cache
2:      beqz s1, 3f
        lw   a0, ARP_IP(s0)
        call put_ip
        la   a0, msg_is_at
        call puts
        addi a0, s0, ARP_MAC
        call put_mac
        call newline
        addi s0, s0, ARP_ENTRY
        addi s1, s1, -1
        j    2b
3:      lw   ra, 12(sp)
        lw   s0, 8(sp)
        lw   s1, 4(sp)
        addi sp, sp, 16
        ret

# ------------------------------------------------------------------ disk

# dinfo: how big is our disk? (BLK info)
cmd_dinfo:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        li   a7, EID_BLK
        li   a6, BLK_INFO
        ecall
        beqz a0, 1f
        call put_refused
        j    2f
1:      mv   s0, a1
        la   a0, msg_disk
        call puts
        mv   a0, s0
        call put_dec
        la   a0, msg_sectors
        call puts
        slli a0, s0, 9
        call put_dec
        la   a0, msg_bytes_close
        call puts
2:      lw   ra, 12(sp)
        lw   s0, 8(sp)
        addi sp, sp, 16
        ret

# dread SECTOR [COUNT]: read COUNT sectors (default 1) of our disk into the
# peek buffer (BLK read) and dump them. The hypervisor must check that the
# whole range [SECTOR, SECTOR+COUNT) is our disk, not just SECTOR.
cmd_dread:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        sw   s1, 4(sp)
        mv   s1, a0                     # argc
        li   a0, 1
        call arg_num
        mv   s0, a0                     # s0 = SECTOR
        li   a1, 1                      # COUNT, if given
        li   t0, 3
        blt  s1, t0, 1f
        li   a0, 2
        call arg_num
        mv   a1, a0
1:      mv   s1, a1                     # s1 = COUNT
        mv   a0, s0                     # read(sector, count, gpa)
        la   a2, peek_buf
        li   a7, EID_BLK
        li   a6, BLK_READ
        ecall
        beqz a0, 2f
        call put_refused
        j    3f
2:      beqz a1, 4f                     # 0 sectors: throttled by the rate limit
        slli a1, a1, 9                  # bytes read
        la   a0, peek_buf
        slli a2, s0, 9                  # show disk offsets
        call hexdump
        j    3f
4:      la   a0, msg_throttled
        call puts
3:      lw   ra, 12(sp)
        lw   s0, 8(sp)
        lw   s1, 4(sp)
        addi sp, sp, 16
        ret

# dwrite SECTOR TEXT: write one sector holding TEXT (the rest zero) (BLK write).
cmd_dwrite:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        li   a0, 1
        call arg_num
        mv   s0, a0                     # s0 = SECTOR
        la   t0, peek_buf               # clear one sector of the buffer
        li   t1, BLK_SECTOR
1:      sb   zero, 0(t0)
        addi t0, t0, 1
        addi t1, t1, -1
        bnez t1, 1b
        la   a0, line
        call skip_spaces                # to "dwrite"
        call skip_word
        call skip_spaces                # to SECTOR
        call skip_word
        call skip_spaces                # to TEXT
        la   t1, peek_buf
        li   t2, BLK_SECTOR - 1
2:      lbu  t0, 0(a0)                  # copy TEXT (at most a sector)
        beqz t0, 3f
        beqz t2, 3f
        sb   t0, 0(t1)
        addi a0, a0, 1
        addi t1, t1, 1
        addi t2, t2, -1
        j    2b
3:      mv   a0, s0                     # write(sector, 1, gpa)
        li   a1, 1
        la   a2, peek_buf
        li   a7, EID_BLK
        li   a6, BLK_WRITE
        ecall
        bnez a0, 4f
        bnez a1, 4f                     # ok, or 0 sectors: throttled
        la   a0, msg_throttled
        call puts
        j    5f
4:      call put_result
5:      lw   ra, 12(sp)
        lw   s0, 8(sp)
        addi sp, sp, 16
        ret

# ------------------------------------------------------------------ time and resources
# The clock is the hypervisor's (lib/clock.S): instructions retired by all VMs,
# plus hypervisor work and idle time, the unit of the trace's timestamps. These
# commands measure with it: what share of the clock our work got, how late we
# wake, how long the disk takes; and they are the lesson's attacks on the
# scheduler, the hypervisor's time and the disk.

# now: print the clock (CLOCK now).
cmd_now:
        addi sp, sp, -16
        sw   ra, 12(sp)
        la   a0, msg_now                # "now: N instructions"
        call puts
        call clock_now
        call put_dec
        la   a0, msg_instructions
        call puts
        lw   ra, 12(sp)
        addi sp, sp, 16
        ret

# spin N: honest work: about N instructions of computation, no yield, then
# `spin: W instructions of work in T of the clock (P%)`: P is the share of the
# CPU we got while we worked.
cmd_spin:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        sw   s1, 4(sp)
        li   a0, 1
        call arg_num
        srli s0, a0, 1                  # s0 = rounds: two instructions each
        call clock_now
        mv   s1, a0                     # s1 = the clock at the start
        mv   t0, s0
        beqz t0, 2f
1:      addi t0, t0, -1
        bnez t0, 1b
2:      slli a0, s0, 1                  # the work done
        mv   a1, s1
        la   a2, msg_spin
        call put_work
        lw   ra, 12(sp)
        lw   s0, 8(sp)
        lw   s1, 4(sp)
        addi sp, sp, 16
        ret

# steal TICK MARGIN ROUNDS: work like spin, but ROUNDS times stop MARGIN
# instructions before the scheduler's next tick (the next multiple of TICK on
# the clock) and sleep until just after it. A scheduler that charges whoever it
# finds running at each tick never finds us (Zhou et al., 2011). A key stops
# it early. Then `steal: ...` as spin prints it.
cmd_steal:
        addi sp, sp, -32
        sw   ra, 28(sp)
        sw   s0, 24(sp)
        sw   s1, 20(sp)
        sw   s2, 16(sp)
        sw   s3, 12(sp)
        sw   s4, 8(sp)
        sw   s5, 4(sp)
        li   a0, 1
        call arg_num
        beqz a0, 6f
        mv   s0, a0                     # s0 = TICK
        li   a0, 2
        call arg_num
        mv   s1, a0                     # s1 = MARGIN
        li   a0, 3
        call arg_num
        mv   s2, a0                     # s2 = rounds left
        li   s3, 0                      # s3 = work done
        call clock_now
        mv   s4, a0                     # s4 = the clock at the start
1:      beqz s2, 5f
        li   t0, UART_BASE              # a key stops it (and stays for the prompt)
        lbu  t1, UART_LSR(t0)
        andi t1, t1, LSR_DR
        bnez t1, 5f
        call clock_now
        divu t0, a0, s0
        addi t0, t0, 1
        mul  s5, t0, s0                 # s5 = the next tick
2:      li   t0, STEAL_ROUND            # a round of work: STEAL_ROUND x 2 instructions
3:      addi t0, t0, -1
        bnez t0, 3b
        addi s3, s3, STEAL_ROUND * 2
        call clock_now
        sub  t0, s5, a0                 # instructions to the tick
        bgt  t0, s1, 2b                 # more than MARGIN: work on
        addi a0, s5, 1                  # sleep until just after the tick
        call sleep_until
        addi s2, s2, -1
        j    1b
5:      mv   a0, s3
        mv   a1, s4
        la   a2, msg_steal
        call put_work
        j    7f
6:      la   a0, msg_tick_zero
        call puts
7:      lw   ra, 28(sp)
        lw   s0, 24(sp)
        lw   s1, 20(sp)
        lw   s2, 16(sp)
        lw   s3, 12(sp)
        lw   s4, 8(sp)
        lw   s5, 4(sp)
        addi sp, sp, 32
        ret

# put_work: `NAME: W instructions of work in T of the clock (P%)`, T counted
# from a start reading of the clock to now, P = W / T.
# in: a0 = W, a1 = the clock at the start, a2 = "NAME: "
put_work:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        sw   s1, 4(sp)
        mv   s0, a0                     # s0 = W
        mv   s1, a1
        mv   a0, a2
        call puts
        call clock_now
        sub  s1, a0, s1                 # s1 = T
        mv   a0, s0
        call put_dec
        la   a0, msg_work_in
        call puts
        mv   a0, s1
        call put_dec
        la   a0, msg_of_clock
        call puts
        li   t0, 100
        divu t0, s1, t0                 # T / 100 (W * 100 could overflow 32 bits)
        li   a0, 0
        beqz t0, 1f
        divu a0, s0, t0
1:      call put_dec
        la   a0, msg_percent_end
        call puts
        lw   ra, 12(sp)
        lw   s0, 8(sp)
        lw   s1, 4(sp)
        addi sp, sp, 16
        ret

# lat COUNT INTERVAL: how late do we run again? COUNT times, sleep INTERVAL
# instructions of the clock (SBI TIME set_timer, then wfi) and measure how far
# past the deadline we got the CPU back: the scheduling latency, as Linux's
# cyclictest measures it. A key stops it early. `lat: N wake-ups, max M, avg A
# instructions late`, N the wake-ups measured.
cmd_lat:
        addi sp, sp, -32
        sw   ra, 28(sp)
        sw   s0, 24(sp)
        sw   s1, 20(sp)
        sw   s2, 16(sp)
        sw   s3, 12(sp)
        sw   s4, 8(sp)
        li   a0, 1
        call arg_num
        mv   s0, a0                     # s0 = wake-ups left
        mv   s4, a0                     # s4 = COUNT
        li   a0, 2
        call arg_num
        mv   s1, a0                     # s1 = INTERVAL
        li   s2, 0                      # s2 = the worst lateness
        li   s3, 0                      # s3 = their sum
1:      beqz s0, 3f
        li   t0, UART_BASE              # a key stops it (and stays for the prompt)
        lbu  t1, UART_LSR(t0)
        andi t1, t1, LSR_DR
        bnez t1, 3f
        call clock_now
        add  a0, a0, s1                 # the deadline
        sw   a0, 4(sp)
        call sleep_until                # a0 = the clock when we ran again
        lw   t0, 4(sp)
        sub  t0, a0, t0                 # late by
        add  s3, s3, t0
        bgeu s2, t0, 2f
        mv   s2, t0
2:      addi s0, s0, -1
        j    1b
3:      sub  s4, s4, s0                 # s4 = the wake-ups measured
        la   a0, msg_lat                # "lat: N wake-ups, max M, avg A instructions late"
        call puts
        mv   a0, s4
        call put_dec
        la   a0, msg_lat_max
        call puts
        mv   a0, s2
        call put_dec
        la   a0, msg_lat_avg
        call puts
        li   a0, 0
        beqz s4, 4f
        divu a0, s3, s4
4:      call put_dec
        la   a0, msg_lat_end
        call puts
        lw   ra, 28(sp)
        lw   s0, 24(sp)
        lw   s1, 20(sp)
        lw   s2, 16(sp)
        lw   s3, 12(sp)
        lw   s4, 8(sp)
        addi sp, sp, 32
        ret

# dzero SECTOR COUNT: zero COUNT sectors of our disk from SECTOR on (BLK zero):
# one hypercall, however many sectors. `dzero: N sectors zeroed in T instructions`.
cmd_dzero:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        sw   s1, 4(sp)
        sw   s2, 0(sp)
        li   a0, 1
        call arg_num
        mv   s0, a0                     # s0 = SECTOR
        li   a0, 2
        call arg_num
        mv   s1, a0                     # s1 = COUNT
        call clock_now
        mv   s2, a0                     # s2 = the clock at the start
        mv   a0, s0                     # zero(sector, count)
        mv   a1, s1
        li   a7, EID_BLK
        li   a6, BLK_ZERO
        ecall
        beqz a0, 1f
        call put_refused
        j    2f
1:      la   a0, msg_dzero              # "dzero: N sectors zeroed in T instructions"
        call puts
        mv   a0, s1
        call put_dec
        la   a0, msg_zeroed_in
        call puts
        call clock_now
        sub  a0, a0, s2
        call put_dec
        la   a0, msg_instructions
        call puts
2:      lw   ra, 12(sp)
        lw   s0, 8(sp)
        lw   s1, 4(sp)
        lw   s2, 0(sp)
        addi sp, sp, 16
        ret

# dbench SECTORS: read SECTORS sectors of our disk, 8 a request from sector 0
# on (round the disk), and measure how long it takes. A request the disk
# refuses for now (0 sectors: busy or throttled) is tried again after
# DBENCH_BACKOFF instructions asleep; after DBENCH_TRIES refusals in a row it
# gives up. `dbench: N of SECTORS sectors in T instructions (B busy)`, and
# `: gave up` when it did.
cmd_dbench:
        addi sp, sp, -48
        sw   ra, 44(sp)
        sw   s0, 40(sp)
        sw   s1, 36(sp)
        sw   s2, 32(sp)
        sw   s3, 28(sp)
        sw   s4, 24(sp)
        sw   s5, 20(sp)
        sw   s6, 16(sp)
        sw   s7, 12(sp)
        li   a0, 1
        call arg_num
        mv   s0, a0                     # s0 = sectors left to read
        mv   s7, a0                     # s7 = SECTORS
        li   a7, EID_BLK                # info(): the disk's size
        li   a6, BLK_INFO
        ecall
        beqz a0, 1f
        call put_refused
        j    9f
1:      addi s4, a1, -BLK_MAX_SECTORS   # s4 = the last sector a request may start at
        bltz s4, 9f
        li   s1, 0                      # s1 = the next sector
        li   s2, 0                      # s2 = refusals
        li   s5, 0                      # s5 = refusals in a row
        li   s6, 0                      # s6 = sectors read
        call clock_now
        mv   s3, a0                     # s3 = the clock at the start
2:      blez s0, 5f
        mv   a0, s1                     # read(sector, count, gpa)
        li   a1, BLK_MAX_SECTORS
        la   a2, peek_buf
        li   a7, EID_BLK
        li   a6, BLK_READ
        ecall
        beqz a0, 3f
        call put_refused
        j    9f
3:      bnez a1, 4f
        addi s2, s2, 1                  # refused for now: wait, then try again
        addi s5, s5, 1
        li   t0, DBENCH_TRIES
        bgeu s5, t0, 5f
        li   a0, DBENCH_BACKOFF
        call sleep_for
        j    2b
4:      li   s5, 0
        sub  s0, s0, a1
        add  s6, s6, a1
        add  s1, s1, a1
        bleu s1, s4, 2b
        li   s1, 0                      # round the disk
        j    2b
5:      la   a0, msg_dbench             # "dbench: N of M sectors in T instructions (B busy)"
        call puts
        mv   a0, s6
        call put_dec
        la   a0, msg_of
        call puts
        mv   a0, s7
        call put_dec
        la   a0, msg_sectors_in
        call puts
        call clock_now
        sub  a0, a0, s3
        call put_dec
        la   a0, msg_instr_open
        call puts
        mv   a0, s2
        call put_dec
        la   a0, msg_busy_end
        call puts
        blez s0, 6f
        la   a0, msg_gave_up
        call puts
6:      call newline
9:      lw   ra, 44(sp)
        lw   s0, 40(sp)
        lw   s1, 36(sp)
        lw   s2, 32(sp)
        lw   s3, 28(sp)
        lw   s4, 24(sp)
        lw   s5, 20(sp)
        lw   s6, 16(sp)
        lw   s7, 12(sp)
        addi sp, sp, 48
        ret

# dnoise ROUNDS: the noisy neighbour: read 8 sectors ROUNDS times as fast as
# the vCPU can ask, never pausing when the disk is busy. A key stops it early.
# `dnoise: S of R requests served`.
cmd_dnoise:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        sw   s1, 4(sp)
        sw   s2, 0(sp)
        li   a0, 1
        call arg_num
        mv   s0, a0                     # s0 = rounds left
        mv   s2, a0                     # s2 = ROUNDS
        li   s1, 0                      # s1 = requests served
1:      beqz s0, 3f
        li   t0, UART_BASE              # a key stops it (and stays for the prompt)
        lbu  t1, UART_LSR(t0)
        andi t1, t1, LSR_DR
        bnez t1, 3f
        li   a0, 0                      # read(sector 0, 8, gpa)
        li   a1, BLK_MAX_SECTORS
        la   a2, peek_buf
        li   a7, EID_BLK
        li   a6, BLK_READ
        ecall
        bnez a0, 2f
        beqz a1, 2f
        addi s1, s1, 1
2:      addi s0, s0, -1
        j    1b
3:      la   a0, msg_dnoise
        call puts
        mv   a0, s1
        call put_dec
        la   a0, msg_of
        call puts
        sub  a0, s2, s0                 # the requests made
        call put_dec
        la   a0, msg_served_end
        call puts
        lw   ra, 12(sp)
        lw   s0, 8(sp)
        lw   s1, 4(sp)
        lw   s2, 0(sp)
        addi sp, sp, 16
        ret

# dsendn DOMID COUNT TEXT: send TEXT to DOMID COUNT times, without waiting
# (DGRAM send). `dsendn: Q of N queued`.
cmd_dsendn:
        addi sp, sp, -32
        sw   ra, 28(sp)
        sw   s0, 24(sp)
        sw   s1, 20(sp)
        sw   s2, 16(sp)
        sw   s3, 12(sp)
        sw   s4, 8(sp)
        sw   s5, 4(sp)
        li   a0, 1
        call arg_num
        mv   s0, a0                     # s0 = DOMID
        li   a0, 2
        call arg_num
        mv   s1, a0                     # s1 = sends left
        mv   s5, a0                     # s5 = COUNT
        la   a0, line
        call skip_spaces                # to "dsendn"
        call skip_word
        call skip_spaces                # to DOMID
        call skip_word
        call skip_spaces                # to COUNT
        call skip_word
        call skip_spaces                # to TEXT
        mv   s2, a0                     # s2 = TEXT
        li   s3, 0                      # s3 = its length
1:      add  t0, s2, s3
        lbu  t0, 0(t0)
        beqz t0, 2f
        addi s3, s3, 1
        j    1b
2:      li   s4, 0                      # s4 = queued
3:      beqz s1, 5f
        mv   a0, s0                     # send(dest_domid, gpa, len)
        mv   a1, s2
        mv   a2, s3
        li   a7, EID_DGRAM
        li   a6, DGRAM_SEND
        ecall
        bnez a0, 4f
        addi s4, s4, 1
4:      addi s1, s1, -1
        j    3b
5:      la   a0, msg_dsendn
        call puts
        mv   a0, s4
        call put_dec
        la   a0, msg_of
        call puts
        mv   a0, s5
        call put_dec
        la   a0, msg_queued_end
        call puts
        lw   ra, 28(sp)
        lw   s0, 24(sp)
        lw   s1, 20(sp)
        lw   s2, 16(sp)
        lw   s3, 12(sp)
        lw   s4, 8(sp)
        lw   s5, 4(sp)
        addi sp, sp, 32
        ret

# ------------------------------------------------------------------ arguments

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
        mv   a0, s0
        call arg_word
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

# getc: wait for a byte from the UART. While none is there, `wfi` hands the
# CPU back to the hypervisor, which runs other VMs and wakes this one when
# input arrives (a busy loop would burn everyone's time). A frame wakes it
# too: meanwhile the VM is still a host on its network, so frames go to
# net_service (an idle monitor answers ARP and ping).   out: a0 = byte
getc:
        addi sp, sp, -16
        sw   ra, 12(sp)
1:      li   t0, UART_BASE
        lbu  t1, UART_LSR(t0)
        andi t1, t1, LSR_DR
        bnez t1, 3f
        la   t0, net_up
        lw   t0, 0(t0)
        beqz t0, 2f
        call net_recv
        beqz a0, 2f
        call net_service
        j    1b
2:      wfi
        j    1b
3:      lbu  a0, UART_RBR(t0)
        lw   ra, 12(sp)
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

# ------------------------------------------------------------------ the library

        .include "lib/shell.S"          # abort_command, run_command, cmd_help, arg_num, read_line, ...
        .include "lib/parse_num.S"      # parse_num: a string as a number
        .include "lib/str_eq.S"         # str_eq: are two strings equal?
        .include "lib/str_prefix.S"     # str_prefix: does a string start with another?
        .include "lib/str_copy.S"       # str_copy: copy a string
        .include "lib/uart.S"           # putc, newline, puts
        .include "lib/put_dec.S"        # put_dec: a number in decimal
        .include "lib/clock.S"          # clock_now, sleep_until, sleep_for: the clock and the timer

# ================================================================== network library
# Builds and parses real frames in tx_buf / rx_buf, byte by byte: the wire is
# big-endian (network byte order), this CPU little-endian, so every 16- and
# 32-bit field goes through put_be16/put_be32 and get_be16/get_be32.
#
#   Ethernet II   0 dst MAC, 6 src MAC, 12 type (0x0800 IPv4, 0x0806 ARP)
#   ARP (at 14)   14 htype 1, 16 ptype 0x0800, 18 hlen 6, 19 plen 4, 20 op,
#                 22 sender MAC, 28 sender IP, 32 target MAC, 38 target IP
#   IPv4 (at 14)  14 version/IHL 0x45, 15 TOS, 16 total length, 18 ident,
#                 20 flags/fragment, 22 TTL, 23 protocol, 24 header checksum,
#                 26 source, 30 destination (no options: 20 bytes)
#   UDP (at 34)   34 source port, 36 dest port, 38 length, 40 checksum, 42 data
#   ICMP (at 34)  34 type, 35 code, 36 checksum, 38 ident, 40 seq, 42 data
#
# Checksums are the Internet checksum (RFC 1071): the one's complement of the
# one's-complement sum of the 16-bit big-endian words. UDP's also covers a
# pseudo-header (source, destination, zero, protocol 17, UDP length; RFC 768),
# and is sent as 0xffff when it comes out 0 (0 means "no checksum").
# To give another guest the same network stack, move this section into lib/
# (see lib/shell.S) rather than copy it.

# net_init: ask the NIC for our address (NET info) and derive our MAC from
# the domid; a VM without a NIC (SBI_ERR_NOT_SUPPORTED) leaves net_up 0.
net_init:
        li   a7, EID_NET
        li   a6, NET_INFO
        ecall
        bnez a0, 1f
        la   t0, my_ip
        sw   a1, 0(t0)
        la   t0, my_mac                 # 02:00:00:00:00:<domid>
        li   t1, 2
        sb   t1, 0(t0)
        sb   zero, 1(t0)
        sb   zero, 2(t0)
        sb   zero, 3(t0)
        sb   zero, 4(t0)
        la   t1, my_domid
        lw   t1, 0(t1)
        sb   t1, 5(t0)
        la   t0, net_up
        li   t1, 1
        sw   t1, 0(t0)
1:      ret

# net_send: NET send(tx_buf, len).   in: a0 = frame length
# out: a0 = bytes sent (0: the NIC dropped it, the rate limiter or a full queue)
net_send:
        mv   a1, a0
        la   a0, tx_buf
        li   a7, EID_NET
        li   a6, NET_SEND
        ecall
        beqz a0, 1f
        li   a1, 0
1:      mv   a0, a1
        ret

# net_recv: NET recv(rx_buf, NET_ETH_MAX_FRAME).   out: a0 = frame length, 0 when none waits
net_recv:
        la   a0, rx_buf
        li   a1, NET_ETH_MAX_FRAME
        li   a7, EID_NET
        li   a6, NET_RECV
        ecall
        beqz a0, 1f
        li   a1, 0
1:      mv   a0, a1
        ret

# wait_frame: wait for the frame a matcher wants. Every frame that arrives
# first goes to net_service (answers ARP and ping, learns ARP replies), then
# to the matcher. When the queue is empty the wait spins one round of
# ROUND_INSNS instructions and looks again, at most a1 rounds: a spin and not
# a wfi, because the lab has no timer yet and a wfi with nothing coming (a lost
# packet, every other VM idle) would never return. FRAMES_PER_ROUND frames
# that are not the one count as a round too, so a stream of other traffic (a
# flood) cannot keep us waiting forever either. The rounds used are left in
# wait_used (ping's time).
# in: a0 = matcher (a0 = frame length -> a0 = 1 if wanted), a1 = rounds
# out: a0 = length of the wanted frame (in rx_buf), 0 after the last round
wait_frame:
        addi sp, sp, -32
        sw   ra, 28(sp)
        sw   s0, 24(sp)
        sw   s1, 20(sp)
        sw   s2, 16(sp)
        sw   s3, 12(sp)
        mv   s0, a0                     # s0 = matcher
        mv   s1, a1                     # s1 = rounds left
        li   s3, FRAMES_PER_ROUND       # s3 = other frames before they cost a round
        la   t0, wait_used
        sw   zero, 0(t0)
1:      call net_recv
        beqz a0, 3f
        mv   s2, a0                     # s2 = length
        call net_service
        bnez a0, 2f                     # answered for the host: not for the caller
        mv   a0, s2
        jalr s0
        beqz a0, 2f
        mv   a0, s2
        j    5f
2:      addi s3, s3, -1                 # not the one
        bnez s3, 1b
        li   s3, FRAMES_PER_ROUND
        li   a0, 0
        beqz s1, 5f
        addi s1, s1, -1
        j    1b
3:      li   a0, 0
        beqz s1, 5f
        addi s1, s1, -1
        la   t0, wait_used
        lw   t1, 0(t0)
        addi t1, t1, 1
        sw   t1, 0(t0)
        li   t0, WAIT_SPIN
4:      addi t0, t0, -1
        bnez t0, 4b
        j    1b
5:      lw   ra, 28(sp)
        lw   s0, 24(sp)
        lw   s1, 20(sp)
        lw   s2, 16(sp)
        lw   s3, 12(sp)
        addi sp, sp, 32
        ret

# net_service: what a host does with a frame whatever it is waiting for:
# learn the sender of an ARP packet addressed to us, answer an ARP request
# for our address, answer an ICMP echo request (ping) to us.
# in: a0 = length of the frame in rx_buf   out: a0 = 1 if answered (consumed)
net_service:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        sw   s1, 4(sp)
        mv   s0, a0                     # s0 = length
        li   t0, ARP_END
        bltu s0, t0, 8f
        la   a0, rx_buf + ETH_TYPE
        call get_be16
        li   t0, ETH_TYPE_ARP
        bne  a0, t0, 4f
        la   a0, rx_buf + ARP_TPA       # ARP for us?
        call get_be32
        la   t0, my_ip
        lw   t0, 0(t0)
        bne  a0, t0, 8f
        la   a0, rx_buf + ARP_SPA
        call get_be32
        mv   s1, a0                     # s1 = sender IP
        la   a1, rx_buf + ARP_SHA
        call arp_learn
        la   a0, rx_buf + ARP_OP
        call get_be16
        li   t0, ARP_REQUEST
        bne  a0, t0, 8f
        li   a0, ARP_REPLY              # arp_frame(op, eth dst, target MAC, target IP)
        la   a1, rx_buf + ARP_SHA
        la   a2, rx_buf + ARP_SHA
        mv   a3, s1
        call arp_frame
        call net_send
        j    7f
4:      li   t0, ETH_TYPE_IP            # an echo request to us?
        bne  a0, t0, 8f
        li   t0, UDP_DATA
        bltu s0, t0, 8f
        la   t0, rx_buf
        lbu  t1, IP_VHL(t0)
        li   t2, 0x45
        bne  t1, t2, 8f
        lbu  t1, IP_PROTO(t0)
        li   t2, IP_PROTO_ICMP
        bne  t1, t2, 8f
        lbu  t1, ICMP_TYPE(t0)
        li   t2, ICMP_ECHO_REQUEST
        bne  t1, t2, 8f
        la   a0, rx_buf + IP_DST
        call get_be32
        la   t0, my_ip
        lw   t0, 0(t0)
        bne  a0, t0, 8f
        la   a0, rx_buf + IP_LEN        # echo data: IP length - 28, at most what arrived
        call get_be16
        addi s1, a0, -(IP_HEADER_LEN + ICMP_HEADER_LEN)
        addi t0, s0, -ICMP_DATA
        bleu s1, t0, 5f
        mv   s1, t0
5:      la   a0, rx_buf + ICMP_IDENT
        call get_be16
        mv   a3, a0
        la   a0, rx_buf + ICMP_SEQ
        call get_be16
        mv   a4, a0
        la   a0, rx_buf + IP_SRC
        call get_be32
        mv   a1, a0                     # icmp_echo(dst mac, dst ip, type, ident, seq, data, len)
        la   a0, rx_buf + ETH_SRC
        li   a2, ICMP_ECHO_REPLY
        la   a5, rx_buf + ICMP_DATA
        mv   a6, s1
        call icmp_echo
        call net_send
7:      li   a0, 1
        j    9f
8:      li   a0, 0
9:      lw   ra, 12(sp)
        lw   s0, 8(sp)
        lw   s1, 4(sp)
        addi sp, sp, 16
        ret

# resolve: the MAC of an IPv4 address on our segment: from the ARP cache, or
# by asking (ARP request, broadcast) up to ARP_TRIES times.
# in: a0 = IP   out: a0 = pointer to the MAC in the cache, 0 if no one answered
resolve:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        sw   s1, 4(sp)
        mv   s0, a0                     # s0 = IP
        li   s1, ARP_TRIES
1:      mv   a0, s0
        call arp_lookup
        bnez a0, 2f
        beqz s1, 2f
        addi s1, s1, -1
        mv   a0, s0
        call arp_request
        la   t0, want_ip
        sw   s0, 0(t0)
        la   a0, match_arp_reply
        li   a1, ARP_ROUNDS
        call wait_frame
        j    1b
2:      lw   ra, 12(sp)
        lw   s0, 8(sp)
        lw   s1, 4(sp)
        addi sp, sp, 16
        ret

# arp_request: broadcast "who has IP?".   in: a0 = IP
arp_request:
        addi sp, sp, -16
        sw   ra, 12(sp)
        mv   a3, a0
        li   a0, ARP_REQUEST
        la   a1, broadcast_mac
        la   a2, zero_mac               # target MAC: unknown, that is the question
        call arp_frame
        call net_send
        lw   ra, 12(sp)
        addi sp, sp, 16
        ret

# arp_lookup: in: a0 = IP   out: a0 = pointer to its MAC in the cache, or 0
arp_lookup:
        la   t0, arp_cache
        la   t1, arp_count
        lw   t1, 0(t1)
1:      beqz t1, 2f
        lw   t2, ARP_IP(t0)
        beq  t2, a0, 3f
        addi t0, t0, ARP_ENTRY
        addi t1, t1, -1
        j    1b
2:      li   a0, 0
        ret
3:      addi a0, t0, ARP_MAC
        ret

# arp_learn: remember (or update) IP -> MAC. A full cache overwrites its
# entries in turn, oldest first.   in: a0 = IP, a1 = pointer to the MAC
arp_learn:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        sw   s1, 4(sp)
        mv   s0, a0
        mv   s1, a1
        call arp_lookup
        bnez a0, 3f                     # known: update the MAC in place
        la   t0, arp_count
        lw   t1, 0(t0)
        li   t2, ARP_SLOTS
        bgeu t1, t2, 1f
        addi t2, t1, 1                  # a free slot
        sw   t2, 0(t0)
        j    2f
1:      la   t0, arp_next               # full: the next victim
        lw   t1, 0(t0)
        addi t2, t1, 1
        li   t3, ARP_SLOTS
        remu t2, t2, t3
        sw   t2, 0(t0)
2:      li   t0, ARP_ENTRY
        mul  t1, t1, t0
        la   t0, arp_cache
        add  t0, t0, t1
        sw   s0, ARP_IP(t0)
        addi a0, t0, ARP_MAC
3:      mv   a1, s1
        li   a2, 6
        call copy_bytes
        lw   ra, 12(sp)
        lw   s0, 8(sp)
        lw   s1, 4(sp)
        addi sp, sp, 16
        ret

# match_arp_reply: wait_frame's matcher for an ARP reply from want_ip.
match_arp_reply:
        addi sp, sp, -16
        sw   ra, 12(sp)
        la   a0, rx_buf + ETH_TYPE
        call get_be16
        li   t0, ETH_TYPE_ARP
        bne  a0, t0, 1f
        la   a0, rx_buf + ARP_OP
        call get_be16
        li   t0, ARP_REPLY
        bne  a0, t0, 1f
        la   a0, rx_buf + ARP_SPA
        call get_be32
        la   t0, want_ip
        lw   t0, 0(t0)
        bne  a0, t0, 1f
        li   a0, 1
        j    2f
1:      li   a0, 0
2:      lw   ra, 12(sp)
        addi sp, sp, 16
        ret

# match_nothing: a matcher that wants nothing (scan waits while net_service learns).
match_nothing:
        li   a0, 0
        ret

# ip_to_us: is the frame in rx_buf an IPv4 packet of protocol a0 sent to us?
# in: a0 = protocol, a1 = frame length   out: a0 = 1 or 0
ip_to_us:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        mv   s0, a0
        li   t0, UDP_DATA               # the shortest UDP or ICMP echo frame
        bltu a1, t0, 1f
        la   a0, rx_buf + ETH_TYPE
        call get_be16
        li   t0, ETH_TYPE_IP
        bne  a0, t0, 1f
        la   t0, rx_buf
        lbu  t1, IP_VHL(t0)
        li   t2, 0x45
        bne  t1, t2, 1f
        lbu  t1, IP_PROTO(t0)
        bne  t1, s0, 1f
        la   a0, rx_buf + IP_DST
        call get_be32
        la   t0, my_ip
        lw   t0, 0(t0)
        bne  a0, t0, 1f
        li   a0, 1
        j    2f
1:      li   a0, 0
2:      lw   ra, 12(sp)
        lw   s0, 8(sp)
        addi sp, sp, 16
        ret

# match_echo_reply: wait_frame's matcher for our echo reply (PING_IDENT,
# want_seq) from want_ip.   in: a0 = frame length
match_echo_reply:
        addi sp, sp, -16
        sw   ra, 12(sp)
        mv   a1, a0
        li   a0, IP_PROTO_ICMP
        call ip_to_us
        beqz a0, 1f
        la   t0, rx_buf
        lbu  t1, ICMP_TYPE(t0)
        li   t2, ICMP_ECHO_REPLY
        bne  t1, t2, 1f
        la   a0, rx_buf + ICMP_IDENT
        call get_be16
        li   t0, PING_IDENT
        bne  a0, t0, 1f
        la   a0, rx_buf + ICMP_SEQ
        call get_be16
        la   t0, want_seq
        lw   t0, 0(t0)
        bne  a0, t0, 1f
        la   a0, rx_buf + IP_SRC
        call get_be32
        la   t0, want_ip
        lw   t0, 0(t0)
        bne  a0, t0, 1f
        li   a0, 1
        j    2f
1:      li   a0, 0
2:      lw   ra, 12(sp)
        addi sp, sp, 16
        ret

# match_udp: wait_frame's matcher for a UDP datagram to us, to port
# want_my_port, from want_ip (0: anyone) and port want_port (0: any).
# in: a0 = frame length
match_udp:
        addi sp, sp, -16
        sw   ra, 12(sp)
        mv   a1, a0
        li   a0, IP_PROTO_UDP
        call ip_to_us
        beqz a0, 1f
        la   a0, rx_buf + UDP_DPORT
        call get_be16
        la   t0, want_my_port
        lw   t0, 0(t0)
        bne  a0, t0, 1f
        la   t0, want_ip
        lw   t0, 0(t0)
        beqz t0, 3f
        la   a0, rx_buf + IP_SRC
        call get_be32
        la   t0, want_ip
        lw   t0, 0(t0)
        bne  a0, t0, 1f
3:      la   t0, want_port
        lw   t0, 0(t0)
        beqz t0, 4f
        la   a0, rx_buf + UDP_SPORT
        call get_be16
        la   t0, want_port
        lw   t0, 0(t0)
        bne  a0, t0, 1f
4:      li   a0, 1
        j    2f
1:      li   a0, 0
2:      lw   ra, 12(sp)
        addi sp, sp, 16
        ret

# eth_header: the Ethernet header in tx_buf, from our MAC.
# in: a0 = pointer to the destination MAC, a1 = ethertype
eth_header:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        mv   s0, a1
        mv   a1, a0
        la   a0, tx_buf + ETH_DST
        li   a2, 6
        call copy_bytes
        la   a0, tx_buf + ETH_SRC
        la   a1, my_mac
        li   a2, 6
        call copy_bytes
        la   a0, tx_buf + ETH_TYPE
        mv   a1, s0
        call put_be16
        lw   ra, 12(sp)
        lw   s0, 8(sp)
        addi sp, sp, 16
        ret

# arp_frame: an ARP packet in tx_buf, from us.
# in: a0 = op (1 request, 2 reply), a1 = pointer to the Ethernet destination,
#     a2 = pointer to the target MAC, a3 = target IP   out: a0 = frame length
arp_frame:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        sw   s1, 4(sp)
        sw   s2, 0(sp)
        mv   s0, a0
        mv   s1, a2
        mv   s2, a3
        mv   a0, a1
        li   a1, ETH_TYPE_ARP
        call eth_header
        la   a0, tx_buf + ARP_HTYPE     # Ethernet
        li   a1, 1
        call put_be16
        la   a0, tx_buf + ARP_PTYPE     # IPv4
        li   a1, ETH_TYPE_IP
        call put_be16
        la   t0, tx_buf
        li   t1, 6
        sb   t1, ARP_HLEN(t0)
        li   t1, 4
        sb   t1, ARP_PLEN(t0)
        la   a0, tx_buf + ARP_OP
        mv   a1, s0
        call put_be16
        la   a0, tx_buf + ARP_SHA
        la   a1, my_mac
        li   a2, 6
        call copy_bytes
        la   a0, tx_buf + ARP_SPA
        la   t0, my_ip
        lw   a1, 0(t0)
        call put_be32
        la   a0, tx_buf + ARP_THA
        mv   a1, s1
        li   a2, 6
        call copy_bytes
        la   a0, tx_buf + ARP_TPA
        mv   a1, s2
        call put_be32
        li   a0, ARP_END
        lw   ra, 12(sp)
        lw   s0, 8(sp)
        lw   s1, 4(sp)
        lw   s2, 0(sp)
        addi sp, sp, 16
        ret

# ip_header: the IPv4 header in tx_buf (after the Ethernet header), from us,
# with a fresh ident, TTL 64, "don't fragment" and its header checksum.
# in: a0 = destination IP, a1 = protocol, a2 = bytes after the IP header
ip_header:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        sw   s1, 4(sp)
        sw   s2, 0(sp)
        mv   s0, a0
        mv   s1, a1
        mv   s2, a2
        la   t0, tx_buf
        li   t1, 0x45                   # version 4, header of 5 words
        sb   t1, IP_VHL(t0)
        sb   zero, IP_TOS(t0)
        la   a0, tx_buf + IP_LEN
        addi a1, s2, IP_HEADER_LEN
        call put_be16
        la   t0, ip_ident
        lw   a1, 0(t0)
        addi a1, a1, 1
        sw   a1, 0(t0)
        la   a0, tx_buf + IP_IDENT
        call put_be16
        la   t0, tx_buf
        li   t1, 0x40                   # flags: don't fragment
        sb   t1, IP_FRAG(t0)
        sb   zero, IP_FRAG + 1(t0)
        li   t1, 64
        sb   t1, IP_TTL(t0)
        sb   s1, IP_PROTO(t0)
        sb   zero, IP_CSUM(t0)
        sb   zero, IP_CSUM + 1(t0)
        la   a0, tx_buf + IP_SRC
        la   t0, my_ip
        lw   a1, 0(t0)
        call put_be32
        la   a0, tx_buf + IP_DST
        mv   a1, s0
        call put_be32
        la   a0, tx_buf + IP_VHL        # the checksum covers the header only
        li   a1, IP_HEADER_LEN
        li   a2, 0
        call csum_add
        call csum_fold
        mv   a1, a0
        la   a0, tx_buf + IP_CSUM
        call put_be16
        lw   ra, 12(sp)
        lw   s0, 8(sp)
        lw   s1, 4(sp)
        lw   s2, 0(sp)
        addi sp, sp, 16
        ret

# udp_frame: a whole UDP datagram in tx_buf, checksums and all.
# in: a0 = pointer to the destination MAC, a1 = destination IP, a2 = source
#     port, a3 = destination port, a4 = data, a5 = its length (<= MAX_UDP_DATA)
# out: a0 = frame length
udp_frame:
        addi sp, sp, -32
        sw   ra, 28(sp)
        sw   s0, 24(sp)
        sw   s1, 20(sp)
        sw   s2, 16(sp)
        sw   s3, 12(sp)
        sw   s4, 8(sp)
        mv   s0, a1                     # s0 = destination IP
        mv   s1, a2                     # s1 = source port
        mv   s2, a3                     # s2 = destination port
        mv   s3, a4                     # s3 = data
        addi s4, a5, UDP_HEADER_LEN     # s4 = UDP length
        li   a1, ETH_TYPE_IP
        call eth_header
        la   a0, tx_buf + UDP_DATA
        mv   a1, s3
        addi a2, s4, -UDP_HEADER_LEN
        call copy_bytes
        mv   a0, s0
        li   a1, IP_PROTO_UDP
        mv   a2, s4
        call ip_header
        la   a0, tx_buf + UDP_SPORT
        mv   a1, s1
        call put_be16
        la   a0, tx_buf + UDP_DPORT
        mv   a1, s2
        call put_be16
        la   a0, tx_buf + UDP_LEN
        mv   a1, s4
        call put_be16
        la   t0, tx_buf
        sb   zero, UDP_CSUM(t0)
        sb   zero, UDP_CSUM + 1(t0)
        la   a0, tx_buf + IP_SRC        # pseudo-header: source and destination,
        li   a1, 8
        addi a2, s4, IP_PROTO_UDP       # then zero, protocol and UDP length
        call csum_add
        mv   a2, a0
        la   a0, tx_buf + UDP_SPORT     # then the UDP header and data
        mv   a1, s4
        call csum_add
        call csum_fold
        bnez a0, 1f
        li   a0, 0xffff                 # RFC 768: a computed 0 is sent as all ones
1:      mv   a1, a0
        la   a0, tx_buf + UDP_CSUM
        call put_be16
        addi a0, s4, UDP_SPORT          # frame length
        lw   ra, 28(sp)
        lw   s0, 24(sp)
        lw   s1, 20(sp)
        lw   s2, 16(sp)
        lw   s3, 12(sp)
        lw   s4, 8(sp)
        addi sp, sp, 32
        ret

# icmp_echo: an ICMP echo request or reply in tx_buf.
# in: a0 = pointer to the destination MAC, a1 = destination IP, a2 = type
#     (8 request, 0 reply), a3 = ident, a4 = seq, a5 = data, a6 = its length
# out: a0 = frame length
icmp_echo:
        addi sp, sp, -32
        sw   ra, 28(sp)
        sw   s0, 24(sp)
        sw   s1, 20(sp)
        sw   s2, 16(sp)
        sw   s3, 12(sp)
        sw   s4, 8(sp)
        sw   s5, 4(sp)
        mv   s0, a1                     # s0 = destination IP
        mv   s1, a2                     # s1 = type
        mv   s2, a3                     # s2 = ident
        mv   s3, a4                     # s3 = seq
        mv   s4, a5                     # s4 = data
        addi s5, a6, ICMP_HEADER_LEN    # s5 = ICMP length
        li   a1, ETH_TYPE_IP
        call eth_header
        la   a0, tx_buf + ICMP_DATA
        mv   a1, s4
        addi a2, s5, -ICMP_HEADER_LEN
        call copy_bytes
        mv   a0, s0
        li   a1, IP_PROTO_ICMP
        mv   a2, s5
        call ip_header
        la   t0, tx_buf
        sb   s1, ICMP_TYPE(t0)
        sb   zero, ICMP_CODE(t0)
        sb   zero, ICMP_CSUM(t0)
        sb   zero, ICMP_CSUM + 1(t0)
        la   a0, tx_buf + ICMP_IDENT
        mv   a1, s2
        call put_be16
        la   a0, tx_buf + ICMP_SEQ
        mv   a1, s3
        call put_be16
        la   a0, tx_buf + ICMP_TYPE     # the checksum covers the ICMP message
        mv   a1, s5
        li   a2, 0
        call csum_add
        call csum_fold
        mv   a1, a0
        la   a0, tx_buf + ICMP_CSUM
        call put_be16
        addi a0, s5, ICMP_TYPE          # frame length
        lw   ra, 28(sp)
        lw   s0, 24(sp)
        lw   s1, 20(sp)
        lw   s2, 16(sp)
        lw   s3, 12(sp)
        lw   s4, 8(sp)
        lw   s5, 4(sp)
        addi sp, sp, 32
        ret

# csum_add: add bytes to a one's-complement sum as big-endian 16-bit words
# (an odd last byte is the high half of a word). 32 bits hold the carries of
# up to 65537 words, far more than a frame.
# in: a0 = bytes, a1 = how many, a2 = sum so far   out: a0 = sum
csum_add:
        li   t3, 2
1:      bltu a1, t3, 2f
        lbu  t0, 0(a0)
        lbu  t1, 1(a0)
        slli t0, t0, 8
        or   t0, t0, t1
        add  a2, a2, t0
        addi a0, a0, 2
        addi a1, a1, -2
        j    1b
2:      beqz a1, 3f
        lbu  t0, 0(a0)
        slli t0, t0, 8
        add  a2, a2, t0
3:      mv   a0, a2
        ret

# csum_fold: fold the carries back in and complement: the checksum field.
# in: a0 = sum   out: a0 = 16-bit checksum
csum_fold:
        li   t1, 0xffff
1:      srli t0, a0, 16
        beqz t0, 2f
        and  a0, a0, t1
        add  a0, a0, t0
        j    1b
2:      xor  a0, a0, t1
        ret

# put_be16 / put_be32: store a value big-endian.   in: a0 = where, a1 = value
put_be16:
        srli t0, a1, 8
        sb   t0, 0(a0)
        sb   a1, 1(a0)
        ret
put_be32:
        srli t0, a1, 24
        sb   t0, 0(a0)
        srli t0, a1, 16
        sb   t0, 1(a0)
        srli t0, a1, 8
        sb   t0, 2(a0)
        sb   a1, 3(a0)
        ret

# get_be16 / get_be32: load a big-endian value.   in: a0 = where   out: a0 = value
get_be16:
        lbu  t0, 0(a0)
        lbu  t1, 1(a0)
        slli t0, t0, 8
        or   a0, t0, t1
        ret
get_be32:
        lbu  t0, 0(a0)
        lbu  t1, 1(a0)
        slli t0, t0, 24
        slli t1, t1, 16
        or   t0, t0, t1
        lbu  t1, 2(a0)
        slli t1, t1, 8
        or   t0, t0, t1
        lbu  t1, 3(a0)
        or   a0, t0, t1
        ret

# copy_bytes: in: a0 = destination, a1 = source, a2 = how many
copy_bytes:
1:      beqz a2, 2f
        lbu  t0, 0(a1)
        sb   t0, 0(a0)
        addi a0, a0, 1
        addi a1, a1, 1
        addi a2, a2, -1
        j    1b
2:      ret

# parse_ip: a dotted IPv4 address: four decimal numbers 0..255 and three dots.
# in: a0 = string   out: a0 = address, a1 = 1 if it was one (0 if not)
parse_ip:
        li   t2, 0                      # t2 = address so far
        li   t3, 0                      # t3 = parts done
        li   t5, 10
1:      li   t4, 0                      # t4 = this part
        li   t6, 0                      # t6 = its digits
2:      lbu  t0, 0(a0)
        addi t1, t0, -'0'
        bgeu t1, t5, 3f
        mul  t4, t4, t5
        add  t4, t4, t1
        addi t6, t6, 1
        li   t1, 3
        bgtu t6, t1, 9f                 # "0001" is not a part
        addi a0, a0, 1
        j    2b
3:      beqz t6, 9f
        li   t1, 255
        bgtu t4, t1, 9f
        slli t2, t2, 8
        or   t2, t2, t4
        addi t3, t3, 1
        li   t1, 4
        beq  t3, t1, 4f
        li   t1, '.'
        bne  t0, t1, 9f
        addi a0, a0, 1
        j    1b
4:      bnez t0, 9f                     # nothing may follow the fourth part
        mv   a0, t2
        li   a1, 1
        ret
9:      li   a0, 0
        li   a1, 0
        ret

# parse_mac: a MAC address: six two-digit hex bytes separated by ':'
# (02:00:00:00:00:fe), written to mac_arg.
# in: a0 = string   out: a0 = mac_arg, a1 = 1 if it was one (0 if not)
parse_mac:
        la   t2, mac_arg                # t2 = where the next byte goes
        li   t3, 6                      # t3 = bytes to go
1:      li   t4, 0                      # t4 = this byte
        li   t5, 2                      # t5 = its digits to go
2:      lbu  t0, 0(a0)
        addi t1, t0, -'0'
        li   t6, 10
        bltu t1, t6, 3f
        ori  t0, t0, 0x20               # lower case
        addi t1, t0, -'a'
        li   t6, 6
        bgeu t1, t6, 9f                 # not a hex digit (the NUL included)
        addi t1, t1, 10
3:      slli t4, t4, 4
        or   t4, t4, t1
        addi a0, a0, 1
        addi t5, t5, -1
        bnez t5, 2b
        sb   t4, 0(t2)
        addi t2, t2, 1
        addi t3, t3, -1
        lbu  t0, 0(a0)
        beqz t3, 4f
        li   t1, ':'
        bne  t0, t1, 9f
        addi a0, a0, 1
        j    1b
4:      bnez t0, 9f                     # nothing may follow the sixth byte
        la   a0, mac_arg
        li   a1, 1
        ret
9:      li   a0, 0
        li   a1, 0
        ret

# put_ip: print an IPv4 address dotted.   in: a0 = address
put_ip:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        sw   s1, 4(sp)
        mv   s0, a0
        li   s1, 24                     # s1 = shift of the next part
1:      srl  a0, s0, s1
        andi a0, a0, 0xff
        call put_dec
        beqz s1, 2f
        li   a0, '.'
        call putc
        addi s1, s1, -8
        j    1b
2:      lw   ra, 12(sp)
        lw   s0, 8(sp)
        lw   s1, 4(sp)
        addi sp, sp, 16
        ret

# put_mac: print a MAC as six hex bytes with colons.   in: a0 = pointer to it
put_mac:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        sw   s1, 4(sp)
        mv   s0, a0
        li   s1, 0
1:      add  t0, s0, s1
        lbu  a0, 0(t0)
        li   a1, 2
        call put_hex
        addi s1, s1, 1
        li   t0, 6
        beq  s1, t0, 2f
        li   a0, ':'
        call putc
        j    1b
2:      lw   ra, 12(sp)
        lw   s0, 8(sp)
        lw   s1, 4(sp)
        addi sp, sp, 16
        ret

# ================================================================== data
# On its own page: the pure-Python CPU checks stores against pages that hold
# code, so keeping data away from code keeps every store cheap.
        .balign 4096
        .data

# The command table (lib/shell.S, CMD_...): name, routine, fewest and most
# arguments, then the strings: arguments, help line, notes for `help NAME`.
# Ends with a zero name. Add a line here (and its strings) to add a command:
# help, the argument check and the docs' guest reference all read it.
        .balign 4
commands:
        .word s_help,    cmd_help,    0,  1,              a_help, h_help, n_help
        .word s_hcall,   cmd_hcall,   2,  8,              a_hcall, h_hcall, n_hcall
        .word s_x,       cmd_x,       1,  2,              a_x, h_x, n_x
        .word s_w,       cmd_w,       2,  MAX_BYTES + 1,  a_w, h_w, n_w
        .word s_peek,    cmd_peek,    2,  3,              a_peek, h_peek, n_peek
        .word s_poke,    cmd_poke,    3,  MAX_BYTES + 2,  a_poke, h_poke, n_poke
        .word s_vms,     cmd_vms,     0,  0,              a_vms, h_vms, n_vms
        .word s_pause,   cmd_pause,   1,  1,              a_pause, h_pause, n_pause
        .word s_unpause, cmd_unpause, 1,  1,              a_unpause, h_unpause, n_unpause
        .word s_destroy, cmd_destroy, 1,  1,              a_destroy, h_destroy, n_destroy
        .word s_print,   cmd_print,   2,  2,              a_print, h_print, n_print
        .word s_echo,    cmd_echo,    0,  MAX_ARGS,       a_echo, h_echo, n_echo
        .word s_probe,   cmd_probe,   1,  1,              a_probe, h_probe, n_probe
        .word s_info,    cmd_info,    0,  0,              a_info, h_info, n_info
        .word s_exit,    cmd_exit,    0,  1,              a_exit, h_exit, n_exit
        .word s_grant,   cmd_grant,   2,  3,              a_grant, h_grant, n_grant
        .word s_ungrant, cmd_ungrant, 1,  1,              a_ungrant, h_ungrant, n_ungrant
        .word s_map,     cmd_map,     3,  4,              a_map, h_map, n_map
        .word s_unmap,   cmd_unmap,   1,  1,              a_unmap, h_unmap, n_unmap
        .word s_dsend,   cmd_dsend,   2,  MAX_ARGS,       a_dsend, h_dsend, n_dsend
        .word s_drecv,   cmd_drecv,   0,  1,              a_drecv, h_drecv, n_drecv
        .word s_ring,    cmd_ring,    0,  0,              a_ring, h_ring, n_ring
        .word s_rlog,    cmd_rlog,    1,  MAX_ARGS,       a_rlog, h_rlog, n_rlog
        .word s_race,    cmd_race,    1,  1,              a_race, h_race, n_race
        .word s_dinfo,   cmd_dinfo,   0,  0,              a_dinfo, h_dinfo, n_dinfo
        .word s_dread,   cmd_dread,   1,  2,              a_dread, h_dread, n_dread
        .word s_dwrite,  cmd_dwrite,  2,  MAX_ARGS,       a_dwrite, h_dwrite, n_dwrite
        .word s_ip,      cmd_ip,      0,  0,              a_ip, h_ip, n_ip
        .word s_spoof,   cmd_spoof,   1,  2,              a_spoof, h_spoof, n_spoof
        .word s_arp,     cmd_arp,     0,  0,              a_arp, h_arp, n_arp
        .word s_scan,    cmd_scan,    0,  0,              a_scan, h_scan, n_scan
        .word s_ping,    cmd_ping,    1,  2,              a_ping, h_ping, n_ping
        .word s_send,    cmd_send,    3,  MAX_ARGS,       a_send, h_send, n_send
        .word s_listen,  cmd_listen,  1,  2,              a_listen, h_listen, n_listen
        .word s_brute,   cmd_brute,   1,  3,              a_brute, h_brute, n_brute
        .word s_flood,   cmd_flood,   3,  3,              a_flood, h_flood, n_flood
        .word s_storm,   cmd_storm,   3,  3,              a_storm, h_storm, n_storm
        .word s_sendn,   cmd_sendn,   4,  MAX_ARGS,       a_sendn, h_sendn, n_sendn
        .word s_now,     cmd_now,     0,  0,              a_now, h_now, n_now
        .word s_spin,    cmd_spin,    1,  1,              a_spin, h_spin, n_spin
        .word s_steal,   cmd_steal,   3,  3,              a_steal, h_steal, n_steal
        .word s_lat,     cmd_lat,     2,  2,              a_lat, h_lat, n_lat
        .word s_dzero,   cmd_dzero,   2,  2,              a_dzero, h_dzero, n_dzero
        .word s_dbench,  cmd_dbench,  1,  1,              a_dbench, h_dbench, n_dbench
        .word s_dnoise,  cmd_dnoise,  1,  1,              a_dnoise, h_dnoise, n_dnoise
        .word s_dsendn,  cmd_dsendn,  3,  MAX_ARGS,       a_dsendn, h_dsendn, n_dsendn
        .word 0, 0, 0, 0, 0, 0, 0

s_help:      .asciz "help"
s_hcall:     .asciz "hcall"
s_x:         .asciz "x"
s_w:         .asciz "w"
s_peek:      .asciz "peek"
s_poke:      .asciz "poke"
s_vms:       .asciz "vms"
s_pause:     .asciz "pause"
s_unpause:   .asciz "unpause"
s_destroy:   .asciz "destroy"
s_print:     .asciz "print"
s_echo:      .asciz "echo"
s_probe:     .asciz "probe"
s_info:      .asciz "info"
s_exit:      .asciz "exit"
s_grant:     .asciz "grant"
s_ungrant:   .asciz "ungrant"
s_map:       .asciz "map"
s_unmap:     .asciz "unmap"
s_dsend:     .asciz "dsend"
s_drecv:     .asciz "drecv"
s_ring:      .asciz "ring"
s_rlog:      .asciz "rlog"
s_race:      .asciz "race"
s_dinfo:     .asciz "dinfo"
s_dread:     .asciz "dread"
s_dwrite:    .asciz "dwrite"
s_ip:        .asciz "ip"
s_spoof:     .asciz "spoof"
s_arp:       .asciz "arp"
s_scan:      .asciz "scan"
s_ping:      .asciz "ping"
s_send:      .asciz "send"
s_listen:    .asciz "listen"
s_brute:     .asciz "brute"
s_flood:     .asciz "flood"
s_storm:     .asciz "storm"
s_sendn:     .asciz "sendn"
s_now:       .asciz "now"
s_spin:      .asciz "spin"
s_steal:     .asciz "steal"
s_lat:       .asciz "lat"
s_dzero:     .asciz "dzero"
s_dbench:    .asciz "dbench"
s_dnoise:    .asciz "dnoise"
s_dsendn:    .asciz "dsendn"

a_help:      .asciz "[COMMAND]"
a_hcall:     .asciz "EID FID [A0 .. A5]"
a_x:         .asciz "ADDR [LEN]"
a_w:         .asciz "ADDR BYTE..."
a_peek:      .asciz "DOMID ADDR [LEN]"
a_poke:      .asciz "DOMID ADDR BYTE..."
a_vms:       .asciz ""
a_pause:     .asciz "D"
a_unpause:   .asciz "D"
a_destroy:   .asciz "D"
a_print:     .asciz "ADDR LEN"
a_echo:      .asciz "TEXT"
a_probe:     .asciz "EID"
a_info:      .asciz ""
a_exit:      .asciz "[CODE]"
a_grant:     .asciz "ADDR DOMID [FLAGS]"
a_ungrant:   .asciz "REF"
a_map:       .asciz "DOMID REF ADDR [FLAGS]"
a_unmap:     .asciz "ADDR"
a_dsend:     .asciz "DOMID TEXT"
a_drecv:     .asciz "[COUNT]"
a_ring:      .asciz ""
a_rlog:      .asciz "TEXT"
a_race:      .asciz "LEN"
a_dinfo:     .asciz ""
a_dread:     .asciz "SECTOR [COUNT]"
a_dwrite:    .asciz "SECTOR TEXT"
a_ip:        .asciz ""
a_spoof:     .asciz "MAC [IP] | off"
a_arp:       .asciz ""
a_scan:      .asciz ""
a_ping:      .asciz "IP [COUNT]"
a_send:      .asciz "IP PORT TEXT"
a_listen:    .asciz "PORT [COUNT]"
a_brute:     .asciz "USER [IP] [FIRST]"
a_flood:     .asciz "IP PORT COUNT"
a_storm:     .asciz "IP PORT COUNT"
a_sendn:     .asciz "COUNT IP PORT TEXT"
a_now:       .asciz ""
a_spin:      .asciz "N"
a_steal:     .asciz "TICK MARGIN ROUNDS"
a_lat:       .asciz "COUNT INTERVAL"
a_dzero:     .asciz "SECTOR COUNT"
a_dbench:    .asciz "SECTORS"
a_dnoise:    .asciz "ROUNDS"
a_dsendn:    .asciz "DOMID COUNT TEXT"

h_help:      .asciz "list the commands; help COMMAND: more about one"
h_hcall:     .asciz "make a hypercall, print a0 (error) and a1 (value)"
h_x:         .asciz "hexdump own memory (x reads with loads: a bad address faults the VM)"
h_w:         .asciz "write bytes into own memory"
h_peek:      .asciz "copy another VM's memory here (VMCTL peek) and hexdump it"
h_poke:      .asciz "write bytes into another VM's memory (VMCTL poke)"
h_vms:       .asciz "list the VMs and their states (* = this VM)"
h_pause:     .asciz "pause VM D (VMCTL)"
h_unpause:   .asciz "unpause VM D (VMCTL)"
h_destroy:   .asciz "destroy VM D (VMCTL)"
h_print:     .asciz "the hypervisor prints [ADDR, ADDR+LEN) (DBCN console_write)"
h_echo:      .asciz "print TEXT"
h_probe:     .asciz "is extension EID available? (BASE probe_extension)"
h_info:      .asciz "SBI version, implementation, own domid, number of VMs"
h_exit:      .asciz "shut this VM down with exit code CODE (SRST)"
h_grant:     .asciz "let DOMID map our page at ADDR; FLAGS 1 = read-only (GNTTAB)"
h_ungrant:   .asciz "end our grant REF (GNTTAB end_access)"
h_map:       .asciz "map DOMID's grant REF at ADDR in 0x90000000.. (GNTTAB)"
h_unmap:     .asciz "remove the grant mapping at ADDR (GNTTAB)"
h_dsend:     .asciz "send TEXT to DOMID as a datagram (DGRAM)"
h_drecv:     .asciz "receive the oldest datagram, or COUNT of them (DGRAM)"
h_ring:      .asciz "share our request ring with the backend (DGRAM ring_setup)"
h_rlog:      .asciz "ask the backend to log TEXT through the ring (doorbell)"
h_race:      .asciz "honest 16-byte request, then len = LEN after the doorbell"
h_dinfo:     .asciz "the size of our disk (BLK info)"
h_dread:     .asciz "read COUNT sectors (1..8) of our disk and dump them (BLK)"
h_dwrite:    .asciz "write one sector holding TEXT (BLK)"
h_ip:        .asciz "the IPv4 and MAC addresses this VM sends from (NET info)"
h_spoof:     .asciz "send as MAC (and IP) from now on, announced by ARP; off: our own"
h_arp:       .asciz "the ARP cache: IP -> MAC"
h_scan:      .asciz "ARP .1 to .30 of our network: who is there?"
h_ping:      .asciz "ICMP echo: replies with seq and time in instructions"
h_send:      .asciz "TEXT as a UDP datagram from port 40000; print the answer"
h_listen:    .asciz "print UDP datagrams to PORT (COUNT of them, or until a key)"
h_brute:     .asciz "guess USER's management login from a wordlist (UDP 6230)"
h_flood:     .asciz "send COUNT junk UDP requests to IP:PORT, fast"
h_storm:     .asciz "the same flood, to the Ethernet broadcast address"
h_sendn:     .asciz "send TEXT COUNT times, count the answers that say OK"
h_now:       .asciz "the hypervisor's clock in instructions (CLOCK now)"
h_spin:      .asciz "about N instructions of work; prints the share of the clock it got"
h_steal:     .asciz "work, asleep from MARGIN before each TICK until after it"
h_lat:       .asciz "sleep INTERVAL instructions COUNT times: how late do we wake?"
h_dzero:     .asciz "zero COUNT sectors of our disk in one call (BLK zero)"
h_dbench:    .asciz "read SECTORS sectors of our disk: how long does it take?"
h_dnoise:    .asciz "read 8 sectors ROUNDS times, flat out"
h_dsendn:    .asciz "send TEXT to DOMID COUNT times (DGRAM); count the queued"

n_help:      .asciz ""
n_hcall:     .asciz "Any hypercall by number: EID goes in a7, FID in a6, A0..A5 in a0..a5 (left out: 0).\nA nonzero a0 is also named (SBI_ERR_...). The numbers are in the hypercall reference."
n_x:         .asciz "LEN bytes (default 64, at most 4096) from ADDR, as xxd prints them. The monitor\nreads them itself: an address outside this VM's RAM faults the VM."
n_w:         .asciz "Up to 64 bytes (each 0 to 255, hex 0x.. or decimal) stored from ADDR on."
n_peek:      .asciz "VMCTL peek(domid, src_gpa, len, dest_gpa): the hypervisor copies LEN bytes\n(default 64, at most 4096) of VM DOMID's memory at ADDR into this VM, and the\ndump shows DOMID's addresses. A privileged call: with hypercall.authorize on,\nonly the control domain may make it."
n_poke:      .asciz "VMCTL poke(domid, dest_gpa, len, src_gpa) with up to 64 bytes: privileged, as peek."
n_vms:       .asciz "One line per VM, domN STATE, from VMCTL count() and info(). info() is privileged:\nrefused, the monitor shows its own line and how many other VMs there are."
n_pause:     .asciz "VMCTL pause(domid): privileged."
n_unpause:   .asciz "VMCTL unpause(domid): privileged."
n_destroy:   .asciz "VMCTL destroy(domid): privileged. The VM stops for good and its RAM is scrubbed."
n_print:     .asciz "DBCN console_write: the hypervisor copies the buffer to this VM's console. It must\ncheck that the buffer is this VM's memory (hypercall.check_bounds): if it does not,\nADDR past the end of the RAM reads the next VM's memory."
n_echo:      .asciz ""
n_probe:     .asciz "Prints 1 (available) or 0."
n_info:      .asciz ""
n_exit:      .asciz "SRST system_reset: CODE 0 to 255, default 0."
n_grant:     .asciz "GNTTAB grant_access(gpa, domid, flags): ADDR is a page of this VM's RAM (a\nmultiple of 0x1000). Prints the grant reference to hand to DOMID."
n_ungrant:   .asciz "After this the page may be reused, so the hypervisor refuses while another VM\nstill maps it (grant.check_in_use), as Xen does: the grantee unmaps first."
n_map:       .asciz "GNTTAB map(domid, ref, dest_gpa): ADDR is a page of the grant window\n(0x90000000 on); FLAGS 1 maps it read-only. Then x and w at ADDR read and write\nthe other VM's page."
n_unmap:     .asciz ""
n_dsend:     .asciz "DGRAM send: the hypervisor copies TEXT (at most 256 bytes) and stamps this VM's\ndomid on it."
n_drecv:     .asciz "Prints from domN: TEXT, or that none is waiting."
n_ring:      .asciz "Needed once before rlog and race."
n_rlog:      .asciz "Puts a LOG request for TEXT in the ring page and rings the doorbell; the backend\nchecks it a moment later, then copies it, and the trace shows both."
n_race:      .asciz "Rings the doorbell for an honest 16-byte LOG request, then writes LEN into the\nrequest's len at once. The backend has not read the request yet: its check sees\nLEN. A double fetch (XSA-155) is won only by a change between the backend's\ncheck and its copy: a program of your own times it (the lesson's editor)."
n_dinfo:     .asciz ""
n_dread:     .asciz "BLK read of COUNT sectors (default 1) from SECTOR. The hypervisor must check the\nwhole range [SECTOR, SECTOR+COUNT), not just SECTOR (blk.check_range)."
n_dwrite:    .asciz "The rest of the sector is zero."
n_ip:        .asciz "Its own (the MAC is 02:00:00:00:00:<domid>), or the ones spoof put in their place."
n_spoof:     .asciz "Every frame the monitor builds from now on carries MAC (and IP) as its source, and\nit answers ARP, ping and datagrams for them. A gratuitous ARP announces it: a\nlearning switch moves MAC to this port. Whether the frames get anywhere is up to\nthe virtual switch (net.anti_spoofing). spoof off takes the own addresses back."
n_arp:       .asciz ""
n_scan:      .asciz "How a tenant finds the hypervisor's management interface."
n_ping:      .asciz "COUNT requests (default 3, at most 100), ARP first if needed. The time is the\ninstructions this VM waited: the lab has no clock a guest can read."
n_send:      .asciz "The answer, if one comes, as reply: TEXT. With the management service:\nsend 10.0.0.1 6230 LOGIN admin PASSWORD answers reply: OK TOKEN."
n_listen:    .asciz "COUNT defaults to 10. Between frames the VM waits in wfi: listening costs no CPU time."
n_brute:     .asciz "LOGIN USER with every word of the monitor's wordlist, from its FIRST (default 1),\nagainst the management service at IP (default .1 of this /24), until one answers\nOK: prints the password and the token. A lockout (mgmt.lockout_after) stops it;\nlocked out after N tries says where a run from another address goes on: FIRST = N."
n_flood:     .asciz "The denial-of-service attack: one frame sent again and again, counting the ones the\nNIC dropped (vnic.rate_limit)."
n_storm:     .asciz "The switch copies every frame to every port, so it also fills the other VMs'\nreceive queues, the admin's among them."
n_sendn:     .asciz "The admin's side of the flood lesson: one request at a time, each from its own\nsource port, then sendn: K of N answered OK."
n_now:       .asciz "The clock counts the instructions all VMs retired, plus the hypervisor's work and\nidle time: the unit of the trace's timestamps."
n_spin:      .asciz "Honest computation, no yield. Then spin: W instructions of work in T of the clock\n(P%): P is the share of the CPU this VM got while it worked."
n_steal:     .asciz "The same work, but ROUNDS times it stops MARGIN instructions before the\nscheduler's next tick (the next multiple of TICK on the clock) and sleeps until\njust after it: a scheduler that charges whoever a tick finds running never finds\nit (Zhou et al., 2011; sched.exact_accounting). A key stops it early."
n_lat:       .asciz "COUNT times: set a timer INTERVAL instructions ahead (SBI TIME set_timer), wfi,\nand measure how far past the deadline the VM ran again, as cyclictest does. A key\nstops it early. Prints lat: N wake-ups, max M, avg A instructions late."
n_dzero:     .asciz "One hypercall, however many sectors: a hypervisor that does it all at once\nholds the CPU for all of it (hypercall.preemptible). Prints how long it took."
n_dbench:    .asciz "8 sectors a request from sector 0 on; a request the disk refuses (busy or\nthrottled) is tried again after a short sleep, and after 50 refusals in a row it\ngives up. Prints dbench: N of SECTORS sectors in T instructions (B busy)."
n_dnoise:    .asciz "The noisy neighbour: requests as fast as the vCPU can ask, never pausing when\nthe disk is busy (blk.rate_limit). A key stops it early."
n_dsendn:    .asciz "Without waiting for the receiver: fills its inbox (dgram.sender_quota). Prints\ndsendn: Q of N queued."

# SBI error names, indexed by -code (SBI v2.0, "Standard SBI Errors").
        .balign 4
sbi_error_names:
        .word e_success, e_failed, e_not_supported, e_invalid_param, e_denied
        .word e_invalid_address, e_already_available, e_already_started
        .word e_already_stopped, e_no_shmem
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
msg_other_vms:     .asciz " other VMs: ? ("
msg_other_vm:      .asciz " other VM: ? ("
msg_wrote:         .asciz "wrote "
msg_bytes_at:      .asciz " bytes at "
msg_colon:         .asciz ": "
msg_ref:           .asciz "ref "
msg_disk:          .asciz "disk: "
msg_sectors:       .asciz " sectors ("
msg_bytes_close:   .asciz " bytes)\n"
msg_throttled:     .asciz "0 sectors: the disk is throttled or busy, try again\n"
msg_now:           .asciz "now: "
msg_spin:          .asciz "spin: "
msg_steal:         .asciz "steal: "
msg_work_in:       .asciz " instructions of work in "
msg_of_clock:      .asciz " of the clock ("
msg_percent_end:   .asciz "%)\n"
msg_tick_zero:     .asciz "error: TICK must not be 0\n"
msg_lat:           .asciz "lat: "
msg_lat_max:       .asciz " wake-ups, max "
msg_lat_avg:       .asciz ", avg "
msg_lat_end:       .asciz " instructions late\n"
msg_dzero:         .asciz "dzero: "
msg_zeroed_in:     .asciz " sectors zeroed in "
msg_dbench:        .asciz "dbench: "
msg_sectors_in:    .asciz " sectors in "
msg_instr_open:    .asciz " instructions ("
msg_busy_end:      .asciz " busy)"
msg_gave_up:       .asciz ": gave up"
msg_dnoise:        .asciz "dnoise: "
msg_served_end:    .asciz " requests served\n"
msg_dsendn:        .asciz "dsendn: "
msg_queued_end:    .asciz " queued\n"
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
msg_no_nic:        .asciz "error: this VM has no network interface\n"
msg_bad_ip:        .asciz "error: bad IPv4 address '"
msg_bad_ip_end:    .asciz "' (like 10.0.0.1)\n"
msg_bad_mac:       .asciz "error: bad MAC address '"
msg_bad_mac_end:   .asciz "' (like 02:00:00:00:00:fe)\n"
msg_sending_as:    .asciz "sending as "
msg_ip:            .asciz "ip "
msg_mac:           .asciz " mac "
msg_is_at:         .asciz " is at "
msg_arp_empty:     .asciz "the ARP cache is empty\n"
msg_scanned:       .asciz "hosts that answered ARP:\n"
msg_no_arp:        .asciz "no ARP reply from "
msg_reply_from:    .asciz "reply from "
msg_seq:           .asciz ": seq="
msg_time:          .asciz " time="
msg_instructions:  .asciz " instructions\n"
msg_no_reply_seq:  .asciz "no reply: seq="
msg_sent_received: .asciz " sent, "
msg_received:      .asciz " received\n"
msg_reply_colon:   .asciz "reply: "
msg_no_answer:     .asciz "no answer\n"
msg_nic_dropped:   .asciz "the NIC dropped the frame (rate limit)\n"
msg_listening:     .asciz "listening on UDP port "
msg_from_ip:       .asciz "from "
msg_trying:        .asciz "trying "
msg_password:      .asciz "password: "
msg_token:         .asciz "\ntoken: "
msg_locked:        .asciz "locked out after "
msg_tries:         .asciz " tries\n"
msg_no_password:   .asciz "no password of the wordlist worked ("
msg_tried:         .asciz " tried)\n"
msg_flood:         .asciz "flood: "
msg_sent_comma:    .asciz " sent, "
msg_dropped:       .asciz " dropped by the NIC\n"
msg_sendn:         .asciz "sendn: "
msg_answered_ok:   .asciz " answered OK\n"
s_login:           .asciz "LOGIN "
s_off:             .asciz "off"
s_ok:              .asciz "OK"
s_ok_space:        .asciz "OK "
s_locked:          .asciz "ERR locked"

# brute's wordlist: the most common passwords of leaked password lists (and
# `letmein`, the vulnerable scenario's). Ends with a 0.
        .balign 4
wordlist:
        .word w_123456, w_password, w_admin, w_12345678, w_qwerty, w_123456789
        .word w_12345, w_1234, w_111111, w_1234567, w_dragon, w_123123
        .word w_letmein, w_baseball, w_abc123, w_football, w_monkey, w_iloveyou
        .word w_root, w_toor, 0
w_123456:    .asciz "123456"
w_password:  .asciz "password"
w_admin:     .asciz "admin"
w_12345678:  .asciz "12345678"
w_qwerty:    .asciz "qwerty"
w_123456789: .asciz "123456789"
w_12345:     .asciz "12345"
w_1234:      .asciz "1234"
w_111111:    .asciz "111111"
w_1234567:   .asciz "1234567"
w_dragon:    .asciz "dragon"
w_123123:    .asciz "123123"
w_letmein:   .asciz "letmein"
w_baseball:  .asciz "baseball"
w_abc123:    .asciz "abc123"
w_football:  .asciz "football"
w_monkey:    .asciz "monkey"
w_iloveyou:  .asciz "iloveyou"
w_root:      .asciz "root"
w_toor:      .asciz "toor"

broadcast_mac:     .byte 0xff, 0xff, 0xff, 0xff, 0xff, 0xff
zero_mac:          .byte 0, 0, 0, 0, 0, 0
ping_data:         .ascii "hvlab ping: abcdefghijklmnopqrst"    # PING_DATA_LEN bytes
flood_data:        .ascii "FLOOD junk junk!"                    # FLOOD_DATA_LEN bytes

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
dgram_buf:  .space DGRAM_MAX_DATAGRAM + 8 # drecv: sender id, payload, NUL
        .balign 4096
peek_buf:   .space BUF_SIZE             # what peek copies here
ring_page:  .space 4096                 # our request ring (ring, rlog, race)

# ---- the network's variables and buffers
        .balign 4
net_up:     .word 0                     # 1 once NET info answered: we have a NIC
my_ip:      .word 0                     # our IPv4 address (10.0.0.11 = 0x0a00000b)
ip_ident:   .word 0                     # the last IPv4 ident we sent
wait_used:  .word 0                     # rounds the last wait_frame took
want_ip:    .word 0                     # what the matchers look for
want_port:  .word 0
want_my_port: .word 0
want_seq:   .word 0
target_ip:  .word 0                     # where udp_to_target sends
target_port: .word 0
arp_count:  .word 0                     # entries in use
arp_next:   .word 0                     # the entry a full cache overwrites next
arp_cache:  .space ARP_SLOTS * ARP_ENTRY
my_mac:     .space 8                    # 02:00:00:00:00:<domid>, or what spoof put there
mac_arg:    .space 8                    # a MAC argument (parse_mac)
text_buf:   .space MAX_TEXT + 4         # a request being put together (brute)
        .balign 4
tx_buf:     .space NET_ETH_MAX_FRAME + 2 # the frame being sent
        .balign 4
rx_buf:     .space NET_ETH_MAX_FRAME + 2 # the frame received (+1 for put_udp_payload's NUL)
