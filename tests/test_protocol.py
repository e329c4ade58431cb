"""The front-end protocol: every Session method declared, every record documented, the
reference page generated from them, and a checker that says what JSON a type does not allow."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from hvlab.generate.pages import protocol_reference
from lab.session import METHODS, Session
from lab.session.protocol import conformance, field_docs, hints, records_of, to_json
from lab.session.records import CheckView, Frame, MachineState, PolicyState, Refused, VmView


def public_methods() -> set[str]:
    return {n for n, _ in inspect.getmembers(Session, inspect.isfunction) if not n.startswith("_")}


def test_every_public_session_method_is_a_declared_query_or_command():
    assert set(METHODS) == public_methods()
    for method in METHODS.values():
        assert "return" in hints(method.fn), f"{method.name} has no return annotation"
        assert method.doc, f"{method.name} has no docstring"


def reached() -> dict[str, type]:
    found: dict[str, type] = {}
    for method in METHODS.values():
        records_of(hints(method.fn)["return"], found)
    return found


@pytest.mark.parametrize("name", sorted(reached()))
def test_every_record_is_frozen_and_documented_field_by_field(name):
    cls = reached()[name]
    if cls.__module__ != "lab.session.records":
        return  # the network's counters and the cost measurement: documented where they are counted
    assert cls.__dataclass_params__.frozen, f"{name} is not frozen"
    assert inspect.getdoc(cls) and not inspect.getdoc(cls).startswith(f"{name}("), f"{name} has no docstring"
    docs = field_docs(cls)
    undocumented = [f.name for f in dataclasses.fields(cls) if not docs.get(f.name)]
    assert not undocumented, f"{name}: fields without a trailing comment: {undocumented}"


def test_the_reference_page_lists_every_method_and_record():
    page = protocol_reference()
    for name in METHODS:
        assert f"`{name}(" in page, name
    for name in reached():
        assert f"### {name}\n" in page, name
    assert "| `seat` | str | the student's console" in page


def test_conformance_names_unknown_and_missing_keys_and_wrong_kinds():
    check = CheckView(
        check="console_contains tenant x",
        sentence="tenant's console shows “x”",
        legit=False,
        done=False,
        error="",
        detail="",
        line=3,
    )
    data = to_json(check)
    assert conformance(data, CheckView) == []
    assert conformance({**data, "colour": "red"}, CheckView) == [
        "CheckView: key 'colour' is not a field of CheckView"
    ]
    del data["line"]
    assert conformance(data, CheckView) == ["CheckView: CheckView.line is missing"]
    assert conformance({**to_json(check), "done": "yes"}, CheckView) == [
        "CheckView.done: 'yes' is not a boolean"
    ]
    assert conformance(to_json(Refused(error="no")), Refused | CheckView) == []
    assert conformance({"ok": True, "error": "no", "line": None}, Refused)[0].startswith("Refused.ok: True")
    policy = PolicyState(preset="custom", values={"hypercall.authorize": True, "mgmt.lockout_after": 5})
    assert conformance(to_json(policy), PolicyState) == []
    assert conformance({"preset": "x", "values": {"a": "on"}}, PolicyState) != []


def test_to_json_refuses_what_is_not_protocol():
    with pytest.raises(TypeError, match="not part of the front-end protocol"):
        to_json(object())
    assert to_json((1, "a", None, 2.5, {"k": (True,)})) == [1, "a", None, 2.5, {"k": [True]}]


def test_records_are_snapshots_that_cannot_be_changed():
    vm = VmView(
        domid=0, name="a", state="running", waiting=False, control=True, weight=1, memory=1 << 20,
        instret=5, share=1.0, charged=1.0, hypercalls=0, console_seq=0, fault=None, nic=None, disk=None,
    )  # fmt: skip
    with pytest.raises(dataclasses.FrozenInstanceError):
        vm.name = "b"  # type: ignore[misc]
    with pytest.raises(TypeError):
        VmView(0, "a")  # type: ignore[misc]  # keyword-only: a field is named where it is given
    assert {"state", "consoles", "evaluation"} <= {f.name for f in dataclasses.fields(Frame)}
    assert "vms" in {f.name for f in dataclasses.fields(MachineState)}
