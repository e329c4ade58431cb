"""The student's record: what they did in each lesson, to be replayed by `hvlab verify`.

    journal = Journal(path)            # the record as it grows (a file; None: in memory only)
    Journal(path, append=False)        # ... read only: another process writes it (reread() for more)
    journal.begin(run)                 # Session.start built a lesson's machine: a new run
    journal.note(event)                # a command took effect at machine time `event.time`
    journal.idle(event)                # the run loop found every guest waiting (merged while it lasts)
    journal.document(student, seed)    # the export: one JSON file (FORMAT, VERSION), as `Record`
    read_record(path)                  # a Record from such a file (RecordError says what is wrong)
    student_seed(key, "Alice Smith")   # a student's seed, derived from the course key (HMAC)

The session (lab.session.session) writes the journal, once for both front ends: every
command passes through its `_after_command`, and those in RECORDED are noted with their
arguments, the host's time (`t`, the student's clock: shown, never proven) and the machine's
(`time`, instructions retired: what the replay reproduces). The run loop runs the guests on
the host's clock, so a slice ends wherever the host's time ran out; the machine does not care
where a run is cut (lab.hv.scheduler: 10 x 1000 instructions are 1 x 10 000), except where
every guest waits: each run that ends idle gives the network one more tick. So those are
noted too (`idle`, with how many polls found the machine idle at that time), and so are the
evaluations that found a step done (`evaluate`), since the next step begins where that was.

A run is one machine: its header says which lesson file (its fingerprint), which seed, which
engine (`Engine`: the package's version and a digest of the engine's code), the step it
began at (a resumed lesson replays the steps done before with their solutions) and the
answers the machine knew. Each event carries `after`, a digest of the machine after it (the
clock, every VM's state, console and input not read yet, the trace, the policy, the patches,
the step): the replay compares its own, so an edited command shows where it was edited. The
digest is no signature (anyone can compute it by running the engine); what a record proves
is what its replay does on the verifier's engine, under the seed the course key gives the
student.

Nothing here sends anything anywhere: the TUI appends the journal to a file next to the
progress file, the page keeps it in localStorage; the student exports it (`export_record`).
The format is documented in the docs site (reference/record.md, generated from the records
below: each field's trailing comment is its documentation).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import importlib.metadata
import json
import platform
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from lab.files import FileFormatError, parse_json, read_text, shown
from lab.lesson.parser import without_notes
from lab.session.protocol import conformance, to_json
from lab.session.records import Refused, record

if TYPE_CHECKING:
    from lab.hv import Hypervisor

FORMAT: Final = "hvlab-record"  # an exported record's `format`
VERSION: Final = 1  # an exported record's `version`: bumped when a reader of version 1 would misread it
JOURNAL: Final = "hvlab-journal"  # the first line of a journal file
MAX_RECORD_BYTES: Final = 64 << 20  # a record file `hvlab verify` reads at most (a course is a few MiB)
SEEDS: Final = 2**32  # a seed is below this (as in the progress file)
CONSOLE_TAIL: Final = 4096  # bytes of each console the digest covers (the newest)
OUTCOME_CHARS: Final = 200  # of an event's outcome
# The engine's files: what `Engine.code` digests. The same patterns as the hvlab package's data
# (pyproject.toml) and the page's wheel (web.build): the TUI and the page, from the same sources,
# have the same engine (tests/test_record.py holds the three together).
ENGINE_FILES: Final = ("**/*.py", "guests/*.S", "guests/lib/*.S", "scenarios/*.toml", "lesson/templates/*")
ENGINE_ROOT: Final = Path(__file__).resolve().parents[1]  # lab/


class RecordError(ValueError):
    """A file or data that is not an hvlab record; the message says which rule it breaks."""


# ------------------------------------------------------------------ the format


@record
class Engine:
    """The engine a run was made on: a replay is only exact on the same one."""

    hvlab: str  # the hvlab package's version
    code: str  # SHA-256 of the engine's code: every file of lab/ that runs (ENGINE_FILES), hex
    python: str  # the Python it ran on (shown, not compared)


@record
class Answered:
    """A question the machine knew as answered when the run began (from an earlier run)."""

    step: int  # its step (0 is the first)
    quiz: int  # its number in the step, from 1
    right: bool  # answered right (a prediction may count answered, and wrong)


@record
class Event:
    """One thing the student did (or the run loop saw) on a run's machine."""

    t: float  # host time, seconds since 1970: the student's clock (shown in reports, not proven)
    time: int  # machine time, instructions retired, when it took effect: the replay reaches exactly this
    step: int  # the step the lesson was on (0 is the first)
    cmd: str  # the session command (lab.session.protocol), or `idle` (see RECORDED)
    args: dict[str, Any]  # its arguments by name, as the session took them (`idle`: polls)
    ok: bool  # it did what it was asked (false: the session refused it, and nothing changed)
    outcome: str  # what of its result the replay must find again ("" when the digest says it all)
    after: str  # digest of the machine after it (lab.session.record.machine_digest), 16 hex digits


