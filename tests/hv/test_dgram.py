"""The VMCI-style channel: datagrams, the request ring, and the double fetch."""

from __future__ import annotations

import pytest

from lab.hv import Policy, VmConfig
from lab.hv.devices.dgram import COPY_DELAY, PICKUP_DELAY, QUEUE_DEPTH, STATUS_DONE, STATUS_REJECTED
from lab.hv.hypercalls import SbiError
from lab.hv.vm import RAM_BASE, VmState
from lab.riscv.asm import assemble
from tests.hv.conftest import CALL_AT, hcall, last_call, make_hv, program

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


def hcall_code(hv, vm, source: str) -> int:
    """Run `source` on vm at the helpers' call address, then stop it; its a0."""
    image = assemble(source + "\nebreak\n", base=CALL_AT)
    hv.mem.write(vm.ram_host + CALL_AT - RAM_BASE, image.data)
    vm.cpu.pc = CALL_AT
    vm.state, vm.waiting = VmState.RUNNING, False
    hv.run(10_000)
    return vm.cpu.get_reg(10)


def ring_status(hv, vm) -> tuple[int, int, int, int]:
    """The ring page's header as the guest sees it: status, op, len, result."""
    raw = hv.mem.read(vm.ram_host + BUF - RAM_BASE, 16)
    return tuple(int.from_bytes(raw[i : i + 4], "little") for i in range(0, 16, 4))  # type: ignore[return-value]


def test_ring_setup_and_doorbell_validate(backend):
    hv = make_hv(backend, "hardened")
    tenant = hv.vms[1]
    assert hcall(hv, tenant, DGRAM, 3)[0] == E.NO_SHMEM  # no ring yet
    assert hcall(hv, tenant, DGRAM, 2, BUF + 8)[0] == E.INVALID_PARAM
    assert hcall(hv, tenant, DGRAM, 2, RAM_BASE + tenant.ram_size)[0] == E.INVALID_ADDRESS
    assert hcall(hv, tenant, DGRAM, 2, BUF) == (0, 0)
    ring = tenant.ram_host + BUF - RAM_BASE
    # The doorbell only wakes the backend; its check comes later and rejects in the ring.
    hv.mem.write(ring + 4, (7).to_bytes(4, "little"))
    assert hcall(hv, tenant, DGRAM, 3) == (0, 0)
    hv.run(10_000)
    assert ring_status(hv, tenant)[0] == STATUS_REJECTED  # unknown op
    assert ring_status(hv, tenant)[3] == E.INVALID_PARAM & 0xFFFF_FFFF
    hv.mem.write(ring + 4, (1).to_bytes(4, "little") + (241).to_bytes(4, "little"))
    assert hcall(hv, tenant, DGRAM, 3) == (0, 0)
    assert ring_status(hv, tenant)[0] == STATUS_REJECTED
    assert any("len 241 is over 240" in e.describe() for e in hv.trace if e.kind == "dgram")


def test_one_request_at_a_time(backend):
    hv = make_hv(backend, "hardened")
    tenant = hv.vms[1]
    assert hcall(hv, tenant, DGRAM, 2, BUF) == (0, 0)
    hv.mem.write(tenant.ram_host + BUF - RAM_BASE + 4, (1).to_bytes(4, "little") + (4).to_bytes(4, "little"))
    # Two doorbells in a row: the second finds the first still pending.
    two = f"li a7, {DGRAM:#x}\nli a6, 3\necall\nmv s1, a0\nli a7, {DGRAM:#x}\nli a6, 3\necall"
    assert hcall_code(hv, tenant, two) == E.FAILED & 0xFFFF_FFFF
    assert tenant.cpu.get_reg(9) == 0  # s1: the first was accepted
    assert "still pending" in last_call(hv).why
    assert ring_status(hv, tenant)[0] == STATUS_DONE


def racer(delay: int) -> str:
    """Ring the doorbell for an honest 16-byte LOG request, wait `delay` loop turns (two
    instructions each), then change len to 260. The store retires 3 + 2 * delay
    instructions after the doorbell's ecall."""
    return f"""
.equ DGRAM, 0x09000003
.equ RING,  {BUF:#x}
_start:
    li   a7, DGRAM
    li   a6, 2              # ring_setup(RING)
    li   a0, RING
    ecall
    li   s0, RING
    li   t1, 1
    sw   t1, 4(s0)          # op = LOG
    li   t1, 16
    sw   t1, 8(s0)          # len = 16: what the check sees
    li   t1, 0x6c6c6568     # "hell"
    sw   t1, 16(s0)
    li   t1, 1
    sw   t1, 0x110(s0)      # data[256]: lands on the control-domain record if copied
    li   a7, DGRAM
    li   a6, 3              # doorbell()
    ecall
    li   t0, {delay}
1:  addi t0, t0, -1
    bnez t0, 1b
    li   t1, 260
    sw   t1, 8(s0)          # len = 260
2:  wfi
    j    2b
"""


def racer_hv(backend: str, copy_then_validate: bool, delay: int = 511):
    policy = Policy.preset("hardened")
    policy.set("dgram.copy_then_validate", copy_then_validate)
    from lab.hv import Hypervisor

    hv = Hypervisor(backend=backend, policy=policy, host_memory=1 << 20)
    hv.create_vm(VmConfig("admin", program=program("1: wfi\nj 1b"), memory=64 << 10, control=True))
    hv.create_vm(VmConfig("tenant", program=program(racer(delay)), memory=64 << 10))
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


def test_the_race_window_lies_between_the_backends_check_and_its_copy(backend):
    """The change must land after the check (PICKUP_DELAY after the doorbell) and before
    the copy (COPY_DELAY later): too early is rejected, too late copies the honest 16 bytes.
    The edges are exact, and the same on both cores."""
    first = (PICKUP_DELAY - 3) // 2 + 1  # the first delay whose store retires after the check
    last = (PICKUP_DELAY + COPY_DELAY - 3) // 2  # the last one that retires before the copy
    outcome = {}
    for delay in (first - 1, first, last, last + 1):
        hv = racer_hv(backend, copy_then_validate=False, delay=delay)
        status, _op, _len, copied = ring_status(hv, hv.vms[1])
        outcome[delay] = "rejected" if status == STATUS_REJECTED else copied
    assert outcome == {first - 1: "rejected", first: 260, last: 260, last + 1: 16}


def test_copy_then_validate_closes_the_race(backend):
    for delay in (511, 400, 600):
        hv = racer_hv(backend, copy_then_validate=True, delay=delay)
        assert hv.control_domid == 0
        if delay < 499:
            assert hv.channel.log == []  # too early: the check saw 260
        else:
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
