"""Fixtures for the web lab's tests: the built site, a server for it, a browser page.

    def test_something(site: Path): ...            # `hvlab web build` once per test session
    def test_page(lab_page, server_url): ...       # chromium on the served site, errors fail the test

The site needs node and npm; the browser needs the Python playwright package and
Debian's /usr/bin/chromium (never a downloaded browser). Each missing piece skips
the tests that need it, with the reason, unless HVLAB_REQUIRE_TOOLS=1 (CI) makes it a
failure. A browser page fails its test on any console error, uncaught page error or
request to another origin than the local server.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

import pytest

from bench.web import CHROMIUM, CHROMIUM_ARGS  # one launch recipe for the bench and the tests
from tests.tools import require_tool

BOOT_TIMEOUT_MS: Final = 90_000  # Pyodide's first boot on a loaded 2-core machine


def require(ok: bool, message: str) -> None:
    """Skip (or, with HVLAB_REQUIRE_TOOLS=1, fail) when a tool the test needs is missing."""
    if ok:
        return
    if os.environ.get("HVLAB_REQUIRE_TOOLS") == "1":
        pytest.fail(message + " (HVLAB_REQUIRE_TOOLS=1)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site as `hvlab web build --out DIR` makes it, built once per test session
    (HVLAB_WEB_SITE=DIR tests a site built before instead)."""
    prebuilt = os.environ.get("HVLAB_WEB_SITE")
    if prebuilt:
        return Path(prebuilt)
    require_tool("node")
    require_tool("npm")
    from web.build import BuildError, build

    out = tmp_path_factory.mktemp("web") / "site"
    try:
        build(out)
    except BuildError as exc:
        pytest.fail(f"hvlab web build failed: {exc}")
    return out


@contextmanager
def served(site: Path) -> Iterator[str]:
    """A built site served on 127.0.0.1 on a free port, from a thread: its URL."""
    from web.serve import make_server

    server = make_server(site, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.url
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def server_url(site: Path) -> Iterator[str]:
    """The site served on 127.0.0.1 on a free port, from a thread."""
    with served(site) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's chromium, headless, driven by playwright; one per test file, so that
    playwright's event loop is gone before the terminal lab's tests run their own in
    the same process."""
    require(os.path.exists(CHROMIUM), f"{CHROMIUM} not found (Debian: apt install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require(False, "the playwright Python package is not installed (pip install -e '.[test]')")
        raise
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class PageProblems:
    """What went wrong in a page: console errors, uncaught errors, requests off the origin."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.errors: list[str] = []
        self.foreign: list[str] = []

    def watch(self, context: Any, page: Any) -> None:
        self.watch_page(page)
        context.on("request", self._request)

    def watch_page(self, page: Any) -> None:
        """Another page of the same context (a tab opened after one was closed)."""
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))
        page.on("crash", lambda _: self.errors.append("the page crashed"))
        page.on("worker", lambda worker: worker.on("console", self._console))

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(f"console error: {message.text}")

    def _request(self, request: Any) -> None:
        url = urlsplit(request.url)
        if url.scheme in ("data", "blob"):
            return
        if f"{url.scheme}://{url.netloc}" != self.origin:
            self.foreign.append(request.url)

    def check(self) -> None:
        assert not self.foreign, f"requests left the origin: {self.foreign[:5]}"
        assert not self.errors, "\n".join(self.errors)


@contextmanager
def open_page(browser: Any, server_url: str, *, service_workers: str = "allow") -> Iterator[Any]:
    """A page in a new context (empty cache and localStorage); on leaving, the checks of
    `PageProblems` fail the test if anything went wrong in it. `service_workers="block"` keeps
    the lab's service worker out (playwright's `page.route` does not see what one serves)."""
    origin = server_url.rstrip("/")
    context = browser.new_context(viewport={"width": 1366, "height": 768}, service_workers=service_workers)
    page = context.new_page()
    problems = PageProblems(origin)
    problems.watch(context, page)
    page.problems = problems
    try:
        yield page
    finally:
        context.close()
    problems.check()


@pytest.fixture
def lab_page(browser: Any, server_url: str) -> Iterator[Any]:
    """A fresh page that fails the test on errors. It is not loaded yet: `boot(page, server_url)`
    loads the lab and waits for `window.hvlab.lab`, which the UI sets once the engine is ready."""
    with open_page(browser, server_url) as page:
        yield page


# What of the VMs panel lies past its right edge (cut off, or only reachable by scrolling
# sideways): each VM's buttons and NIC cell, by name.
PAST_THE_PANEL: Final = """() => {
    const right = document.querySelector('#vm-table').closest('.panel-scroll').getBoundingClientRect().right;
    const parts = [...document.querySelectorAll('#vm-table [data-vm-action], #vm-table td.c-nic')];
    return [parts.length, parts.filter((el) => el.getBoundingClientRect().right > right + 0.5)
        .map((el) => el.dataset.vmAction || `nic of ${el.closest('tr').dataset.vm}`)];
}"""


def vm_panel_fits(page: Any) -> None:
    """Every VM's buttons (and NIC cell, where shown) are inside the VMs panel."""
    count, past = page.evaluate(PAST_THE_PANEL)
    assert count > 0 and not past, f"past the VMs panel's edge: {past}"


def boot(page: Any, url: str) -> None:
    """Load the lab and wait until its engine answers (window.hvlab.lab, set by the UI after boot)."""
    page.goto(url)
    page.wait_for_function("() => window.hvlab && window.hvlab.lab", timeout=BOOT_TIMEOUT_MS)
