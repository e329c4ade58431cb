"""Scenarios: a TOML file that sets up a hypervisor, its VMs and its policy.

    name = "api"
    description = "A tenant next to a bank"
    [policy]
    preset = "vulnerable"            # or "hardened"; then any switch by name
    [[vm]]
    name = "admin"
    program = "monitor.S"            # .S, .elf or .bin; relative to this file, else lab/guests/
    memory = "256K"
    weight = 1
    control = true                   # the control domain (may use the privileged API)
    [[vm]]
    name = "bank"
    program = "bank.S"
    secret = "BANK{1234}"           # placed at the program's `secret` label (or `secret_at`)
    net = "tenants"                  # a vNIC on this segment (ip = "..." or subnet + 10 + domid)
    [[segment]]
    name = "tenants"
    subnet = "10.0.0.0/24"           # default 10.0.<n>.0/24 for the n-th segment
    [mgmt]                           # the hypervisor's management interface
    segment = "tenants"
    ip = "10.0.0.1"                  # default: .1 of the segment
    user = "admin"
    password = "letmein"             # the weak one; mgmt.strong_password replaces it

    scenario = load_scenario("lab/guests/api.toml", backend="interp")
    scenario.hv.run(1_000_000)

Every mistake in the file is a `ScenarioError` naming the file and the key.
"""

from __future__ import annotations

import ipaddress
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from lab.hv import Hypervisor, Policy, PolicyError, VmConfig
from lab.program import ProgramError, load_program

GUESTS_DIR: Final = Path(__file__).parent / "guests"
VM_KEYS: Final = {
    "name",
    "program",
    "memory",
    "weight",
    "control",
    "secret",
    "secret_at",
    "net",
    "ip",
    "disk",
}
TOP_KEYS: Final = {"name", "title", "description", "policy", "vm", "quantum", "hv_secret", "segment", "mgmt"}
SEGMENT_KEYS: Final = {"name", "subnet"}
MGMT_KEYS: Final = {"segment", "ip", "user", "password", "seed"}
DEFAULT_MGMT_PASSWORD: Final = "admin"


class ScenarioError(Exception):
    """A scenario file that cannot be loaded; the message names the file and the problem."""


@dataclass(slots=True)
class Scenario:
    name: str
    path: Path
    description: str
    hv: Hypervisor

    def report(self) -> dict[str, Any]:
        """Everything a headless run shows, as plain data."""
        hv = self.hv
        return {
            "scenario": self.name,
            "backend": hv.backend,
            "time": hv.time,
            "policy": hv.policy.to_dict(),
            "vms": [
                {
                    "domid": vm.domid,
                    "name": vm.name,
                    "state": vm.state.label,
                    "destroyed": vm.destroyed,
                    "control": vm.control,
                    "memory": vm.ram_size,
                    "weight": vm.weight,
                    "instructions": vm.cpu.instret,
                    "hypercalls": vm.hypercalls,
                    "exit_code": vm.exit_code,
                    "fault": vm.fault.describe() if vm.fault else None,
                    "console": vm.console_text(),
                    "disk": vm.disk.counters() if vm.disk is not None else None,
                }
                for vm in hv.vms
            ],
            "trace": [r.to_dict() for r in hv.trace],
            "network": hv.net.state() if hv.net is not None else None,
        }


