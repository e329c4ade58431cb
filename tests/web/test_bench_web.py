"""`hvlab bench --web` measures what it says: the bytes over the wire are the compressed ones,
the slow link really holds the worker's downloads back, a warm load costs no download.

It runs the command once (one run of each load) on the session's site, as a separate process
(bench.web drives its own browser). The times are not checked against the goals (a benchmark,
not a timed test), only against what the link's speed makes impossible to beat.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.web import CHROMIUM, GOALS, THROTTLE
from tests.web.conftest import require

pytestmark = pytest.mark.slow


def test_the_web_bench_measures_compressed_bytes_and_a_slow_link(site: Path):
    require(os.path.exists(CHROMIUM), f"{CHROMIUM} not found (Debian: apt install chromium)")
    argv = [sys.executable, "-m", "hvlab.cli", "bench", "--web", "--site", str(site), "--runs", "1", "--json"]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    figures = json.loads(proc.stdout)
    sent = figures["cold_transfer_bytes"]
    page_bytes = sum(json.loads((site / "manifest.json").read_text())["files"].values())
    # What came over the wire is compressed (the wasm as brotli), under the goal, and whole.
    assert 4e6 < sent < GOALS["cold_transfer_bytes"] < page_bytes
    assert figures["cold_transfer_by_file"]["pyodide.asm.wasm"] < 3e6
    assert figures["throttled_transfer_bytes"] == pytest.approx(sent, rel=0.01)
    # Through 20 Mbit/s the load cannot be faster than its bytes at that speed: the browser's
    # emulation holds back the worker's downloads too, not only the page's.
    assert figures["cold_throttled_s"] > sent / THROTTLE["downloadThroughput"]
    # A warm load: the service worker's copy and the engine's snapshot, no download to speak of.
    assert figures["warm_served_by_service_worker"] and figures["warm_loads_restored_snapshot"] == 1
    assert figures["warm_transfer_bytes"] < 50_000 and figures["offline_state"] == "ready"
    assert figures["cold_cpu_s"]["worker"] > 0.5 and figures["interp_mips_in_browser"] > 0.5
