"""Detection rules through the session, the contract both front ends use: the editor's template,
checked text with every problem at its line, rules loaded (or refused, with nothing loaded),
detections read after a number and carried by frames when followed, the score, and rules that
survive a reset of the machine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lab.session import Session, to_json
from lab.session.records import DetectionsView, Refused, RulesLoaded, RulesScore

LESSONS = Path(__file__).resolve().parents[2] / "lessons"
FLOOD = (LESSONS / "detect" / "flood.toml").read_text()


@pytest.fixture
def session(tmp_path, monkeypatch):
    monkeypatch.setenv("HVLAB_CACHE", str(tmp_path / "cache"))
    s = Session(LESSONS, backend="interp", progress_path=tmp_path / "progress.json")
    s.open_lesson("defender", "en")
    s.start()
    yield s
    s.close()


def plain(value) -> bool:
    data = to_json(value)
    return json.loads(json.dumps(data)) == data


def test_the_editor_starts_from_a_template_that_checks(session: Session) -> None:
    source = session.rules_source()
    assert not source.loaded and source.text.startswith("# Detection rules (TOML)")
    checked = session.check_rules(source.text)
    assert checked.ok and checked.rules >= 1 and plain(checked)


def test_a_broken_rule_file_is_refused_at_its_line_and_nothing_watches(session: Session) -> None:
    broken = FLOOD.replace("at_least = 50", "at_least = 0")
    line = next(n for n, row in enumerate(broken.splitlines(), 1) if row.startswith("at_least"))
    checked = session.check_rules(broken)
    assert not checked.ok and [e.line for e in checked.errors] == [line]
    refused = session.load_rules(broken)
    assert isinstance(refused, Refused) and refused.line == line and "at_least" in refused.error
    assert not session.detections().loaded
    assert isinstance(session.score_rules(), Refused)


def test_loaded_rules_detect_the_flood_and_frames_carry_what_is_new(session: Session) -> None:
    loaded = session.load_rules(FLOOD)
    assert isinstance(loaded, RulesLoaded) and loaded.rules == 1 and loaded.path == "editor"
    assert session.rules_source().loaded and session.rules_source().text == FLOOD
    session.follow(["detections"])
    session.run(300_000)
    frame = session.frame()
    assert isinstance(frame.detections, DetectionsView) and plain(frame.detections)
    first = frame.detections.items
    assert first and {d.rule for d in first} == {"mgmt-flood"} and {d.vm for d in first} == {"ci"}
    assert "claiming to be 10.0.0.11" in first[0].output
    assert frame.detections.rules[0].id == "mgmt-flood" and frame.detections.lost == 0
    again = session.frame().detections
    assert again is not None and again.items == ()  # shown once
    later = session.detections(since=first[0].seq)
    assert [d.seq for d in later.items] == [d.seq for d in first[1:]]


def test_the_score_and_rules_that_survive_a_reset(session: Session) -> None:
    session.load_rules(FLOOD)
    score = session.score_rules("flood")
    assert isinstance(score, RulesScore) and plain(score)
    assert score.detected == score.attacks == 1 and score.false_positives == ()
    assert isinstance(session.score_rules("no-such-lesson"), Refused)
    session.reset_lesson()
    assert session.detections().loaded  # what the defender wrote stays; the machine starts over
    session.run(300_000)
    assert session.detections().items
