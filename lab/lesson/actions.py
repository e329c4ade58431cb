"""The actions a `solution` or `harden` block may use, registered by name.

They are exactly what a student does in a UI: type at a console, run the
machine, load a program, flip a policy switch, apply a patch, reset the
step. The session's buttons call the same functions, so a replayed
solution and a student's clicks cannot behave differently: `type_text`,
`set_switch`, `measure` and `console_command` are the public forms the
session (lab.session) calls; each registered action is a thin wrapper that
takes its arguments from a parsed lesson line.
"""

from __future__ import annotations

import re
from typing import Any, Final

from lab.detect import RuleError, RuleSet, parse_rules
from lab.files import FileFormatError, read_text
from lab.hv import Vm
from lab.hv.cost import DEFAULT_CALLS, CostError, CostMeasurement, measure_cost
from lab.hv.hypervisor import Idle
from lab.hv.patch import PatchError
from lab.hv.policy import PolicyError
from lab.lesson.engine import SETTLE_BUDGET, ActionError, Lab
from lab.lesson.registry import action, program_path
from lab.riscv.program import ProgramError, load_program
from lab.trace_messages import LOADED, MEASURED, POLICY_SET

START_RUN: Final = 50_000  # instructions `start` runs: enough for a flood to be under way
ANSWER_SLICE: Final = 10_000  # how often `type` and `paste` look for the VM's prompt
AFTER_ANSWER: Final = 200_000  # instructions `type` runs after the answer for the other VMs to settle
PROMPT_END: Final = b"> "  # the monitor's prompt `domN> ` ends every answer
HARDENING: Final = frozenset(("set", "patch"))  # actions that change only the policy and the patches
# (what `Lab.harden_like` takes over from a student's machine for the `attack_blocked` replay)


@action(
    "type",
    "VM TEXT [enter=BOOL]",
    doc=(
        "Type TEXT at the VM's console, then Enter (unless `enter=no`), and let the machine run until "
        f"every VM waits for input again (at most {SETTLE_BUDGET:,} instructions), as a student waits for "
        f"the answer. Once the VM's prompt is back, a VM that never waits (a flood) gets "
        f"{AFTER_ANSWER:,} more."
    ),
    example="type tenant peek 2 0x80001000 64",
)
def type_(lab: Lab, args: dict[str, Any]) -> None:
    type_text(lab, lab.vm(args["vm"]), args["text"], enter=args.get("enter", True))


def type_text(lab: Lab, vm: Vm, text: str, *, enter: bool = True, settle: bool = True) -> None:
    """Type `text` (and Enter) at the VM's console and run until the answer is in (`type`);
    without `settle`, only type (whoever runs the machine next brings the answer)."""
    vm.feed((text + ("\n" if enter else "")).encode())
    if not settle:
        return
    spent = _answered(lab, vm, lab.settle_budget)
    # What the answer set off elsewhere (a reply, a log line) finishes here; a VM that keeps
    # running whatever happens (a flood) does not hold up the student who has their answer.
    if spent < lab.settle_budget:
        lab.settle(min(AFTER_ANSWER, lab.settle_budget - spent))


@action("run", "N", doc="Run the machine for N more instructions (all vCPUs together).", example="run 100000")
def run(lab: Lab, args: dict[str, Any]) -> None:
    lab.hv.run(args["n"])


@action(
    "load",
    "VM PROGRAM",
    doc=(
        "Load a program (.S, .elf or flat .bin; next to the lesson, else one of the course's guests in "
        "lab/guests) into the VM and reboot it: what the editor's load does with the student's text."
    ),
    example="load tenant racer.S",
)
def load(lab: Lab, args: dict[str, Any]) -> None:
    path = program_path(lab.lesson.directory, args["program"])
    if path is None:
        raise ActionError(f"{args['program']}: no such program next to the lesson or among the guests")
    try:
        program = load_program(path)
    except ProgramError as exc:
        raise ActionError(str(exc)) from None
    except OSError as exc:
        raise ActionError(f"{path}: {exc.strerror or exc}") from None
    vm = lab.vm(args["vm"])
    vm.config.program = program
    lab.hv.reboot(vm, LOADED(program=args["program"]))
    lab.settle()


@action(
    "set",
    "SWITCH VALUE",
    doc="Set a policy switch (see the policy reference), e.g. turn a hardening check on.",
    example="set hypercall.authorize on",
)
def set_(lab: Lab, args: dict[str, Any]) -> None:
    set_switch(lab, args["switch"], args["value"])


