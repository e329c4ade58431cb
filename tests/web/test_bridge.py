"""The worker's Python side under CPython: web.bridge.Bridge as worker.js drives it."""

from __future__ import annotations

import dataclasses
import inspect
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from lab.lesson import progress as progress_io
from lab.session import DEFAULT_LESSONS, Session
from lab.session import METHODS as PROTOCOL
from lab.session.control import FRAME_SECONDS
from lab.session.protocol import Seen, conformance, hints, records_of
from web.bridge import METHODS, Answer, Bridge, Failure, progress_text


def call(bridge: Bridge, method: str, **args) -> dict:
    return json.loads(bridge.call(method, json.dumps(args)))


@pytest.fixture
def bridge() -> Bridge:
    return Bridge(DEFAULT_LESSONS)


def test_every_allowed_method_is_a_public_session_method():
    public = {n for n, _ in inspect.getmembers(Session, inspect.isfunction) if not n.startswith("_")}
    assert METHODS <= public
    # What the page must never reach: writing files anywhere, closing under the loop's feet.
    assert not {"save_pcap", "close", "load_progress"} & METHODS


def test_a_lesson_round_trips_as_json(bridge):
    lessons = call(bridge, "list_lessons", lang="de")
    assert lessons["ok"] and "control-api" in [x["id"] for x in lessons["value"]]
    assert next(x for x in lessons["value"] if x["id"] == "control-api")["lang"] == "de"
    opened = call(bridge, "open_lesson", lesson_id="control-api", lang="en")
    assert opened["ok"] and opened["value"]["steps"][1]["title"] == "Read the bank's secret"
    call(bridge, "start")
    typed = call(bridge, "type", vm="tenant", text="peek 2 0x80001000 32")
    assert typed["ok"] and "BANK{" in typed["value"]["text"]
    assert not bridge.running and call(bridge, "play")["value"]["running"] and bridge.running


def test_errors_come_back_as_values_with_their_kind(bridge):
    assert call(bridge, "state") == {
        "ok": False,
        "kind": "SessionError",
        "message": "no lesson is running: open_lesson() then start()",
        "traceback": None,
        "progress": None,
        "record": None,
    }
    refused = call(bridge, "save_pcap", segment="tenants", path="/etc/passwd")
    assert refused["ok"] is False and refused["kind"] == "BridgeError"
    wrong = call(bridge, "open_lesson", lesson="control-api")
    assert wrong["kind"] == "BridgeError" and wrong["message"] == (
        "open_lesson: no argument 'lesson' (it takes lesson_id, lang)"
    )
    missing = call(bridge, "open_lesson")
    assert missing["kind"] == "BridgeError" and "missing argument lesson_id" in missing["message"]
    kind = call(bridge, "list_lessons", lang=7)
    assert kind["kind"] == "BridgeError" and kind["message"] == "list_lessons: lang: 7 is not a string"
    not_an_object = json.loads(bridge.call("list_lessons", "[1, 2]"))
    assert not_an_object["kind"] == "BridgeError"


def test_progress_changes_are_reported_once_in_the_tui_format(bridge):
    assert call(bridge, "list_lessons")["progress"] is None
    call(bridge, "open_lesson", lesson_id="control-api")
    started = call(bridge, "start")
    text = started["progress"]
    assert text is not None and text == progress_text(bridge.session.progress())
    assert json.loads(text)["lessons"]["control-api"]["current"] == 0
    assert call(bridge, "state")["progress"] is None  # unchanged: not reported again
    call(bridge, "answer", quiz=1, value="1")  # the step's prediction comes first
    call(bridge, "type", vm="tenant", text="vms")
    evaluated = call(bridge, "evaluate")
    assert evaluated["value"]["done_now"] is True
    assert json.loads(evaluated["progress"])["lessons"]["control-api"]["steps"]["0"]["done"] is True


def test_the_record_grows_by_lines_the_page_appends_and_reads_back_at_the_next_boot():
    bridge = Bridge(DEFAULT_LESSONS)
    kept = bridge.record()  # what the page writes at "ready": the format line
    call(bridge, "open_lesson", lesson_id="control-api")
    for method, args in [("start", {}), ("type", {"vm": "tenant", "text": "vms"}), ("hint", {})]:
        reply = call(bridge, method, **args)
        assert reply["record"] is not None, method  # a run begun, a command, a hint: one line each
        assert reply["record"].count("\n") == 1
        kept += reply["record"]
    assert call(bridge, "state")["record"] is None  # a query records nothing
    again = Bridge(DEFAULT_LESSONS, record_text=kept)
    export = call(again, "export_record")["value"]
    assert (export["runs"], export["events"]) == (1, 2) and again.record_problem == ""
    assert [e["cmd"] for e in json.loads(export["text"])["runs"][0]["events"]] == ["type", "hint"]
    cut = Bridge(DEFAULT_LESSONS, record_text=kept[:-5])  # the last line cut short
    assert call(cut, "export_record")["value"]["events"] == 1 and "1 line(s)" in cut.record_problem


