"""Privilege levels, riscv-tests style, on every core: the Zicsr instructions on each
supervisor CSR, traps from user mode into the guest kernel, sret, and user-mode ecalls.

Each test is a short program with one thing to prove, like the riscv-tests suite's
`rv32si`/`rv32ui` tests; the `machine` fixture runs it on every backend. The layout:

    RAM_GPA          the kernel's entry, in supervisor mode (where a hart starts)
    HANDLER          the kernel's trap handler: stvec points here
    USER             user code, entered with sret
"""

from __future__ import annotations

import pytest

from lab.cpu import Stop
from lab.cpu.base import Cause, Privilege
from lab.riscv.isa import BY_NAME, CSR_BY_NAME, SSTATUS_SIE, SSTATUS_SPIE, SSTATUS_SPP, encode
from tests.cpu.rv import NEVER, RAM_GPA, RAM_SIZE, UART_GPA, Asm, interp_machine

HANDLER = RAM_GPA + 0x400
USER = RAM_GPA + 0x800
HOLE = 0x7000_0000  # nothing mapped
M = 0xFFFFFFFF


def csr_word(name: str, rd: int, csr: str | int, source: int) -> int:
    number = CSR_BY_NAME[csr].number if isinstance(csr, str) else csr
    return encode(BY_NAME[name], rd=rd, rs1=source, imm=number)


def kernel(*, user: Asm | None = None, sstatus: int = 0) -> Asm:
    """Entry: stvec = HANDLER, sepc = USER, sstatus = `sstatus`, then sret to user mode."""
    p = Asm()
    p.li("t0", HANDLER)
    p.csrrw("zero", "stvec", "t0")
    p.li("t0", USER)
    p.csrrw("zero", "sepc", "t0")
    p.li("t0", sstatus)
    p.csrrw("zero", "sstatus", "t0")
    p.sret()
    return p


ENTRY_LENGTH = 10  # instructions `kernel` runs, sret included


def handler_recording() -> Asm:
    """The trap handler: s2..s5 = scause, sepc, stval, sstatus; then ebreak."""
    h = Asm(HANDLER)
    h.csrrs("s2", "scause", "zero")
    h.csrrs("s3", "sepc", "zero")
    h.csrrs("s4", "stval", "zero")
    h.csrrs("s5", "sstatus", "zero")
    h.ebreak()
    return h


def boot(machine, user: Asm, handler: Asm | None = None, sstatus: int = 0) -> None:
    machine.load(kernel(sstatus=sstatus))
    machine.load(handler or handler_recording(), HANDLER)
    machine.load(user, USER)


def trapped(machine) -> tuple[int, int, int, int]:
    return machine.reg("s2"), machine.reg("s3"), machine.reg("s4"), machine.reg("s5")


# ---------------------------------------------------------------- CSRs from supervisor mode


@pytest.mark.parametrize(
    ("csr", "writable"),
    [
        ("sstatus", SSTATUS_SIE | SSTATUS_SPIE | SSTATUS_SPP),
        ("stvec", 0xFFFFFFFC),
        ("sscratch", M),
        ("sepc", 0xFFFFFFFC),
        ("scause", M),
        ("stval", M),
    ],
)
def test_csr_write_set_clear_and_writable_bits(machine, csr, writable):
    """csrrw returns the old value and writes; csrrs and csrrc set and clear; a write
    keeps only the CSR's writable bits (the rest read as zero)."""
    p = Asm()
    p.li("a0", 0xFFFFFFFF)
    p.csrrw("s1", csr, "a0")  # s1 = old (0); csr = all ones, masked
    p.csrrs("s2", csr, "zero")  # s2 = what it holds now
    p.li("a1", 0x0F0F0F0F)
    p.csrrc("s3", csr, "a1")  # s3 = before the clear
    p.csrrs("s4", csr, "zero")
    p.li("a2", 0x00000F00)
    p.csrrs("zero", csr, "a2")  # csrs: rd zero
    p.csrrs("s5", csr, "zero")
    p.csrrw("s6", csr, "zero")  # write 0, old to s6
    p.csrrs("s7", csr, "zero")
    p.ebreak()
    machine.load(p)
    r = machine.cpu.run(100)
    assert r.stop is Stop.EBREAK and r.retired == 15
    full = writable
    assert machine.reg("s1") == 0
    assert machine.reg("s2") == full
    assert machine.reg("s3") == full
    assert machine.reg("s4") == full & ~0x0F0F0F0F
    assert machine.reg("s5") == (full & ~0x0F0F0F0F | 0x00000F00) & writable
    assert machine.reg("s6") == machine.reg("s5")
    assert machine.reg("s7") == 0
    assert machine.cpu.mode is Privilege.SUPERVISOR


