"""Privilege levels inside a guest: user and supervisor mode, the supervisor CSRs, traps and sret.

    state = PrivilegeState()              # a hart starts in supervisor mode, every CSR 0
    old = state.csr(funct3, number, rs1, x[rs1])     # a Zicsr instruction; None: illegal
    pc = state.trap(Cause.USER_ECALL, epc, tval)      # into the guest kernel: the new pc
    pc = state.sret()                     # back where the trap came from; None: illegal

Both cores keep one of these per hart and run every CSR instruction, `sret`
and trap through it, so the rules are written once (the privileged spec,
chapter "Supervisor-Level ISA", as the hypervisor extension's VS and VU
levels see it):

    * A CSR exists if `lab.riscv.isa.CSRS` lists it; bits 9:8 of its number
      are the lowest level that may touch it (1: supervisor). Anything else,
      an unknown CSR or user mode touching a supervisor one, is an illegal
      instruction.
    * csrrw writes the operand; csrrs and csrrc set and clear its bits, and
      write nothing when the operand is x0 (or the immediate 0), so they can
      read a CSR that a write would not be allowed to change. A write keeps
      only the CSR's writable bits (the rest read as zero).
    * A trap into the guest kernel: sepc = the trapping instruction, scause,
      stval, sstatus.SPP = the level it came from, SPIE = SIE, SIE = 0,
      supervisor mode, pc = stvec (direct mode: stvec's bits 1:0 are 0).
    * sret, in supervisor mode: the level becomes SPP, SIE = SPIE, SPIE = 1,
      SPP = user, pc = sepc. In user mode it is an illegal instruction.

What this machine leaves out: interrupts (SIE and SPIE are kept but nothing
interrupts a guest), page tables (satp does not exist, so user mode can reach
all of the VM's memory: only the level, not the address space, is checked)
and the machine level, which is the hypervisor's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from lab.cpu.base import Cause, Privilege
from lab.riscv.isa import CSR_BY_NAME, CSR_BY_NUMBER, SSTATUS_SIE, SSTATUS_SPIE, SSTATUS_SPP, M

# funct3 & 3 of a Zicsr instruction (bit 2 only says the operand is an immediate).
CSR_WRITE: Final = 1
CSR_SET: Final = 2
CSR_CLEAR: Final = 3
_NAMES: Final = {number: csr.name for number, csr in CSR_BY_NUMBER.items()}
_WRITABLE: Final = {number: csr.writable for number, csr in CSR_BY_NUMBER.items()}
_SEPC_BITS: Final = CSR_BY_NAME["sepc"].writable


@dataclass(slots=True)
class PrivilegeState:
    """A hart's level and supervisor CSRs (one field per CSR, named as in `lab.riscv.isa.CSRS`)."""

    mode: Privilege = Privilege.SUPERVISOR
    sstatus: int = 0
    stvec: int = 0
    sscratch: int = 0
    sepc: int = 0
    scause: int = 0
    stval: int = 0

    def csr(self, funct3: int, number: int, rs1: int, value: int) -> int | None:
        """Run the Zicsr instruction `funct3` on CSR `number`. `rs1` is the
        instruction's rs1 field: a register, whose value is `value`, or for
        csrrwi, csrrsi and csrrci the immediate itself. Returns the CSR's old
        value, for rd, or None for an illegal instruction (then nothing changed)."""
        name = _NAMES.get(number)
        if name is None or self.mode < (number >> 8 & 3):
            return None
        old: int = getattr(self, name)
        operand = rs1 if funct3 & 4 else value
        op = funct3 & 3
        if op == CSR_WRITE:
            new = operand
        elif rs1 == 0:  # csrrs/csrrc with x0 (or the immediate 0) write nothing
            return old
        elif op == CSR_SET:
            new = old | operand
        else:
            new = old & ~operand
        setattr(self, name, new & _WRITABLE[number])
        return old

    def trap(self, cause: Cause | int, epc: int, tval: int = 0) -> int:
        """Take an exception into supervisor mode; returns the pc to go on at."""
        status = self.sstatus & ~(SSTATUS_SPP | SSTATUS_SPIE | SSTATUS_SIE)
        if self.mode is Privilege.SUPERVISOR:
            status |= SSTATUS_SPP
        if self.sstatus & SSTATUS_SIE:
            status |= SSTATUS_SPIE
        self.sstatus = status
        self.sepc = epc & _SEPC_BITS
        self.scause = cause & M
        self.stval = tval & M
        self.mode = Privilege.SUPERVISOR
        return self.stvec

    def sret(self) -> int | None:
        """Return from a trap: the pc to go on at, or None (illegal in user mode)."""
        if self.mode is not Privilege.SUPERVISOR:
            return None
        status = self.sstatus
        self.mode = Privilege.SUPERVISOR if status & SSTATUS_SPP else Privilege.USER
        status = (status & ~(SSTATUS_SPP | SSTATUS_SIE)) | SSTATUS_SPIE
        if self.sstatus & SSTATUS_SPIE:
            status |= SSTATUS_SIE
        self.sstatus = status
        return self.sepc

    def reset(self) -> None:
        """As a hart starts: supervisor mode, every CSR 0."""
        self.restore({})

    def snapshot(self) -> dict[str, Any]:
        """The level and the CSRs as plain data."""
        return {"mode": int(self.mode), **{name: getattr(self, name) for name in _NAMES.values()}}

    def restore(self, state: dict[str, Any]) -> None:
        self.mode = Privilege(state.get("mode", Privilege.SUPERVISOR))
        for number, name in _NAMES.items():
            setattr(self, name, state.get(name, 0) & _WRITABLE[number])


def csr_name(number: int) -> str | None:
    """The name of CSR `number` if this machine has it."""
    return _NAMES.get(number)
