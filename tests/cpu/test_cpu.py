"""Behaviour of an RV32IM hart, the same on every backend (see lab/cpu/base.py).

Each test builds a small program with `tests.cpu.rv.Asm`, runs it on the
`machine` fixture (once per backend) and checks what a guest or the
hypervisor would observe: registers, memory, the stop reason, the counts.
"""

from __future__ import annotations

import pytest

from lab.cpu import Cause, Stop
from tests.cpu.rv import PAGE_GPA, RAM_GPA, RAM_SIZE, UART_GPA, Asm, Machine

DATA = RAM_GPA + 0x2000  # a data page, away from the code
M = 0xFFFFFFFF


def run(m: Machine, p: Asm, budget: int = 100_000):
    m.load(p)
    m.cpu.pc = RAM_GPA
    return m.cpu.run(budget)


# ---------------------------------------------------------------- ALU

INT_MIN = 0x80000000
ALU_CASES = [
    ("add", 5, 7, 12),
    ("add", M, 1, 0),
    ("sub", 5, 7, (5 - 7) & M),
    ("sub", INT_MIN, 1, 0x7FFFFFFF),
    ("sll", 1, 31, INT_MIN),
    ("sll", 3, 33, 6),  # only the low five bits of rs2 count
    ("slt", M, 0, 1),  # -1 < 0 signed
    ("slt", 0, M, 0),
    ("sltu", M, 0, 0),
    ("sltu", 0, M, 1),
    ("xor", 0xF0F0F0F0, 0xFF00FF00, 0x0FF00FF0),
    ("or", 0xF0F0F0F0, 0x0F, 0xF0F0F0FF),
    ("and", 0xF0F0F0F0, 0xFF, 0xF0),
    ("srl", INT_MIN, 31, 1),
    ("srl", INT_MIN, 32, INT_MIN),
    ("sra", INT_MIN, 31, M),
    ("sra", 0x40000000, 30, 1),
    ("mul", 0x10000, 0x10000, 0),
    ("mul", M, M, 1),
    ("mulh", M, M, 0),  # -1 * -1 = 1: high word 0
    ("mulh", INT_MIN, INT_MIN, 0x40000000),
    ("mulh", INT_MIN, 1, M),
    ("mulhsu", M, M, M),  # -1 * (2^32-1): high word -1
    ("mulhsu", 1, M, 0),
    ("mulhu", M, M, 0xFFFFFFFE),
    ("div", 7, 2, 3),
    ("div", (-7) & M, 2, (-3) & M),  # rounds toward zero
    ("div", 7, 0, M),  # by zero: -1
    ("div", INT_MIN, M, INT_MIN),  # overflow
    ("divu", 7, 0, M),
    ("divu", M, 2, 0x7FFFFFFF),
    ("rem", (-7) & M, 2, M),  # sign of the dividend
    ("rem", 7, (-2) & M, 1),
    ("rem", 7, 0, 7),
    ("rem", INT_MIN, M, 0),
    ("remu", 7, 0, 7),
    ("remu", M, 10, 5),
]


@pytest.mark.parametrize(("name", "a", "b", "expected"), ALU_CASES)
def test_register_alu(machine, name, a, b, expected):
    p = Asm()
    p.li("a0", a)
    p.li("a1", b)
    getattr(p, name)("a2", "a0", "a1")
    p.ebreak()
    assert run(machine, p).stop is Stop.EBREAK
    assert machine.reg("a2") == expected
    assert (machine.reg("a0"), machine.reg("a1")) == (a, b)


IMM_CASES = [
    ("addi", 5, -6, M),
    ("addi", M, 1, 0),
    ("slti", (-5) & M, -4, 1),
    ("slti", 5, -4, 0),
    ("sltiu", 5, -1, 1),  # the immediate is sign-extended, then compared unsigned
    ("xori", 0x12345678, -1, ~0x12345678 & M),
    ("ori", 0x100, 0x0F, 0x10F),
    ("andi", 0xFFFF, -16, 0xFFF0),
    ("slli", 3, 30, 0xC0000000),
    ("srli", INT_MIN, 4, 0x08000000),
    ("srai", INT_MIN, 4, 0xF8000000),
]


