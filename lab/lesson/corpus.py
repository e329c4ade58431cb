"""The scoring corpus: recorded runs of every attack of the course and of legitimate work,
and how a rule set scores against them.

A detection rule is only as good as what it catches and what it leaves alone. The lab
records, on its own deterministic engine, what a sensor would have seen:

* **attack runs**: the lessons with attack steps (a step with a `harden` block) that
  `detect/legit.toml`'s `attacks` list names (its *scope*; without the list, every such
  lesson of the folder) are played from a fresh machine as their solutions say, on the
  vulnerable hypervisor; each attack step is one run, the observations made while its
  solution ran. An attack lesson outside the scope is not silently left out: the corpus
  and every score name it (`Corpus.unscored`). (What happens before an attack step,
  setting up, runs through the rules too, so that a counting rule has the same history
  it would have live, but does not count.)
* **legitimate runs**: the admin's work and the tenants' normal use, written as lesson
  actions in `detect/legit.toml` next to the lessons (`LEGIT_FILE`): a rule that fires
  there fires on an innocent.

    corpus = corpus_for(Path("lessons"))     # built once per engine version, then cached
    score = score_rules(rules, corpus)       # detections, misses, false positives per rule
    score.missed, score.false_positives      # the runs a rule set gets wrong

Building replays some ten lessons (a few seconds); the result depends only on the
engine's code, the guests, the scenarios and the lesson files, so it is kept, in
memory and (on CPython) as JSON in the user's cache folder, under a key made from all
of them: a changed engine or lesson builds it afresh, nothing else does. Runs are
played on the interp core with the course's own values (no student's variant): the
same for every student, on every core (the engine is deterministic).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

from lab.detect.engine import Detection, Detector
from lab.detect.fields import Observation, Source
from lab.detect.rules import RuleSet
from lab.detect.sensor import Tap
from lab.files import FileFormatError, parse_toml, read_text
from lab.lesson.engine import ActionError, Lab
from lab.lesson.model import Call, Lesson, LessonError
from lab.lesson.parser import find_lessons, parse_lesson
from lab.lesson.registry import EntryKind, Where, parse_call
from lab.scenario import ScenarioError, read_scenario, scenario_file

CORPUS_VERSION: Final = 2  # bump when what a recording holds changes
LEGIT_FILE: Final = "detect/legit.toml"  # the legitimate runs, relative to the lessons folder
SKIPPED: Final = frozenset(("measure", "answer"))  # actions that change nothing a sensor sees (measure's
# line holds host timings, which would make the corpus differ from build to build)
DETECTION_ACTIONS: Final = frozenset(("rules",))  # a lesson using these is about detection, not an attack
ENGINE: Final = Path(__file__).resolve().parents[1]  # lab/: its code, guests and scenarios key the cache


class RunKind(StrEnum):
    ATTACK = "attack"
    LEGIT = "legit"


@dataclass(slots=True)
class Run:
    """One run a rule set is scored on: a span of one recording."""

    id: str  # "control-api/2" (an attack: lesson id / step number) or "legit/admin-day"
    kind: RunKind
    title: str  # the step's title, or the legitimate run's
    recording: int  # which recording
    start: int  # its observations: recording[start:end]
    end: int


@dataclass(slots=True)
class Corpus:
    """Recordings (lists of (time, observation number)), the observations, and the runs."""

    key: str
    observations: list[tuple[Source, Observation]] = field(default_factory=list)
    recordings: list[list[tuple[int, int]]] = field(default_factory=list)
    runs: list[Run] = field(default_factory=list)
    lost: int = 0  # records or frames a recording could not read (0: the corpus is complete)
    unscored: list[str] = field(default_factory=list)  # attacks outside the scope: lesson ids, or ID/N

    @property
    def attacks(self) -> list[Run]:
        return [r for r in self.runs if r.kind is RunKind.ATTACK]

    @property
    def legit(self) -> list[Run]:
        return [r for r in self.runs if r.kind is RunKind.LEGIT]

    def size(self) -> int:
        """Observations seen, over all recordings."""
        return sum(len(r) for r in self.recordings)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": CORPUS_VERSION,
            "key": self.key,
            "lost": self.lost,
            "unscored": self.unscored,
            "observations": [[s.value, obs] for s, obs in self.observations],
            "recordings": self.recordings,
            "runs": [[r.id, r.kind.value, r.title, r.recording, r.start, r.end] for r in self.runs],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Corpus:
        return cls(
            key=data["key"],
            lost=data["lost"],
            unscored=data["unscored"],
            observations=[(Source(s), obs) for s, obs in data["observations"]],
            recordings=[[(t, i) for t, i in rec] for rec in data["recordings"]],
            runs=[Run(i, RunKind(k), t, rec, s, e) for i, k, t, rec, s, e in data["runs"]],
        )


class CorpusError(Exception):
    """The corpus cannot be built: a lesson or the legitimate runs' file is broken."""


