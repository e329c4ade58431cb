"""The lesson parser: the real lessons parse, and every broken lesson names its file and line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hvlab.generate.pages import vocabulary_reference
from lab.lesson import LessonError, parse_lesson
from lab.lesson.parser import find_lessons
from lab.lesson.registry import REGISTRY, EntryKind, Where, entries, load, parse_call
from tests.lesson.conftest import FRONT, LESSONS, REPO, STEP

# A lesson fits a class period: 10 to 25 minutes (the authoring guide's aim), except these.
LONGER = {
    "capstone": 60,  # a machine to explore, an hour
    "authentication": 35,  # three identities in one lesson (issue 17): levels, stamps, addresses
    "resources": 40,  # four resources, each attacked, measured and hardened
}


def test_every_lesson_in_the_course_parses_with_hints_on_every_step():
    paths = find_lessons([LESSONS])
    assert len(paths) >= 8
    for path in paths:
        lesson = parse_lesson(path)
        assert lesson.steps, path
        assert all(step.hints for step in lesson.steps if not step.is_reflection), path
        assert 10 <= lesson.minutes <= LONGER.get(lesson.id, 25), path


def test_each_lesson_exists_in_english_and_german():
    lessons = [parse_lesson(p) for p in find_lessons([LESSONS])]
    langs: dict[str, set[str]] = {}
    for lesson in lessons:
        langs.setdefault(lesson.id, set()).add(lesson.lang)
    assert {"tour", "hypercalls", "control-api", "guest-buffers"} <= set(langs)
    assert all(v == {"en", "de"} for v in langs.values()), langs


def test_steps_blocks_and_lines(write_lesson):
    path = write_lesson(
        STEP
        + """
## Harden

Some *prose*.

```legit
console_contains admin "dom0>"
```

```check
hypercall vm=tenant fn=peek result=denied since=step
attack_blocked
```

```hint
First hint.
```

```hint
Second hint.
```

