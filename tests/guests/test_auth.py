"""The authentication lab (lab/scenarios/auth.toml) on both CPU backends: the guest kernel
(kernel.S) and its user shell (ush.S), who serves a user-mode ecall
(hypercall.check_caller_mode), and the note keeper (keeper.S), which believes a claimed
sender until told to believe the hypervisor's stamp.
"""

from __future__ import annotations

import pytest

from lab.cpu import backends
from lab.cpu.base import Privilege
from lab.hv.vm import VmState
from lab.scenario import SCENARIOS_DIR
from tests.guests import Console, boot

AUTH = SCENARIOS_DIR / "auth.toml"
PAUSE_KEEPER = "ecall 0x09000001 3 2"  # VMCTL pause(dom2), from user mode


@pytest.fixture(params=backends())
def backend(request) -> str:
    return request.param


@pytest.fixture
def auth(backend):
    return boot(AUTH, backend)


def test_the_kernel_boots_its_shell_in_user_mode(auth) -> None:
    ops = auth.hv.vm("ops")
    text = ops.console_text()
    assert "[kernel] hvlab kernel on dom0: starting ush in user mode" in text
    assert text.endswith("$ ")
    # ush waits for a key inside its read system call: the kernel's wfi, in supervisor mode
    assert ops.cpu.mode is Privilege.SUPERVISOR and ops.cpu.priv.sepc > ops.cpu.priv.stvec
    assert ops.state is VmState.RUNNING and ops.waiting


def test_system_calls_are_served_by_the_kernel(auth) -> None:
    ops = Console(auth, "ops")
    assert "uid=1000 (a user: the kernel is in charge)" in ops.type("id")
    out = ops.type("vms")
    assert "dom0 running" in out and "dom2 running" in out and "dom3 running" in out
    assert "hello there" in ops.type("echo hello there")
    assert "a0=-38 a1=0" in ops.type("ecall 12345")  # no such system call: -ENOSYS
    assert "a0=1000" in ops.type("ecall 174")  # getuid by number


def test_a_csr_from_user_mode_gets_the_program_killed(auth) -> None:
    ops = Console(auth, "ops")
    out = ops.type("sstatus")
    assert "[kernel] ush: illegal instruction at pc 0x" in out
    assert "\n[kernel] scause 2, stval 0x10002473: killed\n" in out  # csrrs s0, sstatus, zero
    assert "sstatus=" not in out and out.endswith("$ ")  # killed and started again
    assert "uid=1000" in ops.type("id")


def test_exit_starts_the_shell_again(auth) -> None:
    out = Console(auth, "ops").type("exit 7")
    assert "[kernel] ush exited with code 7" in out and out.endswith("$ ")


def test_the_vulnerable_hypervisor_serves_a_user_mode_hypercall(auth) -> None:
    out = Console(auth, "ops").type(PAUSE_KEEPER)
    assert "a0=0 a1=0" in out
    assert auth.hv.vm("keeper").state is VmState.PAUSED
    texts = [r.describe() for r in auth.hv.trace.records()]
    assert any("ecall from user mode at 0x" in t and "served as a VMCTL hypercall" in t for t in texts)


def test_checking_the_callers_level_passes_it_to_the_kernel(auth) -> None:
    auth.hv.policy.set("hypercall.check_caller_mode", True)
    ops = Console(auth, "ops")
    out = ops.type(PAUSE_KEEPER)
    assert "a0=-38 a1=0" in out  # the kernel has no such system call
    assert auth.hv.vm("keeper").state is VmState.RUNNING
    texts = [r.describe() for r in auth.hv.trace.records()]
    assert any("names VMCTL: passed to the guest kernel, not served" in t for t in texts)
    assert "dom2 running" in ops.type("vms")  # the kernel's own hypercalls still work


def test_the_keeper_believes_a_claim_until_told_to_believe_the_stamp(auth) -> None:
    tenant, admin, keeper = Console(auth, "tenant"), Console(auth, "admin"), Console(auth, "keeper")
    admin.type("dsend 2 from=3 GET")
    assert "from dom2: NOTE KEEPER{admin-recovery-codes}" in admin.type("drecv")
    tenant.type("dsend 2 from=3 GET")
    assert "from dom2: NOTE KEEPER{admin-recovery-codes}" in tenant.type("drecv")
    assert "request from dom1 (says from=3): GET -> dom3's note, sent to dom1" in keeper.vm.console_text()
    assert "trusting the stamp" in keeper.type("trust stamp")
    tenant.type("dsend 2 from=3 GET")
    assert "from dom2: ERR refused: you are not who you say" in tenant.type("drecv")
    assert "request from dom1 (says from=3): GET -> refused: the stamp says dom1" in keeper.vm.console_text()
    admin.type("dsend 2 from=3 GET")
    assert "NOTE KEEPER{" in admin.type("drecv")  # the true owner still gets it
    tenant.type("dsend 2 PUT mine")
    tenant.type("dsend 2 GET")
    tenant.type("drecv")
    assert "from dom2: NOTE mine" in tenant.type("drecv")


def test_both_backends_tell_the_same_story() -> None:
    """Same inputs, same trace and consoles, time included, on both cores."""
    runs = []
    for backend in backends():
        auth = boot(AUTH, backend)
        ops, tenant = Console(auth, "ops"), Console(auth, "tenant")
        for line in ("id", "sstatus", PAUSE_KEEPER, "vms"):
            ops.type(line)
        auth.hv.policy.set("hypercall.check_caller_mode", True)
        ops.type("ecall 0x09000001 4 2")
        tenant.type("dsend 2 from=3 GET")
        tenant.type("drecv")
        runs.append(
            (
                auth.hv.time,
                [r.describe() for r in auth.hv.trace.records()],
                [vm.console_text() for vm in auth.hv.vms],
            )
        )
    assert all(run == runs[0] for run in runs)
