"""Any code at all: the block translator's Python compiles, and runs exactly as `_step` does.

Hypothesis draws random instruction sequences with no shape imposed: every
ALU, load and store (aligned or not, into RAM, the code itself, a device or
nowhere), branches and jumps in both directions including to themselves
(`j .`, `beq x0, x0, .`), jumps over nothing, `jalr`, fences, writes to x0,
ecall/ebreak/wfi, CSR instructions, sret and illegal words, run from user or
supervisor mode with stvec and sepc pointing into the code (so traps and
sret move between the levels). Three properties:

* the source the translator writes for a block starting at any of those
  addresses compiles;
* a core that translates every block it enters (hot threshold 1) and the
  reference (translation off) end every run in the same state: stop, retired
  count, pc, registers, CSRs and level, instret, memory, device traffic,
  hypercalls seen;
* with a hypercall handler that edits registers, writes code, resets the
  vCPU, reflects a user-mode ecall into the guest kernel or stops the run,
  both still agree (the handler runs inside compiled blocks on one, from the
  run loop on the other).

No translation may fail (the fallback to the interpreter is for bugs; a bug
here must show).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lab.cpu import Stop
from lab.cpu.base import Cause, Privilege
from lab.cpu.interp import InterpCpu
from lab.cpu.translate import BlockTranslator
from lab.riscv.isa import BY_NAME, CSRS, SPECS, Fmt, Kind, encode
from tests.cpu.rv import NEVER, RAM_GPA, RAM_HOST, RAM_SIZE, UART_GPA, Machine

M = 0xFFFFFFFF
CODE = RAM_GPA + 0x100  # the random code; registers are set before it runs
DATA = RAM_GPA + 0x3000
# Registers the code may use as bases: where they point is set up front, and
# the random code may overwrite them too (then accesses land anywhere).
BASES = {8: DATA, 9: CODE, 18: UART_GPA, 19: RAM_GPA + RAM_SIZE - 2, 20: 0x7000_0000}
REGS = [0, 1, 5, 6, 7, 10, 11, 12, 8, 9, 18, 19, 20, 21]

ALU = [s.name for s in SPECS if s.kind is Kind.ALU]
ALU_IMM = [s.name for s in SPECS if s.kind is Kind.ALU_IMM and s.fmt is not Fmt.SHIFT]
SHIFTS = [s.name for s in SPECS if s.fmt is Fmt.SHIFT]
LOADS = [s.name for s in SPECS if s.kind is Kind.LOAD]
STORES = [s.name for s in SPECS if s.kind is Kind.STORE]
BRANCHES = [s.name for s in SPECS if s.kind is Kind.BRANCH]
CSR_OPS = [s.name for s in SPECS if s.kind is Kind.CSR]
CSR_NUMBERS = [c.number for c in CSRS] + [0x003, 0x300]  # this machine's, and two it lacks

reg = st.sampled_from([r for r in REGS if r not in BASES] * 3 + sorted(BASES))  # bases less often
base = st.sampled_from([8, 8, 8, 8, 9, 18, 19, 20])  # mostly the data area
hop = st.integers(-5, 6)  # branch and jump distance in instructions: 0 is the instruction itself
mem_off = st.one_of(st.integers(-8, 24), st.integers(-2048, 2047))


def _enc(name: str, **fields: int) -> int:
    return encode(BY_NAME[name], **fields)


insn = st.one_of(
    st.builds(lambda n, d, a, b: _enc(n, rd=d, rs1=a, rs2=b), st.sampled_from(ALU), reg, reg, reg),
    st.builds(
        lambda n, d, a, i: _enc(n, rd=d, rs1=a, imm=i),
        st.sampled_from(ALU_IMM),
        reg,
        reg,
        st.integers(-2048, 2047),
    ),
    st.builds(
        lambda n, d, a, i: _enc(n, rd=d, rs1=a, imm=i), st.sampled_from(SHIFTS), reg, reg, st.integers(0, 31)
    ),
    st.builds(
        lambda n, d, i: _enc(n, rd=d, imm=i), st.sampled_from(["lui", "auipc"]), reg, st.integers(0, 0xFFFFF)
    ),
    st.builds(lambda n, d, a, i: _enc(n, rd=d, rs1=a, imm=i), st.sampled_from(LOADS), reg, base, mem_off),
    st.builds(lambda n, v, a, i: _enc(n, rs1=a, rs2=v, imm=i), st.sampled_from(STORES), reg, base, mem_off),
    st.builds(lambda n, a, b, h: ("branch", n, a, b, h), st.sampled_from(BRANCHES), reg, reg, hop),
    st.builds(lambda d, h: ("jal", d, h), st.sampled_from([0, 0, 1]), hop),
    st.builds(
        lambda n, d, a, c: _enc(n, rd=d, rs1=a, imm=c),
        st.sampled_from(CSR_OPS),
        reg,
        st.sampled_from([0, 5, 10, 31]),  # x0 (or the immediate 0), a register (or an immediate)
        st.sampled_from(CSR_NUMBERS),
    ),
    st.builds(
        lambda d, i: _enc("jalr", rd=d, rs1=9, imm=i),
        st.sampled_from([0, 1]),
        st.sampled_from([0, 4, 8, 12, 2, 1]),
    ),
    st.sampled_from(
        [
            _enc("fence"),
            _enc("addi"),
            _enc("ecall"),
            _enc("ecall"),
            _enc("ebreak"),
            _enc("wfi"),
            _enc("sret"),
            0,
            0xFFFFFFFF,
        ]
    ),
)


def assemble(items: list) -> list[int]:
    """Words for the items, resolving branch and jump hops (kept inside the code)."""
    words = []
    for i, item in enumerate(items):
        if isinstance(item, int):
            words.append(item)
            continue
        hop_ = max(-i, min(item[-1], len(items) - i))  # from the first word to one past the last
        if item[0] == "branch":
            _, name, a, b, _h = item
            words.append(_enc(name, rs1=a, rs2=b, imm=4 * hop_))
        else:
            words.append(_enc("jal", rd=item[1], imm=4 * hop_))
    return words


# Pointer arithmetic then an access through the result: the sum may wrap past
# 2^32 (or below 0), which the translator leaves to the address check to catch.
pointer = st.builds(
    lambda op, b, r, i, acc, off: [
        _enc(op, rd=b, rs1=b, rs2=r) if op != "addi" else _enc("addi", rd=b, rs1=b, imm=i),
        _enc(acc, rd=10, rs1=b, imm=off) if acc in LOADS else _enc(acc, rs1=b, rs2=10, imm=off),
    ],
    st.sampled_from(["add", "sub", "addi"]),
    base,
    reg,
    st.integers(-2048, 2047),
    st.sampled_from(LOADS + STORES),
    mem_off,
)
# An array element: base plus an index into another register, then an access
# through it (the translator keeps such a base as an offset and adds in small ints).
indexed = st.builds(
    lambda b, i, acc, off: [
        _enc("add", rd=5, rs1=b, rs2=i),
        _enc(acc, rd=10, rs1=5, imm=off) if acc in LOADS else _enc(acc, rs1=5, rs2=10, imm=off),
    ],
    base,
    reg,
    st.sampled_from(LOADS + STORES),
    mem_off,
)
# A bitwise operation masked right after (`(crc ^ byte) & 0xff`), which the
# translator computes on masked operands in one line.
masked = st.builds(
    lambda op, d, a, b, m: [
        _enc(op, rd=d, rs1=a, rs2=b) if op in ALU else _enc(op, rd=d, rs1=a, imm=b),
        _enc("andi", rd=d, rs1=d, imm=m),
    ],
    st.sampled_from(["xor", "or", "and", "xori", "ori", "andi"]),
    reg,
    reg,
    reg,
    st.sampled_from([0, 1, 0xFF, 0x7FF, 0x3C]),
)
# Mostly computation, so that more programs run long enough to get hot.
common = st.one_of(
    insn.map(lambda i: [i]),
    insn.filter(lambda i: isinstance(i, int) and i & 0x7F in (0x13, 0x33)).map(lambda i: [i]),
    pointer,
    indexed,
    masked,
    st.builds(
        lambda n, a, b, h: [("branch", n, a, b, h)], st.sampled_from(BRANCHES), reg, reg, st.integers(2, 4)
    ),
    st.just([_enc("ecall")]),
)


def counted(body: list, rounds: int) -> list:
    """body in a loop of `rounds` rounds on t2 (which the body may clobber)."""
    n = len(body)
    return [
        _enc("addi", rd=7, imm=rounds),
        *body,
        _enc("addi", rd=7, rs1=7, imm=-1),
        ("branch", "bne", 7, 0, -n - 1),
    ]


def walked(body: list, rounds: int, step: int, test: str) -> list:
    """body in a loop that walks s0 from the data area by `step` bytes a round
    until it meets s5 (set to where it ends): the pointer loop the translator
    keeps in RAM offsets (the body may move either, or read them as values)."""
    n = len(body)
    return [
        _enc("addi", rd=21, rs1=8, imm=step * rounds),
        *body,
        _enc("addi", rd=8, rs1=8, imm=step),
        ("branch", test, 8, 21, -n - 1),
    ]


body = st.lists(common, min_size=1, max_size=12).map(lambda parts: [i for p in parts for i in p])
program = st.tuples(
    st.one_of(
        body,
        st.builds(counted, body, st.integers(1, 60)),
        st.builds(
            walked, body, st.integers(1, 40), st.sampled_from([1, 2, 4, -4]), st.sampled_from(["bne", "bltu"])
        ),
    ),
    st.lists(st.integers(0, M), min_size=len(REGS), max_size=len(REGS)),
    st.fixed_dictionaries(
        {
            "mode": st.sampled_from([Privilege.USER, Privilege.SUPERVISOR]),
            "sstatus": st.integers(0, M),
            "stvec": st.integers(0, 24).map(lambda i: CODE + 4 * i),
            "sepc": st.integers(0, 24).map(lambda i: CODE + 4 * i),
        }
    ),
)

HANDLER_ACTIONS = st.lists(
    st.sampled_from(["regs", "regs", "stop", "code", "reset", "pc", "trap"]), min_size=1, max_size=6
)


class Recorder:
    """A hypercall handler that does the same thing on either core: records the
    call, then edits a0/a1, writes a word of code, resets the vCPU, moves its
    pc, reflects a user-mode call into the guest kernel (as the hypervisor
    does) or stops the run, as the action list says (cycling)."""

    def __init__(self, m: Machine, actions: list[str]) -> None:
        self.m = m
        self.actions = actions
        self.calls: list[tuple[int, int, int]] = []

    def __call__(self, pc: int, retired: int) -> bool:
        cpu = self.m.cpu
        self.calls.append((pc, retired, cpu.pc, cpu.mode))
        action = self.actions[len(self.calls) % len(self.actions)]
        cpu.set_reg(10, (cpu.get_reg(10) * 7 + retired) & M)
        cpu.set_reg(11, pc)
        if action == "code":  # the handler rewrites the instruction after the ecall
            self.m.write32(cpu.pc, _enc("addi", rd=12, rs1=12, imm=retired & 0x3FF))
        elif action == "reset":
            cpu.reset(CODE, RAM_GPA + RAM_SIZE)
        elif action == "pc":
            cpu.pc = CODE
        elif action == "trap" and cpu.mode is Privilege.USER:
            cpu.redirect_trap(Cause.USER_ECALL, pc)
        return action != "stop"


def machine(words: list[int], regs: list[int], hot: int, priv: dict | None = None) -> Machine:
    m = Machine("interp")
    m.cpu.close()
    m.cpu = InterpCpu(m.bus, hot_threshold=hot)
    m.load(b"".join(w.to_bytes(4, "little") for w in words) + (0x00100073).to_bytes(4, "little"), at=CODE)
    m.mem.write(RAM_HOST + DATA - RAM_GPA, bytes(range(256)) * 4)
    m.cpu.reset(CODE, RAM_GPA + RAM_SIZE)
    for r, v in zip(REGS, regs, strict=True):
        m.cpu.set_reg(r, BASES.get(r, v))
    m.cpu.pc = CODE
    if priv is not None:
        m.cpu.priv.restore(priv)
    return m


def state(m: Machine) -> tuple:
    return (
        m.cpu.regs(),
        m.cpu.pc,
        m.cpu.instret,
        m.cpu.priv.snapshot(),
        m.mem.read(RAM_HOST, RAM_SIZE),
        list(m.uart.log),
    )


# HVLAB_TRANSLATE_EXAMPLES=5000 for a deeper hunt.
SETTINGS = settings(
    max_examples=int(os.environ.get("HVLAB_TRANSLATE_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@SETTINGS
@given(prog=program)
def test_every_block_compiles(prog):
    words = assemble(prog[0])
    m = machine(words, prog[1], NEVER)
    tr = BlockTranslator(m.mem.buf, ram_gpa=RAM_GPA, ram_host=RAM_HOST, ram_size=RAM_SIZE)
    for i in range(len(words)):
        t = tr.translate(CODE + 4 * i)
        compile(t.source, f"<block {t.start:#x}>", "exec")


def _drive(m: Machine, slices: list[int], handler: Recorder | None) -> list:
    seen = []
    for budget in slices:
        r = m.cpu.run(budget, on_ecall=handler)
        seen.append((r, state(m)))
        if r.stop is Stop.FAULT:
            break
    return seen


@SETTINGS
@given(prog=program, slices=st.lists(st.integers(1, 300), min_size=1, max_size=12))
def test_translated_code_runs_as_the_reference(prog, slices):
    words = assemble(prog[0])
    fast, ref = machine(words, prog[1], 1, prog[2]), machine(words, prog[1], NEVER, prog[2])
    assert _drive(fast, slices, None) == _drive(ref, slices, None)
    assert fast.cpu.translation_failures == []


@SETTINGS
@given(prog=program, slices=st.lists(st.integers(1, 300), min_size=1, max_size=12), actions=HANDLER_ACTIONS)
def test_hypercalls_handled_in_blocks_as_in_the_reference(prog, slices, actions):
    words = assemble(prog[0])
    fast, ref = machine(words, prog[1], 1, prog[2]), machine(words, prog[1], NEVER, prog[2])
    fh, rh = Recorder(fast, actions), Recorder(ref, actions)
    assert _drive(fast, slices, fh) == _drive(ref, slices, rh)
    assert fh.calls == rh.calls
    assert fast.cpu.translation_failures == []
