"""Unicorn-specific tests: what the unicorn core must hide or mirror that the
reference never has to think about (QEMU's ecall/wfi/ebreak reporting,
misaligned accesses, translation caching, memory shared by pointer, the page
map, the counting and alignment fast paths and their fallbacks)."""

from __future__ import annotations

import struct

import pytest

from lab.cpu.base import Cause, Fault, Stop
from lab.cpu.bus import PAGE_SIZE, Bus, PhysicalMemory
from lab.riscv.isa import BY_NAME, encode

pytest.importorskip("unicorn", reason="the unicorn package is not installed")
from lab.cpu import make_cpu
from lab.cpu.uc import UnicornCpu

RAM_GPA, RAM_HOST, RAM_SIZE = 0x8000_0000, 0x4000, 0x10000
DATA = RAM_GPA + 0x8000
PAGE_GPA = 0x9000_0000
PAGE_HOST = 0x1000


def op(name: str, rd: int = 0, rs1: int = 0, rs2: int = 0, imm: int = 0) -> int:
    return encode(BY_NAME[name], rd, rs1, rs2, imm)


ADDI_T1 = op("addi", 6, 6, 0, 1)
ECALL, EBREAK, WFI = op("ecall"), op("ebreak"), op("wfi")
# t1 += 1; t0 -= 1; loop while t0 != 0; ecall
LOOP = [ADDI_T1, op("addi", 5, 5, 0, -1), op("bne", 0, 5, 0, -8), ECALL]

MODES = [
    pytest.param({}, id="fast"),
    pytest.param({"native": False}, id="python-hooks"),
    pytest.param({"fast_mode": False}, id="careful-only"),
]


class Vm:
    def __init__(self, words: list[int], **options) -> None:
        self.mem = PhysicalMemory(RAM_HOST + RAM_SIZE)
        self.bus = Bus(self.mem, ram_gpa=RAM_GPA, ram_host=RAM_HOST, ram_size=RAM_SIZE)
        self.cpu = UnicornCpu(self.bus, **options)
        self.load(words)
        self.cpu.reset(RAM_GPA, RAM_GPA + RAM_SIZE)

    def load(self, words: list[int], at: int = RAM_HOST) -> None:
        self.mem.write(at, b"".join(struct.pack("<I", w) for w in words))


@pytest.fixture(params=MODES)
def options(request) -> dict:
    return request.param


def test_fast_paths_are_available_here() -> None:
    """On this (x86-64 Linux) host the fast paths must engage; elsewhere the
    fallbacks run, and the other tests cover them too."""
    vm = Vm([ECALL])
    assert vm.cpu.narrowed and vm.cpu.native and vm.cpu.fast_mode
    assert vm.cpu._regs is not None  # QEMU's register file, read in place
    assert vm.cpu._state.switch == 1  # careful mode entered without leaving emu_start


def test_make_cpu_builds_it() -> None:
    mem = PhysicalMemory(RAM_HOST + RAM_SIZE)
    cpu = make_cpu("unicorn", Bus(mem, ram_gpa=RAM_GPA, ram_host=RAM_HOST, ram_size=RAM_SIZE))
    assert cpu.backend == "unicorn"
    cpu.close()


def test_ecall_pc_quirk_is_hidden(options) -> None:
    vm = Vm([ADDI_T1, ECALL, ADDI_T1, EBREAK], **options)
    r = vm.cpu.run(100)
    assert (r.stop, r.retired, r.pc) == (Stop.ECALL, 2, RAM_GPA + 4)
    assert vm.cpu.pc == RAM_GPA + 8  # already past the ecall: the hypervisor just runs on
    r = vm.cpu.run(100)
    assert (r.stop, r.retired, r.pc, vm.cpu.pc) == (Stop.EBREAK, 2, RAM_GPA + 12, RAM_GPA + 16)
    assert vm.cpu.instret == 4 and vm.cpu.get_reg(6) == 2


