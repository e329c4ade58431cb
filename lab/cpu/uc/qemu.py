"""QEMU's internals that the unicorn core reaches into, each found by a test run.

Unicorn 2.1 is built on QEMU 5.0. Its API lacks what the core needs below, so
this module finds it in unicorn's own memory, once per process, by
experiment rather than by hard-coded offsets, and checks each find on every
new engine (or on a throwaway one). Anything not found is None, and the core
takes a slower path that needs it not (see `lab.cpu.uc.core`):

    * `new_engine()`: a RISCV32 hart narrowed to RV32IM in U-mode. QEMU
      ignores misa writes, so misa (and priv_ver, see `_narrow`) are patched
      in a saved CPU context that is then restored.
    * `Registers`: where QEMU keeps x0..x31, pc and mstatus, so that reading a
      register costs an array index instead of an API call, and the native
      hooks can check alignment conditions. Found by setting distinctive
      register values and searching for them from the pointers in the engine
      struct (reads go through /proc/self/mem, which fails instead of
      crashing on a bad address).
    * `HookRange`: a hook's [begin, end] inside unicorn's `struct hook`. QEMU
      decides at translation whether a block gets the code hook, by that range:
      widening and narrowing it switches between careful and fast translations.
    * the floating-point state in mstatus (FS): QEMU keys its translated
      blocks by it, so FS=0 and FS=1 keep two sets of translations (fast mode
      and careful mode) side by side. RV32IM never reads FS (misa has no F;
      the CSRs FS would open are illegal to the reference, and careful mode
      stops in front of them).
    * `RequestFlags`: where unicorn keeps its stop and quit requests, so that
      a hook can switch to careful mode and have unicorn go on emulating.

`add_hook` registers machine code (or a ctypes callback) as a hook without
the binding's Python wrapper in between.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import struct
from dataclasses import dataclass
from typing import Final

from unicorn import UC_ARCH_RISCV, UC_HOOK_CODE, UC_MODE_RISCV32, Uc, UcError
from unicorn.riscv_const import (
    UC_RISCV_REG_MISA,
    UC_RISCV_REG_MSTATUS,
    UC_RISCV_REG_PC,
    UC_RISCV_REG_PRIV,
    UC_RISCV_REG_X0,
)
from unicorn.unicorn_py3.unicorn import uclib

_U32: Final = struct.Struct("<I")
PRV_U: Final = 0
PRV_M: Final = 3
# misa extension bits (privileged spec, "Machine ISA Register"): A, C, D, F.
_MISA_DROP: Final = 1 << 0 | 1 << 2 | 1 << 3 | 1 << 5
# QEMU's PRIV_VERSION_* encodings.
_PRIV_1_9_1: Final = 0x0001_0901
_PRIV_VERSIONS: Final = (0x0001_1000, 0x0001_1100)
MSTATUS_FS: Final = 3 << 13
FS_OFF: Final = 0  # fast mode's translations
FS_INITIAL: Final = 1 << 13  # careful mode's

EMU_STOP: Final[int] = ctypes.cast(uclib.uc_emu_stop, ctypes.c_void_p).value or 0


def engine_handle(uc: Uc) -> int:
    return uc._uch.value or 0  # the uc_engine pointer the binding holds


def address_of(fn: object) -> int:
    """The C address of a ctypes callback or function."""
    return ctypes.cast(fn, ctypes.c_void_p).value or 0


def add_hook(uc: Uc, kind: int, fn: int, user_data: int = 0, begin: int = 1, end: int = 0) -> int:
    """uc_hook_add with a C function (machine code or a ctypes callback, by
    address), bypassing the binding's Python wrapper; returns the handle,
    which is the address of unicorn's struct hook."""
    handle = ctypes.c_size_t()
    status = uclib.uc_hook_add(
        uc._uch,
        ctypes.byref(handle),
        kind,
        ctypes.c_void_p(fn),
        ctypes.c_void_p(user_data),
        ctypes.c_uint64(begin),
        ctypes.c_uint64(end),
    )
    if status:
        raise UcError(status)
    return handle.value