@record
class Run:
    """One machine built for a lesson (`start`), and everything done on it until the next."""

    lesson: str  # the lesson's id
    lang: str  # the language it was opened in
    title: str  # its title (for reports)
    steps: int  # how many steps it has
    file: str  # SHA-256 of the lesson's text (instructor notes blanked, as the page gets it), hex
    seed: int | None  # the variant the machine was built in (null: the course as written)
    backend: str  # the CPU core: interp or unicorn
    engine: Engine  # the engine it ran on
    started: float  # host time when the machine was built
    time: int  # machine time once built (the guests booted, the steps done before replayed)
    from_step: int  # the step it began at: a resumed lesson replays the steps before with their solutions
    answers: tuple[Answered, ...]  # questions the machine knew as answered when it began
    after: str  # digest of the machine once built
    events: tuple[Event, ...]  # what happened on it, in order


@record
class Record:
    """A student's exported record (`export_record`): every run of every lesson they did."""

    format: str  # always "hvlab-record"
    version: int  # the format's version: 1
    student: str  # the name or id the student gave with their course seed ("" when none)
    seed: int | None  # the student's seed when they exported (each run names its own)
    exported: float  # host time of the export
    engine: Engine  # the engine that exported it
    runs: tuple[Run, ...]  # every run, oldest first


# ------------------------------------------------------------------ what is recorded


@dataclass(frozen=True, slots=True)
class Recorded:
    """A command the record keeps, and what of its result the replay must find again."""

    what: str  # for the reference page
    outcome: Callable[[Any], str] = lambda result: ""


IDLE: Final = "idle"  # not a command: the run loop's slice found every guest waiting
RECORDED: Final[dict[str, Recorded]] = {
    "type": Recorded("console input typed into a VM's console (`vm`, `text`, `enter`)"),
    "mgmt_console": Recorded(
        "a command at the hypervisor's own console (`command`)", lambda r: str(r.reply)[:OUTCOME_CHARS]
    ),
    "vm_control": Recorded(
        "a VM paused, unpaused, rebooted or destroyed (`vm`, `action`)", lambda r: r.state
    ),
    "set_policy": Recorded("a policy switch set (`key`, `value`)", lambda r: json.dumps(r.value)),
    "apply_patch": Recorded("a hypercall handler replaced by the student's Python (`handler`, `source`)"),
    "revert_patch": Recorded("a handler put back (`handler`)"),
    "load_source": Recorded(
        "a program assembled and booted in a VM (`vm`, `source`, `filename`)",
        lambda r: f"{r.size} bytes" if r.ok else f"{len(r.errors)} error(s)",
    ),
    "load_rules": Recorded(
        "detection rules loaded to watch the machine (`source`)", lambda r: f"{r.rules} rule(s)"
    ),
    "measure": Recorded("what the hardening costs, measured (`calls`; the figures are the host's)"),
    "answer": Recorded(
        "an answer to a question of the step (`quiz`, `value`)",
        lambda r: "right" if r.quiz.right else "wrong",
    ),
    "hint": Recorded("the step's next hint opened"),
    "next_step": Recorded("on to the next step"),
    "reset_step": Recorded("the machine back to where the step began"),
    "reset_lesson": Recorded("the machine back to the lesson's start"),
    "evaluate": Recorded("the step's checks found holding: the step is done (`attempt`)", lambda r: "done"),
    IDLE: Recorded("the run loop found every guest waiting (`polls`: how many of its slices, in a row)"),
}


