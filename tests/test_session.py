"""The session: what the TUI and the web call, typed records in and out (JSON for the web)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lab.cpu import backends
from lab.scenario import SCENARIOS_DIR
from lab.session import Session, SessionError, to_json
from lab.session.records import (
    CodeLine,
    Done,
    MappingView,
    MgmtReply,
    PatchResult,
    PcapSaved,
    PolicySet,
    Refused,
    VmControlled,
)

LESSONS = Path(__file__).resolve().parents[1] / "lessons"


@pytest.fixture
def session(tmp_path):
    s = Session(LESSONS, backend="interp", progress_path=tmp_path / "progress.json")
    yield s
    s.close()


def plain(value) -> bool:
    """A record whose JSON form survives a round trip: what the web worker needs."""
    data = to_json(value)
    return json.loads(json.dumps(data)) == data


def test_lessons_are_listed_per_language(session):
    en = session.list_lessons("en")
    de = session.list_lessons("de")
    assert [x.id for x in en][:4] == ["tour", "hypercalls", "control-api", "guest-buffers"]
    assert [x.id for x in de] == [x.id for x in en]
    assert de[0].lang == "de" and de[0].title.startswith("Rundgang")
    assert plain(en) and session.problems().lessons == ()


def test_a_lesson_from_start_to_finish(session, tmp_path):
    view = session.open_lesson("control-api", "en")
    assert plain(view) and view.steps[1].attack and view.vms == ("admin", "tenant", "bank")
    with pytest.raises(SessionError):
        session.state()
    state = session.start()
    assert plain(state) and state.step == 0 and len(state.vms) == 3 and state.seat == "tenant"
    assert state.vms[0].control and state.vms[0].instret > 0

    assert session.evaluate().done is False  # nothing done yet: one attempt
    out = session.type("tenant", "vms")
    assert "dom2 running" in out.text
    assert session.evaluate().done is False  # the checks count once the prediction is made
    session.answer(1, "1")  # "yes: nothing checks who makes a control call"
    out = session.type("tenant", "vms")
    result = session.evaluate()
    # done, and it stays on screen with what was achieved until the student moves on
    assert result.done and result.done_now and result.step == 0 and all(c.done for c in result.checks)
    assert result.checks[0].sentence == "tenant called info (in this step)"
    state = session.state()
    assert state.step == 0 and state.done and state.progress[0].done
    again = session.evaluate()
    assert again.done and not again.done_now  # said once
    state = session.next_step()
    assert state.step == 1 and not state.done and not any(c.done for c in state.checks)
    assert isinstance(session.next_step(), Refused)  # step 2 is not done yet

    hint = session.hint()
    assert hint.index == 0 and hint.left == 2 and "<code>" in hint.html  # a ladder of three
    assert session.state().progress[1].hints_shown == 1  # how far down the ladder
    session.type("admin", "vms")
    session.type("tenant", "peek 2 0x80001000 32")
    assert session.evaluate().done
    session.next_step()
    session.type("tenant", "destroy 2")
    assert session.evaluate().done
    session.next_step()

    session.answer(1, "2")  # the tenant's peek will be denied
    assert isinstance(session.set_policy("hypercall.authorize", "maybe"), Refused)
    assert session.set_policy("hypercall.authorize", "on") == PolicySet(key="hypercall.authorize", value=True)
    session.type("tenant", "peek 2 0x80001000 32")
    session.type("admin", "vms")
    result = session.evaluate()
    assert result.done and not result.finished, result
    blocked = next(c for c in result.checks if c.check == "attack_blocked")
    assert blocked.done and "attack fails" in blocked.detail
    session.next_step()

    session.answer(1, "2")  # what the check costs: a few percent at most
    assert session.measure().summary.startswith("hypercalls under the custom policy cost")
    assert session.evaluate().done
    session.next_step()

    for number, choice in ((1, "1"), (2, "2"), (3, "2")):  # the reflection's questions
        session.answer(number, choice)
    result = session.evaluate()
    assert result.done and result.finished and result.finished_now, result
    assert session.state().complete
    again = session.evaluate()  # finished already: said once
    assert again.finished and not again.finished_now

    saved = json.loads((tmp_path / "progress.json").read_text())
    steps = saved["lessons"]["control-api"]["steps"]
    assert steps["0"]["attempts"] == 2 and steps["1"]["hints"] == 1
    assert all(steps[str(i)]["done"] for i in range(6))
    assert saved["lessons"]["control-api"]["finished"] is not None


def test_reset_step_restores_consoles_and_the_machine(session):
    session.open_lesson("control-api")
    session.start()
    before = session.console("tenant")
    session.type("tenant", "destroy 2")
    assert session.state().vms[2].state == "destroyed"
    state = session.reset_step()
    assert state.vms[2].state == "running"
    assert session.console("tenant") == before


def test_console_and_trace_since(session):
    session.open_lesson("hypercalls")
    session.start()
    seq = session.console("tenant").seq
    mark = session.trace().seq
    session.type("tenant", "hcall 0x10 0")
    assert session.console("tenant", since=seq).text.startswith("hcall 0x10 0\na0=0x00000000 a1=0x02000000")
    events = session.trace(since=mark, vm="tenant", kinds=["hypercall"]).events
    assert [e.call.fn for e in events] == ["get_spec_version"] and plain(events)
    assert events[0].call.code == ()  # the trace carries no code; the timeline does
    assert session.trace(since=mark, vm="admin").events == ()


def test_policy_and_patches(session):
    session.open_lesson("guest-buffers")
    session.start()
    switches = {s.key: s for s in session.policy()}
    assert switches["hypercall.check_bounds"].value is False and switches["hypercall.check_bounds"].mirrors
    original = session.patch_source("dbcn.console_write")
    assert "def console_write(hv, vm, num_bytes, base_addr_lo, base_addr_hi)" in original.source
    # the original, as the editor shows it, runs unchanged as a patch
    assert session.apply_patch("dbcn.console_write", original.source).ok
    assert (
        "HVLAB!"
        in session.type("tenant", "w 0x80030000 0x48 0x56 0x4c 0x41 0x42 0x21\nprint 0x80030000 6").text
    )
    bad = session.apply_patch("dbcn.console_write", "def console_write(hv, vm, n, lo, hi):\n    return (\n")
    assert isinstance(bad, Refused) and bad.line == 2
    fix = (LESSONS / "patches" / "console_write.py").read_text()
    assert session.apply_patch("dbcn.console_write", fix) == PatchResult(handler="dbcn.console_write")
    assert session.state().patches == ("dbcn.console_write",)
    assert "refused (SBI_ERR_INVALID_PARAM)" in session.type("tenant", "print 0x80041000 32").text
    session.revert_patch("dbcn.console_write")
    assert "BANK{" in session.type("tenant", "print 0x80041000 32").text
    with pytest.raises(SessionError):
        session.patch_source("dbcn.nothing")


def test_progress_survives_a_restart_and_resumes_at_the_current_step(tmp_path):
    path = tmp_path / "p.json"
    first = Session(LESSONS, progress_path=path)
    first.open_lesson("hypercalls")
    first.start()
    first.answer(1, "0x02000000")
    first.type("tenant", "hcall 0x10 0")
    assert first.evaluate().done
    first.next_step()
    assert first.hints_shown() == ()
    seen = first.hint()
    first.close()

    second = Session(LESSONS, progress_path=path)
    assert second.list_lessons()[1].done_steps == 1
    second.open_lesson("hypercalls", "de")
    state = second.start()
    assert state.step == 1 and state.lang == "de"
    # The hint seen before is shown again (in the language now chosen), not counted twice.
    (again,) = second.hints_shown()
    assert again.index == seen.index == 0 and again.left == seen.left
    assert again.text != seen.text and again.html.startswith("<p>")
    assert second.progress()["lessons"]["hypercalls"]["steps"]["1"]["hints"] == 1
    # step 1's solution was replayed, so its output is on the console
    assert "a1=0x02000000" in second.console("tenant").text
    assert isinstance(second.load_progress({"version": 7}), Refused)
    assert second.load_progress(second.progress()) == Done()
    second.close()


def test_run_step_play_pause(session):
    session.open_lesson("tour")
    session.start()
    assert session.run(1000).reason == "idle"  # every guest waits at its prompt
    assert session.state().running is False  # `run` runs; the run loop is `play`
    assert session.play().running is True and session.state().running is True
    assert session.pause().running is False
    assert session.step().retired == 0


# -- the timeline and the network

GUESTS = Path(__file__).resolve().parents[1] / "lab" / "guests"
# A one-step lesson on the management scenario: the course's network lessons are longer.
NET_LESSON = f"""+++
id = "net-tour"
title = "The management network"
scenario = "{(SCENARIOS_DIR / "mgmt.toml").as_posix()}"
lang = "en"
summary = "Ping the hypervisor's management interface."
minutes = 5
+++

