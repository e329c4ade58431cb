"""The one table of lesson predicates and actions.

Every name a `check`, `legit`, `solution` or `harden` line may use is
registered here with its argument signature, a one-line doc and an example:

    @predicate("console_contains", "VM TEXT [since=SCOPE]",
               doc="...", example='console_contains tenant "a1=0x1"')
    def console_contains(lab, args) -> bool: ...

The parser checks each line against the table (unknown name, missing or
extra argument, a value of the wrong kind: a `LessonError` with file:line),
the validator and the session run the registered functions, and the
authoring guide's table is generated from it (hvlab.generate.pages).

A signature is a list of parameters. `VM` is a required positional one whose
kind is its name; `[TEXT]` is optional; `key=KIND` is a keyword parameter,
`[key=KIND]` an optional one. The last positional TEXT takes the rest of the
line, so `type tenant peek 2 0x80001000 64` needs no quotes.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Final

from lab.files import text_shown
from lab.hv import hypercalls
from lab.hv.hypercalls import SbiError
from lab.hv.policy import BY_KEY, PolicyError
from lab.lesson.model import Call, LessonError, did_you_mean
from lab.riscv.program import GUESTS_DIR


class Kind(Enum):
    """What an argument is; each kind has one converter below."""

    VM = "VM"
    TEXT = "TEXT"
    N = "N"
    STATE = "STATE"
    SWITCH = "SWITCH"
    VALUE = "VALUE"
    HANDLER = "HANDLER"
    FILE = "FILE"
    PROGRAM = "PROGRAM"
    EID = "EID"
    FN = "FN"
    RESULT = "RESULT"
    SCOPE = "SCOPE"
    STEP = "STEP"
    BOOL = "BOOL"
    OWNER = "OWNER"


class EntryKind(Enum):
    PREDICATE = "predicate"
    ACTION = "action"


KIND_HELP: Final[dict[Kind, str]] = {
    Kind.VM: "a VM of the scenario, by name (or domid)",
    Kind.TEXT: "text; quote it for exact spacing",
    Kind.N: "a number (decimal, 0x.. hex, _ allowed)",
    Kind.STATE: "running, paused, halted, faulted or destroyed",
    Kind.SWITCH: "a policy switch, e.g. hypercall.authorize",
    Kind.VALUE: "a value for that switch: on/off or a number",
    Kind.HANDLER: "a hypercall handler as EXT.function, e.g. dbcn.console_write",
    Kind.FILE: "a file, relative to the lesson",
    Kind.PROGRAM: "a guest program (.S, .elf, .bin): next to the lesson, else a course guest (lab/guests)",
    Kind.EID: "an extension: its EID (0x4442434E) or name (DBCN)",
    Kind.FN: "a hypercall function name, e.g. console_write or peek",
    Kind.RESULT: "ok, denied, an SBI error name (SBI_ERR_INVALID_PARAM) or a number",
    Kind.SCOPE: "lesson (everything since the scenario started, the default) or step",
    Kind.STEP: "a step number (1 is the first step)",
    Kind.BOOL: "yes or no",
    Kind.OWNER: "a VM of the scenario, or hypervisor (the hypervisor region's secret)",
}

STATES: Final = ("running", "paused", "halted", "faulted", "destroyed")


@dataclass(frozen=True, slots=True)
class Param:
    name: str  # the key in Call.args
    kind: Kind
    keyword: bool
    optional: bool

    @property
    def spelled(self) -> str:
        text = f"{self.name}={self.kind.value}" if self.keyword else self.kind.value
        return f"[{text}]" if self.optional else text


@dataclass(frozen=True, slots=True)
class Entry:
    """One registered predicate or action."""

    name: str
    kind: EntryKind
    params: tuple[Param, ...]
    doc: str
    example: str
    fn: Callable[..., Any]
    needs: str = ""  # a missing extension this needs, said when it cannot be evaluated
    replays: bool = False  # a check that plays the lesson again (costly): evaluated after the others
    corpus: bool = False  # a check that scores against the course's recorded runs (lab/lesson/corpus.py)

    @property
    def signature(self) -> str:
        return " ".join((self.name, *(p.spelled for p in self.params)))

    @property
    def positional(self) -> list[Param]:
        return [p for p in self.params if not p.keyword]

    @property
    def keywords(self) -> dict[str, Param]:
        return {p.name: p for p in self.params if p.keyword}


REGISTRY: Final[dict[str, Entry]] = {}


def _params(signature: str) -> tuple[Param, ...]:
    params = []
    for word in signature.split():
        optional = word.startswith("[")
        word = word.strip("[]")
        if "=" in word:
            key, kind = word.split("=", 1)
            params.append(Param(key, Kind(kind), True, optional))
        else:
            params.append(Param(word.lower(), Kind(word), False, optional))
    return tuple(params)


def _register(
    kind: EntryKind,
    name: str,
    signature: str,
    doc: str,
    example: str,
    needs: str,
    replays: bool = False,
    corpus: bool = False,
):
    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        if name in REGISTRY:
            raise ValueError(f"{name} registered twice")
        REGISTRY[name] = Entry(name, kind, _params(signature), doc, example, fn, needs, replays, corpus)
        return fn

    return wrap


def predicate(
    name: str,
    signature: str = "",
    *,
    doc: str,
    example: str,
    needs: str = "",
    replays: bool = False,
    corpus: bool = False,
):
    """Register a check: fn(lab, args) -> bool. `replays`: it plays the lesson again (costly);
    `corpus`: it scores against the course's recorded runs (built once, then kept)."""
    return _register(EntryKind.PREDICATE, name, signature, doc, example, needs, replays, corpus)


