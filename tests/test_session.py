"""The session facade: what the TUI and the web call, in plain data only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lab.session import Session, SessionError

LESSONS = Path(__file__).resolve().parents[1] / "lessons"


@pytest.fixture
def session(tmp_path):
    s = Session(LESSONS, backend="interp", progress_path=tmp_path / "progress.json")
    yield s
    s.close()


def plain(value) -> bool:
    """JSON-serializable without help: what the web worker needs."""
    return json.loads(json.dumps(value)) == value


def test_lessons_are_listed_per_language(session):
    en = session.list_lessons("en")
    de = session.list_lessons("de")
    assert [x["id"] for x in en][:4] == ["tour", "hypercalls", "control-api", "guest-buffers"]
    assert [x["id"] for x in de] == [x["id"] for x in en]
    assert de[0]["lang"] == "de" and de[0]["title"].startswith("Rundgang")
    assert plain(en) and session.problems == []


def test_a_lesson_from_start_to_finish(session, tmp_path):
    view = session.open_lesson("control-api", "en")
    assert plain(view) and view["steps"][1]["attack"] and view["vms"] == ["admin", "tenant", "bank"]
    with pytest.raises(SessionError):
        session.state()
    state = session.start()
    assert plain(state) and state["step"] == 0 and len(state["vms"]) == 3
    assert state["vms"][0]["control"] and state["vms"][0]["instret"] > 0

    assert session.evaluate()["done"] is False  # nothing done yet: one attempt
    out = session.type("tenant", "vms")
    assert "dom2 running" in out["text"]
    result = session.evaluate()
    assert result["done"] and result["advanced"] and session.state()["step"] == 1

    hint = session.hint()
    assert hint["index"] == 0 and hint["left"] == 1 and "<code>" in hint["html"]
    session.type("admin", "vms")
    session.type("tenant", "peek 2 0x80001000 32")
    assert session.evaluate()["advanced"]
    session.type("tenant", "destroy 2")
    assert session.evaluate()["advanced"]

    assert session.set_policy("hypercall.authorize", "maybe")["ok"] is False
    assert session.set_policy("hypercall.authorize", "on") == {
        "ok": True,
        "key": "hypercall.authorize",
        "value": True,
    }
    session.type("tenant", "peek 2 0x80001000 32")
    session.type("admin", "vms")
    result = session.evaluate()
    assert result["done"] and result["finished"], result
    blocked = next(c for c in result["checks"] if c["check"] == "attack_blocked")
    assert blocked["done"] and "attack fails" in blocked["detail"]

    saved = json.loads((tmp_path / "progress.json").read_text())
    steps = saved["lessons"]["control-api"]["steps"]
    assert steps["0"]["attempts"] == 1 and steps["1"]["hints"] == 1
    assert all(steps[str(i)]["done"] for i in range(4))
    assert saved["lessons"]["control-api"]["finished"] is not None


def test_reset_step_restores_consoles_and_the_machine(session):
    session.open_lesson("control-api")
    session.start()
    before = session.console("tenant")
    session.type("tenant", "destroy 2")
    assert session.state()["vms"][2]["state"] == "destroyed"
    state = session.reset_step()
    assert state["vms"][2]["state"] == "running"
    assert session.console("tenant") == before


def test_console_and_trace_since(session):
    session.open_lesson("hypercalls")
    session.start()
    seq = session.console("tenant")["seq"]
    mark = session.trace()["seq"]
    session.type("tenant", "hcall 0x10 0")
    assert session.console("tenant", since=seq)["text"].startswith(
        "hcall 0x10 0\na0=0x00000000 a1=0x02000000"
    )
    events = session.trace(since=mark, vm="tenant", kinds=["hypercall"])["events"]
    assert [e["fn"] for e in events] == ["get_spec_version"] and plain(events)
    assert session.trace(since=mark, vm="admin")["events"] == []


def test_policy_and_patches(session):
    session.open_lesson("guest-buffers")
    session.start()
    switches = {s["key"]: s for s in session.policy()}
    assert (
        switches["hypercall.check_bounds"]["value"] is False and switches["hypercall.check_bounds"]["mirrors"]
    )
    original = session.patch_source("dbcn.console_write")
    assert "def console_write(hv, vm, num_bytes, base_addr_lo, base_addr_hi)" in original["source"]
    # the original, as the editor shows it, runs unchanged as a patch
    assert session.apply_patch("dbcn.console_write", original["source"])["ok"]
    assert (
        "HVLAB!"
        in session.type("tenant", "w 0x80030000 0x48 0x56 0x4c 0x41 0x42 0x21\nprint 0x80030000 6")["text"]
    )
    bad = session.apply_patch("dbcn.console_write", "def console_write(hv, vm, n, lo, hi):\n    return (\n")
    assert bad["ok"] is False and bad["line"] == 2
    fix = (LESSONS / "patches" / "console_write.py").read_text()
    assert session.apply_patch("dbcn.console_write", fix) == {"ok": True, "handler": "dbcn.console_write"}
    assert session.state()["patches"] == ["dbcn.console_write"]
    assert "refused (SBI_ERR_INVALID_PARAM)" in session.type("tenant", "print 0x80041000 32")["text"]
    session.revert_patch("dbcn.console_write")
    assert "BANK{" in session.type("tenant", "print 0x80041000 32")["text"]
    with pytest.raises(SessionError):
        session.patch_source("dbcn.nothing")


def test_progress_survives_a_restart_and_resumes_at_the_current_step(tmp_path):
    path = tmp_path / "p.json"
    first = Session(LESSONS, progress_path=path)
    first.open_lesson("hypercalls")
    first.start()
    first.type("tenant", "hcall 0x10 0")
    assert first.evaluate()["advanced"]
    first.close()

    second = Session(LESSONS, progress_path=path)
    assert second.list_lessons()[1]["done_steps"] == 1
    second.open_lesson("hypercalls", "de")
    state = second.start()
    assert state["step"] == 1 and state["lang"] == "de"
    # step 1's solution was replayed, so its output is on the console
    assert "a1=0x02000000" in second.console("tenant")["text"]
    assert second.load_progress({"version": 7})["ok"] is False
    assert second.load_progress(second.progress())["ok"] is True
    second.close()


def test_run_step_pause(session):
    session.open_lesson("tour")
    session.start()
    assert session.run(1000)["reason"] == "idle"  # every guest waits at its prompt
    assert session.state()["running"] is True
    assert session.pause()["running"] is False
    assert session.step()["retired"] == 0
