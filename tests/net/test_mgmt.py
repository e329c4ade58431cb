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


# --- who is asking: forged sources, the account lockout, sessions -----------------------------


def _claim(station: Station, mac: str, now: int) -> None:
    """A frame with `mac` as its source, to nobody in particular: all a switch needs to learn it."""
    nic = station.nic
    nic.send(udp_frame(mac, "ff:ff:ff:ff:ff:ff", nic.ip, "10.0.0.255", 9, 9, b"mine now"), now)


@pytest.mark.parametrize("anti_spoofing", [False, True])
def test_a_tenant_claiming_the_admins_mac_gets_the_answers_meant_for_the_admin(anti_spoofing):
    """Port stealing. The busy service answers the admin's LOGIN a few ticks late; meanwhile the
    tenant keeps sending with the admin's MAC, so the switch hands the answer, token and all,
    to the tenant's port. (A service that answers at once, in the tick the request arrives,
    is safe from this: the admin's own request has just taught the switch its port.)"""
    net, service, _ = _network(FakeVms(), password="pw", budget=1)
    net.segment("lan").anti_spoofing = anti_spoofing
    admin, tenant = Station(net, 2, "admin"), Station(net, 3, "tenant")
    for i in range(3):
        tenant.request("LIST", 0, sport=50000 + i)  # work the service does first
    admin.request("LOGIN admin pw", 0)
    for tick in range(4):
        _claim(tenant, admin.nic.mac, tick * QUANTUM)
        net.tick(tick * QUANTUM)
    to_admin, to_tenant = admin.replies(), tenant.replies()
    token = [r for r in to_admin + to_tenant if r.startswith("OK ")]
    assert len(token) == 1 and service.counters.logins_ok == 1
    if anti_spoofing:
        assert to_admin == token and tenant.nic.port.counters.spoof_drops == 4
    else:
        assert to_admin == [] and token[0] in to_tenant


def test_an_account_lockout_counts_every_source_and_refuses_even_the_right_password(vms):
    net, service, events = _network(vms, password="pw", lockout_after=3, lock_account=True)
    admin = Station(net, 2, "admin")
    token = admin.ask(net, "LOGIN admin pw", 0).split()[1]
    for host in (3, 4, 5):  # one guess from each of three addresses
        assert Station(net, host, f"vm{host}").ask(net, "LOGIN admin nope", host) == "ERR bad credentials"
    assert admin.ask(net, "LOGIN admin pw", 6) == "ERR locked out"  # the price: the admin is out too
    assert admin.ask(net, f"{token} LIST", 7).startswith("OK ")  # but an open session keeps working
    assert Station(net, 6, "vm6").ask(net, "LOGIN root x", 8) == "ERR bad credentials"  # no such account
    assert [e.detail for e in events if e.kind == NetEventKind.LOCKOUT] == ["account admin after 3 failures"]
    assert service.console("UNLOCK admin", 9) == "OK unlocked admin"
    assert admin.ask(net, "LOGIN admin pw", 10).startswith("OK ")
    assert service.counters.unlocks == 1


@pytest.mark.parametrize("lock_account", [False, True])
def test_a_timed_lockout_ends_on_instruction_time(lock_account):
    net, _, events = _network(
        FakeVms(), password="pw", lockout_after=2, lock_account=lock_account, unlock_after=1000
    )
    attacker = Station(net, 3, "attacker")
    assert [attacker.ask(net, "LOGIN admin x", t) for t in (0, 1, 2)] == [
        "ERR bad credentials",
        "ERR bad credentials",
        "ERR locked out",
    ]
    assert attacker.ask(net, "LOGIN admin pw", 1000) == "ERR locked out"  # locked at 1, until 1001
    assert attacker.ask(net, "LOGIN admin x", 1001) == "ERR bad credentials"  # a fresh count
    assert attacker.ask(net, "LOGIN admin pw", 1002).startswith("OK ")
    who = "account admin" if lock_account else "10.0.0.3"
    assert [e.detail for e in events if e.kind in (NetEventKind.LOCKOUT, NetEventKind.UNLOCK)] == [
        f"{who} after 2 failures, for 1000 instructions",
        f"{who}: lockout over",
    ]


def test_a_revoked_token_stays_revoked(vms):
    net, service, events = _network(vms, password="pw")
    admin, tenant = Station(net, 2, "admin"), Station(net, 3, "tenant")
    mine = admin.ask(net, "LOGIN admin pw", 0).split()[1]
    stolen = tenant.ask(net, "LOGIN admin pw", 1).split()[1]
    assert service.console("SESSIONS") == f"OK 2 sessions: {mine}=admin@10.0.0.2 {stolen}=admin@10.0.0.3"
    tenant.request(f"{stolen} DESTROY web", 2)  # already on its way when the admin revokes it
    assert service.console(f"REVOKE {stolen}", 2) == "OK revoked 1 sessions"
    net.tick(2)
    assert tenant.replies() == ["ERR not logged in"] and vms.actions == []
    assert service.console(f"REVOKE {stolen}") == f"ERR no session {stolen}"
    assert admin.ask(net, f"{mine} LOGOUT", 3) == "OK bye"
    assert admin.ask(net, f"{mine} LIST", 4) == "ERR not logged in"
    issued = {admin.ask(net, "LOGIN admin pw", 5 + i).split()[1] for i in range(200)}
    assert len(issued) == 200 and not issued & {mine, stolen}  # a token is never issued twice
    assert service.console("REVOKE ALL") == "OK revoked 200 sessions"
    assert service.console("SESSIONS") == "OK 0 sessions"
    assert [e.detail for e in events if e.kind == NetEventKind.LOGOUT][:2] == [
        "admin@10.0.0.3: revoked at the console",
        "admin@10.0.0.2: session ended",
    ]


@pytest.mark.parametrize(
    ("command", "reply"),
    [
        ("UNLOCK", "ERR usage: UNLOCK ip-or-user"),
        ("REVOKE", "ERR usage: REVOKE token-or-ALL"),
        ("SESSIONS now", "ERR usage: SESSIONS"),
    ],
)
def test_console_only_commands_check_their_arguments(command, reply):
    _, service, _ = _network(FakeVms())
    assert service.console(command) == reply


def test_forged_sources_cannot_grow_the_services_memory():
    net, service, _ = _network(FakeVms(), password="pw", lockout_after=2, source_table_limit=8)
    attacker = Station(net, 3, "attacker")
    nic = attacker.nic
    for host in range(100):
        forged = f"10.1.0.{host}"
        nic.send(udp_frame(nic.mac, MGMT_MAC, forged, MGMT_IP, 40000, MGMT_PORT, b"LOGIN admin x"), host)
        net.tick(host)
    assert service.counters.logins_failed == 100 and len(service.sources) == 8
