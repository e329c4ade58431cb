"""The warm boot: a second load restores the engine's memory snapshot, and a bad one never hurts.

A cold boot copies the interpreter's memory (the engine imported, the lessons parsed) into
the origin private file system before the page hears "ready"; the next load in the same browser
restores it instead of starting Python (web/src/worker.js). The first tests share one browser
context (its storage and localStorage) across the loads, in order: cold, warm, a damaged
snapshot, one the interpreter rejects, a rebuilt site. The last ones close a tab early, each in
a context of its own. Every load must end in a lab that answers calls, with the student's own
progress, and with no console error.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any, Final

import pytest

from tests.web.conftest import BOOT_TIMEOUT_MS, boot, open_page

HEADER: Final = 64  # worker.js: magic, the SHA-256 of the rest, then Pyodide's snapshot

# Flip a byte of the one kept snapshot file (in the origin private file system); `digest`
# rewrites its checksum so the change goes unnoticed until Pyodide reads the bytes.
EDIT_SNAPSHOT: Final = """async ({offset, value, digest, header}) => {
    const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle("hvlab-engine");
    const [name] = await Array.fromAsync(dir.keys());
    const file = await dir.getFileHandle(name);
    const bytes = new Uint8Array(await (await file.getFile()).arrayBuffer());
    bytes[offset] ^= value;
    if (digest) bytes.set(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes.subarray(header))), 8);
    const out = await file.createWritable();
    await out.write(bytes);
    await out.close();
    return name;
}"""
KEPT: Final = """async () => Array.fromAsync(
    (await (await navigator.storage.getDirectory()).getDirectoryHandle("hvlab-engine")).keys())"""
PARTIAL_THERE: Final = """async () => {
    const root = await navigator.storage.getDirectory();
    const dir = await root.getDirectoryHandle("hvlab-engine").catch(() => null);
    return Boolean(dir) && (await Array.fromAsync(dir.keys())).some((name) => name.includes(".partial-"));
}"""
# What a tab closed in the middle of writing leaves (worker.js writes `<name>.partial-<random>`,
# then moves it to <name>): the first half of a snapshot.
LEAVE_PARTIAL: Final = """async () => {
    const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle("hvlab-engine");
    const [name] = await Array.fromAsync(dir.keys());
    const bytes = new Uint8Array(await (await (await dir.getFileHandle(name)).getFile()).arrayBuffer());
    const partial = await dir.getFileHandle(`${name}.partial-left-by-a-closed-tab`, {create: true});
    const out = await partial.createWritable();
    await out.write(bytes.subarray(0, bytes.length >> 1));
    await out.close();
    return name;
}"""


@pytest.fixture(scope="module")
def page(browser: Any, server_url: str) -> Iterator[Any]:
    # No service worker: the last test changes the manifest on its way (page.route).
    with open_page(browser, server_url, service_workers="block") as page:
        yield page


def load(page: Any, url: str) -> dict[str, Any]:
    """Load the lab (a cold boot's snapshot is written by then); the boot's report."""
    boot(page, url)
    return page.evaluate(
        """async () => {
            const lab = window.hvlab.lab;
            const lessons = await lab.call("list_lessons", {lang: "en"});
            return {snapshot: lab.snapshot, timings: lab.timings, problem: lab.problem,
                    lessons: Object.fromEntries(lessons.map((x) => [x.id, x.done_steps])),
                    seed: JSON.parse(lab.exportProgress()).seed};
        }"""
    )


def first_step(page: Any) -> dict[str, Any]:
    """Do lesson 3's first step (the engine really runs a guest); the evaluation."""
    return page.evaluate(
        """async () => {
            const lab = window.hvlab.lab;
            await lab.call("open_lesson", {lesson_id: "control-api"});
            const state = await lab.call("start", {});
            if (state.quizzes.length && !state.quizzes[0].answered) {
                await lab.call("answer", {quiz: 1, value: "1"});  // step 1's prediction first
            }
            const typed = await lab.call("type", {vm: "tenant", text: "vms"});
            return {typed: typed.text, evaluated: await lab.call("evaluate", {})};
        }"""
    )


def test_the_second_load_restores_the_snapshot_with_the_students_own_progress(page, server_url):
    cold = load(page, server_url)
    assert cold["snapshot"] == {"restored": False, "saved": True, "problem": ""}
    assert "prime" in cold["timings"] and cold["lessons"]["control-api"] == 0
    done = first_step(page)
    assert done["evaluated"]["done_now"] is True

    warm = load(page, server_url)
    assert warm["snapshot"] == {"restored": True, "saved": True, "problem": ""}
    assert "prime" not in warm["timings"]  # Python started with the engine in memory
    assert sum(warm["timings"].values()) < sum(cold["timings"].values()) / 2
    # The progress is the student's, from localStorage, not the snapshot's (made before it).
    assert warm["lessons"]["control-api"] == 1 and warm["seed"] == cold["seed"] is not None
    assert warm["problem"] == ""
    again = first_step(page)  # the restored engine runs guests as the fresh one did ...
    assert "dom2 running" in again["typed"] and again["evaluated"]["checks"]
    # ... and resumes the lesson where the student left it: the first step not done
    assert again["evaluated"]["step"] == 1
    # bench.* is first imported now, from the files the warm boot wrote back from the snapshot.
    assert page.evaluate("() => window.hvlab.lab.benchMips(2000)")["instructions"] > 2000
    print(f"\ncold boot {cold['timings']}\nwarm boot {warm['timings']}")


def test_a_damaged_snapshot_is_discarded_and_the_boot_goes_on(page, server_url):
    # A byte of Python's heap changed: the checksum catches it before Python sees it.
    page.evaluate(EDIT_SNAPSHOT, {"offset": 20_000_000, "value": 0x5A, "digest": False, "header": HEADER})
    damaged = load(page, server_url)
    assert damaged["snapshot"]["restored"] is False
    assert "damaged" in damaged["snapshot"]["problem"] and damaged["snapshot"]["saved"] is True
    assert damaged["lessons"]["control-api"] == 1  # booted from scratch, progress kept
    assert load(page, server_url)["snapshot"]["restored"] is True  # and a good one replaced it


def test_a_snapshot_the_interpreter_rejects_falls_back_to_a_fresh_start(page, server_url):
    # Intact as stored, but of another Pyodide build (bytes 16..48 hold its build id):
    # Pyodide refuses it inside loadPyodide, and the worker starts Python afresh.
    page.evaluate(EDIT_SNAPSHOT, {"offset": HEADER + 20, "value": 0xFF, "digest": True, "header": HEADER})
    rejected = load(page, server_url)
    assert rejected["snapshot"]["restored"] is False
    assert "not usable" in rejected["snapshot"]["problem"] and "build id" in rejected["snapshot"]["problem"]
    assert rejected["lessons"]["control-api"] == 1
    assert "dom2 running" in first_step(page)["typed"]
    assert load(page, server_url)["snapshot"]["restored"] is True


def test_a_rebuilt_site_never_restores_the_old_snapshot(page, server_url):
    (old,) = page.evaluate(KEPT)
    new_engine = hashlib.sha256(b"a lesson changed").hexdigest()

    def rebuilt(route: Any) -> None:
        manifest = json.loads(route.fetch().text())
        manifest["engine"] = new_engine
        route.fulfill(json=manifest)

    page.route("**/manifest.json", rebuilt)
    try:
        fresh = load(page, server_url)
    finally:
        page.unroute("**/manifest.json")
    assert fresh["snapshot"] == {"restored": False, "saved": True, "problem": ""}
    (kept,) = page.evaluate(KEPT)  # only the new build's: the old one is gone
    assert kept != old and kept.endswith(f"{new_engine}.snapshot")


def fast(warm: dict[str, Any], cold: dict[str, Any]) -> bool:
    """A warm boot: restored from the snapshot, in well under half the cold boot's time."""
    return (
        warm["snapshot"]["restored"] is True
        and sum(warm["timings"].values()) < sum(cold["timings"].values()) / 2
    )


def test_a_tab_closed_as_soon_as_the_lessons_show_still_leaves_a_warm_boot(browser, server_url):
    # Issue 19's case: the student closes the tab right after the lessons appear. The snapshot is
    # saved before the page hears "ready", so the next visit restores it.
    with open_page(browser, server_url) as first:
        first.goto(server_url)
        first.wait_for_selector("#main .lesson-card", timeout=BOOT_TIMEOUT_MS)
        cold = first.evaluate(
            "() => ({snapshot: window.hvlab.lab.snapshot, timings: window.hvlab.lab.timings})"
        )
        assert cold["snapshot"] == {"restored": False, "saved": True, "problem": ""}
        context = first.context
        first.close()  # the tab is gone, its worker with it
        page = context.new_page()
        first.problems.watch_page(page)
        warm = load(page, server_url)
        assert fast(warm, cold), warm
        assert warm["snapshot"]["problem"] == ""


def test_a_tab_closed_while_the_snapshot_is_written_damages_nothing(browser, server_url):
    with open_page(browser, server_url) as first:
        context = first.context
        first.goto(server_url)
        # Close the tab once the worker has begun writing: its partial file is there.
        first.wait_for_function(PARTIAL_THERE, timeout=BOOT_TIMEOUT_MS, polling=5)
        first.close()
        second = context.new_page()
        first.problems.watch_page(second)
        again = load(second, server_url)
        # Whether the write got done or not, nothing damaged is met: a cold boot saves a new one
        # (or the finished one is restored), and no partial file is left behind.
        assert "damaged" not in again["snapshot"]["problem"] and again["snapshot"]["saved"] is True
        second.wait_for_function(f"async () => !(await ({PARTIAL_THERE})())", timeout=10_000)
        assert load(second, server_url)["snapshot"]["restored"] is True


def test_what_a_closed_tab_left_half_written_never_touches_the_good_snapshot(browser, server_url):
    with open_page(browser, server_url) as page:
        cold = load(page, server_url)
        good = page.evaluate(LEAVE_PARTIAL)
        warm = load(page, server_url)
        assert fast(warm, cold) and warm["snapshot"]["problem"] == ""
        # The half-written file is tidied away once the lab is up; the good snapshot stays.
        page.wait_for_function(f"async () => !(await ({PARTIAL_THERE})())", timeout=10_000)
        assert page.evaluate(KEPT) == [good]
