"""The actions a `solution` or `harden` block may use, registered by name.

They are exactly what a student does in a UI: type at a console, run the
machine, load a program, flip a policy switch, apply a patch, reset the
step. The session's buttons call the same functions, so a replayed
solution and a student's clicks cannot behave differently.
"""

from __future__ import annotations

from typing import Any

from lab.hv.patch import PatchError
from lab.hv.policy import PolicyError
from lab.lesson.engine import ActionError, Lab
from lab.lesson.registry import action
from lab.program import ProgramError, load_program


@action(
    "type",
    "VM TEXT [enter=BOOL]",
    doc=(
        "Type TEXT at the VM's console, then Enter (unless `enter=no`), and let the machine run until "
        "every VM waits for input again (at most 2 000 000 instructions), as a student waits for the answer."
    ),
    example="type tenant peek 2 0x80001000 64",
)
def type_(lab: Lab, args: dict[str, Any]) -> None:
    text = args["text"] + ("\n" if args.get("enter", True) else "")
    lab.vm(args["vm"]).feed(text.encode())
    lab.settle()


@action("run", "N", doc="Run the machine for N more instructions (all vCPUs together).", example="run 100000")
def run(lab: Lab, args: dict[str, Any]) -> None:
    lab.hv.run(args["n"])


@action(
    "load",
    "VM FILE",
    doc="Load a program (.S, .elf or flat .bin; relative to the lesson) into the VM and reboot it.",
    example="load tenant probe.S",
)
def load(lab: Lab, args: dict[str, Any]) -> None:
    path = lab.lesson.directory / args["file"]
    try:
        program = load_program(path)
    except ProgramError as exc:
        raise ActionError(str(exc)) from None
    except OSError as exc:
        raise ActionError(f"{path}: {exc.strerror or exc}") from None
    vm = lab.vm(args["vm"])
    vm.config.program = program
    lab.hv.reboot(vm, f"loaded {args['file']}")
    lab.settle()


@action(
    "set",
    "SWITCH VALUE",
    doc="Set a policy switch (see the policy reference), e.g. turn a hardening check on.",
    example="set hypercall.authorize on",
)
def set_(lab: Lab, args: dict[str, Any]) -> None:
    try:
        lab.hv.policy.set(args["switch"], args["value"])
    except PolicyError as exc:
        raise ActionError(str(exc)) from None
    lab.hv.event(-1, "policy", f"{args['switch']} set to {lab.hv.policy[args['switch']]}")


@action(
    "patch",
    "HANDLER FILE",
    doc="Replace a hypercall handler with the Python function in FILE (relative to the lesson).",
    example="patch dbcn.console_write patches/console_write.py",
)
def patch(lab: Lab, args: dict[str, Any]) -> None:
    path = lab.lesson.directory / args["file"]
    try:
        source = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ActionError(f"{path}: {exc.strerror or exc}") from None
    eid, fid = args["handler"]
    try:
        lab.hv.apply_patch(eid, fid, source)
    except PatchError as exc:
        raise ActionError(f"{args['file']}: {exc}") from None


@action(
    "reset",
    doc="Put the machine back as it was when the step began (what the Reset step button does).",
    example="reset",
)
def reset(lab: Lab, args: dict[str, Any]) -> None:
    lab.reset_step()
