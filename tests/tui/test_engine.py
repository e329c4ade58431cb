"""The lesson's engine in its own process (tui.engine), driven through tui.machine.Machine as
the lesson screen drives it, but without a screen: what the screen relies on.

- the lesson starts there, from the app's settings and the student's progress file;
- commands run in the order they were sent, each answered (or refused) in that order;
- a screen that has not drawn the last frame gets no other (no queue of frames builds up),
  and the next frame, once it has, carries everything meanwhile;
- `stop` closes the session (the progress is on disk) and the process ends;
- the engine, not the screen's process, writes the student's record, to its last idle poll.
"""

from __future__ import annotations

import asyncio
import pickle
import time

from lab.session import DEFAULT_LESSONS, STUDENT, Session
from lab.session.record import Journal
from lab.session.records import Frame
from lab.trace_messages import Line
from tui import engine
from tui.engine import Setup
from tui.machine import Machine
from tui.paths import record_path

RUNAWAY = "_start:\n    addi t0, t0, 1\n    j _start\n"


def setup(progress, lesson: str = "control-api") -> Setup:
    seed = Session(seed=STUDENT, progress_path=progress).seed
    return Setup(lesson, "en", DEFAULT_LESSONS, "interp", progress, seed, record_path(progress))


async def until(condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the engine did not answer"
        await asyncio.sleep(0.01)


async def stopped(machine: Machine, held: list) -> None:
    """Stop the engine and wait for its end: `stop`'s `then` is what comes after."""
    closed: list = []
    machine.stop(then=lambda: closed.append(True))
    await until(lambda: held)
    held.pop()()
    assert closed == [True]


def test_commands_are_answered_in_order_and_a_busy_screen_gets_one_frame_at_a_time(tmp_path):
    progress = tmp_path / "progress.json"

    async def flow() -> None:
        held: list = []  # the screen's queue: what the engine delivered, not yet handled
        machine = Machine(setup(progress), deliver=held.append)
        started: list = []
        machine.on_start(started.append, started.append)
        await until(lambda: held)
        held.pop()()
        assert started[0].lesson.id == "control-api" and started[0].state.step == 0

        frames: list[Frame] = []
        answers: list = []
        machine.attach(show=frames.append, refused=answers.append)
        machine.submit(Session.load_source, "tenant", RUNAWAY, then=answers.append)
        machine.submit(Session.vm_control, "nobody", "pause", then=answers.append)  # refused
        machine.submit(engine.run_or_pause, then=answers.append)  # the loop runs: a guest never waits
        await until(lambda: len(held) >= 4)  # three answers, then a frame
        await asyncio.sleep(1.0)  # a screen too busy to draw for a second
        assert len(held) == 4, "more than one frame while the screen had not drawn"
        for work in held:
            work()
        held.clear()
        loaded, refused, running = answers
        assert loaded.ok and loaded.vm == "tenant"
        assert "nobody" in refused
        assert running.running
        (first,) = frames
        await until(lambda: held)  # drawn: the next frame comes, with the work done meanwhile
        held.pop()()
        assert frames[1].retired > 0 and frames[1].state.time > first.state.time

        await stopped(machine, held)

    asyncio.run(flow())
    assert '"control-api"' in progress.read_text()  # the engine kept the student's progress


def test_a_lesson_that_cannot_start_is_refused_and_its_engine_ends(tmp_path):
    async def flow() -> None:
        held: list = []
        machine = Machine(setup(tmp_path / "progress.json", lesson="no-such-lesson"), deliver=held.append)
        refused: list = []
        machine.on_start(refused.append, refused.append)
        await until(lambda: held)
        held.pop()()
        assert "no-such-lesson" in refused[0]
        await until(lambda: machine.ended)  # by itself

    asyncio.run(flow())


def test_a_frame_with_the_traces_own_lines_crosses_to_the_screen(tmp_path):
    """The trace's lines are str with their message (lab.trace_messages.Line): the frames that
    carry them are pickled to the screen's process and must come back the same."""
    session = Session(seed=STUDENT, progress_path=tmp_path / "progress.json")
    session.open_lesson("control-api")
    session.start()
    session.follow(["timeline"])
    frame = session.frame(full=True)

    def lines(frame: Frame) -> list[Line]:  # a hypercall's reason, made from the trace's table
        assert frame.timeline is not None
        calls = [item.call for item in frame.timeline.items if getattr(item, "call", None)]
        return [call.why for call in calls if isinstance(call.why, Line)]

    assert lines(frame)
    back = pickle.loads(pickle.dumps(frame))
    assert back == frame
    assert [line.message for line in lines(back)] == [line.message for line in lines(frame)]


def test_the_engine_writes_the_record_beside_the_progress_to_the_last_idle_poll(tmp_path):
    """The record is the engine's to write (the app's session only reads it): a line typed, the
    guests run until all wait, and `stop`: the idle polls not written yet reach the file too (a
    replay gives the network the same ticks)."""
    progress = tmp_path / "progress.json"

    async def flow() -> None:
        held: list = []
        machine = Machine(setup(progress), deliver=held.append)
        machine.on_start(held.append, held.append)
        await until(lambda: held)
        held.clear()
        answers: list = []
        machine.attach(show=lambda frame: None, refused=answers.append)
        machine.submit(Session.type, "tenant", "vms", then=answers.append)
        machine.submit(engine.run_or_pause, then=answers.append)  # the guests answer, then wait
        await until(lambda: len(held) >= 2)
        await asyncio.sleep(0.5)  # the loop's slices find every guest waiting: idle polls
        for work in held:
            work()
        held.clear()
        assert answers[1].running, answers
        await stopped(machine, held)

    asyncio.run(flow())
    (run,) = Journal(record_path(progress), append=False).runs()
    assert run.lesson == "control-api"
    cmds = [e.cmd for e in run.events]
    assert cmds[0] == "type" and cmds[-1] == "idle", cmds


def test_the_detection_rules_answers_and_a_frame_with_detections_cross_to_the_screen(tmp_path, monkeypatch):
    """The editor's rules mode and the Detections panel get these records from the engine's
    process, pickled: each must come back the same."""
    monkeypatch.setenv("HVLAB_CACHE", str(tmp_path / "cache"))
    session = Session(seed=STUDENT, progress_path=tmp_path / "progress.json")
    session.open_lesson("defender")
    session.start()
    session.follow(["timeline", "detections"])
    rules = (DEFAULT_LESSONS / "detect" / "flood.toml").read_text()
    misspelt = rules.replace('"udp.dstport"', '"udp.dstprt"')
    answers = [
        session.rules_source(),
        session.check_rules(misspelt),
        session.load_rules(misspelt),  # refused at its line
        session.load_rules(rules),
    ]
    session.play()
    deadline = time.monotonic() + 60
    frame = None
    while frame is None or not (frame.detections and frame.detections.items):
        assert time.monotonic() < deadline, "the flood rule never fired"
        frame = session.advance(show=True).frame
    answers += [frame, session.detections(), session.score_rules()]
    assert [type(a).__name__ for a in answers] == [
        "RulesSource",
        "RulesChecked",
        "Refused",
        "RulesLoaded",
        "Frame",
        "DetectionsView",
        "RulesScore",
    ]
    assert answers[1].errors and answers[2].line == answers[1].errors[0].line
    for answer in answers:
        assert pickle.loads(pickle.dumps(answer)) == answer
