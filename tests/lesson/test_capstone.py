"""The capstone (lesson 9): its machine, its per-student variants and what its finish accepts.

The validator proves the lesson's own solution on both cores and two seeds
(test_validator.py runs it over the course). These tests pin the rest of the
contract the lesson makes with a student:

* what the prose says about the machine holds (the vault's RAM follows the
  tenant's, its banner names its pages);
* each student's vault is laid out and keyed differently, so a neighbour's
  addresses and flag do not pass;
* the finish fails for too little hardening, for too much (deny-by-default
  without the backup's rule breaks the backups) and for the switches a copier
  of lessons 3-8 would set; it passes for more than one right answer;
* the solutions of lessons 3 to 8, replayed on the capstone's machine, take no
  flag and do not finish it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lab.hv.policy import SWITCHES
from lab.lesson import ActionError, Lab, parse_lesson
from lab.lesson.model import Call, LessonError
from lab.lesson.registry import EntryKind, Where, parse_call
from lab.lesson.variants import mgmt_password, student_values, variant, variant_word
from tests.lesson.conftest import LESSONS

CAPSTONE = LESSONS / "12-capstone.md"
BACKUP_RULE = LESSONS / "patches" / "backup_rule.py"
BANNER = re.compile(rb"policy page (0x[0-9a-f]+), live block (\d); keyring page (0x[0-9a-f]+)")


@pytest.fixture(scope="module")
def lesson():
    return parse_lesson(CAPSTONE)


def started(lesson, seed: int | None = None) -> Lab:
    lab = Lab(lesson, backend="interp", seed=seed)
    lab.start()
    return lab


def line(lab: Lab, text: str, kind: EntryKind = EntryKind.ACTION) -> Call:
    return parse_call(text, Where(lab.lesson.path, 1, lab.lesson.vm_names, lab.lesson.directory), kind)


def do(lab: Lab, *texts: str) -> None:
    for text in texts:
        lab.perform(line(lab, text))


def holds(lab: Lab, text: str) -> bool:
    return lab.check(line(lab, text, EntryKind.PREDICATE)).ok


def attacked(lesson, seed: int | None = None) -> Lab:
    """A machine after every attack step of the lesson (the state its hardening steps start from)."""
    lab = started(lesson, seed)
    last_attack = max(s.index for s in lesson.steps if s.is_attack)
    for step in lesson.steps[: last_attack + 1]:
        lab.play(step.index)
    lab.begin_step(last_attack + 1)
    return lab


# ---- the machine the prose describes


def test_the_vault_sits_where_the_prose_says_and_follows_the_tenant_in_host_memory(lesson):
    lab = started(lesson)
    try:
        tenant, vault, backup = (lab.vm(n) for n in ("tenant", "vault", "backup"))
        assert tenant.ram_size == 256 << 10 and vault.ram_size == backup.ram_size == 64 << 10
        # the tenant's 0x80040000 is the vault's 0x80000000: the DGRAM recv attack's arithmetic
        assert vault.ram_host == tenant.ram_host + tenant.ram_size
        page, block, keyring = BANNER.search(bytes(vault.console)).groups()
        assert (page, block, keyring) == (b"0x80001000", b"0", b"0x80002000")
        assert not vault.control and not backup.control and lab.vm("admin").control
        assert lab.hv.policy.name == "vulnerable"
    finally:
        lab.close()


def test_each_student_has_their_own_flag_password_and_vault_layout(lesson):
    seen = {}
    for seed in (None, 3, 7, 11, 19):
        lab = started(lesson, seed)
        try:
            vault = lab.vm("vault")
            block = int(BANNER.search(bytes(vault.console)).group(2))
            word = variant_word(seed, "vault")
            assert block == (word >> 3) & 7
            keyring = lab.hv.mem.read(vault.ram_host + 0x2000, 512)
            master = keyring[64 * (word & 7) :][:64].split(b"\0")[0]
            escrow = keyring[64 * ((word & 7) + 4 & 7) :][:64].split(b"\0")[0]
            assert master == b"master: " + vault.config.secret
            assert escrow == b"mgmt: admin " + lab.hv.net.weak_password.encode()
            # the values a lesson's placeholders stand for are the machine's
            values = student_values(
                seed, password="letmein", secrets={"vault": "VAULT{master-key-0b5e}"}, variant_vms=["vault"]
            )
            assert values["secret:vault"].encode() == vault.config.secret
            assert values["password"] == lab.hv.net.weak_password == mgmt_password("letmein", seed)
            assert values["variant:vault"] == str(word)
            # the boot copy of the secret is scrubbed: only the keyring holds it
            assert vault.config.secret not in lab.hv.mem.read(vault.ram_host + 0x7000, 0x9000)
            seen[seed] = (block, word & 7, vault.config.secret)
        finally:
            lab.close()
    assert seen[7][2] == variant(b"VAULT{master-key-0b5e}", 7, "vault")
    assert len({s for _, _, s in seen.values()}) == len(seen)  # a flag per student
    assert len({(b, k) for b, k, _ in seen.values()}) >= 3  # and layouts that differ


def test_a_neighbours_addresses_miss_the_live_policy_block(lesson):
    """The recv attack aimed at a neighbour's live block rewrites an unused one of mine."""
    mine = 7
    theirs = next(s for s in range(100) if (variant_word(s, "vault") ^ variant_word(mine, "vault")) & 0x38)
    neighbour_word = 0x80041000 + 64 * ((variant_word(theirs, "vault") >> 3) & 7) + 48
    lab = started(lesson, mine)
    try:
        do(
            lab,
            "type tenant dsend 2 OPEN",
            "type tenant drecv",
            "paste tenant map 2 {after:OK locker} 0x90001000",
        )
        do(lab, "type tenant dsend 1 x", f"type tenant hcall 0x09000003 1 {neighbour_word:#x} 4")
        do(lab, "type tenant dsend 2 DUMP", "type tenant drecv", "type tenant print 0x90001000 200")
        assert "ERR denied: DUMP is the backup's" in lab.vm("tenant").console.decode()
        assert not holds(lab, "secret_leaked tenant from=vault")
    finally:
        lab.close()


