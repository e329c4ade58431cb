# lib/clock.S -- the hypervisor's clock and timer: clock_now, sleep_until, sleep_for.
#
# Provides (standard calling convention; they use a0, a1, a6, a7, t0, t1):
#   clock_now     a0 = the clock, low 32 bits (CLOCK now): instructions retired by
#                 all VMs plus hypervisor work and idle time, the trace's time
#   sleep_until   wait until the clock reaches a0: arm the timer (SBI TIME
#                 set_timer), then wfi until it is due; a0 = the clock on waking,
#                 which is late by however long the scheduler kept us waiting
#   sleep_for     the same, a0 instructions of the clock from now
# Needs: lib/sbi.S, included before.
#
# The clock wraps after 2^32 instructions: compare two readings by the sign of
# their difference, never with an unsigned `<`. Any other event (a key, a
# datagram) also ends a wfi; sleep_until goes back to sleep until the deadline.

# clock_now: a0 = the clock (low 32 bits)
clock_now:
        li   a7, EID_CLOCK
        li   a6, CLOCK_NOW
        ecall
        mv   a0, a1
        ret

# sleep_until(a0 = deadline): a0 = the clock when we run again (deadline or later)
sleep_until:
        mv   t1, a0                     # t1 = deadline (the calls below leave t1 alone)
        li   a7, EID_TIME
        li   a6, TIME_SET_TIMER         # set_timer(stime_value_lo, stime_value_hi)
        li   a1, 0
        ecall
1:      wfi
        li   a7, EID_CLOCK
        li   a6, CLOCK_NOW
        ecall
        sub  t0, a1, t1
        bltz t0, 1b                     # woken early (a key, a datagram): back to sleep
        mv   a0, a1
        ret

# sleep_for(a0 = instructions): sleep_until(now + a0)
sleep_for:
        mv   t1, a0
        li   a7, EID_CLOCK
        li   a6, CLOCK_NOW
        ecall
        add  a0, a1, t1
        j    sleep_until
