"""The worker's Python side under CPython: web.bridge.Bridge as worker.js drives it."""

from __future__ import annotations

import inspect
import json

import pytest

from lab.lesson import progress as progress_io
from lab.session import DEFAULT_LESSONS, Session
from web.bridge import METHODS, Bridge, progress_text


def call(bridge: Bridge, method: str, **args) -> dict:
    return json.loads(bridge.call(method, json.dumps(args)))


@pytest.fixture
def bridge() -> Bridge:
    return Bridge(DEFAULT_LESSONS)


def test_every_allowed_method_is_a_public_session_method():
    public = {n for n, _ in inspect.getmembers(Session, inspect.isfunction) if not n.startswith("_")}
    assert METHODS <= public
    # What the page must never reach: writing files anywhere, closing under the loop's feet.
    assert not {"save_pcap", "close"} & METHODS


def test_a_lesson_round_trips_as_json(bridge):
    lessons = call(bridge, "list_lessons", lang="de")
    assert lessons["ok"] and "control-api" in [x["id"] for x in lessons["value"]]
    assert next(x for x in lessons["value"] if x["id"] == "control-api")["lang"] == "de"
    opened = call(bridge, "open_lesson", lesson_id="control-api", lang="en")
    assert opened["ok"] and opened["value"]["steps"][1]["title"] == "Read the bank's secret"
    call(bridge, "start")
    typed = call(bridge, "type", vm="tenant", text="peek 2 0x80001000 32")
    assert typed["ok"] and "BANK{" in typed["value"]["text"]


def test_errors_come_back_as_values_with_their_kind(bridge):
    assert call(bridge, "state") == {
        "ok": False,
        "kind": "SessionError",
        "message": "no lesson is running: open_lesson() then start()",
        "progress": None,
    }
    refused = call(bridge, "save_pcap", segment="tenants", path="/etc/passwd")
    assert refused["ok"] is False and refused["kind"] == "BridgeError"
    wrong = call(bridge, "open_lesson", lesson="control-api")
    assert wrong["ok"] is False and wrong["kind"] == "TypeError" and "lesson" in wrong["message"]
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
    call(bridge, "type", vm="tenant", text="vms")
    evaluated = call(bridge, "evaluate")
    assert evaluated["value"]["advanced"] is True
    assert json.loads(evaluated["progress"])["lessons"]["control-api"]["steps"]["0"]["done"] is True


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


def test_strings_pcap_and_the_benchmark(bridge):
    assert bridge.strings("de")["lessons"] == "Lektionen"
    assert bridge.strings("xx")["lessons"] == "Lessons"
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
