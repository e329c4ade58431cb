"""`hvlab web serve`: build the browser lab, then serve it as static files.

    server = make_server(Path("build/web"), "127.0.0.1", 0)   # port 0: any free port (tests)
    server.serve_forever()
    hvlab web serve [--port 8000] [--host 127.0.0.1]

Any static host serves the site as well; this one exists so `make serve` works
on a fresh machine. It sends the MIME types the browser insists on (a module
script must be text/javascript, `WebAssembly.instantiateStreaming` needs
application/wasm) and cache headers that make a second visit fast: Pyodide's
files are versioned by the npm pin, so the browser may keep them for an hour;
everything else is revalidated (a 304 when unchanged), so a rebuild shows at once.
"""

from __future__ import annotations

import sys
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar, Final

MIME_TYPES: Final = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".wasm": "application/wasm",
    ".whl": "application/zip",
    ".zip": "application/zip",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".woff2": "font/woff2",
}
IMMUTABLE_DIRS: Final = ("/pyodide/",)
KEEP_SECONDS: Final = 3600


class SiteHandler(SimpleHTTPRequestHandler):
    """Static files with the lab's MIME types and cache policy, and no per-request log."""

    extensions_map: ClassVar[dict[str, str]] = {**SimpleHTTPRequestHandler.extensions_map, **MIME_TYPES}

    def end_headers(self) -> None:
        path = self.path.split("?", 1)[0]
        if path.startswith(IMMUTABLE_DIRS):
            self.send_header("Cache-Control", f"public, max-age={KEEP_SECONDS}")
        else:
            self.send_header("Cache-Control", "no-cache")
        self.send_header("X-Content-Type-Options", "nosniff")
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass  # a page load is ~20 requests; the terminal stays readable

    def log_error(self, format: str, *args: object) -> None:
        sys.stderr.write(f"hvlab: web serve: {format % args}\n")


class SiteServer(ThreadingHTTPServer):
    daemon_threads = True  # a browser keeping a connection open must not block shutdown

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/"


def make_server(site: Path, host: str = "127.0.0.1", port: int = 8000) -> SiteServer:
    """A server for `site` (not yet serving); OSError when the address is taken."""
    return SiteServer((host, port), partial(SiteHandler, directory=str(site)))


def main(out: Path, *, host: str = "127.0.0.1", port: int = 8000, build: bool = True) -> int:
    from web.build import main as build_main

    if build:
        status = build_main(out)
        if status:
            return status
    elif not (out / "index.html").exists():
        print(f"hvlab: web serve: {out} has no site: run hvlab web build first", file=sys.stderr)
        return 1
    try:
        server = make_server(out, host, port)
    except OSError as exc:
        print(f"hvlab: web serve: cannot listen on {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"hvlab: the web lab is at {server.url} (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
