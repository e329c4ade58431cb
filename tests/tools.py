"""Shared test helpers: locating the external tools the cross-checks need.

    path = require_tool("riscv64-unknown-elf-as")

skips the calling test when the tool is missing, unless HVLAB_REQUIRE_TOOLS=1
is set (CI), in which case a missing tool fails the test instead.
"""

from __future__ import annotations

import os
import shutil

import pytest


def require_tool(name: str) -> str:
    """The absolute path of executable `name`; skip (or fail in CI) when it is missing."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} not found on PATH"
        if os.environ.get("HVLAB_REQUIRE_TOOLS") == "1":
            pytest.fail(message + " (HVLAB_REQUIRE_TOOLS=1)")
        pytest.skip(message)
    return path
