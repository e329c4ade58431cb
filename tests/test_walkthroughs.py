"""The instructor's walkthrough (docs/walkthroughs.md), done from the page alone: the issue's
acceptance test. In a temporary folder: `hvlab lessons new`, the page's new vulnerability
(its policy switch, its trace messages, its hypercall module) added to the running hvlab
through the tables the page says to edit, its victim and attacker guests assembled and run,
its scenario and lesson written as the page shows them, validated by `hvlab lessons check`,
and previewed (a saved lesson and a saved program read again by the session).

Every file comes out of the page itself (the fenced block after each `<!-- walkthrough:
NAME -->` marker), so the page cannot drift from what works.
"""

from __future__ import annotations

import io
import re
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import pytest

from hvlab.cli import main
from hvlab.generate.guest_headers import sbi_asm
from hvlab.generate.pages import hypercall_reference
from lab import trace_messages
from lab.hv import hypercalls, policy
from lab.hv.sbi import __file__ as SBI_INIT
from lab.lesson.validator import TeachingRules, check
from lab.session import Session
from lab.trace_messages import EventKind, Message
from tests.test_preview import touch

PAGE: Final = Path(__file__).resolve().parents[1] / "docs" / "walkthroughs.md"
LESSON: Final = "console-snoop"
BLOCK: Final = re.compile(r"<!-- walkthrough: (\S+) -->\n(`{3,}|~{3,})[^\n]*\n(.*?)\n\2\n", re.S)


def blocks() -> dict[str, str]:
    """The page's files by name: the fenced block after each marker."""
    found = {name: text + "\n" for name, _, text in BLOCK.findall(PAGE.read_text(encoding="utf-8"))}
    assert len(found) == len(re.findall("<!-- walkthrough:", PAGE.read_text())), "a marker without its block"
    return found


@pytest.fixture
def vulnerability(monkeypatch) -> Iterator[types.ModuleType]:
    """Section 2 of the page, in this process: the switch's row added to SWITCHES, the messages
    to lab/trace_messages.py, the module to lab/hv/sbi/; all taken back afterwards."""
    page = blocks()
    table = dict(vars(policy))
    exec(page["policy-switch"], table)  # the page shows the table's end: the new row is its last
    switch = table["SWITCHES"][-1]
    assert isinstance(switch, policy.Switch) and switch.key not in policy.BY_KEY
    monkeypatch.setattr(policy, "SWITCHES", (*policy.SWITCHES, switch))
    monkeypatch.setitem(policy.BY_KEY, switch.key, switch)

    # The table's own short names for the kinds (lab/trace_messages.py defines them for its rows).
    messages = {**vars(trace_messages), "H": EventKind.HYPERCALL, "V": EventKind.VM, "G": EventKind.GRANT}
    exec(page["trace-messages"], messages)
    added = {k: v for k, v in messages.items() if isinstance(v, Message) and not hasattr(trace_messages, k)}
    assert set(added) == {"CONLOG_DENIED", "CONLOG_READ"}
    for name, message in added.items():
        assert set(message.fields) <= set(trace_messages.FIELDS)  # the page uses fields the table has
        monkeypatch.setattr(trace_messages, name, message, raising=False)

    module = types.ModuleType("lab.hv.sbi.conlog")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    registered = dict(hypercalls.EXTENSIONS)
    try:
        exec(compile(page["lab/hv/sbi/conlog.py"], "lab/hv/sbi/conlog.py", "exec"), module.__dict__)
        yield module
    finally:
        hypercalls.EXTENSIONS.clear()
        hypercalls.EXTENSIONS.update(registered)


def test_the_page_names_the_extension_where_the_others_are() -> None:
    """The page's line for lab/hv/sbi/__init__.py is today's, with conlog in its place."""
    today = next(
        line for line in Path(SBI_INIT).read_text().splitlines() if line.startswith("from lab.hv.sbi")
    )
    names = re.search(r"import (.*?)  #", today).group(1).split(", ")
    wanted = f"from lab.hv.sbi import {', '.join(sorted([*names, 'conlog']))}  # noqa: F401\n"
    assert blocks()["sbi-import"] == wanted


