"""pcap capture: instruction time maps to timestamps, dpkt reads our files, tshark finds nothing malformed."""

from __future__ import annotations

import io
import subprocess

import pytest

from lab.net.frames import arp_request, icmp_echo_frame, udp_frame
from lab.net.mgmt import MGMT_MAC, MGMT_PORT
from lab.net.pcap import (
    LINKTYPE_ETHERNET,
    PcapError,
    instructions_to_timestamp,
    read_pcap,
    write_pcap,
)
from tests.net.conftest import FakeVms
from tests.net.test_mgmt import MGMT_IP, Station, _network
from tests.tools import require_tool

dpkt = pytest.importorskip("dpkt")


def test_one_instruction_is_ten_nanoseconds():
    assert instructions_to_timestamp(0) == (0, 0)
    assert instructions_to_timestamp(100) == (0, 1)  # 100 instructions = 1 µs
    assert instructions_to_timestamp(100_000_000) == (1, 0)  # 100 MIPS: one second
    assert instructions_to_timestamp(250_000_150) == (2, 500_001)


def test_round_trip_and_header():
    frames = [(0, bytes(60)), (150, b"\x01" * 1514), (10**12, b"\x02" * 64)]
    data = write_pcap(frames)
    assert data[:4] == bytes.fromhex("d4c3b2a1")  # 0xa1b2c3d4 written little-endian
    linktype, records = read_pcap(data)
    assert linktype == LINKTYPE_ETHERNET
    assert [(r.seconds, r.micros, r.data, r.orig_len) for r in records] == [
        (0, 0, bytes(60), 60),
        (0, 1, b"\x01" * 1514, 1514),
        (10_000, 0, b"\x02" * 64, 64),
    ]


def test_reader_refuses_what_is_not_pcap():
    with pytest.raises(PcapError, match="magic"):
        read_pcap(b"\x00" * 24)
    with pytest.raises(PcapError, match="file ends first"):
        read_pcap(write_pcap([(0, bytes(60))])[:-1])


def _scenario_capture() -> tuple[bytes, int]:
    """A small management-network session: ARP, ping, login, commands, UDP between VMs."""
    net, _, _ = _network(FakeVms())
    admin, vm = Station(net, 2, "admin"), Station(net, 3, "vm3")
    nic = admin.nic
    nic.send(arp_request(nic.mac, nic.ip, MGMT_IP), 1000)
    nic.send(icmp_echo_frame(nic.mac, MGMT_MAC, nic.ip, MGMT_IP, ident=9, seq=1, payload=b"0123456789"), 1100)
    net.tick(2000)
    token = admin.ask(net, "LOGIN admin admin", 3000).split()[1]
    admin.ask(net, f"{token} LIST", 4000)
    admin.ask(net, f"{token} PAUSE web", 5000)
    vm.request("LOGIN admin guess", 6000)
    vm.nic.send(udp_frame(vm.nic.mac, nic.mac, vm.nic.ip, nic.ip, 40001, 7, b"x" * 1000), 6000)
    net.tick(7000)
    captured = net.segment("lan").capture
    return net.capture("lan"), len(captured)


def test_dpkt_reads_a_scenario_capture():
    data, count = _scenario_capture()
    reader = dpkt.pcap.Reader(io.BytesIO(data))
    assert reader.datalink() == dpkt.pcap.DLT_EN10MB
    packets = list(reader)
    assert len(packets) == count == 13  # 2 ARP, 2 ICMP, 9 UDP
    assert packets[0][0] == pytest.approx(1000 * 10e-9)  # 1000 instructions = 10 µs
    kinds = [type(dpkt.ethernet.Ethernet(buf).data).__name__ for _, buf in packets]
    assert kinds.count("ARP") == 2
    ips = [
        dpkt.ethernet.Ethernet(buf).data
        for (_, buf), kind in zip(packets, kinds, strict=True)
        if kind == "IP"
    ]
    udp = [ip.data for ip in ips if ip.p == dpkt.ip.IP_PROTO_UDP]
    assert len(udp) == 9
    assert next(bytes(u.data) for u in udp if u.dport == MGMT_PORT) == b"LOGIN admin admin"


def test_tshark_reads_a_scenario_capture_without_complaint(tmp_path):
    tshark = require_tool("tshark")
    data, count = _scenario_capture()
    path = tmp_path / "lan.pcap"
    path.write_bytes(data)
    listing = subprocess.run([tshark, "-r", str(path)], capture_output=True, text=True, check=True).stdout
    assert len(listing.splitlines()) == count
    assert "Echo (ping) reply" in listing and "is at 02:00:00:00:00:fe" in listing
    problems = subprocess.run(
        [tshark, "-r", str(path), "-Y", "_ws.malformed || _ws.expert.severity >= warning"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert problems == ""
