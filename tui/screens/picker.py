"""The lesson picker: every lesson with its summary, duration, language and the
student's progress; Enter opens one, `l` switches between English and German.

    app.push_screen(PickerScreen(session, lang="en"))
    # posts PickerScreen.Chosen(lesson_id="control-api", lang="en")
"""

from __future__ import annotations

from typing import ClassVar, Final

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from lab.session import Session
from lab.session.records import LessonSummary
from tui.keys import Key, Localized, localized, words
from uitext import LANGUAGES as LANGUAGE_NAMES

LANGUAGES: Final = tuple(LANGUAGE_NAMES)
# The title last: it is the long one, and an 80-column table cuts what comes after it.
COLUMNS: Final = ("#", "tui.col_done", "minutes", "tui.col_lang", "tui.col_lesson")


class LessonTable(Localized, DataTable[str]):
    """The lessons, a row each; Enter opens the highlighted one.

    Enter is the table's own key, not a priority key of the screen: a priority key runs as it
    arrives, ahead of the arrow keys typed before it that the table has not handled yet (a
    burst of keys, or a busy machine), and would open the row the cursor was on before them.
    """

    BINDINGS: ClassVar[list[BindingType]] = localized(Key("enter", "select_cursor", "open"))


class PickerScreen(Localized, Screen[None]):
    """A table of lessons above the highlighted lesson's summary."""

    BINDINGS: ClassVar[list[BindingType]] = localized(
        Key("l", "switch_language", "language"),
        Key("ctrl+q", "app.quit", "quit", priority=True),
    )

    DEFAULT_CSS = """
    PickerScreen DataTable {
        height: 1fr;
    }
    PickerScreen #summary {
        height: auto;
        min-height: 5;
        padding: 1 2;
        border-top: solid $primary;
    }
    """

    lang: reactive[str] = reactive("en")
    """The language lessons are listed (and opened) in, and the lab's words."""

    class Chosen(Message):
        """The student picked a lesson."""

        def __init__(self, lesson_id: str, lang: str) -> None:
            super().__init__()
            self.lesson_id = lesson_id
            self.lang = lang

    def __init__(self, session: Session, *, lang: str = "en") -> None:
        super().__init__()
        self.session = session
        self.lessons: tuple[LessonSummary, ...] = ()
        self._row = 0  # the cursor's row across a change of the column heads
        self._chosen = False  # a lesson is being opened
        self.set_reactive(PickerScreen.lang, lang)

    def watch_lang(self, lang: str) -> None:
        if self.is_mounted:
            set_language = getattr(self.app, "set_language", None)
            if set_language is not None:
                set_language(lang)
            self._heads()
            self.reload()

    def compose(self) -> ComposeResult:
        yield Header()
        yield LessonTable(cursor_type="row", id="lessons")
        yield Static(id="summary")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self._heads()
        self.reload()
        self.query_one(DataTable).focus()

    def on_screen_resume(self) -> None:
        self._chosen = False
        self.reload()  # progress changed in the lesson

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._summarize(event.cursor_row)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self._choose(event.cursor_row)

    def action_switch_language(self) -> None:
        if self._chosen:
            return  # a lesson is starting in a worker thread: leave the engine to it
        self.lang = LANGUAGES[(LANGUAGES.index(self.lang) + 1) % len(LANGUAGES)]

    def _heads(self) -> None:
        """The column heads in the current language (the rows follow in `reload`)."""
        table = self.query_one(DataTable)
        self._row = table.cursor_row  # clearing the columns moves the cursor home
        table.clear(columns=True)
        say = words(self)
        table.add_columns(*(head if head == "#" else say(head) for head in COLUMNS))

    def reload(self) -> None:
        """List the lessons again (language or progress changed), keeping the cursor."""
        table = self.query_one(DataTable)
        row = max(table.cursor_row, self._row)
        self._row = 0
        self.lessons = self.session.list_lessons(self.lang)
        table.clear()
        say = words(self)
        for n, lesson in enumerate(self.lessons, 1):
            if lesson.finished:
                progress = say("tui.all_done")
            else:
                progress = f"{lesson.done_steps}/{lesson.steps}"
            table.add_row(str(n), progress, str(lesson.minutes), lesson.lang, lesson.title)
        if self.lessons:
            table.move_cursor(row=min(max(row, 0), len(self.lessons) - 1))
            self._summarize(table.cursor_row)
        self.sub_title = say(
            "tui.picker_subtitle", lessons=say("lessons"), language=LANGUAGE_NAMES.get(self.lang, self.lang)
        )

    def _summarize(self, row: int) -> None:
        if not 0 <= row < len(self.lessons):
            return
        lesson = self.lessons[row]
        say = words(self)
        text = f"[b]{escape(lesson.title)}[/b]\n{escape(lesson.summary)}"
        if lesson.incident:
            text += f"\n[i]{escape(say('tui.mirrors', incident=lesson.incident))}[/i]"
        if lesson.requires:
            titles = {x.id: x.title for x in self.lessons}  # in the picker's language
            before = ", ".join(titles.get(r, r) for r in lesson.requires)
            text += "\n" + escape(say("after", lessons=before))
        self.query_one("#summary", Static).update(text)

    def starting(self, lesson_id: str | None) -> None:
        """Show that `lesson_id` is being started (None: it is up, or did not start)."""
        table = self.query_one(DataTable)
        table.loading = lesson_id is not None
        if lesson_id is None:
            return
        lesson = next((x for x in self.lessons if x.id == lesson_id), None)
        if lesson is not None:
            say = words(self)
            text = say("tui.starting", title=lesson.title)
            if lesson.done_steps and not lesson.finished:
                text += "\n" + say("tui.replaying", n=lesson.done_steps)
            self.query_one("#summary", Static).update(escape(text))

    def allow_choice(self) -> None:
        """The chosen lesson did not open: the student may choose again."""
        self._chosen = False

    def _choose(self, row: int) -> None:
        # Once: an Enter typed ahead while the lesson starts belongs to the lesson, not to a second one.
        if 0 <= row < len(self.lessons) and not self._chosen:
            self._chosen = True
            self.post_message(self.Chosen(self.lessons[row].id, self.lang))
