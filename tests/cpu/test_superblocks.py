"""Superblocks in the interp core: translations that follow jumps and the
fall-through of branches, loops closed by a jump or a fall-through, and the
store filter (CODE_LO..CODE_HI) in front of the has-code map.

Each test compares against the same core with translation off (the reference
semantics) or checks what a user of the core relies on: a write into any part
of a superblock drops it, budgets are exact, results equal the reference.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lab.cpu import Stop
from lab.cpu.bus import Bus
from lab.cpu.interp import InterpCpu
from tests.cpu.rv import NEVER, RAM_GPA, RAM_HOST, RAM_SIZE, Asm, interp_machine

DATA = RAM_GPA + 0x3000


def split_loop(n: int = 200) -> Asm:
    """A loop whose body is in two places: `top` jumps to `tail`, far away,
    which branches back to `top`."""
    p = Asm()
    p.li("t0", n)
    p.label("top")
    p.addi("a0", "a0", 3)
    p.jal("zero", "tail")
    p.ebreak()  # never reached: the jump skips it
    for _ in range(5):
        p.addi("zero", "zero", 0)
    p.label("tail")
    p.addi("t0", "t0", -1)
    p.bne("t0", "zero", "top")
    p.ebreak()
    return p


def _word(name: str, *ops) -> int:
    p = Asm()
    getattr(p, name)(*ops)
    return p.words()[0]


def test_a_loop_split_by_a_jump_is_one_translated_loop():
    m = interp_machine(hot=5)
    p = split_loop()
    m.load(p)
    assert m.cpu.run(100_000).stop is Stop.EBREAK
    assert m.reg("a0") == 600
    top, tail = p.labels["top"], p.labels["tail"]
    src = m.cpu.translation_source(top)
    assert src is not None and "for _ in _it" in src  # the jump did not end the block
    assert f"{tail:#010x}" in src.splitlines()[1]  # its header names both pieces of code


def test_writing_the_jump_target_of_a_superblock_drops_it():
    m = interp_machine(hot=5)
    p = split_loop(50)
    m.load(p)
    m.cpu.run(100_000)
    top, tail = p.labels["top"], p.labels["tail"]
    assert top in m.cpu.translated_blocks()
    m.write32(tail - 4, m.read32(tail - 4))  # between the two pieces: not part of the block
    assert top in m.cpu.translated_blocks()
    m.write32(tail, _word("addi", "t0", "t0", -2))  # the second piece: the block is stale
    assert top not in m.cpu.translated_blocks()
    m.cpu.set_reg(5, 10)  # t0
    m.cpu.set_reg(10, 0)
    m.cpu.pc = top
    assert m.cpu.run(100_000).stop is Stop.EBREAK
    assert m.reg("a0") == 15  # five rounds of the new code, not ten of the old


def self_patching_loop(tail: int) -> Asm:
    """30 rounds of a1 += 1 at `tail`, reached through a jump; on the round
    where t0 becomes 26 the loop stores `addi a1, a1, 100` over that very
    instruction (at `tail`, which must be passed in: li is always two words)."""
    p = Asm()
    p.li("t0", 30)
    p.li("t1", _word("addi", "a1", "a1", 100))
    p.li("t3", tail)
    p.label("top")
    p.addi("t0", "t0", -1)
    p.li("t2", 26)
    p.bne("t0", "t2", "skip")  # forward: a side exit, taken most rounds
    p.sw("t1", 0, "t3")
    p.label("skip")
    p.jal("zero", "tail")
    p.ebreak()
    p.label("tail")
    p.addi("a1", "a1", 1)
    p.bne("t0", "zero", "top")
    p.ebreak()
    return p


def test_a_superblock_storing_into_its_own_second_piece_runs_the_new_code():
    tail = self_patching_loop(0).labels["tail"]
    results = []
    for hot in (2, NEVER):
        m = interp_machine(hot)
        m.load(self_patching_loop(tail))
        r = m.cpu.run(100_000)
        results.append((r.stop, r.retired, m.cpu.regs(), m.cpu.pc))
    assert results[0] == results[1]
    assert results[0][2][11] == 3 + 27 * 100  # a1: 3 old rounds, then 27 patched ones (the 4th on)


def test_a_loop_closed_by_a_fall_through_is_exact_at_every_budget():
    """`L: bgeu; sw; addi; j L` (a C `while` loop): entered at the store, the
    trace's back edge is the branch's fall-through. Any budget retires exactly
    that many instructions and leaves the reference state."""
    p = Asm()
    p.li("t0", DATA)
    p.li("t1", DATA + 4 * 100)
    p.jal("zero", "test")
    p.label("body")
    p.sw("t0", 0, "t0")
    p.addi("t0", "t0", 4)
    p.label("test")
    p.bgeu("t0", "t1", "out")
    p.jal("zero", "body")
    p.label("out")
    p.ebreak()
    total = 5 + 4 * 100 + 2
    for budget in (1, 7, 8, 9, 10, 11, 57, 203, 398, 399, 400, total):
        got = interp_machine(hot=1)
        ref = interp_machine(NEVER)
        for mm in (got, ref):
            mm.load(p)
        r = got.cpu.run(budget)
        assert r.retired == min(budget, total)
        ref.cpu.run(budget)
        assert (got.cpu.regs(), got.cpu.pc) == (ref.cpu.regs(), ref.cpu.pc)
        assert got.mem.read(RAM_HOST, RAM_SIZE) == ref.mem.read(RAM_HOST, RAM_SIZE)
    m = interp_machine(hot=2)
    m.load(p)
    m.cpu.run(total)
    loops = [a for a in m.cpu.translated_blocks() if "for _ in _it" in m.cpu.translation_source(a)]
    assert loops  # the while loop ran as a translated loop


def test_partial_loop_iterations_at_slice_ends_are_exact():
    """Run a hot loop in slices that end mid-iteration: the sum of `retired`
    is the instruction count, and the end state is the reference's."""
    p = split_loop(300)
    ref = interp_machine(NEVER)
    ref.load(p)
    ref.cpu.run(100_000)
    m = interp_machine(hot=2)
    m.load(p)
    retired = 0
    for size in [7, 1, 5, 13, 2] * 100:
        r = m.cpu.run(size)
        assert r.retired <= size
        retired += r.retired
        if r.stop is Stop.EBREAK:
            break
    assert retired == ref.cpu.instret
    assert (m.cpu.regs(), m.cpu.pc) == (ref.cpu.regs(), ref.cpu.pc)


