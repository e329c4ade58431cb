"""`hvlab web serve`'s server: the MIME types browsers insist on, precompressed copies sent as
Content-Encoding, and cache headers right for content folders and entry points."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from web.serve import accepted


def fetch(url: str, method: str = "GET", **headers: str) -> tuple[int, dict[str, str], bytes]:
    """(status, headers with lower-case names, the body as it came: not decoded)."""
    request = urllib.request.Request(url, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, b""


def head(url: str, **headers: str) -> tuple[int, dict[str, str]]:
    status, found, _ = fetch(url, "HEAD", **headers)
    return status, found


@pytest.fixture(scope="module")
def manifest(site: Path) -> dict:
    return json.loads((site / "manifest.json").read_text())


@pytest.mark.parametrize(
    ("path", "mime"),
    [
        ("", "text/html"),
        ("app.js", "text/javascript"),
        ("worker.js", "text/javascript"),  # a module worker refuses any other type
        ("sw.js", "text/javascript"),  # so does a service worker
        ("{pyodide}pyodide.mjs", "text/javascript"),
        ("{pyodide}pyodide.asm.wasm", "application/wasm"),  # instantiateStreaming insists on it
        ("{lessons}", "application/zip"),
        ("manifest.json", "application/json"),
        ("app.webmanifest", "application/manifest+json"),
        ("xterm.css", "text/css"),
    ],
)
def test_mime_types(server_url, manifest, path, mime):
    path = path.format(pyodide=manifest["pyodide_dir"], lessons=manifest["lessons"])
    for encoding in ("br", "gzip", "identity"):  # a precompressed copy keeps its file's type
        status, headers = head(server_url + path, **{"Accept-Encoding": encoding})
        assert status == 200 and headers["content-type"].split(";")[0] == mime, encoding


def test_precompressed_copies_are_sent_to_a_browser_that_takes_them(server_url, site, manifest):
    wasm = manifest["pyodide_dir"] + "pyodide.asm.wasm"
    original = (site / wasm).read_bytes()
    cases = {
        "gzip, deflate, br, zstd": ("br", ".br"),  # what Chrome sends: brotli is preferred
        "gzip": ("gzip", ".gz"),
        "br;q=0, gzip;q=0.8": ("gzip", ".gz"),
        "identity": (None, ""),
        "": (None, ""),
    }
    for accept, (encoding, suffix) in cases.items():
        status, headers, body = fetch(server_url + wasm, **{"Accept-Encoding": accept})
        assert status == 200 and headers.get("content-encoding") == encoding, accept
        assert body == (site / (wasm + suffix)).read_bytes() and int(headers["content-length"]) == len(body)
        assert headers["vary"] == "Accept-Encoding"  # a shared cache keeps one copy per coding
    assert len(fetch(server_url + wasm, **{"Accept-Encoding": "br"})[2]) < len(original) / 3
    # A file without a copy (a zip is deflated already) is sent as it is, whatever is accepted.
    status, headers, body = fetch(server_url + manifest["lessons"], **{"Accept-Encoding": "br, gzip"})
    assert "content-encoding" not in headers and body == (site / manifest["lessons"]).read_bytes()
    assert accepted("br;q=0, GZIP ; q=1, *;q=0.1") == {"gzip", "*"}


def test_content_folders_are_immutable_and_entry_points_are_revalidated(server_url, manifest):
    for path in (manifest["pyodide_dir"] + "pyodide.asm.wasm", manifest["wheels"][0], manifest["lessons"]):
        status, headers = head(server_url + path)
        assert status == 200 and headers["cache-control"] == "public, max-age=31536000, immutable", path
    for path in ("", "index.html", "sw.js", "manifest.json", "app.js", "worker.js", "uitext/en.json"):
        status, headers = head(server_url + path, **{"Accept-Encoding": "br"})
        assert status == 200 and headers["cache-control"] == "no-cache", path  # a new build shows at once
        # ... and an unchanged file costs no bytes: by its ETag, or by its date.
        again, _ = head(server_url + path, **{"Accept-Encoding": "br", "If-None-Match": headers["etag"]})
        assert again == 304, path
        by_date, _ = head(server_url + path, **{"If-Modified-Since": headers["last-modified"]})
        assert by_date == 304, path
    # The ETag names the coding: a cache that stored the gzip copy does not take it for brotli's.
    _, br = head(server_url + "app.js", **{"Accept-Encoding": "br"})
    _, gz = head(server_url + "app.js", **{"Accept-Encoding": "gzip"})
    assert br["etag"] != gz["etag"]
    _, plain = head(server_url + "app.js")
    assert br["last-modified"] == gz["last-modified"] == plain["last-modified"]  # app.js's own date
    assert head(server_url + "app.js", **{"Accept-Encoding": "gzip", "If-None-Match": br["etag"]})[0] == 200
    assert head(server_url + "no-such-file")[0] == 404
