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
        "Das verwirft alles, was Sie seit Beginn des Schritts getan haben. Weiter?",
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
    # the terminal lab only (tui.)
    "tui.subtitle": ("hypervisor security lab", "Labor für Hypervisor-Sicherheit"),
    "tui.picker_subtitle": ("{lessons} · {language} (l switches)", "{lessons} · {language} (l wechselt)"),
    "tui.col_lesson": ("lesson", "Lektion"),
    "tui.col_lang": ("lang", "Spr."),
    "tui.col_done": ("done", "erledigt"),
    "tui.all_done": ("✓ all", "✓ alle"),
    "tui.mirrors": ("Mirrors: {incident}", "Vorbild: {incident}"),
    "tui.requires": ("After: {lessons}", "Nach: {lessons}"),
    "tui.cannot_open": ("Cannot open the lesson", "Die Lektion lässt sich nicht öffnen"),
    "tui.starting": ("Starting {title} …", "{title} startet …"),
    "tui.replaying": (
        "Replaying the {n} steps you have done, so you go on where you stopped.",
        "Die {n} erledigten Schritte werden nachgespielt: Sie machen dort weiter, wo Sie aufgehört haben.",
    ),
    "tui.progress_unreadable": (
        "The progress file could not be read",
        "Die Fortschrittsdatei war nicht lesbar",
    ),
    "tui.key_lessons": ("Lessons", "Lektionen"),
    "tui.key_text": ("Text", "Text"),
    "tui.key_panel": ("Panel", "Reiter"),
    "tui.key_prev_panel": ("Previous panel", "Voriger Reiter"),
    # what the help screen says about a key whose footer word is short
    "tui.help_help": ("Help: the keys and the panels", "Hilfe: die Tasten und die Bereiche"),
    "tui.help_panel": ("Next panel", "Nächster Reiter"),
    "tui.help_run": ("Run or pause the machine", "Die Maschine starten oder anhalten"),
    "tui.help_check": ("Check the step now", "Den Schritt jetzt prüfen"),
    "tui.help_hint": ("Show the next hint", "Den nächsten Hinweis zeigen"),
    "tui.help_text": ("Show or hide the lesson text", "Den Lektionstext zeigen oder verbergen"),
    "tui.help_step": ("Run one instruction", "Eine Instruktion ausführen"),
    "tui.help_reset": ("Reset the step (asks first)", "Den Schritt zurücksetzen (mit Rückfrage)"),
    "tui.help_lessons": ("Back to the lessons", "Zurück zu den Lektionen"),
    "tui.key_run": ("Run", "Start"),
    "tui.key_step": ("Step", "Einzel"),
    "tui.key_hint": ("Hint", "Tipp"),
    "tui.key_check": ("Check", "Prüfen"),
    "tui.key_reset": ("Reset", "Neu"),
    "tui.key_pause_vm": ("Pause VM", "VM anhalten"),
    "tui.key_unpause_vm": ("Unpause VM", "VM fortsetzen"),
    "tui.key_reboot_vm": ("Reboot VM", "VM neu starten"),
    "tui.tab_timeline": ("Time", "Zeit"),
    "tui.tab_network": ("Net", "Netz"),
    "tui.tab_network_full": ("Network", "Netz"),
    # The German lessons name the panels **Policy** and **Netz**: the tabs say the same.
    "tui.tab_policy": ("Policy", "Policy"),
    "tui.tab_editor": ("Edit", "Edit"),
    "tui.running": ("▶ running", "▶ läuft"),
    "tui.paused": ("⏸ paused", "⏸ angehalten"),
    "tui.idle": ("guests idle", "Gäste warten"),
    "tui.status_step": ("step {n}/{total}", "Schritt {n}/{total}"),
    "tui.status_panel": ("panel {n}/{total}", "Reiter {n}/{total}"),
    "tui.status_policy": ("policy {preset}", "Policy {preset}"),
    "tui.status_patched": ("patched: {handlers}", "gepatcht: {handlers}"),
    "tui.well_done": ("✓ Well done", "✓ Gut gemacht"),
    "tui.step_done": ("Step {n} done: on to the next one.", "Schritt {n} erledigt: weiter zum nächsten."),
    "tui.all_steps_done": (
        "Every step is done. Escape returns to the lessons.",
        "Alle Schritte erledigt. Escape führt zurück zu den Lektionen.",
    ),
    "tui.checks_missing": (
        "{n} check(s) not done yet. F8 shows a hint.",
        "{n} Prüfung(en) noch nicht erfüllt. F8 zeigt einen Hinweis.",
    ),
    "tui.confirm_reset_step": (
        "Reset this step? The machine goes back to where the step began.",
        "Diesen Schritt zurücksetzen? Die Maschine kehrt zum Beginn des Schritts zurück.",
    ),
    "tui.confirm_reset_lesson": (
        "Reset the whole lesson? The machine starts afresh.",
        "Die ganze Lektion zurücksetzen? Die Maschine startet neu.",
    ),
    "tui.step_was_reset": (
        "The machine is back where this step began.",
        "Die Maschine ist zurück am Beginn des Schritts.",
    ),
    "tui.lesson_was_reset": (
        "The lesson starts over (your progress record keeps the steps you did).",
        "Die Lektion beginnt von vorn (Ihr Fortschritt behält die erledigten Schritte).",
    ),
    "tui.yes": ("Yes (y)", "Ja (j)"),
    "tui.no": ("No (n)", "Nein (n)"),
    "tui.close": ("Close", "Schließen"),
    "tui.help_key": ("key", "Taste"),
    "tui.help_what": ("what it does", "was sie tut"),
    "tui.help_guide": (
        "## The lab\n\n"
        "- **Lesson** (left, F2 hides it): the step you are on, its checks (✓ done / · not yet) and any "
        "hints you asked for (F8). The checks update as you work.\n"
        "- **Panels** (right): F3 and F4 step through them; the status line says which of how many is "
        "open. A click on a tab works too.\n"
        "- **Consoles**: one panel per VM. Type in the line at the bottom and press Enter: the text goes "
        "to that VM's UART. Keys typed there never trigger a shortcut.\n"
        "- **VMs**: state, instructions retired, CPU share, memory, disk; pause (p), unpause (u) or "
        "reboot (b) the highlighted VM.\n"
        "- **Trace** and **Time**line: every hypercall and hypervisor event; the timeline shows the "
        "guest code under each hypercall and the network's frames.\n"
        "- **Net**work: switch ports, frames, save a pcap, the management console.\n"
        "- **Policy**: the hardening switches, each with what it checks and the real bug it mirrors. A "
        "switch changes only when you click it, or press Space on it after moving there with Tab.\n"
        "- **Edit**or: guest assembly to load into a VM, or a hypercall handler (a patch point) to "
        "rewrite, apply and roll back.\n\n"
        "Progress is saved as you go; reopening a lesson resumes at your step.",
        "## Das Labor\n\n"
        "- **Lektion** (links, F2 blendet sie aus): der aktuelle Schritt, seine Prüfungen (✓ erledigt / "
        "· noch nicht) und die Hinweise, die Sie angefordert haben (F8). Die Prüfungen folgen Ihrer Arbeit.\n"
        "- **Bereiche** (rechts): F3 und F4 blättern durch sie; die Statuszeile sagt, welcher von wie "
        "vielen offen ist. Ein Klick auf einen Reiter geht auch.\n"
        "- **Konsolen**: ein Bereich je VM. Tippen Sie in die Zeile unten und drücken Sie Enter: "
        "der Text geht an den UART dieser VM. Was Sie dort tippen, löst nie ein Tastenkürzel aus.\n"
        "- **VMs**: Zustand, ausgeführte Instruktionen, CPU-Anteil, Speicher, Platte; die markierte VM "
        "anhalten (p), fortsetzen (u) oder neu starten (b).\n"
        "- **Trace** und **Zeit**leiste: jeder Hypercall und jedes Ereignis des Hypervisors; die "
        "Zeitleiste zeigt den Gastcode unter jedem Hypercall und die Frames im Netz.\n"
        "- **Netz**werk: Switch-Ports, Frames, pcap speichern, die Management-Konsole.\n"
        "- **Policy**: die Härtungsschalter, jeder mit dem, was er prüft, und dem echten Fehler, den er "
        "nachbildet. Ein Schalter ändert sich nur per Klick oder mit der Leertaste, nachdem Sie ihn mit "
        "Tab angesteuert haben.\n"
        "- **Edit**or: Assembler für eine VM laden, oder einen Hypercall-Handler (einen Patch-Punkt) "
        "umschreiben, anwenden und zurückrollen.\n\n"
        "Der Fortschritt wird laufend gespeichert; eine Lektion geht beim nächsten Öffnen bei Ihrem "
        "Schritt weiter.",
    ),
    "tui.console_placeholder": ("type to {vm}, Enter sends", "an {vm} tippen, Enter sendet"),
    "tui.no_checks_left": (
        "No checks left: the lesson is complete.",
        "Keine Prüfungen mehr: die Lektion ist fertig.",
    ),
    "tui.step_of": ("Step {n} of {total}", "Schritt {n} von {total}"),
    "tui.hint_n": ("Hint {n}", "Hinweis {n}"),
    "tui.no_hints": ("This step has no hints.", "Zu diesem Schritt gibt es keine Hinweise."),
    "tui.col_dom": ("dom", "dom"),
    "tui.col_name": ("name", "Name"),
    "tui.col_state": ("state", "Zustand"),
    "tui.col_instret": ("instret", "Instr."),
    "tui.col_cpu": ("CPU", "CPU"),
    "tui.col_memory": ("memory", "Speicher"),
    "tui.col_hcalls": ("hcalls", "Hcalls"),
    "tui.col_disk": ("disk", "Platte"),
    "tui.col_disk_io": ("disk r/w", "Platte l/s"),
    "tui.state_running": ("running", "läuft"),
    "tui.state_waiting": ("waiting", "wartet"),
    "tui.state_paused": ("paused", "angehalten"),
    "tui.state_destroyed": ("destroyed", "zerstört"),
    "tui.state_faulted": ("faulted: {fault}", "Fehler: {fault}"),
    "tui.nic_address": ("address", "Adresse"),
    "tui.nic_out": ("out fr/B", "aus Fr/B"),
    "tui.nic_in": ("in fr/B", "ein Fr/B"),
    "tui.nic_drop": ("drop", "verw."),
    "tui.every_vm": ("every VM", "jede VM"),
    "tui.every_kind": ("every kind", "jede Art"),
    "tui.hypervisor": ("hypervisor", "Hypervisor"),
    "tui.code": ("code", "Code"),
    "tui.traps": ("◄ traps to the hypervisor", "◄ Trap in den Hypervisor"),
    "tui.more_events": (
        "… {n} more events, too many to list live",
        "… {n} weitere Ereignisse, zu viele zum Mitlesen",
    ),
    "tui.col_segment": ("segment", "Segment"),
    "tui.col_port": ("port", "Port"),
    "tui.col_kind": ("kind", "Art"),
    "tui.col_rx_frames": ("rx frm", "rx Fr."),
    "tui.col_rx_bytes": ("rx bytes", "rx Bytes"),
    "tui.col_tx_frames": ("tx frm", "tx Fr."),
    "tui.col_tx_bytes": ("tx bytes", "tx Bytes"),
    "tui.col_drops": ("drops", "verw."),
    "tui.col_spoofed": ("spoofed", "gefälscht"),
    "tui.no_network": ("This scenario has no network.", "Dieses Szenario hat kein Netzwerk."),
    "tui.no_mgmt": ("no management service on this network", "kein Management-Dienst in diesem Netz"),
    "tui.mgmt_line": (
        "mgmt {ip}:{port} on {segment}, queue {queued}: {counters}",
        "mgmt {ip}:{port} an {segment}, Warteschlange {queued}: {counters}",
    ),
    "tui.mgmt_idle": ("idle", "untätig"),
    "tui.pcap_placeholder": ("pcap file (empty: into {dir})", "pcap-Datei (leer: nach {dir})"),
    "tui.pcap_saved": ("saved {frames} frames to {path}", "{frames} Frames gespeichert in {path}"),
    "tui.pcap_not_saved": ("not saved: {error}", "nicht gespeichert: {error}"),
    "tui.mgmt_placeholder": (
        "hypervisor console: LIST, PAUSE vm, UNPAUSE vm, DESTROY vm, UNLOCK ip/user, SESSIONS, REVOKE",
        "Hypervisor-Konsole: LIST, PAUSE vm, UNPAUSE vm, DESTROY vm, UNLOCK ip/user, SESSIONS, REVOKE",
    ),
    "tui.policy_hardened": ("Hardened: {checks}", "Gehärtet: {checks}"),
    "tui.policy_mirrors": (
        "Vulnerable form mirrors: {mirrors}",
        "Die verwundbare Form bildet nach: {mirrors}",
    ),
    "tui.policy_cost": ("Cost: {cost}", "Kosten: {cost}"),
    "tui.policy_set": ("{switch} = {value}", "{switch} = {value}"),
    "tui.editor_assembly": ("assembly program", "Assemblerprogramm"),
    "tui.editor_patch": ("patch {handler}", "Patch {handler}"),
    "tui.editor_load": ("Load", "Laden"),
    "tui.editor_new": ("New", "Neu"),
    "tui.editor_check": ("Check", "Prüfen"),
    "tui.editor_apply": ("Apply", "Anwenden"),
    "tui.editor_asm_help": (
        "Assembly for a VM: Assemble checks it, Load boots it in the chosen VM.",
        "Assembler für eine VM: Assemblieren prüft ihn, Laden startet ihn in der gewählten VM.",
    ),
    "tui.editor_patch_state": ("{handler}({params}): {state}.", "{handler}({params}): {state}."),
    "tui.editor_patched": ("patched (your version is active)", "gepatcht (Ihre Version ist aktiv)"),
    "tui.editor_original": ("original", "Original"),
    "tui.editor_compiles": (
        "It compiles. Apply swaps it in for the original handler.",
        "Lässt sich übersetzen. Anwenden ersetzt damit den Original-Handler.",
    ),
    "tui.editor_assembled": (
        "Assembled: {size} bytes, entry {entry}.",
        "Assembliert: {size} Bytes, Einsprung {entry}.",
    ),
    "tui.editor_loaded": (
        "Loaded into {vm}: it rebooted with this program.",
        "In {vm} geladen: sie startete mit diesem Programm neu.",
    ),
    "tui.editor_applied": (
        "Patched: {handler} now runs your version. Roll back restores the original.",
        "Gepatcht: {handler} läuft jetzt in Ihrer Version. Zurückrollen stellt das Original her.",
    ),
    "tui.editor_example": ("Back to the example program.", "Zurück zum Beispielprogramm."),
    "tui.editor_rolled_back": (
        "Rolled back: {handler} is the original again.",
        "Zurückgerollt: {handler} ist wieder das Original.",
    ),
    "tui.editor_line": ("line {line}: {message}", "Zeile {line}: {message}"),
    # the web lab only (web.)
    "web.skip": ("Skip to content", "Zum Inhalt springen"),
    "web.back_to_lessons": ("Back to the lessons", "Zurück zu den Lektionen"),
    "web.reload": ("Reload", "Neu laden"),
    "web.crashed": ("The lab's engine stopped working.", "Die Engine des Labors funktioniert nicht mehr."),
    "web.picker_intro": (
        "Attack an emulated hypervisor, then harden it and watch the attack fail. "
        "Everything runs in your browser; your progress stays on this computer.",
        "Greifen Sie einen emulierten Hypervisor an, härten Sie ihn dann und sehen Sie zu, "
        "wie der Angriff scheitert. "
        "Alles läuft in Ihrem Browser; Ihr Fortschritt bleibt auf diesem Rechner.",
    ),
    "web.export_progress": ("Export progress", "Fortschritt exportieren"),
    "web.import_progress": ("Import progress", "Fortschritt importieren"),
    "web.progress_imported": ("Progress imported.", "Fortschritt importiert."),
    "web.import_failed": (
        "This progress file could not be read:",
        "Diese Fortschrittsdatei ist nicht lesbar:",
    ),
    "web.lesson_text": ("Lesson text", "Lektionstext"),
    "web.check_now": ("Check now", "Jetzt prüfen"),
    "web.hints_used": ("{used} of {total} hints used", "{used} von {total} Hinweisen genutzt"),
    "web.no_hints": ("This step has no hints.", "Dieser Schritt hat keine Hinweise."),
    "web.complete_text_attack": (
        "Every step is done: the attack worked against the vulnerable hypervisor and fails against the "
        "hardened one.",
        "Alle Schritte sind erledigt: Der Angriff gelang gegen den verwundbaren Hypervisor und scheitert "
        "am gehärteten.",
    ),
    "web.complete_text": (
        "Every step is done.",
        "Alle Schritte sind erledigt.",
    ),
    "web.step_done": ("Step {n} done: on to the next one.", "Schritt {n} erledigt: weiter zum nächsten."),
    "web.checks_missing": ("{n} check(s) not done yet.", "{n} Prüfung(en) noch nicht erfüllt."),
    "web.step_reset": (
        "The machine is back where this step began.",
        "Die Maschine ist zurück am Beginn dieses Schritts.",
    ),
    "web.lesson_reset": ("The lesson starts over.", "Die Lektion beginnt von vorn."),
    "web.confirm_reset_lesson": (
        "This starts the whole lesson afresh: the machine is rebuilt. "
        "Your progress record keeps the steps you did.",
        "Das startet die ganze Lektion neu: Die Maschine wird neu aufgebaut. Ihr Fortschritt behält die "
        "erledigten Schritte.",
    ),
    "web.confirm_reboot": (
        "Reboot {vm}? It starts its program again.",
        "{vm} neu starten? Es startet sein Programm neu.",
    ),
    "web.confirm_destroy": (
        "Destroy {vm}? It stops for good and its memory is scrubbed.",
        "{vm} zerstören? Es hält endgültig an und sein Speicher wird gelöscht.",
    ),
    "web.switch_language": ("Switch language", "Sprache wechseln"),
    "web.continue": ("Continue", "Weiter"),
    "web.cancel": ("Cancel", "Abbrechen"),
    "web.machine": ("The machine", "Die Maschine"),
    "web.running": ("running", "läuft"),
    "web.paused": ("paused", "angehalten"),
    "web.idle": ("idle", "untätig"),
    "web.stopped": ("stopped", "gestoppt"),
    "web.opening": ("Building the machine…", "Die Maschine wird gebaut …"),
    "web.panels": ("Panels", "Bereiche"),
    "web.console_help": (
        "Click into the console and type; Enter sends the line, ↑/↓ walk the history, "
        "Ctrl+U clears the line.",
        "In die Konsole klicken und tippen; Enter sendet die Zeile, ↑/↓ blättern im Verlauf, "
        "Strg+U leert die Zeile.",
    ),
    "web.domid": ("dom", "dom"),
    "web.hypercalls": ("Hypercalls", "Hypercalls"),
    "web.actions": ("Actions", "Aktionen"),
    "web.control_domain": ("control domain", "Kontrolldomäne"),
    "web.state_running": ("running", "läuft"),
    "web.state_waiting": ("waiting", "wartet"),
    "web.state_paused": ("paused", "angehalten"),
    "web.state_halted": ("halted", "beendet"),
    "web.state_faulted": ("faulted", "abgestürzt"),
    "web.state_destroyed": ("destroyed", "zerstört"),
    "web.disk_io": (
        "{reads} reads ({sr} sectors), {writes} writes ({sw} sectors)",
        "{reads} Lesevorgänge ({sr} Sektoren), {writes} Schreibvorgänge ({sw} Sektoren)",
    ),
    "web.nic_io": (
        "out {tx} fr / {txb}, in {rx} fr / {rxb}, {drops} drops",
        "aus {tx} Fr. / {txb}, ein {rx} Fr. / {rxb}, {drops} verworfen",
    ),
    "web.hypervisor": ("hypervisor", "Hypervisor"),
    "web.show_code": ("code", "Code"),
    "web.traps": ("traps to the hypervisor", "springt in den Hypervisor"),
    "web.more_events": (
        "{n} more events, too many to list live",
        "{n} weitere Ereignisse, zu viele zum Mitlesen",
    ),
    "web.no_network": ("This scenario has no network.", "Dieses Szenario hat kein Netzwerk."),
    "web.segment": ("Segment", "Segment"),
    "web.download_pcap": ("Download pcap", "pcap herunterladen"),
    "web.ports": ("Ports", "Ports"),
    "web.port": ("Port", "Port"),
    "web.rx_frames": ("rx frames", "rx Frames"),
    "web.rx_bytes": ("rx bytes", "rx Bytes"),
    "web.tx_frames": ("tx frames", "tx Frames"),
    "web.tx_bytes": ("tx bytes", "tx Bytes"),
    "web.drops": ("drops", "verworfen"),
    "web.spoofed": ("spoofed", "gefälscht"),
    "web.recent_frames": ("Recent frames", "Letzte Frames"),
    "web.no_frames": ("No frames yet.", "Noch keine Frames."),
    "web.no_mgmt": ("No management service on this network.", "Kein Verwaltungsdienst in diesem Netzwerk."),
    "web.mgmt_service": ("Management service", "Verwaltungsdienst"),
    "web.mgmt_console": ("Management console command", "Befehl für die Verwaltungskonsole"),
    "web.mgmt_help": (
        "The hypervisor's own console, out of band: LIST, PAUSE vm, UNPAUSE vm, DESTROY vm, "
        "UNLOCK ip-or-user, SESSIONS, REVOKE token-or-ALL.",
        "Die eigene Konsole des Hypervisors, außerhalb des Netzes: LIST, PAUSE vm, UNPAUSE vm, DESTROY vm, "
        "UNLOCK ip-or-user, SESSIONS, REVOKE token-or-ALL.",
    ),
    "web.queued": ("queued", "in der Warteschlange"),
    "web.grants": ("Grants", "Grants"),
    "web.grants_intro": (
        "What each VM granted to others (its grant table) and what it mapped from others.",
        "Was jede VM anderen gewährt hat (ihre Grant-Tabelle) und was sie von anderen eingeblendet hat.",
    ),
    "web.granted": ("Granted by", "Gewährt von"),
    "web.grantee": ("to", "an"),
    "web.granter": ("from", "von"),
    "web.access": ("access", "Zugriff"),
    "web.read_only": ("read-only", "nur lesen"),
    "web.read_write": ("read-write", "lesen und schreiben"),
    "web.mapped": ("Mapped by", "Eingeblendet von"),
    "web.mapped_at": ("mapped at", "eingeblendet bei"),
    "web.no_grants": ("Grants nothing.", "Gewährt nichts."),
    "web.no_mappings": ("Maps nothing.", "Blendet nichts ein."),
    "web.editor_text": ("Source code", "Quelltext"),
    "web.editor_mode": ("What to edit", "Was bearbeiten"),
    "web.program": ("Program", "Programm"),
    "web.patch": ("Patch a handler", "Handler patchen"),
    "web.load": ("Load", "Laden"),
    "web.handler": ("Handler", "Handler"),
    "web.load_source": ("Load source", "Quelltext laden"),
    "web.line": ("line", "Zeile"),
    "web.assembled": (
        "Assembled: {size} bytes, entry {entry}.",
        "Assembliert: {size} Bytes, Einsprung {entry}.",
    ),
    "web.asm_errors": ("{n} error(s):", "{n} Fehler:"),
    "web.loaded": (
        "Loaded into {vm} ({size} bytes): it restarted with this program.",
        "In {vm} geladen ({size} Bytes): sie startete mit diesem Programm neu.",
    ),
    "web.patch_active": ("Your patch of {handler} is active.", "Ihr Patch von {handler} ist aktiv."),
    "web.patch_original": ("The original {handler}({params}).", "Das Original {handler}({params})."),
    "web.patch_applied": (
        "Patched: {handler} now runs your version.",
        "Gepatcht: {handler} läuft jetzt in Ihrer Version.",
    ),
    "web.patch_failed": ("The patch was not applied:", "Der Patch wurde nicht angewendet:"),
    "web.patch_reverted": ("{handler} is the original again.", "{handler} ist wieder das Original."),
    "web.preset": ("Preset", "Voreinstellung"),
    "web.checks_what": ("Hardened, it checks", "Gehärtet prüft es"),
    "web.mirrors": ("The vulnerable form mirrors", "Die verwundbare Form entspricht"),
    "web.cost": ("Cost", "Kosten"),
    "web.on": ("on", "an"),
    "web.off": ("off", "aus"),
}


def text(key: str, lang: str = "en", **fields: object) -> str:
    """The front-end text for `key` in `lang` (English when untranslated), fields filled in."""
    en, de = _TEXT[key]
    s = de if lang == "de" and de else en
    return s.format(**fields) if fields else s


def strings(lang: str = "en") -> dict[str, str]:
    """Every key in `lang`: what the web page loads once per language switch."""
    return {key: text(key, lang) for key in _TEXT}
