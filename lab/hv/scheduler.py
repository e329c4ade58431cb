"""Credit scheduler (after Xen's credit1): who runs next, for how long, and who pays.

The clock is `Hypervisor.time`: instructions retired by every vCPU, plus the
hypervisor's own work on a VM's behalf (a long hypercall, `Hypervisor.spend`)
and time the machine sat idle until a timer was due. Three rhythms keep it:

    tick     every `quantum` instructions of the clock. Accounting samples here
             (below), and a runnable VM of higher priority takes the CPU.
    slice    a VM runs at most `quantum * weight` before the next runnable VM
             of the same priority gets its turn (round robin, domid order).
    period   every PERIOD_TICKS ticks each VM that can run is credited its
             weight's part of the period; credit is capped at that part (and
             debt at minus that part), so an idle VM cannot hoard it.

Priority: a VM with credit left (UNDER) runs before one that has spent it
(OVER). A VM whose timer wakes it while it is UNDER is BOOSTed above both and
takes the CPU at once, as Xen's credit1 boosts a waking vCPU, so an interactive
VM answers promptly; it keeps the boost until a tick finds it running or its
credit is spent. Among equals, turns: a VM that parks in `wfi`, halts, faults
or is paused gives up the rest of its slice.

Who pays is `sched.exact_accounting` (lab.hv.policy):

    exact    every instruction a VM runs (and every instruction of hypervisor
             work done for it) is debited from its credit, as it happens.
    sampled  at each tick the VM running at that moment is debited the whole
             tick, and nothing else is. Xen's credit scheduler did this until
             Zhou, Goel, Desnoyers and Sundaram ("Scheduler Vulnerabilities and
             Coordinated Attacks in Cloud Computing", 2011) showed that a VM
             that sleeps just before each tick and wakes just after runs almost
             for free, stays UNDER (and BOOSTed: no tick ever finds it running),
             and takes the CPU from its neighbours.

`shares(time)` gives, per VM, its part of the clock over the last
WINDOW_PERIODS periods and the part it was charged for: the VMs panel's CPU
column, as `top` shows %CPU over its refresh interval. `used` is what each VM
has run since the machine started (a lesson's check measures a share between
two readings of it).

Everything here is a function of the clock and the VMs' states, never of wall
time or of how `Hypervisor.run` was sliced: a decision is taken only at a tick,
a timer, the end of a slice or when the running VM stops, so running
10 x 1000 instructions is the same as running 10 000 at once.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

from lab.hv.vm import VmState

if TYPE_CHECKING:
    from lab.hv.vm import Vm

DEFAULT_QUANTUM: Final = 10_000  # instructions per tick, and per unit of weight in a slice
PERIOD_TICKS: Final = 3  # ticks per accounting period (Xen: 30 ms of 10 ms ticks)
WINDOW_PERIODS: Final = 20  # periods the CPU shares look back over
NO_TIMER: Final = 1 << 62  # a deadline no clock reaches


class Scheduler:
    def __init__(self, quantum: int = DEFAULT_QUANTUM) -> None:
        if quantum <= 0:
            raise ValueError("the quantum must be positive")
        self.quantum = quantum
        self.current = -1  # domid of the VM whose slice it is (-1: none yet)
        self.slice_left = 0  # clock left in its slice
        self.resched = False  # a tick or a timer asks for a decision before it runs on
        self.next_tick = quantum  # the clock value of the next tick
        self.ticks = 0
        self.credit: list[int] = []  # per domid
        self.timers: dict[int, int] = {}  # domid -> deadline (SBI set_timer)
        self.next_timer = NO_TIMER
        # What each VM ran and was charged in this period, and in the WINDOW_PERIODS before it.
        self.ran: list[int] = []
        self.charged: list[int] = []
        self.window: deque[tuple[list[int], list[int]]] = deque(maxlen=WINDOW_PERIODS)
        self.used: list[int] = []  # per domid: the clock it has run since the machine started
        self.boosted: set[int] = set()  # domids a timer woke while UNDER, not yet found at a tick

    @property
    def period(self) -> int:
        return PERIOD_TICKS * self.quantum

    def _grow(self, n: int) -> None:
        while len(self.credit) < n:
            self.credit.append(0)
            self.ran.append(0)
            self.charged.append(0)
            self.used.append(0)

    # -- deciding

    def pick(self, vms: Sequence[Vm]) -> Vm | None:
        """The VM that runs next (`slice_left` says for how long at most), or None
        when no VM is runnable. The running VM keeps the CPU until its slice ends
        or it stops, and at a tick or timer unless a VM of higher priority waits."""
        n = len(vms)
        cur = self.current
        if not self.resched and 0 <= cur < n and self.slice_left > 0 and vms[cur].runnable:
            return vms[cur]
        self.resched = False
        if len(self.credit) < n:
            self._grow(n)
        choice: Vm | None = None
        best = -1
        for i in range(1, n + 1):  # round robin from the VM after the current one, which comes last
            vm = vms[(cur + i) % n]
            if vm.runnable:
                rank = self._rank(vm.domid)
                if rank > best:
                    choice, best = vm, rank
        if choice is None:
            return None
        if 0 <= cur < n and self.slice_left > 0 and vms[cur].runnable and self._rank(cur) >= best:
            return vms[cur]  # nobody ranks higher: it keeps its slice
        self.current = choice.domid
        self.slice_left = self.quantum * max(1, choice.weight)
        return choice

    def _rank(self, domid: int) -> int:
        """2 BOOST, 1 UNDER, 0 OVER."""
        if self.credit[domid] <= 0:
            return 0
        return 2 if domid in self.boosted else 1

    def end_slice(self) -> None:
        """The running VM gives up the rest of its slice (it parked, halted, ...)."""
        self.slice_left = 0

    def bound(self, time: int) -> int:
        """How far the running VM may go from `time` before the scheduler must look again."""
        return min(self.slice_left, self.next_tick - time, self.next_timer - time)

    # -- paying

    def charge(self, vm: Vm, used: int, *, exact: bool) -> None:
        """`vm` ran for `used` instructions of the clock (hypervisor work for it included)."""
        d = vm.domid
        if d >= len(self.credit):
            self._grow(d + 1)
        self.slice_left -= used
        self.ran[d] += used
        self.used[d] += used
        if exact:
            self.credit[d] -= used
            self.charged[d] += used

    def tick(self, vms: Sequence[Vm], running: Vm | None, *, exact: bool) -> None:
        """The tick at `next_tick`: `running` is the VM the tick found on the CPU (None: idle)."""
        if running is not None:
            self.boosted.discard(running.domid)  # found running: an ordinary UNDER or OVER VM again
        if running is not None and not exact:
            d = running.domid
            if d >= len(self.credit):
                self._grow(d + 1)
            self.credit[d] -= self.quantum  # it pays for the whole tick, whatever else ran in it
            self.charged[d] += self.quantum
        self.ticks += 1
        self.next_tick += self.quantum
        self.resched = True
        if self.ticks % PERIOD_TICKS == 0:
            self._account(vms)

    def _account(self, vms: Sequence[Vm]) -> None:
        """The end of a period: hand out the next one's credit by weight, close the window's period."""
        self._grow(len(vms))
        live = [vm for vm in vms if vm.state is VmState.RUNNING and not vm.destroyed]  # waiting or not
        total = sum(max(1, vm.weight) for vm in live)
        for vm in live:
            part = self.period * max(1, vm.weight) // total
            self.credit[vm.domid] = max(-part, min(part, self.credit[vm.domid] + part))
        self.window.append((self.ran, self.charged))
        self.ran = [0] * len(self.credit)
        self.charged = [0] * len(self.credit)

    # -- timers (SBI TIME set_timer)

    def set_timer(self, domid: int, deadline: int | None) -> None:
        if deadline is None:
            self.timers.pop(domid, None)
        else:
            self.timers[domid] = deadline
        self.next_timer = min(self.timers.values(), default=NO_TIMER)

    def due(self, time: int) -> list[int]:
        """The domids whose timers are due at `time` (their timers are cleared), in domid order."""
        fired = sorted(d for d, t in self.timers.items() if t <= time)
        for d in fired:
            del self.timers[d]
            if d < len(self.credit) and self.credit[d] > 0:
                self.boosted.add(d)
        self.next_timer = min(self.timers.values(), default=NO_TIMER)
        self.resched = True
        return fired

    # -- what the VMs panel shows

    def shares(self, time: int) -> tuple[list[float], list[float]]:
        """Per domid: the part of the clock it ran, and the part it was charged for,
        over the window (the last WINDOW_PERIODS periods and the one under way)."""
        n = len(self.credit)
        ran = list(self.ran) + [0] * (n - len(self.ran))
        charged = list(self.charged) + [0] * (n - len(self.charged))
        for r, c in self.window:
            for d in range(min(n, len(r))):
                ran[d] += r[d]
                charged[d] += c[d]
        period_start = self.next_tick - self.quantum * (1 + self.ticks % PERIOD_TICKS)
        span = len(self.window) * self.period + max(0, time - period_start)
        span = max(span, sum(ran), 1)
        return [r / span for r in ran], [c / span for c in charged]

    # -- snapshots

    def snapshot(self) -> dict[str, Any]:
        return {
            "quantum": self.quantum,
            "current": self.current,
            "slice_left": self.slice_left,
            "resched": self.resched,
            "next_tick": self.next_tick,
            "ticks": self.ticks,
            "credit": list(self.credit),
            "timers": dict(self.timers),
            "ran": list(self.ran),
            "charged": list(self.charged),
            "window": [(list(r), list(c)) for r, c in self.window],
            "used": list(self.used),
            "boosted": sorted(self.boosted),
        }

    def restore(self, state: dict[str, Any]) -> None:
        self.quantum, self.current, self.slice_left = state["quantum"], state["current"], state["slice_left"]
        self.resched, self.next_tick, self.ticks = state["resched"], state["next_tick"], state["ticks"]
        self.credit = list(state["credit"])
        self.timers = dict(state["timers"])
        self.next_timer = min(self.timers.values(), default=NO_TIMER)
        self.ran, self.charged = list(state["ran"]), list(state["charged"])
        self.window = deque(((list(r), list(c)) for r, c in state["window"]), maxlen=WINDOW_PERIODS)
        self.used = list(state["used"])
        self.boosted = set(state["boosted"])
