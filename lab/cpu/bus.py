"""Physical memory and the guest-physical address space one vCPU sees.

`PhysicalMemory` is the host's RAM: one flat buffer that every vCPU and the
hypervisor share. A vCPU never sees host offsets; it sees a `Bus`, its
guest-physical address space, made of

    * its RAM: one contiguous window of host memory at `ram_gpa`,
    * extra pages: single 4 KiB host pages mapped at a guest address (what a
      grant mapping installs), each readable and maybe writable,
    * MMIO devices: address ranges whose reads and writes call a device.

Anything else is unmapped: an access there is an access fault.

Translated code: a core that caches translations of guest code marks the host
pages it translated (`mark_code`). Every write into host memory that can reach
such a page, whether a guest store, a hypervisor copy or another vCPU writing
through a grant, must go through `PhysicalMemory.write` (or call
`invalidate`), which tells every registered core to drop its stale
translations. That is what keeps self-modifying code and program loading
correct. A core whose own stores bypass Python (unicorn) learns from
`PhysicalMemory.mapped` which host pages some Bus maps as an extra page (a
grant): its guest's stores there may reach another core's translations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Protocol

PAGE_SHIFT: Final = 12
PAGE_SIZE: Final = 1 << PAGE_SHIFT

try:  # page-aligned, lazily committed memory where the platform has it
    import mmap as _mmap
except ImportError:  # pragma: no cover - e.g. a WebAssembly build without mmap
    _mmap = None  # type: ignore[assignment]


class Mmio(Protocol):
    """A memory-mapped device. `offset` is relative to the device's base."""

    def read(self, offset: int, size: int) -> int: ...

    def write(self, offset: int, size: int, value: int) -> None: ...


Invalidator = Callable[[int, int], None]
"""Called with the host range [start, end) that was written; a core drops the
translations overlapping it."""


class PhysicalMemory:
    """The host's memory: a flat, fixed-size, page-aligned buffer.

    `buf` supports the buffer protocol (mmap where available, else bytearray)
    so the unicorn core can map the very same bytes. Its size never changes:
    resizing would move it under the cores' feet.
    """

    __slots__ = ("_invalidators", "buf", "code", "code_version", "mapped", "mapped_version", "size")

    def __init__(self, size: int) -> None:
        if size <= 0 or size % PAGE_SIZE:
            raise ValueError(f"host memory size must be a positive multiple of {PAGE_SIZE}")
        self.size = size
        if _mmap is not None:
            try:
                self.buf = _mmap.mmap(-1, size)
            except (OSError, ValueError):  # pragma: no cover
                self.buf = bytearray(size)
        else:  # pragma: no cover
            self.buf = bytearray(size)
        # One byte per host page: nonzero when some core holds a translation
        # of code on that page.
        self.code = bytearray(size >> PAGE_SHIFT)
        self.code_version = 0  # bumped by every mark_code: cores that summarise `code` recompute
        # host page -> how many Bus page maps show it (grants); bumped version on every change
        self.mapped: dict[int, int] = {}
        self.mapped_version = 0
        self._invalidators: list[Invalidator] = []

    # -- translated-code tracking

    def on_invalidate(self, fn: Invalidator) -> None:
        """Register a core to be told when translated host code goes stale."""
        self._invalidators.append(fn)

    def off_invalidate(self, fn: Invalidator) -> None:
        if fn in self._invalidators:
            self._invalidators.remove(fn)

    def mark_code(self, start: int, end: int) -> None:
        """Note that [start, end) of host memory has been translated."""
        first, last = start >> PAGE_SHIFT, (end - 1) >> PAGE_SHIFT
        self.code[first : last + 1] = b"\x01" * (last + 1 - first)
        self.code_version += 1

    def invalidate(self, start: int, end: int) -> None:
        """Host bytes [start, end) changed: tell the cores, if any of those
        pages holds translated code. Cores drop exactly the translations that
        overlap [start, end), so data sharing a page with code costs a call,
        not a retranslation. Marks are never cleared: a stale mark only costs
        a call."""
        if end <= start:
            return
        code = self.code
        first, last = start >> PAGE_SHIFT, (end - 1) >> PAGE_SHIFT
        if first == last:
            if not code[first]:
                return
        elif not any(code[first : last + 1]):
            return
        for fn in self._invalidators:
            fn(start, end)

    # -- access for the hypervisor

    def read(self, off: int, size: int) -> bytes:
        if off < 0 or off + size > self.size:
            raise IndexError(f"host read [{off:#x}, {off + size:#x}) outside memory")
        return bytes(self.buf[off : off + size])

    def write(self, off: int, data: bytes | bytearray | memoryview) -> None:
        n = len(data)
        if off < 0 or off + n > self.size:
            raise IndexError(f"host write [{off:#x}, {off + n:#x}) outside memory")
        self.buf[off : off + n] = data
        self.invalidate(off, off + n)

    def fill(self, off: int, size: int, byte: int = 0) -> None:
        self.write(off, bytes([byte]) * size)