The tenants' segment.

## Ping

Ping the management interface from the tenant.

```check
console_contains tenant "1 received"
```

```solution
type tenant "ping 10.0.0.1 1"
```
"""


def write_net_lesson(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "net-tour.md").write_text(NET_LESSON, encoding="utf-8")
    return directory


@pytest.fixture
def net_session(tmp_path):
    s = Session(write_net_lesson(tmp_path / "lessons"), backend="interp")
    s.open_lesson("net-tour")
    s.start()
    yield s
    s.close()


def test_the_timeline_shows_each_hypercall_with_the_code_that_made_it(session):
    session.open_lesson("control-api")
    session.start()
    before = session.timeline()
    assert plain(before) and before.dropped == 0
    assert [i.seq for i in before.items] == list(range(1, before.seq + 1))

    session.type("tenant", "vms")
    new = session.timeline(since=before.seq)
    assert plain(new) and new.epoch == before.epoch
    assert all(i.seq > before.seq for i in new.items)
    times = [i.time for i in new.items]
    assert times == sorted(times)
    info = next(i for i in new.items if i.kind == "hypercall" and "VMCTL.info(domid=2)" in i.text)
    assert info.domid == 1
    code = info.call.code
    # The last instruction is the ecall itself, at the hypercall's pc; the ones before
    # it load the extension and function IDs into a7 and a6 (the SBI convention).
    assert 2 <= len(code) <= 4 and code[-1] == CodeLine(pc=info.call.pc, word=0x73, text="ecall", ecall=True)
    assert [c.pc for c in code] == list(range(info.call.pc - 4 * (len(code) - 1), info.call.pc + 4, 4))
    assert any("a7" in c.text for c in code[:-1]) and not any(c.ecall for c in code[:-1])
    assert session.timeline(since=new.seq).items == ()

    # A small limit gives the newest items and says how many it left out.
    last = session.timeline(since=0, limit=3)
    assert [i.seq for i in last.items] == [new.seq - 2, new.seq - 1, new.seq]
    assert last.dropped == new.seq - 3

    # Back in time: a new epoch, numbered afresh, without the calls that were undone.
    session.reset_step()
    again = session.timeline(since=new.seq)
    assert again.epoch != new.epoch
    redo = session.timeline(since=0)
    assert not any("VMCTL.info" in i.text for i in redo.items)
    assert redo.seq == before.seq


def test_a_scenario_without_a_network_says_so(session, tmp_path):
    session.open_lesson("control-api")
    session.start()
    assert session.network() is None
    assert all(vm.nic is None for vm in session.state().vms)
    assert session.save_pcap("tenants", tmp_path / "x.pcap") == Refused(error="this scenario has no network")


def test_the_network_view_counts_what_a_ping_sent(net_session):
    s = net_session
    s.type("tenant", "ping 10.0.0.1 1")
    net = s.network()
    assert plain(net)
    [segment] = net.segments
    ports = {p.name: p for p in segment.ports}
    assert {n: p.kind for n, p in ports.items()} == {
        "admin": "vnic",
        "tenant": "vnic",
        "bank": "vnic",
        "mgmt": "mgmt",
    }
    assert ports["tenant"].domid == 1 and ports["mgmt"].domid == -1
    # ARP request + echo request in from the tenant; ARP reply + echo reply back out to it.
    assert ports["tenant"].counters.rx_frames == 2 and ports["tenant"].counters.tx_frames == 2
    assert segment.mac_table["02:00:00:00:00:01"] == "tenant"
    summaries = [f.summary for f in segment.frames]
    assert summaries[0] == "ARP who-has 10.0.0.1 tell 10.0.0.11"
    assert any("ICMP echo reply" in x for x in summaries)
    assert net.mgmt.segment == "tenants" and net.mgmt.counters.echo_replies == 1

    vnics = {v.vm: v for v in net.vnics}
    assert vnics["tenant"].ip == "10.0.0.11" and vnics["tenant"].mac == "02:00:00:00:00:01"
    tenant = next(vm for vm in s.state().vms if vm.name == "tenant")
    assert (tenant.nic.ip, tenant.nic.mac, tenant.nic.counters) == (
        vnics["tenant"].ip,
        vnics["tenant"].mac,
        vnics["tenant"].counters,
    )
    assert tenant.nic.counters.tx_frames == 2 and tenant.nic.counters.tx_drops == 0
    # A view is a snapshot: the counters it holds do not move on with the machine.
    s.type("tenant", "ping 10.0.0.1 1")
    assert tenant.nic.counters.tx_frames == 2 and s.network().vnics[1].counters.tx_frames > 2


def test_a_user_programs_hypercall_is_a_privilege_event_then_the_call_it_became(session):
    """ush, a user program in the control domain, pauses a VM: the timeline shows who called
    (the privilege event) and then the hypercall it was served as; hardened, only the first."""
    session.open_lesson("authentication")
    session.start()
    before = session.timeline().seq
    session.type("ops", "ecall 0x09000001 3 2")
    items = session.timeline(since=before).items
    who = next(i for i in items if i.kind == "privilege")
    assert "dom0 (ops): ecall from user mode at 0x" in who.text and who.call is None
    assert "served as a VMCTL hypercall" in who.text
    call = next(i for i in items if i.kind == "hypercall" and "VMCTL.pause(domid=2)" in i.text)
    assert call.seq > who.seq and call.call.code[-1].ecall
    events = session.trace(kinds=["privilege"]).events
    assert [e.text for e in events] == [who.text]

    session.set_policy("hypercall.check_caller_mode", True)
    before = session.timeline().seq
    session.type("ops", "ecall 0x09000001 4 2")
    items = session.timeline(since=before).items
    assert any(i.kind == "privilege" and "passed to the guest kernel, not served" in i.text for i in items)
    assert not any(i.kind == "hypercall" and "VMCTL.unpause" in i.text for i in items)


def test_the_timeline_puts_each_frame_after_the_hypercall_that_sent_it(net_session):
    s = net_session
    start = s.timeline().seq
    s.type("tenant", "ping 10.0.0.1 1")
    items = s.timeline(since=start).items
    frames = [i for i in items if i.kind == "frame"]
    assert [f.text.split(" ")[0:2] for f in frames][:2] == [["ARP", "who-has"], ["ARP", "10.0.0.1"]]
    request = next(i for i in frames if "ICMP echo request" in i.text)
    assert request.domid == 1 and request.packet.segment == "tenants" and request.packet.port == "tenant"
    before = items[items.index(request) - 1]
    assert before.kind == "hypercall" and before.text.startswith("NET.send(")
    assert before.time == request.time and before.call.code[-1].ecall
    reply = next(i for i in frames if "ICMP echo reply" in i.text)
    assert reply.domid == -1 and reply.packet.port == "mgmt" and reply.time > request.time


def test_save_pcap_writes_what_the_segment_captured(net_session, tmp_path):
    from lab.net.frames import describe
    from lab.net.pcap import read_pcap

    s = net_session
    s.type("tenant", "ping 10.0.0.1 1")
    result = s.save_pcap("tenants", tmp_path / "new" / "dir" / "t.pcap")
    assert isinstance(result, PcapSaved) and result.frames == 4 and Path(result.path).is_absolute()
    linktype, records = read_pcap(Path(result.path).read_bytes())
    assert linktype == 1 and len(records) == 4  # Ethernet
    assert [describe(r.data) for r in records] == [f.summary for f in s.network(frames=10).segments[0].frames]
    assert s.save_pcap("dmz", tmp_path / "x.pcap") == Refused(error="no segment 'dmz' (there is tenants)")
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    failed = s.save_pcap("tenants", blocker / "t.pcap")
    assert isinstance(failed, Refused) and "cannot write" in failed.error


@pytest.mark.parametrize("backend", backends())
def test_the_code_under_a_hypercall_ends_at_its_ecall_on_every_backend(backend, tmp_path):
    # unicorn reports an ecall with the pc already past it; the timeline must not show the next word.
    s = Session(LESSONS, backend=backend)
    s.open_lesson("control-api")
    s.start()
    since = s.timeline().seq
    s.type("tenant", "vms")
    calls = [i.call for i in s.timeline(since=since).items if i.kind == "hypercall"]
    assert calls and all(c.code[-1].text == "ecall" and c.code[-1].pc == c.pc for c in calls)
    epoch = s.timeline().epoch
    s.close()
    s.open_lesson("tour")
    s.start()
    assert s.timeline().epoch != epoch  # another machine: readers start over
    s.close()


def test_the_out_of_band_console_reaches_the_management_service(net_session):
    s = net_session
    listing = s.mgmt_console("LIST")
    assert listing.ok and "tenant=running" in listing.reply
    assert s.mgmt_console("DESTROY tenant").ok
    assert "tenant=" not in s.mgmt_console("LIST").reply
    refused = s.mgmt_console("FROBNICATE")
    assert isinstance(refused, MgmtReply) and not refused.ok and refused.reply.startswith("ERR")


def test_grants_lists_every_vms_table_and_mappings(session):
    s = session
    s.open_lesson("grant-tables")
    s.start()
    s.type("tenant", "map 2 1 0x90001000 1")
    tables = {t.vm: t for t in s.grants()}
    refs = {g.ref: g for g in tables["notary"].grants}
    assert refs[1].grantee == 1 and refs[1].readonly and refs[0].grantee == 0
    assert tables["tenant"].mapped == (MappingView(gpa=0x9000_1000, granter=2, ref=1, writable=False),)
    assert plain(s.grants())


STORAGE_LESSON = f"""+++
id = "disk-tour"
title = "Disks"
scenario = "{(SCENARIOS_DIR / "storage.toml").as_posix()}"
lang = "en"
summary = "Each VM's disk and its counters."
minutes = 10
+++