# ------------------------------------------------------------------ recording


class _Recorder:
    """Plays runs on fresh machines and records what a tap sees, interning observations
    across all of them (a flood's frame is one observation for the whole corpus)."""

    def __init__(self, key: str) -> None:
        self.corpus = Corpus(key)
        self._index: dict[Any, int] = {}

    def record(self, lab: Lab, play: Callable[[Callable[[], int]], None]) -> int:
        """Start `lab`, then `play(mark)`: `mark()` reads what is new and returns the position
        reached in this recording. Returns the recording's number."""
        lab.start()
        seen: list[tuple[int, int]] = []
        tap = Tap(lab.hv)
        index, observations = self._index, self.corpus.observations

        def mark() -> int:
            for source, time, key, obs in tap.read():
                n = index.get(key)
                if n is None:
                    n = index[key] = len(observations)
                    observations.append((source, obs))
                seen.append((time, n))
            return len(seen)

        lab.hv.trace.before_trim = mark
        try:
            play(mark)
            mark()
        finally:
            lab.hv.trace.before_trim = None
            self.corpus.lost += tap.lost
            lab.close()
        self.corpus.recordings.append(seen)
        return len(self.corpus.recordings) - 1


def _perform(lab: Lab, calls: list[Call]) -> None:
    for call in calls:
        if call.name not in SKIPPED:
            lab.perform(call)


def all_attack_lessons(directory: Path) -> list[Lesson]:
    """The folder's lessons with attack steps (English), in file order; a lesson about
    detection itself (one using the detection actions) is not an attack lesson."""
    out = []
    for path in find_lessons([directory]):
        if path.name.endswith(".de.md") or ".de." in path.name:
            continue
        lesson = parse_lesson(path)
        if lesson.lang != "en" or not any(s.is_attack for s in lesson.steps):
            continue
        if any(c.name in DETECTION_ACTIONS for s in lesson.steps for c in s.solution + s.harden):
            continue
        out.append(lesson)
    return out


def attack_scope(directory: Path) -> list[str] | None:
    """The ids of the lessons whose attacks the corpus records: `detect/legit.toml`'s `attacks`
    list, or None (every attack lesson) when the file or the list is not there."""
    data = _read_legit_file(directory)
    if data is None or "attacks" not in data:
        return None
    scope = data["attacks"]
    if not isinstance(scope, list) or not all(isinstance(s, str) for s in scope):
        raise CorpusError(f"{directory / LEGIT_FILE}: attacks is a list of lesson ids")
    return scope


def _attack_runs(lesson: Lesson) -> list[str]:
    return [f"{lesson.id}/{s.index + 1}" for s in lesson.steps if s.is_attack]