@dataclass(slots=True)
class Page:
    """One 4 KiB host page mapped into a guest's address space."""

    host_off: int
    writable: bool


class Bus:
    """The guest-physical address space of one vCPU (see the module doc).

    Cores read the fields directly on their fast paths; changes to the
    page map or the MMIO list must go through the methods so that cores that
    mirror the layout (unicorn) hear about them.
    """

    def __init__(self, mem: PhysicalMemory, *, ram_gpa: int, ram_host: int, ram_size: int) -> None:
        if ram_gpa % PAGE_SIZE or ram_host % PAGE_SIZE or ram_size % PAGE_SIZE or ram_size <= 0:
            raise ValueError("RAM window must be page-aligned and non-empty")
        if ram_host + ram_size > mem.size:
            raise ValueError("RAM window lies outside host memory")
        self.mem = mem
        self.ram_gpa = ram_gpa
        self.ram_host = ram_host
        self.ram_size = ram_size
        self.pages: dict[int, Page] = {}  # guest page number -> host page
        self.mmio: list[tuple[int, int, Mmio]] = []  # (gpa, size, device)
        self._listeners: list[Callable[[], None]] = []

    # -- layout changes

    def on_change(self, fn: Callable[[], None]) -> None:
        """Register to be told when pages or devices are (un)mapped."""
        self._listeners.append(fn)

    def off_change(self, fn: Callable[[], None]) -> None:
        """Stop telling `fn` (a core that is being closed)."""
        if fn in self._listeners:
            self._listeners.remove(fn)

    def _changed(self) -> None:
        for fn in self._listeners:
            fn()

    def map_page(self, gpa: int, host_off: int, *, writable: bool) -> None:
        if gpa % PAGE_SIZE or host_off % PAGE_SIZE:
            raise ValueError("pages are mapped at page-aligned addresses")
        old = self.pages.get(gpa >> PAGE_SHIFT)
        if old is not None:
            self._count(old.host_off, -1)
        self.pages[gpa >> PAGE_SHIFT] = Page(host_off, writable)
        self._count(host_off, 1)
        self._changed()

    def unmap_page(self, gpa: int) -> None:
        old = self.pages.pop(gpa >> PAGE_SHIFT, None)
        if old is not None:
            self._count(old.host_off, -1)
            self._changed()

    def _count(self, host_off: int, delta: int) -> None:
        mapped, page = self.mem.mapped, host_off >> PAGE_SHIFT
        n = mapped.get(page, 0) + delta
        if n:
            mapped[page] = n
        else:
            mapped.pop(page, None)
        self.mem.mapped_version += 1

    def add_mmio(self, gpa: int, size: int, device: Mmio) -> None:
        self.mmio.append((gpa, size, device))
        self._changed()

    # -- translation (for the hypervisor and the cores' slow paths)

    def translate(self, gpa: int, size: int, *, write: bool = False) -> int | None:
        """Host offset of guest bytes [gpa, gpa+size), or None if they are not
        all in RAM or in one mapped page (with write permission if asked)."""
        off = gpa - self.ram_gpa
        if 0 <= off and off + size <= self.ram_size:
            return self.ram_host + off
        page = self.pages.get(gpa >> PAGE_SHIFT)
        if page is None or (write and not page.writable):
            return None
        inner = gpa & (PAGE_SIZE - 1)
        if inner + size > PAGE_SIZE:
            return None
        return page.host_off + inner

    def device_at(self, gpa: int) -> tuple[int, Mmio] | None:
        """(base, device) of the MMIO range containing `gpa`, if any."""
        for base, size, dev in self.mmio:
            if base <= gpa < base + size:
                return base, dev
        return None
