"""hvlab's terminal lab: the Textual app, and `run_lab`, which `hvlab` and `hvlab tui` run.

    hvlab                                # the lesson picker
    hvlab tui control-api --lang de      # straight into a lesson (hvlab.cli parses the options)

The app holds one `lab.session.Session`, which both screens talk to directly:
the lesson picker and the lesson. Progress goes to the user's data directory
(`tui.paths.default_progress_path`), so a restarted lab resumes each lesson at
the student's step.

An instructor's preview (`hvlab lessons preview DIR`) runs the same app on DIR with its
progress in memory, and asks the session once a second to `reload`: a lesson whose file
changed is drawn afresh on the machine it had (or on a new one, when its scenario changed),
a new lesson joins the picker, and a file that does not parse is named in a notification.
"""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path
from typing import ClassVar, Final

from textual.app import App
from textual.binding import BindingType

from lab.session import STUDENT, Session, SessionError
from lab.session.records import LessonView
from tui.keys import IN_LANGUAGE, Key, Localized, Words, localized, words
from tui.paths import default_progress_path
from tui.screens.picker import PickerScreen

# The lesson and help screens are imported when first opened: the picker comes up sooner.

THEMES: Final = ("textual-dark", "textual-light")
START_GROUP: Final = "lesson-start"  # the worker that builds a lesson's machine
PREVIEW_SECONDS: Final = 1.0  # how often a preview asks the session whether a lesson file changed


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

    def __init__(
        self, session: Session, *, lesson: str | None = None, lang: str = "en", preview: str = ""
    ) -> None:
        super().__init__()
        self.session = session
        self.lesson: LessonView | None = None  # the lesson open, once its machine is built
        self.first_lesson = lesson
        self.preview = preview  # an instructor's preview: what to say at the start ("" : none)
        self._building = False  # a worker thread builds a lesson's machine: leave the session to it
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

    def reload_lessons(self) -> None:
        """The preview's look at the lessons' folder (Session.reload), and what it changes on screen."""
        if self._building:
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
        elif reloaded.lesson is not None and self.lesson is not None:
            from tui.screens.lesson import LessonScreen

            if isinstance(screen, LessonScreen):
                self.lesson = reloaded.lesson
                self.switch_screen(LessonScreen(self.session, reloaded.lesson))  # it attaches to the machine
                said = "preview_restarted" if reloaded.restarted else "preview_kept"
                self.notify(say(said, title=reloaded.lesson.title))

    def on_picker_screen_chosen(self, event: PickerScreen.Chosen) -> None:
        self.open_lesson(event.lesson_id, event.lang)

    def open_lesson(self, lesson_id: str, lang: str) -> None:
        """Build the lesson's machine in a thread (resuming replays the steps done, which can
        take seconds) while the picker shows that it is starting, then show the lesson."""
        if isinstance(self.screen, PickerScreen):
            self.screen.starting(lesson_id)
        self._building = True
        self.run_worker(
            partial(self._start_lesson, lesson_id, lang), thread=True, exclusive=True, group=START_GROUP
        )

    def _start_lesson(self, lesson_id: str, lang: str) -> None:
        """In the worker thread: nothing else uses the session until the lesson screen is up."""
        try:
            self.lesson = self.session.open_lesson(lesson_id, lang)
            self.session.start()
        except SessionError as exc:
            self.call_from_thread(self._not_started, str(exc))
        else:
            self.call_from_thread(self._started)

    def _started(self) -> None:
        from tui.screens.lesson import LessonScreen

        self._building = False
        if isinstance(self.screen, PickerScreen):
            self.screen.starting(None)
        assert self.lesson is not None
        self.push_screen(LessonScreen(self.session, self.lesson))

    def _not_started(self, problem: str) -> None:
        self._building = False
        self.notify(problem, title=words(self)("tui.cannot_open"), severity="error", timeout=10)
        if isinstance(self.screen, PickerScreen):
            self.screen.starting(None)
            self.screen.allow_choice()

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
    preview: str = "",
) -> int:
    """`hvlab tui [LESSON]` (the command line parses): open the picker, or straight into LESSON.
    `preview` (`hvlab lessons preview`): reload lessons as their files change, keep the progress
    in memory, and say `preview` at the start."""
    kwargs = {"lessons_dir": lessons_dir} if lessons_dir else {}
    progress = None if preview else progress or default_progress_path()
    session = Session(backend=backend, progress_path=progress, seed=STUDENT, **kwargs)
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
