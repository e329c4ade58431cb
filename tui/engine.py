"""The lesson's machine in a process of its own: the session's run loop, beside the screen.

    python -m tui.engine FD                  # FD: its end of a socket pair (tui.machine starts it)
    parent.send(Setup(lesson="flood", lang="en", ...))
    parent.recv()                            # Started(...), or Refusal(0, why): it did not start
    parent.send(Call(1, Session.type, ("admin", "LIST")))   # -> Reply(1, ConsoleOutput) | Refusal(1, why)
    parent.recv()                            # ... and Frame records, each answered by Drawn()
    parent.send(Stop())                      # -> the session closes, Stopped(), the process ends

Why a process: a lesson's guests are pure Python, and so is Textual. In one process they
share the interpreter's lock, and every key the student types crosses several threads of
the screen's (Textual's input, the event loop, its output): each crossing waits for the
engine's thread to give the lock up, which it can only do while the OS runs it. On a busy
machine that multiplied a key's way to the screen by ten (bench/tui.py measures it). The
web page runs its engine in a Web Worker for the same reason. Here it is a process of the
same interpreter that imports only `lab` (and this module): no terminal, no Textual.

The loop keeps lab.session.control's rules, with the session's one user this process. Each
turn it first takes every message that came (commands in the order they were sent: input
first, a command never waits behind more than the slice or command under way), then one
slice of guest work (`Session.advance`, about SLICE_SECONDS). A frame goes out when one is
due or a command ran, but never while the screen is still drawing the last one (until its
`Drawn`, which the session hears as `Session.drawn`: its next run-loop frame then rests a
little, lab.session.control's REST_SECONDS): meanwhile the session keeps what is new for the
next frame, so a busy screen gets fewer frames, never a queue of them, and always time
between two of them for the student's keys. Paused, the
loop sleeps until a message comes; while every guest waits, it looks every IDLE_WAIT.
Console input is typed without settling while the machine runs (`settle=False`): the
loop's own slices bring the answer.

Commands are (function, arguments): a `Session` method or a module-level function that takes
the session first (they travel pickled, by name). Records come back as they are (frozen
dataclasses). A SessionError is a Refusal; any other exception ends the process after a
Crashed record with its traceback, for the screen to raise.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from lab.session import Session, SessionError
from lab.session.records import LessonView, MachineState, PolicySwitch, Reloaded


@dataclass(frozen=True, slots=True)
class Setup:
    """Which lesson to start, and the session it runs in (the app's own, recreated here)."""

    lesson: str
    lang: str
    lessons_dir: Path
    backend: str
    progress: Path | None  # the student's progress file (None: kept in memory)
    seed: int | None  # the variant (the student's own seed, already in the progress file)


# -- the screen to the engine


@dataclass(frozen=True, slots=True)
class Call:
    """Run `fn(session, *args, **kwargs)`; answered by a Reply or a Refusal with the same id."""

    id: int
    fn: Callable[..., Any]
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Drawn:
    """The screen drew the last frame: the next may come."""


@dataclass(frozen=True, slots=True)
class Stop:
    """Close the session (after the commands sent before) and end the process."""


# -- the engine to the screen (and Frame records)


@dataclass(frozen=True, slots=True)
class Started:
    """The lesson's machine is built (resumed at the student's step): what the screen is made of."""

    lesson: LessonView
    state: MachineState
    network: bool  # the scenario has a network
    mgmt: bool  # ... and a management service, with its out-of-band console
    policy: tuple[PolicySwitch, ...]
    handlers: tuple[str, ...]  # the hypercall handlers a patch can replace


@dataclass(frozen=True, slots=True)
class Reply:
    id: int
    result: Any


@dataclass(frozen=True, slots=True)
class Refusal:
    """A command raised SessionError (id 0: the lesson could not be started)."""

    id: int
    message: str


@dataclass(frozen=True, slots=True)
class Crashed:
    """A bug in the engine: its traceback; the process ends."""

    traceback: str


@dataclass(frozen=True, slots=True)
class Stopped:
    """The session is closed (the progress file written): the process ends."""


def main() -> None:
    conn = Connection(int(sys.argv[1]))
    try:
        setup = conn.recv()
    except EOFError:
        return
    serve(conn, setup)


def serve(conn: Connection, setup: Setup) -> None:
    """The engine process's body."""
    try:
        session = Session(setup.lessons_dir, setup.backend, progress_path=setup.progress, seed=setup.seed)
        try:
            conn.send(start(session, setup))
        except SessionError as exc:
            conn.send(Refusal(0, str(exc)))
            return
        Engine(session, conn).run()
    except (EOFError, BrokenPipeError):  # the screen's process went away: nothing to tell
        return
    except BaseException:
        conn.send(Crashed(traceback.format_exc()))


def start(session: Session, setup: Setup) -> Started:
    lesson = session.open_lesson(setup.lesson, setup.lang)
    session.start()
    return started(session, lesson)


def started(session: Session, lesson: LessonView) -> Started:
    """What a lesson screen is made of, from the machine as it is."""
    network = session.network(frames=0)
    return Started(
        lesson=lesson,
        state=session.state(),
        network=network is not None,
        mgmt=bool(network and network.mgmt),
        policy=session.policy(),
        handlers=session.handlers(),
    )


class Engine:
    """The run loop over a connection: messages first, then guest work, frames when the screen is free."""

    def __init__(self, session: Session, conn: Connection) -> None:
        self.session = session
        self.conn = conn
        self.drawing = False  # a frame went out and is not drawn yet
        self.owed = False  # a command ran since the last frame

    def run(self) -> None:
        wait: float | None = None  # the machine starts paused until the screen says play
        while True:
            if wait != 0.0 and not (self.owed and not self.drawing):
                self.conn.poll(wait)  # until a message comes (None: however long)
            ran = False
            while self.conn.poll():
                message = self.conn.recv()
                if isinstance(message, Stop):
                    self.session.close()
                    self.conn.send(Stopped())
                    return
                if isinstance(message, Drawn):
                    self.drawing = False
                    self.session.drawn()
                else:
                    self.call(message)
                    ran = True
            self.owed = self.owed or ran
            wait = self.turn()

    def call(self, call: Call) -> None:
        try:
            result = call.fn(self.session, *call.args, **call.kwargs)
        except SessionError as exc:
            self.conn.send(Refusal(call.id, str(exc)))
        else:
            self.conn.send(Reply(call.id, result))

    def turn(self) -> float | None:
        """A slice of guest work if the machine runs, a frame if one may go; how long to wait after."""
        session = self.session
        if session.lab is None:  # closed by a command: nothing runs until the next Stop
            return None
        show = not self.drawing
        frame = None
        wait = None
        if session.running:
            turn = session.advance(show=show)
            frame, wait = turn.frame, turn.wait
        if frame is None and show and self.owed:
            frame = session.frame()
        if frame is not None:
            self.owed = False
            self.drawing = True
            self.conn.send(frame)
        return wait


# Commands the screen sends that decide here, from the machine as it is (not from the last frame
# the screen drew, which may be a slice old).


def type_line(session: Session, vm: str, text: str) -> Any:
    """A line for a console: while the machine runs, the loop's slices bring the answer."""
    return session.type(vm, text, settle=not session.running)


def run_or_pause(session: Session) -> Any:
    return session.pause() if session.running else session.play()


def reload(session: Session) -> tuple[Reloaded, Started | None]:
    """An instructor's preview: the lesson files read again (Session.reload), and, when the open
    lesson changed, what its new screen is made of."""
    reloaded = session.reload()
    if reloaded.lesson is None:
        return reloaded, None
    return reloaded, started(session, reloaded.lesson)


def revert_patch(session: Session, handler: str) -> Any:
    """The original handler back, and its source for the editor."""
    session.revert_patch(handler)
    return session.patch_source(handler)


if __name__ == "__main__":
    # Run as tui.engine, not __main__: the records it sends are unpickled by those names.
    from tui import engine

    engine.main()
