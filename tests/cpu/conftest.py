"""Fixtures for the CPU tests: every behaviour test runs on every backend.

`machine` is a fresh `tests.cpu.rv.Machine` (RAM at 0x8000_0000, a UART at
0x1000_0000) for each backend `lab.cpu.backends()` lists; `run_prog` loads an
`Asm` program into it and runs it to its first stop.
"""

from __future__ import annotations

import pytest

from lab.cpu import BackendUnavailable, backends
from tests.cpu.rv import Machine


@pytest.fixture(params=backends())
def backend(request) -> str:
    return request.param


@pytest.fixture
def machine(backend: str):
    try:
        m = Machine(backend)
    except BackendUnavailable as exc:  # e.g. unicorn installed but its core not written yet
        pytest.skip(str(exc))
    yield m
    m.close()