@pytest.mark.parametrize(("name", "a", "imm", "expected"), IMM_CASES)
def test_immediate_alu(machine, name, a, imm, expected):
    p = Asm()
    p.li("a0", a)
    getattr(p, name)("a2", "a0", imm)
    p.ebreak()
    run(machine, p)
    assert machine.reg("a2") == expected


def test_lui_and_auipc(machine):
    p = Asm()
    p.lui("a0", 0xFFFFF)
    p.auipc("a1", 0)
    p.auipc("a2", 0x1)
    p.ebreak()
    run(machine, p)
    assert machine.reg("a0") == 0xFFFFF000
    assert machine.reg("a1") == RAM_GPA + 4
    assert machine.reg("a2") == RAM_GPA + 8 + 0x1000


def test_x0_stays_zero(machine):
    machine.write32(DATA, 0xDEADBEEF)
    p = Asm()
    p.addi("zero", "zero", 5)
    p.lui("zero", 0x12345)
    p.li("a0", DATA)
    p.lw("zero", 0, "a0")
    p.jal("zero", 4)
    p.add("a1", "zero", "zero")
    p.ebreak()
    assert run(machine, p).stop is Stop.EBREAK
    machine.cpu.set_reg(0, 99)
    assert machine.cpu.get_reg(0) == 0
    assert machine.cpu.regs()[0] == 0
    assert machine.reg("a1") == 0


# ---------------------------------------------------------------- memory


@pytest.mark.parametrize(
    ("name", "offset", "expected"),
    [
        ("lb", 0, 0xFFFFFF80),
        ("lbu", 0, 0x80),
        ("lb", 1, 0x7F),
        ("lh", 0, 0x7F80),
        ("lhu", 0, 0x7F80),
        ("lh", 2, 0xFFFF8001),
        ("lhu", 2, 0x8001),
        ("lw", 0, 0x80017F80),
        ("lw", 4, 0xFFFFFFFF),
    ],
)
def test_loads_extend(machine, name, offset, expected):
    machine.write32(DATA, 0x80017F80)
    machine.write32(DATA + 4, M)
    p = Asm()
    p.li("a0", DATA + 8)
    getattr(p, name)("a1", offset - 8, "a0")  # negative displacement too
    p.ebreak()
    run(machine, p)
    assert machine.reg("a1") == expected


def test_stores_write_only_their_bytes(machine):
    machine.write32(DATA, 0x11111111)
    machine.write32(DATA + 4, 0x22222222)
    machine.write32(DATA + 8, 0x33333333)
    p = Asm()
    p.li("a0", DATA)
    p.li("a1", 0xAABBCCDD)
    p.sb("a1", 1, "a0")
    p.sh("a1", 6, "a0")
    p.sw("a1", 8, "a0")
    p.ebreak()
    run(machine, p)
    assert machine.read32(DATA) == 0x1111DD11
    assert machine.read32(DATA + 4) == 0xCCDD2222
    assert machine.read32(DATA + 8) == 0xAABBCCDD


def test_mmio_uart_all_widths(machine):
    machine.uart.rx.extend(b"\x85\x86\x87\x88\x89")
    p = Asm()
    p.li("a0", UART_GPA)
    p.li("t0", ord("h"))
    p.sb("t0", 0, "a0")
    p.li("t0", 0x169)
    p.sh("t0", 0, "a0")  # the device sees the low 16 bits
    p.li("t0", 0x12345621)
    p.sw("t0", 0, "a0")
    p.lbu("a1", 5, "a0")  # LSR: THR empty, data ready
    p.lb("a2", 0, "a0")
    p.lbu("a3", 0, "a0")
    p.lh("a4", 0, "a0")
    p.lhu("a5", 0, "a0")
    p.lw("a6", 0, "a0")
    p.ebreak()
    assert run(machine, p).stop is Stop.EBREAK
    assert bytes(machine.uart.out) == b"hi!"
    writes = [e for e in machine.uart.log if e[0] == "w"]
    assert writes == [("w", 0, 1, 0x68), ("w", 0, 2, 0x169), ("w", 0, 4, 0x12345621)]
    assert machine.reg("a1") == 0x21
    assert machine.reg("a2") == 0xFFFFFF85  # MMIO reads are sign-extended like RAM
    assert machine.reg("a3") == 0x86
    assert machine.reg("a4") == 0x87
    assert machine.reg("a5") == 0x88
    assert machine.reg("a6") == 0x89


