"""The editor: guest assembly (assemble, see errors at their line, load into a
VM), hypercall patch points (apply a rewritten handler, roll it back) and
detection rules (check them, load them to watch the machine).

    editor = Editor(machine, handlers=session.handlers(), vms=["admin", "tenant"], program=lesson.program)
    # posts Editor.Changed(what="loaded tenant") after a load, apply or revert

What it asks of the session goes to the lesson's engine (`machine`, a tui.machine.Machine)
and the answer comes back to this widget when the engine has it.

Both are highlighted when the `tui` extra's tree-sitter packages are installed
(`textual[syntax]` for Python, `tree-sitter-riscv` for assembly, registered in
`tui.widgets.asm_highlight`); without them the text is plain and works the same.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.theme import Theme
from textual.widgets import Button, Select, Static, TextArea
from textual.widgets.text_area import Selection

from lab.session import Session
from lab.session.records import (
    Assembly,
    PatchResult,
    PatchSource,
    Refused,
    RulesChecked,
    RulesLoaded,
    RulesSource,
)
from tui import engine
from tui.keys import words
from tui.machine import Machine
from tui.widgets.asm_highlight import ASSEMBLY_LANGUAGE, register_assembly

ASSEMBLY: Final = "asm"
RULES: Final = "rules"  # the detection rules (TOML)
TEMPLATE: Final = """\
# A guest program: print a greeting with SBI DBCN console_write_byte, then wait.
# lib/sbi.S names the hypercall numbers (EID_DBCN, DBCN_CONSOLE_WRITE_BYTE, ...).
        .include "lib/sbi.S"

        .text
_start:
        la      s0, greeting
1:      lbu     a0, 0(s0)
        beqz    a0, 2f
        li      a7, EID_DBCN
        li      a6, DBCN_CONSOLE_WRITE_BYTE
        ecall
        addi    s0, s0, 1
        j       1b
2:      wfi
        j       2b

        .data
greeting:
        .asciz  "hello from the editor\\n"
