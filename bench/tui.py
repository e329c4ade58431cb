"""The terminal lab's key-to-screen latency while lesson 8's storm runs.

    hvlab bench --tui [--runs N] [--size 100x30] [--checkout DIR ...] [--json]

What a student feels: the time from a key reaching the terminal to its effect on the
screen, while a tenant floods the network (the lab's heaviest load: a guest that never
waits, thousands of trace records and frames a second, the step's checks scanning them).

Method. The lab runs as a student runs it, `python -m hvlab tui flood`, in a real
terminal: a tmux session of the given size on a private tmux server. Its progress file
says step 1 is done, so it resumes at the storm step (replaying the login first). The
bench types the storm into the tenant's console, switches to the admin's (F4), lets the
storm run for a few seconds, then types the lesson's `sendn` command into the admin's
console key by key, as a student would, with Enter at the end, twice. Each key is sent
through a tmux control-mode client (`tmux -C`: one long-lived connection, no process
started per look), and the time runs from just before the key is handed to tmux to the
`%output` notification after which the pane first shows the key's effect: the character
at the end of the input line, or for Enter the input line emptied. Spaces are typed but not
timed (a space does not change a plain capture of the pane). Between keys the bench waits
a seeded random pause (a typist's rhythm), so keys fall at every phase of the lab's frames.

Each configuration runs `--runs` times (a new lab each time), with and without another
process keeping one core busy (`python -c "while True: pass"`), in interleaved order;
`--checkout` names source trees to compare (the lab is started with PYTHONPATH set to
each, with this interpreter), also interleaved, so slow phases of a shared machine fall
on every tree alike. Figures: median, 95th percentile and maximum over every timed key of
a configuration. Wall time: this is what a student waits. Needs tmux.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Final

from bench.common import BenchError

LESSON: Final = "flood"
STORM: Final = "storm 10.0.0.1 6230 1000000"
COMMAND: Final = "sendn 10 10.0.0.1 6230 t0k3n LIST"  # the lesson's, with a made-up token
COMMANDS: Final = 2  # typed per run, each ending with Enter
WARMUP_SECONDS: Final = 4.0  # the storm runs this long before the first timed key
PAUSE_SECONDS: Final = (0.08, 0.3)  # between keys: a typist's rhythm
KEY_TIMEOUT: Final = 30.0  # a key whose effect takes longer counts as lost: the run fails
START_TIMEOUT: Final = 90.0  # the lab up, the login replayed
PLACEHOLDER: Final = "type to {vm}"  # the console input line's placeholder (uitext tui.console_placeholder)
READY: Final = "Step 2 of "  # the lesson text at the storm step
STORM_STEP: Final = 1  # its index; its first question is a prediction, answered before the storm
STORMING: Final = "MIPS ·"  # the status line while a guest runs without waiting
BORDERS: Final = " ▊▎▌▐│┃"
BUSY_LOOP: Final = "while True: pass"
DEFAULT_SIZE: Final = (100, 30)
RUNS: Final = 3


@dataclass(slots=True)
class Figures:
    """One configuration's timed keys."""

    checkout: str
    busy: bool
    size: str
    keys: int
    median_ms: float
    p95_ms: float
    max_ms: float

    def line(self) -> str:
        load = "one core busy" if self.busy else "no extra load"
        return (
            f"{self.checkout:<28} {self.size:>7} {load:<14} {self.keys:>5} keys  "
            f"median {self.median_ms:7.1f} ms  p95 {self.p95_ms:7.1f} ms  max {self.max_ms:7.1f} ms"
        )


