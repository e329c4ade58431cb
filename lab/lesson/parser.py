"""Reading a lesson file: TOML front matter, `##` steps, directive blocks.

    +++
    id = "control-api"
    title = "The control API"
    scenario = "api"                    # a course scenario by id, or a path relative to the lesson
    lang = "en"
    summary = "A tenant uses the admin's API."
    minutes = 20
    requires = ["hypercalls"]
    incident = "CVE-2009-3290"
    +++
    Introduction (Markdown).

    ## Peek at the bank
    Prose ...
    ```check
    secret_leaked tenant from=bank
    ```

Directive blocks are fenced code blocks whose info string is a DIRECTIVES
kind (`check`, `legit`, `hint`, `solution`, `harden`, `quiz`, `predict`,
`note`), found in markdown-it-py's token stream, so a fence inside a list or
quote counts and `~~~` works too. A fence with no info string, or one naming a
CODE_LANGUAGES language, is ordinary code; any other info string is a mistake
(a misspelt `hnit` must not show up as code). Each line of
check/legit/solution/harden is one registered predicate or action
(lab.lesson.registry); quiz and predict blocks are read by lab.lesson.quiz.
Prose renders to HTML with raw HTML escaped, never passed through. `note`
blocks are for instructors: kept in `Step.notes`, never in the prose.

The parser goes on after a mistake, so one run names every problem of a file:
a `LessonError` holding each as `file:line: what was expected`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from markdown_it import MarkdownIt
from markdown_it.token import Token

from lab.files import FileFormatError, parse_toml, read_text, shown, text_shown
from lab.lesson.model import Call, Lesson, LessonError, Problem, QuizKind, Step, did_you_mean
from lab.lesson.quiz import choice_numbers, read_quiz
from lab.lesson.registry import EntryKind, Where, parse_call
from lab.scenario import ScenarioError, read_scenario, scenario_file

FENCE: Final = "+++"
LANGS: Final = ("en", "de")
# The directive blocks: predicates or actions one a line, or Markdown (None).
BLOCKS: Final[dict[str, EntryKind | None]] = {
    "check": EntryKind.PREDICATE,
    "legit": EntryKind.PREDICATE,
    "solution": EntryKind.ACTION,
    "harden": EntryKind.ACTION,
    "hint": None,
    "quiz": None,
    "predict": None,
    "note": None,
}
DIRECTIVES: Final = tuple(BLOCKS)
# Info strings of ordinary code fences, shown as code; any other word is reported.
CODE_LANGUAGES: Final = (
    "asm",
    "c",
    "console",
    "diff",
    "json",
    "markdown",
    "md",
    "python",
    "py",
    "riscv",
    "s",
    "sh",
    "shell",
    "text",
    "toml",
)
MAX_MINUTES: Final = 600


@dataclass(frozen=True, slots=True)
class FrontMatterKey:
    """One key of the front matter: its type (in words), whether required, what it is."""

    kind: type
    words: str  # the type as messages say it
    required: bool
    meaning: str


FRONT_MATTER: Final[dict[str, FrontMatterKey]] = {
    "id": FrontMatterKey(str, "a string", True, "the lesson's id, the same in every language"),
    "title": FrontMatterKey(str, "a string", True, "the title"),
    "scenario": FrontMatterKey(
        str, "a string", True, "a course scenario by id (`api`), or a scenario file relative to the lesson"
    ),
    "lang": FrontMatterKey(str, "a string", True, "en or de"),
    "summary": FrontMatterKey(str, "a string", True, "one sentence for the lesson picker"),
    "minutes": FrontMatterKey(
        int, f"an integer from 1 to {MAX_MINUTES}", True, "how long it takes a student, in minutes"
    ),
    "requires": FrontMatterKey(list, "an array of lesson ids", False, "ids of the lessons to do first"),
    "incident": FrontMatterKey(str, "a string", False, "the real incident the lesson mirrors"),
    "program": FrontMatterKey(
        str,
        "a string",
        False,
        "a guest program (.S, next to the lesson) the editor opens with: one the student finishes",
    ),
}
ID_RE: Final = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


def markdown() -> MarkdownIt:
    """The renderer every front end uses: CommonMark, raw HTML escaped."""
    return MarkdownIt("commonmark", {"html": False})


def render(text: str) -> str:
    return markdown().render(text)


def render_inline(text: str) -> str:
    """One paragraph's worth of Markdown as HTML for inside an element (no <p>), raw HTML escaped."""
    return markdown().renderInline(text)


# Parsed lessons by (path, text), with the bytes of the scenario each was read against:
# the picker, a reopened lesson and the web lab's warm start (its memory snapshot holds
# them) parse a file once. Changed text, or a changed scenario, parses it afresh.
_PARSED: dict[tuple[str, str], tuple[Lesson, bytes]] = {}


