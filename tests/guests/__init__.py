"""Tests of the guest programs in lab/guests/ and the scenarios that run them.

`Console` drives one VM of a scenario the way a student does: type a line,
let the hypervisor run until every vCPU waits for input again, and read
what the VM printed in answer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from lab.scenario import SCENARIOS_DIR, Scenario, load_scenario

GUESTS: Final = Path(__file__).resolve().parents[2] / "lab" / "guests"
API: Final = SCENARIOS_DIR / "api.toml"
API_HARDENED: Final = SCENARIOS_DIR / "api_hardened.toml"
BOOT_STEPS: Final = 500_000
REPLY_STEPS: Final = 5_000_000  # far more than any command needs; run() returns once all idle


class Console:
    """One VM's console in a running scenario."""

    def __init__(self, scenario: Scenario, vm: str) -> None:
        self.scenario = scenario
        self.vm = scenario.hv.vm(vm)

    def type(self, text: str) -> str:
        """Type `text` (a newline is added) and return what the VM printed since."""
        start = len(self.vm.console)
        self.scenario.hv.feed(self.vm.domid, text.encode() + b"\n")
        self.scenario.hv.run(REPLY_STEPS)
        return self.vm.console[start:].decode("utf-8", "replace")


def boot(path: Path, backend: str) -> Scenario:
    """Load a scenario and run it until every VM waits at its prompt."""
    scenario = load_scenario(path, backend=backend)
    scenario.hv.run(BOOT_STEPS)
    return scenario