# The session's other commands, and why a replay needs no event for them (tests/test_record.py
# fails on a command in neither table: a new command is recorded, or says here why not).
_TURNING: Final = "the run loop's turning: each event's machine time says where the machine was"
UNRECORDED: Final[dict[str, str]] = {
    "open_lesson": "the lesson chosen: the run that `start` then begins names it",
    "start": "the machine built: it begins a new run (its header), not an event",
    "close": "the machine put away: the next `start` begins a new run",
    "load_progress": "progress read: a run's header says the step it began at and the answers it knew",
    "set_student": "the course seed and the name: the record's `student` and each run's `seed`",
    "advance": _TURNING,
    "play": _TURNING,
    "pause": _TURNING,
    "run": _TURNING,
    "step": _TURNING,
    "drawn": "the front end drew a frame: when its next may come (the host's pace, not the machine's)",
    "frame": "what the front end shows (a frame may evaluate the checks: `evaluate` notes a step found done)",
    "follow": "which panels the front end shows",
    "score_rules": "the loaded rules scored against the lab's own recorded runs: the machine is not touched",
    "reload": "an instructor's preview reading changed lesson files: a run made while previewing names "
    "the text it began on, and a replay on the text saved since is refused",
}


def outcome(name: str, result: Any) -> tuple[bool, str]:
    """(ok, outcome) of a recorded command's result. A refusal's words are not kept: they can
    come from the host's Python (a patch's syntax error), which may be another version."""
    if isinstance(result, Refused):
        return False, "refused"
    return True, RECORDED[name].outcome(result)


def machine_digest(
    hv: Hypervisor,
    *,
    seed: int | None,
    step: int,
    complete: bool,
    answers: dict[tuple[int, int], bool],
    outcome: str = "",
) -> str:
    """A digest of what the replay must reproduce after an event: the clock, every VM (state,
    pc, instructions, hypercalls, console, input not read yet), the trace's length, the policy
    and the patches, the step and the answers known. 16 hex digits (64 bits: a fingerprint, not
    a signature)."""
    vms = [
        [
            vm.name,
            vm.state.value,
            vm.destroyed,
            vm.cpu.pc,
            vm.cpu.instret,
            vm.hypercalls,
            vm.console_seq,
            hashlib.sha256(bytes(vm.console[-CONSOLE_TAIL:])).hexdigest(),
            # Input the guest has not read yet: a line typed while the run loop runs (the TUI's
            # engine types without settling) shows in its own event's digest, not only the next.
            hashlib.sha256(bytes(vm.uart.rx)).hexdigest(),
        ]
        for vm in hv.vms
    ]
    patches = sorted([list(p.key), hashlib.sha256(p.source.encode()).hexdigest()] for p in hv.patches)
    facts = [
        seed,
        hv.time,
        hv.trace.seq,
        step,
        complete,
        sorted([s, q, r] for (s, q), r in answers.items()),
        sorted(hv.policy.to_dict().items()),
        patches,
        vms,
        outcome,
    ]
    return hashlib.sha256(json.dumps(facts, separators=(",", ":")).encode()).hexdigest()[:16]


# ------------------------------------------------------------------ the engine, the lesson, the seed


@functools.cache
def engine() -> Engine:
    """This engine: the package's version and the digest of its code (read once, about 1 MiB)."""
    digest = hashlib.sha256()
    files = {p for pattern in ENGINE_FILES for p in ENGINE_ROOT.glob(pattern) if p.is_file()}
    for path in sorted(files):
        if "__pycache__" in path.parts:
            continue
        data = path.read_bytes()
        name = path.relative_to(ENGINE_ROOT).as_posix().encode()
        digest.update(b"%d:%s:%d:" % (len(name), name, len(data)) + data)
    try:
        version = importlib.metadata.version("hvlab")
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    return Engine(hvlab=version, code=digest.hexdigest(), python=platform.python_version())


def lesson_fingerprint(path: str | Path) -> str:
    """SHA-256 of a lesson file's text as students get it (instructor notes blanked): the same
    in a checkout (the TUI) and in the page, which is sent the file without its notes."""
    text = Path(path).read_text(encoding="utf-8")
    return hashlib.sha256(without_notes(text).encode()).hexdigest()


def normal_student(name: str) -> str:
    """A student's name or id as the seed derives from it: spaces collapsed, case folded, so
    "Alice  Smith" and "alice smith" are one student."""
    return " ".join(name.split()).casefold()