def test_csr_immediate_forms(machine):
    p = Asm()
    p.csrrwi("s1", "sscratch", 21)  # old 0; sscratch = 21
    p.csrrsi("s2", "sscratch", 10)  # old 21; sscratch = 31
    p.csrrci("s3", "sscratch", 5)  # old 31; sscratch = 26
    p.csrrsi("s4", "sscratch", 0)  # uimm 0: a read, no write
    p.csrrci("s5", "sscratch", 0)
    p.csrrs("s6", "sscratch", "zero")
    p.ebreak()
    machine.load(p)
    assert machine.cpu.run(100).stop is Stop.EBREAK
    assert [machine.reg(r) for r in ("s1", "s2", "s3", "s4", "s5", "s6")] == [0, 21, 31, 26, 26, 26]


def test_csrrw_reads_the_register_before_writing_it(machine):
    """rd and rs1 the same register: the CSR gets the register's old value."""
    p = Asm()
    p.li("a0", 0x1234)
    p.csrrw("zero", "sscratch", "a0")
    p.li("a0", 0x5678)
    p.csrrw("a0", "sscratch", "a0")
    p.csrrs("a1", "sscratch", "zero")
    p.ebreak()
    machine.load(p)
    machine.cpu.run(100)
    assert (machine.reg("a0"), machine.reg("a1")) == (0x1234, 0x5678)


def test_writes_to_x0_are_dropped(machine):
    p = Asm()
    p.li("a0", 7)
    p.csrrw("zero", "sscratch", "a0")
    p.csrrs("zero", "sscratch", "zero")
    p.ebreak()
    machine.load(p)
    machine.cpu.run(100)
    assert machine.reg("zero") == 0 and machine.cpu.priv.sscratch == 7


@pytest.mark.parametrize("number", [0x000, 0x001, 0x003, 0x104, 0x180, 0x300, 0x341, 0x7C0, 0xC00, 0xFFF])
def test_a_csr_this_machine_lacks_is_an_illegal_instruction(machine, number):
    """Faults in supervisor mode, having changed nothing (the VM stops)."""
    word = csr_word("csrrw", 10, number, 11)
    p = Asm()
    p.li("a0", 0x55)
    p.li("a1", 0x66)
    p.word(word)
    p.ebreak()
    machine.load(p)
    r = machine.cpu.run(100)
    assert r.stop is Stop.FAULT and r.retired == 4
    assert (r.fault.cause, r.fault.pc, r.fault.tval) == (Cause.ILLEGAL_INSTRUCTION, RAM_GPA + 16, word)
    assert machine.reg("a0") == 0x55 and machine.cpu.pc == RAM_GPA + 16


# ---------------------------------------------------------------- sret


def test_sret_enters_user_mode_at_sepc_and_updates_sstatus(machine):
    u = Asm(USER)
    u.addi("a0", "zero", 1)
    u.ebreak()
    boot(machine, u, sstatus=SSTATUS_SPIE)  # SPP = user, SPIE = 1, SIE = 0
    r = machine.cpu.run(100)
    assert (r.stop, r.pc, r.retired) == (Stop.EBREAK, USER + 4, ENTRY_LENGTH + 2)
    assert machine.cpu.mode is Privilege.USER and machine.reg("a0") == 1
    # SIE = SPIE (1), SPIE = 1, SPP = user
    assert machine.cpu.priv.sstatus == SSTATUS_SIE | SSTATUS_SPIE


def test_sret_to_supervisor_mode_when_spp_says_so(machine):
    u = Asm(USER)
    u.csrrs("a0", "sstatus", "zero")  # legal: we are still the kernel
    u.ebreak()
    boot(machine, u, sstatus=SSTATUS_SPP)
    r = machine.cpu.run(100)
    assert r.stop is Stop.EBREAK and machine.cpu.mode is Privilege.SUPERVISOR
    assert machine.reg("a0") == SSTATUS_SPIE  # SPP cleared, SPIE set, SIE = old SPIE (0)


# ---------------------------------------------------------------- traps from user mode


def test_csr_access_from_user_mode_traps_to_the_kernel(machine):
    u = Asm(USER)
    u.addi("a0", "zero", 5)
    u.csrrw("a1", "sscratch", "a0")  # illegal in user mode
    u.ebreak()
    boot(machine, u, sstatus=SSTATUS_SPIE)
    r = machine.cpu.run(100)
    word = csr_word("csrrw", 11, "sscratch", 10)
    assert r.stop is Stop.EBREAK and r.pc == HANDLER + 16
    # entry, addi, the trap (counted as the instruction), the handler's four reads and ebreak
    assert r.retired == ENTRY_LENGTH + 1 + 1 + 4 + 1
    scause, sepc, stval, sstatus = trapped(machine)
    assert (scause, sepc, stval) == (Cause.ILLEGAL_INSTRUCTION, USER + 4, word)
    # SPP = user (0), SPIE = SIE at the trap (1, set by sret), SIE = 0
    assert sstatus == SSTATUS_SPIE
    assert machine.cpu.mode is Privilege.SUPERVISOR
    assert machine.reg("a1") == 0 and machine.cpu.priv.sscratch == 0  # nothing changed


