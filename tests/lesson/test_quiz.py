"""Quiz and predict blocks: read, judged, answered by solutions, proved by the validator."""

from __future__ import annotations

import pytest

from lab.lesson import parse_lesson
from lab.lesson.engine import ActionError, Lab
from lab.lesson.model import QuizKind
from lab.lesson.parser import render, without_notes
from lab.lesson.quiz import judge, number, read_quiz, wrong_answers
from lab.lesson.validator import validate
from tests.lesson.conftest import FRONT

# A lesson that follows every rule: a prediction, an attack with a ladder, a reflection.
GOOD = """
The bank keeps a secret.

```note
Students often forget the length argument.
```

## Read the bank's secret

Find out what the bank keeps at the start of its data page, from the tenant's seat.

```predict
What will the hypervisor do when the tenant asks for the bank's memory?
- [x] Copy the bytes: nothing checks who asks
- [ ] Refuse with SBI_ERR_DENIED
> The vulnerable hypervisor never asks who calls.
```

```check
secret_leaked tenant from=bank
```

```hint
VMCTL has a call that copies memory out of another VM.
```

```hint
The monitor's help lists it; the bank is dom2.
```

```hint
`peek 2 0x80001000 32`
```

```note
A good moment to ask who should be allowed to call peek.
```

```solution
answer 1 1
type tenant peek 2 0x80001000 32
```

```harden
set hypercall.authorize on
```

## What you learned

A control API must check who calls.

```quiz
At which guest address does the bank keep its secret?
= 0x80001000
> The bank's program puts it there.
```

```quiz
Which of these are privileged VMCTL calls?
- [x] peek
- [ ] self
- [x] destroy
```

```solution
answer 1 0x80001000
answer 2 1,3
```
"""


def quiz(text: str, kind: QuizKind = QuizKind.QUIZ):
    found, problems = read_quiz(kind, text, number=1, path="x.md", line=10, render=render)
    assert not problems, problems
    assert found is not None
    return found


def problems_of(text: str) -> list[str]:
    found, problems = read_quiz(QuizKind.QUIZ, text, number=1, path="x.md", line=10, render=render)
    assert found is None
    return [str(p) for p in problems]


def test_a_choice_quiz_is_read_with_its_question_choices_and_explanation():
    q = quiz("Which *one*?\n- [ ] a\n- [x] b `code`\n  goes on\n- [ ] c\n> Because b.\n> Really.\n")
    assert q.question == "Which *one*?" and "<em>one</em>" in q.question_html
    assert [c.markdown for c in q.choices] == ["a", "b `code` goes on", "c"]
    assert q.choices[1].html == "b <code>code</code> goes on"  # inline: a choice sits in a label
    assert q.right == (2,) and not q.multiple and not q.free
    assert q.explanation == "Because b.\nReally." and q.explanation_html.startswith("<p>")


def test_choices_are_judged_by_their_numbers():
    one = quiz("Q?\n- [ ] a\n- [x] b\n- [ ] c\n")
    assert judge(one, "2") and judge(one, " 2 ")
    assert not judge(one, "1") and not judge(one, "2,3") and not judge(one, "b")
    many = quiz("Q?\n- [x] a\n- [ ] b\n- [x] c\n")
    assert many.multiple
    assert judge(many, "1,3") and judge(many, "3, 1") and judge(many, "1 3")
    assert not judge(many, "1") and not judge(many, "1,2,3")


def test_a_number_matches_by_value_in_any_base():
    q = quiz("Where?\n= 0x80041000\n")
    for right in (
        "0x80041000",
        "0X80041000",
        "2147749888",
        "0x8004_1000",
        " 0x80041000 ",
        "0b" + "1" * 0 + "10000000000001000001000000000000",
    ):
        assert judge(q, right), right
    for wrong in ("80041000", "0x80041001", "0x8004100", "eighty", ""):
        assert not judge(q, wrong), wrong
    assert number("-3") == -3 and number("0o17") == 15 and number("010") == 10 and number("ten") is None


def test_text_matches_ignoring_case_and_the_amount_of_whitespace():
    q = quiz("Which error?\n= SBI_ERR_DENIED\n= denied\n")
    assert judge(q, "sbi_err_denied") and judge(q, "  Denied ") and not judge(q, "SBI_ERR_DENIED!")
    q = quiz("Who?\n= the control domain\n")
    assert judge(q, "The  Control\tdomain") and not judge(q, "thecontroldomain")


def test_wrong_answers_tried_cover_every_other_choice_and_neighbours_of_a_number():
    assert wrong_answers(quiz("Q?\n- [ ] a\n- [x] b\n- [ ] c\n")) == ["1", "3", "1,2", "2,3"]
    many = wrong_answers(quiz("Q?\n- [x] a\n- [ ] b\n- [x] c\n"))
    assert {"1", "2", "3", "1,2,3"} <= set(many) and "1,3" not in many
    free = wrong_answers(quiz("Where?\n= 0x1000\n"))
    assert {"4097", "0xfff", "1000"} == set(free)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- [x] a\n- [ ] b\n", "needs a question"),
        ("Q?\n", "needs choices"),
        ("Q?\n- [ ] a\n- [ ] b\n", "need a right one"),
        ("Q?\n- [x] a\n", "at least two"),
        ("Q?\n- [x] a\n= 3\n", "not both"),
        ("Q?\n= 3\n> why\nmore\n", "comes after them"),
        ("Q?\n- [x] a\n- [ ] b\nstray line\n", "not 'stray line'"),
        ("Q?\n=\n", "empty `=` answer"),
    ],
)
def test_a_malformed_quiz_names_its_line(text, message):
    problems = problems_of(text)
    assert any(message in p for p in problems), problems
    assert all(p.startswith("x.md:1") for p in problems)


