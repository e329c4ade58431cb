"""The interp core's block translator: when it translates, what it drops, and
that translated code computes exactly what the reference interpreter does.

The reference is the same core with translation off (`hot_threshold` huge):
every instruction then goes through `_step`, the decoder-driven semantics.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lab.cpu import Cause, Stop
from lab.cpu.bus import Bus
from lab.cpu.interp import InterpCpu
from tests.cpu.rv import NEVER, RAM_GPA, RAM_HOST, RAM_SIZE, UART_GPA, Asm, Machine, interp_machine

DATA = RAM_GPA + 0x2000


def count_loop(n: int = 1000) -> Asm:
    p = Asm()
    p.li("t0", n)
    p.label("loop")
    p.addi("a0", "a0", 2)
    p.addi("t0", "t0", -1)
    p.bne("t0", "zero", "loop")
    p.ebreak()
    return p


def test_hot_loop_is_translated_and_readable():
    m = interp_machine(hot=10)
    m.load(count_loop())
    r = m.cpu.run(100_000)
    assert r.stop is Stop.EBREAK and m.reg("a0") == 2000
    loop = RAM_GPA + 8
    assert m.cpu.translated_blocks() == [loop]
    src = m.cpu.translation_source(loop)
    assert src is not None
    assert "for _ in _it" in src  # the self-loop became a bounded for loop
    assert "addi a0, a0, 2" in src  # each instruction is shown as a comment
    assert m.cpu.translation_source(RAM_GPA) is None  # ran once: stayed cold


def echo_loop(n: int) -> Asm:
    """A polled console driver: wait for a byte (LSR bit 0), read it signed, echo it."""
    p = Asm()
    p.li("s0", n)
    p.li("t0", UART_GPA)
    p.label("wait")
    p.lbu("t1", 5, "t0")
    p.andi("t1", "t1", 1)
    p.beq("t1", "zero", "wait")
    p.lb("a0", 0, "t0")
    p.sb("a0", 0, "t0")
    p.addi("s0", "s0", -1)
    p.bne("s0", "zero", "wait")
    p.ebreak()
    return p


def test_device_accesses_in_a_hot_loop_stay_in_translated_code(monkeypatch):
    """The UART's registers are read and written from the translated blocks themselves
    (MMIO_LOAD/MMIO_STORE), not by a trip through the interpreter per access, and the
    guest sees what the reference sees: the same bytes, sign-extended, in the same order."""
    typed = bytes(range(0x70, 0x100)) * 2
    runs = {}
    for hot in (1, 1 << 30):
        m = interp_machine(hot=hot)
        m.load(echo_loop(len(typed)))
        m.uart.rx.extend(typed)
        steps: list[int] = []

        def counted(self, steps=steps, real=InterpCpu._step):
            steps.append(self._pc)
            return real(self)

        monkeypatch.setattr(InterpCpu, "_step", counted)
        r = m.cpu.run(100_000)
        monkeypatch.undo()
        assert r.stop is Stop.EBREAK
        runs[hot] = (bytes(m.uart.out), list(m.uart.log), m.reg("a0"), m.cpu.instret, steps)
    (out, log, a0, instret, steps), (ref_out, ref_log, ref_a0, ref_instret, _) = runs[1], runs[1 << 30]
    assert out == ref_out == typed and log == ref_log
    assert a0 == ref_a0 == 0xFFFFFFFF  # the last byte, 0xff, sign-extended by lb
    assert instret == ref_instret
    assert len(steps) < 10  # a few cold starts, not two per byte echoed (there are 288)


def test_cold_code_is_not_translated():
    m = interp_machine(hot=10_000)
    m.load(count_loop(100))
    m.cpu.run(100_000)
    assert m.cpu.translated_blocks() == []


def test_write_drops_exactly_the_overlapping_translation():
    m = interp_machine(hot=2)
    p = Asm()
    p.li("t0", 50)
    p.label("a")  # block A: a self-loop
    p.addi("a0", "a0", 1)
    p.addi("t0", "t0", -1)
    p.bne("t0", "zero", "a")
    p.li("t0", 50)
    p.label("b")  # block B, on the same page
    p.addi("a1", "a1", 1)
    p.addi("t0", "t0", -1)
    p.bne("t0", "zero", "b")
    p.ebreak()
    m.load(p)
    m.cpu.run(10_000)
    a, b = p.labels["a"], p.labels["b"]
    assert {a, b} <= set(m.cpu.translated_blocks())
    m.write32(DATA, 7)  # data elsewhere: nothing dropped
    m.write32(b + 12 + 8, m.read32(b + 12 + 8))  # code after both blocks: nothing dropped
    assert {a, b} <= set(m.cpu.translated_blocks())
    m.write32(a + 4, m.read32(a + 4))  # inside A only
    assert a not in m.cpu.translated_blocks()
    assert b in m.cpu.translated_blocks()


def test_another_core_storing_into_code_drops_our_translation():
    m = interp_machine(hot=2)
    m.load(count_loop(100))
    m.cpu.run(100_000)
    loop = RAM_GPA + 8
    assert loop in m.cpu.translated_blocks()
    # A second hart seeing the same RAM (e.g. through a grant) patches the loop.
    other_bus = Bus(m.mem, ram_gpa=0x4000_0000, ram_host=RAM_HOST, ram_size=RAM_SIZE)
    other = InterpCpu(other_bus)
    new_word = _word("addi", "a0", "a0", 5)
    q = Asm(base=0x4000_0000)
    q.li("a1", new_word)
    q.li("a2", 0x4000_0000 + 8)
    q.sw("a1", 0, "a2")
    q.ebreak()
    m.mem.write(RAM_HOST + 0x3000, q.image())
    other.pc = 0x4000_3000
    assert other.run(100).stop is Stop.EBREAK
    assert loop not in m.cpu.translated_blocks()
    m.cpu.set_reg(5, 10)
    m.cpu.set_reg(10, 0)
    m.cpu.pc = loop
    m.cpu.run(1000)
    assert m.reg("a0") == 50
    other.close()


def _word(name: str, *ops) -> int:
    p = Asm()
    getattr(p, name)(*ops)
    return p.words()[0]


def test_close_unhooks_from_memory():
    m = interp_machine(hot=2)
    m.load(count_loop(100))
    m.cpu.run(100_000)
    before = len(m.mem._invalidators)
    m.cpu.close()
    assert len(m.mem._invalidators) == before - 1
    m.load(count_loop(10))  # writing code after close must not call the dead core


def test_fault_inside_a_translated_loop_leaves_exact_state():
    """A loop that walks a pointer off the end of RAM: the load that leaves RAM
    faults, with every earlier iteration's effects in place."""
    results = []
    for hot in (2, NEVER):
        m = interp_machine(hot)
        p = Asm()
        p.li("s0", RAM_GPA + RAM_SIZE - 64)
        p.label("loop")
        p.lw("t1", 0, "s0")
        p.add("a0", "a0", "t1")
        p.sw("a0", 0, "s0")
        p.addi("s0", "s0", 4)
        p.addi("a1", "a1", 1)
        p.jal("zero", "loop")
        m.load(p)
        for i in range(16):
            m.write32(RAM_GPA + RAM_SIZE - 64 + 4 * i, i + 1)
        r = m.cpu.run(1_000_000)
        results.append((r, m.cpu.regs(), m.mem.read(m.host(RAM_GPA + RAM_SIZE - 64), 64), m.cpu.instret))
        assert r.stop is Stop.FAULT and r.fault.cause is Cause.LOAD_ACCESS
        assert r.fault.tval == RAM_GPA + RAM_SIZE
        assert m.reg("a1") == 16
    assert results[0] == results[1]


