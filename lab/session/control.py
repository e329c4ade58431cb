"""The run loop's rules, written once for every front end: how much guest work a slice
holds, when the step's checks are evaluated, and what a frame carries.

    pace = Pace()                      # instructions per slice, from the measured speed
    pace.run(lab, SLICE_SECONDS)       # RunResult; pace.mips is the speed shown
    cadence = Cadence()
    cadence.acted()                    # a student's action: evaluate next, as an attempt
    cadence.due(hv.time)               # True (an attempt), False (a look), None (not now)
    watch = Watch()
    watch.rewound(hv)                  # the machine went back: the front end must start over

Budget: a slice aims at SLICE_SECONDS of the host's time, so a front end stays
responsive whatever the guests do (a runaway guest shows as a high MIPS figure); the
slice size follows the measured speed, within SLICE_RANGE. Cadence: the checks are
evaluated after every student action (counted as an attempt), when a step begins, and,
while the machine's clock moves, at most every EVALUATE_SECONDS. A step whose checks
hold is done and stays on screen, done, until the student moves on (the session's
`next_step`): nothing jumps ahead on its own. Frames: at most one
every FRAME_SECONDS from the run loop (a screen shows no more), at once when a step was
completed, and whenever the front end asks after an action. A frame carries what changed
since the last one; when the machine went back in time (a reset) or is a new one, the
frame says `reset` and carries everything again.

Time here is the host's, on an injectable clock (tests pass their own); the machine's
own time stays instructions retired.

Threads: one thread at a time may use a session. A front end that keeps its screen
responsive by running the engine in a thread of its own (the web page does, in a worker)
calls `advance` there, runs the student's commands there between two turns (input first,
then the next slice: a slice is at most about SLICE_SECONDS), and hands the frames to the
screen: they are frozen snapshots that share nothing with the running machine.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Final

from lab.session.records import ConsoleOutput, Evaluation, RunResult

if TYPE_CHECKING:
    from lab.hv import Hypervisor
    from lab.lesson.engine import Lab

SLICE_SECONDS: Final = 0.03  # host time one slice of guest work aims at
FIRST_SLICE: Final = 20_000  # instructions in the first slice, before the speed is known
SLICE_RANGE: Final = (1_000, 5_000_000)  # a slice's size, whatever the measured speed
FRAME_SECONDS: Final = 0.1  # the run loop's frames come at most this often (ten a second)
REST_SECONDS: Final = 0.05  # after a front end drew a frame, the loop's next one waits this long
IDLE_WAIT: Final = 0.05  # every guest waits for input: the loop polls this often instead of spinning
EVALUATE_SECONDS: Final = 0.5  # while the clock moves, the checks are evaluated at most this often
TIMELINE_BATCH: Final = 300  # timeline items a frame carries at most: a flood's excess is counted
DETECTIONS_BATCH: Final = 200  # detections a frame carries at most (the rest are counted as dropped)


class Pace:
    """How much guest work fits a slice: instructions for about `seconds`, from the measured speed."""

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self.clock = clock
        self.rate = 0.0  # instructions a second, from the last slice that used its whole budget
        self.mips = 0.0  # the speed shown: smoothed over slices, 0 when the guests idle

    def size(self, seconds: float) -> int:
        if self.rate <= 0:
            return FIRST_SLICE
        return int(min(max(self.rate * seconds, SLICE_RANGE[0]), SLICE_RANGE[1]))

    def run(self, lab: Lab, seconds: float) -> RunResult:
        t0 = self.clock()
        summary = lab.hv.run(self.size(seconds))
        elapsed = max(self.clock() - t0, 1e-6)
        if summary.reason.value == "budget":
            self.rate = summary.retired / elapsed
            mips = self.rate / 1e6
            self.mips = 0.7 * self.mips + 0.3 * mips if self.mips else mips
        else:
            self.mips = 0.0  # every guest waits (or stopped): nothing to measure
        return RunResult(retired=summary.retired, reason=summary.reason.value, time=lab.hv.time)


class Cadence:
    """When the current step's checks are evaluated next."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.attempt = False  # a student acted since the last evaluation
        self.begun = True  # a step began (or the machine was reset) and was not evaluated yet
        self.last = -math.inf  # host time of the last evaluation
        self.time = -1  # the machine's clock at the last evaluation

    def acted(self) -> None:
        self.attempt = True

    def began(self) -> None:
        self.begun = True

    def due(self, machine_time: int) -> bool | None:
        """True: evaluate as the student's attempt; False: evaluate as the lab's own look; None: not now."""
        if self.attempt:
            return True
        if self.begun:
            return False
        if machine_time != self.time and self.clock() - self.last >= EVALUATE_SECONDS:
            return False
        return None

    def evaluated(self, machine_time: int) -> None:
        self.attempt = self.begun = False
        self.last, self.time = self.clock(), machine_time


