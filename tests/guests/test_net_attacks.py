"""The management network's two attacks, typed in the tenant's monitor, and what stops them.

Brute force (mgmt.toml): `scan` finds 10.0.0.1, `brute admin` guesses the
password from the monitor's wordlist, `send 10.0.0.1 6230 <token> DESTROY bank`
destroys the bank. Each hardening switch alone stops it: net.mgmt_isolated
(no ARP answer), mgmt.lockout_after (locked out before `letmein`),
mgmt.strong_password (the wordlist runs out); mgmt_hardened.toml has them all.

Flood (flood.toml): the admin logs in, the tenant floods the service, the
admin sends `<token> LIST` in rounds (`sendn`) and counts the OK answers.
"""

from __future__ import annotations

import re

import pytest

from lab.cpu import backends
from lab.scenario import SCENARIOS_DIR, Scenario
from tests.guests import Console, boot

MGMT = SCENARIOS_DIR / "mgmt.toml"
MGMT_HARDENED = SCENARIOS_DIR / "mgmt_hardened.toml"
FLOOD = SCENARIOS_DIR / "flood.toml"


@pytest.fixture(params=backends())
def backend(request) -> str:
    return request.param


def brute(scenario: Scenario) -> str:
    return Console(scenario, "tenant").type("brute admin")


def test_brute_force_finds_the_password_and_destroys_the_bank(backend) -> None:
    scenario = boot(MGMT, backend)
    tenant = Console(scenario, "tenant")
    assert "10.0.0.1 is at 02:00:00:00:00:fe" in tenant.type("scan")
    out = tenant.type("brute admin")
    assert "trying 123456: ERR bad credentials\n" in out
    found = re.search(r"password: letmein\ntoken: ([0-9a-f]{16})\n", out)
    assert found, out
    out = tenant.type(f"send 10.0.0.1 6230 {found[1]} DESTROY bank")
    assert "reply: OK destroyed bank\n" in out
    assert scenario.hv.vm("bank").destroyed


def test_hardened_scenario_stops_the_brute_force(backend) -> None:
    scenario = boot(MGMT_HARDENED, backend)
    assert "no ARP reply from 10.0.0.1\n" in brute(scenario)
    assert scenario.hv.net.mgmt.counters.logins_failed == 0
    admin = Console(scenario, "admin")  # the control domain still gets through
    out = admin.type(f"send 10.0.0.1 6230 LOGIN admin {scenario.hv.net.strong_password()}")
    assert re.search(r"reply: OK [0-9a-f]{16}\n", out)


@pytest.mark.parametrize(
    ("switch", "value", "expected"),
    [
        ("net.mgmt_isolated", True, "no ARP reply from 10.0.0.1\n"),
        (
            "mgmt.lockout_after",
            5,
            "trying 12345678: ERR bad credentials\ntrying qwerty: ERR bad credentials\n"
            "trying 123456789: ERR locked out\nlocked out after 6 tries\n",
        ),
        ("mgmt.strong_password", True, "no password of the wordlist worked (20 tried)\n"),
    ],
)
def test_each_switch_alone_stops_the_brute_force(backend, switch: str, value, expected: str) -> None:
    scenario = boot(MGMT, backend)
    scenario.hv.policy.set(switch, value)
    out = brute(scenario)
    assert expected in out and "password: letmein" not in out
    assert not scenario.hv.vm("bank").destroyed


# ---- the flood