def test_loop_blocks_never_overrun_the_budget():
    for budget in (1, 2, 3, 5, 10, 299, 300, 301, 3001):
        m = interp_machine(hot=1)
        m.load(count_loop(1000))
        r = m.cpu.run(budget)
        assert r.retired == min(budget, 2 + 3 * 1000 + 1)
        ref = interp_machine(NEVER)
        ref.load(count_loop(1000))
        ref.cpu.run(budget)
        assert (m.cpu.regs(), m.cpu.pc) == (ref.cpu.regs(), ref.cpu.pc)


# ---------------------------------------------------------------- differential

REGS = ["a0", "a1", "a2", "a3", "t1", "t2"]
ALU_R = ["add", "sub", "sll", "slt", "sltu", "xor", "srl", "sra", "or", "and"]
ALU_R += ["mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem", "remu"]
ALU_I = ["addi", "slti", "sltiu", "xori", "ori", "andi"]
SHIFT_I = ["slli", "srli", "srai"]
LOADS = ["lb", "lbu", "lh", "lhu", "lw"]
STORES = ["sb", "sh", "sw"]
BRANCHES = ["beq", "bne", "blt", "bge", "bltu", "bgeu"]

reg = st.sampled_from(REGS)
rd = st.sampled_from([*REGS, "zero"])
# Offsets from s0 (= DATA at first), aligned to the access size by `build`; s0
# moves by `step` each iteration, so some programs turn misaligned or walk out
# of RAM late, inside translated code, where faults must still be exact.
mem_off = st.integers(-2048, 2047)
step = st.sampled_from([0, 0, 0, 4, -8, 1, 2, 256, 1024])
SIZE = {"lb": 1, "lbu": 1, "sb": 1, "lh": 2, "lhu": 2, "sh": 2, "lw": 4, "sw": 4}
insn = st.one_of(
    st.tuples(st.sampled_from(ALU_R), rd, reg, reg),
    st.tuples(st.sampled_from(ALU_I), rd, reg, st.integers(-2048, 2047)),
    st.tuples(st.sampled_from(SHIFT_I), rd, reg, st.integers(0, 31)),
    st.tuples(st.sampled_from(LOADS), rd, mem_off, st.just("s0")),
    st.tuples(st.sampled_from(STORES), reg, mem_off, st.just("s0")),
    st.tuples(st.sampled_from(BRANCHES), reg, reg, st.integers(1, 3)),  # skip forward 1..3
    st.tuples(st.just("lui"), rd, st.integers(0, 0xFFFFF)),
)
# Idioms where the translator knows a value is narrow and drops masks:
# narrow it (andi, lbu, lhu, srli, sltu), then shift, add, multiply or combine it.
narrow = st.one_of(
    st.tuples(st.just("andi"), reg, reg, st.integers(0, 2047)),
    st.tuples(st.sampled_from(["lbu", "lhu"]), reg, st.integers(0, 31).map(lambda i: i * 4), st.just("s0")),
    st.tuples(st.just("srli"), reg, reg, st.integers(0, 31)),
    st.tuples(st.just("sltu"), reg, reg, reg),
)
widen = st.one_of(
    st.tuples(st.just("slli"), rd, reg, st.integers(0, 31)),
    st.tuples(st.sampled_from(["add", "or", "xor", "and", "mul", "remu", "divu", "srl"]), rd, reg, reg),
    st.tuples(st.just("addi"), rd, reg, st.integers(-2048, 2047)),
)
chunk = st.one_of(insn.map(lambda i: [i]), st.lists(st.one_of(narrow, widen), min_size=2, max_size=5))


