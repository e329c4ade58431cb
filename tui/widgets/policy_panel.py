"""The policy panel: every hardening switch with what it checks and the real bug
its vulnerable form mirrors, toggled live.

A switch changes only by an explicit act on it: a click, or Space/Enter while it
has the focus, which opening the panel never gives it (the panel itself takes the
focus; Tab moves onto the switches). So keys meant for a console cannot flip one.

    panel = PolicyPanel(session.policy())
    panel.sync(state.policy.values)          # after a reset
    # posts PolicyPanel.Changed(key="hypercall.authorize", value=True)
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Input, Label, Static, Switch

from lab.session.records import PolicySwitch
from tui.keys import words


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
    """

    class Changed(Message):
        """The student set a switch."""

        def __init__(self, key: str, value: Any) -> None:
            super().__init__()
            self.key = key
            self.value = value

    def __init__(self, switches: tuple[PolicySwitch, ...], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.switches = switches
        self._shown = {sw.key: sw.value for sw in switches}

    def compose(self) -> ComposeResult:
        say = words(self)
        for sw in self.switches:
            with Vertical(classes="switch-row"):
                with Horizontal(classes="switch-head"):
                    if sw.kind == "bool":
                        yield Switch(value=bool(sw.value), id=_dom_id(sw.key), name=sw.key)
                    else:
                        yield Input(str(sw.value), id=_dom_id(sw.key), name=sw.key, type="integer")
                    yield Label(sw.key)
                doc = say("tui.policy_hardened", checks=sw.checks)
                doc += "\n" + say("tui.policy_mirrors", mirrors=sw.mirrors)
                if sw.cost:
                    doc += "\n" + say("tui.policy_cost", cost=sw.cost)
                yield Static(doc, classes="switch-doc")

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
