"""Hypercalls handled inline: `Cpu.run(n, on_ecall=handler)` (see lab/cpu/base.py).

The handler runs the moment an ecall retires, from inside `run`, and may do
anything the hypervisor does on a hypercall: read and write registers and
memory, map and unmap pages, reset the hart. Every core must behave as if it
had stopped at the ecall and been run again afterwards.
"""

from __future__ import annotations

import pytest

from lab.cpu import Cause, Stop
from tests.cpu.rv import PAGE_GPA, RAM_GPA, Asm, Machine

DATA = RAM_GPA + 0x2000


def counting_loop(n: int) -> Asm:
    """n hypercalls (a7 = 0x10), each adding the handler's a1 to s1; then ebreak."""
    p = Asm()
    p.addi("s0", "zero", n)
    p.label("loop")
    p.addi("a7", "zero", 0x10)
    p.ecall()
    p.add("s1", "s1", "a1")
    p.addi("s0", "s0", -1)
    p.bne("s0", "zero", "loop")
    p.ebreak()
    return p


def test_handler_sees_each_call_and_answers_it(machine):
    machine.load(counting_loop(50))
    calls = []

    def on_ecall(pc: int, retired: int) -> bool:
        calls.append((pc, retired, machine.cpu.pc, machine.reg("a7")))
        machine.cpu.set_reg(11, len(calls))
        return True

    r = machine.cpu.run(10_000, on_ecall=on_ecall)
    assert (r.stop, r.retired, machine.cpu.instret) == (Stop.EBREAK, 1 + 5 * 50 + 1, 252)
    assert len(calls) == 50
    assert calls[0] == (RAM_GPA + 8, 3, RAM_GPA + 12, 0x10)  # pc of the ecall, cpu.pc past it
    assert all(c[1] == 3 + 5 * i for i, c in enumerate(calls))
    assert machine.reg("s1") == sum(range(1, 51))


def test_handler_saying_stop_ends_the_run_at_that_ecall(machine):
    machine.load(counting_loop(50))
    seen = []

    def on_ecall(pc: int, retired: int) -> bool:
        seen.append(retired)
        return len(seen) < 3

    r = machine.cpu.run(10_000, on_ecall=on_ecall)
    assert (r.stop, r.retired, r.pc) == (Stop.ECALL, 13, RAM_GPA + 8)
    assert machine.cpu.pc == RAM_GPA + 12 and machine.cpu.instret == 13
    r = machine.cpu.run(4, on_ecall=on_ecall)  # and it runs on from there
    assert (r.stop, r.retired, machine.cpu.instret) == (Stop.BUDGET, 4, 17)


@pytest.mark.parametrize("budget", [3, 8, 13])
def test_budget_ending_on_an_ecall_still_handles_it(machine, budget):
    machine.load(counting_loop(50))
    seen = []
    r = machine.cpu.run(budget, on_ecall=lambda pc, n: seen.append(n) or True)
    assert (r.stop, r.retired, r.pc) == (Stop.BUDGET, budget, machine.cpu.pc)
    assert seen == list(range(3, budget + 1, 5)) and machine.cpu.pc == RAM_GPA + 12


def test_handler_rewriting_code_ahead_is_seen(machine):
    """The hypervisor copies new code over the instruction after the ecall."""
    p = Asm()
    p.addi("a0", "zero", 1)
    p.ecall()
    p.addi("a0", "a0", 1)  # replaced by addi a0, a0, 50
    p.ebreak()
    machine.load(p)
    new = Asm()
    new.addi("a0", "a0", 50)

    def on_ecall(pc: int, retired: int) -> bool:
        machine.mem.write(machine.host(RAM_GPA + 8), new.image())
        return True

    machine.cpu.run(5)  # translate it first: the old code is cached
    machine.cpu.reset(RAM_GPA, RAM_GPA + 0x1000)
    machine.load(p)
    r = machine.cpu.run(100, on_ecall=on_ecall)
    assert r.stop is Stop.EBREAK and machine.reg("a0") == 51


def test_handler_mapping_and_unmapping_pages(machine):
    host = 0x30000
    machine.mem.write(host, (1234).to_bytes(4, "little"))
    p = Asm()
    p.li("s0", PAGE_GPA)
    p.ecall()  # maps the page
    p.lw("a0", 0, "s0")
    p.ecall()  # unmaps it
    p.lw("a1", 0, "s0")
    p.ebreak()
    machine.load(p)
    n = 0

    def on_ecall(pc: int, retired: int) -> bool:
        nonlocal n
        n += 1
        if n == 1:
            machine.bus.map_page(PAGE_GPA, host, writable=True)
        else:
            machine.bus.unmap_page(PAGE_GPA)
        return True

    r = machine.cpu.run(100, on_ecall=on_ecall)
    assert machine.reg("a0") == 1234
    assert r.stop is Stop.FAULT and r.fault is not None
    assert (r.fault.cause, r.fault.pc, r.retired) == (Cause.LOAD_ACCESS, RAM_GPA + 20, 5)


def test_handler_resetting_the_hart_reboots_it(machine):
    """SRST reboot: the handler loads a program and resets the hart; the run
    goes on in the new program, `instret` counts from the reset."""
    p = Asm()
    p.addi("a0", "zero", 5)
    p.ecall()
    p.addi("a0", "zero", 6)
    p.ebreak()
    machine.load(p)
    q = Asm(base=RAM_GPA + 0x100)
    q.addi("a1", "zero", 7)
    q.ebreak()

    def on_ecall(pc: int, retired: int) -> bool:
        machine.load(q, at=RAM_GPA + 0x100)
        machine.cpu.reset(RAM_GPA + 0x100, RAM_GPA + 0x1000)
        return True

    r = machine.cpu.run(100, on_ecall=on_ecall)
    assert (r.stop, r.retired, r.pc) == (Stop.EBREAK, 4, RAM_GPA + 0x104)
    assert machine.cpu.instret == 2
    assert (machine.reg("a0"), machine.reg("a1")) == (0, 7)


def test_handler_exception_leaves_run(machine):
    machine.load(counting_loop(5))

    def on_ecall(pc: int, retired: int) -> bool:
        raise KeyError("boom")

    with pytest.raises(KeyError):
        machine.cpu.run(100, on_ecall=on_ecall)
    # the hart is still usable, resuming after the ecall
    assert machine.cpu.pc == RAM_GPA + 12
    r = machine.cpu.run(100)
    assert r.stop is Stop.ECALL and r.pc == RAM_GPA + 8


def test_handler_on_a_second_machine_sharing_memory(backend):
    """Two harts on one memory: the first one's handler runs the second to
    completion (a hypervisor may step another vCPU from a hypercall)."""
    a, b = Machine(backend), Machine(backend)
    try:
        a.load(counting_loop(3))
        b.load(counting_loop(2))
        inner = []

        def on_ecall(pc: int, retired: int) -> bool:
            inner.append(b.cpu.run(100))
            return True

        r = a.cpu.run(1000, on_ecall=on_ecall)
        assert r.stop is Stop.EBREAK and [s.stop for s in inner] == [Stop.ECALL, Stop.ECALL, Stop.EBREAK]
    finally:
        a.close()
        b.close()