def test_mapped_page_read_write_and_fetch(machine):
    host = 0x30000  # a host page outside the RAM window
    machine.bus.map_page(PAGE_GPA, host, writable=True)
    tail = Asm(base=PAGE_GPA + 0x100)
    tail.addi("a2", "zero", 77)
    tail.ebreak()
    machine.mem.write(host + 0x100, tail.image())
    p = Asm()
    p.li("a0", PAGE_GPA)
    p.li("a1", 0xCAFEF00D)
    p.sw("a1", 8, "a0")
    p.lhu("a3", 10, "a0")
    p.jalr("ra", 0x100, "a0")
    r = run(machine, p)
    assert r.stop is Stop.EBREAK and r.pc == PAGE_GPA + 0x104
    assert machine.mem.read(host + 8, 4) == (0xCAFEF00D).to_bytes(4, "little")
    assert machine.reg("a3") == 0xCAFE
    assert machine.reg("a2") == 77
    assert machine.reg("ra") == RAM_GPA + 7 * 4  # after the jalr


# ---------------------------------------------------------------- control flow

BRANCH_CASES = [
    ("beq", 3, 3, True),
    ("beq", 3, 4, False),
    ("bne", 3, 4, True),
    ("bne", 3, 3, False),
    ("blt", M, 0, True),
    ("blt", 0, M, False),
    ("bge", 0, M, True),
    ("bge", M, 0, False),
    ("bge", 5, 5, True),
    ("bltu", 0, M, True),
    ("bltu", M, 0, False),
    ("bgeu", M, 0, True),
    ("bgeu", 0, M, False),
]


@pytest.mark.parametrize(("name", "a", "b", "taken"), BRANCH_CASES)
def test_branches_both_ways(machine, name, a, b, taken):
    p = Asm()
    p.li("a0", a)
    p.li("a1", b)
    getattr(p, name)("a0", "a1", "yes")
    p.addi("a2", "zero", 2)
    p.ebreak()
    p.label("yes")
    p.addi("a2", "zero", 1)
    p.ebreak()
    run(machine, p)
    assert machine.reg("a2") == (1 if taken else 2)


def test_backward_branch_loop(machine):
    p = Asm()
    p.addi("t0", "zero", 10)
    p.addi("a0", "zero", 0)
    p.label("loop")
    p.add("a0", "a0", "t0")
    p.addi("t0", "t0", -1)
    p.bne("t0", "zero", "loop")
    p.ebreak()
    r = run(machine, p)
    assert machine.reg("a0") == 55
    assert r.retired == 2 + 3 * 10 + 1


def test_jal_and_jalr_link(machine):
    p = Asm()
    p.jal("ra", "func")  # 0x00
    p.addi("a1", "zero", 1)  # 0x04: returned here
    p.li("t1", RAM_GPA + 0x21)  # 0x08, 0x0c: odd address: jalr clears bit 0
    p.jalr("t1", 0, "t1")  # 0x10: rd == rs1: the target uses the old value
    p.ebreak()  # 0x14
    p.label("func")
    p.addi("a0", "zero", 9)  # 0x18
    p.jalr("zero", 0, "ra")  # 0x1c
    p.ebreak()  # 0x20: t1 lands here
    r = run(machine, p)
    assert r.stop is Stop.EBREAK and r.pc == RAM_GPA + 0x20
    assert machine.reg("ra") == RAM_GPA + 4
    assert machine.reg("a0") == 9 and machine.reg("a1") == 1
    assert machine.reg("t1") == RAM_GPA + 0x14


# ---------------------------------------------------------------- stops


@pytest.mark.parametrize(
    ("name", "stop"), [("ecall", Stop.ECALL), ("ebreak", Stop.EBREAK), ("wfi", Stop.WFI)]
)
def test_system_stops_retire_and_step_over(machine, name, stop):
    p = Asm()
    p.addi("a0", "zero", 1)
    getattr(p, name)()
    p.addi("a0", "zero", 2)
    p.ebreak()
    r = run(machine, p)
    assert (r.stop, r.retired, r.pc) == (stop, 2, RAM_GPA + 4)
    assert machine.cpu.pc == RAM_GPA + 8
    assert machine.cpu.instret == 2
    r = machine.cpu.run(100)  # the hypervisor simply runs on
    assert (r.stop, r.retired) == (Stop.EBREAK, 2)
    assert machine.reg("a0") == 2
    assert machine.cpu.instret == 4