```solution
set hypercall.authorize on
type tenant peek 2 0x80001000 32
```
"""
    )
    lesson = parse_lesson(path)
    assert [s.title for s in lesson.steps] == ["Peek", "Harden"]
    harden = lesson.steps[1]
    assert [c.name for c in harden.checks] == ["hypercall", "attack_blocked"]
    assert harden.checks[0].args == {"vm": "tenant", "fn": "peek", "result": -4, "since": "step"}
    assert [c.name for c in harden.legit] == ["console_contains"]
    assert harden.hints == ["First hint.", "Second hint."]
    assert harden.solution[1].args == {"vm": "tenant", "text": "peek 2 0x80001000 32"}
    # the line numbers point into the file
    lines = path.read_text().splitlines()
    assert lines[harden.checks[1].line - 1] == "attack_blocked"
    assert lines[harden.line - 1] == "## Harden"


def test_prose_renders_with_raw_html_escaped_and_directives_removed(write_lesson):
    path = write_lesson(
        "Intro <script>alert(1)</script>\n"
        + STEP.replace("## Peek\n", "## Peek\n\n<b>x</b>\n\n```\nplain code\n```\n")
    )
    lesson = parse_lesson(path)
    assert "<script>" not in lesson.intro_html and "&lt;script&gt;" in lesson.intro_html
    html = lesson.steps[0].html
    assert "<b>" not in html and "&lt;b&gt;" in html
    assert "plain code" in html  # an ordinary fence stays as code
    assert "secret_leaked" not in html and "Use peek" not in html
    assert "secret_leaked" not in lesson.steps[0].markdown


BROKEN = [
    # (front matter, body, line, what the message says)
    (FRONT.replace("minutes = 10", "minutes = = 10"), STEP, 7, "not valid TOML"),
    (
        FRONT.replace("minutes = 10", 'minutes = "ten"'),
        STEP,
        7,
        "minutes must be an integer from 1 to 600 (how long it takes a student, in minutes), not a string",
    ),
    (
        FRONT.replace("minutes = 10", 'minutes = 10\ncolour = "red"'),
        STEP,
        8,
        "unknown front matter key 'colour'",
    ),
    (FRONT.replace('lang = "en"\n', ""), STEP, 1, "lacks lang"),
    (FRONT.replace("api.toml", "nowhere.toml"), STEP, 4, "scenario file 'nowhere.toml' not found"),
    (
        FRONT,
        STEP.replace("secret_leaked tenant", "secret_spilled tenant"),
        13,
        "unknown predicate 'secret_spilled'",
    ),
    (FRONT, STEP.replace("secret_leaked tenant from=bank", "vm_state bank"), 13, "missing STATE"),
    (FRONT, STEP.replace("secret_leaked tenant from=bank", "vm_state bank paused now"), 13, "extra argument"),
    (FRONT, STEP.replace("from=bank", "from=vault"), 13, "no VM 'vault'"),
    (FRONT, STEP.replace("type tenant", "secret_leaked tenant\ntype tenant"), 21, "is a predicate"),
    (
        FRONT,
        STEP.replace("type tenant peek", "set hypercall.authorize maybe\ntype tenant peek"),
        21,
        "on/off",
    ),
    (
        FRONT,
        STEP.replace("type tenant peek", "set hypercall.everything on\ntype tenant peek"),
        21,
        "policy switch",
    ),
    (
        FRONT,
        STEP.replace("type tenant peek", "patch dbcn.console_write fix.py\ntype tenant peek"),
        21,
        "'fix.py' not found",
    ),
    (FRONT, STEP.replace("type tenant peek", "patch dbcn.nothing fix.py\ntype tenant peek"), 21, "HANDLER"),
    (FRONT, STEP.replace("type tenant peek", 'type tenant "peek\ntype tenant peek'), 21, "quote"),
    (FRONT, STEP.replace("```check\nsecret_leaked tenant from=bank\n```\n", ""), 10, "has no check"),
    (FRONT, "```check\nvm_state bank running\n```\n" + STEP, 9, "inside a step"),
    ("no front matter\n", STEP, 1, "front matter to open"),
    (FRONT, "Just an introduction.\n", 9, "at least one step"),
]


@pytest.mark.parametrize(("front", "body", "line", "message"), BROKEN, ids=[b[3] for b in BROKEN])
def test_broken_lessons_name_file_line_and_what_was_expected(write_lesson, front, body, line, message):
    path = write_lesson(body, front=front)
    with pytest.raises(LessonError) as info:
        parse_lesson(path)
    text = str(info.value)
    assert text.startswith(f"{path}:{line}: "), text
    assert message in text
    assert "Traceback" not in text


def test_registry_entries_are_documented_and_their_examples_parse(tmp_path: Path):
    load()
    assert {"console_contains", "secret_leaked", "hypercall", "vm_state", "trace", "attack_blocked"} <= set(
        REGISTRY
    )
    assert {"packet", "mgmt_login", "grant_mapped"} <= set(REGISTRY)
    assert {"type", "run", "load", "set", "patch", "reset"} <= set(REGISTRY)
    for entry in REGISTRY.values():
        assert entry.doc and entry.example.split()[0] == entry.name
        for word in entry.example.split():  # files named in examples exist for this check
            if word.endswith((".py", ".S", ".toml")):
                (tmp_path / word).parent.mkdir(parents=True, exist_ok=True)
                (tmp_path / word).touch()
        where = Where(tmp_path / "x.md", 1, ["admin", "tenant", "bank"], tmp_path)
        call = parse_call(entry.example, where, entry.kind)
        assert call.name == entry.name


def test_authoring_guide_lists_every_predicate_and_action_from_the_registry():
    guide = (REPO / "docs" / "authoring.md").read_text(encoding="utf-8")
    table = re.search(r"<!-- registry:start -->\n(.*)<!-- registry:end -->", guide, re.S)
    assert table is not None, "docs/authoring.md lacks the generated registry table"
    assert table.group(1) == vocabulary_reference(), "regenerate it: python3 -m hvlab.generate"
    for entry in entries(EntryKind.PREDICATE) + entries(EntryKind.ACTION):
        assert f"`{entry.signature}`" in guide


def test_a_lesson_is_parsed_once_until_it_or_its_scenario_changes(write_lesson):
    path = write_lesson()
    first = parse_lesson(path)
    assert parse_lesson(path) is first  # the picker, a reopened lesson, the web lab's warm start
    path.write_text(path.read_text() + "\nOne more line of prose.\n")
    second = parse_lesson(path)
    assert second is not first and "One more line" in second.steps[-1].markdown
    scenario = path.parent / "api.toml"
    scenario.write_text(scenario.read_text().replace('name = "tenant"', 'name = "guest"'))
    with pytest.raises(LessonError, match="no VM 'tenant'"):  # the lesson's checks name the old VM
        parse_lesson(path)


# ------------------------------------------------------------------ files that are not lessons (issue 14.5)


def test_a_lesson_that_is_not_utf8_is_found_and_refused_with_its_line(tmp_path, write_lesson):
    path = write_lesson()
    path.write_bytes(path.read_bytes().replace(b"Use peek.", b"Use \xff peek."))
    assert path in find_lessons([tmp_path])
    with pytest.raises(LessonError) as info:
        parse_lesson(path)
    assert str(info.value) == f"{path}:17: is not UTF-8 text (byte 0xff starts no character)"


@pytest.mark.parametrize(
    "value",
    ["[" * 40 + "]" * 40, "[" * 3000 + "]" * 3000, "{a=" * 3000 + "1" + "}" * 3000],
    ids=["40 arrays", "3000 arrays", "3000 tables"],
)
def test_front_matter_nested_too_deep_is_refused(write_lesson, value):
    path = write_lesson(front=FRONT.replace("minutes = 10", f"minutes = 10\nrequires = {value}"))
    with pytest.raises(LessonError) as info:
        parse_lesson(path)
    assert str(info.value) == f"{path}:1: front matter nests tables or arrays deeper than 32 levels"


def test_a_deep_front_matter_key_is_named_without_printing_it(write_lesson):
    front = FRONT.replace("+++\nid", "+++\n[" + ".".join(["t"] * 20) + "]\nid")
    path = write_lesson(front=front.replace("+++\n[", "+++\nx = 1\n[", 1))
    with pytest.raises(LessonError) as info:
        parse_lesson(path)
    # every problem, in line order: the keys after the table heading belong to the table
    assert f"\n{path}:2: unknown front matter key 'x'" in str(info.value)
    assert f"\n{path}:3: unknown front matter key 't'" in str(info.value)
    assert str(info.value).startswith(f"{path}:1: front matter lacks id")


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        ('quantum = "abc"\n', "quantum: must be an integer from 1 to 1000000, not a string ('abc')"),
        ('[[vm]]\nname = "x"\nmemory = "10G"\n', "[[vm]] #4 (x) memory: must be a size"),
        ('hv_secret = "' + "s" * 80 + '"\n', "hv_secret: must be a string of at most 63 bytes"),
    ],
    ids=["quantum", "memory", "hv_secret"],
)
def test_a_lesson_whose_scenario_breaks_the_format_names_both_files(write_lesson, change, rule):
    path = write_lesson()
    scenario = path.parent / "api.toml"
    text = scenario.read_text()
    scenario.write_text(change + text if not change.startswith("[[") else text + change)
    with pytest.raises(LessonError) as info:
        parse_lesson(path)
    assert str(info.value).startswith(f"{path}:4: scenario {scenario.resolve()}: ")
    assert rule in str(info.value)


def test_lessons_check_reports_bad_files_in_one_line_each_and_fails(write_lesson, capsys):
    from hvlab.cli import main as hvlab

    good = write_lesson()
    good.write_bytes(good.read_bytes().replace(b"Use peek.", b"\xff"))
    write_lesson(
        front=FRONT.replace("minutes = 10", "minutes = 10\nrequires = " + "[" * 999 + "]" * 999), name="b.md"
    )
    # a good lesson beside them: the validator reads every lesson's id for its `requires`
    write_lesson(front=FRONT.replace('id = "demo"', 'id = "other"\nrequires = ["nope"]'), name="c.md")
    assert hvlab(["lessons", "check", str(good.parent), "--backend", "interp", "--seed", "7"]) == 1
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert "demo.md:17: is not UTF-8 text" in err and "b.md:1: front matter nests" in err
    assert "c.md: requires 'nope'" in out
    assert f"FAIL {good}: 1 problem(s)" in out


def test_directive_words_are_cut_short_in_messages(write_lesson):
    # found by the file fuzzer: a 5,000-character word made a 5,000-character message, and a
    # file name too long for the file system raised OSError out of the parser
    for line, rule in [
        ("9" * 5000, "unknown action '99999"),
        ("load tenant " + "x" * 5000 + ".S", "program 'xxxx"),
        ("type " + "v" * 5000 + " vms", "no VM 'vvvv"),
    ]:
        path = write_lesson(STEP.replace("type tenant peek", line + "\ntype tenant peek"))
        with pytest.raises(LessonError) as info:
            parse_lesson(path)
        assert rule in str(info.value) and len(str(info.value)) < 400, str(info.value)[:500]


# ---------------------------------------------------------- the validator as a good compiler (issue 18)


def test_every_problem_of_a_file_is_reported_in_one_run_in_line_order(write_lesson):
    body = (
        STEP.replace("secret_leaked tenant from=bank", "secret_leakd tenant from=bank\nvm_state bnk running")
        .replace("```hint", "```hnit")
        .replace("type tenant peek", "set hypercall.authorise on\ntype tenant peek")
    )
    path = write_lesson(body, front=FRONT.replace("minutes = 10", "minutes = 10\nsumary = 'x'"))
    with pytest.raises(LessonError) as info:
        parse_lesson(path)
    lines = str(info.value).splitlines()
    assert [p.line for p in info.value.problems] == sorted(p.line for p in info.value.problems)
    expected = [
        ":8: unknown front matter key 'sumary'; did you mean 'summary'?",
        ":14: unknown predicate 'secret_leakd'; did you mean 'secret_leaked'?",
        ":15: no VM 'bnk' in the scenario; did you mean 'bank'?",
        ":18: unknown block kind 'hnit'; did you mean 'hint'?",
        ":23: set: SWITCH 'hypercall.authorise' is not valid: expected a policy switch; did you mean "
        "'hypercall.authorize'?",
    ]
    assert len(lines) == len(expected), lines
    for line, want in zip(lines, expected, strict=True):
        assert line.startswith(str(path)) and want in line, (line, want)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "hypercall vm=tenant fn=peeek",
            "expected a hypercall function name, e.g. console_write or peek; did you mean 'peek'?",
        ),
        ("secret_leaked tenant form=bank", "unknown keyword 'form='; did you mean 'from='?"),
        ("vm_state bank destroied", "did you mean 'destroyed'?"),
    ],
)
def test_misspelt_names_get_a_suggestion(write_lesson, line, message):
    path = write_lesson(STEP.replace("secret_leaked tenant from=bank", line))
    with pytest.raises(LessonError, match=re.escape(message)):
        parse_lesson(path)


def test_a_misspelt_action_and_handler_get_a_suggestion(write_lesson, tmp_path):
    (tmp_path / "fix.py").write_text("")
    path = write_lesson(STEP.replace("type tenant peek", "patch dbcn.consol_write fix.py\ntyp tenant peek"))
    with pytest.raises(LessonError) as info:
        parse_lesson(path)
    text = str(info.value)
    assert (
        "did you mean 'dbcn.console_write'?" in text and "unknown action 'typ'; did you mean 'type'?" in text
    )


@pytest.mark.parametrize(
    ("front", "line", "words"),
    [
        ("minutes = 10\nminutes = 12", 8, "minutes is set twice (first on line 7): give each key once"),
        ("minutes = ten", 7, "a value TOML cannot read: text needs quotes"),
        ("minutes = 10 12", 7, "more after the value on the same line"),
        ('title = "Demo', 3, "a string left open"),
        ("minutes", 7, "a key without a value: write key = value"),
    ],
)
def test_toml_mistakes_in_front_matter_are_said_in_plain_words(write_lesson, front, line, words):
    src = (
        FRONT.replace("minutes = 10", front)
        if "title" not in front
        else FRONT.replace('title = "Demo"', front)
    )
    path = write_lesson(front=src)
    with pytest.raises(LessonError) as info:
        parse_lesson(path)
    assert str(info.value.problems[0]).startswith(f"{path}:{line}: front matter is not valid TOML: {words}")


def test_type_names_read_as_words(write_lesson):
    path = write_lesson(front=FRONT.replace('title = "Demo"', "title = 3"))
    with pytest.raises(LessonError) as info:
        parse_lesson(path)
    assert "title must be a string (the title), not an integer (3)" in str(info.value)
    assert " a int" not in str(info.value)


def test_an_ordinary_code_fence_is_code_and_a_known_language_too(write_lesson):
    body = STEP.replace("## Peek\n", "## Peek\n\n```\nplain\n```\n\n```sh\nhvlab run x\n```\n")
    lesson = parse_lesson(write_lesson(body))
    assert "plain" in lesson.steps[0].html and "hvlab run x" in lesson.steps[0].html
