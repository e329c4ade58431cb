"""The rule format: a bad rule file is reported at its lines, every problem at once, with a
did-you-mean for a near miss; the course's own rule files, the format's example and the
editor's template load."""

from __future__ import annotations

from pathlib import Path

import pytest

import lab.detect.rules as rules_module
from lab.detect import RuleError, parse_rules, read_rules
from lab.detect.fields import Source
from lab.detect.rules import Level
from lab.session.editor import RULES_TEMPLATE

LESSONS = Path(__file__).resolve().parents[2] / "lessons"

GOOD = """\
[[rule]]
id = "peek-by-tenant"
title = "A tenant reads another VM's memory"
source = "hypercall"
level = "high"
output = "{vm} peeked at {target}"

[rule.detection]
condition = "peek and not admin"
peek = { call = "VMCTL.peek" }
admin = { control = true }
"""

# (rule file, the problems reported: "line: words in the message", in line order)
BAD = [
    pytest.param(
        GOOD.replace('call = "VMCTL.peek"', 'cal = "VMCTL.peek"'),
        ["10: selection 'peek': hypercall observations have no field 'cal'; did you mean 'call'?"],
        id="misspelt-field",
    ),
    pytest.param(
        GOOD.replace('source = "hypercall"', 'source = "hypercal"'),
        ["4: source 'hypercal': one of hypercall, event, frame; did you mean 'hypercall'?"],
        id="misspelt-source",
    ),
    pytest.param(
        GOOD.replace('level = "high"', 'levle = "high"'),
        ["5: a rule has no key 'levle'; did you mean 'level'?"],
        id="misspelt-key",
    ),
    pytest.param(
        GOOD.replace('condition = "peek and not admin"', 'condition = "peek and not admn"'),
        [
            "9: condition 'peek and not admn': no selection 'admn' (this rule's: peek, admin); "
            "did you mean 'admin'?"
        ],
        id="misspelt-selection",
    ),
    pytest.param(
        GOOD.replace('condition = "peek and not admin"', 'condition = "peek"'),
        ["11: selection 'admin' is not in the condition: use it or remove it"],
        id="unused-selection",
    ),
    pytest.param(
        GOOD.replace('{ call = "VMCTL.peek" }', '{ "call|startwith" = "VMCTL" }'),
        ["10: selection 'peek': 'call|startwith': no modifier 'startwith'; did you mean 'startswith'?"],
        id="misspelt-modifier",
    ),
    pytest.param(
        GOOD.replace("{ control = true }", '{ "domid|contains" = "0" }'),
        ["11: selection 'admin': 'domid|contains': contains does not apply to a number field"],
        id="text-modifier-on-a-number",
    ),
    pytest.param(
        GOOD.replace('output = "{vm} peeked at {target}"', 'output = "{vm} peeked at {tagret}"'),
        ["6: output: hypercall observations have no field 'tagret'; did you mean 'target'?"],
        id="output-field",
    ),
    pytest.param(
        GOOD + "\n" + GOOD,
        ["14: id 'peek-by-tenant' is taken by the rule on line 1: give each rule its own"],
        id="duplicate-id",
    ),
    pytest.param(
        GOOD.replace('title = "A tenant reads another VM\'s memory"\n', ""),
        ["1: a rule needs title = ..."],
        id="missing-title",
    ),
    pytest.param(
        GOOD.replace("[rule.detection]\n", "").replace('condition = "peek and not admin"\n', ""),
        [
            "1: a rule needs a [rule.detection] table",
            "8: a rule has no key 'peek'",
            "9: a rule has no key 'admin'",
        ],
        id="selections-outside-detection",
    ),
    pytest.param(
        GOOD + '\n[rule.count]\nat_least = 5\nby = ["ip.src"]\n',
        [
            "13: [rule.count] needs within = ...",
            "15: by: hypercall observations have no field 'ip.src'",
        ],
        id="count-needs-within-and-a-field-of-its-source",
    ),
    pytest.param(
        GOOD + "\n[rule.count]\nat_least = 0\nwithin = 1000\n",
        ["14: at_least is a whole number from 1 to 1_000_000, not 0"],
        id="count-at-least-zero",
    ),
    pytest.param(
        GOOD.replace('condition = "peek and not admin"', 'condition = "peek and (not admin"'),
        ["9: condition 'peek and (not admin': a bracket is left open: close it with )"],
        id="open-bracket",
    ),
    pytest.param(
        GOOD.replace('level = "high"', 'level = "hihg"'),
        ["5: level 'hihg': one of informational, low, medium, high, critical; did you mean 'high'?"],
        id="misspelt-level",
    ),
    pytest.param(
        GOOD.replace('id = "peek-by-tenant"', 'id = "Peek By Tenant"'),
        ["2: id 'Peek By Tenant': lower-case letters, digits, - and _, at most 64"],
        id="bad-id",
    ),
    pytest.param(
        '[[rule]]\nid = "x"\ntitle = "broken\n',
        ["3: "],
        id="toml-syntax",
    ),
    pytest.param(
        '[rules]\nid = "x"\n',
        ["1: unknown key 'rules': a rule file holds [[rule]] tables; did you mean 'rule'?"],
        id="rules-not-rule",
    ),
    pytest.param(
        GOOD.replace(
            'peek = { call = "VMCTL.peek" }\nadmin = { control = true }',
            '[rule.detection.peek]\ncall = "VMCTL.peek"\n[rule.detection.admin]\ncontrol = true\n'
            '[rule.detection.late]\ncondition = "x"',
        ).replace('condition = "peek and not admin"\n', ""),
        [
            "8: [rule.detection] needs a condition",
            "14: selection 'late' holds a condition",
        ],
        id="condition-after-a-selection-heading",
    ),
]