def test_ecall_sees_hypervisor_registers(machine):
    p = Asm()
    p.addi("a7", "zero", 0x10)
    p.ecall()
    p.add("a2", "a0", "a1")
    p.ebreak()
    r = run(machine, p)
    assert r.stop is Stop.ECALL and machine.reg("a7") == 0x10
    machine.cpu.set_reg(10, 5)
    machine.cpu.set_reg(11, -1)  # masked to 32 bits
    machine.cpu.run(10)
    assert machine.reg("a1") == M and machine.reg("a2") == 4


def test_budget_stop(machine):
    p = Asm()
    p.label("spin")
    p.addi("a0", "a0", 1)
    p.jal("zero", "spin")
    machine.load(p)
    r = machine.cpu.run(7)
    assert (r.stop, r.retired, r.pc) == (Stop.BUDGET, 7, RAM_GPA + 4)
    assert machine.reg("a0") == 4 and machine.cpu.pc == RAM_GPA + 4
    r = machine.cpu.run(0)
    assert (r.stop, r.retired) == (Stop.BUDGET, 0)
    assert machine.cpu.instret == 7


# ---------------------------------------------------------------- faults


def _one_access(op: str, addr: int, offset: int = 0) -> Asm:
    """a0 = addr, a1 = 0x55667788, a2 = 1; then `op` (a load into a2, a
    store of a1) at offset(a0), at RAM_GPA + 20; then ebreak."""
    p = Asm()
    p.li("a0", addr)
    p.li("a1", 0x55667788)
    p.addi("a2", "zero", 1)
    if op.startswith("l"):
        getattr(p, op)("a2", offset, "a0")
    else:
        getattr(p, op)("a1", offset, "a0")
    p.ebreak()
    return p


def _expect_fault(m: Machine, r, cause: Cause, pc: int, tval: int) -> None:
    assert r.stop is Stop.FAULT
    assert r.fault is not None
    assert (r.fault.cause, r.fault.pc, r.fault.tval) == (cause, pc, tval)
    assert r.pc == pc and m.cpu.pc == pc


@pytest.mark.parametrize("word", [0xFFFFFFFF, 0, 0x0000_4505])
def test_illegal_instruction(machine, word):
    p = Asm()
    p.addi("a0", "zero", 3)
    p.word(word)
    r = run(machine, p)
    _expect_fault(machine, r, Cause.ILLEGAL_INSTRUCTION, RAM_GPA + 4, word)
    assert r.retired == 1 and machine.cpu.instret == 1
    assert machine.reg("a0") == 3


@pytest.mark.parametrize(
    ("op", "addr", "cause"),
    [
        ("lw", DATA + 2, Cause.LOAD_MISALIGNED),
        ("lh", DATA + 1, Cause.LOAD_MISALIGNED),
        ("lhu", DATA + 3, Cause.LOAD_MISALIGNED),
        ("sw", DATA + 1, Cause.STORE_MISALIGNED),
        ("sh", DATA + 3, Cause.STORE_MISALIGNED),
        ("lw", 0x2000_0000, Cause.LOAD_ACCESS),
        ("lbu", RAM_GPA + RAM_SIZE, Cause.LOAD_ACCESS),
        ("sw", 0x2000_0000, Cause.STORE_ACCESS),
        ("sb", RAM_GPA - 1, Cause.STORE_ACCESS),
    ],
)
def test_data_faults_change_nothing(machine, op, addr, cause):
    machine.write32(DATA, 0x11223344)
    r = run(machine, _one_access(op, addr))
    _expect_fault(machine, r, cause, RAM_GPA + 20, addr)
    assert r.retired == 5
    assert machine.reg("a2") == 1  # the faulting load wrote nothing
    assert machine.read32(DATA) == 0x11223344  # the faulting store wrote nothing


