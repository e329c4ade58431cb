"""Proof of work by replay: a record made by playing a lesson as a front end does verifies;
the same record edited, under another student's seed, or from another engine is refused."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from lab.lesson.parser import without_notes
from lab.session import STUDENT, Session
from lab.session.record import (
    ENGINE_FILES,
    FORMAT,
    RECORDED,
    Answered,
    Journal,
    Record,
    RecordError,
    engine,
    read_record,
    record_from_dict,
    record_text,
    student_seed,
)
from lab.session.records import Refused
from lab.session.verify import verify

LESSONS = Path(__file__).resolve().parents[1] / "lessons"
KEY = "correct horse battery staple"
ALICE = "Alice Smith"

# A lesson on the course's `api` machine: a prediction, hints, a secret that differs per
# seed (the bank's), a switch, and a closing question whose answer is the student's own.
PROOF = """+++
id = "proof"
title = "Proof of work"
scenario = "api"
lang = "en"
summary = "A lesson for the record tests."
minutes = 10
+++

The bank keeps a secret.

## Look around

List the VMs from the tenant's seat.

```note
Instructors only: the page never gets this.
```

```predict
Will the tenant see the bank in the list?
- [x] Yes: nothing checks who asks
- [ ] No
```

```check
console_contains tenant "dom2 running"
```

```hint
The monitor lists the VMs.
```

```hint
`vms`
```

```solution
answer 1 1
type tenant vms
```

## Read the bank's secret

Read what the bank keeps at the start of its data page.

```check
secret_leaked tenant from=bank
```

```hint
VMCTL copies memory out of another VM.
```

```hint
`peek 2 0x80001000 32`
```

```solution
type tenant peek 2 0x80001000 32
```

## Deny by default

Turn on the check, then try again.

```check
hypercall vm=tenant fn=peek result=denied since=step
```

```hint
`hypercall.authorize`
```

```solution
set hypercall.authorize on
type tenant peek 2 0x80001000 32
```

## What you learned

```quiz
What is the bank's secret?
= {secret:bank}
```

```solution
answer 1 {secret:bank}
```
"""


class Clock:
    """The student's clock: a second passes with every look at it."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def course_with_proof(tmp_path_factory) -> Path:
    """The course's lessons and the proof lesson (PROOF), in a temporary folder."""
    folder = tmp_path_factory.mktemp("course") / "lessons"
    shutil.copytree(LESSONS, folder)
    (folder / "proof.md").write_text(PROOF)
    return folder


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    return course_with_proof(tmp_path_factory)


def student_session(course: Path, tmp_path: Path, *, name: str = ALICE, seed: int | None = None) -> Session:
    """The lab as the TUI makes it: the student's progress and record files, their course seed."""
    session = Session(
        course,
        progress_path=tmp_path / "progress.json",
        seed=STUDENT,
        clock=Clock(),
        journal=Journal(tmp_path / "record.jsonl"),
    )
    given = session.set_student(name, student_seed(KEY, name) if seed is None else seed)
    assert not isinstance(given, Refused)
    return session


def secret(session: Session) -> str:
    assert session.lab is not None
    return session.lab.own_words("{secret:bank}")


def play_through(session: Session) -> None:
    """A student's sitting, as a front end drives the session: commands, frames, the run loop."""
    session.open_lesson("proof")
    session.start()
    session.follow(["timeline"])
    session.frame(full=True)
    session.type("tenant", "vms")  # before the prediction: the step's checks do not count yet
    assert not session.frame().state.done
    assert session.answer(1, "1").ok
    session.type("tenant", "vms")
    assert session.frame().state.done
    assert session.next_step().step == 1
    session.hint()
    session.type("tenant", "peek 2 0x80001001 8")  # a wrong address: not the secret
    assert not session.evaluate().done
    session.reset_step()
    session.hint()
    session.type("tenant", "peek 2 0x80001000 32")
    session.play()
    for _ in range(3):
        session.advance(0.001)
    assert session.frame().state.done
    session.pause()
    session.next_step()
    session.set_policy("hypercall.authorize", True)
    session.run(50_000)
    session.type("tenant", "peek 2 0x80001000 32")
    assert session.frame().state.done
    session.next_step()
    assert not session.answer(1, "BANK{0000000000000000}").quiz.right
    assert session.answer(1, secret(session)).quiz.right
    assert session.evaluate().finished


