"""Reference pages generated from the code: the hypercall table, the policy switches, the assembler.

    print(hypercall_reference())     # Markdown, from lab.hv.hypercalls.EXTENSIONS
    print(policy_reference())        # Markdown, from lab.hv.policy.SWITCHES
    print(assembler_reference())     # Markdown, from lab.isa and lab.asm's directive and pseudo tables

The docs site and the UIs show these, so what a student reads is what the
hypervisor does: there is no second copy of any table to drift.
`python -m lab.reference DIR` writes the pages into DIR.
"""

from __future__ import annotations

import sys
from pathlib import Path

from lab.asm import DIRECTIVES, PSEUDOS
from lab.hv.hypercalls import load_extensions
from lab.hv.policy import SWITCHES
from lab.isa import SPECS


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


def assembler_reference() -> str:
    lines = [
        "# Assembler reference",
        "",
        "Generated from the instruction table (`lab/isa.py`) and the assembler's tables of",
        "pseudo-instructions (`lab/asm/pseudo.py`) and directives (`lab/asm/directives.py`). The syntax",
        "is GNU as's: `hvlab asm` and the lab's editor produce the same bytes as",
        "`riscv64-unknown-elf-as -march=rv32im`, linked at the start of the guest's RAM (0x80000000).",
        "Comments start with `#` or `//` (or are `/* ... */`); `;` separates statements on a line.",
        "",
        "## Instructions (RV32IM)",
        "",
        "| instruction | operands |",
        "| --- | --- |",
    ]
    lines += [f"| `{spec.name}` | {_code(spec.operands)} |" for spec in SPECS]
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


def main(argv: list[str]) -> int:
    out = Path(argv[0] if argv else "docs/reference")
    out.mkdir(parents=True, exist_ok=True)
    (out / "hypercalls.md").write_text(hypercall_reference(), encoding="utf-8")
    (out / "policy.md").write_text(policy_reference(), encoding="utf-8")
    (out / "assembler.md").write_text(assembler_reference(), encoding="utf-8")
    print(f"wrote {out / 'hypercalls.md'}, {out / 'policy.md'} and {out / 'assembler.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
