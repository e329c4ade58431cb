# race.S -- the double fetch in the ring backend, as a guest program (lesson 6).
#
# The backend reads a request from the shared ring page twice: once to check
# `len` (at most 240 bytes), once to copy `len` bytes into its 256-byte buffer.
# Behind that buffer the hypervisor keeps its record of the control domain,
# and our domid waits at data[256]: a copy of 260 bytes writes it there.
#
# lib/race.S does everything but the race:
#   race_setup    registers the ring and writes an honest request into it:
#                 LOG 16 bytes, our domid at data[256]; a0 = the ring page
#   race_report   waits for the backend, prints what it did with the request
#                 and, if its copy overflowed, tries VMCTL destroy(2)
# The ring's fields are at offsets DGRAM_RING_STATUS, DGRAM_RING_OP,
# DGRAM_RING_LEN, DGRAM_RING_RESULT and DGRAM_RING_DATA (lib/sbi.S).
#
# Assemble, load into the tenant, read the tenant's console and the trace
# (each line starts with its time in instructions); change, load again.

        .include "lib/sbi.S"

        .text
        .globl _start
_start:
        call race_setup              # a0 = the ring page
        mv   s0, a0
        li   a7, EID_DGRAM
        li   a6, DGRAM_DOORBELL      # doorbell(): wakes the backend, which has read nothing yet
        ecall

        # Your part: make the backend copy more than its check allowed.

        call race_report             # never returns

        .include "lib/race.S"        # race_setup, race_report
        .include "lib/dbcn.S"        # puts, which race_report uses
        .include "lib/put_dec.S"     # put_dec, likewise
