"""The lab offline: after a first visit the service worker (web/src/sw.js) keeps the build, a
reload without the network works, and a new build deployed replaces the kept one whole.

Each test has its own server, so that it can deploy a second build in place
(SiteServer.serve_site), and its own browser context (service workers, caches and storage
start empty). Every page fails its test on a console error or a request to another origin.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any, Final

import pytest

from tests.web.conftest import BOOT_TIMEOUT_MS, boot, open_page

KEPT: Final = """async () => {
    await window.hvlab.offline.ready;
    return {state: window.hvlab.offline.state, problem: window.hvlab.offline.problem,
            caches: await caches.keys(), controlled: Boolean(navigator.serviceWorker.controller)};
}"""
# Lesson 3's first step: the engine really runs a guest (its console answers `vms`).
FIRST_STEP: Final = """async () => {
    const lab = window.hvlab.lab;
    await lab.call("open_lesson", {lesson_id: "control-api"});
    await lab.call("start", {});
    return (await lab.call("type", {vm: "tenant", text: "vms"})).text;
}"""


@pytest.fixture
def server(site: Path) -> Iterator[Any]:
    from web.serve import make_server

    server = make_server(site, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def second_build(site: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same sources with one change in the page (a meta tag): a new build to deploy."""
    from web.build import WEB, build

    static = tmp_path_factory.mktemp("static") / "static"
    shutil.copytree(WEB / "static", static)
    index = static / "index.html"
    index.write_text(
        index.read_text().replace("<head>", '<head>\n    <meta name="deployed" content="second" />')
    )
    out = tmp_path_factory.mktemp("web") / "site"
    build(out, static=static)
    return out


DEPLOYED: Final = "() => document.querySelector('meta[name=deployed]')?.content ?? 'first'"


class Recorder:
    """The server's handler, recording (path, status) of every request it answers."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, int]] = []

    def handler(self, site: Path) -> Any:
        from web.serve import SiteHandler

        seen = self.seen

        class Recording(SiteHandler):
            def log_request(self, code: Any = "-", size: Any = "-") -> None:
                seen.append((self.path, int(code)))

        return partial(Recording, directory=str(site))


def build_id(site: Path) -> str:
    return json.loads((site / "manifest.json").read_text())["build"]


def test_after_a_first_visit_the_lab_loads_and_runs_offline(browser, server, site):
    with open_page(browser, server.url) as page:
        boot(page, server.url)
        first = page.evaluate(KEPT)
        # The first visit's page stays as it came (not taken over); the build is kept whole.
        assert first == {
            "state": "ready",
            "problem": "",
            "caches": [f"hvlab-{build_id(site)}"],
            "controlled": False,
        }
        page.context.set_offline(True)
        page.reload()
        page.wait_for_function("() => window.hvlab && window.hvlab.lab", timeout=BOOT_TIMEOUT_MS)
        assert page.evaluate("() => Boolean(navigator.serviceWorker.controller)")
        assert page.evaluate("() => window.hvlab.lab.snapshot.restored") is True
        assert "dom2 running" in page.evaluate(FIRST_STEP)
        # Every file, not only those the first screen needs: the other language's words too.
        page.evaluate("() => window.hvlab.ui.switchLanguage('de')")
        page.wait_for_function("() => document.documentElement.lang === 'de'")


def test_offline_without_the_browsers_http_cache_the_workers_copy_serves(browser, server):
    # The content folders' files come from the browser's HTTP cache while it has them (its
    # compiled wasm with them); with that cache emptied, the service worker's own copy.
    with open_page(browser, server.url) as page:
        boot(page, server.url)
        assert page.evaluate(KEPT)["state"] == "ready"
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.clearBrowserCache")
        page.context.set_offline(True)
        page.reload()
        page.wait_for_function("() => window.hvlab && window.hvlab.lab", timeout=BOOT_TIMEOUT_MS)
        assert "dom2 running" in page.evaluate(FIRST_STEP)


def test_a_new_build_replaces_the_kept_one_whole(browser, server, site, second_build):
    old, new = build_id(site), build_id(second_build)
    assert old != new
    with open_page(browser, server.url) as page:
        boot(page, server.url)
        assert page.evaluate(KEPT)["caches"] == [f"hvlab-{old}"]
        page.reload()  # now served by the service worker
        page.wait_for_function("() => window.hvlab && window.hvlab.lab", timeout=BOOT_TIMEOUT_MS)

        recorder = Recorder()
        server.RequestHandlerClass = recorder.handler(second_build)  # deployed while the page is open
        page.reload()
        page.wait_for_function("() => window.hvlab && window.hvlab.lab", timeout=BOOT_TIMEOUT_MS)
        # The old build still serves this page, whole: its index.html, its manifest.
        assert page.evaluate(DEPLOYED) == "first"
        assert page.evaluate("() => fetch('manifest.json').then((r) => r.json())")["build"] == old
        # Meanwhile the new build's worker saved it, and the page offers to reload into it.
        page.wait_for_selector("#update:not([hidden])", timeout=BOOT_TIMEOUT_MS)
        assert sorted(page.evaluate("() => caches.keys()")) == sorted([f"hvlab-{old}", f"hvlab-{new}"])
        # Only what changed came over the network; the rest was copied from the old build's cache.
        sent = {path for path, status in recorder.seen if status == 200}
        assert sent == {"/sw.js", "/index.html", "/manifest.json"}, recorder.seen

        with page.expect_navigation():
            page.click("#update-reload")
        page.wait_for_function("() => window.hvlab && window.hvlab.lab", timeout=BOOT_TIMEOUT_MS)
        assert page.evaluate(DEPLOYED) == "second"
        assert page.evaluate("() => fetch('manifest.json').then((r) => r.json())")["build"] == new
        assert page.evaluate(KEPT)["caches"] == [f"hvlab-{new}"]  # the old build is gone
        # The engine did not change: its snapshot is the old build's, still good.
        assert page.evaluate("() => window.hvlab.lab.snapshot.restored") is True

        page.context.set_offline(True)
        page.reload()
        page.wait_for_function("() => window.hvlab && window.hvlab.lab", timeout=BOOT_TIMEOUT_MS)
        assert page.evaluate(DEPLOYED) == "second" and "dom2 running" in page.evaluate(FIRST_STEP)


def test_the_lab_is_installable(browser, server, tmp_path):
    from bench.web import CHROMIUM, CHROMIUM_ARGS

    # Chrome installs nothing from an incognito context: this one has a profile of its own.
    context = browser.browser_type.launch_persistent_context(
        tmp_path / "profile", executable_path=CHROMIUM, args=CHROMIUM_ARGS
    )
    try:
        page = context.pages[0] if context.pages else context.new_page()
        boot(page, server.url)
        assert page.evaluate(KEPT)["state"] == "ready"
        cdp = context.new_cdp_session(page)
        assert cdp.send("Page.getAppManifest").get("errors") == []
        assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
    finally:
        context.close()