def new_engine() -> tuple[Uc, bool]:
    """A RISCV32 engine narrowed to RV32IM in U-mode; the flag says whether the
    misa patch took."""
    uc = Uc(UC_ARCH_RISCV, UC_MODE_RISCV32)
    narrowed = _narrow(uc)  # before dropping to U-mode, where misa is unreadable
    uc.reg_write(UC_RISCV_REG_PRIV, PRV_U)
    return uc, narrowed


def _narrow(uc: Uc) -> bool:
    """Make QEMU's hart an RV32IM one; True if it took.

    CPURISCVState (QEMU 5.0) holds `priv_ver, misa, misa_mask` side by side;
    misa is found by its value next to the identical mask. Then:
      * misa loses A, C, D and F;
      * priv_ver drops to 1.9.1, the last spec where U-mode needs mcounteren
        (zero) to read cycle/time/instret: without it those CSR reads would
        return host ticks and break determinism."""
    misa = uc.reg_read(UC_RISCV_REG_MISA)
    want = misa & ~_MISA_DROP
    ctx = uc.context_save()
    base = ctx.context.value
    raw = ctypes.string_at(base, ctx.size)
    off = raw.find(struct.pack("<II", misa, misa))
    while off != -1 and off % 4:
        off = raw.find(struct.pack("<II", misa, misa), off + 1)
    if off < 4 or _U32.unpack_from(raw, off - 4)[0] not in _PRIV_VERSIONS:
        return False
    ctypes.c_uint32.from_address(base + off).value = want
    ctypes.c_uint32.from_address(base + off - 4).value = _PRIV_1_9_1
    uc.context_restore(ctx)
    if uc.reg_read(UC_RISCV_REG_MISA) == want:
        return True
    ctx = uc.context_save()  # not what we thought it was: put the bytes back
    ctypes.c_uint32.from_address(ctx.context.value + off).value = misa
    ctypes.c_uint32.from_address(ctx.context.value + off - 4).value = _U32.unpack_from(raw, off - 4)[0]
    uc.context_restore(ctx)
    return False


# ---------------------------------------------------------------- registers


@dataclass(frozen=True, slots=True)
class _RegisterLayout:
    """Where the registers are, relative to a pointer held in the engine struct."""

    field: int  # offset in struct uc_struct of the pointer (to the CPU object)
    gpr: int  # x0 relative to that pointer
    pc: int  # relative to x0
    mstatus: int  # relative to x0


@dataclass(slots=True)
class Registers:
    """Views of one engine's live register file (valid while the engine lives)."""

    x: ctypes.Array  # x0..x31, unsigned 32-bit
    pc: ctypes.c_uint32
    mstatus: ctypes.c_uint32
    gpr_address: int


_layouts: list[_RegisterLayout] = []  # every layout that worked, most recent first
_SCAN_STRUCT: Final = 0x800  # bytes of uc_struct whose pointers are followed
_SCAN_OBJECT: Final = 0x20000  # bytes searched behind each pointer


def _pattern(i: int) -> int:
    return 0x5EED_0000 + i * 0x0101 + 1


def _readable(maps: list[tuple[int, int]], address: int, size: int) -> int:
    """How many bytes from `address` (up to `size`) lie in one readable mapping."""
    for lo, hi in maps:
        if lo <= address < hi:
            return min(size, hi - address)
    return 0


def _search_layout(uc: Uc) -> _RegisterLayout | None:
    try:
        with open("/proc/self/maps") as f:
            maps = [
                (int(lo, 16), int(hi, 16))
                for lo, hi, perms in ((*line.split()[0].split("-"), line.split()[1]) for line in f)
                if perms.startswith("r")
            ]
        fd = os.open("/proc/self/mem", os.O_RDONLY)
    except OSError:
        return None
    saved = [uc.reg_read(UC_RISCV_REG_X0 + i) for i in range(32)]
    try:
        for i in range(1, 32):
            uc.reg_write(UC_RISCV_REG_X0 + i, _pattern(i))
        want = b"".join(_U32.pack(_pattern(i)) for i in range(1, 32))
        raw = ctypes.string_at(engine_handle(uc), _SCAN_STRUCT)
        for field in range(0, _SCAN_STRUCT, 8):
            (ptr,) = struct.unpack_from("<Q", raw, field)
            n = _readable(maps, ptr, _SCAN_OBJECT) if ptr % 8 == 0 else 0
            if n < 256:
                continue
            with contextlib.suppress(OSError):
                data = os.pread(fd, n, ptr)
                at = data.find(want)
                while at != -1:
                    if at >= 4 and at % 4 == 0:
                        found = _complete(uc, _RegisterLayout(field, at - 4, 0, 0), fd)
                        if found is not None:
                            return found
                    at = data.find(want, at + 4)
        return None
    finally:
        for i in range(1, 32):
            uc.reg_write(UC_RISCV_REG_X0 + i, saved[i])
        os.close(fd)


