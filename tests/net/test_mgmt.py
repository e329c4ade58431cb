"""The management service: a real host (ARP, ping), the login protocol and its hardening,
and the flood that starves it (the DDoS lesson, measured at model level)."""

from __future__ import annotations

import random

import pytest

from lab.net.events import NetEventKind
from lab.net.frames import ArpOp, IcmpType, arp_request, icmp_echo_frame, parse, udp_frame
from lab.net.mgmt import MGMT_MAC, MGMT_PORT, ManagementService
from lab.net.network import Network
from lab.net.ratelimit import RateLimiter, TokenBucket
from lab.net.vnic import Vnic
from tests.net.conftest import FakeVms

MGMT_IP = "10.0.0.1"
QUANTUM = 10_000  # instructions between network ticks
WORDLIST = ["123456", "password", "admin", "letmein", "hunter2", "root", "toor", "qwerty"]


class Station:
    """A VM's view of the network: send a text request to the service, read the replies."""

    def __init__(self, net: Network, domid: int, name: str, **nic_options) -> None:
        self.nic = net.add_vnic(
            "lan", Vnic(domid, f"10.0.0.{domid}", name=name, rx_capacity=256, **nic_options)
        )

    def request(self, text: str, now: int, *, sport: int = 40000) -> None:
        nic = self.nic
        nic.send(udp_frame(nic.mac, MGMT_MAC, nic.ip, MGMT_IP, sport, MGMT_PORT, text.encode()), now)

    def replies(self) -> list[str]:
        out = []
        while (frame := self.nic.recv()) is not None:
            packet = parse(frame)
            if packet.udp is not None and packet.udp.src_port == MGMT_PORT:
                out.append(packet.udp.payload.decode())
        return out

    def ask(self, net: Network, text: str, now: int) -> str:
        self.request(text, now)
        net.tick(now)
        (reply,) = self.replies()
        return reply


def _network(vms: FakeVms, **service_options) -> tuple[Network, ManagementService, list]:
    events: list = []
    net = Network(on_event=events.append)
    net.add_segment("lan")
    service = net.add_service("lan", ManagementService(vms, ip=MGMT_IP, **service_options))
    return net, service, events


def test_management_host_answers_arp_and_ping(vms):
    net, service, _ = _network(vms)
    vm = Station(net, 5, "vm5")
    nic = vm.nic
    nic.send(arp_request(nic.mac, nic.ip, MGMT_IP), 0)
    nic.send(arp_request(nic.mac, nic.ip, "10.0.0.77"), 0)  # nobody's: no answer
    nic.send(icmp_echo_frame(nic.mac, MGMT_MAC, nic.ip, MGMT_IP, ident=42, seq=3, payload=b"ping!"), 0)
    net.tick(0)
    arp, echo = parse(nic.recv()), parse(nic.recv())
    assert nic.recv() is None
    assert arp.arp.op == ArpOp.REPLY and (arp.arp.sender_ip, arp.arp.sender_mac) == (MGMT_IP, MGMT_MAC)
    assert arp.eth.dst == nic.mac and arp.arp.target_ip == nic.ip
    assert echo.icmp.type == IcmpType.ECHO_REPLY
    assert (echo.ip.src, echo.ip.dst, echo.icmp.ident, echo.icmp.seq) == (MGMT_IP, nic.ip, 42, 3)
    assert echo.icmp.payload == b"ping!"
    assert (service.counters.arp_replies, service.counters.echo_replies) == (1, 1)


def test_login_with_the_right_password_gives_a_token_that_commands_need(vms):
    net, _service, events = _network(vms, password="correct-horse")
    admin = Station(net, 2, "admin")
    assert admin.ask(net, "LOGIN admin wrong", 0) == "ERR bad credentials"
    assert admin.ask(net, "deadbeefdeadbeef LIST", 1) == "ERR not logged in"
    reply = admin.ask(net, "LOGIN admin correct-horse", 2)
    assert reply.startswith("OK ")
    token = reply.split()[1]
    assert len(token) == 16
    assert admin.ask(net, f"{token} LIST", 3) == "OK attacker=running web=running"
    assert admin.ask(net, f"{token} PAUSE web", 4) == "OK paused web"
    assert admin.ask(net, f"{token} UNPAUSE web", 5) == "OK unpaused web"
    assert admin.ask(net, f"{token} DESTROY nosuch", 6) == "ERR no such vm nosuch"
    assert admin.ask(net, f"{token} DESTROY attacker", 7) == "OK destroyed attacker"
    assert admin.ask(net, f"{token} REBOOT web", 8) == "ERR unknown command REBOOT"
    assert admin.ask(net, f"{token} LOGOUT", 9) == "OK bye"
    assert admin.ask(net, f"{token} LIST", 10) == "ERR not logged in"
    assert vms.actions == [("pause", "web"), ("unpause", "web"), ("destroy", "attacker")]
    kinds = [e.kind for e in events]
    assert kinds.count(NetEventKind.LOGIN_FAILED) == 1 and kinds.count(NetEventKind.LOGIN_OK) == 1
    assert kinds.count(NetEventKind.DENIED) == 2
    assert [e.detail for e in events if e.kind == NetEventKind.COMMAND][1] == "admin@10.0.0.2: PAUSE web"


