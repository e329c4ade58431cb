"""Helpers for the lesson tests: write small lessons next to a copy of the api scenario."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from lab.scenario import SCENARIOS_DIR

REPO = Path(__file__).resolve().parents[2]
LESSONS = REPO / "lessons"
DATA = Path(__file__).parent / "data"

FRONT = """+++
id = "demo"
title = "Demo"
scenario = "api.toml"
lang = "en"
summary = "A lesson for the tests."
minutes = 10
+++
"""

STEP = """
## Peek

```check
secret_leaked tenant from=bank
```

```hint
Use peek.
```

```solution
type tenant peek 2 0x80001000 32
```
"""


@pytest.fixture
def write_lesson(tmp_path: Path) -> Callable[..., Path]:
    """write_lesson(body, front=FRONT, name="demo.md") -> the path, with api.toml beside it."""
    shutil.copy(SCENARIOS_DIR / "api.toml", tmp_path / "api.toml")

    def write(body: str = STEP, *, front: str = FRONT, name: str = "demo.md") -> Path:
        path = tmp_path / name
        path.write_text(front + body, encoding="utf-8")
        return path

    return write
