"""Checks as sentences: what a student reads instead of a predicate's internal line.

    sentence(call, "en")   # grant_mapped tenant from=notary writable=no
                           #   -> "tenant mapped notary's page read-only"

SENTENCES is the one table: for every registered predicate (lab.lesson.registry) a
template per lesson language. A template is text with the check's arguments in braces
and two small forms:

    {name}            the argument, in words (VALUES below: a state, a result, a scope)
    {name|yes|no}     for a yes/no argument: the first text when yes, the second when no
    [ ... ]           an optional part: left out unless every argument it names was given
    [ A | B | C ]     alternatives: the first whose arguments were all given (text with no
                      argument always is)

`since=lesson` is the default and counts as not given. A sentence that starts with a VM's
name keeps the name as written (`tenant`), lower case and all. Every predicate needs a template in
every language a lesson is written in: `missing(langs)` lists the gaps (the validator and
a test fail on them). The internal line stays what instructors see (`hvlab lessons check
-v`, the docs site).
"""

from __future__ import annotations

import re
from typing import Any, Final

from lab.hv.hypercalls import SbiError, load_extensions
from lab.lesson.model import Call
from lab.lesson.registry import REGISTRY, EntryKind, Kind, entries

SENTENCES: Final[dict[str, dict[str, str]]] = {
    "console_contains": {
        "en": "{vm}'s console shows “{text}”[ {since}]",
        "de": "Die Konsole von {vm} zeigt „{text}“[ {since}]",
    },
    "secret_leaked": {
        "en": "{vm}'s console shows [{from}'s secret|a secret that is not its own][ {since}]",
        "de": "Die Konsole von {vm} zeigt [das Geheimnis {from}|ein fremdes Geheimnis][ {since}]",
    },
    "hypercall": {
        "en": "[{vm}|A VM] [called {fn}|made a hypercall][ of {eid}][ (function ID {fid})][, which {result}]"
        "[ {since}]",
        "de": "[{vm}|Eine VM] hat [{fn}|einen Hypercall][ von {eid}][ (Funktions-ID {fid})] aufgerufen"
        "[, und der Aufruf {result}][ {since}]",
    },
    "vm_state": {
        "en": "{vm} is {state}",
        "de": "{vm} ist {state}",
    },
    "trace": {
        "en": "The trace shows “{text}”[ {since}]",
        "de": "Der Trace zeigt „{text}“[ {since}]",
    },
    "attack_blocked": {
        "en": "Your hardening blocks the lesson's attacks[ up to step {step}], and legitimate use "
        "still works",
        "de": "Ihre Härtung blockiert die Angriffe der Lektion[ bis Schritt {step}], und die legitime "
        "Nutzung funktioniert weiter",
    },
    "grant_mapped": {
        "en": "{vm} mapped [{from}'s page|a granted page][ {writable|writable|read-only}]",
        "de": "{vm} hat [eine Seite von {from}|eine gewährte Seite][ {writable|beschreibbar|nur lesbar}] "
        "eingeblendet",
    },
    "packet": {
        "en": "The network's log shows [“{text}”|a frame][ for {vm}][ {since}]",
        "de": "Das Netzprotokoll zeigt [„{text}“|einen Frame][ für {vm}][ {since}]",
    },
    "mgmt_login": {
        "en": "[{ok|Someone logged in to the management service|A login to the management service failed}"
        "|Someone tried to log in to the management service][ {since}]",
        "de": "[{ok|Jemand hat sich beim Management-Dienst angemeldet|Eine Anmeldung beim "
        "Management-Dienst ist gescheitert}|Jemand hat versucht, sich beim Management-Dienst "
        "anzumelden][ {since}]",
    },
    "mgmt_answered": {
        "en": "[At least {min} and at most {max}|At least {min}|At most {max}|Some] of the management "
        "commands in {vm}'s last sendn got an answer[ {since}]",
        "de": "[Mindestens {min} und höchstens {max}|Mindestens {min}|Höchstens {max}|Einige] der "
        "Management-Befehle aus dem letzten sendn von {vm} wurden beantwortet[ {since}]",
    },
    "detections": {
        "en": "[Your rule “{rule}”|Your detection rules] made [at least {min} and at most {max}|at least "
        "{min}|at most {max}|some] detection(s)[ about {vm}][ {since}]",
        "de": "[Ihre Regel „{rule}“ hat|Ihre Erkennungsregeln haben] [mindestens {min} und höchstens {max}|"
        "mindestens {min}|höchstens {max}|einige] Treffer[ zu {vm}] gemeldet[ {since}]",
    },
    "rules_score": {
        "en": "Your rules detect [all but at most {misses} of the recorded attacks|every recorded attack]"
        "[ of lesson {lesson}| of the lessons scored] and fire on [at most {false_positives} of the lab's "
        "legitimate runs|none of the lab's legitimate runs]",
        "de": "Ihre Regeln erkennen [bis auf höchstens {misses} jeden|jeden] aufgezeichneten Angriff[ der "
        "Lektion {lesson}| der bewerteten Lektionen] und schlagen [bei höchstens {false_positives} der "
        "legitimen Läufe des Labors|bei keinem legitimen Lauf des Labors] an",
    },
    "cpu_share": {
        "en": "{vm} got [between {min}% and {max}%|at least {min}%|at most {max}%|a share] of the CPU"
        "[ {since}]",
        "de": "{vm} hat [zwischen {min} % und {max} %|mindestens {min} %|höchstens {max} %|einen Anteil] "
        "der CPU bekommen[ {since}]",
    },
    "work_share": {
        "en": "{vm}'s last spin or steal got [between {min}% and {max}%|at least {min}%|at most {max}%|"
        "a share] of the clock[ {since}]",
        "de": "Das letzte spin oder steal von {vm} hat [zwischen {min} % und {max} %|mindestens {min} %|"
        "höchstens {max} %|einen Anteil] der Uhr bekommen[ {since}]",
    },
    "disk_time": {
        "en": "[{vm}'s last dbench took {min} to {max} instructions|{vm}'s last dbench took at least {min} "
        "instructions or gave up|{vm}'s last dbench read all its sectors within {max} instructions|{vm} "
        "measured its disk with dbench][ {since}]",
        "de": "[Das letzte dbench von {vm} hat {min} bis {max} Instruktionen gebraucht|Das letzte dbench von "
        "{vm} hat mindestens {min} Instruktionen gebraucht oder aufgegeben|Das letzte dbench von {vm} hat "
        "alle Sektoren in höchstens {max} Instruktionen gelesen|{vm} hat die Platte mit dbench gemessen]"
        "[ {since}]",
    },
    "latency": {
        "en": "{vm}'s last lat measured a worst wake-up latency of [{min} to {max}|at least {min}|at most "
        "{max}|some] instructions[ {since}]",
        "de": "Das letzte lat von {vm} hat eine höchste Weckverzögerung von [{min} bis {max}|mindestens "
        "{min}|höchstens {max}|einigen] Instruktionen gemessen[ {since}]",
    },
}