def test_wfi_retires_and_running_resumes_after_it(options) -> None:
    vm = Vm([WFI, ADDI_T1, WFI, ADDI_T1, ECALL], **options)
    results = [vm.cpu.run(100) for _ in range(3)]
    assert [(r.stop, r.retired, r.pc) for r in results] == [
        (Stop.WFI, 1, RAM_GPA),
        (Stop.WFI, 2, RAM_GPA + 8),
        (Stop.ECALL, 2, RAM_GPA + 16),
    ]
    assert vm.cpu.get_reg(6) == 2


def test_wfi_as_the_last_instruction_of_the_budget_is_a_wfi_stop() -> None:
    vm = Vm([ADDI_T1, WFI, ADDI_T1])
    r = vm.cpu.run(2)
    assert (r.stop, r.retired, r.pc, vm.cpu.pc) == (Stop.WFI, 2, RAM_GPA + 4, RAM_GPA + 8)


@pytest.mark.parametrize("budget", [1, 2, 3, 7, 1000, 29_999])
def test_budget_is_exact_in_a_tight_loop(options, budget: int) -> None:
    vm = Vm(LOOP, **options)
    vm.cpu.set_reg(5, 10_000)
    r = vm.cpu.run(budget)
    assert (r.stop, r.retired) == (Stop.BUDGET, budget)
    # 3 instructions an iteration: t1 counts the iterations begun
    assert vm.cpu.get_reg(6) == (budget + 2) // 3
    assert r.pc == vm.cpu.pc == RAM_GPA + 4 * (budget % 3)
    rest = vm.cpu.run(10**6)
    assert (rest.stop, vm.cpu.instret) == (Stop.ECALL, 30_001)


def test_run_zero_does_nothing() -> None:
    vm = Vm(LOOP)
    r = vm.cpu.run(0)
    assert (r.stop, r.retired, r.pc, vm.cpu.instret) == (Stop.BUDGET, 0, RAM_GPA, 0)


def test_illegal_instruction_reports_the_word(options) -> None:
    vm = Vm([ADDI_T1, 0xFFFF_FFFF], **options)
    r = vm.cpu.run(10)
    assert r.fault == Fault(Cause.ILLEGAL_INSTRUCTION, RAM_GPA + 4, 0xFFFF_FFFF)
    assert (r.retired, vm.cpu.pc) == (1, RAM_GPA + 4)


@pytest.mark.parametrize(
    "word",
    [
        0x0000_4505,  # c.li a0, 1: QEMU would run compressed code
        0x0062_A2AF,  # amoadd.w: the A extension is not ours
        0x3020_0073,  # mret
        0x3000_22F3,  # csrr t0, mstatus
        0xC000_22F3,  # rdcycle t0: would read host ticks, not deterministic
        0xC010_22F3,  # rdtime t0
        0xC020_22F3,  # rdinstret t0
        0x0002_A007,  # flw ft0, 0(t0)
    ],
)
def test_instructions_beyond_rv32im_are_illegal(word: int) -> None:
    vm = Vm([word])
    r = vm.cpu.run(10)
    assert r.fault == Fault(Cause.ILLEGAL_INSTRUCTION, RAM_GPA, word)
    assert r.retired == 0 and vm.cpu.get_reg(10) == 0


@pytest.mark.parametrize(
    ("jump", "target"),
    [
        (op("jal", 1, imm=6), RAM_GPA + 10),
        (op("beq", 0, 0, 0, 10), RAM_GPA + 14),
        (op("jalr", 1, 7, 0, 2), DATA + 2),
    ],
)
def test_misaligned_jump_faults_on_the_jump(options, jump: int, target: int) -> None:
    vm = Vm([ADDI_T1, jump, ECALL, ECALL, ECALL], **options)
    vm.cpu.set_reg(7, DATA)
    r = vm.cpu.run(10)
    assert r.fault == Fault(Cause.FETCH_MISALIGNED, RAM_GPA + 4, target)
    assert (r.retired, vm.cpu.pc, vm.cpu.get_reg(1)) == (1, RAM_GPA + 4, 0)  # ra untouched


