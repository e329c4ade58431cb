"""Checks as sentences: every predicate reads as a sentence in every language the course uses."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lab.lesson.parser import find_lessons, parse_lesson
from lab.lesson.registry import REGISTRY, EntryKind, Where, entries, parse_call
from lab.lesson.sentences import SENTENCES, missing, sentence
from tests.lesson.conftest import LESSONS


def call(text: str, tmp_path: Path):
    return parse_call(
        text,
        Where(tmp_path / "x.md", 1, ["admin", "tenant", "bank", "notary"], tmp_path),
        EntryKind.PREDICATE,
    )


def test_every_predicate_has_a_sentence_in_every_language_a_lesson_uses():
    langs = {parse_lesson(p).lang for p in find_lessons([LESSONS])}
    assert langs == {"en", "de"}
    assert missing(langs) == []


def test_templates_name_only_the_predicates_own_arguments():
    for name, templates in SENTENCES.items():
        assert name in REGISTRY and REGISTRY[name].kind is EntryKind.PREDICATE, name
        params = {p.name for p in REGISTRY[name].params}
        for lang, template in templates.items():
            used = set(re.findall(r"\{(\w+)", template))
            assert used <= params, (name, lang, used - params)


@pytest.mark.parametrize(
    ("line", "en", "de"),
    [
        (
            "grant_mapped tenant from=notary writable=no",
            "tenant mapped notary's page read-only",
            "tenant hat eine Seite von notary nur lesbar eingeblendet",
        ),
        (
            "hypercall vm=tenant fn=peek result=denied since=step",
            "tenant called peek, which was denied (in this step)",
            "tenant hat peek aufgerufen, und der Aufruf wurde abgelehnt (in diesem Schritt)",
        ),
        (
            "hypercall eid=DBCN",
            "A VM made a hypercall of DBCN",
            "Eine VM hat einen Hypercall von DBCN aufgerufen",
        ),
        (
            "secret_leaked tenant from=hypervisor",
            "tenant's console shows the hypervisor's secret",
            "Die Konsole von tenant zeigt das Geheimnis des Hypervisors",
        ),
        ("vm_state notary destroyed", "notary is destroyed", "notary ist zerstört"),
        (
            "mgmt_answered admin min=9 max=10",
            "At least 9 and at most 10 of the management commands in admin's last sendn got an answer",
            "Mindestens 9 und höchstens 10 der Management-Befehle aus dem letzten sendn von admin wurden "
            "beantwortet",
        ),
        (
            "mgmt_login ok=no",
            "A login to the management service failed",
            "Eine Anmeldung beim Management-Dienst ist gescheitert",
        ),
        (
            'console_contains tenant "dom2 running" since=lesson',
            "tenant's console shows “dom2 running”",
            "Die Konsole von tenant zeigt „dom2 running“",
        ),
    ],
)
def test_a_check_reads_as_a_sentence_with_its_arguments(tmp_path, line, en, de):
    c = call(line, tmp_path)
    assert sentence(c, "en") == en
    assert sentence(c, "de") == de


def test_every_example_reads_without_internal_syntax(tmp_path):
    for entry in entries(EntryKind.PREDICATE):
        for lang in ("en", "de"):
            text = re.sub(
                r"[“„][^“”„]*[”“]", "", sentence(call(entry.example, tmp_path), lang)
            )  # quoted text
            assert not re.search(r"[{}\[\]|=]", text), (entry.name, lang, text)
            assert "_" not in entry.name or entry.name not in text, (entry.name, lang, text)
