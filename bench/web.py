"""The browser lab's figures: load times, the interpreter's speed in the page, bytes sent.

    hvlab bench --web [--site DIR] [--runs N] [--json]

`hvlab bench --web` builds the site (`hvlab web build`) and serves it on 127.0.0.1;
this module is handed its address and drives Debian's chromium through playwright
(never a downloaded browser):

    * cold load: a new browser profile (empty disk cache) until the engine answers a call
      (`window.hvlab.lab`, set by the page once Pyodide, the wheels and the lessons are in,
      then one `list_lessons` round trip);
    * warm load: the same page loaded again, with the browser's cache (a real profile's
      disk cache: an incognito context keeps only small responses, not the 9.6 MB wasm) and
      the engine's memory snapshot the cold boot kept in the origin private file system
      (web/src/worker.js); the bench waits until that copy is written (lab.snapshot.saved,
      a fraction of a second after the page is interactive) before it reloads;
    * where a cold and a warm boot's time goes, as the worker measured it (lab.timings);
    * MIPS: bench's tight loop on the interpreter, in the worker, through the bridge;
    * transfer: the bytes the browser received for a cold load (every response body, as
      it came over the wire) and for a warm one (what was not in the cache or was
      revalidated: a 304 has no body).

Each load figure is the median of `--runs` runs. Wall time: this is what a student waits.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Final

CHROMIUM: Final = "/usr/bin/chromium"
CHROMIUM_ARGS: Final = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
READY: Final = "() => window.hvlab && window.hvlab.lab"
SNAPSHOT_WRITTEN: Final = "() => window.hvlab.lab.snapshot?.saved !== null"
FIRST_CALL: Final = '() => window.hvlab.lab.call("list_lessons", {lang: "en"}).then((x) => x.length)'
TIMEOUT_MS: Final = 120_000


class _Counter:
    """Bytes the browser received and 304s it got, since the last reset (playwright's
    `requestfinished` events: a response body's size as it came over the wire)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.body_bytes = 0
        self.requests = 0
        self.not_modified = 0

    def finished(self, request: Any) -> None:
        response = request.response()
        if response is None:
            return
        self.requests += 1
        if response.status == 304:
            self.not_modified += 1
        elif not response.from_service_worker:
            self.body_bytes += max(0, request.sizes()["responseBodySize"])


def _load(page: Any, url: str) -> float:
    started = time.perf_counter()
    page.goto(url)
    page.wait_for_function(READY, timeout=TIMEOUT_MS)
    lessons = page.evaluate(FIRST_CALL)
    if not lessons:
        raise RuntimeError("the lab booted but lists no lessons")
    return time.perf_counter() - started


def measure(url: str, *, runs: int = 3, iterations: int = 300_000) -> dict[str, Any]:
    """The figures of the site served at `url` (see the module docstring)."""
    from playwright.sync_api import sync_playwright

    counter = _Counter()
    cold: list[float] = []
    warm: list[float] = []
    cold_bytes = warm_bytes = warm_revalidated = 0
    mips = 0.0
    timings: dict[str, int] = {}
    warm_timings: dict[str, int] = {}
    restored = 0
    snapshot_problem = ""
    with sync_playwright() as pw:
        for _ in range(runs):
            with tempfile.TemporaryDirectory(prefix="hvlab-bench-") as profile:
                context = pw.chromium.launch_persistent_context(
                    profile, executable_path=CHROMIUM, args=CHROMIUM_ARGS
                )
                page = context.new_page()
                page.on("requestfinished", counter.finished)
                counter.reset()
                cold.append(_load(page, url))
                cold_bytes = counter.body_bytes
                timings = timings or page.evaluate("() => window.hvlab.lab.timings")
                page.wait_for_function(SNAPSHOT_WRITTEN, timeout=TIMEOUT_MS)
                counter.reset()
                warm.append(_load(page, url))
                warm_bytes, warm_revalidated = counter.body_bytes, counter.not_modified
                snapshot = page.evaluate("() => window.hvlab.lab.snapshot") or {}  # (older sites: none)
                restored += bool(snapshot.get("restored"))
                snapshot_problem = snapshot_problem or snapshot.get("problem", "")
                warm_timings = warm_timings or page.evaluate("() => window.hvlab.lab.timings")
                if not mips:
                    figure = page.evaluate(f"() => window.hvlab.lab.benchMips({iterations})")
                    mips = figure["mips"]
                context.close()
    return {
        "cold_load_s": statistics.median(cold),
        "warm_load_s": statistics.median(warm),
        "cold_runs_s": cold,
        "warm_runs_s": warm,
        "interp_mips_in_browser": mips,
        "cold_transfer_bytes": cold_bytes,
        "warm_transfer_bytes": warm_bytes,
        "warm_revalidated_requests": warm_revalidated,
        "cold_boot_phases_ms": timings,
        "warm_boot_phases_ms": warm_timings,
        "warm_loads_restored_snapshot": restored,
        "snapshot_problem": snapshot_problem,
    }


def main(url: str, *, runs: int = 3, json_out: bool = False) -> int:
    """Measure the site at `url` and print the figures (`hvlab bench --web` serves it)."""
    try:
        import playwright  # noqa: F401
    except ImportError:
        print("bench.web: needs the playwright Python package (pip install -e '.[test]')", file=sys.stderr)
        return 1
    if not Path(CHROMIUM).exists():
        print(f"bench.web: needs {CHROMIUM} (Debian: apt install chromium)", file=sys.stderr)
        return 1
    figures = measure(url, runs=runs)
    if json_out:
        json.dump(figures, sys.stdout, indent=2)
        print()
        return 0
    f = figures
    print(f"cold load to interactive   {f['cold_load_s']:6.2f} s    (runs: {_list(f['cold_runs_s'])})")
    print(f"warm load to interactive   {f['warm_load_s']:6.2f} s    (runs: {_list(f['warm_runs_s'])})")
    for kind in ("cold", "warm"):
        phases = ", ".join(f"{k} {v / 1000:.2f} s" for k, v in f[f"{kind}_boot_phases_ms"].items())
        print(f"  {kind} boot, in the worker {phases}")
    restored = f"{f['warm_loads_restored_snapshot']} of {len(f['warm_runs_s'])}"
    problem = f" ({f['snapshot_problem']})" if f["snapshot_problem"] else ""
    print(f"warm loads from snapshot   {restored}{problem}")
    print(f"interp in the browser      {f['interp_mips_in_browser']:6.2f} MIPS (tight loop, in the worker)")
    print(f"transfer, cold load        {f['cold_transfer_bytes'] / 1e6:6.2f} MB")
    print(
        f"transfer, warm load        {f['warm_transfer_bytes'] / 1e6:6.2f} MB "
        f"({f['warm_revalidated_requests']} requests revalidated: 304)"
    )
    return 0


def _list(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)
