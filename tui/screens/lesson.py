"""The lesson screen: the lesson text and checks beside the machine's panels
(a console per VM, the VMs, the trace, the timeline, the network when the
scenario has one, the policy, the detections, the editor).

    app.push_screen(LessonScreen(machine, started))   # a tui.machine.Machine, its engine's Started

The machine runs in a process of its own (tui.engine), as the web page's runs in a
worker: the screen hands it the student's commands (`machine.submit`) and draws the
frames it sends back (console output, timeline items, the network, the checks, a step
completed, a reset), so keys are answered at once however hard the guests work, and a
runaway guest shows as a high MIPS figure, stoppable with F5 or by pausing that VM. The
rules (slice budget, when checks are evaluated, the seat, resets) live in the session,
the same for the web page.

Below WIDE columns (80x24, 100x30) the lesson text and the machine take turns at the
whole screen, F2 swapping them: the text first, with its checks, scrolled with the
arrow keys and PageUp/PageDown; then the machine, whose status line keeps the step and
how many of its checks hold. From WIDE columns on they stand side by side and F2 hides
or shows the text. The tab labels shorten below WIDE, F3/F4 step through the panels
(from the text too) and the status line says which of how many is open. Every word
comes from `uitext` in the app's language.
"""

from __future__ import annotations

from typing import ClassVar, Final

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.events import Resize
from textual.reactive import reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Header, Static, TabbedContent, TabPane

from lab.session import Panel, Session
from lab.session.records import (
    Evaluation,
    Frame,
    HintView,
    MachineState,
    Measured,
    MgmtReply,
    PcapSaved,
    PolicySet,
    QuizAnswered,
    Refused,
    VmControlled,
)
from lab.session.records import LessonView as Lesson
from tui import engine
from tui.engine import Started
from tui.keys import Key, Localized, localized, words
from tui.machine import Machine
from tui.paths import default_capture_dir
from tui.screens.confirm import ConfirmScreen
from tui.widgets.console import ConsoleView
from tui.widgets.detections_panel import DetectionsPanel
from tui.widgets.editor import Editor
from tui.widgets.lesson_view import LessonView
from tui.widgets.network_panel import NetworkPanel
from tui.widgets.policy_panel import PolicyPanel
from tui.widgets.quiz import QuizPanel
from tui.widgets.text_log import DrawnWhenShown
from tui.widgets.timeline_panel import TimelinePanel
from tui.widgets.trace_panel import TracePanel
from tui.widgets.vm_panel import VmPanel

PANEL_FOCUS: Final = {
    "tab-vms": "#vms DataTable",
    "tab-trace": "#trace-log",
    "tab-timeline": "#timeline-log",
    "tab-network": "#net-ports",
    "tab-policy": "#policy",
    "tab-detections": "#det-log",
    "tab-editor": "#editor-text",
}
# Panel tab labels (uitext message ids): full from WIDE columns on, short below.
PANEL_WORDS: Final = {
    "tab-vms": ("vms", "vms"),
    "tab-trace": ("trace", "trace"),
    "tab-timeline": ("timeline", "tui.tab_timeline"),
    "tab-network": ("tui.tab_network_full", "tui.tab_network"),
    "tab-policy": ("tui.tab_policy", "tui.tab_policy"),
    "tab-detections": ("detections", "tui.tab_detections"),
    "tab-editor": ("editor", "tui.tab_editor"),
}
VM_DONE: Final = {"pause": "tui.vm_paused", "unpause": "tui.vm_unpaused", "reboot": "tui.vm_rebooted"}
WIDE: Final = 120  # columns from which the panels' full names fit beside the lesson text
TALL: Final = 30  # rows from which inputs, selects and buttons get their frames