def test_store_into_code_another_core_translated_after_ours_is_caught():
    """Core A's translated loop stores over code that core B translates only
    later (after A's blocks were compiled): B must still see the new code."""
    m = interp_machine(hot=2)
    # A: fill 64 words at DATA with the word in a1, in a translated loop.
    p = Asm()
    p.li("t0", DATA)
    p.li("t1", 64)
    p.label("fill")
    p.sw("a1", 0, "t0")
    p.addi("t0", "t0", 4)
    p.addi("t1", "t1", -1)
    p.bne("t1", "zero", "fill")
    p.ebreak()
    m.load(p)
    nop = _word("addi", "zero", "zero", 0)
    m.cpu.set_reg(11, nop)
    assert m.cpu.run(10_000).stop is Stop.EBREAK
    assert p.labels["fill"] in m.cpu.translated_blocks()
    # B: another hart on the same host RAM, at another guest address, runs a
    # loop that lives at DATA: a0 += 1 over 64 words of nops, then ebreak.
    b_base = 0x4000_0000
    other = InterpCpu(Bus(m.mem, ram_gpa=b_base, ram_host=RAM_HOST, ram_size=RAM_SIZE), hot_threshold=1)
    q = Asm(base=DATA)
    q.label("again")
    q.addi("a0", "a0", 1)
    for _ in range(60):
        q.addi("zero", "zero", 0)
    q.addi("t0", "t0", -1)
    q.bne("t0", "zero", "again")
    q.ebreak()
    m.load(q, at=DATA)
    entry = b_base + (DATA - RAM_GPA)
    for _ in range(3):
        other.set_reg(5, 3)
        other.pc = entry
        assert other.run(10_000).stop is Stop.EBREAK
    assert other.translated_blocks()
    # A runs again, overwriting B's loop with `addi a0, a0, 1` everywhere.
    # (Straight into the translated loop: translating anything new would
    # recompute CODE_LO..CODE_HI anyway and hide a missed update.)
    m.cpu.set_reg(11, _word("addi", "a0", "a0", 1))
    m.cpu.set_reg(5, DATA)
    m.cpu.set_reg(6, 64)
    m.cpu.pc = p.labels["fill"]
    assert m.cpu.run(10_000).stop is Stop.EBREAK
    other.set_reg(10, 0)
    other.pc = entry
    r = other.run(10_000)
    # All 64 words (the ebreak too) are now `addi a0, a0, 1`: B counts them and
    # runs into the zero word after them. Had its old translation survived, it
    # would have looped (t0) and stopped at the ebreak.
    assert (r.stop, r.retired, other.get_reg(10)) == (Stop.FAULT, 64, 64)
    other.close()


