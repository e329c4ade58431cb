"""The browser lab's figures: load times on localhost and through a slow link, bytes sent, speed.

    hvlab bench --web [--site DIR] [--runs N] [--json]

`hvlab bench --web` builds the site (`hvlab web build`) and serves it on 127.0.0.1 with
`hvlab web serve`'s server (precompressed copies, cache headers); this module is handed its
address and drives Debian's chromium through playwright (never a downloaded browser):

    * cold load: a new browser profile (empty caches, no service worker, no engine snapshot)
      until the engine answers a call (`window.hvlab.lab`, set by the page once Pyodide, the
      wheels and the lessons are in and the engine's snapshot is saved, then one
      `list_lessons` round trip); on localhost, and through THROTTLE (the browser's own
      network emulation, Chrome DevTools Protocol `Network.emulateNetworkConditions`, which
      also holds back the worker's downloads);
    * warm load: the same page loaded again in the same profile: the service worker serves
      the build from its cache and the worker restores the engine's memory snapshot;
    * where a cold and a warm boot's time goes, as the worker measured it (lab.timings);
    * transfer: the bytes that came over the wire (response headers and bodies as sent:
      compressed) for a cold load, for the service worker's copy of the site it makes once the
      lab is up (mostly revalidations: the browser's cache has the files), and for a warm load;
    * CPU time of the browser's threads during each load (Linux): on a busy machine wall time
      measures the neighbours too; the worker thread's CPU time is what a quiet machine waits;
    * MIPS: bench's tight loop on the interpreter, in the worker, through the bridge.

Each load figure is the median of `--runs` runs. Wall time: this is what a student waits.
GOALS are the targets of issue 19 (on a quiet machine).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

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
OFFLINE_KEPT: Final = """() => window.hvlab.offline
    ? window.hvlab.offline.ready.then(() => window.hvlab.offline.state) : 'none (an older site)'"""
# (An older site wrote the engine's snapshot after the page was up: the warm load waits for it.)
SNAPSHOT_KEPT: Final = "() => window.hvlab.lab.snapshot?.saved !== null"
FIRST_CALL: Final = '() => window.hvlab.lab.call("list_lessons", {lang: "en"}).then((x) => x.length)'
TIMEOUT_MS: Final = 180_000
# A student's link: 20 Mbit/s down and up, 40 ms latency (per request, as DevTools adds it).
THROTTLE: Final = {
    "offline": False,
    "latency": 40,
    "downloadThroughput": 20e6 / 8,
    "uploadThroughput": 20e6 / 8,
}
GOALS: Final = {
    "cold_load_s": 5.0,
    "cold_throttled_s": 8.0,
    "warm_load_s": 1.5,
    "cold_transfer_bytes": 6e6,
}


class _Wire:
    """What came over the wire since the last reset, from playwright's `requestfinished` on the
    browser context (the page's, its worker's and the service worker's requests): response
    headers and bodies as sent (`request.sizes()`, compressed), by file; a response the service
    worker answered from its cache or the browser from its own cost nothing."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.page: dict[str, int] = {}  # the page's and its worker's requests: path -> bytes
        self.service_worker = 0  # the service worker's own requests (its copy of the site)
        self.open = 0

    def started(self, request: Any) -> None:
        self.open += 1

    def finished(self, request: Any) -> None:
        self.open -= 1
        sizes = request.sizes()
        wire = max(0, sizes["responseBodySize"]) + max(0, sizes["responseHeadersSize"])
        if request.service_worker is not None:
            self.service_worker += wire
        else:
            path = urlsplit(request.url).path.rsplit("/", 1)[-1] or "index.html"
            self.page[path] = self.page.get(path, 0) + wire

    def failed(self, request: Any) -> None:
        self.open -= 1

    def settle(self, page: Any, seconds: float = 5.0) -> None:
        """Wait (up to `seconds`) until every request begun has finished or failed."""
        deadline = time.perf_counter() + seconds
        while self.open > 0 and time.perf_counter() < deadline:
            page.wait_for_timeout(50)

    @property
    def total(self) -> int:
        return sum(self.page.values())


class _Cpu:
    """CPU seconds the browser's processes spent (Linux /proc; zeros elsewhere), by thread: on a
    busy machine wall time mostly measures the neighbours, CPU time what the load itself costs.
    The lab boots in the page's worker thread ("DedicatedWorker"): its CPU time is about the
    wall time of a load on a quiet machine with a fast link (the page's own thread and V8's
    compiler threads run beside it)."""

    def __init__(self, profile: str) -> None:
        self.profile = profile

    def _browser_pids(self) -> set[int]:
        procs: dict[int, int] = {}
        root = None
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                procs[int(entry.name)] = int(stat[stat.rindex(")") + 2 :].split()[1])
                if root is None and self.profile in (entry / "cmdline").read_text(errors="replace"):
                    root = int(entry.name)
            except OSError:
                continue
        tree = {root} if root is not None else set()
        while True:
            grown = tree | {pid for pid, parent in procs.items() if parent in tree}
            if grown == tree:
                return tree
            tree = grown

    def sample(self) -> dict[tuple[int, str], tuple[str, float]]:
        """Each thread's CPU seconds so far: (pid, tid) -> (its name, seconds)."""
        tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        threads = {}
        for pid in self._browser_pids():
            try:
                tasks = list(Path(f"/proc/{pid}/task").iterdir())
            except OSError:
                continue
            for task in tasks:
                try:
                    stat = (task / "stat").read_text()
                except OSError:
                    continue
                fields = stat[stat.rindex(")") + 2 :].split()
                name = stat[stat.index("(") + 1 : stat.rindex(")")]
                threads[(pid, task.name)] = (name, (int(fields[11]) + int(fields[12])) / tick)
        return threads


def _load(page: Any, url: str, *, reload: bool = False) -> float:
    started = time.perf_counter()
    if reload:
        page.reload()
    else:
        page.goto(url)
    page.wait_for_function(READY, timeout=TIMEOUT_MS)
    lessons = page.evaluate(FIRST_CALL)
    if not lessons:
        raise RuntimeError("the lab booted but lists no lessons")
    return time.perf_counter() - started


def _context(pw: Any, profile: str, wire: _Wire) -> Any:
    # A real profile on disk: an incognito context keeps only small responses in its cache.
    context = pw.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    context.on("request", wire.started)
    context.on("requestfinished", wire.finished)
    context.on("requestfailed", wire.failed)
    return context


def measure(url: str, *, runs: int = 3, iterations: int = 300_000) -> dict[str, Any]:
    """The figures of the site served at `url` (see the module docstring)."""
    from playwright.sync_api import sync_playwright

    wire = _Wire()
    cold: list[float] = []
    throttled: list[float] = []
    warm: list[float] = []
    cold_cpu: list[dict[str, float]] = []
    warm_cpu: list[dict[str, float]] = []
    figures: dict[str, Any] = {"mips": 0.0, "restored": 0, "snapshot_problem": "", "offline": ""}
    with sync_playwright() as pw:
        for _ in range(runs):
            # Through the slow link: a fresh profile, the browser's network emulation on.
            with tempfile.TemporaryDirectory(prefix="hvlab-bench-") as profile:
                context = _context(pw, profile, wire)
                page = context.pages[0] if context.pages else context.new_page()
                cdp = context.new_cdp_session(page)
                cdp.send("Network.enable")
                cdp.send("Network.emulateNetworkConditions", THROTTLE)
                wire.reset()
                throttled.append(_load(page, url))
                wire.settle(page)
                figures["throttled_transfer_bytes"] = wire.total
                context.close()
            # On localhost: cold, the service worker's copy, then warm.
            with tempfile.TemporaryDirectory(prefix="hvlab-bench-") as profile:
                context = _context(pw, profile, wire)
                page = context.pages[0] if context.pages else context.new_page()
                cpu = _Cpu(profile)
                wire.reset()
                before = cpu.sample()
                cold.append(_load(page, url))
                cold_cpu.append(_spent(before, cpu.sample()))
                wire.settle(page)
                figures["cold_transfer_bytes"] = wire.total
                figures["cold_transfer_by_file"] = dict(sorted(wire.page.items(), key=lambda kv: -kv[1]))
                figures["cold_boot_phases_ms"] = page.evaluate("() => window.hvlab.lab.timings")
                page.wait_for_function(SNAPSHOT_KEPT, timeout=TIMEOUT_MS)
                figures["offline"] = page.evaluate(OFFLINE_KEPT)  # (its requests counted since the load)
                wire.settle(page)
                figures["offline_copy_bytes"] = wire.service_worker
                wire.reset()
                before = cpu.sample()
                warm.append(_load(page, url, reload=True))
                warm_cpu.append(_spent(before, cpu.sample()))
                wire.settle(page)
                figures["warm_transfer_bytes"] = wire.total + wire.service_worker
                snapshot = page.evaluate("() => window.hvlab.lab.snapshot")
                figures["restored"] += bool(snapshot.get("restored"))
                figures["snapshot_problem"] = figures["snapshot_problem"] or snapshot.get("problem", "")
                figures["warm_boot_phases_ms"] = page.evaluate("() => window.hvlab.lab.timings")
                figures["served_by_service_worker"] = page.evaluate(
                    "() => Boolean(navigator.serviceWorker && navigator.serviceWorker.controller)"
                )
                if not figures["mips"]:
                    figures["mips"] = page.evaluate(f"() => window.hvlab.lab.benchMips({iterations})")["mips"]
                context.close()
    return {
        "cold_load_s": statistics.median(cold),
        "cold_throttled_s": statistics.median(throttled),
        "warm_load_s": statistics.median(warm),
        "cold_runs_s": cold,
        "cold_throttled_runs_s": throttled,
        "warm_runs_s": warm,
        "cold_cpu_s": _median_each(cold_cpu),
        "warm_cpu_s": _median_each(warm_cpu),
        "throttle": THROTTLE,
        "interp_mips_in_browser": figures["mips"],
        "cold_transfer_bytes": figures["cold_transfer_bytes"],
        "cold_transfer_by_file": figures["cold_transfer_by_file"],
        "throttled_transfer_bytes": figures["throttled_transfer_bytes"],
        "offline_copy_bytes": figures["offline_copy_bytes"],
        "offline_state": figures["offline"],
        "warm_transfer_bytes": figures["warm_transfer_bytes"],
        "warm_served_by_service_worker": figures["served_by_service_worker"],
        "cold_boot_phases_ms": figures["cold_boot_phases_ms"],
        "warm_boot_phases_ms": figures["warm_boot_phases_ms"],
        "warm_loads_restored_snapshot": figures["restored"],
        "snapshot_problem": figures["snapshot_problem"],
        "goals": GOALS,
        "load_average": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
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
    f = measure(url, runs=runs)
    if json_out:
        json.dump(f, sys.stdout, indent=2)
        print()
        return 0
    link = f"{THROTTLE['downloadThroughput'] * 8 / 1e6:.0f} Mbit/s, {THROTTLE['latency']} ms"
    print(
        f"cold load, localhost        {f['cold_load_s']:6.2f} s  {_goal(f, 'cold_load_s')}   "
        f"({_list(f['cold_runs_s'])})"
    )
    print(
        f"cold load, {link:<16} {f['cold_throttled_s']:6.2f} s  {_goal(f, 'cold_throttled_s')}   "
        f"({_list(f['cold_throttled_runs_s'])})"
    )
    served = "service worker" if f["warm_served_by_service_worker"] else "browser cache"
    print(
        f"warm load                   {f['warm_load_s']:6.2f} s  {_goal(f, 'warm_load_s')}   "
        f"({_list(f['warm_runs_s'])}; from the {served})"
    )
    for kind in ("cold", "warm"):
        phases = ", ".join(f"{k} {v / 1000:.2f} s" for k, v in f[f"{kind}_boot_phases_ms"].items())
        print(f"  {kind} boot, in the worker  {phases}")
        cpu = f[f"{kind}_cpu_s"]
        if cpu.get("all"):
            print(
                f"  {kind} load, CPU time      the worker's thread {cpu['worker']:.2f} s, "
                f"all of chromium {cpu['all']:.2f} s (load average {f['load_average']:.1f})"
            )
    restored = f"{f['warm_loads_restored_snapshot']} of {len(f['warm_runs_s'])}"
    problem = f" ({f['snapshot_problem']})" if f["snapshot_problem"] else ""
    print(f"warm loads from snapshot    {restored}{problem}")
    print(f"interp in the browser       {f['interp_mips_in_browser']:6.2f} MIPS (tight loop, in the worker)")
    print(
        f"transfer, cold load         {f['cold_transfer_bytes'] / 1e6:6.2f} MB "
        f"{_goal(f, 'cold_transfer_bytes')} (over the wire: compressed)"
    )
    biggest = list(f["cold_transfer_by_file"].items())[:4]
    print("  the largest               " + ", ".join(f"{name} {size / 1e6:.2f}" for name, size in biggest))
    print(
        f"offline copy, after it     {f['offline_copy_bytes'] / 1e6:7.2f} MB "
        f"(the service worker's: {f['offline_state']})"
    )
    print(f"transfer, warm load         {f['warm_transfer_bytes'] / 1e6:6.2f} MB")
    return 0


def _spent(
    before: dict[tuple[int, str], tuple[str, float]], after: dict[tuple[int, str], tuple[str, float]]
) -> dict[str, float]:
    """CPU seconds between two samples of the threads alive at the second ("worker": the lab's
    worker threads, "all"); a reload's new renderer counts whole, the old one's end not at all."""
    spent = {"worker": 0.0, "all": 0.0}
    for thread, (name, seconds) in after.items():
        used = seconds - before.get(thread, (name, 0.0))[1]
        spent["all"] += used
        if name.startswith("DedicatedWorker"):
            spent["worker"] += used
    return spent


def _median_each(samples: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(s[key] for s in samples) for key in samples[0]} if samples else {}


def _goal(figures: dict[str, Any], key: str) -> str:
    goal = GOALS[key]
    met = "met" if figures[key] < goal else "MISSED"
    shown = f"{goal / 1e6:g} MB" if key.endswith("bytes") else f"{goal:g} s"
    return f"(goal < {shown}: {met})"


def _list(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)
