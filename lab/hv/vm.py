"""One virtual machine: a vCPU, its RAM, its UART, its state and privileges.

A VM's guest-physical memory map (the shape of QEMU's virt board):

    0x1000_0000  8 bytes     UART (lab.hv.devices.uart)
    0x8000_0000  ram_size    RAM; programs load here, sp starts at the top
    0x9000_0000  1 MiB       grant window: pages other VMs granted and this VM mapped

`owns(gpa, n)` is the bounds check a careful hypercall handler makes before
touching a guest buffer: all n bytes must be this VM's RAM or its mapped
grant pages. `read_guest`/`write_guest` translate the way a careless
handler does, page by page through the VM's map and, where a page is not
mapped, by plain arithmetic from the RAM base: so without the check, a
buffer past the end of RAM really is the next VM's RAM (and one below it
the previous VM's, or the hypervisor's own region).
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING, Any, Final

from lab.cpu import Bus, Cpu, Fault, make_cpu, register_file
from lab.cpu.bus import PAGE_SHIFT, PAGE_SIZE
from lab.hv.devices.uart import UART_BASE, UART_SIZE, Uart
from lab.riscv.board import GRANT_WINDOW, GRANT_WINDOW_SIZE, RAM_BASE  # noqa: F401  (the map, re-exported)

if TYPE_CHECKING:
    from lab.hv.devices.blk import Disk
    from lab.hv.memory import HostMemory
    from lab.net.ratelimit import RateLimiter
    from lab.riscv.program import Program

CONSOLE_LIMIT: Final = 256 * 1024  # bytes of console output kept per VM
LINE_LIMIT: Final = 4096  # characters of one console line before a line-by-line front end breaks it


class VmState(IntEnum):
    """As VMCTL info() reports it."""

    RUNNING = 0
    PAUSED = 1
    HALTED = 2
    FAULTED = 3

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(slots=True)
class VmConfig:
    """What a scenario says about one VM."""

    name: str
    program: Program | None = None
    memory: int = 1 << 20
    weight: int = 1
    control: bool = False
    secret: bytes = b""
    secret_gpa: int | None = None  # where the secret goes (default: the program's `secret` symbol)
    disk: int = 0  # bytes of virtual disk (0: none)
    # What the hypervisor writes into RAM at every boot, after the program and the secret, by
    # purpose ("variant", "mgmt_password"): purpose -> (gpa, bytes). A scenario's `variant_at`
    # and `mgmt_password_at` fill it; a student's seed rewrites it (lab.lesson.variants).
    provisioned: dict[str, tuple[int, bytes]] = field(default_factory=dict)


@dataclass(slots=True)
class Vm:
    domid: int
    config: VmConfig
    mem: HostMemory
    bus: Bus
    cpu: Cpu
    uart: Uart
    state: VmState = VmState.RUNNING
    waiting: bool = False  # parked in wfi until an event arrives
    wake_pending: bool = False  # an event arrived while it was not parked: the next wfi returns
    fault: Fault | None = None
    exit_code: int | None = None
    destroyed: bool = False
    boots: int = 1
    console: bytearray = field(default_factory=bytearray)
    console_seq: int = 0  # bytes ever written to the console
    on_output: Callable[[Vm, bytes], None] | None = None
    hypercalls: int = 0
    disk: Disk | None = None  # its slice of the backing store (lab.hv.devices.blk)
    disk_limiter: RateLimiter | None = None  # blk.rate_limit, built by the BLK handlers
    regs: Any = None  # x0..x31 as the hypercall path reads them (lab.cpu.register_file)

    # -- construction

    @classmethod
    def create(
        cls,
        domid: int,
        config: VmConfig,
        mem: HostMemory,
        *,
        backend: str,
        on_output: Callable[[Vm, bytes], None] | None = None,
    ) -> Vm:
        ram_host = mem.alloc_ram(config.memory, f"dom{domid} ({config.name})")
        bus = Bus(mem, ram_gpa=RAM_BASE, ram_host=ram_host, ram_size=config.memory)
        vm: Vm
        uart = Uart(lambda byte: vm.console_write(bytes((byte,))))
        bus.add_mmio(UART_BASE, UART_SIZE, uart)
        cpu = make_cpu(backend, bus)
        vm = cls(domid, config, mem, bus, cpu, uart, on_output=on_output, regs=register_file(cpu))
        vm.boot()
        return vm

    def boot(self) -> None:
        """Load the program (and the secret) into scrubbed RAM and start at the entry point."""
        from lab.riscv.program import check_fits

        self.mem.fill(self.ram_host, self.ram_size, 0)
        entry = RAM_BASE
        program = self.config.program
        if program is not None:
            check_fits(program, ram_gpa=RAM_BASE, ram_size=self.ram_size)
            for seg in program.segments:
                self.mem.write(self.ram_host + seg.gpa - RAM_BASE, seg.data)
            entry = program.entry
        if self.config.secret:
            gpa = self.secret_gpa
            if not (RAM_BASE <= gpa and gpa + len(self.config.secret) <= RAM_BASE + self.ram_size):
                raise ValueError(f"{self.label}: the secret at {gpa:#x} does not lie inside the VM's RAM")
            self.mem.write(self.ram_host + gpa - RAM_BASE, self.config.secret)
        for gpa, data in self.config.provisioned.values():
            if not (RAM_BASE <= gpa and gpa + len(data) <= RAM_BASE + self.ram_size):
                raise ValueError(f"{self.label}: provisioned data at {gpa:#x} is not inside the VM's RAM")
            self.mem.write(self.ram_host + gpa - RAM_BASE, data)
        self.cpu.reset(entry, RAM_BASE + self.ram_size)
        self.state = VmState.RUNNING
        self.waiting = False
        self.wake_pending = False
        self.fault = None
        self.exit_code = None

    # -- identity and layout

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def label(self) -> str:
        return f"dom{self.domid} ({self.name})"

    @property
    def control(self) -> bool:
        return self.config.control

    @property
    def weight(self) -> int:
        return self.config.weight

    @property
    def ram_host(self) -> int:
        return self.bus.ram_host

    @property
    def ram_size(self) -> int:
        return self.bus.ram_size

    @property
    def secret_gpa(self) -> int:
        """Guest address of this VM's secret: the scenario's, else the program's
        `secret` symbol, else the start of RAM's last page."""
        if self.config.secret_gpa is not None:
            return self.config.secret_gpa
        program = self.config.program
        if program is not None and "secret" in program.symbols:
            return program.symbols["secret"]
        return RAM_BASE + self.ram_size - PAGE_SIZE

    @property
    def runnable(self) -> bool:
        return self.state is VmState.RUNNING and not self.waiting and not self.destroyed

    # -- guest memory, as a hypercall handler sees it

    def owns(self, gpa: int, size: int, *, write: bool = False) -> bool:
        """Do guest bytes [gpa, gpa+size) all belong to this VM (RAM or mapped grants)?"""
        end = gpa + size
        if RAM_BASE <= gpa and end <= self.bus.ram_gpa + self.bus.ram_size:
            return True  # the common case: a buffer in RAM
        if size == 0:
            return True
        if gpa < 0 or end > 1 << 32:
            return False
        page = gpa >> PAGE_SHIFT
        while page << PAGE_SHIFT < end:
            mapped = self.bus.pages.get(page)
            in_ram = RAM_BASE <= page << PAGE_SHIFT < RAM_BASE + self.ram_size
            if not in_ram and (mapped is None or (write and not mapped.writable)):
                return False
            page += 1
        return True

    def _pieces(self, gpa: int, size: int) -> list[tuple[int, int]]:
        """Host (offset, length) pieces for guest [gpa, gpa+size), translated
        page by page: mapped pages through the map, anything else by
        arithmetic from the RAM base (no check: that is the caller's job).
        Pieces outside host memory are dropped."""
        pieces: list[tuple[int, int]] = []
        while size > 0:
            chunk = min(size, PAGE_SIZE - (gpa & (PAGE_SIZE - 1)))
            mapped = self.bus.pages.get(gpa >> PAGE_SHIFT)
            if mapped is not None:
                host = mapped.host_off + (gpa & (PAGE_SIZE - 1))
            else:
                host = self.ram_host + (gpa - RAM_BASE)
            lo, hi = max(host, 0), min(host + chunk, self.mem.size)
            if lo < hi:
                if pieces and pieces[-1][0] + pieces[-1][1] == lo:
                    pieces[-1] = (pieces[-1][0], pieces[-1][1] + hi - lo)
                else:
                    pieces.append((lo, hi - lo))
            gpa += chunk
            size -= chunk
        return pieces

    def read_guest(self, gpa: int, size: int) -> bytes:
        """Read guest bytes without any check (see the module doc)."""
        off = gpa - RAM_BASE
        if 0 <= off and off + size <= self.bus.ram_size:  # the common case: all in RAM
            return self.mem.read(self.bus.ram_host + off, size)
        return b"".join(self.mem.read(off, n) for off, n in self._pieces(gpa, size))

    def write_guest(self, gpa: int, data: bytes) -> int:
        """Write guest bytes without any check; returns how many landed in host memory."""
        done = 0
        for off, n in self._pieces(gpa, len(data)):
            self.mem.write(off, data[done : done + n])
            done += n
        return done

    def host_span(self, gpa: int, size: int) -> list[str]:
        """Who owns the host bytes an unchecked access to [gpa, gpa+size) touches."""
        owners: list[str] = []
        for off, n in self._pieces(gpa, size):
            for owner in self.mem.owners_of(off, n):
                if owner not in owners:
                    owners.append(owner)
        return owners

    # -- console

    def console_write(self, data: bytes) -> None:
        self.console += data
        self.console_seq += len(data)
        if len(self.console) > CONSOLE_LIMIT:
            del self.console[: len(self.console) - CONSOLE_LIMIT]
        if self.on_output is not None:
            self.on_output(self, data)

    def notify(self) -> None:
        """An event for this VM (console input, a datagram, a frame, a completion).

        A vCPU parked in wfi wakes; one that is running will find its next wfi
        return at once, so an event that arrives between a guest's last check
        of its devices and its wfi is never lost. A guest that ignores an event
        parks again at the wfi after that: it does not spin.
        """
        if self.waiting:
            self.waiting = False
        else:
            self.wake_pending = True

    def feed(self, data: bytes) -> None:
        """Console input: the UART receives it and the VM is notified."""
        self.uart.feed(data)
        self.notify()

    def console_text(self) -> str:
        return self.console.decode("utf-8", "replace")


