"""What a detection rule can look at: the fields of the three kinds of observation.

A rule watches one *source* (Sigma's logsource): the hypervisor's hypercalls, its
other trace events, or the frames the virtual switch captured. Each record of that
source becomes an *observation*, a flat dict from field name to value, built here
and nowhere else:

    hypercall_fields(record, hv)        # a HypercallRecord -> {"vm": "tenant", "fn": "peek", ...}
    event_fields(event, hv)             # an Event          -> {"kind": "mgmt", "tag": "login-failed", ...}
    frame_fields(captured, segment, domids) # a CapturedFrame -> {"ip.src": "10.0.0.11", ...}

`FIELDS` is the one table of every field: its source, type, meaning and an example.
The rule parser checks names against it (with a did-you-mean), the docs' reference
page is generated from it, and a test builds every source's observations and checks
that they hold exactly the fields the table promises.

The frame fields carry Wireshark's display-filter names (`ip.src`, `udp.dstport`,
`arp.src.proto_ipv4`), so what a student writes here they can type into Wireshark.
A field a record does not have (`udp.dstport` of an ARP frame) is absent: every
comparison with it is false, and `exists` tells.

The time of an observation is not one of its fields: it goes beside it (rules count
over windows of time; they do not match on it), so that a flood of identical frames
is one observation seen many times, and the engine matches it once.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final

from lab.hv.hypercalls import EXTENSIONS, HypercallRecord, SbiError, load_extensions, lookup
from lab.net.frames import FrameError, mac_from_bytes, parse, summary

if TYPE_CHECKING:
    from lab.hv import Hypervisor
    from lab.hv.trace import Event
    from lab.net.switch import CapturedFrame, Segment

Observation = dict[str, Any]


class Source(StrEnum):
    """Where a rule's observations come from."""

    HYPERCALL = "hypercall"
    EVENT = "event"
    FRAME = "frame"


class Type(StrEnum):
    """What a field holds; a rule's values are read as this type."""

    TEXT = "text"
    NUMBER = "number"
    BOOL = "bool"
    ADDRESS = "address"  # an IPv4 address as text: `cidr` applies


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    source: Source
    type: Type
    meaning: str
    example: object


SOURCE_MEANING: Final[dict[Source, str]] = {
    Source.HYPERCALL: "every hypercall a guest made: who called, which function, its arguments, "
    "what the hypervisor answered and why",
    Source.EVENT: "every other line of the hypervisor's trace: VMs created, paused, destroyed or "
    "faulted, grants, the channel, patches, policy changes, and the network's drops and the "
    "management service's logins, lockouts and commands",
    Source.FRAME: "every frame a VM or the management service put on a virtual switch, as the "
    "switch's capture holds it (before the switch decides to forward or drop it)",
}

# Parameters that name another VM: `target` is that VM.
DOMID_PARAMS: Final = ("domid", "dest_domid", "grantee_domid", "granter_domid")
ARGS_PREFIX: Final = "arg."
MAX_ARGS: Final = 4  # a0..a3: the trace keeps the arguments a function takes, and none takes more