def parse_size(value: Any, *, where: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        n = value
    elif isinstance(value, str):
        t = value.strip().upper().removesuffix("IB").removesuffix("B")
        scale = 1
        if t and t[-1] in "KMG":
            scale, t = 1 << {"K": 10, "M": 20, "G": 30}[t[-1]], t[:-1]
        try:
            n = int(t, 0) * scale
        except ValueError:
            raise ScenarioError(f'{where}: {value!r} is not a size (try "256K" or "1M")') from None
    else:
        raise ScenarioError(f'{where}: {value!r} is not a size (try "256K" or "1M")')
    if n < 4096 or n % 4096:
        raise ScenarioError(f"{where}: {value!r} must be a positive multiple of 4K")
    return n


def resolve(path: Path, name: str) -> Path:
    """A program path as a scenario names it: relative to the scenario, else lab/guests/."""
    for base in (path.parent, GUESTS_DIR):
        candidate = base / name
        if candidate.is_file():
            return candidate
    raise ScenarioError(f"{path}: program {name!r} not found next to the scenario or in {GUESTS_DIR}")


def load_scenario(path: str | Path, *, backend: str = "interp", policy: str | None = None) -> Scenario:
    """Read a scenario file and build its hypervisor. `policy` overrides the preset."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{path}: {exc.strerror or exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: {exc}") from None
    unknown = set(data) - TOP_KEYS
    if unknown:
        raise ScenarioError(
            f"{path}: unknown key(s) {', '.join(sorted(unknown))} (expected {', '.join(sorted(TOP_KEYS))})"
        )
    vms = data.get("vm")
    if not isinstance(vms, list) or not vms:
        raise ScenarioError(f"{path}: a scenario needs at least one [[vm]] table")
    try:
        table = dict(data.get("policy", {}))
        if policy is not None:
            table["preset"] = policy
        pol = Policy.from_mapping(table)
    except PolicyError as exc:
        raise ScenarioError(f"{path}: [policy]: {exc}") from None
    configs = [_vm_config(path, i, spec) for i, spec in enumerate(vms)]
    names = [c.name for c in configs]
    if len(set(names)) != len(names):
        raise ScenarioError(f"{path}: VM names must be unique, got {', '.join(names)}")
    host = sum(c.memory for c in configs) + (4 << 20)
    disk_capacity = sum(c.disk for c in configs) + (1 << 20)
    kwargs: dict[str, Any] = {}
    if "quantum" in data:
        kwargs["quantum"] = int(data["quantum"])
    if "hv_secret" in data:
        kwargs["secret"] = str(data["hv_secret"]).encode()
    try:
        hv = Hypervisor(backend=backend, policy=pol, host_memory=host, disk_capacity=disk_capacity, **kwargs)
        for config in configs:
            hv.create_vm(config)
    except (ProgramError, ValueError) as exc:
        raise ScenarioError(f"{path}: {exc}") from None
    _build_network(path, data, hv, [dict(v) for v in vms])
    return Scenario(str(data.get("name", path.stem)), path, str(data.get("description", "")), hv)


def _build_network(path: Path, data: dict[str, Any], hv: Hypervisor, vms: list[dict[str, Any]]) -> None:
    """The [[segment]]s, each VM's `net`, and [mgmt]."""
    from lab.hv.netdev import MgmtConfig, NicConfig

    segments = data.get("segment", [])
    if not isinstance(segments, list):
        raise ScenarioError(f"{path}: segment must be an array of tables ([[segment]])")
    if not segments:
        for spec in vms:
            if "net" in spec:
                raise ScenarioError(
                    f"{path}: VM {spec['name']!r} names net {spec['net']!r} but there is no [[segment]]"
                )
        if "mgmt" in data:
            raise ScenarioError(f"{path}: [mgmt] needs a [[segment]] to sit on")
        return
    devices = hv.network()
    subnets: dict[str, ipaddress.IPv4Network] = {}
    for i, seg in enumerate(segments):
        where = f"{path}: [[segment]] #{i + 1}"
        if not isinstance(seg, dict) or not isinstance(seg.get("name"), str):
            raise ScenarioError(f"{where}: needs a name")
        unknown = set(seg) - SEGMENT_KEYS
        if unknown:
            raise ScenarioError(
                f"{where}: unknown key(s) {', '.join(sorted(unknown))} (expected name, subnet)"
            )
        try:
            subnet = ipaddress.IPv4Network(seg.get("subnet", f"10.0.{i}.0/24"))
        except ValueError as exc:
            raise ScenarioError(f"{where}: subnet: {exc}") from None
        if seg["name"] in subnets:
            raise ScenarioError(f"{where}: segment {seg['name']!r} is defined twice")
        subnets[seg["name"]] = subnet
        devices.add_segment(seg["name"])
    for domid, spec in enumerate(vms):
        if "net" not in spec:
            continue
        name = spec["net"]
        if name not in subnets:
            raise ScenarioError(
                f"{path}: VM {spec['name']!r}: no segment {name!r} (segments: {', '.join(subnets)})"
            )
        ip = _address(path, f"VM {spec['name']!r}: ip", spec.get("ip"), subnets[name], 10 + domid)
        devices.attach(hv.vms[domid], NicConfig(name, ip))
    mgmt = data.get("mgmt")
    if mgmt is not None:
        if not isinstance(mgmt, dict):
            raise ScenarioError(f"{path}: [mgmt] must be a table")
        unknown = set(mgmt) - MGMT_KEYS
        if unknown:
            raise ScenarioError(f"{path}: [mgmt]: unknown key(s) {', '.join(sorted(unknown))}")
        segment = mgmt.get("segment", next(iter(subnets)))
        if segment not in subnets:
            raise ScenarioError(f"{path}: [mgmt]: no segment {segment!r}")
        ip = _address(path, "[mgmt] ip", mgmt.get("ip"), subnets[segment], 1)
        devices.add_mgmt(
            MgmtConfig(
                segment,
                ip,
                user=str(mgmt.get("user", "admin")),
                password=str(mgmt_password(data)),  # a str: [mgmt] is a table here
                seed=str(mgmt.get("seed", path.stem)).encode(),
            )
        )


def mgmt_password(data: dict[str, Any]) -> str | None:
    """The management password a scenario's TOML data sets (None: no management service).
    Lessons read it without building the scenario, to tell the student theirs."""
    mgmt = data.get("mgmt")
    if not isinstance(mgmt, dict):
        return None
    return str(mgmt.get("password", DEFAULT_MGMT_PASSWORD))


def _address(path: Path, where: str, value: Any, subnet: ipaddress.IPv4Network, host: int) -> str:
    if value is None:
        return str(subnet.network_address + host)
    try:
        ip = ipaddress.IPv4Address(value)
    except ValueError as exc:
        raise ScenarioError(f"{path}: {where}: {exc}") from None
    if ip not in subnet:
        raise ScenarioError(f"{path}: {where}: {ip} is not in the segment's subnet {subnet}")
    return str(ip)


def _vm_config(path: Path, index: int, spec: Any) -> VmConfig:
    where = f"{path}: [[vm]] #{index + 1}"
    if not isinstance(spec, dict):
        raise ScenarioError(f"{where}: must be a table")
    unknown = set(spec) - VM_KEYS
    if unknown:
        raise ScenarioError(
            f"{where}: unknown key(s) {', '.join(sorted(unknown))} (expected {', '.join(sorted(VM_KEYS))})"
        )
    name = spec.get("name")
    if not isinstance(name, str) or not name.isidentifier():
        raise ScenarioError(f"{where}: needs a name (letters, digits, _), got {name!r}")
    where = f"{path}: VM {name!r}"
    program = None
    if "program" in spec:
        try:
            program = load_program(resolve(path, str(spec["program"])))
        except ProgramError as exc:
            raise ScenarioError(f"{where}: {exc}") from None
    memory = parse_size(spec.get("memory", "256K"), where=f"{where}: memory")
    disk = parse_size(spec["disk"], where=f"{where}: disk") if "disk" in spec else 0
    weight = spec.get("weight", 1)
    if not isinstance(weight, int) or isinstance(weight, bool) or not 1 <= weight <= 64:
        raise ScenarioError(f"{where}: weight must be a whole number from 1 to 64, got {weight!r}")
    control = spec.get("control", False)
    if not isinstance(control, bool):
        raise ScenarioError(f"{where}: control is true or false, got {control!r}")
    secret = str(spec.get("secret", "")).encode()
    secret_gpa = None
    if "secret_at" in spec:
        at = spec["secret_at"]
        if isinstance(at, int):
            secret_gpa = at
        elif program is not None and at in program.symbols:
            secret_gpa = program.symbols[at]
        else:
            raise ScenarioError(f"{where}: secret_at {at!r} is neither an address nor a label of the program")
    return VmConfig(
        name,
        program=program,
        memory=memory,
        weight=weight,
        control=control,
        secret=secret,
        secret_gpa=secret_gpa,
        disk=disk,
    )
