"""Differential tests: the unicorn core must behave exactly like the reference.

Hypothesis draws random RV32IM instruction streams (ALU and M ops, loads and
stores into a data area, a read-only page, a device and unmapped space, and
into the stream itself: self-modifying code; forward branches and jumps,
jumps into a writable page that holds a copy of the stream (code in a grant
page, rewritten by the stores), lui/auipc, ecall/ebreak/wfi, CSR instructions on this machine's CSRs
and on ones it lacks, sret, the odd illegal word or misaligned jump), random
registers and a random privileged state: the hart starts in user or
supervisor mode, with stvec and sepc pointing into the stream, so exceptions
in user mode trap into "kernel" code there and sret goes back and forth.
Both cores run the same stream with the same budgets, also in chunks, and
with a hypervisor-like ecall handler that reflects user-mode ecalls to the
guest kernel; every stop, retired count, pc, register, CSR, level, byte of
memory, device access and fault record must match.
"""

from __future__ import annotations

import os
import struct

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from lab.cpu.base import Cause, Privilege, RunResult, Stop
from lab.cpu.bus import PAGE_SIZE, Bus, PhysicalMemory
from lab.riscv.isa import BY_NAME, CSRS, SPECS, Fmt, Kind, decode, encode

pytest.importorskip("unicorn", reason="the unicorn package is not installed")
try:
    from lab.cpu.interp import InterpCpu
except ImportError as exc:  # pragma: no cover - only while the reference is being written
    pytest.skip(f"lab.cpu.interp.InterpCpu does not import yet: {exc}", allow_module_level=True)
from lab.cpu.uc import UnicornCpu

RAM_GPA = 0x8000_0000
RAM_HOST = 0x4000
RAM_SIZE = 0x4000
DATA_GPA = RAM_GPA + 0x2000  # the data area loads and stores aim at
DATA_SIZE = 0x100
RO_GPA, RO_HOST = 0x9000_0000, 0x1000  # a read-only page, like a read-only grant
RW_GPA, RW_HOST = 0x9000_1000, 0x2000  # a writable one
DEV_GPA, DEV_SIZE = 0x1000_0000, 8
HOLE_GPA = 0x7FFF_F800  # nothing is mapped here

# Base registers the random code never overwrites, so most accesses land
# where they are aimed. x22 points at the stream itself (code), x25 at a
# writable page that starts with a copy of the stream.
BASES = {27: DATA_GPA, 26: RO_GPA, 25: RW_GPA, 24: DEV_GPA, 23: HOLE_GPA, 22: RAM_GPA}
FREE = [r for r in range(32) if r not in BASES]

ALU = [s for s in SPECS if s.kind in (Kind.ALU, Kind.ALU_IMM)]
LOADS = [s for s in SPECS if s.kind is Kind.LOAD]
STORES = [s for s in SPECS if s.kind is Kind.STORE]
BRANCHES = [s for s in SPECS if s.kind is Kind.BRANCH]
CSR_OPS = [s for s in SPECS if s.kind is Kind.CSR]
# This machine's CSRs, and some it lacks: ustatus, fflags and fcsr (QEMU runs
# those in careful mode), cycle, satp, mstatus, a custom one.
CSR_NUMBERS = [c.number for c in CSRS] * 3 + [0x000, 0x001, 0x003, 0xC00, 0x180, 0x300, 0x7C0]
SIZE = {"b": 1, "h": 2, "w": 4}


class Device:
    """A register file that logs every access, so both cores' device traffic
    can be compared."""

    def __init__(self) -> None:
        self.log: list[tuple] = []
        self.regs = [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]

    def read(self, offset: int, size: int) -> int:
        self.log.append(("r", offset, size))
        return int.from_bytes(bytes(self.regs[offset : offset + size]).ljust(size, b"\0"), "little")

    def write(self, offset: int, size: int, value: int) -> None:
        self.log.append(("w", offset, size, value))
        for i in range(size):
            if offset + i < len(self.regs):
                self.regs[offset + i] = value >> (8 * i) & 0xFF


