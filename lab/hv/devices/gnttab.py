"""Grant tables: how one VM shares a page of its RAM with another (Xen's design).

The granter writes an entry into its grant table, naming the page and the one
domain allowed to map it; the grantee maps the page into its grant window at
0x9000_0000 and from then on both VMs touch the same host bytes. Each domain's
table lives in the hypervisor region (HvLayout.GRANT_TABLES, one 512-byte
slot per domain), in the layout of Xen's `grant_entry_v1`:

    offset 0  u16 flags   GTF_permit_access (1): the entry is valid
                          GTF_readonly (1 << 2): the grantee may only read
                          GTF_reading  (1 << 3): mapped, read access in use
                          GTF_writing  (1 << 4): mapped, write access in use
    offset 2  u16 domid   the grantee
    offset 4  u32 frame   guest page number of the granted page (gpa >> 12)

The `ref` a guest passes around is the entry's index. The hypervisor's
private bookkeeping (which domain mapped which ref where: Xen's "maptrack")
is `Mapping` records here; the GTF_reading/GTF_writing bits are derived from
them, so a mapping can never be counted below zero.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Final

from lab.cpu.bus import PAGE_SHIFT
from lab.hv.memory import HostMemory, HvLayout

GTF_PERMIT_ACCESS: Final = 1
GTF_READONLY: Final = 1 << 2
GTF_READING: Final = 1 << 3
GTF_WRITING: Final = 1 << 4

NR_GRANT_ENTRIES: Final = 64  # per domain
ENTRY: Final = struct.Struct("<HHI")
TABLE_BYTES: Final = NR_GRANT_ENTRIES * ENTRY.size  # 512


@dataclass(frozen=True, slots=True)
class GrantEntry:
    flags: int
    domid: int
    frame: int

    @property
    def in_use(self) -> bool:
        return bool(self.flags & GTF_PERMIT_ACCESS)

    @property
    def readonly(self) -> bool:
        return bool(self.flags & GTF_READONLY)

    @property
    def gpa(self) -> int:
        return self.frame << PAGE_SHIFT


@dataclass(frozen=True, slots=True)
class Mapping:
    """One active mapping: `grantee` sees `granter`'s grant `ref` at `gpa`."""

    grantee: int
    gpa: int
    granter: int
    ref: int
    host_off: int
    writable: bool


class GrantTables:
    """Every domain's grant table (in host memory) and every active mapping."""

    def __init__(self, mem: HostMemory, max_domains: int) -> None:
        self.mem = mem
        self.max_domains = max_domains
        self.mappings: list[Mapping] = []

    def _off(self, domid: int, ref: int) -> int:
        return HvLayout.GRANT_TABLES + domid * TABLE_BYTES + ref * ENTRY.size

    def entry(self, domid: int, ref: int) -> GrantEntry:
        return GrantEntry(*ENTRY.unpack(self.mem.read(self._off(domid, ref), ENTRY.size)))

    def write_entry(self, domid: int, ref: int, entry: GrantEntry) -> None:
        self.mem.write(self._off(domid, ref), ENTRY.pack(entry.flags, entry.domid, entry.frame))

    def entries(self, domid: int) -> list[tuple[int, GrantEntry]]:
        """The domain's entries in use, as (ref, entry)."""
        if domid >= self.max_domains:
            return []
        raw = self.mem.read(self._off(domid, 0), TABLE_BYTES)
        out = []
        for ref in range(NR_GRANT_ENTRIES):
            e = GrantEntry(*ENTRY.unpack_from(raw, ref * ENTRY.size))
            if e.in_use:
                out.append((ref, e))
        return out

    def free_ref(self, domid: int) -> int | None:
        """A ref whose entry is free and that no mapping still points at."""
        pinned = {m.ref for m in self.mappings if m.granter == domid}
        for ref in range(NR_GRANT_ENTRIES):
            if not self.entry(domid, ref).in_use and ref not in pinned:
                return ref
        return None

    def clear(self, domid: int) -> None:
        if domid < self.max_domains:
            self.mem.write(self._off(domid, 0), bytes(TABLE_BYTES))

    # -- maptrack

    def mapping_at(self, grantee: int, gpa: int) -> Mapping | None:
        for m in self.mappings:
            if m.grantee == grantee and m.gpa == gpa:
                return m
        return None

    def mappings_of(self, granter: int, ref: int) -> list[Mapping]:
        return [m for m in self.mappings if m.granter == granter and m.ref == ref]

    def sync_status(self, granter: int, ref: int) -> None:
        """Set GTF_reading/GTF_writing from the mappings that really exist."""
        e = self.entry(granter, ref)
        maps = self.mappings_of(granter, ref)
        flags = e.flags & ~(GTF_READING | GTF_WRITING)
        if e.in_use and maps:
            flags |= GTF_READING
            if any(m.writable for m in maps):
                flags |= GTF_WRITING
        if flags != e.flags:
            self.write_entry(granter, ref, GrantEntry(flags, e.domid, e.frame))
