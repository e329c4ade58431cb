"""Grant tables (hvlab's GNTTAB, EID 0x0900_0002): sharing pages between VMs.

    granter: ref = grant_access(gpa, grantee_domid, flags)   flags bit 0: read-only
    grantee: map(granter_domid, ref, dest_gpa[, flags])       dest in the grant window
             ... both VMs now share the page ...
    grantee: unmap(dest_gpa)
    granter: end_access(ref)

`map` makes the checks Xen's `map_grant_ref` makes (xen/common/grant_table.c):
the granter exists, the ref is in range, the entry permits access, the
entry names the caller as grantee, and a read-only grant is never mapped
writable. `end_access` fails while the grant is still mapped, as ending a
grant does in Xen: a granter whose grant is in use (GTF_reading/GTF_writing)
must not reuse the page, and the hypervisor never pulls a mapping from under
the grantee; the grantee unmaps, then the granter ends the grant. Three of
those checks are policy switches, because their absence is a real bug class:
`grant.check_grantee`, `grant.enforce_readonly` and `grant.check_in_use`
(see lab/hv/policy.py for the advisories).
"""

from __future__ import annotations

from typing import Final

from lab.cpu.bus import PAGE_SIZE
from lab.hv.devices.gnttab import GTF_PERMIT_ACCESS, GTF_READONLY, NR_GRANT_ENTRIES, GrantEntry, Mapping
from lab.hv.hypercalls import SbiError, SbiRet, extension
from lab.hv.vm import GRANT_WINDOW, GRANT_WINDOW_SIZE, RAM_BASE
from lab.trace_messages import (
    ALREADY_MAPPED,
    FRAME_OUTSIDE,
    GRANT_ENDED,
    GRANT_ENDED_MAPPED,
    GRANT_GRANTED,
    GRANT_TABLE_FULL,
    GRANTED_TO_OTHER,
    IN_USE,
    NO_GRANT_REF,
    NO_OTHER_VM,
    NO_VM,
    NOT_A_GRANT,
    NOT_GRANT_WINDOW,
    NOT_IN_RAM,
    NOT_PAGE_ALIGNED,
    NOTHING_MAPPED,
    READ_ONLY_REF,
    REF_OUT_OF_RANGE,
    STILL_MAPPED,
    UNCHECKED_GRANTEE,
    UNCHECKED_READONLY,
    UNKNOWN_FLAGS,
    UNMAPPED_BY,
)

GNTTAB = extension(0x0900_0002, "GNTTAB", "Grant tables", __doc__ or "", standard=False)

FLAG_READONLY: Final = 1  # grant_access and map flags bit 0


@GNTTAB.function(0, "gpa, grantee_domid, flags", returns="grant reference")
def grant_access(hv, vm, gpa, grantee_domid, flags) -> SbiRet:
    """Let domain grantee_domid map the caller's page at gpa (flags bit 0: read-only)."""
    if flags & ~FLAG_READONLY:
        return SbiRet.fail(SbiError.INVALID_PARAM, UNKNOWN_FLAGS(flags=flags))
    if gpa % PAGE_SIZE:
        return SbiRet.fail(SbiError.INVALID_PARAM, NOT_PAGE_ALIGNED(gpa=gpa))
    if not RAM_BASE <= gpa < RAM_BASE + vm.ram_size:
        return SbiRet.fail(SbiError.INVALID_ADDRESS, NOT_IN_RAM(gpa=gpa, vm=vm.label))
    grantee = hv.live(grantee_domid)
    if grantee is None or grantee is vm:
        return SbiRet.fail(SbiError.INVALID_PARAM, NO_OTHER_VM(domid=grantee_domid))
    tables = hv.grants
    ref = tables.free_ref(vm.domid)
    if ref is None:
        return SbiRet.fail(SbiError.NO_SHMEM, GRANT_TABLE_FULL(vm=vm.label, entries=NR_GRANT_ENTRIES))
    entry_flags = GTF_PERMIT_ACCESS | (GTF_READONLY if flags & FLAG_READONLY else 0)
    tables.write_entry(vm.domid, ref, GrantEntry(entry_flags, grantee_domid, gpa >> 12))
    mode = "read-only" if flags & FLAG_READONLY else "read-write"
    hv.event(vm.domid, GRANT_GRANTED(vm=vm.label, gpa=gpa, grantee=grantee.label, mode=mode, ref=ref))
    return SbiRet.ok(ref)


