"""Wire formats: Ethernet II, ARP, IPv4, UDP and ICMP echo, built and parsed byte for byte.

Each layer is a record with `to_bytes()` and `from_bytes()`; parsing checks what a
real stack checks (lengths, versions, checksums) and raises `FrameError` saying
what is wrong. `parse(frame)` decodes a whole frame into a `Packet`,
`describe(frame)` gives the one-line summary the UIs show:

    frame = udp_frame(src_mac, dst_mac, "10.0.0.2", "10.0.0.1", 40000, 6230, b"LOGIN admin x")
    describe(frame)  # '10.0.0.2 > 10.0.0.1 UDP 40000 > 6230 len 13 "LOGIN admin x"'

Addresses are text ("02:00:00:00:00:01", "10.0.0.1"): that is what a student types
and what a trace shows. All multi-byte fields are big-endian (network order).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum
from functools import lru_cache
from typing import Final

BROADCAST_MAC: Final = "ff:ff:ff:ff:ff:ff"
ZERO_MAC: Final = "00:00:00:00:00:00"

ETH_HEADER_LEN: Final = 14
# A real NIC pads every frame to 60 bytes (64 on the wire with the 4-byte FCS, which
# captures do not include): shorter frames are "runts" and are discarded by switches.
ETH_MIN_FRAME: Final = 60
# 1500 bytes of payload (the Ethernet MTU) plus the header; FCS excluded.
ETH_MAX_FRAME: Final = 1514

IPV4_HEADER_LEN: Final = 20
UDP_HEADER_LEN: Final = 8
ICMP_HEADER_LEN: Final = 8
ARP_LEN: Final = 28


class FrameError(ValueError):
    """A frame that cannot be built or parsed; the message says which field is wrong."""


class EtherType(IntEnum):
    IPV4 = 0x0800
    ARP = 0x0806


class IpProto(IntEnum):
    ICMP = 1
    UDP = 17


class ArpOp(IntEnum):
    REQUEST = 1
    REPLY = 2


class IcmpType(IntEnum):
    ECHO_REPLY = 0
    ECHO_REQUEST = 8


# --- addresses ---------------------------------------------------------------
# Cached: a lab talks to a handful of addresses, and converting them dominated frame building.


@lru_cache(maxsize=4096)
def mac_to_bytes(mac: str) -> bytes:
    parts = mac.split(":")
    if len(parts) != 6:
        raise FrameError(f"bad MAC address {mac!r}: want six hex bytes separated by ':'")
    try:
        raw = bytes(int(p, 16) for p in parts)
    except ValueError:
        raise FrameError(f"bad MAC address {mac!r}") from None
    if any(len(p) != 2 for p in parts):
        raise FrameError(f"bad MAC address {mac!r}: each byte is two hex digits")
    return raw


def mac_from_bytes(raw: bytes) -> str:
    return _mac_text(bytes(raw))  # bytes(): a bytearray slice cannot be a cache key


@lru_cache(maxsize=4096)
def _mac_text(raw: bytes) -> str:
    return ":".join(f"{b:02x}" for b in raw)


@lru_cache(maxsize=4096)
def ip_to_bytes(ip: str) -> bytes:
    parts = ip.split(".")
    if len(parts) != 4 or not all(p.isdigit() and int(p) <= 255 for p in parts):
        raise FrameError(f"bad IPv4 address {ip!r}")
    return bytes(int(p) for p in parts)


def ip_from_bytes(raw: bytes) -> str:
    return _ip_text(bytes(raw))


@lru_cache(maxsize=4096)
def _ip_text(raw: bytes) -> str:
    return ".".join(str(b) for b in raw)


def is_multicast_mac(mac: str) -> bool:
    """Broadcast and multicast MACs have the low bit of the first byte set (IEEE 802.3)."""
    return bool(int(mac[:2], 16) & 1)


# --- the Internet checksum ----------------------------------------------------


def inet_checksum(data: bytes) -> int:
    """RFC 1071: the one's complement of the one's complement sum of 16-bit words.

    A buffer that already contains its correct checksum sums to 0.
    """
    if len(data) % 2:
        data += b"\x00"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


# --- Ethernet II --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ethernet:
    """dst(6) src(6) ethertype(2) payload; no 802.1Q tag, no FCS (captures omit it)."""

    dst: str
    src: str
    ethertype: int
    payload: bytes

    def to_bytes(self) -> bytes:
        frame = mac_to_bytes(self.dst) + mac_to_bytes(self.src) + struct.pack("!H", self.ethertype)
        frame += self.payload
        if len(frame) > ETH_MAX_FRAME:
            raise FrameError(f"frame of {len(frame)} bytes exceeds the {ETH_MAX_FRAME}-byte maximum")
        return pad_frame(frame)

    @classmethod
    def from_bytes(cls, data: bytes) -> Ethernet:
        if len(data) < ETH_HEADER_LEN:
            raise FrameError(f"Ethernet frame of {len(data)} bytes is shorter than its 14-byte header")
        if len(data) > ETH_MAX_FRAME:
            raise FrameError(f"Ethernet frame of {len(data)} bytes exceeds {ETH_MAX_FRAME}")
        (ethertype,) = struct.unpack_from("!H", data, 12)
        if ethertype < 0x0600:
            raise FrameError(f"length field {ethertype:#06x}: 802.3 frames are not Ethernet II")
        # The payload keeps any padding: the upper layer knows its own length.
        return cls(mac_from_bytes(data[0:6]), mac_from_bytes(data[6:12]), ethertype, bytes(data[14:]))


def pad_frame(frame: bytes) -> bytes:
    """Zero-pad a frame to the 60-byte Ethernet minimum, as a NIC does on transmit."""
    if len(frame) < ETH_MIN_FRAME:
        return frame + bytes(ETH_MIN_FRAME - len(frame))
    return frame


# --- ARP ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Arp:
    """RFC 826 for Ethernet/IPv4: htype 1, ptype 0x0800, hlen 6, plen 4."""

    op: ArpOp
    sender_mac: str
    sender_ip: str
    target_mac: str
    target_ip: str

    def to_bytes(self) -> bytes:
        return (
            struct.pack("!HHBBH", 1, EtherType.IPV4, 6, 4, self.op)
            + mac_to_bytes(self.sender_mac)
            + ip_to_bytes(self.sender_ip)
            + mac_to_bytes(self.target_mac)
            + ip_to_bytes(self.target_ip)
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> Arp:
        if len(data) < ARP_LEN:
            raise FrameError(f"ARP packet of {len(data)} bytes is shorter than 28")
        htype, ptype, hlen, plen, op = struct.unpack_from("!HHBBH", data)
        if (htype, ptype, hlen, plen) != (1, EtherType.IPV4, 6, 4):
            raise FrameError(f"ARP for htype {htype} ptype {ptype:#06x}: only Ethernet/IPv4 is supported")
        try:
            kind = ArpOp(op)
        except ValueError:
            raise FrameError(f"unknown ARP operation {op}") from None
        return cls(
            kind,
            mac_from_bytes(data[8:14]),
            ip_from_bytes(data[14:18]),
            mac_from_bytes(data[18:24]),
            ip_from_bytes(data[24:28]),
        )


# --- IPv4 ---------------------------------------------------------------------

_DF: Final = 0x4000
_MF: Final = 0x2000


@dataclass(frozen=True, slots=True)
class Ipv4:
    """RFC 791 header without options (IHL 5); fragments are rejected on parse."""

    src: str
    dst: str
    protocol: int
    payload: bytes
    ttl: int = 64
    ident: int = 0
    dont_fragment: bool = True
    tos: int = 0

    def to_bytes(self) -> bytes:
        total = IPV4_HEADER_LEN + len(self.payload)
        if total > 0xFFFF:
            raise FrameError(f"IPv4 packet of {total} bytes exceeds 65535")
        flags = _DF if self.dont_fragment else 0
        header = struct.pack(
            "!BBHHHBBH4s4s",
            0x45,
            self.tos,
            total,
            self.ident & 0xFFFF,
            flags,
            self.ttl,
            self.protocol,
            0,
            ip_to_bytes(self.src),
            ip_to_bytes(self.dst),
        )
        checksum = inet_checksum(header)
        return header[:10] + struct.pack("!H", checksum) + header[12:] + self.payload

    @classmethod
    def from_bytes(cls, data: bytes) -> Ipv4:
        if len(data) < IPV4_HEADER_LEN:
            raise FrameError(f"IPv4 packet of {len(data)} bytes is shorter than its 20-byte header")
        vihl, tos, total, ident, frag, ttl, proto, _csum, src, dst = struct.unpack_from("!BBHHHBBH4s4s", data)
        if vihl >> 4 != 4:
            raise FrameError(f"IP version {vihl >> 4}, expected 4")
        ihl = (vihl & 0xF) * 4
        if ihl < IPV4_HEADER_LEN:
            raise FrameError(f"IPv4 header length {ihl} is below 20")
        if total < ihl or total > len(data):
            raise FrameError(f"IPv4 total length {total} does not fit the {len(data)} bytes received")
        if inet_checksum(bytes(data[:ihl])) != 0:
            raise FrameError("IPv4 header checksum is wrong")
        if frag & _MF or frag & 0x1FFF:
            raise FrameError("IPv4 fragments are not supported")
        return cls(
            ip_from_bytes(src),
            ip_from_bytes(dst),
            proto,
            bytes(data[ihl:total]),
            ttl=ttl,
            ident=ident,
            dont_fragment=bool(frag & _DF),
            tos=tos,
        )


# --- UDP ----------------------------------------------------------------------


def _pseudo_header(src_ip: str, dst_ip: str, proto: int, length: int) -> bytes:
    """RFC 768: the checksum also covers the addresses, so a misdelivered datagram fails it."""
    return ip_to_bytes(src_ip) + ip_to_bytes(dst_ip) + struct.pack("!BBH", 0, proto, length)


@dataclass(frozen=True, slots=True)
class Udp:
    src_port: int
    dst_port: int
    payload: bytes

    def to_bytes(self, src_ip: str, dst_ip: str) -> bytes:
        length = UDP_HEADER_LEN + len(self.payload)
        header = struct.pack("!HHHH", self.src_port, self.dst_port, length, 0)
        checksum = inet_checksum(_pseudo_header(src_ip, dst_ip, IpProto.UDP, length) + header + self.payload)
        # 0 means "no checksum" in UDP over IPv4, so a computed 0 is sent as its twin 0xffff.
        checksum = checksum or 0xFFFF
        return header[:6] + struct.pack("!H", checksum) + self.payload

    @classmethod
    def from_bytes(cls, data: bytes, src_ip: str, dst_ip: str) -> Udp:
        if len(data) < UDP_HEADER_LEN:
            raise FrameError(f"UDP datagram of {len(data)} bytes is shorter than its 8-byte header")
        sport, dport, length, checksum = struct.unpack_from("!HHHH", data)
        if length < UDP_HEADER_LEN or length > len(data):
            raise FrameError(f"UDP length {length} does not fit the {len(data)} bytes received")
        segment = bytes(data[:length])
        if checksum and inet_checksum(_pseudo_header(src_ip, dst_ip, IpProto.UDP, length) + segment):
            raise FrameError("UDP checksum is wrong")
        return cls(sport, dport, segment[UDP_HEADER_LEN:])


# --- ICMP echo ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IcmpEcho:
    """RFC 792 echo request (type 8) / reply (type 0): type code checksum ident seq data."""

    type: IcmpType
    ident: int
    seq: int
    payload: bytes = b""

    def to_bytes(self) -> bytes:
        header = struct.pack("!BBHHH", self.type, 0, 0, self.ident & 0xFFFF, self.seq & 0xFFFF)
        checksum = inet_checksum(header + self.payload)
        return header[:2] + struct.pack("!H", checksum) + header[4:] + self.payload

    @classmethod
    def from_bytes(cls, data: bytes) -> IcmpEcho:
        if len(data) < ICMP_HEADER_LEN:
            raise FrameError(f"ICMP message of {len(data)} bytes is shorter than 8")
        kind, code, _csum, ident, seq = struct.unpack_from("!BBHHH", data)
        if inet_checksum(bytes(data)) != 0:
            raise FrameError("ICMP checksum is wrong")
        if kind not in (IcmpType.ECHO_REQUEST, IcmpType.ECHO_REPLY) or code != 0:
            raise FrameError(f"ICMP type {kind} code {code}: only echo request/reply are supported")
        return cls(IcmpType(kind), ident, seq, bytes(data[ICMP_HEADER_LEN:]))


# --- whole frames -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Packet:
    """A decoded frame: the Ethernet header and whichever upper layers it carries."""

    eth: Ethernet
    arp: Arp | None = None
    ip: Ipv4 | None = None
    udp: Udp | None = None
    icmp: IcmpEcho | None = None


def parse(frame: bytes) -> Packet:
    """Decode every layer this lab knows; raises FrameError on the first malformed one.

    The records are immutable, so a frame seen again (a flood sends one frame thousands of
    times) gets the Packet decoded the first time: the checksums are not summed again."""
    key = bytes(frame)
    packet = _PARSED.get(key)
    if packet is None:
        packet = _decode(key)
        if len(_PARSED) >= PARSED_KEPT:
            _PARSED.clear()
        _PARSED[key] = packet
    return packet


PARSED_KEPT: Final = 512  # frames whose Packet `parse` keeps (the memo starts over when full)
_PARSED: dict[bytes, Packet] = {}


def _decode(frame: bytes) -> Packet:
    eth = Ethernet.from_bytes(frame)
    if eth.ethertype == EtherType.ARP:
        return Packet(eth, arp=Arp.from_bytes(eth.payload))
    if eth.ethertype != EtherType.IPV4:
        return Packet(eth)
    ip = Ipv4.from_bytes(eth.payload)
    if ip.protocol == IpProto.UDP:
        return Packet(eth, ip=ip, udp=Udp.from_bytes(ip.payload, ip.src, ip.dst))
    if ip.protocol == IpProto.ICMP:
        return Packet(eth, ip=ip, icmp=IcmpEcho.from_bytes(ip.payload))
    return Packet(eth, ip=ip)


def udp_frame(
    src_mac: str,
    dst_mac: str,
    src_ip: str,
    dst_ip: str,
    src_port: int,
    dst_port: int,
    payload: bytes,
    *,
    ident: int = 0,
    ttl: int = 64,
) -> bytes:
    udp = Udp(src_port, dst_port, payload).to_bytes(src_ip, dst_ip)
    ip = Ipv4(src_ip, dst_ip, IpProto.UDP, udp, ttl=ttl, ident=ident).to_bytes()
    return Ethernet(dst_mac, src_mac, EtherType.IPV4, ip).to_bytes()


def icmp_echo_frame(
    src_mac: str,
    dst_mac: str,
    src_ip: str,
    dst_ip: str,
    *,
    reply: bool = False,
    ident: int = 0,
    seq: int = 0,
    payload: bytes = b"",
    ip_ident: int = 0,
) -> bytes:
    kind = IcmpType.ECHO_REPLY if reply else IcmpType.ECHO_REQUEST
    icmp = IcmpEcho(kind, ident, seq, payload).to_bytes()
    ip = Ipv4(src_ip, dst_ip, IpProto.ICMP, icmp, ident=ip_ident).to_bytes()
    return Ethernet(dst_mac, src_mac, EtherType.IPV4, ip).to_bytes()


def arp_request(sender_mac: str, sender_ip: str, target_ip: str) -> bytes:
    """Who has target_ip? Broadcast, with the target MAC left zero (RFC 826)."""
    arp = Arp(ArpOp.REQUEST, sender_mac, sender_ip, ZERO_MAC, target_ip)
    return Ethernet(BROADCAST_MAC, sender_mac, EtherType.ARP, arp.to_bytes()).to_bytes()


def arp_reply(sender_mac: str, sender_ip: str, target_mac: str, target_ip: str) -> bytes:
    """sender_ip is at sender_mac: unicast back to whoever asked."""
    arp = Arp(ArpOp.REPLY, sender_mac, sender_ip, target_mac, target_ip)
    return Ethernet(target_mac, sender_mac, EtherType.ARP, arp.to_bytes()).to_bytes()


# --- one-line summaries for the UIs -------------------------------------------

_PREVIEW: Final = 32


def _preview(payload: bytes) -> str:
    text = payload[:_PREVIEW].decode("ascii", "replace")
    text = "".join(c if c.isprintable() and c != "\ufffd" else "." for c in text)
    more = "..." if len(payload) > _PREVIEW else ""
    return f'"{text}{more}"'


def describe(frame: bytes) -> str:
    """A one-line, tcpdump-like summary; malformed frames say what is wrong instead of raising."""
    try:
        packet = parse(frame)
    except FrameError as err:
        return f"malformed ({len(frame)} bytes): {err}"
    return summary(packet)


def summary(packet: Packet) -> str:
    """`describe` of a frame already parsed."""
    eth = packet.eth
    if packet.arp is not None:
        arp = packet.arp
        if arp.op == ArpOp.REQUEST:
            return f"ARP who-has {arp.target_ip} tell {arp.sender_ip}"
        return f"ARP {arp.sender_ip} is-at {arp.sender_mac}"
    ip = packet.ip
    if ip is None:
        return f"{eth.src} > {eth.dst} ethertype {eth.ethertype:#06x} len {len(eth.payload)}"
    if packet.udp is not None:
        udp = packet.udp
        return f"{ip.src} > {ip.dst} UDP {udp.src_port} > {udp.dst_port} len {len(udp.payload)}" + (
            f" {_preview(udp.payload)}" if udp.payload else ""
        )
    if packet.icmp is not None:
        icmp = packet.icmp
        what = "echo request" if icmp.type == IcmpType.ECHO_REQUEST else "echo reply"
        return f"{ip.src} > {ip.dst} ICMP {what} id {icmp.ident} seq {icmp.seq} len {len(icmp.payload)}"
    return f"{ip.src} > {ip.dst} IP proto {ip.protocol} len {len(ip.payload)}"
