"""The front-end protocol's vocabulary: every view and command result as a typed record.

    state = session.state()            # a MachineState
    state.vms[1].name                  # "tenant": the TUI reads attributes
    to_json(state)                     # {"lesson": ..., "vms": [...]}: the web worker's JSON

A record is a frozen, slotted, keyword-only dataclass (`record`). Frozen, because a
view is a snapshot: a front end may keep it, or (issue 19) hand it from the engine's
thread to the screen's, while the machine moves on. Slotted and keyword-only, so a
misspelt field is an error where it is written, not a silently missing key three
languages away. `lab.session.protocol.to_json` is the one serialisation to JSON data.

Each field's trailing comment is its documentation: the protocol reference page
(docs/reference/protocol.md) is generated from these classes, and a field without a
comment fails tests/test_protocol.py. Counters are the network's own records
(lab.net), copied, so their names are defined once, where they are counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from lab.hv.cost import CostMeasurement
from lab.net.mgmt import MgmtCounters
from lab.net.switch import PortCounters, SegmentCounters
from lab.net.vnic import NicCounters

record = dataclass(slots=True, frozen=True, kw_only=True)

# ------------------------------------------------------------------ lessons


@record
class LessonSummary:
    """One lesson in the picker, in the language asked for (English where it is not translated)."""

    id: str  # the lesson's id, the same in every language
    title: str  # its title
    lang: str  # the language of these words ("en", "de")
    summary: str  # a sentence or two for the picker
    minutes: int  # about how long it takes
    requires: tuple[str, ...]  # ids of the lessons to do first
    incident: str  # the real incident it mirrors ("" when none)
    steps: int  # how many steps it has
    path: str  # the lesson's file
    done_steps: int  # steps this student has done
    finished: bool  # this student finished it (once, at least)


@record
class QuizView:
    """A question of a step (a `quiz` or `predict` block), without its answers."""

    number: int  # its number among the step's questions, from 1: what `answer` takes
    kind: str  # quiz (answered until right, after the prose) or predict (answered once, before acting)
    question_html: str  # the question, rendered
    question_markdown: str  # the same as Markdown
    choices_html: tuple[str, ...]  # each choice rendered for a label (no paragraph); empty: a free answer
    choices_markdown: tuple[str, ...]  # the same as Markdown
    multiple: bool  # select all that apply (else pick one)


@record
class StepView:
    """One step of an open lesson: its prose, how many hints it has, its checks as sentences."""

    index: int  # 0 is the first step
    title: str  # the step's heading
    html: str  # the prose rendered (raw HTML escaped), the student's own values filled in
    markdown: str  # the same prose as Markdown, for a Markdown widget
    hints: int  # how many hints the step has
    checks: tuple[str, ...]  # its checks (`check` and `legit` blocks) as students read them
    quizzes: tuple[QuizView, ...]  # its questions, in order
    attack: bool  # an attack step: the lesson's end replays it against the student's hardening
    reflection: bool  # the closing reflection: questions on what was learned, nothing to do on the machine


@record
class LessonView:
    """An open lesson (`open_lesson`): its words and steps; the machine comes with `start`."""

    id: str  # the lesson's id
    title: str  # its title
    lang: str  # the language of its text
    summary: str  # a sentence or two
    minutes: int  # about how long it takes
    requires: tuple[str, ...]  # ids of the lessons to do first
    incident: str  # the real incident it mirrors ("" when none)
    path: str  # the lesson's file
    intro_html: str  # the introduction, rendered
    intro_markdown: str  # the introduction as Markdown
    vms: tuple[str, ...]  # the scenario's VMs by name, in domid order (a console each)
    steps: tuple[StepView, ...]  # the steps, in order
    program_name: str  # the guest program the editor opens with, by file name ("" when none)
    program: str  # its source: a program the student finishes (the editor's own sample when "")


@record
class Problems:
    """What could not be loaded: lessons that failed to parse, a progress file that could not be read."""

    lessons: tuple[str, ...]  # one `file:line: what` per lesson that failed to parse
    progress: str  # why the progress file was not usable and where it was kept ("" when it was)


@record
class Reloaded:
    """What `reload` found: whether a lesson file changed, and what became of the open lesson."""

    changed: bool  # a file under the lessons' folder changed since they were read
    lesson: LessonView | None  # the open lesson as it reads now (None: none open, or unchanged)
    restarted: bool  # its scenario changed (or its lesson could not keep it): the machine was built again
    problems: tuple[str, ...]  # `file:line: what` per lesson file that does not parse; the old one stays open


# ------------------------------------------------------------------ the machine


@record
class DiskView:
    """A VM's virtual disk (SBI BLK): its size and its I/O counters."""

    size: int  # bytes
    sectors: int  # 512-byte sectors
    reads: int  # read requests served
    writes: int  # write requests served
    sectors_read: int  # sectors read, over all requests
    sectors_written: int  # sectors written, over all requests


