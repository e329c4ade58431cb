"""The worker's Python side: JSON in, JSON out, between the page and one `Session`.

    bridge = Bridge("/home/pyodide/lessons", progress_text=saved, record_text=kept)   # localStorage
    bridge.call("open_lesson", '{"lesson_id": "control-api", "lang": "de"}')
    # -> '{"ok": true, "value": {...}, "progress": null}'   (or the new progress text)
    # -> '{"ok": false, "kind": "SessionError", "message": "no lesson is running: ...", ...}'

It runs inside Pyodide (web/src/worker.js imports it) but imports nothing of
Pyodide's, so CPython tests drive it as the worker does. The page may call the
Session methods the protocol marks for it (lab.session.protocol.METHODS, `page`)
and no other attribute; arguments are checked against the method's annotations and
results are the protocol's records as JSON (`to_json`): the protocol reference
(docs: reference/protocol.md) documents both, and the replies themselves are the
`Answer` and `Failure` records below. After every call the bridge compares the
student's progress with what it last reported and, when it changed, hands back the
new progress file text (the TUI's progress.json format, byte for byte) for the page
to keep in localStorage, and the lines the student's record (lab.session.record) grew by,
which the page appends to its copy there: the record never leaves the page unless the
student exports it (`export_record`) and hands the file in.
"""

from __future__ import annotations

import json
import os
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from lab.files import FileFormatError, parse_json
from lab.session import METHODS as PROTOCOL
from lab.session import STUDENT, SeedChoice, Session, SessionError, to_json
from lab.session.protocol import argument_problem
from lab.session.record import Journal
from lab.session.records import Refused

# The Session methods the page may call.
METHODS: Final = frozenset(name for name, m in PROTOCOL.items() if m.page)


@dataclass(slots=True, frozen=True, kw_only=True)
class Answer:
    """The bridge's reply to a call that went through."""

    ok: Literal[True] = True  # always true
    value: Any  # the method's result as JSON (see its record)
    progress: str | None  # the progress file's new text, when the call changed it
    record: str | None  # lines the student's record grew by (JSON lines, to append), when it grew


@dataclass(slots=True, frozen=True, kw_only=True)
class Failure:
    """The bridge's reply to a call that raised: the page rejects the call with a LabError."""

    ok: Literal[False] = False  # always false
    kind: str  # SessionError (a request that cannot make sense), BridgeError, TypeError, ...
    message: str  # what went wrong, in words
    traceback: str | None  # where, for a bug in the engine (None for the errors above)
    progress: str | None  # the progress file's new text, when the call changed it
    record: str | None  # lines the student's record grew by, when it grew


class BridgeError(Exception):
    """A request the bridge itself refuses: an unknown method, arguments that do not fit."""


def progress_text(data: dict[str, Any]) -> str:
    """Progress as the TUI writes progress.json (lab.lesson.progress.save_atomic's format)."""
    return json.dumps(data, indent=1, sort_keys=True)


def check_arguments(method: str, args: dict[str, Any]) -> None:
    """Arguments by name, each of the kind the method's signature says (BridgeError if not)."""
    problem = argument_problem(method, args)
    if problem:
        raise BridgeError(problem)