def attack_lessons(directory: Path) -> tuple[list[Lesson], list[str]]:
    """The attack lessons in the corpus's scope (in file order), and what is outside it: the ids
    of whole lessons, or `ID/N` for one attack step of a lesson in the scope. The scope names a
    lesson by its id (all its attack steps) or one attack step as `ID/N`. A scope naming a lesson
    or step that is not an attack of the folder is an error: the list says what the score
    covers, so it may not promise an attack that is not recorded."""
    lessons = all_attack_lessons(directory)
    scope = attack_scope(directory)
    if scope is None:
        return lessons, []
    runs = {lesson.id: _attack_runs(lesson) for lesson in lessons}
    known = {*runs, *(r for rs in runs.values() for r in rs)}
    unknown = [s for s in scope if s not in known]
    if unknown:
        raise CorpusError(
            f"{directory / LEGIT_FILE}: attacks names {', '.join(unknown)}, not an attack lesson or step "
            f"of {directory} (the attack lessons are: {', '.join(sorted(runs))})"
        )
    inside, unscored = [], []
    for lesson in lessons:
        steps = [r for r in runs[lesson.id] if lesson.id in scope or r in scope]
        if steps:
            inside.append(lesson)
            unscored += [r for r in runs[lesson.id] if r not in steps]
        else:
            unscored.append(lesson.id)
    return inside, unscored


def _record_lesson(recorder: _Recorder, lesson: Lesson, unscored: list[str]) -> None:
    last = max(s.index for s in lesson.steps if s.is_attack)
    lab = Lab(lesson)
    spans: list[tuple[int, int]] = []

    def play(mark: Callable[[], int]) -> None:
        for step in lesson.steps[: last + 1]:
            lab.begin_step(step.index)
            start = mark()
            try:
                _perform(lab, step.solution)
            except ActionError as exc:
                raise CorpusError(f"{lesson.path}: replaying step {step.index + 1}: {exc}") from None
            spans.append((start, mark()))

    number = recorder.record(lab, play)
    for step in lesson.steps[: last + 1]:
        run_id = f"{lesson.id}/{step.index + 1}"
        if step.is_attack and run_id not in unscored:  # outside the scope, it was played as setting up
            start, end = spans[step.index]
            recorder.corpus.runs.append(Run(run_id, RunKind.ATTACK, step.title, number, start, end))


@dataclass(slots=True)
class LegitRun:
    """One run of `detect/legit.toml`: a scenario and the actions of a normal day on it."""

    id: str
    title: str
    lesson: Lesson  # a lesson of no steps, for the Lab: its scenario, VMs and folder
    actions: list[Call]


def _read_legit_file(directory: Path) -> dict[str, Any] | None:
    path = directory / LEGIT_FILE
    if not path.is_file():
        return None
    try:
        return parse_toml(read_text(path), path=path)
    except FileFormatError as exc:
        raise CorpusError(str(exc)) from None


def read_legit(directory: Path) -> list[LegitRun]:
    """The legitimate runs next to the lessons (none when the file is not there)."""
    path = directory / LEGIT_FILE
    data = _read_legit_file(directory)
    if data is None:
        return []
    lines = read_text(path).splitlines()
    runs = []
    for n, raw in enumerate(data.get("run", [])):
        where = f"{path}: run {n + 1}"
        try:
            run_id, title, scenario_name = raw["id"], raw["title"], raw["scenario"]
            texts = [t for t in raw["actions"].splitlines() if t.strip() and not t.strip().startswith("#")]
        except (KeyError, TypeError, AttributeError):
            raise CorpusError(f"{where}: a run has id, title, scenario and actions (one a line)") from None
        try:
            scenario = scenario_file(scenario_name, relative_to=path.parent)
            spec = read_scenario(scenario)
        except ScenarioError as exc:
            raise CorpusError(f"{where}: {exc}") from None
        lesson = Lesson(
            path=path,
            id=f"legit-{run_id}",
            title=title,
            scenario=scenario,
            lang="en",
            summary=title,
            minutes=1,
            requires=[],
            incident="",
            vm_names=spec.vm_names,
            mgmt_password=spec.mgmt_password,
        )
        calls = []
        for action in texts:
            line = next((i for i, row in enumerate(lines, 1) if row.strip() == action.strip()), 0)
            try:
                calls.append(
                    parse_call(
                        action.strip(), Where(path, line, spec.vm_names, path.parent), EntryKind.ACTION
                    )
                )
            except LessonError as exc:
                raise CorpusError(str(exc)) from None
        runs.append(LegitRun(run_id, title, lesson, calls))
    return runs


