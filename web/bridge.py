"""The worker's Python side: JSON in, JSON out, between the page and one `Session`.

    bridge = Bridge("/home/pyodide/lessons", progress_text=saved)   # saved: localStorage text or None
    bridge.call("open_lesson", '{"lesson_id": "control-api", "lang": "de"}')
    # -> '{"ok": true, "value": {...}, "progress": null}'   (or the new progress text)
    # -> '{"ok": false, "kind": "SessionError", "message": "no lesson is running: ..."}'

It runs inside Pyodide (web/src/worker.js imports it) but imports nothing of
Pyodide's, so CPython tests drive it as the worker does. Only the Session
methods in `METHODS` can be called: the page is not trusted to name any
attribute it likes. After every call the bridge compares the student's
progress with what it last reported and, when it changed, hands back the new
progress file text (the TUI's progress.json format, byte for byte) for the
page to keep in localStorage.
"""

from __future__ import annotations

import json
import os
import tempfile
import traceback
from pathlib import Path
from typing import Any, Final

from lab import i18n
from lab.files import FileFormatError, parse_json
from lab.lesson import progress as progress_io
from lab.session import STUDENT, SeedChoice, Session, SessionError

# The Session methods the page may call (web_protocol.md lists what the UI uses).
METHODS: Final = frozenset(
    {
        "list_lessons",
        "open_lesson",
        "start",
        "state",
        "type",
        "run",
        "step",
        "pause",
        "console",
        "trace",
        "timeline",
        "network",
        "mgmt_console",
        "grants",
        "policy",
        "set_policy",
        "patch_source",
        "apply_patch",
        "revert_patch",
        "handlers",
        "vm_control",
        "assemble",
        "load_source",
        "evaluate",
        "hint",
        "hints_shown",
        "reset_step",
        "reset_lesson",
        "progress",
        "load_progress",
    }
)


class BridgeError(Exception):
    """A request the bridge itself refuses: an unknown method, arguments that are not an object."""


def progress_text(data: dict[str, Any]) -> str:
    """Progress as the TUI writes progress.json (lab.lesson.progress.save_atomic's format)."""
    return json.dumps(data, indent=1, sort_keys=True)


class Bridge:
    """One student's Session behind a JSON door; every reply carries the progress if it changed."""

    def __init__(
        self,
        lessons_dir: str | Path,
        *,
        progress_text: str | None = None,
        backend: str = "interp",
        seed: SeedChoice = STUDENT,
    ) -> None:
        self.session = Session(lessons_dir, backend=backend, seed=seed)
        self.progress_problem = ""  # why the saved progress was not usable ("" when it was)
        if progress_text:
            result = self.import_progress(progress_text)
            if not result["ok"]:
                self.progress_problem = result["error"]
        self._reported = self._progress_now()

    def _progress_now(self) -> str:
        return progress_text(self.session.progress())

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

    def call(self, method: str, args_json: str = "{}") -> str:
        """Run one Session method with keyword arguments; the reply as JSON text."""
        try:
            if method not in METHODS:
                raise BridgeError(f"no session method {method!r}")
            args = json.loads(args_json or "{}")
            if not isinstance(args, dict):
                raise BridgeError(f"arguments must be an object, not {type(args).__name__}")
            value = getattr(self.session, method)(**args)
            reply: dict[str, Any] = {"ok": True, "value": value}
        except (SessionError, BridgeError) as exc:
            reply = {"ok": False, "kind": type(exc).__name__, "message": str(exc)}
        except (TypeError, ValueError) as exc:  # wrong or missing arguments, a value out of range
            reply = {"ok": False, "kind": type(exc).__name__, "message": f"{method}: {exc}"}
        except Exception as exc:  # a bug in the engine: say so with the place, keep the worker alive
            reply = {
                "ok": False,
                "kind": type(exc).__name__,
                "message": f"{method}: {exc}",
                "traceback": traceback.format_exc(),
            }
        reply["progress"] = self.changed_progress()
        return json.dumps(reply)

    def import_progress(self, text: str) -> dict[str, Any]:
        """A progress file's text (an export, the TUI's progress.json) -> {ok, error}."""
        try:
            data = parse_json(text, path="the progress file")
        except FileFormatError as exc:
            return {"ok": False, "error": f"not a progress file ({exc.rule})"}
        try:
            progress_io.Progress.from_dict(data)
        except progress_io.ProgressError as exc:
            return {"ok": False, "error": str(exc)}
        return self.session.load_progress(data)

    def strings(self, lang: str) -> dict[str, str]:
        return i18n.strings(lang if lang in i18n.LANGUAGES else "en")

    def pcap(self, segment: str) -> bytes:
        """A segment's capture as pcap bytes (Session.save_pcap through a scratch file)."""
        fd, path = tempfile.mkstemp(suffix=".pcap")
        os.close(fd)
        try:
            result = self.session.save_pcap(segment, path)
            if not result["ok"]:
                raise SessionError(result["error"])
            return Path(path).read_bytes()
        finally:
            os.unlink(path)

    def bench_mips(self, iterations: int = 200_000) -> dict[str, Any]:
        """The interpreter's speed on bench's tight loop (bench/web.py asks this in the browser)."""
        from bench.common import run_on_cpu
        from bench.suite import TIGHT_LOOP

        run_on_cpu("interp", TIGHT_LOOP.format(n=1000))  # warm up: the first run pays for translation
        retired, seconds = run_on_cpu("interp", TIGHT_LOOP.format(n=int(iterations)))
        return {"instructions": retired, "seconds": seconds, "mips": retired / max(seconds, 1e-9) / 1e6}