@record
class NicView:
    """A VM's virtual NIC: where it is plugged in, its addresses, its counters."""

    segment: str | None  # the network segment its port is on (None: not plugged in)
    mac: str  # 02:00:00:00:00:<domid>
    ip: str  # its IPv4 address
    pending: int  # frames received and not yet read by the guest
    counters: NicCounters  # frames and bytes each way, and drops


@record
class VmView:
    """One VM as the VMs panel shows it."""

    domid: int  # its domain ID (scenario order, from 0)
    name: str  # its name in the scenario
    state: str  # running, paused, halted, faulted or destroyed
    waiting: bool  # running but parked in `wfi` until input arrives
    control: bool  # the control domain (may use the privileged VMCTL calls once they are checked)
    weight: int  # its scheduler weight: its part of each accounting period's credit
    memory: int  # its RAM in bytes
    instret: int  # instructions it has retired
    share: float  # its share of the CPU now: its part of the clock over the scheduler's window, 0 to 1
    charged: float  # the part of the clock the scheduler charged it for over that window, 0 to 1
    hypercalls: int  # hypercalls it has made
    console_seq: int  # bytes it ever wrote to its console
    fault: str | None  # what stopped it, when it faulted
    nic: NicView | None  # its NIC, when it has one
    disk: DiskView | None  # its disk, when it has one


@record
class CheckView:
    """One of the current step's checks, as last evaluated."""

    check: str  # the check as written in the lesson (for instructors)
    sentence: str  # the check as students read it, in the lesson's language
    legit: bool  # a legitimate-use check (the `legit` block): what must keep working
    done: bool  # it held at the last evaluation
    error: str  # why it could not be evaluated ("" when it could)
    detail: str  # what it found, when it explains itself (`attack_blocked` does)
    line: int  # its line in the lesson file (0: not evaluated yet)


@record
class QuizState:
    """Where the student is with one question of the current step."""

    number: int  # its number in the step, from 1
    kind: str  # quiz or predict
    answered: bool  # a quiz: answered right; a prediction: answered (right or wrong)
    right: bool | None  # the last answer was right (null: none yet; a prediction's: until the step is done)
    attempts: int  # answers given
    answer: str  # the answer that counted: the right one, or the prediction ("" while none)
    explanation_html: str  # the explanation, once it may be shown ("" before, or when there is none)
    explanation_markdown: str  # the same as Markdown


@record
class StepProgressView:
    """One step in the student's progress: done or not, how far down the hint ladder they went."""

    index: int  # 0 is the first step
    done: bool  # the student did it (once, at least)
    hints_shown: int  # hints revealed: how far down the ladder the student went
    hints: int  # hints the step has
    attempts: int  # evaluations after the student's actions that found the step not yet done


@record
class PolicyState:
    """The policy in force: the preset it equals and every switch's value."""

    preset: str  # vulnerable, hardened, or custom
    values: dict[str, bool | int]  # switch key -> its value


@record
class MachineState:
    """The lesson's machine now: the step, the VMs, the checks, the policy."""

    lesson: str  # the lesson's id
    lang: str  # the language it was opened in
    step: int  # the current step (0 is the first)
    steps: int  # how many steps the lesson has
    done: bool  # the current step is done on this machine: show what was achieved and offer `next_step`
    finished: bool  # the student's progress says the lesson was finished (once, at least)
    complete: bool  # show the lesson as complete: finished, and on its last step
    running: bool  # the run loop runs the guests (`play`); false while paused
    time: int  # instructions retired by all VMs together: the machine's clock
    backend: str  # the CPU core: interp or unicorn
    seed: int | None  # the variant the machine is built in (None: the course as written)
    seat: str  # the student's console: the first VM that is not the control domain
    vms: tuple[VmView, ...]  # every VM, in domid order
    checks: tuple[CheckView, ...]  # the current step's checks as last evaluated (empty once past the end)
    quizzes: tuple[QuizState, ...]  # the current step's questions, answered or not
    progress: tuple[StepProgressView, ...]  # every step in the student's progress, hints used included
    policy: PolicyState  # the policy in force
    patches: tuple[str, ...]  # handlers replaced by a patch, as EXT.function


