"""A guest that spins on `j .` (issue 14): it neither crashes the host nor starves its neighbours.

`j .` is one instruction jumping to itself; `nop; j 1b` and `beq x0, x0, .` are
the same loop with a body that does nothing. The interp core once translated
such a loop into a Python `for` with an empty body, which does not compile: the
exception left `Hypervisor.run` and took every VM down. Now the spinner runs to
its budget like any guest, `hvlab run` stops it at `--max-instructions` with
exit 124, and the VMs beside it keep answering their consoles.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from lab.cpu import backends
from lab.hv.vm import VmState
from lab.scenario import load_scenario
from tests.guests import BOOT_STEPS, GUESTS, Console

REPO = Path(__file__).resolve().parents[2]
SPINNERS = {
    "j_dot": "_start:\n    j _start\n",
    "nop_j": "_start:\n1:  nop\n    j 1b\n",
    "beq_self": "_start:\n    beq zero, zero, _start\n",
    "x0_writes": "_start:\n1:  addi zero, zero, 5\n    add zero, a0, a1\n    fence\n    j 1b\n",
}


@pytest.fixture(params=backends())
def backend(request) -> str:
    return request.param


def _hvlab(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "hvlab.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize("spinner", sorted(SPINNERS))
def test_hvlab_run_stops_a_spinning_guest_at_the_instruction_limit(tmp_path, backend, spinner):
    source = tmp_path / f"{spinner}.S"
    source.write_text(SPINNERS[spinner])
    started = time.perf_counter()
    done = _hvlab("run", str(source), "--backend", backend, "--max-instructions", "3000000")
    assert done.returncode == 124, done.stderr
    assert done.stderr.strip() == "hvlab: stopped after 3000000 instructions (--max-instructions)"
    assert "Traceback" not in done.stderr
    assert time.perf_counter() - started < 60


def _scenario_with_a_spinner(tmp_path: Path, spinner: str) -> Path:
    (tmp_path / "spin.S").write_text(SPINNERS[spinner])
    path = tmp_path / "spin.toml"
    path.write_text(
        f"""
name = "spin"
title = "A spinning guest next to two monitors"
description = "regression test for issue 14"

[policy]
preset = "hardened"

[[vm]]
name = "admin"
program = "{GUESTS / "monitor.S"}"
memory = "256K"
control = true

[[vm]]
name = "spinner"
program = "spin.S"
memory = "64K"

[[vm]]
name = "tenant"
program = "{GUESTS / "monitor.S"}"
memory = "256K"
"""
    )
    return path


@pytest.mark.parametrize("spinner", sorted(SPINNERS))
def test_vms_beside_a_spinning_guest_keep_answering(tmp_path, backend, spinner):
    scenario = load_scenario(_scenario_with_a_spinner(tmp_path, spinner), backend=backend)
    hv = scenario.hv
    hv.run(BOOT_STEPS)
    for name, domid in (("tenant", 2), ("admin", 0)):
        out = Console(scenario, name).type("hcall 0x10 0")
        assert "a0=0x00000000 a1=0x02000000" in out, out
        assert out.endswith(f"dom{domid}> ")
    spinner_vm = hv.vm("spinner")
    assert spinner_vm.state is VmState.RUNNING and spinner_vm.cpu.instret > 1_000_000
    assert all(vm.state is VmState.RUNNING for vm in hv.vms)


def test_hvlab_run_scenario_with_a_spinning_guest_answers(tmp_path, backend):
    path = _scenario_with_a_spinner(tmp_path, "j_dot")
    done = _hvlab(
        "run", str(path), "--backend", backend, "--input", "tenant=hcall 0x10 0\\n", "--steps", "3000000"
    )
    assert done.returncode == 0, done.stderr
    assert "tenant | a0=0x00000000 a1=0x02000000" in done.stdout
    assert "# dom1 (spinner): running" in done.stderr
