"""Scenarios: a TOML file that sets up a hypervisor, its VMs, its network and its policy.

    name = "api"
    description = "A tenant next to a bank"
    [policy]
    preset = "vulnerable"            # or "hardened"; then any switch by name
    [[vm]]
    name = "admin"
    program = "monitor.S"            # .S, .elf or .bin; relative to this file, else lab/guests/
    memory = "256K"
    control = true                   # the control domain (may use the privileged API)
    [[vm]]
    name = "bank"
    program = "bank.S"
    secret = "BANK{1234}"            # placed at the program's `secret` label (or `secret_at`)
    net = "tenants"                  # a vNIC on this segment (ip = "..." or subnet + 10 + domid)
    [[segment]]
    name = "tenants"
    subnet = "10.0.0.0/24"
    [mgmt]                           # the hypervisor's management interface
    segment = "tenants"
    password = "letmein"             # the weak one; mgmt.strong_password replaces it

    scenario = load_scenario(SCENARIOS_DIR / "api.toml", backend="interp")
    scenario.hv.run(1_000_000)

The format is `FORMAT`, below: each table with each of its keys, the key's
type, default, limits and meaning, and `RULES`, what must hold across keys.
Both are the contract, checked where the file is read and before anything is
built: `read_scenario` checks the file against them (pure data, no guest
assembled), `load_scenario` then loads the programs, checks what needs them
(a `secret_at` label, a program that fits its RAM) and builds the hypervisor.
A mistake is one `ScenarioError` line, the file, the place and the rule:

    api.toml: [[vm]] #3 (bank) memory: must be a size that is a multiple of 4 KiB
    from 4 KiB to 256 MiB, not a string ('1000G', 1000 GiB)

Where the limits come from:

    RAM of a VM     at most 256 MiB: RAM starts at 0x8000_0000 and must end at or
                    below the grant window at 0x9000_0000 (lab.hv.vm)
    VMs             at most 120: the grant tables' room in the hypervisor region
    RAM and disks   at most MAX_HOST_BYTES (256 MiB) for all VMs together. The
                    interp core keeps a dispatch slot per RAM word (8 bytes per 4),
                    so a scenario at the limit holds about 1 GB and takes a second to
                    build (measured: one 256 MiB VM, 1.05 GB peak); a larger one is
                    refused here, instead of the process dying a minute later, or a
                    browser tab running out of memory.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Final

from lab.files import FileFormatError, parse_toml, read_text, shown, size_words, text_shown
from lab.hv import Hypervisor, Policy, PolicyError, VmConfig
from lab.hv.hypervisor import DEFAULT_SECRET, MAX_VMS
from lab.hv.memory import HvLayout
from lab.hv.policy import BY_KEY, PRESETS
from lab.hv.scheduler import DEFAULT_QUANTUM
from lab.hv.vm import GRANT_WINDOW, RAM_BASE
from lab.riscv.program import GUESTS_DIR, Program, ProgramError, check_fits, load_program

SCENARIOS_DIR: Final = Path(__file__).resolve().parent / "scenarios"  # the course's scenarios, by id

PAGE: Final = 4096
MAX_VM_RAM: Final = GRANT_WINDOW - RAM_BASE  # 256 MiB: RAM ends at or below the grant window
MAX_HOST_BYTES: Final = 256 << 20  # all VMs' RAM and disks together (see the module doc)
HOST_SLACK: Final = 4 << 20  # host memory past the VMs' RAM: the hypervisor region and free space
DISK_SLACK: Final = 1 << 20  # free sectors past the last disk
MAX_SEGMENTS: Final = 16
MAX_QUANTUM: Final = 1_000_000
MAX_DISK_BANDWIDTH: Final = 1_000_000  # sectors per 100,000 instructions
MAX_HV_SECRET: Final = HvLayout.MGMT_HASH - HvLayout.SECRET - 1  # 63 bytes and a NUL in its slot
VARIANT_DIGITS: Final = 16  # hex digits in a student's variant of a secret (lab.lesson.variants)
DEFAULT_MGMT_PASSWORD: Final = "admin"
DEFAULT_MEMORY: Final = "256K"
VARIANT_BYTES: Final = 4  # a VM's variant word (variant_at), little-endian
MGMT_PASSWORD_ROOM: Final = 65  # a password of the format (at most 64 characters) and its NUL
NIC_FIRST_HOST: Final = 10  # a VM's default address: its segment's subnet + 10 + domid


class ScenarioError(Exception):
    """A scenario file that cannot be loaded: `path`, `place` (a key, a table) and `rule`."""

    def __init__(self, path: str | Path, place: str, rule: str) -> None:
        super().__init__(f"{path}: {place}: {rule}" if place else f"{path}: {rule}")
        self.path = str(path)
        self.place = place
        self.rule = rule


# ---------------------------------------------------------------- the format


class Kind(Enum):
    """A value's type, in the words the reference and every message use."""

    TEXT = "a string"
    INTEGER = "an integer"
    BOOLEAN = "true or false"
    SIZE = 'a size (a number of bytes, or a string such as "256K" or "1M")'
    ADDRESS = 'an IPv4 address as a string ("10.0.0.5")'
    SUBNET = 'an IPv4 subnet as a string ("10.0.0.0/24")'
    PLACE = "an address (an integer) or a label of the VM's program (a string)"
    TABLE = "a table"
    TABLES = "an array of tables"


