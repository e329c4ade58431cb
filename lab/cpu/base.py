"""The Cpu protocol: what the hypervisor asks of a RISC-V hart, whatever runs it.

A core executes guest code from a `Bus` until something needs the hypervisor:

    result = cpu.run(max_instructions)

`run` returns a `RunResult` saying why it stopped. The rules, identical on
every backend (the differential tests hold the cores to them):

    * BUDGET: `max_instructions` retired; `pc` is the next instruction.
    * ECALL, WFI: the instruction retired (it counts), `cpu.pc` is already past
      it and `result.pc` is its address. The hypervisor handles the call, writes
      a0/a1, and simply runs on.
    * EBREAK: likewise retired and stepped over, so the debugger resumes after it.
    * FAULT: the faulting instruction did not retire and changed nothing;
      `cpu.pc` and `result.pc` are its address; `result.fault` says what and
      where (RISC-V exception cause and tval).

`retired` counts the instructions this call retired; `cpu.instret` the total.
x0 reads as zero whatever is written to it.

Privilege levels. A hart runs in supervisor mode (the guest kernel's level,
the hypervisor extension's VS) or user mode (VU), `cpu.mode`; it starts in
supervisor mode. Supervisor mode behaves as above: an exception stops the
run with FAULT (the hypervisor stops the VM). In user mode the core takes
exceptions to the guest kernel itself, as a hypervisor that delegates them
would have the hardware do (hedeleg): an illegal instruction (a CSR or `sret`
used from user mode, `wfi`, an unknown word), a misaligned or unmapped access
or fetch set `sepc` to the instruction, `scause` and `stval` to the cause and
bad value, switch to supervisor mode and go on at `stvec`
(`lab.cpu.priv.PrivilegeState.trap`). Such a trap counts as one instruction
retired, the trapping one, so the clock always moves. A user-mode `ecall` is
handed to the hypervisor like any ecall (it counts, as every ecall does):
the hypervisor reads `cpu.mode` and either serves it or passes it on to the
guest kernel with `cpu.redirect_trap(Cause.USER_ECALL, pc)`, as KVM
reflects a trap into its guest. `ebreak` stops for the debugger in either mode.

Hypercalls inline: `run(n, on_ecall=handler)` hands every ecall to
`handler(pc, retired)` the moment it retires, without leaving `run` (a round
trip out of the core and back costs more than most hypercalls). `pc` is the
ecall's address, `cpu.pc` is already past it, and `retired` counts this call's
instructions so far, the ecall included. The handler reads and writes
registers and memory as the hypervisor does after an ECALL stop; it returns
True to let the core run on, False to stop: `run` then returns the ECALL stop
it would have returned without a handler (the call already handled). With a
handler, `run` never returns ECALL unless the handler said False.
`cpu.instret` is brought up to date when `run` returns.

Registers for the hypervisor's hot path: a core that keeps its registers in a
Python list may offer it as `reg_file` (x0..x31, unsigned; reading and writing
it is reading and writing the registers; x0 must stay 0). `register_file(cpu)`
gives that list, or for a core without one a view that reads and writes
through `get_reg`/`set_reg`, so a caller indexes registers the same way on
every core.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum, IntEnum
from typing import TYPE_CHECKING, Any, Protocol

from lab.cpu.bus import Bus
from lab.trace_messages import FAULT

if TYPE_CHECKING:
    from lab.cpu.priv import PrivilegeState


class Stop(Enum):
    """Why `Cpu.run` returned."""

    BUDGET = "budget"
    ECALL = "ecall"
    EBREAK = "ebreak"
    WFI = "wfi"
    FAULT = "fault"


class Privilege(IntEnum):
    """The level a hart runs at, encoded as the privileged spec does (sstatus.SPP, mstatus.MPP)."""

    USER = 0
    SUPERVISOR = 1

    @property
    def label(self) -> str:
        return self.name.lower()


class Cause(IntEnum):
    """RISC-V exception codes (privileged spec, table "scause values")."""

    FETCH_MISALIGNED = 0
    FETCH_ACCESS = 1
    ILLEGAL_INSTRUCTION = 2
    BREAKPOINT = 3
    LOAD_MISALIGNED = 4
    LOAD_ACCESS = 5
    STORE_MISALIGNED = 6
    STORE_ACCESS = 7
    USER_ECALL = 8
    SUPERVISOR_ECALL = 9

    @property
    def label(self) -> str:
        """The spec's name for the exception."""
        return _CAUSE_LABELS[self]


