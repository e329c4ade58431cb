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