class Bridge:
    """One student's Session behind a JSON door; every reply carries the progress if it changed."""

    def __init__(
        self,
        lessons_dir: str | Path,
        *,
        progress_text: str | None = None,
        record_text: str | None = None,
        backend: str = "interp",
        seed: SeedChoice = STUDENT,
    ) -> None:
        journal = Journal.from_text(record_text)
        self.session = Session(lessons_dir, backend=backend, seed=seed, journal=journal)
        self.record_problem = journal.problem  # why (some of) the saved record was not usable
        self._record_lines = len(journal.lines)  # lines the page has
        self.progress_problem = ""  # why the saved progress was not usable ("" when it was)
        if progress_text:
            result = self.import_progress(progress_text)
            if not result["ok"]:
                self.progress_problem = result["error"]
        self._reported = self._progress_now()

    def _progress_now(self) -> str:
        return progress_text(self.session.progress())

    @property
    def running(self) -> bool:
        """The run loop should go on calling `advance` (a lesson runs and is not paused)."""
        lab = self.session.lab
        return self.session.running and lab is not None and lab.started

    def progress(self) -> str:
        """The progress file's text now (what the page keeps and exports)."""
        self._reported = self._progress_now()
        return self._reported

    def changed_progress(self) -> str | None:
        """The progress text when it changed since last reported, else None."""
        now = self._progress_now()
        if now == self._reported:
            return None
        self._reported = now
        return now

    def record(self) -> str:
        """The record's whole text (JSON lines): what the page keeps, when it has none yet."""
        self._record_lines = len(self.session.journal.lines)
        return self.session.journal.text()

    def record_lines(self) -> str | None:
        """The lines the record grew by since last reported (None: none)."""
        lines = self.session.journal.lines
        if len(lines) == self._record_lines:
            return None
        new = "".join(line + "\n" for line in lines[self._record_lines :])
        self._record_lines = len(lines)
        return new

    def call(self, method: str, args_json: str = "{}") -> str:
        """Run one Session method with keyword arguments; the reply (Answer or Failure) as JSON."""
        reply: Answer | Failure
        try:
            if method not in METHODS:
                raise BridgeError(f"no session method {method!r}")
            args = json.loads(args_json or "{}")
            if not isinstance(args, dict):
                raise BridgeError(f"arguments must be an object, not {type(args).__name__}")
            check_arguments(method, args)
            value = to_json(getattr(self.session, method)(**args))
            reply = Answer(value=value, progress=self.changed_progress(), record=self.record_lines())
        except (SessionError, BridgeError) as exc:
            reply = self._failure(exc)
        except (TypeError, ValueError) as exc:  # a value out of range
            reply = self._failure(exc, f"{method}: {exc}")
        except Exception as exc:  # a bug in the engine: say so with the place, keep the worker alive
            reply = self._failure(exc, f"{method}: {exc}", traceback.format_exc())
        return json.dumps(to_json(reply))

    def _failure(self, exc: Exception, message: str = "", trace: str | None = None) -> Failure:
        return Failure(
            kind=type(exc).__name__,
            message=message or str(exc),
            traceback=trace,
            progress=self.changed_progress(),
            record=self.record_lines(),
        )

    def import_progress(self, text: str) -> dict[str, Any]:
        """A progress file's text (an export, the TUI's progress.json) -> {ok, error}."""
        try:
            data = parse_json(text, path="the progress file")
        except FileFormatError as exc:
            return {"ok": False, "error": f"not a progress file ({exc.rule})"}
        result = self.session.load_progress(data) if isinstance(data, dict) else None
        if result is None:
            return {"ok": False, "error": "not a progress file (not a JSON object)"}
        if isinstance(result, Refused):
            return {"ok": False, "error": result.error}
        return {"ok": True, "error": ""}

    def pcap(self, segment: str) -> bytes:
        """A segment's capture as pcap bytes (Session.save_pcap through a scratch file)."""
        fd, path = tempfile.mkstemp(suffix=".pcap")
        os.close(fd)
        try:
            result = self.session.save_pcap(segment, path)
            if isinstance(result, Refused):
                raise SessionError(result.error)
            return Path(path).read_bytes()
        finally:
            os.unlink(path)

    def bench_mips(self, iterations: int = 200_000) -> dict[str, Any]:
        """The interpreter's speed on the tight loop, in the page (lab.cpu.speed; bench/web.py asks)."""
        from lab.cpu.speed import tight_loop

        figure = tight_loop("interp", iterations=iterations)
        return {"instructions": figure.instructions, "seconds": figure.seconds, "mips": figure.mips}
