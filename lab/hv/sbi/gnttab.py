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

GNTTAB = extension(0x0900_0002, "GNTTAB", "Grant tables", __doc__ or "", standard=False)

FLAG_READONLY: Final = 1  # grant_access and map flags bit 0


@GNTTAB.function(0, "gpa, grantee_domid, flags", returns="grant reference")
def grant_access(hv, vm, gpa, grantee_domid, flags) -> SbiRet:
    """Let domain grantee_domid map the caller's page at gpa (flags bit 0: read-only)."""
    if flags & ~FLAG_READONLY:
        return SbiRet.fail(SbiError.INVALID_PARAM, f"unknown flags {flags:#x} (bit 0 = read-only)")
    if gpa % PAGE_SIZE:
        return SbiRet.fail(SbiError.INVALID_PARAM, f"{gpa:#x} is not page-aligned")
    if not RAM_BASE <= gpa < RAM_BASE + vm.ram_size:
        return SbiRet.fail(SbiError.INVALID_ADDRESS, f"{gpa:#x} is not in {vm.label}'s RAM")
    grantee = hv.live(grantee_domid)
    if grantee is None or grantee is vm:
        return SbiRet.fail(SbiError.INVALID_PARAM, f"no other VM with domid {grantee_domid}")
    tables = hv.grants
    ref = tables.free_ref(vm.domid)
    if ref is None:
        return SbiRet.fail(
            SbiError.NO_SHMEM, f"{vm.label}'s grant table is full ({NR_GRANT_ENTRIES} entries)"
        )
    entry_flags = GTF_PERMIT_ACCESS | (GTF_READONLY if flags & FLAG_READONLY else 0)
    tables.write_entry(vm.domid, ref, GrantEntry(entry_flags, grantee_domid, gpa >> 12))
    mode = "read-only" if flags & FLAG_READONLY else "read-write"
    hv.event(vm.domid, "grant", f"{vm.label} grants page {gpa:#x} to {grantee.label} ({mode}) as ref {ref}")
    return SbiRet.ok(ref)


@GNTTAB.function(1, "ref", returns="0")
def end_access(hv, vm, ref) -> SbiRet:
    """End grant ref, so that the caller may reuse the page; refused while it is mapped."""
    tables = hv.grants
    if ref >= NR_GRANT_ENTRIES or not tables.entry(vm.domid, ref).in_use:
        return SbiRet.fail(SbiError.INVALID_PARAM, f"ref {ref} is not a grant of {vm.label}")
    still_mapped = tables.mappings_of(vm.domid, ref)
    holders = ", ".join(hv.vms[m.grantee].label for m in still_mapped)
    if still_mapped and hv.policy["grant.check_in_use"]:
        return SbiRet.fail(SbiError.DENIED, f"ref {ref} is still mapped by {holders}: it stays in use")
    tables.write_entry(vm.domid, ref, GrantEntry(0, 0, 0))
    why = ""
    if still_mapped:
        why = f"UNCHECKED: ref {ref} ended while still mapped by {holders}: the page stays shared"
    hv.event(vm.domid, "grant", f"{vm.label} ends grant ref {ref}" + (f" ({why})" if why else ""))
    return SbiRet.ok(0, why)


@GNTTAB.function(2, "granter_domid, ref, dest_gpa, flags", returns="0", name="map")
def map_grant(hv, vm, granter_domid, ref, dest_gpa, flags) -> SbiRet:
    """Map granter_domid's grant ref at dest_gpa in the caller's grant window (flags bit 0: read-only)."""
    granter = hv.live(granter_domid)
    if granter is None:
        return SbiRet.fail(SbiError.INVALID_PARAM, f"no VM with domid {granter_domid}")
    if ref >= NR_GRANT_ENTRIES:
        return SbiRet.fail(SbiError.INVALID_PARAM, f"ref {ref} is out of range (0..{NR_GRANT_ENTRIES - 1})")
    entry = hv.grants.entry(granter.domid, ref)
    if not entry.in_use:
        return SbiRet.fail(SbiError.INVALID_PARAM, f"{granter.label} has no grant ref {ref}")
    if hv.policy["grant.check_grantee"] and entry.domid != vm.domid:
        return SbiRet.fail(SbiError.DENIED, f"ref {ref} is granted to dom{entry.domid}, not to {vm.label}")
    writable = not flags & FLAG_READONLY
    if entry.readonly and writable:
        if hv.policy["grant.enforce_readonly"]:
            return SbiRet.fail(SbiError.DENIED, f"ref {ref} is read-only; map it with flags=1")
    if dest_gpa % PAGE_SIZE or not GRANT_WINDOW <= dest_gpa < GRANT_WINDOW + GRANT_WINDOW_SIZE:
        return SbiRet.fail(
            SbiError.INVALID_ADDRESS, f"{dest_gpa:#x} is not a page of the grant window at {GRANT_WINDOW:#x}"
        )
    if dest_gpa >> 12 in vm.bus.pages:
        return SbiRet.fail(SbiError.INVALID_PARAM, f"{dest_gpa:#x} is already mapped")
    host_off = granter.ram_host + entry.gpa - RAM_BASE
    if not 0 <= entry.gpa - RAM_BASE < granter.ram_size:
        return SbiRet.fail(SbiError.FAILED, f"grant ref {ref} names a frame outside {granter.label}'s RAM")
    mapping = Mapping(vm.domid, dest_gpa, granter.domid, ref, host_off, writable)
    hv.map_grant(mapping)
    why = ""
    if entry.domid != vm.domid:
        why = f"UNCHECKED: ref {ref} was granted to dom{entry.domid}"
    elif entry.readonly and writable:
        why = f"UNCHECKED: read-only ref {ref} mapped writable"
    return SbiRet.ok(0, why)


@GNTTAB.function(3, "dest_gpa", returns="0")
def unmap(hv, vm, dest_gpa) -> SbiRet:
    """Remove the grant mapping at dest_gpa."""
    mapping = hv.grants.mapping_at(vm.domid, dest_gpa)
    if mapping is None:
        return SbiRet.fail(SbiError.INVALID_PARAM, f"nothing is mapped at {dest_gpa:#x}")
    hv.unmap_grant(mapping, why=f"{vm.label} unmapped it")
    return SbiRet.ok(0)
