"""setuptools' one hook: the course travels inside the package.

Instructors keep the course at the checkout's root, `lessons/` (English `*.md`, German
`*.de.md`, the patches lessons apply). A built wheel carries a copy of it as the package data
`lab/course/`, where `lab.session.course.DEFAULT_LESSONS` finds it once hvlab is installed, so
`pip install` (or `pipx install`) of the wheel is all a student needs for the terminal lab.
An editable install (`pip install -e .`) copies nothing: the checkout's `lessons/` is read in place.
Everything else about the package is declared in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

COURSE = Path(__file__).resolve().parent / "lessons"
PACKAGED = ("lab", "course")  # where the wheel holds it: lab/course/


class BuildPyWithCourse(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib, *PACKAGED)
        if target.exists():
            shutil.rmtree(target)  # a lesson deleted since the last build must not linger
        shutil.copytree(COURSE, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildPyWithCourse})
