"""C programs cross-checked: the same source built for RV32IM and for the host.

Each program in tests/c/programs/ is compiled by riscv64-unknown-elf-gcc
(through bench/programs/build.sh, the one place the guest flags live) and by
the host's cc against tests/c/runtime/host.c. `hvlab run` executes the RV32
build on every CPU backend; its stdout and exit status must equal the host
build's, byte for byte. The host is the oracle: a wrong instruction anywhere
in the cores shows up as a different checksum, digest or division result.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from lab.cpu import backends
from lab.riscv.program import check_fits, load_program
from tests.tools import require_tool

ROOT = Path(__file__).resolve().parent.parent
C_DIR = ROOT / "tests" / "c"
BUILD_SH = ROOT / "bench" / "programs" / "build.sh"
PROGRAMS = ("crc32", "sort", "sha256", "medge", "format")
HOST_CFLAGS = ("-O2", "-Wall", "-Wextra", "-Werror")

pytestmark = pytest.mark.binutils


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """All programs, as OUT/NAME.elf (RV32IM) and OUT/NAME.host (the host's cc)."""
    gcc = require_tool("riscv64-unknown-elf-gcc")
    cc = require_tool("cc")
    out = tmp_path_factory.mktemp("cprog")
    env = {**os.environ, "RISCV_CC": gcc}
    subprocess.run(["sh", str(BUILD_SH), str(out), *PROGRAMS], check=True, env=env, capture_output=True)
    runtime = C_DIR / "runtime"
    for name in PROGRAMS:
        src = C_DIR / "programs" / f"{name}.c"
        cmd = [
            cc,
            *HOST_CFLAGS,
            f"-I{runtime}",
            "-o",
            str(out / f"{name}.host"),
            str(src),
            str(runtime / "host.c"),
        ]
        subprocess.run(cmd, check=True, capture_output=True)
    return out


def run_guest(elf: Path, backend: str, *extra: str) -> subprocess.CompletedProcess[bytes]:
    cmd = [sys.executable, "-m", "hvlab.cli", "run", str(elf), "--backend", backend, *extra]
    return subprocess.run(cmd, capture_output=True, cwd=ROOT, timeout=120, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("backend", backends())
@pytest.mark.parametrize("name", PROGRAMS)
def test_guest_output_equals_host_output(built: Path, name: str, backend: str) -> None:
    host = subprocess.run([str(built / f"{name}.host")], capture_output=True, timeout=60)
    guest = run_guest(built / f"{name}.elf", backend)
    assert guest.stdout == host.stdout, guest.stderr.decode()
    assert guest.returncode == host.returncode, guest.stderr.decode()


def test_programs_check_themselves(built: Path) -> None:
    """The host build passes its own known-answer checks, so the oracle is sound."""
    for name in ("crc32", "sort", "sha256", "medge"):
        host = subprocess.run([str(built / f"{name}.host")], capture_output=True, timeout=60)
        assert host.returncode == 0, host.stdout.decode()
        assert b"WRONG" not in host.stdout and b"NO" not in host.stdout


def test_exit_status_reaches_the_caller(built: Path) -> None:
    """format.c ends with hv_exit(3) from a nested call, after output with no newline."""
    guest = run_guest(built / "format.elf", "interp")
    assert guest.returncode == 3
    assert guest.stdout.endswith(b"unflushed tail, status 3")


def test_guest_elves_are_plain_rv32im_and_fit_the_default_ram(built: Path) -> None:
    for name in PROGRAMS:
        prog = load_program(built / f"{name}.elf")  # refuses RVC, float ABI, 64-bit
        check_fits(prog, ram_gpa=0x8000_0000, ram_size=1 << 20)
        assert prog.entry == prog.symbols["_start"] == 0x8000_0000
        assert "main" in prog.symbols


def test_crt0_zeroes_bss(built: Path, tmp_path: Path) -> None:
    """A loader may leave garbage in RAM; crt0 must clear .bss before main runs."""
    from lab.hv import Hypervisor, VmConfig

    prog = load_program(built / "crc32.elf")
    # Claim the whole bss as file bytes full of 0xA5: what a careless loader would leave.
    seg = prog.segments[0]
    seg.data = seg.data + b"\xa5" * (seg.memsz - len(seg.data))
    hv = Hypervisor(backend="interp", host_memory=8 << 20)
    out = bytearray()
    hv.on_output = lambda vm, data: out.extend(data)
    vm = hv.create_vm(VmConfig("crc32", program=prog, memory=1 << 20))
    for _ in range(100):
        hv.run(1_000_000)
        if vm.exit_code is not None:
            break
    host = subprocess.run([str(built / "crc32.host")], capture_output=True, timeout=60)
    assert bytes(out) == host.stdout
    assert vm.exit_code == 0


# ---------------------------------------------------------------- the committed benchmark ELF


def _compiler_version(gcc: str) -> str:
    return subprocess.run([gcc, "--version"], capture_output=True, text=True, check=True).stdout.splitlines()[
        0
    ]


def test_committed_benchmark_elf_is_what_the_script_builds(tmp_path: Path) -> None:
    """bench/programs/crc32.elf must be rebuilt whenever tests/c/ changes.

    With the compiler that built it (bench/programs/COMPILER) the build repeats
    byte for byte; with another gcc the bytes may differ, so then the two
    programs' outputs must agree instead."""
    gcc = require_tool("riscv64-unknown-elf-gcc")
    env = {**os.environ, "RISCV_CC": gcc}
    subprocess.run(["sh", str(BUILD_SH), str(tmp_path), "crc32"], check=True, env=env, capture_output=True)
    committed = ROOT / "bench" / "programs" / "crc32.elf"
    fresh = tmp_path / "crc32.elf"
    recorded = (ROOT / "bench" / "programs" / "COMPILER").read_text().strip()
    hint = "tests/c changed: run bench/programs/build.sh and commit bench/programs/"
    if _compiler_version(gcc) == recorded:
        assert fresh.read_bytes() == committed.read_bytes(), hint
    else:
        a, b = run_guest(committed, "interp"), run_guest(fresh, "interp")
        assert (a.returncode, a.stdout) == (b.returncode, b.stdout), hint
