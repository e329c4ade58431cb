"""The hypervisor's network devices: each VM's vNIC and the management interface.

The hypervisor owns one `lab.net.Network` per scenario. A VM with a NIC gets a
`Vnic` (MAC 02:00:00:00:00:<domid>) on the segment the scenario names; the
hypervisor's management service is a port on the segment the scenario puts it
on. Frames move between quanta (`tick`), on the instruction clock, so the same
inputs give the same capture on either CPU backend.

The policy switches are read live, so a lesson can toggle them mid-run:

    net.mgmt_isolated       the switch drops VM <-> management traffic, except
                            from the control domain (an ACL, Segment-level)
    net.anti_spoofing       each port sends from its own MAC and IP only, and
                            its MAC is pinned (port security, Segment-level)
    mgmt.strong_password    the service's password is a long random one
    mgmt.lockout_after      failed logins in a row before LOGIN is refused
    mgmt.lock_account       ... counted per account (ESXi) instead of per source
    mgmt.unlock_after       instructions until a lockout ends by itself (0: never)
    mgmt.rate_limit         requests per RATE_PERIOD a source may queue (0: no limit)
    vnic.rate_limit         frames per RATE_PERIOD a vNIC may send (0: no limit)
"""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from lab.net import ManagementService, Network, PortKind, RateLimiter, Vnic, token_bucket
from lab.net.events import NetEvent
from lab.net.switch import Port, isolate
from lab.trace_messages import (
    ACL_MGMT_ISOLATED,
    DESTROYED_BY_MGMT,
    MGMT_CONSOLE,
    NO_VM_NAMED,
    PAUSED_BY_MGMT,
    UNPAUSED_BY_MGMT,
)

if TYPE_CHECKING:
    from lab.hv.hypervisor import Hypervisor
    from lab.hv.vm import Vm

RATE_PERIOD: Final = 100_000  # instructions: the refill time of the rate limiters
NET_TICK: Final = 1_000  # instructions between network ticks (frame delivery, service budget)


@dataclass(slots=True)
class MgmtConfig:
    """A scenario's [mgmt] table: where the management interface sits and its login."""

    segment: str
    ip: str
    user: str = "admin"
    password: str = "admin"  # the weak one; mgmt.strong_password replaces it
    seed: bytes = b"hvlab"


@dataclass(slots=True)
class NicConfig:
    segment: str
    ip: str


class _VmControl:
    """What the management service may do to VMs, by name (lab.net.mgmt.VmControl)."""

    def __init__(self, hv: Hypervisor) -> None:
        self.hv = hv

    def _find(self, name: str) -> Vm | None:
        for vm in self.hv.vms:
            if vm.name == name and not vm.destroyed:
                return vm
        return None

    def list_vms(self) -> list[tuple[str, str]]:
        return [(vm.name, vm.state.label) for vm in self.hv.vms if not vm.destroyed]

    def pause(self, name: str) -> str | None:
        vm = self._find(name)
        if vm is None:
            return NO_VM_NAMED(name=name)
        self.hv.pause(vm, PAUSED_BY_MGMT())
        return None

    def unpause(self, name: str) -> str | None:
        vm = self._find(name)
        if vm is None:
            return NO_VM_NAMED(name=name)
        self.hv.unpause(vm, UNPAUSED_BY_MGMT())
        return None

    def destroy(self, name: str) -> str | None:
        vm = self._find(name)
        if vm is None:
            return NO_VM_NAMED(name=name)
        self.hv.destroy(vm, DESTROYED_BY_MGMT())
        return None


def _mgmt_isolated_reason(port: Port) -> str:
    return ACL_MGMT_ISOLATED(port=port.name)


