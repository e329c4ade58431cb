"""A network segment: a learning L2 switch with ports, an optional ACL and a capture tap.

Endpoints (vNICs, the management host) attach to a segment and get a `Port`;
what they transmit waits in the segment until `forward(now)` moves it, which is
what makes delivery deterministic (the network ticks between vCPU quanta):

    port = segment.attach(vnic, name="vm1", kind=PortKind.VNIC)
    segment.transmit(port, frame, now)    # queued, and recorded by the capture tap
    segment.forward(now)                  # learn, filter, forward or flood

Forwarding is IEEE 802.1D's transparent bridge without spanning tree: learn
the source MAC on the ingress port; send broadcast, multicast and unknown
unicast out of every other port (flooding); send known unicast out of its one
port; drop a frame addressed back to its ingress port. When the MAC table is
full new addresses are not learned and their frames are flooded: this is why
MAC flooding turns a switch into a hub. The ACL, when present, is asked for
every (ingress, egress) pair and may drop with a reason.

Learning from traffic believes whatever source MAC a frame carries, so a port
that sends with another's MAC takes over that MAC's table entry ("port
stealing"). `anti_spoofing` is port security, as a virtual switch does it: an
endpoint attached with its `addresses` (a vNIC, the management host) may only
send frames whose source MAC is its own and, in IPv4 and ARP, whose source
IP (ARP's sender MAC and IP) is its own; anything else is dropped and counted
(`spoof_drops`, a `spoof-drop` event). Its MAC is pinned: the switch knows it
from the start, forwards to it without learning, and never learns it on
another port. VMware's vSwitch works this way (it knows each vNIC's MAC from
the VM's configuration; "forged transmits: reject"), as do Open vSwitch/OVN
port security and Xen's vif anti-spoofing rules.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol

from lab.net.events import EventSink, NetEvent
from lab.net.frames import (
    ETH_HEADER_LEN,
    ETH_MAX_FRAME,
    EtherType,
    ip_from_bytes,
    ip_to_bytes,
    mac_from_bytes,
    mac_to_bytes,
    pad_frame,
)
from lab.trace_messages import (
    ACL_DROP,
    ACL_ISOLATED,
    SPOOF_NOT_OWN,
    SPOOF_PINNED,
    SWITCH_BAD_FRAME,
    SWITCH_QUEUE_FULL,
    Line,
)


class PortKind(Enum):
    VNIC = "vnic"  # a VM's virtual NIC
    MGMT = "mgmt"  # the hypervisor's management interface
    HOST = "host"  # anything else: an admin workstation, a test harness


class Endpoint(Protocol):
    """What sits behind a port: it is handed each frame the switch sends it."""

    def deliver(self, frame: bytes, now: int) -> bool:
        """Accept a frame; False when it had to be dropped (e.g. RX queue full)."""
        ...


@dataclass(slots=True)
class PortCounters:
    rx_frames: int = 0  # into the switch from the endpoint
    rx_bytes: int = 0
    tx_frames: int = 0  # out of the switch to the endpoint
    tx_bytes: int = 0
    acl_drops: int = 0  # frames to this port the ACL refused
    endpoint_drops: int = 0  # frames the endpoint refused (its queue was full)
    spoof_drops: int = 0  # frames from this port with a source address not its own (anti-spoofing)


@dataclass(slots=True)
class PortAddresses:
    """The addresses an endpoint owns: with anti-spoofing, the only source addresses it may send.

    The byte strings are what the switch compares a frame's header with, so the
    check is a few slice comparisons per frame:

        ipv4_head   source MAC + EtherType 0x0800  (frame bytes 6..14)
        arp_head    source MAC + EtherType 0x0806  (frame bytes 6..14)
        ip_raw      the IPv4 source address        (frame bytes 26..30)
        arp_sender  ARP sender MAC + sender IP     (frame bytes 22..32)
    """

    mac: str
    ip: str
    mac_raw: bytes = field(init=False)
    ipv4_head: bytes = field(init=False)
    arp_head: bytes = field(init=False)
    ip_raw: bytes = field(init=False)
    arp_sender: bytes = field(init=False)

    def __post_init__(self) -> None:
        self.mac_raw, self.ip_raw = mac_to_bytes(self.mac), ip_to_bytes(self.ip)
        self.ipv4_head = self.mac_raw + EtherType.IPV4.to_bytes(2, "big")
        self.arp_head = self.mac_raw + EtherType.ARP.to_bytes(2, "big")
        self.arp_sender = self.mac_raw + self.ip_raw

    def forged(self, frame: bytes) -> str | None:
        """What in the frame's source is not ours ("source MAC ...", "source IP ...",
        "ARP sender ..."), or None when it is all ours."""
        head = frame[6:14]
        if head == self.ipv4_head:
            return None if frame[26:30] == self.ip_raw else f"source IP {ip_from_bytes(frame[26:30])}"
        if head == self.arp_head:
            if frame[22:32] == self.arp_sender:
                return None
            return f"ARP sender {mac_from_bytes(frame[22:28])} {ip_from_bytes(frame[28:32])}"
        if head[:6] != self.mac_raw:
            return f"source MAC {mac_from_bytes(head[:6])}"
        return None  # another EtherType from our own MAC: there is no IP in it to check


@dataclass(slots=True, eq=False)
class Port:
    number: int
    name: str
    kind: PortKind
    endpoint: Endpoint
    segment: Segment
    addresses: PortAddresses | None = None  # what the endpoint owns (None: unknown, nothing pinned)
    counters: PortCounters = field(default_factory=PortCounters)

    def transmit(self, frame: bytes, now: int) -> bool:
        return self.segment.transmit(self, frame, now)


# Returns the reason to drop a frame going from the first port to the second, or None to forward it.
Acl = Callable[[Port, Port, bytes], str | None]


def isolate(
    kind: PortKind,
    *,
    allow: tuple[str, ...] | Callable[[Port], bool] = (),
    reason: Callable[[Port], str] | None = None,
) -> Acl:
    """An ACL that keeps every port of `kind` apart from the other ports except the allowed ones:
    those named in `allow`, or those for which `allow(port)` holds when it is a function (asked
    at each frame, so it can follow a live setting). `reason(port)` words the drop.

    isolate(PortKind.MGMT, allow=("admin",)) keeps VMs from even ARPing for the management
    interface; the hypervisor's `net.mgmt_isolated` is this ACL with the control domain's port.
    """
    allowed = allow if callable(allow) else (lambda port: port.name in allow)
    word = reason or (lambda port: ACL_ISOLATED(port=port.name, kind=kind.value))

    def acl(src: Port, dst: Port, frame: bytes) -> str | None:
        if (src.kind == kind) == (dst.kind == kind):
            return None
        other = dst if src.kind == kind else src
        return None if allowed(other) else word(other)

    return acl


@dataclass(slots=True, frozen=True)
class CapturedFrame:
    time: int  # instructions retired when the frame entered the switch
    port: str  # the ingress port's name
    frame: bytes


@dataclass(slots=True)
class SegmentCounters:
    forwarded: int = 0  # known unicast, sent out of one port
    flooded: int = 0  # broadcast, multicast or unknown unicast
    filtered: int = 0  # addressed to the port it came from
    queue_drops: int = 0  # the segment's own queue was full
    bad_frames: int = 0  # too short to have a header, or over 1514 bytes
    spoofed: int = 0  # sent with a source address not the port's (anti-spoofing)


class Segment:
    """One broadcast domain: ports, a MAC table, a queue of frames in flight and a capture."""

    def __init__(
        self,
        name: str,
        *,
        acl: Acl | None = None,
        queue_limit: int = 4096,
        mac_table_limit: int = 1024,
        capture_limit: int = 100_000,
        anti_spoofing: bool = False,
        on_event: EventSink | None = None,
    ) -> None:
        self.name = name
        self.acl = acl
        self.queue_limit = queue_limit
        self.mac_table_limit = mac_table_limit
        self.on_event = on_event
        self.ports: list[Port] = []
        self.mac_table: dict[str, Port] = {}
        self.pinned: dict[str, Port] = {}  # MAC -> the port whose endpoint owns it
        self._anti_spoofing = anti_spoofing
        self.pending: deque[tuple[Port, bytes]] = deque()
        # Oldest frames fall off first: a long run keeps its most recent traffic.
        self.capture: deque[CapturedFrame] = deque(maxlen=capture_limit)
        self.counters = SegmentCounters()

    def __repr__(self) -> str:
        return f"Segment({self.name!r}, ports={[p.name for p in self.ports]})"

    def attach(
        self,
        endpoint: Endpoint,
        *,
        name: str,
        kind: PortKind = PortKind.HOST,
        addresses: PortAddresses | None = None,
    ) -> Port:
        """A new port for `endpoint`; `addresses` (its MAC and IP) bind the port to them for
        anti-spoofing and pin the MAC to it."""
        if any(p.name == name for p in self.ports):
            raise ValueError(f"segment {self.name} already has a port named {name!r}")
        if addresses is not None and addresses.mac in self.pinned:
            owner = self.pinned[addresses.mac].name
            raise ValueError(f"segment {self.name}: MAC {addresses.mac} already belongs to port {owner!r}")
        port = Port(len(self.ports), name, kind, endpoint, self, addresses)
        self.ports.append(port)
        if addresses is not None:
            self.pinned[addresses.mac] = port
            if self._anti_spoofing:
                self.mac_table[addresses.mac] = port
        return port

    @property
    def anti_spoofing(self) -> bool:
        """Port security on every port attached with its addresses (see the module's docstring)."""
        return self._anti_spoofing

    @anti_spoofing.setter
    def anti_spoofing(self, on: bool) -> None:
        if on and not self._anti_spoofing:
            # Pinned MACs become static entries, replacing whatever a forger made the switch learn.
            self.mac_table.update(self.pinned)
        self._anti_spoofing = on

    def port(self, name: str) -> Port:
        for port in self.ports:
            if port.name == name:
                return port
        raise KeyError(f"segment {self.name} has no port {name!r}")

    def _event(self, now: int, line: Line) -> None:
        if self.on_event is not None:
            self.on_event(NetEvent.of(now, self.name, line))

    def transmit(self, port: Port, frame: bytes, now: int) -> bool:
        """Queue a frame from `port`; the wire pads it to 60 bytes. False if it was dropped."""
        if len(frame) < ETH_HEADER_LEN or len(frame) > ETH_MAX_FRAME:
            self.counters.bad_frames += 1
            self._event(now, SWITCH_BAD_FRAME(port=port.name, size=len(frame)))
            return False
        frame = pad_frame(bytes(frame))
        port.counters.rx_frames += 1
        port.counters.rx_bytes += len(frame)
        self.capture.append(CapturedFrame(now, port.name, frame))
        if len(self.pending) >= self.queue_limit:
            self.counters.queue_drops += 1
            self._event(now, SWITCH_QUEUE_FULL(port=port.name))
            return False
        self.pending.append((port, frame))
        return True

    def forward(self, now: int) -> int:
        """Move the frames queued before this call; frames sent in reply wait for the next call."""
        delivered = 0
        for _ in range(len(self.pending)):
            src, frame = self.pending.popleft()
            delivered += self._switch(src, frame, now)
        return delivered

    def _switch(self, src: Port, frame: bytes, now: int) -> int:
        own = src.addresses
        if self._anti_spoofing and own is not None:
            # Port security. The common case (IPv4 from the port's own addresses) is checked
            # inline; the port's MAC is pinned, so there is nothing to learn from the frame.
            if frame[6:14] != own.ipv4_head or frame[26:30] != own.ip_raw:
                forged = own.forged(frame)
                if forged is not None:
                    return self._spoofed(
                        src, SPOOF_NOT_OWN(port=src.name, forged=forged, mac=own.mac, ip=own.ip), now
                    )
        else:
            src_mac = mac_from_bytes(frame[6:12])
            owner = self.pinned.get(src_mac, src) if self._anti_spoofing else src
            if owner is not src:  # a port without addresses sends with a pinned MAC
                return self._spoofed(src, SPOOF_PINNED(port=src.name, mac=src_mac, dst=owner.name), now)
            if not frame[6] & 1 and (src_mac in self.mac_table or len(self.mac_table) < self.mac_table_limit):
                self.mac_table[src_mac] = src
        out = None if frame[0] & 1 else self.mac_table.get(mac_from_bytes(frame[0:6]))
        if out is None:
            self.counters.flooded += 1
            targets = [p for p in self.ports if p is not src]
        elif out is src:
            self.counters.filtered += 1
            return 0
        else:
            self.counters.forwarded += 1
            targets = [out]
        delivered = 0
        for dst in targets:
            if self.acl is not None:
                reason = self.acl(src, dst, frame)
                if reason is not None:
                    dst.counters.acl_drops += 1
                    self._event(now, ACL_DROP(src=src.name, dst=dst.name, reason=reason))
                    continue
            if dst.endpoint.deliver(frame, now):
                dst.counters.tx_frames += 1
                dst.counters.tx_bytes += len(frame)
                delivered += 1
            else:
                dst.counters.endpoint_drops += 1
        return delivered

    def _spoofed(self, src: Port, line: Line, now: int) -> int:
        src.counters.spoof_drops += 1
        self.counters.spoofed += 1
        self._event(now, line)
        return 0
