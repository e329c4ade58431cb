"""The live machine behind a lesson: the scenario's hypervisor plus what checks need.

    lab = Lab(lesson, backend="interp")
    lab.start()                          # build the scenario, let the guests boot
    for call in lesson.steps[0].solution:
        lab.perform(call)                # the same actions a UI performs
    lab.results(lesson.steps[0].checks)  # [CheckResult(call, ok, error)]

Both the session (lab.session) and the validator (lab.lesson.validator) drive
lessons through this class, so a check means the same thing in the TUI, the
browser and `hvlab lessons check`. Time is instructions retired: the same
actions give the same machine on every backend.

`begin_step(i)` remembers where step i started: a snapshot of the whole
machine (lab.hv.snapshot) for "reset step", and the trace and console
positions that `since=step` checks count from.

`answer(n, value)` answers the current step's nth quiz or predict block (the
`answer` action; the session's `answer` command): `answers` keeps what was
answered, per step, which `quizzes_done(i)` reads. A step's last prediction,
once answered, moves the step's trace and console positions to that moment:
what the student did before predicting does not count for `since=step` checks.
"""

from __future__ import annotations

import json
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Final

from lab.detect import RuleSet, Sensor
from lab.hv import Hypervisor, NoSuchVm, Vm
from lab.hv.snapshot import HvSnapshot, restore, take
from lab.lesson.model import Call, Lesson, LessonError, Quiz, QuizKind
from lab.lesson.quiz import judge, refusal
from lab.lesson.registry import REGISTRY, load
from lab.lesson.variants import PLACEHOLDER, fill, student_values, vary
from lab.scenario import ScenarioError, load_scenario

if TYPE_CHECKING:
    from lab.hv.trace import Record

SETTLE_BUDGET: Final = 2_000_000  # instructions `type` and `start` run at most while guests answer


class ActionError(Exception):
    """An action that could not be performed (a patch that does not compile, a file
    that is not a program): the message says why."""


class CheckUnavailable(Exception):
    """A predicate this hypervisor cannot evaluate (its extension is not built in)."""


@dataclass(slots=True)
class CheckResult:
    call: Call
    ok: bool
    error: str = ""  # why it could not be evaluated
    detail: str = ""  # what the predicate found (attack_blocked explains itself)

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.call.text,
            "done": self.ok,
            "error": self.error,
            "detail": self.detail,
            "line": self.call.line,
        }


@dataclass(slots=True)
class StepMarks:
    """Where the current step started: trace and console positions, and the snapshot."""

    trace_seq: int = 0
    console: dict[int, int] = field(default_factory=dict)
    snapshot: HvSnapshot | None = None
    clock: int = 0  # the hypervisor's clock
    cpu: list[int] = field(default_factory=list)  # the clock each VM had run (the scheduler's `used`)


