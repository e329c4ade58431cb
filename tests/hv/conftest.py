"""Helpers for hypervisor tests: VMs that make exactly the hypercall a test asks for.

`hcall(hv, vm, eid, fid, *args)` writes a tiny program (load a7, a6, a0..a5;
ecall; ebreak) into the VM's RAM, runs the hypervisor until the VM stops at
the ebreak, and returns (a0, a1) as the guest saw them, signed error first.
Every other VM in these tests is an idle guest that parks in wfi.
"""

from __future__ import annotations

import pytest

from lab.cpu import backends
from lab.hv import Hypervisor, Policy, VmConfig, VmState
from lab.hv.hypercalls import to_signed
from lab.hv.vm import RAM_BASE
from lab.riscv.asm import assemble
from lab.riscv.program import INCLUDE_DIRS, Program, Segment

CALL_AT = RAM_BASE + 0x1000  # the harness's code page; data pages start at 0x2000
IDLE_SOURCE = """
_start:
    wfi
    j _start
"""


def program(source: str, name: str = "guest") -> Program:
    """`source` assembled as a VM's program; `.include "lib/..."` finds the guest library."""
    image = assemble(source, filename=f"{name}.S", include_dirs=INCLUDE_DIRS)
    return Program(name, [Segment(image.base, image.data, len(image.data))], image.entry, image.symbols)


def idle_vm(name: str, **kwargs) -> VmConfig:
    return VmConfig(name, program=program(IDLE_SOURCE, name), memory=kwargs.pop("memory", 64 << 10), **kwargs)


@pytest.fixture(params=backends())
def backend(request) -> str:
    return request.param


def make_hv(backend: str, preset: str = "vulnerable", *, vms: int = 3, disk: int = 0) -> Hypervisor:
    """dom0 admin (control), dom1 tenant, dom2 bank: all idle, 64 KiB each (and `disk` bytes of disk)."""
    hv = Hypervisor(backend=backend, policy=Policy.preset(preset), host_memory=1 << 20)
    names = ["admin", "tenant", "bank", "extra"]
    for i in range(vms):
        hv.create_vm(idle_vm(names[i], control=(i == 0), disk=disk))
    return hv


def hcall(hv: Hypervisor, vm, eid: int, fid: int, *args: int, budget: int = 100_000) -> tuple[int, int]:
    lines = [f"li a7, {eid:#x}", f"li a6, {fid:#x}"]
    lines += [f"li a{i}, {a & 0xFFFFFFFF:#x}" for i, a in enumerate(args)]
    lines += ["ecall", "ebreak"]
    image = assemble("\n".join(lines), filename="hcall.S", base=CALL_AT)
    hv.mem.write(vm.ram_host + CALL_AT - RAM_BASE, image.data)
    vm.cpu.pc = CALL_AT
    if vm.state is not VmState.HALTED:
        vm.state = VmState.RUNNING
    vm.waiting = False
    for _ in range(100):
        hv.run(budget)
        if vm.state is not VmState.RUNNING or vm.destroyed:
            break
    return to_signed(vm.cpu.get_reg(10)), vm.cpu.get_reg(11)


def last_call(hv: Hypervisor):
    calls = hv.trace.select(kinds=["hypercall"])
    assert calls, "no hypercall in the trace"
    return calls[-1]