class Terminal:
    """A tmux session running one command, driven through a control-mode client.

    The control client (`tmux -C attach`) takes commands on its stdin and answers each
    between `%begin` and `%end` lines; in between it reports `%output` whenever the pane
    wrote to the terminal. A reader thread sorts the two.
    """

    def __init__(self, command: list[str], *, size: tuple[int, int], env: dict[str, str], cwd: Path) -> None:
        self.socket = f"hvlab-bench-{os.getpid()}-{id(self):x}"
        self.target = "lab"
        width, height = size
        # The command runs in a shell tmux starts; its environment is the server's, so set it there.
        subprocess.run(
            ["tmux", "-L", self.socket, "-f", os.devnull, "new-session", "-d", "-s", self.target]
            + ["-x", str(width), "-y", str(height), "-c", str(cwd)]
            + [arg for name, value in env.items() for arg in ("-e", f"{name}={value}")]
            + [shlex.join(command)],
            check=True,
        )
        self._client = subprocess.Popen(
            ["tmux", "-L", self.socket, "-C", "attach", "-t", self.target],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self._lock = threading.Condition()
        self._replies: list[list[str]] = []
        self._outputs = 0  # %output notifications so far
        self._output_at = time.perf_counter()  # when the last one came
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        with self._lock:  # the client's first answer (to its attach, empty): it is attached
            if not self._lock.wait_for(lambda: self._replies, timeout=KEY_TIMEOUT):
                raise BenchError("tmux's control client did not attach")
        self.socket_path = self.command("display-message -p '#{socket_path}'")[0]  # removed at close

    def _read(self) -> None:
        assert self._client.stdout is not None
        block: list[str] | None = None
        for raw in self._client.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self._lock:
                if block is not None:
                    if line.startswith(("%end ", "%error ")):
                        self._replies.append(block)
                        block = None
                        self._lock.notify_all()
                    else:
                        block.append(line)
                elif line.startswith("%begin "):
                    block = []
                elif line.startswith("%output "):
                    self._outputs += 1
                    self._output_at = time.perf_counter()
                    self._lock.notify_all()
        with self._lock:
            self._replies.append([])  # the client went away: release a waiting command
            self._lock.notify_all()

    def command(self, line: str) -> list[str]:
        """Send one tmux command; its output lines."""
        assert self._client.stdin is not None
        with self._lock:
            expected = len(self._replies) + 1
        self._client.stdin.write(line.encode() + b"\n")
        self._client.stdin.flush()
        with self._lock:
            if not self._lock.wait_for(lambda: len(self._replies) >= expected, timeout=KEY_TIMEOUT):
                raise BenchError(f"tmux did not answer {line!r}")
            return self._replies[expected - 1]

    def screen(self) -> list[str]:
        return self.command(f"capture-pane -p -t {self.target}")

    def keys(self, *keys: str, literal: bool = False) -> None:
        quoted = " ".join("'" + k.replace("'", "'\\''") + "'" for k in keys)
        self.command(f"send-keys -t {self.target} {'-l ' if literal else ''}{quoted}")

    def wait_for(self, shown: Callable[[list[str]], bool], *, timeout: float, since: float = 0.0) -> float:
        """Wait until `shown(screen)`; returns when the pane output that showed it arrived (if
        that output's notice came after `since`; else when the screen was seen to show it)."""
        deadline = time.perf_counter() + timeout
        while True:
            with self._lock:
                seen, at = self._outputs, self._output_at
            if shown(self.screen()):
                return at if at > since else time.perf_counter()
            with self._lock:
                left = deadline - time.perf_counter()
                if left <= 0 or not self._lock.wait_for(partial(self._output_since, seen), timeout=left):
                    screen = "\n".join(self.screen())
                    raise BenchError(f"the terminal did not show what was expected:\n{screen}")

    def _output_since(self, seen: int) -> bool:
        return self._outputs != seen

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], check=False, capture_output=True)
        self._client.wait(timeout=10)
        Path(self.socket_path).unlink(missing_ok=True)


def prepared_progress(folder: Path, checkout: Path) -> Path:
    """A progress file whose student did lesson 8's first step and answered the storm step's
    prediction (its checks count from then on): the lab resumes at the storm, ready for it."""
    code = (
        "import sys\n"
        "from lab.session import STUDENT\n"
        "from lab.session.course import ProgressBook\n"
        "book = ProgressBook(sys.argv[1], seed=STUDENT)\n"
        f"book.step_done({LESSON!r}, {STORM_STEP - 1}, last=False)\n"
        f"book.step_began({LESSON!r}, {STORM_STEP})\n"
        # A tree from before the course asked for predictions has neither them nor `answered`.
        "if hasattr(book, 'answered'):\n"
        f"    book.answered({LESSON!r}, {STORM_STEP}, 1, '2', right=True, prediction=True)\n"
    )
    path = folder / "progress.json"
    # Written by the checkout's own code: its progress format is the one it reads.
    subprocess.run([sys.executable, "-c", code, str(path)], check=True, env=_env(checkout), cwd=checkout)
    return path


def _env(checkout: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(checkout)}


@contextlib.contextmanager
def one_core_busy(busy: bool) -> Iterator[None]:
    if not busy:
        yield
        return
    spinner = subprocess.Popen([sys.executable, "-c", BUSY_LOOP])
    try:
        yield
    finally:
        spinner.kill()
        spinner.wait()


def _all_shown(*texts: str) -> Callable[[list[str]], bool]:
    return lambda screen: all(any(t in line for line in screen) for t in texts)


def input_line(screen: list[str], vm: str) -> tuple[int, int]:
    """Where the console's input line is: (row, column of its first character)."""
    needle = PLACEHOLDER.format(vm=vm)
    for row, line in enumerate(screen):
        col = line.find(needle)
        if col >= 0:
            return row, col
    raise BenchError(f"no input line for {vm} on screen:\n" + "\n".join(screen))