@pytest.mark.parametrize(("text", "expected"), BAD)
def test_a_bad_rule_file_names_each_problem_at_its_line(text: str, expected: list[str]) -> None:
    with pytest.raises(RuleError) as caught:
        parse_rules(text, path="mine.toml")
    reported = [str(p) for p in caught.value.problems]
    assert len(reported) == len(expected), reported
    for line, want in zip(reported, expected, strict=True):
        number, _, words = want.partition(": ")
        assert line.startswith(f"mine.toml:{number}: "), (line, want)
        assert words in line, (line, want)
    assert caught.value.line == int(expected[0].partition(":")[0])  # where an editor puts the cursor


def test_every_problem_of_a_file_is_reported_at_once() -> None:
    text = GOOD.replace('source = "hypercall"', 'source = "hypercall"\nseverity = "high"').replace(
        "control = true", "contrl = true"
    )
    text += "\n" + GOOD.replace('"peek-by-tenant"', '"second"').replace("not admin", "not admn")
    with pytest.raises(RuleError) as caught:
        parse_rules(text, path="two.toml")
    lines = [p.line for p in caught.value.problems]
    assert len(lines) == 3 and lines == sorted(lines)
    assert "severity" in str(caught.value) and "contrl" in str(caught.value) and "admn" in str(caught.value)


def test_a_good_rule_is_read_as_written() -> None:
    ruleset = parse_rules(GOOD, path="good.toml")
    (rule,) = ruleset.rules
    assert (rule.id, rule.source, rule.level, rule.line, rule.count) == (
        "peek-by-tenant",
        Source.HYPERCALL,
        Level.HIGH,
        1,
        None,
    )
    assert rule.matches({"call": "VMCTL.peek", "control": False})
    assert not rule.matches({"call": "VMCTL.peek", "control": True})
    assert rule.describe({"vm": "tenant", "target": "bank"}) == "tenant peeked at bank"
    assert ruleset.text == GOOD and ruleset.path == "good.toml"


def test_a_disabled_rule_is_checked_but_never_watches() -> None:
    ruleset = parse_rules(GOOD.replace('level = "high"', 'level = "high"\nenabled = false'))
    assert len(ruleset.rules) == 1 and ruleset.by_source() == {}
    with pytest.raises(RuleError, match="no field 'cal'"):
        parse_rules(
            GOOD.replace("call =", "cal =").replace('level = "high"', 'level = "high"\nenabled = false')
        )


RULE_FILES = sorted(p for p in (LESSONS / "detect").glob("*.toml") if p.name != "legit.toml")


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.name)
def test_the_course_rule_files_load(path: Path) -> None:
    assert read_rules(path).rules


def test_the_format_example_and_the_editor_template_load() -> None:
    doc = rules_module.__doc__ or ""
    example = doc[doc.index("[[rule]]") : doc.index("    rules = parse_rules")]
    example = "\n".join(line.removeprefix("    ") for line in example.splitlines())
    assert [r.id for r in parse_rules(example).rules] == ["control-api-by-tenant", "login-guessing"]
    assert parse_rules(RULES_TEMPLATE).rules


def test_a_file_that_cannot_be_read_is_a_rule_error(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match=r"missing\.toml"):
        read_rules(tmp_path / "missing.toml")
