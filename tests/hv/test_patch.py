"""Patch points: a student's handler replaces a real one, under a watchdog."""

from __future__ import annotations

import pytest

from lab.hv import VmState
from lab.hv.hypercalls import SbiError
from lab.hv.patch import PatchError
from lab.hv.vm import RAM_BASE
from tests.hv.conftest import hcall, make_hv

DBCN = 0x4442434E
CHECKED = """
def console_write(hv, vm, num_bytes, base_addr_lo, base_addr_hi):
    if base_addr_hi != 0 or not vm.owns(base_addr_lo, num_bytes):
        return SbiRet.fail(SbiError.INVALID_PARAM, "not your memory")
    data = vm.read_guest(base_addr_lo, num_bytes)
    vm.console_write(data)
    return SbiRet.ok(len(data))
"""
RAISES = """
def console_write(hv, vm, num_bytes, base_addr_lo, base_addr_hi):
    total = 0
    return SbiRet.ok(num_bytes // total)
"""
LOOPS = """
def console_write(hv, vm, num_bytes, base_addr_lo, base_addr_hi):
    while True:
        pass
"""


def leak_gpa(vm) -> int:
    return RAM_BASE + vm.ram_size + 0x2000  # the next VM's data page


def test_a_checked_patch_stops_the_leak_and_keeps_legit_writes(backend):
    hv = make_hv(backend, "vulnerable")
    tenant, bank = hv.vms[1], hv.vms[2]
    hv.mem.write(bank.ram_host + 0x2000, b"BANK{secret}")
    hv.apply_patch(DBCN, 0, CHECKED)
    assert hcall(hv, tenant, DBCN, 0, 12, leak_gpa(tenant), 0)[0] == SbiError.INVALID_PARAM
    hv.mem.write(tenant.ram_host + 0x2000, b"ok\n")
    assert hcall(hv, tenant, DBCN, 0, 3, RAM_BASE + 0x2000, 0) == (0, 3)
    assert tenant.console_text() == "ok\n"
    assert hv.trace.select(kinds=["hypercall"])[-1].patched
    hv.revert_patch(DBCN, 0)
    assert hcall(hv, tenant, DBCN, 0, 12, leak_gpa(tenant), 0) == (0, 12)


@pytest.mark.parametrize(
    ("source", "expected"), [(RAISES, "line 4: ZeroDivisionError"), (LOOPS, "ran too long")]
)
def test_a_broken_patch_is_rolled_back_and_the_vms_keep_running(backend, source, expected):
    hv = make_hv(backend, "vulnerable")
    tenant = hv.vms[1]
    hv.apply_patch(DBCN, 0, source)
    assert hcall(hv, tenant, DBCN, 0, 3, RAM_BASE, 0)[0] == SbiError.FAILED
    assert hv.patches.last_error is not None and expected in str(hv.patches.last_error)
    assert hv.patches.get((DBCN, 0)) is None
    assert any(e.kind == "patch" and "rolled back" in e.describe() for e in hv.trace)
    assert tenant.state is VmState.PAUSED  # at the harness's ebreak: it ran on
    hv.mem.write(tenant.ram_host + 0x2000, b"hi")
    assert hcall(hv, tenant, DBCN, 0, 2, RAM_BASE + 0x2000, 0) == (0, 2)  # the original is back


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("def console_write(hv, vm, n, lo, hi)\n    return 0", "line 1: syntax error"),
        ("def other(hv, vm):\n    pass", "must define a function named console_write"),
        ("def console_write(hv, vm):\n    pass", "must take (hv, vm, num_bytes, base_addr_lo, base_addr_hi)"),
        ("x = 1\nundefined_name\n", "line 2: NameError"),
    ],
)
def test_a_patch_that_does_not_compile_is_refused_with_its_line(source, message):
    hv = make_hv("interp")
    with pytest.raises(PatchError, match=message.replace("(", r"\(").replace(")", r"\)")):
        hv.apply_patch(DBCN, 0, source)
    assert hv.patches.get((DBCN, 0)) is None


def test_every_handler_as_the_editor_shows_it_applies_unchanged():
    """The editor shows a handler under its Python name (GNTTAB map is `map_grant`); that
    source, applied as it stands, must be accepted as the patch of its hypercall."""
    from lab.hv.hypercalls import load_extensions
    from lab.session.editor import editable_source

    hv = make_hv("interp")
    for ext in load_extensions().values():
        for fn in ext.functions.values():
            hv.apply_patch(fn.eid, fn.fid, editable_source(fn.handler))
            assert hv.patches.get((fn.eid, fn.fid)) is not None, fn.name
