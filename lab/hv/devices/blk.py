"""Virtual disks: one backing store, each VM's disk a contiguous slice of it.

    store sector 0                                               end
    | dom0's disk          | dom1's disk     | dom2's disk      | free |

Disks are allocated in 512-byte sectors, in VM creation order, one after the
other, exactly as RAM is laid out in host memory: a block-device handler
that checks only where a request starts, not where it ends, reads on into
the next VM's disk (the `blk.check_range` lesson). The store lives in memory;
a scenario can ask for a file instead (`persist`), so a TUI student's disks
survive a restart.

The store is one device all disks share, and a real one has a bandwidth: a
scenario's `disk_bandwidth` gives it one (sectors per RATE_PERIOD
instructions, a token bucket; 0: unlimited). A request that finds it spent
moves nothing and the guest tries again later, so one VM that reads without
pause takes the bandwidth from everyone: the noisy neighbour that a per-disk
limit (`blk.rate_limit`) keeps in its place.
"""

from __future__ import annotations

import mmap
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from lab.net.ratelimit import TokenBucket, token_bucket

SECTOR: Final = 512
RATE_PERIOD: Final = 100_000  # instructions per refill of a bandwidth bucket (as the vNICs')


class DiskError(Exception):
    """A disk that cannot be allocated (the store is full, a bad size)."""


@dataclass(slots=True)
class Disk:
    """One VM's disk: where it starts in the store, how long it is, what it did."""

    owner: str
    first: int  # first sector in the store
    sectors: int
    reads: int = 0  # requests
    writes: int = 0
    sectors_read: int = 0
    sectors_written: int = 0

    @property
    def size(self) -> int:
        return self.sectors * SECTOR

    def counters(self) -> dict[str, int]:
        return {
            "sectors": self.sectors,
            "reads": self.reads,
            "writes": self.writes,
            "sectors_read": self.sectors_read,
            "sectors_written": self.sectors_written,
        }


class BackingStore:
    """The hypervisor's storage: a fixed number of sectors, in memory or in a file."""

    def __init__(self, sectors: int, *, path: str | Path | None = None, bandwidth: int = 0) -> None:
        if sectors <= 0:
            raise DiskError("the backing store needs at least one sector")
        self.sectors = sectors
        # Sectors per RATE_PERIOD for all disks together (None: unlimited).
        self.bandwidth: TokenBucket | None = token_bucket(bandwidth, 0, RATE_PERIOD)
        self.path = Path(path) if path is not None else None
        if self.path is None:
            self.data: bytearray | mmap.mmap = bytearray(sectors * SECTOR)
        else:
            with open(self.path, "a+b") as f:
                f.truncate(max(f.seek(0, 2), sectors * SECTOR))
            self._file = open(self.path, "r+b")  # noqa: SIM115 - held open for the mmap's lifetime
            self.data = mmap.mmap(self._file.fileno(), sectors * SECTOR)
        self.disks: list[Disk] = []
        self._next = 0

    def alloc(self, size: int, owner: str) -> Disk:
        """A disk of `size` bytes (rounded up to sectors) after the last one."""
        sectors = -(-size // SECTOR)
        if sectors <= 0:
            raise DiskError(f"{owner}: a disk needs at least one sector")
        if self._next + sectors > self.sectors:
            raise DiskError(
                f"{owner}: the backing store is full ({self.sectors - self._next} of {sectors} sectors left)"
            )
        disk = Disk(owner, self._next, sectors)
        self._next += sectors
        self.disks.append(disk)
        return disk

    def read(self, sector: int, count: int) -> bytes:
        """Sectors [sector, sector+count) of the store, cut at its end."""
        start, end = sector * SECTOR, min((sector + count) * SECTOR, len(self.data))
        return bytes(self.data[start:end]) if start < end else b""

    def write(self, sector: int, data: bytes) -> int:
        """Write whole sectors at `sector`; returns the bytes that fit in the store."""
        start = sector * SECTOR
        n = max(0, min(len(data), len(self.data) - start))
        self.data[start : start + n] = data[:n]
        return n

    def zero(self, sector: int, count: int) -> int:
        """Zero sectors [sector, sector+count) (cut at the store's end); returns the sectors zeroed."""
        start, end = sector * SECTOR, min((sector + count) * SECTOR, len(self.data))
        if start >= end:
            return 0
        self.data[start:end] = bytes(end - start)
        return -(-(end - start) // SECTOR)

    def owners_of(self, sector: int, count: int) -> list[str]:
        """Whose disks the sectors [sector, sector+count) belong to, in order."""
        return [d.owner for d in self.disks if d.first < sector + count and sector < d.first + d.sectors] or [
            "free"
        ]

    def flush(self) -> None:
        if isinstance(self.data, mmap.mmap):
            self.data.flush()