def test_misaligned_load_and_store_change_nothing(options) -> None:
    vm = Vm([op("lw", 6, 7, 0, 1), op("sw", 0, 7, 8, 5), op("lhu", 6, 7, 0, 3)], **options)
    vm.mem.write(RAM_HOST + DATA - RAM_GPA, bytes(range(1, 17)))
    vm.cpu.set_reg(6, 0x1234)
    vm.cpu.set_reg(7, DATA)
    vm.cpu.set_reg(8, 0xDEADBEEF)
    r = vm.cpu.run(10)
    assert r.fault == Fault(Cause.LOAD_MISALIGNED, RAM_GPA, DATA + 1)
    assert vm.cpu.get_reg(6) == 0x1234
    vm.cpu.pc = RAM_GPA + 4
    r = vm.cpu.run(10)
    assert r.fault == Fault(Cause.STORE_MISALIGNED, RAM_GPA + 4, DATA + 5)
    assert vm.mem.read(RAM_HOST + DATA - RAM_GPA, 16) == bytes(range(1, 17))
    vm.cpu.pc = RAM_GPA + 8
    assert vm.cpu.run(10).fault == Fault(Cause.LOAD_MISALIGNED, RAM_GPA + 8, DATA + 3)
    assert vm.cpu.instret == 0


def test_unmapped_accesses_fault_with_the_address(options) -> None:
    vm = Vm([op("lw", 6, 7, 0, 0), op("sb", 0, 7, 6, 3), op("jalr", 0, 7, 0, 0)], **options)
    vm.cpu.set_reg(7, 0x4000_0000)
    assert vm.cpu.run(10).fault == Fault(Cause.LOAD_ACCESS, RAM_GPA, 0x4000_0000)
    vm.cpu.pc = RAM_GPA + 4
    assert vm.cpu.run(10).fault == Fault(Cause.STORE_ACCESS, RAM_GPA + 4, 0x4000_0003)
    vm.cpu.pc = RAM_GPA + 8
    r = vm.cpu.run(10)
    assert (r.retired, r.fault) == (1, Fault(Cause.FETCH_ACCESS, 0x4000_0000, 0x4000_0000))


def test_a_fetch_fault_past_the_budget_is_just_the_budget() -> None:
    vm = Vm([op("jalr", 0, 7, 0, 0)])
    vm.cpu.set_reg(7, 0x4000_0000)
    r = vm.cpu.run(1)
    assert (r.stop, r.retired, r.pc) == (Stop.BUDGET, 1, 0x4000_0000)


def test_memory_is_shared_with_the_host_buffer(options) -> None:
    vm = Vm([op("lw", 6, 7, 0, 0), op("sw", 0, 7, 6, 4), ECALL], **options)
    vm.cpu.set_reg(7, DATA)
    host = RAM_HOST + DATA - RAM_GPA
    vm.mem.write(host, struct.pack("<I", 0xCAFEF00D))  # the hypervisor writes...
    vm.cpu.run(10)
    assert vm.cpu.get_reg(6) == 0xCAFEF00D  # ...the guest reads it
    assert vm.mem.read(host + 4, 4) == struct.pack("<I", 0xCAFEF00D)  # and the other way round


def test_code_patched_through_physical_memory_runs(options) -> None:
    """Translations are cached; a hypervisor write must drop them."""
    vm = Vm(LOOP, **options)
    vm.cpu.set_reg(5, 100)
    vm.cpu.run(30)  # the loop is translated and hot now
    vm.load([op("addi", 6, 6, 0, 100)])  # patch `t1 += 1` into `t1 += 100`
    t1 = vm.cpu.get_reg(6)
    vm.cpu.run(30)
    assert vm.cpu.get_reg(6) == t1 + 10 * 100