# Argument values in words, per language.
STATE_WORDS: Final = {
    "en": {s: s for s in ("running", "paused", "halted", "faulted", "destroyed")},
    "de": {
        "running": "in Betrieb",
        "paused": "pausiert",
        "halted": "angehalten",
        "faulted": "mit einem Fehler gestoppt",
        "destroyed": "zerstört",
    },
}
SCOPE_WORDS: Final = {"en": "(in this step)", "de": "(in diesem Schritt)"}
RESULT_WORDS: Final = {
    "en": ("succeeded", "was denied", "returned {name}"),
    "de": ("gelang", "wurde abgelehnt", "gab {name} zurück"),
}
OWNER_WORDS: Final = {"en": ("the hypervisor", "{vm}"), "de": ("des Hypervisors", "von {vm}")}
BOOL_WORDS: Final = {"en": ("yes", "no"), "de": ("ja", "nein")}

_OPTIONAL: Final = re.compile(r"\[([^\[\]]*)\]")
_FIELD: Final = re.compile(r"\{(\w+)(?:\|([^{}|]*)\|([^{}|]*))?\}")


def _result(value: int, lang: str) -> str:
    ok, denied, other = RESULT_WORDS[lang]
    if value == SbiError.SUCCESS:
        return ok
    if value == SbiError.DENIED:
        return denied
    try:
        name = f"SBI_ERR_{SbiError(value).name}"
    except ValueError:
        name = str(value)
    return other.format(name=name)


def _eid(value: int) -> str:
    ext = load_extensions().get(value)
    return ext.name if ext is not None else f"{value:#x}"


def _word(kind: Kind, value: Any, lang: str) -> str:
    """One argument in words."""
    if kind is Kind.STATE:
        return STATE_WORDS[lang][value]
    if kind is Kind.SCOPE:
        return SCOPE_WORDS[lang]
    if kind is Kind.RESULT:
        return _result(value, lang)
    if kind is Kind.OWNER:
        hypervisor, vm = OWNER_WORDS[lang]
        return hypervisor if value == "hypervisor" else vm.format(vm=value)
    if kind is Kind.EID:
        return _eid(value)
    if kind is Kind.BOOL:
        return BOOL_WORDS[lang][0 if value else 1]
    return str(value)


def _given(call: Call) -> dict[str, Any]:
    """The arguments a sentence mentions: `since=lesson` is the default, as if not written."""
    return {k: v for k, v in call.args.items() if not (k == "since" and v == "lesson")}


def _fill(text: str, args: dict[str, Any], kinds: dict[str, Kind], lang: str) -> str:
    def field(m: re.Match[str]) -> str:
        name, yes, no = m.group(1), m.group(2), m.group(3)
        value = args[name]
        if yes is not None:
            return yes if value else no
        return _word(kinds[name], value, lang)

    return _FIELD.sub(field, text)


def sentence(call: Call, lang: str) -> str:
    """The check as a student reads it, in `lang` (English where `lang` has no template)."""
    entry = REGISTRY[call.name]
    templates = SENTENCES.get(call.name, {})
    template = templates.get(lang) or templates.get("en")
    if template is None:
        return call.text
    kinds = {p.name: p.kind for p in entry.params}
    args = _given(call)

    def optional(m: re.Match[str]) -> str:
        for option in _options(m.group(1)):
            if all(name in args for name in _FIELD_NAMES.findall(option)):
                return option
        return ""

    return " ".join(_fill(_OPTIONAL.sub(optional, template), args, kinds, lang).split())


_FIELD_NAMES: Final = re.compile(r"\{(\w+)")


def _options(body: str) -> list[str]:
    """`A|B` split at the bars outside braces (`{ok|yes|no}` holds bars of its own)."""
    out, depth, current = [], 0, ""
    for ch in body:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        if ch == "|" and depth == 0:
            out.append(current)
            current = ""
        else:
            current += ch
    return [*out, current]


def missing(langs: set[str] | list[str]) -> list[str]:
    """`predicate (lang)` for every registered predicate without a template in a language."""
    return [
        f"{e.name} ({lang})"
        for e in entries(EntryKind.PREDICATE)
        for lang in sorted(langs)
        if lang not in SENTENCES.get(e.name, {})
    ]
