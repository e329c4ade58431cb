"""Frames: they round-trip, an independent parser (dpkt) agrees on every field and checksum,
and malformed input is refused with a reason."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lab.net.frames import (
    Arp,
    ArpOp,
    Ethernet,
    EtherType,
    FrameError,
    IcmpEcho,
    IcmpType,
    IpProto,
    Ipv4,
    Udp,
    arp_reply,
    arp_request,
    describe,
    icmp_echo_frame,
    inet_checksum,
    parse,
    udp_frame,
)

dpkt = pytest.importorskip("dpkt")

A_MAC, B_MAC = "02:00:00:00:00:02", "02:00:00:00:00:03"
A_IP, B_IP = "10.0.0.2", "10.0.0.3"

macs = st.binary(min_size=6, max_size=6).map(lambda b: ":".join(f"{x:02x}" for x in b))
ips = st.binary(min_size=4, max_size=4).map(lambda b: ".".join(str(x) for x in b))
ports = st.integers(0, 0xFFFF)
payloads = st.binary(max_size=1400)


def _dpkt_checksums_agree(frame: bytes) -> None:
    """Zero every checksum in dpkt's decode and let dpkt recompute them: ours must match."""
    eth = dpkt.ethernet.Ethernet(frame)
    ip = eth.data
    ours_ip, ours_l4 = ip.sum, ip.data.sum
    ip.sum = 0
    ip.data.sum = 0
    if isinstance(ip.data, dpkt.icmp.ICMP):
        ip.data.data = bytes(ip.data.data)  # recompute over the raw echo body
    rebuilt = dpkt.ip.IP(bytes(ip))
    assert rebuilt.sum == ours_ip
    assert rebuilt.data.sum == ours_l4


@settings(max_examples=150, deadline=None)
@given(macs, macs, ips, ips, ports, ports, payloads, st.integers(0, 0xFFFF))
def test_udp_frame_matches_dpkt(src_mac, dst_mac, src_ip, dst_ip, sport, dport, payload, ident):
    frame = udp_frame(src_mac, dst_mac, src_ip, dst_ip, sport, dport, payload, ident=ident)
    assert len(frame) >= 60
    eth = dpkt.ethernet.Ethernet(frame)
    assert eth.type == dpkt.ethernet.ETH_TYPE_IP
    assert dpkt.utils.mac_to_str(eth.src) == src_mac and dpkt.utils.mac_to_str(eth.dst) == dst_mac
    ip = eth.data
    assert (dpkt.utils.inet_to_str(ip.src), dpkt.utils.inet_to_str(ip.dst)) == (src_ip, dst_ip)
    assert ip.p == dpkt.ip.IP_PROTO_UDP and ip.id == ident and ip.df == 1 and ip.ttl == 64
    assert (ip.data.sport, ip.data.dport, bytes(ip.data.data)) == (sport, dport, payload)
    _dpkt_checksums_agree(frame)
    # and our own parser gets everything back, padding stripped by the IP total length
    packet = parse(frame)
    assert packet.udp == Udp(sport, dport, payload)
    assert (packet.ip.src, packet.ip.dst, packet.ip.ident) == (src_ip, dst_ip, ident)


@settings(max_examples=100, deadline=None)
@given(macs, macs, ips, ips, st.booleans(), ports, ports, payloads)
def test_icmp_echo_matches_dpkt(src_mac, dst_mac, src_ip, dst_ip, reply, ident, seq, payload):
    frame = icmp_echo_frame(
        src_mac, dst_mac, src_ip, dst_ip, reply=reply, ident=ident, seq=seq, payload=payload
    )
    icmp = dpkt.ethernet.Ethernet(frame).data.data
    assert icmp.type == (dpkt.icmp.ICMP_ECHOREPLY if reply else dpkt.icmp.ICMP_ECHO)
    assert (icmp.data.id, icmp.data.seq, bytes(icmp.data.data)) == (ident, seq, payload)
    _dpkt_checksums_agree(frame)
    assert parse(frame).icmp == IcmpEcho(IcmpType(icmp.type), ident, seq, payload)


def test_arp_request_and_reply_match_dpkt():
    request = arp_request(A_MAC, A_IP, B_IP)
    assert len(request) == 60  # 42 bytes padded to the Ethernet minimum
    eth = dpkt.ethernet.Ethernet(request)
    assert dpkt.utils.mac_to_str(eth.dst) == "ff:ff:ff:ff:ff:ff"
    arp = eth.arp
    assert arp.op == dpkt.arp.ARP_OP_REQUEST
    assert dpkt.utils.inet_to_str(arp.spa) == A_IP and dpkt.utils.inet_to_str(arp.tpa) == B_IP
    reply = parse(arp_reply(B_MAC, B_IP, A_MAC, A_IP))
    assert reply.eth.dst == A_MAC
    assert reply.arp == Arp(ArpOp.REPLY, B_MAC, B_IP, A_MAC, A_IP)