def test_store_to_read_only_page_faults(machine):
    host = 0x30000
    machine.mem.write(host, b"\x2a\x00\x00\x00")
    machine.bus.map_page(PAGE_GPA, host, writable=False)
    p = Asm()
    p.li("a0", PAGE_GPA)
    p.lw("a1", 0, "a0")  # reading is allowed
    p.sw("a0", 0, "a0")
    r = run(machine, p)
    _expect_fault(machine, r, Cause.STORE_ACCESS, RAM_GPA + 12, PAGE_GPA)
    assert machine.reg("a1") == 42
    assert machine.mem.read(host, 4) == b"\x2a\x00\x00\x00"


@pytest.mark.parametrize("how", ["jal", "branch", "jalr"])
def test_misaligned_jump_faults_on_the_jump(machine, how):
    p = Asm()
    p.li("a0", RAM_GPA + 0x42)
    p.addi("ra", "zero", 7)
    if how == "jal":
        p.jal("ra", 0x42 - 12)
    elif how == "branch":
        p.beq("zero", "zero", 0x42 - 12)
    else:
        p.jalr("ra", 0, "a0")
    r = run(machine, p)
    _expect_fault(machine, r, Cause.FETCH_MISALIGNED, RAM_GPA + 12, RAM_GPA + 0x42)
    assert machine.reg("ra") == 7  # the link register was not written
    assert r.retired == 3


@pytest.mark.parametrize("target", [0x2000_0000, UART_GPA])
def test_fetch_from_unmapped_or_mmio_faults(machine, target):
    p = Asm()
    p.li("a0", target)
    p.jalr("ra", 0, "a0")
    r = run(machine, p)
    assert r.retired == 3  # the jump itself retired
    _expect_fault(machine, r, Cause.FETCH_ACCESS, target, target)
    assert machine.reg("ra") == RAM_GPA + 12


# ---------------------------------------------------------------- exactness


def _counting_program() -> Asm:
    """Nested loops with loads, stores and calls: a little of everything."""
    p = Asm()
    p.li("s0", DATA)
    p.addi("s1", "zero", 30)
    p.label("outer")
    p.addi("t0", "zero", 20)
    p.label("inner")
    p.lw("t1", 0, "s0")
    p.add("t1", "t1", "t0")
    p.sw("t1", 0, "s0")
    p.andi("t2", "t1", 7)
    p.sb("t2", 5, "s0")
    p.addi("t0", "t0", -1)
    p.bne("t0", "zero", "inner")
    p.jal("ra", "bump")
    p.addi("s1", "s1", -1)
    p.bne("s1", "zero", "outer")
    p.ebreak()
    p.label("bump")
    p.lhu("t3", 4, "s0")
    p.addi("t3", "t3", 3)
    p.sh("t3", 4, "s0")
    p.jalr("zero", 0, "ra")
    return p


@pytest.mark.parametrize("step", [1, 3, 7, 64])
def test_budget_slices_match_one_run(backend, step):
    whole, sliced = Machine(backend), Machine(backend)
    try:
        for m in (whole, sliced):
            m.load(_counting_program())
        r = whole.cpu.run(1_000_000)
        assert r.stop is Stop.EBREAK
        total = 0
        while True:
            s = sliced.cpu.run(step)
            assert s.retired <= step
            total += s.retired
            assert sliced.cpu.instret == total
            if s.stop is not Stop.BUDGET:
                break
            assert s.retired == step
        assert s.stop is Stop.EBREAK and total == r.retired
        assert sliced.cpu.regs() == whole.cpu.regs()
        assert sliced.cpu.pc == whole.cpu.pc
        assert sliced.mem.read(sliced.host(DATA), 8) == whole.mem.read(whole.host(DATA), 8)
    finally:
        whole.close()
        sliced.close()


