"""The package as a student installs it: the built wheel in a fresh venv carries the whole course.

The sources are copied (the checkout is left as it is), made into a source distribution and
that into a wheel, as `python -m build` and PyPI do; the wheel is installed with pip into a
new venv, offline (`--no-index --no-deps`; the dependencies are this venv's, put on the new
one's path by a .pth file, as `--system-site-packages` would). Then, from an empty folder
that has no lessons/, the installed `hvlab` must find the course it carries: `hvlab lessons
check` proves a lesson in both languages (one that applies a patch from lessons/patches),
and `hvlab tui` opens one headless. An instructor's own folder of lessons still wins when named.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from lab.lesson.parser import parse_lesson

ROOT = Path(__file__).resolve().parents[1]
# What the copy leaves out: what no build reads (a venv, caches, node's packages, earlier builds).
NOT_SOURCES = shutil.ignore_patterns(
    ".git", ".venv", "build", "site", "dist", "node_modules", "*.egg-info", "__pycache__", ".*_cache"
)

# One backend and one seed; the teaching rules warn until the course's second edition lands
# (issue 16, as in tests/lesson/test_validator.py): what is proved here is that the lessons are found.
QUICK_CHECK = ("--backend", "interp", "--seed", "7", "--teaching-rules", "warn")


def run(argv: list[str], *, cwd: Path, timeout: int = 180, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        argv, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env, check=False
    )
    assert proc.returncode == 0, (
        f"{argv} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    )
    return proc.stdout


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh venv with the wheel built from the sources installed in it; its bin/ directory."""
    top = tmp_path_factory.mktemp("install")
    src = top / "src"
    shutil.copytree(ROOT, src, ignore=NOT_SOURCES)
    sdist_dir, wheel_dir = top / "sdist", top / "wheel"
    python = sys.executable
    build_sdist = f"from setuptools import build_meta; print(build_meta.build_sdist({str(sdist_dir)!r}))"
    sdist = sdist_dir / run([python, "-c", build_sdist], cwd=src).strip().splitlines()[-1]
    with tarfile.open(sdist) as tar:
        tar.extractall(top / "unpacked", filter="data")
    (unpacked,) = (top / "unpacked").iterdir()
    pip = [python, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "--wheel-dir", str(wheel_dir), str(unpacked)],
        cwd=top,
    )
    (wheel,) = wheel_dir.glob("hvlab-*.whl")

    env = top / "venv"
    run([python, "-m", "venv", "--without-pip", str(env)], cwd=top)
    new_python = env / "bin" / "python"
    run([*pip, "--python", str(new_python), "install", "--no-index", "--no-deps", str(wheel)], cwd=top)
    # The dependencies (markdown-it-py, Textual, ...) from this venv, after the new venv's own
    # packages on the path; a plain directory in a .pth: this venv's editable hvlab stays out.
    purelib = run([str(new_python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], cwd=top)
    deps = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    Path(purelib.strip(), "hvlab_test_deps.pth").write_text("\n".join(sorted(deps)) + "\n")
    yield env / "bin"


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """A folder with no lessons/ in it, and HOME there: the lab's progress lands nowhere real."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    return folder


def environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return {**env, "HOME": str(home), "HVLAB_DATA": str(home / "data")}


def test_the_installed_package_is_the_wheel_and_carries_the_course(venv: Path, elsewhere: Path):
    where = run(
        [
            str(venv / "python"),
            "-c",
            "import lab, lab.session as s; print(lab.__file__); print(s.DEFAULT_LESSONS)",
        ],
        cwd=elsewhere,
        env=environment(elsewhere),
    ).splitlines()
    prefix = str(venv.parent)
    assert where[0].startswith(prefix), f"lab came from {where[0]}, not the installed wheel"
    course = Path(where[1])
    assert str(course).startswith(prefix) and course.parts[-2:] == ("lab", "course")
    names = {p.relative_to(course).as_posix() for p in course.rglob("*") if p.is_file()}
    in_checkout = {p.relative_to(ROOT / "lessons").as_posix() for p in (ROOT / "lessons").rglob("*.md")}
    assert in_checkout <= names and "patches/console_write.py" in names  # both languages, the patches
    assert {"03-control-api.md", "03-control-api.de.md"} <= names


def test_lessons_check_finds_a_lesson_of_the_installed_course_from_any_folder(venv: Path, elsewhere: Path):
    # guest-buffers applies lessons/patches/console_write.py in its solutions and hardening.
    out = run(
        [str(venv / "hvlab"), "lessons", "check", "guest-buffers", *QUICK_CHECK],
        cwd=elsewhere,
        env=environment(elsewhere),
    )
    assert "2 lesson files ok on interp" in out, out
    course = venv.parent / "lib"  # .../venv/lib/pythonX.Y/site-packages/lab/course/
    for lang in ("en", "de"):
        line = next(x for x in out.splitlines() if f"(guest-buffers, {lang})" in x)
        assert line.startswith(f"ok   {course}") and "/lab/course/04-guest-buffers" in line, line


def test_an_instructors_own_folder_of_lessons_is_still_read(venv: Path, elsewhere: Path):
    own = elsewhere / "my-lessons"
    own.mkdir()
    shutil.copy(ROOT / "lessons" / "01-tour.md", own / "01-tour.md")
    out = run(
        [str(venv / "hvlab"), "lessons", "check", str(own), *QUICK_CHECK],
        cwd=elsewhere,
        env=environment(elsewhere),
    )
    assert "1 lesson file ok on interp" in out, out


# `hvlab tui control-api` as a student types it, with Textual's App.run made headless and
# driven: it waits for the lesson's screen and prints what the lab shows.
HEADLESS_TUI = textwrap.dedent(
    """
    import sys
    from textual.app import App
    from hvlab.cli import main

    run = App.run

    async def look(pilot):
        app = pilot.app
        for _ in range(400):
            if type(app.screen).__name__ == "LessonScreen" and app.screen.is_mounted:
                break
            await pilot.pause(0.05)
        await pilot.pause(0.5)  # its first frame from the lesson's engine
        screen = app.screen
        print("screen:", type(screen).__name__)
        print("lesson:", getattr(screen, "lesson", None) and screen.lesson.title)
        print("lessons dir:", app.session.lessons_dir)
        app.exit()

    App.run = lambda self, **kw: run(self, headless=True, size=(100, 30), auto_pilot=look)
    sys.exit(main(["tui", "control-api", "--lang", "de", "--progress", "progress.json"]))
    """
)


def test_hvlab_tui_opens_a_lesson_of_the_installed_course(venv: Path, elsewhere: Path):
    out = run([str(venv / "python"), "-c", HEADLESS_TUI], cwd=elsewhere, env=environment(elsewhere))
    assert "screen: LessonScreen" in out, out
    german = parse_lesson(ROOT / "lessons" / "03-control-api.de.md")
    assert f"lesson: {german.title}" in out
    assert f"lessons dir: {venv.parent}" in out