@dataclass(frozen=True, slots=True)
class Key:
    """One key of a table: its type, default, limits and meaning.

    `low`/`high` bound an integer, a size (bytes, and a multiple of `step`), the
    prefix length of a subnet or the number of tables in an array; `pattern`
    is what a string must match in full, `pattern_words` says it in words."""

    name: str
    kind: Kind
    meaning: str
    default: str = ""  # in words, as the reference shows it ("" : none)
    required: bool = False
    low: int | None = None
    high: int | None = None
    step: int = 1
    pattern: str = ""
    pattern_words: str = ""
    max_bytes: int | None = None  # a string's length in UTF-8

    @property
    def limits(self) -> str:
        """The limits in words ("" when there are none)."""
        if self.max_bytes is not None:
            return f"of at most {self.max_bytes} bytes (UTF-8)"
        if self.kind is Kind.SIZE:
            assert self.low is not None and self.high is not None
            low, high = size_words(self.low), size_words(self.high)
            return f"a multiple of {size_words(self.step)} from {low} to {high}"
        if self.kind is Kind.SUBNET:
            return f"with a prefix length from /{self.low} to /{self.high}"
        if self.kind is Kind.TABLES and self.high is not None:
            return f"{self.low} to {self.high} of them"
        if self.low is not None and self.high is not None:
            return f"from {self.low} to {self.high}"
        return self.pattern_words

    @property
    def rule(self) -> str:
        """What a value must be: the type, then the limits."""
        limits = self.limits
        if self.kind is Kind.SIZE:
            return f"a size that is {limits}"
        return f"{self.kind.value} {limits}".rstrip()


