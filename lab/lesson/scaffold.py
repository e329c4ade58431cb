"""A new lesson to start from: `hvlab lessons new ID` writes one that validates as it is.

    written = scaffold("heist", Path("."))   # -> [heist.md, heist.de.md, heist.toml]

What it writes (from the templates in lab/lesson/templates/, `$id` and `$title` filled in):

    ID.md       the lesson in English: front matter, an exploration step, an attack step
                with a prediction and its hardening, a hardening step, and the closing
                reflection with two quizzes; every step's hints a ladder of three rungs
    ID.de.md    its German twin: the same steps, checks and solutions, the words translated
    ID.toml     the lesson's own scenario (an admin, a tenant, a bank), next to it, so a
                guest program of the instructor's can join it (`program = "probe.S"`)

The lesson follows every rule `hvlab lessons check` enforces (the teaching rules too), so
an instructor changes one thing at a time and checks again. Nothing is overwritten: a file
that exists already is a `ScaffoldError`.
"""

from __future__ import annotations

import json
from pathlib import Path
from string import Template
from typing import Final

from lab.lesson.parser import ID_RE

TEMPLATES: Final = Path(__file__).resolve().parent / "templates"
# file written -> its template (`$id`, `$title`, `$title_de` filled in)
FILES: Final = {"{id}.md": "lesson.md", "{id}.de.md": "lesson.de.md", "{id}.toml": "scenario.toml"}
MAX_TITLE: Final = 120


class ScaffoldError(Exception):
    """The lesson cannot be written: a bad id or title, or a file in the way."""


def default_title(lesson_id: str) -> str:
    """`bank-heist` -> `Bank heist`."""
    return lesson_id.replace("-", " ").capitalize()


def _toml_text(text: str) -> str:
    """Text safe inside a TOML basic string ("..."): JSON's escapes are TOML's."""
    return json.dumps(text, ensure_ascii=False)[1:-1]


def render(lesson_id: str, title: str | None = None) -> dict[str, str]:
    """File name -> text of a new lesson `lesson_id` (ScaffoldError: a bad id or title)."""
    if not ID_RE.fullmatch(lesson_id):
        raise ScaffoldError(
            f"{lesson_id!r} is not a lesson id: 1 to 64 lower-case letters, digits and -, not starting with -"
        )
    title = default_title(lesson_id) if title is None else title.strip()
    if not title or len(title) > MAX_TITLE or any(c in title for c in "\n\r"):
        raise ScaffoldError(f"a title is one line of 1 to {MAX_TITLE} characters")
    values = {"id": lesson_id, "title": _toml_text(title), "title_de": _toml_text(title)}
    return {
        name.format(id=lesson_id): Template((TEMPLATES / template).read_text(encoding="utf-8")).substitute(
            values
        )
        for name, template in FILES.items()
    }


def scaffold(lesson_id: str, folder: Path, *, title: str | None = None) -> list[Path]:
    """Write a new lesson into `folder`; the files written (ScaffoldError: nothing is written)."""
    texts = render(lesson_id, title)
    paths = [folder / name for name in texts]
    taken = [p for p in paths if p.exists()]
    if taken:
        raise ScaffoldError(f"{taken[0]} exists already: choose another id or folder (nothing was written)")
    folder.mkdir(parents=True, exist_ok=True)
    for path in paths:
        path.write_text(texts[path.name], encoding="utf-8")
    return paths
