"""`hvlab web serve`'s server: the MIME types browsers insist on, and cache headers."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest


def head(url: str, **headers: str) -> tuple[int, dict[str, str]]:
    request = urllib.request.Request(url, method="HEAD", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}


@pytest.mark.parametrize(
    ("path", "mime"),
    [
        ("", "text/html"),
        ("app.js", "text/javascript"),
        ("worker.js", "text/javascript"),  # a module worker refuses any other type
        ("pyodide/pyodide.mjs", "text/javascript"),
        ("pyodide/pyodide.asm.wasm", "application/wasm"),  # instantiateStreaming insists on it
        ("lessons.zip", "application/zip"),
        ("manifest.json", "application/json"),
        ("xterm.css", "text/css"),
    ],
)
def test_mime_types(server_url, path, mime):
    status, headers = head(server_url + path)
    assert status == 200 and headers["content-type"].split(";")[0] == mime


def test_cache_headers(server_url, site):
    (wheel,) = (site / "wheels").glob("hvlab-*.whl")
    status, headers = head(f"{server_url}wheels/{wheel.name}")
    assert status == 200 and headers["cache-control"] == "no-cache"  # a rebuild shows at once ...
    again, _ = head(f"{server_url}wheels/{wheel.name}", **{"If-Modified-Since": headers["last-modified"]})
    assert again == 304  # ... and an unchanged file costs no bytes
    _, pyodide = head(server_url + "pyodide/pyodide.asm.wasm")
    assert pyodide["cache-control"].startswith("public, max-age=")
    assert head(server_url + "no-such-file")[0] == 404
