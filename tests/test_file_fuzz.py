"""A file fuzzer for every loader: seeded mutations of the course's own files.

Each case takes a real file (a scenario from lab/guests/, a lesson from lessons/,
a progress file, an ELF, a guest's assembly, an --input text), mutates it (a
value swapped for one of another type or past a limit, a key added or dropped,
a table duplicated, bytes flipped, cut or inserted, tables nested deep) and feeds
it to its loader. Every case asserts:

- nothing but the loader's own error leaves it (ScenarioError, LessonError,
  ProgressError, ProgramError, ValueError for --input);
- the message is one line that names the file;
- nothing is half-applied: a progress file that fails to load is kept byte for
  byte (the session moves it aside and writes nothing in its place), a progress
  import that fails leaves the session's progress as it was; a scenario that
  loads has every VM's secret inside that VM's RAM.

`make test` runs CASES cases per loader with seed 0 (a few seconds). A longer
campaign: HVLAB_FUZZ_CASES=20000 (per loader) and HVLAB_FUZZ_SEED=N (another
seed), e.g. `HVLAB_FUZZ_CASES=20000 .venv/bin/python -m pytest -q tests/test_file_fuzz.py`.
A failure names its seed and case and shows the start of the file that broke it.
"""

from __future__ import annotations

import copy
import json
import os
import random
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import pytest

from hvlab.cli import console_input
from lab.lesson.model import LessonError
from lab.lesson.parser import parse_lesson
from lab.lesson.progress import Progress, ProgressError
from lab.lesson.progress import load as load_progress
from lab.riscv.program import ProgramError, check_fits, load_program
from lab.scenario import GUESTS_DIR, SCENARIOS_DIR, ScenarioError, load_scenario, read_scenario
from lab.session.course import ProgressBook

REPO: Final = Path(__file__).resolve().parents[1]
CASES: Final = int(os.environ.get("HVLAB_FUZZ_CASES", "0")) or 120
SEED: Final = int(os.environ.get("HVLAB_FUZZ_SEED", "0"))
BUILD_LIMIT: Final = 8 << 20  # a scenario that reads is built too when its RAM is at most this

SCENARIOS: Final = sorted(SCENARIOS_DIR.glob("*.toml"))
LESSONS: Final = sorted((REPO / "lessons").glob("*.md"))
ELVES: Final = [REPO / "bench" / "programs" / "crc32.elf"]
SOURCES: Final = [REPO / "tests" / "lesson" / "data" / "spin.S", *sorted((GUESTS_DIR / "lib").glob("*.S"))]


def deep(n: int, leaf: Any = 1) -> Any:
    for _ in range(n):
        leaf = [leaf]
    return leaf


# Values past every limit and of every type: what a careless or hostile file holds.
VALUES: Final[list[Any]] = [
    0,
    1,
    -1,
    7,
    64,
    65,
    4095,
    4096,
    4097,
    0x7FFF_FFFF,
    2**31,
    2**32 - 1,
    2**32,
    2**63 - 1,
    -(2**63),
    True,
    False,
    0.5,
    -0.0,
    float("inf"),
    float("nan"),
    "",
    "x",
    "abc",
    "256K",
    "4K",
    "1M",
    "256M",
    "257M",
    "10G",
    "1000G",
    "-4K",
    "0x1000",
    "0x80000000",
    "4097",
    "1e3",
    "10.0.0.1",
    "10.0.0.10",
    "10.0.0.255",
    "10.0.0.0/24",
    "10.0.0.1/24",
    "0.0.0.0/0",
    "10.0.0.0/31",
    "hardened",
    "vulnerable",
    "monitor.S",
    "bank.S",
    "nope.S",
    "../../etc/passwd",
    "tenants",
    "admin",
    "bank",
    "secret",
    "_start",
    "a b",
    "a\0b",
    "é" * 40,
    "x" * 5000,
    "line\nbreak",
    [],
    [1, "a"],
    ["tenants"],
    {},
    {"a": 1},
    {"preset": "hardened"},
    {"authorize": True},
    deep(20),
    deep(40),
]
KEYS: Final = [
    "name",
    "title",
    "description",
    "quantum",
    "hv_secret",
    "policy",
    "vm",
    "segment",
    "mgmt",
    "program",
    "memory",
    "weight",
    "control",
    "secret",
    "secret_at",
    "net",
    "ip",
    "disk",
    "subnet",
    "segment",
    "user",
    "password",
    "seed",
    "preset",
    "hypercall.authorize",
    "mgmt.lockout_after",
    "colour",
    "id",
    "lang",
    "minutes",
    "requires",
    "scenario",
    "summary",
    "incident",
    "version",
    "lessons",
    "steps",
    "done",
    "hints",
    "attempts",
    "started",
    "finished",
    "current",
    "0",
    "1",
    "999",
    "1000",
    "-1",
]
TOKENS: Final = [
    b"[",
    b"]",
    b"{",
    b"}",
    b"=",
    b'"',
    b"'",
    b"\n",
    b"+++\n",
    b"```",
    b"```check\n",
    b"## ",
    b"\xff",
    b"\xc3",
    b"\x00",
    b"\\",
    b"9" * 5000,
    b"[" * 3000,
    b"{a=" * 500,
    b"[[vm]]\n",
    b"-1",
    b"true",
    b"nan",
]


