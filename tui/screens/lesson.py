"""The lesson screen: the lesson text and checks beside the machine's panels
(a console per VM, the VMs, the trace, the timeline, the network when the
scenario has one, the policy, the editor).

    app.push_screen(LessonScreen(engine))   # after engine.open_lesson() and engine.start()

The machine runs in slices on a timer: each tick spends about `SLICE_SECONDS`
of CPU on guest instructions, so the UI never freezes whatever the guest does,
and a runaway guest shows as a high MIPS figure and a climbing instruction
count, stoppable with F5 (pause) or by pausing that VM. The slice size adapts
to the measured speed. The step's checks are evaluated when a step begins,
after every student action and about twice a second while guests run; when
they all hold the session advances, and the new step is evaluated at once, so
a step whose work the student already did turns done by itself.

At 80 columns the tab bar cannot show every panel: the labels shorten, the bar
scrolls to the open tab, F3/F4 step through the panels and the status line
says which of how many is open. Every word comes from `lab.i18n` in the app's
language.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar, Final

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.events import Resize
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Header, Input, Static, TabbedContent, TabPane

from tui.engine import Engine, SessionError, default_capture_dir
from tui.keys import Key, Localized, localized, words
from tui.screens.confirm import ConfirmScreen
from tui.widgets.console import ConsoleView
from tui.widgets.editor import Editor
from tui.widgets.lesson_view import LessonView
from tui.widgets.network_panel import NetworkPanel
from tui.widgets.policy_panel import PolicyPanel
from tui.widgets.timeline_panel import TimelinePanel
from tui.widgets.trace_panel import TracePanel
from tui.widgets.vm_panel import VmPanel

TICK_SECONDS: Final = 0.05  # how often the run loop wakes up (20 Hz)
SLICE_SECONDS: Final = 0.03  # guest work per tick: leaves the UI 40% of each tick
FIRST_SLICE: Final = 20_000  # instructions; adapted from the measured speed after the first tick
SLICE_RANGE: Final = (1_000, 5_000_000)
EVALUATE_SECONDS: Final = 0.5  # while guests run, checks are evaluated at most this often
REFRESH_SECONDS: Final = 0.25  # panels refresh at most this often when nothing visible happened
TIMELINE_BATCH: Final = 200  # timeline items listed per refresh; a flood's excess is counted, not listed
PANEL_FOCUS: Final = {
    "tab-vms": "#vms DataTable",
    "tab-trace": "#trace-log",
    "tab-timeline": "#timeline-log",
    "tab-network": "#net-ports",
    "tab-policy": "#policy",
    "tab-editor": "#editor-text",
}
# Panel tab labels (lab.i18n keys): full from WIDE columns on, short below.
PANEL_WORDS: Final = {
    "tab-vms": ("vms", "vms"),
    "tab-trace": ("trace", "trace"),
    "tab-timeline": ("timeline", "tui.tab_timeline"),
    "tab-network": ("tui.tab_network_full", "tui.tab_network"),
    "tab-policy": ("tui.tab_policy", "tui.tab_policy"),
    "tab-editor": ("editor", "tui.tab_editor"),
}
WIDE: Final = 120  # columns from which the panels' full names fit beside the lesson text
TALL: Final = 30  # rows from which inputs, selects and buttons get their frames
MAX_CHAINED_STEPS: Final = (
    16  # steps that may turn done in a row at one evaluation (a guard, not a limit met)
)


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
    """Guest instructions per second (millions) over the last ticks; 0 when every guest waits."""

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine
        assert engine.lesson is not None
        self.lesson: dict[str, Any] = engine.lesson
        self.vms: list[str] = list(self.lesson["vms"])
        self.slice = FIRST_SLICE
        self._timer: Timer | None = None
        self._last_time = -1
        self._last_refresh = 0.0
        self._last_evaluate = 0.0
        self._evaluated_time = -1
        self._finished_noted = False
        self.seat = self._default_vm()
        self._status_text = ""
        network = engine.network()
        self._has_network = network is not None
        self._has_mgmt = bool(network and network.get("mgmt"))
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
                    yield PolicyPanel(self.engine.policy(), id="policy")
                with TabPane(say("editor"), id="tab-editor"):
                    yield Editor(self.engine, vms=self.vms, id="editor")
        yield Static(id="status")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.title = self.lesson["title"]
        self.sub_title = "hvlab"
        self._consoles = {vm: self.query_one(f"#console-{vm}", ConsoleView) for vm in self.vms}
        self._trace = self.query_one(TracePanel)
        self._timeline = self.query_one(TimelinePanel)
        self._network = self.query_one(NetworkPanel) if self._has_network else None
        if self._network is not None:
            self._network.lesson = self.lesson["id"]
        self._vm_panel = self.query_one(VmPanel)
        self._policy = self.query_one(PolicyPanel)
        self._lesson_view = self.query_one(LessonView)
        if not self.engine.running:
            self.engine.run(0)  # the machine is live from the start; F5 pauses it
        self.refresh_all(force=True)
        self._focus_console()
        self._timer = self.set_interval(TICK_SECONDS, self.tick)
        self._fit(self.app.size.width, self.app.size.height)
        # The step the lab starts (or resumes) at may already be done.
        self.evaluate(quiet=True, attempt=False)

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
        """One slice of guest work, then whatever the student should see of it."""
        if self._left:
            return
        if self.engine.running:
            t0 = time.perf_counter()
            result = self.engine.run(self.slice)
            elapsed = max(time.perf_counter() - t0, 1e-6)
            if result["reason"] == "budget":
                rate = result["retired"] / elapsed
                self.slice = int(min(max(rate * SLICE_SECONDS, SLICE_RANGE[0]), SLICE_RANGE[1]))
                self.mips = 0.7 * self.mips + 0.3 * rate / 1e6 if self.mips else rate / 1e6
            else:
                self.mips = 0.0
        self.refresh_all()
        now = time.monotonic()
        state_time = self._last_time
        if state_time != self._evaluated_time and now - self._last_evaluate >= EVALUATE_SECONDS:
            self.evaluate(attempt=False)  # the lab's own look, not a student's try

    def refresh_all(self, *, force: bool = False) -> None:
        """Pull the machine's state, new console output and new trace events into the panels."""
        if self._left:
            return
        state = self.engine.state()
        now = time.monotonic()
        if not force and state["time"] == self._last_time and now - self._last_refresh < REFRESH_SECONDS:
            return
        self._last_time, self._last_refresh = state["time"], now
        for vm, view in self._consoles.items():
            chunk = self.engine.console(vm, view.seq)
            if chunk["seq"] < view.seq:  # the machine went back (a reset): show it afresh
                view.clear()
                chunk = self.engine.console(vm, 0)
            view.append(chunk["text"])
            view.seq = chunk["seq"]
        trace = self._trace
        trace.set_vms(state["vms"])
        new = self.engine.trace(trace.seq)
        if new["seq"] < trace.seq:
            trace.clear()
            new = self.engine.trace(0)
        trace.add(new["events"])
        trace.seq = new["seq"]
        self._refresh_timeline(state)
        self._vm_panel.update_vms(state["vms"])
        self._policy.sync(state["policy"]["values"])
        lesson = self._lesson_view
        if lesson.show_step(state["step"]):
            for hint in self.engine.hints_shown():  # revealed before a restart: still the student's
                lesson.add_hint(hint, scroll=False)
        lesson.set_checks(state["checks"])
        self._status(state)

    def _refresh_timeline(self, state: dict[str, Any]) -> None:
        """New timeline items into the timeline, their frames into the network panel."""
        timeline, network = self._timeline, self._network
        timeline.set_vms(state["vms"])
        new = self.engine.timeline(timeline.seq, TIMELINE_BATCH)
        if new["epoch"] != timeline.epoch:  # the machine went back (a reset): show it afresh
            since = timeline.seq
            timeline.clear()
            if network is not None:
                network.clear_frames()
            if since:
                new = self.engine.timeline(0, TIMELINE_BATCH)
        timeline.add(new["items"], dropped=new["dropped"])
        timeline.seq, timeline.epoch = new["seq"], new["epoch"]
        if network is not None:
            network.add_frames(new["items"])
            network.update_network(self.engine.network(), time=state["time"])

    def _status(self, state: dict[str, Any]) -> None:
        say = words(self)
        run = say("tui.running") if state["running"] else say("tui.paused")
        speed = f"{self.mips:.1f} MIPS" if self.mips else say("tui.idle")
        if state["finished"]:
            step = say("lesson_complete") + " ✓"
        else:
            step = say("tui.status_step", n=state["step"] + 1, total=state["steps"])
        panes = self._panes()
        active = self.query_one(TabbedContent).active
        where = panes.index(active) + 1 if active in panes else 1
        panel = say("tui.status_panel", n=where, total=len(panes))
        policy = say("tui.status_policy", preset=state["policy"]["preset"])
        text = f"{run} · {speed} · {step} · {panel} · {policy}"
        if state["patches"]:
            text += " · " + say("tui.status_patched", handlers=", ".join(state["patches"]))
        text += f" · t={state['time']:,}"
        if text != self._status_text:
            self._status_text = text
            self.query_one("#status", Static).update(text)

    def evaluate(self, *, quiet: bool = False, attempt: bool = True) -> dict[str, Any]:
        """Evaluate the step's checks; tell the student when a step or the lesson is done.

        A step that turns done begins the next, which is evaluated at once: what the
        student did early (or what already holds) counts, and no step waits for a tick.
        `quiet` skips the lesson-complete note (opening a finished lesson); `attempt`
        False (ticks, a step beginning) keeps a not-yet from counting as an attempt.
        """
        say = words(self)
        result = self.engine.evaluate(attempt=attempt)
        for _ in range(MAX_CHAINED_STEPS):
            if not result["advanced"]:
                break
            self.notify(say("tui.step_done", n=result["step"] + 1), title=say("tui.well_done"))
            result = self.engine.evaluate(attempt=False)  # the next step, not tried yet
        self._last_evaluate = time.monotonic()
        self._evaluated_time = self._last_time
        if result.get("finished") and result.get("done") and not self._finished_noted:
            self._finished_noted = True
            if not quiet:
                self.notify(say("tui.all_steps_done"), title="✓ " + say("lesson_complete"))
        self.refresh_all(force=True)
        return result

    # -- what the panels ask for

    @on(ConsoleView.Typed)
    def typed(self, event: ConsoleView.Typed) -> None:
        try:
            self.engine.type(event.vm, event.text)
        except SessionError as exc:
            self.notify(str(exc), severity="error")
            return
        self.refresh_all(force=True)
        self.evaluate()

    @on(PolicyPanel.Changed)
    def policy_changed(self, event: PolicyPanel.Changed) -> None:
        result = self.engine.set_policy(event.key, event.value)
        if not result["ok"]:
            self.notify(result["error"], severity="error")
        else:
            self.notify(words(self)("tui.policy_set", switch=result["key"], value=result["value"]))
        self.evaluate()

    @on(VmPanel.ActionRequested)
    def vm_action(self, event: VmPanel.ActionRequested) -> None:
        result = self.engine.vm_control(event.vm, event.action)
        if not result["ok"]:
            self.notify(result["error"], severity="warning")
        self.evaluate()

    @on(NetworkPanel.SaveRequested)
    def save_pcap(self, event: NetworkPanel.SaveRequested) -> None:
        result = self.engine.save_pcap(event.segment, event.path)
        assert self._network is not None
        text = self._network.show_saved(result)
        self.notify(text, severity="information" if result["ok"] else "error", timeout=8)

    @on(NetworkPanel.CommandEntered)
    def mgmt_command(self, event: NetworkPanel.CommandEntered) -> None:
        assert self._network is not None
        self._network.show_reply(event.command, self.engine.mgmt_console(event.command))
        self.evaluate()

    @on(Editor.Changed)
    def editor_changed(self, event: Editor.Changed) -> None:
        self.evaluate()

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
            self._status(self.engine.state())  # "panel n/N" follows at once

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
        self.engine.close()
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
        if self.engine.running:
            self.engine.pause()
            self.mips = 0.0
        else:
            self.engine.run(0)
        self.refresh_all(force=True)

    def action_step(self) -> None:
        self.engine.step()
        self.mips = 0.0
        self.refresh_all(force=True)

    def action_check(self) -> None:
        result = self.evaluate()
        if not result["done"]:
            missing = sum(1 for c in result["checks"] if not c["done"])
            self.notify(words(self)("tui.checks_missing", n=missing))

    def action_hint(self) -> None:
        self.query_one(LessonView).add_hint(self.engine.hint())
        self.query_one(LessonView).remove_class("hidden")

    def action_reset_step(self) -> None:
        say = words(self)

        def answer(yes: bool | None) -> None:
            if yes:
                self.engine.reset_step()
                self.refresh_all(force=True)
                self.notify(say("tui.step_was_reset"))

        self.app.push_screen(ConfirmScreen(say("tui.confirm_reset_step")), answer)

    def action_reset_lesson(self) -> None:
        say = words(self)

        def answer(yes: bool | None) -> None:
            if yes:
                self.engine.reset_lesson()
                self._finished_noted = False
                self.refresh_all(force=True)
                self.notify(say("tui.lesson_was_reset"))
                self.evaluate(quiet=True)

        self.app.push_screen(ConfirmScreen(say("tui.confirm_reset_lesson")), answer)

    def _focus_console(self) -> None:
        self.query_one(f"#input-{self.seat}", Input).focus()

    def _default_vm(self) -> str:
        """The student's seat: the first VM that is not the control domain, if any."""
        state = self.engine.state()
        seats = [vm["name"] for vm in state["vms"] if not vm["control"]]
        return seats[0] if seats else self.vms[0]