def parse_lesson(path: str | Path) -> Lesson:
    """The lesson in `path` (treat it as read-only: the same text gives the same object).
    LessonError: every problem the file has, each at its line."""
    path = Path(path)
    try:
        text = read_text(path)
    except FileNotFoundError:
        raise LessonError(path, None, "cannot read: No such file or directory") from None
    except FileFormatError as exc:
        raise LessonError(path, exc.line, exc.rule) from None
    key = (str(path.resolve()), text)
    cached = _PARSED.get(key)
    if cached is not None and _bytes(cached[0].scenario) == cached[1]:
        return cached[0]
    reader = _Reader(path, text)
    lesson = reader.read()
    if reader.problems:
        raise LessonError.of(reader.problems)
    _PARSED[key] = (lesson, _bytes(lesson.scenario))
    return lesson


def _bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""  # gone: the next parse says so


class _Reader:
    """One file's reading: the lesson so far, and every problem met on the way."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text
        self.problems: list[Problem] = []
        self.unchecked_vms = False  # the scenario could not be read: VM names are not checked
        self.quiz_blocks: dict[int, int] = {}  # step index -> quiz and predict blocks met, broken ones too
        self.broken_quiz: set[int] = set()  # steps with a quiz block that did not parse
        self.kinds: dict[int, set[str]] = {}  # step index -> the kinds of block it has (broken ones too)

    def problem(self, line: int | None, message: str) -> None:
        self.problems.append(Problem(str(self.path), line, message))

    def read(self) -> Lesson:
        front = self._front_matter()
        if front is None:
            return Lesson(self.path, "", "", self.path, "en", "", 1, [], "", [])
        meta, body, body_line = front
        lesson = self._lesson(meta)
        self._body(lesson, body, body_line)
        return lesson

    # -- front matter

    def _front_matter(self) -> tuple[dict[str, Any], str, int] | None:
        """(the TOML table, the Markdown body, the 1-based line the body starts on); None when
        there is no front matter at all (nothing else can be read)."""
        lines = self.text.splitlines(keepends=True)
        if not lines or lines[0].strip() != FENCE:
            self.problem(1, f"expected the front matter to open with a line {FENCE}")
            return None
        for i in range(1, len(lines)):
            if lines[i].strip() == FENCE:
                break
        else:
            self.problem(1, f"front matter opened with {FENCE} but never closed by another {FENCE} line")
            return None
        try:
            meta = parse_toml("".join(lines[1:i]), path=self.path, first_line=2)
        except FileFormatError as exc:
            self.problem(exc.line or 1, f"front matter {exc.rule}")
            meta = {}
            self.unchecked_vms = True
        return meta, "".join(lines[i + 1 :]), i + 2

    def _key_line(self, key: str) -> int:
        """The line a front matter key is on (for errors), else 1."""
        for n, line in enumerate(self.text.splitlines(), 1):
            if line.strip() == FENCE and n > 1:
                break
            if re.match(rf"\s*(?:{re.escape(key)}\s*=|\[+\s*{re.escape(key)}\b)", line):
                return n
        return 1

    def _lesson(self, meta: dict[str, Any]) -> Lesson:
        """The lesson's front matter checked; a key in error counts as absent from then on."""
        good: dict[str, Any] = {}
        for key, value in meta.items():
            if key not in FRONT_MATTER:
                hint = did_you_mean(key, FRONT_MATTER) or f"; expected {', '.join(FRONT_MATTER)}"
                self.problem(self._key_line(key), f"unknown front matter key {text_shown(key)}{hint}")
                continue
            spec = FRONT_MATTER[key]
            if not isinstance(value, spec.kind) or isinstance(value, bool):
                self.problem(
                    self._key_line(key), f"{key} must be {spec.words} ({spec.meaning}), not {shown(value)}"
                )
                continue
            good[key] = value
        if meta or not self.unchecked_vms:  # (TOML that did not parse: its keys are unknown)
            for key, spec in FRONT_MATTER.items():
                if spec.required and key not in meta:
                    self.problem(1, f"front matter lacks {key} = ... ({spec.meaning})")
        if "id" in good and not ID_RE.fullmatch(good["id"]):
            self.problem(
                self._key_line("id"),
                f"id must be 1 to 64 lower-case letters, digits and -, not {shown(good['id'])}",
            )
        if "lang" in good and good["lang"] not in LANGS:
            hint = did_you_mean(good["lang"], LANGS) or f", not {shown(good['lang'])}"
            self.problem(self._key_line("lang"), f"lang must be {' or '.join(LANGS)}{hint}")
            del good["lang"]
        if "minutes" in good and not 1 <= good["minutes"] <= MAX_MINUTES:
            self.problem(
                self._key_line("minutes"),
                f"minutes must be {FRONT_MATTER['minutes'].words}, not {good['minutes']}",
            )
        requires = good.get("requires", [])
        bad = next((r for r in requires if not isinstance(r, str) or not ID_RE.fullmatch(r)), None)
        if bad is not None:
            self.problem(
                self._key_line("requires"),
                f"requires must be an array of lesson ids, not one holding {shown(bad)}",
            )
            requires = []
        scenario, facts = self._scenario(good.get("scenario"))
        program = ""
        if "program" in good:
            try:
                program = read_text(self.path.parent / good["program"])
            except (OSError, FileFormatError) as exc:
                why = exc.rule if isinstance(exc, FileFormatError) else (exc.strerror or str(exc))
                self.problem(self._key_line("program"), f"program {text_shown(good['program'])}: {why}")
                del good["program"]
        return Lesson(
            path=self.path,
            id=good.get("id", ""),
            title=good.get("title", ""),
            scenario=scenario,
            lang=good.get("lang", "en"),
            summary=good.get("summary", ""),
            minutes=good.get("minutes", 1),
            requires=list(requires),
            incident=good.get("incident", ""),
            program_name=good.get("program", ""),
            program=program,
            **facts,
        )

    def _scenario(self, name: str | None) -> tuple[Path, dict[str, Any]]:
        """The scenario the front matter names (a course scenario by id, `api`:
        lab/scenarios/api.toml, or an instructor's own file, relative to the lesson) and what
        the lesson needs of it, read and checked (lab.scenario.read_scenario) without building
        anything: the VM names (checks name VMs), the management password (`{password}`), the
        VMs' secrets and which VMs have a variant word (`{secret:VM}`, `{variant:VM}`:
        lab.lesson.variants)."""
        facts: dict[str, Any] = {"vm_names": [], "mgmt_password": None}
        if name is None:
            self.unchecked_vms = True
            return self.path, facts
        try:
            scenario = scenario_file(name, relative_to=self.path.parent)
        except ScenarioError as exc:
            self.problem(self._key_line("scenario"), exc.rule)
            self.unchecked_vms = True
            return self.path, facts
        try:
            spec = read_scenario(scenario)
        except ScenarioError as exc:
            self.problem(self._key_line("scenario"), f"scenario {exc}")
            self.unchecked_vms = True
            return scenario, facts
        return scenario, {
            "vm_names": spec.vm_names,
            "mgmt_password": spec.mgmt_password,
            "secrets": {vm.name: vm.secret.decode() for vm in spec.vms if vm.secret},
            "variant_vms": [vm.name for vm in spec.vms if vm.variant_at is not None],
        }

    # -- the body

    def _body(self, lesson: Lesson, body: str, first_line: int) -> None:
        md = markdown()
        tokens = md.parse(body)
        source = body.splitlines(keepends=True)
        prose: list[list[Token]] = [[]]  # the intro, then one list per step
        hidden: set[int] = set()  # body lines (0-based) of directive blocks: not prose
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            line = first_line + (tok.map[0] if tok.map else 0)
            if tok.type == "heading_open" and tok.tag == "h2":
                lesson.steps.append(Step(len(lesson.steps), tokens[i + 1].content.strip(), line))
                prose.append([])
                i += 3  # heading_open, inline, heading_close
                continue
            info = tok.info.strip().split(maxsplit=1)[0] if tok.type == "fence" and tok.info.strip() else ""
            if info in BLOCKS:
                assert tok.map is not None
                hidden.update(range(*tok.map))
                self._directive(lesson, info, tok.content, line)
            else:
                if info and info.lower() not in CODE_LANGUAGES:
                    hint = did_you_mean(info, DIRECTIVES) or did_you_mean(info.lower(), CODE_LANGUAGES)
                    self.problem(
                        line,
                        f"unknown block kind {text_shown(info)}{hint} (directives: {', '.join(DIRECTIVES)}; "
                        f"code: {', '.join(CODE_LANGUAGES)})",
                    )
                prose[-1].append(tok)
            i += 1
        if not lesson.steps:
            self.problem(first_line, "a lesson needs at least one step: a ## heading")
            return
        lesson.intro_html = md.renderer.render(prose[0], md.options, {})
        intro_end = lesson.steps[0].line - first_line
        lesson.intro_markdown = _shown_lines(source, 0, intro_end, hidden)
        for n, step in enumerate(lesson.steps):
            step.html = md.renderer.render(prose[n + 1], md.options, {})
            start = step.line - first_line
            end = lesson.steps[n + 1].line - first_line if n + 1 < len(lesson.steps) else len(source)
            step.markdown = _shown_lines(source, start + 1, end, hidden)
            step.prose = [
                (first_line + k, source[k].rstrip("\n")) for k in range(start, end) if k not in hidden
            ]
            self._finish_step(lesson, step)

    def _directive(self, lesson: Lesson, info: str, content: str, line: int) -> None:
        """One directive block, opening at `line`; its content starts on the next line."""
        if not lesson.steps:
            if info == "note":
                lesson.notes.append(content.strip())
            else:
                self.problem(line, f"a {info} block must sit inside a step (after a ## heading)")
            return
        step = lesson.steps[-1]
        self.kinds.setdefault(step.index, set()).add(info)
        if info in ("hint", "note"):
            if not content.strip():
                self.problem(line, f"an empty {info} block: write the {info} inside it")
                return
            (step.hints if info == "hint" else step.notes).append(content.strip())
            return
        if info in ("quiz", "predict"):
            number = self.quiz_blocks[step.index] = self.quiz_blocks.get(step.index, 0) + 1
            quiz, problems = read_quiz(
                QuizKind(info), content, number=number, path=str(self.path), line=line, render=render
            )
            self.problems += problems
            if quiz is not None:
                step.quizzes.append(quiz)
            else:
                self.broken_quiz.add(step.index)
            return
        target: list[Call] = getattr(step, "checks" if info == "check" else info)
        kind = BLOCKS[info]
        assert kind is not None
        for n, raw in enumerate(content.splitlines()):
            text = raw.strip()
            if not text or text.startswith("#"):
                continue
            where = Where(
                lesson.path, line + 1 + n, lesson.vm_names, lesson.directory, unchecked=self.unchecked_vms
            )
            try:
                target.append(parse_call(text, where, kind))
            except LessonError as exc:
                self.problems += exc.problems

    def _finish_step(self, lesson: Lesson, step: Step) -> None:
        """What needs the whole step: a check or a quiz, `answer` naming a quiz that exists."""
        broken = step.index in self.broken_quiz
        if not self.kinds.get(step.index, set()) & {"check", "legit", "quiz", "predict"}:
            self.problem(
                step.line,
                f"step {text_shown(step.title)} has no check: add a ```check block with a predicate "
                "(or, for the closing reflection, ```quiz blocks)",
            )
        for call in step.harden:
            if call.name == "answer":
                self.problem(call.line, "answer belongs in a solution block, not in harden")
        if broken:
            return  # the numbers `answer` uses would be off by the broken block, said already
        for call in step.solution:
            if call.name != "answer":
                continue
            n = call.args["n"]
            if not 1 <= n <= len(step.quizzes):
                self.problem(
                    call.line,
                    f"answer {n}: step {text_shown(step.title)} has {len(step.quizzes)} quiz or predict "
                    "block(s), counted from 1",
                )
                continue
            quiz = step.quizzes[n - 1]
            if quiz.choices and choice_numbers(call.args["text"], len(quiz.choices)) is None:
                self.problem(
                    call.line,
                    f"answer {n}: {text_shown(call.args['text'])} is not a choice: give choice numbers "
                    f"from 1 to {len(quiz.choices)} (several as 1,3)",
                )


