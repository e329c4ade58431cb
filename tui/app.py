"""hvlab's terminal lab: the Textual app, and `run_lab`, which `hvlab` and `hvlab tui` run.

    hvlab                                # the lesson picker
    hvlab tui control-api --lang de      # straight into a lesson (hvlab.cli parses the options)

The app holds one `lab.session.Session`: the lesson picker lists the course and the
student's progress from it. A chosen lesson runs in a process of its own
(`tui.machine.Machine`, `tui.engine`), built from the same settings, which the lesson
screen drives; when the student leaves it the picker reads the progress it wrote.
Progress goes to the user's data directory (`tui.paths.default_progress_path`), so a
restarted lab resumes each lesson at the student's step. The record of what the student
did (lab.session.record) goes beside it: the lesson's engine writes it, the app's session
only reads it (after each lesson), and the picker exports it (`x`) as a file to hand in.

An instructor's preview (`hvlab lessons preview DIR`) runs the same app on DIR with its
progress (and record) in memory, and asks the session once a second to `reload` (the open lesson's
engine too, which holds its machine): a lesson whose file changed is drawn afresh on the
machine it had (or on a new one, when its scenario changed), a new lesson joins the
picker, and a file that does not parse is named in a notification.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, ClassVar, Final

from textual import on
from textual.app import App
from textual.binding import BindingType
from textual.message import Message
from textual.screen import Screen

from lab.lesson import progress as progress_file
from lab.session import STUDENT, Session
from lab.session.record import Journal
from lab.session.records import Refused, Reloaded
from tui import engine
from tui.engine import Setup, Started
from tui.keys import IN_LANGUAGE, Key, Localized, Words, localized, words
from tui.machine import Machine
from tui.paths import default_progress_path, record_path
from tui.screens.picker import PickerScreen

# The lesson and help screens are imported when first opened: the picker comes up sooner.

THEMES: Final = ("textual-dark", "textual-light")
PREVIEW_SECONDS: Final = 1.0  # how often a preview asks the session whether a lesson file changed


TERMINAL_CHECK_SECONDS: Final = 2.0  # how often the lab looks whether its terminal is still there


def on_a_terminal() -> bool:
    """Is standard input a terminal (one that hung up is not)?"""
    try:
        return os.isatty(sys.__stdin__.fileno())
    except (AttributeError, OSError, ValueError):  # no stdin at all, or a closed one
        return False


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

    def __init__(
        self, session: Session, *, lesson: str | None = None, lang: str = "en", preview: str = ""
    ) -> None:
        super().__init__()
        self.session = session
        self.machine: Machine | None = None  # the open lesson's engine (until it ended)
        self._next: tuple[str, str] | None = None  # a lesson to open once that engine ended
        self._after_engine: list[Callable[[], object]] = []  # work waiting for that engine's end
        self.first_lesson = lesson
        self.preview = preview  # an instructor's preview: what to say at the start ("" : none)
        self._reloading = False  # the open lesson's engine reads it again (a preview)
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
        if self.preview:
            self.notify(self.preview, timeout=15)
            self.set_interval(PREVIEW_SECONDS, self.reload_lessons)
        if not self.is_headless and on_a_terminal():
            self.set_interval(TERMINAL_CHECK_SECONDS, self._leave_if_terminal_gone)

    def _leave_if_terminal_gone(self) -> None:
        """Leave as Ctrl+Q does (progress is saved as it is made) when the terminal has gone
        away without a hangup signal reaching this process (a tmux window or SSH link closed
        under `make tui`): Textual's input thread would read its end of file forever, a whole
        core's worth, with nobody to see the lab."""
        if not on_a_terminal():
            self.exit()

    def reload_lessons(self) -> None:
        """The preview's look at the lessons' folder (Session.reload), and what it changes on
        screen: the picker's list here, the open lesson in its engine (`engine.reload`)."""
        if self._reloading:  # the open lesson is being read again: one at a time
            return
        reloaded = self.session.reload()
        if not reloaded.changed:
            return
        say = words(self)
        for problem in reloaded.problems:
            self.notify(problem, title=say("preview_problem"), severity="error", timeout=20)
        screen = self.screen
        if isinstance(screen, PickerScreen):
            screen.reload()
        elif self.machine is not None:
            self._reloading = True
            self.machine.submit(
                engine.reload,
                then=partial(self._reloaded, self.machine),
                refused=lambda _: setattr(self, "_reloading", False),
            )

    def _reloaded(self, machine: Machine, result: tuple[Reloaded, Started | None]) -> None:
        """The open lesson as its engine read it again: drawn afresh on the machine it has."""
        from tui.screens.lesson import LessonScreen

        reloaded, started = result
        screen = self.screen
        if started is None or machine is not self.machine or not isinstance(screen, LessonScreen):
            self._reloading = False
            return
        screen.hand_over()  # the engine stays: the new screen attaches to it
        said = "preview_restarted" if reloaded.restarted else "preview_kept"
        self.notify(words(self)(said, title=started.lesson.title))
        self.run_worker(self._switch(LessonScreen(machine, started, attach=True)))

    async def _switch(self, screen: Screen[None]) -> None:
        await self.switch_screen(screen)  # mounted: the next reload may replace it
        self._reloading = False

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
            record=session.journal.path,  # the engine writes it; this session only reads it
        )
        machine = self.machine = Machine(setup, deliver=lambda work: self.post_message(self.Delivered(work)))
        machine.on_start(self._started, self._not_started)

    def when_no_lesson(self, work: Callable[[], object]) -> None:
        """`work()` now, or once the lesson's engine has ended (it writes the progress and the
        record until then): the picker's export waits for the last lesson's record."""
        if self.machine is None:
            work()
        else:
            self._after_engine.append(work)

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
        """The lesson's engine ended: its progress and record are on disk, for the picker to
        show and export."""
        self.machine = None
        path = self.session.book.path
        if path is not None and path.exists():
            try:
                self.session.load_progress(progress_file.load(path).to_dict())
            except progress_file.ProgressError as exc:
                self.notify(str(exc), title=words(self)("tui.progress_unreadable"), severity="warning")
        self.session.journal.reread()
        if isinstance(self.screen, PickerScreen):
            self.screen.reload()
        waiting, self._after_engine = self._after_engine, []
        for work in waiting:
            work()
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