@pytest.fixture(scope="module")
def alice(course, tmp_path_factory) -> Record:
    """Alice's record from a real play-through, exported and read back as the verifier does."""
    folder = tmp_path_factory.mktemp("alice")
    session = student_session(course, folder)
    play_through(session)
    export = session.export_record()
    session.close()
    path = folder / export.filename
    path.write_text(export.text)
    assert export.filename == "hvlab-record-alice-smith.json" and export.runs == 1
    return read_record(path)


def only_run(verdict):
    (run,) = verdict.runs
    return run


def test_a_real_play_through_verifies_step_by_step(alice, course):
    verdict = verify(alice, lessons_dir=course, key=KEY)
    assert verdict.seed_check == "ok" and verdict.student == ALICE
    run = only_run(verdict)
    assert run.refused == ""
    lesson = verdict.lessons["proof"]
    assert lesson.complete and lesson.done == {0, 1, 2, 3}
    assert (len(lesson.right), lesson.quizzes, lesson.answers) == (
        1,
        1,
        3,
    )  # a prediction, a wrong and a right
    assert lesson.hints == 2 and lesson.opened == {1: 2}
    assert 0 < lesson.seconds < 100  # a second on the student's clock per event, give or take


def test_the_record_says_when_on_the_machine_each_command_took_effect(alice):
    (run,) = alice.runs
    cmds = [e.cmd for e in run.events]
    assert cmds[:4] == ["type", "answer", "type", "evaluate"]
    assert {"hint", "reset_step", "set_policy", "next_step", "idle"} <= set(cmds)
    assert not {"frame", "advance", "play", "pause", "run", "state", "follow"} & set(cmds)
    times = [e.time for e in run.events]
    reset = cmds.index("reset_step")
    assert times[reset + 1] < times[reset]  # the reset took the machine back
    setting = next(e for e in run.events if e.cmd == "set_policy")
    after = run.events[run.events.index(setting) + 1]  # `run 50000` with every guest waiting
    assert (after.cmd, after.time, after.args) == ("idle", setting.time, {"polls": 1})
    assert run.engine == engine() and run.seed == student_seed(KEY, ALICE) and run.from_step == 0


def edited(rec: Record, index: int, **changes) -> Record:
    (run,) = rec.runs
    events = list(run.events)
    events[index] = replace(events[index], **changes)
    return replace(rec, runs=(replace(run, events=tuple(events)),))


def test_one_command_changed_is_refused_where_it_was_changed(alice, course):
    (run,) = alice.runs
    k = next(i for i, e in enumerate(run.events) if e.args.get("text") == "peek 2 0x80001000 32")
    changed = edited(alice, k, args={**run.events[k].args, "text": "peek 2 0x80001000 31"})
    refused = only_run(verify(changed, lessons_dir=course, key=KEY)).refused
    assert refused.startswith(f"event {k + 1} (type vm='tenant' text='peek 2 0x80001000 31'")
    assert "the machine after it is not the one the record says" in refused
    verdict = verify(changed, lessons_dir=course, key=KEY)
    assert verdict.lessons["proof"].done == set() and verdict.lessons["proof"].refused == 1