def test_progress_file_from_the_tui_loads_and_bad_ones_are_refused(tmp_path):
    saved = tmp_path / "progress.json"
    progress = progress_io.Progress(seed=1234)  # the TUI's student: their variant comes along
    progress.step("control-api", 0).done = True
    progress.lesson("control-api").current = 1
    progress_io.save_atomic(saved, progress.to_dict())
    bridge = Bridge(DEFAULT_LESSONS, progress_text=saved.read_text())
    assert bridge.progress_problem == ""
    assert bridge.progress() == saved.read_text()  # byte for byte what the TUI wrote
    assert bridge.session.seed == 1234
    entry = next(x for x in call(bridge, "list_lessons")["value"] if x["id"] == "control-api")
    assert entry["done_steps"] == 1

    assert bridge.import_progress("{not json")["ok"] is False
    refused = bridge.import_progress('{"version": 99}')
    assert refused["ok"] is False and "version" in refused["error"]
    assert bridge.changed_progress() is None  # a refused import changes nothing
    broken = Bridge(DEFAULT_LESSONS, progress_text="garbage")
    assert "not JSON" in broken.progress_problem and json.loads(broken.progress())["lessons"] == {}


def test_pcap_and_the_benchmark(bridge):
    call(bridge, "open_lesson", lesson_id="tour")
    call(bridge, "start")
    network = call(bridge, "network")["value"]
    segment = network["segments"][0]["name"]
    assert bridge.pcap(segment)[:4] == bytes.fromhex("d4c3b2a1")  # pcap magic, little-endian
    with pytest.raises(Exception, match="no segment"):
        bridge.pcap("nowhere")
    figure = bridge.bench_mips(20_000)
    assert figure["instructions"] >= 40_000 and figure["mips"] > 0


def test_saved_progress_that_is_not_progress_never_stops_the_worker():
    # issue 14.5: very deep JSON raised RecursionError out of Bridge(); a 5,000-digit number a ValueError
    for text, rule in [
        ("[" * 100_000 + "]" * 100_000, "nests objects or arrays deeper than 32 levels"),
        ('{"version": 1, "seed": ' + "9" * 5000 + "}", "holds an integer of 5000 digits"),
    ]:
        bridge = Bridge(DEFAULT_LESSONS, progress_text=text)
        assert rule in bridge.progress_problem and json.loads(bridge.progress())["lessons"] == {}


# ------------------------------------------------------------------ the protocol, checked on the wire