class Machine:
    def __init__(
        self,
        backend: str,
        code: list[int],
        regs: list[int],
        seed: bytes,
        priv: dict | None = None,
        **uc_options,
    ) -> None:
        self.mem = PhysicalMemory(RAM_HOST + RAM_SIZE)
        self.bus = Bus(self.mem, ram_gpa=RAM_GPA, ram_host=RAM_HOST, ram_size=RAM_SIZE)
        self.bus.map_page(RO_GPA, RO_HOST, writable=False)
        self.bus.map_page(RW_GPA, RW_HOST, writable=True)
        self.dev = Device()
        self.bus.add_mmio(DEV_GPA, DEV_SIZE, self.dev)
        image = b"".join(struct.pack("<I", w) for w in code)
        for host in (RO_HOST, RW_HOST, RAM_HOST + DATA_GPA - RAM_GPA):
            self.mem.write(host, seed)
        self.mem.write(RW_HOST, image + seed)
        self.mem.write(RAM_HOST, image)
        self.cpu = InterpCpu(self.bus) if backend == "interp" else UnicornCpu(self.bus, **uc_options)
        self.cpu.reset(RAM_GPA, RAM_GPA + RAM_SIZE)
        for i, v in enumerate(regs):
            self.cpu.set_reg(i, v)
        for r, v in BASES.items():
            self.cpu.set_reg(r, v)
        if priv is not None:
            self.cpu.priv.restore(priv)

    def state(self) -> dict:
        return {
            "pc": self.cpu.pc,
            "regs": self.cpu.regs(),
            "instret": self.cpu.instret,
            "priv": self.cpu.priv.snapshot(),
            "ram": self.mem.read(RAM_HOST, RAM_SIZE),
            "pages": self.mem.read(RO_HOST, 2 * PAGE_SIZE),
            "dev": list(self.dev.log),
        }

    def close(self) -> None:
        self.cpu.close()


# ---------------------------------------------------------------- streams


