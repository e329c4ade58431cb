"""The predicates a `check` or `legit` block may use, registered by name.

Each takes the live `Lab` and its parsed arguments and answers True or
False (or a pair with an explanation). `since=step` makes a predicate look
only at what happened since the current step began; the default is
everything since the scenario started. Predicates that need a hypervisor
extension which is not built in yet raise `CheckUnavailable` with a message
saying so, which the UI shows next to the check.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final

from lab.hv.hypercalls import HypercallRecord, lookup
from lab.lesson.corpus import CorpusError, corpus_for, no_attacks, scored
from lab.lesson.engine import CheckUnavailable, Lab
from lab.lesson.registry import predicate

if TYPE_CHECKING:
    from lab.hv.vm import Vm

# The monitor's hexdump: "80001000: 4241 4e4b 7b31 ...  BANK{1...": bytes in memory order.
HEXDUMP_LINE: Final = re.compile(rb"^[0-9a-fA-F]{8}: ((?:[0-9a-fA-F]{2,4} ?)+)", re.MULTILINE)


@predicate(
    "console_contains",
    "VM TEXT [since=SCOPE]",
    doc="The VM's console shows TEXT.",
    example='console_contains tenant "a1=0x00000001"',
)
def console_contains(lab: Lab, args: dict[str, Any]) -> bool:
    vm = lab.vm(args["vm"])
    return args["text"].encode() in lab.console(vm, args.get("since", "lesson"))


def _dumped(console: bytes) -> bytes:
    """The bytes the console's hexdump lines show, concatenated in order."""
    return b"".join(bytes.fromhex(m.group(1).decode()) for m in HEXDUMP_LINE.finditer(console))


@predicate(
    "secret_leaked",
    "VM [from=OWNER] [since=SCOPE]",
    doc=(
        "The VM's console shows a secret that is not its own: another VM's (its scenario `secret`) "
        "or the hypervisor region's, as text or in a hexdump. `from=` names whose."
    ),
    example="secret_leaked tenant from=bank",
)
def secret_leaked(lab: Lab, args: dict[str, Any]) -> tuple[bool, str]:
    vm = lab.vm(args["vm"])
    hv = lab.hv
    secrets = {o.name: o.config.secret for o in hv.vms if o is not vm and o.config.secret}
    secrets["hypervisor"] = hv.mem.secret
    if "from" in args:
        secrets = {args["from"]: secrets.get(args["from"], b"")}
    console = lab.console(vm, args.get("since", "lesson"))
    shown = (console, _dumped(console))
    for owner, secret in secrets.items():
        if len(secret) >= 4 and any(secret in view for view in shown):
            return True, f"{vm.name}'s console shows {owner}'s secret"
    return False, ""


@predicate(
    "hypercall",
    "[vm=VM] [eid=EID] [fid=N] [fn=FN] [result=RESULT] [since=SCOPE]",
    doc="Some hypercall in the trace matches every filter given (caller, extension, function, result).",
    example="hypercall vm=tenant fn=peek result=denied",
)
def hypercall(lab: Lab, args: dict[str, Any]) -> bool:
    domid = lab.vm(args["vm"]).domid if "vm" in args else None
    for r in lab.records(args.get("since", "lesson")):
        if not isinstance(r, HypercallRecord):
            continue
        if domid is not None and r.domid != domid:
            continue
        if "eid" in args and r.eid != args["eid"]:
            continue
        if "fid" in args and r.fid != args["fid"]:
            continue
        if "fn" in args:
            fn = lookup(r.eid, r.fid)
            if fn is None or fn.name != args["fn"]:
                continue
        if "result" in args and r.error != args["result"]:
            continue
        return True
    return False


@predicate(
    "vm_state",
    "VM STATE",
    doc="The VM is running, paused, halted, faulted or destroyed.",
    example="vm_state bank destroyed",
)
def vm_state(lab: Lab, args: dict[str, Any]) -> bool:
    vm = lab.vm(args["vm"])
    if args["state"] == "destroyed":
        return vm.destroyed
    return not vm.destroyed and vm.state.label == args["state"]