def test_a_lesson_with_quizzes_parses_and_passes_the_validator(write_lesson):
    path = write_lesson(GOOD)
    lesson = parse_lesson(path)
    peek, reflection = lesson.steps
    assert [q.kind for q in peek.quizzes] == [QuizKind.PREDICT]
    assert [q.number for q in reflection.quizzes] == [1, 2] and reflection.is_reflection
    assert lesson.notes == ["Students often forget the length argument."]
    assert peek.notes == ["A good moment to ask who should be allowed to call peek."]
    for text in (lesson.intro_html, lesson.intro_markdown, peek.html, peek.markdown):
        assert "length argument" not in text and "who should be allowed" not in text
        assert "Copy the bytes" not in text  # questions are shown by the quiz widgets, not the prose
    reports, errors = validate([path], backend_names=["interp"])
    assert not errors and [r.errors for r in reports] == [[]]
    assert reports[0].hardened == 2


def test_notes_are_blanked_out_for_the_browser_with_every_line_kept(write_lesson):
    path = write_lesson(GOOD)
    text = path.read_text()
    sent = without_notes(text)
    assert "length argument" not in sent and "who should be allowed" not in sent
    assert sent.count("\n") == text.count("\n")
    path.write_text(sent)
    line = text.splitlines().index("type tenant peek 2 0x80001000 32") + 1
    assert parse_lesson(path).steps[0].solution[1].line == line  # lines still point into the original


def test_the_answer_action_judges_and_a_wrong_solution_answer_fails(write_lesson):
    lesson = parse_lesson(write_lesson(GOOD))
    lab = Lab(lesson)
    lab.start()
    try:
        lab.begin_step(1)
        assert not lab.quizzes_done(1)
        assert lab.answer(1, "2147487744") is True  # 0x80001000 in decimal
        assert lab.answer(2, "1") is False and not lab.quizzes_done(1)
        with pytest.raises(ActionError, match="choice numbers from 1 to 3"):
            lab.answer(2, "4")
        lab.answer(2, "3,1")
        assert lab.quizzes_done(1) and lab.complete(1)
        lab.begin_step(0)
        assert lab.answer(1, "2") is False  # a prediction need not be right: it is answered
        assert lab.answer(1, "1") is True and lab.answers[(0, 1)] is False  # ... once: the first stands
    finally:
        lab.close()


def edit(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("answer 2 1,3\n", "answer 2 1\n"), "answer 2 1: '1' is not a right answer to quiz 2"),
        (
            ("answer 2 1,3\n", ""),
            "quiz 2 of step 2 is never answered by the step's solution: add `answer 2 1,3`",
        ),
        (
            (
                "answer 1 1\ntype tenant peek 2 0x80001000 32\n",
                "type tenant peek 2 0x80001000 32\nanswer 1 1\n",
            ),
            "predict 1 is asked before the student acts",
        ),
        (("answer 2 1,3\n", "answer 3 1,3\n"), "has 2 quiz or predict block(s)"),
        (("answer 2 1,3\n", "answer 2 5\n"), "'5' is not a choice"),
    ],
)
def test_quiz_mistakes_in_a_lesson_are_caught(write_lesson, change, message):
    path = write_lesson(edit(GOOD, *change))
    reports, errors = validate([path], backend_names=["interp"], seeds=(None,))
    found = [e for r in reports for e in r.errors] + errors
    assert any(message in e for e in found), found


def test_translations_keep_the_quizzes_and_may_translate_a_text_answer(write_lesson):
    text_quiz = "```quiz\nWhich word names the panel?\n= policy\n```\n"
    english = GOOD.replace(
        "```solution\nanswer 1 0x80001000", text_quiz + "\n```solution\nanswer 3 policy\nanswer 1 0x80001000"
    )
    write_lesson(english, name="demo.md")
    de_front = FRONT.replace('lang = "en"', 'lang = "de"')
    german = english.replace("= policy", "= Richtlinie").replace("answer 3 policy", "answer 3 richtlinie")
    path = write_lesson(german, front=de_front, name="demo.de.md")
    reports, errors = validate([path.parent], backend_names=["interp"], seeds=(None,))
    assert not errors and all(r.ok for r in reports), (errors, [r.errors for r in reports])
    # a choice moved or a number changed is a difference
    write_lesson(
        german.replace("- [x] peek\n- [ ] self", "- [ ] self\n- [x] peek"), front=de_front, name="demo.de.md"
    )
    _, errors = validate([path.parent], backend_names=["interp"], seeds=(None,))
    assert any("step 2's quizzes differ" in e for e in errors), errors


def test_the_docs_lesson_page_shows_instructors_the_notes_answers_and_internal_lines(write_lesson):
    import importlib.util

    from tests.lesson.conftest import REPO

    spec = importlib.util.spec_from_file_location("docs_hooks", REPO / "docs" / "hooks.py")
    assert spec is not None and spec.loader is not None
    hooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hooks)
    page = hooks.lesson_page(parse_lesson(write_lesson(GOOD)))
    assert "Instructor note" in page and "often forget the length argument" in page
    assert "who should be allowed to call peek" in page
    assert "Predict first" in page and "<details><summary>Answer</summary><p>1,3</p>" in page
    goal = "tenant&#x27;s console shows bank&#x27;s secret <code>secret_leaked tenant from=bank</code>"
    assert goal in page  # the sentence students read, the internal line beside it
