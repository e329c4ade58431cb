"""Every hypercall of the table, with good and bad arguments, on every backend."""

from __future__ import annotations

import pytest

from lab.hv import VmState
from lab.hv.hypercalls import EXTENSIONS, SbiError
from lab.hv.memory import HvLayout
from lab.hv.sbi.srst import REASON_EXIT_CODE
from lab.hv.vm import RAM_BASE
from tests.hv.conftest import hcall, last_call, make_hv

BASE, DBCN, SRST, VMCTL = 0x10, 0x4442434E, 0x53525354, 0x0900_0001
DATA = RAM_BASE + 0x2000  # a data page in every test VM

E = SbiError


def put(hv, vm, gpa: int, data: bytes) -> None:
    hv.mem.write(vm.ram_host + gpa - RAM_BASE, data)


def get(hv, vm, gpa: int, n: int) -> bytes:
    return hv.mem.read(vm.ram_host + gpa - RAM_BASE, n)


# ---------------------------------------------------------------- BASE


def test_base_reports_sbi_2_0_and_probes_extensions(backend):
    hv = make_hv(backend)
    vm = hv.vms[1]
    assert hcall(hv, vm, BASE, 0) == (0, 0x0200_0000)
    assert hcall(hv, vm, BASE, 1)[0] == 0
    assert hcall(hv, vm, BASE, 2)[0] == 0
    for eid in (BASE, DBCN, SRST, VMCTL):
        assert hcall(hv, vm, BASE, 3, eid) == (0, 1)
    assert hcall(hv, vm, BASE, 3, 0x735049) == (0, 0)  # SPI: not implemented, still success
    for fid in (4, 5, 6):
        assert hcall(hv, vm, BASE, fid) == (0, 0)


def test_the_error_codes_are_those_of_the_version_base_reports():
    """BASE says SBI v2.0, so every code a handler returns is from v2.0's table: 0 to
    SBI_ERR_NO_SHMEM (-9). v3.0's INVALID_STATE, BAD_RANGE, ... would be news to a v2.0 guest."""
    from lab.hv.sbi.base import SPEC_VERSION

    assert SPEC_VERSION == 2 << 24
    assert sorted(SbiError) == list(range(-9, 1))
    assert SbiError.label(-9) == "SBI_ERR_NO_SHMEM" and SbiError.label(-11) == "-11"


def test_unknown_extension_and_function_are_not_supported(backend):
    hv = make_hv(backend)
    vm = hv.vms[1]
    assert hcall(hv, vm, 0x12345678, 0) == (E.NOT_SUPPORTED, 0)
    assert "no extension" in last_call(hv).why
    assert hcall(hv, vm, BASE, 99)[0] == E.NOT_SUPPORTED
    assert hcall(hv, vm, DBCN, 3)[0] == E.NOT_SUPPORTED
    assert vm.state is VmState.PAUSED  # stopped at the harness's ebreak, not faulted


def test_every_call_is_traced_with_caller_names_args_and_result(backend):
    hv = make_hv(backend)
    vm = hv.vms[1]
    hcall(hv, vm, BASE, 3, DBCN)
    record = last_call(hv)
    assert (record.domid, record.eid, record.fid, record.args[0]) == (1, BASE, 3, DBCN)
    assert record.names == ("BASE", "probe_extension")
    assert (record.error, record.value) == (0, 1)
    assert record.time > 0
    assert "BASE.probe_extension(extension_id=0x4442434e) -> SBI_SUCCESS, 1" in record.describe()


# ---------------------------------------------------------------- DBCN


def test_console_write_prints_the_callers_buffer(backend):
    hv = make_hv(backend, "hardened")
    vm = hv.vms[1]
    put(hv, vm, DATA, b"hello, hypervisor\n")
    assert hcall(hv, vm, DBCN, 0, 18, DATA, 0) == (0, 18)
    assert vm.console_text() == "hello, hypervisor\n"


@pytest.mark.parametrize("preset", ["hardened"])
def test_console_write_refuses_foreign_buffers_when_hardened(backend, preset):
    hv = make_hv(backend, preset)
    tenant, bank = hv.vms[1], hv.vms[2]
    put(hv, bank, DATA, b"BANK{secret}")
    beyond = RAM_BASE + tenant.ram_size + DATA - RAM_BASE  # the bank's page, seen from the tenant
    assert hcall(hv, tenant, DBCN, 0, 12, beyond, 0) == (E.INVALID_PARAM, 0)
    assert "not dom1 (tenant)'s memory" in last_call(hv).why
    assert hcall(hv, tenant, DBCN, 0, 16, RAM_BASE + tenant.ram_size - 8, 0)[0] == E.INVALID_PARAM
    assert hcall(hv, tenant, DBCN, 0, 4, DATA, 1)[0] == E.INVALID_PARAM  # base_addr_hi set
    assert hcall(hv, tenant, DBCN, 0, 4, 0x1000, 0)[0] == E.INVALID_PARAM  # below RAM
    assert "BANK" not in tenant.console_text()