class ConsoleLines:
    """A VM's console output cut into lines, for a front end that prints line by line (`hvlab run`).

        lines = ConsoleLines()
        for line in lines.feed(data): print(line)      # on every write, then at the end:
        print(lines.flush())                             # the last, unfinished line

    Output is decoded as UTF-8 (a character split across two writes stays whole; a
    byte that is not UTF-8 shows as U+FFFD) and each write is scanned once, so the
    cost is linear in the output. A line longer than `limit` (LINE_LIMIT) characters
    comes out in pieces of `limit` characters, each a line of its own: what is held
    back for an unfinished line never grows past `limit`, however long a guest goes
    without printing a newline.
    """

    __slots__ = ("_decoder", "_held", "_parts", "limit")

    def __init__(self, limit: int = LINE_LIMIT) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._parts: list[str] = []  # the unfinished line
        self._held = 0  # its length in characters, at most `limit`
        self.limit = limit

    def feed(self, data: bytes) -> list[str]:
        """The lines (without their newline) that `data` completes, and the pieces it fills."""
        text = self._decoder.decode(data)
        lines: list[str] = []
        start = 0
        while True:
            newline = text.find("\n", start)
            end = len(text) if newline < 0 else newline
            while end - start > self.limit - self._held:  # a piece is full and more follows
                cut = start + self.limit - self._held
                self._parts.append(text[start:cut])
                lines.append(self._take())
                start = cut
            if start < end:
                self._parts.append(text[start:end])
                self._held += end - start
            if newline < 0:
                return lines
            lines.append(self._take())
            start = newline + 1

    def flush(self) -> str:
        """The unfinished line ("" if none), given out and forgotten."""
        self._parts.append(self._decoder.decode(b"", final=True))
        return self._take()

    def _take(self) -> str:
        line = "".join(self._parts)
        self._parts.clear()
        self._held = 0
        return line