# ---------------------------------------------------------------- mutations


def value(rng: random.Random) -> Any:
    """One of VALUES, a copy of its own: an edit to it must not change VALUES."""
    return copy.deepcopy(rng.choice(VALUES))


def mutate_bytes(rng: random.Random, data: bytes) -> bytes:
    """One to four byte-level edits: flip, insert a token, delete, duplicate or cut."""
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        at = rng.randrange(len(buf) + 1)
        op = rng.randrange(5)
        if op == 0 and buf:
            buf[min(at, len(buf) - 1)] = rng.randrange(256)
        elif op == 1:
            buf[at:at] = rng.choice(TOKENS)
        elif op == 2:
            del buf[at : at + rng.randint(1, 64)]
        elif op == 3:
            buf[at:at] = buf[at : at + rng.randint(1, 256)]
        else:
            del buf[at:]
    return bytes(buf)


def places(data: Any, path: tuple = ()) -> list[tuple]:
    """Every (container path, key) in nested dicts and lists."""
    found = []
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else []
    for key, value in items:
        found.append((*path, key))
        found += places(value, (*path, key))
    return found


def containers(data: Any, path: tuple = ()) -> list[tuple]:
    """Every path to a dict (where a key can be added)."""
    found = [path] if isinstance(data, dict) else []
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else []
    for key, value in items:
        found += containers(value, (*path, key))
    return found


def at(data: Any, path: tuple) -> Any:
    for key in path:
        data = data[key]
    return data


def mutate_data(rng: random.Random, data: Any) -> Any:
    """One to three structural edits of parsed TOML or JSON."""
    data = json.loads(json.dumps(data, default=str))  # a deep copy; dates become strings
    for _ in range(rng.randint(1, 3)):
        spots = places(data)
        op = rng.randrange(5)
        if op == 0 and spots:  # a value of another type, or past a limit
            *parent, key = rng.choice(spots)
            at(data, tuple(parent))[key] = value(rng)
        elif op == 1 and spots:  # a key dropped
            *parent, key = rng.choice(spots)
            del at(data, tuple(parent))[key]
        elif op == 2:  # a key added, known or not
            at(data, rng.choice(containers(data)))[rng.choice(KEYS)] = value(rng)
        elif op == 3:  # a table or element duplicated (duplicate names, IPs, control domains)
            lists = [p for p in spots if isinstance(at(data, p), list) and at(data, p)]
            if lists:
                items = at(data, rng.choice(lists))
                items.append(json.loads(json.dumps(rng.choice(items))))
        elif spots:  # one value copied over another
            *parent, key = rng.choice(spots)
            at(data, tuple(parent))[key] = json.loads(json.dumps(at(data, rng.choice(spots))))
    return data


def toml_key(key: Any) -> str:
    key = str(key)
    return key if key and all(c.isalnum() or c in "_-" for c in key) and key.isascii() else json.dumps(key)


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if value != value else "inf" if value == float("inf") else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    return json.dumps(str(value))


