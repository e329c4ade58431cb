"""`hvlab lessons preview DIR`'s page: the browser lab with an instructor's lessons, kept in
step with their folder while it is served.

    server = start(Path("my-lessons"), default_site(), port=8001)   # built and serving
    server.url                  # http://127.0.0.1:8001/
    server.stop()

The site is the ordinary one (web/build.py) built with `lessons=DIR` and `preview=True`: its
manifest names `preview.json`, which holds a stamp of the lessons (the SHA-256 of the
lessons.zip being served). A watcher thread looks at the folder once a second (the files'
times and sizes, lab.session.course.stamp) and, when something changed, packs lessons.zip
again and writes the new stamp. The page's worker polls preview.json; on a new stamp it
fetches lessons.zip, unpacks it over its copy and asks its session to `reload`, which keeps
the machine when the lesson's scenario did not change (lab.session.session.Session.reload).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Final

from lab.session.course import stamp
from web.build import PREVIEW_STAMP, BuildError, build, lessons_zip
from web.serve import SiteServer, make_server

__all__ = ["BuildError", "PreviewServer", "refresh", "start"]

POLL_SECONDS: Final = 1.0  # how often the watcher looks at the folder


def default_site() -> Path:
    """Where a preview's site is built: the user's cache ($XDG_CACHE_HOME, else ~/.cache), out of
    the lessons' folder (a site inside it would be packed into its own lessons) and kept, so the
    next preview's build only rewrites what changed."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "hvlab" / "preview"


def refresh(lessons: Path, site: Path) -> bool:
    """Pack `lessons` into the site's lessons.zip and write its stamp; True when they changed."""
    data = lessons_zip(lessons)
    text = json.dumps({"stamp": hashlib.sha256(data).hexdigest()[:16]}) + "\n"
    zipped, stamped = site / "lessons.zip", site / PREVIEW_STAMP
    if zipped.exists() and zipped.read_bytes() == data and stamped.exists() and stamped.read_text() == text:
        return False
    # The zip first: a page that sees the new stamp finds the new lessons.
    tmp = zipped.with_suffix(".zip.tmp")
    tmp.write_bytes(data)
    tmp.replace(zipped)
    stamped.write_text(text, encoding="utf-8")
    return True


class PreviewServer:
    """The site served from one thread and the folder watched from another."""

    def __init__(self, lessons: Path, site: Path, server: SiteServer) -> None:
        self.lessons = lessons
        self.site = site
        self.server = server
        self._stopped = threading.Event()
        self._threads = [
            threading.Thread(target=server.serve_forever, name="preview-serve", daemon=True),
            threading.Thread(target=self._watch, name="preview-watch", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    @property
    def url(self) -> str:
        return self.server.url

    def _watch(self) -> None:
        seen = stamp(self.lessons)
        while not self._stopped.wait(POLL_SECONDS):
            now = stamp(self.lessons)
            if now == seen:
                continue
            try:
                refresh(self.lessons, self.site)
            except OSError:
                continue  # a file half written or gone: the next look packs it again
            seen = now

    def wait(self) -> None:
        """Serve until Ctrl-C (KeyboardInterrupt reaches the caller)."""
        while not self._stopped.wait(0.5):
            pass

    def stop(self) -> None:
        self._stopped.set()
        self.server.shutdown()
        self.server.server_close()


def start(lessons: Path, site: Path, *, host: str = "127.0.0.1", port: int = 8001) -> PreviewServer:
    """Build the preview site for `lessons` into `site` and serve it (BuildError, OSError)."""
    if site.resolve().is_relative_to(lessons.resolve()):
        raise BuildError(f"the site ({site}) must lie outside the lessons' folder, or it packs itself")
    build(site, lessons=lessons, preview=True)
    refresh(lessons, site)
    return PreviewServer(lessons, site, make_server(site, host, port))