def test_console_write_without_bounds_check_leaks_the_neighbour_and_the_hypervisor(backend):
    hv = make_hv(backend, "vulnerable")
    tenant, bank = hv.vms[1], hv.vms[2]
    put(hv, bank, DATA, b"BANK{secret}")
    beyond = RAM_BASE + tenant.ram_size + DATA - RAM_BASE
    assert hcall(hv, tenant, DBCN, 0, 12, beyond, 0) == (0, 12)
    assert "BANK{secret}" in tenant.console_text()
    assert "dom2 (bank)" in last_call(hv).why
    # Below RAM: host offset ram_host + (gpa - RAM_BASE) reaches the hypervisor region.
    gpa = RAM_BASE - tenant.ram_host + HvLayout.SECRET
    assert hcall(hv, tenant, DBCN, 0, 31, gpa, 0)[0] == 0
    assert hv.mem.secret.decode() in tenant.console_text()
    assert "hypervisor" in last_call(hv).why


def test_console_write_is_partial_past_the_chunk_limit(backend):
    hv = make_hv(backend, "hardened")
    vm = hv.vms[1]
    assert hcall(hv, vm, DBCN, 0, 10000, RAM_BASE, 0) == (0, 4096)


def test_console_read_fills_the_buffer_with_typed_input(backend):
    hv = make_hv(backend, "hardened")
    vm = hv.vms[1]
    assert hcall(hv, vm, DBCN, 1, 16, DATA, 0) == (0, 0)  # nothing typed yet
    vm.uart.feed(b"ls\n")
    assert hcall(hv, vm, DBCN, 1, 16, DATA, 0) == (0, 3)
    assert get(hv, vm, DATA, 3) == b"ls\n"
    vm.uart.feed(b"x")
    assert hcall(hv, vm, DBCN, 1, 16, RAM_BASE + vm.ram_size, 0)[0] == E.INVALID_PARAM
    assert vm.uart.has_input  # a refused read consumes nothing


def test_console_write_byte(backend):
    hv = make_hv(backend)
    vm = hv.vms[1]
    assert hcall(hv, vm, DBCN, 2, 0x141) == (0, 0)  # only the low byte counts
    assert vm.console_text() == "A"


# ---------------------------------------------------------------- SRST


def test_shutdown_halts_only_the_caller_with_its_exit_code(backend):
    hv = make_hv(backend)
    tenant = hv.vms[1]
    hcall(hv, tenant, SRST, 0, 0, REASON_EXIT_CODE | 7)
    assert tenant.state is VmState.HALTED and tenant.exit_code == 7
    assert all(vm.state is VmState.RUNNING for vm in hv.vms if vm is not tenant)


def test_reserved_reset_types_and_reasons_are_invalid(backend):
    hv = make_hv(backend)
    vm = hv.vms[1]
    assert hcall(hv, vm, SRST, 0, 3, 0)[0] == E.INVALID_PARAM
    assert hcall(hv, vm, SRST, 0, 0, 2)[0] == E.INVALID_PARAM
    assert hcall(hv, vm, SRST, 0, 0xF000_0000, 0)[0] == E.INVALID_PARAM
    assert vm.state is VmState.PAUSED  # still alive, at the harness's ebreak


def test_reboot_restarts_the_vm_with_scrubbed_memory(backend):
    hv = make_hv(backend)
    vm = hv.vms[1]
    put(hv, vm, DATA, b"left over")
    hcall(hv, vm, SRST, 0, 1, 0)
    assert vm.boots == 2 and vm.state is VmState.RUNNING
    assert get(hv, vm, DATA, 9) == bytes(9)
    assert vm.cpu.pc in (RAM_BASE, RAM_BASE + 4)  # back at the program's wfi loop


# ---------------------------------------------------------------- VMCTL


def test_self_and_count_answer_anyone(backend):
    hv = make_hv(backend, "hardened")
    for vm in hv.vms:
        assert hcall(hv, vm, VMCTL, 0) == (0, vm.domid)
        assert hcall(hv, vm, VMCTL, 1) == (0, 3)


