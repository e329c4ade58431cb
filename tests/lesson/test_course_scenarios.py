"""The scenarios of lessons 1 and 4 and the `measure` action.

The lessons themselves are proved by the validator (test_validator.py); these
tests pin what the lessons' prose relies on: the RAM layout the addresses in
lesson 4 are computed from, the four resources the tour shows, and a
measurement that lands in the trace.
"""

from __future__ import annotations

import pytest

from lab.lesson import ActionError, Lab, parse_lesson
from lab.lesson.model import Call
from lab.lesson.registry import EntryKind, Where, parse_call
from lab.scenario import SCENARIOS_DIR, load_scenario


def boot(name: str):
    hv = load_scenario(SCENARIOS_DIR / name, backend="interp").hv
    hv.run(500_000)
    return hv


def test_api_disks_keeps_the_ram_layout_of_api_and_adds_disks():
    plain, disks = boot("api.toml"), boot("api_disks.toml")
    # lesson 4's addresses (0x80041000 is the bank's secret, 0x7FFB0040 the hypervisor's) hold on both
    assert [vm.ram_host for vm in disks.vms] == [vm.ram_host for vm in plain.vms]
    assert [vm.config.secret for vm in disks.vms] == [vm.config.secret for vm in plain.vms]
    assert [vm.disk.sectors for vm in disks.vms] == [8, 8, 128]
    tenant, bank = disks.vm("tenant").disk, disks.vm("bank").disk
    assert tenant.first + tenant.sectors == bank.first  # `dread 7 2` runs into the bank's sector 0
    assert disks.disks.read(bank.first, 1).startswith(b"LEDGER opening balances")


def test_the_tour_machine_has_all_four_resources():
    hv = boot("tour.toml")
    assert [vm.weight for vm in hv.vms] == [2, 1, 1]
    assert [vm.ram_size for vm in hv.vms] == [256 << 10] * 3
    assert all(vm.disk is not None and vm.disk.size > 0 for vm in hv.vms)
    assert sorted(hv.net.vnics) == [0, 1, 2]
    assert hv.net.mgmt is None  # the management network is lesson 7's


# ---- measure


@pytest.fixture
def lab(write_lesson):
    lab = Lab(parse_lesson(write_lesson()), backend="interp")
    lab.start()
    yield lab
    lab.close()


def call(lab: Lab, text: str, kind: EntryKind) -> Call:
    return parse_call(text, Where(lab.lesson.path, 1, lab.lesson.vm_names, lab.lesson.directory), kind)


def test_measure_writes_the_result_into_the_trace(lab):
    measured = call(lab, 'trace "measured:"', EntryKind.PREDICATE)
    assert not lab.check(measured).ok
    lab.perform(call(lab, "set hypercall.check_bounds on", EntryKind.ACTION))
    lab.perform(call(lab, "measure calls=200", EntryKind.ACTION))
    assert lab.check(measured).ok
    [record] = [r for r in lab.hv.trace if "measured:" in r.describe()]
    text = record.describe()
    assert "hypercalls under the custom policy cost " in text and " % " in text
    assert "us a call instead of " in text and "median of 7 pairs of " in text


def test_measure_refuses_slices_too_short_to_time(lab):
    with pytest.raises(ActionError, match="between 100 and 20000"):
        lab.perform(call(lab, "measure calls=5", EntryKind.ACTION))
