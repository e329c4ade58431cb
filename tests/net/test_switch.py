"""The learning switch: floods until it has learned, then forwards to one port; ACL; capture;
anti-spoofing (port security and pinned MACs)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lab.net.events import NetEventKind
from lab.net.frames import (
    Arp,
    ArpOp,
    Ethernet,
    EtherType,
    arp_reply,
    arp_request,
    icmp_echo_frame,
    parse,
    udp_frame,
)
from lab.net.switch import PortKind, Segment, isolate
from lab.net.vnic import Vnic


def _three_nics(segment: Segment) -> tuple[Vnic, Vnic, Vnic]:
    nics = tuple(Vnic(domid, f"10.0.0.{10 + domid}") for domid in (1, 2, 3))
    for nic in nics:
        nic.connect(segment)
    return nics


def _udp(src: Vnic, dst: Vnic, payload: bytes = b"hi") -> bytes:
    return udp_frame(src.mac, dst.mac, src.ip, dst.ip, 4000, 5000, payload)


def test_unknown_unicast_floods_then_learning_stops_the_flood():
    segment = Segment("lan")
    a, b, c = _three_nics(segment)
    a.send(_udp(a, b), 0)
    segment.forward(0)
    assert (b.pending, c.pending) == (1, 1)  # b's MAC unknown: every other port gets it
    assert segment.counters.flooded == 1
    b.send(_udp(b, a), 1)  # a's MAC was learned from its first frame
    segment.forward(1)
    assert (a.pending, c.pending) == (1, 1)  # a alone got the reply; c still holds only the flood
    a.send(_udp(a, b), 2)  # and now b is known too
    segment.forward(2)
    assert (b.pending, c.pending) == (2, 1)
    assert segment.counters.forwarded == 2
    assert segment.mac_table == {a.mac: a.port, b.mac: b.port}


def test_broadcast_reaches_every_other_port_and_not_the_sender():
    segment = Segment("lan")
    a, b, c = _three_nics(segment)
    a.send(arp_request(a.mac, a.ip, c.ip), 0)
    segment.forward(0)
    assert (a.pending, b.pending, c.pending) == (0, 1, 1)


def test_a_spoofed_source_mac_steals_the_victims_table_entry():
    segment = Segment("lan")
    a, b, _c = _three_nics(segment)
    a.send(_udp(a, b), 0)
    b.send(_udp(b, a), 0)
    segment.forward(0)
    assert segment.mac_table[b.mac] is b.port
    b.rx.clear()
    # a sends with b's source MAC: the switch now believes b lives behind a's port ...
    a.send(udp_frame(b.mac, a.mac, b.ip, a.ip, 1, 2, b""), 1)
    segment.forward(1)
    assert segment.mac_table[b.mac] is a.port
    # ... so a frame for b coming from that port is filtered: it never reaches b.
    a.send(_udp(a, b), 2)
    segment.forward(2)
    assert segment.counters.filtered == 2
    assert b.pending == 0


def test_mac_table_full_turns_the_switch_into_a_hub():
    segment = Segment("lan", mac_table_limit=2)
    a, b, c = _three_nics(segment)
    for t, nic in enumerate((a, b, c)):
        nic.send(arp_request(nic.mac, nic.ip, "10.0.0.99"), t)
    segment.forward(3)
    assert set(segment.mac_table) == {a.mac, b.mac}
    for nic in (a, b, c):
        nic.rx.clear()
    a.send(_udp(a, c), 4)  # c was never learned: flooded, b sees a's traffic to c
    segment.forward(4)
    assert b.pending == 1 and c.pending == 1


def test_acl_isolates_the_management_port_with_a_reason():
    events = []
    segment = Segment("lan", acl=isolate(PortKind.MGMT, allow=("admin",)), on_event=events.append)
    vm = Vnic(1, "10.0.0.11")
    admin = Vnic(2, "10.0.0.12", name="admin")
    mgmt = Vnic(0xFE, "10.0.0.1")
    vm.connect(segment)
    admin.connect(segment)
    segment.attach(mgmt, name="mgmt", kind=PortKind.MGMT)
    vm.send(arp_request(vm.mac, vm.ip, mgmt.ip), 0)
    admin.send(arp_request(admin.mac, admin.ip, mgmt.ip), 0)
    segment.forward(0)
    assert mgmt.pending == 1  # the admin's ARP only
    assert parse(mgmt.recv()).arp.sender_ip == admin.ip
    assert admin.pending == 1 and vm.pending == 1  # VMs still see each other
    assert segment.port("mgmt").counters.acl_drops == 1
    assert [(e.kind, e.detail) for e in events] == [
        (NetEventKind.ACL_DROP, "vif1 -> mgmt: vif1 may not reach the mgmt port")
    ]


def test_capture_tap_records_every_frame_with_its_time_and_ingress_port():
    segment = Segment("lan", capture_limit=3)
    a, b, _c = _three_nics(segment)
    for t in range(5):
        a.send(_udp(a, b, bytes([t])), 100 * t)
    assert [(c.time, c.port) for c in segment.capture] == [(200, "vif1"), (300, "vif1"), (400, "vif1")]
    assert all(len(c.frame) == 60 for c in segment.capture)


def test_port_counters_and_bad_frames():
    segment = Segment("lan", queue_limit=2)
    a, b, _c = _three_nics(segment)
    assert not segment.transmit(a.port, b"\x00" * 10, 0)
    for _ in range(3):
        segment.transmit(a.port, _udp(a, b), 0)
    assert (segment.counters.bad_frames, segment.counters.queue_drops) == (1, 1)
    segment.forward(0)
    assert (a.port.counters.rx_frames, a.port.counters.rx_bytes) == (3, 180)
    assert (b.port.counters.tx_frames, b.port.counters.tx_bytes) == (2, 120)


# ---- anti-spoofing: port security and pinned MACs


def _guarded(**options) -> tuple[Segment, list, Vnic, Vnic, Vnic]:
    events: list = []
    segment = Segment("lan", anti_spoofing=True, on_event=events.append, **options)
    return (segment, events, *_three_nics(segment))


def test_anti_spoofing_drops_a_forged_source_mac_and_keeps_the_victims_entry():
    segment, events, a, b, _c = _guarded()
    # a claims b's MAC (the attack of test_a_spoofed_source_mac_steals_the_victims_table_entry)
    a.send(udp_frame(b.mac, a.mac, b.ip, a.ip, 1, 2, b""), 1)
    segment.forward(1)
    assert segment.mac_table[b.mac] is b.port and a.pending == 0
    a.send(_udp(a, b), 2)
    segment.forward(2)
    assert b.pending == 1  # still reaches b
    assert (a.port.counters.rx_frames, a.port.counters.spoof_drops, segment.counters.spoofed) == (2, 1, 1)
    assert [(e.kind, e.detail) for e in events] == [
        (
            NetEventKind.SPOOF_DROP,
            "vif1: source MAC 02:00:00:00:00:02 is not its own (it is 02:00:00:00:00:01 10.0.0.11)",
        )
    ]
    assert len(segment.capture) == 2  # the tap sits before the filter: the forgery is on record


def test_anti_spoofing_checks_the_ipv4_source_and_the_arp_sender():
    segment, events, a, b, c = _guarded()
    a.send(udp_frame(a.mac, b.mac, c.ip, b.ip, 1, 2, b"from c, honest"), 0)  # own MAC, c's IP
    a.send(arp_reply(a.mac, c.ip, b.mac, b.ip), 0)  # "c's IP is at my MAC": ARP spoofing
    forged_sender = Arp(ArpOp.REPLY, c.mac, a.ip, b.mac, b.ip).to_bytes()  # in a frame from a's MAC
    a.send(Ethernet(b.mac, a.mac, EtherType.ARP, forged_sender).to_bytes(), 0)
    segment.forward(0)
    assert b.pending == 0 and a.port.counters.spoof_drops == 3
    assert [e.detail.split(" is not")[0] for e in events] == [
        "vif1: source IP 10.0.0.13",
        "vif1: ARP sender 02:00:00:00:00:01 10.0.0.13",
        "vif1: ARP sender 02:00:00:00:00:03 10.0.0.11",
    ]


def test_anti_spoofing_lets_every_honest_frame_through():
    segment, events, a, b, _c = _guarded()
    a.send(arp_request(a.mac, a.ip, b.ip), 0)
    b.send(arp_reply(b.mac, b.ip, a.mac, a.ip), 0)
    a.send(icmp_echo_frame(a.mac, b.mac, a.ip, b.ip, ident=1, seq=1), 0)
    a.send(_udp(a, b), 0)
    a.send(Ethernet(b.mac, a.mac, 0x88B5, b"local experimental EtherType").to_bytes(), 0)  # no IP to check
    segment.forward(0)
    assert (a.pending, b.pending) == (1, 4) and events == []
    assert sum(p.counters.spoof_drops for p in segment.ports) == 0


def test_pinned_macs_are_known_before_any_traffic_and_never_learned_elsewhere():
    events: list = []
    segment = Segment("lan", on_event=events.append)
    a, b, c = _three_nics(segment)
    host = segment.attach(Vnic(9, "10.0.0.99"), name="harness")  # a port without addresses
    assert segment.mac_table == {}
    host.transmit(udp_frame(b.mac, a.mac, b.ip, a.ip, 1, 2, b""), 0)  # poisons b's entry ...
    segment.forward(0)
    assert segment.mac_table[b.mac] is host
    segment.anti_spoofing = True  # ... which turning anti-spoofing on repairs
    assert segment.mac_table == {a.mac: a.port, b.mac: b.port, c.mac: c.port}
    host.transmit(udp_frame(b.mac, a.mac, b.ip, a.ip, 1, 2, b""), 1)
    segment.forward(1)
    assert segment.mac_table[b.mac] is b.port and host.counters.spoof_drops == 1
    assert events[-1].detail == "harness: source MAC 02:00:00:00:00:02 is pinned to port vif2"
    host.transmit(udp_frame("02:00:00:00:00:09", a.mac, "10.0.0.99", a.ip, 1, 2, b""), 2)
    segment.forward(2)
    assert segment.mac_table["02:00:00:00:00:09"] is host  # an unpinned MAC is learned as ever
    for nic in (a, b, c):
        nic.rx.clear()
    a.send(_udp(a, c), 3)  # c was never seen sending: pinned, so no flood reaches b
    segment.forward(3)
    assert (b.pending, c.pending) == (0, 1)


def test_a_mac_belongs_to_one_port():
    segment = Segment("lan")
    Vnic(1, "10.0.0.11").connect(segment)
    with pytest.raises(ValueError, match="MAC 02:00:00:00:00:01 already belongs to port 'vif1'"):
        Vnic(1, "10.0.0.12", name="twin").connect(segment)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 3),  # the sending port (3: the harness, without addresses)
            st.integers(0, 4),  # source MAC: one of the three NICs', the harness's, a stranger's
            st.integers(0, 4),  # source IP, likewise
            st.sampled_from(["udp", "arp", "other"]),
            st.booleans(),  # anti-spoofing on before this frame
        ),
        max_size=40,
    )
)
def test_with_anti_spoofing_no_port_sends_as_another_and_no_pinned_mac_moves(frames) -> None:
    segment = Segment("lan")
    nics = _three_nics(segment)
    host = segment.attach(Vnic(9, "10.0.0.99"), name="harness")
    ports = [nic.port for nic in nics] + [host]
    macs = [nic.mac for nic in nics] + ["02:00:00:00:00:09", "02:00:00:00:00:42"]
    ips = [nic.ip for nic in nics] + ["10.0.0.99", "10.0.0.42"]
    for t, (sender, mac, ip, kind, on) in enumerate(frames):
        segment.anti_spoofing = on
        if kind == "udp":
            frame = udp_frame(macs[mac], "ff:ff:ff:ff:ff:ff", ips[ip], "10.0.0.255", 1, 2, b"x")
        elif kind == "arp":
            frame = arp_reply(macs[mac], ips[ip], "ff:ff:ff:ff:ff:ff", "10.0.0.255")
        else:
            frame = Ethernet("ff:ff:ff:ff:ff:ff", macs[mac], 0x88B5, b"x").to_bytes()
        before = [nic.pending for nic in nics]
        ports[sender].transmit(frame, t)
        segment.forward(t)
        delivered = [nic.pending for nic in nics] != before
        if on and sender < 3:  # a NIC's port: only its own MAC, and in IPv4 and ARP its own IP
            honest = mac == sender and (kind == "other" or ip == sender)
            assert delivered == honest
        if on and sender == 3:  # the harness may not use a pinned MAC
            assert delivered == (mac >= 3)
        if on:
            assert all(segment.mac_table[nic.mac] is nic.port for nic in nics)