@record
class RunResult:
    """What a run of the guests did."""

    retired: int  # instructions retired
    reason: str  # why it stopped: budget (the count was reached), idle (every VM waits) or stopped
    time: int  # the machine's clock afterwards


@record
class RunState:
    """Whether the run loop runs the guests."""

    running: bool  # the guests run (`play`) or are paused
    time: int  # the machine's clock


@record
class ConsoleOutput:
    """A VM's console output after a given byte (`since`)."""

    vm: str  # the VM's name
    text: str  # the new output, decoded as UTF-8
    seq: int  # bytes the VM ever wrote: the `since` of the next read


# ------------------------------------------------------------------ the trace and the timeline


@record
class CodeLine:
    """One guest instruction shown under a hypercall: the code that led to its `ecall`."""

    pc: int  # its address
    word: int  # the instruction word
    text: str  # disassembled
    ecall: bool  # this is the `ecall` that trapped


@record
class HypercallView:
    """What a hypercall asked and what the hypervisor answered (SBI calling convention)."""

    pc: int  # the address of its `ecall`
    eid: int  # extension ID (a7)
    fid: int  # function ID (a6)
    ext: str  # the extension's name (DBCN, VMCTL, ...)
    fn: str  # the function's name
    args: tuple[int, ...]  # a0..a5 as passed
    error: int  # the SBI error code returned in a0 (0: success)
    error_name: str  # its name (SBI_SUCCESS, SBI_ERR_DENIED, ...)
    value: int  # the value returned in a1
    why: str  # the hypervisor's reason, when it refused or noticed something
    patched: bool  # a student's patch handled it
    code: tuple[CodeLine, ...]  # the instructions up to its `ecall` (timeline only; empty in `trace`)


@record
class PacketView:
    """Where a frame crossed the virtual switch."""

    segment: str  # the network segment
    port: str  # the port it came in by (a VM's name, or mgmt)
    len: int  # its length in bytes


@record
class TimelineItem:
    """One thing that happened: a hypercall, another hypervisor event, or a frame on the network."""

    seq: int  # its number in the list it came from (timeline or trace), from 1
    time: int  # when, on the machine's clock
    kind: str  # hypercall, frame, vm, fault, policy, patch, grant, dgram, mgmt, measure, ...
    domid: int  # the VM it concerns (a frame: the sending VM); -1: the hypervisor itself
    text: str  # one line saying what happened
    call: HypercallView | None  # the hypercall, for kind hypercall
    packet: PacketView | None  # where the frame went, for kind frame
    data: dict[str, int | str | bool]  # the event's details (e.g. a datagram's `to`), by name


@record
class TimelineItems:
    """Timeline items after `since`: the trace and every segment's frames, merged in time order."""

    items: tuple[TimelineItem, ...]  # the newest `limit` of them, oldest first
    seq: int  # the last item's number: the `since` of the next read
    epoch: int  # changes when the machine went back in time (a reset): read again from 0
    dropped: int  # items after `since` left out for the limit (a flood): counted, not listed


@record
class TraceEvents:
    """The hypervisor's trace after `since` (no frames, no code)."""

    events: tuple[TimelineItem, ...]  # the events, oldest first
    seq: int  # events ever traced: the `since` of the next read


# ------------------------------------------------------------------ the network


@record
class PortView:
    """A port of a segment's switch."""

    name: str  # the port's name: its VM's, or mgmt
    kind: str  # vnic or mgmt
    domid: int  # the VM behind it (-1: the management service)
    counters: PortCounters  # frames and bytes each way, and drops


@record
class FrameSummary:
    """A captured frame, decoded in one line."""

    time: int  # when it entered the switch
    port: str  # the port it came in by
    len: int  # its length in bytes
    summary: str  # what it is (ARP, IPv4/UDP, ICMP echo, ...), as tshark would say it


