"""The virtual disk (BLK): round trips, every bad argument, the range check, the rate limit."""

from __future__ import annotations

import pytest

from lab.hv import Hypervisor, Policy, snapshot
from lab.hv.devices.blk import SECTOR
from lab.hv.devices.net import RATE_PERIOD
from lab.hv.hypercalls import SbiError
from lab.hv.vm import RAM_BASE
from tests.hv.conftest import hcall, idle_vm, last_call

BLK = 0x0900_0005
BUF = RAM_BASE + 0x2000
E = SbiError
DISK = 8 * SECTOR  # 8 sectors each


def disks(backend: str, preset: str = "hardened") -> Hypervisor:
    hv = Hypervisor(backend=backend, policy=Policy.preset(preset), host_memory=1 << 20)
    hv.create_vm(idle_vm("admin", control=True))
    hv.create_vm(idle_vm("tenant", disk=DISK))
    hv.create_vm(idle_vm("bank", disk=DISK))
    hv.create_vm(idle_vm("nodisk"))
    hv.disks.write(hv.vm("bank").disk.first, b"LEDGER alice 1200 bob 340".ljust(SECTOR, b"\0"))
    return hv


def guest(hv, vm, gpa: int, n: int) -> bytes:
    return hv.mem.read(vm.ram_host + gpa - RAM_BASE, n)


def test_reads_and_writes_round_trip(backend):
    hv = disks(backend)
    tenant = hv.vm("tenant")
    assert hcall(hv, tenant, BLK, 0) == (0, 8)
    hv.mem.write(tenant.ram_host + BUF - RAM_BASE, bytes(range(256)) * 4)
    assert hcall(hv, tenant, BLK, 2, 3, 2, BUF) == (0, 2)
    hv.mem.write(tenant.ram_host + BUF - RAM_BASE, bytes(1024))
    assert hcall(hv, tenant, BLK, 1, 3, 2, BUF) == (0, 2)
    assert guest(hv, tenant, BUF, 1024) == bytes(range(256)) * 4
    assert tenant.disk.counters() == {
        "sectors": 8, "reads": 1, "writes": 1, "sectors_read": 2, "sectors_written": 2
    }  # fmt: skip


def test_every_bad_argument_gets_its_error(backend):
    hv = disks(backend)
    tenant = hv.vm("tenant")
    assert hcall(hv, hv.vm("nodisk"), BLK, 0)[0] == E.NOT_SUPPORTED
    assert hcall(hv, tenant, BLK, 1, 0, 0, BUF)[0] == E.INVALID_PARAM  # nothing to read
    assert hcall(hv, tenant, BLK, 1, 0, 9, BUF)[0] == E.INVALID_PARAM  # over the per-request cap
    assert hcall(hv, tenant, BLK, 1, 8, 1, BUF)[0] == E.INVALID_PARAM  # starts past the end
    assert hcall(hv, tenant, BLK, 1, 0xFFFFFFFF, 1, BUF)[0] == E.INVALID_PARAM
    assert hcall(hv, tenant, BLK, 1, 6, 4, BUF)[0] == E.INVALID_PARAM  # runs past the end
    assert "run past the end" in last_call(hv).why
    assert hcall(hv, tenant, BLK, 1, 0, 2, RAM_BASE + tenant.ram_size - SECTOR)[0] == E.INVALID_ADDRESS
    assert hcall(hv, tenant, BLK, 2, 0, 1, 0x1000)[0] == E.INVALID_ADDRESS
    assert hcall(hv, tenant, BLK, 3)[0] == E.NOT_SUPPORTED


def test_the_vulnerable_range_check_reads_the_neighbours_ledger(backend):
    hv = disks(backend, "vulnerable")
    tenant = hv.vm("tenant")
    assert hcall(hv, tenant, BLK, 1, 7, 2, BUF) == (0, 2)  # sector 7 is ours, sector 8 is not
    assert guest(hv, tenant, BUF + SECTOR, 25) == b"LEDGER alice 1200 bob 340"
    assert "reached dom2 (bank)" in last_call(hv).why
    hv = disks(backend, "hardened")
    assert hcall(hv, hv.vm("tenant"), BLK, 1, 7, 2, BUF)[0] == E.INVALID_PARAM
    assert "run past the end of dom1 (tenant)'s disk" in last_call(hv).why
    assert b"LEDGER" not in guest(hv, hv.vm("tenant"), BUF, 2 * SECTOR)


def test_the_rate_limiter_follows_its_formula(backend):
    hv = disks(backend, "vulnerable")
    hv.policy.set("blk.rate_limit", 16)  # 16 sectors per RATE_PERIOD instructions
    tenant = hv.vm("tenant")
    moved = [hcall(hv, tenant, BLK, 1, 0, 8, BUF)[1] for _ in range(3)]
    assert moved == [8, 8, 0]  # the bucket starts full (16), then is empty
    assert "throttled" in last_call(hv).why
    hv.time += RATE_PERIOD // 2  # half a period refills half the bucket: 8 sectors
    assert hcall(hv, tenant, BLK, 1, 0, 8, BUF)[1] == 8
    assert hcall(hv, tenant, BLK, 1, 0, 1, BUF)[1] == 0


@pytest.mark.parametrize("preset", ["vulnerable", "hardened"])
def test_a_snapshot_restores_disk_contents(backend, preset):
    hv = disks(backend, preset)
    tenant = hv.vm("tenant")
    snap = snapshot.take(hv)
    hv.mem.write(tenant.ram_host + BUF - RAM_BASE, b"X" * SECTOR)
    assert hcall(hv, tenant, BLK, 2, 0, 1, BUF) == (0, 1)
    snapshot.restore(hv, snap)
    assert hv.disks.read(tenant.disk.first, 1) == bytes(SECTOR)
    assert tenant.disk.writes == 0
