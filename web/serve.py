"""`hvlab web serve`: build the browser lab, then serve it as static files.

    server = make_server(Path("build/web"), "127.0.0.1", 0)   # port 0: any free port (tests)
    server.serve_forever()
    hvlab web serve [--port 8000] [--host 127.0.0.1]

Any static host serves the site as well (docs/hosting.md says what it needs); this one exists
so `make serve` works on a fresh machine, and it behaves as a well-configured host does:

* the MIME types browsers insist on (a module script must be text/javascript,
  `WebAssembly.instantiateStreaming` needs application/wasm);
* the build's precompressed copies (`NAME.br`, `NAME.gz`) sent as `Content-Encoding: br` or
  `gzip` to a browser that accepts it, with `Vary: Accept-Encoding`, so the wasm travels as
  2.8 MB rather than 9.6;
* cache headers: files in a content folder (`pyodide/HASH/`, `wheels/HASH/`, `course/HASH/`:
  the name changes with the bytes) are `immutable` for a year; everything else is an entry
  point and is revalidated (`no-cache`, answered 304 while the ETag matches), so a new build
  shows at the next load.
"""

from __future__ import annotations

import email.utils
import os
import re
import sys
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import BinaryIO, ClassVar, Final

from web.build import HASH_LENGTH, HASHED_DIRS, IMMUTABLE

MIME_TYPES: Final = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
    ".wasm": "application/wasm",
    ".whl": "application/zip",
    ".zip": "application/zip",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".woff2": "font/woff2",
}
# Content-Encoding -> the suffix of the build's precompressed copy, in the server's preference.
ENCODINGS: Final = (("br", ".br"), ("gzip", ".gz"))
# A path in a content folder: /GROUP/HASH/...
CONTENT_PATH: Final = re.compile(rf"^/(?:{'|'.join(HASHED_DIRS)})/[0-9a-f]{{{HASH_LENGTH}}}/")
REVALIDATE: Final = "no-cache"


def accepted(header: str) -> set[str]:
    """The codings an Accept-Encoding header allows (`br;q=0` refuses brotli)."""
    codings = set()
    for part in header.split(","):
        name, _, params = part.strip().partition(";")
        q = re.search(r"q\s*=\s*([0-9.]+)", params)
        if name and not (q and float(q.group(1) or 0) == 0):
            codings.add(name.strip().lower())
    return codings


class SiteHandler(SimpleHTTPRequestHandler):
    """Static files with the lab's MIME types, precompressed copies and cache policy."""

    extensions_map: ClassVar[dict[str, str]] = {**SimpleHTTPRequestHandler.extensions_map, **MIME_TYPES}

    def send_head(self) -> BinaryIO | None:
        """The file's headers (and the open file for GET): its precompressed copy when the browser
        takes one, 304 when the browser's copy is current; directories and errors as the base does."""
        path = self.translate_path(self.path)
        if os.path.isdir(path) and self.path.split("?", 1)[0].endswith("/"):
            path = os.path.join(path, "index.html")
        if not os.path.isfile(path):
            return super().send_head()  # a folder's redirect to its slash, a listing, 404
        encoding, served = None, path
        allowed = accepted(self.headers.get("Accept-Encoding", ""))
        for coding, suffix in ENCODINGS:
            if coding in allowed and os.path.isfile(path + suffix):
                encoding, served = coding, path + suffix
                break
        try:
            f = open(served, "rb")  # noqa: SIM115 (the base class's contract: the caller closes it)
        except OSError:
            self.send_error(HTTPStatus.NOT_FOUND, "File not found")
            return None
        size = os.fstat(f.fileno()).st_size
        # The file's own date names every copy of it (a rebuild may keep a copy's bytes and date).
        mtime = os.stat(path).st_mtime_ns
        etag = f'"{size:x}-{mtime:x}{"-" + encoding if encoding else ""}"'
        if self._current(etag, mtime // 1_000_000_000):
            f.close()
            self.send_response(HTTPStatus.NOT_MODIFIED)
            self._common_headers(etag)
            self.end_headers()
            return None
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", self.guess_type(path))
        if encoding:
            self.send_header("Content-Encoding", encoding)
        self.send_header("Content-Length", str(size))
        self.send_header("Last-Modified", email.utils.formatdate(mtime / 1e9, usegmt=True))
        self._common_headers(etag)
        self.end_headers()
        return f

    def _current(self, etag: str, mtime: int) -> bool:
        """Does the browser hold this very file (If-None-Match, else If-Modified-Since)?"""
        if "If-None-Match" in self.headers:
            return etag in re.split(r"\s*,\s*", self.headers["If-None-Match"])
        try:
            since = email.utils.parsedate_to_datetime(self.headers.get("If-Modified-Since", ""))
        except (TypeError, ValueError, IndexError, OverflowError):
            return False
        return since is not None and mtime <= since.timestamp()

    def _common_headers(self, etag: str) -> None:
        self.send_header("ETag", etag)
        self.send_header("Vary", "Accept-Encoding")
        self.send_header("Cache-Control", IMMUTABLE if CONTENT_PATH.match(self.path) else REVALIDATE)

    def end_headers(self) -> None:
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

    def serve_site(self, site: Path) -> None:
        """Serve `site` from the next request on (a new build deployed in place, for tests)."""
        self.RequestHandlerClass = partial(SiteHandler, directory=str(site))


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
    print(f"hvlab: the web lab is at {server.url} (it keeps serving; Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
