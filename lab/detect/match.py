"""Matching: a rule's selections (Sigma's) and its condition (Sigma's words, Falco's comparisons).

A *selection* is a table of fields, each with a value or a list of values; it matches
an observation when every field matches (AND), a field matching when any of its values
does (OR). A field's name may carry modifiers after `|`, as in Sigma:

    why|contains = "UNCHECKED"        text anywhere in the field
    fn = ["peek", "poke"]             either value
    udp.payload|startswith = "LOGIN"  contains, startswith, endswith, re (a regular expression)
    ip.src|cidr = "10.0.0.0/24"       an address inside a subnet
    frame.len|gte = 100               gt, gte, lt, lte: numbers
    why|all|contains = ["a", "b"]     all: every value must match, not any
    target|exists = true              the field is there (or, with false, it is not)
    text|cased = "Peek"               cased: upper and lower case count

Text matches as in Sigma: ignoring case, with `*` (any text) and `?` (one character)
as wildcards (`\\*` is a star); numbers and booleans match by value.

The *condition* combines selections by name with `and`, `or`, `not` and brackets, and
Sigma's `1 of sel*`, `all of sel*`, `1 of them`, `all of them`. It may also compare a
field directly, as a Falco condition does, exactly (case counts):

    condition = "privileged and not control_domain"
    condition = "1 of leak_* and vm != admin"
    condition = "fn in (peek, poke) and not ok"     =, !=, <, <=, >, >=, contains,
                                                    icontains, startswith, endswith,
                                                    in (a, b), exists

Everything is compiled once into Python closures over the observation dict; a problem
is a `MatchError` saying what is wrong, in words a rule author can act on.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from lab.detect.fields import Field, Source, Type, field, field_names

Matcher = Callable[[dict[str, Any]], bool]

MODIFIERS: Final[dict[str, str]] = {
    "contains": "the text holds the value anywhere",
    "startswith": "the text begins with the value",
    "endswith": "the text ends with the value",
    "re": "the text matches the regular expression (Python's `re`, searched anywhere)",
    "cidr": "the address lies in the subnet (`10.0.0.0/24`)",
    "gt": "the number is greater than the value",
    "gte": "the number is at least the value",
    "lt": "the number is less than the value",
    "lte": "the number is at most the value",
    "all": "every value of the list must match (without it: any one)",
    "exists": "true: the observation has the field; false: it has not",
    "cased": "upper and lower case count (without it they do not)",
}
TEXT_ONLY: Final = frozenset(("contains", "startswith", "endswith", "re", "cased"))
NUMBER_ONLY: Final = frozenset(("gt", "gte", "lt", "lte"))
OPERATORS: Final[dict[str, str]] = {
    "=": "equal (text exactly, case counts)",
    "!=": "not equal",
    "<": "less than (numbers)",
    "<=": "at most",
    ">": "greater than",
    ">=": "at least",
    "contains": "the text holds the value",
    "icontains": "the same, ignoring case",
    "startswith": "the text begins with the value",
    "endswith": "the text ends with the value",
    "in": "equal to one of a list: `fn in (peek, poke)`",
    "exists": "the observation has the field (no value)",
}
MAX_REGEX: Final = 200


class MatchError(ValueError):
    """A selection or condition that cannot be compiled; the message says why."""


def did_you_mean(word: str, known: list[str] | set[str] | tuple[str, ...]) -> str:
    """`; did you mean 'ip.src'?` for a near miss of a known name, else ""."""
    import difflib

    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def known_field(source: Source, name: str) -> Field:
    found = field(source, name)
    if found is None:
        hint = did_you_mean(name, field_names(source))
        raise MatchError(f"{source.value} observations have no field {name!r}{hint}")
    return found


# ------------------------------------------------------------------ values


def _number(value: Any, what: str) -> int:
    if isinstance(value, bool):
        raise MatchError(f"{what}: {value!r} is not a number")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value.replace("_", ""), 0)
        except ValueError:
            pass
    raise MatchError(f"{what}: {value!r} is not a number (write 42 or 0x2a)")


def _bool(value: Any, what: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise MatchError(f"{what}: {value!r} is not true or false")


def _wildcard(text: str, cased: bool) -> re.Pattern[str] | None:
    """Sigma's wildcards as a regular expression over the whole text, or None when there are none."""
    if "*" not in text and "?" not in text:
        return None
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text) and text[i + 1] in "*?\\":
            out.append(re.escape(text[i + 1]))
            i += 2
            continue
        out.append(".*" if c == "*" else "." if c == "?" else re.escape(c))
        i += 1
    return re.compile("".join(out), re.S if cased else re.S | re.I)