def admin_success(backend: str, attack: str, rounds: int, **switches: int) -> tuple[int, Scenario]:
    """OK answers the admin gets for `rounds` LIST commands while the tenant runs `attack`."""
    scenario = boot(FLOOD, backend)
    hv = scenario.hv
    for key, value in switches.items():
        hv.policy.set(key.replace("_", ".", 1), value)
    token = (
        Console(scenario, "admin").type("send 10.0.0.1 6230 LOGIN admin letmein").split("OK ")[1].split()[0]
    )
    if attack:
        hv.feed("tenant", f"{attack} 10.0.0.1 6230 1000000\n".encode())
        hv.run(30_000)  # the flood is on (and a rate limiter's first burst spent) before the admin starts
    admin = hv.vm("admin")
    start = len(admin.console)
    hv.feed("admin", f"sendn {rounds} 10.0.0.1 6230 {token} LIST\n".encode())
    for _ in range(100):
        hv.run(200_000)
        out = admin.console[start:].decode()
        if out.endswith("dom0> "):
            break
    found = re.search(r"sendn: (\d+) of (\d+) answered OK\n", out)
    assert found and int(found[2]) == rounds, out
    return int(found[1]), scenario


def test_without_a_flood_every_admin_command_is_answered(backend) -> None:
    assert admin_success(backend, "", 20)[0] == 20


def test_a_flood_starves_the_admin(backend) -> None:
    ok, scenario = admin_success(backend, "storm", 20)
    assert ok / 20 < 0.5  # measured: 0 of 20
    assert scenario.hv.net.mgmt.counters.queue_drops > 1000


def test_the_nic_rate_limit_keeps_the_admin_reachable(backend) -> None:
    ok, scenario = admin_success(backend, "storm", 100, vnic_rate_limit=200)
    assert ok >= 99  # measured: 100 of 100
    assert scenario.hv.net.vnics[1].counters.tx_drops > 0


def test_both_rate_limits_keep_the_admin_reachable(backend) -> None:
    ok, scenario = admin_success(backend, "storm", 100, vnic_rate_limit=200, mgmt_rate_limit=20)
    assert ok >= 99  # measured: 100 of 100
    assert scenario.hv.net.mgmt.counters.rate_limited > 0


def test_the_out_of_band_console_works_under_the_flood(backend) -> None:
    scenario = boot(FLOOD, backend)
    hv = scenario.hv
    hv.feed("tenant", b"storm 10.0.0.1 6230 1000000\n")
    hv.run(200_000)
    assert hv.net.mgmt.counters.queue_drops > 0  # the network path is flooded
    assert hv.net.mgmt.console("DESTROY tenant", hv.time) == "OK destroyed tenant"
    assert hv.vm("tenant").destroyed


# ---- spoofing: a tenant that sends with someone else's addresses (net.anti_spoofing)


def _admin_logs_in(scenario: Scenario, password: str) -> str:
    return Console(scenario, "admin").type(f"send 10.0.0.1 6230 LOGIN admin {password}")


@pytest.mark.parametrize("anti_spoofing", [False, True])
def test_a_tenant_posing_as_the_management_interface_reads_the_admins_login(backend, anti_spoofing) -> None:
    """Hardened in every other way (isolated, strong password, lockout): the tenant takes the
    management interface's MAC and IP, the switch sends the admin's login to the tenant's port."""
    scenario = boot(MGMT_HARDENED, backend)
    hv = scenario.hv
    hv.policy.set("net.anti_spoofing", anti_spoofing)
    password = hv.net.strong_password()
    assert "reply: OK " in _admin_logs_in(scenario, password)  # the admin knows where 10.0.0.1 is
    tenant = Console(scenario, "tenant")
    out = tenant.type("spoof 02:00:00:00:00:fe 10.0.0.1")
    assert "sending as ip 10.0.0.1 mac 02:00:00:00:00:fe\n" in out
    tenant.type("listen 6230 1")
    answer = _admin_logs_in(scenario, password)
    stolen = f"from 10.0.0.10:40000: LOGIN admin {password}\n"
    tenant_port = hv.net.network.segment("tenants").port("tenant")
    if not anti_spoofing:  # the hardened hypervisor before this switch existed
        assert stolen in tenant.vm.console_text() and "no answer" in answer
        assert tenant_port.counters.spoof_drops == 0
    else:
        assert stolen not in tenant.vm.console_text() and "reply: OK " in answer
        assert tenant_port.counters.spoof_drops >= 1
        assert any(
            e.kind == "net" and "spoof-drop: tenant: source MAC 02:00:00:00:00:fe" in e.describe()
            for e in hv.trace
        )


