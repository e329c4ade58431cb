"""`hvlab bench`: the performance figures, per CPU backend.

    from bench import suite
    suite.run()                    # aligned table on stdout
    suite.run(json_out=True)       # [{name, backend, value, unit, runs}, ...]
    suite.run(quick=True)          # one short run of each: a smoke test

Each figure is the median of several timed runs, every run on a fresh CPU or
hypervisor, so the cost of translating code is counted where a core pays it:

    * compute: MIPS on a tight loop, on a load/store loop over a 16 KiB buffer,
      and on a compiled C program (CRC-32 over 64 KiB, bench/programs/crc32.elf);
    * hypercalls: round trips per second through the hypervisor's dispatch,
      under the vulnerable and the hardened policy, so a lesson can show what
      the hardening costs on the hot path.

Beside each unicorn compute and hypercall figure stands its floor, measured
in the same run, each timed run paired with one of the floor: the same
program in raw unicorn (lab.cpu.uc.raw), with no hook (the compute loops run
to their last instruction) or, for a program that makes hypercalls, with the
cheapest interrupt hook that can answer them (a ctypes callback reading
a7/a6 and writing a0/a1). The ratio says how far the core is from what
unicorn itself can do on this machine, however busy it is.

Times are the CPU time of this process (`time.process_time`): the guest runs
on this one thread, unicorn included, and CPU time is not inflated by other
load on a shared machine the way wall time is.

The guest code is assembled with `lab.riscv.asm`; the C program ships prebuilt so
this runs where no cross compiler exists (the browser).
"""

from __future__ import annotations

import json
import statistics
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Final

from bench import course
from bench import hv as hv_bench
from bench.common import SHUTDOWN, BenchError, program, run_on_cpu, run_on_hv, run_raw_unicorn
from lab.cpu import backends

PROGRAMS: Final = Path(__file__).resolve().parent / "programs"
RUNS: Final = 5
QUICK_RUNS: Final = 1

# Work per run, sized so one run takes a few tenths of a second: unicorn is
# ~20x faster on compute and ~10x slower on hypercalls than the Python core.
LOOP_ITERATIONS: Final = {"interp": 1_000_000, "unicorn": 20_000_000}
MEMORY_PASSES: Final = {"interp": 60, "unicorn": 100}
HYPERCALLS: Final = {"interp": 100_000, "unicorn": 5_000}  # interp: about 0.1 s at a million a second
QUICK_SCALE: Final = 100  # quick runs do 1/100 of the work

TIGHT_LOOP: Final = """
_start:
    li      t0, {n}
1:  addi    t0, t0, -1
    bnez    t0, 1b
done:
    ebreak
"""

MEMORY_LOOP: Final = """
_start:
    li      s1, {n}
outer:
    la      t0, buf
    li      t1, 4096
inner:
    lw      t2, 0(t0)
    add     t2, t2, t1
    sw      t2, 0(t0)
    addi    t0, t0, 4
    addi    t1, t1, -1
    bnez    t1, inner
    addi    s1, s1, -1
    bnez    s1, outer
done:
    ebreak
    .balign 4096            # data on its own pages: stores there never touch translated code
buf:
    .space  16384
"""

# A polled console driver writing n bytes to the UART (wait for THRE, then write
# THR), as the lab's guests print: two device accesses a byte. Then shutdown.
CONSOLE_LOOP: Final = (
    """
_start:
    li      s0, {n}
    li      t0, 0x10000000
1:  lbu     t1, 5(t0)
    andi    t1, t1, 32
    beqz    t1, 1b
    li      a0, 120
    sb      a0, 0(t0)
    addi    s0, s0, -1
    bnez    s0, 1b
"""
    + SHUTDOWN
)
CONSOLE_BYTES: Final = {"interp": 50_000, "unicorn": 50_000}

# SBI calls in a loop, then SBI SRST shutdown. a0..a2 are reloaded each time:
# the call's return values land in a0 and a1.
HYPERCALL_LOOP: Final = (
    """
_start:
    li      s0, {n}
1:  li      a7, {eid}
    li      a6, {fid}
    li      a0, {a0}
    la      a1, msg
    li      a2, 0
    ecall
    addi    s0, s0, -1
    bnez    s0, 1b
"""
    + SHUTDOWN
    + """msg:
    .ascii  "0123456789abcdef"
"""
)