class LessonScreen(Localized, Screen[None]):
    """The lesson text and the machine (side by side, or in turn on a small screen), the status below."""

    # Function and control keys only: whatever the student types into a console stays text.
    # The footer lists them in this order and an 80-column one cuts the end: the most needed first.
    BINDINGS: ClassVar[list[BindingType]] = localized(
        Key("f1", "app.help", "help", long="tui.help_help"),
        Key("f3", "next_panel(1)", "tui.key_panel", priority=True, long="tui.help_panel"),
        Key("f5", "run_pause", "tui.key_run", priority=True, long="tui.help_run"),
        Key("f7", "check", "tui.key_check", priority=True, long="tui.help_check"),
        Key("f8", "hint", "tui.key_hint", priority=True, long="tui.help_hint"),
        Key("ctrl+n", "next_step", "tui.key_next", priority=True, long="tui.help_next"),
        Key("f2", "swap", "tui.key_text", priority=True, long="tui.help_text"),
        Key("f6", "step", "tui.key_step", priority=True, long="tui.help_step"),
        Key("f9", "reset_step", "tui.key_reset", priority=True, long="tui.help_reset"),
        Key("escape", "leave", "tui.key_lessons", long="tui.help_lessons"),
        Key("f4", "next_panel(-1)", "tui.key_prev_panel", show=False, priority=True),
        Key("ctrl+r", "reset_lesson", "reset_lesson", show=False, priority=True),
    )

    DEFAULT_CSS = """
    LessonScreen #main {
        height: 1fr;
    }
    LessonScreen LessonView {
        width: 2fr;
        min-width: 30;
        border-right: solid $primary;
    }
    LessonScreen .hidden {
        display: none;
    }
    LessonScreen #work {
        width: 3fr;
    }
    LessonScreen #work > ContentSwitcher {
        height: 1fr;
    }
    LessonScreen TabPane {
        padding: 0;
        height: 1fr;
    }
    LessonScreen.narrow #work Tab {
        padding: 0 0 0 1;
    }
    LessonScreen.narrow LessonView {
        width: 1fr;
        border-right: none;
    }
    LessonScreen #status {
        height: 1;
        background: $panel;
        padding: 0 1;
    }
    """

    mips: reactive[float] = reactive(0.0)
    """Guest instructions per second (millions), as the last frame said; 0 when every guest waits."""

    def __init__(self, machine: Machine, started: Started, *, attach: bool = False) -> None:
        """`attach`: the machine ran before this screen (an instructor's preview read the lesson
        again): it is drawn in full and keeps running or paused as it was."""
        super().__init__()
        self.machine = machine
        self._reattached = attach
        self._handed_over = False  # another lesson screen took the engine over
        self.started = started
        self.lesson: Lesson = started.lesson
        self.vms: list[str] = list(self.lesson.vms)
        self.state: MachineState = started.state
        self.seat = self.state.seat
        self._status_text = ""
        self._has_network = started.network
        self._has_mgmt = started.mgmt
        self._narrow: bool | None = None  # the layout last chosen for the terminal's size
        self._reading = True  # the lesson text is shown (below WIDE columns: instead of the machine)
        self._consoles: dict[str, ConsoleView] = {}
        self._pane_ids: list[str] = []
        self._left = False  # the student left: the engine is stopping

    def compose(self) -> ComposeResult:
        say = words(self)
        yield Header()
        with Horizontal(id="main"):
            yield LessonView(self.lesson, id="lesson")
            with TabbedContent(id="work", initial=f"tab-{self.seat}"):
                for vm in self.vms:
                    with TabPane(vm, id=f"tab-{vm}"):
                        yield ConsoleView(vm, id=f"console-{vm}")
                with TabPane(say("vms"), id="tab-vms"):
                    yield VmPanel(id="vms")
                with TabPane(say("trace"), id="tab-trace"):
                    yield TracePanel(id="trace")
                with TabPane(say("timeline"), id="tab-timeline"):
                    yield TimelinePanel(id="timeline")
                if self._has_network:
                    with TabPane(say("tui.tab_network_full"), id="tab-network"):
                        yield NetworkPanel(
                            default_dir=default_capture_dir(), mgmt=self._has_mgmt, id="network"
                        )
                with TabPane(say("tui.tab_policy"), id="tab-policy"):
                    yield PolicyPanel(self.started.policy, id="policy")
                with TabPane(say("detections"), id="tab-detections"):
                    yield DetectionsPanel(id="detections")
                with TabPane(say("editor"), id="tab-editor"):
                    yield Editor(
                        self.machine,
                        handlers=self.started.handlers,
                        vms=self.vms,
                        program=self.lesson.program,
                        program_name=self.lesson.program_name,
                        id="editor",
                    )
        yield Static(id="status")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.title = self.lesson.title
        self.sub_title = "hvlab"
        self._consoles = {vm: self.query_one(f"#console-{vm}", ConsoleView) for vm in self.vms}
        self._trace = self.query_one(TracePanel)
        self._timeline = self.query_one(TimelinePanel)
        self._network = self.query_one(NetworkPanel) if self._has_network else None
        if self._network is not None:
            self._network.lesson = self.lesson.id
        self._vm_panel = self.query_one(VmPanel)
        self._policy = self.query_one(PolicyPanel)
        self._lesson_view = self.query_one(LessonView)
        self.machine.attach(show=self.show, refused=self._refused)
        self._detections = self.query_one(DetectionsPanel)
        follow = [Panel.TIMELINE, Panel.DETECTIONS] + ([Panel.NETWORK] if self._has_network else [])
        self.machine.submit(Session.follow, follow)
        if self._reattached:
            self.machine.submit(Session.frame, full=True, then=self.show)
        else:
            self.machine.submit(Session.play)  # the machine is live from the start; F5 pauses it
        self._lesson_view.show_step(self.state.step)  # until the first frame brings the rest
        self._fit(self.app.size.width, self.app.size.height)  # and the focus: the text, or the seat

    def on_resize(self, event: Resize) -> None:
        self._fit(event.size.width, event.size.height)

    def _fit(self, width: int, height: int) -> None:
        """Text and machine in turn, short tab labels and frameless input lines on a small
        terminal; side by side, full labels and frames on a large one."""
        narrow = width < WIDE
        changed = narrow != self._narrow
        self.set_class(narrow, "narrow")
        self._arrange(narrow)
        # Frameless inputs, selects and buttons: on 24 rows the frames would take a third of a panel.
        compact = height < TALL
        for widget in self.query("#work Input, #work Select, #work Button, #work Checkbox"):
            widget.compact = compact  # type: ignore[attr-defined]
        if not changed:
            return
        say = words(self)
        tabs = self.query_one(TabbedContent)
        for pane, (full, short) in PANEL_WORDS.items():
            if pane == "tab-network" and not self._has_network:
                continue
            tabs.get_tab(pane).label = say(short if narrow else full)

    def on_unmount(self) -> None:
        # The app quits with the lesson open: the engine goes with it.
        self._left = True
        if not self._handed_over:
            self.machine.stop()

    def hand_over(self) -> None:
        """A new screen for the same engine replaces this one: draw nothing more, stop nothing."""
        self._left = self._handed_over = True

    # -- the run loop

    def _refused(self, message: str) -> None:
        self.notify(message, severity="error")

    def show(self, frame: Frame) -> None:
        """Draw a frame: after a reset start the consoles and lists afresh, then add what is new."""
        if self._left or not self._lesson_view.is_attached:
            return
        state = self.state = frame.state
        if frame.reset:
            for view in self._consoles.values():
                view.clear()
            self._trace.clear()
            self._timeline.clear()
            if self._network is not None:
                self._network.clear_frames()
            self._detections.clear()
        for output in frame.consoles:
            self._consoles[output.vm].append(output.text)
        self._trace.set_vms(state.vms)
        self._timeline.set_vms(state.vms)
        if frame.timeline is not None:
            items, dropped = frame.timeline.items, frame.timeline.dropped
            self._timeline.add(items, dropped=dropped)
            self._trace.add(items, dropped=dropped)
            if self._network is not None:
                self._network.add_frames(items)
        if self._network is not None and frame.network is not None:
            self._network.update_network(frame.network, time=state.time)
        if frame.detections is not None:
            self._detections.update_detections(frame.detections)
        self._vm_panel.update_vms(state.vms)
        self._policy.sync(state.policy.values)
        self._show_lesson(state)
        for hint in frame.hints or ():  # revealed before a restart or a reset: still the student's
            self._lesson_view.add_hint(hint, scroll=False)
        self.mips = frame.mips
        if frame.evaluation is not None:
            self._announce(frame.evaluation)
        self._status(state)

    def _show_lesson(self, state: MachineState) -> None:
        """The lesson text's side of the machine's state: the step, its checks and questions."""
        lesson = self._lesson_view
        lesson.show_step(state.step)
        waiting = any(q.kind == "predict" and not q.answered for q in state.quizzes)
        lesson.set_checks(state.checks, waiting=waiting)
        lesson.set_quizzes(state.quizzes)
        lesson.set_done(state.done, last=state.step >= state.steps - 1)

    def _announce(self, evaluation: Evaluation) -> None:
        """Tell the student which steps they just completed, and when the lesson is."""
        say = words(self)
        if evaluation.done_now and not evaluation.finished_now:
            self.notify(say("tui.step_done", n=evaluation.step + 1), title=say("tui.well_done"))
        if evaluation.finished_now:
            self.notify(say("tui.all_steps_done"), title="✓ " + say("lesson_complete"))

    def _status(self, state: MachineState) -> None:
        say = words(self)
        run = say("tui.running") if state.running else say("tui.paused")
        speed = f"{self.mips:.1f} MIPS" if self.mips else say("tui.idle")
        if state.complete:
            step = say("lesson_complete") + " ✓"
        else:
            step = say("tui.status_step", n=state.step + 1, total=state.steps)
            if state.checks:
                done = sum(1 for c in state.checks if c.done)
                step += " " + say("tui.status_checks", done=done, total=len(state.checks))
        panes = self._panes()
        active = self.query_one(TabbedContent).active
        where = panes.index(active) + 1 if active in panes else 1
        panel = say("tui.status_panel", n=where, total=len(panes))
        policy = say("tui.status_policy", preset=state.policy.preset)
        text = f"{run} · {speed} · {step} · {panel} · {policy}"
        if state.patches:
            text += " · " + say("tui.status_patched", handlers=", ".join(state.patches))
        text += f" · t={state.time:,}"
        if text != self._status_text:
            self._status_text = text
            self.query_one("#status", Static).update(text)

    # -- what the panels ask for: commands for the run loop's thread, answered on this one

    @on(ConsoleView.Typed)
    def typed(self, event: ConsoleView.Typed) -> None:
        self.machine.submit(engine.type_line, event.vm, event.text)

    @on(PolicyPanel.Changed)
    def policy_changed(self, event: PolicyPanel.Changed) -> None:
        def said(result: PolicySet | Refused) -> None:
            if isinstance(result, PolicySet):
                # on/off, as the lessons write a switch's value
                value = {True: "on", False: "off"}.get(result.value, result.value)  # type: ignore[call-overload]
                self.notify(words(self)("tui.policy_set", switch=result.key, value=value))
            else:
                self.notify(result.error, severity="error")

        self.machine.submit(Session.set_policy, event.key, event.value, then=said)

    @on(PolicyPanel.MeasureRequested)
    def measure(self, event: PolicyPanel.MeasureRequested) -> None:
        def measured(result: Measured | Refused) -> None:
            if not self._left:
                self._policy.show_measured(result)

        self.machine.submit(Session.measure, then=measured)

    @on(QuizPanel.Answered)
    def answered(self, event: QuizPanel.Answered) -> None:
        def said(result: QuizAnswered | Refused) -> None:
            if self._left:
                return
            if isinstance(result, QuizAnswered):
                self._lesson_view.set_quizzes((result.quiz,))
                # answered: on to the next open question, or to the console to act
                if result.quiz.answered and not self._lesson_view.focus_open_question():
                    self._focus_console()
            else:
                self.notify(result.error, severity="warning")

        self.machine.submit(Session.answer, event.number, event.value, then=said)

    @on(LessonView.NextRequested)
    def next_requested(self, event: LessonView.NextRequested) -> None:
        self.action_next_step()

    @on(VmPanel.ActionRequested)
    def vm_action(self, event: VmPanel.ActionRequested) -> None:
        """A VM paused, unpaused or rebooted from the VMs panel, and said so; a reboot, which
        throws the VM's memory away, only after a yes."""
        say = words(self)
        vm, action = event.vm, event.action

        def said(result: VmControlled | Refused) -> None:
            if isinstance(result, Refused):
                self.notify(result.error, severity="warning")
            else:
                self.notify(say(VM_DONE[action], vm=result.vm))

        def act(yes: bool | None = True) -> None:
            if yes:
                self.machine.submit(Session.vm_control, vm, action, then=said)

        if action == "reboot":
            self.app.push_screen(ConfirmScreen(say("tui.confirm_reboot_vm", vm=vm)), act)
        else:
            act()

    @on(NetworkPanel.SaveRequested)
    def save_pcap(self, event: NetworkPanel.SaveRequested) -> None:
        def said(result: PcapSaved | Refused) -> None:
            assert self._network is not None
            text = self._network.show_saved(result)
            self.notify(text, severity="error" if isinstance(result, Refused) else "information", timeout=8)

        self.machine.submit(Session.save_pcap, event.segment, event.path, then=said)

    @on(NetworkPanel.CommandEntered)
    def mgmt_command(self, event: NetworkPanel.CommandEntered) -> None:
        def said(result: MgmtReply | Refused) -> None:
            assert self._network is not None
            self._network.show_reply(event.command, result)

        self.machine.submit(Session.mgmt_console, event.command, then=said)

    @on(DetectionsPanel.ScoreRequested)
    def score_rules(self, event: DetectionsPanel.ScoreRequested) -> None:
        # The first score records the course's runs: a few seconds of the engine's, not the screen's.
        self.machine.submit(
            Session.score_rules, then=self._detections.show_score, refused=self._detections.score_refused
        )

    @on(TabbedContent.TabActivated)
    def tab_activated(self, event: TabbedContent.TabActivated) -> None:
        # Focus follows the tab: a hidden widget keeping focus would pull its tab back.
        # A late event for a tab already left (keys faster than a busy screen) must not pull it back.
        pane = event.pane.id or ""
        if pane != self.query_one(TabbedContent).active:
            return
        self.reveal_panels(event.pane)
        target = self.query_one(self._focus_target(pane))
        if not target.has_focus and self._machine_shown:  # not while the text has the whole screen
            target.focus()
        if not self._left:
            self._status(self.state)  # "panel n/N" follows at once

    @staticmethod
    def reveal_panels(pane: Widget) -> None:
        """The panels of a tab just opened draw what came while it was hidden."""
        for widget in pane.walk_children():
            if isinstance(widget, DrawnWhenShown):
                widget.reveal()

    def _panes(self) -> list[str]:
        if not self._pane_ids:  # they never change: asked once (a query each frame is costly)
            self._pane_ids = [pane.id or "" for pane in self.query_one(TabbedContent).query(TabPane)]
        return self._pane_ids

    def _focus_target(self, pane: str) -> str:
        """What takes the focus when a panel opens (a console tab focuses its input line)."""
        if pane.startswith("tab-") and pane[4:] in self.vms:
            return f"#input-{pane[4:]}"
        return PANEL_FOCUS[pane]

    # -- actions

    def action_leave(self) -> None:
        # The engine closes the session and ends; then the picker shows the progress it wrote.
        self._left = True
        self.machine.stop(then=getattr(self.app, "lesson_closed", None))
        self.dismiss(None)

    @property
    def _machine_shown(self) -> bool:
        return not (self._narrow and self._reading)

    def _arrange(self, narrow: bool) -> None:
        """Show the text, the machine or both, and keep the focus on something shown."""
        self._narrow = narrow
        machine = self._machine_shown
        self._lesson_view.set_class(not self._reading, "hidden")
        self.query_one("#work").set_class(not machine, "hidden")
        focused = self.focused
        if not machine:
            if focused is None or self._lesson_view not in focused.ancestors_with_self:
                self.query_one("#prose-scroll").focus()
        elif focused is None or not any(w.id == "work" for w in focused.ancestors_with_self):
            self._focus_pane()

    def action_swap(self) -> None:
        """F2: the lesson text or the machine (side by side: the text shown or hidden)."""
        self._reading = not self._reading
        self._arrange(bool(self._narrow))

    def _show_machine(self) -> None:
        if self._narrow and self._reading:
            self._reading = False
            self._arrange(True)

    def _show_text(self) -> None:
        if not self._reading:
            self._reading = True
            self._arrange(bool(self._narrow))

    def _focus_pane(self) -> None:
        self.query_one(self._focus_target(self.query_one(TabbedContent).active)).focus()

    def action_next_panel(self, direction: int) -> None:
        self._show_machine()
        tabs = self.query_one(TabbedContent)
        ids = self._panes()
        current = ids.index(tabs.active) if tabs.active in ids else -1
        pane = ids[(current + direction) % len(ids)]
        tabs.active = pane  # at once, so the next key counts from here
        self.query_one(self._focus_target(pane)).focus()

    def action_run_pause(self) -> None:
        self.machine.submit(engine.run_or_pause)

    def action_step(self) -> None:
        self.machine.submit(Session.step)

    def action_check(self) -> None:
        def said(result: Evaluation) -> None:
            if not result.done:
                missing = sum(1 for c in result.checks if not c.done)
                self.notify(words(self)("tui.checks_missing", n=missing))

        self.machine.submit(Session.evaluate, then=said)

    def action_next_step(self) -> None:
        """Move on once the step is done (the step stays, done, until the student does)."""

        def moved(result: MachineState | Refused) -> None:
            if self._left:
                return
            if isinstance(result, Refused):
                self.notify(result.error)
                return
            self.state = result
            self._show_lesson(result)  # the new step's text and questions now, not a frame later
            self._status(result)
            # A step that asks first (a prediction, the reflection's questions) has its question
            # focused, once its panels are up; any other: below WIDE columns its text, to read
            # first (F2 then goes to the machine), else the console.
            self.call_after_refresh(self._focus_question_or_console)

        self.machine.submit(Session.next_step, then=moved)

    def _focus_question_or_console(self) -> None:
        if self._left:
            return
        if self._lesson_view.open_question():
            self._show_text()
            self._lesson_view.focus_open_question()
        elif self._narrow:
            self._show_text()
        else:
            self._focus_console()

    def _focus_console(self) -> None:
        """The student's own console, in view (below WIDE columns, instead of the text)."""
        self._show_machine()
        self.query_one(TabbedContent).active = f"tab-{self.seat}"
        self.query_one(f"#input-{self.seat}").focus()

    def action_hint(self) -> None:
        def shown(hint: HintView) -> None:
            self._lesson_view.add_hint(hint)
            if not self._reading:
                self.action_swap()

        self.machine.submit(Session.hint, then=shown)

    def action_reset_step(self) -> None:
        say = words(self)

        def answer(yes: bool | None) -> None:
            if yes:
                self.machine.submit(Session.reset_step, then=lambda _: self.notify(say("tui.step_was_reset")))

        self.app.push_screen(ConfirmScreen(say("tui.confirm_reset_step")), answer)

    def action_reset_lesson(self) -> None:
        say = words(self)

        def answer(yes: bool | None) -> None:
            if yes:
                self.machine.submit(
                    Session.reset_lesson, then=lambda _: self.notify(say("tui.lesson_was_reset"))
                )

        self.app.push_screen(ConfirmScreen(say("tui.confirm_reset_lesson")), answer)
