"""The monitor (lab/guests/monitor.S) on both CPU backends, and the API lab's attacks.

The attacks are the ones a student types in the tenant's monitor: DBCN
console_write of an address past the end of its own RAM (the bank's RAM
follows it in host memory) and VMCTL peek of the bank's memory. Under
api.toml both leak the bank's secret; under api_hardened.toml both are
refused, and the trace records why.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from lab.cpu import backends
from lab.hv.hypercalls import HypercallRecord, SbiError
from lab.hv.vm import RAM_BASE, VmState
from lab.riscv.asm import assemble_file
from tests.guests import API, API_HARDENED, GUESTS, Console, boot
from tests.tools import require_tool

REPO = Path(__file__).resolve().parents[2]
SECRET = "BANK{pin-4711-do-not-share}"
TENANT_RAM = 256 * 1024
EID_DBCN = 0x4442434E
EID_VMCTL = 0x0900_0001


@pytest.fixture(params=backends())
def backend(request) -> str:
    return request.param


@pytest.fixture
def api(backend):
    return boot(API, backend)


def bank_secret_gpa() -> int:
    return assemble_file(GUESTS / "bank.S").symbols["secret"]


def test_prompt_names_the_domain(api) -> None:
    assert Console(api, "admin").vm.console_text().endswith("dom0> ")
    assert Console(api, "tenant").vm.console_text().endswith("dom1> ")


def test_hcall_base_spec_version(api) -> None:
    out = Console(api, "tenant").type("hcall 0x10 0")
    assert "a0=0x00000000 a1=0x02000000" in out
    assert out.endswith("dom1> ")


def test_hcall_names_the_sbi_error(api) -> None:
    out = Console(api, "tenant").type("hcall 0x10 99")
    assert "a0=0xfffffffe a1=0x00000000 (SBI_ERR_NOT_SUPPORTED)" in out


def test_hcall_passes_arguments(api) -> None:
    # console_write_byte(0x41) prints 'A' through the hypervisor, then a0/a1
    out = Console(api, "tenant").type("hcall 0x4442434E 2 65")
    assert "A" in out.split("\n", 1)[1]
    assert "a0=0x00000000" in out


def test_vms_lists_every_vm_with_state_and_marks_self(api) -> None:
    out = Console(api, "admin").type("vms")
    lines = [ln for ln in out.splitlines() if ln.startswith("dom") and not ln.startswith("dom0>")]
    assert lines == ["dom0 running *", "dom1 running", "dom2 running"]


def test_help_lists_every_command(api) -> None:
    out = Console(api, "tenant").type("help")
    for command in (
        "hcall EID FID",
        "x ADDR [LEN]",
        "w ADDR BYTE",
        "peek DOMID ADDR",
        "poke DOMID ADDR",
        "vms",
        "pause D",
        "unpause D",
        "destroy D",
        "print ADDR LEN",
        "echo TEXT",
        "probe EID",
        "info",
        "exit [CODE]",
    ):
        assert f"\n  {command}" in out, command
    assert "bad address faults the VM" in out


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ("foo", "error: unknown command 'foo' (try help)"),
        ("help foo", "error: unknown command 'foo' (try help)"),
        ("help x y", "error: usage: help [COMMAND]"),
        ("x 0xzz", "error: bad number '0xzz' (use hex 0x.. or decimal)"),
        ("x 12ab", "error: bad number '12ab'"),
        ("x 0x100000000", "error: bad number '0x100000000'"),
        ("x 4294967296", "error: bad number '4294967296'"),
        ("w 0x80030000 0x100", "error: not a byte '0x100'"),
        ("hcall 0x10", "error: usage: hcall EID FID"),
        ("x 0x80000000 5000", "error: LEN is at most 4096"),
    ],
)
def test_bad_input_gives_one_line_error_and_prompt(api, line: str, error: str) -> None:
    console = Console(api, "tenant")
    out = console.type(line)
    assert out == f"{line}\n{out.splitlines()[1]}\ndom1> "
    assert out.splitlines()[1].startswith(error)
    assert console.vm.state is VmState.RUNNING
    assert "a0=0x00000000 a1=0x02000000" in console.type("hcall 0x10 0")  # still answers


def xxd_row(address: int, data: bytes) -> str:
    """One row as `xxd` prints it: address, 8 groups of 2 bytes, the text column."""
    groups = " ".join(data[i : i + 2].hex().ljust(4) for i in range(0, 16, 2))
    text = "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in data)
    return f"{address:08x}: {groups}  {text}"


def test_x_dumps_own_memory_like_xxd(api) -> None:
    console = Console(api, "tenant")
    data = bytes(range(0x41, 0x51)) + b"\n\x00~\x7f"
    console.type("w 0x80030000 " + " ".join(f"{b:#x}" for b in data))
    out = console.type("x 0x80030000 20")
    assert out.splitlines()[1:] == [
        xxd_row(0x8003_0000, data[:16]),
        xxd_row(0x8003_0010, data[16:]),
        "dom1> ",
    ]


def test_x_default_length_is_64_bytes(api) -> None:
    out = Console(api, "tenant").type("x 0x80000000")
    rows = [ln for ln in out.splitlines() if ln.startswith("800000")]
    assert [r[:8] for r in rows] == ["80000000", "80000010", "80000020", "80000030"]


def test_x_of_an_unmapped_address_faults_only_this_vm(api) -> None:
    console = Console(api, "tenant")
    console.type("x 0x20000000 4")
    assert console.vm.state is VmState.FAULTED
    assert api.hv.vm("admin").state is VmState.RUNNING
    assert "a0=0x00000000" in Console(api, "admin").type("hcall 0x10 0")


def test_w_writes_bytes_that_x_reads_back(api) -> None:
    console = Console(api, "tenant")
    assert "wrote 3 bytes at 0x80030000" in console.type("w 0x80030000 0x68 105 0x21")
    out = console.type("x 0x80030000 3")
    assert "80030000: 6869 21" in out and out.splitlines()[1].endswith("hi!")
    assert "hi!" in console.type("print 0x80030000 3")


def test_echo_keeps_spacing(api) -> None:
    out = Console(api, "tenant").type("echo  hello   world")
    assert "\nhello   world\n" in out


def test_line_editing_backspace_and_crlf(api) -> None:
    console = Console(api, "tenant")
    start = len(console.vm.console)
    api.hv.feed("tenant", b"echo abX\x7fc\x08d\r\necho e\r")
    api.hv.run(2_000_000)
    out = console.vm.console[start:].decode()
    assert "\nabd\n" in out
    assert "\ne\n" in out
    assert out.count("dom1> ") == 2  # CR LF ended one line, not two


def test_long_line_is_cut_not_overflowing(api) -> None:
    console = Console(api, "tenant")
    out = console.type("echo " + "y" * 300)
    assert "\n" + "y" * 115 + "\n" in out
    assert "a0=0x00000000" in console.type("hcall 0x10 0")


def test_info_and_probe(api) -> None:
    console = Console(api, "tenant")
    out = console.type("info")
    assert "SBI spec version 2.0" in out
    assert "this VM is dom1 of 3 VMs" in out
    assert "is available" in console.type(f"probe {EID_VMCTL:#x}")
    assert "is not available" in console.type("probe 0x1234")


def test_admin_pauses_and_unpauses_the_bank(api) -> None:
    admin = Console(api, "admin")
    assert "\nok\n" in admin.type("pause 2")
    assert api.hv.vm("bank").state is VmState.PAUSED
    assert "dom2 paused" in admin.type("vms")
    assert "SBI_ERR_ALREADY_STOPPED" in admin.type("pause 2")
    assert "\nok\n" in admin.type("unpause 2")
    assert api.hv.vm("bank").state is VmState.RUNNING


def test_admin_destroys_a_vm(api) -> None:
    admin = Console(api, "admin")
    assert "\nok\n" in admin.type("destroy 1")
    assert api.hv.vm("tenant").destroyed
    out = admin.type("vms")
    assert "\ndom0 running *\ndom1 destroyed\ndom2 running\n" in out


FOUR_VMS = """
[policy]
preset = "{preset}"
[[vm]]
name = "admin"
program = "monitor.S"
control = true
[[vm]]
name = "tenant"
program = "monitor.S"
[[vm]]
name = "tenant2"
program = "monitor.S"
[[vm]]
name = "bank"
program = "bank.S"
"""


@pytest.mark.parametrize("preset", ["vulnerable", "hardened"])
def test_vms_after_a_destroy_lists_every_live_vm(tmp_path, backend, preset) -> None:
    # Issue 14.6: with dom1 destroyed, count() is 3; a monitor whose info() is refused
    # listed domids 0 to 2 as "?" and so dropped the bank (dom3), alive.
    path = tmp_path / "four.toml"
    path.write_text(FOUR_VMS.format(preset=preset))
    scenario = boot(path, backend)
    assert "\nok\n" in Console(scenario, "admin").type("destroy 1")
    out = Console(scenario, "tenant2").type("vms")
    if preset == "vulnerable":
        assert "\ndom0 running\ndom1 destroyed\ndom2 running *\ndom3 running\n" in out
    else:  # info() refused: nothing tells a live domid from a destroyed one
        assert "\ndom2 running *\n2 other VMs: ? (SBI_ERR_DENIED)\ndom2> " in out
    admin = Console(scenario, "admin").type("vms")
    assert "\ndom0 running *\ndom1 destroyed\ndom2 running\ndom3 running\n" in admin


def test_poke_then_peek_another_vm(api) -> None:
    admin = Console(api, "admin")
    assert "\nok\n" in admin.type("poke 1 0x80030000 0x42 0x43")
    assert api.hv.vm("tenant").read_guest(0x8003_0000, 2) == b"BC"
    out = admin.type("peek 1 0x80030000 2")
    assert "80030000: 4243" in out


def test_exit_shuts_down_with_the_code(api) -> None:
    Console(api, "tenant").type("exit 7")
    tenant = api.hv.vm("tenant")
    assert tenant.state is VmState.HALTED
    assert tenant.exit_code == 7


# ------------------------------------------------------------------ the attacks


def _attack_lines() -> tuple[str, str]:
    secret = bank_secret_gpa()
    via_print = f"print {RAM_BASE + TENANT_RAM + (secret - RAM_BASE):#x} 64"
    via_peek = f"peek 2 {secret:#x} 64"
    return via_print, via_peek


def test_print_past_own_ram_leaks_the_bank_secret(api) -> None:
    via_print, _ = _attack_lines()
    out = Console(api, "tenant").type(via_print)
    assert SECRET in out
    record = _last_call(api, "tenant", EID_DBCN)
    assert record.error == 0
    assert "UNCHECKED" in record.why and "bank" in record.why


def test_peek_without_authorization_leaks_the_bank_secret(api) -> None:
    _, via_peek = _attack_lines()
    out = Console(api, "tenant").type(via_peek)
    assert SECRET[:16] in out  # the ASCII column, 16 bytes a row
    assert SECRET[16:] in out
    assert _last_call(api, "tenant", EID_VMCTL).error == 0


def test_hardened_refuses_both_attacks_and_says_why(backend) -> None:
    scenario = boot(API_HARDENED, backend)
    tenant = Console(scenario, "tenant")
    via_print, via_peek = _attack_lines()

    out = tenant.type(via_print)
    assert "error: refused (SBI_ERR_INVALID_PARAM)" in out
    record = _last_call(scenario, "tenant", EID_DBCN)
    assert record.error == -3 and "is not dom1 (tenant)'s memory" in record.why

    out += tenant.type(via_peek)
    assert "error: refused (SBI_ERR_DENIED)" in out
    record = _last_call(scenario, "tenant", EID_VMCTL)
    assert record.error == -4 and "not the control domain" in record.why

    out += tenant.type("vms")
    assert "\ndom1 running *\n2 other VMs: ? (SBI_ERR_DENIED)\n" in out
    assert "BANK{" not in tenant.vm.console_text()
    # The admin is still allowed what the tenant is not.
    assert SECRET[:16] in Console(scenario, "admin").type(via_peek)


def _last_call(scenario, vm: str, eid: int) -> HypercallRecord:
    domid = scenario.hv.vm(vm).domid
    calls = [
        r
        for r in scenario.hv.trace.select(domid=domid, kinds=["hypercall"])
        if isinstance(r, HypercallRecord) and r.eid == eid
    ]
    assert calls, f"no hypercall {eid:#x} from {vm} in the trace"
    return calls[-1]


# ------------------------------------------------------------------ as a person runs it


def test_hvlab_run_answers_the_typed_command() -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "hvlab.cli",
            "run",
            str(API),
            "--input",
            "tenant=hcall 0x10 0\\n",
            "--steps",
            "2000000",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    assert "tenant | a0=0x00000000 a1=0x02000000" in result.stdout


@pytest.mark.binutils
@pytest.mark.parametrize("name", sorted(p.name for p in GUESTS.glob("*.S")))
def test_guest_assembles_identically_with_gnu_as(tmp_path, name: str) -> None:
    """The student may build the guests with binutils too: same bytes. GNU as looks for
    `.include "lib/..."` in the current directory and its -I dirs, never next to the
    including file: -I lab/guests finds the guest library (run from elsewhere, so the
    current directory cannot help)."""
    gas = require_tool("riscv64-unknown-elf-as")
    ld = require_tool("riscv64-unknown-elf-ld")
    objcopy = require_tool("riscv64-unknown-elf-objcopy")
    obj, elf, binary = tmp_path / "g.o", tmp_path / "g.elf", tmp_path / "g.bin"
    link = REPO / "tests" / "asm_corpus" / "link.ld"
    subprocess.run(
        [gas, "-march=rv32im_zicsr", "-mabi=ilp32", "-mno-relax", "-I", GUESTS, "-o", obj, GUESTS / name],
        check=True,
        cwd=tmp_path,
    )
    subprocess.run([ld, "-m", "elf32lriscv", "--no-relax", "-T", link, "-o", elf, obj], check=True)
    subprocess.run([objcopy, "-O", "binary", elf, binary], check=True)
    image = assemble_file(GUESTS / name)
    assert image.data == binary.read_bytes()
    # The library, or a part of the guest beside it (kernel.S includes its user program, ush.S).
    assert image.includes and all(Path(path).is_relative_to(GUESTS) for path in image.includes)


def _string_table(image, label: str, count: int) -> list[str]:
    """The NUL-terminated strings the first `count` words at `label` point to."""

    def at(addr: int) -> bytes:
        return image.data[addr - image.base :]

    words = [int.from_bytes(at(image.symbols[label])[4 * i : 4 * i + 4], "little") for i in range(count)]
    return [at(w).split(b"\0", 1)[0].decode() for w in words]


def test_the_monitors_name_tables_follow_the_hypercall_table() -> None:
    """`hcall` and `vms` print names from tables in monitor.S, indexed by -error and by state;
    lib/sbi.S's SBI_ERROR_COUNT bounds the first, so both must list the table's codes in order."""
    image = assemble_file(GUESTS / "monitor.S")
    assert _string_table(image, "sbi_error_names", len(SbiError)) == [
        SbiError.label(-i) for i in range(len(SbiError))
    ]
    assert _string_table(image, "state_names", len(VmState)) == [s.label for s in VmState]
