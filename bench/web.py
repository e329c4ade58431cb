"""The browser lab's figures: load times, the interpreter's speed in the page, bytes sent.

    python -m bench.web [--site DIR] [--runs N] [--json]
    hvlab bench --web

Builds the site (`hvlab web build`), serves it on 127.0.0.1 and drives Debian's
chromium through playwright (never a downloaded browser):

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
    * transfer: the bytes the server sent for a cold load (the body of every 200) and
      for a warm one (what was not in the cache or was revalidated).

Each load figure is the median of `--runs` runs. Wall time: this is what a student waits.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
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
    """Bytes the server sent, by status, since the last reset (a handler thread per request)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.body_bytes = 0
        self.requests = 0
        self.not_modified = 0

    def add(self, size: int, status: int) -> None:
        with self.lock:
            self.requests += 1
            self.body_bytes += size
            self.not_modified += status == 304


def _serve(site: Path, counter: _Counter):
    from functools import partial

    from web.serve import SiteHandler, make_server

    class CountingHandler(SiteHandler):
        def send_response(self, code: int, message: str | None = None) -> None:
            if code == 304:
                counter.add(0, 304)
            super().send_response(code, message)

        def copyfile(self, source, outputfile) -> None:  # type: ignore[no-untyped-def]
            start = source.tell()
            super().copyfile(source, outputfile)
            counter.add(source.tell() - start, 200)

    server = make_server(site, "127.0.0.1", 0)
    server.RequestHandlerClass = partial(CountingHandler, directory=str(site))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _load(page: Any, url: str) -> float:
    started = time.perf_counter()
    page.goto(url)
    page.wait_for_function(READY, timeout=TIMEOUT_MS)
    lessons = page.evaluate(FIRST_CALL)
    if not lessons:
        raise RuntimeError("the lab booted but lists no lessons")
    return time.perf_counter() - started


def measure(site: Path, *, runs: int = 3, iterations: int = 300_000) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    counter = _Counter()
    server = _serve(site, counter)
    cold: list[float] = []
    warm: list[float] = []
    cold_bytes = warm_bytes = warm_revalidated = 0
    mips = 0.0
    timings: dict[str, int] = {}
    warm_timings: dict[str, int] = {}
    restored = 0
    snapshot_problem = ""
    try:
        with sync_playwright() as pw:
            for _ in range(runs):
                with tempfile.TemporaryDirectory(prefix="hvlab-bench-") as profile:
                    context = pw.chromium.launch_persistent_context(
                        profile, executable_path=CHROMIUM, args=CHROMIUM_ARGS
                    )
                    page = context.new_page()
                    counter.reset()
                    cold.append(_load(page, server.url))
                    cold_bytes = counter.body_bytes
                    timings = timings or page.evaluate("() => window.hvlab.lab.timings")
                    page.wait_for_function(SNAPSHOT_WRITTEN, timeout=TIMEOUT_MS)
                    counter.reset()
                    warm.append(_load(page, server.url))
                    warm_bytes, warm_revalidated = counter.body_bytes, counter.not_modified
                    snapshot = page.evaluate("() => window.hvlab.lab.snapshot") or {}  # (older sites: none)
                    restored += bool(snapshot.get("restored"))
                    snapshot_problem = snapshot_problem or snapshot.get("problem", "")
                    warm_timings = warm_timings or page.evaluate("() => window.hvlab.lab.timings")
                    if not mips:
                        figure = page.evaluate(f"() => window.hvlab.lab.benchMips({iterations})")
                        mips = figure["mips"]
                    context.close()
    finally:
        server.shutdown()
        server.server_close()
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


def site_or_build(site: Path | None, prog: str) -> Path | None:
    """The site given, or build/web built now (None, with a line on stderr, if that fails)."""
    if site is not None:
        return site
    from web.build import DEFAULT_OUT, BuildError, build

    try:
        build(DEFAULT_OUT)
    except BuildError as exc:
        print(f"{prog}: web build: {exc}", file=sys.stderr)
        return None
    return DEFAULT_OUT


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.web", description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=None, help="a built site (default: build build/web)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    try:
        import playwright  # noqa: F401
    except ImportError:
        print("bench.web: needs the playwright Python package (pip install -e '.[test]')", file=sys.stderr)
        return 1
    if not Path(CHROMIUM).exists():
        print(f"bench.web: needs {CHROMIUM} (Debian: apt install chromium)", file=sys.stderr)
        return 1
    site = site_or_build(args.site, "bench.web")
    if site is None:
        return 1
    figures = measure(site, runs=args.runs)
    if args.json:
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


if __name__ == "__main__":
    sys.exit(main())