def merged(evaluations: list[Evaluation]) -> Evaluation | None:
    """Several evaluations since the last frame as one: the last one's checks, every completion."""
    if not evaluations:
        return None
    last = evaluations[-1]
    if len(evaluations) == 1:
        return last
    return replace(
        last,
        done_now=any(e.done_now for e in evaluations),
        finished_now=any(e.finished_now for e in evaluations),
    )


@dataclass(slots=True)
class Watch:
    """What the front end has been shown: the next frame carries what is new since."""

    clock: Callable[[], float] = time.monotonic
    hv: Hypervisor | None = None  # the machine shown (another one: start over)
    time: int = -1  # its clock when last shown
    trace_seq: int = 0  # its trace records when last shown
    consoles: dict[int, int] = field(default_factory=dict)  # domid -> console bytes shown
    step: int = -1  # the step whose hints were sent
    timeline_seq: int = 0  # timeline items shown
    detections_seq: int = 0  # detections shown
    retired: int = 0  # instructions run since the last frame
    last_frame: float = -math.inf  # host time of the last frame
    last_drawn: float = -math.inf  # host time the front end said it drew the last frame
    evaluations: list[Evaluation] = field(default_factory=list)  # since the last frame

    def forget(self) -> None:
        """Show everything again in the next frame (a front end attaches, or re-attaches)."""
        self.hv = None

    def rewound(self, hv: Hypervisor) -> bool:
        """The machine is another one, or went back in time: what was shown of it is void."""
        return (
            hv is not self.hv
            or hv.time < self.time
            or hv.trace.seq < self.trace_seq
            or any(vm.console_seq < self.consoles.get(vm.domid, 0) for vm in hv.vms)
        )

    def start_over(self, hv: Hypervisor) -> None:
        self.hv, self.consoles, self.step, self.timeline_seq, self.detections_seq = hv, {}, -1, 0, 0

    def console_output(self, hv: Hypervisor) -> tuple[ConsoleOutput, ...]:
        """Every VM's console output not shown yet (all that is kept, after a reset)."""
        out = []
        for vm in hv.vms:
            new = vm.console_seq - self.consoles.get(vm.domid, 0)
            if new > 0:
                data = bytes(vm.console[-new:])
                out.append(
                    ConsoleOutput(vm=vm.name, text=data.decode("utf-8", "replace"), seq=vm.console_seq)
                )
                self.consoles[vm.domid] = vm.console_seq
        return tuple(out)

    def due(self) -> bool:
        """A run-loop frame is due: FRAME_SECONDS since the last and REST_SECONDS since it was
        drawn, or a step was just completed."""
        now = self.clock()
        if now - self.last_frame >= FRAME_SECONDS and now - self.last_drawn >= REST_SECONDS:
            return True
        return any(e.done_now or e.finished_now for e in self.evaluations)

    def drawn(self) -> None:
        self.last_drawn = self.clock()

    def shown(self, hv: Hypervisor) -> None:
        self.time, self.trace_seq = hv.time, hv.trace.seq
        self.retired = 0
        self.last_frame = self.clock()
        self.evaluations = []