# ---- the finish: every switch and patch the student chose


def finish(lab: Lab, policy: dict[str, object], *, patch: bool) -> tuple[bool, str]:
    for key, value in policy.items():
        do(lab, f"set {key} {value}")
    if patch:
        do(lab, f"patch vmctl.info {BACKUP_RULE.relative_to(LESSONS)}")
    result = lab.check(line(lab, "attack_blocked", EntryKind.PREDICATE))
    return result.ok, result.detail


HARDENED = {s.key: ("on" if s.hardened is True else s.hardened) for s in SWITCHES if s.hardened is not False}
REFERENCE = {
    "hypercall.authorize": "on",
    "grant.check_in_use": "on",
    "hypercall.check_bounds": "on",
    "net.mgmt_isolated": "on",
}


@pytest.mark.parametrize(
    ("policy", "patch", "passes", "why"),
    [
        (REFERENCE, True, True, "the attack fails and legitimate use still works"),
        (HARDENED, True, True, "the attack fails and legitimate use still works"),  # more, but harmless
        # too much: deny-by-default without the backup's rule breaks the backups
        (
            HARDENED,
            False,
            False,
            "breaks legitimate use: step 1: legitimate use failed: console_contains backup",
        ),
        (REFERENCE, False, False, "breaks legitimate use"),
        # too little: the rule without deny-by-default leaves the tenant the control API
        (
            {k: v for k, v in REFERENCE.items() if k != "hypercall.authorize"},
            True,
            False,
            "still works: step 2",
        ),
        # lesson 7's answers to guessing do not stop a stolen password
        (
            {**{k: v for k, v in REFERENCE.items() if k != "net.mgmt_isolated"}, "mgmt.strong_password": "on"}
            | {"mgmt.lockout_after": 3, "mgmt.lock_account": "on", "net.anti_spoofing": "on"},
            True,
            False,
            "still works: step 6",
        ),
        (
            {k: v for k, v in REFERENCE.items() if k != "grant.check_in_use"},
            True,
            False,
            "still works: step 4",
        ),
        (
            {k: v for k, v in REFERENCE.items() if k != "hypercall.check_bounds"},
            True,
            False,
            "still works: step 5",
        ),
    ],
    ids=[
        "reference",
        "all-switches-and-rule",
        "all-switches-no-rule",
        "reference-no-rule",
        "rule-no-authorize",
        "lockout-not-isolation",
        "no-in-use-check",
        "no-bounds",
    ],
)
def test_the_finish_checks_every_switch_and_patch(lesson, policy, patch, passes, why):
    lab = attacked(lesson)
    try:
        ok, detail = finish(lab, policy, patch=patch)
        assert ok is passes, detail
        assert why in detail
    finally:
        lab.close()