def test_a_step_claimed_done_where_its_checks_do_not_hold_is_refused(alice, course):
    (run,) = alice.runs
    k = [e.cmd for e in run.events].index("reset_step") + 1  # the machine back where step 2 began
    claim = replace(run.events[k], cmd="evaluate", args={"attempt": True}, outcome="done")
    events = (*run.events[:k], claim, *run.events[k:])
    refused = only_run(
        verify(replace(alice, runs=(replace(run, events=events),)), lessons_dir=course)
    ).refused
    assert refused.startswith(f"event {k + 1} (evaluate attempt=True at time {claim.time}): ")
    assert refused.endswith(
        "the record says step 2 was done here; on replay it is not: tenant's console shows bank's secret"
    )


def test_a_record_under_another_students_seed_is_refused(alice, course):
    bob = replace(alice, student="Bob Jones")  # Alice's record handed in as Bob's
    verdict = verify(bob, lessons_dir=course, key=KEY)
    assert verdict.seed_check == f"seed {alice.seed} is not Bob Jones's"
    assert "which is not Bob Jones's: another student's record" in only_run(verdict).refused
    assert verdict.lessons["proof"].done == set()
    # ... and with Bob's own seed written in, Alice's commands do not replay on Bob's machine
    (run,) = alice.runs
    bob_seed = student_seed(KEY, "Bob Jones")
    rebuilt = replace(bob, seed=bob_seed, runs=(replace(run, seed=bob_seed),))
    refused = only_run(verify(rebuilt, lessons_dir=course, key=KEY)).refused
    assert refused == "the machine built for it is not the record's (changed, or another seed)"


def test_a_record_from_another_engine_or_lesson_text_is_refused(alice, course, tmp_path):
    (run,) = alice.runs
    old = replace(run, engine=replace(run.engine, hvlab="0.0.9", code="f" * 64))
    refused = only_run(verify(replace(alice, runs=(old,)), lessons_dir=course)).refused
    assert refused.startswith("made on another engine: hvlab 0.0.9 (code ffffffffffff); this is hvlab")
    other = tmp_path / "lessons"
    shutil.copytree(course, other)
    (other / "proof.md").write_text(PROOF.replace("List the VMs", "List every VM"))
    refused = only_run(verify(alice, lessons_dir=other)).refused
    assert refused.startswith("made for another text of the lesson than")
    page = tmp_path / "page"  # the page gets the lesson without its instructor notes: the same text
    shutil.copytree(course, page)
    (page / "proof.md").write_text(without_notes(PROOF))
    assert "Instructors only" not in (page / "proof.md").read_text()
    assert only_run(verify(alice, lessons_dir=page)).refused == ""


def test_without_the_course_key_the_record_replays_under_its_own_seed(alice, course):
    verdict = verify(alice, lessons_dir=course)
    assert verdict.seed_check == "" and verdict.notes == ["seeds not checked (no course key)"]
    assert verdict.lessons["proof"].complete


def test_a_lesson_over_two_sittings_counts_both_and_the_resumed_run_needs_the_first(course, tmp_path):
    first = student_session(course, tmp_path)
    first.open_lesson("proof")
    first.start()
    first.answer(1, "1")
    first.type("tenant", "vms")
    first.frame()
    first.next_step()
    first.hint()
    first.close()
    # the next day: the lab resumes at step 2, replaying step 1 with its solution
    second = student_session(course, tmp_path)
    second.open_lesson("proof")
    assert second.start().step == 1
    second.type("tenant", "peek 2 0x80001000 32")
    assert second.frame().state.done
    rec = record_from_dict(json.loads(second.export_record().text))
    assert [(r.from_step, [a.step for a in r.answers]) for r in rec.runs] == [(0, []), (1, [0])]
    verdict = verify(rec, lessons_dir=course, key=KEY)
    assert [r.refused for r in verdict.runs] == ["", ""]
    assert verdict.lessons["proof"].done == {0, 1} and verdict.lessons["proof"].hints == 1
    alone = replace(rec, runs=rec.runs[1:])  # the second sitting alone: step 1 is not its work
    assert verify(alone, lessons_dir=course, key=KEY).lessons["proof"].done == {1}
    first = rec.runs[0]
    claims = replace(first, answers=(Answered(step=3, quiz=1, right=True),))  # a quiz it never answered
    (run, _) = verify(replace(rec, runs=(claims, rec.runs[1])), lessons_dir=course, key=KEY).runs
    assert run.refused == (
        "it begins knowing the answer to question 1 of step 4, which no earlier run that counts gave"
    )