def _record_legit(recorder: _Recorder, run: LegitRun) -> None:
    lab = Lab(run.lesson)
    span: list[int] = []

    def play(mark: Callable[[], int]) -> None:
        span.append(mark())
        try:
            _perform(lab, run.actions)
        except ActionError as exc:
            raise CorpusError(f"legitimate run {run.id}: {exc}") from None
        span.append(mark())

    number = recorder.record(lab, play)
    # The whole run is legitimate, booting included: a rule may not fire on a VM starting up.
    recorder.corpus.runs.append(Run(f"legit/{run.id}", RunKind.LEGIT, run.title, number, 0, span[1]))


def build_corpus(directory: Path) -> Corpus:
    """Play the attack lessons in scope and every legitimate run in `directory` and record them."""
    lessons, unscored = attack_lessons(directory)
    legit = read_legit(directory)
    recorder = _Recorder(corpus_key(directory, lessons, unscored))
    recorder.corpus.unscored = unscored
    for lesson in lessons:
        _record_lesson(recorder, lesson, unscored)
    for run in legit:
        _record_legit(recorder, run)
    return recorder.corpus


# ------------------------------------------------------------------ the cache


def corpus_key(
    directory: Path, lessons: list[Lesson] | None = None, unscored: list[str] | None = None
) -> str:
    """What the corpus depends on, hashed: the engine's code, guests and scenarios, the attack
    lessons' files, the legitimate runs' file, and the attacks outside the scope (which the
    corpus names: a folder with one more lesson outside it has another corpus)."""
    digest = hashlib.sha256(f"corpus {CORPUS_VERSION}".encode())
    engine = sorted(
        p for pattern in ("**/*.py", "guests/**/*.S", "scenarios/*.toml") for p in ENGINE.glob(pattern)
    )
    if lessons is None or unscored is None:
        lessons, unscored = attack_lessons(directory)
    files = [*engine, *(lesson.path for lesson in lessons), directory / LEGIT_FILE]
    for path in files:
        digest.update(str(path.relative_to(ENGINE) if path.is_relative_to(ENGINE) else path.name).encode())
        digest.update(path.read_bytes() if path.is_file() else b"-")
    digest.update(("unscored " + " ".join(unscored)).encode())
    return digest.hexdigest()[:20]


_MEMORY: dict[str, Corpus] = {}


def cache_dir() -> Path | None:
    """Where built corpora are kept on disk: $HVLAB_CACHE, else the user's cache folder
    (None in the browser, whose file system lasts as long as the page)."""
    if sys.platform == "emscripten":
        return None
    base = os.environ.get("HVLAB_CACHE") or os.environ.get("XDG_CACHE_HOME")
    return Path(base) / "hvlab" if base else Path.home() / ".cache" / "hvlab"


def corpus_for(directory: str | Path) -> Corpus:
    """The corpus of the lessons in `directory`: from memory, from the cache folder, or built."""
    directory = Path(directory)
    key = corpus_key(directory)
    found = _MEMORY.get(key)
    if found is not None:
        return found
    folder = cache_dir()
    file = folder / f"corpus-{key}.json" if folder is not None else None
    if file is not None and file.is_file():
        try:
            found = Corpus.from_json(json.loads(file.read_text()))
        except (OSError, ValueError, KeyError, TypeError):
            found = None
    if found is None or found.key != key:
        found = build_corpus(directory)
        if file is not None:
            try:
                file.parent.mkdir(parents=True, exist_ok=True)
                tmp = file.with_suffix(".tmp")
                tmp.write_text(json.dumps(found.to_json(), separators=(",", ":")))
                tmp.replace(file)
            except OSError:
                pass  # a read-only home: the corpus is built again next time
    _MEMORY[key] = found
    return found


# ------------------------------------------------------------------ scoring


@dataclass(slots=True)
class RuleScore:
    """One rule against the corpus."""

    rule: str
    detected: list[str] = field(default_factory=list)  # attack runs it fired in
    false_positives: list[str] = field(default_factory=list)  # legitimate runs it fired in
    fired: int = 0  # detections in the runs' spans
    example: Detection | None = None  # its first detection in an attack run
    false_example: Detection | None = None  # its first detection in a legitimate run


