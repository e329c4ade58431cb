"""The protocol between the session and its front ends: which methods, which records, what JSON.

    @query
    def state(self) -> MachineState: ...          # reads; changes nothing
    @command(attempt=True)
    def type(self, vm: str | int, text: str) -> ConsoleOutput: ...   # a student's try
    to_json(session.state())                      # plain JSON data (dict, list, str, int, float, bool, None)
    conformance(data, MachineState)               # what in `data` the type does not allow ([] when it fits)
    (hvlab.generate.pages.protocol_reference writes the reference page from the types)

Every public `Session` method is declared a `query` or a `command`, and `METHODS` lists
them with their kind: the web bridge exposes exactly those the page may call, the
reference page documents them from their signatures and the records they return, and
a command is where the session notes what the student did (an attempt at the step, the
frame that follows, the record `hvlab verify` replays: lab.session.record). Arguments and
results are JSON data in the web worker and the same Python values in the TUI.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import PurePath
from typing import Any, Final, Literal, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class Method:
    """One method of the protocol."""

    name: str
    command: bool  # changes the machine or the progress (a query only reads)
    attempt: bool  # a student's try at the step: the checks are evaluated, and count as an attempt
    page: bool  # the web page may call it (saving files on the host, for one, it may not)
    fn: Callable[..., Any]

    @property
    def doc(self) -> str:
        return inspect.getdoc(self.fn) or ""


METHODS: Final[dict[str, Method]] = {}


def query(fn: F | None = None, *, page: bool = True) -> Any:
    """Declare a session method that reads and changes nothing."""

    def wrap(fn: F) -> F:
        METHODS[fn.__name__] = Method(fn.__name__, False, False, page, fn)
        return fn

    return wrap(fn) if fn is not None else wrap


@dataclass(frozen=True, slots=True)
class Invocation:
    """One command as it ran: what the session's `_after_command` is handed."""

    name: str  # the method
    attempt: bool  # a student's try at the step (see `command`)
    arguments: dict[str, Any]  # every argument by name, defaults filled in
    result: Any  # what it returned
    before: Any  # what the session's `_before_command` noted before it ran


def command(*, attempt: bool = False, page: bool = True) -> Callable[[F], F]:
    """Declare a session method that changes the machine, the lesson or the progress.

    Before it runs, the session's `_before_command(name)` notes what it needs (the machine's
    clock, the step); after it returns, `_after_command(Invocation)` runs with the arguments
    by name and the result: with `attempt` (typing at a console, setting a switch, loading a
    program) the step's checks are due at the next frame, as the student's try, and the
    session's record of what the student did (lab.session.record) takes the command down.
    It is the one place every command passes through. A command that raises is not
    recorded (it changed nothing: SessionError is raised before any change)."""

    def wrap(fn: F) -> F:
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        def run(self: Any, *args: Any, **kwargs: Any) -> Any:
            before = self._before_command(fn.__name__)
            result = fn(self, *args, **kwargs)
            bound = signature.bind(self, *args, **kwargs)
            bound.apply_defaults()
            arguments = dict(bound.arguments)
            arguments.pop("self", None)
            self._after_command(Invocation(fn.__name__, attempt, arguments, result, before))
            return result

        METHODS[fn.__name__] = Method(fn.__name__, True, attempt, page, run)
        return run  # type: ignore[return-value]

    return wrap


# ------------------------------------------------------------------ JSON

_FIELDS: dict[type, tuple[str, ...]] = {}


def to_json(value: Any) -> Any:
    """A record (or a tuple, dict, enum of them) as plain JSON data: the web worker's messages."""
    if value is None or type(value) in (bool, int, float, str):
        return value
    if isinstance(value, Enum):
        return value.value
    names = _FIELDS.get(type(value))
    if names is None and dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = _FIELDS[type(value)] = tuple(f.name for f in dataclasses.fields(value))
    if names is not None:
        return {name: to_json(getattr(value, name)) for name in names}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, bool | int | float | str):  # subclasses (IntEnum is handled above)
        return value
    raise TypeError(f"{type(value).__name__} is not part of the front-end protocol")


# ------------------------------------------------------------------ conformance


@dataclass(slots=True)
class Seen:
    """What a run of `conformance` checks met: the records, and the optional fields that were set."""

    records: set[type] = dataclasses.field(default_factory=set)
    set_fields: set[tuple[type, str]] = dataclasses.field(default_factory=set)


@functools.cache
def hints(cls: Any) -> dict[str, Any]:
    """A record's (or a function's) annotations, resolved (once: the bridge asks on every call)."""
    return typing.get_type_hints(cls)