def student_seed(key: str, student: str) -> int:
    """The student's seed in a course: HMAC-SHA256 of their name or id under the course key,
    its first 4 bytes as a number (0 to 2^32 - 1). Without the key no one can say which seed
    belongs to whom, so a record made under another student's seed shows as such."""
    mac = hmac.new(key.encode(), b"hvlab-seed:" + normal_student(student).encode(), hashlib.sha256)
    return int.from_bytes(mac.digest()[:4], "big")


# ------------------------------------------------------------------ reading records


def _from_json(data: Any, cls: type, where: str) -> Any:
    problems = conformance(data, cls, where=where)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise RecordError(problems[0] + more)
    return _build(cls, data)


def _build(cls: Any, data: Any) -> Any:
    """A record from JSON data that `conformance` accepted."""
    if cls is Engine:
        return Engine(**data)
    if cls is Answered:
        return Answered(**data)
    if cls is Event:
        return Event(**{**data, "t": float(data["t"])})
    if cls is Run:
        return Run(
            **{
                **data,
                "started": float(data["started"]),
                "engine": _build(Engine, data["engine"]),
                "answers": tuple(_build(Answered, a) for a in data["answers"]),
                "events": tuple(_build(Event, e) for e in data["events"]),
            }
        )
    return Record(
        **{
            **data,
            "exported": float(data["exported"]),
            "engine": _build(Engine, data["engine"]),
            "runs": tuple(_build(Run, r) for r in data["runs"]),
        }
    )


def _seed_problem(seed: Any) -> str:
    if seed is not None and not 0 <= seed < SEEDS:
        return f"a seed is from 0 to {SEEDS - 1}, not {shown(seed)}"
    return ""


