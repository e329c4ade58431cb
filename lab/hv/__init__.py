"""The hypervisor: VMs on one host memory, scheduled, talking through hypercalls.

    from lab.hv import Hypervisor, VmConfig, Policy
See `lab.hv.hypervisor` for the run loop and `lab.hv.vm` for the guest machine's memory map.
"""

from lab.hv.hypervisor import Hypervisor, Idle, NoSuchVm, RunSummary
from lab.hv.policy import Policy, PolicyError
from lab.hv.vm import Vm, VmConfig, VmState

__all__ = [
    "Hypervisor",
    "Idle",
    "NoSuchVm",
    "Policy",
    "PolicyError",
    "RunSummary",
    "Vm",
    "VmConfig",
    "VmState",
]
