"""What the panels show, read off the live machine: each view a record (lab.session.records).

    vm_views(hv)              # the VMs panel
    network_view(hv)          # segments, ports, NICs, the management service (None: no network)
    grant_tables(hv)          # every VM's grant table and mappings
    policy_switches(hv)       # every switch with its value and what it is about
    detections_view(sensor)   # the detection rules and what they found
    lesson_view(lesson, seed) # an open lesson's words and steps (checks as sentences, questions
                              #   without their answers, no instructor notes)
    quiz_state(quiz, record, revealed)   # where the student is with one question

Views are snapshots: nothing in one refers back to the machine (counters are copied),
so a front end may keep it while the guests run on. The session (lab.session.session)
puts them together; nothing here changes the machine.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from lab.hv.policy import SWITCHES
from lab.lesson.engine import CheckResult
from lab.lesson.model import Call, Lesson, Quiz, QuizKind
from lab.lesson.parser import render, render_inline
from lab.lesson.progress import QuizProgress, StepProgress
from lab.lesson.sentences import sentence
from lab.net.frames import describe
from lab.session.course import own_words
from lab.session.records import (
    CheckView,
    DetectionsView,
    DetectionView,
    DiskView,
    FrameSummary,
    GrantTable,
    GrantView,
    HintView,
    LessonSummary,
    LessonView,
    MappingView,
    MgmtView,
    NetworkView,
    NicView,
    PolicyState,
    PolicySwitch,
    PortView,
    QuizState,
    QuizView,
    RuleScoreView,
    RulesScore,
    RuleView,
    RunView,
    SegmentView,
    StepProgressView,
    StepView,
    VmView,
    VnicView,
)
from lab.session.timeline import port_domids

if TYPE_CHECKING:
    from lab.detect import Detection, Sensor
    from lab.hv import Hypervisor, Vm
    from lab.lesson.corpus import Score

NETWORK_FRAMES = 20  # recent frames a segment's view lists


# ------------------------------------------------------------------ lessons


def _front_matter(lesson: Lesson) -> dict[str, Any]:
    """What the picker and the open lesson both say about a lesson (its front matter)."""
    return {
        "id": lesson.id,
        "title": lesson.title,
        "lang": lesson.lang,
        "summary": lesson.summary,
        "minutes": lesson.minutes,
        "requires": tuple(lesson.requires),
        "incident": lesson.incident,
        "path": str(lesson.path),
    }


def lesson_summary(lesson: Lesson, *, done_steps: int, finished: bool) -> LessonSummary:
    return LessonSummary(
        **_front_matter(lesson), steps=len(lesson.steps), done_steps=done_steps, finished=finished
    )


def lesson_view(lesson: Lesson, seed: int | None) -> LessonView:
    def own(text: str, *, as_html: bool = False) -> str:
        return own_words(lesson, text, seed, as_html=as_html)

    return LessonView(
        **_front_matter(lesson),
        intro_html=own(lesson.intro_html, as_html=True),
        intro_markdown=own(lesson.intro_markdown),
        vms=tuple(lesson.vm_names),
        steps=tuple(
            StepView(
                index=s.index,
                title=s.title,
                html=own(s.html, as_html=True),
                markdown=own(s.markdown),
                hints=len(s.hints),
                checks=tuple(sentence(c, lesson.lang) for c in s.all_checks),
                quizzes=tuple(quiz_view(q, own) for q in s.quizzes),
                attack=s.is_attack,
                reflection=s.is_reflection and s is lesson.steps[-1],
            )
            for s in lesson.steps
        ),
        program_name=lesson.program_name,
        program=lesson.program,
    )


def quiz_view(quiz: Quiz, own: Callable[..., str] = lambda text, **_: text) -> QuizView:
    """A question as the student sees it: no right answers, no explanation (that comes later)."""
    return QuizView(
        number=quiz.number,
        kind=quiz.kind.value,
        question_html=own(quiz.question_html, as_html=True),
        question_markdown=own(quiz.question),
        choices_html=tuple(own(c.html, as_html=True) for c in quiz.choices),
        choices_markdown=tuple(own(c.markdown) for c in quiz.choices),
        multiple=quiz.multiple,
    )


def quiz_state(quiz: Quiz, record: QuizProgress | None, *, revealed: bool) -> QuizState:
    """Where the student is with a question. A prediction's rightness and explanation wait
    until `revealed` (the step is done); a quiz's explanation comes once it is answered right."""
    prediction = quiz.kind is QuizKind.PREDICT
    answered = record is not None and (record.right is True or (prediction and bool(record.answer)))
    shown = answered and (revealed or not prediction)
    right = record.right if record is not None and (shown or not prediction) else None
    return QuizState(
        number=quiz.number,
        kind=quiz.kind.value,
        answered=answered,
        right=right,
        attempts=record.attempts if record is not None else 0,
        answer=record.answer if answered and record is not None else "",
        explanation_html=quiz.explanation_html if shown else "",
        explanation_markdown=quiz.explanation if shown else "",
    )


