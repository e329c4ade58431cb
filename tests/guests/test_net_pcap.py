"""Captures of the network scenarios, read by independent parsers: tshark and dpkt.

Each scenario runs headless (`python3 -m hvlab run ... --pcap FILE`) with the
students' commands typed in; tshark must read the capture without a malformed
packet or an expert warning (checksum validation on), and dpkt must parse
every frame the guests built, with IPv4, UDP (pseudo-header) and ICMP
checksums that verify. The frames are built by the guests' assembly, not by
Python: the management host's own frames (MAC 02:00:00:00:00:fe) are left out.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from lab.cpu import backends
from lab.net.mgmt import MGMT_MAC
from lab.net.pcap import read_pcap
from lab.scenario import SCENARIOS_DIR
from tests.tools import require_tool

dpkt = pytest.importorskip("dpkt")

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = {
    "mgmt": [
        "tenant=scan\\nping 10.0.0.1 2\\nping 10.0.0.10 1\\nbrute admin\\nsend 10.0.0.1 6230 odd-length!\\n",
        "admin=send 10.0.0.1 6230 LOGIN admin nope\\n",
    ],
    "mgmt_hardened": [
        "tenant=ping 10.0.0.1 1\\n",
        "admin=ping 10.0.0.1 1\\nsend 10.0.0.1 6230 LOGIN admin x\\n",
    ],
    "flood": [
        "tenant=storm 10.0.0.1 6230 200\\nflood 10.0.0.1 6230 200\\n",
        "admin=send 10.0.0.1 6230 LOGIN admin letmein\\n",
    ],
    # the tenant poses as the management interface (gratuitous ARP, then the admin's login)
    "mgmt_spoofed": [
        "tenant=spoof 02:00:00:00:00:fe 10.0.0.1\\nlisten 6230 1\\n",
        "admin=send 10.0.0.1 6230 LOGIN admin letmein\\n",
    ],
}
FILES = {"mgmt_spoofed": "mgmt"}  # a scenario key that is not a file's name
GUEST_KINDS = {  # what each scenario's guests must have sent at least one of
    "mgmt": {"arp", "icmp", "udp"},
    "mgmt_hardened": {"arp", "icmp", "udp"},
    "flood": {"arp", "udp"},
    "mgmt_spoofed": {"arp", "udp"},
}


@pytest.fixture(scope="module", params=[(s, b) for s in SCENARIOS for b in backends()], ids=str)
def capture(request, tmp_path_factory) -> tuple[str, Path]:
    scenario, backend = request.param
    pcap = tmp_path_factory.mktemp("pcap") / f"{scenario}-{backend}.pcap"
    toml = SCENARIOS_DIR / f"{FILES.get(scenario, scenario)}.toml"
    args = [sys.executable, "-m", "hvlab.cli", "run", str(toml), "--backend", backend]
    args += ["--steps", "3000000", "--pcap", str(pcap)]
    for item in SCENARIOS[scenario]:
        args += ["--input", item]
    done = subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return scenario, pcap


def check_guest_frame(data: bytes) -> str:
    """The frame's kind, after asserting dpkt parses it and its checksums verify."""
    eth = dpkt.ethernet.Ethernet(data)
    if eth.type == dpkt.ethernet.ETH_TYPE_ARP:
        assert isinstance(eth.data, dpkt.arp.ARP) and eth.data.op in (1, 2)
        assert eth.data.sha == data[6:12]  # the sender is who the Ethernet header says
        return "arp"
    assert eth.type == dpkt.ethernet.ETH_TYPE_IP
    ip = eth.data
    assert isinstance(ip, dpkt.ip.IP) and ip.v == 4 and ip.hl == 5
    header, body = data[14:34], data[34 : 14 + ip.len]
    assert dpkt.in_cksum(header) == 0, "IPv4 header checksum"
    if ip.p == dpkt.ip.IP_PROTO_UDP:
        assert isinstance(ip.data, dpkt.udp.UDP) and ip.data.ulen == len(body)
        pseudo = header[12:20] + bytes([0, 17]) + len(body).to_bytes(2, "big")
        assert ip.data.sum != 0 and dpkt.in_cksum(pseudo + body) == 0, "UDP checksum"
        return "udp"
    assert ip.p == dpkt.ip.IP_PROTO_ICMP and isinstance(ip.data, dpkt.icmp.ICMP)
    assert ip.data.type in (0, 8) and dpkt.in_cksum(body) == 0, "ICMP checksum"
    return "icmp"


def test_dpkt_parses_every_guest_frame_with_correct_checksums(capture) -> None:
    scenario, pcap = capture
    linktype, records = read_pcap(pcap.read_bytes())
    assert linktype == 1
    mgmt_mac = bytes.fromhex(MGMT_MAC.replace(":", ""))
    kinds = Counter(check_guest_frame(r.data) for r in records if r.data[6:12] != mgmt_mac)
    assert GUEST_KINDS[scenario] <= set(kinds), kinds


def test_tshark_reads_the_capture_without_complaint(capture) -> None:
    tshark = require_tool("tshark")
    _, pcap = capture
    args = [tshark, "-r", str(pcap), "-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE"]
    done = subprocess.run([*args, "-z", "expert,note"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.count("\n") > 3  # the listing, then the expert summary
    assert "Malformed" not in done.stdout
    assert "Errors (" not in done.stdout and "Warns (" not in done.stdout, done.stdout
