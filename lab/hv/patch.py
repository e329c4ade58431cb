"""Patch points: a student replaces a hypercall handler with their own Python.

    patch = hv.patches.apply(lookup(DBCN_EID, 0), source)   # PatchError if it won't compile
    ...                                                     # guests now call the new handler
    hv.patches.revert(patch.key)

The source must define a function with the handler's name (its Python name,
as the editor shows it, or the hypercall's: `map_grant` or `map`) and
parameters (`def console_write(hv, vm, num_bytes, base_addr_lo, base_addr_hi):`) that
returns an `SbiRet` (or an `(error, value)` pair). It runs under a watchdog:
if it raises, returns something else, or runs past its budget of executed
lines (or wall time), the old handler is restored, the error is reported with
its line number in the trace and `last_error`, the guest's call fails with
SBI_ERR_FAILED, and every VM keeps running.
"""

from __future__ import annotations

import sys
import time
import traceback
from dataclasses import dataclass
from types import FrameType
from typing import TYPE_CHECKING, Any, Final

from lab.hv.hypercalls import Function, SbiError, SbiRet
from lab.trace_messages import PATCH_ROLLED_BACK

if TYPE_CHECKING:
    from lab.hv.hypervisor import Hypervisor
    from lab.hv.vm import Vm

PATCH_FILENAME: Final = "<patch>"
LINE_BUDGET: Final = 100_000  # lines a patched handler may execute per call
TIME_LIMIT: Final = 0.5  # seconds, checked every 1000 lines


class PatchError(Exception):
    """A patch that does not compile, define the handler, or survive a call."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(f"line {line}: {message}" if line else message)
        self.message = message
        self.line = line


class _Timeout(BaseException):
    """Raised inside the patched handler by the watchdog (a BaseException so a
    bare `except Exception` in student code cannot swallow it)."""


@dataclass(slots=True)
class Patch:
    key: tuple[int, int]
    name: str
    source: str
    handler: Any
    calls: int = 0


def _namespace() -> dict[str, Any]:
    from lab.hv import vm as vm_module

    return {
        "__name__": "patch",
        "SbiRet": SbiRet,
        "SbiError": SbiError,
        "RAM_BASE": vm_module.RAM_BASE,
        "GRANT_WINDOW": vm_module.GRANT_WINDOW,
    }


class PatchTable:
    def __init__(self) -> None:
        self.active: dict[tuple[int, int], Patch] = {}  # (eid, fid) -> the patch in force
        self.last_error: PatchError | None = None

    def get(self, key: tuple[int, int]) -> Patch | None:
        return self.active.get(key)

    def __iter__(self):
        return iter(self.active.values())

    def apply(self, fn: Function, source: str) -> Patch:
        """Compile `source` and make its `fn.name` function the handler of `fn`."""
        try:
            code = compile(source, PATCH_FILENAME, "exec")
        except SyntaxError as exc:
            raise PatchError(f"syntax error: {exc.msg}", exc.lineno) from None
        namespace = _namespace()
        try:
            exec(code, namespace)
        except Exception as exc:
            raise PatchError(f"{type(exc).__name__}: {exc}", _patch_line(exc)) from None
        # The editor shows the handler under its Python name (`map_grant` for GNTTAB map).
        names = dict.fromkeys((fn.handler.__name__, fn.name))
        handler = next((namespace[n] for n in names if callable(namespace.get(n))), None)
        if handler is None:
            raise PatchError(f"the patch must define a function named {' or '.join(names)}")
        argc = getattr(getattr(handler, "__code__", None), "co_argcount", None)
        if argc != 2 + len(fn.params):
            expected = ", ".join(("hv", "vm", *fn.params))
            raise PatchError(f"{fn.name} must take ({expected})", handler.__code__.co_firstlineno)
        patch = Patch((fn.eid, fn.fid), fn.name, source, handler)
        self.active[patch.key] = patch
        self.last_error = None
        return patch

    def revert(self, key: tuple[int, int]) -> Patch | None:
        return self.active.pop(key, None)

    def clear(self) -> None:
        self.active.clear()

    def call(self, hv: Hypervisor, vm: Vm, fn: Function, args: tuple[int, ...]) -> SbiRet:
        """Run the patched handler under the watchdog; roll it back if it misbehaves."""
        patch = self.active[(fn.eid, fn.fid)]
        patch.calls += 1
        try:
            result = _watched(patch.handler, (hv, vm, *args))
            if isinstance(result, SbiRet):
                return result
            if (
                isinstance(result, tuple)
                and len(result) == 2
                and all(isinstance(v, int) and not isinstance(v, bool) for v in result)
            ):
                return SbiRet(result[0], result[1])
            raise PatchError(f"{fn.name} returned {result!r}, not an SbiRet")
        except _Timeout:
            error = PatchError(
                f"{fn.name} ran too long (over {LINE_BUDGET} lines or {TIME_LIMIT} s): "
                "an endless loop? rolled back"
            )
        except PatchError as exc:
            error = exc
        except Exception as exc:
            error = PatchError(f"{type(exc).__name__}: {exc}; rolled back", _patch_line(exc))
        self.revert(patch.key)
        self.last_error = error
        hv.note_patch_failure(vm, fn, error)
        return SbiRet.fail(SbiError.FAILED, PATCH_ROLLED_BACK(error=error))


def _patch_line(exc: BaseException) -> int | None:
    line = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        if frame.f_code.co_filename == PATCH_FILENAME:
            line = lineno
    return line


def _watched(handler: Any, args: tuple[Any, ...]) -> Any:
    """Call handler(*args), raising _Timeout if the patch's own lines run too long."""
    lines = 0
    deadline = time.monotonic() + TIME_LIMIT

    def local(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal lines
        if event == "line":
            lines += 1
            if lines > LINE_BUDGET or (lines % 1000 == 0 and time.monotonic() > deadline):
                raise _Timeout
        return local

    def global_(frame: FrameType, event: str, arg: Any) -> Any:
        # Trace only the patch's own frames: helpers it calls run at full speed.
        return local if frame.f_code.co_filename == PATCH_FILENAME else None

    previous = sys.gettrace()
    sys.settrace(global_)
    try:
        return handler(*args)
    finally:
        sys.settrace(previous)
