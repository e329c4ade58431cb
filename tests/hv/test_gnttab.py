"""Grant tables: sharing real bytes, Xen's map checks, and what each missing check allows."""

from __future__ import annotations

from lab.hv import VmState
from lab.hv.devices.gnttab import GTF_PERMIT_ACCESS, GTF_READING, GTF_READONLY, GTF_WRITING
from lab.hv.hypercalls import SbiError
from lab.hv.vm import GRANT_WINDOW, RAM_BASE
from lab.riscv.asm import assemble
from tests.hv.conftest import CALL_AT, hcall, last_call, make_hv

GNTTAB = 0x0900_0002
PAGE = RAM_BASE + 0x3000  # the page the tests share
E = SbiError


def run_code(hv, vm, source: str) -> int:
    """Run `source` (ending in ebreak) on vm; return its a0."""
    image = assemble(source + "\nebreak\n", base=CALL_AT)
    hv.mem.write(vm.ram_host + CALL_AT - RAM_BASE, image.data)
    vm.cpu.pc = CALL_AT
    vm.state = VmState.RUNNING
    vm.waiting = False
    hv.run(10_000)
    return vm.cpu.get_reg(10)


def share(hv, granter, grantee, *, readonly: bool = False) -> int:
    error, ref = hcall(hv, granter, GNTTAB, 0, PAGE, grantee.domid, int(readonly))
    assert error == 0, last_call(hv).describe()
    return ref


def test_a_mapped_grant_shares_bytes_both_ways(backend):
    hv = make_hv(backend, "hardened")
    bank, tenant = hv.vms[2], hv.vms[1]
    ref = share(hv, bank, tenant)
    assert hcall(hv, tenant, GNTTAB, 2, bank.domid, ref, GRANT_WINDOW, 0) == (0, 0)
    run_code(hv, bank, f"li t0, {PAGE:#x}\nli t1, 0x1234abcd\nsw t1, 0(t0)")
    assert run_code(hv, tenant, f"li t0, {GRANT_WINDOW:#x}\nlw a0, 0(t0)") == 0x1234ABCD
    run_code(hv, tenant, f"li t0, {GRANT_WINDOW:#x}\nli t1, 77\nsw t1, 8(t0)")
    assert run_code(hv, bank, f"li t0, {PAGE:#x}\nlw a0, 8(t0)") == 77
    entry = hv.grants.entry(bank.domid, ref)
    assert entry.flags == GTF_PERMIT_ACCESS | GTF_READING | GTF_WRITING and entry.domid == tenant.domid
    mapped = [(m.gpa, m.granter, m.ref, m.writable) for m in hv.grants.mappings if m.grantee == tenant.domid]
    assert mapped == [(GRANT_WINDOW, 2, ref, True)]
    assert hcall(hv, tenant, GNTTAB, 3, GRANT_WINDOW) == (0, 0)
    assert hv.grants.entry(bank.domid, ref).flags == GTF_PERMIT_ACCESS
    assert hcall(hv, tenant, GNTTAB, 3, GRANT_WINDOW)[0] == E.INVALID_PARAM  # no double unmap
    run_code(hv, tenant, f"li t0, {GRANT_WINDOW:#x}\nlw a0, 0(t0)")
    assert tenant.state is VmState.FAULTED  # unmapped: the load faults the tenant alone
    assert bank.state is not VmState.FAULTED
    assert hcall(hv, bank, GNTTAB, 1, ref) == (0, 0)
    assert hv.grants.entries(bank.domid) == []


def test_grant_access_checks_its_arguments(backend):
    hv = make_hv(backend, "hardened")
    bank = hv.vms[2]
    assert hcall(hv, bank, GNTTAB, 0, PAGE + 4, 1, 0)[0] == E.INVALID_PARAM  # not page-aligned
    assert hcall(hv, bank, GNTTAB, 0, RAM_BASE + bank.ram_size, 1, 0)[0] == E.INVALID_ADDRESS
    assert hcall(hv, bank, GNTTAB, 0, PAGE, 9, 0)[0] == E.INVALID_PARAM  # no such grantee
    assert hcall(hv, bank, GNTTAB, 0, PAGE, bank.domid, 0)[0] == E.INVALID_PARAM  # not to itself
    assert hcall(hv, bank, GNTTAB, 0, PAGE, 1, 6)[0] == E.INVALID_PARAM  # unknown flags
    assert hcall(hv, bank, GNTTAB, 1, 5)[0] == E.INVALID_PARAM  # revoke what was never granted
    assert hcall(hv, bank, GNTTAB, 1, 1000)[0] == E.INVALID_PARAM


