"""Session-wide test settings.

`make test` runs the suite in two pytest-xdist workers (`-n 2 --dist loadgroup`). Tests that
share a module-scoped fixture (one browser page played through in order, a recorded course, a
built guest) stay together in one worker, in file order, so the fixture is made once and the
tests see it in the state they expect; every other test goes to whichever worker is free.
"""

from __future__ import annotations

import pytest


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        if info is None:
            continue
        if any(d.scope == "module" for defs in info.name2fixturedefs.values() for d in defs):
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))
