"""Smoke test of `hvlab bench`: quick runs finish, every figure is positive,
and the JSON output parses into the documented shape."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import pytest

from bench import course, suite
from lab.cpu import backends
from lab.lesson.scaffold import scaffold


def test_quick_json_has_every_figure_for_every_backend(capsys: pytest.CaptureFixture[str]) -> None:
    assert suite.run(json_out=True, quick=True) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"figures"}  # a quick run leaves out the validator's time
    figures = out["figures"]
    expected = {(name, backend) for backend in backends() for name, _unit, _fn in suite.BENCHMARKS}
    assert {(f["name"], f["backend"]) for f in figures} == expected
    for f in figures:
        assert set(f) == {field.name for field in dataclasses.fields(suite.Figure)}
        has_floor = f["backend"] == "unicorn" and (f["unit"] == "MIPS" or f["name"].startswith("hypercall"))
        assert (f["floor"] is not None) == has_floor  # raw unicorn beside each unicorn compute figure
        if has_floor:
            assert f["floor"] > 0 and len(f["floor_runs"]) == len(f["runs"])
        # and raw unicorn with an empty block hook beside each unicorn compute loop
        assert (f["hooked"] is not None) == (f["backend"] == "unicorn" and f["unit"] == "MIPS")
        if f["hooked"] is not None:
            assert 0 < f["hooked"] and len(f["hooked_runs"]) == len(f["runs"])
        assert f["unit"] in (
            "MIPS",
            "bytes/s",
            "calls/s",
            "pairs/s",
            "round trips/s",
            "sectors/s",
            "frames/s",
            "ms",
            "MB",
            "%",
        )
        assert len(f["runs"]) == suite.QUICK_RUNS
        if f["unit"] == "%":  # a relative cost: one quick pair is noise, but a number
            assert math.isfinite(f["value"])
        else:
            assert f["value"] > 0
            assert all(r > 0 for r in f["runs"])


def test_table_is_aligned_with_one_row_per_figure() -> None:
    figures = [
        suite.Figure("tight loop", "interp", 12.345, "MIPS", [12.0, 12.345, 13.0]),
        suite.Figure(
            "hypercall BASE get_spec_version, hardened", "unicorn", 190_000.4, "calls/s", [190_000.4]
        ),
    ]
    lines = suite.format_table(figures).splitlines()
    assert len(lines) == 2 + len(figures)
    assert lines[2].split() == ["tight", "loop", "interp", "12.3", "MIPS"]
    assert lines[3].endswith("unicorn  190,000  calls/s")
    # the unit column starts at the same place on every row
    assert lines[0].index("unit") == lines[2].index("MIPS") == lines[3].index("calls/s")
    assert lines[0].index("backend") == lines[2].index("interp") == lines[3].index("unicorn")


def test_unicorn_figures_show_their_raw_floor_and_the_ratio() -> None:
    figures = [
        suite.Figure("tight loop", "unicorn", 600.0, "MIPS", [600.0], floor=1200.0, floor_runs=[1200.0]),
        suite.Figure("tight loop", "interp", 60.0, "MIPS", [60.0]),
    ]
    lines = suite.format_table(figures).splitlines()
    assert lines[2].endswith("MIPS  1,200 MIPS: 2.00x this")
    assert lines[3].endswith("MIPS")  # no floor for the Python core
    assert lines[0].index("raw unicorn") == lines[2].index("1,200")
    assert "empty block hook" not in lines[0]  # no figure has that floor: no column for it


def test_compute_loops_show_the_floor_with_an_empty_block_hook() -> None:
    figures = [
        suite.Figure(
            "tight loop",
            "unicorn",
            600.0,
            "MIPS",
            [600.0],
            floor=1200.0,
            floor_runs=[1200.0],
            hooked=660.0,
            hooked_runs=[660.0],
        ),
        suite.Figure("hypercalls", "unicorn", 400_000.0, "calls/s", [4e5], floor=4e5, floor_runs=[4e5]),
    ]
    lines = suite.format_table(figures).splitlines()
    assert " 1,200 MIPS: 2.00x this " in lines[2]
    assert lines[2].endswith("  660.0 MIPS: 1.10x this")
    assert lines[0].index("raw + empty block hook") == lines[2].index("660.0")
    assert lines[3].endswith("400,000 calls/s: 1.00x this")


def test_runs_in_two_states_show_their_range_and_the_fastest_runs_ratio() -> None:
    """A bimodal figure's median may sit in the other state than its floor's: the table says so."""
    slow_fast = [259.0, 270.8, 605.0, 270.0, 602.0]
    figure = suite.Figure(
        "tight loop",
        "unicorn",
        270.8,
        "MIPS",
        slow_fast,
        floor=1217.0,
        floor_runs=[1217.0, 1210.0, 1215.0],
        hooked=665.4,
        hooked_runs=[699.0, 280.0, 707.0],
    )
    steady = suite.Figure(
        "memory loop",
        "unicorn",
        143.5,
        "MIPS",
        [143.0, 143.5, 145.0],
        floor=157.0,
        floor_runs=[156.0, 157.0, 158.0],
    )
    lines = suite.format_table([figure, steady]).splitlines()
    assert "270.8 (runs 259.0-605.0)" in lines[2]
    assert "1,217 MIPS: 4.49x this (fastest runs: 2.01x)" in lines[2]
    assert lines[2].endswith("665.4 MIPS: 2.46x this (fastest runs: 1.17x)")
    assert "runs" not in lines[3] and lines[3].endswith("157.0 MIPS: 1.09x this")


def test_the_empty_block_hook_costs_what_unicorn_calling_a_hook_costs() -> None:
    """The hooked floor runs the same guest to the same end: only the hook differs."""
    pytest.importorskip("unicorn")
    from bench.common import run_raw_unicorn
    from lab.cpu.uc import hooks

    if hooks.executable(b"\xc3") is None:
        pytest.skip("no machine-code hooks on this host")
    prog = suite.program(suite.TIGHT_LOOP.format(n=200_000), "loop")
    plain = min(run_raw_unicorn(prog, until="done")[0] for _ in range(3))
    hooked = min(run_raw_unicorn(prog, until="done", block_hook=True)[0] for _ in range(3))
    assert hooked > plain  # a call per two-instruction block is never free


def test_a_guest_that_faults_is_reported_not_measured(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(suite, "TIGHT_LOOP", "_start:\n    lw t0, 0(zero)\n    ebreak\n")
    monkeypatch.setattr(suite, "BENCHMARKS", suite.BENCHMARKS[:1])
    assert suite.run(quick=True) == 1
    assert "bench guest stopped with fault" in capsys.readouterr().err


def test_the_validators_figure_times_a_real_check(tmp_path: Path) -> None:
    scaffold("timed", tmp_path)  # a lesson that validates as generated, and its German twin
    checked = course.measure(tmp_path)
    assert checked.ok and checked.files == 2 and checked.backends == tuple(backends())
    assert 0 < checked.wall < 120 and checked.cpu > 0
    line = course.format_line(checked)
    assert line.startswith("hvlab lessons check (the course: 2 files") and "FAILED" not in line

    (tmp_path / "timed.md").write_text((tmp_path / "timed.md").read_text().replace("```check", "```chekc", 1))
    assert not course.measure(tmp_path).ok  # a broken course is not timed as if it passed


def test_the_tui_bench_resumes_its_lesson_at_the_storm_ready_to_type(tmp_path: Path) -> None:
    """`hvlab bench --tui` drives a real terminal through lesson 8; what it prepares must still
    put the student where it starts typing: the storm step, its prediction answered."""
    from bench import tui
    from lab.session import Session

    repo = Path(__file__).resolve().parents[1]
    progress = tui.prepared_progress(tmp_path, repo)
    session = Session(repo / "lessons", backend="interp", progress_path=progress)
    try:
        lesson = session.open_lesson(tui.LESSON)
        state = session.start()
        assert state.step == tui.STORM_STEP
        assert f"{tui.READY}{state.steps}" == f"Step {tui.STORM_STEP + 1} of {state.steps}"
        assert "storm" in lesson.steps[tui.STORM_STEP].title.lower()
        assert [q.kind for q in state.quizzes][:1] == ["predict"] and state.quizzes[0].answered
        assert session.evaluate(attempt=False).predicted  # its checks count: the storm can begin
    finally:
        session.close()
