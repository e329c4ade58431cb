"""The guests' hypercall constants (lib/sbi.S, sbi.h) are the hypercall table's, generated."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hvlab import generate
from hvlab.generate import COMMAND, guest_headers
from hvlab.generate.guest_headers import OUTPUTS, groups
from lab.hv.devices.dgram import RING_HEADER, RING_LEN, RING_OP, RING_RESULT, RING_STATUS
from lab.hv.hypercalls import SbiError, load_extensions
from lab.riscv.asm import assemble
from lab.riscv.program import INCLUDE_DIRS

GUESTS = generate.ROOT / "lab" / "guests"


@pytest.mark.parametrize("path", list(OUTPUTS), ids=lambda p: p.name)
def test_the_committed_file_is_what_the_generator_writes(path: Path) -> None:
    assert path.read_text(encoding="utf-8") == OUTPUTS[path](), f"{path.name} is out of date: run {COMMAND}"


def test_check_reports_a_stale_file_and_leaves_it_alone(tmp_path, capsys) -> None:
    stale = tmp_path / "sbi.S"
    stale.write_text(".equ EID_DBCN, 0x4442434E\n")
    files = {stale: guest_headers.sbi_asm}
    assert generate.main(["--check"], files=files) == 1
    assert COMMAND in capsys.readouterr().err
    assert stale.read_text() == ".equ EID_DBCN, 0x4442434E\n"
    assert generate.main([], files=files) == 0  # rewrites it
    assert generate.main(["--check"], files=files) == 0
    assert stale.read_text() == guest_headers.sbi_asm()


def _assembled_values(names: list[str]) -> list[int]:
    """What lib/sbi.S makes of each name, as the assembler evaluates it."""
    source = '.include "lib/sbi.S"\n' + "".join(f"    .word {n}\n" for n in names)
    data = assemble(source, filename="values.S", include_dirs=INCLUDE_DIRS).data
    return [int.from_bytes(data[i : i + 4], "little", signed=True) for i in range(0, len(data), 4)]


def test_every_eid_and_fid_of_the_table_is_named_in_lib_sbi_s_with_its_number() -> None:
    expected = {}
    for ext in load_extensions().values():
        expected[f"EID_{ext.name}"] = ext.eid
        for fid, fn in ext.functions.items():
            expected[f"{ext.name}_{fn.name.upper()}"] = fid
    for code in SbiError:
        expected[SbiError.label(code)] = int(code)
    names = sorted(expected)
    got = _assembled_values(names)
    assert {n: v & 0xFFFFFFFF for n, v in zip(names, got, strict=True)} == {
        n: v & 0xFFFFFFFF for n, v in expected.items()
    }
    assert "VMCTL_PEEK" in expected and "GNTTAB_MAP" in expected and "DGRAM_RING_SETUP" in expected


def test_privileged_functions_say_so_in_the_generated_comment() -> None:
    text = guest_headers.sbi_asm()
    assert re.search(r"\.equ VMCTL_PEEK, +6 +# peek\(domid, src_gpa, len, dest_gpa\), privileged", text)
    assert re.search(r"\.equ VMCTL_SELF, +0 +# self\(\)$", text, re.M)


def test_names_are_unique_across_extensions() -> None:
    names = [c.name for g in groups() for c in g.constants]
    assert len(names) == len(set(names))


def test_the_ring_offsets_are_where_ring_header_packs_its_fields() -> None:
    packed = RING_HEADER.pack(11, 22, 33, 44)
    for offset, value in ((RING_STATUS, 11), (RING_OP, 22), (RING_LEN, 33), (RING_RESULT, 44)):
        assert int.from_bytes(packed[offset : offset + 4], "little") == value


def _li(line: str) -> tuple[str, str] | None:
    """(register, operand) of an `li` line, else None."""
    m = re.match(r"^\s*(?:\w+:)?\s*li\s+(\w+),\s*([^#]+?)\s*(?:#.*)?$", line)
    return (m.group(1), m.group(2)) if m else None


BLOCK_END = re.compile(r"^\s*(\w+:|.*\b(ecall|call|ret|j|jal|jr|tail)\b)")


def _block(code: list[str], i: int, step: int) -> list[int]:
    """Line numbers from i (excluded) in direction step, up to a label, jump or ecall (included)."""
    out = []
    j = i + step
    while 0 <= j < len(code):
        out.append(j)
        if BLOCK_END.match(code[j]):
            break
        j += step
    return out


GUEST_SOURCES = [
    p for p in sorted(GUESTS.glob("*.S")) + sorted((GUESTS / "lib").glob("*.S")) if p.name != "sbi.S"
]


@pytest.mark.parametrize("path", GUEST_SOURCES, ids=lambda p: p.name)
def test_guests_name_every_eid_and_fid_from_lib_sbi_s(path: Path) -> None:
    """A raw number in a7/a6 would keep calling the old function after the table changed.
    (User programs' system calls name the guest kernel's numbers, SYS_..., instead.)"""
    generated = {c.name for g in groups() for c in g.constants}
    code = [line.split("#")[0] for line in path.read_text(encoding="utf-8").splitlines()]
    ecalls = [i for i, line in enumerate(code) if re.search(r"\becall\b", line)]
    calls = 0
    for i, line in enumerate(code):
        li = _li(line)
        if li is None or li[0] != "a7":
            continue
        eid = li[1]
        if eid.startswith("SYS_"):
            calls += 1
            continue  # a user program's system call to its guest kernel (lib/usys.S), no hypercall
        assert eid.startswith("EID_") and eid in generated, f"{path.name}:{i + 1}: li a7, {eid}"
        calls += 1
        # The function ID set in the same straight-line block must be one of that extension's.
        for j in (*_block(code, i, -1), *_block(code, i, 1)):
            fid = _li(code[j])
            if fid is not None and fid[0] == "a6":
                assert fid[1] in generated and fid[1].startswith(eid.removeprefix("EID_") + "_"), (
                    f"{path.name}:{j + 1}: {eid} with li a6, {fid[1]}"
                )
    assert calls or not ecalls, f"{path.name} makes hypercalls without naming their EID"