def set_switch(lab: Lab, key: str, value: object) -> object:
    """Set a policy switch and note it in the trace; the value now in force (ActionError: refused)."""
    try:
        lab.hv.policy.set(key, value)
    except PolicyError as exc:
        raise ActionError(str(exc)) from None
    lab.hv.event(-1, POLICY_SET(switch=key, value=lab.hv.policy[key]))
    return lab.hv.policy[key]


@action(
    "patch",
    "HANDLER FILE",
    doc="Replace a hypercall handler with the Python function in FILE (relative to the lesson).",
    example="patch dbcn.console_write patches/console_write.py",
)
def patch(lab: Lab, args: dict[str, Any]) -> None:
    path = lab.lesson.directory / args["file"]
    try:
        source = read_text(path)
    except FileNotFoundError as exc:
        raise ActionError(f"{path}: {exc.strerror}") from None
    except FileFormatError as exc:  # a folder, not UTF-8, too big
        raise ActionError(str(exc)) from None
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


@action(
    "measure",
    "[calls=N]",
    doc=(
        "Measure what the current hardening costs: the same hypercall-heavy guest on a hypervisor with "
        "the current policy and patches and on a vulnerable one, in back-to-back slices of N hypercalls "
        "each (default 1000); the result goes into the trace as a `measured:` line. Host timing varies "
        'from run to run, so check that a measurement was made (`trace "measured:"`), never its value.'
    ),
    example="measure calls=2000",
)
def measure_action(lab: Lab, args: dict[str, Any]) -> None:
    measure(lab, args.get("calls", DEFAULT_CALLS))


def measure(lab: Lab, calls: int = DEFAULT_CALLS) -> CostMeasurement:
    """What the current hardening costs (`measure`): the measurement, also noted in the trace."""
    hv = lab.hv
    if not 100 <= calls <= 20_000:
        raise ActionError(f"calls={calls}: measure between 100 and 20000 hypercalls a slice")
    try:
        result = measure_cost(
            hv.policy, backend=lab.backend, calls=calls, patches=[(p.key, p.source) for p in hv.patches]
        )
    except CostError as exc:
        raise ActionError(str(exc)) from None
    hv.event(-1, MEASURED(summary=result.summary()))
    return result


# ------------------------------------------------------------------ the management network (lessons 7, 8)

# The monitor's lines that carry a management token: brute's `token: T`, send's `reply: OK T` after LOGIN.
TOKEN_LINE: Final = re.compile(rb"(?:token: |reply: OK )([0-9a-f]{16})\r?\n")


def _answered(lab: Lab, vm: Vm, budget: int) -> int:
    """Run until VM shows its prompt again after the input just typed, every VM waits, or budget
    is spent; returns the instructions run. A VM that never waits (a flood) does not hold the
    student up."""
    start = vm.console_seq
    spent = 0
    while spent < budget:
        summary = lab.hv.run(min(ANSWER_SLICE, budget - spent))
        spent += summary.retired
        if vm.console_seq > start and vm.console.endswith(PROMPT_END):
            break
        if summary.reason is not Idle.BUDGET or (not vm.runnable and not vm.waiting):
            break
    return spent


# `{after:TEXT}` in a pasted line: the word after the last TEXT on the console.
AFTER_FIELD: Final = re.compile(r"\{after:([^{}]+)\}")


def _word_after(vm: Vm, text: str) -> str:
    """The word that follows the last `text` on the VM's console ("" when there is none)."""
    console = bytes(vm.console)
    at = console.rfind(text.encode())
    if at < 0:
        return ""
    rest = console[at + len(text.encode()) :].split()
    return rest[0].decode("utf-8", "replace") if rest else ""


@action(
    "paste",
    "VM TEXT [enter=BOOL]",
    doc=(
        "Type TEXT like `type`, with what a student would copy filled in: `{token}` becomes the last "
        "management token the VM's console shows (`token: ...` from brute, `reply: OK ...` after a LOGIN; "
        "with none it stays as written and the service refuses it), `{password}` the management password "
        "in force (the admin's own), `{after:TEXT}` the word that follows the last TEXT on the VM's "
        "console (a grant reference a service answered with, say; none: left as written). "
        "Runs the machine as `type` does."
    ),
    example="paste tenant send 10.0.0.1 6230 {token} DESTROY bank",
)
def paste(lab: Lab, args: dict[str, Any]) -> None:
    vm = lab.vm(args["vm"])
    text = args["text"]
    if "{token}" in text:
        text = text.replace("{token}", _last_token(vm) or "{token}")
    text = AFTER_FIELD.sub(lambda m: _word_after(vm, m.group(1)) or m.group(0), text)
    if "{password}" in text:
        net = lab.hv.net
        if net is None or net.mgmt is None:
            raise ActionError("{password}: this scenario has no management service")
        net.sync_policy()  # a switch set a moment ago (mgmt.strong_password) is in force
        text = text.replace("{password}", net.mgmt.password)
    type_text(lab, vm, text, enter=args.get("enter", True))


