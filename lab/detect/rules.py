"""Detection rules: a TOML file of rules, read, checked and compiled.

A rule watches one source (lab.detect.fields) and says, as a Sigma rule does, which
observations are suspicious: named *selections* of field values and a *condition*
over them (lab.detect.match). A rule may also *count*, as a Sigma correlation or an
Elastic threshold rule does: it fires when enough matching observations fall within a
window of time (time is instructions retired), counted separately for each value of
the `by` fields.

    [[rule]]
    id = "control-api-by-tenant"
    title = "A VM that is not the control domain calls the privileged control API"
    source = "hypercall"
    level = "high"
    output = "{vm} called {fn} on {target}"

    [rule.detection]
    condition = "privileged and not admin"
    privileged = { ext = "VMCTL", privileged = true }
    admin = { control = true }

    [[rule]]
    id = "login-guessing"
    title = "Failed management logins, many, from one source"
    source = "frame"
    [rule.detection]
    condition = "reply"
    reply = { "udp.srcport" = 6230, "udp.payload|startswith" = "ERR bad credentials" }
    [rule.count]
    at_least = 5            # matching observations ...
    within = 2_000_000      # ... within this many instructions
    by = ["ip.dst"]         # ... for the same value of these fields

    rules = parse_rules(text, path="rules.toml")   # a RuleSet, or RuleError with every problem

`KEYS` is the format as a table (each key, whether it is required, what it holds): the
parser checks against it and the docs' reference page is written from it. A problem
is reported at its line (`rules.toml:14: ...`) with a did-you-mean for a misspelt key
or field, and every problem of a file is reported at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

from lab.detect.fields import Source
from lab.detect.match import (
    Matcher,
    MatchError,
    condition_matcher,
    did_you_mean,
    known_field,
    selection_matcher,
)
from lab.files import FileFormatError, parse_toml

MAX_RULES: Final = 100
MAX_SELECTIONS: Final = 20
MAX_TEXT: Final = 300  # characters of a title, description or output
MAX_WINDOW: Final = 10**10  # instructions: some ten minutes of guest time at the fastest
MAX_COUNT: Final = 1_000_000
ID_PATTERN: Final = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
OUTPUT_FIELD: Final = re.compile(r"\{([A-Za-z0-9_.]+)\}")
OUTPUT_EXTRA: Final = frozenset(("count",))  # {count}: a counting rule's matches in its window


class Level(StrEnum):
    """How serious a detection is (Sigma's levels)."""

    INFORMATIONAL = "informational"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


@dataclass(frozen=True, slots=True)
class Key:
    """One key of the format: where it goes, whether it must be there, what it holds."""

    table: str  # "rule", "rule.detection" or "rule.count"
    name: str
    required: bool
    meaning: str
    example: str


KEYS: Final[tuple[Key, ...]] = (
    Key(
        "rule",
        "id",
        True,
        "a short name, unique in the file: lower-case letters, digits, - and _",
        '"control-api-by-tenant"',
    ),
    Key(
        "rule",
        "title",
        True,
        "what it detects, in a sentence (the detections panel shows it)",
        '"A tenant calls the control API"',
    ),
    Key("rule", "source", True, "what it watches: hypercall, event or frame", '"hypercall"'),
    Key("rule", "level", False, "informational, low, medium (the default), high or critical", '"high"'),
    Key(
        "rule",
        "description",
        False,
        "more words for people: why it matters, what may set it off wrongly",
        '"..."',
    ),
    Key(
        "rule",
        "output",
        False,
        "the detection's line, with {field} filled in from what it matched and "
        "{count} with a counting rule's count (default: the observation's own line)",
        '"{vm} peeked at {target}"',
    ),
    Key("rule", "enabled", False, "false: the rule is read and checked but never fires", "true"),
    Key("rule", "detection", True, "the selections and the condition (below)", ""),
    Key("rule", "count", False, "count matches over a window instead of firing on each (below)", ""),
    Key(
        "rule.detection",
        "condition",
        True,
        "which selections must match: `sel and not filter`, "
        "`1 of leak_*`, `all of them`, or a field comparison `fn in (peek, poke)`",
        '"sel and not admin"',
    ),
    Key(
        "rule.detection",
        "NAME",
        False,
        "a selection: a table of fields (every one must match), or a list of such tables (any one)",
        '{ ext = "VMCTL", privileged = true }',
    ),
    Key("rule.count", "at_least", True, "fire when this many matches fall within the window", "5"),
    Key("rule.count", "within", True, "the window, in instructions retired", "1_000_000"),
    Key(
        "rule.count",
        "by",
        False,
        "count separately for each value of these fields (Sigma's group-by)",
        '["ip.src"]',
    ),
    Key(
        "rule.count",
        "distinct",
        False,
        "count different values of this field instead of matches "
        "(Sigma's value_count: a scan touches many ports)",
        '"udp.dstport"',
    ),
)


@dataclass(slots=True)
class Problem:
    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}" if self.line else f"{self.path}: {self.message}"


