"""The learning switch: floods until it has learned, then forwards to one port; ACL; capture."""

from __future__ import annotations

from lab.net.events import NetEventKind
from lab.net.frames import arp_request, parse, udp_frame
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