def test_page_map_follows_the_bus(options) -> None:
    vm = Vm([op("lw", 6, 7, 0, 0), op("sw", 0, 7, 6, 4), ECALL], **options)
    vm.cpu.set_reg(7, PAGE_GPA)
    vm.mem.write(PAGE_HOST, struct.pack("<I", 0x600DCAFE))
    assert vm.cpu.run(10).fault == Fault(Cause.LOAD_ACCESS, RAM_GPA, PAGE_GPA)

    vm.bus.map_page(PAGE_GPA, PAGE_HOST, writable=False)
    vm.cpu.pc = RAM_GPA
    r = vm.cpu.run(10)
    assert vm.cpu.get_reg(6) == 0x600DCAFE
    assert r.fault == Fault(Cause.STORE_ACCESS, RAM_GPA + 4, PAGE_GPA + 4)  # read-only
    assert vm.mem.read(PAGE_HOST + 4, 4) == bytes(4)

    vm.bus.map_page(PAGE_GPA, PAGE_HOST, writable=True)
    assert vm.cpu.run(10).stop is Stop.ECALL
    assert vm.mem.read(PAGE_HOST + 4, 4) == struct.pack("<I", 0x600DCAFE)

    vm.bus.unmap_page(PAGE_GPA)
    vm.cpu.pc = RAM_GPA
    assert vm.cpu.run(10).fault == Fault(Cause.LOAD_ACCESS, RAM_GPA, PAGE_GPA)


class Uart:
    def __init__(self) -> None:
        self.out = bytearray()
        self.reads: list[tuple[int, int]] = []

    def read(self, offset: int, size: int) -> int:
        self.reads.append((offset, size))
        return 0x20 if offset == 5 else 0  # LSR: transmitter empty

    def write(self, offset: int, size: int, value: int) -> None:
        if offset == 0:
            self.out.append(value)


def test_mmio_reaches_the_device(options) -> None:
    vm = Vm(
        [op("lbu", 6, 7, 0, 5), op("sb", 0, 7, 8, 0), op("lbu", 6, 7, 0, 9), op("lw", 6, 7, 0, 2)],
        **options,
    )
    uart = Uart()
    vm.bus.add_mmio(0x1000_0000, 8, uart)
    vm.cpu.set_reg(7, 0x1000_0000)
    vm.cpu.set_reg(8, ord("A"))
    r = vm.cpu.run(10)
    assert vm.cpu.get_reg(6) == 0x20 and bytes(uart.out) == b"A"
    assert r.fault == Fault(Cause.LOAD_ACCESS, RAM_GPA + 8, 0x1000_0009)  # past the device's 8 bytes
    vm.cpu.pc = RAM_GPA + 12
    assert vm.cpu.run(10).fault == Fault(Cause.LOAD_MISALIGNED, RAM_GPA + 12, 0x1000_0002)
    assert uart.reads == [(5, 1)]  # the faulting accesses never reached the device


def test_snapshot_restore_round_trip() -> None:
    vm = Vm(LOOP)
    vm.cpu.set_reg(5, 50)
    vm.cpu.run(17)
    saved = vm.cpu.snapshot()
    priv = {"mode": 1, "sstatus": 0, "stvec": 0, "sscratch": 0, "sepc": 0, "scause": 0, "stval": 0}
    assert saved == {"regs": vm.cpu.regs(), "pc": vm.cpu.pc, "instret": 17, "priv": priv}
    first = vm.cpu.run(1000)
    after = vm.cpu.snapshot()
    vm.cpu.restore(saved)
    assert vm.cpu.run(1000) == first and vm.cpu.snapshot() == after


def test_registers_x0_and_masking() -> None:
    vm = Vm([op("addi", 0, 0, 0, 5), ECALL])
    vm.cpu.set_reg(0, 7)
    vm.cpu.set_reg(3, -1)
    vm.cpu.run(10)
    assert vm.cpu.get_reg(0) == 0 and vm.cpu.regs()[0] == 0
    assert vm.cpu.get_reg(3) == 0xFFFF_FFFF


def test_close_unhooks_from_memory_and_bus() -> None:
    vm = Vm(LOOP)
    vm.cpu.close()
    vm.mem.write(RAM_HOST, bytes(4))  # must not call into the closed core
    vm.bus.map_page(PAGE_GPA, PAGE_HOST, writable=True)
    assert vm.cpu._invalidate not in vm.mem._invalidators
    assert vm.cpu._sync_layout not in vm.bus._listeners


