"""mkdocs hooks: write the pages that are generated from the code before each build.

* reference/hypercalls.md, policy.md, scenarios.md, guests.md, trace.md, assembler.md and
  detection.md come from the tables that define them (hvlab.generate.pages): the hypercall
  table, the policy switches, the scenario format, the guests' command tables, the trace's
  messages, the assembler's tables, the detection rule format and its fields; so the site
  cannot drift from the code;
* reference/protocol.md, the front-end protocol, comes from the session's typed records
  and its query/command declarations (hvlab.generate.pages), with the web bridge's replies;
  reference/record.md, the student's record, from lab.session.record's records and table;
* lessons/<id>.md and lessons/<id>.de.md are the course's lessons as readable
  pages: the prose rendered by the lab's own renderer (raw HTML in a lesson is
  escaped, never executed), each step's goals as students read them with the
  internal line beside, its questions, its hints and its solution folded away,
  the instructor notes (which students never see in the lab); a student's own
  values (`{password}`) read as a placeholder.

The generated files live in docs/reference/ and docs/lessons/ and are not committed.
"""

from __future__ import annotations

import html
from pathlib import Path

from hvlab.generate.pages import (
    assembler_reference,
    detection_reference,
    guest_reference,
    hypercall_reference,
    policy_reference,
    protocol_reference,
    record_reference,
    scenario_reference,
    trace_reference,
)
from lab.lesson.model import Lesson, Quiz, QuizKind
from lab.lesson.parser import load_lessons, render
from lab.lesson.quiz import right_answer
from lab.lesson.sentences import sentence
from lab.lesson.variants import fill
from web.bridge import Answer, Failure

ROOT = Path(__file__).resolve().parents[1]
LABELS = {
    "en": {
        "goal": "Done when",
        "hint": "Hint",
        "solution": "Solution (try it yourself first)",
        "minutes": "minutes",
        "incident": "Real incident",
        "requires": "Before this",
        "password": "<password>",  # the page has no student: the lab shows each their own
        "note": "Instructor note",
        "quiz": "Question",
        "predict": "Predict first",
        "answer": "Answer",
        "all": "select all that apply",
    },
    "de": {
        "goal": "Geschafft, wenn",
        "hint": "Tipp",
        "solution": "Lösung (erst selbst versuchen)",
        "minutes": "Minuten",
        "incident": "Echter Vorfall",
        "requires": "Vorher",
        "password": "<Passwort>",
        "note": "Hinweis für Lehrende",
        "quiz": "Frage",
        "predict": "Erst vorhersagen",
        "answer": "Antwort",
        "all": "alle zutreffenden wählen",
    },
}


def _lessons() -> list[Lesson]:
    return sorted(load_lessons(ROOT / "lessons"), key=lambda lesson: (lesson.path.name, lesson.lang))


def _page_name(lesson: Lesson) -> str:
    return f"{lesson.path.stem.removesuffix('.de')}{'.de' if lesson.lang == 'de' else ''}.md"


def on_config(config):
    """Add the lessons to the navigation, English and German."""
    lessons = _lessons()
    for lang, title in (("en", "Lessons"), ("de", "Lektionen")):
        entries = [
            {lesson.title: f"lessons/{_page_name(lesson)}"} for lesson in lessons if lesson.lang == lang
        ]
        if entries:
            config["nav"].insert(1 if lang == "en" else 2, {title: entries})
    return config


def on_pre_build(config) -> None:
    docs = Path(config["docs_dir"])
    pages = {
        docs / "reference" / "hypercalls.md": hypercall_reference(),
        docs / "reference" / "policy.md": policy_reference(),
        docs / "reference" / "scenarios.md": scenario_reference(),
        docs / "reference" / "guests.md": guest_reference(),
        docs / "reference" / "trace.md": trace_reference(),
        docs / "reference" / "assembler.md": assembler_reference(),
        docs / "reference" / "detection.md": detection_reference(),
        docs / "reference" / "protocol.md": protocol_reference(envelope=[Answer, Failure]),
        docs / "reference" / "record.md": record_reference(),
    }
    for lesson in _lessons():
        pages[docs / "lessons" / _page_name(lesson)] = lesson_page(lesson)
    for path, text in pages.items():
        path.parent.mkdir(exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")


def lesson_page(lesson: Lesson) -> str:
    t = LABELS.get(lesson.lang, LABELS["en"])
    facts = [f"{lesson.minutes} {t['minutes']}"]
    if lesson.incident:
        facts.append(f"{t['incident']}: {html.escape(lesson.incident)}")
    if lesson.requires:
        facts.append(f"{t['requires']}: {', '.join(html.escape(r) for r in lesson.requires)}")
    out = [
        f"# {lesson.title}",
        "",
        f"<p><em>{html.escape(lesson.summary)}</em></p>",
        f"<p>{' · '.join(facts)}</p>",
        "",
        fill(lesson.intro_html, t["password"], as_html=True),
        *(_note(note, t) for note in lesson.notes),
    ]
    for step in lesson.steps:
        out += ["", f"## {step.index + 1}. {step.title}", "", fill(step.html, t["password"], as_html=True)]
        out += [_note(note, t) for note in step.notes]
        out += [_quiz(quiz, t) for quiz in step.quizzes]
        goals = "".join(
            f"<li>{html.escape(sentence(c, lesson.lang))} <code>{html.escape(c.text)}</code></li>"
            for c in step.checks
        )
        if goals:
            out.append(f"<p><strong>{t['goal']}:</strong></p><ul>{goals}</ul>")
        for i, hint in enumerate(step.hints, 1):
            hint_html = fill(render(hint), t["password"], as_html=True)
            out.append(f"<details><summary>{t['hint']} {i}</summary>{hint_html}</details>")
        if step.solution:
            actions = "\n".join(html.escape(a.text) for a in step.solution)
            out.append(
                f"<details><summary>{t['solution']}</summary><pre><code>{actions}</code></pre></details>"
            )
    return "\n".join(out).rstrip() + "\n"


def _note(note: str, t: dict[str, str]) -> str:
    """An instructor note, set apart: the page is for instructors too."""
    return f'<aside class="instructor-note"><p><strong>{t["note"]}:</strong></p>{render(note)}</aside>'


def _quiz(quiz: Quiz, t: dict[str, str]) -> str:
    """A question with its choices; the answer and the explanation folded away."""
    label = t["predict"] if quiz.kind is QuizKind.PREDICT else t["quiz"]
    if quiz.multiple:
        label += f" ({t['all']})"
    choices = "".join(f"<li>{c.html}</li>" for c in quiz.choices)
    body = f"<ol>{choices}</ol>" if choices else ""
    answer = html.escape(right_answer(quiz) if quiz.choices else " · ".join(quiz.answers))
    return (
        f"<p><strong>{label}:</strong></p>{quiz.question_html}{body}"
        f"<details><summary>{t['answer']}</summary><p>{answer}</p>{quiz.explanation_html}</details>"
    )