@pytest.mark.parametrize(
    ("name", "word"),
    [
        ("sret", BY_NAME["sret"].word),
        ("wfi", BY_NAME["wfi"].word),
        ("csrr from an unknown CSR", csr_word("csrrs", 10, 0x300, 0)),
        ("a word no table has", 0xFFFFFFFF),
    ],
)
def test_illegal_instructions_in_user_mode_trap_to_the_kernel(machine, name, word):
    u = Asm(USER)
    u.word(word)
    u.ebreak()
    boot(machine, u)
    r = machine.cpu.run(100)
    assert r.stop is Stop.EBREAK, name
    assert trapped(machine)[:3] == (Cause.ILLEGAL_INSTRUCTION, USER, word)


@pytest.mark.parametrize(
    ("access", "base", "offset", "cause"),
    [
        ("lw", RAM_GPA + 0x1000, 2, Cause.LOAD_MISALIGNED),
        ("lh", RAM_GPA + 0x1000, 1, Cause.LOAD_MISALIGNED),
        ("sw", RAM_GPA + 0x1000, 1, Cause.STORE_MISALIGNED),
        ("sh", RAM_GPA + 0x1000, 3, Cause.STORE_MISALIGNED),
        ("lw", HOLE, 0, Cause.LOAD_ACCESS),
        ("sb", HOLE, 0, Cause.STORE_ACCESS),
    ],
)
def test_bad_accesses_in_user_mode_trap_with_the_address(machine, access, base, offset, cause):
    u = Asm(USER)
    u.li("t1", base)
    if access.startswith("l"):
        getattr(u, access)("a0", offset, "t1")
    else:
        getattr(u, access)("t1", offset, "t1")
    u.ebreak()
    boot(machine, u)
    before = machine.mem.read(machine.host(RAM_GPA + 0x1000), 8)
    r = machine.cpu.run(100)
    assert r.stop is Stop.EBREAK and machine.cpu.mode is Privilege.SUPERVISOR
    assert trapped(machine)[:3] == (cause, USER + 8, base + offset)
    assert machine.mem.read(machine.host(RAM_GPA + 0x1000), 8) == before
    assert machine.reg("a0") == 0


def test_a_misaligned_jump_in_user_mode_traps_on_the_jump(machine):
    u = Asm(USER)
    u.li("t1", USER + 0x42)
    u.jalr("ra", 0, "t1")  # target & 2: instruction address misaligned
    boot(machine, u)
    r = machine.cpu.run(100)
    assert r.stop is Stop.EBREAK
    assert trapped(machine)[:3] == (Cause.FETCH_MISALIGNED, USER + 8, USER + 0x42)
    assert machine.reg("ra") == 0


def test_a_fetch_from_nowhere_in_user_mode_traps(machine):
    u = Asm(USER)
    u.li("t1", HOLE)
    u.jalr("zero", 0, "t1")
    boot(machine, u)
    r = machine.cpu.run(100)
    assert r.stop is Stop.EBREAK
    assert trapped(machine)[:3] == (Cause.FETCH_ACCESS, HOLE, HOLE)


def test_user_mode_can_use_the_uart(machine):
    """No page tables on this machine: user code reaches the whole VM (lab.cpu.priv)."""
    u = Asm(USER)
    u.li("t1", UART_GPA)
    u.addi("a0", "zero", ord("u"))
    u.sb("a0", 0, "t1")
    u.ebreak()
    boot(machine, u)
    assert machine.cpu.run(100).stop is Stop.EBREAK
    assert machine.uart.out == b"u" and machine.cpu.mode is Privilege.USER


def test_ebreak_in_user_mode_stops_for_the_debugger(machine):
    u = Asm(USER)
    u.ebreak()
    boot(machine, u)
    r = machine.cpu.run(100)
    assert (r.stop, r.pc) == (Stop.EBREAK, USER) and machine.cpu.mode is Privilege.USER


def test_a_trap_counts_as_one_instruction_and_can_end_the_budget(machine):
    u = Asm(USER)
    u.word(0xFFFFFFFF)
    boot(machine, u)
    r = machine.cpu.run(ENTRY_LENGTH + 1)  # the budget ends with the trap
    assert (r.stop, r.retired, r.pc) == (Stop.BUDGET, ENTRY_LENGTH + 1, HANDLER)
    assert machine.cpu.mode is Privilege.SUPERVISOR and machine.cpu.priv.scause == 2
    assert machine.cpu.instret == ENTRY_LENGTH + 1


