"""The docs site's reference pages, generated from the tables that define what they describe.

    hypercall_reference()      the hypercall table          lab.hv.hypercalls.EXTENSIONS
    policy_reference()         the policy switches           lab.hv.policy.SWITCHES
    scenario_reference()       the scenario format           lab.scenario.FORMAT, RULES
    guest_reference()          the guests and their commands the command tables of lab/guests/*.S
    trace_reference()          the trace's kinds and lines   lab.trace_messages.MESSAGES
    assembler_reference()      instructions, pseudos, dirs   lab.riscv.isa, lab.riscv.asm's tables
    vocabulary_reference()     the lesson checks and actions lab.lesson.registry (the authoring guide)
    detection_reference()      the detection rule format     lab.detect's KEYS, FIELDS, MODIFIERS, OPERATORS
    protocol_reference()       the front-end protocol        lab.session's records and methods
    record_reference()         the student's record's format lab.session.record (records, RECORDED)

Each returns Markdown; docs/hooks.py writes them into docs/reference/ before every build, so
what an instructor or a student reads is what the code does: there is no second copy of any
table to drift.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
from typing import Any, Final

from hvlab.generate.guest_commands import guests
from lab.detect import FIELDS as DETECT_FIELDS
from lab.detect import KEYS as RULE_KEYS
from lab.detect import RuleError, parse_rules
from lab.detect.fields import SOURCE_MEANING, Source, param_names
from lab.detect.match import MODIFIERS, OPERATORS
from lab.detect.rules import Level
from lab.hv.hypercalls import load_extensions
from lab.hv.policy import SWITCHES
from lab.lesson.registry import KIND_HELP, EntryKind, entries
from lab.riscv.asm import DIRECTIVES, PSEUDOS
from lab.riscv.isa import CSRS, SPECS
from lab.scenario import FORMAT, RULES, read_scenario, reference_rows
from lab.session.protocol import METHODS, Method, field_docs, hints, records_of, to_json, type_name
from lab.session.record import FORMAT as RECORD_FORMAT
from lab.session.record import RECORDED, UNRECORDED, VERSION, Record
from lab.trace_messages import FIELDS, KIND_MEANING, MESSAGES, EventKind, Message


def hypercall_reference() -> str:
    lines = [
        "# Hypercall reference",
        "",
        "Generated from the hypervisor's dispatch table (`lab/hv/sbi/`). The calling convention is the",
        "SBI one: `a7` = extension ID, `a6` = function ID, `a0`..`a5` arguments, `ecall`; on return",
        "`a0` = error code, `a1` = value. The caller is always the VM whose vCPU trapped.",
        "",
        "| EID | extension | FID | function | returns (a1) | privileged |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    extensions = sorted(load_extensions().values(), key=lambda e: (not e.standard, e.eid))
    for ext in extensions:
        for fid, fn in sorted(ext.functions.items()):
            lines.append(
                f"| `{ext.eid:#010x}` | {ext.name} | {fid} | `{fn.signature}` | {_cell(fn.returns)} | "
                f"{'yes' if fn.privileged else ''} |"
            )
    for ext in extensions:
        origin = "SBI specification" if ext.standard else "hvlab (SBI vendor-specific range)"
        lines += ["", f"## {ext.name}: {ext.title} (EID `{ext.eid:#010x}`, {origin})", "", ext.doc, ""]
        for fid, fn in sorted(ext.functions.items()):
            lines += [f"### {fid}: `{fn.signature}`", "", fn.doc or "", ""]
            if fn.returns:
                lines += [f"Returns: {fn.returns}.", ""]
    return "\n".join(lines).rstrip() + "\n"


def policy_reference() -> str:
    lines = [
        "# Policy reference",
        "",
        "Generated from `lab/hv/policy.py`. Every weakness the lessons exploit is one of these",
        "switches; a scenario's `[policy]` table and the lab's policy panel set them.",
        "",
        "| switch | vulnerable | hardened |",
        "| --- | --- | --- |",
    ]
    for s in SWITCHES:
        lines.append(f"| `{s.key}` | `{_value(s.vulnerable)}` | `{_value(s.hardened)}` |")
    for s in SWITCHES:
        lines += [
            "",
            f"## `{s.key}`",
            "",
            f"**What it checks.** {s.checks}",
            "",
            f"**The real bug.** {s.mirrors}",
        ]
        if s.cost:
            lines += ["", f"**Cost.** {s.cost}."]
    return "\n".join(lines).rstrip() + "\n"


# ------------------------------------------------------------------ scenarios

# A scenario that sets every key of the format: the page shows it, and scenario_reference()
# reads it back with the scenario reader, so the example always loads (tests check it uses
# every key).
SCENARIO_EXAMPLE: Final = """\
name = "bank-heist"
title = "A tenant, a bank and the management network"
description = "Every key of the scenario format, each set once"
quantum = 2000
disk_bandwidth = 400                  # sectors per 100,000 instructions, all disks together
hv_secret = "HV{keys-to-the-kingdom}"