class RuleError(ValueError):
    """A rule file that cannot be used: every problem, each at its line."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: p.line or 0)
        super().__init__("\n".join(map(str, self.problems)))

    @property
    def line(self) -> int | None:
        """The first problem's line (where an editor puts the cursor)."""
        return self.problems[0].line if self.problems else None


@dataclass(frozen=True, slots=True)
class Count:
    """A counting rule's window: `at_least` matches (or distinct values) within `within`
    instructions, per value of the `by` fields."""

    at_least: int
    within: int
    by: tuple[str, ...] = ()
    distinct: str = ""


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    title: str
    source: Source
    level: Level
    matches: Matcher
    condition: str
    description: str = ""
    output: str = ""
    enabled: bool = True
    count: Count | None = None
    line: int = 0  # its [[rule]] heading

    def describe(self, obs: dict[str, Any], count: int = 1) -> str:
        """The detection's line for an observation it matched (`{count}`: the window's count)."""
        if not self.output:
            return str(obs.get("text", ""))
        extra = {"count": count}
        return OUTPUT_FIELD.sub(lambda m: str(obs.get(m.group(1), extra.get(m.group(1), "?"))), self.output)


@dataclass(frozen=True, slots=True)
class RuleSet:
    rules: tuple[Rule, ...] = ()
    path: str = ""
    text: str = ""  # the source, as given (what an editor shows again)

    def by_source(self) -> dict[Source, tuple[Rule, ...]]:
        out: dict[Source, list[Rule]] = {}
        for rule in self.rules:
            if rule.enabled:
                out.setdefault(rule.source, []).append(rule)
        return {s: tuple(r) for s, r in out.items()}

    def rule(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)


# ------------------------------------------------------------------ where keys are


class _Lines:
    """Where each key of the file is written: (rule number, table path, key) -> line.

    tomllib gives values without places, so the text is scanned once: table headings
    (`[[rule]]` starts rule n, `[rule.detection.sel]` a table under it) and `key =`
    lines outside multi-line strings and open brackets."""

    def __init__(self, text: str) -> None:
        self.rules: list[int] = []  # line of each [[rule]]
        self.keys: dict[tuple[int, tuple[str, ...]], int] = {}
        rule, table = -1, ()
        depth, in_string = 0, ""
        for n, row in enumerate(text.splitlines(), 1):
            line = row.strip()
            if in_string:
                if in_string in line:
                    in_string = ""
                continue
            if depth == 0 and line.startswith("["):
                head = line.split("#", 1)[0].strip()
                if head == "[[rule]]":
                    rule += 1
                    self.rules.append(n)
                    table = ()
                elif head.startswith("[") and head.endswith("]"):
                    parts = _key_parts(head.strip("[]"))
                    table = tuple(parts[1:]) if parts[:1] == ["rule"] else (f"<{parts[0]}>",)
                    self.keys.setdefault((rule, table), n)
                continue
            if depth == 0 and "=" in line and not line.startswith("#"):
                key_text = _split_key(line)
                if key_text is not None:
                    self.keys.setdefault((rule, (*table, *_key_parts(key_text))), n)
            value = line.split("=", 1)[1] if depth == 0 and "=" in line else line
            for quote in ('"""', "'''"):
                if value.count(quote) % 2 == 1:
                    in_string = quote
            bare = re.sub(r"\"(?:[^\"\\]|\\.)*\"|'[^']*'", "", value.split("#", 1)[0])
            depth = max(0, depth + bare.count("[") + bare.count("{") - bare.count("]") - bare.count("}"))

    def line(self, rule: int, *path: str) -> int | None:
        """The line of the deepest part of `path` that is written down, else the rule's heading."""
        for end in range(len(path), 0, -1):
            found = self.keys.get((rule, tuple(path[:end])))
            if found is not None:
                return found
        return self.rules[rule] if 0 <= rule < len(self.rules) else None


def _split_key(line: str) -> str | None:
    """The key part of a `key = value` line (None when the `=` is inside quotes only)."""
    quote = ""
    for i, c in enumerate(line):
        if quote:
            if c == quote:
                quote = ""
        elif c in "\"'":
            quote = c
        elif c == "=":
            return line[:i].strip()
    return None


