"""The engine's own checks under Pyodide in Node.js, from the built site (tests/web/pyodide_runner.mjs).

The runner loads Pyodide, the wheels and lessons.zip as the worker does, then runs a CPU
program on the interpreter, the control-API scenario on the vulnerable and the hardened
hypervisor, lesson 3's validator, the bridge and a pcap through it, and times the
interpreter on bench's tight loop and its CRC-32 C program (the MIPS figures are printed:
pytest -s shows them; python -m bench.pyodide measures them more carefully).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.tools import require_tool

RUNNER = Path(__file__).with_name("pyodide_runner.mjs")


def test_the_engine_passes_its_checks_under_pyodide(site: Path):
    node = require_tool("node")
    proc = subprocess.run(
        [node, str(RUNNER), str(site)], capture_output=True, text=True, timeout=180, check=False
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    assert lines, f"the runner printed no summary:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    summary = json.loads(lines[-1])
    failed = {name: c["detail"] for name, c in summary["checks"].items() if not c["ok"]}
    assert not failed, json.dumps(failed, indent=1)
    want = {"cpu_interp", "hypervisor_api_leak", "lesson_validator", "bridge", "own_password"}
    assert set(summary["checks"]) >= want
    assert summary["platform"] == "emscripten" and proc.returncode == 0
    assert summary["mips"] > 0.5 and summary["crc32_mips"] > 0.2
    print(
        f"\nPyodide {summary['python']} in Node: interp {summary['mips']:.1f} MIPS on the tight loop, "
        f"{summary['crc32_mips']:.1f} on the CRC-32 C program, "
        f"load {summary['load_seconds']:.1f} s, all checks {summary['seconds']:.1f} s"
    )
