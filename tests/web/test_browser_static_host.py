"""The lab on a plain static host, not `hvlab web serve`: files sent as they are (the build's
.br and .gz copies sit there unused), no ETag, and one cache rule for every file, ten minutes
(`Cache-Control: max-age=600`, what GitHub Pages sends). docs/hosting.md says such a host
works; these tests hold it to that: the lab boots, is kept offline after a first visit, and a
new build deployed there reaches a student at the next visit although the host lets the
browser keep the old entry points for ten minutes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar, Final

import pytest

from tests.web.conftest import BOOT_TIMEOUT_MS, boot, open_page
from tests.web.test_browser_offline import DEPLOYED, FIRST_STEP, KEPT, build_id, second_build

__all__ = ["second_build"]  # a fixture, used by name

HOST_CACHE: Final = "max-age=600"
READY: Final = "() => window.hvlab && window.hvlab.lab"


class StaticHost(SimpleHTTPRequestHandler):
    """A host that knows the types of the web (a module worker and wasm need theirs) and
    nothing of the lab: no Content-Encoding, no cache rules of its own but one for all."""

    extensions_map: ClassVar[dict[str, str]] = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".js": "text/javascript",
        ".mjs": "text/javascript",
        ".wasm": "application/wasm",
        ".json": "application/json",
        ".webmanifest": "application/manifest+json",
        ".whl": "application/zip",
    }
    seen: ClassVar[list[tuple[str, int]]] = []  # (path, status) per response

    def end_headers(self) -> None:
        self.send_header("Cache-Control", HOST_CACHE)
        super().end_headers()

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        self.seen.append((self.path, int(code)))

    def log_message(self, format: str, *args: Any) -> None:
        pass


class Host:
    """The plain host on a free port; `deploy(site)` puts another build in place."""

    def __init__(self, site: Path) -> None:
        self.seen: list[tuple[str, int]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler(site))
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _handler(self, site: Path) -> Any:
        handler = type("Recording", (StaticHost,), {"seen": self.seen})
        return partial(handler, directory=str(site))

    def deploy(self, site: Path) -> None:
        self.server.RequestHandlerClass = self._handler(site)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def host(site: Path) -> Iterator[Host]:
    host = Host(site)
    yield host
    host.close()


def test_a_plain_host_serves_the_lab_and_it_is_kept_offline(browser, host, site):
    with open_page(browser, host.url) as page:
        boot(page, host.url)
        assert page.evaluate(KEPT)["state"] == "ready"
        page.context.set_offline(True)
        page.reload()
        page.wait_for_function(READY, timeout=BOOT_TIMEOUT_MS)
        assert page.evaluate("() => window.hvlab.lab.snapshot.restored") is True
        assert "dom2 running" in page.evaluate(FIRST_STEP)
    # Every file came as it is: the page never asks for a .br or .gz copy by its name.
    assert host.seen and not [path for path, _ in host.seen if path.endswith((".br", ".gz"))]


def test_a_new_build_reaches_the_student_past_the_hosts_ten_minutes(browser, host, site, second_build):
    old, new = build_id(site), build_id(second_build)
    with open_page(browser, host.url) as page:
        boot(page, host.url)
        assert page.evaluate(KEPT)["caches"] == [f"hvlab-{old}"]
        page.reload()  # served by the service worker from here on
        page.wait_for_function(READY, timeout=BOOT_TIMEOUT_MS)

        host.seen.clear()
        host.deploy(second_build)  # minutes, not ten, after the first visit
        page.reload()
        page.wait_for_function(READY, timeout=BOOT_TIMEOUT_MS)
        assert page.evaluate(DEPLOYED) == "first"  # a page never mixes two builds
        # The browser asked for sw.js past its HTTP cache, and the new worker for the entry
        # points that changed; everything else it copied from the old build's cache.
        page.wait_for_selector("#update:not([hidden])", timeout=BOOT_TIMEOUT_MS)
        sent = {path for path, status in host.seen if status == 200}
        assert sent == {"/sw.js", "/index.html", "/manifest.json"}, host.seen

        with page.expect_navigation():
            page.click("#update-reload")
        page.wait_for_function(READY, timeout=BOOT_TIMEOUT_MS)
        assert page.evaluate(DEPLOYED) == "second"
        assert page.evaluate("() => fetch('manifest.json').then((r) => r.json())")["build"] == new
        assert page.evaluate(KEPT)["caches"] == [f"hvlab-{new}"]
