"""The guests' hypercall constants, written from the hypercall table: never by hand.

    python3 -m hvlab.generate            # rewrite lib/sbi.S, lib/machine.S and tests/c/runtime/sbi.h
    python3 -m hvlab.generate --check    # exit 1 if any of them is out of date

Guests name every extension ID, function ID and error code through `lib/sbi.S`
(assembly) or `sbi.h` (C, and assembly run through cpp). Both are generated from
`EXTENSIONS`, `SbiError` and the few values listed in `_guest_values` (each
read from the module that defines it), so a change to the table cannot leave a
guest calling the wrong numbers; a test fails while a committed file differs
from what this module writes. Names:

    EID_<EXT>               the extension ID             EID_DGRAM
    <EXT>_<FUNCTION>        a function ID (FID)          DGRAM_RING_SETUP, VMCTL_PEEK
    <EXT>_<VALUE>           an argument or layout value  DGRAM_RING_LEN, SRST_REASON_EXIT_CODE
    SBI_SUCCESS, SBI_ERR_<NAME>, SBI_ERROR_COUNT         the error codes in a0
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Final

from lab.hv.hypercalls import Extension, SbiError, load_extensions

ROOT: Final = Path(__file__).resolve().parents[2]
COMMAND: Final = "python3 -m hvlab.generate"  # named in each generated file's first line


@dataclass(frozen=True, slots=True)
class Constant:
    """One named number as the guests see it."""

    name: str
    value: int
    comment: str = ""
    hex: bool = False  # an ID or an address-like value: shown in hex


@dataclass(frozen=True, slots=True)
class Group:
    """The constants of one extension (or the error codes), under a heading."""

    heading: str
    constants: tuple[Constant, ...]


def _values(module: ModuleType, *names_and_comments: tuple[str, str]) -> list[Constant]:
    """The named module-level constants, under their Python names."""
    return [
        Constant(name, int(getattr(module, name)), comment, hex=getattr(module, name) >= 0x10000)
        for name, comment in names_and_comments
    ]


def _guest_values() -> dict[str, list[Constant]]:
    """Arguments, limits and layouts a guest needs beside the call numbers, by extension.

    Each value is read from the module that gives it meaning; the guest-facing
    name is <EXTENSION>_<the Python name>."""
    from lab.hv.devices import blk, dgram, gnttab
    from lab.hv.sbi import blk as sbi_blk
    from lab.hv.sbi import dbcn, srst, vmctl
    from lab.hv.sbi import gnttab as sbi_gnttab
    from lab.hv.vm import VmState
    from lab.net import frames

    return {
        "DBCN": _values(dbcn, ("MAX_CHUNK", "most bytes one console_write or console_read moves")),
        "SRST": _values(
            srst,
            ("SHUTDOWN", "reset_type: shut down"),
            ("COLD_REBOOT", "reset_type: cold reboot"),
            ("WARM_REBOOT", "reset_type: warm reboot"),
            ("REASON_NONE", "reset_reason: no reason"),
            ("REASON_FAILURE", "reset_reason: system failure"),
            ("REASON_EXIT_CODE", "reset_reason | code (0-255): hvlab's exit code NN"),
        ),
        "VMCTL": _values(vmctl, ("MAX_COPY", "most bytes one peek or poke copies"))
        + [Constant(f"STATE_{s.name}", int(s), f"info(): {s.name.lower()}") for s in VmState],
        "GNTTAB": _values(sbi_gnttab, ("FLAG_READONLY", "flags bit 0: read-only"))
        + _values(gnttab, ("NR_GRANT_ENTRIES", "grant references per domain: 0 to this - 1")),
        "DGRAM": _values(
            dgram,
            ("MAX_DATAGRAM", "most payload bytes in one datagram"),
            ("QUEUE_DEPTH", "most datagrams waiting for one domain"),
            ("RING_STATUS", "ring page: u32 status (DGRAM_STATUS_...)"),
            ("RING_OP", "ring page: u32 op (DGRAM_OP_...)"),
            ("RING_LEN", "ring page: u32 len, bytes of data"),
            ("RING_RESULT", "ring page: u32 result, written by the backend"),
            ("RING_DATA", "ring page: the data"),
            ("RING_DATA_MAX", "ring page: most bytes of data"),
            ("OP_LOG", "op: copy data[0:len] to the hypervisor's log"),
            ("STATUS_IDLE", "status: no request"),
            ("STATUS_PENDING", "status: the doorbell accepted it"),
            ("STATUS_DONE", "status: the backend completed it"),
            ("STATUS_REJECTED", "status: the backend refused it"),
        ),
        "NET": _values(
            frames,
            ("ETH_HEADER_LEN", "the shortest frame send takes"),
            ("ETH_MAX_FRAME", "the longest frame: Ethernet II without the FCS"),
        ),
        "BLK": _values(blk, ("SECTOR", "bytes in a sector"))
        + _values(sbi_blk, ("MAX_SECTORS", "most sectors one read or write moves")),
    }


def groups() -> list[Group]:
    """Every constant the guests get, one group per extension, then the error codes."""
    extras = _guest_values()
    out = []
    for ext in sorted(load_extensions().values(), key=lambda e: (not e.standard, e.eid)):
        constants = [Constant(f"EID_{ext.name}", ext.eid, _eid_comment(ext), hex=True)]
        for fid, fn in sorted(ext.functions.items()):
            note = ", privileged" if fn.privileged else ""
            constants.append(Constant(f"{ext.name}_{fn.name.upper()}", fid, fn.signature + note))
        for value in extras.pop(ext.name, []):
            constants.append(Constant(f"{ext.name}_{value.name}", value.value, value.comment, value.hex))
        origin = "SBI specification" if ext.standard else "hvlab, SBI vendor range"
        out.append(Group(f"{ext.name}: {ext.title} ({origin})", tuple(constants)))
    if extras:
        raise ValueError(f"guest values for unknown extensions: {', '.join(extras)}")
    # Guests index a table of names by -error (the monitor's sbi_error_name): no gaps.
    if sorted(SbiError) != list(range(-len(SbiError) + 1, 1)):
        raise ValueError("SBI error codes must run 0, -1, -2, ... without a gap")
    errors = [Constant(SbiError.label(e), int(e)) for e in SbiError]
    errors.append(
        Constant("SBI_ERROR_COUNT", len(SbiError), f"SBI_SUCCESS and the errors, 0 to {min(SbiError)}")
    )
    out.append(Group("error codes (a0 after ecall), as the SBI spec numbers them", tuple(errors)))
    return out


def _eid_comment(ext: Extension) -> str:
    text = ext.eid.to_bytes(4, "big").decode("latin-1")
    return f'"{text}"' if text.isalpha() else ""


def _number(c: Constant) -> str:
    return f"0x{c.value:08X}" if c.hex else str(c.value)


def sbi_asm() -> str:
    """The whole of lab/guests/lib/sbi.S."""
    head = [
        f"# lib/sbi.S -- GENERATED by `{COMMAND}` from the hypercall table",
        "# (lab/hv/hypercalls.py, lab/hv/sbi/): do not edit; change the Python and run it again.",
        "#",
        "# Provides: .equ symbols only (no code, no data): each extension's ID (EID_<EXT>), its",
        "# function IDs (<EXT>_<FUNCTION>, with the function's signature), the values its",
        "# arguments and shared pages use (<EXT>_<VALUE>), and the SBI error codes.",
        "# Include it near the top of a program, before any code that uses these names:",
        "# `li` needs its constant defined before the line that uses it.",
        "#",
        "# The calling convention (RISC-V SBI): a7 = extension ID (EID), a6 = function",
        "# ID (FID), a0..a5 = arguments, then `ecall`; the hypervisor answers with",
        "# a0 = error code (0 = success, negative = SBI_ERR_...) and a1 = value.",
    ]

    return _render(head, "        # ---- {}", _asm_define)


def _asm_define(c: Constant, width: int) -> str:
    text = f"        .equ {c.name + ',':<{width + 1}} {_number(c)}"
    return f"{text:<{width + 25}} # {c.comment}" if c.comment else text


def sbi_h() -> str:
    """The whole of tests/c/runtime/sbi.h: the same names as #defines, for C and cpp'd assembly."""
    head = [
        f"/* sbi.h -- GENERATED by `{COMMAND}` from the hypercall table",
        " * (lab/hv/hypercalls.py, lab/hv/sbi/): do not edit; change the Python and run it again.",
        " *",
        " * The same names as the assembly guests' lib/sbi.S. Only #defines of integer",
        " * constants, so crt0.S (run through cpp) can include it as well as C.",
        " */",
        "#ifndef HVLAB_SBI_H",
        "#define HVLAB_SBI_H",
    ]

    def define(c: Constant, width: int) -> str:
        value = f"({c.value})" if c.value < 0 else _number(c)  # a negative macro needs parentheses
        text = f"#define {c.name:<{width}} {value}"
        return f"{text:<{width + 21}} /* {c.comment} */" if c.comment else text

    return _render(head, "/* ---- {} */", define) + "\n#endif\n"


