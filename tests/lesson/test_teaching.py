"""The teaching rules: hint ladders, prose that does not hand over its own command, a reflection.

These are issue 16's tests: they fail when an attack or hardening step's prose contains its
own solution command, or when such a step has fewer than three hints.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hvlab.cli import main as hvlab
from lab.lesson import parse_lesson
from lab.lesson.parser import load_lessons
from lab.lesson.teaching import giveaways, teaching_problems
from tests.lesson.conftest import LESSONS
from tests.lesson.test_quiz import GOOD, edit

HARDEN = """
## Deny by default

Make the hypervisor refuse the tenant's control calls, and check that the admin still works.

```check
hypercall vm=tenant fn=peek result=denied since=step
attack_blocked
```

```hint
Xen asks a policy before every privileged call.
```

```hint
The policy panel lists what the hypervisor can check.
```

```hint
Turn on `hypercall.authorize`, then `peek 2 0x80001000 32` again.
```

```solution
set hypercall.authorize on
type tenant peek 2 0x80001000 32
```
"""


def lesson_with(write_lesson, body: str):
    return parse_lesson(write_lesson(body))


def problems(write_lesson, body: str) -> list[str]:
    return teaching_problems(lesson_with(write_lesson, body))


def with_harden_step(text: str = GOOD) -> str:
    return edit(text, "## What you learned", HARDEN.strip() + "\n\n## What you learned")


def test_a_lesson_that_follows_the_rules_has_no_problem(write_lesson):
    assert problems(write_lesson, with_harden_step()) == []


@pytest.mark.parametrize(
    "prose",
    [
        "Type `peek 2 0x80001000 32` at the tenant's console.",
        "Then peek  2   0x80001000 32 shows it.",  # any run of spaces matches
        "(peek 2 0x80001000 32)",
    ],
)
def test_prose_holding_the_typed_command_is_caught_with_both_lines(write_lesson, prose):
    body = edit(GOOD, "from the tenant's seat.\n", f"from the tenant's seat.\n\n{prose}\n")
    path = write_lesson(body)
    found = teaching_problems(parse_lesson(path))
    lines = path.read_text().splitlines()
    prose_line = lines.index(prose) + 1
    solution_line = lines.index("type tenant peek 2 0x80001000 32") + 1
    assert found == [
        f"{path}:{prose_line}: step 1 (Read the bank's secret)'s prose gives away its solution: it holds "
        f"`peek 2 0x80001000 32` (solution line {solution_line}: type tenant peek 2 0x80001000 32); say "
        "what to find or achieve, and leave the command to the last hint"
    ]


@pytest.mark.parametrize(
    "prose",
    [
        "The monitor has a `peek` command.",
        "Compare peek 2 0x80001000 320 with what you expect.",  # a longer number is another command
        "Read `0x80001000`, 32 bytes of it.",
    ],
)
def test_prose_that_only_mentions_parts_of_the_command_passes(write_lesson, prose):
    body = edit(GOOD, "from the tenant's seat.\n", f"from the tenant's seat.\n\n{prose}\n")
    assert problems(write_lesson, body) == []


def test_the_heading_is_prose_too_and_hints_quizzes_notes_are_not(write_lesson):
    body = edit(GOOD, "## Read the bank's secret", "## Read the bank's secret: peek 2 0x80001000 32")
    assert any("gives away its solution" in p for p in problems(write_lesson, body))
    body = edit(GOOD, "A good moment", "peek 2 0x80001000 32: a good moment")  # a note
    assert problems(write_lesson, body) == []


def test_a_hardening_step_that_names_its_switch_is_caught(write_lesson):
    body = with_harden_step(
        edit(with_harden_step(), "Make the hypervisor refuse", "Turn on hypercall.authorize to refuse")
    )
    found = problems(write_lesson, body)
    assert any(
        "step 2 (Deny by default)'s prose gives away its solution: it holds the switch "
        "`hypercall.authorize` (solution line" in p
        for p in found
    ), found
    body = edit(with_harden_step(), "Make the hypervisor refuse", "Unlike hypercall.authorized_by, refuse")
    assert problems(write_lesson, body) == []  # a longer name is another key


def test_a_number_switch_gives_itself_away_only_with_its_value(write_lesson):
    harden = with_harden_step().replace("set hypercall.authorize on", "set mgmt.lockout_after 3")
    named = edit(harden, "Make the hypervisor refuse", "Tune `mgmt.lockout_after` to refuse")
    assert problems(write_lesson, named) == []
    valued = edit(harden, "Make the hypervisor refuse", "Set `mgmt.lockout_after` to 3 to refuse")
    assert any("`mgmt.lockout_after` with its value 3" in p for p in problems(write_lesson, valued))


def test_a_patch_step_that_shows_its_fix_is_caught(write_lesson, tmp_path: Path):
    shutil.copytree(LESSONS / "patches", tmp_path / "patches")
    patched = with_harden_step().replace(
        "set hypercall.authorize on", "patch dbcn.console_write patches/console_write.py"
    )
    lesson = lesson_with(write_lesson, patched)
    assert giveaways(lesson, lesson.steps[1]) == []
    fix = "if base_addr_hi != 0 or not vm.owns(base_addr_lo, num_bytes):"
    shown = edit(patched, "Make the hypervisor refuse", f"Write `{fix}` and refuse")
    assert any(f"the patch's line `{fix}`" in p for p in problems(write_lesson, shown))
    # a line the original handler has too gives nothing away
    same = edit(patched, "Make the hypervisor refuse", "The handler ends `vm.console_write(data)`; refuse")
    assert problems(write_lesson, same) == []


def test_an_attack_or_hardening_step_with_fewer_than_three_hints_is_caught(write_lesson):
    body = edit(GOOD, "```hint\nThe monitor's help lists it; the bank is dom2.\n```\n", "")
    found = problems(write_lesson, body)
    assert any(
        "step 1 (Read the bank's secret) is an attack step with 2 hint(s); it needs at least 3" in p
        for p in found
    ), found
    body = edit(with_harden_step(), "```hint\nXen asks a policy before every privileged call.\n```\n", "")
    assert any("is a hardening step with 2 hint(s)" in p for p in problems(write_lesson, body))


def test_an_exploring_step_needs_no_ladder_and_may_name_its_command(write_lesson):
    explore = (
        '\n## Look around\n\nList the VMs with `vms`.\n\n```check\nconsole_contains tenant "dom2 running"\n'
        "```\n\n```hint\nType it.\n```\n\n```solution\ntype tenant vms\n```\n"
    )
    body = edit(GOOD, "\n## Read the bank's secret", explore + "\n## Read the bank's secret")
    assert problems(write_lesson, body) == []


def test_a_lesson_must_end_with_a_reflection_of_two_or_three_quizzes(write_lesson):
    no_reflection = GOOD[: GOOD.index("## What you learned")]
    assert any(
        "the last step (Read the bank's secret) is not a reflection" in p
        for p in problems(write_lesson, no_reflection)
    )
    one = edit(GOOD, "answer 2 1,3\n", "").replace(
        GOOD[GOOD.index("```quiz\nWhich") : GOOD.index("```solution\nanswer 1 0x")], ""
    )
    assert any("has 1 quiz block(s); a reflection asks 2 or 3" in p for p in problems(write_lesson, one))


def test_every_lesson_of_the_course_follows_the_teaching_rules():
    """The second edition's bar, for every lesson file in both languages (make test's
    `hvlab lessons check` fails on them too, now that the rules are errors)."""
    lessons = load_lessons(LESSONS)
    assert len(lessons) >= 18
    found = {lesson.path.name: teaching_problems(lesson) for lesson in lessons}
    assert {name: problems for name, problems in found.items() if problems} == {}


def test_the_rules_fail_a_lesson_unless_they_only_warn(write_lesson, capsys):
    body = edit(GOOD, "from the tenant's seat.\n", "from the tenant's seat: `peek 2 0x80001000 32`.\n")
    path = write_lesson(body)
    assert hvlab(["lessons", "check", "--backend", "interp", "--seed", "7", str(path)]) == 1
    out, err = capsys.readouterr()
    assert "gives away its solution" in err
    assert (
        hvlab(
            ["lessons", "check", "--backend", "interp", "--seed", "7", "--teaching-rules", "warn", str(path)]
        )
        == 0
    )
    out, err = capsys.readouterr()
    assert "1 teaching-rule warning(s)" in out and "gives away" not in out
    assert (
        hvlab(
            [
                "lessons",
                "check",
                "--backend",
                "interp",
                "--seed",
                "7",
                "--teaching-rules",
                "warn",
                "-v",
                str(path),
            ]
        )
        == 0
    )
    assert "warn " in capsys.readouterr().out
