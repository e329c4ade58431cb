"""The run loop written once for both front ends: frames, the evaluation cadence, resets, the budget.

A front end calls `Session.advance()` on its timer (the TUI) or in its worker's loop (the
web page), and `Session.frame()` after each of the student's commands; these tests are what
both can rely on. The host's clock is a fake one here, so the cadence is exact.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.session import Session, SessionError
from lab.session.control import EVALUATE_SECONDS, FRAME_SECONDS, IDLE_WAIT, REST_SECONDS, SLICE_RANGE

LESSONS = Path(__file__).resolve().parents[1] / "lessons"
RUNAWAY = "_start:\n    addi t0, t0, 1\n    j _start\n"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def session(tmp_path, clock):
    s = Session(LESSONS, progress_path=tmp_path / "progress.json", timer=clock)
    s.open_lesson("control-api")
    s.start()
    s.follow(["timeline"])
    yield s
    s.close()


def attempts(s: Session, step: int) -> int:
    return s.progress()["lessons"]["control-api"]["steps"].get(str(step), {}).get("attempts", 0)


def test_the_first_frame_shows_everything_and_evaluates_the_step_begun(session):
    frame = session.frame(full=True)
    assert frame.reset and {c.vm for c in frame.consoles} == {"admin", "tenant", "bank"}
    assert (
        frame.consoles[1].text.endswith("dom1> ") and frame.consoles[1].seq == session.console("tenant").seq
    )
    assert frame.timeline is not None and frame.timeline.items[0].seq == 1 and frame.timeline.dropped == 0
    assert frame.hints == ()  # none revealed yet; the front end draws the step afresh
    evaluation = frame.evaluation  # the step the lab starts at is evaluated, not as an attempt
    assert evaluation is not None and evaluation.step == 0 and not evaluation.done
    assert attempts(session, 0) == 0
    again = session.frame()
    assert not again.reset and again.consoles == () and again.evaluation is None and again.hints is None
    assert again.timeline.items == ()


def test_after_a_command_the_frame_has_what_is_new_and_the_checks_as_an_attempt(session):
    session.frame(full=True)
    session.type("tenant", "echo hello")
    frame = session.frame()
    (output,) = frame.consoles
    assert output.vm == "tenant" and output.text.startswith("echo hello\nhello")
    assert frame.evaluation is not None and not frame.evaluation.done and attempts(session, 0) == 1

    session.answer(1, "1")  # the step's prediction first: its checks count from then on
    session.type("tenant", "vms")  # step 1 done: it stays on screen, done, until the student moves on
    frame = session.frame()
    assert frame.evaluation.done_now and frame.evaluation.step == 0 and frame.state.step == 0
    assert frame.state.done and attempts(session, 0) == 1
    assert any(i.kind == "hypercall" and "VMCTL.info" in i.text for i in frame.timeline.items)
    session.next_step()  # step 2 begins, is evaluated at once, not as an attempt
    frame = session.frame()
    assert frame.evaluation.step == 1 and not frame.evaluation.done and frame.state.step == 1
    assert frame.hints == () and attempts(session, 1) == 0


def test_a_reset_makes_the_front_end_start_over_without_what_was_undone(session):
    session.frame(full=True)
    session.answer(1, "1")
    session.type("tenant", "vms")
    session.frame()  # evaluated: step 1 done
    session.next_step()
    session.hint()
    session.type("tenant", "echo marker")
    session.frame()
    session.reset_step()
    frame = session.frame()
    assert frame.reset
    tenant = next(c for c in frame.consoles if c.vm == "tenant")
    assert "vms" in tenant.text and "marker" not in tenant.text  # the console as the step began
    assert frame.timeline.items[0].seq == 1  # the timeline from its start
    assert not any("echo" in i.text for i in frame.timeline.items)
    assert [h.index for h in frame.hints] == [0]  # the hint the student saw is shown again
    assert frame.evaluation is not None and frame.evaluation.step == 1  # the step, evaluated afresh


def test_the_run_loop_evaluates_on_its_cadence_and_frames_at_most_every_frame_seconds(session, clock):
    session.frame(full=True)
    session.load_source("tenant", RUNAWAY)  # a guest that never waits: the clock keeps moving
    session.frame()
    assert attempts(session, 0) == 1  # loading a program was a try at the step
    session.play()
    clock.now += FRAME_SECONDS
    turn = session.advance()
    assert turn.running and turn.wait == 0 and turn.frame is not None
    assert turn.frame.retired > 0 and turn.frame.mips > 0 and turn.frame.evaluation is None
    assert session.advance().frame is None  # the same instant: no frame due yet
    clock.now += EVALUATE_SECONDS
    turn = session.advance()
    assert turn.frame is not None and turn.frame.evaluation is not None  # due: the clock moved
    assert attempts(session, 0) == 1  # the lab's own looks are not the student's attempts
    assert SLICE_RANGE[0] <= turn.frame.retired
    # Paused: nothing runs, no evaluation is due, and the loop is told to stop.
    session.pause()
    before = session.state().time
    clock.now += EVALUATE_SECONDS
    turn = session.advance()
    assert not turn.running and session.state().time == before
    assert turn.frame is not None and turn.frame.evaluation is None and turn.frame.mips == 0


def test_a_front_end_that_drew_a_frame_gets_the_next_after_a_rest(session, clock):
    # The terminal lab's screen shares the CPUs with the guests: between two frames it has
    # REST_SECONDS for the student's keys, however long the last one took to draw.
    session.frame(full=True)
    session.load_source("tenant", RUNAWAY)
    session.play()
    clock.now += FRAME_SECONDS - REST_SECONDS / 4
    session.drawn()  # a slow screen: the frame took most of FRAME_SECONDS to draw
    clock.now += REST_SECONDS / 2
    assert session.advance().frame is None  # FRAME_SECONDS since the last, but it was just drawn
    clock.now += REST_SECONDS
    assert session.advance().frame is not None  # rested
    clock.now += FRAME_SECONDS
    assert session.advance().frame is not None  # a front end that did not say it drew: no rest


def test_a_completed_step_is_framed_at_once_and_an_idle_machine_is_polled_gently(session, clock):
    session.frame(full=True)
    session.play()
    clock.now += FRAME_SECONDS
    turn = session.advance()  # every guest waits at its prompt
    assert turn.wait == IDLE_WAIT and turn.frame is not None and turn.frame.mips == 0
    session.answer(1, "1")
    session.type("tenant", "vms")
    turn = session.advance()  # the student's try is due at once, and completes step 1: framed now
    assert turn.frame is not None and turn.frame.evaluation.done_now


def test_input_while_running_is_answered_by_the_loop_and_a_busy_screen_gets_the_frame_later(session, clock):
    # The terminal lab's engine types without settling while the loop runs, and asks for no frame
    # while the screen is still drawing the last one (`show=False`).
    session.frame(full=True)
    session.play()
    typed = session.type("tenant", "vms", settle=False)
    assert typed.text == ""  # only the input: no guest ran for it
    clock.now += FRAME_SECONDS
    turn = session.advance(show=False)  # the slice brings the answer and the try completes step 1 ...
    assert turn.frame is None  # ... but the screen is busy: not framed now
    state = session.state()
    assert state.step == 0 and state.done and attempts(session, 0) == 0  # done at the first try
    frame = session.advance().frame  # the next frame carries what the held one would have
    assert frame is not None and frame.evaluation.done_now and frame.evaluation.step == 0
    assert "dom2 running" in "".join(c.text for c in frame.consoles if c.vm == "tenant")


def test_finishing_is_said_once_and_a_finished_lesson_resumes_quietly(tmp_path, clock):
    path = tmp_path / "progress.json"
    s = Session(LESSONS, progress_path=path, timer=clock)
    s.open_lesson("hypercalls")
    s.start()
    for step in s.lab.lesson.steps:
        for call in step.solution:
            s.lab.perform(call)
        assert s.evaluate().done
        s.next_step()  # (refused on the last step)
    assert s.state().complete and s.frame().evaluation.finished_now
    assert not s.evaluate().finished_now
    s.close()

    again = Session(LESSONS, progress_path=path, timer=clock)
    again.open_lesson("hypercalls")
    state = again.start()
    assert state.complete and state.step == state.steps - 1
    frame = again.frame(full=True)  # shown complete; its last step's work is not replayed
    assert frame.state.complete and not frame.evaluation.finished_now
    again.reset_lesson()
    frame = again.frame()
    assert frame.reset and frame.state.step == 0 and not frame.state.complete and frame.state.finished
    again.close()


def test_follow_takes_only_the_panels_there_are(session):
    with pytest.raises(SessionError, match="panels: timeline, network, grants"):
        session.follow(["timeline", "consoles"])
    session.follow(["grants", "network"])
    frame = session.frame(full=True)
    assert frame.timeline is None and frame.network is None  # this scenario has no network
    assert [t.vm for t in frame.grants] == ["admin", "tenant", "bank"]


def test_measuring_is_a_try_at_the_step(session):
    """A lesson's step may ask only for a measurement; the measuring machines run apart, so
    the lab's clock stands still: the measurement itself makes the checks due."""
    session.frame(full=True)
    session.measure(100)
    frame = session.frame()
    assert frame.evaluation is not None and attempts(session, 0) == 1