def machine_groups() -> list[Group]:
    """The guest machine's memory map, UART registers and trap causes, from the modules that build it."""
    from lab.cpu import bus
    from lab.cpu.base import Cause
    from lab.hv import vm
    from lab.hv.devices import uart
    from lab.riscv import isa

    return [
        Group(
            "memory map (lab/hv/vm.py)",
            (
                Constant(
                    "RAM_BASE", vm.RAM_BASE, "RAM: the program is loaded here, sp starts at its top", True
                ),
                Constant(
                    "GRANT_WINDOW", vm.GRANT_WINDOW, "where pages other VMs grant this one are mapped", True
                ),
                Constant("GRANT_WINDOW_SIZE", vm.GRANT_WINDOW_SIZE, "bytes of the grant window", True),
                Constant("PAGE_SIZE", bus.PAGE_SIZE, "the unit of a grant"),
            ),
        ),
        Group(
            "16550 UART (lab/hv/devices/uart.py)",
            (
                Constant("UART_BASE", uart.UART_BASE, "its registers, one byte each", True),
                Constant("UART_RBR", uart.RBR_THR, "read: the next received byte"),
                Constant("UART_THR", uart.RBR_THR, "write: send a byte"),
                Constant("UART_LSR", uart.LSR, "line status register"),
                Constant("LSR_DR", uart.LSR_DR, "LSR bit: a received byte is waiting"),
                Constant("LSR_THRE", uart.LSR_THRE, "LSR bit: ready to send a byte"),
            ),
        ),
        Group(
            "a guest kernel's traps (lab/riscv/isa.py, lab/cpu/base.py): sstatus bits, scause values",
            (
                Constant("SSTATUS_SIE", isa.SSTATUS_SIE, "supervisor interrupts enabled"),
                Constant("SSTATUS_SPIE", isa.SSTATUS_SPIE, "SIE before the last trap"),
                Constant("SSTATUS_SPP", isa.SSTATUS_SPP, "the level the last trap came from (1: supervisor)"),
                *(Constant(f"CAUSE_{c.name}", int(c), c.label) for c in Cause),
            ),
        ),
    ]


