"""Predicates, actions and whole-machine snapshots, on a live lesson machine."""

from __future__ import annotations

import shutil

import pytest

from lab.cpu import backends
from lab.hv.hypercalls import SbiError
from lab.hv.trace import CHUNK, LIMIT
from lab.lesson import ActionError, Lab, parse_lesson
from lab.lesson.model import Call
from lab.lesson.registry import EntryKind, Where, parse_call
from tests.hv.test_trace import FLOOD
from tests.lesson.conftest import DATA, STEP


def calls(lab: Lab, text: str, kind: EntryKind) -> list[Call]:
    where = Where(lab.lesson.path, 1, lab.lesson.vm_names, lab.lesson.directory)
    return [parse_call(line, where, kind) for line in text.strip().splitlines()]


def do(lab: Lab, text: str) -> None:
    for call in calls(lab, text, EntryKind.ACTION):
        lab.perform(call)


def holds(lab: Lab, text: str) -> list[bool]:
    return [r.ok for r in lab.results(calls(lab, text, EntryKind.PREDICATE))]


@pytest.fixture(params=backends())
def lab(request, write_lesson):
    shutil.copy(DATA / "spin.S", write_lesson(STEP).parent / "spin.S")
    lab = Lab(parse_lesson(write_lesson(STEP)), backend=request.param)
    lab.start()
    yield lab
    lab.close()


@pytest.fixture
def interp_lab(write_lesson):
    lab = Lab(parse_lesson(write_lesson(STEP)), backend="interp")
    lab.start()
    yield lab
    lab.close()


def test_console_contains_and_since_step(interp_lab):
    lab = interp_lab
    assert holds(lab, 'console_contains admin "dom0> "\nconsole_contains admin "dom0 running"') == [
        True,
        False,
    ]
    lab.begin_step(0)
    assert holds(lab, 'console_contains admin "dom0> " since=step') == [False]
    do(lab, "type admin vms")
    assert holds(lab, 'console_contains admin "dom0 running" since=step') == [True]


def test_secret_leaked_sees_a_hexdump_split_across_lines_and_names_the_owner(interp_lab):
    lab = interp_lab
    assert holds(lab, "secret_leaked tenant") == [False]
    do(lab, "type tenant peek 2 0x80001000 32")  # the 27-byte secret spans two hexdump lines
    assert holds(lab, "secret_leaked tenant\nsecret_leaked tenant from=bank") == [True, True]
    assert holds(lab, "secret_leaked tenant from=hypervisor\nsecret_leaked admin") == [False, False]
    do(lab, "type tenant print 0x7FFB0040 32")
    assert holds(lab, "secret_leaked tenant from=hypervisor") == [True]


def test_hypercall_filters(interp_lab):
    lab = interp_lab
    do(lab, "set hypercall.authorize on\ntype tenant peek 2 0x80001000 32\ntype admin vms")
    assert holds(
        lab,
        """
hypercall vm=tenant fn=peek result=denied
hypercall vm=tenant fn=peek result=ok
hypercall vm=admin eid=VMCTL fid=2 result=ok
hypercall vm=tenant eid=0x09000001 fn=peek result=SBI_ERR_DENIED
hypercall vm=bank fn=peek
hypercall eid=DBCN
""",
    ) == [True, False, True, True, False, False]


def test_vm_state_trace_and_extension_predicates(interp_lab):
    lab = interp_lab
    assert holds(lab, "vm_state bank running\nvm_state bank destroyed") == [True, False]
    do(lab, "type tenant destroy 2")
    assert holds(lab, 'vm_state bank destroyed\nvm_state bank running\ntrace "destroyed by dom1"') == [
        True,
        False,
        True,
    ]
    assert holds(lab, "grant_mapped tenant") == [False]
    result = lab.check(calls(lab, "packet vm=tenant", EntryKind.PREDICATE)[0])
    assert not result.ok and "needs the network extension" in result.error
    result = lab.check(calls(lab, "mgmt_login ok=yes", EntryKind.PREDICATE)[0])
    assert not result.ok and "management service" in result.error


def test_type_without_enter_leaves_the_line_unfinished(interp_lab):
    lab = interp_lab
    do(lab, "type admin vms enter=no")
    assert holds(lab, 'console_contains admin "dom2 running"') == [False]
    do(lab, 'type admin ""')
    assert holds(lab, 'console_contains admin "dom2 running"') == [True]


