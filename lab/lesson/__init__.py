"""Lessons: Markdown with TOML front matter, steps, and directive blocks.

    from lab.lesson import parse_lesson, Lab
    lesson = parse_lesson("lessons/03-control-api.md")
    lab = Lab(lesson); lab.start()

`model` holds the parsed form, `registry` the one table of predicates and
actions (`predicates`, `actions` fill it), `sentences` says each predicate in
words students read, `parser` reads files (`quiz` its questions), `engine` runs
a lesson's machine, `validator` proves lessons (`hvlab lessons check`) with the
course's teaching rules (`teaching`), `progress` stores what a student has done.
"""

from lab.lesson.engine import ActionError, CheckResult, Lab
from lab.lesson.model import Call, Lesson, LessonError, Step
from lab.lesson.parser import find_lessons, load_lessons, parse_lesson, render

__all__ = [
    "ActionError",
    "Call",
    "CheckResult",
    "Lab",
    "Lesson",
    "LessonError",
    "Step",
    "find_lessons",
    "load_lessons",
    "parse_lesson",
    "render",
]
