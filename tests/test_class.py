"""The instructor's commands: `hvlab class seeds`, `hvlab verify`, `hvlab class report`."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from hvlab.cli import main as hvlab
from lab.session.record import read_record, student_seed
from tests.test_record import ALICE, KEY, course_with_proof, play_through, student_session

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    return course_with_proof(tmp_path_factory)


def export(session, folder: Path, name: str) -> Path:
    record = session.export_record()
    session.close()
    path = folder / name
    path.write_text(record.text)
    return path


@pytest.fixture(scope="module")
def records(course, tmp_path_factory) -> Path:
    """A class's hand-ins: Alice did the lesson, Bob a step of it and a step of another,
    Carol handed in Alice's record as hers, Dave something that is not a record."""
    folder = tmp_path_factory.mktemp("hand-ins")
    alice = student_session(course, tmp_path_factory.mktemp("alice"))
    play_through(alice)
    alice_file = export(alice, folder, "alice.json")
    bob = student_session(course, tmp_path_factory.mktemp("bob"), name="Bob Jones")
    bob.open_lesson("proof")
    bob.start()
    bob.answer(1, "2")  # a wrong prediction still counts as answered
    bob.type("tenant", "vms")
    assert bob.frame().state.done
    bob.next_step()
    for _ in range(3):
        bob.hint()  # the step has two hints: the third shows the last again
    bob.open_lesson("control-api")
    bob.start()
    bob.answer(1, "1")  # step 1's prediction, before its checks count
    bob.type("tenant", "vms")
    assert bob.frame().state.done
    export(bob, folder, "bob.json")
    carol = json.loads(alice_file.read_text())
    carol["student"] = "Carol White"
    (folder / "carol.json").write_text(json.dumps(carol))
    (folder / "dave.json").write_text('{"lessons": {}, "version": 1}')  # his progress file instead
    return folder


def test_class_seeds_are_the_course_keys(capsys, tmp_path):
    roster = tmp_path / "roster.txt"
    roster.write_text("# group A\nAlice Smith\n\nBob Jones\n")
    assert hvlab(["class", "seeds", "--key", KEY, "Carol White", "--roster", str(roster)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [f"{n}\t{student_seed(KEY, n)}" for n in ("Carol White", "Alice Smith", "Bob Jones")]
    key_file = tmp_path / "course.key"
    key_file.write_text(KEY + "\n")
    assert hvlab(["class", "seeds", "--key-file", str(key_file), "Alice Smith"]) == 0
    assert capsys.readouterr().out == f"Alice Smith\t{student_seed(KEY, 'Alice Smith')}\n"
    assert hvlab(["class", "seeds", "Alice"]) == 1
    assert "give the course key" in capsys.readouterr().err


def test_verify_accepts_a_real_record_and_refuses_a_copied_one(records, course, capsys):
    alice = str(records / "alice.json")
    assert hvlab(["verify", "--key", KEY, "--lessons", str(course), alice]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"{alice}: {ALICE}, seed {student_seed(KEY, ALICE)}, the course key's"
    assert re.fullmatch(
        r"  proof: 4/4 steps, complete; quizzes 1/1 right in 3 answer\(s\); 2 hint\(s\); \d+ min", out[1]
    )
    assert len(out) == 2
    carol = str(records / "carol.json")
    assert hvlab(["verify", "--key", KEY, "--lessons", str(course), carol, "--json"]) == 1
    (verdict,) = json.loads(capsys.readouterr().out)
    assert verdict["seed_check"] == f"seed {student_seed(KEY, ALICE)} is not Carol White's"
    assert (
        verdict["lessons"][0]["steps_done"] == []
        and "another student's record" in verdict["runs"][0]["refused"]
    )
    assert hvlab(["verify", str(records / "dave.json")]) == 1
    assert "not verified: " in capsys.readouterr().out


def test_a_record_verifies_in_another_process(records, course):
    """Another Python process (another string hash seed): the engine is deterministic all the same."""
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    argv = [sys.executable, "-m", "hvlab.cli", "verify", "--key", KEY, "--lessons", str(course)]
    done = subprocess.run(
        [*argv, str(records / "alice.json")], env=env, capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "4/4 steps, complete" in done.stdout


def test_the_class_report_has_the_right_numbers(records, course, tmp_path, capsys):
    roster = tmp_path / "roster.txt"
    roster.write_text("Alice Smith\nBob Jones\nCarol White\n")
    csv_file, html_file = tmp_path / "report.csv", tmp_path / "report.html"
    argv = ["class", "report", str(records), "--key", KEY, "--roster", str(roster), "--lessons", str(course)]
    assert hvlab([*argv, "--csv", str(csv_file), "--html", str(html_file), "--jobs", "2"]) == 0
    rows = list(csv.DictReader(csv_file.open()))
    table = {(r["file"], r["lesson"]): r for r in rows}
    assert sorted(table) == [
        ("alice.json", "proof"),
        ("bob.json", "control-api"),
        ("bob.json", "proof"),
        ("carol.json", "proof"),
        ("dave.json", ""),
    ]
    numbers = (
        "steps_done",
        "steps",
        "complete",
        "quizzes_right",
        "quizzes",
        "answers",
        "hints",
        "runs",
        "refused_runs",
    )
    assert [table["alice.json", "proof"][k] for k in numbers] == [
        "4",
        "4",
        "yes",
        "1",
        "1",
        "3",
        "2",
        "1",
        "0",
    ]
    assert [table["bob.json", "proof"][k] for k in numbers] == ["1", "4", "no", "0", "1", "1", "2", "1", "0"]
    # control-api: step 1 of 6 (its prediction answered), none of the reflection's 3 questions
    assert [table["bob.json", "control-api"][k] for k in numbers] == [
        "1",
        "6",
        "no",
        "0",
        "3",
        "1",
        "0",
        "1",
        "0",
    ]
    assert [table["carol.json", "proof"][k] for k in numbers] == [
        "0",
        "4",
        "no",
        "0",
        "1",
        "0",
        "0",
        "0",
        "1",
    ]
    assert "another student's record" in table["carol.json", "proof"]["refusals"]
    assert table["dave.json", ""]["refusals"].startswith("not a record: ")
    assert table["alice.json", "proof"]["seed_check"] == "ok"
    out = capsys.readouterr().out
    assert "Alice Smith: 1 lesson(s) completed, 4 step(s), 2 hint(s), 3 answer(s)" in out
    assert "Carol White: 0 lesson(s) completed, 0 step(s)" in out and "1 run(s) refused" in out
    page = html_file.read_text()
    assert page.startswith("<!doctype html>") and "<script" not in page and "http" not in page
    assert page.count("<tr>") == 1 + 4 + 1 + 4  # the students' table, then one row per student and lesson
    assert "Carol White" in page and "another student&#x27;s record" in page


def test_a_student_exports_the_tuis_record_from_the_command_line(course, tmp_path, capsys):
    data = tmp_path / "data"
    session = student_session(course, data)
    session.open_lesson("control-api")
    session.start()
    session.answer(1, "1")  # step 1's prediction, before its checks count
    session.type("tenant", "vms")
    session.close()
    out = tmp_path / "mine.json"
    assert hvlab(["record", "export", "--progress", str(data / "progress.json"), "--out", str(out)]) == 0
    assert capsys.readouterr().out == f"{out}: 1 run(s), 2 event(s)\n"
    rec = read_record(out)
    assert (
        rec.student == ALICE and rec.seed == student_seed(KEY, ALICE) and rec.runs[0].lesson == "control-api"
    )