@predicate(
    "trace",
    "TEXT [since=SCOPE]",
    doc="Some line of the trace contains TEXT (as `hvlab run --trace` prints it).",
    example='trace "UNCHECKED buffer"',
)
def trace(lab: Lab, args: dict[str, Any]) -> bool:
    return any(args["text"] in r.describe() for r in lab.records(args.get("since", "lesson")))


@predicate(
    "attack_blocked",
    "[step=STEP]",
    doc=(
        "Replays this lesson's attack steps (those with a `harden` block; up to `step=`) from the "
        "lesson's start with the current policy and patches: holds when every attack fails there and "
        "every `legit` check still passes. The machine is restored afterwards."
    ),
    example="attack_blocked",
    replays=True,
)
def attack_blocked(lab: Lab, args: dict[str, Any]) -> tuple[bool, str]:
    upto = args["step"] - 1 if "step" in args else None
    return lab.attack_outcome(upto)


@predicate(
    "grant_mapped",
    "VM [from=VM] [writable=BOOL]",
    doc="The VM has a grant page mapped (from that granter; writable or read-only).",
    example="grant_mapped tenant from=bank writable=yes",
    needs="the grant-table extension",
)
def grant_mapped(lab: Lab, args: dict[str, Any]) -> bool:
    hv = lab.hv
    grants = getattr(hv, "grants", None)
    if grants is None:
        raise CheckUnavailable("grant_mapped needs the grant-table extension, which this hypervisor lacks")
    vm = lab.vm(args["vm"])
    granter = lab.vm(args["from"]).domid if "from" in args else None
    return any(
        m.grantee == vm.domid
        and (granter is None or m.granter == granter)
        and ("writable" not in args or m.writable == args["writable"])
        for m in grants.mappings
    )


def _network(lab: Lab, name: str, what: str):
    net = getattr(lab.hv, "net", None)
    if net is None:
        raise CheckUnavailable(f"{name} needs {what}, which this hypervisor lacks")
    return net


@predicate(
    "packet",
    "[vm=VM] [TEXT] [since=SCOPE]",
    doc="A network event in the trace (from or to the VM) whose text contains TEXT.",
    example='packet vm=tenant "acl-drop"',
    needs="the network extension",
)
def packet(lab: Lab, args: dict[str, Any]) -> bool:
    _network(lab, "packet", "the network extension (virtual switch)")
    domid = lab.vm(args["vm"]).domid if "vm" in args else None
    text = args.get("text", "")
    return any(
        r.kind in ("net", "packet") and (domid is None or r.domid == domid) and text in r.describe()
        for r in lab.records(args.get("since", "lesson"))
    )


@predicate(
    "mgmt_login",
    "[ok=BOOL] [since=SCOPE]",
    doc="A login to the hypervisor's management service (one that succeeded, or failed).",
    example="mgmt_login ok=yes",
    needs="the management service",
)
def mgmt_login(lab: Lab, args: dict[str, Any]) -> bool:
    net = _network(lab, "mgmt_login", "the management service")
    if getattr(net, "mgmt", None) is None:
        raise CheckUnavailable("mgmt_login needs the management service, which this scenario lacks")
    wanted = {True: ("login-ok",), False: ("login-failed",)}.get(args.get("ok"), ("login-ok", "login-failed"))
    return any(
        r.kind == "mgmt" and any(w in r.describe() for w in wanted)
        for r in lab.records(args.get("since", "lesson"))
    )


# The monitor's `sendn` report: how many of the admin's requests the management service answered OK.
SENDN_REPORT: Final = re.compile(rb"sendn: (\d+) of (\d+) answered OK")


