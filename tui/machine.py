"""The screen's side of the lesson's machine, which runs in its own process (tui.engine).

    machine = Machine(setup, deliver=post)          # starts the engine process, which builds the lesson
    machine.on_start(started, refused)              # started(Started) | refused(why), via `deliver`
    machine.attach(show=draw_frame, refused=say)    # the lesson screen, once it is up
    machine.submit(Session.type, "admin", "LIST", then=typed)   # typed(result), via `deliver`
    machine.stop(then=reload_progress)              # the session closes there; then(), once the process ended

`deliver(work)` queues `work()` on the screen's thread (the app posts it as a message), so
every callback runs as any other event handler does, in order: a command's answer, then the
frame that shows what it did. Nothing here waits for the engine: the engine's messages are
read when the event loop sees its pipe readable, and commands are written to the pipe (the
engine reads them between two slices, before the next one).

After `stop` nothing more is delivered but the `then` of `stop` itself. An engine that ends
without being asked (a bug: its traceback; or killed) raises EngineCrashed on the screen's
thread, as a bug in the screen's own code would.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import socket
import subprocess
import sys
from collections.abc import Callable
from functools import partial
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import tui
from lab.session.records import Frame
from tui import engine
from tui.engine import Call, Crashed, Drawn, Refusal, Reply, Setup, Started, Stop, Stopped

JOIN_SECONDS = 5.0  # how long a stopped engine may take to end before it is killed


class EngineCrashed(RuntimeError):
    """The engine process ended with a bug (its traceback is the message) or was killed."""


class Machine:
    """The engine process and the callbacks waiting for its answers."""

    def __init__(self, setup: Setup, *, deliver: Callable[[Callable[[], object]], object]) -> None:
        self.setup = setup
        self._deliver = deliver
        self._ids = itertools.count(1)
        self._waiting: dict[int, tuple[Callable[[Any], object] | None, Callable[[str], object] | None]] = {}
        self._started: Callable[[Started], object] | None = None
        self._not_started: Callable[[str], object] | None = None
        self._show: Callable[[Frame], object] | None = None
        self._refused: Callable[[str], object] | None = None
        self._stopped: Callable[[], object] | None = None
        self._stopping = False
        ours, theirs = socket.socketpair()
        self._process = _start_engine(theirs.fileno())
        theirs.close()
        self._conn = Connection(ours.detach())
        self._conn.send(setup)
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(self._conn.fileno(), self._readable)

    @property
    def ended(self) -> bool:
        """The engine process has ended."""
        return self._process.poll() is not None

    def on_start(self, started: Callable[[Started], object], refused: Callable[[str], object]) -> None:
        self._started, self._not_started = started, refused

    def attach(self, *, show: Callable[[Frame], object], refused: Callable[[str], object]) -> None:
        """The lesson screen draws the frames and says what a command without its own `refused` was."""
        self._show, self._refused = show, refused

    def submit(
        self,
        fn: Callable[..., Any],
        *args: Any,
        then: Callable[[Any], object] | None = None,
        refused: Callable[[str], object] | None = None,
        **kwargs: Any,
    ) -> None:
        """`fn(session, *args, **kwargs)` in the engine (a Session method or a module-level
        function: it travels by name); `then(result)` or `refused(message)` here after."""
        if self._stopping:
            return
        call = Call(next(self._ids), fn, args, kwargs)
        self._waiting[call.id] = (then, refused)
        self._conn.send(call)

    def stop(self, then: Callable[[], object] | None = None) -> None:
        """Close the session and end the engine; `then()` once it ended (its last writes done)."""
        if self._stopping:
            return
        self._stopping = True
        self._stopped = then
        self._waiting.clear()
        try:
            self._conn.send(Stop())
        except (BrokenPipeError, OSError):
            self._ended()

    # -- what the engine says

    def _readable(self) -> None:
        try:
            while self._conn.poll():
                self._receive(self._conn.recv())
        except (EOFError, OSError):
            self._ended()

    def _receive(self, message: object) -> None:
        if isinstance(message, Stopped):
            return  # the process ends next: its end (EOF) is what `stop` waits for
        if isinstance(message, Crashed):
            self._fail(message.traceback)
            return
        if self._stopping:
            return
        if isinstance(message, Frame):
            self._deliver(partial(self._draw, message))
        elif isinstance(message, Reply):
            then, _ = self._waiting.pop(message.id, (None, None))
            if then is not None:
                self._deliver(partial(then, message.result))
        elif isinstance(message, Refusal):
            if message.id == 0:  # the lesson did not start, and the engine ends by itself
                self._stopping = True
                if self._not_started is not None:
                    self._deliver(partial(self._not_started, message.message))
                return
            _, refused = self._waiting.pop(message.id, (None, None))
            refused = refused or self._refused
            if refused is not None:
                self._deliver(partial(refused, message.message))
        elif isinstance(message, Started):
            if self._started is not None:
                self._deliver(partial(self._started, message))

    def _draw(self, frame: Frame) -> None:
        try:
            if self._show is not None and not self._stopping:
                self._show(frame)
        finally:
            if not self._stopping:
                self._conn.send(Drawn())

    def _ended(self) -> None:
        """The engine's end of the pipe closed: after `stop`, as asked; else it crashed."""
        self._loop.remove_reader(self._conn.fileno())
        try:
            self._process.wait(JOIN_SECONDS)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._conn.close()
        if self._stopping:
            if self._stopped is not None:
                self._deliver(self._stopped)
            return
        self._fail(f"the engine process ended unexpectedly (exit status {self._process.returncode})")

    def _fail(self, why: str) -> None:
        self._stopping = True

        def crash() -> None:
            raise EngineCrashed(why)

        self._deliver(crash)


def _start_engine(fd: int) -> subprocess.Popen[bytes]:
    """`python -m tui.engine FD` with this interpreter and this copy of hvlab, its end of the
    pipe as FD; no terminal (a stray warning must not draw over the screen) and its own session
    of processes (the terminal's signals are the screen's)."""
    here = str(Path(tui.__file__).resolve().parents[1])
    path = os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH", "")) if p)
    return subprocess.Popen(
        [sys.executable, "-m", engine.__name__, str(fd)],
        pass_fds=(fd,),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": path},
        start_new_session=True,
    )