def _table() -> dict[Source, dict[str, Field]]:
    H, E, F = Source.HYPERCALL, Source.EVENT, Source.FRAME
    T, N, B, A = Type.TEXT, Type.NUMBER, Type.BOOL, Type.ADDRESS
    rows = [
        # -- every source
        *(
            Field(
                "vm",
                s,
                T,
                "the VM it is about (a frame: the VM whose port sent it); `hv`: the "
                "hypervisor itself, `mgmt`: the management service",
                "tenant",
            )
            for s in Source
        ),
        *(
            Field("domid", s, N, "that VM's domain ID; -1 for the hypervisor or the management service", 1)
            for s in Source
        ),
        *(Field("text", s, T, "the line the trace or the network panel shows for it", "") for s in Source),
        # -- hypercalls
        Field("control", H, B, "the caller is the control domain", False),
        Field(
            "ext", H, T, "the extension's name (BASE, DBCN, SRST, VMCTL, GNTTAB, DGRAM, NET, BLK)", "VMCTL"
        ),
        Field("fn", H, T, "the function's name", "peek"),
        Field("call", H, T, "extension and function together, as `EXT.fn`", "VMCTL.peek"),
        Field("eid", H, N, "the extension ID the guest put in a7", 0x09000001),
        Field("fid", H, N, "the function ID the guest put in a6", 6),
        Field(
            "privileged",
            H,
            B,
            "a privileged control call (only the control domain may make it once "
            "`hypercall.authorize` is on)",
            True,
        ),
        *(
            Field(
                f"a{i}",
                H,
                N,
                f"argument register a{i} as the guest passed it, when the function takes it "
                "(a function the hypervisor does not know: a0 to a2)",
                2,
            )
            for i in range(MAX_ARGS)
        ),
        Field(
            "arg.NAME",
            H,
            N,
            "an argument by its parameter's name (`arg.domid`, `arg.len`, "
            "`arg.base_addr_lo`: the hypercall reference lists them)",
            2,
        ),
        Field(
            "target",
            H,
            T,
            "the VM a call names by its domid (peek's, map's granter, send's "
            "destination); absent when the call names none",
            "bank",
        ),
        Field("error", H, N, "the SBI error code returned in a0 (0: success)", -4),
        Field("result", H, T, "the error code's name (SBI_SUCCESS, SBI_ERR_DENIED, ...)", "SBI_ERR_DENIED"),
        Field("ok", H, B, "the call succeeded (error 0)", True),
        Field("value", H, N, "the value returned in a1", 32),
        Field("why", H, T, "the hypervisor's reason, when it refused or noticed something", ""),
        Field("patched", H, B, "a student's patch handled the call", False),
        Field("pc", H, N, "the address of the guest's `ecall`", 0x80000120),
        # -- events
        Field("kind", E, T, "vm, fault, grant, dgram, net, mgmt, patch, policy, measure, ...", "mgmt"),
        Field("where", E, T, "a network event's place: the segment, vNIC or service that saw it", "mgmt"),
        Field(
            "tag",
            E,
            T,
            "a network event's kind: acl-drop, spoof-drop, queue-drop, bad-frame, "
            "rate-limited, login-ok, login-failed, lockout, unlock, logout, command, denied",
            "login-failed",
        ),
        Field(
            "detail", E, T, "a network event's text after its place and kind", "admin@10.0.0.11: failure 3"
        ),
        # -- frames (Wireshark's names)
        Field("segment", F, T, "the network segment (virtual switch)", "tenants"),
        Field("port", F, T, "the switch port it came in by: its VM's name, or the service's", "tenant"),
        Field("frame.len", F, N, "its length in bytes", 60),
        Field(
            "frame.forged",
            F,
            T,
            "what in its source is not the sending port's own (`source IP 10.0.0.1`, "
            "`source MAC ...`, `ARP sender ...`); absent when it is all its own",
            "source IP 10.0.0.11",
        ),
        Field(
            "frame.malformed",
            F,
            T,
            "why it does not parse (a bad checksum, a short header); absent when it does",
            "UDP checksum is wrong",
        ),
        Field("eth.src", F, T, "the source MAC address", "02:00:00:00:00:01"),
        Field(
            "eth.dst", F, T, "the destination MAC address (ff:ff:ff:ff:ff:ff: broadcast)", "02:00:00:00:00:fe"
        ),
        Field("eth.type", F, N, "the EtherType (0x0800 IPv4, 0x0806 ARP)", 0x0800),
        Field("arp.opcode", F, N, "1 request, 2 reply", 2),
        Field("arp.src.hw_mac", F, T, "the ARP sender's MAC", "02:00:00:00:00:01"),
        Field("arp.src.proto_ipv4", F, A, "the ARP sender's IPv4 address", "10.0.0.1"),
        Field("arp.dst.hw_mac", F, T, "the ARP target's MAC", "00:00:00:00:00:00"),
        Field("arp.dst.proto_ipv4", F, A, "the ARP target's IPv4 address", "10.0.0.10"),
        Field("ip.src", F, A, "the IPv4 source address: what the frame claims", "10.0.0.11"),
        Field("ip.dst", F, A, "the IPv4 destination address", "10.0.0.1"),
        Field("ip.proto", F, N, "the IP protocol (1 ICMP, 17 UDP)", 17),
        Field("ip.ttl", F, N, "the time to live", 64),
        Field("ip.len", F, N, "the IPv4 total length", 41),
        Field("udp.srcport", F, N, "the UDP source port", 40000),
        Field("udp.dstport", F, N, "the UDP destination port (6230: the management service)", 6230),
        Field("udp.length", F, N, "the UDP length (header and payload)", 21),
        Field(
            "udp.payload",
            F,
            T,
            "the UDP payload as text (bytes that are not printable ASCII as `.`)",
            "LOGIN admin letmein",
        ),
        Field("icmp.type", F, N, "8 echo request, 0 echo reply", 8),
        Field("icmp.seq", F, N, "the echo's sequence number", 1),
    ]
    table: dict[Source, dict[str, Field]] = {s: {} for s in Source}
    for row in rows:
        table[row.source][row.name] = row
    return table