@predicate(
    "mgmt_answered",
    "VM [min=N] [max=N] [since=SCOPE]",
    doc=(
        "The VM's last `sendn` report (`sendn: K of N answered OK`) counts at least `min=` and at most "
        "`max=` answers: how many of the admin's management commands got through."
    ),
    example="mgmt_answered admin min=9 since=step",
)
def mgmt_answered(lab: Lab, args: dict[str, Any]) -> tuple[bool, str]:
    vm = lab.vm(args["vm"])
    reports = SENDN_REPORT.findall(lab.console(vm, args.get("since", "lesson")))
    if not reports:
        return False, f"{vm.name}'s console shows no sendn report"
    ok, sent = (int(x) for x in reports[-1])
    held = args.get("min", 0) <= ok <= args.get("max", sent)
    return held, f"{vm.name}: {ok} of {sent} answered OK"


# ------------------------------------------------------------------ detection (lesson 11)


@predicate(
    "detections",
    "[rule=TEXT] [vm=VM] [min=N] [max=N] [since=SCOPE]",
    doc=(
        "The loaded detection rules (`rules`, or the student's from the editor) fired on this machine: "
        "at least `min` times (default 1) and at most `max`, only rule `rule` (its id) and only about "
        "`vm` if given. Counts the detections the panel keeps (the last 2,000)."
    ),
    example="detections vm=tenant min=1 since=step",
)
def detections(lab: Lab, args: dict[str, Any]) -> tuple[bool, str]:
    sensor = lab.sensor
    if sensor is None:
        return False, "no detection rules are loaded"
    sensor.pull()
    snapshot = lab.marks.snapshot
    start = snapshot.time if args.get("since") == "step" and snapshot is not None else -1
    found = [
        d
        for _, d in sensor.detections()
        if d.time >= start and args.get("rule", d.rule) == d.rule and args.get("vm", d.vm) == d.vm
    ]
    low, high = args.get("min", 1), args.get("max")
    ok = len(found) >= low and (high is None or len(found) <= high)
    return ok, f"{len(found)} detection(s)" + (
        f", the last: {found[-1].rule}: {found[-1].output}" if found else ""
    )


@predicate(
    "rules_score",
    "[lesson=TEXT] [misses=N] [false_positives=N]",
    doc=(
        "Score the loaded detection rules against the lab's recorded runs (lab/lesson/corpus.py): the "
        "attack steps of the lessons in the corpus's scope (`detect/legit.toml`'s `attacks`), replayed, "
        "and the legitimate work of that file. "
        "Holds when at most `misses` attacks (default 0) go undetected and at most `false_positives` "
        "legitimate runs (default 0) set a rule off; `lesson=ID` scores only that lesson's attacks "
        "(and every legitimate run). The detail names what was missed and which rule fired on what."
    ),
    example="rules_score lesson=control-api",
    corpus=True,
)
def rules_score(lab: Lab, args: dict[str, Any]) -> tuple[bool, str]:
    sensor = lab.sensor
    if sensor is None:
        return False, "no detection rules are loaded"
    only = args.get("lesson", "")
    try:
        score = scored(sensor.rules, corpus_for(lab.lesson.directory), only=only)
    except CorpusError as exc:
        raise CheckUnavailable(f"the recorded runs cannot be built: {exc}") from None
    if not score.attacks:
        raise CheckUnavailable(no_attacks(only, score))
    misses, fps = args.get("misses", 0), args.get("false_positives", 0)
    ok = len(score.missed) <= misses and len(score.false_positives) <= fps
    detail = score.summary()
    if score.missed:
        detail += f"; missed: {score.missed[0].id} ({score.missed[0].title})"
    for rule in score.rules:
        if rule.false_positives and rule.false_example is not None:
            detail += f"; {rule.rule} fired on {rule.false_positives[0]}: {rule.false_example.output}"
            break
    return ok, detail


@predicate(
    "cpu_share",
    "VM [min=N] [max=N] [since=SCOPE]",
    doc=(
        "The VM's share of the CPU in percent, its part of the hypervisor's clock, is at least `min=` "
        "and at most `max=`: since the scenario started, or with `since=step` since the step began "
        "(the VMs panel shows the same share over the scheduler's recent window)."
    ),
    example="cpu_share tenant min=80 since=step",
)
def cpu_share(lab: Lab, args: dict[str, Any]) -> tuple[bool, str]:
    vm = lab.vm(args["vm"])
    scope = args.get("since", "lesson")
    share = lab.cpu_share(vm, scope) * 100
    held = args.get("min", 0) <= share <= args.get("max", 100)
    where = "in this step" if scope == "step" else "so far"
    return held, f"{vm.name}: {share:.0f}% of the CPU {where}"


