"""A log a student can read whole at any width: long lines wrap, the newest text comes at the
end, and it follows the end unless the student scrolled up to read something.

    log = TextLog(max_lines=5000, id="trace-log")
    log.write("dom1> vms\n")            # text as it comes, a partial line (a prompt) included
    log.write_lines(["a", "b"])         # whole lines
    log.clear(); log.lines

A read-only TextArea with soft wrap: a focused one scrolls with Up/Down, PageUp/PageDown and
Home/End, and the mouse selects text for copying; one that must leave the focus to an input
line (a console) sets `can_focus = False` and is scrolled by its owner. It keeps the last
`max_lines` (and up to a quarter more, which go in one edit).
"""

from __future__ import annotations

from typing import Any, ClassVar, cast

from textual.binding import Binding, BindingType
from textual.widget import Widget
from textual.widgets import TabbedContent, TabPane, TextArea


class TextLog(TextArea):
    """Read-only, wrapping, bounded, following its end."""

    # A reader's keys: the view moves, not a cursor (there is none to see).
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "scroll_lines(-1)", show=False),
        Binding("down", "scroll_lines(1)", show=False),
        Binding("pageup", "scroll_pages(-1)", show=False),
        Binding("pagedown", "scroll_pages(1)", show=False),
        Binding("home,ctrl+home", "scroll_to(0)", show=False),
        Binding("end,ctrl+end", "scroll_to(-1)", show=False),
    ]

    DEFAULT_CSS = """
    TextLog {
        border: none;
        padding: 0;
        height: 1fr;
    }
    TextLog:focus {
        border: none;
    }
    """

    def __init__(self, *, max_lines: int = 5000, **kwargs: Any) -> None:
        super().__init__(
            read_only=True,
            soft_wrap=True,
            show_line_numbers=False,
            highlight_cursor_line=False,
            show_cursor=False,
            **kwargs,
        )
        self.max_lines = max_lines
        self.following = True  # new text scrolls into view (the student did not scroll up)

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        if self.size.height:  # a hidden log keeps following or not, as it was when last seen
            self.following = new >= self.max_scroll_y

    def on_show(self) -> None:
        if self.following:
            self.scroll_end(animate=False, immediate=False)

    def on_resize(self) -> None:
        if self.following:
            self.scroll_end(animate=False, immediate=False)

    def write(self, text: str) -> None:
        if not text:
            return
        self.insert(text, self.document.end, maintain_selection_offset=True)
        # Old lines go a quarter at a time: each edit re-measures the whole text.
        excess = self.document.line_count - self.max_lines
        if excess > self.max_lines // 4:
            self.delete((0, 0), (excess, 0), maintain_selection_offset=True)
        self.history.clear()  # nothing here is undone
        if self.following:
            self.scroll_end(animate=False, immediate=False, x_axis=False)

    def write_lines(self, lines: list[str]) -> None:
        """Whole lines, each on its own (no empty last line below them)."""
        if lines:
            empty = self.document.line_count == 1 and not self.document.get_line(0)
            self.write(("" if empty else "\n") + "\n".join(lines))

    def clear(self) -> None:
        self.load_text("")
        self.following = True

    def action_scroll_lines(self, lines: int) -> None:
        self.scroll_relative(y=lines, animate=False)

    def action_scroll_pages(self, pages: int) -> None:
        self.scroll_relative(y=pages * max(1, self.scrollable_content_region.height - 1), animate=False)

    def action_scroll_to(self, where: int) -> None:
        if where < 0:
            self.scroll_end(animate=False)
        else:
            self.scroll_home(animate=False)

    @property
    def lines(self) -> list[str]:
        """The text's lines (as written: wrapping only changes how they are shown)."""
        lines = self.text.split("\n")
        return lines[:-1] if lines and not lines[-1] else lines


class DrawnWhenShown:
    """Mixin for a panel in a tab that keeps what comes and draws it only while its tab is the
    open one: a flood's thousands of lines cost a hidden panel nothing but keeping them, and are
    drawn once, in `_redraw`, when the panel's tab opens. The panel draws new lines itself while
    `_shown`, and sets `_stale` when something came while it was hidden.

    Whether the tab is open is asked of the TabbedContent, not learned from Show and Hide
    events: Textual may leave out a Show (when its full layout map was rebuilt in between, the
    panel counts as shown already), and a panel waiting for it would never draw. The lesson
    screen calls `reveal` when a tab opens; a Show (when one comes) does the same."""

    _stale = False  # hidden while lines came: drawn afresh when shown

    @property
    def _shown(self) -> bool:
        """Its tab is the open one (a panel outside any tab: always)."""
        widget = cast(Widget, self)
        pane = next((node for node in widget.ancestors if isinstance(node, TabPane)), None)
        if pane is None:
            return True
        tabs = next((node for node in pane.ancestors if isinstance(node, TabbedContent)), None)
        return tabs is None or tabs.active == pane.id

    def reveal(self) -> None:
        """Draw what came while the panel was hidden, now that its tab is open."""
        if self._stale and self._shown:
            self._stale = False
            self._redraw()

    def on_show(self) -> None:
        self.reveal()

    def _redraw(self) -> None:
        raise NotImplementedError
