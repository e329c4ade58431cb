"""The generated references cover everything a lesson can use: a scenario key, a guest command
or a trace message that exists without its entry in the docs fails here.

Each reference is written from the table that defines what it describes (hvlab.generate.pages);
these tests check the other direction: that nothing the engine accepts, runs or prints
escapes those tables.
"""

from __future__ import annotations

import ast
import contextlib
import re
import tomllib
from pathlib import Path
from typing import Final

import pytest

from hvlab.generate import guest_commands
from hvlab.generate.pages import SCENARIO_EXAMPLE, guest_reference, scenario_reference, trace_reference
from lab import trace_messages
from lab.hv.hypercalls import HypercallRecord
from lab.lesson.engine import ActionError, Lab
from lab.lesson.parser import load_lessons
from lab.net.events import NetEventKind
from lab.riscv.program import GUESTS_DIR
from lab.scenario import FORMAT, SCENARIOS_DIR, ScenarioError, read_scenario
from lab.session import DEFAULT_LESSONS
from lab.trace_messages import FIELDS, HYPERCALL, MESSAGES, EventKind, Message, match, pieces
from tests.guests import API, Console, boot

# ------------------------------------------------------------------ the scenario format


def _section(page: str, heading: str) -> str:
    """The text of one `## heading` section of a page."""
    start = page.index(f"\n## {heading}\n")
    end = page.find("\n## ", start + 1)
    return page[start : end if end >= 0 else None]


def test_every_key_of_the_format_has_its_row_in_its_tables_section() -> None:
    page = scenario_reference()
    for table in FORMAT:
        section = _section(page, f"`{table.header}`" if table.header else "The top level")
        for key in table.keys:
            assert f"\n| `{key.name}` | {key.kind.value} |" in section, (table.header, key.name)


def test_the_reader_refuses_every_key_the_format_does_not_list(tmp_path: Path) -> None:
    """So the keys the reader accepts are the format's, and the reference lists them all."""
    base = '[[vm]]\nname = "a"\nnet = "s"\n[[segment]]\nname = "s"\n[mgmt]\n'
    for table, where in (("", 0), ("[[vm]]", base.index("[[segment]]")), ("[mgmt]", len(base))):
        text = base[:where] + "colour = 1\n" + base[where:] if table else "colour = 1\n" + base
        path = tmp_path / "extra.toml"
        path.write_text(text)
        with pytest.raises(ScenarioError, match="unknown key 'colour' \\(expected "):
            read_scenario(path)


def test_the_example_sets_every_key_and_loads() -> None:
    data = tomllib.loads(SCENARIO_EXAMPLE)
    top, vm, segment, mgmt = FORMAT
    assert set(data) == set(top.names)
    assert set().union(*data["vm"]) == set(vm.names)
    assert set().union(*data["segment"]) == set(segment.names)
    assert set(data["mgmt"]) == set(mgmt.names)
    assert "```toml\n" + SCENARIO_EXAMPLE in scenario_reference()


def test_a_broken_example_stops_the_docs_build() -> None:
    with pytest.raises(ScenarioError, match="memory"):
        scenario_reference(SCENARIO_EXAMPLE.replace('memory = "256K"', 'memory = "3K"', 1))


def test_every_course_scenario_uses_only_keys_the_reference_lists() -> None:
    page = scenario_reference()
    for path in SCENARIOS_DIR.glob("*.toml"):
        data = tomllib.loads(path.read_text())
        keys = set(data) | {k for t in ("vm", "segment") for item in data.get(t, []) for k in item}
        keys |= set(data.get("mgmt", {}))
        for key in keys:
            assert f"| `{key}` |" in page, (path.name, key)


# ------------------------------------------------------------------ the guests' commands

SHELL_GUESTS = ("monitor.S", "bank.S")


@pytest.mark.parametrize("name", SHELL_GUESTS)
def test_every_command_routine_is_in_the_command_table(name: str) -> None:
    """A `cmd_NAME` routine without its table entry is a command help, the argument
    check and the reference know nothing about."""
    source = GUESTS_DIR / name
    table = [c.name for c in guest_commands.commands(source)]
    assert sorted(table) == guest_commands.routines(source)
    assert len(set(table)) == len(table)