def action(name: str, signature: str = "", *, doc: str, example: str, needs: str = ""):
    """Register an action: fn(lab, args) -> None (raises ActionError when it cannot)."""
    return _register(EntryKind.ACTION, name, signature, doc, example, needs)


def entries(kind: EntryKind | None = None) -> list[Entry]:
    load()
    return [e for e in REGISTRY.values() if kind is None or e.kind is kind]


def load() -> dict[str, Entry]:
    """Import the modules that register entries, so the table is complete."""
    from lab.lesson import actions, predicates  # noqa: F401  (register on import)

    return REGISTRY


# ------------------------------------------------------------------ parsing one line


@dataclass(slots=True)
class Where:
    """What the parser knows while reading a line: where it is, which VMs exist."""

    path: Path
    line: int
    vm_names: list[str]
    directory: Path
    unchecked: bool = False  # the scenario could not be read: any VM name is taken as given

    def error(self, message: str) -> LessonError:
        return LessonError(self.path, self.line, message)


def parse_call(text: str, where: Where, allowed: EntryKind) -> Call:
    """One directive line -> a checked `Call`, or a LessonError naming the line."""
    load()
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise where.error(f"cannot split {text_shown(text)} into words: {exc} (a quote left open?)") from None
    name, rest = words[0], words[1:]
    entry = REGISTRY.get(name)
    if entry is None:
        names = [e.name for e in entries(allowed)]
        hint = did_you_mean(name, names) or f"; expected one of: {', '.join(names)}"
        raise where.error(f"unknown {allowed.value} {text_shown(name)}{hint}")
    if entry.kind is not allowed:
        raise where.error(
            f"{text_shown(name)} is {'an' if entry.kind is EntryKind.ACTION else 'a'} {entry.kind.value}, "
            f"but this block takes {allowed.value}s"
        )
    keywords = entry.keywords
    positional: list[str] = []
    args: dict[str, Any] = {}
    for word in rest:
        key, eq, value = word.partition("=")
        if eq and key in keywords:
            if key in args:
                raise where.error(f"{name}: {key}= given twice (expected: {entry.signature})")
            args[key] = _convert(keywords[key], value, where, entry)
        else:
            positional.append(word)
    params = entry.positional
    if params and params[-1].kind is Kind.TEXT and len(positional) > len(params):
        head = len(params) - 1
        positional = [*positional[:head], " ".join(positional[head:])]
    if len(positional) > len(params):
        for word in positional[len(params) :]:
            key, eq, _ = word.partition("=")
            near = did_you_mean(key + "=", [k + "=" for k in keywords]) if eq else ""
            if near:
                raise where.error(
                    f"{name}: unknown keyword {text_shown(key + '=')}{near} (expected: {entry.signature})"
                )
        extra = " ".join(positional[len(params) :])
        raise where.error(
            f"{name}: unexpected extra argument(s) {text_shown(extra)} (expected: {entry.signature})"
        )
    for i, param in enumerate(params):
        if i < len(positional):
            args[param.name] = _convert(param, positional[i], where, entry)
        elif not param.optional:
            raise where.error(f"{name}: missing {param.kind.value} (expected: {entry.signature})")
    for param in keywords.values():
        if not param.optional and param.name not in args:
            raise where.error(f"{name}: missing {param.name}= (expected: {entry.signature})")
    call = Call(name, args, text.strip(), str(where.path), where.line)
    _cross_check(call, where)
    return call


class Expected(ValueError):
    """A converter's refusal that says what it expected (else KIND_HELP says it)."""


def parse_int(text: str) -> int:
    return int(text.replace("_", ""), 0)


def _convert(param: Param, value: str, where: Where, entry: Entry) -> Any:
    label = f"{param.name}=" if param.keyword else param.kind.value
    try:
        return _CONVERT[param.kind](value, where)
    except (ValueError, KeyError) as exc:
        detail = str(exc) if isinstance(exc, Expected) else KIND_HELP[param.kind]
        raise where.error(
            f"{entry.name}: {label} {text_shown(value)} is not valid: expected {detail}"
        ) from None


def _vm(value: str, where: Where) -> str:
    if value in where.vm_names or where.unchecked:
        return value
    if value.isdigit() and int(value) < len(where.vm_names):
        return where.vm_names[int(value)]
    hint = did_you_mean(value, where.vm_names) or f" (its VMs: {', '.join(where.vm_names)})"
    raise where.error(f"no VM {text_shown(value)} in the scenario{hint}")


