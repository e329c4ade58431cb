"""Hostile guests against the hardened hypervisor: a seeded hypercall fuzzer through the real trap path.

An attacker VM runs generated machine code: a few hundred hypercalls, each one
`li a0..a5, a6, a7; ecall`, its arguments drawn from what an attacker aims at
(its own buffers, the neighbour's RAM, the hypervisor's region reached by
arithmetic, the grant window, device space, huge lengths, other domids), the
results stored in its own RAM. The machine around it is a small cloud: an idle
control domain, a bank and a second tenant with secrets and disks, all on one
virtual network with the management service. The attacker's writes may land
on its own code (a DBCN read or a disk read into it): then it runs whatever
they wrote, which is part of the point.

After every run, on each core:
    * nothing raised out of `Hypervisor.run`;
    * host memory is unchanged outside the attacker's RAM and the bookkeeping
      it may legitimately cause (the ring backend's buffer, its own grant table);
    * no other VM's disk sectors changed, no other VM changed state;
    * no secret (the bank's, the other tenant's, the hypervisor's, another
      VM's disk contents) appears in the attacker's RAM, disk or console;
    * every hypercall result in the trace is an SBI error code the spec defines;
and the two cores agree: the same trace, the same memory, the same consoles.

`make test` runs a bounded number of programs (about 10,000 hypercalls per
core). A long campaign: `HVLAB_FUZZ_PROGRAMS=2000 pytest tests/hv/test_hostile.py`
(the seed of any failing program is in the message: `HVLAB_FUZZ_SEED=N` replays it).
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass

import pytest

from lab.cpu import backends
from lab.hv import Hypervisor, Policy, VmConfig, VmState
from lab.hv.devices.gnttab import TABLE_BYTES
from lab.hv.devices.net import MgmtConfig, NicConfig
from lab.hv.hypercalls import EXTENSIONS, SbiError, load_extensions, lookup, to_signed
from lab.hv.memory import HvLayout
from lab.hv.vm import GRANT_WINDOW, RAM_BASE
from tests.hv.conftest import idle_vm, program

RAM = 64 << 10
DISK = 8 * 512
CODE_LIMIT = RAM_BASE + 0x6000  # the generated code stays below this
RESULTS = RAM_BASE + 0x8000  # (a0, a1) of each call
DATA = RAM_BASE + 0xA000  # the buffers calls aim at (four pages)
CALLS_PER_PROGRAM = 150
PROGRAMS = int(os.environ.get("HVLAB_FUZZ_PROGRAMS", "35"))
ONLY_SEED = os.environ.get("HVLAB_FUZZ_SEED")
BUDGET = 3_000_000  # instructions per run: every call made, even with the odd reboot

BANK_SECRET = b"BANK{the-vault-combination-is-4242}"
OTHER_SECRET = b"TENANT2{do-not-read-me}"
HV_SECRET = b"HVLAB{hostile-guests-never-see-this}"
SBI_CODES = {int(e) for e in SbiError}

load_extensions()
FUNCTIONS = sorted((eid, fid) for eid, ext in EXTENSIONS.items() for fid in ext.functions)


@dataclass(slots=True)
class Cloud:
    hv: Hypervisor
    attacker_domid: int


def build(backend: str, attacker_source: str) -> Cloud:
    """admin (control, dom0), attacker (dom1), bank (dom2), other (dom3); one segment; mgmt on it."""
    hv = Hypervisor(backend=backend, policy=Policy.preset("hardened"), host_memory=1 << 20, secret=HV_SECRET)
    hv.create_vm(idle_vm("admin", control=True, disk=DISK, memory=RAM))
    hv.create_vm(VmConfig("attacker", program=program(attacker_source, "attacker"), memory=RAM, disk=DISK))
    hv.create_vm(idle_vm("bank", disk=DISK, memory=RAM, secret=BANK_SECRET, secret_gpa=RAM_BASE + 0x1000))
    hv.create_vm(idle_vm("other", disk=DISK, memory=RAM, secret=OTHER_SECRET, secret_gpa=RAM_BASE + 0x3000))
    for vm in hv.vms:
        hv.disks.write(vm.disk.first, f"DISK-OF-dom{vm.domid} ".encode() * (DISK // 12))
    net = hv.network()
    net.add_segment("lan")
    for i, vm in enumerate(hv.vms):
        net.attach(vm, NicConfig("lan", f"10.0.0.{i + 1}"))
    net.add_mgmt(MgmtConfig("lan", "10.0.0.254", password="correct horse battery staple"))
    return Cloud(hv, 1)


def plausible(rng: random.Random, name: str = "") -> int:
    """One argument that gets past the first checks, by the parameter's name where it says
    what it is (a domid, a page of its own, a window page, a small count); else any of them."""
    own_page = DATA + rng.randrange(0, 4) * 0x1000
    if name.endswith("domid") or name in ("flags", "ref", "sector", "count"):
        return rng.randrange(0, 4)
    if name == "dest_gpa":
        return GRANT_WINDOW + rng.randrange(0, 4) * 0x1000
    if name in ("gpa", "base_lo"):
        return own_page
    return rng.choice([rng.randrange(0, 4), rng.randrange(0, 4), own_page, GRANT_WINDOW, 16])


def values(rng: random.Random, host_of_ram: int) -> int:
    """One argument: what an attacker would try."""
    neighbour = RAM_BASE + RAM + rng.choice([0, 0x1000, 0x3000, RAM + 0x1000])
    inside = rng.choice([0, HvLayout.SECRET, HvLayout.MGMT_HASH, 0x1000])
    hv_region = (RAM_BASE - host_of_ram + inside) & 0xFFFFFFFF
    pool = [
        lambda: rng.randrange(0, 8),  # small numbers: domids, refs, flags, sectors
        lambda: DATA + rng.randrange(0, 4) * 0x1000,
        lambda: DATA + rng.randrange(0, 0x4000),
        lambda: RAM_BASE + rng.randrange(0, RAM),  # anywhere in its own RAM, code included
        lambda: neighbour,
        lambda: hv_region,
        lambda: RAM_BASE - rng.choice([4, 0x1000, 0x10000]),
        lambda: GRANT_WINDOW + rng.randrange(0, 4) * 0x1000,
        lambda: rng.choice([0, 0x1000_0000, 0xFFFF_F000, 0xFFFF_FFFF, 0x7FFF_FFFF]),
        lambda: rng.choice([0, 1, 16, 255, 256, 257, 4095, 4096, 4097, 1 << 20, 0xFFFF_FFFF]),
        lambda: rng.getrandbits(32),
    ]
    return rng.choice(pool)()


def fuzz_program(seed: int) -> str:
    rng = random.Random(seed)
    host_of_ram = 0x10000 + RAM  # the attacker is dom1: its RAM follows the region and dom0's
    lines = ["_start:", f"    li s0, {RESULTS:#x}"]
    for _ in range(CALLS_PER_PROGRAM):
        if rng.random() < 0.9:
            eid, fid = rng.choice(FUNCTIONS)
        else:
            eid, fid = rng.choice([(rng.getrandbits(32), rng.randrange(8)), (0x10, rng.getrandbits(32))])
        if eid == 0x53525354 and rng.random() < 0.8:
            eid, fid = 0x10, 3  # system_reset rarely: it ends (or restarts) the attack
        fn = lookup(eid, fid)
        names = fn.params if fn is not None else ()
        careful = rng.random() < 0.4
        for reg in range(6):
            if careful:
                value = plausible(rng, names[reg] if reg < len(names) else "")
            else:
                value = values(rng, host_of_ram)
            lines.append(f"    li a{reg}, {value:#x}")
        lines += [
            f"    li a6, {fid:#x}",
            f"    li a7, {eid:#x}",
            "    ecall",
            "    sw a0, 0(s0)",
            "    sw a1, 4(s0)",
            "    addi s0, s0, 8",
        ]
    lines.append("    ebreak")
    return "\n".join(lines) + "\n"


def run(backend: str, seed: int) -> Cloud:
    cloud = build(backend, fuzz_program(seed))
    hv = cloud.hv
    attacker = hv.vms[cloud.attacker_domid]
    segment = attacker.config.program.segments[0]
    image_end = segment.gpa + len(segment.data)
    assert image_end <= CODE_LIMIT, "the generated program overlaps the result area"
    spent = 0
    while spent < BUDGET and attacker.state is VmState.RUNNING and not attacker.destroyed:
        summary = hv.run(50_000)  # must never raise
        spent += summary.retired
        if summary.retired == 0:
            break
    return cloud


def protected_regions(hv: Hypervisor, attacker) -> list[tuple[int, int, str]]:
    """Host ranges the attacker must not change: everything but its RAM, the ring
    buffer its requests fill, and its own grant table."""
    own_table = HvLayout.GRANT_TABLES + attacker.domid * TABLE_BYTES
    allowed = sorted(
        [
            (attacker.ram_host, attacker.ram_host + attacker.ram_size),
            (HvLayout.RING_BUFFER, HvLayout.RING_BUFFER + 256),
            (own_table, own_table + TABLE_BYTES),
        ]
    )
    regions, pos = [], 0
    for lo, hi in allowed:
        regions.append((pos, lo, "outside the attacker"))
        pos = hi
    regions.append((pos, hv.mem.size, "outside the attacker"))
    return regions


def check_isolation(cloud: Cloud, before_mem: bytes, before_disks: bytes, seed: int) -> None:
    hv = cloud.hv
    attacker = hv.vms[cloud.attacker_domid]
    where = f"seed {seed} on {hv.backend}"
    after = hv.mem.buf
    for lo, hi, _ in protected_regions(hv, attacker):
        if after[lo:hi] != before_mem[lo:hi]:
            first = next(i for i in range(lo, hi) if after[i] != before_mem[i])
            owner = next((r.owner for r in hv.mem.regions if r.start <= first < r.end), "free memory")
            pytest.fail(f"{where}: host byte {first:#x} ({owner}) changed")
    disk = attacker.disk
    lo, hi = disk.first * 512, (disk.first + disk.sectors) * 512
    disks = bytes(hv.disks.data)
    unchanged = disks[:lo] == before_disks[:lo] and disks[hi:] == before_disks[hi:]
    assert unchanged, f"{where}: another VM's disk changed"
    for vm in hv.vms:
        if vm is not attacker:
            assert vm.state is VmState.RUNNING and not vm.destroyed and vm.boots == 1, (
                f"{where}: {vm.label} was changed: {vm.state.label}"
            )
    seen = {
        "RAM": bytes(hv.mem.read(attacker.ram_host, attacker.ram_size)),
        "disk": disks[lo:hi],
        "console": bytes(attacker.console),
    }
    secrets = [BANK_SECRET, OTHER_SECRET, HV_SECRET] + [
        f"DISK-OF-dom{vm.domid}".encode() for vm in hv.vms if vm is not attacker
    ]
    for name, data in seen.items():
        for secret in secrets:
            assert secret not in data, f"{where}: {secret!r} appeared in the attacker's {name}"
    for record in hv.trace.select(kinds=["hypercall"]):
        assert to_signed(record.error) in SBI_CODES, f"{where}: {record.describe()} is not an SBI error"


def fingerprint(cloud: Cloud) -> tuple:
    hv = cloud.hv
    calls = [
        (r.time, r.domid, r.pc, r.eid, r.fid, tuple(r.args), r.error, r.value)
        for r in hv.trace.select(kinds=["hypercall"])
    ]
    return calls, bytes(hv.mem.buf), [bytes(vm.console) for vm in hv.vms], [vm.state for vm in hv.vms]


def seeds() -> list[int]:
    if ONLY_SEED is not None:
        return [int(ONLY_SEED)]
    return list(range(1000, 1000 + PROGRAMS))


@pytest.mark.parametrize("chunk", range(5))
def test_hardened_hypervisor_holds_against_fuzzed_hypercalls(chunk):
    """Each seed's attack runs on every core; isolation holds on each, and the cores agree."""
    calls = 0
    for seed in seeds()[chunk::5]:
        prints = []
        for backend in backends():
            pristine = build(backend, fuzz_program(seed))
            before_mem = bytes(pristine.hv.mem.buf)
            before_disks = bytes(pristine.hv.disks.data)
            cloud = run(backend, seed)
            check_isolation(cloud, before_mem, before_disks, seed)
            prints.append(fingerprint(cloud))
            calls += len(prints[-1][0])
        for other in prints[1:]:
            assert other[0] == prints[0][0], f"seed {seed}: the cores' hypercall traces differ"
            assert other[1] == prints[0][1], f"seed {seed}: the cores' host memory differs"
            assert other[2:] == prints[0][2:], f"seed {seed}: consoles or VM states differ"
    assert calls >= len(seeds()[chunk::5]) * CALLS_PER_PROGRAM * len(backends()) * 0.5, "most calls never ran"


def test_the_fuzzer_reaches_the_interesting_code():
    """Not a fuzzer that only ever hears 'not supported': across a few programs every
    extension succeeds at least once and is refused at least once."""
    ok, refused = set(), set()
    for seed in range(1000, 1006):
        cloud = run("interp", seed)
        for r in cloud.hv.trace.select(kinds=["hypercall"]):
            (ok if r.error == 0 else refused).add(r.eid)
    # SRST stops the fuzzer's VM; CLOCK now() and TIME set_timer() take any argument.
    assert set(EXTENSIONS) - {0x53525354, 0x54494D45, 0x0900_0006} <= refused
    assert {0x10, 0x4442434E, 0x0900_0002, 0x0900_0003, 0x0900_0004, 0x0900_0005} <= ok
    assert {0x54494D45, 0x0900_0006} <= ok