@record
class SegmentView:
    """One network segment: a learning switch, its ports and its capture."""

    name: str  # the segment's name
    counters: SegmentCounters  # frames forwarded, flooded, filtered, dropped
    ports: tuple[PortView, ...]  # its ports
    mac_table: dict[str, str]  # MAC address -> the port it was learnt on
    frames: tuple[FrameSummary, ...]  # the last frames it captured, oldest first


@record
class VnicView:
    """A VM's NIC, as the network panel lists it."""

    vm: str  # the VM's name
    domid: int  # its domid
    segment: str | None  # the segment it is plugged into
    mac: str  # its MAC address
    ip: str  # its IPv4 address
    pending: int  # frames waiting for the guest
    counters: NicCounters  # frames and bytes each way, and drops


@record
class MgmtView:
    """The hypervisor's management service: where it listens and what it has seen."""

    name: str  # its port's name
    ip: str  # its IPv4 address
    mac: str  # its MAC address
    port: int  # its UDP port
    segment: str | None  # the segment it listens on
    queued: int  # requests waiting in its queue
    sessions: int  # logged-in sessions (tokens)
    counters: MgmtCounters  # requests, logins, lockouts, drops


@record
class NetworkView:
    """The virtual network: every segment, every VM's NIC, the management service."""

    segments: tuple[SegmentView, ...]  # the segments, in scenario order
    vnics: tuple[VnicView, ...]  # every VM's NIC
    mgmt: MgmtView | None  # the management service, when the scenario has one


@record
class GrantView:
    """A page a VM offered another (an entry of its grant table)."""

    ref: int  # the grant reference
    grantee: int  # the domid it was granted to
    gpa: int  # the granted page's guest-physical address
    readonly: bool  # granted read-only
    flags: int  # the flags as passed (bit 0: read-only)


@record
class MappingView:
    """A page of another VM mapped into this one's grant window."""

    gpa: int  # where it is mapped
    granter: int  # the domid that granted it
    ref: int  # the grant reference it used
    writable: bool  # mapped writable


@record
class GrantTable:
    """One VM's grants: what it offered others and what it mapped from them."""

    vm: str  # the VM's name
    domid: int  # its domid
    grants: tuple[GrantView, ...]  # its grant table
    mapped: tuple[MappingView, ...]  # its mappings


# ------------------------------------------------------------------ policy, patches, the editor


@record
class PolicySwitch:
    """A hardening switch with its value and what it is about."""

    key: str  # e.g. hypercall.authorize
    group: str  # the part before the dot
    value: bool | int  # its value now
    kind: str  # bool or int
    vulnerable: bool | int  # its value in the vulnerable preset
    hardened: bool | int  # its value in the hardened preset
    checks: str  # what the hardened hypervisor checks (Markdown)
    mirrors: str  # the real bug its vulnerable form mirrors (Markdown)
    cost: str  # where the check sits, what it costs ("" when nothing to say; Markdown)
    checks_html: str  # `checks` rendered for a paragraph (raw HTML escaped, no <p>)
    mirrors_html: str  # `mirrors` rendered the same way
    cost_html: str  # `cost` rendered the same way ("" when nothing to say)


@record
class PatchSource:
    """A hypercall handler's source for the editor: the student's patch if one is active."""

    handler: str  # EXT.function
    source: str  # Python source that runs as a patch as it stands
    patched: bool  # this is the student's active patch, not the original
    params: tuple[str, ...]  # the handler's argument names after (hv, vm)


@record
class SourceError:
    """One assembler error, at the editor's line."""

    line: int  # the line in the editor (an error inside an included file: its `.include` line)
    col: int  # the column (0: not known)
    message: str  # what is wrong


# ------------------------------------------------------------------ detection


@record
class RuleView:
    """A detection rule that watches the machine."""

    id: str  # its id, unique in the rule set
    title: str  # what it detects
    level: str  # informational, low, medium, high or critical
    source: str  # what it watches: hypercall, event or frame
    counting: bool  # it counts matches over a window (`[rule.count]`) instead of firing on each
    enabled: bool  # false: read and checked, but it never fires
    fired: int  # its detections on this machine since the rules were loaded