def test_slices_cut_by_the_hosts_clock_replay_to_the_instruction(course):
    """The run loop sizes its slices by the host's speed; the record's machine times make the
    replay do each command at exactly the same point, whatever the slices were."""
    session = Session(course, seed=11, journal=Journal())
    session.open_lesson("control-api")
    session.start()
    spin = "_start:\n    addi t0, t0, 1\n    j _start\n"
    assert session.load_source("admin", spin).ok  # the admin's VM never waits now
    session.play()
    for seconds in (0.002, 0.01, 0.005):
        session.advance(seconds)
    session.answer(1, "1")  # step 1's prediction: its checks count once it is answered
    session.type("tenant", "vms")
    session.advance(0.003)
    assert session.frame().state.done
    session.next_step()
    session.advance(0.004)
    session.hint()
    session.type("tenant", "peek 2 0x80001000 32")
    session.advance(0.002)
    session.frame()  # not done: the admin's VM spins instead of listing the VMs (legitimate use)
    rec = record_from_dict(json.loads(session.export_record().text))
    times = [e.time for e in rec.runs[0].events]
    assert times == sorted(times) and times[-1] - times[0] > 10_000  # the guests ran in between
    (run,) = verify(rec, lessons_dir=course).runs
    assert run.refused == "" and run.done == {0} and run.hints == {1: 1}
    late = edited(rec, 1, time=rec.runs[0].events[1].time + 1)  # the same command, one instruction later
    assert (
        "the machine after it is not the one the record says"
        in only_run(verify(late, lessons_dir=course)).refused
    )


def test_each_slice_that_finds_every_guest_waiting_ticks_the_network_and_the_replay_gives_as_many():
    """While every guest waits the machine's clock stands still, but each slice of the run loop
    gives the network a tick: the management service works off its queue a few requests a tick.
    How many slices found the machine so depends on the host; the record says how many."""
    session = Session(LESSONS, seed=5, journal=Journal())
    session.open_lesson("flood")
    session.start()
    session.play()
    session.type("tenant", "storm 10.0.0.1 6230 1000000")
    assert session.lab is not None
    hv = session.lab.hv
    service = hv.net.mgmt
    for _ in range(500):  # however slow the host: until the queue holds more than two ticks' work
        session.advance(0.01)
        if len(service.queue) > 2 * service.budget:
            break
    session.mgmt_console("PAUSE tenant")  # the storm stops with requests still queued
    seen = []
    for _ in range(6):
        session.advance(0.01)
        seen.append((hv.time, hv.trace.seq))
    assert len({t for t, _ in seen}) == 1 and len({n for _, n in seen}) > 1  # time stood, the trace grew
    session.type("admin", "vms")
    rec = record_from_dict(json.loads(session.export_record().text))
    idle = [e for e in rec.runs[0].events if e.cmd == "idle"]
    assert [e.args for e in idle] == [{"polls": 6}]
    assert only_run(verify(rec)).refused == ""
    k = rec.runs[0].events.index(idle[0])
    fewer = edited(rec, k, args={"polls": 1})
    assert "the machine after it is not the one the record says" in only_run(verify(fewer)).refused


