"""Progress: JSON round trips, malformed data refused, saves that a crash cannot tear."""

from __future__ import annotations

import json
import os

import pytest

from lab.lesson import progress as progress_io
from lab.lesson.progress import Progress, ProgressError, save_atomic


def test_round_trip_through_json():
    p = Progress()
    p.step("tour", 0).done = True
    p.step("tour", 1).hints = 2
    p.step("tour", 1).attempts = 3
    p.lesson("tour").current = 1
    data = json.loads(json.dumps(p.to_dict()))
    assert Progress.from_dict(data).to_dict() == p.to_dict()


@pytest.mark.parametrize(
    "data",
    [
        [],
        {"version": 99},
        {"version": 1, "lessons": []},
        {"version": 1, "lessons": {"t": {"steps": {"x": {}}}}},
        {"version": 1, "lessons": {"t": {"steps": {"0": {"hints": -1}}}}},
    ],
)
def test_malformed_progress_is_refused(data):
    with pytest.raises(ProgressError):
        Progress.from_dict(data)


def test_save_is_atomic_when_the_rename_fails(tmp_path, monkeypatch):
    path = tmp_path / "progress.json"
    save_atomic(path, {"version": 1, "lessons": {}})
    old = path.read_text()

    def crash(src, dst):
        raise OSError("power cut")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        save_atomic(path, {"version": 1, "lessons": {"tour": {}}})
    assert path.read_text() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["progress.json"]  # no temp file left behind


def test_load_of_a_missing_file_is_a_fresh_start_and_garbage_is_an_error(tmp_path):
    assert progress_io.load(tmp_path / "none.json").lessons == {}
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ProgressError, match="not JSON"):
        progress_io.load(tmp_path / "bad.json")


# ------------------------------------------------------------------ files that are not progress (issue 14.5)

DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(
    ("content", "rule"),
    [
        (DEEP, "nests objects or arrays deeper than 32 levels"),
        (
            '{"version": 1, "lessons": ' + "[" * 40 + "]" * 40 + "}",
            "nests tables or arrays deeper than 32 levels",
        ),
        ('{"version": 1, "seed": ' + "9" * 5000 + "}", "holds an integer of 5000 digits (at most 30)"),
        ('{"version": 1, "seed": NaN}', "holds NaN, which is not a JSON number"),
        (b'{"version": 1, "x": "\xff"}', "is not UTF-8 text"),
        ('{"version": 1, "lessons": {"t": {"steps": {"' + "1" * 5000 + '": {}}}}}', "is not a step number"),
        ('{"version": 1, "lessons": {"t": {"steps": {"0": {"done": "yes"}}}}}', "done must be true or false"),
        ('{"version": 1, "lessons": {"t": {"finished": 1e400}}}', "a timestamp must be seconds since 1970"),
        ('{"version": 1, "lessons": {"t": 5}}', "must be an object"),
        ('{"version": true}', "not hvlab progress data"),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 40 and "{" not in v else None,
)
def test_a_file_that_is_not_progress_is_one_error_naming_it(tmp_path, content, rule):
    path = tmp_path / "progress.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(ProgressError) as info:
        progress_io.load(path)
    assert str(info.value).startswith(str(path)) and rule in str(info.value)
    assert "\n" not in str(info.value) and len(str(info.value)) < 300


def test_a_folder_where_progress_should_be_is_kept_and_named(tmp_path):
    from lab.session.course import ProgressBook

    path = tmp_path / "progress.json"
    (path / "inside").mkdir(parents=True)
    with pytest.raises(ProgressError, match=r"progress\.json: is a folder, not a file"):
        progress_io.load(path)
    book = ProgressBook(path)  # the student starts afresh; the folder is kept
    assert "is a folder, not a file; kept as" in book.problem
    kept = [p for p in tmp_path.iterdir() if p.name.startswith("progress.json.unreadable-")]
    assert len(kept) == 1 and (kept[0] / "inside").is_dir()


def test_a_data_directory_that_is_a_file_loses_nothing(tmp_path):
    from lab.session.course import ProgressBook

    data = tmp_path / "hvlab-data"
    data.write_text("my notes")  # HVLAB_DATA names a file
    with pytest.raises(ProgressError, match=f"{data} is a file, not a folder"):
        progress_io.load(data / "progress.json")
    book = ProgressBook(data / "progress.json")
    assert book.path is None and "is a file, not a folder" in book.problem
    assert book.replace({"version": 1, "lessons": {}}) == ""  # a save is skipped, never forced
    assert data.read_text() == "my notes"


def test_a_progress_file_too_big_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "progress.json"
    with open(path, "wb") as f:
        f.truncate(progress_io.MAX_PROGRESS_BYTES + 1)
    with pytest.raises(ProgressError, match="is larger than the limit of 1 MiB"):
        progress_io.load(path)


def test_answers_to_questions_round_trip_and_bad_ones_are_refused():
    progress = Progress()
    step = progress.step("demo", 1)
    step.quizzes[2] = progress_io.QuizProgress(attempts=3, right=True, answer="1,3")
    data = json.loads(json.dumps(progress.to_dict()))
    assert data["lessons"]["demo"]["steps"]["1"]["quizzes"] == {
        "2": {"attempts": 3, "right": True, "answer": "1,3"}
    }
    assert Progress.from_dict(data).to_dict() == data
    assert "quizzes" not in data["lessons"]["demo"]["steps"].get("0", {})  # older files have none: still read
    for bad, rule in [
        ({"0": {}}, "question '0' is not a question number from 1 to 99"),
        ({"1": {"right": "yes"}}, "right must be true, false or null"),
        ({"1": {"answer": "x" * 201}}, "answer must be a string of at most 200 characters"),
        ({"1": {"attempts": -1}}, "a count must be an integer"),
        ([], "quizzes must be an object"),
    ]:
        broken = json.loads(json.dumps(data))
        broken["lessons"]["demo"]["steps"]["1"]["quizzes"] = bad
        with pytest.raises(ProgressError, match=rule):
            Progress.from_dict(broken)