@settings(max_examples=50, deadline=None)
@given(ips, ips, ports, ports, payloads)
def test_frames_built_by_dpkt_parse_here(src_ip, dst_ip, sport, dport, payload):
    udp = dpkt.udp.UDP(sport=sport, dport=dport, data=payload)
    udp.ulen = 8 + len(payload)
    ip = dpkt.ip.IP(
        src=bytes(int(x) for x in src_ip.split(".")),
        dst=bytes(int(x) for x in dst_ip.split(".")),
        p=dpkt.ip.IP_PROTO_UDP,
        data=udp,
    )
    ip.len = 20 + udp.ulen
    eth = dpkt.ethernet.Ethernet(src=b"\x02" + bytes(5), dst=b"\x02" + bytes(4) + b"\x01", data=ip)
    packet = parse(bytes(eth))
    assert packet.udp == Udp(sport, dport, payload)


def test_layers_round_trip():
    ip = Ipv4(A_IP, B_IP, IpProto.UDP, Udp(1, 2, b"x").to_bytes(A_IP, B_IP), ttl=7, ident=9)
    assert Ipv4.from_bytes(ip.to_bytes()) == ip
    eth = Ethernet(B_MAC, A_MAC, EtherType.IPV4, ip.to_bytes())
    assert Ethernet.from_bytes(eth.to_bytes()).payload[: len(eth.payload)] == eth.payload


def test_checksum_of_buffer_with_its_checksum_is_zero():
    # RFC 1071's example words 0001 f203 f4f5 f6f7 sum to ddf2, so the checksum is 220d.
    assert inet_checksum(bytes.fromhex("0001f203f4f5f6f7")) == 0x220D
    assert inet_checksum(bytes.fromhex("0001f203f4f5f6f7220d")) == 0


@pytest.mark.parametrize(
    ("offset", "message"),
    [(14 + 10, "IPv4 header checksum"), (14 + 20 + 6, "UDP checksum"), (14 + 20 + 8, "UDP checksum")],
)
def test_corrupted_frames_are_refused_with_the_reason(offset, message):
    frame = bytearray(udp_frame(A_MAC, B_MAC, A_IP, B_IP, 1000, 2000, b"hello"))
    frame[offset] ^= 0x01
    with pytest.raises(FrameError, match=message):
        parse(bytes(frame))
    assert describe(bytes(frame)).startswith("malformed")


def test_a_frame_seen_again_is_decoded_once_and_its_packet_cannot_change():
    frame = udp_frame(A_MAC, B_MAC, A_IP, B_IP, 1000, 2000, b"flood")
    first = parse(frame)
    assert parse(bytearray(frame)) is first  # a flood's copies: decoded the first time only
    assert first.udp is not None and first.udp.payload == b"flood"
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.udp.payload = b"changed"  # type: ignore[misc]  # shared: nobody may edit it
    other = parse(udp_frame(A_MAC, B_MAC, A_IP, B_IP, 1000, 2000, b"other"))
    assert other is not first and other.udp is not None and other.udp.payload == b"other"
    bad = bytearray(frame)
    bad[14 + 10] ^= 0x01
    for _ in range(2):  # a malformed frame is refused every time it comes, never remembered
        with pytest.raises(FrameError, match="IPv4 header checksum"):
            parse(bytes(bad))


def test_truncated_and_oversized_frames_are_refused():
    frame = udp_frame(A_MAC, B_MAC, A_IP, B_IP, 1000, 2000, b"x" * 100)
    with pytest.raises(FrameError, match="total length"):
        parse(frame[:60])
    with pytest.raises(FrameError, match="shorter than its 14-byte header"):
        parse(frame[:10])
    with pytest.raises(FrameError, match="exceeds"):
        udp_frame(A_MAC, B_MAC, A_IP, B_IP, 1, 2, b"x" * 1473)
    assert len(udp_frame(A_MAC, B_MAC, A_IP, B_IP, 1, 2, b"x" * 1472)) == 1514


def test_bad_addresses_are_refused():
    with pytest.raises(FrameError, match="MAC"):
        arp_request("02:00:00:00:00", A_IP, B_IP)
    with pytest.raises(FrameError, match="IPv4 address"):
        arp_request(A_MAC, "10.0.0.256", B_IP)


def test_describe_reads_like_tcpdump():
    login = udp_frame(A_MAC, B_MAC, A_IP, "10.0.0.1", 40000, 6230, b"LOGIN admin hunter2\n")
    assert describe(login) == '10.0.0.2 > 10.0.0.1 UDP 40000 > 6230 len 20 "LOGIN admin hunter2."'
    assert describe(arp_request(A_MAC, A_IP, B_IP)) == "ARP who-has 10.0.0.3 tell 10.0.0.2"
    assert describe(arp_reply(B_MAC, B_IP, A_MAC, A_IP)) == f"ARP 10.0.0.3 is-at {B_MAC}"
    ping = icmp_echo_frame(A_MAC, B_MAC, A_IP, B_IP, ident=7, seq=1, payload=b"abcd")
    assert describe(ping) == "10.0.0.2 > 10.0.0.3 ICMP echo request id 7 seq 1 len 4"
    long = udp_frame(A_MAC, B_MAC, A_IP, B_IP, 1, 2, b"A" * 40)
    assert describe(long).endswith('"' + "A" * 32 + '..."')