@dataclass(slots=True)
class Figure:
    """One measured figure: the median of `runs`; for unicorn, its floor too
    (raw unicorn on the same work, timed in turn with each run) and, for the
    compute loops, raw unicorn with a block hook that does nothing: the floor
    of any core that counts instructions by unicorn's block hooks."""

    name: str
    backend: str
    value: float
    unit: str
    runs: list[float]
    floor: float | None = None
    floor_runs: list[float] | None = None
    hooked: float | None = None
    hooked_runs: list[float] | None = None


# ---------------------------------------------------------------- the figures


# A figure function returns the figure, or for unicorn (figure, its floor) or
# (figure, its floor, the floor with an empty block hook).
Measured = float | tuple[float, float] | tuple[float, float, float]


def _loop(source: Callable[[], str], iterations: dict[str, int]) -> Callable[[str, int], Measured]:
    def measure(backend: str, scale: int) -> Measured:
        text = source().format(n=max(1, iterations[backend] // scale))
        retired, seconds = run_on_cpu(backend, text)
        if backend != "unicorn":
            return retired / seconds / 1e6
        prog = program(text, "loop")
        raw, _calls = run_raw_unicorn(prog, until="done")
        hooked, _calls = run_raw_unicorn(prog, until="done", block_hook=True)
        # raw stops in front of the ebreak
        return retired / seconds / 1e6, (retired - 1) / raw / 1e6, (retired - 1) / hooked / 1e6

    return measure


def _crc32(backend: str, scale: int) -> Measured:
    from lab.riscv.program import load_program

    prog = load_program(PROGRAMS / "crc32.elf")
    retired, _calls, seconds = run_on_hv(backend, prog)
    if backend != "unicorn":
        return retired / seconds / 1e6
    raw, _calls = run_raw_unicorn(prog)
    hooked, _calls = run_raw_unicorn(prog, block_hook=True)
    return retired / seconds / 1e6, retired / raw / 1e6, retired / hooked / 1e6


def _console(backend: str, scale: int) -> Measured:
    n = max(10, CONSOLE_BYTES[backend] // scale)
    _retired, _calls, seconds = run_on_hv(backend, program(CONSOLE_LOOP.format(n=n), "console"))
    return n / seconds


def _hypercalls(eid: int, fid: int, a0: int, policy: str) -> Callable[[str, int], Measured]:
    def measure(backend: str, scale: int) -> Measured:
        n = max(10, HYPERCALLS[backend] // scale)
        prog = program(HYPERCALL_LOOP.format(n=n, eid=eid, fid=fid, a0=a0), "hypercalls")
        _retired, calls, seconds = run_on_hv(backend, prog, policy=policy)
        if backend != "unicorn":
            return calls / seconds
        raw, raw_calls = run_raw_unicorn(prog)
        return calls / seconds, raw_calls / raw

    return measure


BENCHMARKS: Final[list[tuple[str, str, Callable[[str, int], Measured]]]] = [
    ("tight loop (addi/bnez)", "MIPS", _loop(lambda: TIGHT_LOOP, LOOP_ITERATIONS)),
    ("memory loop (lw/add/sw, 16 KiB)", "MIPS", _loop(lambda: MEMORY_LOOP, MEMORY_PASSES)),
    ("C program (crc32.elf, 64 KiB)", "MIPS", _crc32),
    ("console output (polled UART, 2 device accesses a byte)", "bytes/s", _console),
    ("hypercall BASE get_spec_version, vulnerable", "calls/s", _hypercalls(0x10, 0, 0, "vulnerable")),
    ("hypercall BASE get_spec_version, hardened", "calls/s", _hypercalls(0x10, 0, 0, "hardened")),
    (
        "hypercall DBCN console_write 16 B, vulnerable",
        "calls/s",
        _hypercalls(0x4442434E, 0, 16, "vulnerable"),
    ),
    ("hypercall DBCN console_write 16 B, hardened", "calls/s", _hypercalls(0x4442434E, 0, 16, "hardened")),
    ("hardened dispatch cost (console_write + VMCTL info)", "%", hv_bench.hardening_cost),
    ("grant map + unmap", "pairs/s", hv_bench.grant_maps),
    ("datagram ping-pong", "round trips/s", hv_bench.datagram_round_trips),
    ("disk read (BLK, 8 sectors a request)", "sectors/s", hv_bench.disk_sectors),
    ("snapshot of the API scenario: take + restore", "ms", hv_bench.snapshot_ms),
    ("snapshot of the API scenario: size", "MB", hv_bench.snapshot_mb),
    ("frames through the virtual switch", "frames/s", hv_bench.switch_frames),
    ("frames through the virtual switch, anti-spoofing", "frames/s", hv_bench.switch_frames_anti_spoofing),
    ("anti-spoofing cost at the switch (A/B)", "%", hv_bench.anti_spoofing_cost),
]


def measure(*, quick: bool = False, backend_names: list[str] | None = None) -> list[Figure]:
    """Every figure for every backend (default: all this Python can run)."""
    runs = QUICK_RUNS if quick else RUNS
    scale = QUICK_SCALE if quick else 1
    figures: list[Figure] = []
    for backend in backend_names or backends():
        for name, unit, bench in BENCHMARKS:
            measured = [bench(backend, scale) for _ in range(runs)]
            values = [m[0] if isinstance(m, tuple) else m for m in measured]
            floors = [m[1] for m in measured if isinstance(m, tuple)]
            hooked = [m[2] for m in measured if isinstance(m, tuple) and len(m) > 2]
            figure = Figure(name, backend, statistics.median(values), unit, values)
            if floors:
                figure.floor, figure.floor_runs = statistics.median(floors), floors
            if hooked:
                figure.hooked, figure.hooked_runs = statistics.median(hooked), hooked
            figures.append(figure)
    return figures


def _number(v: float) -> str:
    return f"{v:,.1f}" if v < 1000 else f"{v:,.0f}"


# Runs further apart than this (fastest over slowest) are not noise around one figure: the
# host ran them in two states (the unicorn tight loop, docs/performance.md). Such a figure
# shows its range, and a floor's ratio is given for the fastest runs of each side too, since
# a median of one side may come from the other state than the median of the other.
SPREAD: Final = 1.5


def _spread(runs: list[float] | None) -> bool:
    if not runs or min(runs) <= 0:
        return False
    return max(runs) / min(runs) > SPREAD


def _value(f: Figure) -> str:
    if not _spread(f.runs):
        return _number(f.value)
    return f"{_number(f.value)} (runs {_number(min(f.runs))}-{_number(max(f.runs))})"


def _against(floor: float | None, floor_runs: list[float] | None, f: Figure) -> str:
    """A floor beside the figure: its value and how many times the figure it is (rates)."""
    if floor is None:
        return ""
    text = f"{_number(floor)} {f.unit}: {floor / f.value:.2f}x this"
    if floor_runs and (_spread(f.runs) or _spread(floor_runs)):
        text += f" (fastest runs: {max(floor_runs) / max(f.runs):.2f}x)"
    return text


def format_table(figures: list[Figure]) -> str:
    header = ("benchmark", "backend", "value", "unit", "raw unicorn, same run", "raw + empty block hook")
    rows = [header]
    for f in figures:
        rows.append(
            (
                f.name,
                f.backend,
                _value(f),
                f.unit,
                _against(f.floor, f.floor_runs, f),
                _against(f.hooked, f.hooked_runs, f),
            )
        )
    if not any(row[5] for row in rows[1:]):
        rows = [(*row[:5], "") for row in rows]
    widths = [max(len(row[i]) for row in rows) for i in range(6)]
    lines = [
        f"{name:<{widths[0]}}  {backend:<{widths[1]}}  {value:>{widths[2]}}  {unit:<{widths[3]}}  "
        f"{floor:<{widths[4]}}  {hooked}"
        for name, backend, value, unit, floor, hooked in rows
    ]
    lines = [line.rstrip() for line in lines]
    lines.insert(1, "-" * max(len(line) for line in lines))
    return "\n".join(lines)


def run(json_out: bool = False, quick: bool = False) -> int:
    """`hvlab bench [--json] [--quick]`: measure and print; the exit status. A full run
    ends with the validator's time on the course (bench.course); a quick one leaves it out."""
    try:
        figures = measure(quick=quick)
    except BenchError as exc:
        print(f"hvlab bench: {exc}", file=sys.stderr)
        return 1
    checked = None if quick else course.measure()
    if json_out:
        out: dict[str, object] = {"figures": [asdict(f) for f in figures]}
        if checked is not None:
            out["lessons_check"] = asdict(checked)
        json.dump(out, sys.stdout, indent=2)
        print()
    else:
        note = "one run each (quick)" if quick else f"median of {RUNS} runs"
        print(f"hvlab bench: {note}, Python {sys.version.split()[0]}")
        print(format_table(figures))
        if checked is not None:
            print(course.format_line(checked))
    return 0 if checked is None or checked.ok else 1