def progress_views(lesson: Lesson, steps: dict[int, StepProgress]) -> tuple[StepProgressView, ...]:
    """Every step of the lesson in the student's progress."""
    out = []
    for s in lesson.steps:
        p = steps.get(s.index) or StepProgress()
        out.append(
            StepProgressView(
                index=s.index,
                done=p.done,
                hints_shown=min(p.hints, len(s.hints)),
                hints=len(s.hints),
                attempts=p.attempts,
            )
        )
    return tuple(out)


def hint_view(lesson: Lesson, hints: list[str], index: int, seed: int | None) -> HintView:
    text = own_words(lesson, hints[index], seed)
    return HintView(index=index, text=text, html=render(text), left=len(hints) - index - 1)


NO_HINT = HintView(index=-1, text="", html="", left=0)


def check_views(
    calls: list[Call], results: list[CheckResult], *, lang: str, legit: set[int] | None = None
) -> tuple[CheckView, ...]:
    """The checks with their last evaluated state (not evaluated here: not yet is not done), each
    with the sentence a student reads in `lang`; `legit`: the ids of the legitimate-use calls."""
    known = {id(r.call): r for r in results}
    out = []
    for c in calls:
        r = known.get(id(c))
        out.append(
            CheckView(
                check=c.text,
                sentence=sentence(c, lang),
                legit=id(c) in (legit or set()),
                done=r.ok if r else False,
                error=r.error if r else "",
                detail=r.detail if r else "",
                line=c.line,
            )
        )
    return tuple(out)


# ------------------------------------------------------------------ the machine


def vm_state(vm: Vm) -> str:
    return "destroyed" if vm.destroyed else vm.state.label


def vm_views(hv: Hypervisor) -> tuple[VmView, ...]:
    ran, charged = hv.scheduler.shares(hv.time)
    return tuple(
        VmView(
            domid=vm.domid,
            name=vm.name,
            state=vm_state(vm),
            waiting=vm.waiting,
            control=vm.control,
            weight=vm.weight,
            memory=vm.ram_size,
            instret=vm.cpu.instret,
            share=ran[vm.domid] if vm.domid < len(ran) else 0.0,
            charged=charged[vm.domid] if vm.domid < len(charged) else 0.0,
            hypercalls=vm.hypercalls,
            console_seq=vm.console_seq,
            fault=vm.fault.describe() if vm.fault else None,
            nic=nic_view(hv, vm.domid),
            disk=disk_view(vm),
        )
        for vm in hv.vms
    )


def seat(hv: Hypervisor) -> str:
    """The student's seat: the first VM that is not the control domain (else the first VM)."""
    return next((vm.name for vm in hv.vms if not vm.control), hv.vms[0].name if hv.vms else "")


def policy_state(hv: Hypervisor) -> PolicyState:
    return PolicyState(preset=hv.policy.name, values=hv.policy.to_dict())


def policy_switches(hv: Hypervisor) -> tuple[PolicySwitch, ...]:
    return tuple(
        PolicySwitch(
            key=s.key,
            group=s.group,
            value=hv.policy[s.key],
            kind=s.kind.__name__,
            vulnerable=s.vulnerable,
            hardened=s.hardened,
            checks=s.checks,
            mirrors=s.mirrors,
            cost=s.cost,
            checks_html=render_inline(s.checks),
            mirrors_html=render_inline(s.mirrors),
            cost_html=render_inline(s.cost) if s.cost else "",
        )
        for s in SWITCHES
    )


def nic_view(hv: Hypervisor, domid: int) -> NicView | None:
    """A VM's vNIC: where it sits, its addresses and counters; None when it has no NIC."""
    nic = hv.net.vnics.get(domid) if hv.net is not None else None
    if nic is None:
        return None
    return NicView(
        segment=nic.port.segment.name if nic.port is not None else None,
        mac=nic.mac,
        ip=nic.ip,
        pending=nic.pending,
        counters=copy.copy(nic.counters),
    )


def disk_view(vm: Vm) -> DiskView | None:
    """A VM's virtual disk: its size in bytes and its I/O counters; None when it has none."""
    if vm.disk is None:
        return None
    return DiskView(size=vm.disk.size, **vm.disk.counters())


