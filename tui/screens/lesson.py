"""The lesson screen: the lesson text and checks beside the machine's panels
(a console per VM, the VMs, the trace, the timeline, the network when the
scenario has one, the policy, the detections, the editor).

    app.push_screen(LessonScreen(session, lesson))   # after session.open_lesson() and session.start()

The screen talks to the session directly and draws what its frames say. A timer
calls `Session.advance` twenty times a second: the session runs one slice of guest
work (sized to take about lab.session.control.SLICE_SECONDS, so the UI never
freezes whatever the guest does, and a runaway guest shows as a high MIPS figure,
stoppable with F5 or by pausing that VM), evaluates the step's checks when they
are due and, when a frame is due, hands back what changed: console output,
timeline items, the network, the checks, a step completed, a reset. After each of
the student's commands the screen asks for a frame at once. The rules (slice
budget, when checks are evaluated, the seat, resets) live in the session, the
same for the web page.

At 80 columns the tab bar cannot show every panel: the labels shorten, the bar
scrolls to the open tab, F3/F4 step through the panels and the status line
says which of how many is open. Every word comes from `uitext` in the app's
language.
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
from textual.timer import Timer
from textual.widgets import Footer, Header, Input, Static, TabbedContent, TabPane

from lab.session import Panel, Session, SessionError
from lab.session.records import Evaluation, Frame, MachineState, PolicySet, QuizAnswered, Refused
from lab.session.records import LessonView as Lesson
from tui.keys import Key, Localized, localized, words
from tui.paths import default_capture_dir
from tui.screens.confirm import ConfirmScreen
from tui.widgets.console import ConsoleView
from tui.widgets.detections_panel import DetectionsPanel
from tui.widgets.editor import Editor
from tui.widgets.lesson_view import LessonView
from tui.widgets.network_panel import NetworkPanel
from tui.widgets.policy_panel import PolicyPanel
from tui.widgets.quiz import QuizPanel
from tui.widgets.timeline_panel import TimelinePanel
from tui.widgets.trace_panel import TracePanel
from tui.widgets.vm_panel import VmPanel

TICK_SECONDS: Final = 0.05  # how often the timer calls Session.advance (its slice leaves the UI the rest)
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
WIDE: Final = 120  # columns from which the panels' full names fit beside the lesson text
TALL: Final = 30  # rows from which inputs, selects and buttons get their frames


class LessonScreen(Localized, Screen[None]):
    """The lesson on the left, the machine on the right, the run status below."""

    # Function and control keys only: whatever the student types into a console stays text.
    # The footer lists them in this order and an 80-column one cuts the end: the most needed first.
    BINDINGS: ClassVar[list[BindingType]] = localized(
        Key("f1", "app.help", "help", long="tui.help_help"),
        Key("f3", "next_panel(1)", "tui.key_panel", priority=True, long="tui.help_panel"),
        Key("f5", "run_pause", "tui.key_run", priority=True, long="tui.help_run"),
        Key("f7", "check", "tui.key_check", priority=True, long="tui.help_check"),
        Key("f8", "hint", "tui.key_hint", priority=True, long="tui.help_hint"),
        Key("ctrl+n", "next_step", "tui.key_next", priority=True, long="tui.help_next"),
        Key("f2", "toggle_lesson", "tui.key_text", priority=True, long="tui.help_text"),
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
    LessonScreen LessonView.hidden {
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
        width: 30;
        min-width: 24;
    }
    LessonScreen #status {
        height: 1;
        background: $panel;
        padding: 0 1;
    }
    """

    mips: reactive[float] = reactive(0.0)
    """Guest instructions per second (millions), as the last frame said; 0 when every guest waits."""

    def __init__(self, session: Session, lesson: Lesson) -> None:
        super().__init__()
        self.session = session
        self.lesson = lesson
        self.vms: list[str] = list(lesson.vms)
        self._timer: Timer | None = None
        self.state: MachineState = session.state()
        self.seat = self.state.seat
        self._status_text = ""
        network = session.network(frames=0)
        self._has_network = network is not None
        self._has_mgmt = bool(network and network.mgmt)
        self._narrow: bool | None = None  # the layout last chosen for the terminal's size
        self._consoles: dict[str, ConsoleView] = {}
        self._left = False  # the student left: the session is closed

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
                    yield PolicyPanel(self.session.policy(), id="policy")
                with TabPane(say("detections"), id="tab-detections"):
                    yield DetectionsPanel(id="detections")
                with TabPane(say("editor"), id="tab-editor"):
                    yield Editor(
                        self.session,
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
        self._detections = self.query_one(DetectionsPanel)
        panels = [Panel.TIMELINE, Panel.DETECTIONS] + ([Panel.NETWORK] if self._has_network else [])
        self.session.follow(panels)
        self.session.play()  # the machine is live from the start; F5 pauses it
        self.show(self.session.frame(full=True))  # the step it starts (or resumes) at may be done already
        self._focus_console()
        self._timer = self.set_interval(TICK_SECONDS, self.tick)
        self._fit(self.app.size.width, self.app.size.height)

    def on_resize(self, event: Resize) -> None:
        self._fit(event.size.width, event.size.height)

    def _fit(self, width: int, height: int) -> None:
        """Short tab labels and a frameless input line on a small terminal, full ones on a large."""
        narrow = width < WIDE
        self.set_class(narrow, "narrow")
        # Frameless inputs, selects and buttons: on 24 rows the frames would take a third of a panel.
        compact = height < TALL
        for widget in self.query("#work Input, #work Select, #work Button, #work Checkbox"):
            widget.compact = compact  # type: ignore[attr-defined]
        if narrow == self._narrow:
            return
        self._narrow = narrow
        say = words(self)
        tabs = self.query_one(TabbedContent)
        for pane, (full, short) in PANEL_WORDS.items():
            if pane == "tab-network" and not self._has_network:
                continue
            tabs.get_tab(pane).label = say(short if narrow else full)

    def on_unmount(self) -> None:
        if self._timer is not None:
            self._timer.stop()

    # -- the run loop

    def tick(self) -> None:
        """One turn of the session's run loop; draw the frame when it brings one. Paused, the
        machine changes only by the student's commands, which draw their own frames."""
        if self._left or not self.state.running:
            return
        turn = self.session.advance()
        if turn.frame is not None:
            self.show(turn.frame)

    def show(self, frame: Frame) -> None:
        """Draw a frame: after a reset start the consoles and lists afresh, then add what is new."""
        if self._left:
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
        lesson = self._lesson_view
        lesson.show_step(state.step)
        for hint in frame.hints or ():  # revealed before a restart or a reset: still the student's
            lesson.add_hint(hint, scroll=False)
        waiting = any(q.kind == "predict" and not q.answered for q in state.quizzes)
        lesson.set_checks(state.checks, waiting=waiting)
        lesson.set_quizzes(state.quizzes)
        lesson.set_done(state.done, last=state.step >= state.steps - 1)
        self.mips = frame.mips
        if frame.evaluation is not None:
            self._announce(frame.evaluation)
        self._status(state)

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

    def _drawn(self) -> None:
        """After a command: its effects, and the checks it was a try at, on screen at once."""
        if not self._left:
            self.show(self.session.frame())

    # -- what the panels ask for

    @on(ConsoleView.Typed)
    def typed(self, event: ConsoleView.Typed) -> None:
        try:
            self.session.type(event.vm, event.text)
        except SessionError as exc:
            self.notify(str(exc), severity="error")
            return
        self._drawn()

    @on(PolicyPanel.Changed)
    def policy_changed(self, event: PolicyPanel.Changed) -> None:
        result = self.session.set_policy(event.key, event.value)
        if isinstance(result, PolicySet):
            # on/off, as the lessons write a switch's value
            value = {True: "on", False: "off"}.get(result.value, result.value)  # type: ignore[call-overload]
            self.notify(words(self)("tui.policy_set", switch=result.key, value=value))
        else:
            self.notify(result.error, severity="error")
        self._drawn()

    @on(PolicyPanel.MeasureRequested)
    def measure(self, event: PolicyPanel.MeasureRequested) -> None:
        self._policy.show_measured(self.session.measure())
        self._drawn()

    @on(QuizPanel.Answered)
    def answered(self, event: QuizPanel.Answered) -> None:
        result = self.session.answer(event.number, event.value)
        if isinstance(result, QuizAnswered):
            self._lesson_view.set_quizzes((result.quiz,))
            # answered: on to the next open question, or back to the console to act
            if result.quiz.answered and not self._lesson_view.focus_open_question():
                self._focus_console()
        else:
            self.notify(result.error, severity="warning")
        self._drawn()

    @on(LessonView.NextRequested)
    def next_requested(self, event: LessonView.NextRequested) -> None:
        self.action_next_step()

    @on(VmPanel.ActionRequested)
    def vm_action(self, event: VmPanel.ActionRequested) -> None:
        result = self.session.vm_control(event.vm, event.action)
        if isinstance(result, Refused):
            self.notify(result.error, severity="warning")
        self._drawn()

    @on(NetworkPanel.SaveRequested)
    def save_pcap(self, event: NetworkPanel.SaveRequested) -> None:
        result = self.session.save_pcap(event.segment, event.path)
        assert self._network is not None
        text = self._network.show_saved(result)
        self.notify(text, severity="error" if isinstance(result, Refused) else "information", timeout=8)

    @on(NetworkPanel.CommandEntered)
    def mgmt_command(self, event: NetworkPanel.CommandEntered) -> None:
        assert self._network is not None
        self._network.show_reply(event.command, self.session.mgmt_console(event.command))
        self._drawn()

    @on(Editor.Changed)
    def editor_changed(self, event: Editor.Changed) -> None:
        self._drawn()

    @on(DetectionsPanel.ScoreRequested)
    def score_rules(self, event: DetectionsPanel.ScoreRequested) -> None:
        # The first score records the course's runs (a few seconds): after the panel said so.
        self.call_after_refresh(lambda: self._detections.show_score(self.session.score_rules()))

    @on(TabbedContent.TabActivated)
    def tab_activated(self, event: TabbedContent.TabActivated) -> None:
        # Focus follows the tab: a hidden widget keeping focus would pull its tab back.
        # A late event for a tab already left (keys faster than a busy screen) must not pull it back.
        pane = event.pane.id or ""
        if pane != self.query_one(TabbedContent).active:
            return
        target = self.query_one(self._focus_target(pane))
        if not target.has_focus:
            target.focus()
        if not self._left:
            self._status(self.state)  # "panel n/N" follows at once

    def _panes(self) -> list[str]:
        return [pane.id or "" for pane in self.query_one(TabbedContent).query(TabPane)]

    def _focus_target(self, pane: str) -> str:
        """What takes the focus when a panel opens (a console tab focuses its input line)."""
        if pane.startswith("tab-") and pane[4:] in self.vms:
            return f"#input-{pane[4:]}"
        return PANEL_FOCUS[pane]

    # -- actions

    def action_leave(self) -> None:
        # A tick may still run before the screen is unmounted (and its timer stopped):
        # it must find the screen closed, not ask a closed session for its state.
        self._left = True
        self.session.close()
        self.dismiss(None)

    def action_toggle_lesson(self) -> None:
        self.query_one(LessonView).toggle_class("hidden")

    def action_next_panel(self, direction: int) -> None:
        tabs = self.query_one(TabbedContent)
        ids = self._panes()
        current = ids.index(tabs.active) if tabs.active in ids else -1
        pane = ids[(current + direction) % len(ids)]
        tabs.active = pane  # at once, so the next key counts from here
        self.query_one(self._focus_target(pane)).focus()

    def action_run_pause(self) -> None:
        if self.state.running:
            self.session.pause()
        else:
            self.session.play()
        self._drawn()

    def action_step(self) -> None:
        self.session.step()
        self._drawn()

    def action_check(self) -> None:
        result = self.session.evaluate()
        self._drawn()
        if not result.done:
            missing = sum(1 for c in result.checks if not c.done)
            self.notify(words(self)("tui.checks_missing", n=missing))

    def action_next_step(self) -> None:
        """Move on once the step is done (the step stays, done, until the student does)."""
        result = self.session.next_step()
        if isinstance(result, Refused):
            self.notify(result.error)
            return
        self._drawn()
        # A step that asks first (a prediction, the reflection's questions) has its question
        # focused, once its panels are up; any other, the console.
        self.call_after_refresh(self._focus_question_or_console)

    def _focus_question_or_console(self) -> None:
        if not self._left and not self._lesson_view.focus_open_question():
            self._focus_console()

    def action_hint(self) -> None:
        self.query_one(LessonView).add_hint(self.session.hint())
        self.query_one(LessonView).remove_class("hidden")

    def action_reset_step(self) -> None:
        say = words(self)

        def answer(yes: bool | None) -> None:
            if yes:
                self.session.reset_step()
                self._drawn()
                self.notify(say("tui.step_was_reset"))

        self.app.push_screen(ConfirmScreen(say("tui.confirm_reset_step")), answer)

    def action_reset_lesson(self) -> None:
        say = words(self)

        def answer(yes: bool | None) -> None:
            if yes:
                self.session.reset_lesson()
                self._drawn()
                self.notify(say("tui.lesson_was_reset"))

        self.app.push_screen(ConfirmScreen(say("tui.confirm_reset_lesson")), answer)

    def _focus_console(self) -> None:
        self.query_one(f"#input-{self.seat}", Input).focus()
