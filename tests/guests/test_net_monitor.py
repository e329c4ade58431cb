"""The monitor's network commands (lab/guests/monitor.S, its "network library"), on both backends.

Everything here goes through frames the guest builds and parses itself: ARP,
IPv4, ICMP echo and UDP, against the hypervisor's management interface
(10.0.0.1) and against another VM's monitor, which answers ARP and ping while
it sits at its prompt.
"""

from __future__ import annotations

import re

import pytest

from lab.cpu import backends
from lab.net.frames import parse
from lab.scenario import SCENARIOS_DIR
from tests.guests import API, Console, boot

MGMT = SCENARIOS_DIR / "mgmt.toml"


@pytest.fixture(params=backends())
def backend(request) -> str:
    return request.param


@pytest.fixture
def net(backend):
    return boot(MGMT, backend)


def test_ip_reports_the_address_the_scenario_gave(net) -> None:
    assert "ip 10.0.0.11 mac 02:00:00:00:00:01\n" in Console(net, "tenant").type("ip")
    assert "ip 10.0.0.10 mac 02:00:00:00:00:00\n" in Console(net, "admin").type("ip")


def test_ping_the_management_interface_fills_the_arp_cache(net) -> None:
    tenant = Console(net, "tenant")
    assert "the ARP cache is empty" in tenant.type("arp")
    out = tenant.type("ping 10.0.0.1 2")
    assert re.search(r"reply from 10\.0\.0\.1: seq=1 time=\d+ instructions\n", out)
    assert re.search(r"reply from 10\.0\.0\.1: seq=2 time=\d+ instructions\n", out)
    assert "2 sent, 2 received\n" in out and out.endswith("dom1> ")
    assert "10.0.0.1 is at 02:00:00:00:00:fe\n" in tenant.type("arp")
    assert net.hv.net.mgmt.counters.echo_replies == 2


def test_an_idle_monitor_answers_arp_and_ping(net) -> None:
    out = Console(net, "tenant").type("ping 10.0.0.10 3")
    assert "3 sent, 3 received" in out
    assert "10.0.0.11 is at 02:00:00:00:00:01" in Console(net, "admin").type("arp")  # it learned us


def test_ping_to_nobody_times_out_and_the_prompt_comes_back(net) -> None:
    tenant = Console(net, "tenant")
    assert tenant.type("ping 10.0.0.99 1") == "ping 10.0.0.99 1\nno ARP reply from 10.0.0.99\ndom1> "
    start = net.hv.time
    assert "ip 10.0.0.11" in tenant.type("ip")  # still answers
    assert net.hv.time - start < 100_000


def test_send_logs_in_to_the_management_service(net) -> None:
    out = Console(net, "tenant").type("send 10.0.0.1 6230 LOGIN admin letmein")
    assert re.fullmatch(r"send 10\.0\.0\.1 6230 LOGIN admin letmein\nreply: OK [0-9a-f]{16}\ndom1> ", out)
    out = Console(net, "tenant").type("send 10.0.0.1 6230 LOGIN admin wrong")
    assert "reply: ERR bad credentials\n" in out


def test_send_to_a_silent_port_says_no_answer(net) -> None:
    out = Console(net, "tenant").type("send 10.0.0.10 7 anyone there")
    assert out.endswith("no answer\ndom1> ")


def test_listen_prints_what_another_vm_sends(net) -> None:
    tenant, admin = Console(net, "tenant"), Console(net, "admin")
    assert tenant.type("listen 5000 2") == "listen 5000 2\nlistening on UDP port 5000\n"
    admin.type("send 10.0.0.11 5000 hello tenant")
    admin.type("send 10.0.0.11 5001 wrong port")
    admin.type("send 10.0.0.11 5000 second")
    text = tenant.vm.console_text()
    assert "from 10.0.0.10:40000: hello tenant\nfrom 10.0.0.10:40000: second\ndom1> " in text
    assert "wrong port" not in text


def test_a_key_ends_listen(net) -> None:
    tenant = Console(net, "tenant")
    tenant.type("listen 5000")
    assert "ip 10.0.0.11" in tenant.type("ip")  # the key ended listen; the line still ran