@pytest.mark.parametrize("name", SHELL_GUESTS)
def test_every_command_is_in_the_reference_with_its_arguments_and_help(name: str) -> None:
    page = guest_reference()
    section = _section(page, name.removesuffix(".S"))
    for c in guest_commands.commands(GUESTS_DIR / name):
        assert f"| `{c.usage}` | {c.help} |" in section.replace("\\|", "|")
        if c.notes:
            assert " ".join(c.notes.split("\n")) in section


def test_the_running_monitor_prints_the_table_the_reference_is_read_from() -> None:
    """What the generator reads out of the image is what the guest's help prints."""
    table = guest_commands.commands(GUESTS_DIR / "monitor.S")
    tenant = Console(boot(API, "interp"), "tenant")
    out = tenant.type("help").splitlines()[2:-1]
    assert [line.split()[0] for line in out] == [c.name for c in table]
    for line, c in zip(out, table, strict=True):
        assert line.startswith(f"  {c.usage} ") and line.endswith(f" {c.help}")
        assert line.index(c.help) == 2 + max(26, len(c.usage) + 1)  # the monitor's HELP_COLUMN
    peek = next(c for c in table if c.name == "peek")
    assert tenant.type("help peek").splitlines()[2:-1] == peek.notes.split("\n")


def test_a_table_that_is_not_laid_out_as_the_shell_reads_it_fails_loudly(tmp_path: Path) -> None:
    source = (GUESTS_DIR / "bank.S").read_text()
    swapped = source.replace("cmd_accounts, 0,  0,", "cmd_balance, 0,  0,", 1)
    assert swapped != source
    (tmp_path / "bank.S").write_text(swapped)
    with pytest.raises(ValueError, match="'accounts' does not run cmd_accounts"):
        guest_commands.commands(tmp_path / "bank.S")


def test_every_course_guest_is_listed_with_its_summary() -> None:
    page = guest_reference()
    for path in GUESTS_DIR.glob("*.S"):
        row = re.search(rf"^\| `{re.escape(path.name)}` \| (.+?) \|", page, re.M)
        assert row is not None and len(row.group(1)) > 20, path.name


# ------------------------------------------------------------------ the trace's messages


def test_every_message_fills_in_its_example_and_every_field_is_explained() -> None:
    used = set()
    for m in MESSAGES:
        assert set(m.fields) <= set(FIELDS), (m.name, set(m.fields) - set(FIELDS))
        used |= set(m.fields)
        assert m.pattern.fullmatch(m.example), m.name  # the example reads back as the message
        assert m.meaning.endswith("."), m.name
    assert set(FIELDS) - used == {"where"}  # where: the network lines' prefix (Message.line_shape)
    assert len({m.name for m in MESSAGES}) == len(MESSAGES)


def test_every_kind_and_every_message_is_in_the_reference() -> None:
    page = trace_reference()
    for kind in EventKind:
        section = _section(page, kind.value)
        for m in MESSAGES:
            if m.kind is kind:
                assert f"| `{m.shown}` | {m.meaning} | `{m.example}` |" in section.replace("\\|", "|"), m.name
    for name in FIELDS:
        assert f"| `{{{name}}}` |" in _section(page, "Fields")


def test_every_network_event_kind_has_its_messages() -> None:
    tags = {m.tag for m in MESSAGES if m.tag}
    assert tags == {k.value for k in NetEventKind}
    assert all(m.kind in (EventKind.NET, EventKind.MGMT) for m in MESSAGES if m.tag)


def _play_every_lesson() -> list[tuple[object, bool]]:
    """Every English lesson's solutions on a fresh machine and on one hardened first:
    each trace record, with whether the machine was hardened."""
    out = []
    for lesson in sorted(load_lessons(DEFAULT_LESSONS), key=lambda x: x.path.name):
        if lesson.lang != "en":
            continue
        for hardened in (False, True):
            lab = Lab(lesson, backend="interp", seed=7)
            lab.start()
            for call in (c for step in lesson.steps for c in step.harden) if hardened else ():
                lab.perform(call)
            for i in range(len(lesson.steps)):
                with contextlib.suppress(ActionError):  # hardened, a solution may be refused
                    lab.play(i)
            out += [(record, hardened) for record in lab.hv.trace]
            lab.close()
    return out