def network_view(hv: Hypervisor, *, frames: int = NETWORK_FRAMES) -> NetworkView | None:
    """The virtual network, or None when the scenario has none."""
    net = hv.net
    if net is None:
        return None
    domids = port_domids(hv)
    segments = tuple(
        SegmentView(
            name=name,
            counters=copy.copy(seg.counters),
            ports=tuple(
                PortView(
                    name=port.name,
                    kind=port.kind.value,
                    domid=domids.get(port.name, -1),
                    counters=copy.copy(port.counters),
                )
                for port in seg.ports
            ),
            mac_table={mac: port.name for mac, port in seg.mac_table.items()},
            frames=tuple(
                FrameSummary(time=c.time, port=c.port, len=len(c.frame), summary=describe(c.frame))
                for c in list(seg.capture)[-frames:]
            )
            if frames > 0
            else (),
        )
        for name, seg in net.network.segments.items()
    )
    vnics = []
    for domid, nic in net.vnics.items():
        vnics.append(
            VnicView(
                vm=hv.vms[domid].name,
                domid=domid,
                segment=nic.port.segment.name if nic.port is not None else None,
                mac=nic.mac,
                ip=nic.ip,
                pending=nic.pending,
                counters=copy.copy(nic.counters),
            )
        )
    mgmt = net.mgmt
    service = None
    if mgmt is not None:
        service = MgmtView(
            name=mgmt.name,
            ip=mgmt.ip,
            mac=mgmt.mac,
            port=mgmt.udp_port,
            segment=mgmt.port.segment.name if mgmt.port is not None else None,
            queued=len(mgmt.queue),
            sessions=len(mgmt.sessions),
            counters=copy.copy(mgmt.counters),
        )
    return NetworkView(segments=segments, vnics=tuple(vnics), mgmt=service)


def grant_tables(hv: Hypervisor) -> tuple[GrantTable, ...]:
    """Every VM's grant table (what it granted) and its mappings (what it mapped)."""
    mappings = list(hv.grants.mappings)
    return tuple(
        GrantTable(
            vm=vm.name,
            domid=vm.domid,
            grants=tuple(
                GrantView(ref=ref, grantee=e.domid, gpa=e.gpa, readonly=e.readonly, flags=e.flags)
                for ref, e in hv.grants.entries(vm.domid)
            ),
            mapped=tuple(
                MappingView(gpa=m.gpa, granter=m.granter, ref=m.ref, writable=m.writable)
                for m in mappings
                if m.grantee == vm.domid
            ),
        )
        for vm in hv.vms
    )


# ------------------------------------------------------------------ detection


def detection_view(seq: int, found: Detection) -> DetectionView:
    return DetectionView(
        seq=seq,
        rule=found.rule,
        title=found.title,
        level=found.level,
        source=found.source,
        time=found.time,
        vm=found.vm,
        domid=found.domid,
        text=found.text,
        output=found.output,
        count=found.count,
        since=found.since,
        group=found.group,
    )


NO_RULES: Final = DetectionsView(loaded=False, rules=(), items=(), seq=0, dropped=0, lost=0)


def detections_view(sensor: Sensor | None, since: int = 0, limit: int = 200) -> DetectionsView:
    """The rules watching the machine and their detections after number `since` (the newest `limit`)."""
    if sensor is None:
        return NO_RULES
    kept = sensor.detections(since)
    shown = kept[-limit:] if limit > 0 else []
    rules = tuple(
        RuleView(
            id=r.id,
            title=r.title,
            level=r.level.value,
            source=r.source.value,
            counting=r.count is not None,
            enabled=r.enabled,
            fired=sensor.counts.get(r.id, 0),
        )
        for r in sensor.rules.rules
    )
    return DetectionsView(
        loaded=True,
        rules=rules,
        items=tuple(detection_view(seq, d) for seq, d in shown),
        seq=sensor.seq,
        dropped=max(0, sensor.seq - max(since, 0)) - len(shown),
        lost=sensor.lost,
    )


def rules_score(score: Score, lesson: str = "") -> RulesScore:
    """A rule set's score against the recorded runs, as the panel shows it."""
    return RulesScore(
        summary=score.summary(),
        lesson=lesson,
        attacks=len(score.attacks),
        detected=score.detected,
        legit=len(score.legit),
        missed=tuple(RunView(id=r.id, title=r.title) for r in score.missed),
        false_positives=tuple(RunView(id=r.id, title=r.title) for r in score.false_positives),
        rules=tuple(
            RuleScoreView(
                rule=r.rule,
                detected=tuple(r.detected),
                false_positives=tuple(r.false_positives),
                fired=r.fired,
                example=r.example.output if r.example is not None else "",
                false_example=r.false_example.output if r.false_example is not None else "",
            )
            for r in score.rules
        ),
    )