@dataclass(frozen=True, slots=True)
class Table:
    """One table of the format: how it is written and its keys."""

    header: str  # "" for the top level, "[[vm]]", "[mgmt]", ...
    meaning: str
    keys: tuple[Key, ...]

    def key(self, name: str) -> Key:
        return next(k for k in self.keys if k.name == name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(k.name for k in self.keys)


NAME_PATTERN: Final = r"[A-Za-z_][A-Za-z0-9_]{0,31}"
SEGMENT_PATTERN: Final = r"[A-Za-z0-9_-]{1,32}"
LOGIN_PATTERN: Final = r"[!-~]{1,64}"  # one word of the login line: printable ASCII, no space

TOP: Final = Table(
    "",
    "the scenario",
    (
        Key("name", Kind.TEXT, "the scenario's name", default="the file's name without .toml"),
        Key("title", Kind.TEXT, "a title for people"),
        Key("description", Kind.TEXT, "what the scenario sets up, for people"),
        Key(
            "quantum",
            Kind.INTEGER,
            "the scheduler's tick in instructions; a VM's slice is quantum x weight",
            default=f"{DEFAULT_QUANTUM}",
            low=1,
            high=MAX_QUANTUM,
        ),
        Key(
            "disk_bandwidth",
            Kind.INTEGER,
            "sectors the backing store moves per 100,000 instructions, for all disks together (0: unlimited)",
            default="0",
            low=0,
            high=MAX_DISK_BANDWIDTH,
        ),
        Key(
            "hv_secret",
            Kind.TEXT,
            "the secret in the hypervisor's own region (what an escape would leak)",
            default=DEFAULT_SECRET.decode(),
            max_bytes=MAX_HV_SECRET,
        ),
        Key(
            "policy",
            Kind.TABLE,
            "`preset` (vulnerable or hardened), then any policy switch by its name "
            "(see the policy reference), dotted or grouped: [policy.hypercall] authorize = true",
            default='preset = "vulnerable"',
        ),
        Key(
            "vm",
            Kind.TABLES,
            "the VMs, in domid order (dom0 first); the first that is not the control domain is the "
            "student's seat, the console the lab opens on",
            required=True,
            low=1,
            high=MAX_VMS,
        ),
        Key("segment", Kind.TABLES, "the network segments (virtual switches)", low=0, high=MAX_SEGMENTS),
        Key("mgmt", Kind.TABLE, "the hypervisor's management interface (needs a segment)"),
    ),
)

VM: Final = Table(
    "[[vm]]",
    "one virtual machine",
    (
        Key(
            "name",
            Kind.TEXT,
            "the VM's name, unique in the scenario (lessons and --input name VMs by it)",
            required=True,
            pattern=NAME_PATTERN,
            pattern_words="of letters, digits and _, not starting with a digit, at most 32 characters",
        ),
        Key(
            "program",
            Kind.TEXT,
            "the guest: a .S source, an ELF32 RISC-V executable or a flat image; "
            "relative to the scenario, else in lab/guests/",
            default="none: the VM starts on zeroed RAM",
        ),
        Key(
            "memory",
            Kind.SIZE,
            "the VM's RAM at 0x8000_0000; it must end at or below the grant window at 0x9000_0000",
            default=DEFAULT_MEMORY,
            low=PAGE,
            high=MAX_VM_RAM,
            step=PAGE,
        ),
        Key(
            "weight",
            Kind.INTEGER,
            "its share of the CPU (credit per period, slice quantum x weight)",
            default="1",
            low=1,
            high=64,
        ),
        Key("control", Kind.BOOLEAN, "the control domain, allowed the privileged API", default="false"),
        Key("secret", Kind.TEXT, "a secret written into the VM's RAM at boot (what the attacks leak)"),
        Key(
            "secret_at",
            Kind.PLACE,
            "where the secret goes",
            default="the program's `secret` label, else the start of RAM's last page",
            pattern_words="inside the VM's RAM, with room for the secret",
        ),
        Key(
            "variant_at",
            Kind.PLACE,
            "where a 32-bit word goes that each student's seed picks (0 as written): a guest reads it "
            "to vary what a neighbour could copy (a slot, an offset)",
            pattern_words="inside the VM's RAM, with room for 4 bytes",
        ),
        Key(
            "mgmt_password_at",
            Kind.PLACE,
            "where the management password in force at start (the student's variant) goes, "
            "NUL-terminated: a guest that keeps the admin's credential",
            pattern_words=f"inside the VM's RAM, with room for {MGMT_PASSWORD_ROOM} bytes",
        ),
        Key("net", Kind.TEXT, "a vNIC on this segment (a [[segment]]'s name)"),
        Key(
            "ip", Kind.ADDRESS, "the vNIC's address (needs net)", default="the subnet's address + 10 + domid"
        ),
        Key(
            "disk",
            Kind.SIZE,
            "a virtual disk of this size (the BLK hypercalls)",
            default="none",
            low=PAGE,
            high=MAX_HOST_BYTES,
            step=PAGE,
        ),
    ),
)

SEGMENT: Final = Table(
    "[[segment]]",
    "one network segment: a learning switch",
    (
        Key(
            "name",
            Kind.TEXT,
            "the segment's name, unique in the scenario",
            required=True,
            pattern=SEGMENT_PATTERN,
            pattern_words="of letters, digits, _ and -, at most 32 characters",
        ),
        Key(
            "subnet",
            Kind.SUBNET,
            "its IPv4 subnet",
            default="10.0.<n>.0/24 (the n-th segment)",
            low=8,
            high=30,
        ),
    ),
)

MGMT: Final = Table(
    "[mgmt]",
    "the hypervisor's management service (UDP, a text protocol: login, list, pause, destroy)",
    (
        Key("segment", Kind.TEXT, "the segment it sits on", default="the first segment"),
        Key("ip", Kind.ADDRESS, "its address", default="the segment's subnet + 1"),
        Key(
            "user",
            Kind.TEXT,
            "the login name",
            default="admin",
            pattern=LOGIN_PATTERN,
            pattern_words="of 1 to 64 printable ASCII characters without spaces",
        ),
        Key(
            "password",
            Kind.TEXT,
            "the (weak) password; mgmt.strong_password replaces it",
            default=DEFAULT_MGMT_PASSWORD,
            pattern=LOGIN_PATTERN,
            pattern_words="of 1 to 64 printable ASCII characters without spaces",
        ),
        Key("seed", Kind.TEXT, "seeds the service's session tokens", default="the file's name"),
    ),
)

FORMAT: Final = (TOP, VM, SEGMENT, MGMT)

RULES: Final = (
    "VM names are unique; at most one VM is the control domain.",
    f"All VMs' RAM and disks together are at most {size_words(MAX_HOST_BYTES)}.",
    "A secret lies inside its VM's RAM, with room for a student's variant of it "
    f"(its text up to the first {{, then {{, {VARIANT_DIGITS} hex digits and }}).",
    "secret_at names an address or a label only for a VM that has a secret.",
    "variant_at and mgmt_password_at lie inside their VM's RAM; mgmt_password_at needs [mgmt].",
    "A program's segments, bss included, lie inside its VM's RAM.",
    "Segment names are unique; a VM's net and [mgmt] segment name one of them.",
    "Every address (a VM's ip, the management ip, given or by default) is a host address inside its "
    "segment's subnet (not the subnet's own or broadcast address) and is unique in the scenario.",
    "ip needs net; [mgmt] needs at least one [[segment]].",
)


# ---------------------------------------------------------------- the data read


@dataclass(slots=True)
class VmSpec:
    name: str
    program: str | None
    memory: int
    weight: int
    control: bool
    secret: bytes
    secret_at: int | str | None
    net: str | None
    ip: str | None
    disk: int
    variant_at: int | str | None = None
    mgmt_password_at: int | str | None = None


@dataclass(slots=True)
class SegmentSpec:
    name: str
    subnet: ipaddress.IPv4Network


@dataclass(slots=True)
class MgmtSpec:
    segment: str
    ip: str
    user: str
    password: str
    seed: str


@dataclass(slots=True)
class ScenarioSpec:
    """A scenario file, checked against FORMAT and RULES: plain data, nothing built yet."""

    path: Path
    name: str
    title: str
    description: str
    quantum: int
    hv_secret: bytes | None
    disk_bandwidth: int
    policy: Policy
    vms: list[VmSpec]
    segments: list[SegmentSpec] = field(default_factory=list)
    mgmt: MgmtSpec | None = None

    @property
    def vm_names(self) -> list[str]:
        return [vm.name for vm in self.vms]

    @property
    def mgmt_password(self) -> str | None:
        """The management password (None: no management service)."""
        return self.mgmt.password if self.mgmt is not None else None


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


# ---------------------------------------------------------------- reading


def parse_size(value: Any, *, key: Key) -> int:
    """A size as the format writes it (4096, "256K", "1M", "1MiB", "0x1000") -> bytes,
    within `key`'s limits; ValueError with the rule otherwise."""
    n = None
    if isinstance(value, int) and not isinstance(value, bool):
        n = value
    elif isinstance(value, str) and len(value) <= 40:
        t = value.strip().upper().removesuffix("IB").removesuffix("B")
        scale = 1
        if t and t[-1] in "KMG":
            scale, t = 1 << {"K": 10, "M": 20, "G": 30}[t[-1]], t[:-1]
        try:
            n = int(t, 0) * scale
        except ValueError:
            n = None
    if n is None:
        raise ValueError(f"must be {key.rule}, not {shown(value)}")
    assert key.low is not None and key.high is not None
    if not key.low <= n <= key.high or n % key.step:
        amount = f", {size_words(n)}" if isinstance(value, str) and n > 0 else ""
        raise ValueError(f"must be {key.rule}, not {shown(value)[:-1]}{amount})")
    return n


def read_scenario(path: str | Path, *, policy: str | None = None) -> ScenarioSpec:
    """Read and check a scenario file (FORMAT, RULES) without building anything.
    `policy` overrides the file's preset (the command line's --policy)."""
    return _Reader(Path(path)).read(policy)


def load_scenario(path: str | Path, *, backend: str = "interp", policy: str | None = None) -> Scenario:
    """Read a scenario file, load its programs and build its hypervisor. `policy` overrides the preset."""
    spec = read_scenario(path, policy=policy)
    configs = [_vm_config(spec, i, vm) for i, vm in enumerate(spec.vms)]
    host = sum(c.memory for c in configs) + HOST_SLACK
    disks = sum(c.disk for c in configs) + DISK_SLACK
    kwargs: dict[str, Any] = {"quantum": spec.quantum, "disk_bandwidth": spec.disk_bandwidth}
    if spec.hv_secret is not None:
        kwargs["secret"] = spec.hv_secret
    hv = Hypervisor(backend=backend, policy=spec.policy, host_memory=host, disk_capacity=disks, **kwargs)
    for config in configs:
        hv.create_vm(config)
    if spec.segments:
        _build_network(spec, hv)
    return Scenario(spec.name, spec.path, spec.description, hv)


def course_scenarios() -> list[str]:
    """The ids of the course's own scenarios (the files in lab/scenarios/)."""
    return sorted(p.stem for p in SCENARIOS_DIR.glob("*.toml"))


def scenario_file(name: str, *, relative_to: Path) -> Path:
    """The scenario a lesson names: an id (`api`, no slash and no `.toml`) is one of the course's,
    in lab/scenarios/; anything else is a path relative to `relative_to` (an instructor's own)."""
    is_id = "/" not in name and "\\" not in name and not name.endswith(".toml")
    try:
        path = SCENARIOS_DIR / f"{name}.toml" if is_id else (relative_to / name).resolve()
        found = path.is_file()
    except (OSError, ValueError):  # a name the file system cannot hold (a NUL byte, too long)
        found = False
    if found:
        return path
    if is_id:
        known = ", ".join(course_scenarios())
        raise ScenarioError(name, "", f"no course scenario {text_shown(name)} (the course has: {known})")
    raise ScenarioError(name, "", f"scenario file {text_shown(name)} not found")


def resolve(path: Path, name: str) -> Path | None:
    """A program path as a scenario names it: relative to the scenario, else lab/guests/."""
    for base in (path.parent, GUESTS_DIR):
        candidate = base / name
        try:
            if candidate.is_file():
                return candidate
        except (OSError, ValueError):  # a name no file system holds (too long, a NUL byte)
            return None
    return None


def fingerprint(path: str | Path) -> str:
    """What a machine built from this scenario depends on, as a digest: the file's bytes and
    each VM's program as loaded (an assembled program is assembled again when a file it
    includes changed). Equal digests build the same machine; "" when the file cannot be read
    or loaded (so nothing compares equal to it)."""
    digest = hashlib.sha256()
    try:
        path = Path(path)
        digest.update(path.read_bytes())
        for vm in read_scenario(path).vms:
            found = resolve(path, vm.program) if vm.program is not None else None
            if vm.program is not None and found is None:
                return ""
            for segment in load_program(found).segments if found is not None else ():
                digest.update(f"{vm.name}:{segment.gpa}:{segment.memsz}:".encode())
                digest.update(segment.data)
    except (OSError, ScenarioError, ProgramError):
        return ""
    return digest.hexdigest()


def variant_prefix(secret: bytes) -> bytes:
    """What a student's variant of a secret keeps: its text up to the first `{` (else SECRET)."""
    return secret.split(b"{", 1)[0] if b"{" in secret else b"SECRET"


def secret_room(secret: bytes) -> int:
    """Bytes of RAM a secret needs: its own length or its variant's (prefix{16 hex digits}), the longer."""
    return max(len(secret), len(variant_prefix(secret)) + VARIANT_DIGITS + 2)


class _Reader:
    """One pass over one file's TOML data; every error names `path` and the place."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, place: str, rule: str) -> ScenarioError:
        return ScenarioError(self.path, place, rule)

    def read(self, policy: str | None) -> ScenarioSpec:
        try:
            data = parse_toml(read_text(self.path), path=self.path)
        except FileNotFoundError:
            raise self.fail("", "no such file") from None
        except FileFormatError as exc:
            raise ScenarioError(self.path, f"line {exc.line}" if exc.line else "", exc.rule) from None
        top = self.table(data, TOP, "")
        segments = [
            self.segment(i, self.table(t, SEGMENT, f"[[segment]] #{i + 1}"))
            for i, t in enumerate(self.tables(top, "segment"))
        ]
        vms = [
            self.vm(i, self.table(t, VM, f"[[vm]] #{i + 1}")) for i, t in enumerate(self.tables(top, "vm"))
        ]
        hv_secret = self.value(top, TOP, "", "hv_secret", None)
        spec = ScenarioSpec(
            path=self.path,
            name=self.value(top, TOP, "", "name", self.path.stem),
            title=self.value(top, TOP, "", "title", ""),
            description=self.value(top, TOP, "", "description", ""),
            quantum=self.value(top, TOP, "", "quantum", DEFAULT_QUANTUM),
            hv_secret=hv_secret.encode() if hv_secret is not None else None,
            disk_bandwidth=self.value(top, TOP, "", "disk_bandwidth", 0),
            policy=self.policy(top.get("policy", {}), policy),
            vms=vms,
            segments=segments,
        )
        self.across_vms(spec)
        self.network(spec, top.get("mgmt"))
        return spec

    # -- one table, one key

    def table(self, data: Any, table: Table, place: str) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise self.fail(place, f"must be {Kind.TABLE.value}, not {shown(data)}")
        unknown = [k for k in data if k not in table.names]
        if unknown:
            raise self.fail(
                place,
                f"unknown key {text_shown(unknown[0])} (expected {', '.join(table.names)})",
            )
        for key in table.keys:
            if key.required and key.kind is not Kind.TABLES and key.name not in data:
                raise self.fail(place, f"needs {key.name} ({key.meaning})")
        return data

    def tables(self, data: dict[str, Any], name: str) -> list[dict[str, Any]]:
        """An array of tables, within its count limits."""
        key = TOP.key(name)
        value = data.get(name, [])
        if not isinstance(value, list):
            raise self.fail(name, f"must be {key.kind.value} ([[{name}]]), not {shown(value)}")
        assert key.low is not None and key.high is not None
        if not key.low <= len(value) <= key.high:
            few = "needs at least" if len(value) < key.low else "may have at most"
            bound = key.low if len(value) < key.low else key.high
            raise self.fail("", f"a scenario {few} {bound} [[{name}]] table(s), this one has {len(value)}")
        return value

    def value(self, data: dict[str, Any], table: Table, place: str, name: str, default: Any) -> Any:
        """data[name] checked against the format (the default when absent)."""
        if name not in data:
            return default
        key = table.key(name)
        raw = data[name]
        where = f"{place} {name}".strip()
        try:
            return _CHECKS[key.kind](key, raw)
        except ValueError as exc:
            raise self.fail(where, str(exc)) from None

    # -- the tables

    def vm(self, index: int, data: dict[str, Any]) -> VmSpec:
        place = f"[[vm]] #{index + 1}"
        name = self.value(data, VM, place, "name", None)
        place = f"{place} ({name})"

        def get(key: str, default: Any) -> Any:
            return self.value(data, VM, place, key, default)

        secret = get("secret", None)
        secret_at = get("secret_at", None)
        if secret_at is not None and not secret:
            raise self.fail(f"{place} secret_at", "needs a secret to place (secret = ...)")
        net, ip = get("net", None), get("ip", None)
        if ip is not None and net is None:
            raise self.fail(f"{place} ip", "needs net: an address is for a vNIC on a segment")
        return VmSpec(
            name=name,
            program=get("program", None),
            memory=get("memory", parse_size(DEFAULT_MEMORY, key=VM.key("memory"))),
            weight=get("weight", 1),
            control=get("control", False),
            secret=secret.encode() if secret else b"",
            secret_at=secret_at,
            net=net,
            ip=ip,
            disk=get("disk", 0),
            variant_at=get("variant_at", None),
            mgmt_password_at=get("mgmt_password_at", None),
        )

    def segment(self, index: int, data: dict[str, Any]) -> SegmentSpec:
        place = f"[[segment]] #{index + 1}"
        name = self.value(data, SEGMENT, place, "name", None)
        place = f"{place} ({name})"
        subnet = self.value(data, SEGMENT, place, "subnet", None)
        if subnet is None:
            subnet = ipaddress.IPv4Network(f"10.0.{index}.0/24")
        return SegmentSpec(name, subnet)

    def policy(self, data: Any, override: str | None) -> Policy:
        """[policy]: preset, then switches, each a value or a group table of values."""
        if not isinstance(data, dict):
            raise self.fail("[policy]", f"must be {Kind.TABLE.value}, not {shown(data)}")
        table = dict(data)
        place = "[policy]"
        if override is not None:
            table["preset"], place = override, "--policy"
        preset = table.pop("preset", "vulnerable")
        if not isinstance(preset, str) or preset not in PRESETS:
            raise self.fail(f"{place} preset", f"must be one of {', '.join(PRESETS)}, not {shown(preset)}")
        policy = Policy.preset(preset)
        for key, value in table.items():
            group = value if isinstance(value, dict) else {"": value}
            for sub, v in group.items():
                name = f"{key}.{sub}" if sub else key
                if name not in BY_KEY:
                    raise self.fail(
                        "[policy]", f"unknown switch {text_shown(name)} (the switches: {', '.join(BY_KEY)})"
                    )
                switch = BY_KEY[name]
                words = "true or false" if switch.kind is bool else "an integer, 0 or more"
                if not isinstance(v, bool | int | str) or (isinstance(v, str) and len(v) > 20):
                    raise self.fail(f"[policy] {name}", f"must be {words}, not {shown(v)}")
                try:
                    policy.set(name, v)
                except PolicyError:
                    raise self.fail(f"[policy] {name}", f"must be {words}, not {shown(v)}") from None
        return policy

    # -- across keys

    def across_vms(self, spec: ScenarioSpec) -> None:
        seen: dict[str, int] = {}
        control = None
        for i, vm in enumerate(spec.vms):
            if vm.name in seen:
                raise self.fail(f"[[vm]] #{i + 1} ({vm.name}) name", f"is already VM #{seen[vm.name] + 1}'s")
            seen[vm.name] = i
            if vm.control:
                if control is not None:
                    raise self.fail(
                        f"[[vm]] #{i + 1} ({vm.name}) control",
                        f"VM #{control + 1} ({spec.vms[control].name}) is already the control domain",
                    )
                control = i
        total = sum(vm.memory + vm.disk for vm in spec.vms)
        if total > MAX_HOST_BYTES:
            raise self.fail(
                "",
                f"all VMs' RAM and disks together must be at most {size_words(MAX_HOST_BYTES)}, "
                f"not {size_words(total)}",
            )

    def network(self, spec: ScenarioSpec, mgmt: Any) -> None:
        subnets: dict[str, ipaddress.IPv4Network] = {}
        for i, seg in enumerate(spec.segments):
            if seg.name in subnets:
                raise self.fail(f"[[segment]] #{i + 1} ({seg.name}) name", "is defined twice")
            subnets[seg.name] = seg.subnet
        taken: dict[str, str] = {}
        for domid, vm in enumerate(spec.vms):
            if vm.net is None:
                continue
            place = f"[[vm]] #{domid + 1} ({vm.name})"
            if vm.net not in subnets:
                have = f"segments: {', '.join(subnets)}" if subnets else "there is no [[segment]]"
                raise self.fail(f"{place} net", f"names no segment: {text_shown(vm.net)} ({have})")
            vm.ip = self.address(f"{place} ip", vm.ip, subnets[vm.net], NIC_FIRST_HOST + domid, taken)
            taken[vm.ip] = f"VM #{domid + 1}'s ({vm.name})"
        if mgmt is None:
            return
        data = self.table(mgmt, MGMT, "[mgmt]")
        if not subnets:
            raise self.fail("[mgmt]", "needs a [[segment]] to sit on")

        def get(key: str, default: Any) -> Any:
            return self.value(data, MGMT, "[mgmt]", key, default)

        segment = get("segment", spec.segments[0].name)
        if segment not in subnets:
            raise self.fail(
                "[mgmt] segment", f"names no segment: {text_shown(segment)} (segments: {', '.join(subnets)})"
            )
        spec.mgmt = MgmtSpec(
            segment=segment,
            ip=self.address("[mgmt] ip", get("ip", None), subnets[segment], 1, taken),
            user=get("user", "admin"),
            password=get("password", DEFAULT_MGMT_PASSWORD),
            seed=get("seed", self.path.stem),
        )

    def address(
        self, place: str, ip: str | None, subnet: ipaddress.IPv4Network, host: int, taken: dict[str, str]
    ) -> str:
        """A host address inside `subnet`, not in `taken`; absent: the subnet's `host`-th address."""
        given = ip is not None
        addr = int(ipaddress.IPv4Address(ip)) if given else int(subnet.network_address) + host
        hosts = f"{subnet.network_address + 1} to {subnet.broadcast_address - 1}"
        if not int(subnet.network_address) < addr < int(subnet.broadcast_address):
            if not given:
                raise self.fail(place, f"is needed: the default address is outside {subnet} ({hosts})")
            raise self.fail(place, f"must be a host address of the subnet {subnet} ({hosts}), not {ip}")
        text = str(ipaddress.IPv4Address(addr))
        if text in taken:
            default = "" if given else " (the default)"
            raise self.fail(place, f"{text}{default} is already {taken[text]} address; each must be unique")
        return text


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ---------------------------------------------------------------- value checks, by kind


def _integer(key: Key, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"must be {key.rule}, not {shown(value)}")
    if (key.low is not None and value < key.low) or (key.high is not None and value > key.high):
        raise ValueError(f"must be {key.rule}, not {shown(value)}")
    return value


def _text(key: Key, value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"must be {key.rule}, not {shown(value)}")
    if key.pattern and not re.fullmatch(key.pattern, value):
        raise ValueError(f"must be {key.rule}, not {shown(value)}")
    if key.max_bytes is not None and len(value.encode()) > key.max_bytes:
        raise ValueError(f"must be {key.rule}, not {len(value.encode())} bytes")
    return value


def _boolean(key: Key, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"must be {key.rule}, not {shown(value)}")
    return value


def _size(key: Key, value: Any) -> int:
    return parse_size(value, key=key)


def _address(key: Key, value: Any) -> str:
    if isinstance(value, str):
        try:
            return str(ipaddress.IPv4Address(value))
        except ValueError:
            pass
    raise ValueError(f"must be {key.rule}, not {shown(value)}")


def _subnet(key: Key, value: Any) -> ipaddress.IPv4Network:
    if not isinstance(value, str):
        raise ValueError(f"must be {key.rule}, not {shown(value)}")
    try:
        subnet = ipaddress.IPv4Network(value)
    except ValueError as exc:
        raise ValueError(f"must be {key.rule}, not {shown(value)}: {_short(str(exc), 80)}") from None
    assert key.low is not None and key.high is not None
    if not key.low <= subnet.prefixlen <= key.high:
        raise ValueError(f"must be {key.rule}, not /{subnet.prefixlen}")
    return subnet


def _place(key: Key, value: Any) -> int | str:
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return value  # inside the VM's RAM: checked with the RAM size and the secret (_secret_gpa)
    raise ValueError(f"must be {key.rule}, not {shown(value)}")


def _never(key: Key, value: Any) -> Any:
    raise AssertionError(f"{key.name} is read as a table")


_CHECKS: Final[dict[Kind, Callable[[Key, Any], Any]]] = {
    Kind.TEXT: _text,
    Kind.INTEGER: _integer,
    Kind.BOOLEAN: _boolean,
    Kind.SIZE: _size,
    Kind.ADDRESS: _address,
    Kind.SUBNET: _subnet,
    Kind.PLACE: _place,
    Kind.TABLE: _never,
    Kind.TABLES: _never,
}


# ---------------------------------------------------------------- building


def _vm_config(spec: ScenarioSpec, index: int, vm: VmSpec) -> VmConfig:
    """The VM's program loaded and the rules that need it checked (it fits, the secret fits)."""
    place = f"[[vm]] #{index + 1} ({vm.name})"
    program = None
    if vm.program is not None:
        found = resolve(spec.path, vm.program)
        if found is None:
            raise ScenarioError(
                spec.path,
                f"{place} program",
                f"{text_shown(vm.program)} is found neither next to the scenario nor in {GUESTS_DIR}",
            )
        try:
            program = load_program(found)
            check_fits(program, ram_gpa=RAM_BASE, ram_size=vm.memory)
        except ProgramError as exc:
            raise ScenarioError(spec.path, f"{place} program", str(exc)) from None
    secret_gpa = _secret_gpa(spec, place, vm, program)
    provisioned: dict[str, tuple[int, bytes]] = {}
    if vm.variant_at is not None:
        gpa = _place_gpa(spec, place, vm, program, "variant_at", VARIANT_BYTES)
        provisioned["variant"] = (gpa, bytes(VARIANT_BYTES))
    if vm.mgmt_password_at is not None:
        if spec.mgmt is None:
            raise ScenarioError(spec.path, f"{place} mgmt_password_at", "needs [mgmt]: a password to keep")
        gpa = _place_gpa(spec, place, vm, program, "mgmt_password_at", MGMT_PASSWORD_ROOM)
        provisioned["mgmt_password"] = (gpa, spec.mgmt.password.encode().ljust(MGMT_PASSWORD_ROOM, b"\0"))
    return VmConfig(
        vm.name,
        program=program,
        memory=vm.memory,
        weight=vm.weight,
        control=vm.control,
        secret=vm.secret,
        secret_gpa=secret_gpa,
        disk=vm.disk,
        provisioned=provisioned,
    )


def _place_gpa(
    spec: ScenarioSpec, place: str, vm: VmSpec, program: Program | None, key: str, room: int
) -> int:
    """A label or an address of `key` (variant_at, mgmt_password_at) with `room` bytes inside the VM's RAM."""
    at = getattr(vm, key)
    if isinstance(at, str):
        if program is None or at not in program.symbols:
            rule = f"{text_shown(at)} is not a label of the program"
            raise ScenarioError(spec.path, f"{place} {key}", rule)
        gpa = program.symbols[at]
    else:
        gpa = at
    end = RAM_BASE + vm.memory
    if not (RAM_BASE <= gpa and gpa + room <= end):
        rule = f"needs {room} bytes inside the VM's RAM [{RAM_BASE:#010x}, {end:#010x}), not {shown(gpa)}"
        raise ScenarioError(spec.path, f"{place} {key}", rule)
    return gpa


def _secret_gpa(spec: ScenarioSpec, place: str, vm: VmSpec, program: Program | None) -> int | None:
    """Where the secret goes, checked to lie in RAM with room for its variant (None: the default)."""
    if not vm.secret:
        return None
    at = vm.secret_at
    if isinstance(at, str):
        if program is None or at not in program.symbols:
            rule = f"{text_shown(at)} is not a label of the program"
            raise ScenarioError(spec.path, f"{place} secret_at", rule)
        gpa = program.symbols[at]
    elif at is not None:
        gpa = at
    elif program is not None and "secret" in program.symbols:
        gpa = program.symbols["secret"]
    else:
        gpa = RAM_BASE + vm.memory - PAGE
    room = secret_room(vm.secret)
    end = RAM_BASE + vm.memory
    ram = f"the VM's RAM [{RAM_BASE:#010x}, {end:#010x})"
    where = f"{place} {'secret_at' if at is not None else 'secret'}"
    if not RAM_BASE <= gpa < end:
        raise ScenarioError(spec.path, where, f"must be an address inside {ram}, not {shown(gpa)}")
    if gpa + room > end:
        raise ScenarioError(
            spec.path,
            where,
            f"the secret at {gpa:#010x} needs {room} bytes (with room for a student's variant) inside {ram}",
        )
    return gpa if at is not None else None


def _build_network(spec: ScenarioSpec, hv: Hypervisor) -> None:
    """The segments, each VM's vNIC and the management service, all checked already."""
    from lab.hv.devices.net import MgmtConfig, NicConfig

    devices = hv.network()
    for seg in spec.segments:
        devices.add_segment(seg.name)
    for domid, vm in enumerate(spec.vms):
        if vm.net is not None:
            assert vm.ip is not None
            devices.attach(hv.vms[domid], NicConfig(vm.net, vm.ip))
    if spec.mgmt is not None:
        m = spec.mgmt
        devices.add_mgmt(MgmtConfig(m.segment, m.ip, user=m.user, password=m.password, seed=m.seed.encode()))


def reference_rows(tables: Iterable[Table] = FORMAT) -> list[tuple[str, str, str, str, str, str]]:
    """(table, key, type, default, limits, meaning) for every key: what a reference page lists."""
    return [
        (
            t.header or "(top level)",
            k.name,
            k.kind.value,
            k.default or ("required" if k.required else ""),
            k.limits,
            k.meaning,
        )
        for t in tables
        for k in t.keys
    ]
