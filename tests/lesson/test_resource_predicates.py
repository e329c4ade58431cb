"""The resources lesson's predicates on its machine: `work_share` (a spin or steal report),
`cpu_share` (the scheduler's count since the step began), `latency` (lat's report) and
`disk_time` (dbench's report), what they say when the report is missing, and a dbench that
gives up (a disk refused every time) counting as taking forever."""

from __future__ import annotations

import re

import pytest

from lab.lesson import Lab
from lab.lesson.registry import EntryKind
from tests.lesson.test_engine import calls, do, holds
from tests.lesson.test_net_entries import open_lab


@pytest.fixture
def lab(write_lesson):
    lab = open_lab(write_lesson, "resources.toml")
    yield lab
    lab.close()


def detail(lab: Lab, check: str) -> str:
    return lab.check(calls(lab, check, EntryKind.PREDICATE)[0]).detail


def test_work_share_reads_the_last_report_and_says_when_there_is_none(lab) -> None:
    assert holds(lab, "work_share tenant") == [False]
    assert detail(lab, "work_share tenant") == "tenant's console shows no spin or steal report"
    do(lab, "type tenant spin 100000")  # alone on the CPU: nearly all of the clock
    assert holds(lab, "work_share tenant min=90\nwork_share tenant max=50") == [True, False]
    lab.begin_step(1)
    assert holds(lab, "work_share tenant min=90 since=step") == [False]  # that report was before the step
    do(lab, "start bank batch 20000\ntype tenant spin 400000")  # next to the bank's weight 3
    assert holds(lab, "work_share tenant min=20 max=30 since=step") == [True]
    assert detail(lab, "work_share tenant since=step").endswith("of the clock (25%)")


def test_cpu_share_counts_what_ran_since_the_step_began(lab) -> None:
    do(lab, "type tenant spin 200000")
    lab.begin_step(1)
    do(lab, "start bank batch 20000\nrun 1000000")
    assert holds(lab, "cpu_share tenant max=1 since=step\ncpu_share tenant min=1") == [True, True]
    assert holds(lab, "cpu_share bank min=95 since=step\ncpu_share bank min=95") == [True, False]
    assert detail(lab, "cpu_share admin since=step") == "admin: 0% of the CPU in this step"


def test_latency_reads_lats_report(lab) -> None:
    assert detail(lab, "latency admin") == "admin's console shows no lat report"
    do(lab, "type admin lat 5 10000")
    assert holds(lab, "latency admin max=200\nlatency admin min=200") == [True, False]  # nobody else runs
    assert detail(lab, "latency admin").startswith("admin: 5 wake-ups, at worst ")


def test_disk_time_reads_dbench_and_a_dbench_that_gave_up_took_forever(lab) -> None:
    assert detail(lab, "disk_time admin") == "admin's console shows no dbench report"
    do(lab, "type admin dbench 64")
    assert holds(lab, "disk_time admin max=10000\ndisk_time admin min=10000") == [True, False]
    lab.begin_step(1)
    do(lab, "set blk.rate_limit 4\ntype admin dbench 64")  # 8 sectors a request: more than a bucket holds
    assert "gave up" in lab.hv.vm("admin").console.decode()
    assert holds(lab, "disk_time admin min=1000000 since=step\ndisk_time admin max=100000000 since=step") == [
        True,
        False,
    ]
    # the first request drains the full bucket (Firecracker lets one through), then every one is refused
    assert re.fullmatch(
        r"admin: 8 of 64 sectors, gave up after [\d,]+ instructions, 50 refusals",
        detail(lab, "disk_time admin since=step"),
    )