FIELDS: Final[dict[Source, dict[str, Field]]] = _table()


def param_names() -> set[str]:
    """Every hypercall parameter name (what `arg.NAME` may name)."""
    load_extensions()
    return {p for ext in EXTENSIONS.values() for fn in ext.functions.values() for p in fn.params}


def field(source: Source, name: str) -> Field | None:
    """The field `name` of `source` (an `arg.NAME` by its parameter), or None."""
    found = FIELDS[source].get(name)
    if found is None and source is Source.HYPERCALL and name.startswith(ARGS_PREFIX):
        if name[len(ARGS_PREFIX) :] in param_names():
            return FIELDS[source]["arg.NAME"]
    return found


def field_names(source: Source) -> list[str]:
    """Every name a rule of `source` may use (each `arg.NAME` spelled out)."""
    names = [n for n in FIELDS[source] if n != "arg.NAME"]
    if source is Source.HYPERCALL:
        names += sorted(ARGS_PREFIX + p for p in param_names())
    return names


# ------------------------------------------------------------------ building observations


def _who(hv: Hypervisor, domid: int) -> str:
    if 0 <= domid < len(hv.vms):
        return hv.vms[domid].name
    return "hv"


def hypercall_fields(record: HypercallRecord, hv: Hypervisor) -> Observation:
    """A hypercall as a rule sees it."""
    ext = EXTENSIONS.get(record.eid)
    fn = lookup(record.eid, record.fid)
    ext_name, fn_name = record.names
    obs: Observation = {
        "vm": _who(hv, record.domid),
        "domid": record.domid,
        "text": record.describe(),
        "control": record.domid == hv.control_domid,
        "ext": ext.name if ext else ext_name,
        "fn": fn_name,
        "call": f"{ext_name}.{fn_name}",
        "eid": record.eid,
        "fid": record.fid,
        "privileged": bool(fn and fn.privileged),
        "error": record.error,
        "result": SbiError.label(record.error),
        "ok": record.error == 0,
        "value": record.value,
        "why": record.why,
        "patched": record.patched,
        "pc": record.pc,
    }
    for i, value in enumerate(record.args[:MAX_ARGS]):
        obs[f"a{i}"] = value
    if fn is not None:
        for param, value in zip(fn.params, record.args, strict=False):
            obs[ARGS_PREFIX + param] = value
            if param in DOMID_PARAMS:
                obs["target"] = hv.vms[value].name if 0 <= value < len(hv.vms) else f"dom{value}"
    return obs