def test_program_loads_patches_and_vm_controls_replay(course, tmp_path):
    session = Session(course, seed=7, journal=Journal())
    session.open_lesson("control-api")
    session.start()
    session.answer(1, "1")  # step 1's prediction, before its checks count
    program = "_start:\n    li a0, 0x41\n    li a7, 0x4442434E\n    li a6, 2\n    ecall\n1:  wfi\n    j 1b\n"
    assert session.load_source("bank", program).ok
    assert not session.load_source("bank", "    bogus x1\n").ok
    patch = (LESSONS / "patches" / "console_write.py").read_text()
    assert session.apply_patch("dbcn.console_write", patch).ok
    assert isinstance(
        session.apply_patch("dbcn.console_write", "def console_write(hv, vm, n, lo, hi):\n  (\n"), Refused
    )
    session.vm_control("bank", "reboot")
    session.mgmt_console("LIST")
    session.measure(100)
    session.revert_patch("dbcn.console_write")
    session.reset_lesson()
    session.type("tenant", "vms")
    assert session.frame().state.done
    rec = record_from_dict(json.loads(session.export_record().text))
    cmds = [e.cmd for e in rec.runs[0].events]
    assert cmds.count("load_source") == 2 and cmds.count("apply_patch") == 2 and "reset_lesson" in cmds
    (run,) = verify(rec).runs
    assert run.refused == "" and run.done == {0}


def test_set_student_keeps_the_seed_with_the_progress_and_refuses_what_is_not_one(course, tmp_path):
    session = student_session(course, tmp_path, name="Alice")
    assert json.loads((tmp_path / "progress.json").read_text())["student"] == "Alice"
    again = Session(course, progress_path=tmp_path / "progress.json", seed=STUDENT)
    assert again.student().name == "Alice" and again.seed == student_seed(KEY, "Alice")
    assert isinstance(session.set_student("Al\nice", 5), Refused)
    assert isinstance(session.set_student("Alice", 2**32), Refused)
    fixed = Session(course, seed=3)
    assert fixed.set_student("Alice", 5).error == "this lab's seed is fixed (it was started with one)"


def test_seeds_come_from_the_key_and_the_name_in_any_spacing_or_case():
    assert student_seed(KEY, "Alice Smith") == student_seed(KEY, "  alice   SMITH ")
    assert student_seed(KEY, "Alice Smith") != student_seed(KEY, "Alice Smyth")
    assert student_seed(KEY, "Alice Smith") != student_seed(KEY + "!", "Alice Smith")
    assert 0 <= student_seed(KEY, "x") < 2**32


def test_a_record_file_that_is_not_one_says_why(tmp_path, alice):
    path = tmp_path / "r.json"
    for text, why in [
        ("[]", "not an hvlab record"),
        (json.dumps({"format": FORMAT, "version": 2}), "an hvlab record of version an integer (2)"),
        (record_text(alice).replace('"time": ', '"time": "x", "_": ', 1), "is not a field of Run"),
        (record_text(alice).replace('"seed": ', '"seed": -', 2), "a seed is from 0 to 4294967295"),
    ]:
        path.write_text(text)
        with pytest.raises(RecordError, match=re.escape(why)):
            read_record(path)


def test_the_journal_survives_a_restart_and_a_line_cut_short(tmp_path, course):
    path = tmp_path / "record.jsonl"
    session = Session(course, seed=1, journal=Journal(path))
    session.open_lesson("control-api")
    session.start()
    session.type("tenant", "vms")
    session.hint()
    path.write_text(path.read_text()[:-10])  # the machine went down mid-write
    reread = Journal(path)
    assert "1 line(s) could not be read" in reread.problem
    (run,) = reread.runs()
    assert [e.cmd for e in run.events] == ["type"]


def test_the_engine_is_the_files_the_package_and_the_page_ship():
    from web.build import package_data

    assert ENGINE_FILES == ("**/*.py", *package_data("lab"))
    assert len(engine().code) == 64


def test_every_session_command_is_recorded_or_says_why_not():
    from lab.session import METHODS
    from lab.session.record import UNRECORDED

    commands = {n for n, m in METHODS.items() if m.command}
    recorded = {n for n in RECORDED if n != "idle"}
    assert not recorded & set(UNRECORDED)
    assert recorded | set(UNRECORDED) == commands
