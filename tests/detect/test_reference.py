"""The docs' detection rule reference is written from the engine's tables: every key, every field
of every source, every modifier and comparison is on it; its example is accepted, its broken
example refused at the lines shown; the docs site lists the page."""

from __future__ import annotations

from pathlib import Path

import pytest

from hvlab.generate.pages import DETECTION_EXAMPLE, detection_reference
from lab.detect import FIELDS, KEYS, parse_rules
from lab.detect.fields import Source, param_names
from lab.detect.match import MODIFIERS, OPERATORS

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def page() -> str:
    return detection_reference()


def section(page: str, heading: str) -> str:
    start = page.index(f"\n## {heading}\n")
    end = page.find("\n## ", start + 1)
    return page[start : end if end >= 0 else None]


def test_every_key_is_in_its_tables_section(page: str) -> None:
    for key in KEYS:
        heading = "`[[rule]]`" if key.table == "rule" else f"`[{key.table}]`"
        assert f"\n| `{key.name}` | {'yes' if key.required else ''} |" in section(page, heading), key


def test_every_field_of_every_source_is_listed(page: str) -> None:
    fields = section(page, "Sources and their fields")
    for source in Source:
        own = fields[fields.index(f"### `{source.value}`") :]
        own = own[: own.find("\n### ", 1) if own.find("\n### ", 1) > 0 else None]
        for name, field in FIELDS[source].items():
            assert f"\n| `{name}` | {field.type.value} |" in own, (source, name)
    for param in param_names():
        assert f"`arg.{param}`" in fields


def test_every_modifier_and_comparison_is_listed(page: str) -> None:
    for name in MODIFIERS:
        assert f"\n| `{name}` |" in section(page, "Selections: field modifiers")
    for op in OPERATORS:
        assert f"\n| `{op}` |" in section(page, "Conditions")


def test_the_example_loads_and_the_broken_one_is_refused_at_its_lines(page: str) -> None:
    assert [r.id for r in parse_rules(DETECTION_EXAMPLE).rules] == ["control-api-abuse", "mgmt-flood"]
    errors = page[page.index("```text\n") + 8 :].split("```", 1)[0].splitlines()
    assert errors and all(line.startswith("mine.toml:") for line in errors)
    assert any("did you mean 'udp.dstport'?" in e for e in errors)
    assert any("did you mean 'critical'?" in e for e in errors)


def test_the_docs_site_lists_the_page() -> None:
    assert "reference/detection.md" in (ROOT / "mkdocs.yml").read_text()
    assert "detection_reference()" in (ROOT / "docs" / "hooks.py").read_text()


def test_the_authoring_guides_error_lines_are_the_readers_own(page: str) -> None:
    guide = (ROOT / "docs" / "authoring.md").read_text()
    part = guide[guide.index("\n## Detection rules\n") : guide.index("\n## Translations\n")]
    shown = [line for line in part.splitlines() if line.startswith("mine.toml:")]
    assert shown and all(line in page.splitlines() for line in shown)