def observed(name: str) -> bool:
    return name not in BRANCHES and name not in STORES


def build(
    body: list[tuple], iterations: int, step: int = 0, observe: bool = True, seeds: list[int] | None = None
) -> Asm:
    p = Asm()
    p.li("s0", DATA)
    p.li("s1", iterations)
    for i, r in enumerate(REGS):
        p.li(r, seeds[i % len(seeds)] if seeds else (0x9E3779B9 * (i + 1)) & 0xFFFFFFFF)
    p.label("loop")
    for k, (name, *ops) in enumerate(body):
        if name in BRANCHES:
            # skip forward over 1..3 generated instructions (with their observers)
            skip = sum(1 + (observe and observed(i[0])) for i in body[k + 1 : k + 1 + ops[2]])
            getattr(p, name)(ops[0], ops[1], 4 * (skip + 1))
        elif name in SIZE:
            getattr(p, name)(ops[0], ops[1] & -SIZE[name], ops[2])
        else:
            getattr(p, name)(*ops)
        if observe and observed(name):
            p.add("s2", "s2", ops[0])  # every result counts, even if overwritten later
    p.addi("s0", "s0", step)
    p.addi("s1", "s1", -1)
    p.bne("s1", "zero", "loop")
    p.ebreak()
    return p


def state(m: Machine, r) -> tuple:
    return (r.stop, r.pc, r.fault, m.cpu.regs(), m.cpu.pc, m.cpu.instret, m.mem.read(RAM_HOST, RAM_SIZE))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    chunks=st.lists(chunk, min_size=2, max_size=8),
    iterations=st.integers(4, 60),  # enough entries to translate (hot=2)
    step=step,
    observe=st.booleans(),
    slices=st.lists(st.integers(1, 200), min_size=1, max_size=6),
)
def test_translated_code_matches_the_reference(chunks, iterations, step, observe, slices):
    prog = build([i for c in chunks for i in c], iterations, step, observe)
    fast, ref = interp_machine(hot=2), interp_machine(NEVER)
    noise = random.Random(7).randbytes(RAM_SIZE - 0x1000)  # loads see both signs
    for m in (fast, ref):
        m.load(prog)
        m.mem.write(RAM_HOST + 0x1000, noise)
    for budget in [*slices, 100_000]:
        a, b = fast.cpu.run(budget), ref.cpu.run(budget)
        assert a.retired <= budget
        assert state(fast, a) == state(ref, b)
        if a.stop is not Stop.BUDGET:
            break
    fast.close()
    ref.close()