@dataclass(slots=True)
class NetDevices:
    """The network as the hypervisor sees it: the Network, each VM's vNIC, the service."""

    hv: Hypervisor
    network: Network = field(init=False)
    vnics: dict[int, Vnic] = field(default_factory=dict)  # domid -> vNIC
    mgmt: ManagementService | None = None
    weak_password: str = ""
    _limits: dict[int, int] = field(default_factory=dict)  # domid -> vnic.rate_limit in force
    _mgmt_limit: int | None = None  # mgmt.rate_limit in force
    next_tick: int = NET_TICK  # the time of the next network tick

    def __post_init__(self) -> None:
        self.network = Network(on_event=self._event)

    # -- building

    def add_segment(self, name: str) -> None:
        self.network.add_segment(name, acl=self._acl, anti_spoofing=self.hv.policy["net.anti_spoofing"])

    def attach(self, vm: Vm, config: NicConfig) -> Vnic:
        vnic = Vnic(domid=vm.domid, ip=config.ip, wake=vm.notify, name=vm.name)
        self.network.add_vnic(config.segment, vnic)
        self.vnics[vm.domid] = vnic
        return vnic

    def add_mgmt(self, config: MgmtConfig) -> None:
        self.weak_password = config.password
        self.mgmt = ManagementService(
            _VmControl(self.hv),
            ip=config.ip,
            user=config.user,
            password=config.password,
            token_seed=config.seed,
        )
        self.network.add_service(config.segment, self.mgmt)
        self.sync_policy()

    # -- policy, read live

    def _acl(self, src: Port, dst: Port, frame: bytes) -> str | None:
        """net.mgmt_isolated: only the control domain reaches the management port. The ACL is
        made here, bound to this object: a stored closure would outlive a snapshot's deep copy
        (copy.deepcopy keeps functions as they are) and ask the original network's ports."""
        if not self.hv.policy["net.mgmt_isolated"]:
            return None
        return isolate(PortKind.MGMT, allow=self._is_control_port, reason=_mgmt_isolated_reason)(
            src, dst, frame
        )

    def _is_control_port(self, port: Port) -> bool:
        vnic = self.vnics.get(self.hv.control_domid)
        return vnic is not None and vnic.port is port

    def sync_policy(self) -> None:
        """Apply the policy switches the network objects hold as settings."""
        policy = self.hv.policy
        now = self.hv.time
        mgmt = self.mgmt
        if mgmt is not None:
            mgmt.password = self.strong_password() if policy["mgmt.strong_password"] else self.weak_password
            mgmt.lockout_after = policy["mgmt.lockout_after"]
            mgmt.lock_account = policy["mgmt.lock_account"]
            mgmt.unlock_after = policy["mgmt.unlock_after"]
            per_source = policy["mgmt.rate_limit"]
            if per_source != self._mgmt_limit:
                mgmt.source_limit = _limiter(per_source, now)
                for source in mgmt.sources.values():
                    source.limiter = None  # each source gets a fresh copy of the new limit
                self._mgmt_limit = per_source
        for segment in self.network.segments.values():
            segment.anti_spoofing = policy["net.anti_spoofing"]
        limit = policy["vnic.rate_limit"]
        for domid, vnic in self.vnics.items():
            if self._limits.get(domid) != limit:
                vnic.rate_limiter = _limiter(limit, now)
                self._limits[domid] = limit

    def strong_password(self) -> str:
        """The hardened password: 24 hex digits derived from the scenario's seed."""
        assert self.mgmt is not None
        return hashlib.sha256(b"hvlab-mgmt:" + self.mgmt.token_seed).hexdigest()[:24]

    def console(self, command: str) -> str:
        """A command at the hypervisor's own management console, out of band (no login, no
        network, no queue, so no flood starves it); the reply, also written to the trace."""
        assert self.mgmt is not None
        reply = self.mgmt.console(command, self.hv.time)
        self.hv.event(-1, MGMT_CONSOLE(command=command, reply=reply))
        return reply

    # -- running

    def tick(self) -> None:
        """Deliver frames and run the management service's budget. The hypervisor
        calls this every NET_TICK instructions (it cuts vCPU slices there), so the
        service's capacity is per instruction time, whatever the quantum."""
        self.sync_policy()
        now = self.hv.time
        self.network.tick(now)
        self.next_tick = (now // NET_TICK + 1) * NET_TICK

    def _event(self, event: NetEvent) -> None:
        self.hv.trace_net(event.time, event.message.kind, event.text)

    def state(self) -> dict[str, Any]:
        """Segments, ports, counters and the service's counters, as plain data."""
        return self.network.stats()


def _limiter(per_period: int, now: int) -> RateLimiter | None:
    bucket = token_bucket(per_period, 0, RATE_PERIOD if per_period else 0, now=now)
    return RateLimiter(ops=bucket) if bucket is not None else None


def ip_to_int(ip: str) -> int:
    return int(ipaddress.IPv4Address(ip))
