"""The Session: the one object a front end talks to.

It opens a lesson and builds its machine (lab.lesson.engine.Lab, exactly as the
validator runs it, so what `hvlab lessons check` proves is what the student meets),
takes the student's commands, runs the guests in slices, evaluates the step's checks
on the cadence lab.session.control defines, and hands out what to draw as typed
records (lab.session.records). Every public method is a `query` or a `command`
(lab.session.protocol), which the protocol reference documents. Every command passes
through `_after_command`, which keeps the student's record (lab.session.record): what they
did, when on the machine's clock, for `hvlab verify` to replay.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from lab.hv import Vm
from lab.hv.patch import PatchError
from lab.lesson import actions, corpus
from lab.lesson.engine import ActionError, CheckResult, Lab, StepMarks
from lab.lesson.model import Lesson, LessonError, QuizKind
from lab.lesson.quiz import MAX_ANSWER_CHARS
from lab.lesson.registry import handler_key
from lab.scenario import fingerprint
from lab.session import control, editor, views
from lab.session.control import Cadence, Pace, Watch
from lab.session.course import DEFAULT_LESSONS, Catalogue, ProgressBook, SeedChoice, SessionError
from lab.session.protocol import Invocation, command, query, to_json
from lab.session.record import (
    IDLE,
    RECORDED,
    Answered,
    Event,
    Journal,
    Run,
    engine,
    lesson_fingerprint,
    machine_digest,
    outcome,
    record_text,
)
from lab.session.records import (
    Advance,
    Assembly,
    CheckView,
    ConsoleOutput,
    DetectionsView,
    Done,
    Evaluation,
    Frame,
    GrantTable,
    HintView,
    LessonSummary,
    LessonView,
    MachineState,
    Measured,
    MgmtReply,
    NetworkView,
    Panel,
    PatchResult,
    PatchSource,
    PcapSaved,
    PolicySet,
    PolicySwitch,
    Problems,
    QuizAnswered,
    QuizState,
    RecordExport,
    Refused,
    Reloaded,
    RulesChecked,
    RulesLoaded,
    RulesScore,
    RulesSource,
    RunResult,
    RunState,
    StudentView,
    TimelineItems,
    TraceEvents,
    VmControlled,
)
from lab.session.timeline import Timeline, trace_events
from lab.trace_messages import (
    DESTROYED_AT_CONSOLE,
    PAUSED_AT_CONSOLE,
    REBOOTED_AT_CONSOLE,
    UNPAUSED_AT_CONSOLE,
)


class VmAction(StrEnum):
    """What the VMs panel (and the hypervisor's own console) may do to one VM."""

    PAUSE = "pause"
    UNPAUSE = "unpause"
    REBOOT = "reboot"
    DESTROY = "destroy"


@dataclass(frozen=True, slots=True)
class _Before:
    """The machine as a command found it: when (on its clock) and where (the step) it took effect."""

    time: int
    step: int
    complete: bool


class Session:
    """One student's lab: the course, their progress, and the machine of the lesson they are in."""

    def __init__(
        self,
        lessons_dir: str | Path = DEFAULT_LESSONS,
        backend: str = "interp",
        *,
        progress_path: str | Path | None = None,
        seed: SeedChoice = None,
        clock: Callable[[], float] = time.time,
        timer: Callable[[], float] = time.monotonic,
        journal: Journal | None = None,
    ) -> None:
        self.backend = backend
        self.catalogue = Catalogue(lessons_dir)
        self.book = ProgressBook(progress_path, seed=seed, clock=clock)
        # The student's record (lab.session.record): a file next to the progress (the TUI's),
        # or in memory (the page keeps its lines; a replay compares them).
        self.journal = journal if journal is not None else Journal()
        self.lesson: Lesson | None = None
        self.lab: Lab | None = None
        self.running = False  # the run loop runs the guests (`play`)
        self._results: list[CheckResult] = []  # the current step's checks, as last evaluated
        # The current step is done on this machine: it stays so (its checks are no longer
        # evaluated) until the student moves on; the next step will begin where it was done.
        self._complete = False
        self._next_marks: StepMarks | None = None
        self._finish_announced = False  # "lesson complete" was said (or the lesson opened complete)
        self._timeline = Timeline()
        self._pace = Pace()
        self._cadence = Cadence(timer)
        self._watch = Watch(timer)
        self._follow: frozenset[Panel] = frozenset()
        self._built_from = ""  # the scenario's fingerprint when the machine was built (reload)

    @property
    def lessons_dir(self) -> Path:
        return self.catalogue.directory

    @property
    def seed(self) -> int | None:
        """The variant the machines are built in: a fixed seed, the student's own (seed="student"),
        or None for the course as written."""
        return self.book.seed

    def _before_command(self, name: str) -> _Before | None:
        """Every command begins here (lab.session.protocol.command): the machine's clock and step."""
        lab = self.lab
        if lab is None or not lab.started:
            return None
        return _Before(lab.hv.time, lab.step_index, self._complete)

    def _after_command(self, call: Invocation) -> None:
        """Every command ends here (lab.session.protocol.command): an attempt makes the checks
        due, and the record takes down what the student did (RECORDED), at the machine time
        it took effect; a machine built (`start`) begins a new run of the record."""
        lab = self.lab
        if lab is None or not lab.started:
            return
        if call.attempt:
            self._cadence.acted()
        if call.name == "start":
            self._begin_run(lab)
            return
        before = call.before
        if call.name not in RECORDED or before is None:
            return
        if call.name == "evaluate" and (before.complete or not call.result.done):
            return  # only the evaluation that found the step done matters to a replay
        ok, said = outcome(call.name, call.result)
        self.journal.note(
            Event(
                t=self._now(),
                time=before.time,
                step=before.step,
                cmd=call.name,
                args=to_json(call.arguments),
                ok=ok,
                outcome=said,
                after=self._digest(lab, said),
            )
        )

    def _now(self) -> float:
        return round(self.book.clock(), 3)

    def _digest(self, lab: Lab, said: str = "") -> str:
        return machine_digest(
            lab.hv,
            seed=lab.seed,
            step=lab.step_index,
            complete=self._complete,
            answers=lab.answers,
            outcome=said,
        )

    def _begin_run(self, lab: Lab) -> None:
        lesson = lab.lesson
        self.journal.begin(
            Run(
                lesson=lesson.id,
                lang=lesson.lang,
                title=lesson.title,
                steps=len(lesson.steps),
                file=lesson_fingerprint(lesson.path),
                seed=lab.seed,
                backend=self.backend,
                engine=engine(),
                started=self._now(),
                time=lab.hv.time,
                from_step=lab.step_index,
                answers=tuple(Answered(step=s, quiz=q, right=r) for (s, q), r in sorted(lab.answers.items())),
                after=self._digest(lab),
                events=(),
            )
        )

    def _ran_idle(self, lab: Lab) -> None:
        """A run of the guests ended with every one waiting (or stopped): the network had one
        more tick at this time, which a replay must give it too."""
        self.journal.idle(
            Event(
                t=self._now(),
                time=lab.hv.time,
                step=lab.step_index,
                cmd=IDLE,
                args={},
                ok=True,
                outcome="",
                after=self._digest(lab),
            )
        )

    def _need_lab(self) -> Lab:
        if self.lab is None or not self.lab.started:
            raise SessionError("no lesson is running: open_lesson() then start()")
        return self.lab

    def _need_lesson(self) -> tuple[Lab, Lesson]:
        lab = self._need_lab()
        assert self.lesson is not None
        return lab, self.lesson

    def _vm(self, ref: str | int) -> Vm:
        try:
            return self._need_lab().vm(ref)
        except ActionError as exc:
            raise SessionError(str(exc)) from None

    # ------------------------------------------------------------------ the course

    @query
    def list_lessons(self, lang: str = "en") -> tuple[LessonSummary, ...]:
        """One entry per lesson id, in `lang` where translated (else English), in file order."""
        book = self.book
        return tuple(
            views.lesson_summary(
                self.catalogue.find(lesson_id, lang),
                done_steps=book.done_steps(lesson_id),
                finished=bool(lesson_id in book.progress.lessons and book.finished(lesson_id)),
            )
            for lesson_id in self.catalogue.ids()
        )

    @query
    def problems(self) -> Problems:
        """Lessons that failed to parse, and why the progress file was not usable."""
        self.catalogue.all()
        return Problems(lessons=tuple(self.catalogue.problems), progress=self.book.problem)

    @command()
    def open_lesson(self, lesson_id: str, lang: str = "en") -> LessonView:
        """Choose a lesson: its words and steps (the machine is built by `start`)."""
        self.close()
        self.lesson = self.catalogue.find(lesson_id, lang)
        return views.lesson_view(self.lesson, self.seed)

    @command(page=False)
    def close(self) -> None:
        """Leave the lesson: the machine goes (the progress stays, and so does the record, written
        out to its last idle poll: a front end's engine may end right after)."""
        self.journal.flush()
        if self.lab is not None:
            self.lab.close()
        self.lab = None
        self.running = False
        self._results = []
        self._complete, self._next_marks = False, None
        self._timeline.forget()  # the next machine is a new epoch; the old one can go
        self._watch.forget()

    @command()
    def start(self, *, resume: bool = True) -> MachineState:
        """Build the lesson's machine. With `resume`, replay the solutions of the steps before
        the first one the progress says is not done, so the student continues there."""
        if self.lesson is None:
            raise SessionError("no lesson open: call open_lesson() first")
        lesson = self.lesson
        self.close()
        self.lab = Lab(lesson, backend=self.backend, seed=self.seed)
        self._built_from = fingerprint(lesson.scenario)
        try:
            self.lab.start()
            upto = self.book.first_open(lesson.id, len(lesson.steps)) if resume else 0
            for i in range(upto):
                self.lab.play(i)
            self.lab.begin_step(upto)
        except (LessonError, ActionError) as exc:
            raise SessionError(str(exc)) from None
        self._own_answers()
        self._finish_announced = self.book.finished(lesson.id) and upto >= len(lesson.steps) - 1
        self._step_began(upto)
        return self.state()

    def _own_answers(self) -> None:
        """The machine knows what the student answered (the replayed solutions answered too)."""
        lab, lesson = self._need_lesson()
        for step in lesson.steps:
            for quiz in step.quizzes:
                record = self.book.quiz(lesson.id, step.index, quiz.number)
                if record is None:
                    continue
                if record.right or (quiz.kind is QuizKind.PREDICT and record.answer):
                    lab.answers[(step.index, quiz.number)] = bool(record.right)

    @query
    def lesson_view(self) -> LessonView:
        """The open lesson's words and steps, as `open_lesson` gave them, leaving its machine
        as it is: for a front end that attaches to a running lesson (after `reload`)."""
        if self.lesson is None:
            raise SessionError("no lesson open: call open_lesson() first")
        return views.lesson_view(self.lesson, self.seed)

    @command()
    def reload(self) -> Reloaded:
        """Read the lessons again if a file under their folder changed: an instructor's
        preview (`hvlab lessons preview`) calls it about once a second. The open lesson is
        read afresh; its machine is kept when its scenario and the programs it loads are
        the same (the step goes on, as the new text has it, and its checks are evaluated
        afresh), else it is built anew, resuming at the student's step. A lesson file that
        does not parse, or a new scenario that does not load, leaves the old lesson running
        and is named in `problems`."""
        if not self.catalogue.changed():
            return Reloaded(changed=False, lesson=None, restarted=False, problems=())
        self.catalogue.refresh()
        self.catalogue.all()
        problems = tuple(self.catalogue.problems)
        old = self.lesson
        if old is None:
            return Reloaded(changed=True, lesson=None, restarted=False, problems=problems)
        try:
            new = self.catalogue.find(old.id, old.lang)
        except SessionError as exc:  # its file is gone: keep what runs
            return Reloaded(changed=True, lesson=None, restarted=False, problems=(*problems, str(exc)))
        if new.lang != old.lang:  # its own language's file does not parse: keep what runs
            return Reloaded(changed=True, lesson=None, restarted=False, problems=problems)
        self.lesson = new
        if self.lab is None or not self.lab.started:
            return Reloaded(changed=True, lesson=self.lesson_view(), restarted=False, problems=problems)
        if (
            new.scenario == old.scenario
            and self._built_from
            and fingerprint(new.scenario) == self._built_from
        ):
            lab = self.lab
            lab.lesson = new
            if lab.step_index >= len(new.steps):  # steps were taken out: the last one begins
                lab.begin_step(len(new.steps) - 1)
            self._step_began(lab.step_index)
            return Reloaded(changed=True, lesson=self.lesson_view(), restarted=False, problems=problems)
        was_running = self.running
        try:
            self.start(resume=True)
        except SessionError as exc:
            self.lesson = old  # the new scenario does not load: the old machine again
            self.start(resume=True)
            problems = (*problems, f"{new.path}: {exc}")
            return Reloaded(changed=True, lesson=None, restarted=True, problems=problems)
        self.running = was_running
        return Reloaded(changed=True, lesson=self.lesson_view(), restarted=True, problems=problems)

    def _step_began(self, index: int) -> None:
        assert self.lesson is not None
        self.book.step_began(self.lesson.id, index)
        self._results = []
        self._complete, self._next_marks = False, None
        self._cadence.began()

    # ------------------------------------------------------------------ the machine

    @query
    def state(self) -> MachineState:
        """The machine now: the step, the VMs, the checks as last evaluated, the policy."""
        lab, lesson = self._need_lesson()
        hv = lab.hv
        index = lab.step_index
        finished = self.book.finished(lesson.id)
        lp = self.book.progress.lessons.get(lesson.id)
        return MachineState(
            lesson=lesson.id,
            lang=lesson.lang,
            step=index,
            steps=len(lesson.steps),
            done=self._complete,
            finished=finished,
            complete=finished and index >= len(lesson.steps) - 1,
            running=self.running,
            time=hv.time,
            backend=self.backend,
            seed=self.seed,
            seat=views.seat(hv),
            vms=views.vm_views(hv),
            checks=self._check_views(index),
            quizzes=self._quiz_states(index),
            progress=views.progress_views(lesson, lp.steps if lp else {}),
            policy=views.policy_state(hv),
            patches=tuple(editor.handler_name(p.key) for p in hv.patches),
        )

    @command(attempt=True)
    def type(self, vm: str | int, text: str, *, enter: bool = True, settle: bool = True) -> ConsoleOutput:
        """Console input (and Enter), then run until the guests wait again; the new output.
        `settle=False`: only the input, for a front end whose run loop is running: its next
        slices bring the answer (and the checks this try makes due see it after that slice)."""
        lab = self._need_lab()
        target = self._vm(vm)
        seq = target.console_seq
        actions.type_text(lab, target, text, enter=enter, settle=settle)
        return self.console(target.name, since=seq)

    @command()
    def run(self, n: int) -> RunResult:
        """Run the guests for `n` more instructions (all vCPUs together), as the `run` action does."""
        lab = self._need_lab()
        summary = lab.hv.run(int(n))
        if summary.reason.value != "budget":
            self._ran_idle(lab)
        return RunResult(retired=summary.retired, reason=summary.reason.value, time=lab.hv.time)

    @command()
    def play(self) -> RunState:
        """Let the run loop run the guests (`advance` does the work)."""
        lab = self._need_lab()
        self.running = True
        return RunState(running=True, time=lab.hv.time)

    @command()
    def pause(self) -> RunState:
        """Stop the run loop: `advance` runs no more guest instructions."""
        lab = self._need_lab()
        self.running = False
        self._pace.mips = 0.0
        return RunState(running=False, time=lab.hv.time)

    @command()
    def step(self) -> RunResult:
        """Pause, then run one instruction (whichever vCPU the scheduler picks)."""
        self.pause()
        return self.run(1)

    @query
    def console(self, vm: str | int, since: int = 0) -> ConsoleOutput:
        """Console output written after byte number `since` (all that is kept if older)."""
        target = self._vm(vm)
        new = target.console_seq - max(0, since)
        data = bytes(target.console[-new:]) if new > 0 else b""
        return ConsoleOutput(vm=target.name, text=data.decode("utf-8", "replace"), seq=target.console_seq)

    @query
    def trace(
        self, since: int = 0, vm: str | int | None = None, kinds: list[str] | None = None
    ) -> TraceEvents:
        """The hypervisor's trace after record `since`, of one VM and some kinds if asked."""
        lab = self._need_lab()
        domid = self._vm(vm).domid if vm is not None else None
        return trace_events(lab.hv, since, domid=domid, kinds=kinds)

    @query
    def timeline(self, since: int = 0, limit: int = 500) -> TimelineItems:
        """The trace and every segment's frames merged in time order, after item `since`: the
        newest `limit` of them (hypercalls with the code that made them). A new `epoch` means the
        machine went back in time: read again from 0."""
        return self._timeline.read(self._need_lab().hv, since, limit)

    @query
    def network(self, frames: int = views.NETWORK_FRAMES) -> NetworkView | None:
        """The virtual network (None: the scenario has none), each segment with its last `frames`."""
        return views.network_view(self._need_lab().hv, frames=frames)

    @query
    def grants(self) -> tuple[GrantTable, ...]:
        """Every VM's grant table (what it granted) and its mappings (what it mapped)."""
        return views.grant_tables(self._need_lab().hv)

    @query(page=False)
    def save_pcap(self, segment: str, path: str | Path) -> PcapSaved | Refused:
        """Write what `segment` captured as a pcap file (Wireshark, tshark, tcpdump -r)."""
        net = self._need_lab().hv.net
        if net is None:
            return Refused(error="this scenario has no network")
        if segment not in net.network.segments:
            known = ", ".join(net.network.segments)
            return Refused(error=f"no segment {segment!r} (there is {known})")
        data = net.network.capture(segment)
        target = Path(path).expanduser()
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        except OSError as exc:
            return Refused(error=f"cannot write {target}: {exc.strerror or exc}")
        frames = len(net.network.segments[segment].capture)
        return PcapSaved(path=str(target.resolve()), frames=frames, size=len(data))

    @command(attempt=True)
    def mgmt_console(self, command: str) -> MgmtReply | Refused:
        """The hypervisor's own console: a management command (LIST, PAUSE vm, UNPAUSE vm,
        DESTROY vm, UNLOCK ip-or-user, SESSIONS, REVOKE token-or-ALL) that does not go over the
        network, so no flood can starve it."""
        try:
            reply = actions.console_command(self._need_lab(), command)
        except ActionError as exc:
            return Refused(error=str(exc))
        return MgmtReply(ok=reply.startswith("OK"), reply=reply)

    @command(attempt=True)
    def measure(self, calls: int = 1000) -> Measured | Refused:
        """What the current hardening costs (the `measure` action): the figures, also in the trace.
        A try at the step: lessons ask for a measurement (`trace "measured:"`), and the machine's
        clock does not move for it, so nothing else would make the checks due."""
        try:
            result = actions.measure(self._need_lab(), int(calls))
        except ActionError as exc:
            return Refused(error=str(exc))
        return Measured(summary=result.summary(), measurement=result)

    @command(attempt=True)
    def vm_control(self, vm: str | int, action: str) -> VmControlled | Refused:
        """Pause, unpause, reboot or destroy one VM, as the hypervisor's own console does."""
        hv = self._need_lab().hv
        target = self._vm(vm)
        try:
            what = VmAction(action)
        except ValueError:
            raise SessionError(f"no VM action {action!r} ({', '.join(VmAction)})") from None
        if target.destroyed:
            return Refused(error=f"{target.name} is destroyed")
        if what is VmAction.PAUSE:
            hv.pause(target, PAUSED_AT_CONSOLE())
        elif what is VmAction.UNPAUSE:
            hv.unpause(target, UNPAUSED_AT_CONSOLE())
        elif what is VmAction.REBOOT:
            hv.reboot(target, REBOOTED_AT_CONSOLE())
        else:
            hv.destroy(target, DESTROYED_AT_CONSOLE())
        return VmControlled(vm=target.name, state=views.vm_state(target))

    # ------------------------------------------------------------------ policy, patches, the editor

    @query
    def policy(self) -> tuple[PolicySwitch, ...]:
        """Every hardening switch with its value, what it checks and the real bug it mirrors."""
        return views.policy_switches(self._need_lab().hv)

    @command(attempt=True)
    def set_policy(self, key: str, value: bool | int | str) -> PolicySet | Refused:
        """Set a switch (on/off, true/false or a number); the trace notes it."""
        try:
            now = actions.set_switch(self._need_lab(), key, value)
        except ActionError as exc:
            return Refused(error=str(exc))
        return PolicySet(key=key, value=now)  # type: ignore[arg-type]

    def _key(self, handler: str) -> tuple[int, int]:
        try:
            return handler_key(handler)
        except ValueError:
            raise SessionError(f"no hypercall handler {handler!r} (write it as EXT.function)") from None

    @query
    def handlers(self) -> tuple[str, ...]:
        """Every hypercall handler a patch can replace, as EXT.function (the editor's list)."""
        return editor.handler_names()

    @query
    def patch_source(self, handler: str) -> PatchSource:
        """The handler's current source for the editor: the active patch, else the original."""
        key = self._key(handler)
        return editor.patch_source(self._need_lab().hv, handler, key)

    @command(attempt=True)
    def apply_patch(self, handler: str, source: str) -> PatchResult | Refused:
        """Replace a handler with the student's Python; refused (with the line) when it does not
        compile or fails its trial run."""
        eid, fid = self._key(handler)
        try:
            self._need_lab().hv.apply_patch(eid, fid, source)
        except PatchError as exc:
            return Refused(error=str(exc), line=exc.line)
        return PatchResult(handler=handler)

    @command(attempt=True)
    def revert_patch(self, handler: str) -> PatchResult:
        """Put the original handler back."""
        eid, fid = self._key(handler)
        self._need_lab().hv.revert_patch(eid, fid)
        return PatchResult(handler=handler)

    @query
    def assemble(self, source: str, filename: str = "editor.S") -> Assembly:
        """Assemble editor text: its size and entry, or every error at its line."""
        return editor.assemble_source(source, filename=filename)

    @command(attempt=True)
    def load_source(self, vm: str | int, source: str, filename: str = "editor.S") -> Assembly:
        """Assemble editor text and boot it in `vm` (what the `load` action does with a file)."""
        lab = self._need_lab()
        return editor.load_source(lab.hv, self._vm(vm), source, filename=filename)

    # ------------------------------------------------------------------ detection rules

    @query
    def rules_source(self, template: bool = False) -> RulesSource:
        """The detection rules for the editor: those watching the machine, else (or with
        `template`) a template to start from."""
        return editor.rules_source(None if template else self._need_lab().sensor)

    @query
    def check_rules(self, source: str) -> RulesChecked:
        """Read and check editor text as detection rules: how many, or every problem at its line."""
        return editor.check_rules(source)

    @command(attempt=True)
    def load_rules(self, source: str) -> RulesLoaded | Refused:
        """Let the editor's detection rules watch the machine from now on (what the `rules` action
        does with a file); refused, with the first problem's line, when they are not valid."""
        lab = self._need_lab()
        try:
            rules = actions.load_rules(lab, source, path=editor.EDITOR_RULES)
        except ActionError as exc:
            problem = editor.check_rules(source).errors
            return Refused(error=str(exc), line=problem[0].line if problem else None)
        return RulesLoaded(rules=len(rules.rules), path=rules.path)

    @query
    def detections(self, since: int = 0, limit: int = 200) -> DetectionsView:
        """The detection rules watching the machine, and their detections after number `since`
        (the newest `limit` of them)."""
        lab = self._need_lab()
        if lab.sensor is not None:
            lab.sensor.pull()
        return views.detections_view(lab.sensor, since, limit)

    @command()
    def score_rules(self, lesson: str = "") -> RulesScore | Refused:
        """Score the loaded detection rules against the lab's recorded runs: the course's attacks
        (only lesson `lesson`'s, if given) and its honest work. The first time, the runs are
        recorded, which takes a few seconds."""
        lab = self._need_lab()
        if lab.sensor is None:
            return Refused(error="no detection rules are loaded: load some in the editor first")
        try:
            score = corpus.scored(lab.sensor.rules, corpus.corpus_for(lab.lesson.directory), only=lesson)
        except corpus.CorpusError as exc:
            return Refused(error=f"the recorded runs cannot be built: {exc}")
        if lesson and not score.attacks:
            return Refused(error=corpus.no_attacks(lesson, score))
        return views.rules_score(score, lesson)

    # ------------------------------------------------------------------ the steps

    def _check_views(self, index: int) -> tuple[CheckView, ...]:
        lesson = self.lesson
        assert lesson is not None
        if index >= len(lesson.steps):
            return ()
        step = lesson.steps[index]
        legit = {id(c) for c in step.legit}
        return views.check_views(step.all_checks, self._results, lang=lesson.lang, legit=legit)

    def _quiz_states(self, index: int) -> tuple[QuizState, ...]:
        """The step's questions: a prediction's rightness shows once the step is done."""
        lesson = self.lesson
        assert lesson is not None
        if index >= len(lesson.steps):
            return ()
        revealed = self._complete or self.book.done(lesson.id, index)
        return tuple(
            views.quiz_state(q, self.book.quiz(lesson.id, index, q.number), revealed=revealed)
            for q in lesson.steps[index].quizzes
        )

    @command()
    def evaluate(self, *, attempt: bool = True) -> Evaluation:
        """Evaluate the current step now: once every prediction is answered its checks count, and
        when they hold and every quiz is answered right the step is done. It stays done, with
        what was achieved on show, until the student moves on (`next_step`). `attempt`: the
        student asked (a not-yet counts as an attempt in their progress); the run loop's own
        looks pass False."""
        lab, lesson = self._need_lesson()
        index = lab.step_index
        step = lesson.steps[index]
        predicted = lab.predicted(index)
        done_now = finished_now = False
        if not self._complete:
            self._results = lab.results(step.all_checks) if predicted else []
            if predicted and all(r.ok for r in self._results) and lab.quizzes_done(index):
                done_before = self.book.done(lesson.id, index)
                last = index + 1 >= len(lesson.steps)
                self._complete, self._next_marks = True, lab.marks_now()
                self.book.step_done(lesson.id, index, last=last)
                done_now = not done_before  # a step done before (a resumed lesson) is not news
                if last:
                    finished_now = not self._finish_announced
                    self._finish_announced = True
            elif attempt:
                self.book.attempted(lesson.id, index)
        self._cadence.evaluated(lab.hv.time)
        finished = self.book.finished(lesson.id) and index >= len(lesson.steps) - 1 and self._complete
        result = Evaluation(
            step=index,
            checks=self._check_views(index),
            quizzes=self._quiz_states(index),
            predicted=predicted,
            done=self._complete,
            done_now=done_now,
            finished=finished,
            finished_now=finished_now,
        )
        self._watch.evaluations.append(result)
        return result

    @command(attempt=True)
    def answer(self, quiz: int, value: str) -> QuizAnswered | Refused:
        """Answer question `quiz` of the current step (its number, from 1): a choice's number,
        the numbers of all that apply (`1,3`), or a free answer. A quiz may be tried until it is
        right; a prediction is answered once, and whether it was right shows when the step is done."""
        lab, lesson = self._need_lesson()
        index = lab.step_index
        quizzes = lesson.steps[index].quizzes
        if not 1 <= int(quiz) <= len(quizzes):
            raise SessionError(f"step {index + 1} has {len(quizzes)} question(s), no {quiz}")
        question = quizzes[int(quiz) - 1]
        if self._quiz_states(index)[question.number - 1].answered:
            return Refused(error="this question is answered already")
        text = str(value)[:MAX_ANSWER_CHARS]
        try:
            right = lab.answer(question.number, text)
        except ActionError as exc:
            return Refused(error=str(exc))
        prediction = question.kind is QuizKind.PREDICT
        self.book.answered(lesson.id, index, question.number, text, right=right, prediction=prediction)
        return QuizAnswered(quiz=self._quiz_states(index)[question.number - 1])

    @command()
    def next_step(self) -> MachineState | Refused:
        """Move on from a step that is done to the next one, which begins where the step was
        done (what the student did since counts for it)."""
        lab, lesson = self._need_lesson()
        index = lab.step_index
        if not self._complete:
            return Refused(error=f"step {index + 1} is not done yet")
        if index + 1 >= len(lesson.steps):
            return Refused(error="this is the lesson's last step")
        lab.begin_step(index + 1, self._next_marks)
        self._step_began(index + 1)
        return self.state()

    @command()
    def hint(self) -> HintView:
        """Reveal the current step's next hint (the last one again when all are out)."""
        lab, lesson = self._need_lesson()
        if lab.step_index >= len(lesson.steps) or not lesson.steps[lab.step_index].hints:
            return views.NO_HINT
        hints = lesson.steps[lab.step_index].hints
        shown = min(self.book.hints(lesson.id, lab.step_index) + 1, len(hints))
        self.book.hint_shown(lesson.id, lab.step_index, shown)
        return views.hint_view(lesson, hints, shown - 1, self.seed)

    @query
    def hints_shown(self) -> tuple[HintView, ...]:
        """The current step's hints the student revealed, as `hint` gave them: what a front end
        shows again after a reload or when the lesson resumes."""
        lab, lesson = self._need_lesson()
        if lab.step_index >= len(lesson.steps):
            return ()
        hints = lesson.steps[lab.step_index].hints
        shown = min(self.book.hints(lesson.id, lab.step_index), len(hints))
        return tuple(views.hint_view(lesson, hints, i, self.seed) for i in range(shown))

    @command()
    def reset_step(self) -> MachineState:
        """The machine as it was when the step began (the run loop keeps running or paused); a
        step that was done is to be done again."""
        self._need_lab().reset_step()
        self._results = []
        self._complete, self._next_marks = False, None
        self._cadence.began()
        return self.state()

    @command()
    def reset_lesson(self) -> MachineState:
        """The machine as the lesson started, on its first step (the progress keeps what was done)."""
        self._need_lab().reset_lesson()
        self._finish_announced = False
        self._step_began(0)
        return self.state()

    # ------------------------------------------------------------------ the run loop

    @command()
    def follow(self, panels: list[str]) -> Done:
        """Which panels the front end shows: frames carry their changes (timeline, network, grants)."""
        try:
            self._follow = frozenset(Panel(p) for p in panels)
        except ValueError as exc:
            raise SessionError(f"{exc} (panels: {', '.join(Panel)})") from None
        return Done()

    @command()
    def advance(self, seconds: float = control.SLICE_SECONDS, *, show: bool = True) -> Advance:
        """One turn of the run loop: a slice of guest work of about `seconds` while the guests run,
        the checks when they are due, and a frame when one is due (at most every FRAME_SECONDS).
        `show=False`: no frame this turn (the front end is still drawing the last one); the next
        frame carries what this one would have."""
        lab = self._need_lab()
        wait = 0.0
        if self.running:
            ran = self._pace.run(lab, float(seconds))
            self._watch.retired += ran.retired
            if ran.reason != "budget":
                self._ran_idle(lab)
                wait = control.IDLE_WAIT
        completed = self._evaluation_due()
        frame = self.frame() if show and (completed or self._watch.due()) else None
        return Advance(frame=frame, running=self.running, wait=wait)

    @command(page=False)
    def drawn(self) -> Done:
        """The front end drew the last frame: the run loop's next one comes REST_SECONDS later at
        the soonest, time for the student's keys (a front end whose screen competes with the
        guests for the CPU says so; the page's, in a worker beside its own thread, need not)."""
        self._watch.drawn()
        return Done()

    def _evaluation_due(self) -> bool:
        """Evaluate now if the cadence says so; True when that completed a step (show it at once)."""
        due = self._cadence.due(self._need_lab().hv.time)
        if due is None:
            return False
        result = self.evaluate(attempt=due)
        return result.done_now or result.finished_now

    @command()
    def frame(self, *, full: bool = False) -> Frame:
        """What changed since the last frame (the checks first evaluated if due). `full`: as if
        nothing had been shown: a front end that attaches to a running lesson asks for that."""
        lab = self._need_lab()
        hv = lab.hv
        self._evaluation_due()
        watch = self._watch
        if full:
            watch.forget()
        reset = watch.rewound(hv)
        if reset:
            watch.start_over(hv)
        state = self.state()
        timeline = None
        if Panel.TIMELINE in self._follow:
            timeline = self._timeline.read(hv, watch.timeline_seq, control.TIMELINE_BATCH)
            if timeline.seq < watch.timeline_seq:  # went back without the watch seeing it: from 0
                timeline = self._timeline.read(hv, 0, control.TIMELINE_BATCH)
            watch.timeline_seq = timeline.seq
        hints = None
        if state.step != watch.step:
            hints = self.hints_shown()
            watch.step = state.step
        frame = Frame(
            state=state,
            mips=self._pace.mips if self.running else 0.0,
            retired=watch.retired,
            reset=reset,
            consoles=watch.console_output(hv),
            timeline=timeline,
            network=views.network_view(hv) if Panel.NETWORK in self._follow else None,
            grants=views.grant_tables(hv) if Panel.GRANTS in self._follow else None,
            detections=self._new_detections() if Panel.DETECTIONS in self._follow else None,
            evaluation=control.merged(watch.evaluations),
            hints=hints,
        )
        watch.shown(hv)
        return frame

    def _new_detections(self) -> DetectionsView:
        """The rules and the detections the front end has not been shown (all kept, after a reset)."""
        lab = self._need_lab()
        if lab.sensor is not None:
            lab.sensor.pull()
        found = views.detections_view(lab.sensor, self._watch.detections_seq, control.DETECTIONS_BATCH)
        self._watch.detections_seq = found.seq
        return found

    # ------------------------------------------------------------------ progress

    @query(page=False)
    def progress(self) -> dict[str, Any]:
        """The student's progress as the progress file holds it (lab.lesson.progress)."""
        return self.book.progress.to_dict()

    @command(page=False)
    def load_progress(self, data: dict[str, Any]) -> Done | Refused:
        """Take over a progress file's data (an import); refused, and nothing changes, when it is
        not one."""
        error = self.book.replace(data)
        return Refused(error=error) if error else Done()

    # ------------------------------------------------------------------ the student and their record

    @query
    def student(self) -> StudentView:
        """Who the student says they are, their seed, and how much their record holds."""
        runs = sum(1 for line in self.journal.lines if line.startswith('{"run"'))
        events = sum(1 for line in self.journal.lines if line.startswith('{"event"'))
        progress = self.book.progress
        return StudentView(name=progress.student, seed=self.seed, runs=runs, events=events)

    @command()
    def set_student(self, name: str, seed: int) -> StudentView | Refused:
        """Take the seed the instructor gave (`hvlab class seeds`) and the name or id it was made
        for: every machine from now on is built in it, and the record carries both. A lesson's
        machine built in the old seed goes (`start` builds the next). Refused when the session's
        seed is fixed, or the name or seed is not one."""
        error = self.book.set_student(name.strip(), int(seed))
        if error:
            return Refused(error=error)
        self.close()
        return self.student()

    @query
    def export_record(self) -> RecordExport:
        """The student's record as one file to hand in: every run of every lesson, what was done
        and when. It stays on this computer until the student saves it and hands it in."""
        rec = self.journal.document(student=self.book.progress.student, seed=self.seed, exported=self._now())
        name = re.sub(r"[^A-Za-z0-9]+", "-", rec.student).strip("-").lower() or "student"
        return RecordExport(
            filename=f"hvlab-record-{name}.json",
            text=record_text(rec),
            runs=len(rec.runs),
            events=sum(len(r.events) for r in rec.runs),
        )