@record
class DetectionView:
    """A rule that fired: on what, when, about whom."""

    seq: int  # its number, from 1: the `since` of the next read
    rule: str  # the rule's id
    title: str  # the rule's title
    level: str  # informational, low, medium, high or critical
    source: str  # hypercall, event or frame
    time: int  # when, on the machine's clock
    vm: str  # the VM it is about (a frame: the VM whose switch port sent it; mgmt, hv)
    domid: int  # that VM's domid (-1: the hypervisor or the management service)
    text: str  # the hypercall, event or frame it fired on, as the trace or the capture shows it
    output: str  # the rule's own line about it (its `output`, filled in)
    count: int  # a counting rule: the matches (or distinct values) in its window; else 1
    since: int  # a counting rule: the time of the window's first match; else `time`
    group: str  # a counting rule: the values of its `by` fields (`port=ci`); else ""


@record
class DetectionsView:
    """The detection rules watching the machine and what they found, after `since`."""

    loaded: bool  # rules are loaded (else nothing watches the machine)
    rules: tuple[RuleView, ...]  # the rules, in file order
    items: tuple[DetectionView, ...]  # detections after `since`, the newest `limit`, oldest first
    seq: int  # detections ever made: the `since` of the next read
    dropped: int  # detections after `since` left out for the limit, or no longer kept (2,000 are)
    lost: int  # records or frames the rules could not read in time (0: they saw everything)


@record
class RulesSource:
    """The detection rules for the editor."""

    text: str  # the rules watching the machine, as written; else a template to start from
    loaded: bool  # the text is the rules watching the machine (false: the template)
    path: str  # where they came from: a lesson's file, or `editor`


@record
class RulesChecked:
    """Detection rules read and checked (`check_rules`), or every problem at its line."""

    ok: bool  # they are valid
    rules: int  # how many rules (0 when not valid)
    errors: tuple[SourceError, ...]  # every problem at its line (col 0)


@record
class RunView:
    """One recorded run of the scoring corpus."""

    id: str  # an attack: lesson id / step number (`control-api/2`); honest work: `legit/<id>`
    title: str  # the step's title, or the honest run's


@record
class RuleScoreView:
    """One rule against the recorded runs."""

    rule: str  # the rule's id
    detected: tuple[str, ...]  # attack runs it fired in
    false_positives: tuple[str, ...]  # honest runs it fired in
    fired: int  # its detections in all the runs
    example: str  # its first detection in an attack, as its output says it ("" when none)
    false_example: str  # its first detection in honest work ("" when none)


@record
class RulesScore:
    """The loaded rules scored against the lab's recorded runs (`score_rules`)."""

    ok: Literal[True] = True  # always true
    summary: str  # one line: attacks detected, honest runs with a false positive
    lesson: str  # the lesson whose attacks were scored ("": the whole course)
    attacks: int  # attack runs scored
    detected: int  # ... detected by some rule
    legit: int  # honest runs scored
    missed: tuple[RunView, ...]  # attack runs no rule fired in
    false_positives: tuple[RunView, ...]  # honest runs some rule fired in
    rules: tuple[RuleScoreView, ...]  # per rule, in file order


# ------------------------------------------------------------------ command results


@record
class Refused:
    """A command that did not apply: something the student can get wrong (a bad value, a patch
    that does not compile) or that does not exist here (no network). Nothing changed."""

    ok: Literal[False] = False  # always false: tells a refusal from a result
    error: str  # why, in words for the student
    line: int | None = None  # where in the submitted text (a patch), when that is known


@record
class Done:
    """A command that did what it was asked and has nothing more to say."""

    ok: Literal[True] = True  # always true


@record
class PolicySet:
    """A switch that was set."""

    ok: Literal[True] = True  # always true
    key: str  # the switch
    value: bool | int  # its value now


@record
class RulesLoaded:
    """Detection rules that now watch the machine."""

    ok: Literal[True] = True  # always true
    rules: int  # how many
    path: str  # where they came from (`editor` for the editor's text)


@record
class PatchResult:
    """A handler patched, or back to its original."""

    ok: Literal[True] = True  # always true
    handler: str  # EXT.function


@record
class VmControlled:
    """A VM paused, unpaused, rebooted or destroyed."""

    ok: Literal[True] = True  # always true
    vm: str  # the VM's name
    state: str  # its state now


@record
class Assembly:
    """Editor text assembled (and, for `load_source`, booted in a VM), or why not."""

    ok: bool  # it assembled (and loaded)
    size: int  # bytes of machine code (0 when it did not assemble)
    entry: int  # the entry point (0 when it did not assemble)
    errors: tuple[SourceError, ...]  # every error, at its line
    vm: str | None  # the VM it was loaded into (`load_source`)