def test_the_backup_rule_is_least_privilege(lesson):
    lab = started(lesson)
    try:
        do(lab, "set hypercall.authorize on", f"patch vmctl.info {BACKUP_RULE.relative_to(LESSONS)}")
        do(lab, "type backup backup-now", "type tenant hcall 0x09000001 2 2", "type tenant vms")
        assert "backup ok" in lab.vm("backup").console.decode()
        assert holds(lab, "hypercall vm=tenant eid=VMCTL fn=info result=denied")
        assert not holds(lab, "hypercall vm=tenant eid=VMCTL fn=info result=ok")
        assert holds(lab, "hypercall vm=backup eid=VMCTL fn=info result=ok")
    finally:
        lab.close()


def test_the_reflection_takes_only_the_students_own_flag(lesson):
    mine, neighbour = 7, 11
    lab = started(lesson, mine)
    try:
        lab.begin_step(len(lesson.steps) - 1)
        theirs = variant(b"VAULT{master-key-0b5e}", neighbour, "vault").decode()
        assert not lab.answer(1, theirs)  # a neighbour's flag is wrong here
        assert lab.answer(1, lab.vm("vault").config.secret.decode())
        assert not lab.answer(1, "{secret:vault}")  # nor is the placeholder itself
    finally:
        lab.close()


# ---- a copier of lessons 3 to 8


STAND_INS = {"bank": "vault", "notary": "vault", "logger": "vault"}  # their victims, on this machine


def earlier_lessons() -> list[Path]:
    return sorted(p for p in LESSONS.glob("0[3-8]-*.md") if not p.name.endswith(".de.md"))


def copied_lines(path: Path) -> list[str]:
    """Every solution line of a lesson, as a student would copy it, its victim renamed."""
    lines = []
    for step in parse_lesson(path).steps:
        for call in step.solution:
            words = call.text.split()
            if len(words) > 1 and words[1] in STAND_INS:
                words[1] = STAND_INS[words[1]]
            lines.append(" ".join(words))
    return lines


def replay(lab: Lab, lines: list[str]) -> list[str]:
    """Perform each line that this machine accepts; returns those it refused."""
    refused = []
    for text in lines:
        try:
            lab.perform(line(lab, text))
        except (LessonError, ActionError) as exc:
            refused.append(f"{text}: {exc}")
    return refused


@pytest.mark.parametrize("seed", [None, 7])
def test_the_solutions_of_lessons_3_to_8_do_not_finish_the_capstone(lesson, seed):
    """Issue 16: a student who only copies the earlier lessons' commands cannot pass. Each
    lesson's solutions, alone and all of them in a row, on a fresh capstone machine: no
    flag, no attack step of the capstone done, and the finish (with whatever switches and
    patches they set) fails."""
    paths = earlier_lessons()
    assert [p.name[:2] for p in paths] == ["03", "04", "05", "06", "07", "08"]
    attack_checks = [c for s in lesson.steps if s.is_attack for c in s.checks]
    final = lesson.steps[-1].checks
    for lines in [copied_lines(p) for p in paths] + [[x for p in paths for x in copied_lines(p)]]:
        lab = started(lesson, seed)
        try:
            refused = replay(lab, lines)
            assert len(refused) < len(lines) / 2, refused  # the copier really ran their commands
            lab.begin_step(0)  # `since=step` checks look at everything the copier did
            lab.marks.trace_seq, lab.marks.console = 0, {vm.domid: 0 for vm in lab.hv.vms}
            assert not holds(lab, "secret_leaked tenant from=vault")
            done = [s.title for s in lesson.steps if s.is_attack and all(lab.check(c).ok for c in s.checks)]
            assert done == [], done
            lab.step_index = len(lesson.steps) - 1
            assert not any(lab.check(c).ok for c in final)
        finally:
            lab.close()
    assert attack_checks  # (the capstone has attack steps to fail)
