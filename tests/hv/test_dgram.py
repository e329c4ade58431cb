"""The VMCI-style channel: datagrams, the request ring, and the double fetch."""

from __future__ import annotations

import pytest

from lab.hv import Policy, VmConfig
from lab.hv.devices.dgram import QUEUE_DEPTH
from lab.hv.hypercalls import SbiError
from lab.hv.vm import RAM_BASE
from tests.hv.conftest import hcall, last_call, make_hv, program

DGRAM, VMCTL = 0x0900_0003, 0x0900_0001
BUF = RAM_BASE + 0x2000
E = SbiError


def test_datagrams_carry_the_sender_stamped_by_the_hypervisor(backend):
    hv = make_hv(backend, "hardened")
    tenant, bank = hv.vms[1], hv.vms[2]
    hv.mem.write(tenant.ram_host + BUF - RAM_BASE, b"deposit 10")
    assert hcall(hv, tenant, DGRAM, 0, 2, BUF, 10) == (0, 10)
    assert hcall(hv, bank, DGRAM, 1, BUF, 64) == (0, 14)
    got = hv.mem.read(bank.ram_host + BUF - RAM_BASE, 14)
    assert got == (1).to_bytes(4, "little") + b"deposit 10"
    assert hcall(hv, bank, DGRAM, 1, BUF, 64) == (0, 0)  # nothing more


def test_datagram_arguments_are_checked(backend):
    hv = make_hv(backend, "hardened")
    tenant, bank = hv.vms[1], hv.vms[2]
    assert hcall(hv, tenant, DGRAM, 0, 2, BUF, 257)[0] == E.INVALID_PARAM  # over the cap
    assert hcall(hv, tenant, DGRAM, 0, 9, BUF, 8)[0] == E.INVALID_PARAM  # no such VM
    assert hcall(hv, tenant, DGRAM, 0, 2, RAM_BASE + tenant.ram_size - 4, 8)[0] == E.INVALID_ADDRESS
    assert hcall(hv, bank, DGRAM, 1, BUF, 3)[0] == E.INVALID_PARAM  # no room for the sender id
    hv.policy.set("dgram.sender_quota", 0)  # one sender may fill the inbox (test_sender_quota below)
    for _ in range(QUEUE_DEPTH):
        assert hcall(hv, tenant, DGRAM, 0, 2, BUF, 1)[0] == 0
    assert hcall(hv, tenant, DGRAM, 0, 2, BUF, 1)[0] == E.FAILED
    assert "queue is full" in last_call(hv).why
    assert hcall(hv, bank, DGRAM, 1, RAM_BASE + bank.ram_size, 64)[0] == E.INVALID_ADDRESS
    assert len(hv.channel.queue(2)) == QUEUE_DEPTH  # a refused recv loses nothing


def test_a_datagram_wakes_a_waiting_receiver(backend):
    hv = make_hv(backend, "hardened")
    hv.run(1000)
    bank = hv.vms[2]
    assert bank.waiting
    before = bank.cpu.instret
    hcall(hv, hv.vms[1], DGRAM, 0, 2, BUF, 4)
    assert bank.cpu.instret > before  # it woke and ran (and has parked again since)


def test_ring_setup_and_doorbell_validate(backend):
    hv = make_hv(backend, "hardened")
    tenant = hv.vms[1]
    assert hcall(hv, tenant, DGRAM, 3)[0] == E.NO_SHMEM  # no ring yet
    assert hcall(hv, tenant, DGRAM, 2, BUF + 8)[0] == E.INVALID_PARAM
    assert hcall(hv, tenant, DGRAM, 2, RAM_BASE + tenant.ram_size)[0] == E.INVALID_ADDRESS
    assert hcall(hv, tenant, DGRAM, 2, BUF) == (0, 0)
    ring = tenant.ram_host + BUF - RAM_BASE
    hv.mem.write(ring + 4, (7).to_bytes(4, "little"))
    assert hcall(hv, tenant, DGRAM, 3)[0] == E.INVALID_PARAM  # unknown op
    hv.mem.write(ring + 4, (1).to_bytes(4, "little") + (241).to_bytes(4, "little"))
    assert hcall(hv, tenant, DGRAM, 3)[0] == E.INVALID_PARAM  # too long
    assert "over 240" in last_call(hv).why


