"""Shared pieces for the network tests: a stand-in for the hypervisor's VM control."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest


@dataclass
class FakeVms:
    """VmControl over a dict name -> state, recording every action it was asked to do."""

    states: dict[str, str] = field(default_factory=lambda: {"web": "running", "attacker": "running"})
    actions: list[tuple[str, str]] = field(default_factory=list)
    # For throughput measurements: actions succeed again and again instead of destroying the VM.
    idempotent: bool = False

    def list_vms(self) -> list[tuple[str, str]]:
        return sorted(self.states.items())

    def _act(self, verb: str, name: str, state: str) -> str | None:
        if name not in self.states:
            return f"no such vm {name}"
        self.actions.append((verb, name))
        if not self.idempotent:
            if state == "destroyed":
                del self.states[name]
            else:
                self.states[name] = state
        return None

    def pause(self, name: str) -> str | None:
        return self._act("pause", name, "paused")

    def unpause(self, name: str) -> str | None:
        return self._act("unpause", name, "running")

    def destroy(self, name: str) -> str | None:
        return self._act("destroy", name, "destroyed")


@pytest.fixture
def vms() -> FakeVms:
    return FakeVms()
