"""Detections: the detection rules watching the machine, and which rule fired on what, live.

    panel = DetectionsPanel(id="detections")
    panel.update_detections(frame.detections)   # a DetectionsView: the rules, new detections
    panel.show_score(score)                     # Session.score_rules's answer: the rules against the runs
    panel.score_refused(message)                # ... or why there is none
    # posts DetectionsPanel.ScoreRequested() when the student asks for a score

A line a detection: when, how serious, which rule, about which VM, and the rule's own
words (its `output`, filled in from what it matched). The rules are written in the
editor (its *Detection rules* source); this panel only shows what they find.
"""

from __future__ import annotations

from typing import Any, Final

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Log, Static

from lab.session.records import DetectionsView, DetectionView, Refused, RulesScore
from tui.keys import words

KEEP: Final = 2000  # lines kept; the session keeps as many detections
LEVELS: Final = {"informational": "info", "low": "low", "medium": "MED", "high": "HIGH", "critical": "CRIT"}


def detection_line(found: DetectionView) -> str:
    """One detection in a line: `[time] LEVEL rule vm: output`, unpadded, so that the rule's own
    words fit an 80-column terminal (the log does not wrap)."""
    level = LEVELS.get(found.level, found.level)
    return f"[{found.time:>9}] {level:<4} {found.rule} {found.vm}: {found.output}"


class DetectionsPanel(Vertical):
    """The rules and their counts, the detections as they come, and a score on request."""

    DEFAULT_CSS = """
    DetectionsPanel #det-rules {
        height: auto;
        max-height: 6;
        padding: 0 1;
    }
    DetectionsPanel Log {
        height: 1fr;
    }
    DetectionsPanel Horizontal {
        height: auto;
    }
    DetectionsPanel #det-score {
        height: auto;
        max-height: 12;
        padding: 0 1;
    }
    DetectionsPanel #det-score.error {
        color: $error;
    }
    """

    class ScoreRequested(Message):
        """The student asked to score the rules against the recorded runs."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._rules_text = ""

    def compose(self) -> ComposeResult:
        yield Static(words(self)("rules_none"), id="det-rules", markup=False)
        yield Log(id="det-log", max_lines=KEEP)
        with Horizontal():
            yield Button(words(self)("score_rules"), id="det-score-button")
        yield Static("", id="det-score", markup=False)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "det-score-button":
            self.query_one("#det-score", Static).update(words(self)("scoring"))
            self.post_message(self.ScoreRequested())

    def update_detections(self, view: DetectionsView) -> None:
        """The rules' counts, and the detections the view brings (new since the last frame)."""
        say = words(self)
        if view.loaded:
            text = " · ".join(say("rules_fired", rule=r.id, n=r.fired) for r in view.rules)
            if view.lost:
                text += "\n" + say("detections_lost", n=view.lost)
        else:
            text = say("rules_none")
        if text != self._rules_text:
            self._rules_text = text
            self.query_one("#det-rules", Static).update(text)
        lines = [say("detections_more", n=view.dropped)] if view.dropped else []
        lines += [detection_line(d) for d in view.items]
        if lines:
            self.query_one(Log).write_lines(lines)

    def clear(self) -> None:
        self.query_one(Log).clear()

    def show_score(self, score: RulesScore | Refused) -> None:
        if isinstance(score, Refused):
            self.score_refused(score.error)
            return
        box = self.query_one("#det-score", Static)
        box.remove_class("error")
        say = words(self)
        lines = [score.summary]
        if score.missed:
            lines.append(f"{say('score_missed')}: " + ", ".join(r.id for r in score.missed))
        if score.false_positives:
            lines.append(f"{say('score_false')}: " + ", ".join(r.id for r in score.false_positives))
        for r in score.rules:
            detected = ", ".join(r.detected) or "–"
            lines.append(say("score_rule", rule=r.rule, detected=detected, false=len(r.false_positives)))
            if r.false_example:
                lines.append(f"    {r.false_positives[0]}: {r.false_example}")
        box.update("\n".join(lines))

    def score_refused(self, message: str) -> None:
        """The score could not be made: why, where it would have been."""
        box = self.query_one("#det-score", Static)
        box.update(message)
        box.add_class("error")

    @property
    def lines(self) -> list[str]:
        return list(self.query_one(Log).lines)