def test_info_pause_unpause_destroy_from_the_control_domain(backend):
    hv = make_hv(backend, "hardened")
    admin, tenant = hv.vms[0], hv.vms[1]
    assert hcall(hv, admin, VMCTL, 2, 1) == (0, VmState.RUNNING)
    assert hcall(hv, admin, VMCTL, 3, 1) == (0, 0)
    assert tenant.state is VmState.PAUSED
    assert hcall(hv, admin, VMCTL, 2, 1) == (0, VmState.PAUSED)
    assert hcall(hv, admin, VMCTL, 3, 1)[0] == E.ALREADY_STOPPED
    assert hcall(hv, admin, VMCTL, 4, 1) == (0, 0)
    assert hcall(hv, admin, VMCTL, 4, 1)[0] == E.ALREADY_STARTED
    assert hcall(hv, admin, VMCTL, 5, 1) == (0, 0)
    assert tenant.destroyed
    assert hcall(hv, admin, VMCTL, 2, 1)[0] == E.INVALID_PARAM  # gone
    assert hcall(hv, admin, VMCTL, 1) == (0, 2)
    assert hcall(hv, admin, VMCTL, 2, 99)[0] == E.INVALID_PARAM


def test_privileged_calls_are_denied_to_tenants_when_authorized(backend):
    hv = make_hv(backend, "hardened")
    tenant, bank = hv.vms[1], hv.vms[2]
    for fid, args in (
        (2, (2,)),
        (3, (2,)),
        (4, (2,)),
        (5, (2,)),
        (6, (2, DATA, 16, DATA)),
        (7, (2, DATA, 4, DATA)),
    ):
        assert hcall(hv, tenant, VMCTL, fid, *args)[0] == E.DENIED, fid
        assert "not the control domain" in last_call(hv).why
    assert bank.state is VmState.RUNNING and not bank.destroyed


def test_without_authorization_a_tenant_can_kill_its_neighbour(backend):
    hv = make_hv(backend, "vulnerable")
    tenant, bank = hv.vms[1], hv.vms[2]
    assert hcall(hv, tenant, VMCTL, 5, 2) == (0, 0)
    assert bank.destroyed


def test_peek_and_poke_copy_between_vms(backend):
    hv = make_hv(backend, "hardened")
    admin, bank = hv.vms[0], hv.vms[2]
    put(hv, bank, DATA, b"ledger: 100")
    assert hcall(hv, admin, VMCTL, 6, 2, DATA, 11, DATA + 0x100) == (0, 11)
    assert get(hv, admin, DATA + 0x100, 11) == b"ledger: 100"
    put(hv, admin, DATA, b"999")
    assert hcall(hv, admin, VMCTL, 7, 2, DATA + 8, 3, DATA) == (0, 3)
    assert get(hv, bank, DATA, 11) == b"ledger: 999"


def test_peek_checks_both_buffers_and_the_length(backend):
    hv = make_hv(backend, "hardened")
    admin, bank = hv.vms[0], hv.vms[2]
    assert hcall(hv, admin, VMCTL, 6, 2, DATA, 5000, DATA)[0] == E.INVALID_PARAM
    assert hcall(hv, admin, VMCTL, 6, 2, RAM_BASE + bank.ram_size, 16, DATA)[0] == E.INVALID_ADDRESS
    assert hcall(hv, admin, VMCTL, 6, 2, DATA, 16, 0x1000)[0] == E.INVALID_ADDRESS
    assert hcall(hv, admin, VMCTL, 7, 2, RAM_BASE + bank.ram_size - 2, 4, DATA)[0] == E.INVALID_ADDRESS


def test_peek_from_a_tenant_reads_the_bank_without_authorization(backend):
    hv = make_hv(backend, "vulnerable")
    tenant, bank = hv.vms[1], hv.vms[2]
    put(hv, bank, DATA, b"BANK{secret}")
    assert hcall(hv, tenant, VMCTL, 6, 2, DATA, 12, DATA) == (0, 12)
    assert get(hv, tenant, DATA, 12) == b"BANK{secret}"


def test_the_caller_is_always_the_trapping_vm(backend):
    hv = make_hv(backend, "hardened")
    tenant = hv.vms[1]
    # A tenant that puts the control domain's id in every register is still itself.
    assert hcall(hv, tenant, VMCTL, 0, 0, 0, 0, 0, 0, 0) == (0, 1)
    assert hcall(hv, tenant, VMCTL, 5, 0)[0] == E.DENIED
    assert last_call(hv).domid == 1


def test_the_table_is_the_one_the_design_names():
    from lab.hv.hypercalls import load_extensions

    table = {ext.name: (eid, sorted(ext.functions)) for eid, ext in load_extensions().items()}
    assert table["BASE"] == (0x10, [0, 1, 2, 3, 4, 5, 6])
    assert table["DBCN"] == (0x4442434E, [0, 1, 2])
    assert table["SRST"] == (0x53525354, [0])
    assert table["VMCTL"] == (0x0900_0001, list(range(8)))
    assert EXTENSIONS[VMCTL].functions[0].name == "self"
    assert [f.privileged for f in EXTENSIONS[VMCTL].functions.values()] == [False, False] + [True] * 6
