"""Questions in the TUI, by keyboard at 80x24: a prediction before acting, a step that waits
until the student moves on, a reflection answered wrong then right; the policy panel's
Markdown and its cost measurement; the picker's titles."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual.widgets import Input, OptionList, Static

from lab.lesson import progress as progress_file
from lab.session import STUDENT, Session
from tests.lesson.conftest import FRONT
from tests.lesson.test_quiz import GOOD
from tests.tui.conftest import SIZE, enter_line, lesson_started, open_tab, settled, until
from tui.app import HvlabApp
from tui.widgets.checks import ChecksView
from tui.widgets.lesson_view import LessonView
from tui.widgets.quiz import QuizPanel
from tui.widgets.trace_panel import TracePanel


def course(folder: Path, *, lang: str = "en") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    front = FRONT.replace('"api.toml"', '"api"').replace('lang = "en"', f'lang = "{lang}"')
    (folder / ("demo.md" if lang == "en" else f"demo.{lang}.md")).write_text(front + GOOD, encoding="utf-8")
    return folder


@pytest.fixture
def quiz_session(tmp_path: Path) -> Session:
    return Session(seed=STUDENT, lessons_dir=course(tmp_path / "lessons"), progress_path=tmp_path / "p.json")


async def to_question(pilot, number: int) -> QuizPanel:
    """Shift+Tab from the console back to the question's choices (or its input line)."""
    panel = pilot.app.screen.query_one(LessonView).questions[number]
    target = panel.query_one("OptionList, Input")
    for _ in range(12):
        if pilot.app.focused is target:
            return panel
        await pilot.press("shift+tab")
        await pilot.pause()
    raise AssertionError(f"the keyboard never reached question {number}: {pilot.app.focused}")


def shown(widget) -> str:
    return str(widget.render())


def test_a_prediction_a_waiting_step_and_a_reflection_by_keyboard(quiz_session):
    s = quiz_session

    async def flow() -> None:
        app = HvlabApp(s, lesson="demo")
        async with app.run_test(size=SIZE) as pilot:
            await lesson_started(pilot, machine=False)  # 80 columns: the text first, its question
            screen = app.screen
            checks = screen.query_one(ChecksView)
            assert "Answer the prediction above first" in shown(checks)
            predict = await to_question(pilot, 1)
            assert "Predict first" in shown(predict.query_one(".quiz-label", Static))
            await pilot.press("down", "enter")  # the second choice: refused with SBI_ERR_DENIED
            await pilot.pause()
            assert predict.chosen() == "2"
            await pilot.press("tab", "enter")  # the Answer button
            (state,) = (await settled(pilot)).quizzes
            assert state.answered and state.right is None  # noted, not judged aloud yet
            assert "Prediction noted" in shown(predict.query_one(".quiz-feedback", Static))
            assert predict.query_one(OptionList).disabled and "Answer the prediction" not in shown(checks)
            assert app.focused is screen.query_one("#input-tenant", Input)  # predicted: now act
            await enter_line(pilot, "peek 2 0x80001000 32")
            state = await settled(pilot)
            assert state.done and state.step == 0  # done, and it stays
            await pilot.press("f2")  # the text (80 columns: the text and the machine take turns)
            await pilot.pause()
            assert screen.query_one("#step-done").display
            feedback = shown(predict.query_one(".quiz-feedback", Static))
            assert "Your prediction was wrong: you answered 2." in feedback
            assert "never asks who calls" in predict.query_one(".quiz-explanation").source

            await pilot.press("ctrl+n")
            assert (await settled(pilot)).step == 1
            await pilot.pause()
            assert "Answer the questions above" in shown(checks)
            address = screen.query_one(LessonView).questions[1]
            assert app.focused is address.query_one(Input)  # the reflection asks: its question has the focus
            feedback = address.query_one(".quiz-feedback", Static)
            address.query_one(Input).value = "0x1000"
            await pilot.press("enter")
            await until(pilot, lambda: "Not quite. Try again." in shown(feedback))
            address.query_one(Input).value = "2147487744"  # 0x80001000, written in decimal
            await pilot.press("enter")
            await until(pilot, lambda: "Right." in shown(feedback))
            assert "puts it there" in address.query_one(".quiz-explanation").source

            calls = screen.query_one(LessonView).questions[2]
            await settled(pilot)
            assert app.focused is calls.query_one(OptionList)  # on to the next open question
            await pilot.press("enter", "down", "down", "enter")  # peek and destroy
            await pilot.pause()
            assert calls.chosen() == "1,3" and "select all that apply" in shown(
                calls.query_one(".quiz-label")
            )
            await pilot.press("tab", "enter")
            state = await settled(pilot)
            assert state.finished and state.complete
            assert "Lesson complete" in str(screen.query_one("#status").render())

    asyncio.run(flow())  # the engine wrote the progress file as it ended
    assert s.book.path is not None
    steps = progress_file.load(s.book.path).to_dict()["lessons"]["demo"]["steps"]
    assert steps["1"]["quizzes"]["1"]["attempts"] == 2 and steps["0"]["quizzes"]["1"]["right"] is False


def test_a_german_lesson_asks_in_german(tmp_path):
    s = Session(
        seed=STUDENT, lessons_dir=course(tmp_path / "lessons", lang="de"), progress_path=tmp_path / "p"
    )

    async def flow() -> None:
        app = HvlabApp(s, lesson="demo", lang="de")
        async with app.run_test(size=SIZE) as pilot:
            await lesson_started(pilot, machine=False)
            panel = app.screen.query_one(LessonView).questions[1]
            assert "Erst vorhersagen" in shown(panel.query_one(".quiz-label", Static))
            assert "Beantworten Sie zuerst die Vorhersage" in shown(app.screen.query_one(ChecksView))
            assert "Antworten" in str(panel.query_one(".quiz-answer").label)

    asyncio.run(flow())


def test_policy_words_render_their_markdown_and_the_cost_is_measured(session):
    async def flow() -> None:
        app = HvlabApp(session, lesson="guest-buffers")
        async with app.run_test(size=SIZE) as pilot:
            await lesson_started(pilot)
            await open_tab(pilot, "policy")
            screen = app.screen
            docs = [shown(d) for d in screen.query(".switch-doc")]
            assert docs and not any("`" in d for d in docs)
            assert not screen.query_one("#measure-caveat").display
            await pilot.click("#measure")
            measured = screen.query_one("#measured", Static)
            await until(pilot, lambda: "With your hardening a hypercall took" in shown(measured))
            assert "µs" in shown(measured)
            assert screen.query_one("#measure-caveat").display
            assert "not the absolute times" in shown(screen.query_one("#measure-caveat", Static))
            await open_tab(pilot, "trace")  # the figures are in the trace too
            trace = screen.query_one(TracePanel)
            await until(pilot, lambda: any("measured:" in line for line in trace.lines))

    asyncio.run(flow())


def test_the_picker_names_what_comes_first_by_title(session):
    async def flow() -> None:
        app = HvlabApp(session)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.press("down", "down")  # control-api, which comes after the hypercalls lesson
            await pilot.pause()
            summary = shown(app.screen.query_one("#summary", Static))
            title = next(x.title for x in session.list_lessons() if x.id == "hypercalls")
            assert f"After: {title}" in summary and "After: hypercalls" not in summary

    asyncio.run(flow())