def test_tokens_are_reproducible_per_seed_and_differ_between_seeds():
    def first_token(seed: bytes) -> str:
        net, _, _ = _network(FakeVms(), token_seed=seed)
        return Station(net, 2, "admin").ask(net, "LOGIN admin admin", 0)

    assert first_token(b"a") == first_token(b"a") != first_token(b"b")


def _brute_force(vms: FakeVms, **service_options) -> tuple[str | None, ManagementService]:
    """The attack: try the wordlist, then destroy the web VM with whatever token was won."""
    net, service, _ = _network(vms, **service_options)
    attacker = Station(net, 3, "attacker")
    now = 0
    for word in WORDLIST:
        reply = attacker.ask(net, f"LOGIN admin {word}", now)
        now += QUANTUM
        if reply.startswith("OK "):
            return attacker.ask(net, f"{reply.split()[1]} DESTROY web", now), service
    return None, service


def test_brute_force_succeeds_against_a_wordlist_password_without_lockout():
    vms = FakeVms()
    result, service = _brute_force(vms, password="letmein", lockout_after=0)
    assert result == "OK destroyed web"
    assert "web" not in vms.states
    assert service.counters.logins_failed == WORDLIST.index("letmein")


def test_lockout_stops_the_brute_force_even_when_the_password_is_in_the_list():
    vms = FakeVms()
    result, service = _brute_force(vms, password="letmein", lockout_after=3)
    assert result is None
    assert "web" in vms.states
    assert service.counters.lockouts == 1
    assert service.counters.logins_failed == 3  # locked-out attempts are refused before checking


def test_a_locked_out_source_stays_out_while_others_and_the_console_may_unlock():
    net, service, events = _network(FakeVms(), password="pw", lockout_after=2)
    attacker, admin = Station(net, 3, "attacker"), Station(net, 2, "admin")
    for t in range(2):
        attacker.ask(net, "LOGIN admin nope", t)
    assert attacker.ask(net, "LOGIN admin pw", 2) == "ERR locked out"
    assert admin.ask(net, "LOGIN admin pw", 3).startswith("OK ")
    assert any(e.kind == NetEventKind.LOCKOUT and e.detail == "10.0.0.3 after 2 failures" for e in events)
    assert service.console("UNLOCK 10.0.0.3") == "OK unlocked 10.0.0.3"
    assert attacker.ask(net, "LOGIN admin pw", 4).startswith("OK ")


def test_backoff_doubles_the_wait_after_each_failure():
    net, _, _ = _network(FakeVms(), password="pw", backoff=1000)
    attacker = Station(net, 3, "attacker")
    assert attacker.ask(net, "LOGIN admin x", 0) == "ERR bad credentials"  # wait 1000
    assert attacker.ask(net, "LOGIN admin pw", 999) == "ERR wait: backing off"
    assert attacker.ask(net, "LOGIN admin y", 1000) == "ERR bad credentials"  # wait 2000
    assert attacker.ask(net, "LOGIN admin pw", 2999) == "ERR wait: backing off"
    assert attacker.ask(net, "LOGIN admin pw", 3000).startswith("OK ")


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        ("", "ERR empty request"),
        ("LOGIN admin", "ERR usage: LOGIN user password"),
        ("LIST", "ERR not logged in"),
    ],
)
def test_malformed_requests_get_an_error_reply(text, reply):
    net, _, _ = _network(FakeVms())
    assert Station(net, 2, "admin").ask(net, text, 0) == reply