def machine_asm() -> str:
    """The whole of lab/guests/lib/machine.S."""
    head = [
        f"# lib/machine.S -- GENERATED by `{COMMAND}` from the modules that build the guest",
        "# machine (lab/hv/vm.py, lab/hv/devices/uart.py, lab/riscv/isa.py, lab/cpu/base.py): do not",
        "# edit; change the Python, run it again.",
        "#",
        "# Provides: .equ symbols only (no code, no data): where RAM and the grant window",
        "# are (QEMU `virt` layout), the registers of the 16550 UART, and for a guest kernel",
        "# the bits of sstatus and the exception codes in scause (the CSRs by name: csrr a0, scause).",
        "# Include it near the top of a program, before any code that uses these names:",
        "# `li` needs its constant defined before the line that uses it.",
    ]
    return _render(head, "        # ---- {}", _asm_define, machine_groups())


def _render(
    head: list[str], heading: str, define: Callable[[Constant, int], str], every: list[Group] | None = None
) -> str:
    every = groups() if every is None else every
    width = max(len(c.name) for g in every for c in g.constants)
    lines = list(head)
    for group in every:
        lines += ["", heading.format(group.heading)]
        lines += [define(c, width) for c in group.constants]
    return "\n".join(lines) + "\n"


# The generated files, each with the function that writes it.
OUTPUTS: Final[dict[Path, Callable[[], str]]] = {
    ROOT / "lab" / "guests" / "lib" / "sbi.S": sbi_asm,
    ROOT / "lab" / "guests" / "lib" / "machine.S": machine_asm,
    ROOT / "tests" / "c" / "runtime" / "sbi.h": sbi_h,
}
