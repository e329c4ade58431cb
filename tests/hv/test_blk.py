"""The virtual disk (BLK): round trips, every bad argument, the range check, the rate limit,
zero as one long call or a continuation, the store's shared bandwidth."""

from __future__ import annotations

import pytest

from lab.hv import Hypervisor, Policy, VmConfig, VmState, snapshot
from lab.hv.devices.blk import RATE_PERIOD, SECTOR
from lab.hv.hypercalls import SbiError
from lab.hv.sbi.blk import MAX_SECTORS, ZERO_COST
from lab.hv.vm import RAM_BASE
from tests.hv.conftest import hcall, idle_vm, last_call, program

BLK = 0x0900_0005
ZERO = 3
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
    assert hcall(hv, tenant, BLK, 4)[0] == E.NOT_SUPPORTED


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


# ---------------------------------------------------------------- zero: one long call, or a continuation

LATENCY = """
# 20 times: sleep 10,000 instructions of the clock; s1 = the worst lateness on waking.
    .include "lib/sbi.S"
_start:
    li   s1, 0
    li   s2, 20
1:  call clock_now
    li   t0, 10000
    add  s0, a0, t0
    mv   a0, s0
    call sleep_until
    sub  t0, a0, s0
    bgeu s1, t0, 2f
    mv   s1, t0
2:  addi s2, s2, -1
    bnez s2, 1b
    ebreak
    .include "lib/clock.S"
"""

WIPER = """
# Let the admin start measuring, then zero the whole disk in one call; s0, s1 = a0, a1.
    .include "lib/sbi.S"
_start:
    li   t0, 20000
1:  addi t0, t0, -1
    bnez t0, 1b
    li   a7, EID_BLK
    li   a6, BLK_ZERO
    li   a0, 0
    li   a1, 256
    ecall
    mv   s0, a0
    mv   s1, a1
    ebreak
"""


def wiping(backend: str, *, preemptible: bool) -> Hypervisor:
    policy = Policy.preset("vulnerable")
    policy.set("hypercall.preemptible", preemptible)
    hv = Hypervisor(backend=backend, policy=policy, host_memory=2 << 20)
    hv.create_vm(VmConfig("admin", program=program(LATENCY, "admin"), memory=64 << 10, control=True))
    hv.create_vm(VmConfig("tenant", program=program(WIPER, "tenant"), memory=64 << 10, disk=256 * SECTOR))
    hv.disks.write(hv.vm("tenant").disk.first, b"\xaa" * 256 * SECTOR)
    return hv


@pytest.mark.parametrize("preemptible", [False, True])
def test_zero_holds_the_cpu_unless_it_continues_later(backend, preemptible):
    hv = wiping(backend, preemptible=preemptible)
    hv.run(2_000_000)
    admin, tenant = hv.vms
    assert admin.state is tenant.state is VmState.PAUSED  # both at their ebreak
    assert tenant.cpu.regs()[8:10] == [0, 0]  # the call succeeded, whole
    assert hv.disks.read(tenant.disk.first, 256) == bytes(256 * SECTOR)
    zeros = [r for r in hv.trace.select(kinds=["hypercall"]) if r.eid == BLK and r.fid == ZERO]
    worst = admin.cpu.regs()[9]
    if preemptible:
        assert len(zeros) == 256 // MAX_SECTORS  # one entry per piece, the ecall run again
        assert [r.args for r in zeros[:2]] == [(0, 256), (8, 248)]  # the arguments advanced
        assert all("preempted after 8 sectors" in r.why for r in zeros[:-1])
        assert worst <= 2 * MAX_SECTORS * ZERO_COST  # the admin ran between the pieces
    else:
        assert len(zeros) == 1
        assert worst >= 256 * ZERO_COST - 10_000  # the admin waited for the whole call
    assert hv.scheduler.used[tenant.domid] >= 256 * ZERO_COST  # the tenant paid for the work


def test_a_continued_call_survives_a_snapshot(backend):
    """A continuation is guest state (registers and pc), so a snapshot taken between
    two pieces resumes it as if nothing had happened."""
    whole = wiping(backend, preemptible=True)
    whole.run(2_000_000)
    hv = wiping(backend, preemptible=True)
    hv.run(60_000)  # in the middle of the wipe
    snap = snapshot.take(hv)
    hv.run(5_000)
    snapshot.restore(hv, snap)
    hv.run(2_000_000 - 60_000)
    assert hv.trace.lines() == whole.trace.lines()
    assert [vm.cpu.regs() for vm in hv.vms] == [vm.cpu.regs() for vm in whole.vms]


def test_zero_checks_its_range(backend):
    hv = disks(backend)
    tenant = hv.vm("tenant")
    assert hcall(hv, tenant, BLK, ZERO, 0, 0)[0] == E.INVALID_PARAM
    assert hcall(hv, tenant, BLK, ZERO, 4, 5)[0] == E.INVALID_PARAM  # runs past the end
    assert hcall(hv, tenant, BLK, ZERO, 8, 1)[0] == E.INVALID_PARAM
    assert hcall(hv, hv.vm("nodisk"), BLK, ZERO, 0, 1)[0] == E.NOT_SUPPORTED
    assert hcall(hv, tenant, BLK, ZERO, 4, 4) == (0, 0)


# ---------------------------------------------------------------- the store's bandwidth, shared


def hog_until_refused(hv: Hypervisor, vm) -> str:
    """Read 8 sectors again and again until the disk refuses: why it refused."""
    for _ in range(1000):
        if hcall(hv, vm, BLK, 1, 0, 8, BUF) == (0, 0):
            return last_call(hv).why
    raise AssertionError("the disk never refused")


@pytest.mark.parametrize("limit", [0, 32])
def test_one_disk_takes_the_shared_bandwidth_unless_each_disk_has_a_bucket(backend, limit):
    policy = Policy.preset("vulnerable")
    hv = Hypervisor(backend=backend, policy=policy, host_memory=1 << 20, disk_bandwidth=64)
    hv.policy.set("blk.rate_limit", limit)
    hv.create_vm(idle_vm("tenant", disk=DISK))
    hv.create_vm(idle_vm("bank", disk=DISK))
    tenant, bank = hv.vms
    why = hog_until_refused(hv, tenant)
    if limit:
        assert "throttled by blk.rate_limit" in why
        assert hcall(hv, bank, BLK, 1, 0, 8, BUF) == (0, 8)  # the rest of the store is the bank's
    else:
        assert "the disk is busy" in why
        assert hcall(hv, bank, BLK, 1, 0, 8, BUF) == (0, 0)  # the tenant took it all
        assert "the disk is busy" in last_call(hv).why