def test_run_load_and_set(write_lesson):
    path = write_lesson(STEP)
    shutil.copy(DATA / "spin.S", path.parent / "spin.S")
    lab = Lab(parse_lesson(path))
    lab.start()
    try:
        do(lab, "load tenant spin.S")  # tenant now spins forever: the machine never idles
        assert holds(lab, 'trace "loaded spin.S"') == [True]
        before = lab.hv.time
        do(lab, "run 5000")
        assert lab.hv.time == before + 5000
        do(lab, "set hypercall.check_bounds on")
        assert lab.hv.policy["hypercall.check_bounds"] is True
    finally:
        lab.close()


def test_patch_action_applies_and_a_broken_patch_reports_its_line(write_lesson):
    path = write_lesson(STEP)
    (path.parent / "deny.py").write_text(
        "from lab.hv.hypercalls import SbiError, SbiRet\n\n\n"
        "def console_write(hv, vm, num_bytes, base_addr_lo, base_addr_hi):\n"
        "    return SbiRet.fail(SbiError.DENIED, 'no printing today')\n"
    )
    (path.parent / "broken.py").write_text("def console_write(hv, vm, n, lo, hi):\n    return (\n")
    lab = Lab(parse_lesson(path))
    lab.start()
    try:
        do(lab, "patch dbcn.console_write deny.py\ntype tenant print 0x80000000 4")
        assert lab.hv.trace.select(kinds=["hypercall"])[-1].error == SbiError.DENIED
        with pytest.raises(ActionError, match=r"broken.py: line \d+: syntax error"):
            do(lab, "patch dbcn.console_write broken.py")
    finally:
        lab.close()


def test_reset_step_restores_memory_registers_consoles_and_trace(lab):
    hv = lab.hv
    tenant, bank = hv.vm("tenant"), hv.vm("bank")
    do(lab, "type tenant w 0x80030000 0x41 0x42")
    lab.begin_step(0)
    memory = hv.mem.read(0, hv.mem.size)
    regs = [vm.cpu.snapshot() for vm in hv.vms]
    console, trace_len, time = bytes(tenant.console), hv.trace.seq, hv.time

    do(lab, "type tenant w 0x80030000 0x58 0x59\ntype tenant destroy 2\nset hypercall.authorize on")
    assert bank.destroyed and hv.mem.read(tenant.ram_host + 0x30000, 2) == b"XY"
    lab.reset_step()

    assert hv.mem.read(0, hv.mem.size) == memory
    assert [vm.cpu.snapshot() for vm in hv.vms] == regs
    assert bytes(tenant.console) == console and hv.trace.seq == trace_len and hv.time == time
    assert not bank.destroyed and hv.policy["hypercall.authorize"] is False
    # the restored machine runs on as if nothing happened
    do(lab, "type tenant x 0x80030000 2\ntype bank balance alice")
    assert holds(lab, 'console_contains tenant "4142"\nconsole_contains bank "alice: 1200" since=step') == [
        True,
        True,
    ]


def test_attack_outcome_replays_in_place_and_restores_the_live_machine(interp_lab):
    lab = interp_lab
    lesson = lab.lesson
    lesson.steps[0].harden = calls(lab, "set hypercall.authorize on", EntryKind.ACTION)
    lab.begin_step(1)  # as if a later step asked attack_blocked
    before = lab.hv.trace.seq
    assert lab.attack_outcome()[0] is False  # vulnerable: the peek still works
    assert lab.hv.trace.seq == before and lab.step_index == 1
    do(lab, "set hypercall.authorize on")
    blocked, why = lab.attack_outcome()
    assert blocked, why
    assert not holds(lab, "secret_leaked tenant")[0]  # the replay left no trace on the live machine


def test_a_seed_gives_each_student_their_own_secrets(write_lesson):
    lesson = parse_lesson(write_lesson(STEP))
    seen = []
    for seed in (1, 2):
        lab = Lab(lesson, seed=seed)
        lab.start()
        try:
            secret = lab.hv.vm("bank").config.secret
            assert secret.startswith(b"BANK{") and secret != b"BANK{pin-4711-do-not-share}"
            do(lab, "type tenant peek 2 0x80001000 32\ntype tenant print 0x7FFB0040 32")
            console = bytes(lab.hv.vm("tenant").console)
            assert b"pin-4711" not in console and b"hypervisor-region-secret" not in console
            assert holds(lab, "secret_leaked tenant from=bank\nsecret_leaked tenant from=hypervisor") == [
                True,
                True,
            ]
            seen.append(secret)
        finally:
            lab.close()
    assert seen[0] != seen[1]


