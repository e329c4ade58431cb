"""The front ends' own words (buttons, panel titles, column heads) in every course language.

    from lab.i18n import text, strings
    text("run", "de")            # "Ausführen"
    strings("de")                # every key -> its German text, for the web page

Lessons carry their own prose; this table is the chrome around them, kept in
one place so the TUI and the web lab say the same thing in the same words.
A key missing in a language falls back to English; an unknown key is a bug
and raises KeyError, so a typo cannot ship silently. Keys shared by both
front ends are plain; `tui.` and `web.` prefix the ones only one of them uses.
"""

from __future__ import annotations

from typing import Final

LANGUAGES: Final = {"en": "English", "de": "Deutsch"}

# key -> (English, German)
_TEXT: Final[dict[str, tuple[str, str]]] = {
    # the lesson picker
    "lessons": ("Lessons", "Lektionen"),
    "minutes": ("min", "Min."),
    "progress": ("Progress", "Fortschritt"),
    "language": ("Language", "Sprache"),
    "open": ("Open", "Öffnen"),
    "steps_done": ("{done} of {total} steps", "{done} von {total} Schritten"),
    "finished": ("finished", "abgeschlossen"),
    # the lesson screen
    "step": ("Step", "Schritt"),
    "checks": ("Checks", "Prüfungen"),
    "check_done": ("done", "erledigt"),
    "check_pending": ("not yet", "noch nicht"),
    "hint": ("Hint", "Hinweis"),
    "no_more_hints": ("No more hints for this step.", "Keine weiteren Hinweise für diesen Schritt."),
    "next_step": ("Next step", "Nächster Schritt"),
    "reset_step": ("Reset step", "Schritt zurücksetzen"),
    "reset_lesson": ("Reset lesson", "Lektion zurücksetzen"),
    "confirm_discard": (
        "This discards what you did since the step began. Continue?",
        "Das verwirft alles, was du seit Beginn des Schritts getan hast. Weiter?",
    ),
    "lesson_complete": ("Lesson complete", "Lektion abgeschlossen"),
    # the machine
    "run": ("Run", "Ausführen"),
    "pause": ("Pause", "Anhalten"),
    "step_once": ("Step", "Einzelschritt"),
    "speed": ("Speed", "Tempo"),
    "vms": ("VMs", "VMs"),
    "vm": ("VM", "VM"),
    "state": ("State", "Zustand"),
    "instructions": ("Instructions", "Instruktionen"),
    "cpu_share": ("CPU share", "CPU-Anteil"),
    "memory": ("Memory", "Speicher"),
    "disk": ("Disk", "Platte"),
    "nic": ("NIC", "NIC"),
    "unpause": ("Unpause", "Fortsetzen"),
    "reboot": ("Reboot", "Neustart"),
    "destroy": ("Destroy", "Zerstören"),
    "console": ("Console", "Konsole"),
    "send": ("Send", "Senden"),
    # the panels
    "trace": ("Trace", "Trace"),
    "timeline": ("Timeline", "Zeitleiste"),
    "network": ("Network", "Netzwerk"),
    "save_pcap": ("Save pcap", "pcap speichern"),
    "editor": ("Editor", "Editor"),
    "assemble": ("Assemble", "Assemblieren"),
    "load_into": ("Load into", "Laden in"),
    "apply_patch": ("Apply patch", "Patch anwenden"),
    "revert_patch": ("Roll back", "Zurückrollen"),
    "policy": ("Policy", "Richtlinie"),
    "vulnerable": ("vulnerable", "verwundbar"),
    "hardened": ("hardened", "gehärtet"),
    "filter_vm": ("VM", "VM"),
    "filter_kind": ("Kind", "Art"),
    "all": ("all", "alle"),
    "help": ("Help", "Hilfe"),
    "quit": ("Quit", "Beenden"),
    "theme": ("Theme", "Farbschema"),
}


def text(key: str, lang: str = "en", **fields: object) -> str:
    """The front-end text for `key` in `lang` (English when untranslated), fields filled in."""
    en, de = _TEXT[key]
    s = de if lang == "de" and de else en
    return s.format(**fields) if fields else s


def strings(lang: str = "en") -> dict[str, str]:
    """Every key in `lang`: what the web page loads once per language switch."""
    return {key: text(key, lang) for key in _TEXT}
