"""An instructor's preview in the page (`hvlab lessons preview DIR`): the site built with the
folder's lessons, and a saved lesson file drawn afresh on the machine it had; a changed
scenario builds a new machine; a file that does not parse is named in a message.

Screenshots go to $HVLAB_SHOTS (default /tmp/web-shots) for a person to look at.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import pytest

from lab.lesson.scaffold import scaffold
from tests.test_preview import ID, touch
from tests.tools import require_tool
from tests.web.conftest import BOOT_TIMEOUT_MS, boot, open_page
from tests.web.test_browser_ui import console_text, shot, type_line, wait_console

RELOAD_TIMEOUT_MS: Final = 30_000  # the watcher's second, the page's second, a reload on a loaded machine


@pytest.fixture
def preview(tmp_path: Path):
    require_tool("node")
    require_tool("npm")
    from web import preview

    folder = tmp_path / "lessons"
    scaffold(ID, folder)
    server = preview.start(folder, tmp_path / "site", port=0)
    try:
        yield folder, server.url
    finally:
        server.stop()


def step_title(page: Any, index: int) -> str:
    return page.locator(f'details.step[data-step="{index}"] summary').first.inner_text()


def test_the_page_reloads_a_saved_lesson(browser: Any, preview) -> None:
    folder, url = preview
    with open_page(browser, url) as page:
        boot(page, url)
        page.wait_for_selector(f'[data-lesson="{ID}"]')
        page.locator(f'[data-lesson="{ID}"] button').click()
        page.wait_for_selector(".lesson-screen", timeout=BOOT_TIMEOUT_MS)
        type_line(page, "tenant", "vms")
        wait_console(page, "tenant", "dom2 running")
        type_line(page, "tenant", "echo typed-before-the-reload")
        wait_console(page, "tenant", "\ntyped-before-the-reload")
        assert "Find your neighbours" in step_title(page, 0)

        lesson = folder / f"{ID}.md"
        touch(lesson, lesson.read_text().replace("## Find your neighbours", "## Meet the neighbours"))
        page.wait_for_function(
            """() => document.querySelector('details.step[data-step="0"] summary')
                ?.innerText.includes("Meet the neighbours")""",
            timeout=RELOAD_TIMEOUT_MS,
        )
        wait_console(page, "tenant", "\ntyped-before-the-reload")  # the machine was kept, and its consoles
        page.wait_for_selector(".toast:has-text('the machine is kept')", timeout=RELOAD_TIMEOUT_MS)
        shot(page, "preview-kept.png")

        touch(lesson, lesson.read_text().replace("console_contains tenant", "console_contain tenant"))
        page.wait_for_selector(".toast.error:has-text('did you mean')", timeout=RELOAD_TIMEOUT_MS)
        assert "Meet the neighbours" in step_title(page, 0)  # the old lesson goes on
        shot(page, "preview-problem.png")

        touch(lesson, lesson.read_text().replace("console_contain tenant", "console_contains tenant"))
        scenario = folder / f"{ID}.toml"
        touch(scenario, scenario.read_text().replace("pin-4711", "pin-0815"))
        page.wait_for_selector(".toast:has-text('built again')", timeout=RELOAD_TIMEOUT_MS)
        # A new machine, resumed at the step the instructor was on: the steps done are replayed
        # (step 1's `vms`), what was typed besides is gone.
        wait_console(page, "tenant", "dom2 running")
        assert "typed-before-the-reload" not in console_text(page, "tenant")
        shot(page, "preview-restarted.png")


def test_a_preview_keeps_no_offline_copy(browser: Any, preview, tmp_path: Path) -> None:
    """Its lessons change while it is served: a service worker would keep the first ones."""
    _, url = preview
    assert not (tmp_path / "site" / "sw.js").exists()
    assert (tmp_path / "site" / "lessons.zip").exists()  # the name web/preview.py rewrites
    with open_page(browser, url) as page:
        boot(page, url)
        state = page.evaluate("async () => { await hvlab.offline.ready; return hvlab.offline.state; }")
        assert state == "unsupported"
        assert page.evaluate("async () => (await navigator.serviceWorker.getRegistrations()).length") == 0