def _mem_offset(draw, size: int) -> tuple[int, int]:
    """(base register, imm): mostly aligned into the data area, sometimes
    misaligned, sometimes aimed at the other regions."""
    where = draw(st.sampled_from([27] * 6 + [26, 25, 24, 23, 22]))
    limit = {27: DATA_SIZE, 26: 64, 25: 64, 24: DEV_SIZE + 4, 23: 64, 22: 160}[where]
    if draw(st.integers(0, 4)) == 0:
        return where, draw(st.integers(0, limit - 1))  # any alignment
    return where, draw(st.integers(0, (limit - size) // size)) * size


@st.composite
def instruction(draw, index: int, length: int) -> int:
    """One instruction word for slot `index` of a `length`-slot stream."""
    kind = draw(
        st.sampled_from(
            ["alu"] * 10 + ["load"] * 4 + ["store"] * 4 + ["branch"] * 3 + ["jal"] * 2
            + ["u"] * 2 + ["csr"] * 3 + ["jalr", "far", "sys", "sret", "oddjump", "illegal"]
        )
    )  # fmt: skip
    rd = draw(st.sampled_from(FREE))
    rs1, rs2 = draw(st.integers(0, 31)), draw(st.integers(0, 31))
    fwd = st.integers(index + 1, length)  # forward targets stay inside the stream (or just past it)
    if kind == "alu":
        spec = draw(st.sampled_from(ALU))
        imm = draw(st.integers(0, 31) if spec.fmt is Fmt.SHIFT else st.integers(-2048, 2047))
        return encode(spec, rd, rs1, rs2, imm)
    if kind == "load":
        spec = draw(st.sampled_from(LOADS))
        base, imm = _mem_offset(draw, SIZE[spec.name[1]])
        return encode(spec, rd, base, 0, imm)
    if kind == "store":
        spec = draw(st.sampled_from(STORES))
        base, imm = _mem_offset(draw, SIZE[spec.name[1]])
        return encode(spec, 0, base, rs2, imm)
    if kind == "branch":
        return encode(draw(st.sampled_from(BRANCHES)), 0, rs1, rs2, 4 * (draw(fwd) - index))
    if kind == "jal":
        return encode(BY_NAME["jal"], rd, 0, 0, 4 * (draw(fwd) - index))
    if kind == "u":
        return encode(
            BY_NAME[draw(st.sampled_from(["lui", "auipc"]))], rd, 0, 0, draw(st.integers(0, 0xFFFFF))
        )
    if kind == "jalr":
        # Through a register: usually somewhere wild (a fetch fault), or x0-relative.
        return encode(BY_NAME["jalr"], rd, draw(st.sampled_from([0, rs1])), 0, draw(st.integers(-2048, 2047)))
    if kind == "far":  # into the writable page's copy of the stream, a little ahead
        return encode(BY_NAME["jalr"], rd, 25, 0, 4 * draw(st.integers(index + 1, length)))
    if kind == "sys":
        return encode(BY_NAME[draw(st.sampled_from(["ecall", "ebreak", "wfi"]))])
    if kind == "csr":
        spec = draw(st.sampled_from(CSR_OPS))
        source = draw(st.integers(0, 31))  # a register, or for csrr?i the immediate
        if draw(st.integers(0, 3)) == 0:
            source = 0  # csrr, and csrrs/csrrc that write nothing
        return encode(spec, draw(st.sampled_from([0, rd])), source, 0, draw(st.sampled_from(CSR_NUMBERS)))
    if kind == "sret":
        return encode(BY_NAME["sret"])
    if kind == "oddjump":  # a target two bytes off: fetch misaligned, raised on the jump
        spec = BY_NAME[draw(st.sampled_from(["jal", "beq", "bne"]))]
        return encode(spec, rd if spec.name == "jal" else 0, rs1, rs2, 4 * (draw(fwd) - index) - 2)
    # An illegal word; often a SYSTEM one (CSR access, mret, ...) that QEMU
    # knows, or fence.i, which QEMU would run and the reference rejects.
    word = draw(
        st.one_of(
            st.integers(0, 0xFFFFFFFF).map(lambda w: w if w & 1 else (w & ~0x7F) | 0x73),
            st.integers(0, 0xFFFFFFFF).map(lambda w: (w & ~0x707F) | 0x100F),
        ).filter(lambda w: decode(w) is None)
    )
    return word


@st.composite
def privileged_state(draw, length: int) -> dict:
    """Where the hart starts: its level, and CSRs that point into the stream
    (a trap lands on one of its slots, sret returns to another), now and then
    somewhere else (misaligned, or outside RAM)."""
    slot = st.integers(0, length).map(lambda i: RAM_GPA + 4 * i)
    anywhere = st.one_of(slot, slot, slot, st.integers(0, 0xFFFFFFFF))
    return {
        "mode": draw(st.sampled_from([Privilege.USER, Privilege.SUPERVISOR])),
        "sstatus": draw(st.integers(0, 0xFFFFFFFF)),
        "stvec": draw(anywhere),
        "sepc": draw(anywhere),
        "sscratch": draw(st.integers(0, 0xFFFFFFFF)),
        "scause": draw(st.integers(0, 15)),
        "stval": draw(st.integers(0, 0xFFFFFFFF)),
    }


@st.composite
def program(draw) -> tuple[list[int], list[int], bytes, dict]:
    length = draw(st.integers(1, 40))
    code = [draw(instruction(i, length)) for i in range(length)]
    regs = draw(st.lists(st.integers(0, 0xFFFFFFFF), min_size=32, max_size=32))
    seed = draw(st.binary(min_size=DATA_SIZE, max_size=DATA_SIZE))
    return code, regs, seed, draw(privileged_state(length))


def run_chunks(m: Machine, chunks: list[int]) -> list[RunResult]:
    """Run `chunks` budgets one after another, resuming after ecall, ebreak
    and wfi, stopping at the first fault."""
    results = []
    for n in chunks:
        r = m.cpu.run(n)
        results.append(r)
        if r.stop is Stop.FAULT:
            break
    return results


# HVLAB_DIFF_EXAMPLES=5000 for a deeper hunt; the default keeps the file under ~30 s.
SETTINGS = settings(
    max_examples=int(os.environ.get("HVLAB_DIFF_EXAMPLES", "100")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


class Hypervisor:
    """An ecall handler shaped like the hypervisor's: it logs each call with
    the caller's level, reflects a user-mode ecall into the guest kernel
    (scause 8) when a7 is odd, and answers the rest in a0, as a hypercall."""

    def __init__(self, m: Machine) -> None:
        self.m = m
        self.log: list[tuple[int, int, int]] = []

    def __call__(self, pc: int, retired: int) -> bool:
        cpu = self.m.cpu
        self.log.append((pc, retired, cpu.mode))
        if cpu.mode is Privilege.USER and cpu.get_reg(17) & 1:
            cpu.redirect_trap(Cause.USER_ECALL, pc)
        else:
            cpu.set_reg(10, pc ^ retired)
        return len(self.log) % 7 != 0  # now and then the handler stops the run


def compare(prog, chunks: list[int], *, hypervisor: bool = False, **uc_options) -> None:
    code, regs, seed, priv = prog
    ref = Machine("interp", code, regs, seed, priv)
    uc = Machine("unicorn", code, regs, seed, priv, **uc_options)
    handlers = (Hypervisor(ref), Hypervisor(uc)) if hypervisor else (None, None)
    try:
        for n in chunks:
            want, got = ref.cpu.run(n, on_ecall=handlers[0]), uc.cpu.run(n, on_ecall=handlers[1])
            assert got == want, [f"{w:#010x}" for w in code]
            assert uc.state() == ref.state()
            if hypervisor:
                assert handlers[1].log == handlers[0].log
            event(want.fault.cause.name if want.fault else want.stop.name)
            if want.stop is Stop.FAULT:
                break
    finally:
        ref.close()
        uc.close()


CHUNKS = st.lists(st.integers(0, 50), min_size=1, max_size=8)


@SETTINGS
@given(prog=program(), chunks=CHUNKS)
def test_unicorn_matches_reference(prog, chunks) -> None:
    compare(prog, chunks)


@SETTINGS
@given(prog=program(), chunks=CHUNKS)
def test_unicorn_matches_reference_under_a_hypervisor(prog, chunks) -> None:
    """Ecalls handled inline, user-mode ones reflected into the guest kernel
    from inside the handler (KVM's trap redirect), the rest answered."""
    compare(prog, chunks, hypervisor=True)


@settings(SETTINGS, max_examples=max(SETTINGS.max_examples // 4, 1))
@given(prog=program(), chunks=CHUNKS)
def test_unicorn_fallback_hooks_match_reference(prog, chunks) -> None:
    """The Python twins of the hooks, used where the machine code cannot run,
    must be just as exact."""
    compare(prog, chunks, native=False)


@settings(SETTINGS, max_examples=max(SETTINGS.max_examples // 4, 1))
@given(prog=program(), chunks=CHUNKS)
def test_unicorn_careful_mode_matches_reference(prog, chunks) -> None:
    """Careful mode alone (a hook before every instruction) must be just as exact."""
    compare(prog, chunks, fast_mode=False)


@SETTINGS
@given(prog=program(), data=st.data())
def test_chunked_runs_equal_one_run(prog, data) -> None:
    """run(n) at once and the same n in random pieces end in the same state,
    on each core."""
    code, regs, seed, priv = prog
    total = data.draw(st.integers(1, 60))
    cuts = sorted(data.draw(st.lists(st.integers(1, total), max_size=6)))
    pieces = [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]
    for backend in ("interp", "unicorn"):
        whole, split = Machine(backend, code, regs, seed, priv), Machine(backend, code, regs, seed, priv)
        try:
            # Drive both to `total` retired instructions or the first fault,
            # resuming across ecall/ebreak/wfi the way the hypervisor does.
            for m, budgets in ((whole, [total]), (split, pieces)):
                for n in budgets:
                    left = n
                    while left > 0:
                        r = m.cpu.run(left)
                        left -= r.retired
                        if r.stop is Stop.FAULT:
                            break
                    else:
                        continue
                    break
            assert split.state() == whole.state(), backend
        finally:
            whole.close()
            split.close()