def test_self_modifying_store_patches_a_later_instruction_in_the_loop(machine):
    """The loop rewrites its own `addi a0, a0, 1` into `addi a0, a0, 100`
    halfway through; every later iteration must see the new instruction."""
    p = Asm()
    p.addi("t0", "zero", 200)  # iterations
    p.addi("t2", "zero", 100)  # iteration at which to patch
    p.li("s0", 0)  # patched below
    p.lw("s1", 0, "s0")  # the replacement word
    p.label("loop")
    p.bne("t0", "t2", "skip")
    p.sw("s1", 0, "s0")
    p.label("skip")
    p.label("target")
    p.addi("a0", "a0", 1)
    p.addi("t0", "t0", -1)
    p.bne("t0", "zero", "loop")
    p.ebreak()
    p.label("new")
    p.addi("a0", "a0", 100)
    words = p.words()
    # s0 = address of `target`; the replacement is the word at `new`.
    fix = Asm()
    fix.li("s0", p.labels["target"])
    fix.lw("s1", p.labels["new"] - p.labels["target"], "s0")
    words[2:5] = fix.words()
    machine.load(b"".join(w.to_bytes(4, "little") for w in words))
    r = machine.cpu.run(1_000_000)
    assert r.stop is Stop.EBREAK
    assert machine.reg("a0") == 100 * 1 + 100 * 100


def test_store_rewriting_the_next_instruction_takes_effect(machine):
    """A straight run that stores over the instruction right after the store."""
    p = Asm()
    p.label("top")
    p.auipc("s0", 0)  # s0 = top
    p.lw("s1", 0x40, "s0")  # the replacement: addi a0, a0, 10
    p.sw("s1", 16, "s0")  # overwrite the instruction right after
    p.addi("a0", "a0", 1)  # top+12
    p.addi("a0", "a0", 1)  # top+16: replaced before it runs
    p.addi("t0", "t0", 1)
    p.lw("s2", 0x44, "s0")  # restore the original for the next round
    p.sw("s2", 16, "s0")
    p.addi("t1", "zero", 60)
    p.bne("t0", "t1", "top")
    p.ebreak()
    words = p.words()
    words += [0] * (16 - len(words))
    tail = Asm()
    tail.addi("a0", "a0", 10)
    tail.addi("a0", "a0", 1)
    words += tail.words()
    machine.load(b"".join(w.to_bytes(4, "little") for w in words))
    r = machine.cpu.run(1_000_000)
    assert r.stop is Stop.EBREAK
    assert machine.reg("a0") == 60 * 11


def test_hypervisor_loads_a_new_program_over_a_hot_one(machine):
    p = Asm()
    p.addi("t0", "zero", 500)
    p.label("loop")
    p.addi("a0", "a0", 1)
    p.addi("t0", "t0", -1)
    p.bne("t0", "zero", "loop")
    p.ebreak()
    run(machine, p)
    assert machine.reg("a0") == 500
    q = Asm()
    q.addi("t0", "zero", 500)
    q.label("loop")
    q.addi("a0", "a0", 3)
    q.addi("t0", "t0", -1)
    q.bne("t0", "zero", "loop")
    q.ebreak()
    machine.cpu.set_reg(10, 0)
    run(machine, q)
    assert machine.reg("a0") == 1500


def test_reset_zeroes_state(machine):
    p = Asm()
    p.addi("a0", "zero", 5)
    p.ebreak()
    run(machine, p)
    machine.cpu.reset(RAM_GPA + 8, 0x8000_8000)
    assert machine.cpu.regs() == [0, 0, 0x8000_8000] + [0] * 29
    assert machine.cpu.pc == RAM_GPA + 8 and machine.cpu.instret == 0


def test_snapshot_restore_round_trip(machine):
    p = Asm()
    p.label("loop")
    p.addi("a0", "a0", 1)
    p.jal("zero", "loop")
    machine.load(p)
    machine.cpu.run(5)
    snap = machine.cpu.snapshot()
    priv = {"mode": 1, "sstatus": 0, "stvec": 0, "sscratch": 0, "sepc": 0, "scause": 0, "stval": 0}
    assert snap == {"regs": machine.cpu.regs(), "pc": machine.cpu.pc, "instret": 5, "priv": priv}
    machine.cpu.run(10)
    after = machine.cpu.snapshot()
    machine.cpu.restore(snap)
    assert machine.cpu.snapshot() == snap
    machine.cpu.run(10)
    assert machine.cpu.snapshot() == after


# ---------------------------------------------------------------- a fault changes nothing (issue 14)