def to_toml(data: dict[str, Any]) -> str:
    """TOML for what mutate_data makes: scalars first, then [tables] and [[arrays of tables]]."""
    head, tail = [], []
    for key, value in data.items():
        if isinstance(value, dict):
            tail.append(f"[{toml_key(key)}]")
            tail += [f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()]
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for item in value:
                tail.append(f"[[{toml_key(key)}]]")
                tail += [f"{toml_key(k)} = {toml_value(v)}" for k, v in item.items()]
        else:
            head.append(f"{toml_key(key)} = {toml_value(value)}")
    return "\n".join(head + tail) + "\n"


def mutate_toml(rng: random.Random, text: bytes) -> bytes:
    import tomllib

    if rng.random() < 0.75:
        out = to_toml(mutate_data(rng, tomllib.loads(text.decode()))).encode()
        return mutate_bytes(rng, out) if rng.random() < 0.2 else out
    return mutate_bytes(rng, text)


def mutate_lines(rng: random.Random, text: bytes) -> bytes:
    """Line edits (drop, repeat, swap, a front matter value replaced), then maybe bytes."""
    lines = text.split(b"\n")
    for _ in range(rng.randint(1, 3)):
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        op = rng.randrange(4)
        if op == 0:
            del lines[i]
        elif op == 1:
            lines.insert(i, lines[j])
        elif op == 2:
            lines[i], lines[j] = lines[j], lines[i]
        else:
            fm = [n for n, line in enumerate(lines[:12]) if b" = " in line]
            if fm:
                n = rng.choice(fm)
                key = lines[n].split(b" = ", 1)[0]
                lines[n] = key + b" = " + toml_value(value(rng)).encode()
        if not lines:
            lines = [b""]
    out = b"\n".join(lines)
    return mutate_bytes(rng, out) if rng.random() < 0.4 else out


def mutate_elf(rng: random.Random, data: bytes) -> bytes:
    """Header and program-header fields set to edge values, or bytes anywhere."""
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        if rng.random() < 0.6 and len(buf) >= 8:
            offset = rng.randrange(0, min(len(buf), 52 + 32 * 4) - 4, 2)
            value = rng.choice([0, 1, 2, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, rng.getrandbits(32)])
            buf[offset : offset + 4] = value.to_bytes(4, "little")
        else:
            buf = bytearray(mutate_bytes(rng, bytes(buf)))
    return bytes(buf)


# ---------------------------------------------------------------- the loaders and their checks


def one_line_naming(exc: BaseException, path: Path) -> None:
    text = str(exc)
    assert str(path) in text, text[:300]
    assert "\n" not in text and len(text) < 2000, text[:300]


def check_scenario(path: Path) -> None:
    try:
        spec = read_scenario(path)
        if sum(vm.memory for vm in spec.vms) > BUILD_LIMIT:
            return
        hv = load_scenario(path).hv
    except ScenarioError as exc:
        one_line_naming(exc, path)
        return
    for vm in hv.vms:  # nothing of a VM lies outside it: its secret is in its own RAM
        if vm.config.secret:
            assert vm.host_span(vm.secret_gpa, len(vm.config.secret)) == [f"dom{vm.domid} ({vm.name})"]
        vm.cpu.close()


def check_lesson(path: Path) -> None:
    try:
        parse_lesson(path)
    except LessonError as exc:  # every problem of the file, each on a line of its own
        for problem in exc.problems:
            one_line_naming(problem, path)
        assert len(exc.problems) <= path.read_bytes().count(b"\n") + 1


def check_progress(path: Path) -> None:
    before = path.read_bytes()
    try:
        load_progress(path)
    except ProgressError as exc:
        one_line_naming(exc, path)
        book = ProgressBook(path)  # the rule: moved aside, never overwritten
        kept = [p for p in path.parent.iterdir() if p.name.startswith(f"{path.name}.unreadable-")]
        assert len(kept) == 1 and kept[0].read_bytes() == before, book.problem
        assert not path.exists()
        return
    book = ProgressBook(path)
    assert not book.problem
    old = book.progress.to_dict()
    mutated = mutate_data(random.Random(len(before)), old)
    if book.replace(mutated):  # an import refused: all of it or nothing
        assert book.progress.to_dict() == old and path.read_bytes() == before