def _shown_lines(source: list[str], start: int, end: int, hidden: set[int]) -> str:
    """Body lines start..end without the directive blocks: prose for a Markdown widget."""
    return "".join(source[k] for k in range(start, end) if k not in hidden).strip()


def without_notes(text: str) -> str:
    """A lesson file's text with its `note` blocks blanked out (each line kept, empty, so line
    numbers stay true): what is sent to a student's browser."""
    tokens = markdown().parse(text)
    lines = text.splitlines(keepends=True)
    for tok in tokens:
        if tok.type == "fence" and tok.info.strip().split(maxsplit=1)[:1] == ["note"] and tok.map:
            for k in range(*tok.map):
                lines[k] = "\n" if lines[k].endswith("\n") else ""
    return "".join(lines)


def find_lessons(paths: list[str | Path]) -> list[Path]:
    """The lesson files among `paths` (a directory means every *.md under it with front matter)."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found += [f for f in sorted(p.rglob("*.md")) if _opens_front_matter(f)]
        else:
            found.append(p)
    return found


def _opens_front_matter(path: Path) -> bool:
    """Does the file's first line say `+++`? (Its bytes: a lesson that is not UTF-8 is
    still found, so that parse_lesson can say what is wrong with it.)"""
    try:
        with open(path, "rb") as f:
            first = f.readline(64)
    except OSError:
        return False
    return first.removeprefix(b"\xef\xbb\xbf").strip() == FENCE.encode()


def load_lessons(directory: str | Path) -> list[Lesson]:
    return [parse_lesson(p) for p in find_lessons([directory])]