EDGE = [0xFFFFFFFF, 0x80000000, 0x7FFFFFFF, 0xFFFF8001, 0x0000FFFF, 0, 0x12345678]
NARROW = [
    ("andi", "a0", "a0", 0x7FF),
    ("andi", "a0", "a1", 1),
    ("lbu", "a0", 1, "s0"),
    ("lhu", "a0", 2, "s0"),
    ("lh", "a0", 2, "s0"),
    ("lb", "a0", 1, "s0"),
    ("srli", "a0", "a1", 1),
    ("srli", "a0", "a0", 16),
    ("sltu", "a0", "a1", "a2"),
    ("divu", "a0", "a3", "zero"),  # by zero: all ones, not narrow
    ("remu", "a0", "a1", "a2"),
    ("srl", "a0", "a1", "a3"),
    ("lui", "a0", 0x7FFFF),
]
WIDEN = [
    ("slli", "a0", "a0", 1),
    ("slli", "a0", "a0", 16),
    ("slli", "a0", "a0", 31),
    ("add", "a0", "a0", "a0"),
    ("add", "a0", "a0", "a2"),
    ("addi", "a0", "a0", 2047),
    ("addi", "a0", "a0", -1),
    ("mul", "a0", "a0", "a0"),
    ("or", "a0", "a0", "a2"),
    ("xor", "a0", "a0", "a3"),
    ("sub", "a0", "zero", "a0"),
    ("sra", "a0", "a0", "a3"),
]


def test_narrow_value_idioms_match_the_reference():
    """The translator drops `& 0xFFFFFFFF` where it knows a value is narrow:
    every narrowing followed by every widening, twice, on edge values."""
    for narrow in NARROW:
        for widen in WIDEN:
            for rot in range(0, len(EDGE), 2):
                seeds = EDGE[rot:] + EDGE[:rot]
                prog = build([narrow, widen, widen, ("add", "a1", "a1", "a0")], 6, seeds=seeds)
                results = []
                for hot in (2, NEVER):
                    m = interp_machine(hot)
                    m.load(prog)
                    m.mem.write(m.host(DATA), bytes([0x80, 0xFF, 0x01, 0x80]))
                    r = m.cpu.run(10_000)
                    results.append(state(m, r))
                    assert hot == NEVER or m.cpu.translated_blocks()
                    m.close()
                assert results[0] == results[1], (narrow, widen, seeds)


@pytest.mark.parametrize(
    ("name", "stop"), [("ecall", Stop.ECALL), ("ebreak", Stop.EBREAK), ("wfi", Stop.WFI)]
)
def test_translated_block_ending_in_a_stop(name, stop):
    """A hot loop around a stop: the block retires it itself and stops the run
    (an ecall with no handler to hand it to, see test_hypercalls_inline), or
    for wfi, whose meaning depends on the hart's level, ends in front of it
    and the interpreter runs it."""
    p = Asm()
    p.label("loop")
    p.addi("a0", "a0", 1)
    p.add("a1", "a1", "a0")
    getattr(p, name)()
    p.jal("zero", "loop")
    m = interp_machine(hot=2)
    m.load(p)
    first = m.cpu.run(1000)
    assert (first.stop, first.retired, first.pc) == (stop, 3, RAM_GPA + 8)
    for i in range(2, 50):
        r = m.cpu.run(1000)
        assert (r.stop, r.retired, r.pc) == (stop, 4, RAM_GPA + 8)
        assert m.cpu.pc == RAM_GPA + 12
        assert m.reg("a0") == i
    assert m.cpu.instret == 3 + 48 * 4
    assert RAM_GPA in m.cpu.translated_blocks()
    stops_with = {"ecall": "HYPERCALL(0x80000008", "ebreak": "| EBREAK", "wfi": "return 0x80000008, 2"}[name]
    assert stops_with in m.cpu.translation_source(RAM_GPA)
    r = m.cpu.run(2)  # a budget that ends right before the stop
    assert (r.stop, r.retired, m.cpu.pc) == (Stop.BUDGET, 2, RAM_GPA + 4)