def _key_parts(key: str) -> list[str]:
    """A dotted TOML key's parts, quotes removed (`rule.detection."a.b"` -> rule, detection, a.b)."""
    parts = re.findall(r"\"((?:[^\"\\]|\\.)*)\"|'([^']*)'|([^.\s]+)", key)
    return [a or b or c for a, b, c in parts]


# ------------------------------------------------------------------ reading a file


def parse_rules(text: str, *, path: str | Path = "rules.toml") -> RuleSet:
    """A rule file's text -> a RuleSet, or RuleError with every problem at its line."""
    path = str(path)
    try:
        data = parse_toml(text, path=path)
    except FileFormatError as exc:
        raise RuleError([Problem(path, exc.line, exc.rule)]) from None
    lines = _Lines(text)
    problems: list[Problem] = []

    def problem(rule: int, message: str, *where: str) -> None:
        problems.append(Problem(path, lines.line(rule, *where), message))

    for key in data:
        if key != "rule":
            line = lines.keys.get((-1, (key,))) or lines.keys.get((-1, (f"<{key}>",)))
            problems.append(
                Problem(
                    path,
                    line,
                    f"unknown key {key!r}: a rule file holds [[rule]] tables{did_you_mean(key, ['rule'])}",
                )
            )
    raw_rules = data.get("rule", [])
    if not isinstance(raw_rules, list) or not all(isinstance(r, dict) for r in raw_rules):
        raise RuleError([*problems, Problem(path, None, "rules are [[rule]] tables (an array of tables)")])
    if len(raw_rules) > MAX_RULES:
        problems.append(Problem(path, lines.line(MAX_RULES), f"at most {MAX_RULES} rules in a file"))
    rules: list[Rule] = []
    seen: dict[str, int] = {}
    for n, raw in enumerate(raw_rules[:MAX_RULES]):
        rule = _rule(n, raw, problem, lines.line(n) or 0)
        if rule is None:
            continue
        if rule.id in seen:
            problem(
                n,
                f"id {rule.id!r} is taken by the rule on line {seen[rule.id]}: give each rule its own",
                "id",
            )
            continue
        seen[rule.id] = rule.line
        rules.append(rule)
    if problems:
        raise RuleError(problems)
    return RuleSet(tuple(rules), path, text)


_RULE_KEYS: Final = tuple(k.name for k in KEYS if k.table == "rule")
_COUNT_KEYS: Final = tuple(k.name for k in KEYS if k.table == "rule.count")


def _text(raw: dict[str, Any], key: str, fail: Any, *, required: bool) -> str:
    value = raw.get(key, "")
    if key not in raw and required:
        fail(f"a rule needs {key} = ...")
        return ""
    if not isinstance(value, str):
        fail(f"{key} is text (in quotes), not {value!r}", key)
        return ""
    if len(value) > MAX_TEXT:
        fail(f"{key}: at most {MAX_TEXT} characters", key)
    return value


def _rule(n: int, raw: dict[str, Any], problem: Any, line: int) -> Rule | None:
    """One [[rule]] table -> a Rule, or None after reporting its problems."""
    ok = True

    def fail(message: str, *where: str) -> None:
        nonlocal ok
        ok = False
        problem(n, message, *where)

    for key in raw:
        if key not in _RULE_KEYS:
            hint = did_you_mean(key, _RULE_KEYS)
            if key == "condition":
                hint = ": the condition goes in [rule.detection], with the selections"
            fail(f"a rule has no key {key!r}{hint}", key)
    rule_id = _text(raw, "id", fail, required=True)
    if rule_id and not ID_PATTERN.fullmatch(rule_id):
        fail(f"id {rule_id!r}: lower-case letters, digits, - and _, at most 64", "id")
    title = _text(raw, "title", fail, required=True)
    description = _text(raw, "description", fail, required=False)
    output = _text(raw, "output", fail, required=False)
    source_name = _text(raw, "source", fail, required=True)
    source: Source | None = None
    if source_name:
        try:
            source = Source(source_name)
        except ValueError:
            fail(
                f"source {source_name!r}: one of hypercall, event, frame"
                f"{did_you_mean(source_name, [s.value for s in Source])}",
                "source",
            )
    level = Level.MEDIUM
    if "level" in raw:
        try:
            level = Level(raw["level"])
        except ValueError:
            fail(
                f"level {raw['level']!r}: one of {', '.join(Level)}"
                f"{did_you_mean(str(raw['level']), [v.value for v in Level])}",
                "level",
            )
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        fail(f"enabled is true or false, not {enabled!r}", "enabled")
        enabled = True
    if source is None:
        return None
    if output:
        for name in OUTPUT_FIELD.findall(output):
            if name in OUTPUT_EXTRA:
                continue
            try:
                known_field(source, name)
            except MatchError as exc:
                fail(f"output: {exc}", "output")
    matcher, condition = _detection(n, raw.get("detection"), source, fail)
    count = _count(n, raw.get("count"), source, fail)
    if not ok or matcher is None:
        return None
    return Rule(rule_id, title, source, level, matcher, condition, description, output, enabled, count, line)