def test_an_instructor_builds_the_lesson_from_the_page(
    vulnerability, tmp_path: Path, monkeypatch, capsys
) -> None:
    page = blocks()
    monkeypatch.chdir(tmp_path)

    # 1. a lesson that works, to start from
    assert main(["lessons", "new", LESSON, "--title", "Console snoop: a boot log anyone can read"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{LESSON}.de.md", f"{LESSON}.md", f"{LESSON}.toml"]
    assert check([tmp_path], backend_names=["interp"], echo=lambda line: None) == 0
    capsys.readouterr()

    # 2d. what the generators write for it: the guests' names and the hypercall reference
    assert re.search(r"\.equ EID_CONLOG, +0x09000010", sbi_asm()) and "CONLOG_READ," in sbi_asm()
    assert "`read(domid, gpa, len)`" in hypercall_reference()

    # 3. the guests: assembled, read back, run alone (no dom2 there: refused, exit code 1)
    for name in ("keeper.S", "snoop.S", f"{LESSON}.toml", f"{LESSON}.md"):
        (tmp_path / name).write_text(page[name], encoding="utf-8")
    assert main(["asm", "snoop.S"]) == 0
    assert "snoop.bin:" in capsys.readouterr().out
    assert main(["disasm", "snoop.bin"]) == 0
    assert "ecall" in capsys.readouterr().out
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))  # nothing typed
    assert main(["run", "snoop.S"]) == 1
    assert "snoop: refused" in capsys.readouterr().out

    # 2d. the hypercall typed at the tenant's monitor, and its line in the trace as the page shows it
    typed = ["--input", "tenant=hcall 0x09000010 0 2 0x80030000 64\\n", "--trace"]
    assert main(["run", f"{LESSON}.toml", *typed]) == 0
    shown = page["trace-line"].split("] dom1 tenant    ", 1)[1].strip()
    assert shown in capsys.readouterr().out
    assert main(["run", f"{LESSON}.toml", *typed, "--policy", "hardened"]) == 0
    assert "SBI_ERR_DENIED: dom1 (tenant) may read only its own console" in capsys.readouterr().out

    # 4. the lesson, proved with the teaching rules, as the page says it reads
    (tmp_path / f"{LESSON}.de.md").unlink()
    heard: list[str] = []
    problems: list[str] = []
    status = check([Path(".")], teaching=TeachingRules.ERROR, echo=heard.append, complain=problems.append)
    assert status == 0, heard + problems
    assert page["check-output"].splitlines()[0] in heard

    # 5. the preview: the student's way through, then the instructor saves files
    session = Session(tmp_path, progress_path=None)
    session.open_lesson(LESSON, "en")
    session.start()
    session.type("admin", "hcall 0x09000010 0 0 0x80030000 64")
    assert session.load_source("tenant", page["snoop.S"], "snoop.S").ok
    session.run(100_000)  # the guests run (the front ends' run loop does this on its own)
    evaluation = session.evaluate()
    assert evaluation.step == 0 and evaluation.done_now, evaluation
    session.next_step()  # the instructor moves on to step 2, as a student would
    hv = session.lab.hv
    touch(
        tmp_path / f"{LESSON}.md",
        page[f"{LESSON}.md"].replace("## A log is its owner's", "## Logs are private"),
    )
    touch(tmp_path / "snoop.S", page["snoop.S"].replace("snoop: refused", "snoop: no luck"))
    reloaded = session.reload()  # a program the scenario does not load: the machine stays
    assert not reloaded.restarted and session.lab.hv is hv
    assert reloaded.lesson.steps[1].title == "Logs are private"
    touch(tmp_path / "keeper.S", page["keeper.S"].replace("unlock code", "door code"))
    assert session.reload().restarted and session.lab.hv is not hv  # the keeper is the scenario's
    assert session.state().step == 1  # resumed at the step the instructor was on
    assert "keeper: door code KEEPER{" in session.lab.vm("keeper").console_text()
