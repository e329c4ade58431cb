"""The page boots Pyodide in its module worker, and the Lab client talks to the engine.

Debian's chromium on the built site served from 127.0.0.1 (tests/web/conftest.py); any
console error or request to another origin fails the test. Booting Pyodide costs
seconds, so the tests share one page, and each starts from empty progress.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.web.conftest import boot, open_page

EMPTY_PROGRESS = '{"version": 1, "lessons": {}}'


@pytest.fixture(scope="module")
def page(browser: Any, server_url: str) -> Iterator[Any]:
    with open_page(browser, server_url) as page:
        boot(page, server_url)
        yield page


@pytest.fixture
def lab(page: Any) -> Any:
    """The shared page, its progress emptied first."""
    assert page.evaluate(f"() => window.hvlab.lab.importProgress('{EMPTY_PROGRESS}')")["ok"]
    return page


def test_the_page_boots_and_lists_the_course(lab):
    lessons = lab.evaluate('() => window.hvlab.lab.call("list_lessons", {lang: "en"})')
    ids = [x["id"] for x in lessons]
    assert ids[:3] == ["tour", "hypercalls", "control-api"]
    assert all(x["title"] and x["steps"] > 0 for x in lessons)
    # The chrome's words come from the site itself (uitext/<lang>.json), not through the engine.
    words = lab.evaluate('() => fetch("uitext/de.json").then((r) => r.json())')
    assert words["lessons"] == "Lektionen"


def test_errors_reject_with_their_kind(lab):
    error = lab.evaluate(
        """() => window.hvlab.lab.call("open_lesson", {lesson_id: "no-such-lesson"})
            .then(() => null, (e) => ({name: e.name, kind: e.kind, message: e.message}))"""
    )
    assert error["name"] == "LabError" and error["kind"] == "SessionError"
    assert "no-such-lesson" in error["message"]


def test_play_frames_pause_and_progress_in_local_storage(lab):
    result = lab.evaluate(
        """async () => {
            const lab = window.hvlab.lab;
            const seen = {frames: [], progress: []};
            const offFrame = lab.on("frame", (f) => seen.frames.push(f));
            const offProgress = lab.on("progress", (p) => seen.progress.push(
                {p, stored: localStorage.getItem("hvlab.progress")}));
            await lab.call("open_lesson", {lesson_id: "control-api"});
            await lab.call("start", {});
            await lab.call("answer", {quiz: 1, value: "1"});  // the step's prediction first
            await lab.play();
            // A call while the loop runs gets in between slices.
            const typed = await lab.call("type", {vm: "tenant", text: "vms"});
            await new Promise((r) => setTimeout(r, 700));
            await lab.pause();
            const count = seen.frames.length;
            await new Promise((r) => setTimeout(r, 300));
            offFrame(); offProgress();
            return {frames: seen.frames, count, later: seen.frames.length - count,
                    typed, progress: seen.progress, exported: lab.exportProgress()};
        }"""
    )
    assert "dom2 running" in result["typed"]["text"]
    assert 2 <= result["count"] <= 12  # ~0.7 s of play, at most ten frames a second
    assert result["later"] == 0  # paused: no more frames
    frames = result["frames"]
    assert all(f["state"]["lesson"] == "control-api" and f["state"]["running"] for f in frames)
    assert frames[0]["reset"] and isinstance(frames[0]["mips"], int | float)
    # The run loop evaluated the checks after the student's command: step 1 done, and it waits
    # for the student to move on.
    assert any(f["evaluation"] and f["evaluation"]["done_now"] for f in frames)
    assert frames[-1]["state"]["step"] == 0 and frames[-1]["state"]["done"]
    last = result["progress"][-1]
    assert last["stored"] == result["exported"]  # written to localStorage before the event
    assert json.loads(last["stored"])["lessons"]["control-api"]["steps"]["0"]["done"] is True


def test_pcap_download_and_the_interpreter_speed(lab):
    info = lab.evaluate(
        """async () => {
            const lab = window.hvlab.lab;
            await lab.call("open_lesson", {lesson_id: "tour"});
            await lab.call("start", {});
            const net = await lab.call("network", {});
            const blob = await lab.pcap(net.segments[0].name);
            const head = new Uint8Array(await blob.arrayBuffer()).slice(0, 4);
            const bad = await lab.pcap("nowhere").then(
                () => null, (e) => ({kind: e.kind, message: e.message}));
            return {type: blob.type, head: Array.from(head), bad, bench: await lab.benchMips(100000)};
        }"""
    )
    assert info["type"] == "application/vnd.tcpdump.pcap"
    assert info["head"] == [0xD4, 0xC3, 0xB2, 0xA1]
    assert info["bad"]["kind"] == "SessionError" and info["bad"]["message"].startswith("no segment 'nowhere'")
    assert info["bench"]["mips"] > 0.5
    print(f"\ninterp in chromium (Pyodide): {info['bench']['mips']:.1f} MIPS")


def test_progress_survives_a_reload_and_imports_are_checked(lab, server_url):
    lab.evaluate(
        """async () => {
            const lab = window.hvlab.lab;
            await lab.call("open_lesson", {lesson_id: "control-api"});
            const state = await lab.call("start", {});
            if (state.quizzes.length && !state.quizzes[0].answered) {
                await lab.call("answer", {quiz: 1, value: "1"});  // step 1's prediction first
            }
            await lab.call("type", {vm: "tenant", text: "vms"});
            await lab.call("evaluate", {});
        }"""
    )
    boot(lab, server_url)
    lessons = lab.evaluate('() => window.hvlab.lab.call("list_lessons", {lang: "en"})')
    assert next(x for x in lessons if x["id"] == "control-api")["done_steps"] == 1
    bad = lab.evaluate('() => window.hvlab.lab.importProgress("{oops")')
    assert bad["ok"] is False and "JSON" in bad["error"]
    assert json.loads(lab.evaluate("() => localStorage.getItem('hvlab.progress')"))["lessons"]


def test_a_failed_boot_says_why(browser, server_url):
    # Its own context: the 404 is the point here, so the console's error about it is expected.
    context = browser.new_context()
    context.route("**/manifest.json", lambda route: route.fulfill(status=404, body="gone"))
    page = context.new_page()
    try:
        page.goto(server_url)
        page.wait_for_function(
            "() => document.body.innerText.includes('manifest.json: HTTP 404')", timeout=30_000
        )
        assert page.evaluate("() => window.hvlab === undefined")
    finally:
        context.close()