def test_console_runs_commands_without_token_or_network(vms):
    _, service, _ = _network(vms)
    assert service.console("LIST") == "OK attacker=running web=running"
    assert service.console("DESTROY attacker") == "OK destroyed attacker"
    assert service.console("PAUSE") == "ERR usage: PAUSE vm"


def test_queue_and_budget_bound_the_work_per_tick():
    net, service, events = _network(FakeVms(), queue_limit=5, budget=2)
    vm = Station(net, 3, "vm")
    for i in range(8):
        vm.request("LIST", 0, sport=40000 + i)
    net.tick(0)
    assert (service.counters.queued, service.counters.queue_drops, service.counters.handled) == (5, 3, 2)
    assert len(vm.replies()) == 2
    net.tick(QUANTUM)
    assert len(vm.replies()) == 2
    assert sum(e.kind == NetEventKind.QUEUE_DROP for e in events) == 3


# --- the flood: the admin's DESTROY over the network while a tenant floods ---------------------


def measure_admin_success(
    *,
    source_limit: RateLimiter | None = None,
    attacker_limiter: RateLimiter | None = None,
    out_of_band: bool = False,
    rounds: int = 200,
    flood: int = 40,
    seed: int = 1,
) -> float:
    """The share of the admin's commands that are carried out, one per quantum, under a flood.

    Each quantum the attacker sends `flood` junk requests and the admin one `DESTROY attacker`,
    at a random place among them (the two VMs run concurrently). The service keeps the defaults a
    small BMC would: a 16-request queue, 4 requests per tick.
    """
    vms = FakeVms(idempotent=True)  # so that every DESTROY can succeed again
    net, service, _ = _network(vms, password="pw", source_limit=source_limit)
    admin = Station(net, 2, "admin")
    attacker = Station(net, 3, "attacker", rate_limiter=attacker_limiter)
    token = admin.ask(net, "LOGIN admin pw", 0).split()[1]
    rng = random.Random(seed)
    ok = 0
    now = QUANTUM
    for _ in range(rounds):
        position = rng.randrange(flood + 1)
        for i in range(flood + 1):
            if i != position:
                attacker.request("LIST", now, sport=50000 + i)
            elif out_of_band:
                ok += service.console("DESTROY attacker") == "OK destroyed attacker"
            else:
                admin.request(f"{token} DESTROY attacker", now)
        net.tick(now)
        ok += admin.replies().count("OK destroyed attacker")
        now += QUANTUM
    for _ in range(service.queue_limit // service.budget + 1):  # let late replies arrive
        net.tick(now)
        ok += admin.replies().count("OK destroyed attacker")
        now += QUANTUM
    return ok / rounds


def one_request_per_quantum() -> RateLimiter:
    return RateLimiter(ops=TokenBucket(2, 0, QUANTUM))  # bursts of 2, then 1 per quantum


def test_flood_starves_the_unprotected_service():
    assert measure_admin_success() < 0.25


def test_per_source_rate_limit_keeps_the_admin_in_control():
    assert measure_admin_success(source_limit=one_request_per_quantum()) >= 0.99


def test_vnic_rate_limit_on_the_attacker_also_protects_the_service():
    assert measure_admin_success(attacker_limiter=one_request_per_quantum()) >= 0.99


def test_out_of_band_console_cannot_be_starved():
    assert measure_admin_success(out_of_band=True) == 1.0


def test_a_starved_service_still_answers_ping():
    net, service, _ = _network(FakeVms())
    attacker, admin = Station(net, 3, "attacker"), Station(net, 2, "admin")
    for i in range(100):
        attacker.request("LIST", 0, sport=50000 + i)
    nic = admin.nic
    nic.send(icmp_echo_frame(nic.mac, MGMT_MAC, nic.ip, MGMT_IP, ident=1, seq=1), 0)
    net.tick(0)
    # the admin also sees the flood itself: the switch floods it until it learns the service's MAC
    received = [parse(frame) for frame in nic.rx]
    assert [p.icmp.type for p in received if p.icmp is not None] == [IcmpType.ECHO_REPLY]
    assert service.counters.queue_drops == 100 - service.queue_limit


def test_an_overlong_request_is_refused_not_truncated_and_run(vms):
    net, _, _ = _network(vms)
    admin = Station(net, 2, "admin")
    token = admin.ask(net, "LOGIN admin admin", 0).split()[1]
    assert admin.ask(net, f"{token} DESTROY web" + " " * 300, 1) == "ERR request longer than 256 bytes"
    assert vms.actions == []