@GNTTAB.function(1, "ref", returns="0")
def end_access(hv, vm, ref) -> SbiRet:
    """End grant ref, so that the caller may reuse the page; refused while it is mapped."""
    tables = hv.grants
    if ref >= NR_GRANT_ENTRIES or not tables.entry(vm.domid, ref).in_use:
        return SbiRet.fail(SbiError.INVALID_PARAM, NOT_A_GRANT(ref=ref, vm=vm.label))
    still_mapped = tables.mappings_of(vm.domid, ref)
    if still_mapped:
        holders = ", ".join(hv.vms[m.grantee].label for m in still_mapped)
        if hv.policy["grant.check_in_use"]:
            return SbiRet.fail(SbiError.DENIED, IN_USE(ref=ref, holders=holders))
        tables.write_entry(vm.domid, ref, GrantEntry(0, 0, 0))
        hv.event(vm.domid, GRANT_ENDED_MAPPED(vm=vm.label, ref=ref, holders=holders))
        return SbiRet.ok(0, STILL_MAPPED(ref=ref, holders=holders))
    tables.write_entry(vm.domid, ref, GrantEntry(0, 0, 0))
    hv.event(vm.domid, GRANT_ENDED(vm=vm.label, ref=ref))
    return SbiRet.ok(0)


@GNTTAB.function(2, "granter_domid, ref, dest_gpa, flags", returns="0", name="map")
def map_grant(hv, vm, granter_domid, ref, dest_gpa, flags) -> SbiRet:
    """Map granter_domid's grant ref at dest_gpa in the caller's grant window (flags bit 0: read-only)."""
    granter = hv.live(granter_domid)
    if granter is None:
        return SbiRet.fail(SbiError.INVALID_PARAM, NO_VM(domid=granter_domid))
    if ref >= NR_GRANT_ENTRIES:
        return SbiRet.fail(SbiError.INVALID_PARAM, REF_OUT_OF_RANGE(ref=ref, last=NR_GRANT_ENTRIES - 1))
    entry = hv.grants.entry(granter.domid, ref)
    if not entry.in_use:
        return SbiRet.fail(SbiError.INVALID_PARAM, NO_GRANT_REF(vm=granter.label, ref=ref))
    if hv.policy["grant.check_grantee"] and entry.domid != vm.domid:
        return SbiRet.fail(SbiError.DENIED, GRANTED_TO_OTHER(ref=ref, domid=entry.domid, vm=vm.label))
    writable = not flags & FLAG_READONLY
    if entry.readonly and writable:
        if hv.policy["grant.enforce_readonly"]:
            return SbiRet.fail(SbiError.DENIED, READ_ONLY_REF(ref=ref))
    if dest_gpa % PAGE_SIZE or not GRANT_WINDOW <= dest_gpa < GRANT_WINDOW + GRANT_WINDOW_SIZE:
        return SbiRet.fail(SbiError.INVALID_ADDRESS, NOT_GRANT_WINDOW(gpa=dest_gpa, window=GRANT_WINDOW))
    if dest_gpa >> 12 in vm.bus.pages:
        return SbiRet.fail(SbiError.INVALID_PARAM, ALREADY_MAPPED(gpa=dest_gpa))
    host_off = granter.ram_host + entry.gpa - RAM_BASE
    if not 0 <= entry.gpa - RAM_BASE < granter.ram_size:
        return SbiRet.fail(SbiError.FAILED, FRAME_OUTSIDE(ref=ref, vm=granter.label))
    mapping = Mapping(vm.domid, dest_gpa, granter.domid, ref, host_off, writable)
    hv.map_grant(mapping)
    if entry.domid != vm.domid:
        return SbiRet.ok(0, UNCHECKED_GRANTEE(ref=ref, domid=entry.domid))
    if entry.readonly and writable:
        return SbiRet.ok(0, UNCHECKED_READONLY(ref=ref))
    return SbiRet.ok(0)


@GNTTAB.function(3, "dest_gpa", returns="0")
def unmap(hv, vm, dest_gpa) -> SbiRet:
    """Remove the grant mapping at dest_gpa."""
    mapping = hv.grants.mapping_at(vm.domid, dest_gpa)
    if mapping is None:
        return SbiRet.fail(SbiError.INVALID_PARAM, NOTHING_MAPPED(gpa=dest_gpa))
    hv.unmap_grant(mapping, why=UNMAPPED_BY(vm=vm.label))
    return SbiRet.ok(0)
