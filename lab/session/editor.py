"""The editor's side of the session: guest assembly, hypercall patch points, detection rules.

    assemble_source(text)                  # Assembly: size and entry, or every error at its line
    load_source(hv, vm, text)              # ... and boot it in the VM (what the `load` action does)
    patch_source(hv, "dbcn.console_write") # the handler as a patch that runs as it stands
    handler_names()                        # every handler a patch can replace, as EXT.function
    check_rules(text)                      # RulesChecked: detection rules, or every problem at its line

Editor text is assembled as a guest file is, so `.include "lib/sbi.S"` finds the guest
library; an error inside an included file is marked at its `.include` line, the line the
student can see. A handler's source is shown with an import line for the module-level
names it uses, so the original, applied unchanged, runs unchanged.
"""

from __future__ import annotations

import inspect
import textwrap
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from lab.detect import RuleError, parse_rules
from lab.hv.hypercalls import EXTENSIONS, load_extensions, lookup
from lab.session.records import Assembly, PatchSource, RulesChecked, RulesSource, SourceError

if TYPE_CHECKING:
    from lab.detect import Sensor
    from lab.hv import Hypervisor, Vm
    from lab.riscv.asm import AsmError, Image


def _assemble(source: str, filename: str) -> Image:
    from lab.riscv.asm import assemble
    from lab.riscv.program import INCLUDE_DIRS

    return assemble(source, filename=filename, include_dirs=INCLUDE_DIRS)


def _errors(exc: AsmError) -> tuple[SourceError, ...]:
    """The errors at the editor's lines: one in an included file is marked at its `.include`."""
    out = []
    for d in exc.diagnostics:
        if d.included_from:
            out.append(SourceError(line=d.main_line, col=1, message=f"{d.file}:{d.line}: {d.message}"))
        else:
            out.append(SourceError(line=d.line, col=d.col, message=d.message))
    return tuple(out)


def assemble_source(source: str, *, filename: str = "editor.S") -> Assembly:
    from lab.riscv.asm import AsmError

    try:
        image = _assemble(source, filename)
    except AsmError as exc:
        return Assembly(ok=False, size=0, entry=0, errors=_errors(exc), vm=None)
    return Assembly(ok=True, size=len(image.data), entry=image.entry, errors=(), vm=None)


def load_source(hv: Hypervisor, vm: Vm, source: str, *, filename: str = "editor.S") -> Assembly:
    """Assemble and boot in `vm`; a program that does not fit its RAM is an error at line 0."""
    from lab.riscv.asm import AsmError
    from lab.riscv.program import Program, Segment

    try:
        image = _assemble(source, filename)
    except AsmError as exc:
        return Assembly(ok=False, size=0, entry=0, errors=_errors(exc), vm=None)
    program = Program(
        filename, [Segment(image.base, image.data, len(image.data))], image.entry, image.symbols
    )
    try:
        hv.load(vm, program)
    except ValueError as exc:
        return Assembly(
            ok=False, size=0, entry=0, errors=(SourceError(line=0, col=0, message=str(exc)),), vm=None
        )
    return Assembly(ok=True, size=len(image.data), entry=image.entry, errors=(), vm=vm.name)


def editable_source(handler: Callable[..., Any]) -> str:
    """A handler's source as a patch that runs as it stands: decorators dropped, and
    an import line for the module-level names it uses (constants, helpers)."""
    lines = textwrap.dedent(inspect.getsource(handler)).splitlines(keepends=True)
    while lines and lines[0].lstrip().startswith("@"):
        lines.pop(0)
    module = inspect.getmodule(handler)
    names = sorted(
        n
        for n in handler.__code__.co_names
        if module is not None and n in vars(module) and n != handler.__name__
    )
    head = f"from {module.__name__} import {', '.join(names)}\n\n\n" if module is not None and names else ""
    return head + "".join(lines)


def patch_source(hv: Hypervisor, handler: str, key: tuple[int, int]) -> PatchSource:
    """The handler's current source: the active patch, else the original."""
    active = hv.patches.get(key)
    fn = lookup(*key)
    assert fn is not None
    source = active.source if active else editable_source(fn.handler)
    return PatchSource(handler=handler, source=source, patched=active is not None, params=tuple(fn.params))


def handler_names() -> tuple[str, ...]:
    return tuple(
        f"{ext.name.lower()}.{fn.name}" for ext in load_extensions().values() for fn in ext.functions.values()
    )


def handler_name(key: tuple[int, int]) -> str:
    fn = lookup(*key)
    if fn is None:
        return f"{key[0]:#x}.{key[1]}"
    return f"{EXTENSIONS[fn.eid].name.lower()}.{fn.name}"


# ------------------------------------------------------------------ detection rules

RULES_TEMPLATE: Final = """\
# Detection rules (TOML). Each [[rule]] watches one source: "hypercall", "event" or "frame".
# Its [rule.detection] holds named selections (every field must match; a list of values
# matches any one of them) and a condition that joins them with and, or, not.
# The fields: the docs' detection reference. Check shows a mistake at its line; Load lets
# the rules watch the machine, and the detections panel shows what they find.

[[rule]]
id = "vm-destroyed"
title = "A VM was destroyed by another VM"
source = "event"
level = "high"

[rule.detection]
condition = "destroyed"
destroyed = { kind = "vm", "text|contains" = "destroyed by dom" }

# A rule can count: it fires when at_least matches fall within a window of instructions,
# counted separately for each value of its `by` fields. Remove the #s to try it.
#
# [[rule]]
# id = "busy-port"
# title = "Many frames from one switch port"
# source = "frame"
# [rule.detection]
# condition = "any"
# any = { "frame.len|gte" = 0 }
# [rule.count]
# at_least = 1000
# within = 1_000_000
# by = ["port"]
"""
EDITOR_RULES: Final = "editor"  # the path of rules loaded from the editor


def rules_source(sensor: Sensor | None) -> RulesSource:
    """The rules watching the machine, else the template."""
    if sensor is None:
        return RulesSource(text=RULES_TEMPLATE, loaded=False, path="")
    return RulesSource(text=sensor.rules.text, loaded=True, path=sensor.rules.path)


def rule_errors(error: RuleError) -> tuple[SourceError, ...]:
    return tuple(SourceError(line=p.line or 0, col=0, message=p.message) for p in error.problems)


def check_rules(source: str) -> RulesChecked:
    """Editor text read and checked as a rule file: how many rules, or every problem at its line."""
    try:
        rules = parse_rules(source, path=EDITOR_RULES)
    except RuleError as exc:
        return RulesChecked(ok=False, rules=0, errors=rule_errors(exc))
    return RulesChecked(ok=True, rules=len(rules.rules), errors=())
