"""The scoring corpus: the course's attacks and honest work, recorded; every field the table
promises is what the observations hold; the course's rule files score as lesson 11 says; the
cache gives the same score as a fresh build, and a broken honest run is named at its line."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from lab.detect import parse_rules, read_rules
from lab.detect.fields import FIELDS, MAX_ARGS, Source, field_names, frame_fields, param_names
from lab.hv.hypercalls import EXTENSIONS, load_extensions
from lab.lesson.corpus import (
    LEGIT_FILE,
    Corpus,
    CorpusError,
    all_attack_lessons,
    attack_scope,
    build_corpus,
    corpus_for,
    corpus_key,
    no_attacks,
    score_rules,
)
from lab.net.switch import CapturedFrame

LESSONS = Path(__file__).resolve().parents[2] / "lessons"
COURSE_RULES = ("flood", "control", "mgmt", "course")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    return build_corpus(LESSONS)


def rules_of(*names: str):
    return parse_rules("\n\n".join(read_rules(LESSONS / "detect" / f"{n}.toml").text for n in names))


def test_the_corpus_holds_every_attack_lesson_and_the_honest_runs(corpus: Corpus) -> None:
    lessons = {r.id.split("/")[0] for r in corpus.attacks}
    assert {"control-api", "guest-buffers", "grant-tables", "double-fetch", "management", "flood"} <= lessons
    assert "defender" not in lessons  # detection itself is not an attack
    assert len(corpus.legit) >= 10 and corpus.lost == 0
    for run in corpus.runs:
        assert 0 <= run.start < run.end <= len(corpus.recordings[run.recording]), run.id


def test_the_scope_is_what_is_recorded_and_every_other_attack_is_named(corpus: Corpus) -> None:
    scope = attack_scope(LESSONS)
    assert scope is not None  # the course states its scope
    every = {lesson.id: [r for r in _steps(lesson)] for lesson in all_attack_lessons(LESSONS)}
    expected = [r for lesson, runs in every.items() for r in runs if lesson in scope or r in scope]
    assert [r.id for r in corpus.attacks] == expected
    outside = [r for runs in every.values() for r in runs if r not in expected]
    named = [r for u in corpus.unscored for r in (every[u] if "/" not in u else [u])]
    assert named == outside  # every attack is scored or named, none twice
    score = score_rules(rules_of(*COURSE_RULES), corpus)
    assert score.unscored == corpus.unscored
    if corpus.unscored:
        assert score.summary().endswith(")") and all(u in score.summary() for u in corpus.unscored)
        lesson = corpus.unscored[0].split("/")[0]
        if lesson == corpus.unscored[0]:  # a whole lesson outside: a score of it says so
            alone = score_rules(rules_of(*COURSE_RULES), corpus, only=lesson)
            assert alone.attacks == [] and "outside the recorded runs' scope" in no_attacks(lesson, alone)


def _steps(lesson) -> list[str]:
    return [f"{lesson.id}/{s.index + 1}" for s in lesson.steps if s.is_attack]


def test_lesson_11_names_the_attacks_its_score_leaves_out(corpus: Corpus) -> None:
    """Lesson 11 names each attack its score leaves out (lesson N, or lesson N, step S), in each
    language."""
    numbers = {lesson.id: int(lesson.path.name.split("-")[0]) for lesson in all_attack_lessons(LESSONS)}
    for name, lesson_word, step_word in (
        ("11-defender.md", "lesson", "step"),
        ("11-defender.de.md", "Lektion", "Schritt"),
    ):
        text = " ".join((LESSONS / name).read_text().split())
        for left_out in corpus.unscored:
            lesson, _, step = left_out.partition("/")
            named = f"{lesson_word} {numbers[lesson]}" + (f", {step_word} {step}" if step else "")
            assert named in text, (name, named)


def test_a_scope_that_names_a_lesson_not_recorded_is_an_error(tmp_path: Path) -> None:
    folder = tmp_path / "lessons"
    (folder / "detect").mkdir(parents=True)
    (folder / LEGIT_FILE).write_text('attacks = ["flood"]\n')
    with pytest.raises(CorpusError, match="attacks names flood, not an attack lesson or step"):
        corpus_for(folder)


def test_a_folder_with_one_more_attack_lesson_outside_the_scope_has_its_own_corpus(tmp_path: Path) -> None:
    """The corpus names the attacks it leaves out, so they are part of its key: a copy of the course
    with one more attack lesson (outside legit.toml's scope) once got the course's cached corpus,
    and its score said nothing of the extra lesson (or the course's said "the attacks of demo")."""
    folder = tmp_path / "lessons"
    shutil.copytree(LESSONS, folder)
    assert corpus_key(folder) == corpus_key(LESSONS)  # the same files: the same corpus
    flood = (folder / "08-flood.md").read_text(encoding="utf-8")
    (folder / "99-demo.md").write_text(flood.replace('id = "flood"', 'id = "demo"'), encoding="utf-8")
    assert "demo" in [lesson.id for lesson in all_attack_lessons(folder)]
    assert "demo" not in (attack_scope(folder) or [])
    assert corpus_key(folder) != corpus_key(LESSONS)


def test_observations_hold_exactly_the_fields_of_the_table(corpus: Corpus) -> None:
    seen: dict[Source, set[str]] = {s: set() for s in Source}
    for source, obs in corpus.observations:
        seen[source] |= set(obs)
    for source in Source:
        assert seen[source] <= set(field_names(source)), (source, seen[source] - set(field_names(source)))
        promised = set(FIELDS[source]) - {"arg.NAME", "frame.malformed"}  # those two: below
        assert promised <= seen[source], (source, promised - seen[source])
    assert any(name.startswith("arg.") for name in seen[Source.HYPERCALL])
    load_extensions()
    assert MAX_ARGS == max(len(fn.params) for ext in EXTENSIONS.values() for fn in ext.functions.values())
    assert "domid" in param_names()


def test_a_malformed_frame_says_why() -> None:
    from lab.net.switch import Segment

    segment = Segment("tenants")
    obs = frame_fields(CapturedFrame(time=5, port="ci", frame=bytes(20)), segment, {"ci": 2})
    assert obs["domid"] == 2 and obs["vm"] == "ci" and "frame.malformed" in obs
    assert obs["text"].startswith("malformed (20 bytes)")
    assert set(obs) <= set(field_names(Source.FRAME))


def test_the_course_rule_files_score_as_lesson_11_says(corpus: Corpus) -> None:
    flood = score_rules(rules_of("flood"), corpus)
    assert [r.id for r in flood.attacks if r not in flood.missed] == ["flood/2"]
    assert flood.false_positives == []
    control = score_rules(rules_of("control"), corpus, only="control-api")
    assert control.missed == [] and control.false_positives == []
    management = score_rules(rules_of("mgmt"), corpus, only="management")
    assert management.missed == [] and management.false_positives == []
    everything = score_rules(rules_of(*COURSE_RULES), corpus)
    assert everything.missed == [] and everything.false_positives == []
    assert (
        everything.summary().split(" (not scored")[0]
        == f"{len(corpus.attacks)} of {len(corpus.attacks)} attacks detected, 0 of "
        f"{len(corpus.legit)} legitimate runs with a false positive"
    )


def test_a_rule_that_fires_on_everything_fires_on_every_honest_run(corpus: Corpus) -> None:
    loud = parse_rules(
        '[[rule]]\nid = "any-call"\ntitle = "any hypercall"\nsource = "hypercall"\n'
        '[rule.detection]\ncondition = "any"\nany = { "vm|exists" = true }\n'
    )
    score = score_rules(loud, corpus)
    assert {r.id for r in score.false_positives} == {r.id for r in corpus.legit}
    (rule,) = score.rules
    assert rule.false_example is not None and rule.false_positives[0].startswith("legit/")


def test_the_cached_corpus_scores_the_same_as_a_fresh_one(
    corpus: Corpus, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("HVLAB_CACHE", str(tmp_path))
    cached = Corpus.from_json(json.loads(json.dumps(corpus.to_json())))
    rules = rules_of(*COURSE_RULES)
    a, b = score_rules(rules, corpus), score_rules(rules, cached)
    assert [(r.rule, r.detected, r.false_positives, r.fired) for r in a.rules] == [
        (r.rule, r.detected, r.false_positives, r.fired) for r in b.rules
    ]


def test_a_broken_honest_run_is_named_at_its_line(tmp_path: Path) -> None:
    folder = tmp_path / "lessons"
    (folder / "detect").mkdir(parents=True)
    shutil.copy(LESSONS / LEGIT_FILE, folder / LEGIT_FILE)
    text = (folder / LEGIT_FILE).read_text()
    text = re.sub(r"^attacks = \[.*?\]\n", "", text, flags=re.S | re.M)  # no lessons here: no scope
    (folder / LEGIT_FILE).write_text(
        text.replace("type admin peek 2 0x80001000 32", "type vault peek 2 0x80001000 32")
    )
    line = next(
        n
        for n, row in enumerate((folder / LEGIT_FILE).read_text().splitlines(), 1)
        if "type vault peek" in row
    )
    with pytest.raises(CorpusError, match=rf"legit.toml:{line}: no VM 'vault'"):
        corpus_for(folder)