def check_program(path: Path) -> None:
    try:
        program = load_program(path)
        check_fits(program, ram_gpa=0x8000_0000, ram_size=1 << 20)
    except ProgramError as exc:
        one_line_naming(exc, path)


# ---------------------------------------------------------------- the campaign


def campaign(
    tmp_path: Path,
    name: str,
    originals: list[Path],
    mutate: Callable[[random.Random, bytes], bytes],
    check: Callable[[Path], None],
    *,
    suffix: str | None = None,
    folder: Path | None = None,
) -> None:
    folder = folder or tmp_path
    for case in range(CASES):
        rng = random.Random(f"{SEED}:{name}:{case}")
        original = rng.choice(originals)
        data = mutate(rng, original.read_bytes())
        path = folder / f"case{case}{suffix or original.suffix}"
        if name == "progress":
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            path = folder / "progress.json"
        path.write_bytes(data)
        try:
            check(path)
        except Exception as exc:  # an assertion, or an exception that should not have left the loader
            where = f"seed {SEED} {name} case {case} ({original.name})"
            raise AssertionError(f"{where}: {type(exc).__name__}: {exc}\n{data[:600]!r}") from exc


def test_fuzz_scenarios(tmp_path) -> None:
    campaign(tmp_path, "scenario", SCENARIOS, mutate_toml, check_scenario)


def test_fuzz_lessons(tmp_path) -> None:
    # The lessons name the course's scenarios by id; their patches/ sit beside them.
    shutil.copytree(REPO / "lessons" / "patches", tmp_path / "lessons" / "patches")
    campaign(tmp_path, "lesson", LESSONS, mutate_lines, check_lesson, folder=tmp_path / "lessons")


def test_fuzz_lessons_with_broken_scenarios(tmp_path) -> None:
    # A good lesson in front of a mutated scenario: the lesson names it, never a traceback.
    lesson = (REPO / "lessons" / "03-control-api.md").read_text(encoding="utf-8")

    def mutate(rng: random.Random, data: bytes) -> bytes:
        (tmp_path / "s.toml").write_bytes(mutate_toml(rng, data))
        return lesson.replace('scenario = "api"', 'scenario = "s.toml"').encode()

    campaign(tmp_path, "lesson-scenario", SCENARIOS, mutate, check_lesson, suffix=".md")


def test_fuzz_progress(tmp_path) -> None:
    progress = Progress(seed=1234)
    for lid in ("tour", "hypercalls", "control-api"):
        for step in range(3):
            s = progress.step(lid, step)
            s.done, s.hints, s.attempts, s.started, s.finished = step < 2, step, 2 * step, 1.7e9, 1.7e9 + step
        progress.lesson(lid).current = 2
    real = tmp_path / "real.json"
    real.write_text(json.dumps(progress.to_dict()))

    def mutate(rng: random.Random, data: bytes) -> bytes:
        if rng.random() < 0.7:
            return json.dumps(mutate_data(rng, json.loads(data))).encode()
        return mutate_bytes(rng, data)

    campaign(tmp_path, "progress", [real], mutate, check_progress, folder=tmp_path / "data")


def test_fuzz_elf(tmp_path) -> None:
    campaign(tmp_path, "elf", ELVES, mutate_elf, check_program)


def test_fuzz_assembly(tmp_path) -> None:
    campaign(tmp_path, "asm", SOURCES, mutate_lines, check_program)


def test_fuzz_input_escapes() -> None:
    alphabet = ["\\", "x", "u", "n", "0", "4", "f", "g", "€", "a", " ", "\udce9", "\ud800", "2", "A"]
    for case in range(CASES * 5):
        rng = random.Random(f"{SEED}:input:{case}")
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        try:
            data = console_input(text)
        except ValueError as exc:
            assert str(exc).startswith("column ") and "\n" not in str(exc), (case, text)
        else:
            assert isinstance(data, bytes)


@pytest.mark.parametrize("mutate", [mutate_toml, mutate_lines, mutate_bytes])
def test_the_mutators_are_deterministic(mutate) -> None:
    original = (SCENARIOS_DIR / "api.toml").read_bytes()
    values = repr(VALUES)
    for case in range(200):
        assert mutate(random.Random(case), original) == mutate(random.Random(case), original)
    assert repr(VALUES) == values  # a case never edits the values the next one draws from