@dataclass(slots=True)
class Score:
    """A rule set against the corpus: per rule, and which runs it gets wrong."""

    rules: list[RuleScore]
    attacks: list[Run]
    legit: list[Run]
    missed: list[Run]  # attack runs no rule fired in
    false_positives: list[Run]  # legitimate runs some rule fired in
    unscored: list[str] = field(default_factory=list)  # attacks outside the scope: lesson ids, or ID/N

    @property
    def detected(self) -> int:
        return len(self.attacks) - len(self.missed)

    def summary(self) -> str:
        out = (
            f"{self.detected} of {len(self.attacks)} attacks detected, "
            f"{len(self.false_positives)} of {len(self.legit)} legitimate runs with a false positive"
        )
        if self.unscored:
            named = (u if "/" in u else f"the attacks of {u}" for u in self.unscored)
            out += f" (not scored: {', '.join(named)})"
        return out


def score_rules(rules: RuleSet, corpus: Corpus, *, only: str = "") -> Score:
    """Run `rules` over every recording of `corpus`: which attack runs each rule fired in (within
    the run's span), and which legitimate runs. `only`: score against the attacks of one lesson
    (its id) and every legitimate run."""
    scores = {r.id: RuleScore(r.id) for r in rules.rules}
    runs_of: dict[int, list[Run]] = {}
    for run in corpus.runs:
        if run.kind is RunKind.LEGIT or not only or run.id.split("/")[0] == only:
            runs_of.setdefault(run.recording, []).append(run)
    hit: dict[str, set[str]] = {}  # run id -> rules that fired in it
    observations = corpus.observations
    for number, runs in runs_of.items():
        detector = Detector(rules)
        observe = detector.observe
        spans = [(run.start, run.end, run) for run in runs]
        for position, (time, n) in enumerate(corpus.recordings[number]):
            source, obs = observations[n]
            found = observe(source, time, n, obs)
            if not found:
                continue
            for start, end, run in spans:
                if start <= position < end:
                    for d in found:
                        score = scores[d.rule]
                        score.fired += 1
                        if d.rule not in hit.setdefault(run.id, set()):
                            hit[run.id].add(d.rule)
                            (score.false_positives if run.kind is RunKind.LEGIT else score.detected).append(
                                run.id
                            )
                        if run.kind is RunKind.LEGIT:
                            score.false_example = score.false_example or d
                        else:
                            score.example = score.example or d
    attacks = [r for rs in runs_of.values() for r in rs if r.kind is RunKind.ATTACK]
    legit = [r for rs in runs_of.values() for r in rs if r.kind is RunKind.LEGIT]
    return Score(
        rules=list(scores.values()),
        attacks=attacks,
        legit=legit,
        missed=[r for r in attacks if not hit.get(r.id)],
        false_positives=[r for r in legit if hit.get(r.id)],
        unscored=[u for u in corpus.unscored if not only or u.split("/")[0] == only],
    )


def no_attacks(only: str, score: Score) -> str:
    """Why a score of lesson `only`'s attacks holds none: no such attack lesson, or one outside
    the corpus's scope."""
    if only in score.unscored:  # the whole lesson (one step of it outside: the rest is scored)
        return f"lesson {only!r}'s attacks are outside the recorded runs' scope ({LEGIT_FILE}'s attacks)"
    return f"no recorded attack of a lesson {only!r}"


_SCORES: dict[tuple[str, str, str, str], Score] = {}
MAX_SCORES: Final = 32


def scored(rules: RuleSet, corpus: Corpus, *, only: str = "") -> Score:
    """`score_rules`, remembered for the same rule text, corpus and lesson: a step's checks are
    evaluated again and again while the rules stay the same."""
    key = (rules.text, rules.path, corpus.key, only)
    found = _SCORES.get(key)
    if found is None:
        if len(_SCORES) >= MAX_SCORES:
            _SCORES.clear()
        found = _SCORES[key] = score_rules(rules, corpus, only=only)
    return found
