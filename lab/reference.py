"""Reference pages generated from the code: the hypercall table and the policy switches.

    print(hypercall_reference())     # Markdown, from lab.hv.hypercalls.EXTENSIONS
    print(policy_reference())        # Markdown, from lab.hv.policy.SWITCHES

The docs site and the UIs show these, so what a student reads is what the
hypervisor does: there is no second copy of either table to drift.
`python -m lab.reference DIR` writes both pages into DIR.
"""

from __future__ import annotations

import sys
from pathlib import Path

from lab.hv.hypercalls import load_extensions
from lab.hv.policy import SWITCHES


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
    print(f"wrote {out / 'hypercalls.md'} and {out / 'policy.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
