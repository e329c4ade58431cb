"""The unicorn core's machine code: the assembler's encodings and the hooks it builds.

Every instruction form `lab.cpu.uc.x86` emits is checked against GNU
objdump's reading of the bytes (skipped where no x86-64 objdump exists);
the hooks themselves are exercised by every other unicorn test.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from lab.cpu.uc import x86
from lab.cpu.uc.x86 import R8, R9, R10, R11, R12, R13, RAX, RCX, RDI, RDX, RSI, RSP, mem

# (build the instruction, what objdump -M intel prints)
FORMS = [
    (lambda a: a.load(RAX, mem(RCX, 8)), "mov rax,QWORD PTR [rcx+0x8]"),
    (lambda a: a.load(R10, mem(R9, 0x100), 4), "mov r10d,DWORD PTR [r9+0x100]"),
    (lambda a: a.load(RAX, mem(R8, 0, RAX, 4), 4), "mov eax,DWORD PTR [r8+rax*4]"),
    (lambda a: a.load(R9, mem(R9, 0, RAX, 8)), "mov r9,QWORD PTR [r9+rax*8]"),
    (lambda a: a.load(RDX, mem(R9, 1), 1), "movzx edx,BYTE PTR [r9+0x1]"),
    (lambda a: a.load(R11, mem(R13), 2), "movzx r11d,WORD PTR [r13+0x0]"),
    (lambda a: a.load(RAX, mem(R12)), "mov rax,QWORD PTR [r12]"),
    (lambda a: a.load(RAX, mem(RSP, 8)), "mov rax,QWORD PTR [rsp+0x8]"),
    (lambda a: a.store(mem(RCX, 16), R10), "mov QWORD PTR [rcx+0x10],r10"),
    (lambda a: a.store(mem(R10), R8, 1), "mov BYTE PTR [r10],r8b"),
    (lambda a: a.store(mem(R10), R8, 2), "mov WORD PTR [r10],r8w"),
    (lambda a: a.store(mem(R10), R8, 4), "mov DWORD PTR [r10],r8d"),
    (lambda a: a.store(mem(RAX), RSI, 1), "mov BYTE PTR [rax],sil"),
    (lambda a: a.store_i(mem(RCX, 0x20), 5, 4), "mov DWORD PTR [rcx+0x20],0x5"),
    (lambda a: a.store_i(mem(R9), 0, 8), "mov QWORD PTR [r9],0x0"),
    (lambda a: a.lea(R9, mem(R9, 0, RAX, 4)), "lea r9,[r9+rax*4]"),
    (lambda a: a.alu("cmp", R10, mem(RCX, 0x28)), "cmp r10,QWORD PTR [rcx+0x28]"),
    (lambda a: a.alu("add", R10, RAX), "add r10,rax"),
    (lambda a: a.alu("sub", RAX, mem(RCX, 0x30)), "sub rax,QWORD PTR [rcx+0x30]"),
    (lambda a: a.alu("cmp", RDX, mem(R9), 4), "cmp edx,DWORD PTR [r9]"),
    (lambda a: a.alu("xor", RAX, RAX, 4), "xor eax,eax"),
    (lambda a: a.alu_i("and", RAX, 31, 4), "and eax,0x1f"),
    (lambda a: a.alu_i("cmp", RSI, 0x1000), "cmp rsi,0x1000"),
    (lambda a: a.alu_i("sub", RSP, 8), "sub rsp,0x8"),
    (lambda a: a.alu_i("or", RAX, 1 << 13, 4), "or eax,0x2000"),
    (lambda a: a.alu_i("cmp", mem(RCX, 0x34), 0, 4), "cmp DWORD PTR [rcx+0x34],0x0"),
    (lambda a: a.test(RDX, R10), "test rdx,r10"),
    (lambda a: a.test(RAX, RDX, 4), "test eax,edx"),
    (lambda a: a.test_i(R11, 1, 4), "test r11d,0x1"),
    (lambda a: a.test_i(mem(R10, 0, RAX), 1, 1), "test BYTE PTR [r10+rax*1],0x1"),
    (lambda a: a.shift_i("shr", RAX, 2), "shr rax,0x2"),
    (lambda a: a.shift_i("shr", R11, 8, 4), "shr r11d,0x8"),
    (lambda a: a.shift_i("shl", RDX, 3), "shl rdx,0x3"),
    (lambda a: a.inc(mem(RCX, 0x10)), "inc QWORD PTR [rcx+0x10]"),
    (lambda a: a.inc(RAX, 4), "inc eax"),
    (lambda a: a.dec(R11, 4), "dec r11d"),
    (lambda a: a.push(RDI), "push rdi"),
    (lambda a: a.push(R12), "push r12"),
    (lambda a: a.pop(R12), "pop r12"),
    (lambda a: a.mov_rr(RDI, RSI), "mov rdi,rsi"),
    (lambda a: a.mov_rr(RDX, RCX, 4), "mov edx,ecx"),
    (lambda a: a.mov_ri(RAX, 0x12_3456_789A), "movabs rax,0x123456789a"),
    (lambda a: a.mov_ri(R8, 7), "mov r8d,0x7"),
    (lambda a: a.call_r(RAX), "call rax"),
    (lambda a: a.jmp_r(R11), "jmp r11"),
    (lambda a: a.ret(), "ret"),
]


def _objdump() -> str | None:
    tool = shutil.which("objdump")
    if tool is None:
        return None
    probe = subprocess.run([tool, "--help"], capture_output=True, text=True, check=False)
    return tool if "x86-64" in probe.stdout + probe.stderr else None


@pytest.mark.skipif(_objdump() is None, reason="no objdump that reads x86-64")
def test_encodings_read_back_as_intended(tmp_path) -> None:
    a = x86.Asm()
    for build, _text in FORMS:
        build(a)
    a.label("back")
    a.jcc("a", "back")
    a.jmp("back")
    binary = tmp_path / "code.bin"
    binary.write_bytes(a.assemble())
    out = subprocess.run(
        [_objdump(), "-D", "-b", "binary", "-mi386:x86-64", "-M", "intel", str(binary)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    lines = [
        re.sub(r"\s+", " ", line.split("\t")[-1]).strip()
        for line in out.splitlines()
        if re.match(r"\s+[0-9a-f]+:\t", line) and "\t" in line.split(":", 1)[1].strip("\t")
    ]
    got = [line.replace(" ,", ",") for line in lines]
    want = [text for _build, text in FORMS]
    assert got[: len(want)] == want
    assert got[len(want)].startswith("ja ") and got[len(want) + 1].startswith("jmp ")


def test_jumps_resolve_to_their_labels() -> None:
    a = x86.Asm()
    a.jmp("end")  # 5 bytes
    a.ret()  # 1 byte
    a.label("end")
    a.jcc("ne", "end")
    code = a.assemble()
    assert code[:5] == b"\xe9\x01\x00\x00\x00"  # over the ret
    assert code[6:] == b"\x0f\x85\xfa\xff\xff\xff"  # back onto itself


def test_undefined_labels_are_refused() -> None:
    a = x86.Asm()
    a.jmp("nowhere")
    with pytest.raises(ValueError, match="nowhere"):
        a.assemble()


def test_the_hooks_build_on_this_host() -> None:
    pytest.importorskip("unicorn")
    import platform
    import sys

    from lab.cpu.uc import hooks

    native = hooks.native_hooks()
    if platform.machine().lower() in ("x86_64", "amd64") and sys.platform.startswith("linux"):
        assert native is not None
        assert native.block < native.code < native.store
    else:
        assert native is None
