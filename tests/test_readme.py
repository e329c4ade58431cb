"""README's examples do what their comments promise.

The `hvlab` lines of README's "Using it" block run as a student types them, in a folder of
their own that sees the checkout's lab/, bench/ and lessons/ (the files they name), one
after the other (disasm reads what asm wrote). The slow ones are proved elsewhere: `lessons
check` by `make test`, `bench` by tests/test_bench.py, `web build` by tests/web/, `lessons preview`
(it keeps running) by tests/test_preview.py and the preview tests of tests/tui/ and tests/web/.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import dpkt
import pytest

ROOT = Path(__file__).resolve().parents[1]
# Examples that need files a reader brings (a course key, a roster, records, rules) or keep running;
# each is run by its own tests: tests/test_class.py (class seeds, class report, record export,
# verify), tests/detect/test_cli_rules.py (lessons rules), tests/test_preview.py (lessons preview).
PROVED_ELSEWHERE = (
    "hvlab lessons check",
    "hvlab lessons preview",
    "hvlab lessons rules",
    "hvlab class ",
    "hvlab record export",
    "hvlab verify",
    "hvlab bench",
    "hvlab web build",
)


def examples() -> list[str]:
    """The `hvlab ...` command lines of README's "Using it" block (continuations joined)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"After `make test` the `hvlab` command.*?```sh\n(.*?)```", text, re.DOTALL)
    assert block, "README's block of examples moved: update tests/test_readme.py"
    joined = block.group(1).replace("\\\n", " ")
    return [line.split("  #", 1)[0].strip() for line in joined.splitlines() if line.startswith("hvlab ")]


def hvlab(line: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "hvlab.cli", *shlex.split(line)[1:]]
    return subprocess.run(
        argv, cwd=cwd, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120, check=False
    )


def frames(pcap: Path) -> list[bytes]:
    with pcap.open("rb") as f:
        return [bytes(frame) for _, frame in dpkt.pcap.Reader(f)]


def test_every_example_of_the_readme_does_what_it_says(tmp_path: Path):
    pytest.importorskip("unicorn")  # the crc32 example runs on the unicorn core
    for name in ("lab", "bench", "lessons"):
        (tmp_path / name).symlink_to(ROOT / name)
    lines = examples()
    run = [line for line in lines if not line.startswith(PROVED_ELSEWHERE)]
    results = {shlex.split(line)[1] + " " + shlex.split(line)[2]: hvlab(line, tmp_path) for line in run}
    checked = {"run lab/scenarios/api.toml", "run lab/scenarios/mgmt.toml", "run bench/programs/crc32.elf"}
    checked |= {"asm lab/guests/monitor.S", "disasm monitor.bin", "lessons new"}
    assert set(results) == checked, "a new example in README needs its check here"
    for line, proc in zip(run, results.values(), strict=True):
        assert proc.returncode == 0, f"{line}\n{proc.stdout[-1500:]}\n{proc.stderr[-1500:]}"

    api = results["run lab/scenarios/api.toml"].stdout
    assert "tenant | dom2 running" in api and "VMCTL.info(domid=2) -> SBI_SUCCESS" in api  # the trace

    captured = frames(tmp_path / "mgmt.pcap")  # the management network's traffic, not an empty file
    ip = [dpkt.ethernet.Ethernet(f).data for f in captured]
    assert any(isinstance(p, dpkt.ip.IP) and isinstance(p.data, dpkt.icmp.ICMP) for p in ip)
    assert any(
        isinstance(p, dpkt.ip.IP) and isinstance(p.data, dpkt.udp.UDP) and p.data.dport == 6230 for p in ip
    )

    crc = results["run bench/programs/crc32.elf"]
    assert "crc32(64 KiB) = " in crc.stdout and "MIPS (unicorn)" in crc.stderr

    # A lesson of one's own, valid as written (the validator runs on it in tests/test_preview.py).
    assert {"heist.md", "heist.de.md", "heist.toml"} <= {p.name for p in tmp_path.iterdir()}
    assert "next: hvlab lessons check ." in results["lessons new"].stdout

    assert (tmp_path / "monitor.bin").stat().st_size > 1000
    assert "bytes at 0x80000000" in results["asm lab/guests/monitor.S"].stdout
    listing = results["disasm monitor.bin"].stdout
    assert re.search(r"^80000000:\s+[0-9a-f]{8}\s+\w+", listing, re.MULTILINE), listing[:500]
