"""A tiny in-test assembler and machine for the CPU tests, built on `lab.riscv.isa.encode`.

    p = Asm()
    p.li("t0", 10)
    p.label("loop")
    p.addi("t0", "t0", -1)
    p.bne("t0", "zero", "loop")
    p.ebreak()
    m = Machine("interp")
    m.load(p)
    result = m.cpu.run(1000)

Operands follow GNU as order: `lw(rd, imm, rs1)` for `lw rd, imm(rs1)`,
`sw(rs2, imm, rs1)`, branches and jumps take a label or a byte offset; CSR instructions take the
CSR by name or number: `csrrw(rd, "sstatus", rs1)`, `csrrwi(rd, 0x140, uimm)`.
Independent of `lab.riscv.asm` on purpose: the CPU tests must not need the assembler.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lab.cpu import make_cpu
from lab.cpu.bus import Bus, PhysicalMemory
from lab.riscv.isa import BY_NAME, CSR_BY_NAME, REGISTERS, Fmt, encode, sext

RAM_GPA = 0x8000_0000
RAM_HOST = 0x4000  # host bytes below this stand in for the hypervisor's region
RAM_SIZE = 0x10000
UART_GPA = 0x1000_0000
PAGE_GPA = 0x9000_0000  # where tests map grant-like pages


def _r(name: str | int) -> int:
    return name if isinstance(name, int) else REGISTERS[name]


class Asm:
    """Collects instruction words; labels resolve when `words()` is called."""

    def __init__(self, base: int = RAM_GPA) -> None:
        self.base = base
        self._items: list[tuple] = []
        self.labels: dict[str, int] = {}

    @property
    def here(self) -> int:
        return self.base + 4 * len(self._items)

    def label(self, name: str) -> int:
        self.labels[name] = self.here
        return self.here

    def word(self, w: int) -> None:
        self._items.append(("word", w))

    def li(self, rd: str, value: int) -> None:
        """lui + addi, always two words (so addresses stay predictable)."""
        value &= 0xFFFFFFFF
        lo = sext(value, 12)
        hi = ((value - lo) >> 12) & 0xFFFFF
        self._items.append(("lui", _r(rd), 0, 0, hi))
        self._items.append(("addi", _r(rd), _r(rd), 0, lo))

    def __getattr__(self, name: str):
        spec = BY_NAME.get(name)
        if spec is None:
            raise AttributeError(name)

        def op(*args):
            f = spec.fmt
            if f is Fmt.R:
                rd, rs1, rs2 = args
                self._items.append((name, _r(rd), _r(rs1), _r(rs2), 0))
            elif spec.operands == "rd,imm(rs1)":  # loads and jalr
                rd, imm, rs1 = args
                self._items.append((name, _r(rd), _r(rs1), 0, imm))
            elif f in (Fmt.I, Fmt.SHIFT):
                rd, rs1, imm = args
                self._items.append((name, _r(rd), _r(rs1), 0, imm))
            elif f is Fmt.S:
                rs2, imm, rs1 = args
                self._items.append((name, 0, _r(rs1), _r(rs2), imm))
            elif f is Fmt.B:
                rs1, rs2, target = args
                self._items.append((name, 0, _r(rs1), _r(rs2), target))
            elif f is Fmt.U:
                rd, imm = args
                self._items.append((name, _r(rd), 0, 0, imm))
            elif f is Fmt.J:
                rd, target = args
                self._items.append((name, _r(rd), 0, 0, target))
            elif f is Fmt.CSR:
                rd, csr, source = args
                number = CSR_BY_NAME[csr].number if isinstance(csr, str) else csr
                field = source if name.endswith("i") else _r(source)
                self._items.append((name, _r(rd), field, 0, number))
            else:
                self._items.append((name, 0, 0, 0, 0))

        return op

    def words(self) -> list[int]:
        out = []
        for i, item in enumerate(self._items):
            if item[0] == "word":
                out.append(item[1] & 0xFFFFFFFF)
                continue
            name, rd, rs1, rs2, imm = item
            spec = BY_NAME[name]
            if isinstance(imm, str):
                imm = self.labels[imm] - (self.base + 4 * i)
            out.append(encode(spec, rd=rd, rs1=rs1, rs2=rs2, imm=imm))
        return out

    def image(self) -> bytes:
        return b"".join(w.to_bytes(4, "little") for w in self.words())


@dataclass
class Uart:
    """16550 subset: THR/RBR at 0, LSR at 5 (bit 0 data ready, bit 5 THR empty)."""

    out: bytearray = field(default_factory=bytearray)
    rx: bytearray = field(default_factory=bytearray)
    log: list[tuple[str, int, int, int]] = field(default_factory=list)

    def read(self, offset: int, size: int) -> int:
        self.log.append(("r", offset, size, 0))
        if offset == 0 and self.rx:
            return self.rx.pop(0)
        if offset == 5:
            return 0x20 | (1 if self.rx else 0)
        return 0

    def write(self, offset: int, size: int, value: int) -> None:
        self.log.append(("w", offset, size, value))
        if offset == 0:
            self.out.append(value & 0xFF)


class Machine:
    """One hart on a small bus: RAM, a UART, and room for mapped pages."""

    def __init__(self, backend: str, *, host_size: int = 0x40000) -> None:
        self.mem = PhysicalMemory(host_size)
        self.bus = Bus(self.mem, ram_gpa=RAM_GPA, ram_host=RAM_HOST, ram_size=RAM_SIZE)
        self.uart = Uart()
        self.bus.add_mmio(UART_GPA, 8, self.uart)
        self.cpu = make_cpu(backend, self.bus)
        self.cpu.reset(RAM_GPA, RAM_GPA + RAM_SIZE)

    def load(self, prog: Asm | bytes, at: int = RAM_GPA) -> None:
        data = prog.image() if isinstance(prog, Asm) else prog
        self.mem.write(RAM_HOST + at - RAM_GPA, data)

    def host(self, gpa: int) -> int:
        return RAM_HOST + gpa - RAM_GPA

    def read32(self, gpa: int) -> int:
        return int.from_bytes(self.mem.read(self.host(gpa), 4), "little")

    def write32(self, gpa: int, value: int) -> None:
        self.mem.write(self.host(gpa), (value & 0xFFFFFFFF).to_bytes(4, "little"))

    def reg(self, name: str) -> int:
        return self.cpu.get_reg(_r(name))

    def close(self) -> None:
        self.cpu.close()


NEVER = 1 << 62  # a hot threshold no block reaches: the interp core with translation off


def interp_machine(hot: int) -> Machine:
    """A Machine on the interp core that translates a block after `hot` runs (NEVER: never)."""
    from lab.cpu.interp import InterpCpu

    m = Machine("interp")
    m.cpu.close()
    m.cpu = InterpCpu(m.bus, hot_threshold=hot)
    m.cpu.reset(RAM_GPA, RAM_GPA + RAM_SIZE)
    return m