def test_store_into_a_shared_page_reaches_another_core() -> None:
    """The guest of one core writes code into a page that another core runs:
    the other core must see the new code, not its stale translation."""
    interp = pytest.importorskip("lab.cpu.interp")
    mem = PhysicalMemory(0x40000)
    shared = 0x30000
    writer_bus = Bus(mem, ram_gpa=RAM_GPA, ram_host=0x4000, ram_size=RAM_SIZE)
    writer_bus.map_page(PAGE_GPA, shared, writable=True)
    runner_bus = Bus(mem, ram_gpa=RAM_GPA, ram_host=0x20000, ram_size=PAGE_SIZE)
    writer = UnicornCpu(writer_bus)
    runner = interp.InterpCpu(runner_bus, hot_threshold=1)
    code = [ADDI_T1, op("addi", 5, 5, 0, -1), op("bne", 0, 5, 0, -8), ECALL]
    mem.write(0x20000, b"".join(struct.pack("<I", w) for w in code))
    runner.reset(RAM_GPA, RAM_GPA + PAGE_SIZE)
    runner.set_reg(5, 1000)
    runner.run(300)
    # The writer's guest stores `addi t1, t1, 100` over the runner's loop body.
    mem.write(0x4000, b"".join(struct.pack("<I", w) for w in [op("sw", 0, 7, 8, 0), ECALL]))
    writer_bus.map_page(PAGE_GPA, 0x20000, writable=True)
    writer.reset(RAM_GPA, RAM_GPA + RAM_SIZE)
    writer.set_reg(7, PAGE_GPA)
    writer.set_reg(8, op("addi", 6, 6, 0, 100))
    assert writer.run(10).stop is Stop.ECALL
    t1 = runner.get_reg(6)
    runner.run(30)
    assert runner.get_reg(6) == t1 + 10 * 100


class Dma:
    """A device that writes guest code when touched (like a DMA engine that
    loads a program), so the write lands while the core is running."""

    def __init__(self, mem: PhysicalMemory, at: int, word: int) -> None:
        self.mem, self.at, self.word = mem, at, word
        self.accesses = 0

    def read(self, offset: int, size: int) -> int:
        self.accesses += 1
        self.mem.write(self.at, struct.pack("<I", self.word))
        return 0x80  # sign bit of a byte set: lb must sign-extend it

    def write(self, offset: int, size: int, value: int) -> None:
        self.accesses += 1
        self.mem.write(self.at, struct.pack("<I", self.word))


@pytest.mark.parametrize("access", [op("sw", 0, 7, 0, 0), op("lb", 8, 7, 0, 0)])
def test_device_writing_code_mid_run_takes_effect_at_once(options, access: int) -> None:
    """The next instruction was translated with the old code in the same
    block; the device's write must still be seen, and the device access
    must happen exactly once."""
    vm = Vm([ADDI_T1, access, ADDI_T1, ADDI_T1, ECALL], **options)
    dma = Dma(vm.mem, RAM_HOST + 8, op("addi", 6, 6, 0, 100))
    vm.bus.add_mmio(0x1000_0000, 8, dma)
    vm.cpu.set_reg(7, 0x1000_0000)
    r = vm.cpu.run(100)
    assert (r.stop, r.retired, vm.cpu.instret) == (Stop.ECALL, 5, 5)
    assert vm.cpu.get_reg(6) == 102 and dma.accesses == 1
    if access == op("lb", 8, 7, 0, 0):
        assert vm.cpu.get_reg(8) == 0xFFFF_FF80


def test_guest_store_over_the_next_instruction_takes_effect(options) -> None:
    """Unicorn does not notice a guest store into translated code by itself;
    the core's block and access hooks must, even inside one block."""
    new = op("addi", 6, 6, 0, 100)
    vm = Vm(
        [op("sw", 0, 7, 8, 8), ADDI_T1, ADDI_T1, op("addi", 5, 5, 0, -1), op("bne", 0, 5, 0, -16), ECALL],
        **options,
    )
    vm.cpu.set_reg(7, RAM_GPA)
    vm.cpu.set_reg(8, new)
    vm.cpu.set_reg(5, 3)
    r = vm.cpu.run(1000)
    # the first round already runs the patched word; every store after that is a no-op rewrite
    assert (r.stop, r.retired, vm.cpu.get_reg(6)) == (Stop.ECALL, 16, 3 * 101)
