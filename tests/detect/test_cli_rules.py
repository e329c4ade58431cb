"""`hvlab lessons rules`: an instructor checks a rule file (every problem as FILE:LINE) and
scores rule files against the course's recorded runs, as lesson 11's checks do."""

from __future__ import annotations

from pathlib import Path

from hvlab.cli import main

LESSONS = Path(__file__).resolve().parents[2] / "lessons"
DETECT = LESSONS / "detect"


def test_a_bad_rule_file_is_reported_at_its_lines(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.toml"
    text = (DETECT / "flood.toml").read_text().replace('"udp.dstport"', '"udp.dstprt"')
    bad.write_text(text.replace("at_least = 50", "at_leest = 50"))
    assert main(["lessons", "rules", str(bad)]) == 1
    err = capsys.readouterr().err.splitlines()
    line = next(n for n, row in enumerate(text.splitlines(), 1) if row.startswith("to_mgmt"))
    why = "selection 'to_mgmt': frame observations have no field 'udp.dstprt'; did you mean 'udp.dstport'?"
    assert f"{bad}:{line}: {why}" in err
    assert any(e.startswith(f"{bad}:") and "did you mean 'at_least'?" in e for e in err)


def test_the_course_rule_files_together_detect_every_attack_and_spare_honest_work(
    tmp_path, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("HVLAB_CACHE", str(tmp_path))
    files = [str(DETECT / f"{name}.toml") for name in ("flood", "control", "mgmt", "course")]
    assert main(["lessons", "rules", "--score", "--lessons", str(LESSONS), *files]) == 0
    out = capsys.readouterr().out
    assert "mgmt-flood: detects flood/2; fires on 0 honest run(s)" in out
    last = out.rstrip().splitlines()[-1]
    assert "legitimate runs with a false positive" in last and "missed" not in out
    # The attack lessons outside the corpus's scope are named, not dropped in silence.
    assert last.endswith("(not scored: authentication/5)")
    # One file alone misses the rest of the course: that is a failure, with the runs named.
    assert main(["lessons", "rules", "--score", "--lessons", str(LESSONS), files[0]]) == 1
    assert "missed: control-api/2" in capsys.readouterr().out
    assert (
        main(["lessons", "rules", "--score", "--lesson", "flood", "--lessons", str(LESSONS), files[0]]) == 0
    )
