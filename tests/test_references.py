"""The generated references cover everything a lesson can use: a scenario key, a guest command
or a trace message that exists without its entry in the docs fails here.

Each reference is written from the table that defines what it describes (hvlab.generate.pages);
these tests check the other direction: that nothing the engine accepts, runs or prints
escapes those tables.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from hvlab.generate import guest_commands
from hvlab.generate.pages import SCENARIO_EXAMPLE, guest_reference, scenario_reference
from lab.riscv.program import GUESTS_DIR
from lab.scenario import FORMAT, SCENARIOS_DIR, ScenarioError, read_scenario
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