@pytest.mark.parametrize(
    ("op", "offset", "cause"),
    [
        ("sw", -3, Cause.STORE_MISALIGNED),  # three bytes in RAM, one past its end
        ("sw", -1, Cause.STORE_MISALIGNED),
        ("sh", -1, Cause.STORE_MISALIGNED),
        ("lw", -2, Cause.LOAD_MISALIGNED),
        ("lh", -1, Cause.LOAD_MISALIGNED),
    ],
)
def test_misaligned_access_straddling_the_end_of_ram_changes_nothing(machine, op, offset, cause):
    end = RAM_GPA + RAM_SIZE
    machine.write32(end - 4, 0x11223344)
    r = run(machine, _one_access(op, end + offset))
    _expect_fault(machine, r, cause, RAM_GPA + 20, end + offset)
    assert machine.read32(end - 4) == 0x11223344 and machine.reg("a2") == 1


def test_misaligned_store_straddling_into_an_unmapped_page_changes_nothing(machine):
    host = 0x30000
    machine.mem.write(host + 0xFFC, b"\x11\x22\x33\x44")
    machine.bus.map_page(PAGE_GPA, host, writable=True)
    p = Asm()
    p.li("a0", PAGE_GPA + 0xFFE)
    p.li("a1", 0x55667788)
    p.sw("a1", 0, "a0")
    p.ebreak()
    r = run(machine, p)
    _expect_fault(machine, r, Cause.STORE_MISALIGNED, RAM_GPA + 16, PAGE_GPA + 0xFFE)
    assert machine.mem.read(host + 0xFFC, 4) == b"\x11\x22\x33\x44"


def test_fence_i_is_illegal(machine):
    """Zifencei is not part of RV32IM: the reference rejects `fence.i` and so must every core."""
    p = Asm()
    p.addi("a0", "zero", 3)
    p.word(0x0000100F)  # fence.i
    p.addi("a0", "zero", 4)
    p.ebreak()
    r = run(machine, p)
    _expect_fault(machine, r, Cause.ILLEGAL_INSTRUCTION, RAM_GPA + 4, 0x0000100F)
    assert r.retired == 1 and machine.reg("a0") == 3


# ---------------------------------------------------------------- code written by anyone is seen (issue 14)


@pytest.mark.parametrize("illegal", [0xFFFFFFFF, 0])  # 0 looks compressed: QEMU ends its block before it
def test_store_patching_an_illegal_word_later_in_the_block_runs_the_new_word(machine, illegal):
    """A straight run that replaces an illegal word a few instructions ahead:
    the new instruction runs, nothing faults."""
    p = Asm()
    p.auipc("s0", 0)  # top
    p.lw("s1", 0x40, "s0")  # the replacement: addi a0, a0, 7
    p.sw("s1", 20, "s0")  # patch top+20
    p.addi("a0", "a0", 1)  # top+12
    p.addi("a0", "a0", 1)  # top+16
    p.word(illegal)  # top+20: illegal until patched
    p.ebreak()
    words = p.words()
    words += [0] * (16 - len(words))
    tail = Asm()
    tail.addi("a0", "a0", 7)
    words += tail.words()
    machine.load(b"".join(w.to_bytes(4, "little") for w in words))
    r = machine.cpu.run(1_000)
    assert (r.stop, r.pc) == (Stop.EBREAK, RAM_GPA + 24)
    assert machine.reg("a0") == 9


GRANTED = RAM_GPA + 0x3000  # the owner's page that the runner maps at PAGE_GPA


def _owner_and_runner(owner: str, runner: str) -> tuple[Machine, Machine]:
    """Two harts on one host memory: the runner maps a page of the owner's RAM
    (a grant) and calls the code in it."""
    from lab.cpu import make_cpu
    from lab.cpu.bus import Bus

    a = Machine(owner)
    b = Machine.__new__(Machine)
    b.mem = a.mem
    b.bus = Bus(a.mem, ram_gpa=RAM_GPA, ram_host=0x20000, ram_size=0x4000)
    b.uart = a.uart
    b.bus.map_page(PAGE_GPA, a.host(GRANTED), writable=False)
    b.cpu = make_cpu(runner, b.bus)
    b.cpu.reset(RAM_GPA, RAM_GPA + 0x4000)
    return a, b


