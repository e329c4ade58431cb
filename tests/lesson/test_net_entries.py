"""The management-network entries of the lesson registry: `paste`, `start`, `oob`, `mgmt_answered`.

Lessons 7 and 8 replay a student who copies a token off the console, leaves a
flood running while typing at the admin's console, and uses the hypervisor's
out-of-band console; these tests drive the same actions on mgmt.toml and
flood.toml.
"""

from __future__ import annotations

import re

import pytest

from lab.cpu import backends
from lab.lesson import ActionError, Lab, parse_lesson
from lab.lesson.actions import START_RUN
from lab.lesson.engine import SETTLE_BUDGET
from lab.lesson.registry import EntryKind
from lab.scenario import SCENARIOS_DIR
from tests.lesson.conftest import FRONT, STEP
from tests.lesson.test_engine import calls, do, holds


def open_lab(write_lesson, scenario: str, backend: str = "interp", seed: int | None = None) -> Lab:
    front = FRONT.replace('scenario = "api.toml"', f'scenario = "{SCENARIOS_DIR / scenario}"')
    body = STEP.replace("secret_leaked tenant from=bank", "vm_state tenant running")
    body = body.replace("type tenant peek 2 0x80001000 32", "type tenant ip")
    lab = Lab(parse_lesson(write_lesson(body, front=front)), backend=backend, seed=seed)
    lab.start()
    return lab


def console(lab: Lab, vm: str) -> str:
    return lab.hv.vm(vm).console.decode()


@pytest.fixture
def mgmt(write_lesson):
    lab = open_lab(write_lesson, "mgmt.toml")
    yield lab
    lab.close()


def test_paste_fills_in_the_token_brute_found_and_the_bank_is_destroyed(mgmt) -> None:
    do(mgmt, "type tenant brute admin")
    token = re.search(r"token: ([0-9a-f]{16})\n", console(mgmt, "tenant"))
    assert token
    do(mgmt, "paste tenant send 10.0.0.1 6230 {token} DESTROY bank")
    out = console(mgmt, "tenant")
    assert f"send 10.0.0.1 6230 {token[1]} DESTROY bank\nreply: OK destroyed bank\n" in out
    assert holds(mgmt, "vm_state bank destroyed") == [True]


def test_paste_without_a_token_types_the_placeholder_and_the_service_refuses_it(mgmt) -> None:
    do(mgmt, "paste tenant send 10.0.0.1 6230 {token} DESTROY bank")
    assert "send 10.0.0.1 6230 {token} DESTROY bank\nreply: ERR not logged in\n" in console(mgmt, "tenant")
    assert holds(mgmt, "vm_state bank running") == [True]


def test_paste_password_is_the_one_in_force(mgmt) -> None:
    do(mgmt, "paste admin send 10.0.0.1 6230 LOGIN admin {password}")
    assert "LOGIN admin letmein\nreply: OK " in console(mgmt, "admin")
    do(mgmt, "set mgmt.strong_password on\npaste admin send 10.0.0.1 6230 LOGIN admin {password}")
    strong = mgmt.hv.net.strong_password()
    assert re.search(f"LOGIN admin {strong}\nreply: OK [0-9a-f]{{16}}\n", console(mgmt, "admin"))
    assert mgmt.hv.net.mgmt.counters.logins_ok == 2


def test_the_admins_own_token_is_the_one_pasted_at_its_console(mgmt) -> None:
    do(mgmt, "type tenant brute admin\npaste admin send 10.0.0.1 6230 LOGIN admin {password}")
    admin_token = re.search(r"reply: OK ([0-9a-f]{16})\n", console(mgmt, "admin"))
    assert admin_token
    do(mgmt, "paste admin send 10.0.0.1 6230 {token} LIST")
    assert f"{admin_token[1]} LIST\nreply: OK admin=running tenant=running bank=running\n" in console(
        mgmt, "admin"
    )


def test_oob_needs_a_management_service(write_lesson) -> None:
    lab = Lab(parse_lesson(write_lesson(STEP)))  # api.toml: no network
    lab.start()
    try:
        with pytest.raises(ActionError, match="no management service"):
            do(lab, "oob LIST")
    finally:
        lab.close()


def test_mgmt_answered_without_a_report_says_so(mgmt) -> None:
    result = mgmt.check(calls(mgmt, "mgmt_answered admin min=1", EntryKind.PREDICATE)[0])
    assert not result.ok and result.detail == "admin's console shows no sendn report"


@pytest.mark.parametrize("backend", backends())
def test_the_storm_runs_on_while_the_admin_measures_and_oob_still_works(write_lesson, backend) -> None:
    lab = open_lab(write_lesson, "flood.toml", backend)
    try:
        do(lab, "paste admin send 10.0.0.1 6230 LOGIN admin {password}")
        do(lab, "paste admin sendn 10 10.0.0.1 6230 {token} LIST")
        assert holds(lab, "mgmt_answered admin min=10\nmgmt_answered admin max=2") == [True, False]

        before = lab.hv.time
        do(lab, "start tenant storm 10.0.0.1 6230 1000000")
        assert lab.hv.time - before == START_RUN  # it returned with the storm still going
        assert "flood: " not in console(lab, "tenant")

        lab.begin_step(1)
        before = lab.hv.time
        do(lab, "paste admin sendn 10 10.0.0.1 6230 {token} LIST")
        spent = lab.hv.time - before
        assert spent < SETTLE_BUDGET // 2  # back at the admin's prompt long before `type` would return
        answered = re.search(r"sendn: (\d+) of 10 answered OK\ndom0> $", console(lab, "admin"))
        assert answered is not None and int(answered[1]) <= 2  # the lesson's bound: the storm buries it
        assert "flood: " not in console(lab, "tenant")  # the storm never stopped
        result = lab.check(calls(lab, "mgmt_answered admin max=2 since=step", EntryKind.PREDICATE)[0])
        assert result.ok and result.detail == f"admin: {answered[1]} of 10 answered OK"
        assert holds(lab, "mgmt_answered admin min=9 since=step") == [False]

        do(lab, "oob DESTROY tenant")  # no network, no queue: the storm cannot stop it
        assert holds(
            lab, 'vm_state tenant destroyed\ntrace "console: DESTROY tenant -> OK destroyed tenant"'
        ) == [
            True,
            True,
        ]
    finally:
        lab.close()
