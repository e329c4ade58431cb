"""The session: the one typed contract both front ends (the TUI and the web page) use.

    s = Session(lessons_dir="lessons", backend="interp", progress_path=path, seed=STUDENT)
    s.list_lessons("en")                    # (LessonSummary, ...): the picker
    lesson = s.open_lesson("control-api")   # LessonView: prose, steps, hint counts
    s.start()                               # MachineState: the scenario built, the guests booted
    s.follow(["timeline", "network"])       # what the front end's frames should carry
    s.play()                                # the run loop may run the guests
    s.advance()                             # Advance: one slice of guest work, checks when due,
                                            #   and a Frame (what changed) when one is due
    s.type("tenant", "peek 2 0x80001000 32")  # a command: the student's try at the step
    s.frame()                               # Frame: what changed since the last one, evaluated
    s.evaluate()                            # Evaluation: the "check now" button
    s.answer(1, "2")                        # QuizAnswered: a question of the step, judged
    s.next_step()                           # MachineState: on from a step that is done (it waits)

Views and results are typed records (`records`), frozen snapshots a front end may keep;
`protocol.to_json` makes them the JSON the web worker passes to the page, and the
protocol reference (docs: reference/protocol.md) is generated from them and from the
`query`/`command` declarations of `Session`. Requests that cannot make sense (no lesson
open, an unknown VM) raise `SessionError`; what a student can get wrong (a patch that
does not compile, a bad policy value) comes back as a `Refused` record.

The modules, one job each:
    course     the catalogue of lessons, the student's progress and seed
    records    the protocol's types
    protocol   queries and commands, JSON, conformance, the reference page
    views      what the panels show, read off the live machine
    timeline   the trace and the frames merged in time order
    editor     guest assembly and hypercall patch points
    control    the run loop's rules: slice budget, evaluation cadence, frames
    session    the Session that puts them together
"""

from lab.session.course import DEFAULT_LESSONS, STUDENT, SeedChoice, SessionError
from lab.session.protocol import METHODS, to_json
from lab.session.records import Panel
from lab.session.session import Session, VmAction

__all__ = [
    "DEFAULT_LESSONS",
    "METHODS",
    "STUDENT",
    "Panel",
    "SeedChoice",
    "Session",
    "SessionError",
    "VmAction",
    "to_json",
]