def _unnamed(pattern: str) -> str:
    """A message's pattern without its group names, to join several in one expression."""
    return re.sub(r"\(\?P=\w+\)", "(?:.*?)", re.sub(r"\(\?P<\w+>", "(?:", pattern))


def _filled_by_pieces(m: Message, text: str) -> list[str]:
    """The fields of `m` in `text` that the table's pieces fill, none of which matches."""
    found = m.pattern.fullmatch(text)
    assert found is not None
    bad = []
    for field, value in found.groupdict().items():
        alternatives = [_unnamed(p.pattern.pattern) for p in pieces(field)]
        times = "*" if field == "note" else ""  # the ring's notes come in any number, the rest once
        if alternatives and not re.fullmatch(f"(?:{'|'.join(alternatives)}){times}", value, re.S):
            bad.append(f"{field}={value!r}")
    return bad


def test_every_line_of_every_lesson_is_a_message_of_its_kind() -> None:
    """A line written with free text, or a reason outside the table, fails here: the
    reference would not list it and an instructor could not look it up."""
    seen: set[str] = set()
    records = _play_every_lesson()
    assert len(records) > 5000
    for record, _ in records:
        text = record.describe()
        if isinstance(record, HypercallRecord):
            assert HYPERCALL.pattern.fullmatch(text)
            if record.why and not record.patched:  # a student's patch writes its own reasons
                assert match(record.why, fills="reason") is not None, record.why
                seen.add(match(record.why, fills="reason").name)
            continue
        m = match(text, record.kind)
        assert m is not None, f"{record.kind}: {text}"
        assert not _filled_by_pieces(m, text), (text, _filled_by_pieces(m, text))
        seen.add(m.name)
    # The course exercises a good part of the table (the rest is covered by tests/hv, tests/net).
    assert len(seen) >= 40, sorted(seen)


def test_a_line_outside_the_table_is_caught() -> None:
    assert match("dom1 (tenant) grants page 0x80030000 to dom2 (bank) (read-write) as ref 0", "grant")
    assert match("dom1 (tenant) gives away page 0x80030000", "grant") is None
    assert match("no VM with domid 9", fills="reason") is not None
    assert match("no VM numbered 9", fills="reason") is None
    line = "dom2 (bank) destroyed: destroyed because I said so"
    assert _filled_by_pieces(match(line, "vm"), line) == ["why='destroyed because I said so'"]


# Calls whose text goes into the trace, and which argument holds it.
TRACE_TEXT_ARGUMENTS: Final = {
    "event": 1,  # hv.event(domid, LINE, **data)
    "fail": 1,  # SbiRet.fail(error, WHY)
    "ok": 1,  # SbiRet.ok(value, WHY)
    "pause": 1,  # hv.pause(vm, WHY), and the others of a VM's state
    "unpause": 1,
    "destroy": 1,
    "reboot": 1,
    "set_state": 2,
    "unmap_grant": None,  # why= only
    "_event": 1,  # the network's parts: _event(now, LINE)
    "trace_net": 2,
}


def _literal_text(node: ast.expr | None) -> bool:
    return isinstance(node, ast.JoinedStr) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value != ""
    )


def test_no_code_writes_trace_text_of_its_own() -> None:
    """Every text that reaches the trace comes from lab/trace_messages.py: a string literal or
    an f-string handed to one of the calls that write it is a line the reference lacks."""
    found = []
    lab = Path(trace_messages.__file__).parent
    for path in sorted(lab.rglob("*.py")):
        if path.name == "trace_messages.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            name = node.func.attr
            if name not in TRACE_TEXT_ARGUMENTS:
                continue
            if name in ("fail", "ok") and ast.unparse(node.func.value) != "SbiRet":
                continue  # another fail() (the scenario reader's) or ok()
            index = TRACE_TEXT_ARGUMENTS[name]
            texts = [kw.value for kw in node.keywords if kw.arg == "why"]
            if index is not None and len(node.args) > index:
                texts.append(node.args[index])
            if any(_literal_text(t) for t in texts):
                found.append(f"{path.relative_to(lab.parent)}:{node.lineno}: {ast.unparse(node)[:80]}")
    assert not found, "\n".join(found)