@record
class PcapSaved:
    """A segment's capture written as a pcap file."""

    ok: Literal[True] = True  # always true
    path: str  # the file, absolute
    frames: int  # frames written
    size: int  # bytes written


@record
class MgmtReply:
    """The management console's answer."""

    ok: bool  # the service answered OK (false: ERR ...)
    reply: str  # its answer as it wrote it


@record
class Measured:
    """What the current hardening costs on this machine (the `measure` action)."""

    ok: Literal[True] = True  # always true
    summary: str  # one line, also in the trace as `measured: ...`
    measurement: CostMeasurement  # the figures


@record
class HintView:
    """A hint of the current step."""

    index: int  # 0 is the first hint; -1: the step has none
    text: str  # as Markdown, the student's own values filled in
    html: str  # rendered
    left: int  # hints after this one


@record
class QuizAnswered:
    """An answer to a question of the current step, judged (`answer`)."""

    ok: Literal[True] = True  # always true: the answer was taken (right or wrong)
    quiz: QuizState  # the question now: a quiz answered wrong stays open for another try


@record
class Evaluation:
    """The current step's checks evaluated. When they hold (after every prediction was answered)
    and every quiz is answered right, the step is done: it stays on screen with what was achieved
    until the student moves on (`next_step`)."""

    step: int  # the current step (whose checks are listed)
    checks: tuple[CheckView, ...]  # its checks (not evaluated while a prediction is unanswered)
    quizzes: tuple[QuizState, ...]  # its questions
    predicted: bool  # every prediction of the step is answered: its checks count
    done: bool  # the step is done (on the last step: the lesson is complete)
    done_now: bool  # ... and this evaluation made it so: say "well done", once
    finished: bool  # the lesson is complete
    finished_now: bool  # ... and this evaluation completed it: say so, once


# ------------------------------------------------------------------ the student and their record


@record
class StudentView:
    """Who the student says they are, their seed, and how much their record holds."""

    name: str  # the name or id they gave with their course seed ("" when none)
    seed: int | None  # the seed every machine is built in (null: the course as written)
    runs: int  # machines built and recorded (one each time a lesson starts)
    events: int  # things done and recorded, over all runs


@record
class RecordExport:
    """The student's record as one file to hand in (`hvlab verify` replays it)."""

    filename: str  # a name to save it under
    text: str  # the file's text: JSON (docs: reference/record.md)
    runs: int  # runs it holds
    events: int  # events it holds, over all runs


# ------------------------------------------------------------------ the run loop


class Panel(StrEnum):
    """What a frame carries besides the machine's state, when the front end follows it."""

    TIMELINE = "timeline"  # new timeline items (the trace panel shows them too)
    NETWORK = "network"  # the network view
    GRANTS = "grants"  # every VM's grant table
    DETECTIONS = "detections"  # the detection rules and their new detections


@record
class Frame:
    """What changed since the last frame: what a front end draws. After `reset`, everything
    it showed of the old machine goes, and the consoles and lists start from the beginning."""

    state: MachineState  # the machine now
    mips: float  # guest instructions a second (millions), over the last slices; 0 when idle or paused
    retired: int  # instructions retired since the last frame
    reset: bool  # the machine went back in time or is a new one: clear consoles, lists and marks first
    consoles: tuple[ConsoleOutput, ...]  # new console output, one entry per VM that wrote some
    timeline: TimelineItems | None  # new timeline items (when the timeline is followed)
    network: NetworkView | None  # the network (when followed and the scenario has one)
    grants: tuple[GrantTable, ...] | None  # the grant tables (when followed)
    detections: DetectionsView | None  # the rules and their new detections (when followed)
    evaluation: Evaluation | None  # the checks, when they were evaluated since the last frame
    hints: tuple[HintView, ...] | None  # the step's hints shown so far, when the step is new to the front end


@record
class Advance:
    """One turn of the run loop (`advance`): a slice of guest work, checks when due, maybe a frame."""

    frame: Frame | None  # what to draw, at most every FRAME_SECONDS (None: nothing due yet)
    running: bool  # the guests still run: call `advance` again (false: paused, stop the loop)
    wait: float  # seconds to wait before the next call (0 while guests have work)