def _detection(n: int, raw: Any, source: Source, fail: Any) -> tuple[Matcher | None, str]:
    if raw is None:
        fail("a rule needs a [rule.detection] table: its selections and its condition")
        return None, ""
    if not isinstance(raw, dict):
        fail("detection is a table: [rule.detection] with a condition and selections", "detection")
        return None, ""
    selections: dict[str, Matcher] = {}
    if len(raw) - 1 > MAX_SELECTIONS:
        fail(f"at most {MAX_SELECTIONS} selections in a rule", "detection")
    broken = False
    for name, body in raw.items():
        if name == "condition":
            continue
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            fail(
                f"selection {name!r}: a name of letters, digits and _ (the condition names it)",
                "detection",
                name,
            )
            broken = True
            continue
        if isinstance(body, dict) and "condition" in body:
            fail(
                f"selection {name!r} holds a condition: TOML put it inside the selection because it "
                "comes after the selection's [heading]; write condition right after [rule.detection]",
                "detection",
                name,
                "condition",
            )
            broken = True
            continue
        try:
            selections[name] = selection_matcher(source, body)
        except MatchError as exc:
            fail(f"selection {name!r}: {exc}", "detection", name, *_first_key(body))
            broken = True
    condition = raw.get("condition")
    if condition is None:
        names = " or ".join(selections) if selections else "selection"
        fail(f'[rule.detection] needs a condition, such as condition = "{names}"', "detection")
        return None, ""
    if not isinstance(condition, str):
        fail("condition is text (in quotes)", "detection", "condition")
        return None, ""
    if broken:
        return None, condition
    try:
        matcher, used = condition_matcher(condition, source, selections)
    except MatchError as exc:
        fail(str(exc), "detection", "condition")
        return None, condition
    for name in selections:
        if name not in used:
            fail(f"selection {name!r} is not in the condition: use it or remove it", "detection", name)
    return matcher, condition


def _first_key(body: Any) -> tuple[str, ...]:
    return (next(iter(body)),) if isinstance(body, dict) and body else ()


def _count(n: int, raw: Any, source: Source, fail: Any) -> Count | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        fail("count is a table: [rule.count] with at_least and within", "count")
        return None
    for key in raw:
        if key not in _COUNT_KEYS:
            fail(f"[rule.count] has no key {key!r}{did_you_mean(key, _COUNT_KEYS)}", "count", key)
    at_least, within = raw.get("at_least"), raw.get("within")
    good = True
    for key, value, high in (("at_least", at_least, MAX_COUNT), ("within", within, MAX_WINDOW)):
        if value is None:
            fail(f"[rule.count] needs {key} = ...", "count")
            good = False
        elif isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
            fail(f"{key} is a whole number from 1 to {high:_}, not {value!r}", "count", key)
            good = False
    by = raw.get("by", [])
    if isinstance(by, str):
        by = [by]
    if not isinstance(by, list) or not all(isinstance(b, str) for b in by):
        fail("by is a field's name or a list of them", "count", "by")
        by = []
    distinct = raw.get("distinct", "")
    if not isinstance(distinct, str):
        fail("distinct is a field's name", "count", "distinct")
        distinct = ""
    for name, key in [*((b, "by") for b in by), *(((distinct, "distinct"),) if distinct else ())]:
        try:
            known_field(source, name)
        except MatchError as exc:
            fail(f"{key}: {exc}", "count", key)
            good = False
    if not good:
        return None
    assert isinstance(at_least, int) and isinstance(within, int)
    return Count(at_least, within, tuple(by), distinct)


def read_rules(path: str | Path) -> RuleSet:
    """A rule file from disk (lab.files limits apply)."""
    from lab.files import read_text

    try:
        text = read_text(path)
    except FileFormatError as exc:
        raise RuleError([Problem(str(path), exc.line, exc.rule)]) from None
    except OSError as exc:
        raise RuleError([Problem(str(path), None, exc.strerror or str(exc))]) from None
    return parse_rules(text, path=path)
