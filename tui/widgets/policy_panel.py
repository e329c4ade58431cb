"""The policy panel: every hardening switch with what it checks and the real bug
its vulnerable form mirrors, toggled live; and a button that measures what the
hardening in force costs (`Session.measure`), with the caveat that an emulator's
trap is not a hardware VM exit.

A switch changes only by an explicit act on it: a click, or Space/Enter while it
has the focus, which opening the panel never gives it (the panel itself takes the
focus; Tab moves onto the switches). So keys meant for a console cannot flip one.

    panel = PolicyPanel(session.policy())
    panel.sync(state.policy.values)          # after a reset
    panel.show_measured(session.measure())   # a Measured (or a Refused)
    # posts PolicyPanel.Changed(key="hypercall.authorize", value=True), PolicyPanel.MeasureRequested
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Input, Label, Static, Switch

from lab.session.records import Measured, PolicySwitch, Refused
from tui.keys import words
from tui.markup import inline


def _dom_id(key: str) -> str:
    return "policy-" + key.replace(".", "-").replace("_", "-")


class PolicyPanel(VerticalScroll):
    """One row per switch: the control, its name, and its explanation."""

    DEFAULT_CSS = """
    PolicyPanel .switch-row {
        height: auto;
        margin-bottom: 1;
    }
    PolicyPanel .switch-head {
        height: auto;
    }
    PolicyPanel .switch-head Label {
        padding: 1 1 0 1;
        text-style: bold;
    }
    PolicyPanel .switch-head Input {
        width: 12;
    }
    PolicyPanel .switch-doc {
        padding: 0 2;
        color: $text-muted;
    }
    PolicyPanel #measure-row {
        height: auto;
        padding: 0 1;
    }
    PolicyPanel #measured {
        width: 1fr;
        padding: 0 1;
    }
    PolicyPanel #measure-caveat {
        padding: 0 1 1 1;
        color: $text-muted;
        text-style: italic;
        display: none;
    }
    PolicyPanel #measure-caveat.shown {
        display: block;
    }
    """

    class Changed(Message):
        """The student set a switch."""

        def __init__(self, key: str, value: Any) -> None:
            super().__init__()
            self.key = key
            self.value = value

    class MeasureRequested(Message):
        """The student asked what the hardening in force costs."""

    def __init__(self, switches: tuple[PolicySwitch, ...], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.switches = switches
        self._shown = {sw.key: sw.value for sw in switches}

    def compose(self) -> ComposeResult:
        say = words(self)
        with Horizontal(id="measure-row"):
            yield Button(say("measure"), id="measure", compact=True)
            yield Static("", id="measured")
        yield Static(say("measure_caveat"), id="measure-caveat")
        for sw in self.switches:
            with Vertical(classes="switch-row"):
                with Horizontal(classes="switch-head"):
                    if sw.kind == "bool":
                        yield Switch(value=bool(sw.value), id=_dom_id(sw.key), name=sw.key)
                    else:
                        yield Input(str(sw.value), id=_dom_id(sw.key), name=sw.key, type="integer")
                    yield Label(sw.key)
                # The descriptions are Markdown: shown styled, never with raw backticks.
                lines = [say("tui.policy_hardened", checks=sw.checks)]
                lines.append(say("tui.policy_mirrors", mirrors=sw.mirrors))
                if sw.cost:
                    lines.append(say("tui.policy_cost", cost=sw.cost))
                yield Static(Text("\n").join(inline(line) for line in lines), classes="switch-doc")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "measure":
            event.stop()
            self.query_one("#measured", Static).update(words(self)("measuring"))
            self.post_message(self.MeasureRequested())

    def show_measured(self, result: Measured | Refused) -> None:
        """The figures of a measurement, in the student's words (or why there are none)."""
        if isinstance(result, Refused):
            self.query_one("#measured", Static).update(result.error)
            return
        self.query_one("#measure-caveat").add_class("shown")  # with figures, what they mean
        m = result.measurement
        text = words(self)(
            "measure_result",
            policy=f"{m.policy_us:.2f}",
            base=f"{m.base_us:.2f}",
            overhead=f"{m.overhead_percent:+.1f} %",
            spread=f"{m.spread_percent:.1f} %",
        )
        self.query_one("#measured", Static).update(text)

    def on_switch_changed(self, event: Switch.Changed) -> None:
        event.stop()
        if event.switch.name:
            self.post_message(self.Changed(event.switch.name, event.value))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.name:
            self.post_message(self.Changed(event.input.name, event.value))

    def sync(self, values: dict[str, Any]) -> None:
        """Show `values` without posting Changed (they came from the engine)."""
        for key, value in values.items():
            if self._shown.get(key) == value:
                continue
            self._shown[key] = value
            widget = self.query_one(f"#{_dom_id(key)}")
            if isinstance(widget, Switch):
                with widget.prevent(Switch.Changed):
                    widget.value = bool(value)
            elif isinstance(widget, Input):
                widget.value = str(value)
