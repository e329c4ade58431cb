"""The NET hypercalls and the management interface, driven with frames built in Python.

(The guests' own network library is tested with the guests; here the frames
come from lab.net.frames so each hypercall is checked on its own.)
"""

from __future__ import annotations

from lab.hv import Policy
from lab.hv.hypercalls import SbiError
from lab.hv.snapshot import restore, take
from lab.hv.vm import RAM_BASE
from lab.net.frames import arp_request, icmp_echo_frame, parse, udp_frame
from lab.net.mgmt import MGMT_MAC, MGMT_PORT
from lab.net.pcap import read_pcap
from lab.scenario import SCENARIOS_DIR, load_scenario
from tests.hv.conftest import hcall, last_call

NET = 0x0900_0004
TX, RX = RAM_BASE + 0x3000, RAM_BASE + 0x3800
E = SbiError


def boot(backend: str, preset: str = "vulnerable"):
    hv = load_scenario(SCENARIOS_DIR / "mgmt.toml", backend=backend, policy=preset).hv
    hv.run(500_000)
    return hv


def send(hv, vm, frame: bytes) -> tuple[int, int]:
    hv.mem.write(vm.ram_host + TX - RAM_BASE, frame)
    return hcall(hv, vm, NET, 1, TX, len(frame))


def receive(hv, vm) -> bytes | None:
    error, n = hcall(hv, vm, NET, 2, RX, 1514)
    assert error == 0
    return hv.mem.read(vm.ram_host + RX - RAM_BASE, n) if n else None


def test_info_gives_the_address_from_the_scenario(backend):
    hv = boot(backend)
    assert hcall(hv, hv.vm("tenant"), NET, 0) == (0, 0x0A00000B)  # 10.0.0.11: 10 + domid 1
    assert hcall(hv, hv.vm("bank"), NET, 0) == (0, 0x0A00000C)


def test_udp_between_two_vms(backend):
    hv = boot(backend)
    tenant, bank = hv.vm("tenant"), hv.vm("bank")
    frame = udp_frame("02:00:00:00:00:01", "02:00:00:00:00:02", "10.0.0.11", "10.0.0.12", 40000, 7, b"hello")
    assert send(hv, tenant, frame) == (0, len(frame))
    hv.run(10_000)
    got = parse(receive(hv, bank))
    assert got.udp is not None and got.udp.payload == b"hello" and got.ip.src == "10.0.0.11"
    assert receive(hv, bank) is None


def test_the_management_interface_answers_arp_and_ping(backend):
    hv = boot(backend)
    tenant = hv.vm("tenant")
    send(hv, tenant, arp_request("02:00:00:00:00:01", "10.0.0.11", "10.0.0.1"))
    hv.run(10_000)
    reply = parse(receive(hv, tenant))
    assert reply.arp is not None and reply.arp.sender_mac == MGMT_MAC and reply.arp.sender_ip == "10.0.0.1"
    send(hv, tenant, icmp_echo_frame("02:00:00:00:00:01", MGMT_MAC, "10.0.0.11", "10.0.0.1", ident=7, seq=1))
    hv.run(10_000)
    pong = parse(receive(hv, tenant))
    assert pong.icmp is not None and pong.icmp.seq == 1 and pong.ip.src == "10.0.0.1"


def login(hv, vm, password: str) -> str:
    src_mac = f"02:00:00:00:00:{vm.domid:02x}"
    ip = f"10.0.0.{10 + vm.domid}"
    send(
        hv,
        vm,
        udp_frame(src_mac, MGMT_MAC, ip, "10.0.0.1", 40001, MGMT_PORT, f"LOGIN admin {password}".encode()),
    )
    hv.run(20_000)
    while (frame := receive(hv, vm)) is not None:  # skip what the switch flooded to us
        packet = parse(frame)
        if packet.udp is not None and packet.ip.src == "10.0.0.1":
            return packet.udp.payload.decode()
    return ""


def test_weak_password_lets_a_tenant_in_and_destroy_a_vm(backend):
    hv = boot(backend)
    tenant = hv.vm("tenant")
    assert login(hv, tenant, "123456").startswith("ERR")
    token = login(hv, tenant, "letmein").split()[1]
    frame = udp_frame(
        "02:00:00:00:00:01",
        MGMT_MAC,
        "10.0.0.11",
        "10.0.0.1",
        40001,
        MGMT_PORT,
        f"{token} DESTROY bank".encode(),
    )
    send(hv, tenant, frame)
    hv.run(20_000)
    assert hv.vm("bank").destroyed
    assert any(e.kind == "mgmt" and "login-ok" in e.describe() for e in hv.trace)


def test_hardened_management_is_unreachable_from_tenants(backend):
    hv = boot(backend, "hardened")
    tenant, admin = hv.vm("tenant"), hv.vm("admin")
    assert login(hv, tenant, "letmein") == ""  # the switch drops it: no answer at all
    assert any("net.mgmt_isolated" in e.describe() for e in hv.trace if e.kind == "net")
    assert login(hv, admin, "letmein").startswith("ERR")  # the weak password is gone too
    assert login(hv, admin, hv.net.strong_password()).startswith("OK")