def _complete(uc: Uc, layout: _RegisterLayout, fd: int) -> _RegisterLayout | None:
    """Check the x0 candidate is the live register file (an API write shows
    there), and find pc and mstatus next to it by changing each through the
    API and seeing which word changes. Reads go through `fd` (/proc/self/mem)."""
    gpr = _gpr_address(uc, layout)
    window = 4096

    def changed(reg: int, value: int) -> list[int]:
        old = uc.reg_read(reg)
        before = os.pread(fd, window, gpr)
        uc.reg_write(reg, value)
        after = os.pread(fd, window, gpr)
        uc.reg_write(reg, old)
        if len(before) != window or len(after) != window:
            return []
        return [
            i
            for i in range(0, window, 4)
            if _U32.unpack_from(after, i)[0] == value != _U32.unpack_from(before, i)[0]
        ]

    try:
        if changed(UC_RISCV_REG_X0 + 7, 0x0BAD_F00D) != [28]:
            return None
        pc = changed(UC_RISCV_REG_PC, 0x7E57_0004)
        priv = uc.reg_read(UC_RISCV_REG_PRIV)
        uc.reg_write(UC_RISCV_REG_PRIV, PRV_M)  # mstatus is an M-mode CSR
        try:
            ms = changed(UC_RISCV_REG_MSTATUS, uc.reg_read(UC_RISCV_REG_MSTATUS) ^ FS_INITIAL)
        finally:
            uc.reg_write(UC_RISCV_REG_PRIV, priv)
    except OSError:
        return None
    if len(pc) != 1 or len(ms) != 1:
        return None
    return _RegisterLayout(layout.field, layout.gpr, pc[0], ms[0])


def _gpr_address(uc: Uc, layout: _RegisterLayout) -> int:
    return ctypes.c_uint64.from_address(engine_handle(uc) + layout.field).value + layout.gpr


def registers(uc: Uc) -> Registers | None:
    """Views of `uc`'s registers, or None if they cannot be found here.

    The layout found on one engine is tried first on the next (a pointer in
    the engine struct and a distance from it); should it not hold, the
    engine is searched afresh."""
    for layout in _layouts:
        if _holds(uc, layout):
            break
    else:
        found = _search_layout(uc)
        if found is None or not _holds(uc, found):
            return None
        _layouts.insert(0, found)
        layout = found
    gpr = _gpr_address(uc, layout)
    return Registers(
        (ctypes.c_uint32 * 32).from_address(gpr),
        ctypes.c_uint32.from_address(gpr + layout.pc),
        ctypes.c_uint32.from_address(gpr + layout.mstatus),
        gpr,
    )


def _holds(uc: Uc, layout: _RegisterLayout) -> bool:
    """Is `layout` where this engine keeps its registers? (An API write must show there.)"""
    ptr = ctypes.c_uint64.from_address(engine_handle(uc) + layout.field).value
    try:
        fd = os.open("/proc/self/mem", os.O_RDONLY)
    except OSError:
        return False
    try:
        saved = uc.reg_read(UC_RISCV_REG_X0 + 7)
        uc.reg_write(UC_RISCV_REG_X0 + 7, 0x0BAD_F00D)
        with contextlib.suppress(OSError, OverflowError):
            return os.pread(fd, 4, ptr + layout.gpr + 28) == _U32.pack(0x0BAD_F00D)
        return False
    finally:
        uc.reg_write(UC_RISCV_REG_X0 + 7, saved)
        os.close(fd)


def set_fp_state(uc: Uc, regs: Registers | None, fs: int) -> None:
    """Write mstatus.FS (FS_OFF or FS_INITIAL): which translations run next."""
    if regs is not None:
        regs.mstatus.value = (regs.mstatus.value & ~MSTATUS_FS) | fs
        return
    uc.reg_write(UC_RISCV_REG_PRIV, PRV_M)  # mstatus is an M-mode CSR
    uc.reg_write(UC_RISCV_REG_MSTATUS, (uc.reg_read(UC_RISCV_REG_MSTATUS) & ~MSTATUS_FS) | fs)
    uc.reg_write(UC_RISCV_REG_PRIV, PRV_U)