def app_session(progress: Path | None, **kwargs: Any) -> Session:
    """The app's session (Session's `kwargs`): the student's progress in `progress` (None: in
    memory) and their record beside it, which this session only reads: the lessons' engines
    write it (tui.engine), and the app reads it again after each (`lesson_closed`)."""
    journal = Journal(record_path(progress) if progress else None, append=False)
    return Session(progress_path=progress, seed=STUDENT, journal=journal, **kwargs)


def run_lab(
    lesson: str | None = None,
    *,
    lang: str = "en",
    lessons_dir: Path | None = None,
    backend: str = "interp",
    progress: Path | None = None,
    student: str | None = None,
    seed: int | None = None,
    preview: str = "",
) -> int:
    """`hvlab tui [LESSON]` (the command line parses): open the picker, or straight into LESSON.
    `seed` (and `student`, the name it was made for): the course seed, kept with the progress.
    `preview` (`hvlab lessons preview`): reload lessons as their files change, keep the progress
    and the record in memory, and say `preview` at the start."""
    kwargs = {"lessons_dir": lessons_dir} if lessons_dir else {}
    progress = None if preview else progress or default_progress_path()
    session = app_session(progress, backend=backend, **kwargs)
    if session.journal.problem:
        print(f"hvlab tui: {session.journal.problem}", file=sys.stderr)
    if seed is not None or student is not None:
        now = session.student()
        given = session.set_student(
            now.name if student is None else student, now.seed if seed is None else seed
        )
        if isinstance(given, Refused):
            print(f"hvlab tui: {given.error}", file=sys.stderr)
            return 2
    found = {x.id for x in session.list_lessons(lang)}
    if not found:
        problems = "".join(f"\n  {p}" for p in session.problems().lessons)
        print(f"hvlab tui: no lessons in {session.lessons_dir}{problems}", file=sys.stderr)
        return 2
    if lesson and lesson not in found:
        print(f"hvlab tui: no lesson {lesson!r} (lessons: {', '.join(sorted(found))})", file=sys.stderr)
        return 2
    HvlabApp(session, lesson=lesson, lang=lang, preview=preview).run()
    return 0