def shows(row: int, col: int, text: str) -> Callable[[list[str]], bool]:
    """The input line holds exactly `text` (empty: the placeholder is back)."""

    def check(screen: list[str]) -> bool:
        if row >= len(screen):
            return False
        value = screen[row][col:].rstrip(BORDERS)
        return value.startswith(PLACEHOLDER[:7]) if not text else value == text.rstrip()

    return check


def one_run(checkout: Path, *, size: tuple[int, int], rng: random.Random) -> list[float]:
    """Start the lab in the storm step, start the storm, time the admin's keys: seconds each."""
    with tempfile.TemporaryDirectory(prefix="hvlab-bench-tui-") as tmp:
        progress = prepared_progress(Path(tmp), checkout)
        command = [sys.executable, "-m", "hvlab", "tui", LESSON, "--progress", str(progress)]
        term = Terminal(command, size=size, env={"PYTHONPATH": str(checkout)}, cwd=checkout)
        try:
            # Up: the step's text drawn; then the tenant's console, waiting for input (a terminal
            # too narrow for both shows the text first, and F2 swaps it for the machine).
            term.wait_for(_all_shown(READY), timeout=START_TIMEOUT)
            tenant = PLACEHOLDER.format(vm="tenant")
            if not _all_shown(tenant)(term.screen()):
                term.keys("F2")
            term.wait_for(_all_shown(tenant), timeout=START_TIMEOUT)
            term.keys(STORM, literal=True)
            term.keys("Enter")
            term.wait_for(_all_shown(STORMING), timeout=START_TIMEOUT)
            term.keys("F4")  # the admin's console: the tab before the tenant's
            term.wait_for(_all_shown(PLACEHOLDER.format(vm="admin")), timeout=START_TIMEOUT)
            time.sleep(WARMUP_SECONDS)
            row, col = input_line(term.screen(), "admin")
            timings: list[float] = []
            for _ in range(COMMANDS):
                typed = ""
                for char in COMMAND:
                    typed += char
                    time.sleep(rng.uniform(*PAUSE_SECONDS))
                    sent = time.perf_counter()
                    term.keys(char, literal=True)
                    if char != " ":
                        seen = term.wait_for(shows(row, col, typed), timeout=KEY_TIMEOUT, since=sent)
                        timings.append(seen - sent)
                time.sleep(rng.uniform(*PAUSE_SECONDS))
                sent = time.perf_counter()
                term.keys("Enter")
                timings.append(term.wait_for(shows(row, col, ""), timeout=KEY_TIMEOUT, since=sent) - sent)
            return timings
        finally:
            term.close()


def measure(
    checkouts: list[Path], *, runs: int = RUNS, size: tuple[int, int] = DEFAULT_SIZE, seed: int = 1
) -> list[Figures]:
    """Every checkout with and without a busy core, `runs` times each, interleaved."""
    if shutil.which("tmux") is None:
        raise BenchError("the terminal lab's latency is measured in tmux, which is not installed")
    rng = random.Random(seed)
    samples: dict[tuple[Path, bool], list[float]] = {(c, b): [] for c in checkouts for b in (False, True)}
    for run in range(runs):
        order = list(samples)
        if run % 2:
            order.reverse()
        for checkout, busy in order:
            with one_core_busy(busy):
                samples[checkout, busy].extend(one_run(checkout, size=size, rng=rng))
            print(f"  run {run + 1}/{runs}: {checkout} {'busy' if busy else 'quiet'} done", file=sys.stderr)
    return [
        _figures(str(checkout), busy, f"{size[0]}x{size[1]}", times)
        for (checkout, busy), times in samples.items()
    ]


def _figures(checkout: str, busy: bool, size: str, times: list[float]) -> Figures:
    ms = sorted(t * 1000 for t in times)
    p95 = statistics.quantiles(ms, n=20, method="inclusive")[18] if len(ms) > 1 else ms[0]
    return Figures(checkout, busy, size, len(ms), statistics.median(ms), p95, ms[-1])


def main(
    checkouts: list[Path], *, runs: int = RUNS, size: tuple[int, int] = DEFAULT_SIZE, json_out: bool = False
) -> int:
    try:
        figures = measure([c.resolve() for c in checkouts], runs=runs, size=size)
    except (BenchError, subprocess.CalledProcessError) as exc:
        print(f"hvlab bench --tui: {exc}", file=sys.stderr)
        return 1
    if json_out:
        print(json.dumps([asdict(f) for f in figures], indent=1))
    else:
        print(f"key-to-screen latency during lesson 8's storm (load average {os.getloadavg()[0]:.1f})")
        for f in figures:
            print(f.line())
    return 0
