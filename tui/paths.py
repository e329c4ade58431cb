"""Where the terminal lab keeps the student's files: progress and saved captures.

default_progress_path()   # $HVLAB_DATA/progress.json, else ~/.local/share/hvlab/progress.json
record_path(progress)     # the student's record (lab.session.record), next to the progress file
default_capture_dir()     # ... /captures: saved pcap files unless the student names a place
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

PROGRESS_FILE: Final = "progress.json"
RECORD_FILE: Final = "record.jsonl"
CAPTURES: Final = "captures"


def default_data_dir() -> Path:
    """The user's hvlab data: $HVLAB_DATA, else the XDG data dir (~/.local/share/hvlab)."""
    base = os.environ.get("HVLAB_DATA")
    if base:
        return Path(base)
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "hvlab"


def default_progress_path() -> Path:
    """Where progress is kept, in the data dir."""
    return default_data_dir() / PROGRESS_FILE


def record_path(progress: Path) -> Path:
    """Where the record of what the student did is kept: beside their progress file."""
    return progress.with_name(RECORD_FILE)


def default_capture_dir() -> Path:
    """Where saved packet captures go unless the student names another place."""
    return default_data_dir() / CAPTURES
