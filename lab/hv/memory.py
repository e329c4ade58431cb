"""Host memory: the hypervisor's own region first, then every VM's RAM.

    host offset 0                 HV_REGION_SIZE
    | hypervisor region           | dom0 RAM        | dom1 RAM   | ... | free |

The hypervisor region holds the hypervisor's private data, laid out below
(`HvLayout`): a banner, the hypervisor's secret (which the isolation tests and
lessons look for), the management password hash, the ring backend's buffer
with the control domain's id right behind it (what a backend overflow
reaches), and the grant tables.
VM RAM is allocated contiguously in creation order, page-aligned, so a
hypercall handler that forgets a bounds check really does reach the
neighbour's RAM or the hypervisor region: exactly what the lessons exploit.

A guest-physical address becomes a host offset through the VM's `Bus`
(`lab.cpu.bus`): RAM at 0x8000_0000, grant pages in the grant window, and
nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from lab.cpu.bus import PAGE_SIZE, PhysicalMemory

HV_REGION_SIZE: Final = 64 * 1024


class HvLayout:
    """Offsets inside the hypervisor region (host offsets)."""

    BANNER: Final = 0x0000  # 64 bytes: "hvlab hypervisor region"
    SECRET: Final = 0x0040  # 64 bytes: the hypervisor's secret, NUL-padded
    MGMT_HASH: Final = 0x0080  # 32 bytes: SHA-256 of the management password
    RING_BUFFER: Final = 0x0100  # 256 bytes: the DGRAM ring backend's request buffer
    CONTROL_DOMID: Final = 0x0200  # u32: the control domain's domid (0xFFFFFFFF: none)
    GRANT_TABLES: Final = 0x1000  # grant tables, 512 bytes per domain (lab.hv.devices.gnttab)


class OutOfHostMemory(Exception):
    """No room left in host memory for a VM of the requested size."""


@dataclass(frozen=True, slots=True)
class Region:
    """A named slice of host memory, for explanations ("dom1's RAM")."""

    start: int
    size: int
    owner: str  # "hypervisor" or "dom<N> (<name>)"

    @property
    def end(self) -> int:
        return self.start + self.size


class HostMemory(PhysicalMemory):
    """`PhysicalMemory` plus its layout: who owns which bytes."""

    __slots__ = ("_next", "regions")

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.regions: list[Region] = [Region(0, HV_REGION_SIZE, "hypervisor")]
        self._next = HV_REGION_SIZE
        self.write(HvLayout.BANNER, b"hvlab hypervisor region".ljust(64, b"\0"))

    def alloc_ram(self, size: int, owner: str) -> int:
        """Reserve `size` bytes (page-aligned) after the last VM's RAM; return the host offset."""
        size = -(-size // PAGE_SIZE) * PAGE_SIZE
        if self._next + size > self.size:
            raise OutOfHostMemory(
                f"host memory full: {owner} needs {size} bytes, {self.size - self._next} left"
            )
        start = self._next
        self._next += size
        self.regions.append(Region(start, size, owner))
        self.fill(start, size, 0)
        return start

    def owner_of(self, off: int) -> str:
        """Who owns host byte `off` ("free" past the last VM)."""
        for r in self.regions:
            if r.start <= off < r.end:
                return r.owner
        return "free"

    def owners_of(self, start: int, size: int) -> list[str]:
        """Every owner that [start, start+size) touches, in address order."""
        return [r.owner for r in self.regions if r.start < start + size and start < r.end] or ["free"]

    @property
    def used(self) -> int:
        return self._next

    def set_secret(self, secret: bytes) -> None:
        self.write(HvLayout.SECRET, secret[:63].ljust(64, b"\0"))

    @property
    def secret(self) -> bytes:
        return self.read(HvLayout.SECRET, 64).rstrip(b"\0")