def _lockout_scenario(backend: str, **switches) -> Scenario:
    """mgmt.toml with the per-source lockout of lesson 7 (the service on the tenants' network)."""
    scenario = boot(MGMT, backend)
    scenario.hv.policy.set("mgmt.lockout_after", 5)
    for key, value in switches.items():
        scenario.hv.policy.set(key.replace("_", ".", 1), value)
    return scenario


def test_a_forged_source_locks_the_admin_out_of_a_per_source_lockout(backend) -> None:
    scenario = _lockout_scenario(backend)
    tenant = Console(scenario, "tenant")
    tenant.type("spoof 02:00:00:00:00:01 10.0.0.10")  # our MAC, the admin's address
    assert "locked out after 6 tries\n" in tenant.type("brute admin")
    assert "reply: ERR locked out\n" in _admin_logs_in(scenario, "letmein")


def test_anti_spoofing_keeps_the_per_source_lockout_on_the_real_sender(backend) -> None:
    scenario = _lockout_scenario(backend, net_anti_spoofing=True)
    tenant = Console(scenario, "tenant")
    tenant.type("spoof 02:00:00:00:00:01 10.0.0.10")
    assert "no ARP reply from 10.0.0.1\n" in tenant.type("brute admin")  # its ARP never left the port
    assert "reply: OK " in _admin_logs_in(scenario, "letmein")
    assert scenario.hv.net.mgmt.counters.logins_failed == 0


def _brute_from_new_addresses(scenario: Scenario) -> str:
    """brute, and each time it is locked out go on from the next word with a new address."""
    tenant = Console(scenario, "tenant")
    out, first = tenant.type("brute admin"), 1
    for host in range(50, 55):
        locked = re.search(r"locked out after (\d+) tries\n", out)
        if locked is None or int(locked[1]) == first:
            return out  # done, or locked out before a single new guess
        first = int(locked[1])
        tenant.type(f"spoof 02:00:00:00:00:01 10.0.0.{host}")
        out = tenant.type(f"brute admin 10.0.0.1 {first}")
    return out


def test_rotating_forged_sources_dodges_a_per_source_lockout(backend) -> None:
    scenario = _lockout_scenario(backend)
    assert "password: letmein\n" in _brute_from_new_addresses(scenario)  # word 13: three addresses


@pytest.mark.parametrize("switch", ["net_anti_spoofing", "mgmt_lock_account"])
def test_anti_spoofing_or_an_account_lockout_caps_the_guesses(backend, switch: str) -> None:
    scenario = _lockout_scenario(backend, **{switch: True})
    out = _brute_from_new_addresses(scenario)
    assert "password: letmein" not in out
    assert scenario.hv.net.mgmt.counters.logins_failed == 5


def test_an_account_lockout_ends_by_itself_and_open_sessions_keep_working(backend) -> None:
    scenario = _lockout_scenario(backend, mgmt_lock_account=True, mgmt_unlock_after=50_000)
    hv = scenario.hv
    token = _admin_logs_in(scenario, "letmein").split("OK ")[1].split()[0]
    assert "locked out after 6 tries\n" in Console(scenario, "tenant").type("brute admin")
    assert "reply: ERR locked out\n" in _admin_logs_in(scenario, "letmein")  # the price: the admin too
    admin = Console(scenario, "admin")
    assert "reply: OK admin=running" in admin.type(f"send 10.0.0.1 6230 {token} LIST")
    start = hv.time  # time is instructions retired: it passes while some VM works, here a ping to nobody
    Console(scenario, "tenant").type("ping 10.0.0.99")
    assert hv.time - start > 50_000
    assert "reply: OK " in _admin_logs_in(scenario, "letmein")
    assert any(e.kind == "mgmt" and "unlock: account admin: lockout over" in e.describe() for e in hv.trace)