def _text_test(value: Any, mods: set[str], what: str) -> Callable[[Any], bool]:
    """One text value with its modifiers -> a test of the observed text."""
    if isinstance(value, bool | int) and not isinstance(value, str):
        value = str(value).lower() if isinstance(value, bool) else str(value)
    if not isinstance(value, str):
        raise MatchError(f"{what}: {value!r} is not text")
    cased = "cased" in mods
    if "re" in mods:
        if len(value) > MAX_REGEX:
            raise MatchError(f"{what}: a regular expression of at most {MAX_REGEX} characters")
        try:
            pattern = re.compile(value, 0 if cased else re.I)
        except re.error as exc:
            raise MatchError(f"{what}: {value!r} is not a regular expression: {exc}") from None
        return lambda seen: isinstance(seen, str) and pattern.search(seen) is not None
    if "contains" in mods:
        wrapped = f"*{value}*"
    elif "startswith" in mods:
        wrapped = f"{value}*"
    elif "endswith" in mods:
        wrapped = f"*{value}"
    else:
        wrapped = value
    pattern = _wildcard(wrapped, cased)
    if pattern is not None:
        return lambda seen: isinstance(seen, str) and pattern.fullmatch(seen) is not None
    if cased:
        return lambda seen: seen == value
    folded = value.casefold()
    return lambda seen: isinstance(seen, str) and seen.casefold() == folded


def _number_test(value: Any, mods: set[str], what: str) -> Callable[[Any], bool]:
    n = _number(value, what)
    if "gt" in mods:
        return lambda seen: isinstance(seen, int) and seen > n
    if "gte" in mods:
        return lambda seen: isinstance(seen, int) and seen >= n
    if "lt" in mods:
        return lambda seen: isinstance(seen, int) and seen < n
    if "lte" in mods:
        return lambda seen: isinstance(seen, int) and seen <= n
    return lambda seen: seen == n and not isinstance(seen, bool)


def _cidr_test(value: Any, what: str) -> Callable[[Any], bool]:
    try:
        net = ipaddress.IPv4Network(str(value), strict=False)
    except ValueError:
        raise MatchError(f"{what}: {value!r} is not a subnet (write 10.0.0.0/24)") from None

    def test(seen: Any) -> bool:
        try:
            return isinstance(seen, str) and ipaddress.IPv4Address(seen) in net
        except ValueError:
            return False

    return test


def entry_matcher(source: Source, key: str, raw: Any) -> Matcher:
    """One `field|modifiers = value(s)` of a selection -> a matcher."""
    name, *words = key.split("|")
    info = known_field(source, name)
    mods = set(words)
    for word in words:
        if word not in MODIFIERS:
            raise MatchError(f"{key!r}: no modifier {word!r}{did_you_mean(word, list(MODIFIERS))}")
    what = f"{key!r}"
    if "exists" in mods:
        if mods != {"exists"}:
            raise MatchError(f"{what}: exists takes no other modifier")
        wanted = _bool(raw, what)
        return lambda obs: (name in obs) == wanted
    values = raw if isinstance(raw, list) else [raw]
    if not values:
        raise MatchError(f"{what}: an empty list matches nothing; give at least one value")
    if any(isinstance(v, dict | list) for v in values):
        raise MatchError(f"{what}: a value is text, a number or true/false, not a table or a nested list")
    kind = info.type
    bad = (mods & TEXT_ONLY) if kind in (Type.NUMBER, Type.BOOL) else (mods & NUMBER_ONLY)
    if bad:
        article = "an" if kind is Type.ADDRESS else "a"
        raise MatchError(f"{what}: {', '.join(sorted(bad))} does not apply to {article} {kind.value} field")
    if "cidr" in mods and kind is not Type.ADDRESS:
        raise MatchError(f"{what}: cidr applies to an address field (ip.src, ip.dst, ...)")
    tests: list[Callable[[Any], bool]]
    if "cidr" in mods:
        tests = [_cidr_test(v, what) for v in values]
    elif kind is Type.NUMBER:
        tests = [_number_test(v, mods, what) for v in values]
    elif kind is Type.BOOL:
        if len(mods - {"all"}):
            raise MatchError(f"{what}: a true/false field takes no modifier")
        tests = [(lambda b: lambda seen: seen is b)(_bool(v, what)) for v in values]
    else:
        tests = [_text_test(v, mods, what) for v in values]
    every = "all" in mods
    if len(tests) == 1:
        test = tests[0]
        return lambda obs: name in obs and test(obs[name])
    if every:
        return lambda obs: name in obs and all(t(obs[name]) for t in tests)
    return lambda obs: name in obs and any(t(obs[name]) for t in tests)