## Read

```check
console_contains tenant "sectors"
```

```hint
Ask the monitor.
```

```solution
type tenant "dinfo"
```
"""


def test_the_vm_list_shows_each_disk_with_its_io_counters(tmp_path):
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    (lessons / "disk-tour.md").write_text(STORAGE_LESSON, encoding="utf-8")
    s = Session(lessons, backend="interp")
    s.open_lesson("disk-tour")
    s.start()
    before = {vm.name: vm.disk for vm in s.state().vms}
    assert before["tenant"].size == 4096 and before["bank"].size == 64 * 1024
    assert before["bank"].writes == 1  # the ledger the bank wrote at boot
    s.type("tenant", "dread 0 2")
    tenant = next(vm for vm in s.state().vms if vm.name == "tenant").disk
    assert tenant.reads == before["tenant"].reads + 1
    assert tenant.sectors_read == before["tenant"].sectors_read + 2
    assert plain(s.state())
    s.close()


def test_measure_puts_what_hardening_costs_into_the_trace(session):
    session.open_lesson("control-api")
    session.start()
    session.set_policy("hypercall.check_bounds", True)
    out = session.measure(calls=200)
    assert out.ok and out.summary.startswith("hypercalls under the custom policy cost"), out
    assert out.measurement.calls == 200 and out.measurement.label == "custom" and plain(out)
    assert any(e.text == f"measured: {out.summary}" for e in session.trace().events)
    assert session.measure(calls=5) == Refused(
        error="calls=5: measure between 100 and 20000 hypercalls a slice"
    )


def test_vm_controls_pause_unpause_reboot_and_destroy(session):
    session.open_lesson("control-api")
    session.start()
    assert session.vm_control("bank", "pause") == VmControlled(vm="bank", state="paused")
    assert session.vm_control("bank", "unpause").state == "running"
    assert session.vm_control("bank", "destroy") == VmControlled(vm="bank", state="destroyed")
    assert next(vm for vm in session.state().vms if vm.name == "bank").state == "destroyed"
    assert session.vm_control("bank", "reboot") == Refused(error="bank is destroyed")
    with pytest.raises(SessionError, match="no VM action 'melt'"):
        session.vm_control("tenant", "melt")


def test_only_evaluations_a_student_asked_for_count_as_attempts(session):
    session.open_lesson("control-api")
    session.start()
    for _ in range(3):
        assert not session.evaluate(attempt=False).done  # a front end's periodic look
    assert session.progress()["lessons"]["control-api"]["steps"]["0"]["attempts"] == 0
    session.evaluate()
    assert session.progress()["lessons"]["control-api"]["steps"]["0"]["attempts"] == 1


@pytest.mark.parametrize("content", [b"garbage", b"\xff\xfe\x00binary", b'{"version": 1, "lessons": []}'])
def test_an_unreadable_progress_file_is_kept_aside_and_the_student_starts_afresh(tmp_path, content):
    path = tmp_path / "progress.json"
    path.write_bytes(content)
    session = Session(LESSONS, progress_path=path)
    (kept,) = tmp_path.glob("progress.json.unreadable-*")
    assert kept.read_bytes() == content  # nothing the student had is lost
    problem = session.problems().progress
    assert str(kept) in problem and "progress.json" in problem
    session.open_lesson("hypercalls")
    session.start()
    session.close()
    assert json.loads(path.read_text())["lessons"]["hypercalls"]["current"] == 0  # a fresh record


def test_the_editor_includes_the_guest_library_and_marks_errors_at_the_include(tmp_path):
    session = Session(LESSONS)
    session.open_lesson("hypercalls")
    session.start()
    ok = session.assemble('.include "lib/sbi.S"\n    li a7, EID_DBCN\n    ecall\n')
    assert ok.ok and ok.size == 12  # li of a 32-bit constant (lui+addi) and ecall
    broken = tmp_path / "broken.S"
    broken.write_text("    nop\n    addi x1, x2\n")
    result = session.assemble(f'    nop\n.include "{broken}"\n')
    (error,) = result.errors
    assert error.line == 2 and f"{broken}:2:" in error.message  # the student's line 2
    session.close()


# -- questions, steps that wait for the student, resuming (issue 16)


@pytest.fixture
def quiz_session(tmp_path):
    """A session on a two-lesson folder: the quiz lesson of tests/lesson/test_quiz.py."""
    from tests.lesson.conftest import FRONT
    from tests.lesson.test_quiz import GOOD

    folder = tmp_path / "course"
    folder.mkdir()
    (folder / "api.toml").write_text((SCENARIOS_DIR / "api.toml").read_text())
    (folder / "demo.md").write_text(FRONT + GOOD)
    s = Session(folder, backend="interp", progress_path=tmp_path / "progress.json")
    yield s
    s.close()


def test_a_prediction_comes_first_and_its_result_shows_when_the_step_is_done(quiz_session):
    s = quiz_session
    view = s.open_lesson("demo")
    (predict,) = view.steps[0].quizzes
    assert predict.kind == "predict" and predict.choices_markdown[1] == "Refuse with SBI_ERR_DENIED"
    assert "never asks" not in json.dumps(to_json(view))  # no explanation, no right answer in the view
    assert "often forget" not in json.dumps(to_json(view))  # instructor notes never reach students
    s.start()
    s.type("tenant", "peek 2 0x80001000 32")
    result = s.evaluate()
    assert not result.predicted and not result.done and not any(c.done for c in result.checks)
    answered = s.answer(1, "2")  # wrong, and that is allowed: nothing said yet
    assert answered.quiz.answered and answered.quiz.right is None and answered.quiz.explanation_html == ""
    assert isinstance(s.answer(1, "1"), Refused)  # a prediction is answered once
    # what was typed before predicting does not count for since=step checks, but this one is since=lesson
    result = s.evaluate()
    assert result.predicted and result.done and result.done_now
    (state,) = result.quizzes
    assert state.right is False and state.answer == "2" and "never asks" in state.explanation_html
    assert plain(result)


def first_step_done(s: Session) -> None:
    """The quiz lesson's first step: predicted (right), then the bank's secret read."""
    s.open_lesson("demo")
    s.start()
    s.answer(1, "1")
    s.type("tenant", "peek 2 0x80001000 32")
    assert s.evaluate().done


def test_a_quiz_is_tried_until_right_and_the_step_waits_for_it(quiz_session):
    s = quiz_session
    first_step_done(s)
    state = s.next_step()
    assert state.step == 1 and [q.answered for q in state.quizzes] == [False, False]
    assert isinstance(s.answer(2, "7"), Refused)  # no choice 7: not even an attempt
    wrong = s.answer(2, "1")
    assert wrong.ok and wrong.quiz.right is False and not wrong.quiz.answered and wrong.quiz.attempts == 1
    assert wrong.quiz.explanation_html == ""
    right = s.answer(1, "2147487744")  # 0x80001000, in decimal
    assert (
        right.quiz.right is True
        and right.quiz.answer == "2147487744"
        and "puts it there" in right.quiz.explanation_html
    )
    assert not s.evaluate().done  # quiz 2 still open
    assert s.answer(2, "3,1").quiz.right
    result = s.evaluate()
    assert result.done and result.finished and result.finished_now
    saved = s.progress()["lessons"]["demo"]["steps"]["1"]["quizzes"]
    assert saved == {
        "1": {"attempts": 1, "right": True, "answer": "2147487744"},
        "2": {"attempts": 2, "right": True, "answer": "3,1"},
    }


def test_a_resumed_lesson_lands_on_the_first_step_not_done_with_its_answers(quiz_session, tmp_path):
    s = quiz_session
    first_step_done(s)  # done, but the student has not moved on
    s.close()
    again = Session(s.lessons_dir, backend="interp", progress_path=tmp_path / "progress.json")
    again.open_lesson("demo")
    state = again.start()
    assert state.step == 1 and not state.done
    again.answer(1, "0x80001000")
    again.answer(2, "1,3")
    assert again.evaluate().finished
    again.close()
    third = Session(s.lessons_dir, backend="interp", progress_path=tmp_path / "progress.json")
    third.open_lesson("demo")
    state = third.start()  # every step done: the last one, complete, its answers kept
    assert state.step == 1 and state.complete and all(q.answered for q in state.quizzes)
    result = third.evaluate()
    assert result.done and not result.done_now and not result.finished_now
    third.close()


def test_reset_step_undoes_a_done_step(quiz_session):
    s = quiz_session
    first_step_done(s)
    assert not s.reset_step().done
    result = s.evaluate()
    assert not result.done and result.predicted  # the prediction stays answered; the leak is gone