# ---------------------------------------------------------------- hook ranges


class HookRange:
    """The [begin, end] of one hook, writable. A hook covering nothing has
    begin = end = an address no instruction can have (odd)."""

    NOWHERE: Final = 1
    EVERYWHERE: Final = (0, 0xFFFF_FFFF)

    def __init__(self, handle: int, offset: int) -> None:
        self._begin = ctypes.c_uint64.from_address(handle + offset)
        self._end = ctypes.c_uint64.from_address(handle + offset + 8)

    @property
    def address(self) -> int:
        """Where begin is (end follows): for the hooks that switch modes themselves."""
        return ctypes.addressof(self._begin)

    def cover(self, everything: bool) -> None:
        if everything:
            self._begin.value, self._end.value = self.EVERYWHERE
        else:
            self._begin.value = self._end.value = self.NOWHERE


_range_offset: int | bool | None = False


def hook_range(uc: Uc, handle: int) -> HookRange | None:
    """A handle on the range of hook `handle` (a uc_hook, which is the address
    of unicorn's struct hook), or None if the range cannot be found."""
    global _range_offset
    if _range_offset is False:
        _range_offset = None
        probe = uc.hook_add(UC_HOOK_CODE, lambda *_: None, None, 0x5EED_1235, 0x5EED_5679)
        raw = ctypes.string_at(probe, 128)
        for off in range(0, 120, 8):
            if struct.unpack_from("<QQ", raw, off) == (0x5EED_1235, 0x5EED_5679):
                _range_offset = off
                break
        uc.hook_del(probe)
    if _range_offset is None:
        return None
    raw = ctypes.string_at(handle, _range_offset + 16)  # type: ignore[operator]
    begin, end = struct.unpack_from("<QQ", raw, _range_offset)  # type: ignore[arg-type]
    if (begin, end) not in ((HookRange.NOWHERE, HookRange.NOWHERE), HookRange.EVERYWHERE):
        return None  # not a hook we made with one of our ranges: refuse to touch it
    return HookRange(handle, _range_offset)  # type: ignore[arg-type]


# ---------------------------------------------------------------- stop and quit requests


@dataclass(frozen=True, slots=True)
class RequestFlags:
    """Offsets in struct uc_struct of `stop_request` and `quit_request`.

    uc_emu_stop sets stop_request and makes QEMU leave the running block;
    with stop_request cleared and quit_request set instead, unicorn goes on
    emulating after it (what uc_mem_protect does when it takes the execute
    right from the running code). A hook that switches to the careful
    translations uses that to go on in careful mode without leaving emu_start."""

    stop: int
    quit: int


_flags: RequestFlags | bool | None = False


def request_flags() -> RequestFlags | None:
    """Found once per process on a throwaway engine, None if not."""
    global _flags
    if _flags is False:
        _flags = _find_request_flags()
    return _flags  # type: ignore[return-value]


def _find_request_flags() -> RequestFlags | None:
    window = 0x4000
    uc, _ = new_engine()
    handle = engine_handle(uc)
    before = ctypes.string_at(handle, window)
    uclib.uc_emu_stop(uc._uch)
    after = ctypes.string_at(handle, window)
    changed = [i for i in range(window) if before[i] != after[i]]
    if len(changed) != 1 or after[changed[0]] != 1:
        return None
    stop = changed[0]
    quit = stop + 1  # the next bool in struct uc_struct (unicorn 2.1)
    # Check: taking the execute right from the page pc is on sets both.
    ctypes.c_uint8.from_address(handle + stop).value = 0
    ctypes.c_uint8.from_address(handle + quit).value = 0
    uc.mem_map(0x1000, 0x1000)
    uc.reg_write(UC_RISCV_REG_PC, 0x1000)
    uc.mem_protect(0x1000, 0x1000, 1)  # UC_PROT_READ
    raw = ctypes.string_at(handle, window)
    if raw[stop] != 1 or raw[quit] != 1:
        return None
    return RequestFlags(stop, quit)
