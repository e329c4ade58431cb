"""The hypercall table: (EID, FID) -> handler, defined once, plus dispatch.

A guest's kernel makes a hypercall the SBI way (SBI v2.0, chapter 3 "Binary Encoding"):

    a7 = extension ID (EID)   a6 = function ID (FID)   a0..a5 = arguments
    ecall
    a0 = error code           a1 = value

Each extension lives in its own module under `lab/hv/sbi/` and registers its
functions here with `Extension.function`. The dispatcher looks the pair up,
answers an unknown one with SBI_ERR_NOT_SUPPORTED (never a crash, like
xv6's syscall()), calls the handler with the *trapping* VM as the caller
(a guest can never claim to be someone else), writes a0/a1 back and records
the call in the trace. The docs' hypercall reference is generated from
`EXTENSIONS`, so code and docs cannot drift.

Handlers have the textbook shape

    def console_write(hv, vm, num_bytes, base_lo, base_hi) -> SbiRet

and return `SbiRet(error, value, why)`; `why` explains a refusal in the trace.

Who may call: the caller is a VM, and inside it a level. An ecall from the
guest's user mode is the guest kernel's business (a system call), never a
hypercall, if `hypercall.check_caller_mode` is on: `user_ecall` decides.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING, Any, Final

from lab.cpu.base import Cause
from lab.trace_messages import NO_EXTENSION, NO_FUNCTION, USER_ECALL_PASSED, USER_ECALL_SERVED, EventKind

if TYPE_CHECKING:
    from lab.hv.hypervisor import Hypervisor
    from lab.hv.vm import Vm


class SbiError(IntEnum):
    """SBI return codes: SBI v2.0's table "Standard SBI Errors", all of it and nothing more.

    BASE get_spec_version reports v2.0, so a guest may expect exactly these. SBI v3.0
    added INVALID_STATE (-10), BAD_RANGE (-11), TIMEOUT, IO and DENIED_LOCKED; hvlab
    does not use them: a sector range past the disk is INVALID_PARAM, a VM in the wrong
    state for a call is FAILED, each with the reason in the trace.
    """

    SUCCESS = 0
    FAILED = -1
    NOT_SUPPORTED = -2
    INVALID_PARAM = -3
    DENIED = -4
    INVALID_ADDRESS = -5
    ALREADY_AVAILABLE = -6
    ALREADY_STARTED = -7
    ALREADY_STOPPED = -8
    NO_SHMEM = -9

    @classmethod
    def label(cls, code: int) -> str:
        try:
            return f"SBI_ERR_{cls(code).name}" if code else "SBI_SUCCESS"
        except ValueError:
            return str(code)


@dataclass(slots=True)
class SbiRet:
    """What a handler returns: `error` to a0, `value` to a1, `why` to the trace.

    Never changed once made, so a handler whose answer is always the same may
    return one built in advance (the BASE calls do)."""

    error: int = SbiError.SUCCESS
    value: int = 0
    why: str = ""

    @classmethod
    def ok(cls, value: int = 0, why: str = "") -> SbiRet:
        return cls(0, value, why)  # SBI_SUCCESS

    @classmethod
    def fail(cls, error: SbiError, why: str) -> SbiRet:
        return cls(error, 0, why)


Handler = Callable[..., SbiRet]


@dataclass(slots=True)
class Function:
    """One hypercall: (eid, fid), its parameters (a0, a1, ... in order) and handler."""

    eid: int
    fid: int
    name: str
    params: tuple[str, ...]
    returns: str
    doc: str
    handler: Handler
    privileged: bool = False
    nargs: int = 0  # len(params): a0.. registers the handler takes

    @property
    def signature(self) -> str:
        return f"{self.name}({', '.join(self.params)})"


@dataclass(slots=True)
class Extension:
    """An SBI extension: an EID and its functions."""

    eid: int
    name: str
    title: str
    doc: str
    standard: bool  # True: defined by the SBI spec; False: hvlab's own (vendor range)
    functions: dict[int, Function] = field(default_factory=dict)

    def function(
        self,
        fid: int,
        params: str = "",
        *,
        returns: str = "",
        privileged: bool = False,
        name: str | None = None,
    ) -> Callable[[Handler], Handler]:
        """Decorator: register `handler` as function `fid` of this extension."""

        def register(handler: Handler) -> Handler:
            if fid in self.functions:
                raise ValueError(f"{self.name} FID {fid} registered twice")
            names = tuple(p.strip() for p in params.split(",") if p.strip())
            self.functions[fid] = Function(
                eid=self.eid,
                fid=fid,
                name=name or handler.__name__,
                params=names,
                returns=returns,
                doc=(handler.__doc__ or "").strip(),
                handler=handler,
                privileged=privileged,
                nargs=len(names),
            )
            return handler

        return register


EXTENSIONS: Final[dict[int, Extension]] = {}


def extension(eid: int, name: str, title: str, doc: str, *, standard: bool) -> Extension:
    """Declare an extension (once per module under lab/hv/sbi/)."""
    if eid in EXTENSIONS:
        raise ValueError(f"EID {eid:#x} registered twice")
    ext = Extension(eid, name, title, doc.strip(), standard)
    EXTENSIONS[eid] = ext
    return ext


def load_extensions() -> dict[int, Extension]:
    """Import every extension module so the table is complete."""
    from lab.hv import sbi  # noqa: F401  (registers on import)

    return EXTENSIONS


def lookup(eid: int, fid: int) -> Function | None:
    ext = EXTENSIONS.get(eid)
    return ext.functions.get(fid) if ext else None


# ------------------------------------------------------------------ trace record


@dataclass(slots=True)
class HypercallRecord:
    """One hypercall as the trace keeps it."""

    time: int
    domid: int
    pc: int
    eid: int
    fid: int
    args: tuple[int, ...]
    error: int
    value: int
    why: str
    patched: bool = False

    @property
    def kind(self) -> EventKind:
        return EventKind.HYPERCALL

    @property
    def names(self) -> tuple[str, str]:
        ext = EXTENSIONS.get(self.eid)
        if ext is None:
            return f"EID {self.eid:#x}", f"FID {self.fid}"
        fn = ext.functions.get(self.fid)
        return ext.name, fn.name if fn else f"FID {self.fid}"

    def describe(self) -> str:
        ext_name, fn_name = self.names
        fn = lookup(self.eid, self.fid)
        params = fn.params if fn else ()
        shown = [f"{p}={_num(a)}" for p, a in zip(params or ("a0", "a1", "a2"), self.args, strict=False)]
        result = SbiError.label(self.error)
        if self.error == 0:
            result += f", {_num(self.value)}"
        text = f"{ext_name}.{fn_name}({', '.join(shown)}) -> {result}"
        if self.why:
            text += f": {self.why}"
        if self.patched:
            text += " [patched handler]"
        return text

    def to_dict(self) -> dict[str, Any]:
        ext_name, fn_name = self.names
        return {
            "time": self.time,
            "kind": "hypercall",
            "domid": self.domid,
            "pc": self.pc,
            "eid": self.eid,
            "fid": self.fid,
            "ext": ext_name,
            "fn": fn_name,
            "args": list(self.args),
            "error": self.error,
            "error_name": SbiError.label(self.error),
            "value": self.value,
            "why": self.why,
            "patched": self.patched,
            "text": self.describe(),
        }


def _num(v: int) -> str:
    return str(v) if v < 4096 else f"{v:#x}"


def to_signed(v: int) -> int:
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v & 0x80000000 else v


def dispatch(hv: Hypervisor, vm: Vm, pc: int) -> None:
    """Handle the ecall that `vm`'s vCPU just made at `pc`.

    This is every guest's critical path, a million times a second: it reads
    the registers straight from the core's register list (`vm.regs`), only
    those the function takes, looks the handler up with two dictionary probes,
    and records the call as a tuple the trace turns into text only when
    someone reads it.
    """
    x = vm.regs
    eid = x[17]
    fid = x[16]
    ext = EXTENSIONS.get(eid)
    fn = ext.functions.get(fid) if ext is not None else None
    patched = False
    if fn is None:
        args: tuple[int, ...] = tuple(x[10:13])
        why = NO_FUNCTION(ext=ext.name, fid=fid) if ext else NO_EXTENSION(eid=eid)
        ret = SbiRet(SbiError.NOT_SUPPORTED, 0, why)
    elif hv.patches.active and (eid, fid) in hv.patches.active:
        args = tuple(x[10 : 10 + fn.nargs])
        patched = True
        ret = hv.patches.call(hv, vm, fn, args)
        hv.state_changes += 1  # a student's handler may have changed anything
    elif fn.nargs:
        args = tuple(x[10 : 10 + fn.nargs])
        ret = fn.handler(hv, vm, *args)
    else:
        args = ()
        ret = fn.handler(hv, vm)
    error = ret.error
    if type(error) is not int:
        error = int(error)  # an SbiError
    value = ret.value & 0xFFFFFFFF
    x[10] = error & 0xFFFFFFFF
    x[11] = value
    hv.trace.hypercall((vm.domid, eid, fid, error, ret.why, patched, hv.time, pc, args, value))


def user_ecall(hv: Hypervisor, vm: Vm, pc: int) -> bool:
    """An ecall from user mode in `vm` at `pc`: serve it as a hypercall (True), or
    pass it on to the guest kernel (False: the vCPU goes on at the kernel's stvec,
    with scause 8, sepc = pc, as if the hardware had delegated it).

    The architecture's answer is always the guest kernel: a user program's ecall
    is a system call, and the kernel decides what it may do. With
    `hypercall.check_caller_mode` the hypervisor gives that answer. Without it,
    the hypervisor looks only at a7, as its dispatcher does, and serves every
    call that names one of its extensions, whichever level made it: the VM's
    rights, the control domain's included, are then every user program's
    (CVE-2009-3290). The calls that name none are passed on, so the guest's own
    system calls still work: that is why nobody notices."""
    ext = EXTENSIONS.get(vm.regs[17])
    if ext is not None and not hv.policy["hypercall.check_caller_mode"]:
        hv.event(vm.domid, USER_ECALL_SERVED(vm=vm.label, pc=pc, ext=ext.name))
        return True
    if ext is not None:
        hv.event(vm.domid, USER_ECALL_PASSED(vm=vm.label, pc=pc, ext=ext.name))
    vm.cpu.redirect_trap(Cause.USER_ECALL, pc)
    return False