def test_snapshots_cover_the_virtual_network():
    from lab.hv.snapshot import restore, take
    from lab.scenario import load_scenario

    hv = load_scenario(DATA / "net.toml").hv
    hv.run(200_000)
    before = hv.net.state()
    snap = take(hv)
    hv.net.vnics[1].counters.tx_frames = 99  # the network moves on ...
    assert hv.net.state() != before
    restore(hv, snap)
    assert hv.net.state() == before and hv.net.hv is hv
    restore(hv, snap)  # ... and one snapshot restores any number of times
    assert hv.net.state() == before


def test_lesson_checks_see_a_call_made_before_a_flood(write_lesson):
    """`hypercall` and `trace` over the whole lesson still find the denied peek
    after 60,000 other calls, far more than the trace keeps in order
    (lab.hv.trace); `since=step` does not."""
    path = write_lesson(STEP)
    (path.parent / "flood.S").write_text(FLOOD.format(n=60_000))  # one peek of dom0, then BASE calls
    lab = Lab(parse_lesson(path))
    lab.start()
    try:
        do(lab, "set hypercall.authorize on\ntype tenant peek 2 0x80001000 32")
        lab.begin_step(0)
        do(lab, "load bank flood.S\nrun 900000")
        assert lab.hv.vm("bank").hypercalls > LIMIT + CHUNK
        assert holds(
            lab,
            """
hypercall vm=tenant fn=peek result=denied
trace "dom1 (tenant) is not the control domain"
hypercall vm=bank fn=peek result=denied
hypercall vm=tenant fn=peek since=step
hypercall vm=bank fn=get_spec_version result=ok since=step
""",
        ) == [True, True, True, False, True]
    finally:
        lab.close()


def test_a_patch_file_that_is_not_utf8_is_an_action_error(tmp_path):
    # issue 14.5 (every loader): the patch action read its file with read_text and let
    # UnicodeDecodeError out of the engine
    from lab.scenario import SCENARIOS_DIR
    from tests.lesson.conftest import FRONT

    shutil.copy(SCENARIOS_DIR / "api.toml", tmp_path / "api.toml")
    (tmp_path / "fix.py").write_bytes(b"def console_write(hv, vm, n, lo, hi):\n    return '\xff'\n")
    lesson = tmp_path / "demo.md"
    lesson.write_text(
        FRONT + STEP.replace("type tenant peek", "patch dbcn.console_write fix.py\ntype tenant peek")
    )
    lab = Lab(parse_lesson(lesson))
    lab.start()
    try:
        with pytest.raises(ActionError, match=r"fix\.py:2: is not UTF-8 text"):
            lab.perform(lab.lesson.steps[0].solution[0])
    finally:
        lab.close()


def test_attack_outcome_is_replayed_once_per_hardening(interp_lab, monkeypatch):
    """A step's checks are evaluated again and again while a student works: the same hardening
    gets the kept answer, a changed switch or patch a fresh replay."""
    lab = interp_lab
    lab.lesson.steps[0].harden = calls(lab, "set hypercall.authorize on", EntryKind.ACTION)
    lab.begin_step(1)
    replays = []
    replay = lab.replay_attacks
    monkeypatch.setattr(lab, "replay_attacks", lambda last: replays.append(last) or replay(last))
    assert lab.attack_outcome()[0] is False
    assert lab.attack_outcome()[0] is False and len(replays) == 1  # asked again: not replayed
    do(lab, "set hypercall.authorize on")
    assert lab.attack_outcome()[0] is True and len(replays) == 2  # hardened: replayed
    do(lab, "set hypercall.authorize off")
    assert lab.attack_outcome()[0] is False and len(replays) == 2  # the first hardening's answer
    lab.start()  # a new machine: nothing kept
    lab.begin_step(1)
    assert lab.attack_outcome()[0] is False and len(replays) == 3
