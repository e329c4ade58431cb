"""vNICs: addressing, UDP between two VMs through a segment, RX overflow, wake-up, TX rate limit."""

from __future__ import annotations

import pytest

from lab.net.frames import parse, udp_frame
from lab.net.network import Network
from lab.net.ratelimit import RateLimiter, TokenBucket
from lab.net.vnic import SendResult, Vnic, vnic_mac


def test_mac_is_locally_administered_and_carries_the_domid():
    assert vnic_mac(1) == "02:00:00:00:00:01"
    assert vnic_mac(0x2A) == "02:00:00:00:00:2a"
    with pytest.raises(ValueError):
        vnic_mac(256)


def test_udp_between_two_vnics_through_a_segment():
    woken = []
    net = Network()
    net.add_segment("lan")
    a = net.add_vnic("lan", Vnic(1, "10.0.0.11"))
    b = net.add_vnic("lan", Vnic(2, "10.0.0.12", wake=lambda: woken.append("b")))
    frame = udp_frame(a.mac, b.mac, a.ip, b.ip, 4000, 7, b"hello b")
    assert a.send(frame, 10) is SendResult.SENT
    assert b.recv() is None  # nothing moves until the network ticks
    net.tick(20)
    got = parse(b.recv())
    assert (got.ip.src, got.udp.dst_port, got.udp.payload) == (a.ip, 7, b"hello b")
    assert woken == ["b"]
    assert (a.counters.tx_frames, a.counters.tx_bytes, b.counters.rx_frames) == (1, 60, 1)


def test_rx_queue_overflow_drops_are_counted():
    net = Network()
    net.add_segment("lan")
    a = net.add_vnic("lan", Vnic(1, "10.0.0.11"))
    b = net.add_vnic("lan", Vnic(2, "10.0.0.12", rx_capacity=4))
    for i in range(10):
        a.send(udp_frame(a.mac, b.mac, a.ip, b.ip, 1, 2, bytes([i])), i)
    net.tick(10)
    assert (b.pending, b.counters.rx_drops) == (4, 6)
    assert b.port.counters.endpoint_drops == 6
    # the oldest frames were kept, as a NIC with no free buffer drops the newcomer
    assert [parse(b.recv()).udp.payload for _ in range(4)] == [b"\x00", b"\x01", b"\x02", b"\x03"]


def test_tx_rate_limiter_refuses_then_refills_with_instruction_time():
    limiter = RateLimiter(ops=TokenBucket(2, 0, 1000))  # 2 frames per 1000 instructions
    net = Network()
    net.add_segment("lan")
    a = net.add_vnic("lan", Vnic(1, "10.0.0.11", rate_limiter=limiter))
    b = net.add_vnic("lan", Vnic(2, "10.0.0.12"))
    frame = udp_frame(a.mac, b.mac, a.ip, b.ip, 1, 2, b"x")
    assert [a.send(frame, 0) for _ in range(3)] == [SendResult.SENT, SendResult.SENT, SendResult.RATE_LIMITED]
    assert a.send(frame, 499) is SendResult.RATE_LIMITED
    assert a.send(frame, 500) is SendResult.SENT
    assert a.counters.tx_drops == 2


def test_sending_checks_length_and_connection_and_pads_like_a_nic():
    lonely = Vnic(5, "10.0.0.15")
    assert lonely.send(bytes(60), 0) is SendResult.NOT_CONNECTED
    net = Network()
    net.add_segment("lan")
    a = net.add_vnic("lan", Vnic(1, "10.0.0.11"))
    assert a.send(bytes(13), 0) is SendResult.BAD_LENGTH
    assert a.send(bytes(1515), 0) is SendResult.BAD_LENGTH
    short = udp_frame(a.mac, "ff:ff:ff:ff:ff:ff", a.ip, "10.0.0.255", 1, 2, b"")[:42]
    assert a.send(short, 0) is SendResult.SENT
    assert len(net.segment("lan").capture[-1].frame) == 60  # padded like a real NIC


def test_the_nic_sends_whatever_source_the_guest_wrote_and_binds_its_port_to_its_own():
    """Like virtio-net, the device does not look inside the frame: a forged source goes
    out (the switch's anti-spoofing decides), and the port knows the NIC's real addresses."""
    net = Network()
    net.add_segment("lan")
    a = net.add_vnic("lan", Vnic(1, "10.0.0.11"))
    forged = udp_frame("02:00:00:00:00:09", "ff:ff:ff:ff:ff:ff", "10.0.0.19", "10.0.0.255", 1, 2, b"")
    assert a.send(forged, 0) is SendResult.SENT
    assert (a.port.addresses.mac, a.port.addresses.ip) == (a.mac, a.ip)