def conformance(data: Any, annotation: Any, *, where: str = "", seen: Seen | None = None) -> list[str]:
    """What in JSON `data` the `annotation` (a record, tuple[...], X | None, ...) does not allow:
    keys it does not have, keys it has that are missing, values of another kind. [] when it fits."""
    seen = seen if seen is not None else Seen()
    where = where or type_name(annotation)
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if annotation is Any:
        return []
    if annotation is None or annotation is type(None):
        return [] if data is None else [f"{where}: {data!r} is not null"]
    if origin in (types.UnionType, typing.Union):
        tries = [conformance(data, a, where=where, seen=Seen()) for a in args]
        if any(not t for t in tries):
            for a in args:  # note what it matched, for coverage
                if not conformance(data, a, where=where, seen=Seen()):
                    conformance(data, a, where=where, seen=seen)
                    break
            return []
        return [
            f"{where}: {data!r:.80} is none of {type_name(annotation)}: " + "; ".join(t[0] for t in tries)
        ]
    if origin is Literal:
        return [] if data in args else [f"{where}: {data!r} is not one of {args}"]
    if annotation is bool:
        return [] if isinstance(data, bool) else [f"{where}: {data!r:.40} is not a boolean"]
    if annotation is int:
        ok = isinstance(data, int) and not isinstance(data, bool)
        return [] if ok else [f"{where}: {data!r:.40} is not an integer"]
    if annotation is float:
        ok = isinstance(data, int | float) and not isinstance(data, bool)
        return [] if ok else [f"{where}: {data!r:.40} is not a number"]
    if annotation is str:
        return [] if isinstance(data, str) else [f"{where}: {data!r:.40} is not a string"]
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        values = [m.value for m in annotation]
        return [] if data in values else [f"{where}: {data!r} is not one of {values}"]
    if origin in (tuple, list):
        if not isinstance(data, list):
            return [f"{where}: {data!r:.40} is not a list"]
        item = args[0] if args else Any
        out: list[str] = []
        for n, x in enumerate(data):
            out += conformance(x, item, where=f"{where}[{n}]", seen=seen)
        return out
    if origin is dict:
        if not isinstance(data, dict):
            return [f"{where}: {data!r:.40} is not an object"]
        value = args[1] if len(args) == 2 else Any
        out = []
        for k, v in data.items():
            out += conformance(v, value, where=f"{where}[{k!r}]", seen=seen)
        return out
    if dataclasses.is_dataclass(annotation):
        if not isinstance(data, dict):
            return [f"{where}: {data!r:.40} is not an object ({annotation.__name__})"]
        seen.records.add(annotation)
        fields = hints(annotation)
        names = [f.name for f in dataclasses.fields(annotation)]
        out = [f"{where}: key {k!r} is not a field of {annotation.__name__}" for k in data if k not in names]
        out += [f"{where}: {annotation.__name__}.{k} is missing" for k in names if k not in data]
        for k in names:
            if k in data:
                if data[k] is not None:
                    seen.set_fields.add((annotation, k))
                out += conformance(data[k], fields[k], where=f"{where}.{k}", seen=seen)
        return out
    raise TypeError(f"{where}: {annotation!r} cannot be checked")


def argument_problem(method: str, args: dict[str, Any]) -> str:
    """Why `args` (JSON data by name) do not fit `method`'s signature: an argument it does not
    take, one of another kind, one missing ("" when they fit). The web bridge checks every call
    of the page with it, `hvlab verify` every command of a record."""
    fn = METHODS[method].fn
    params = {name: p for name, p in inspect.signature(fn).parameters.items() if name != "self"}
    annotations = hints(fn)
    for name, value in args.items():
        if name not in params:
            return f"{method}: no argument {name!r} (it takes {', '.join(params) or 'none'})"
        problems = conformance(value, annotations.get(name, Any), where=name)
        if problems:
            return f"{method}: {problems[0]}"
    missing = [n for n, p in params.items() if p.default is inspect.Parameter.empty and n not in args]
    if missing:
        return f"{method}: missing argument {', '.join(missing)}"
    return ""


def records_of(annotation: Any, found: dict[str, type] | None = None) -> dict[str, type]:
    """Every record (dataclass) an annotation reaches, by name, depth first."""
    found = found if found is not None else {}
    if dataclasses.is_dataclass(annotation) and isinstance(annotation, type):
        if annotation.__name__ in found:
            return found
        found[annotation.__name__] = annotation
        for field_type in hints(annotation).values():
            records_of(field_type, found)
        return found
    for arg in typing.get_args(annotation):
        records_of(arg, found)
    return found


FIELD_LINE: Final = re.compile(r"^\s+(\w+): [^#]*?(?:#\s?(.*))?$")


def field_docs(cls: type) -> dict[str, str]:
    """A record's fields -> their trailing comments in its source (the field's documentation)."""
    try:
        lines = inspect.getsource(cls).splitlines()
    except (OSError, TypeError):
        return {}
    names = {f.name for f in dataclasses.fields(cls)}
    docs: dict[str, str] = {}
    for line in lines:
        m = FIELD_LINE.match(line)
        if m and m.group(1) in names and m.group(1) not in docs:
            docs[m.group(1)] = (m.group(2) or "").strip()
    return docs


def type_name(annotation: Any, link: Callable[[str], str] = lambda n: n) -> str:
    """A type as a reader says it: `list of VmView`, `str or null`."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if annotation is None or annotation is type(None):
        return "null"
    if origin in (types.UnionType, typing.Union):
        return " or ".join(type_name(a, link) for a in args)
    if origin is Literal:
        return " or ".join(repr(a).lower() if isinstance(a, bool) else repr(a) for a in args)
    if origin in (tuple, list):
        return f"list of {type_name(args[0], link)}" if args else "list"
    if origin is dict:
        return f"object of {type_name(args[1], link)}" if len(args) == 2 else "object"
    if dataclasses.is_dataclass(annotation):
        return link(annotation.__name__)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return " or ".join(repr(m.value) for m in annotation)
    if annotation is Any:
        return "any"
    if isinstance(annotation, type) and issubclass(annotation, PurePath):
        return "path"
    names = {bool: "bool", int: "int", float: "number", str: "str"}
    return names.get(annotation, getattr(annotation, "__name__", str(annotation)))
