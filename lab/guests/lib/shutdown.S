# lib/shutdown.S -- stop this VM with an exit code: shutdown (SBI SRST).
#
# Provides:
#   shutdown   SRST system_reset(shutdown, reason = a0): the hypervisor stops
#              this VM and records a0 as its exit code. Jump or call: it does
#              not return.
# Needs: lib/sbi.S, included before.

shutdown:
    mv   a1, a0             # SRST system_reset(shutdown, reason)
    li   a0, SRST_SHUTDOWN
    li   a7, EID_SRST
    li   a6, SRST_SYSTEM_RESET
    ecall
