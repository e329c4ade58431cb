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

Directive blocks are fenced code blocks whose info string is `check`,
`legit`, `hint`, `solution` or `harden`, found in markdown-it-py's token
stream, so a fence inside a list or quote counts and `~~~` works too; any
other fence is ordinary code. Each line of check/legit/solution/harden is
one registered predicate or action (lab.lesson.registry). Prose renders to
HTML with raw HTML escaped, never passed through.

Every mistake is a `LessonError` whose message is `file:line: what was expected`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from markdown_it import MarkdownIt
from markdown_it.token import Token

from lab.files import FileFormatError, parse_toml, read_text, shown, text_shown
from lab.lesson.model import Call, Lesson, LessonError, Step
from lab.lesson.registry import EntryKind, Where, parse_call
from lab.scenario import ScenarioError, read_scenario, scenario_file

FENCE: Final = "+++"
LANGS: Final = ("en", "de")
BLOCKS: Final[dict[str, EntryKind | None]] = {
    "check": EntryKind.PREDICATE,
    "legit": EntryKind.PREDICATE,
    "solution": EntryKind.ACTION,
    "harden": EntryKind.ACTION,
    "hint": None,
}
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
}
ID_RE: Final = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


def markdown() -> MarkdownIt:
    """The renderer every front end uses: CommonMark, raw HTML escaped."""
    return MarkdownIt("commonmark", {"html": False})


def render(text: str) -> str:
    return markdown().render(text)


# Parsed lessons by (path, text), with the bytes of the scenario each was read against:
# the picker, a reopened lesson and the web lab's warm start (its memory snapshot holds
# them) parse a file once. Changed text, or a changed scenario, parses it afresh.
_PARSED: dict[tuple[str, str], tuple[Lesson, bytes]] = {}


def parse_lesson(path: str | Path) -> Lesson:
    """The lesson in `path` (treat it as read-only: the same text gives the same object)."""
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
    meta, body, body_line = _front_matter(path, text)
    lesson = _lesson(path, text, meta)
    _body(lesson, body, body_line)
    _PARSED[key] = (lesson, _bytes(lesson.scenario))
    return lesson


def _bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""  # gone: the next parse says so


def _front_matter(path: Path, text: str) -> tuple[dict[str, Any], str, int]:
    """(the TOML table, the Markdown body, the 1-based line the body starts on)."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != FENCE:
        raise LessonError(path, 1, f"expected the front matter to open with a line {FENCE}")
    for i in range(1, len(lines)):
        if lines[i].strip() == FENCE:
            break
    else:
        raise LessonError(
            path, 1, f"front matter opened with {FENCE} but never closed by another {FENCE} line"
        )
    try:
        meta = parse_toml("".join(lines[1:i]), path=path, first_line=2)
    except FileFormatError as exc:
        raise LessonError(path, exc.line or 1, f"front matter {exc.rule}") from None
    return meta, "".join(lines[i + 1 :]), i + 2


def _key_line(text: str, key: str) -> int:
    """The line a front matter key is on (for errors), else 1."""
    for n, line in enumerate(text.splitlines(), 1):
        if line.strip() == FENCE and n > 1:
            break
        if re.match(rf"\s*{re.escape(key)}\s*=", line):
            return n
    return 1


def _lesson(path: Path, text: str, meta: dict[str, Any]) -> Lesson:
    for key, value in meta.items():
        if key not in FRONT_MATTER:
            raise LessonError(
                path,
                _key_line(text, key),
                f"unknown front matter key {text_shown(key)}; expected {', '.join(FRONT_MATTER)}",
            )
        spec = FRONT_MATTER[key]
        if not isinstance(value, spec.kind) or isinstance(value, bool):
            raise LessonError(
                path, _key_line(text, key), f"{key} must be {spec.words} ({spec.meaning}), not {shown(value)}"
            )
    for key, spec in FRONT_MATTER.items():
        if spec.required and key not in meta:
            raise LessonError(path, 1, f"front matter lacks {key} = ... ({spec.meaning})")
    if not ID_RE.fullmatch(meta["id"]):
        raise LessonError(
            path,
            _key_line(text, "id"),
            f"id must be 1 to 64 lower-case letters, digits and -, not {shown(meta['id'])}",
        )
    if meta["lang"] not in LANGS:
        raise LessonError(
            path, _key_line(text, "lang"), f"lang must be {' or '.join(LANGS)}, not {shown(meta['lang'])}"
        )
    if not 1 <= meta["minutes"] <= MAX_MINUTES:
        raise LessonError(
            path,
            _key_line(text, "minutes"),
            f"minutes must be {FRONT_MATTER['minutes'].words}, not {meta['minutes']}",
        )
    requires = meta.get("requires", [])
    bad = next((r for r in requires if not isinstance(r, str) or not ID_RE.fullmatch(r)), None)
    if bad is not None:
        raise LessonError(
            path,
            _key_line(text, "requires"),
            f"requires must be an array of lesson ids, not one holding {shown(bad)}",
        )
    scenario = _scenario_path(path, text, meta["scenario"])
    return Lesson(
        path=path,
        id=meta["id"],
        title=meta["title"],
        scenario=scenario,
        lang=meta["lang"],
        summary=meta["summary"],
        minutes=meta["minutes"],
        requires=list(requires),
        incident=meta.get("incident", ""),
        **_scenario_facts(path, text, scenario),
    )


def _scenario_path(path: Path, text: str, name: str) -> Path:
    """The scenario the front matter names: a course scenario by id (`api`: lab/scenarios/api.toml),
    or an instructor's own file by path, relative to the lesson (`my-scenario.toml`); it must exist."""
    try:
        scenario = scenario_file(name, relative_to=path.parent)
    except ScenarioError as exc:
        raise LessonError(path, _key_line(text, "scenario"), exc.rule) from None
    return scenario


