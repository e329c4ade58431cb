"""The interp core's compute figures under Pyodide in Node.js: what the browser lab's engine runs at.

    hvlab bench --pyodide [--site DIR] [--runs N] [--json]

Runs bench/pyodide.mjs in Node on a built site (the command line builds it):
Pyodide and the hvlab wheel load from the site as the worker loads them, and
the same workloads as `hvlab bench` (bench.suite) run there on the interp
core: the tight loop, the memory loop and the CRC-32 C program. Each figure is
the median of `--runs` runs, with the best beside it. Pyodide's own
`process_time` is wall time; in Node the runs are timed with Node's CPU clock
(`process.cpuUsage`), so other load on the machine does not slow the figure. The browser's own figure (the
tight loop in chromium's worker) is `hvlab bench --web`.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

SCRIPT: Final = Path(__file__).with_name("pyodide.mjs")
COMPUTE: Final = (
    "tight loop (addi/bnez)",
    "memory loop (lw/add/sw, 16 KiB)",
    "C program (crc32.elf, 64 KiB)",
)


def measure_here(runs: int) -> list[dict[str, Any]]:
    """Run the compute figures in this Python (bench/pyodide.mjs calls it inside Pyodide)."""
    from bench import common, suite

    common.cpu_clock = _node_cpu_clock() or common.cpu_clock
    figures = []
    for name, unit, bench in suite.BENCHMARKS:
        if name in COMPUTE:
            bench("interp", suite.QUICK_SCALE)  # translate (and compile) once before timing
            values = [bench("interp", 1) for _ in range(runs)]
            figures.append({"name": name, "unit": unit, "value": statistics.median(values), "runs": values})
    return figures


def _node_cpu_clock() -> Callable[[], float] | None:
    """Node's CPU time of this process (user + system), in seconds; None outside Node."""
    try:
        from js import process  # type: ignore[import-not-found]  # Pyodide's bridge to JavaScript
    except ImportError:
        return None

    def seconds() -> float:
        used = process.cpuUsage()
        return (used.user + used.system) / 1e6

    return seconds


def measure(site: Path, *, runs: int = 3, timeout: float = 900) -> dict[str, Any]:
    """The figures from Node: {"python": version, "figures": [{name, unit, value, runs}]}."""
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("needs Node.js (Debian: apt install nodejs)")
    command = [node, str(SCRIPT), str(site), str(runs)]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"bench/pyodide.mjs failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return json.loads(lines[-1])


def main(site: Path, *, runs: int = 3, json_out: bool = False) -> int:
    """Measure on the built site and print the figures (`hvlab bench --pyodide`)."""
    if not (site / "manifest.json").is_file():
        print(f"hvlab bench --pyodide: {site} is no built site (hvlab web build --out DIR)", file=sys.stderr)
        return 1
    try:
        result = measure(site, runs=runs)
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        print(f"hvlab bench --pyodide: {exc}", file=sys.stderr)
        return 1
    if json_out:
        json.dump(result, sys.stdout, indent=2)
        print()
        return 0
    print(f"interp core under Pyodide (Python {result['python']}) in Node.js, median of {runs} runs:")
    for f in result["figures"]:
        values = ", ".join(f"{v:.1f}" for v in f["runs"])
        print(f"  {f['name']:<34} {f['value']:6.1f} {f['unit']}  (best {max(f['runs']):.1f}; runs: {values})")
    return 0
