"""GNTTAB map with the two checks Xen's map_grant_ref always makes.

The lesson `grant-tables` applies this as a patch to the handler `gnttab.map`
(lab/hv/sbi/gnttab.py). A grant entry names the one domain that may map the
page, and whether it may write to it: the hypervisor keeps both promises on
every map, whatever a policy switch says (Xen: GNTST_permission_denied).
"""

from lab.hv.sbi.gnttab import (
    FLAG_READONLY,
    GRANT_WINDOW,
    GRANT_WINDOW_SIZE,
    NR_GRANT_ENTRIES,
    PAGE_SIZE,
    RAM_BASE,
    Mapping,
    SbiError,
    SbiRet,
)


def map_grant(hv, vm, granter_domid, ref, dest_gpa, flags):
    granter = hv.live(granter_domid)
    if granter is None:
        return SbiRet.fail(SbiError.INVALID_PARAM, f"no VM with domid {granter_domid}")
    if ref >= NR_GRANT_ENTRIES:
        return SbiRet.fail(SbiError.INVALID_PARAM, f"ref {ref} is out of range (0..{NR_GRANT_ENTRIES - 1})")
    entry = hv.grants.entry(granter.domid, ref)
    if not entry.in_use:
        return SbiRet.fail(SbiError.INVALID_PARAM, f"{granter.label} has no grant ref {ref}")
    # Promise 1: only the domain the entry names may map the page.
    if entry.domid != vm.domid:
        return SbiRet.fail(SbiError.DENIED, f"ref {ref} is granted to dom{entry.domid}, not to {vm.label}")
    # Promise 2: a read-only grant is never mapped writable.
    writable = not flags & FLAG_READONLY
    if entry.readonly and writable:
        return SbiRet.fail(SbiError.DENIED, f"ref {ref} is read-only; map it with flags=1")
    if dest_gpa % PAGE_SIZE or not GRANT_WINDOW <= dest_gpa < GRANT_WINDOW + GRANT_WINDOW_SIZE:
        return SbiRet.fail(
            SbiError.INVALID_ADDRESS, f"{dest_gpa:#x} is not a page of the grant window at {GRANT_WINDOW:#x}"
        )
    if dest_gpa >> 12 in vm.bus.pages:
        return SbiRet.fail(SbiError.INVALID_PARAM, f"{dest_gpa:#x} is already mapped")
    if not 0 <= entry.gpa - RAM_BASE < granter.ram_size:
        return SbiRet.fail(SbiError.FAILED, f"grant ref {ref} names a frame outside {granter.label}'s RAM")
    host_off = granter.ram_host + entry.gpa - RAM_BASE
    hv.map_grant(Mapping(vm.domid, dest_gpa, granter.domid, ref, host_off, writable))
    return SbiRet.ok(0)