def _same_as_reference(p: Asm, budget: int = 100_000) -> tuple:
    out = []
    for hot in (2, NEVER):
        m = interp_machine(hot)
        m.load(p)
        m.mem.write(RAM_HOST + 0x1000, random.Random(3).randbytes(RAM_SIZE - 0x1000))
        r = m.cpu.run(budget)
        out.append(state(m, r))
        m.close()
    assert out[0] == out[1]
    return out[0]


def test_a_checked_address_is_reused_only_while_valid():
    """A load-modify-store to one address is checked once; a moved base
    register or a stricter alignment must be checked again."""
    moved = Asm()  # the base moves between the load and the store
    moved.li("s0", DATA)
    moved.li("s1", 40)
    moved.label("loop")
    moved.lw("a0", 0, "s0")
    moved.addi("s0", "s0", 4)
    moved.sw("a0", 0, "s0")
    moved.addi("s1", "s1", -1)
    moved.bne("s1", "zero", "loop")
    moved.ebreak()
    r_stop = _same_as_reference(moved)[0]
    assert r_stop is Stop.EBREAK

    stricter = Asm()  # lbu checks byte alignment only; the sw at the same address needs four
    stricter.li("s0", DATA)
    stricter.li("s1", 40)
    stricter.label("loop")
    stricter.lbu("a0", 0, "s0")
    stricter.sw("a0", 0, "s0")
    stricter.addi("s0", "s0", 4)
    stricter.addi("s1", "s1", -1)
    stricter.bne("s1", "zero", "loop")
    stricter.addi("s0", "s0", 1)
    stricter.jal("zero", "loop")
    final = _same_as_reference(stricter)
    assert final[0] is Stop.FAULT and final[2].cause is Cause.STORE_MISALIGNED


def test_a_translation_that_fails_falls_back_to_the_interpreter(monkeypatch):
    """Defence in depth: should the translator ever write source that does not
    compile (or raise), the core interprets that code instead, exactly, and says
    so: a TranslationWarning (an error everywhere else in the test suite) and
    an entry in `translation_failures`."""
    from lab.cpu import interp, translate
    from lab.cpu.interp import TranslationWarning

    real = translate.BlockTranslator.translate
    loop = RAM_GPA + 8

    def broken(self, start):
        tr = real(self, start)
        if start == loop:
            tr.source += "    )\n"  # unbalanced: a SyntaxError
        return tr

    monkeypatch.setattr(translate.BlockTranslator, "translate", broken)
    monkeypatch.setattr(interp, "_TRANSLATED", {})  # translate afresh, not from another test's blocks
    ref = interp_machine(NEVER)
    m = interp_machine(hot=2)
    for mm in (m, ref):
        mm.load(count_loop(500))
    with pytest.warns(TranslationWarning, match="0x80000008"):
        r = m.cpu.run(100_000)
    assert state(m, r) == state(ref, ref.cpu.run(100_000))
    assert r.stop is Stop.EBREAK and m.reg("a0") == 1000
    assert [pc for pc, _ in m.cpu.translation_failures] == [loop]
    assert "SyntaxError" in m.cpu.translation_failures[0][1]
    assert loop not in m.cpu.translated_blocks()


@pytest.mark.parametrize("mask", [0x3C, 0x0F, 0xF0, 0x7FF, 0x555, 0, 1])
def test_a_bitwise_operation_masked_right_after_matches_the_reference(mask):
    """`xor/or/and` then `andi` with the same register is computed on masked
    operands: for every kind of operand (a constant inside or outside the mask,
    a loaded byte, a full word) and masks that are not runs of low bits."""
    for op in ("xor", "or", "and", "xori", "ori", "andi"):
        p = Asm()
        p.li("s0", DATA)
        p.li("s1", 20)
        p.li("a3", 0x9E3779B9)
        p.label("loop")
        p.addi("a1", "zero", 3)  # known: 3, inside 0xF, not inside 0x3C
        p.lbu("a2", 0, "s0")  # known: a byte
        for a, b in (("a1", "a2"), ("a2", "a3"), ("a3", "a1"), ("zero", "a3")):
            if op.endswith("i"):
                getattr(p, op)("a0", a, 0x2D)
            else:
                getattr(p, op)("a0", a, b)
            p.andi("a0", "a0", mask)
            p.add("a4", "a4", "a0")
            p.slli("a4", "a4", 1)
        p.addi("s0", "s0", 1)
        p.addi("s1", "s1", -1)
        p.bne("s1", "zero", "loop")
        p.ebreak()
        final = _same_as_reference(p)
        assert final[0] is Stop.EBREAK, op