def test_a_trap_with_stvec_nowhere_faults_the_vm_in_supervisor_mode(machine):
    """The kernel's own mistake: the fetch at stvec fails in supervisor mode."""
    p = Asm()
    p.li("t0", HOLE)
    p.csrrw("zero", "stvec", "t0")
    p.li("t0", USER)
    p.csrrw("zero", "sepc", "t0")
    p.sret()
    machine.load(p)
    u = Asm(USER)
    u.word(0xFFFFFFFF)
    machine.load(u, USER)
    r = machine.cpu.run(100)
    assert r.stop is Stop.FAULT and (r.fault.cause, r.fault.pc) == (Cause.FETCH_ACCESS, HOLE)
    assert machine.cpu.mode is Privilege.SUPERVISOR and machine.cpu.priv.sepc == USER


# ---------------------------------------------------------------- ecall from user mode


def test_a_user_ecall_stops_the_run_with_the_callers_level(machine):
    u = Asm(USER)
    u.ecall()
    u.ebreak()
    boot(machine, u)
    r = machine.cpu.run(100)
    assert (r.stop, r.pc, r.retired) == (Stop.ECALL, USER, ENTRY_LENGTH + 1)
    assert machine.cpu.mode is Privilege.USER and machine.cpu.pc == USER + 4


def test_the_hypervisor_reflects_a_user_ecall_into_the_kernel(machine):
    """redirect_trap from inside the handler: the core goes on at stvec."""
    u = Asm(USER)
    u.addi("a7", "zero", 64)
    u.ecall()
    u.ebreak()
    boot(machine, u, sstatus=SSTATUS_SPIE)
    calls = []

    def on_ecall(pc: int, retired: int) -> bool:
        calls.append((pc, retired, machine.cpu.mode))
        machine.cpu.redirect_trap(Cause.USER_ECALL, pc)
        return True

    r = machine.cpu.run(100, on_ecall=on_ecall)
    assert calls == [(USER + 4, ENTRY_LENGTH + 2, Privilege.USER)]
    assert (r.stop, r.pc) == (Stop.EBREAK, HANDLER + 16)
    assert trapped(machine) == (Cause.USER_ECALL, USER + 4, 0, SSTATUS_SPIE)


def test_a_kernel_serves_system_calls_in_a_hot_loop():
    """User code making system calls in a loop, on the interp core with and
    without translation: the ecall is handed over from inside a compiled block,
    reflected into the kernel, whose handler advances sepc and srets."""
    u = Asm(USER)
    u.addi("s0", "zero", 200)
    u.label("loop")
    u.addi("a7", "zero", 64)
    u.addi("a0", "s0", 0)
    u.ecall()
    u.add("s1", "s1", "a0")
    u.addi("s0", "s0", -1)
    u.bne("s0", "zero", "loop")
    u.ebreak()
    h = Asm(HANDLER)  # a0 += 1; sepc += 4; back to user mode
    h.addi("a0", "a0", 1)
    h.csrrs("t0", "sepc", "zero")
    h.addi("t0", "t0", 4)
    h.csrrw("zero", "sepc", "t0")
    h.sret()
    results = []
    for hot in (2, NEVER):
        m = interp_machine(hot)
        m.load(kernel())
        m.load(h, HANDLER)
        m.load(u, USER)

        def on_ecall(pc: int, retired: int, m=m) -> bool:
            m.cpu.redirect_trap(Cause.USER_ECALL, pc)
            return True

        r = m.cpu.run(100_000, on_ecall=on_ecall)
        results.append((r, m.cpu.regs(), m.cpu.priv.snapshot(), m.cpu.instret))
        assert r.stop is Stop.EBREAK and m.cpu.mode is Privilege.USER
        assert m.reg("s1") == sum(n + 1 for n in range(1, 201))  # the kernel answered s0 + 1 each time
        m.close()
    assert results[0] == results[1]


def test_reset_and_snapshot_carry_the_level_and_csrs(machine):
    u = Asm(USER)
    u.ecall()
    boot(machine, u)
    machine.cpu.run(100)
    snap = machine.cpu.snapshot()
    assert snap["priv"]["mode"] == Privilege.USER and snap["priv"]["stvec"] == HANDLER
    machine.cpu.reset(RAM_GPA, RAM_GPA + RAM_SIZE)
    assert machine.cpu.mode is Privilege.SUPERVISOR and machine.cpu.priv.snapshot()["stvec"] == 0
    machine.cpu.restore(snap)
    assert machine.cpu.snapshot() == snap
