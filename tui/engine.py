"""The TUI's one door to the engine: a thin adapter over `lab.session.Session`.

    engine = Engine(progress_path=default_progress_path())
    engine.open_lesson("control-api", "en"); engine.start()
    engine.type("tenant", "vms"); engine.evaluate()

Screens and widgets call this module, never `lab.*`, so a renamed session
method is one edit here. Everything in and out is plain data, as from the
session.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Final

from lab.session import DEFAULT_LESSONS, STUDENT, SeedChoice, Session, SessionError

__all__ = ["Engine", "SessionError", "default_capture_dir", "default_data_dir", "default_progress_path"]

PROGRESS_FILE: Final = "progress.json"
CAPTURES: Final = "captures"


def default_data_dir() -> Path:
    """The user's hvlab data: $HVLAB_DATA, else the XDG data dir (~/.local/share/hvlab)."""
    base = os.environ.get("HVLAB_DATA")
    if base:
        return Path(base)
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "hvlab"


def default_progress_path() -> Path:
    """Where progress is kept, in the data dir."""
    return default_data_dir() / PROGRESS_FILE


def default_capture_dir() -> Path:
    """Where saved packet captures go unless the student names another place."""
    return default_data_dir() / CAPTURES


class Engine:
    """The session plus what the TUI needs around it (run state, lesson metadata)."""

    def __init__(
        self,
        *,
        lessons_dir: str | Path = DEFAULT_LESSONS,
        backend: str = "interp",
        progress_path: str | Path | None = None,
        seed: SeedChoice = STUDENT,
    ) -> None:
        self.session = Session(lessons_dir, backend, progress_path=progress_path, seed=seed)
        self.lesson: dict[str, Any] | None = None

    # -- lessons

    def list_lessons(self, lang: str) -> list[dict[str, Any]]:
        return self.session.list_lessons(lang)

    def open_lesson(self, lesson_id: str, lang: str) -> dict[str, Any]:
        self.lesson = self.session.open_lesson(lesson_id, lang)
        return self.lesson

    def start(self) -> dict[str, Any]:
        return self.session.start()

    def close(self) -> None:
        self.session.close()
        self.lesson = None

    # -- the machine

    @property
    def running(self) -> bool:
        return self.session.running

    def state(self) -> dict[str, Any]:
        return self.session.state()

    def type(self, vm: str, text: str) -> dict[str, Any]:
        return self.session.type(vm, text)

    def run(self, n: int) -> dict[str, Any]:
        return self.session.run(n)

    def step(self) -> dict[str, Any]:
        return self.session.step()

    def pause(self) -> dict[str, Any]:
        return self.session.pause()

    def console(self, vm: str, since: int) -> dict[str, Any]:
        return self.session.console(vm, since)

    def trace(self, since: int) -> dict[str, Any]:
        return self.session.trace(since)

    def timeline(self, since: int, limit: int = 500) -> dict[str, Any]:
        return self.session.timeline(since, limit)

    # -- the network

    def network(self, *, frames: int = 0) -> dict[str, Any] | None:
        return self.session.network(frames=frames)

    def save_pcap(self, segment: str, path: str | Path) -> dict[str, Any]:
        return self.session.save_pcap(segment, path)

    def mgmt_console(self, command: str) -> dict[str, Any]:
        """The hypervisor's out-of-band management console (no network in between)."""
        return self.session.mgmt_console(command)

    # -- policy and patches

    def policy(self) -> list[dict[str, Any]]:
        return self.session.policy()

    def set_policy(self, key: str, value: Any) -> dict[str, Any]:
        return self.session.set_policy(key, value)

    def patch_source(self, handler: str) -> dict[str, Any]:
        return self.session.patch_source(handler)

    def apply_patch(self, handler: str, source: str) -> dict[str, Any]:
        return self.session.apply_patch(handler, source)

    def revert_patch(self, handler: str) -> dict[str, Any]:
        return self.session.revert_patch(handler)

    # -- steps and progress

    def evaluate(self, *, attempt: bool = True) -> dict[str, Any]:
        return self.session.evaluate(attempt=attempt)

    def hint(self) -> dict[str, Any]:
        return self.session.hint()

    def hints_shown(self) -> list[dict[str, Any]]:
        return self.session.hints_shown()

    def reset_step(self) -> dict[str, Any]:
        return self.session.reset_step()

    def reset_lesson(self) -> dict[str, Any]:
        return self.session.reset_lesson()

    def progress(self) -> dict[str, Any]:
        return self.session.progress()

    # -- VMs, the editor

    def vm_control(self, vm: str, action: str) -> dict[str, Any]:
        return self.session.vm_control(vm, action)

    def assemble(self, source: str) -> dict[str, Any]:
        return self.session.assemble(source)

    def load_source(self, vm: str, source: str) -> dict[str, Any]:
        return self.session.load_source(vm, source)

    def handlers(self) -> list[str]:
        return self.session.handlers()