[policy]
preset = "vulnerable"
hypercall.check_bounds = true         # one switch by its dotted name ...
[policy.mgmt]                         # ... or a group of them
lockout_after = 5

[[vm]]
name = "admin"
program = "monitor.S"                 # next to this file, else the course's lab/guests/
memory = "256K"
control = true
net = "tenants"
ip = "10.0.0.10"

[[vm]]
name = "tenant"
program = "monitor.S"
memory = "256K"
weight = 2
net = "tenants"

[[vm]]
name = "bank"
program = "bank.S"
memory = "256K"
secret = "BANK{pin-4711}"
secret_at = "secret"                  # a label of bank.S (its default too)
variant_at = 0x8003F000               # a word each student's seed picks, for the guest to read
mgmt_password_at = 0x8003F100         # the admin's password as this student has it
disk = "64K"

[[segment]]
name = "tenants"
subnet = "10.0.0.0/24"

[mgmt]
segment = "tenants"
ip = "10.0.0.1"
user = "admin"
password = "letmein"
seed = "bank-heist"
"""


def scenario_reference(example: str = SCENARIO_EXAMPLE) -> str:
    """Every table and key of the scenario format with its type, default, limits and meaning,
    the rules across keys, and an example that the scenario reader accepts."""
    _check_example(example)
    lines = [
        "# Scenario reference",
        "",
        "Generated from the scenario format's table in `lab/scenario.py` (`FORMAT`, `RULES`), the",
        "same table the scenario reader checks every file against: a key not listed here is refused",
        'with the list of the keys that exist. A lesson names a scenario by id (`scenario = "api"`,',
        'one of `lab/scenarios/`) or by a path relative to the lesson (`scenario = "my-lab.toml"`).',
        "`hvlab run FILE.toml` runs one headless; a mistake is reported as one line with the file,",
        "the table, the key and the rule.",
        "",
        "## Example",
        "",
        "```toml",
        example.rstrip(),
        "```",
    ]
    rows = reference_rows()
    for table in FORMAT:
        header = table.header or "(top level)"
        lines += [
            "",
            f"## {_code(table.header) if table.header else 'The top level'}",
            "",
            f"{table.meaning.capitalize()}.",
            "",
        ]
        lines += ["| key | type | default | limits | meaning |", "| --- | --- | --- | --- | --- |"]
        for where, key, kind, default, limits, meaning in rows:
            if where == header:
                lines.append(
                    f"| `{key}` | {_cell(kind)} | {_cell(default) or '-'} | {_cell(limits) or '-'} | "
                    f"{_cell(meaning)} |"
                )
    lines += ["", "## Rules across keys", ""]
    lines += [f"- {rule}" for rule in RULES]
    return "\n".join(lines).rstrip() + "\n"


def _check_example(example: str) -> None:
    """The example loads (the reader's own checks), or the docs build stops here."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "example.toml"
        path.write_text(example, encoding="utf-8")
        read_scenario(path)


# ------------------------------------------------------------------ guests


def guest_reference() -> str:
    """The course's guest programs, and every command of those that run a command shell,
    read out of their command tables in the assembled programs."""
    every = guests()
    lines = [
        "# Guest programs and their commands",
        "",
        "Generated from `lab/guests/`: each program's header, and the command table of those that",
        "run the command shell (`lib/shell.S`), read out of the program the assembler makes, the",
        "same bytes the guest's `help` prints. A scenario names a program by file",
        "(`program = \"monitor.S\"`); `help COMMAND` in a guest's console prints a command's notes.",
        "",
        "| program | what it is | commands |",
        "| --- | --- | --- |",
    ]
    for g in every:
        shown = f"[{len(g.commands)}](#{g.path.stem})" if g.commands else "-"
        lines.append(f"| `{g.path.name}` | {_cell(g.summary)} | {shown} |")
    for g in every:
        if not g.commands:
            continue
        lines += ["", f"## {g.path.stem}", "", f"`{g.path.name}`: {g.summary}", ""]
        lines += ["| command | what it does |", "| --- | --- |"]
        lines += [f"| `{_cell(c.usage)}` | {_cell(c.help)} |" for c in g.commands]
        for c in g.commands:
            if c.notes:
                lines += ["", f"### `{c.usage}`", "", " ".join(c.notes.split("\n"))]
    return "\n".join(lines).rstrip() + "\n"


# ------------------------------------------------------------------ the trace

TRACE_INTRO: Final = """
Generated from the trace's table of messages (`lab/trace_messages.py`): every line the
hypervisor, the network and the lesson engine write to the trace is one of the shapes below,
filled in, and a test replays every lesson and fails on a line that matches none of them.

A line as `hvlab run SCENARIO.toml --trace` prints it (and the lab's trace panel shows it) is
the time in instructions, who it is about (`hv`: the hypervisor itself) and the text:

    [    412873] dom1 tenant    dom1 (tenant) maps dom3 (notary)'s ref 0 at 0x90000000 (read-write)

A lesson's checks look at the text:

- `trace TEXT` holds when TEXT is part of some line's text, of any kind
  (`trace "UNCHECKED buffer"`, `trace "is granted to dom0, not to dom1"`);
- `packet [vm=VM] [TEXT]` looks at the `net` lines, `mgmt_login` at the `mgmt` logins,
  `hypercall ... result=...` at the `hypercall` lines by their fields rather than their text.

Write a `trace` check with the fixed words of a shape and the values the lesson's scenario
makes certain (a VM's `domN (name)`, an address the student types); leave out what varies
(a measured time, a token). `{field}` stands for a value: the [fields](#fields) table says
what each holds. Some fields are filled by other, smaller messages (a hypercall's `{reason}`,
a VM's `{why}`): they are listed under the lines they complete.
"""


def trace_reference() -> str:
    """Every kind of trace event, every line shape with its meaning and an example, the pieces
    that fill their fields, and what each field holds."""
    lines = [
        "# Trace reference",
        "",
        TRACE_INTRO.strip(),
        "",
        "| kind | what it records | lines |",
        "| --- | --- | --- |",
    ]
    for kind in EventKind:
        count = sum(1 for m in MESSAGES if m.kind is kind and not m.fills)
        lines.append(f"| [`{kind.value}`](#{kind.value}) | {_cell(KIND_MEANING[kind])} | {count} |")
    for kind in EventKind:
        own = [m for m in MESSAGES if m.kind is kind]
        lines += ["", f"## {kind.value}", "", f"{KIND_MEANING[kind].capitalize()}.", ""]
        lines += _message_table([m for m in own if not m.fills])
        for field in dict.fromkeys(m.fills for m in own if m.fills):
            lines += ["", f"### What fills `{{{field}}}`", ""]
            lines += _message_table([m for m in own if m.fills == field])
    lines += ["", "## Fields", "", "| field | what it holds | example |", "| --- | --- | --- |"]
    for name, field in sorted(FIELDS.items()):
        lines.append(f"| `{{{name}}}` | {_cell(field.meaning)} | `{_cell(str(field.example))}` |")
    return "\n".join(lines).rstrip() + "\n"


def _message_table(messages: list[Message]) -> list[str]:
    out = ["| shape | what it means | example |", "| --- | --- | --- |"]
    for m in messages:
        out.append(f"| `{_cell(m.shown)}` | {_cell(m.meaning)} | `{_cell(m.example)}` |")
    return out


def assembler_reference() -> str:
    lines = [
        "# Assembler reference",
        "",
        "Generated from the instruction table (`lab/riscv/isa.py`) and the assembler's tables of",
        "pseudo-instructions (`lab/riscv/asm/pseudo.py`) and directives",
        "(`lab/riscv/asm/directives.py`). The syntax is GNU as's: `hvlab asm` and the lab's editor",
        "produce the same bytes as `riscv64-unknown-elf-as -march=rv32im_zicsr`, linked at the start of",
        "the guest's RAM (0x80000000).",
        "Comments start with `#` or `//` (or are `/* ... */`); `;` separates statements on a line.",
        "",
        "## Instructions (RV32IM, Zicsr and sret)",
        "",
        "| instruction | operands |",
        "| --- | --- |",
    ]
    lines += [f"| `{spec.name}` | {_code(spec.operands)} |" for spec in SPECS]
    lines += [
        "",
        "## CSRs",
        "",
        "A guest kernel's control and status registers (the privileged spec's supervisor CSRs). A CSR",
        "operand is one of these names or a number; a CSR this machine lacks, or any CSR used from user",
        "mode, is an illegal instruction when it runs.",
        "",
        "| CSR | number | writable bits | what |",
        "| --- | --- | --- | --- |",
    ]
    lines += [f"| `{c.name}` | `{c.number:#05x}` | `{c.writable:#010x}` | {_cell(c.doc)} |" for c in CSRS]
    lines += [
        "",
        "## Pseudo-instructions (and the other syntaxes of jal, jalr, fence)",
        "",
        "| pseudo-instruction | operands | becomes |",
        "| --- | --- | --- |",
    ]
    for p in PSEUDOS.values():
        forms = " or ".join(_code(form) for form in p.forms)
        lines.append(f"| `{p.name}` | {forms} | {_cell(p.expands)} |")
    lines += ["", "## Directives", "", "| directive | operands | what it does |", "| --- | --- | --- |"]
    groups: dict[tuple[str, str], list[str]] = {}
    for d in DIRECTIVES.values():
        groups.setdefault((d.syntax, d.doc), []).append(d.name)
    for (syntax, doc), names in groups.items():
        lines.append(f"| {', '.join(f'`{n}`' for n in names)} | {_code(syntax)} | {_cell(doc)} |")
    return "\n".join(lines) + "\n"


def _code(text: str) -> str:
    """Operands as code in a table cell; none as a dash."""
    return f"`{_cell(text)}`" if text else "-"


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|")


def _value(v: object) -> str:
    return str(v).lower() if isinstance(v, bool) else str(v)


def vocabulary_reference() -> str:
    """The authoring guide's table of every predicate and action (generated, never hand-written)."""
    out = []
    for kind, title in ((EntryKind.PREDICATE, "Predicates"), (EntryKind.ACTION, "Actions")):
        out += [f"### {title}", "", "| name and arguments | what it does | example |", "| --- | --- | --- |"]
        for e in entries(kind):
            doc = e.doc + (f" *Needs {e.needs}.*" if e.needs else "")
            out.append(f"| `{e.signature}` | {doc} | `{e.example}` |")
        out.append("")
    out += ["### Argument kinds", "", "| kind | what it takes |", "| --- | --- |"]
    out += [f"| `{k.value}` | {v} |" for k, v in KIND_HELP.items()]
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------ the front-end protocol

PROTOCOL_INTRO: Final = """
Both front ends, the terminal lab (`tui/`) and the web page (`web/`), talk to the engine
through one object, `lab.session.Session`, and nothing else. The TUI calls its methods and
reads the records' attributes; the page calls the same methods through its worker
(`web/bridge.py`), which takes the arguments as a JSON object and answers with the result as
JSON: each record below becomes an object with exactly these fields (a list is a JSON array,
`null` stands for None). This page is generated from the code (`lab/session/records.py` and
the `query`/`command` declarations in `lab/session/session.py`), so it cannot drift from it;
a test fails when the bridge sends a key the records do not have.

**Running a lesson.** `list_lessons` fills the picker; `open_lesson` gives the lesson's text
and `start` builds its machine (resuming at the student's step). The front end says which
panels it shows (`follow`), lets the guests run (`play`) and then calls `advance` over and
over: each call runs one slice of guest work sized to take about 30 ms, evaluates the step's
checks when they are due and, at most ten times a second, hands back a [Frame](#frame): what
changed since the last one (console output, timeline items, the network, the checks, steps
completed, a reset). `wait` says how long to pause before the next call (every guest is
waiting for input). After each of the student's commands the front end asks for a `frame` at
once; a front end that attaches to a running lesson asks for `frame(full=true)`. The rules
(the slice budget, when checks are evaluated, the student's seat, what a reset clears) live
in the session (`lab/session/control.py`), the same for both front ends.

**Errors.** A request that cannot make sense (no lesson open, an unknown VM) raises
`SessionError`; through the bridge the reply is a [Failure](#failure) whose `kind` says so.
What a student can get wrong (a bad policy value, a patch that does not compile) is a
[Refused](#refused) result, with `ok` false and the reason in `error`.
"""


def _anchor(name: str) -> str:
    return f"[{name}](#{name.lower()})"


def _signature(method: Method) -> str:
    params = hints(method.fn)
    out = []
    for p in inspect.signature(method.fn).parameters.values():
        if p.name == "self":
            continue
        text = f"{p.name}: {type_name(params.get(p.name, Any))}"
        if p.default is not inspect.Parameter.empty:
            text += f" = {json.dumps(to_json(p.default))}"
        out.append(text)
    return f"{method.name}({', '.join(out)})"


def _first_paragraph(doc: str) -> str:
    return " ".join(doc.split("\n\n", 1)[0].split())


def protocol_reference(intro: str = PROTOCOL_INTRO, *, envelope: list[type] | None = None) -> str:
    """The protocol reference: every method (commands and queries) with its signature and
    result, then every record it returns with each field's type and meaning."""
    out = ["# The front-end protocol", "", intro.strip(), ""] if intro else ["# The front-end protocol", ""]
    reached: dict[str, type] = {}
    for kind, title, what in (
        (True, "Commands", "They change the machine, the lesson or the progress."),
        (False, "Queries", "They read and change nothing."),
    ):
        out += [f"## {title}", "", what, "", "| method | returns | what it does |", "| --- | --- | --- |"]
        for m in sorted((m for m in METHODS.values() if m.command is kind), key=lambda m: m.name):
            result = hints(m.fn).get("return", Any)
            records_of(result, reached)
            notes = []
            if m.attempt:
                notes.append("*A try at the step: the checks are evaluated as an attempt.*")
            if not m.page:
                notes.append("*Not for the web page.*")
            doc = " ".join([_first_paragraph(m.doc), *notes]).replace("|", "\\|")
            out.append(f"| `{_signature(m)}` | {type_name(result, _anchor)} | {doc} |")
        out.append("")
    for cls in envelope or []:
        records_of(cls, reached)
    out += ["## Records", ""]
    out += _record_tables(reached, sorted(reached))
    return "\n".join(out).rstrip() + "\n"


def _record_tables(reached: dict[str, type], names: list[str]) -> list[str]:
    """Each record's heading, first paragraph and a table of its fields (type and meaning)."""
    out: list[str] = []
    for name in names:
        cls = reached[name]
        docs = field_docs(cls)
        doc = inspect.getdoc(cls) or ""
        if doc.startswith(f"{name}("):  # no docstring: the dataclass's generated signature
            doc = f"The counters of `{cls.__module__}.{name}`, copied."
        out += [f"### {name}", "", _first_paragraph(doc), ""]
        out += ["| field | type | meaning |", "| --- | --- | --- |"]
        fields = hints(cls)
        for f in dataclasses.fields(cls):
            meaning = docs.get(f.name, "").replace("|", "\\|")
            out.append(f"| `{f.name}` | {type_name(fields[f.name], _anchor)} | {meaning} |")
        out.append("")
    return out


# ------------------------------------------------------------------ the student's record

RECORD_INTRO: Final = f"""
What a student did in the lab is recorded as they do it, in the session both front ends use
(`lab/session/record.py`): which lesson, on which seed and engine, every command with its
arguments, the host's time and the machine's (instructions retired). It stays on the
student's computer (the terminal lab keeps it as `record.jsonl` beside `progress.json`, the
page in the browser's localStorage) until the student exports it: `x` in the terminal lab's
lesson picker, `hvlab record export`, or **Export record** on the page. The instructor
replays it with `hvlab verify` (see [Verifying students' work](../verifying.md)).

The exported file is JSON, UTF-8: one [Record](#record) object with `format` `"{RECORD_FORMAT}"` and
`version` {VERSION}. A reader of version {VERSION} refuses any other version; a change that an
older reader would misread bumps it. This page is generated from the code, so it cannot drift
from it.

**Runs.** Each time a lesson's machine is built (opening a lesson, or coming back to one), a
new [Run](#run) begins. A run that begins after step 1 (a lesson resumed where the student
stopped) replays the steps before with the lesson's own solutions: those steps count only if
an earlier run of the record did them. The answers the machine already knew (questions
answered in an earlier run) are listed in `answers`, and must have been given in an earlier
run that counts.

**Time.** Every [Event](#event) says when it took effect on the machine's clock (`time`,
instructions retired by all VMs together). The lab runs the guests in slices sized by the
host's speed; the machine is the same wherever a slice ends, except where every guest waits:
each slice that ends so gives the network one more tick. Those are recorded as `idle` events
(with how many slices in a row found the machine so), as are the evaluations that found a
step done (`evaluate`: the next step begins where that was). A replay runs the guests to
exactly each event's `time`, then does it, so step boundaries and checks that count
`since=step` come out the same. `t` is the student's clock: shown as time spent, proving nothing.

**Digests.** `after` is a digest of the machine after the event (the clock, each VM's state,
program counter, instructions, hypercalls, console and the input it has not read yet, the
trace's length, the policy, the patches, the step, the answers known, the event's outcome):
the replay computes its own and the two must agree, so an edited command is found where it
was edited. The digest is not a
signature: anyone can compute one by running the engine. What a record proves is what its
replay does on the verifier's engine, under the seed the course key gives the student.
"""


def record_reference() -> str:
    """The record format: the exported file's records with each field, and what is recorded."""
    reached: dict[str, type] = {}
    records_of(Record, reached)
    out = ["# The student's record", "", RECORD_INTRO.strip(), "", "## What is recorded", ""]
    out += ["| `cmd` | what it is |", "| --- | --- |"]
    for name, entry in RECORDED.items():
        link = f"[`{name}`](protocol.md)" if name in METHODS else f"`{name}`"
        out.append(f"| {link} | {entry.what} |")
    out += [
        "",
        "Queries (what the student looked at) are not recorded, nor are these commands:",
        "",
        "| command | why a replay needs no event for it |",
        "| --- | --- |",
    ]
    out += [f"| [`{name}`](protocol.md) | {why} |" for name, why in UNRECORDED.items()]
    out += ["", "## Records", ""]
    out += _record_tables(reached, ["Record", "Run", "Event", "Engine", "Answered"])
    return "\n".join(out).rstrip() + "\n"


# ------------------------------------------------------------------ detection rules

DETECTION_INTRO: Final = """
Generated from the detection engine's tables (`lab/detect/`): the format's keys (`KEYS`), the
fields of each source (`FIELDS`), the selection modifiers (`MODIFIERS`) and the condition's
comparisons (`OPERATORS`); the rule reader checks every file against the same tables, so a key or
field not listed here is refused, with a did-you-mean for a near miss.

A rule file is TOML, modeled on Sigma (selections of field values and a condition over them;
counting over a window as a Sigma correlation does) and Falco (field comparisons in the
condition). Students write one in the editor's *Detection rules* mode (*Check* marks each
problem at its line, *Load* lets the rules watch the machine, the *Detections* panel shows what
they find); a lesson loads one with the `rules` action and checks it with the `detections` and
`rules_score` predicates (the authoring guide's *Detection rules*). Time is instructions retired.
An instructor checks a file, and scores files against the course's recorded runs, with

    hvlab lessons rules FILE...              # every problem as FILE:LINE: ...
    hvlab lessons rules --score FILE...      # detections, misses and false positives
"""

DETECTION_EXAMPLE: Final = """\
# A tenant reads or changes another VM through the control API.
[[rule]]
id = "control-api-abuse"
title = "A VM other than dom0 uses the control API on another VM"
source = "hypercall"
level = "critical"
description = "Listing the VMs (info) is harmless, and tenants' agents do it all day."
output = "{vm} called {call} on {target}: {result}"

[rule.detection]
condition = "control_call and not dom0"
control_call = { ext = "VMCTL", fn = ["pause", "unpause", "destroy", "peek", "poke"] }
dom0 = { domid = 0 }

# A flood: many requests to the management service from one switch port.
[[rule]]
id = "mgmt-flood"
title = "A flood of requests to the management service"
source = "frame"
level = "high"
output = "{count} requests from port {port}, claiming to be {ip.src}"

[rule.detection]
condition = "to_mgmt"
to_mgmt = { "udp.dstport" = 6230 }

[rule.count]
at_least = 50         # matches ...
within = 100_000      # ... within this many instructions ...
by = ["port"]         # ... for each value of these fields
"""

# The example with three mistakes, and what the reader says about them (generated: real output).
DETECTION_MISTAKES: Final = (
    ('level = "critical"', 'level = "critcal"'),
    ('{ "udp.dstport" = 6230 }', '{ "udp.dstprt" = 6230 }'),
    ("at_least = 50 ", "at_leest = 50"),
)


def detection_reference(example: str = DETECTION_EXAMPLE) -> str:
    """The rule format: its keys, every field of every source, the modifiers and comparisons, an
    example the reader accepts and what it says about a broken one."""
    parse_rules(example, path="example.toml")  # the docs build stops here if the example is broken
    broken = example
    for old, new in DETECTION_MISTAKES:
        broken = broken.replace(old, new, 1)
    try:
        parse_rules(broken, path="mine.toml")
    except RuleError as exc:
        errors = str(exc)
    else:  # pragma: no cover - a mistake the reader accepts is a bug in this page's example
        raise AssertionError("the broken example parses")
    lines = ["# Detection rule reference", "", DETECTION_INTRO.strip(), "", "## Example", ""]
    lines += ["```toml", example.rstrip(), "```", ""]
    lines += ["A file with three mistakes (`critcal`, `udp.dstprt`, `at_leest`) is refused with:", ""]
    lines += ["```text", errors, "```"]
    for table in dict.fromkeys(k.table for k in RULE_KEYS):
        heading = "[[rule]]" if table == "rule" else f"[{table}]"
        lines += ["", f"## `{heading}`", "", "| key | required | what it holds | example |"]
        lines.append("| --- | --- | --- | --- |")
        for key in (k for k in RULE_KEYS if k.table == table):
            lines.append(
                f"| `{key.name}` | {'yes' if key.required else ''} | {_cell(key.meaning)} | "
                f"{_code(key.example)} |"
            )
    lines += ["", "Levels, as Sigma's: " + ", ".join(f"`{v.value}`" for v in Level) + "."]
    lines += ["", "## Sources and their fields", ""]
    lines += [
        "A rule watches one source. A field a record does not have (`udp.dstport` of an ARP",
        "frame) is absent: every match on it is false, and `exists` tells. Frames carry Wireshark's",
        "display-filter names, so a field here can be typed into Wireshark as it is.",
    ]
    for source in Source:
        lines += ["", f"### `{source.value}`", "", f"{SOURCE_MEANING[source].capitalize()}.", ""]
        lines += ["| field | type | what it holds | example |", "| --- | --- | --- | --- |"]
        for f in DETECT_FIELDS[source].values():
            lines.append(
                f"| `{f.name}` | {f.type.value} | {_cell(f.meaning)} | `{_cell(_value(f.example))}` |"
            )
        if source is Source.HYPERCALL:
            names = ", ".join(f"`arg.{p}`" for p in sorted(param_names()))
            lines += ["", f"The `arg.NAME` fields: {names}."]
    lines += ["", "## Selections: field modifiers", ""]
    lines += [
        "A selection is a table of fields (every one must match) or a list of such tables (any",
        "one). A field's value may be a list (any one of them matches). Text matches ignoring",
        "case, the whole text, with `*` (any text) and `?` (one character) as wildcards; numbers",
        "may be written in hex (`0x1856`). Modifiers follow the field's name after `|`, as in",
        '`"udp.payload|startswith" = "LOGIN"` (quote a key with a dot or a `|`).',
        "",
        "| modifier | what it means |",
        "| --- | --- |",
    ]
    lines += [f"| `{name}` | {_cell(meaning)} |" for name, meaning in MODIFIERS.items()]
    lines += ["", "## Conditions", ""]
    lines += [
        "A condition names selections and joins them with `and`, `or`, `not` and brackets; `1 of",
        "sel_*` and `all of sel_*` take every selection whose name fits the pattern, `1 of them`",
        "and `all of them` every selection. It may also compare a field directly, as Falco does,",
        "exactly (case counts): `fn in (peek, poke) and not ok`.",
        "",
        "| comparison | what it means |",
        "| --- | --- |",
    ]
    lines += [f"| `{_cell(op)}` | {_cell(meaning)} |" for op, meaning in OPERATORS.items()]
    lines += ["", "## Counting", ""]
    lines += [
        "Without `[rule.count]` a rule fires on every observation it matches (in the lab, not",
        "again on the same observation within a million instructions: a flood of one frame makes",
        "a detection a window, not one a frame). With it, the rule keeps the times of its recent",
        "matches for each value of its `by` fields; when `at_least` of them (or that many",
        "different values of its `distinct` field) fall within `within` instructions, it fires",
        "once, with `{count}` in its output, and stays quiet for one window.",
    ]
    return "\n".join(lines).rstrip() + "\n"