# A random loop whose body has forward branches and jumps over 1..3
# instructions: traces follow the jumps and make taken branches side exits.
REGS = ["a0", "a1", "a2", "t1", "t2"]
op = st.one_of(
    st.tuples(
        st.sampled_from(["add", "sub", "xor", "sltu", "mul"]), st.sampled_from(REGS), st.sampled_from(REGS)
    ),
    st.tuples(st.sampled_from(["addi", "xori", "andi"]), st.sampled_from(REGS), st.integers(-2048, 2047)),
    st.tuples(st.sampled_from(["beq", "bne", "bltu", "bge", "j"]), st.sampled_from(REGS), st.integers(1, 3)),
    st.tuples(st.just("sw"), st.sampled_from(REGS), st.integers(0, 15)),
)


def run_in_slices(m, slices: list[int], most: int) -> tuple:
    """Run in budgets of the sizes given, over and over (at most `most` runs) until
    something other than the budget stops the core: the final state."""
    total = 0
    for i in range(most):
        r = m.cpu.run(slices[i % len(slices)])
        total += r.retired
        if r.stop is not Stop.BUDGET:
            break
    return (r.stop, r.fault, total, m.cpu.regs(), m.cpu.pc, m.mem.read(RAM_HOST, RAM_SIZE))


def random_loop(body: list[tuple], iterations: int) -> Asm:
    p = Asm()
    p.li("s0", DATA)
    p.li("s1", iterations)
    for i, r in enumerate(REGS):
        p.li(r, (0x9E3779B9 * (i + 3)) & 0xFFFFFFFF)
    p.label("loop")
    for k, (name, a, b) in enumerate(body):
        if name in ("beq", "bne", "bltu", "bge"):
            getattr(p, name)(a, "a0", 4 * (min(b, len(body) - k - 1) + 1))
        elif name == "j":
            p.jal("zero", 4 * (min(b, len(body) - k - 1) + 1))
        elif name == "sw":
            p.sw(a, 4 * b, "s0")
        elif name in ("addi", "xori", "andi"):
            getattr(p, name)(a, a, b)
        else:
            getattr(p, name)(a, a, b)
    p.addi("s1", "s1", -1)
    p.bne("s1", "zero", "loop")
    p.ebreak()
    return p


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=st.lists(op, min_size=1, max_size=12),
    iterations=st.integers(3, 40),
    slices=st.lists(st.integers(1, 90), min_size=1, max_size=5),
)
def test_traces_through_jumps_and_branches_match_the_reference(body, iterations, slices):
    prog = random_loop(body, iterations)
    states = []
    for hot in (2, NEVER):
        m = interp_machine(hot)
        m.load(prog)
        states.append(run_in_slices(m, slices, 400))
    assert states[0] == states[1]