def test_map_checks_what_xen_checks(backend):
    hv = make_hv(backend, "hardened")
    tenant, bank = hv.vms[1], hv.vms[2]
    ref = share(hv, bank, hv.vms[0])  # granted to dom0, not to the tenant
    assert hcall(hv, tenant, GNTTAB, 2, 7, ref, GRANT_WINDOW, 0)[0] == E.INVALID_PARAM  # no granter
    assert hcall(hv, tenant, GNTTAB, 2, 2, 999, GRANT_WINDOW, 0)[0] == E.INVALID_PARAM  # ref range
    assert hcall(hv, tenant, GNTTAB, 2, 2, ref + 1, GRANT_WINDOW, 0)[0] == E.INVALID_PARAM  # not granted
    assert hcall(hv, tenant, GNTTAB, 2, 2, ref, GRANT_WINDOW, 0)[0] == E.DENIED
    assert "granted to dom0, not to dom1 (tenant)" in last_call(hv).why
    admin = hv.vms[0]
    assert hcall(hv, admin, GNTTAB, 2, 2, ref, GRANT_WINDOW + 100, 0)[0] == E.INVALID_ADDRESS
    assert hcall(hv, admin, GNTTAB, 2, 2, ref, RAM_BASE, 0)[0] == E.INVALID_ADDRESS  # outside the window
    assert hcall(hv, admin, GNTTAB, 2, 2, ref, GRANT_WINDOW, 0) == (0, 0)
    assert hcall(hv, admin, GNTTAB, 2, 2, ref, GRANT_WINDOW, 0)[0] == E.INVALID_PARAM  # already mapped


def test_without_the_grantee_check_anyone_maps_the_page(backend):
    hv = make_hv(backend, "vulnerable")
    tenant, bank = hv.vms[1], hv.vms[2]
    hv.mem.write(bank.ram_host + PAGE - RAM_BASE, b"BANK{ledger}")
    ref = share(hv, bank, hv.vms[0])
    assert hcall(hv, tenant, GNTTAB, 2, 2, ref, GRANT_WINDOW, 0) == (0, 0)
    assert "UNCHECKED" in last_call(hv).why
    assert run_code(hv, tenant, f"li t0, {GRANT_WINDOW:#x}\nlw a0, 0(t0)") == int.from_bytes(
        b"BANK", "little"
    )


def test_read_only_grants(backend):
    for preset in ("hardened", "vulnerable"):
        hv = make_hv(backend, preset)
        tenant, bank = hv.vms[1], hv.vms[2]
        ref = share(hv, bank, tenant, readonly=True)
        assert hv.grants.entry(2, ref).flags & GTF_READONLY
        error, _ = hcall(hv, tenant, GNTTAB, 2, 2, ref, GRANT_WINDOW, 0)  # asks for a writable map
        if preset == "hardened":
            assert error == E.DENIED and "read-only" in last_call(hv).why
            assert hcall(hv, tenant, GNTTAB, 2, 2, ref, GRANT_WINDOW, 1) == (0, 0)
            run_code(hv, tenant, f"li t0, {GRANT_WINDOW:#x}\nli t1, 66\nsw t1, 0(t0)")
            assert tenant.state is VmState.FAULTED and tenant.fault.cause.name == "STORE_ACCESS"
            assert hv.mem.read(bank.ram_host + PAGE - RAM_BASE, 1) == b"\0"
        else:
            assert error == 0
            run_code(hv, tenant, f"li t0, {GRANT_WINDOW:#x}\nli t1, 66\nsw t1, 0(t0)")
            assert hv.mem.read(bank.ram_host + PAGE - RAM_BASE, 1) == b"B"  # 66: written through


def test_ending_a_grant_that_is_still_mapped(backend):
    """Xen's rule: a grant in use cannot be ended; the grantee unmaps first. The vulnerable
    hypervisor ends it anyway (XSA-230's too-early "no longer in use"), and the page stays shared."""
    for preset in ("hardened", "vulnerable"):
        hv = make_hv(backend, preset)
        tenant, bank = hv.vms[1], hv.vms[2]
        ref = share(hv, bank, tenant)
        assert hcall(hv, tenant, GNTTAB, 2, 2, ref, GRANT_WINDOW, 0) == (0, 0)
        if preset == "hardened":
            assert hcall(hv, bank, GNTTAB, 1, ref)[0] == E.DENIED
            assert "still mapped by dom1 (tenant)" in last_call(hv).why
            assert hv.grants.entry(bank.domid, ref).in_use  # the grant stays
            assert GRANT_WINDOW >> 12 in tenant.bus.pages  # and so does the tenant's mapping
            assert hcall(hv, tenant, GNTTAB, 3, GRANT_WINDOW) == (0, 0)  # the grantee unmaps ...
            assert hcall(hv, bank, GNTTAB, 1, ref) == (0, 0)  # ... then the grant can end
            assert not hv.grants.entry(bank.domid, ref).in_use
        else:
            assert hcall(hv, bank, GNTTAB, 1, ref) == (0, 0)
            assert "UNCHECKED" in last_call(hv).why and "still mapped" in last_call(hv).why
            # The bank believes the page is private again and reuses it for a secret.
            hv.mem.write(bank.ram_host + PAGE - RAM_BASE, b"PIN:4711")
            got = run_code(hv, tenant, f"li t0, {GRANT_WINDOW:#x}\nlw a0, 0(t0)")
            assert got == int.from_bytes(b"PIN:", "little")


def test_destroying_a_granter_tears_its_mappings_down(backend):
    hv = make_hv(backend, "hardened")
    admin, tenant, bank = hv.vms
    ref = share(hv, bank, tenant)
    assert hcall(hv, tenant, GNTTAB, 2, 2, ref, GRANT_WINDOW, 0) == (0, 0)
    assert hcall(hv, admin, 0x0900_0001, 5, 2) == (0, 0)
    assert hv.grants.mappings == [] and GRANT_WINDOW >> 12 not in tenant.bus.pages