"""


class Editor(Vertical):
    """A source selector and target, the text area, the action buttons and a status line."""

    DEFAULT_CSS = """
    Editor Horizontal {
        height: auto;
    }
    Editor Select {
        width: 1fr;
    }
    Editor TextArea {
        height: 1fr;
    }
    Editor Button {
        min-width: 8;
        margin-right: 1;
    }
    Editor #editor-status {
        height: auto;
        max-height: 6;
        padding: 0 1;
    }
    Editor #editor-status.error {
        color: $error;
    }
    """

    class Changed(Message):
        """The editor changed the machine (a program loaded, a patch applied or reverted)."""

        def __init__(self, what: str) -> None:
            super().__init__()
            self.what = what

    def __init__(
        self,
        machine: Machine,
        *,
        handlers: tuple[str, ...],
        vms: list[str],
        program: str = "",
        program_name: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.machine = machine
        self.handlers = handlers
        self.vms = vms
        self.mode = ASSEMBLY
        # The lesson's own program (one the student finishes), else the example.
        self._template = program or TEMPLATE
        self._template_name = program_name if program else ""
        self._assembly = self._template
        self._rules: str | None = None  # the rules as last edited (None: the session's)
        self._rules_coming = False  # the session's rules are asked for and not in the text area yet
        self._asm_language: str | None = None  # set on mount when the grammar is installed

    def compose(self) -> ComposeResult:
        say = words(self)
        sources = [(say("tui.editor_assembly"), ASSEMBLY), (say("detection_rules"), RULES)] + [
            (say("tui.editor_patch", handler=h), h) for h in self.handlers
        ]
        with Horizontal():
            yield Select(sources, value=ASSEMBLY, allow_blank=False, id="editor-source")
            yield Select(
                [(vm, vm) for vm in self.vms],
                value=self.vms[min(1, len(self.vms) - 1)],
                allow_blank=False,
                id="editor-vm",
            )
        yield TextArea.code_editor(self._template, id="editor-text", soft_wrap=False)
        with Horizontal():
            yield Button(say("assemble"), id="editor-check")
            yield Button(say("tui.editor_load"), id="editor-go", variant="primary")
            yield Button(say("tui.editor_new"), id="editor-revert", variant="warning")
        yield Static("", id="editor-status")

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        if register_assembly(area):
            self._asm_language = ASSEMBLY_LANGUAGE
            area.language = ASSEMBLY_LANGUAGE
        # The code colours follow the app's light or dark theme (ctrl+t).
        self.app.theme_changed_signal.subscribe(self, self._follow_theme)
        self._follow_theme(self.app.current_theme)

    def _follow_theme(self, theme: Theme) -> None:
        self.query_one(TextArea).theme = "css" if theme.dark else "github_light"

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id != "editor-source":
            return
        event.stop()
        self.open(str(event.value))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "editor-check":
            self.check()
        elif event.button.id == "editor-go":
            self.go()
        elif event.button.id == "editor-revert":
            self.revert()

    @property
    def text(self) -> str:
        return self.query_one(TextArea).text

    @text.setter
    def text(self, value: str) -> None:
        self.query_one(TextArea).load_text(value)

    def open(self, source: str) -> None:
        """Switch to assembly, the detection rules or the patch point `source` (a handler like
        dbcn.console_write)."""
        area = self.query_one(TextArea)
        if self.mode == ASSEMBLY:
            self._assembly = area.text
        elif self.mode == RULES and not self._rules_coming:
            self._rules = area.text
        self.mode = source
        vm_select = self.query_one("#editor-vm", Select)
        say = words(self)
        if source == ASSEMBLY:
            vm_select.display = True
            area.language = self._asm_language
            area.load_text(self._assembly)
            self._labels(say("assemble"), say("tui.editor_load"), say("tui.editor_new"))
            self.status(say("tui.editor_asm_help"))
            return
        vm_select.display = False
        if source == RULES:
            area.language = "toml" if "toml" in area.available_languages else None
            self._labels(say("tui.editor_check"), say("tui.editor_load"), say("tui.editor_new"))
            self.status(say("tui.editor_rules_help"))
            if self._rules is not None:
                area.load_text(self._rules)
                return
            area.load_text("")  # not the last mode's text to check as rules meanwhile
            self._rules_coming = True
            self._ask(Session.rules_source, then=self._show_rules)
            return
        area.language = "python" if "python" in area.available_languages else None
        self._labels(say("tui.editor_check"), say("tui.editor_apply"), say("revert_patch"))
        self._ask(Session.patch_source, source, then=self._show_source)

    def _show_source(self, info: PatchSource) -> None:
        if info.handler != self.mode:  # the student moved on meanwhile
            return
        say = words(self)
        self.query_one(TextArea).load_text(info.source)
        state = say("tui.editor_patched") if info.patched else say("tui.editor_original")
        self.status(
            say("tui.editor_patch_state", handler=info.handler, params=", ".join(info.params), state=state)
        )

    def _show_rules(self, rules: RulesSource) -> None:
        if self.mode != RULES or not self._rules_coming:  # the student moved on meanwhile
            return
        self._rules_coming = False
        self.text = rules.text

    def _labels(self, check: str, go: str, revert: str) -> None:
        self.query_one("#editor-check", Button).label = check
        self.query_one("#editor-go", Button).label = go
        self.query_one("#editor-revert", Button).label = revert

    def _ask(self, fn: Callable[..., Any], *args: Any, then: Callable[[Any], object]) -> None:
        """A session method on the run loop's thread; `then(result)` back on this one."""
        self.machine.submit(fn, *args, then=then, refused=lambda message: self.status(message, error=True))

    def check(self) -> None:
        say = words(self)
        if self.mode == RULES:
            self._ask(Session.check_rules, self.text, then=self._rules_checked)
            return
        if self.mode != ASSEMBLY:
            try:
                compile(self.text, f"patch {self.mode}", "exec")
            except SyntaxError as exc:
                self._error_at(
                    exc.lineno or 1, exc.offset or 1, say("tui.editor_line", line=exc.lineno, message=exc.msg)
                )
                return
            self.status(say("tui.editor_compiles"))
            return
        self._ask(Session.assemble, self.text, then=self._assembled)

    def _rules_checked(self, checked: RulesChecked) -> None:
        """Show every problem of the rules at its line, or how many rules there are."""
        say = words(self)
        if checked.ok:
            self.status(say("rules_valid", n=checked.rules))
            return
        lines = [say("tui.editor_line", line=e.line, message=e.message) for e in checked.errors]
        self._error_at(checked.errors[0].line or 1, 1, "\n".join(lines))

    def _assembled(self, result: Assembly) -> bool:
        """Show where the assembly went wrong, or its size; True when it assembled."""
        say = words(self)
        if result.ok:
            self.status(say("tui.editor_assembled", size=result.size, entry=f"{result.entry:#x}"))
            return True
        first = result.errors[0]
        lines = [
            say("tui.editor_line", line=f"{e.line}:{e.col}", message=e.message) if e.line else e.message
            for e in result.errors
        ]
        self._error_at(first.line, first.col, "\n".join(lines))
        return False

    def go(self) -> None:
        if self.mode == RULES:
            self._ask(Session.load_rules, self.text, then=self._rules_loaded)
            return
        if self.mode == ASSEMBLY:
            vm = str(self.query_one("#editor-vm", Select).value)

            def loaded(result: Assembly) -> None:
                if self._assembled(result):
                    self.status(words(self)("tui.editor_loaded", vm=vm))
                    self.post_message(self.Changed(f"loaded {vm}"))

            self._ask(Session.load_source, vm, self.text, then=loaded)
            return
        handler = self.mode

        def applied(result: PatchResult | Refused) -> None:
            if isinstance(result, Refused):
                self._error_at(result.line or 1, 1, result.error)
                return
            self.status(words(self)("tui.editor_applied", handler=handler))
            self.post_message(self.Changed(f"patched {handler}"))

        self._ask(Session.apply_patch, handler, self.text, then=applied)

    def _rules_loaded(self, loaded: RulesLoaded | Refused) -> None:
        if isinstance(loaded, Refused):
            if self.mode == RULES:
                self._error_at(loaded.line or 1, 1, loaded.error)
            else:
                self.status(loaded.error, error=True)
            return
        if self.mode == RULES:
            self._rules = None  # what watches the machine is what the session holds now
        self.status(words(self)("rules_loaded", n=loaded.rules))
        self.post_message(self.Changed("rules loaded"))

    def revert(self) -> None:
        if self.mode == RULES:

            def template(rules: RulesSource) -> None:
                if self.mode == RULES:
                    self._rules_coming = False
                    self.text = rules.text
                self.status(words(self)("rules_template"))

            self._ask(Session.rules_source, True, then=template)
            return
        if self.mode == ASSEMBLY:
            self.text = self._template
            say = words(self)
            if self._template_name:
                self.status(say("tui.editor_lesson_program", name=self._template_name))
            else:
                self.status(say("tui.editor_example"))
            return
        handler = self.mode

        def reverted(info: PatchSource) -> None:
            if info.handler == self.mode:
                self.text = info.source
            self.status(words(self)("tui.editor_rolled_back", handler=handler))
            self.post_message(self.Changed(f"reverted {handler}"))

        self._ask(engine.revert_patch, handler, then=reverted)

    def status(self, message: str, *, error: bool = False) -> None:
        line = self.query_one("#editor-status", Static)
        line.update(message)
        line.set_class(error, "error")

    def _error_at(self, line: int, col: int, message: str) -> None:
        """Show `message` and select the offending line so the cursor sits on it."""
        area = self.query_one(TextArea)
        row = max(0, min(line - 1, area.document.line_count - 1))
        area.selection = Selection((row, 0), (row, len(area.document.get_line(row))))
        area.focus()
        self.status(message, error=True)