RACER = """
# Set up the request ring, ask the backend to LOG 16 bytes, then change
# the length in the shared page right after the doorbell's check.
.equ DGRAM, 0x09000003
.equ RING,  0x80004000
_start:
    li   a7, DGRAM
    li   a6, 2              # ring_setup(RING)
    li   a0, RING
    ecall
    li   t0, RING
    li   t1, 1
    sw   t1, 4(t0)          # op = LOG
    li   t1, 16
    sw   t1, 8(t0)          # len = 16: passes the check
    li   t1, 0x6c6c6568     # "hell"
    sw   t1, 16(t0)
    li   t1, 1
    sw   t1, 0x110(t0)      # data[256]: lands on the control-domain record if copied
    li   a7, DGRAM
    li   a6, 3              # doorbell()
    ecall
    li   t1, 260
    sw   t1, 8(t0)          # len = 260, after the check, before the backend's copy
1:  wfi
    j    1b
"""


def racer_hv(backend: str, copy_then_validate: bool):
    policy = Policy.preset("hardened")
    policy.set("dgram.copy_then_validate", copy_then_validate)
    from lab.hv import Hypervisor

    hv = Hypervisor(backend=backend, policy=policy, host_memory=1 << 20)
    hv.create_vm(VmConfig("admin", program=program("1: wfi\nj 1b"), memory=64 << 10, control=True))
    hv.create_vm(VmConfig("tenant", program=program(RACER), memory=64 << 10))
    hv.create_vm(VmConfig("bank", program=program("1: wfi\nj 1b"), memory=64 << 10))
    hv.run(100_000)
    return hv


def test_the_double_fetch_overflows_the_backend_and_makes_the_tenant_control(backend):
    hv = racer_hv(backend, copy_then_validate=False)
    assert hv.control_domid == 1  # the tenant overwrote the hypervisor's record
    done = [e for e in hv.trace if e.kind == "dgram" and "backend completes" in e.describe()]
    assert done and "OVERFLOW" in done[-1].describe() and "len re-read as 260" in done[-1].describe()
    # ... and hypercall.authorize now lets it destroy the bank.
    assert hcall(hv, hv.vms[1], VMCTL, 5, 2) == (0, 0)
    assert hv.vms[2].destroyed


def test_copy_then_validate_closes_the_race(backend):
    hv = racer_hv(backend, copy_then_validate=True)
    assert hv.control_domid == 0
    assert hv.channel.log == [(1, b"hell" + bytes(12))]
    assert hcall(hv, hv.vms[1], VMCTL, 5, 2)[0] == E.DENIED


def test_the_race_is_deterministic(backend):
    traces = [racer_hv(backend, False).trace.lines() for _ in range(2)]
    assert traces[0] == traces[1]


@pytest.mark.parametrize("quota", [0, 4])
def test_sender_quota(backend, quota):
    """One sender fills the admin's inbox: without a quota the bank's datagram no longer fits;
    with `dgram.sender_quota` the flooder is refused past its share and the bank gets through."""
    hv = make_hv(backend, "vulnerable")
    hv.policy.set("dgram.sender_quota", quota)
    admin, tenant, bank = hv.vms
    queued = [hcall(hv, tenant, DGRAM, 0, 0, BUF, 4)[0] for _ in range(QUEUE_DEPTH + 2)]
    if quota:
        assert queued == [0] * quota + [E.DENIED] * (QUEUE_DEPTH + 2 - quota)
        assert "its quota" in last_call(hv).why
        assert hcall(hv, bank, DGRAM, 0, 0, BUF, 4)[0] == 0
    else:
        assert queued == [0] * QUEUE_DEPTH + [E.FAILED] * 2
        assert hcall(hv, bank, DGRAM, 0, 0, BUF, 4)[0] == E.FAILED
        assert "queue is full" in last_call(hv).why
    senders = [d.sender for d in hv.channel.queue(admin.domid)]
    assert senders.count(tenant.domid) == (quota or QUEUE_DEPTH)
    assert senders.count(bank.domid) == (1 if quota else 0)