def record_from_dict(data: Any) -> Record:
    """A Record from an exported file's JSON data; RecordError names the first rule it breaks."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise RecordError(f"not an hvlab record (expected an object with format {FORMAT!r})")
    if data.get("version") != VERSION:
        raise RecordError(
            f"an hvlab record of version {shown(data.get('version'))}; this hvlab reads version {VERSION}"
        )
    rec: Record = _from_json(data, Record, "record")
    for n, run in enumerate(rec.runs, 1):
        problem = _seed_problem(run.seed) or next(
            (f"event {k}: time {e.time} is negative" for k, e in enumerate(run.events, 1) if e.time < 0), ""
        )
        if problem:
            raise RecordError(f"run {n}: {problem}")
    if problem := _seed_problem(rec.seed):
        raise RecordError(problem)
    return rec


def read_record(path: str | Path) -> Record:
    """The record in a file (an export); RecordError says why it is not one, naming the file."""
    try:
        data = parse_json(read_text(path, limit=MAX_RECORD_BYTES), path=path)
    except FileNotFoundError:
        raise RecordError(f"{path}: no such file") from None
    except FileFormatError as exc:
        raise RecordError(str(exc)) from None
    try:
        return record_from_dict(data)
    except RecordError as exc:
        raise RecordError(f"{path}: {exc}") from None


# ------------------------------------------------------------------ the journal


class Journal:
    """The student's record as it grows: one JSON object a line, `{"run": ...}` (a header,
    without its events) or `{"event": ...}` (for the last run begun), after a first line
    naming the format. Kept in memory (`lines`), appended to a file when it has one (the
    TUI's), and read by the web bridge from `lines` (the page keeps them in localStorage).
    Idle polls at one machine time make one `idle` event, written when something else
    happens (or at `flush`).

    One process writes a journal's file: the TUI's lesson engine (tui.engine). The picker's
    session, in the app's process, reads it with `append=False` (it writes nothing, not even
    the format line of a new file) and `reread`s it when a lesson's engine has ended."""

    def __init__(self, path: str | Path | None = None, *, append: bool = True) -> None:
        self.path = Path(path) if path else None
        self.append = append  # write new entries to the file (False: only read it)
        self.lines: list[str] = []  # every entry, as JSON text (the first: the format line)
        self.problem = ""  # why (some of) the journal could not be read ("" when it could)
        self._idle: Event | None = None  # idle polls not written yet
        if self.path is not None:
            self._read_file(self.path)
        if not self.lines:
            self._add({"format": JOURNAL, "version": VERSION})

    def reread(self) -> None:
        """The file's entries as they are now (a reader's: what the writer added since); a
        journal without a file keeps its own."""
        if self.path is None:
            return
        self.lines, self.problem, self._idle = [], "", None
        self._read_file(self.path)
        if not self.lines:
            self._add({"format": JOURNAL, "version": VERSION})

    @classmethod
    def from_text(cls, text: str | None) -> Journal:
        """A journal from its text (the page's localStorage copy); unreadable lines are skipped."""
        journal = cls()
        if text:
            journal.lines = []
            journal._read_lines(text.splitlines(), "the saved record")
            if not journal.lines:
                journal._add({"format": JOURNAL, "version": VERSION})
        return journal

    def _read_file(self, path: Path) -> None:
        try:
            text = read_text(path, limit=MAX_RECORD_BYTES)
        except FileNotFoundError:
            return
        except FileFormatError as exc:
            self.problem = f"{exc}; the record is not kept this session"
            self.path = None  # never append to what cannot be read
            return
        self._read_lines(text.splitlines(), str(path))

    def _read_lines(self, lines: Iterable[str], where: str) -> None:
        bad = 0
        for line in lines:
            if not line.strip():
                continue
            try:
                entry = parse_json(line, path=where)
            except FileFormatError:
                entry = None
            if not self.lines and not (isinstance(entry, dict) and entry.get("format") == JOURNAL):
                self.problem = f"{where} is not an hvlab journal; the record is not kept this session"
                self.lines, self.path = [], None
                return
            if isinstance(entry, dict) and len(entry) >= 1:
                self.lines.append(line)
            else:
                bad += 1  # a line cut short (the machine went down mid-write)
        if bad:
            self.problem = f"{where}: {bad} line(s) could not be read and were left out"

    def _add(self, entry: dict[str, Any]) -> None:
        line = json.dumps(entry, separators=(",", ":"), ensure_ascii=False)
        self.lines.append(line)
        if self.path is not None and self.append:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a", encoding="utf-8") as f:
                    f.write(line + "\n")
            except OSError as exc:
                why = exc.strerror or exc
                self.problem = f"cannot write {self.path}: {why}; the record is kept in memory only"
                self.path = None

    def text(self) -> str:
        """The journal's text, as the file holds it."""
        return "".join(line + "\n" for line in self.lines)

    # -- what the session notes

    def begin(self, run: Run) -> None:
        """A new machine: the events after this are its own."""
        self.flush()
        header = to_json(run)
        del header["events"]
        self._add({"run": header})

    def note(self, event: Event) -> None:
        self.flush()
        self._add({"event": to_json(event)})

    def idle(self, event: Event) -> None:
        """The run loop's slice ended with every guest waiting (or stopped) at `event.time`:
        counted with the polls before it at the same time, written when something else happens."""
        pending = self._idle
        if pending is not None and pending.time == event.time and pending.step == event.step:
            event = replace(event, t=pending.t, args={"polls": pending.args["polls"] + 1})
        else:
            self.flush()
            event = replace(event, args={"polls": 1})
        self._idle = event

    def flush(self) -> None:
        """Write idle polls not written yet."""
        if self._idle is not None:
            pending, self._idle = self._idle, None
            self._add({"event": to_json(pending)})

    # -- the export

    def runs(self) -> list[Run]:
        """Every run with its events, oldest first (entries that do not fit are left out)."""
        self.flush()
        runs: list[Run] = []
        events: list[Event] = []

        def close() -> None:
            if runs:
                runs[-1] = replace(runs[-1], events=tuple(events))

        for line in self.lines:
            entry = json.loads(line)
            try:
                if "run" in entry:
                    close()
                    events = []
                    runs.append(_from_json({**entry["run"], "events": []}, Run, "run"))
                elif "event" in entry and runs:
                    events.append(_from_json(entry["event"], Event, "event"))
            except RecordError:
                continue  # written by another version of the journal: not part of this record
        close()
        return runs

    def document(self, *, student: str, seed: int | None, exported: float) -> Record:
        """The record to export: every run, with who the student says they are."""
        return Record(
            format=FORMAT,
            version=VERSION,
            student=student,
            seed=seed,
            exported=exported,
            engine=engine(),
            runs=tuple(self.runs()),
        )


def record_text(rec: Record) -> str:
    """A record as the exported file's text (JSON, UTF-8)."""
    return json.dumps(to_json(rec), indent=1, ensure_ascii=False) + "\n"