def _last_report(lab: Lab, args: dict[str, Any], report: re.Pattern[bytes]) -> tuple[Vm, tuple[int, ...]]:
    """The VM of `args` and the numbers of the last `report` on its console (in `since`'s scope),
    or () when it shows none."""
    vm = lab.vm(args["vm"])
    reports = report.findall(lab.console(vm, args.get("since", "lesson")))
    return vm, tuple(int(x) for x in reports[-1]) if reports else ()


WORK_REPORT: Final = re.compile(
    rb"(?:spin|steal): (\d+) instructions of work in (\d+) of the clock \((\d+)%\)"
)


@predicate(
    "work_share",
    "VM [min=N] [max=N] [since=SCOPE]",
    doc=(
        "The VM's last `spin` or `steal` report (`NAME: W instructions of work in T of the clock (P%)`) "
        "gives its work at least `min=` and at most `max=` percent of the clock: the share of the CPU "
        "that command got while it ran, whenever the student typed it."
    ),
    example="work_share tenant min=80 since=step",
)
def work_share(lab: Lab, args: dict[str, Any]) -> tuple[bool, str]:
    vm, report = _last_report(lab, args, WORK_REPORT)
    if not report:
        return False, f"{vm.name}'s console shows no spin or steal report"
    work, clock, _ = report
    share = 100 * work / clock if clock else 0.0
    held = args.get("min", 0) <= share <= args.get("max", 100)
    return held, f"{vm.name}: {work:,} instructions of work in {clock:,} of the clock ({share:.0f}%)"


LAT_REPORT: Final = re.compile(rb"lat: (\d+) wake-ups, max (\d+), avg (\d+) instructions late")


@predicate(
    "latency",
    "VM [min=N] [max=N] [since=SCOPE]",
    doc=(
        "The VM's last `lat` report (`lat: N wake-ups, max M, avg A instructions late`) measured a worst "
        "wake-up latency M of at least `min=` and at most `max=` instructions: how long the VM waited "
        "for the CPU after its timer was due."
    ),
    example="latency admin max=20000 since=step",
)
def latency(lab: Lab, args: dict[str, Any]) -> tuple[bool, str]:
    vm, report = _last_report(lab, args, LAT_REPORT)
    if not report:
        return False, f"{vm.name}'s console shows no lat report"
    count, worst, average = report
    held = args.get("min", 0) <= worst <= args.get("max", worst)
    return held, f"{vm.name}: {count} wake-ups, at worst {worst:,} instructions late (average {average:,})"


DBENCH_REPORT: Final = re.compile(rb"dbench: (\d+) of (\d+) sectors in (\d+) instructions \((\d+) busy\)")


@predicate(
    "disk_time",
    "VM [min=N] [max=N] [since=SCOPE]",
    doc=(
        "The VM's last `dbench` report (`dbench: N of M sectors in T instructions (B busy)`) read every "
        "sector it asked for in at most `max=` instructions, or took at least `min=` (a `dbench` that gave "
        "up counts as taking forever)."
    ),
    example="disk_time admin max=100000 since=step",
)
def disk_time(lab: Lab, args: dict[str, Any]) -> tuple[bool, str]:
    vm, report = _last_report(lab, args, DBENCH_REPORT)
    if not report:
        return False, f"{vm.name}'s console shows no dbench report"
    read, asked, took, busy = report
    time = took if read >= asked else None  # gave up: no finite time
    if time is None:
        held = "max" not in args
    else:
        held = args.get("min", 0) <= time <= args.get("max", time)
    what = f"{took:,} instructions" if time is not None else f"gave up after {took:,} instructions"
    return held, f"{vm.name}: {read} of {asked} sectors, {what}, {busy} refusals"