def event_fields(event: Event, hv: Hypervisor) -> Observation:
    """A trace event (not a hypercall) as a rule sees it. A network event's line is
    `{where}: {tag}: {detail}` (lab.hv.devices.net), so it also has those three."""
    obs: Observation = {
        "vm": _who(hv, event.domid),
        "domid": event.domid,
        "text": event.text,
        "kind": event.kind,
    }
    if event.kind in ("net", "mgmt"):
        where, sep, rest = event.text.partition(": ")
        tag, sep2, detail = rest.partition(": ")
        if sep and sep2 and tag in NET_TAGS:
            obs["where"], obs["tag"], obs["detail"] = where, tag, detail
    return obs


def _net_tags() -> frozenset[str]:
    from lab.net.events import NetEventKind

    return frozenset(k.value for k in NetEventKind)


NET_TAGS: Final = _net_tags()


def _printable(payload: bytes) -> str:
    return "".join(chr(b) if 32 <= b < 127 else "." for b in payload)


def port_domids(hv: Hypervisor) -> dict[str, int]:
    """Switch port name -> the domid of the VM behind it (a vNIC's port is named after its VM)."""
    if hv.net is None:
        return {}
    return {nic.name: domid for domid, nic in hv.net.vnics.items()}


def frame_fields(captured: CapturedFrame, segment: Segment, domids: dict[str, int]) -> Observation:
    """A captured frame as a rule sees it, with what the switch knows: the port it came in by
    (`domids`: port name -> domid, `port_domids`) and whether its source addresses are that
    port's own (whether or not the switch enforces that: `net.anti_spoofing`)."""
    frame = captured.frame
    port = next((p for p in segment.ports if p.name == captured.port), None)
    domid = domids.get(captured.port, -1)
    obs: Observation = {
        "vm": captured.port,  # a vNIC's port is named after its VM; the service's is `mgmt`
        "domid": domid,
        "segment": segment.name,
        "port": captured.port,
        "frame.len": len(frame),
    }
    own = port.addresses if port is not None else None
    forged = own.forged(frame) if own is not None else None
    if forged is not None:
        obs["frame.forged"] = forged
    try:
        packet = parse(frame)
    except FrameError as err:
        obs["text"] = f"malformed ({len(frame)} bytes): {err}"
        obs["frame.malformed"] = str(err)
        if len(frame) >= 14:
            obs["eth.dst"], obs["eth.src"] = mac_from_bytes(frame[0:6]), mac_from_bytes(frame[6:12])
            obs["eth.type"] = int.from_bytes(frame[12:14], "big")
        return obs
    obs["text"] = summary(packet)
    eth = packet.eth
    obs["eth.src"], obs["eth.dst"], obs["eth.type"] = eth.src, eth.dst, eth.ethertype
    if packet.arp is not None:
        arp = packet.arp
        obs["arp.opcode"] = int(arp.op)
        obs["arp.src.hw_mac"], obs["arp.src.proto_ipv4"] = arp.sender_mac, arp.sender_ip
        obs["arp.dst.hw_mac"], obs["arp.dst.proto_ipv4"] = arp.target_mac, arp.target_ip
    ip = packet.ip
    if ip is not None:
        obs["ip.src"], obs["ip.dst"], obs["ip.proto"] = ip.src, ip.dst, ip.protocol
        obs["ip.ttl"], obs["ip.len"] = ip.ttl, 20 + len(ip.payload)
    if packet.udp is not None:
        udp = packet.udp
        obs["udp.srcport"], obs["udp.dstport"] = udp.src_port, udp.dst_port
        obs["udp.length"], obs["udp.payload"] = 8 + len(udp.payload), _printable(udp.payload)
    if packet.icmp is not None:
        obs["icmp.type"], obs["icmp.seq"] = int(packet.icmp.type), packet.icmp.seq
    return obs