class Lab:
    def __init__(
        self,
        lesson: Lesson,
        *,
        backend: str = "interp",
        seed: int | None = None,
        settle_budget: int = SETTLE_BUDGET,
    ):
        load()
        self.lesson = lesson
        self.backend = backend
        self.seed = seed  # None: the scenario's own secrets; else a per-student variant
        self.settle_budget = settle_budget
        self._hv: Hypervisor | None = None
        self.step_index = 0
        self.marks = StepMarks()
        self.start_snapshot: HvSnapshot | None = None
        # (step index, quiz number) -> answered right. A quiz is here once answered right, a
        # prediction once answered at all (its first answer stands). What a student knows
        # survives a reset of the machine.
        self.answers: dict[tuple[int, int], bool] = {}
        # attack_outcome's answers for the machine started last: (last attack step, policy,
        # patches) -> outcome. A replay starts from the lesson's start with just that hardening,
        # so the same hardening always gets the same answer.
        self._outcomes: dict[tuple[int, str, tuple[tuple[tuple[int, int], str], ...]], tuple[bool, str]] = {}
        # The student's detection rules watching this machine (`rules`, the editor): like the
        # answers, what the defender wrote survives a reset of the machine.
        self.sensor: Sensor | None = None

    @property
    def hv(self) -> Hypervisor:
        if self._hv is None:
            raise ActionError("the scenario has not been started")
        return self._hv

    @property
    def started(self) -> bool:
        return self._hv is not None

    # -- the machine

    def start(self) -> None:
        """A fresh scenario, guests booted up to their first prompt, step 0 begun."""
        self.close()
        try:
            scenario = load_scenario(self.lesson.scenario, backend=self.backend)
        except ScenarioError as exc:
            raise LessonError(self.lesson.path, None, f"scenario: {exc}") from None
        self._hv = scenario.hv
        if self.seed is not None:
            vary(self._hv, self.seed)
        if self.sensor is not None:
            self.sensor = Sensor(self._hv, self.sensor.rules)  # the same rules on the new machine
        self.settle()
        self.start_snapshot = take(self._hv)
        self._outcomes.clear()
        self.begin_step(0)

    def close(self) -> None:
        """Release the vCPUs (unicorn holds native resources)."""
        if self.sensor is not None:
            self.sensor.close()
        if self._hv is not None:
            for vm in self._hv.vms:
                vm.cpu.close()
            self._hv = None

    def watch(self, rules: RuleSet) -> Sensor:
        """Let `rules` watch this machine from now on (the rules loaded before stop watching)."""
        if self.sensor is not None:
            self.sensor.close()
        self.sensor = Sensor(self.hv, rules)
        return self.sensor

    def settle(self, budget: int | None = None) -> int:
        """Run until every VM waits for input or has stopped (at most `budget`)."""
        summary = self.hv.run(budget or self.settle_budget)
        return summary.retired

    def run(self, n: int) -> dict[str, Any]:
        summary = self.hv.run(n)
        return {"retired": summary.retired, "reason": summary.reason.value, "time": self.hv.time}

    def vm(self, ref: str | int) -> Vm:
        try:
            return self.hv.vm(ref)
        except NoSuchVm as exc:
            raise ActionError(str(exc)) from None

    # -- steps

    def begin_step(self, index: int, marks: StepMarks | None = None) -> None:
        """Step `index` begins now, or where `marks` (from `marks_now`) were taken."""
        self.step_index = index
        self.marks = marks or self.marks_now()

    def marks_now(self) -> StepMarks:
        """Where a step beginning now would begin: the trace, the consoles, a snapshot."""
        hv = self.hv
        marks = StepMarks(hv.trace.seq, {vm.domid: vm.console_seq for vm in hv.vms}, take(hv))
        marks.clock, marks.cpu = hv.time, list(hv.scheduler.used)
        return marks

    def reset_step(self) -> None:
        if self.marks.snapshot is not None:
            restore(self.hv, self.marks.snapshot)

    def reset_lesson(self) -> None:
        if self.start_snapshot is None:
            self.start()
            return
        restore(self.hv, self.start_snapshot)
        self.begin_step(0)

    # -- what checks look at

    def console(self, vm: Vm, scope: str = "lesson") -> bytes:
        """The VM's console output, all of it or since the step began."""
        if scope == "step":
            new = vm.console_seq - self.marks.console.get(vm.domid, 0)
            return bytes(vm.console[-new:]) if new > 0 else b""
        return bytes(vm.console)

    def cpu_share(self, vm: Vm, scope: str) -> float:
        """The part of the clock `vm` ran since the step began (or the scenario started), 0 to 1."""
        hv = self.hv
        used = hv.scheduler.used
        now = used[vm.domid] if vm.domid < len(used) else 0
        if scope != "step":
            return now / hv.time if hv.time else 0.0
        before = self.marks.cpu[vm.domid] if vm.domid < len(self.marks.cpu) else 0
        span = hv.time - self.marks.clock
        return (now - before) / span if span > 0 else 0.0

    def records(self, scope: str = "lesson") -> list[Record]:
        """The trace records a check looks at (within the trace's bound: lab.hv.trace)."""
        return self.hv.trace.records(self.marks.trace_seq if scope == "step" else 0)

    # -- running directives

    def perform(self, call: Call) -> None:
        """Do one action; ActionError says what went wrong and where."""
        entry = REGISTRY[call.name]
        try:
            entry.fn(self, call.args)
        except ActionError as exc:
            raise ActionError(f"{call.where}: {call.text}: {exc}") from None

    def check(self, call: Call) -> CheckResult:
        entry = REGISTRY[call.name]
        try:
            outcome = entry.fn(self, call.args)
        except (CheckUnavailable, ActionError) as exc:
            return CheckResult(call, False, str(exc))
        if isinstance(outcome, tuple):
            return CheckResult(call, bool(outcome[0]), detail=str(outcome[1]))
        return CheckResult(call, bool(outcome))

    # -- quizzes

    def quiz(self, number: int) -> Quiz:
        """The current step's quiz or predict block `number` (1-based), its accepted answers
        this student's (`= {secret:vault}`: the flag of their own machine)."""
        step = self.lesson.steps[self.step_index]
        if not 1 <= number <= len(step.quizzes):
            count = len(step.quizzes)
            raise ActionError(f"step {step.index + 1} has {count} quiz or predict block(s), no {number}")
        quiz = step.quizzes[number - 1]
        if not any(PLACEHOLDER.search(a) for a in quiz.answers):
            return quiz
        return replace(quiz, answers=tuple(self.own_words(a) for a in quiz.answers))

    def own_words(self, text: str) -> str:
        """`text` with this student's values for its placeholders (lab.lesson.variants.FIELDS)."""
        if not PLACEHOLDER.search(text):
            return text
        lesson = self.lesson
        values = student_values(
            self.seed, password=lesson.mgmt_password, secrets=lesson.secrets, variant_vms=lesson.variant_vms
        )
        return fill(text, values)

    def answer(self, number: int, value: str) -> bool:
        """Answer the current step's quiz `number`: whether it is right (ActionError: an answer
        that cannot be judged, such as a choice that does not exist)."""
        quiz = self.quiz(number)
        why = refusal(quiz, value)
        if why:
            raise ActionError(why)
        right = judge(quiz, value)
        key = (self.step_index, number)
        if quiz.kind is QuizKind.PREDICT:
            if key not in self.answers:
                self.answers[key] = right
                if self.predicted(self.step_index):
                    self.marks = StepMarks(
                        self.hv.trace.seq,
                        {vm.domid: vm.console_seq for vm in self.hv.vms},
                        self.marks.snapshot,
                        self.hv.time,
                        list(self.hv.scheduler.used),
                    )
        elif right:
            self.answers[key] = True
        return right

    def predicted(self, index: int) -> bool:
        """Every prediction of step `index` is answered (its checks count from then on)."""
        return all((index, q.number) in self.answers for q in self.lesson.steps[index].predicts)

    def quizzes_done(self, index: int) -> bool:
        """Every quiz of step `index` answered right and every prediction answered."""
        answers = self.answers
        return all(
            (index, q.number) in answers if q.kind is QuizKind.PREDICT else answers.get((index, q.number))
            for q in self.lesson.steps[index].quizzes
        )

    def complete(self, index: int) -> bool:
        """Step `index` is done on this machine: predicted, its checks hold, its quizzes answered."""
        step = self.lesson.steps[index]
        return self.predicted(index) and self.quizzes_done(index) and self.holds(step.all_checks)

    def results(self, calls: list[Call]) -> list[CheckResult]:
        return [self.check(c) for c in calls]

    def holds(self, calls: list[Call]) -> bool:
        """Every check holds: evaluated up to the first that fails, those that replay the
        lesson (`attack_blocked`) after the others."""
        return all(self.check(c).ok for c in sorted(calls, key=lambda c: REGISTRY[c.name].replays))

    def play(self, index: int) -> None:
        """Begin step `index` and perform its solution."""
        self.begin_step(index)
        for call in self.lesson.steps[index].solution:
            self.perform(call)

    # -- the attack replayed against the current hardening

    def attack_outcome(self, upto: int | None = None) -> tuple[bool, str]:
        """Replay the lesson's attack steps (up to step index `upto`) from the
        lesson's start with this machine's current policy and patches, then put
        the machine back as it was. Blocked when no attack step's checks all
        hold in the replay and every legitimate-use check does.

        The replay depends on nothing but the hardening and the last attack step, so its
        answer is kept: a step's checks are evaluated again and again while a student works,
        and each replay of a long lesson runs millions of guest instructions."""
        steps = self.lesson.steps[: (self.step_index if upto is None else upto + 1)]
        attacks = [s for s in steps if s.is_attack]
        if not attacks:
            return False, "this lesson has no attack step before this one"
        policy = self.hv.policy.to_dict()
        patches = tuple((p.key, p.source) for p in self.hv.patches)
        key = (attacks[-1].index, json.dumps(policy, sort_keys=True, default=str), patches)
        if key in self._outcomes:
            return self._outcomes[key]
        live, marks, index, answers = take(self.hv), self.marks, self.step_index, dict(self.answers)
        # The replay is not the student's machine: the rules look away until it is back.
        with self.sensor.suspended() if self.sensor is not None else nullcontext():
            try:
                self.reset_lesson()
                self.harden_like(policy, list(patches))
                outcome = self._outcomes[key] = self.replay_attacks(attacks[-1].index)
                return outcome
            finally:
                restore(self.hv, live)
                self.marks, self.step_index, self.answers = marks, index, answers

    def harden_like(self, policy: dict[str, Any], patches: list[tuple[tuple[int, int], str]]) -> None:
        """Take over a policy and a set of patches (another machine's hardening)."""
        from lab.hv.hypercalls import lookup
        from lab.hv.policy import Policy

        self.hv.policy = Policy(policy)
        for key, source in patches:
            fn = lookup(*key)
            if fn is not None:
                self.hv.patches.apply(fn, source)

    def replay_attacks(self, last: int) -> tuple[bool, str]:
        """Play steps 0..last; report whether every attack among them failed and
        every legitimate-use check held."""
        succeeded, broken = [], []
        for step in self.lesson.steps[: last + 1]:
            try:
                self.play(step.index)
            except ActionError as exc:
                broken.append(f"step {step.index + 1}: {exc}")
                continue
            if step.is_attack and self.holds(step.checks):
                succeeded.append(f"step {step.index + 1} ({step.title})")
            for r in self.results(step.legit):
                if not r.ok:
                    broken.append(f"step {step.index + 1}: legitimate use failed: {r.call.text}")
        if succeeded:
            return False, "the attack still works: " + "; ".join(succeeded)
        if broken:
            return False, "the hardening breaks legitimate use: " + "; ".join(broken)
        return True, "the attack fails and legitimate use still works"