def selection_matcher(source: Source, body: Any) -> Matcher:
    """A selection (a table: every field; or a list of tables: any of them) -> a matcher."""
    if isinstance(body, list):
        if not body or not all(isinstance(b, dict) for b in body):
            raise MatchError("a selection is a table of fields, or a list of such tables (any of them)")
        parts = [selection_matcher(source, b) for b in body]
        return lambda obs: any(p(obs) for p in parts)
    if not isinstance(body, dict):
        raise MatchError(f"a selection is a table of fields (field = value), not {body!r}")
    if not body:
        raise MatchError("an empty selection matches everything: give it at least one field")
    entries = [entry_matcher(source, key, value) for key, value in body.items()]
    if len(entries) == 1:
        return entries[0]
    return lambda obs: all(e(obs) for e in entries)


# ------------------------------------------------------------------ the condition

_TOKEN: Final = re.compile(
    r"""\s*(?:
        (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<op>!=|<=|>=|=|<|>|\(|\)|,)
      | (?P<word>[A-Za-z0-9_.*:/?\-]+)
    )""",
    re.X,
)
_WORD_OPS: Final = frozenset(("contains", "icontains", "startswith", "endswith", "in", "exists"))
_KEYWORDS: Final = frozenset(("and", "or", "not", "of", "them"))


@dataclass(slots=True)
class _Token:
    kind: str  # str, op, word, end
    text: str
    at: int


def _tokens(text: str) -> list[_Token]:
    out, i = [], 0
    while i < len(text):
        if text[i:].strip() == "":
            break
        m = _TOKEN.match(text, i)
        if m is None or m.end() == i:
            raise MatchError(f"cannot read the condition at {text[i:].strip()[:20]!r}")
        kind = m.lastgroup or "word"
        value = m.group(kind)
        if kind == "str":
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        out.append(_Token(kind, value, m.start(kind)))
        i = m.end()
    out.append(_Token("end", "", len(text)))
    return out