def test_scan_finds_the_management_interface(net) -> None:
    out = Console(net, "tenant").type("scan")
    assert "hosts that answered ARP:\n" in out
    assert "10.0.0.1 is at 02:00:00:00:00:fe\n" in out
    assert "10.0.0.10 is at 02:00:00:00:00:00\n" in out


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ("ping 10.0.0", "error: bad IPv4 address '10.0.0' (like 10.0.0.1)"),
        ("ping 10.0.0.256", "error: bad IPv4 address '10.0.0.256'"),
        ("ping 10.0.0.1x", "error: bad IPv4 address '10.0.0.1x'"),
        ("send 10.0.0.1 6230", "error: usage: send IP PORT TEXT"),
        ("spoof 02:00:00:00:00", "error: bad MAC address '02:00:00:00:00' (like 02:00:00:00:00:fe)"),
        ("spoof 02:00:00:00:00:fg", "error: bad MAC address '02:00:00:00:00:fg'"),
        ("spoof 02:00:00:00:00:fe:01", "error: bad MAC address '02:00:00:00:00:fe:01'"),
        ("spoof 2:00:00:00:00:fe", "error: bad MAC address '2:00:00:00:00:fe'"),
        ("spoof 02:00:00:00:00:fe 10.0.0", "error: bad IPv4 address '10.0.0'"),
        ("spoof", "error: usage: spoof MAC [IP] | off"),
    ],
)
def test_bad_network_arguments_give_one_line_errors(net, line: str, error: str) -> None:
    out = Console(net, "tenant").type(line)
    assert out.splitlines()[1].startswith(error) and out.endswith("dom1> ")


def test_a_bad_spoof_argument_changes_nothing(net) -> None:
    tenant = Console(net, "tenant")
    tenant.type("spoof 02:00:00:00:00:fe 10.0.0.300")
    assert "ip 10.0.0.11 mac 02:00:00:00:00:01\n" in tenant.type("ip")


def test_spoof_sends_as_another_host_until_spoof_off(net) -> None:
    tenant, admin = Console(net, "tenant"), Console(net, "admin")
    assert "sending as ip 10.0.0.42 mac 02:00:00:00:00:42\n" in tenant.type(
        "spoof 02:00:00:00:00:42 10.0.0.42"
    )
    announced = parse(net.hv.net.network.segment("tenants").capture[-1].frame)
    assert (announced.eth.dst, announced.eth.src) == ("ff:ff:ff:ff:ff:ff", "02:00:00:00:00:42")
    assert (announced.arp.sender_mac, announced.arp.sender_ip) == ("02:00:00:00:00:42", "10.0.0.42")
    assert "1 sent, 1 received" in admin.type("ping 10.0.0.42 1")  # the tenant answers for it
    assert "10.0.0.42 is at 02:00:00:00:00:42" in admin.type("arp")
    assert "sending as ip 10.0.0.11 mac 02:00:00:00:00:01\n" in tenant.type("spoof off")
    assert "sending as ip 10.0.0.11 mac 02:00:00:00:00:42\n" in tenant.type("spoof 02:00:00:00:00:42")
    tenant.type("spoof off")
    assert "1 sent, 1 received" in tenant.type("ping 10.0.0.10 1")


def test_brute_can_start_further_down_its_wordlist(net) -> None:
    out = Console(net, "tenant").type("brute admin 10.0.0.1 12")  # the 12th word: 123123, then letmein
    assert out.split("\n")[1] == "trying 123123: ERR bad credentials"
    assert out.split("\n")[2].startswith("trying letmein: OK ") and "password: letmein\n" in out
    assert net.hv.net.mgmt.counters.logins_failed == 1


def test_a_vm_without_a_nic_says_so(backend) -> None:
    out = Console(boot(API, backend), "tenant").type("ping 10.0.0.1")
    assert "error: this VM has no network interface\n" in out


def test_guest_frames_are_well_formed(net) -> None:
    """What the guest put on the wire parses as the protocol it claims (lab.net.frames checks sums)."""
    tenant = Console(net, "tenant")
    tenant.type("ping 10.0.0.1 1")
    tenant.type("send 10.0.0.1 6230 LOGIN admin letmein")
    frames = [c.frame for c in net.hv.net.network.segment("tenants").capture if c.frame[6:12] != bytes(6)]
    guest = [parse(f) for f in frames if f[6:12] == bytes.fromhex("020000000001")]
    assert [p.arp is not None for p in guest][:1] == [True]
    assert any(p.icmp is not None and p.icmp.seq == 1 for p in guest)
    assert any(p.udp is not None and p.udp.payload == b"LOGIN admin letmein" for p in guest)
