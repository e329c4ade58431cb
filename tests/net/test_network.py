"""The scenario's network: separate segments, one clock, plain-data views for the UIs."""

from __future__ import annotations

import json

import pytest

from lab.net.frames import arp_request, udp_frame
from lab.net.mgmt import ManagementService
from lab.net.network import Network
from lab.net.pcap import read_pcap
from lab.net.vnic import Vnic
from tests.net.conftest import FakeVms


def _hardened_layout() -> tuple[Network, Vnic, Vnic, Vnic]:
    """Management on its own segment: the tenants cannot reach it, the admin can."""
    net = Network()
    net.add_segment("tenants")
    net.add_segment("mgmt")
    a = net.add_vnic("tenants", Vnic(1, "10.0.0.11"))
    b = net.add_vnic("tenants", Vnic(2, "10.0.0.12"))
    admin = net.add_vnic("mgmt", Vnic(9, "10.0.1.9", name="admin"))
    net.add_service("mgmt", ManagementService(FakeVms(), ip="10.0.1.1"))
    return net, a, b, admin


def test_segments_are_separate_broadcast_domains():
    net, a, b, admin = _hardened_layout()
    a.send(arp_request(a.mac, a.ip, "10.0.1.1"), 0)  # a tenant looks for the management host
    admin.send(arp_request(admin.mac, admin.ip, "10.0.1.1"), 0)
    net.tick(100)
    assert b.pending == 1 and a.pending == 0  # a's ARP stayed on the tenant segment, unanswered
    assert admin.pending == 1  # the management host answered the admin
    assert [p["summary"] for p in net.packets("mgmt")] == [
        "ARP who-has 10.0.1.1 tell 10.0.1.9",
        "ARP 10.0.1.1 is-at 02:00:00:00:00:fe",
    ]
    assert [p["time"] for p in net.packets("tenants")] == [0]
    _, records = read_pcap(net.capture("tenants"))
    assert len(records) == 1


def test_stats_are_plain_data():
    net, a, b, _ = _hardened_layout()
    a.send(udp_frame(a.mac, b.mac, a.ip, b.ip, 1, 2, b"hi"), 0)
    net.tick(1)
    stats = json.loads(json.dumps(net.stats()))
    assert stats["segments"]["tenants"]["flooded"] == 1
    assert stats["segments"]["tenants"]["ports"]["vif2"]["tx_frames"] == 1
    assert stats["segments"]["tenants"]["mac_table"] == {a.mac: "vif1"}
    assert stats["vnics"]["vif1"] == {
        "mac": a.mac,
        "ip": a.ip,
        "tx_frames": 1,
        "tx_bytes": 60,
        "tx_drops": 0,
        "rx_frames": 0,
        "rx_bytes": 0,
        "rx_drops": 0,
    }
    assert stats["services"]["mgmt"]["ip"] == "10.0.1.1"


def test_names_are_checked():
    net, *_ = _hardened_layout()
    with pytest.raises(KeyError, match="no segment 'dmz'"):
        net.capture("dmz")
    with pytest.raises(ValueError, match="already exists"):
        net.add_segment("mgmt")
    with pytest.raises(ValueError, match="already has a port"):
        net.add_vnic("tenants", Vnic(1, "10.0.0.99"))