def _scenario_facts(path: Path, text: str, scenario: Path) -> dict[str, Any]:
    """What the lesson needs of its scenario, read and checked (lab.scenario.read_scenario)
    without building anything: the VM names (checks name VMs), the management password (the
    prose's `{password}`), the VMs' secrets and which VMs have a variant word (`{secret:VM}`,
    `{variant:VM}`: lab.lesson.variants)."""
    try:
        spec = read_scenario(scenario)
    except ScenarioError as exc:
        raise LessonError(path, _key_line(text, "scenario"), f"scenario {exc}") from None
    return {
        "vm_names": spec.vm_names,
        "mgmt_password": spec.mgmt_password,
        "secrets": {vm.name: vm.secret.decode() for vm in spec.vms if vm.secret},
        "variant_vms": [vm.name for vm in spec.vms if vm.variant_at is not None],
    }


def _body(lesson: Lesson, body: str, first_line: int) -> None:
    md = markdown()
    tokens = md.parse(body)
    source = body.splitlines(keepends=True)
    prose: list[list[Token]] = [[]]  # the intro, then one list per step
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
            if not lesson.steps:
                raise LessonError(
                    lesson.path, line, f"a {info} block must sit inside a step (after a ## heading)"
                )
            _directive(lesson, lesson.steps[-1], info, tok.content, line + 1)
        else:
            prose[-1].append(tok)
        i += 1
    if not lesson.steps:
        raise LessonError(lesson.path, first_line, "a lesson needs at least one step: a ## heading")
    lesson.intro_html = md.renderer.render(prose[0], md.options, {})
    intro_end = lesson.steps[0].line - first_line
    lesson.intro_markdown = _strip_directives("".join(source[:intro_end]))
    for n, step in enumerate(lesson.steps):
        step.html = md.renderer.render(prose[n + 1], md.options, {})
        end = lesson.steps[n + 1].line - first_line if n + 1 < len(lesson.steps) else len(source)
        step.markdown = _strip_directives("".join(source[step.line - first_line + 1 : end]))
        if not step.all_checks:
            raise LessonError(
                lesson.path,
                step.line,
                f"step {text_shown(step.title)} has no check: add a ```check block with a predicate",
            )


_DIRECTIVE_FENCE: Final = re.compile(
    r"^(```|~~~)\s*(check|legit|hint|solution|harden)\b.*?^\1\s*$\n?", re.S | re.M
)


def _strip_directives(text: str) -> str:
    """Step prose for a Markdown widget: directive blocks removed."""
    return _DIRECTIVE_FENCE.sub("", text).strip()


def _directive(lesson: Lesson, step: Step, info: str, content: str, first_line: int) -> None:
    if info == "hint":
        if not content.strip():
            raise LessonError(lesson.path, first_line - 1, "an empty hint block: write the hint inside it")
        step.hints.append(content.strip())
        return
    target: list[Call] = getattr(step, "checks" if info == "check" else info)
    kind = BLOCKS[info]
    assert kind is not None
    for n, raw in enumerate(content.splitlines()):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        where = Where(lesson.path, first_line + n, lesson.vm_names, lesson.directory)
        target.append(parse_call(text, where, kind))


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