class _Parser:
    """Recursive descent over the condition's tokens; selections are already compiled."""

    def __init__(self, text: str, source: Source, selections: dict[str, Matcher]) -> None:
        self.text = text
        self.source = source
        self.selections = selections
        self.tokens = _tokens(text)
        self.pos = 0
        self.used: set[str] = set()

    def peek(self) -> _Token:
        return self.tokens[self.pos]

    def take(self) -> _Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def error(self, message: str) -> MatchError:
        return MatchError(f"condition {self.text!r}: {message}")

    def parse(self) -> Matcher:
        if self.peek().kind == "end":
            raise self.error('it is empty: name a selection, such as condition = "selection"')
        result = self.expr()
        if self.peek().kind != "end":
            raise self.error(f"unexpected {self.peek().text!r} (join conditions with and / or)")
        return result

    def expr(self) -> Matcher:
        parts = [self.term()]
        while self.peek().kind == "word" and self.peek().text == "or":
            self.take()
            parts.append(self.term())
        if len(parts) == 1:
            return parts[0]
        return lambda obs: any(p(obs) for p in parts)

    def term(self) -> Matcher:
        parts = [self.factor()]
        while self.peek().kind == "word" and self.peek().text == "and":
            self.take()
            parts.append(self.factor())
        if len(parts) == 1:
            return parts[0]
        return lambda obs: all(p(obs) for p in parts)

    def factor(self) -> Matcher:
        token = self.take()
        if token.kind == "word" and token.text == "not":
            inner = self.factor()
            return lambda obs: not inner(obs)
        if token.kind == "op" and token.text == "(":
            inner = self.expr()
            if self.take().text != ")":
                raise self.error("a bracket is left open: close it with )")
            return inner
        if token.kind == "word" and token.text in ("1", "all", "any") and self.peek().text == "of":
            self.take()
            return self.quantified(token.text, self.take())
        if token.kind != "word" or token.text in _KEYWORDS:
            what = "the end" if token.kind == "end" else repr(token.text)
            raise self.error(f"expected a selection's name or a field comparison, found {what}")
        nxt = self.peek()
        if (nxt.kind == "op" and nxt.text not in "(),") or (nxt.kind == "word" and nxt.text in _WORD_OPS):
            return self.comparison(token.text)
        return self.selection(token.text)

    def selection(self, name: str) -> Matcher:
        found = self.selections.get(name)
        if found is None:
            if field(self.source, name) is not None:
                raise self.error(f"{name!r} is a field: compare it (`{name} = ...`) or name a selection")
            hint = did_you_mean(name, list(self.selections))
            known = ", ".join(self.selections) or "none"
            raise self.error(f"no selection {name!r} (this rule's: {known}){hint}")
        self.used.add(name)
        return found

    def quantified(self, how: str, target: _Token) -> Matcher:
        if target.kind != "word":
            raise self.error(f"expected a selection pattern or `them` after {how} of")
        if target.text == "them":
            names = list(self.selections)
        else:
            names = [n for n in self.selections if fnmatch.fnmatchcase(n, target.text)]
        if not names:
            raise self.error(f"{how} of {target.text}: no selection's name matches it")
        self.used.update(names)
        parts = [self.selections[n] for n in names]
        if how == "all":
            return lambda obs: all(p(obs) for p in parts)
        return lambda obs: any(p(obs) for p in parts)

    def value(self, info: Field, name: str) -> Any:
        token = self.take()
        if token.kind not in ("word", "str") or (token.kind == "word" and token.text in _KEYWORDS):
            raise self.error(f"{name}: expected a value after the operator")
        what = f"{name} {token.text!r}"
        if info.type is Type.NUMBER:
            return _number(token.text, what)
        if info.type is Type.BOOL:
            return _bool(token.text, what)
        return token.text

    def comparison(self, name: str) -> Matcher:
        info = known_field(self.source, name)
        op = self.take().text
        if op == "exists":
            return lambda obs: name in obs
        if op == "in":
            if self.take().text != "(":
                raise self.error(f"{name} in: write the values in brackets, `in (a, b)`")
            values = [self.value(info, name)]
            while self.peek().text == ",":
                self.take()
                values.append(self.value(info, name))
            if self.take().text != ")":
                raise self.error(f"{name} in (...): close the list with )")
            allowed = frozenset(values)
            return lambda obs: name in obs and obs[name] in allowed
        value = self.value(info, name)
        if op in ("<", "<=", ">", ">=") and info.type is not Type.NUMBER:
            raise self.error(f"{name} {op}: compares numbers, and {name} is {info.type.value}")
        if op in ("contains", "icontains", "startswith", "endswith") and info.type is Type.NUMBER:
            raise self.error(f"{name} {op}: applies to text, and {name} is a number")
        return _compare(name, op, value)


def _compare(name: str, op: str, value: Any) -> Matcher:
    if op == "=":
        return lambda obs: name in obs and obs[name] == value
    if op == "!=":
        return lambda obs: name in obs and obs[name] != value
    if op == "<":
        return lambda obs: name in obs and obs[name] < value
    if op == "<=":
        return lambda obs: name in obs and obs[name] <= value
    if op == ">":
        return lambda obs: name in obs and obs[name] > value
    if op == ">=":
        return lambda obs: name in obs and obs[name] >= value
    if op == "contains":
        return lambda obs: name in obs and value in obs[name]
    if op == "icontains":
        folded = str(value).casefold()
        return lambda obs: name in obs and folded in obs[name].casefold()
    if op == "startswith":
        return lambda obs: name in obs and obs[name].startswith(value)
    if op == "endswith":
        return lambda obs: name in obs and obs[name].endswith(value)
    raise MatchError(f"no operator {op!r}")  # pragma: no cover - the parser only passes known ones


def condition_matcher(text: str, source: Source, selections: dict[str, Matcher]) -> tuple[Matcher, set[str]]:
    """The condition compiled, and the selections it names."""
    parser = _Parser(text, source, selections)
    matcher = parser.parse()
    return matcher, parser.used