def _owner(value: str, where: Where) -> str:
    return "hypervisor" if value in ("hypervisor", "hv") else _vm(value, where)


def _state(value: str, where: Where) -> str:
    if value.lower() not in STATES:
        raise Expected(f"{' or '.join(STATES)}{did_you_mean(value.lower(), STATES)}")
    return value.lower()


def _switch(value: str, where: Where) -> str:
    if value not in BY_KEY:
        raise Expected(f"a policy switch{did_you_mean(value, BY_KEY) or ', one of ' + ', '.join(BY_KEY)}")
    return value


def handler_key(name: str) -> tuple[int, int]:
    """A hypercall handler named as a lesson names it (`EXT.function`, e.g. `dbcn.console_write`)
    -> its (EID, FID); ValueError when there is none. The session's editor and patch commands
    take the same names."""
    ext_name, _, fn_name = name.partition(".")
    for ext in hypercalls.load_extensions().values():
        if ext.name.lower() == ext_name.lower():
            for fn in ext.functions.values():
                if fn.name == fn_name:
                    return fn.eid, fn.fid
    raise ValueError(name)


def program_path(directory: Path, value: str) -> Path | None:
    """A guest program a lesson names: next to the lesson, else among the course's guests
    (lab/guests), where a scenario finds its programs too; None when neither has it."""
    for base in (directory, GUESTS_DIR):
        try:
            if (base / value).is_file():
                return base / value
        except (OSError, ValueError):  # a name no file system holds (too long, a NUL byte)
            continue
    return None


def _program(value: str, where: Where) -> str:
    if program_path(where.directory, value) is None:
        raise where.error(
            f"program {text_shown(value)} not found next to the lesson (in {where.directory}) "
            "nor among the course's guests (lab/guests)"
        )
    return value


def _handler(value: str, where: Where) -> tuple[int, int]:
    try:
        return handler_key(value)
    except ValueError:
        names = [
            f"{ext.name.lower()}.{fn.name}"
            for ext in hypercalls.load_extensions().values()
            for fn in ext.functions.values()
        ]
        raise Expected(f"{KIND_HELP[Kind.HANDLER]}{did_you_mean(value, names)}") from None


def _file(value: str, where: Where) -> str:
    try:
        found = (where.directory / value).is_file()
    except (OSError, ValueError):  # a name no file system holds (too long, a NUL byte)
        found = False
    if not found:
        raise where.error(f"file {text_shown(value)} not found next to the lesson (in {where.directory})")
    return value


def _eid(value: str, where: Where) -> int:
    for ext in hypercalls.load_extensions().values():
        if ext.name.lower() == value.lower():
            return ext.eid
    return parse_int(value)


def _fn(value: str, where: Where) -> str:
    extensions = hypercalls.load_extensions().values()
    names = sorted({fn.name for ext in extensions for fn in ext.functions.values()})
    if value not in names:
        raise Expected(f"{KIND_HELP[Kind.FN]}{did_you_mean(value, names)}")
    return value


def _result(value: str, where: Where) -> int:
    low = value.lower()
    if low in ("ok", "sbi_success", "success"):
        return int(SbiError.SUCCESS)
    if low == "denied":
        return int(SbiError.DENIED)
    name = value.upper().removeprefix("SBI_ERR_")
    if name in SbiError.__members__:
        return int(SbiError[name])
    return parse_int(value)


def _scope(value: str, where: Where) -> str:
    if value not in ("lesson", "step"):
        raise ValueError(value)
    return value


def _bool(value: str, where: Where) -> bool:
    if value.lower() in ("yes", "true", "on", "1"):
        return True
    if value.lower() in ("no", "false", "off", "0"):
        return False
    raise ValueError(value)


def _step(value: str, where: Where) -> int:
    n = parse_int(value)
    if n < 1:
        raise ValueError(value)
    return n


_CONVERT: Final[dict[Kind, Callable[[str, Where], Any]]] = {
    Kind.VM: _vm,
    Kind.TEXT: lambda v, w: v,
    Kind.N: lambda v, w: parse_int(v),
    Kind.STATE: _state,
    Kind.SWITCH: _switch,
    Kind.VALUE: lambda v, w: v,
    Kind.HANDLER: _handler,
    Kind.FILE: _file,
    Kind.PROGRAM: _program,
    Kind.EID: _eid,
    Kind.FN: _fn,
    Kind.RESULT: _result,
    Kind.SCOPE: _scope,
    Kind.STEP: _step,
    Kind.BOOL: _bool,
    Kind.OWNER: _owner,
}


def _cross_check(call: Call, where: Where) -> None:
    """Checks that need more than one argument."""
    if call.name == "set":
        try:
            BY_KEY[call.args["switch"]].coerce(call.args["value"])
        except PolicyError as exc:
            raise where.error(f"set: {exc}") from None
    if call.name == "hypercall" and "fid" in call.args and "fn" in call.args:
        raise where.error("hypercall: give fid= or fn=, not both")
