"""Deterministic weighted round-robin over the runnable vCPUs.

Each VM in turn (domid order) gets a slice of `quantum * weight`
instructions; a VM that parks in `wfi`, halts, faults or is paused gives up
the rest of its slice. Time is instructions retired, never wall time, so the
same scenario and inputs produce the same schedule on any backend and any
machine. The position in the rotation (whose turn, how much of the slice is
left) survives between `Hypervisor.run` calls, so running 10 x 1000
instructions is the same as running 10 000 at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from lab.hv.vm import Vm

DEFAULT_QUANTUM: Final = 10_000  # instructions per unit of weight


class Scheduler:
    def __init__(self, quantum: int = DEFAULT_QUANTUM) -> None:
        if quantum <= 0:
            raise ValueError("the quantum must be positive")
        self.quantum = quantum
        self.turn = 0  # index into the VM list of whose turn it is
        self.credit = 0  # instructions left in that VM's slice (0: start a new one)

    def pick(self, vms: Sequence[Vm]) -> Vm | None:
        """The VM that runs next, with `credit` set to what it may still run,
        or None when no VM is runnable."""
        n = len(vms)
        for _ in range(n + 1):
            if self.turn >= n:
                self.turn, self.credit = 0, 0
            vm = vms[self.turn]
            if vm.runnable:
                if self.credit <= 0:
                    self.credit = self.quantum * max(1, vm.weight)
                return vm
            self.next()
        return None

    def charge(self, retired: int) -> None:
        self.credit -= retired
        if self.credit <= 0:
            self.next()

    def next(self) -> None:
        """End the current slice: the next VM's turn."""
        self.turn += 1
        self.credit = 0

    def snapshot(self) -> dict[str, int]:
        return {"quantum": self.quantum, "turn": self.turn, "credit": self.credit}

    def restore(self, state: dict[str, int]) -> None:
        self.quantum, self.turn, self.credit = state["quantum"], state["turn"], state["credit"]
