"""Questions in the page, by keyboard: a prediction before acting, a step that waits for the
student, a reflection answered wrong then right; in English and German; instructor notes never
reach the browser. The site is built with a lesson that has them (tests/lesson/test_quiz.py)
next to the course's, and the page fails the test on any console error (conftest's `open_page`).

Screenshots go to $HVLAB_SHOTS (default /tmp/web-shots) for a person to look at.
"""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lab.session import DEFAULT_LESSONS
from tests.lesson.conftest import FRONT
from tests.lesson.test_quiz import GOOD
from tests.tools import require_tool
from tests.web.conftest import boot, open_page, served
from tests.web.test_browser_ui import STEP_TIMEOUT_MS, shot, type_line, wait_console


@pytest.fixture(scope="module")
def quiz_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site with the course and a lesson with questions, in English and German."""
    require_tool("node")
    require_tool("npm")
    from web.build import build

    lessons = tmp_path_factory.mktemp("course") / "lessons"
    shutil.copytree(DEFAULT_LESSONS, lessons)
    front = FRONT.replace('"api.toml"', '"api"')
    (lessons / "99-demo.md").write_text(front + GOOD, encoding="utf-8")
    german = GOOD.replace("What will the hypervisor do", "Was wird der Hypervisor tun")
    (lessons / "99-demo.de.md").write_text(
        front.replace('lang = "en"', 'lang = "de"') + german, encoding="utf-8"
    )
    out = tmp_path_factory.mktemp("web") / "site"
    build(out, lessons=lessons)
    return out


@pytest.fixture(scope="module")
def quiz_url(quiz_site: Path) -> Iterator[str]:
    with served(quiz_site) as url:
        yield url


def test_instructor_notes_are_not_in_what_the_browser_gets(quiz_site: Path) -> None:
    lessons = json.loads((quiz_site / "manifest.json").read_text())["lessons"]  # course/HASH/lessons.zip
    with zipfile.ZipFile(io.BytesIO((quiz_site / lessons).read_bytes())) as z:
        demo = z.read("lessons/99-demo.md").decode()
    assert (
        "```predict" in demo and "often forget the length" not in demo and "who should be allowed" not in demo
    )


def test_a_prediction_a_waiting_step_and_a_reflection(browser: Any, quiz_url: str) -> None:
    with open_page(browser, quiz_url) as page:
        boot(page, quiz_url)
        page.locator('[data-lesson="demo"] button').click()
        page.wait_for_selector(".lesson-screen")
        wait_console(page, "tenant", "dom1>")

        # The prediction comes first: the checks wait for it, in words.
        assert page.locator("#predict-first").is_visible()
        form = page.locator("#quiz-1")
        assert "Predict first" in form.locator("legend").text_content()
        page.locator("#quiz-1-choice-2").focus()  # by keyboard: Space picks, Enter answers
        page.keyboard.press("Space")
        page.keyboard.press("Enter")
        page.wait_for_selector("#quiz-1.answered")
        assert "Prediction noted" in page.locator("#quiz-1-feedback").inner_text()
        assert page.locator("#quiz-1-explanation").is_hidden()  # not before the step is done
        assert page.locator("#predict-first").is_hidden()
        shot(page, "quiz-predicted.png")

        type_line(page, "tenant", "peek 2 0x80001000 32")
        page.wait_for_selector("#step-done", timeout=STEP_TIMEOUT_MS)
        assert "Your prediction was wrong: you answered 2." in page.locator("#quiz-1-feedback").inner_text()
        assert "never asks who calls" in page.locator("#quiz-1-explanation").inner_text()
        assert "tenant's console shows bank's secret" in page.locator("#checks").inner_text()
        shot(page, "quiz-step-done.png")
        page.locator("#next-step").click()
        page.wait_for_selector('details.step.current[data-step="1"]:not(.done)')

        # The reflection: a free answer (wrong, then right in another base), then select all.
        assert page.locator(".answer-questions").is_visible()
        field = page.locator("#quiz-1-input")
        field.fill("0x1000")
        field.press("Enter")
        page.wait_for_function(
            "() => document.querySelector('#quiz-1-feedback')?.textContent.includes('Try again')"
        )
        field.fill("2147487744")
        field.press("Enter")
        page.wait_for_selector("#quiz-1.answered")
        assert "puts it there" in page.locator("#quiz-1-explanation").inner_text()
        assert "select all that apply" in page.locator("#quiz-2 legend").text_content()
        page.locator("#quiz-2-choice-1").check()
        page.locator("#quiz-2-choice-3").check()
        page.locator("#quiz-2-answer").click()
        page.wait_for_selector("#lesson-complete", timeout=STEP_TIMEOUT_MS)
        assert page.locator("#quiz-2.answered").count() == 1  # the answers stay on show
        shot(page, "quiz-complete.png")

        # A reload: the lesson comes back complete, with the answers that counted.
        page.reload()
        page.wait_for_function("() => window.hvlab && window.hvlab.lab", timeout=90_000)
        page.locator('[data-lesson="demo"] button').click()
        page.wait_for_selector("#lesson-complete")
        assert page.locator("#quiz-1-input").input_value() == "2147487744"
        assert page.locator("#quiz-2-choice-3").is_checked()


def test_the_questions_speak_german(browser: Any, quiz_url: str) -> None:
    with open_page(browser, quiz_url) as page:
        boot(page, quiz_url)
        page.select_option("#lang", "de")
        page.wait_for_function("() => document.querySelector('h1#picker-title')?.textContent === 'Lektionen'")
        page.locator('[data-lesson="demo"] button').click()
        page.wait_for_selector("#quiz-1")
        assert "Erst vorhersagen" in page.locator("#quiz-1 legend").text_content()
        assert "Was wird der Hypervisor tun" in page.locator("#quiz-1").inner_text()
        assert page.locator("#quiz-1-answer").inner_text() == "Antworten"
        assert "Beantworten Sie zuerst die Vorhersage" in page.locator("#predict-first").inner_text()
        assert "Die Konsole von tenant zeigt das Geheimnis von bank" in page.locator("#checks").inner_text()
        shot(page, "quiz-de.png")