@pytest.mark.parametrize("runner", ["interp", "unicorn"])
@pytest.mark.parametrize("owner", ["interp", "unicorn"])
def test_code_in_a_granted_page_rewritten_by_its_owner_runs_new(owner, runner):
    from lab.cpu import backends

    if not {owner, runner} <= set(backends()):
        pytest.skip("unicorn is not installed")
    a, b = _owner_and_runner(owner, runner)
    try:
        func = Asm(base=GRANTED)
        func.addi("a0", "a0", 1)
        func.jalr("zero", 0, "ra")
        a.load(func, at=GRANTED)
        loop = Asm()  # the runner calls the granted code forever
        loop.li("s0", PAGE_GPA)
        loop.label("again")
        loop.jalr("ra", 0, "s0")
        loop.jal("zero", "again")
        b.mem.write(0x20000, loop.image())
        assert b.cpu.run(600).stop is Stop.BUDGET  # 150 calls: hot, translated
        before = b.reg("a0")
        # The owner's guest rewrites `addi a0, a0, 1` into `addi a0, a0, 100`.
        patch = Asm()
        patch.li("t0", GRANTED)
        patch.li("t1", func.words()[0] + (99 << 20))
        patch.sw("t1", 0, "t0")
        patch.ebreak()
        a.load(patch)
        assert a.cpu.run(100).stop is Stop.EBREAK
        assert b.cpu.run(40).stop is Stop.BUDGET  # 10 more calls
        assert b.reg("a0") - before in (1000, 1000 - 99)  # the call under way may have read the old word
    finally:
        b.cpu.close()
        a.close()


def _list_walk_program(nodes: int, rounds: int) -> tuple[Asm, bytes]:
    """Walk a ring of linked nodes (next pointer, value) `rounds` times, summing
    values into a0: every load goes through a pointer loaded just before, so
    no block of it can be proven aligned ahead of time."""
    p = Asm()
    p.li("s0", DATA)  # the first node
    p.li("t0", nodes * rounds)
    p.label("walk")
    p.lw("t1", 4, "s0")  # value
    p.add("a0", "a0", "t1")
    p.lw("s0", 0, "s0")  # next
    p.lhu("t2", 4, "s0")  # through the pointer just loaded
    p.add("a1", "a1", "t2")
    p.addi("t0", "t0", -1)
    p.bne("t0", "zero", "walk")
    p.ebreak()
    data = b"".join(
        (DATA + 8 * ((i + 1) % nodes)).to_bytes(4, "little") + (i * 3 + 1).to_bytes(4, "little")
        for i in range(nodes)
    )
    return p, data


@pytest.mark.parametrize("step", [7, 1000, 25_000])
def test_unprovable_accesses_in_a_long_loop_count_exactly(backend, step):
    """Long enough to leave and re-enter the unicorn core's careful mode many times."""
    nodes, rounds = 16, 1000
    p, data = _list_walk_program(nodes, rounds)
    whole, sliced = Machine(backend), Machine(backend)
    try:
        for m in (whole, sliced):
            m.load(p)
            m.mem.write(m.host(DATA), data)
        r = whole.cpu.run(1_000_000)
        assert r.stop is Stop.EBREAK and r.retired == 4 + 7 * nodes * rounds + 1
        assert whole.reg("a0") == rounds * sum(i * 3 + 1 for i in range(nodes))
        total = 0
        while (s := sliced.cpu.run(step)).stop is Stop.BUDGET:
            assert s.retired == step
            total += s.retired
        assert s.stop is Stop.EBREAK and total + s.retired == r.retired
        assert sliced.cpu.regs() == whole.cpu.regs() and sliced.cpu.instret == whole.cpu.instret
    finally:
        whole.close()
        sliced.close()


@pytest.mark.parametrize(("op", "offset", "cause"), [
    ("sw", 8, Cause.STORE_ACCESS),  # past the UART's 8 bytes, on its page
    ("lw", 12, Cause.LOAD_ACCESS),
    ("sh", 1, Cause.STORE_MISALIGNED),
    ("lw", 2, Cause.LOAD_MISALIGNED),
])  # fmt: skip
def test_faulting_device_accesses_never_reach_the_device(machine, op, offset, cause):
    r = run(machine, _one_access(op, UART_GPA, offset))
    _expect_fault(machine, r, cause, RAM_GPA + 20, UART_GPA + offset)
    assert machine.uart.log == [] and machine.reg("a2") == 1