@action(
    "start",
    "VM TEXT",
    doc=(
        "Type TEXT and Enter at the VM's console and run the machine only briefly "
        f"({START_RUN:,} instructions), "
        "without waiting for an answer: for a command that keeps running, a flood, while the student "
        "goes on at another console."
    ),
    example="start tenant storm 10.0.0.1 6230 1000000",
)
def start(lab: Lab, args: dict[str, Any]) -> None:
    lab.vm(args["vm"]).feed((args["text"] + "\n").encode())
    lab.hv.run(START_RUN)


@action(
    "oob",
    "TEXT",
    doc=(
        "A command at the hypervisor's own management console, out of band: LIST, PAUSE, UNPAUSE or "
        "DESTROY a VM, UNLOCK an address or the account, SESSIONS, REVOKE a session token (or ALL). "
        "No login, no network, no queue, so no flood can starve it and no lockout applies. "
        "`{token:VM}` becomes the last management token the VM's console shows, as `paste`'s `{token}` "
        "(the session a student picks out of SESSIONS to REVOKE). "
        "The reply goes into the trace as `console: COMMAND -> REPLY`."
    ),
    example="oob REVOKE {token:tenant}",
    needs="the management service",
)
def oob(lab: Lab, args: dict[str, Any]) -> None:
    console_command(lab, TOKEN_OF.sub(lambda m: _last_token(lab.vm(m.group(1))) or m.group(0), args["text"]))


# `{token:VM}` in an oob command: the last management token that VM's console shows.
TOKEN_OF: Final = re.compile(r"\{token:([A-Za-z_][A-Za-z0-9_]*)\}")


def _last_token(vm: Vm) -> str:
    tokens = TOKEN_LINE.findall(bytes(vm.console))
    return tokens[-1].decode() if tokens else ""


def console_command(lab: Lab, command: str) -> str:
    """A command at the hypervisor's own management console (`oob`): its reply."""
    hv = lab.hv
    if hv.net is None or hv.net.mgmt is None:
        raise ActionError("this scenario has no management service")
    return hv.net.console(command)


# ------------------------------------------------------------------ quizzes


@action(
    "answer",
    "N TEXT",
    doc=(
        "Answer the step's Nth `quiz` or `predict` block (1-based, counting both kinds in order): TEXT "
        "is the choice number, the numbers of all that apply (`1,3`), or a free answer. In a solution "
        "it must be a right answer; the validator also tries wrong ones and requires them refused. "
        "A placeholder (`{secret:vault}`) is this student's value, as in the quiz's `=` answers."
    ),
    example="answer 1 2",
)
def answer(lab: Lab, args: dict[str, Any]) -> None:
    if not lab.answer(args["n"], lab.own_words(args["text"])):
        raise ActionError(f"{args['text']!r} is not a right answer to quiz {args['n']}")


# ------------------------------------------------------------------ detection (lesson 11)


@action(
    "rules",
    "FILE [add=BOOL]",
    doc=(
        "Load a file of detection rules (TOML; the authoring guide's *Detection rules*, relative to the "
        "lesson): they watch the machine from now on, and the detections panel shows what they find. "
        "`add=yes` adds the file's rules to those loaded (each rule's id must be new), else they replace "
        "them. What the editor's *Load rules* does with the student's text."
    ),
    example="rules detect/flood.toml",
)
def rules(lab: Lab, args: dict[str, Any]) -> None:
    path = lab.lesson.directory / args["file"]
    try:
        text = read_text(path)
    except FileNotFoundError as exc:
        raise ActionError(f"{path}: {exc.strerror}") from None
    except FileFormatError as exc:
        raise ActionError(str(exc)) from None
    load_rules(lab, text, path=args["file"], add=args.get("add", False))


def load_rules(lab: Lab, text: str, *, path: str = "rules.toml", add: bool = False) -> RuleSet:
    """Parse a rule file's text and let it watch the machine (`rules`); ActionError names every
    problem at its line. With `add`, the rules join those loaded (the text is appended)."""
    try:
        ruleset = parse_rules(text, path=path)
        if add and lab.sensor is not None:
            ruleset = parse_rules(f"{lab.sensor.rules.text.rstrip()}\n\n{text}", path=path)
    except RuleError as exc:
        raise ActionError(str(exc)) from None
    lab.watch(ruleset)
    return ruleset
