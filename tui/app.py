"""hvlab's terminal lab: the Textual app, and `run_lab`, which `hvlab` and `hvlab tui` run.

    hvlab                                # the lesson picker
    hvlab tui control-api --lang de      # straight into a lesson (hvlab.cli parses the options)

The app holds one `lab.session.Session`: the lesson picker lists the course and the
student's progress from it. A chosen lesson runs in a process of its own
(`tui.machine.Machine`, `tui.engine`), built from the same settings, which the lesson
screen drives; when the student leaves it the picker reads the progress it wrote.
Progress goes to the user's data directory (`tui.paths.default_progress_path`), so a
restarted lab resumes each lesson at the student's step.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar, Final

from textual import on
from textual.app import App
from textual.binding import BindingType
from textual.message import Message

from lab.lesson import progress as progress_file
from lab.session import STUDENT, Session
from tui.engine import Setup, Started
from tui.keys import IN_LANGUAGE, Key, Localized, Words, localized, words
from tui.machine import Machine
from tui.paths import default_progress_path
from tui.screens.picker import PickerScreen

# The lesson and help screens are imported when first opened: the picker comes up sooner.

THEMES: Final = ("textual-dark", "textual-light")


class HvlabApp(Localized, App[None]):
    """The picker first; a chosen lesson on top of it; Escape goes back.

    `lang` is the language of every word the lab shows (uitext) and of the
    lessons it opens; the picker switches it.
    """

    TITLE = "hvlab"
    # The palette's own entries are English only, and its key costs footer room at 80 columns.
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar[list[BindingType]] = localized(
        Key("f1", "help", "help"),
        Key("ctrl+t", "toggle_theme", "theme", show=False),
        Key("ctrl+q", "quit", "quit", show=False, priority=True),
    )

    class Delivered(Message):
        """Work for this thread from a lesson's engine: a frame to draw, a command's answer."""

        def __init__(self, work: Callable[[], object]) -> None:
            super().__init__()
            self.work = work

    def __init__(self, session: Session, *, lesson: str | None = None, lang: str = "en") -> None:
        super().__init__()
        self.session = session
        self.machine: Machine | None = None  # the open lesson's engine (until it ended)
        self._next: tuple[str, str] | None = None  # a lesson to open once that engine ended
        self.first_lesson = lesson
        self.lang = lang
        self.theme = THEMES[0]
        self.sub_title = Words(lang)("tui.subtitle")

    def set_language(self, lang: str) -> None:
        """Switch every word the lab shows (footer keys, titles, columns) to `lang`."""
        self.lang = lang
        self.sub_title = Words(lang)("tui.subtitle")
        self.screen.refresh_bindings()

    async def on_mount(self) -> None:
        await self.push_screen(PickerScreen(self.session, lang=self.lang))  # mounted: it can show progress
        problem = self.session.problems().progress
        if problem:
            title = words(self)("tui.progress_unreadable")
            self.notify(problem, title=title, severity="warning", timeout=20)
        if self.first_lesson:
            self.open_lesson(self.first_lesson, self.lang)

    def on_picker_screen_chosen(self, event: PickerScreen.Chosen) -> None:
        self.open_lesson(event.lesson_id, event.lang)

    def open_lesson(self, lesson_id: str, lang: str) -> None:
        """Start the lesson's engine (resuming replays the steps done, which can take seconds)
        while the picker shows that it is starting, then show the lesson. The last lesson's
        engine ends first: two engines never share the progress file."""
        if isinstance(self.screen, PickerScreen):
            self.screen.starting(lesson_id)
        if self.machine is not None:
            self._next = (lesson_id, lang)
            return
        session = self.session
        # The student's seed on disk: the engine's session reads it there (and meets, and says,
        # any problem with the file itself).
        with contextlib.suppress(OSError):
            session.book.save()
        setup = Setup(
            lesson=lesson_id,
            lang=lang,
            lessons_dir=session.lessons_dir,
            backend=session.backend,
            progress=session.book.path,
            seed=session.seed,
        )
        machine = self.machine = Machine(setup, deliver=lambda work: self.post_message(self.Delivered(work)))
        machine.on_start(self._started, self._not_started)

    @on(Delivered)
    def delivered(self, event: Delivered) -> None:
        if self.is_running:  # not while the app shuts its screens down
            event.work()

    def _started(self, started: Started) -> None:
        from tui.screens.lesson import LessonScreen

        if isinstance(self.screen, PickerScreen):
            self.screen.starting(None)
        assert self.machine is not None
        self.push_screen(LessonScreen(self.machine, started))

    def _not_started(self, problem: str) -> None:
        self.machine = None  # its engine ends by itself
        self.notify(problem, title=words(self)("tui.cannot_open"), severity="error", timeout=10)
        if isinstance(self.screen, PickerScreen):
            self.screen.starting(None)
            self.screen.allow_choice()

    def lesson_closed(self) -> None:
        """The lesson's engine ended: its progress is on disk, for the picker to show."""
        self.machine = None
        path = self.session.book.path
        if path is not None and path.exists():
            try:
                self.session.load_progress(progress_file.load(path).to_dict())
            except progress_file.ProgressError as exc:
                self.notify(str(exc), title=words(self)("tui.progress_unreadable"), severity="warning")
        if isinstance(self.screen, PickerScreen):
            self.screen.reload()
        if self._next is not None:  # chosen while the last engine was ending
            lesson_id, lang = self._next
            self._next = None
            self.open_lesson(lesson_id, lang)

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            return
        # The lab's keys that work right now, in the student's language (hidden ones too);
        # Textual's own editing keys of the focused widget are left out.
        keys: dict[str, str] = {}
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if binding.action.startswith(IN_LANGUAGE) and binding.description:
                keys.setdefault(self.get_key_display(binding), binding.tooltip or binding.description)
        self.push_screen(HelpScreen(list(keys.items())))

    def action_toggle_theme(self) -> None:
        self.theme = (
            THEMES[(THEMES.index(self.theme) + 1) % len(THEMES)] if self.theme in THEMES else THEMES[0]
        )


def run_lab(
    lesson: str | None = None,
    *,
    lang: str = "en",
    lessons_dir: Path | None = None,
    backend: str = "interp",
    progress: Path | None = None,
) -> int:
    """`hvlab tui [LESSON]` (the command line parses): open the picker, or straight into LESSON."""
    kwargs = {"lessons_dir": lessons_dir} if lessons_dir else {}
    progress = progress or default_progress_path()
    session = Session(backend=backend, progress_path=progress, seed=STUDENT, **kwargs)
    found = {x.id for x in session.list_lessons(lang)}
    if not found:
        problems = "".join(f"\n  {p}" for p in session.problems().lessons)
        print(f"hvlab tui: no lessons in {session.lessons_dir}{problems}", file=sys.stderr)
        return 2
    if lesson and lesson not in found:
        print(f"hvlab tui: no lesson {lesson!r} (lessons: {', '.join(sorted(found))})", file=sys.stderr)
        return 2
    HvlabApp(session, lesson=lesson, lang=lang).run()
    return 0