# (method, arguments) in the order a student's session makes them: every method the page may
# call, on the capstone's machine (NICs, the management service, datagrams) and a grant between VMs.
# A rule that fires on the tenant's datagrams: in attacks and in honest work alike.
RULES = """
[[rule]]
id = "dgram-send"
title = "A datagram is sent"
source = "hypercall"
output = "{vm} sent {arg.len} bytes to {target}"
[rule.detection]
condition = "send"
send = { call = "DGRAM.send" }
"""
SCRIPT: list[tuple[str, dict[str, Any]]] = [
    ("problems", {}),
    ("set_student", {"name": "Ada\nLovelace", "seed": 1815}),  # refused: not a printable name
    ("set_student", {"name": "Ada Lovelace", "seed": 1815}),
    ("student", {}),
    ("list_lessons", {"lang": "de"}),
    ("open_lesson", {"lesson_id": "capstone", "lang": "en"}),
    ("start", {}),
    ("follow", {"panels": ["timeline", "network", "grants", "detections"]}),
    ("frame", {"full": True}),
    ("play", {}),
    ("advance", {"seconds": 0.01}),
    ("state", {}),
    ("policy", {}),
    ("handlers", {}),
    ("hint", {}),
    ("hints_shown", {}),
    ("type", {"vm": "tenant", "text": "ping 10.0.0.1 1"}),
    ("type", {"vm": "tenant", "text": "grant 0x80010000 0 1"}),
    ("type", {"vm": "admin", "text": "map 1 0 0x90000000 1"}),
    ("type", {"vm": "tenant", "text": "dsend 2 hello"}),
    ("type", {"vm": "tenant", "text": "dread 0 1"}),
    ("frame", {}),
    ("console", {"vm": "tenant", "since": 0}),
    ("trace", {"since": 0, "vm": "tenant", "kinds": ["hypercall", "dgram"]}),
    ("timeline", {"since": 0, "limit": 50}),
    ("network", {"frames": 5}),
    ("grants", {}),
    ("mgmt_console", {"command": "LIST"}),
    ("set_policy", {"key": "hypercall.authorize", "value": True}),
    ("set_policy", {"key": "hypercall.authorize", "value": "maybe"}),
    ("patch_source", {"handler": "dbcn.console_write"}),
    (
        "apply_patch",
        {"handler": "dbcn.console_write", "source": "def console_write(hv, vm, n, lo, hi):\n    return (\n"},
    ),
    (
        "apply_patch",
        {
            "handler": "dbcn.console_write",
            "source": (DEFAULT_LESSONS / "patches" / "console_write.py").read_text(),
        },
    ),
    ("revert_patch", {"handler": "dbcn.console_write"}),
    ("assemble", {"source": "    nop\n    bogus x1\n"}),
    ("load_source", {"vm": "backup", "source": "_start:\n    wfi\n    j _start\n"}),
    ("measure", {"calls": 100}),
    # detection rules (lesson 11's editor and panel): the template, a broken file, rules that fire
    ("rules_source", {"template": True}),
    ("check_rules", {"source": RULES.replace("call =", "cal =")}),
    ("load_rules", {"source": RULES.replace("call =", "cal =")}),  # refused, at its line
    ("load_rules", {"source": RULES}),
    ("type", {"vm": "tenant", "text": "dsend 2 hello"}),
    ("detections", {"since": 0, "limit": 5}),
    ("score_rules", {"lesson": "capstone"}),  # records the course's runs (in this test's cache)
    ("advance", {}),  # after a pause of FRAME_SECONDS (below): a frame is due
    ("evaluate", {"attempt": True}),
    ("run", {"n": 1000}),
    ("step", {}),
    ("pause", {}),
    ("vm_control", {"vm": "vault", "action": "pause"}),
    ("vm_control", {"vm": "vault", "action": "destroy"}),
    ("vm_control", {"vm": "vault", "action": "reboot"}),
    ("type", {"vm": "tenant", "text": "x 0x10"}),  # a load from an unmapped address: the tenant faults
    ("frame", {}),
    ("reset_step", {}),
    ("advance", {}),
    ("reset_lesson", {}),
    ("frame", {}),
    # a lesson with questions (tests/lesson/test_quiz.py): a prediction, then a reflection
    ("open_lesson", {"lesson_id": "demo", "lang": "en"}),
    ("start", {}),
    ("next_step", {}),  # refused: the step is not done
    ("answer", {"quiz": 1, "value": "2"}),  # a wrong prediction
    ("answer", {"quiz": 1, "value": "1"}),  # refused: a prediction is answered once
    ("type", {"vm": "tenant", "text": "peek 2 0x80001000 32"}),
    ("evaluate", {}),  # done: the prediction's result shows
    ("next_step", {}),
    ("answer", {"quiz": 1, "value": "0x1000"}),  # wrong: try again
    ("answer", {"quiz": 1, "value": "0x80001000"}),
    ("answer", {"quiz": 2, "value": "1,3"}),
    ("frame", {}),
    ("reload", {}),  # an instructor saved the lesson (its file touched first, below): read again
    ("lesson_view", {}),
    ("export_record", {}),
    ("state", {"nonsense": 1}),  # a Failure, on the wire as well
]
# Optional fields no call of a working engine sets: a traceback comes only with a bug in the engine,
# and a failed call does not change the progress here.
NEVER_SET = {(Failure, "traceback"), (Failure, "progress"), (Failure, "record")}


def course_with_quizzes(folder: Path) -> Path:
    """The course's lessons and a lesson with a prediction and a reflection (its questions)."""
    from tests.lesson.conftest import FRONT
    from tests.lesson.test_quiz import GOOD

    shutil.copytree(DEFAULT_LESSONS, folder)
    (folder / "demo.md").write_text(FRONT.replace('"api.toml"', '"api"') + GOOD)
    return folder


def test_the_bridge_sends_exactly_what_the_protocol_types_say(tmp_path, monkeypatch):
    """Every reply of a whole session, checked against the records: a key the types do not have,
    a field missing, a value of another kind fails here; so does a method or record of the
    page's protocol that the session never sends, and an optional field it never fills."""
    lessons = course_with_quizzes(tmp_path / "lessons")  # a copy: the script saves a lesson too
    monkeypatch.setenv("HVLAB_CACHE", str(tmp_path / "cache"))  # the scoring corpus is recorded there
    bridge = Bridge(lessons)
    seen = Seen()
    called = set()
    for method, args in SCRIPT:
        if method == "advance":
            time.sleep(FRAME_SECONDS)  # the run loop sends a frame only this long after the last
        if method == "reload":
            demo = lessons / "demo.md"  # the lesson open at that point
            demo.write_text(demo.read_text() + "\n")
            os.utime(demo, ns=(time.time_ns() + 10**9,) * 2)
        reply = json.loads(bridge.call(method, json.dumps(args)))
        problems = conformance(reply, Answer | Failure, where=f"{method} reply", seen=seen)
        assert not problems, problems
        if reply["ok"]:
            called.add(method)
            result = hints(PROTOCOL[method].fn)["return"]
            problems = conformance(reply["value"], result, where=method, seen=seen)
            assert not problems, problems
    assert METHODS - called == set(), "page methods the script never called"
    expected: dict[str, type] = {"Answer": Answer, "Failure": Failure}
    for name in METHODS:
        records_of(hints(PROTOCOL[name].fn)["return"], expected)
    assert {c.__name__ for c in seen.records} == set(expected), "records never sent"
    optional = {
        (cls, f.name)
        for cls in expected.values()
        for f in dataclasses.fields(cls)
        if type(None) in getattr(hints(cls)[f.name], "__args__", ())
    }
    assert optional - seen.set_fields - NEVER_SET == set(), "optional fields never set"
