"""The lesson picker: every lesson with its summary, duration, language and the
student's progress; Enter opens one, `l` switches between English and German.

    app.push_screen(PickerScreen(engine, lang="en"))
    # posts PickerScreen.Chosen(lesson_id="control-api", lang="en")
"""

from __future__ import annotations

from typing import Any, ClassVar, Final

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from tui.engine import Engine

LANGUAGES: Final = ("en", "de")
LANGUAGE_NAMES: Final = {"en": "English", "de": "Deutsch"}


class PickerScreen(Screen[None]):
    """A table of lessons above the highlighted lesson's summary."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open", show=True, priority=False),
        Binding("l", "switch_language", "Language"),
    ]

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
    """The language lessons are listed (and opened) in."""

    class Chosen(Message):
        """The student picked a lesson."""

        def __init__(self, lesson_id: str, lang: str) -> None:
            super().__init__()
            self.lesson_id = lesson_id
            self.lang = lang

    def __init__(self, engine: Engine, *, lang: str = "en") -> None:
        super().__init__()
        self.engine = engine
        self.lessons: list[dict[str, Any]] = []
        self.set_reactive(PickerScreen.lang, lang)

    def watch_lang(self) -> None:
        if self.is_mounted:
            self.reload()

    def compose(self) -> ComposeResult:
        yield Header()
        table: DataTable[str] = DataTable(cursor_type="row", id="lessons")
        table.add_columns("#", "lesson", "min", "lang", "done")
        yield table
        yield Static(id="summary")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.reload()
        self.query_one(DataTable).focus()

    def on_screen_resume(self) -> None:
        self.reload()  # progress changed in the lesson

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._summarize(event.cursor_row)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self._choose(event.cursor_row)

    def action_open(self) -> None:
        self._choose(self.query_one(DataTable).cursor_row)

    def action_switch_language(self) -> None:
        self.lang = LANGUAGES[(LANGUAGES.index(self.lang) + 1) % len(LANGUAGES)]

    def reload(self) -> None:
        """List the lessons again (language or progress changed), keeping the cursor."""
        table = self.query_one(DataTable)
        row = table.cursor_row
        self.lessons = self.engine.list_lessons(self.lang)
        table.clear()
        for n, lesson in enumerate(self.lessons, 1):
            if lesson["finished"]:
                progress = "✓ all"
            else:
                progress = f"{lesson['done_steps']}/{lesson['steps']}"
            table.add_row(str(n), lesson["title"], str(lesson["minutes"]), lesson["lang"], progress)
        if self.lessons:
            table.move_cursor(row=min(max(row, 0), len(self.lessons) - 1))
            self._summarize(table.cursor_row)
        self.sub_title = f"Lessons · {LANGUAGE_NAMES.get(self.lang, self.lang)} (l switches)"

    def _summarize(self, row: int) -> None:
        if not 0 <= row < len(self.lessons):
            return
        lesson = self.lessons[row]
        text = f"[b]{escape(lesson['title'])}[/b]\n{escape(lesson['summary'])}"
        if lesson.get("incident"):
            text += f"\n[i]Mirrors: {escape(lesson['incident'])}[/i]"
        if lesson.get("requires"):
            text += f"\nAfter: {', '.join(lesson['requires'])}"
        self.query_one("#summary", Static).update(text)

    def _choose(self, row: int) -> None:
        if 0 <= row < len(self.lessons):
            self.post_message(self.Chosen(self.lessons[row]["id"], self.lang))