def test_management_isolation_still_lets_the_admin_in_after_a_snapshot_is_restored(backend):
    """The restored network is a copy: its ACL must ask the copy's ports, not the original's
    (a lesson's hardened replay and every reset step restore one)."""
    hv = boot(backend, "hardened")
    snap = take(hv)
    restore(hv, snap)
    tenant, admin = hv.vm("tenant"), hv.vm("admin")
    assert login(hv, admin, hv.net.strong_password()).startswith("OK")
    assert login(hv, tenant, hv.net.strong_password()) == ""  # and the tenant still cannot


def test_send_checks_its_arguments_and_the_rate_limit_drops(backend):
    hv = boot(backend)
    tenant = hv.vm("tenant")
    assert hcall(hv, tenant, NET, 1, TX, 13)[0] == E.INVALID_PARAM
    assert hcall(hv, tenant, NET, 1, TX, 1515)[0] == E.INVALID_PARAM
    hv.policy.set("hypercall.check_bounds", True)
    assert hcall(hv, tenant, NET, 1, RAM_BASE + tenant.ram_size - 20, 60)[0] == E.INVALID_ADDRESS
    hv.policy.set("vnic.rate_limit", 2)
    frame = udp_frame("02:00:00:00:00:01", "02:00:00:00:00:02", "10.0.0.11", "10.0.0.12", 1, 2, b"x")
    results = [send(hv, tenant, frame)[1] for _ in range(4)]
    assert results[:2] == [60, 60] and 0 in results[2:]
    assert "rate-limited" in last_call(hv).why


def test_a_vm_without_a_nic_is_told_so(backend):
    hv = load_scenario(SCENARIOS_DIR / "api.toml", backend=backend).hv
    assert hcall(hv, hv.vm("tenant"), NET, 0)[0] == E.NOT_SUPPORTED


def test_the_capture_is_a_pcap_of_every_frame(backend, tmp_path):
    hv = boot(backend)
    tenant = hv.vm("tenant")
    send(hv, tenant, arp_request("02:00:00:00:00:01", "10.0.0.11", "10.0.0.1"))
    hv.run(10_000)
    linktype, records = read_pcap(hv.net.network.capture("tenants"))
    assert linktype == 1 and len(records) == 2  # Ethernet: the request and the reply
    assert parse(records[0].data).arp is not None and parse(records[1].data).arp is not None
    assert Policy.preset("hardened")["net.mgmt_isolated"] is True


def test_anti_spoofing_is_hardened_and_read_live_by_the_switch(backend):
    hv = boot(backend)
    assert Policy.preset("hardened")["net.anti_spoofing"] is True
    tenant, bank = hv.vm("tenant"), hv.vm("bank")
    forged = udp_frame("02:00:00:00:00:00", "02:00:00:00:00:02", "10.0.0.10", "10.0.0.12", 1, 7, b"admin?")
    assert send(hv, tenant, forged) == (0, len(forged))  # the NIC takes any frame, as virtio-net does
    hv.run(10_000)
    assert parse(receive(hv, bank)).ip.src == "10.0.0.10"  # vulnerable: delivered, the forger believed
    hv.policy.set("net.anti_spoofing", True)
    assert send(hv, tenant, forged) == (0, len(forged))  # the guest is not told; the switch drops it
    hv.run(10_000)
    assert receive(hv, bank) is None
    port = hv.net.network.segment("tenants").port("tenant")
    assert port.counters.spoof_drops == 1
    assert hv.net.state()["segments"]["tenants"]["ports"]["tenant"]["spoof_drops"] == 1
    lines = [e.describe() for e in hv.trace if e.kind == "net" and "spoof-drop" in e.describe()]
    assert lines == [
        "tenants: spoof-drop: tenant: source MAC 02:00:00:00:00:00 is not its own "
        "(it is 02:00:00:00:00:01 10.0.0.11)"
    ]


def test_the_lockout_switches_reach_the_service_and_its_events_the_trace(backend):
    hv = boot(backend)
    for key, value in (("mgmt.lockout_after", 2), ("mgmt.lock_account", True), ("mgmt.unlock_after", 50)):
        hv.policy.set(key, value)
    hv.run(2_000)  # a network tick applies the policy
    mgmt = hv.net.mgmt
    assert (mgmt.lockout_after, mgmt.lock_account, mgmt.unlock_after) == (2, True, 50)
    tenant = hv.vm("tenant")
    assert [login(hv, tenant, "nope") for _ in range(3)] == [
        "ERR bad credentials",
        "ERR bad credentials",
        "ERR locked out",
    ]
    start = hv.time
    hv.feed("admin", b"ping 10.0.0.99 1\n")  # time is instructions retired: let a VM work a while
    hv.run(200_000)
    assert hv.time - start > 50
    assert login(hv, tenant, "letmein").startswith("OK")  # unlocked
    assert hv.net.console("SESSIONS").startswith("OK 1 sessions: ")
    assert hv.net.console("REVOKE ALL") == "OK revoked 1 sessions"
    kinds = {e.describe().split(": ")[1] for e in hv.trace if e.kind == "mgmt"}
    assert {"lockout", "unlock", "logout"} <= kinds
