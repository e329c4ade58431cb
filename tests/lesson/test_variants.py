"""The management password as a seeded variant, and how each student learns theirs.

A student must not be able to copy the admin's password (or a session token)
from a neighbour: it derives from their seed. It stays a word of the wordlist
the tenants' `brute` tries, so the attack still works, but never one the
hardened lockout lets `brute` reach.
"""

from __future__ import annotations

import json
import re

import pytest

from lab.hv.policy import BY_KEY
from lab.lesson.progress import Progress, ProgressError
from lab.lesson.variants import fill, mgmt_password, wordlist
from lab.net.mgmt import ManagementService
from lab.session import DEFAULT_LESSONS, STUDENT, Session
from tests.lesson.test_engine import do
from tests.lesson.test_net_entries import open_lab


def test_the_wordlist_is_the_one_brute_carries():
    words = wordlist()
    assert words[:3] == ("123456", "password", "admin") and len(words) == 20
    assert "letmein" in words and len(set(words)) == len(words)


def test_each_seed_has_its_own_password_and_the_same_seed_the_same():
    passwords = {seed: mgmt_password("letmein", seed) for seed in range(40)}
    assert len(set(passwords.values())) >= 8  # spread over the list, not one word for all
    assert all(mgmt_password("letmein", seed) == p for seed, p in passwords.items())
    assert mgmt_password("letmein", None) == "letmein"  # the course as written
    assert mgmt_password("c0rrect-h0rse", 7) == "c0rrect-h0rse"  # not guessable: nothing to vary


def test_the_hardened_lockout_stops_brute_before_any_variant():
    """brute tries the words in order; the lockout must end it before any student's password."""
    lockout = BY_KEY["mgmt.lockout_after"].hardened
    possible = {mgmt_password("letmein", seed) for seed in range(300)}
    assert possible == set(wordlist()[lockout:])  # every later word is someone's variant
    for password in sorted(possible):
        service = ManagementService(None, password=password)  # type: ignore[arg-type]
        service.lockout_after = lockout
        replies = [service.login("admin", word, "10.0.0.11", now=0) for word in wordlist()]
        assert not any(r.startswith("OK") for r in replies), password
        assert "ERR locked out" in replies


def test_brute_finds_the_students_own_password_and_a_neighbours_token_is_refused(write_lesson):
    mine = open_lab(write_lesson, "mgmt.toml", seed=11)
    neighbour = open_lab(write_lesson, "mgmt.toml", seed=12)
    try:
        found = []
        for lab in (mine, neighbour):
            do(lab, "type tenant brute admin")
            out = lab.hv.vm("tenant").console.decode()
            password = re.search(r"password: (\S+)\n", out)[1]
            token = re.search(r"token: ([0-9a-f]{16})\n", out)[1]
            found.append((password, token))
        assert found[0][0] == mgmt_password("letmein", 11)
        assert found[1][0] == mgmt_password("letmein", 12)
        assert found[0][1] != found[1][1]  # tokens derive from the seed too
        do(mine, f"type tenant send 10.0.0.1 6230 {found[1][1]} DESTROY bank")
        assert "reply: ERR not logged in" in mine.hv.vm("tenant").console.decode()
        # The hardened password differs per student as well.
        assert mine.hv.net.strong_password() != neighbour.hv.net.strong_password()
    finally:
        mine.close()
        neighbour.close()


def test_the_lesson_tells_each_student_their_own_password():
    session = Session(DEFAULT_LESSONS, seed=5)
    mine = mgmt_password("letmein", 5)
    flood = session.open_lesson("flood", "en")
    prose = "\n".join(s.markdown for s in flood.steps)
    assert f"LOGIN admin {mine}" in prose and "{password}" not in prose
    assert f"LOGIN admin {mine}" in "\n".join(s.html for s in flood.steps)
    session.start()
    hint = session.hint()
    assert f"LOGIN admin {mine}" in hint.text and f"LOGIN admin {mine}" in hint.html
    session.close()


def test_fill_escapes_for_html_and_leaves_lessons_without_a_service_alone():
    assert fill("<code>{password}</code>", "<b>", as_html=True) == "<code>&lt;b&gt;</code>"
    assert fill("LOGIN admin {password}", "dragon") == "LOGIN admin dragon"
    assert fill("BANK{password}", None) == "BANK{password}"


def test_the_students_seed_is_made_once_and_kept_in_their_progress(tmp_path):
    path = tmp_path / "progress.json"
    first = Session(DEFAULT_LESSONS, seed=STUDENT, progress_path=path)
    first.open_lesson("tour", "en")
    first.start()
    first.close()
    seed = json.loads(path.read_text())["seed"]
    assert seed == first.seed and isinstance(seed, int)
    again = Session(DEFAULT_LESSONS, seed=STUDENT, progress_path=path)
    assert again.seed == seed  # the same variant after a restart
    # An older progress file without a seed keeps the session's; one with a seed brings it.
    assert again.load_progress({"version": 1, "lessons": {}}).ok and again.seed == seed
    assert again.load_progress({"version": 1, "seed": 42, "lessons": {}}).ok and again.seed == 42
    assert Session(DEFAULT_LESSONS).seed is None  # tools and tests: the course as written


@pytest.mark.parametrize("seed", [-1, 2**32, "7", True, 1.5])
def test_a_bad_seed_in_a_progress_file_is_refused(seed):
    with pytest.raises(ProgressError, match="seed"):
        Progress.from_dict({"version": 1, "seed": seed, "lessons": {}})