_CAUSE_LABELS = {
    Cause.FETCH_MISALIGNED: "instruction address misaligned",
    Cause.FETCH_ACCESS: "instruction access fault",
    Cause.ILLEGAL_INSTRUCTION: "illegal instruction",
    Cause.LOAD_MISALIGNED: "load address misaligned",
    Cause.LOAD_ACCESS: "load access fault",
    Cause.STORE_MISALIGNED: "store address misaligned",
    Cause.STORE_ACCESS: "store access fault",
    Cause.BREAKPOINT: "breakpoint",
    Cause.USER_ECALL: "environment call from U-mode",
    Cause.SUPERVISOR_ECALL: "environment call from S-mode",
}


@dataclass(frozen=True, slots=True)
class Fault:
    """A guest exception that stops the VM: cause, where, and the bad value
    (the address for access faults, the instruction word for illegal ones)."""

    cause: Cause
    pc: int
    tval: int

    def describe(self) -> str:
        what = "instruction" if self.cause is Cause.ILLEGAL_INSTRUCTION else "address"
        return FAULT(cause=self.cause.label, pc=self.pc, what=what, tval=self.tval)


@dataclass(frozen=True, slots=True)
class RunResult:
    stop: Stop
    retired: int
    pc: int  # address of the instruction that caused the stop (next one for BUDGET)
    fault: Fault | None = None


EcallHandler = Callable[[int, int], bool]
"""on_ecall(pc of the ecall, instructions retired in this run so far) -> keep running?"""


class Cpu(Protocol):
    """One RV32IM hart. See the module docstring for the stop rules."""

    backend: str  # "interp" or "unicorn"
    bus: Bus
    instret: int

    @property
    def pc(self) -> int: ...

    @pc.setter
    def pc(self, value: int) -> None: ...

    def get_reg(self, index: int) -> int:
        """x[index] as an unsigned 32-bit value."""
        ...

    def set_reg(self, index: int, value: int) -> None:
        """Write x[index] (masked to 32 bits; writes to x0 are ignored)."""
        ...

    def regs(self) -> list[int]:
        """All 32 registers, x0 first, unsigned."""
        ...

    priv: PrivilegeState  # the level and the supervisor CSRs; never replaced, so a caller may hold it

    @property
    def mode(self) -> Privilege:
        """The level the hart runs at (`priv.mode`); in `on_ecall`, the level of the ecall's caller."""
        ...

    def redirect_trap(self, cause: Cause, epc: int, tval: int = 0) -> None:
        """Take an exception into the guest kernel as the hart takes one (`lab.cpu.priv`):
        sepc = epc, scause, stval, sstatus, supervisor mode, pc = stvec. From inside
        `on_ecall` too: the core goes on at stvec."""
        ...

    def run(self, max_instructions: int, *, on_ecall: EcallHandler | None = None) -> RunResult: ...

    def reset(self, pc: int, sp: int) -> None:
        """Zero the registers, CSRs and counters, set pc and sp, supervisor mode, drop translations."""
        ...

    def close(self) -> None:
        """Release the backend (unhook from the bus and memory)."""
        ...


class RegisterView:
    """x0..x31 of a core that keeps no register list, indexed like one (see `register_file`)."""

    __slots__ = ("_cpu",)

    def __init__(self, cpu: Cpu) -> None:
        self._cpu = cpu

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return [self._cpu.get_reg(i) for i in range(32)[index]]
        return self._cpu.get_reg(index)

    def __setitem__(self, index: int, value: int) -> None:
        self._cpu.set_reg(index, value)

    def __len__(self) -> int:
        return 32


def register_file(cpu: Cpu) -> list[int] | RegisterView:
    """The core's own register list if it offers one (`reg_file`), else a view."""
    regs = getattr(cpu, "reg_file", None)
    return regs if regs is not None else RegisterView(cpu)


def run_handling_ecalls(
    run: Callable[[int], RunResult], max_instructions: int, on_ecall: EcallHandler, pc: Callable[[], int]
) -> RunResult:
    """`Cpu.run` with a handler, for a core that stops at every ecall: call the
    core's own `run` again after each handled ecall until the budget is spent,
    the handler says stop, or something else stops the core. `pc` reads the
    core's pc (for the BUDGET result after a handled ecall ends the budget)."""
    done = 0
    while True:
        r = run(max_instructions - done)
        done += r.retired
        if r.stop is not Stop.ECALL:
            return r if done == r.retired else RunResult(r.stop, done, r.pc, r.fault)
        if not on_ecall(r.pc, done):
            return RunResult(Stop.ECALL, done, r.pc)
        if done >= max_instructions:
            return RunResult(Stop.BUDGET, done, pc())
