"""The terminal lab leaves when its terminal goes away, even with no hangup signal.

Under `make tui` in a tmux window (or over SSH) that is closed, the hangup signal can reach make
and not the lab: the lab's terminal is gone, and Textual's input thread read its end of file in a
loop, a whole core, until someone killed it. Here the lab runs on a pseudo-terminal that is not
its controlling terminal (so no signal comes at all), and the other end is closed.
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path


def test_the_lab_leaves_when_its_terminal_is_gone(tmp_path: Path) -> None:
    master, slave = pty.openpty()
    env = {
        **os.environ,
        "HVLAB_DATA": str(tmp_path),
        "TERM": "xterm-256color",
        "COLUMNS": "100",
        "LINES": "30",
    }
    lab = subprocess.Popen(
        [sys.executable, "-m", "hvlab", "tui"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        close_fds=True,
    )
    os.close(slave)
    try:
        drawn, deadline = b"", time.monotonic() + 60
        while b"Lessons" not in drawn:  # the lesson list is on screen: the app runs
            assert lab.poll() is None, drawn[-2000:]
            assert time.monotonic() < deadline, f"the lab never drew its lesson list: {drawn[-2000:]!r}"
            if select.select([master], [], [], 0.5)[0]:
                drawn += os.read(master, 65536)
        os.close(master)  # the terminal is gone
        master = -1
        assert lab.wait(timeout=20) is not None  # it left, instead of spinning on end of file
    finally:
        if master >= 0:
            os.close(master)
        if lab.poll() is None:
            lab.kill()
            lab.wait()