def test_a_second_vm_running_the_same_code_reuses_the_compiled_blocks():
    """Compiling is the expensive part of translating: a restarted VM, or a
    second one at another host address running the same program, gets the
    code objects compiled for the first, and still computes its own result."""
    from lab.cpu import interp as interp_module

    first = interp_machine(hot=2)
    first.load(split_loop(40))
    first.cpu.run(100_000)
    top = split_loop().labels["top"]
    compiled = sum(map(len, interp_module._TRANSLATED.values()))
    second = interp_machine(hot=2)  # a fresh machine: other memory, same guest addresses
    second.load(split_loop(70))
    second.cpu.run(100_000)
    assert second.reg("a0") == 210
    assert sum(map(len, interp_module._TRANSLATED.values())) == compiled  # nothing new was compiled
    assert second.cpu._table[(top - RAM_GPA) >> 2].__code__ is first.cpu._table[(top - RAM_GPA) >> 2].__code__


def test_a_translation_made_for_other_code_at_the_same_address_is_not_reused():
    """The cache of translations checks the bytes under a block, all its
    pieces: a VM whose loop differs in one word of its second piece (or whose
    code at the start was not even an instruction before) gets its own."""
    first = interp_machine(hot=2)
    first.load(split_loop(40))
    first.cpu.run(100_000)
    assert first.reg("a0") == 120
    changed = interp_machine(hot=2)
    changed.load(split_loop(40))
    tail = split_loop().labels["tail"]
    changed.write32(tail, _word("addi", "t0", "t0", -2))  # 20 rounds, not 40
    changed.cpu.run(100_000)
    assert changed.reg("a0") == 60
    illegal = interp_machine(hot=2)
    illegal.load(split_loop(40))
    top = split_loop().labels["top"]
    illegal.write32(top, 0)
    assert illegal.cpu.run(100_000).stop is Stop.FAULT
    assert first.reg("a0") == 120


def pointer_loop(step: int, rounds: int, index: int, stride: int, access: str, imm: int) -> Asm:
    """A loop that walks s0 by `step` until it meets s1, and reads or writes the
    element t1 of the array at s3 (t1 moving by `stride`): the registers the
    translator holds as RAM offsets, in every role, with indices that may run
    out of RAM or past 2^32."""
    p = Asm()
    p.li("s0", DATA)
    p.li("s1", (DATA + step * rounds) & 0xFFFFFFFF)
    p.li("s3", DATA + 0x100)
    p.li("t1", index)
    p.li("t2", stride)
    p.label("loop")
    p.lw("a0", 0, "s0") if step % 4 == 0 else p.lbu("a0", 0, "s0")
    p.add("t0", "s3", "t1")
    if access.startswith("l"):
        getattr(p, access)("a2", imm, "t0")
        p.add("a1", "a1", "a2")
    else:
        getattr(p, access)("a0", imm, "t0")
    p.add("t1", "t1", "t2")
    p.addi("s0", "s0", step)
    p.bne("s0", "s1", "loop")
    p.ebreak()
    return p


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    step=st.sampled_from([1, 2, 4, 8, -4]),
    rounds=st.integers(1, 60),
    index=st.one_of(st.integers(0, 0x400), st.integers(0, 0xFFFFFFFF)),
    stride=st.sampled_from([0, 1, 4, 0x100, -4, 0x7FFFFFFF, 0xFFFFFF00]),
    access=st.sampled_from(["lw", "lbu", "lh", "sw", "sb", "sh"]),
    imm=st.sampled_from([0, 4, -4, 2047, -2048]),
    slices=st.lists(st.integers(1, 120), min_size=1, max_size=4),
)
def test_loops_over_pointers_and_arrays_match_the_reference(step, rounds, index, stride, access, imm, slices):
    prog = pointer_loop(step, rounds, index, stride, access, imm)
    states = []
    for hot in (2, NEVER):
        m = interp_machine(hot)
        m.load(prog)
        states.append(run_in_slices(m, slices, 300))
        if hot == 2:
            loop = prog.labels["loop"]
            src = m.cpu.translation_source(loop) or ""
            assert (
                not m.cpu.translated_blocks()
                or loop not in m.cpu.translated_blocks()
                or ("s0, s1, s3: held as RAM offsets" in src and "_o = s3 + t1" in src)
            )
        m.close()
    assert states[0] == states[1]
