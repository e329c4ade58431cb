"""The trace's vocabulary: every kind of event, and the shape of every line the trace shows.

A lesson's `trace "..."` check matches a piece of one trace line, so every line the
hypervisor, the network and the lesson engine write is a `Message` of this table, filled
in where the event happens:

    hv.event(vm.domid, GRANT_GRANTED(vm=vm.label, gpa=gpa, ...))       # a whole event's line
    SbiRet.fail(SbiError.DENIED, NOT_CONTROL_DOMAIN(vm=vm.label))        # a hypercall's reason

A message is a `str.format` shape with named fields (`FIELDS` says what each holds, with
an example); calling it gives a `Line`, a str that remembers its message (and so its kind).
Some messages are pieces of others: a hypercall's reason follows `: ` in its line, a VM's
state change says `why` it happened. `MESSAGES` lists every message once; the docs' trace
reference (docs/reference/trace.md) is written from it, `match` finds the message a line
was made from, and tests check that every line of every lesson's play-through matches one.

This module is data only and sits below every layer that writes to the trace (lab.net,
lab.cpu, lab.hv, lab.lesson), so each of them fills its lines from here.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from enum import StrEnum
from typing import Final


class EventKind(StrEnum):
    """What a trace event is about: the trace panel's filter and a record's `kind`."""

    HYPERCALL = "hypercall"
    PRIVILEGE = "privilege"
    VM = "vm"
    GRANT = "grant"
    DGRAM = "dgram"
    NET = "net"
    MGMT = "mgmt"
    PATCH = "patch"
    POLICY = "policy"
    MEASURE = "measure"


KIND_MEANING: Final[dict[EventKind, str]] = {
    EventKind.HYPERCALL: "a guest's hypercall: which function, its arguments, the result and, where the "
    "handler gives one, the reason",
    EventKind.PRIVILEGE: "an ecall from a guest's user mode that names one of the hypervisor's extensions: "
    "served as a hypercall, or passed on to the guest's kernel (hypercall.check_caller_mode)",
    EventKind.VM: "a VM was created, changed state (paused, running, halted, faulted), was destroyed or "
    "rebooted",
    EventKind.GRANT: "grant tables: a page granted, a grant ended, a grant mapped or unmapped",
    EventKind.DGRAM: "the VMCI-style channel: datagrams, the shared request ring and its backend",
    EventKind.NET: "the virtual network: a frame the switch or a vNIC dropped, a request the management "
    "service's queue or rate limit dropped",
    EventKind.MGMT: "the hypervisor's management service: logins, lockouts, sessions, commands, and its "
    "out-of-band console",
    EventKind.PATCH: "a student's patch of a hypercall handler: applied, restored, failed",
    EventKind.POLICY: "a policy switch set (by a lesson's action or the policy panel)",
    EventKind.MEASURE: "the cost of the current hardening, measured (the `measure` action)",
}


_PATTERNS: dict[str, re.Pattern[str]] = {}  # Message.pattern, made once per message


class Line(str):
    """A trace line (or a piece of one), made from `message`."""

    message: Message

    def __new__(cls, text: str, message: Message) -> Line:
        line = super().__new__(cls, text)
        line.message = message
        return line

    def __reduce__(self) -> tuple[type[Line], tuple[str, Message]]:
        # Pickled with its message (a front end's engine process sends records holding lines).
        return (Line, (str(self), self.message))


@dataclass(frozen=True, slots=True)
class Message:
    """One shape of trace text: a whole event's line, or a piece that fills a field of others."""

    name: str  # unique, dotted: "grant.mapped", "reason.not_control_domain"
    kind: EventKind
    shape: str  # str.format, named fields only: "{vm} maps {granter}'s ref {ref} at {gpa:#x} ({mode})"
    meaning: str
    fills: str = ""  # "" : a whole line; else the field of this kind's lines it fills ("why", "reason")
    tag: str = ""  # a network event's kind, the word after its segment or vNIC: "acl-drop"

    def __call__(self, **fields: object) -> Line:
        return Line(self.shape.format(**fields), self)

    @property
    def fields(self) -> tuple[str, ...]:
        """The shape's fields, in order."""
        return tuple(dict.fromkeys(f for _, f, _, _ in string.Formatter().parse(self.shape) if f))

    @property
    def line_shape(self) -> str:
        """The shape as the trace shows it: a network event has its place and tag in front."""
        return f"{{where}}: {self.tag}: {self.shape}" if self.tag else self.shape

    @property
    def pattern(self) -> re.Pattern[str]:
        """A regular expression for the text this message makes as the trace shows it: each
        field a named group (anything; a `!r` field a quoted string), a field that comes twice
        the same text both times."""
        found = _PATTERNS.get(self.name)
        if found is None:
            out = []
            seen = set()
            for literal, name, _, conversion in string.Formatter().parse(self.line_shape):
                out.append(re.escape(literal))
                if name:
                    anything = "'.*?'|\".*?\"" if conversion == "r" else FIELDS[name].pattern
                    out.append(f"(?P={name})" if name in seen else f"(?P<{name}>{anything})")
                    seen.add(name)
            found = _PATTERNS[self.name] = re.compile("".join(out), re.S)
        return found

    @property
    def example(self) -> str:
        """The line with every field's example value (FIELDS)."""
        values = {f: FIELDS[f].example for f in self.fields}
        # Who reports a network event: the service, a vNIC (named after its VM) or a segment.
        where = (
            "mgmt" if self.name.startswith("mgmt.") else "tenant" if self.tag == "rate-limited" else "tenants"
        )
        return self.line_shape.format(where=where, **values)

    @property
    def shown(self) -> str:
        """The shape as a reader looks for it: fields without their format (`{gpa:#x}` as `{gpa}`)."""
        return "".join(
            literal + (f"{{{name}}}" if name else "")
            for literal, name, _, _ in string.Formatter().parse(self.line_shape)
        )


@dataclass(frozen=True, slots=True)
class Field:
    """What a field of the shapes holds, a value to show it with, and (for `match`) a regular
    expression for the text it becomes."""

    meaning: str
    example: object
    pattern: str = ".*?"


_VM_RE = r"dom\d+ \([^()]*\)"
_NUMBER_RE = r"-?\d+"
_HEX_RE = r"0x[0-9a-f]+"


_VM = "a VM as the trace names it: `domN (name)`"
FIELDS: Final[dict[str, Field]] = {
    "vm": Field(_VM, "dom1 (tenant)", _VM_RE),
    "by": Field(_VM + ": the one that did it", "dom0 (admin)", _VM_RE),
    "dest": Field(_VM + ": the receiver", "dom2 (logger)", _VM_RE),
    "grantee": Field(_VM + ": the one a page is granted to, or that maps it", "dom1 (tenant)", _VM_RE),
    "granter": Field(_VM + ": the one that granted the page", "dom3 (notary)", _VM_RE),
    "holders": Field("the VMs that still map a page, `domN (name)`, comma-separated", "dom1 (tenant)"),
    "owners": Field(
        "whose memory an unchecked buffer reached: VMs as `domN (name)` and `hypervisor`, comma-separated",
        "dom2 (bank)",
    ),
    "disks": Field("whose disks an unchecked range reached, `domN (name)`, comma-separated", "dom2 (bank)"),
    "domid": Field("a domain ID, a number", 2, _NUMBER_RE),
    "kib": Field("the VM's RAM in KiB", 256, _NUMBER_RE),
    "weight": Field("the VM's scheduler weight", 1, _NUMBER_RE),
    "state": Field("running, paused, halted or faulted", "paused", "running|paused|halted|faulted"),
    "why": Field("why it happened: one of the reasons listed with it", "paused by dom0 (admin)"),
    "gpa": Field("a guest-physical address, in hex", 0x80041000, _HEX_RE),
    "end": Field("the end of a buffer (one past its last byte), in hex", 0x80041040, _HEX_RE),
    "window": Field("the grant window's address, in hex", 0x90000000, _HEX_RE),
    "pc": Field("the address of an instruction, in hex", 0x80000120, _HEX_RE),
    "tval": Field("the faulting address or instruction, in hex", 0x90001000, _HEX_RE),
    "ref": Field("a grant reference, a number", 0, _NUMBER_RE),
    "last": Field("the last valid number", 511, _NUMBER_RE),
    "mode": Field("read-write or read-only", "read-only", "read-write|read-only"),
    "size": Field("a number of bytes", 16, _NUMBER_RE),
    "limit": Field("the limit in force, a number", 256, _NUMBER_RE),
    "depth": Field("how many datagrams a queue holds", 16, _NUMBER_RE),
    "quota": Field("how many datagrams one sender may have waiting in an inbox", 4, _NUMBER_RE),
    "cost": Field("the hypervisor's own work, in instructions of the clock", 4096, _NUMBER_RE),
    "entries": Field("how many entries a table holds", 512, _NUMBER_RE),
    "flags": Field("the flags given, in hex", 0x2, _HEX_RE),
    "op": Field("the request's op code", 7, _NUMBER_RE),
    "count": Field("a number of sectors", 2, _NUMBER_RE),
    "sector": Field("a sector number", 7, _NUMBER_RE),
    "first": Field("the first sector of a range", 7, _NUMBER_RE),
    "after": Field("one past the last sector of a range", 9, _NUMBER_RE),
    "sectors": Field("the disk's size in sectors", 8, _NUMBER_RE),
    "period": Field("the rate limiter's period, in instructions", 100000, _NUMBER_RE),
    "code": Field("an exit code, 0 to 255", 0, _NUMBER_RE),
    "reset_type": Field("the reset type given, in hex", 0x7, _HEX_RE),
    "reset_reason": Field("the reset reason given, in hex", 0x0, _HEX_RE),
    "result": Field(
        "what became of the frame: rate-limited, bad-length, not-connected or queue-full", "rate-limited"
    ),
    "ext": Field("the extension's name (DBCN, VMCTL, ...), or `EID 0x...` for an unknown one", "VMCTL"),
    "fn": Field("the function's name (peek, console_write, ...), or `FID n` for an unknown one", "peek"),
    "fid": Field("a function ID, a number", 9, _NUMBER_RE),
    "eid": Field("an extension ID, in hex", 0xBADCAFE, _HEX_RE),
    "args": Field(
        "the arguments as `name=value`, comma-separated (numbers below 4096 in decimal, the rest in hex)",
        "domid=2, src_gpa=0x80001000, len=32, dest_gpa=0x80030000",
    ),
    "result_name": Field(
        "SBI_SUCCESS and the value the call returned, or the SBI error (SBI_ERR_DENIED, ...)",
        "SBI_ERR_DENIED",
    ),
    "reason": Field(
        "the handler's reason: one of the reasons listed with it", "dom1 (tenant) is not the control domain"
    ),
    "program": Field("the program's file name", "probe.S"),
    "cause": Field(
        "the exception, as the RISC-V privileged spec names it (load access fault, illegal instruction, ...)",
        "load access fault",
    ),
    "what": Field("address or instruction: what tval holds", "address"),
    "handler": Field("the hypercall handler's function name", "console_write"),
    "error": Field("what went wrong, in words", "ZeroDivisionError: division by zero; rolled back"),
    "text": Field("the logged text (its first 256 bytes), shown as a Python string literal", "hello backend"),
    "note": Field("nothing, or the notes listed with it, in that order", ""),
    "checked": Field("the length the backend checked", 16, _NUMBER_RE),
    "excess": Field("how many bytes too many", 4, _NUMBER_RE),
    "switch": Field("a policy switch (see the policy reference)", "hypercall.authorize"),
    "value": Field("the switch's value now: True or False, or a number", "True"),
    "summary": Field(
        "the cost: `hypercalls under the <label> policy cost +N.N % (±N.N %; N.NN us a call instead of N.NN, "
        "median of N pairs of N calls, <backend>)`",
        "hypercalls under the hardened policy cost +4.2 % (±1.0 %; 0.55 us a call instead of 0.53, "
        "median of 5 pairs of 1000 calls, interp)",
    ),
    "command": Field("the console command as typed", "PAUSE tenant"),
    "reply": Field("the console's reply (OK ... or ERR ...)", "OK paused tenant"),
    "where": Field(
        "who saw it: a segment (tenants), a VM's vNIC (tenant) or the management service (mgmt)", "tenants"
    ),
    "src": Field("the port a frame came in on (a VM's name, or mgmt)", "tenant"),
    "dst": Field("the port it was going out of", "mgmt"),
    "port": Field("a switch port (a VM's name, or mgmt)", "tenant"),
    "kind": Field("a kind of port (vif, mgmt)", "mgmt"),
    "forged": Field(
        "what in the frame is not the port's own: `source MAC m`, `source IP a` or `ARP sender m a`",
        "source MAC 02:00:00:00:00:fe",
    ),
    "mac": Field("a MAC address", "02:00:00:00:00:01", "[0-9a-f:]{17}"),
    "ip": Field("an IPv4 address", "10.0.0.11", r"\d+\.\d+\.\d+\.\d+"),
    "user": Field("the login name given", "admin"),
    "failures": Field("failed logins counted so far", 3, _NUMBER_RE),
    "who": Field("what a lockout locked: an IPv4 address, or `account NAME`", "10.0.0.11"),
    "instructions": Field("a time in instructions", 2000000, _NUMBER_RE),
    "verb": Field("the command: PAUSE, UNPAUSE or DESTROY", "DESTROY"),
    "name": Field("a VM's name as given", "bank"),
    "request": Field(
        "the start of the request's text (40 characters), shown as a Python string literal", "LIST"
    ),
    "client": Field("who sent it: `user@ip` (a session) or `console`", "admin@10.0.0.10"),
    "low": Field("the least allowed", 14, _NUMBER_RE),
    "high": Field("the most allowed", 1514, _NUMBER_RE),
    "frame_error": Field("why the frame could not be parsed", "frame too short for its IPv4 header"),
}


def _m(name: str, kind: EventKind, shape: str, meaning: str, *, fills: str = "", tag: str = "") -> Message:
    return Message(name, kind, shape, meaning, fills, tag)


H, V, G, D, N, M = (
    EventKind.HYPERCALL,
    EventKind.VM,
    EventKind.GRANT,
    EventKind.DGRAM,
    EventKind.NET,
    EventKind.MGMT,
)

# ------------------------------------------------------------------ hypercalls (lab/hv/hypercalls.py)
# The line is written by HypercallRecord.describe; the reasons come from the handlers (lab/hv/sbi/).

HYPERCALL: Final = _m(
    "hypercall",
    H,
    "{ext}.{fn}({args}) -> {result_name}",
    "A hypercall and its result. `: {reason}` follows when the handler gave a reason, and "
    "` [patched handler]` when a student's patch handled it (a patch writes reasons of its own).",
)
NO_EXTENSION: Final = _m(
    "reason.no_extension", H, "no extension {eid:#x}", "No extension has that EID.", fills="reason"
)
NO_FUNCTION: Final = _m(
    "reason.no_function", H, "{ext} has no function {fid}", "The extension has no such FID.", fills="reason"
)
LEAK_UNCHECKED: Final = _m(
    "reason.leak_unchecked",
    H,
    "UNCHECKED buffer [{gpa:#x}, {end:#x}) reached {owners}",
    "The call went ahead with a buffer the hypervisor did not check (hypercall.check_bounds off) "
    "and it reached other VMs' memory or the hypervisor's region: the leak or the overwrite.",
    fills="reason",
)
LEAK_OUTSIDE: Final = _m(
    "reason.leak_outside",
    H,
    "buffer [{gpa:#x}, {end:#x}) is outside {vm}'s memory",
    "An unchecked buffer that is not the caller's but reached no one else's memory either.",
    fills="reason",
)
BUFFER_NOT_YOURS: Final = _m(
    "reason.buffer_not_yours",
    H,
    "buffer [{gpa:#x}, {end:#x}) is not {vm}'s",
    "Refused: the buffer is not all the caller's memory (hypercall.check_bounds).",
    fills="reason",
)
MEMORY_NOT_YOURS: Final = _m(
    "reason.memory_not_yours",
    H,
    "buffer [{gpa:#x}, {end:#x}) is not {vm}'s memory",
    "DBCN refused a console buffer that is not all the caller's memory (hypercall.check_bounds).",
    fills="reason",
)
NO_VM: Final = _m("reason.no_vm", H, "no VM with domid {domid}", "No live VM has that domid.", fills="reason")
LEN_OVER_LIMIT: Final = _m(
    "reason.len_over_limit",
    H,
    "len {size} is over the limit of {limit}",
    "The length is over the call's limit.",
    fills="reason",
)
NOT_PAGE_ALIGNED: Final = _m(
    "reason.not_page_aligned",
    H,
    "{gpa:#x} is not page-aligned",
    "The address must be a page's start.",
    fills="reason",
)
NOT_IN_RAM: Final = _m(
    "reason.not_in_ram",
    H,
    "{gpa:#x} is not in {vm}'s RAM",
    "The address is not in the caller's RAM.",
    fills="reason",
)
# BLK
NO_DISK: Final = _m(
    "reason.no_disk", H, "{vm} has no disk", "The caller has no virtual disk.", fills="reason"
)
BAD_COUNT: Final = _m(
    "reason.bad_count",
    H,
    "count {count} is not 1 to {limit}",
    "A transfer moves 1 to 8 sectors.",
    fills="reason",
)
SECTOR_PAST_END: Final = _m(
    "reason.sector_past_end",
    H,
    "sector {sector} is past the end of {vm}'s disk",
    "The first sector is not on the disk.",
    fills="reason",
)
RANGE_PAST_END: Final = _m(
    "reason.range_past_end",
    H,
    "sectors [{first}, {after}) run past the end of {vm}'s disk ({sectors})",
    "Refused: the range does not fit the caller's disk (blk.check_range).",
    fills="reason",
)
THROTTLED: Final = _m(
    "reason.throttled",
    H,
    "throttled by blk.rate_limit ({limit} sectors per {period} instructions)",
    "The disk's rate limit held the transfer back: 0 sectors moved.",
    fills="reason",
)
RANGE_UNCHECKED: Final = _m(
    "reason.range_unchecked",
    H,
    "UNCHECKED range [{first}, {after}) reached {disks}",
    "The transfer went ahead past the end of the caller's disk (blk.check_range off) into other VMs' disks.",
    fills="reason",
)
DISK_BUSY: Final = _m(
    "reason.disk_busy",
    H,
    "the disk is busy: the store moves {limit} sectors per {period} instructions",
    "The store's shared bandwidth (disk_bandwidth) is used up for now: 0 sectors moved; try again later.",
    fills="reason",
)
ZERO_RANGE: Final = _m(
    "reason.zero_range",
    H,
    "sectors [{first}, {after}) are not 1 or more of {vm}'s disk",
    "zero: the range is empty or does not fit the caller's disk.",
    fills="reason",
)
ZERO_PREEMPTED: Final = _m(
    "reason.zero_preempted",
    H,
    "preempted after {count} sectors: continues at sector {sector}",
    "zero did a bounded piece of the work (hypercall.preemptible) and will continue the call "
    "where it stopped, as Xen's hypercall continuations do.",
    fills="reason",
)
ZERO_DONE: Final = _m(
    "reason.zero_done",
    H,
    "{count} sectors zeroed ({cost} instructions in the hypervisor)",
    "zero finished: the last (or only) piece, and the hypervisor's time it cost.",
    fills="reason",
)
# TIME
TIMER_CANCELLED: Final = _m(
    "reason.timer_cancelled",
    H,
    "timer cancelled",
    "set_timer with the greatest time: the caller's timer is off.",
    fills="reason",
)
# DGRAM
SENDER_QUOTA: Final = _m(
    "reason.sender_quota",
    H,
    "{vm} already has {quota} datagrams waiting in {dest}'s inbox (its quota)",
    "Refused: the sender's share of the receiver's inbox is used up (dgram.sender_quota).",
    fills="reason",
)
QUEUE_FULL: Final = _m(
    "reason.queue_full",
    H,
    "{vm}'s queue is full ({depth} datagrams)",
    "The receiver's queue is full.",
    fills="reason",
)
MAXLEN_TOO_SMALL: Final = _m(
    "reason.maxlen_too_small",
    H,
    "maxlen must leave room for the 4-byte sender id",
    "recv needs at least 5 bytes.",
    fills="reason",
)
NO_RING: Final = _m(
    "reason.no_ring",
    H,
    "{vm} has no request ring (ring_setup first)",
    "doorbell before ring_setup.",
    fills="reason",
)
STILL_PENDING: Final = _m(
    "reason.still_pending",
    H,
    "the previous request is still pending",
    "The backend has not completed the last request.",
    fills="reason",
)
# GNTTAB
UNKNOWN_FLAGS: Final = _m(
    "reason.unknown_flags",
    H,
    "unknown flags {flags:#x} (bit 0 = read-only)",
    "Only bit 0 is a flag.",
    fills="reason",
)
NO_OTHER_VM: Final = _m(
    "reason.no_other_vm",
    H,
    "no other VM with domid {domid}",
    "A grant goes to another live VM.",
    fills="reason",
)
GRANT_TABLE_FULL: Final = _m(
    "reason.grant_table_full",
    H,
    "{vm}'s grant table is full ({entries} entries)",
    "No free grant reference.",
    fills="reason",
)
NOT_A_GRANT: Final = _m(
    "reason.not_a_grant",
    H,
    "ref {ref} is not a grant of {vm}",
    "end_access of a reference the caller never granted.",
    fills="reason",
)
IN_USE: Final = _m(
    "reason.in_use",
    H,
    "ref {ref} is still mapped by {holders}: it stays in use",
    "end_access refused while another VM maps the page (grant.check_in_use), as Xen refuses: "
    "the grantee unmaps first.",
    fills="reason",
)
STILL_MAPPED: Final = _m(
    "reason.still_mapped",
    H,
    "UNCHECKED: ref {ref} ended while still mapped by {holders}: the page stays shared",
    "end_access while another VM still maps the page, allowed (grant.check_in_use off): the "
    "granter reuses a page a neighbour can still read.",
    fills="reason",
)
REF_OUT_OF_RANGE: Final = _m(
    "reason.ref_out_of_range",
    H,
    "ref {ref} is out of range (0..{last})",
    "No such grant reference.",
    fills="reason",
)
NO_GRANT_REF: Final = _m(
    "reason.no_grant_ref",
    H,
    "{vm} has no grant ref {ref}",
    "The granter has not granted that reference.",
    fills="reason",
)
GRANTED_TO_OTHER: Final = _m(
    "reason.granted_to_other",
    H,
    "ref {ref} is granted to dom{domid}, not to {vm}",
    "Refused: the page was granted to someone else (grant.check_grantee).",
    fills="reason",
)
READ_ONLY_REF: Final = _m(
    "reason.read_only_ref",
    H,
    "ref {ref} is read-only; map it with flags=1",
    "Refused: a read-only grant mapped writable (grant.enforce_readonly).",
    fills="reason",
)
NOT_GRANT_WINDOW: Final = _m(
    "reason.not_grant_window",
    H,
    "{gpa:#x} is not a page of the grant window at {window:#x}",
    "map's dest_gpa must be in the grant window.",
    fills="reason",
)
ALREADY_MAPPED: Final = _m(
    "reason.already_mapped",
    H,
    "{gpa:#x} is already mapped",
    "Something is mapped there already.",
    fills="reason",
)
FRAME_OUTSIDE: Final = _m(
    "reason.frame_outside",
    H,
    "grant ref {ref} names a frame outside {vm}'s RAM",
    "The grant entry is corrupt.",
    fills="reason",
)
UNCHECKED_GRANTEE: Final = _m(
    "reason.unchecked_grantee",
    H,
    "UNCHECKED: ref {ref} was granted to dom{domid}",
    "Mapped although the page was granted to someone else (grant.check_grantee off).",
    fills="reason",
)
UNCHECKED_READONLY: Final = _m(
    "reason.unchecked_readonly",
    H,
    "UNCHECKED: read-only ref {ref} mapped writable",
    "A read-only grant mapped writable (grant.enforce_readonly off).",
    fills="reason",
)
NOTHING_MAPPED: Final = _m(
    "reason.nothing_mapped",
    H,
    "nothing is mapped at {gpa:#x}",
    "unmap of an address with no mapping.",
    fills="reason",
)
# NET
NO_NIC: Final = _m(
    "reason.no_nic", H, "{vm} has no network interface", "The caller has no vNIC.", fills="reason"
)
BAD_FRAME_LENGTH: Final = _m(
    "reason.bad_frame_length",
    H,
    "a frame is {low} to {high} bytes, not {size}",
    "The frame is too short or too long.",
    fills="reason",
)
FRAME_DROPPED: Final = _m(
    "reason.frame_dropped",
    H,
    "frame dropped: {result}",
    "The vNIC did not send the frame (vnic.rate_limit, a full queue).",
    fills="reason",
)
# SRST
RESET_RESERVED: Final = _m(
    "reason.reset_reserved",
    H,
    "reset type {reset_type:#x} / reason {reset_reason:#x} is reserved",
    "Not a reset hvlab knows.",
    fills="reason",
)
SHUT_DOWN: Final = _m(
    "reason.shut_down", H, "{vm} shut down, exit code {code}", "The VM shut itself down.", fills="reason"
)
REBOOTED_ITSELF: Final = _m("reason.rebooted", H, "{vm} rebooted", "The VM rebooted itself.", fills="reason")
# VMCTL
NOT_CONTROL_DOMAIN: Final = _m(
    "reason.not_control_domain",
    H,
    "{vm} is not the control domain",
    "Refused: a privileged call from a VM that is not the control domain (hypercall.authorize).",
    fills="reason",
)
ALREADY_PAUSED: Final = _m(
    "reason.already_paused", H, "{vm} is already paused", "pause of a paused VM.", fills="reason"
)
ALREADY_RUNNING: Final = _m(
    "reason.already_running", H, "{vm} is already running", "unpause of a running VM.", fills="reason"
)
NOT_IN_STATE: Final = _m(
    "reason.wrong_state",
    H,
    "{vm} is {state}",
    "The VM is in no state to do that (halted, faulted).",
    fills="reason",
)
SOURCE_NOT_OF: Final = _m(
    "reason.source_not_of",
    H,
    "source [{gpa:#x}, {end:#x}) is not {vm}'s",
    "peek/poke: the source is not that VM's memory.",
    fills="reason",
)
DEST_NOT_OF: Final = _m(
    "reason.dest_not_of",
    H,
    "destination [{gpa:#x}, {end:#x}) is not {vm}'s",
    "peek/poke: the destination is not that VM's memory.",
    fills="reason",
)
COPIED_FROM: Final = _m(
    "reason.copied_from",
    H,
    "copied from {vm}",
    "peek copied that VM's memory into the caller.",
    fills="reason",
)
COPIED_INTO: Final = _m(
    "reason.copied_into",
    H,
    "copied into {vm}",
    "poke copied the caller's bytes into that VM.",
    fills="reason",
)
PATCH_ROLLED_BACK: Final = _m(
    "reason.patch_rolled_back",
    H,
    "patched handler failed and was rolled back ({error})",
    "A student's patch raised or ran too long: the call fails and the original handler is back.",
    fills="reason",
)

# -------------------------------------------------- who called: a guest's user mode (lab/hv/hypercalls.py)

USER_ECALL_SERVED: Final = _m(
    "privilege.user_served",
    EventKind.PRIVILEGE,
    "{vm}: ecall from user mode at {pc:#010x} served as a {ext} hypercall",
    "A user program in the guest made a hypercall past its kernel, and the hypervisor served it "
    "(hypercall.check_caller_mode off): the hypercall follows as its own line.",
)
USER_ECALL_PASSED: Final = _m(
    "privilege.user_passed",
    EventKind.PRIVILEGE,
    "{vm}: ecall from user mode at {pc:#010x} names {ext}: passed to the guest kernel, not served",
    "A user program's ecall named one of the hypervisor's extensions; with "
    "hypercall.check_caller_mode on it went to the guest kernel as a system call (scause 8).",
)

# ------------------------------------------------------------------ VMs (lab/hv/hypervisor.py)

VM_CREATED: Final = _m(
    "vm.created", V, "created {vm}: {kib} KiB RAM, weight {weight}", "The scenario built a VM."
)
VM_CREATED_CONTROL: Final = _m(
    "vm.created_control",
    V,
    "created {vm}: {kib} KiB RAM, weight {weight}, control domain",
    "The scenario built the control domain.",
)
VM_STATE: Final = _m(
    "vm.state", V, "{vm} {state}: {why}", "A VM was paused, unpaused (running), halted or faulted."
)
VM_DESTROYED: Final = _m(
    "vm.destroyed",
    V,
    "{vm} destroyed: {why}",
    "A VM was destroyed: it stops for good and its RAM is scrubbed.",
)
VM_REBOOTED: Final = _m(
    "vm.rebooted", V, "{vm} rebooted: {why}", "A VM started afresh (a new program, or a reboot)."
)
PAUSED: Final = _m("why.paused", V, "paused", "Paused by the hypervisor itself.", fills="why")
UNPAUSED: Final = _m("why.unpaused", V, "unpaused", "Unpaused by the hypervisor itself.", fills="why")
DESTROYED: Final = _m("why.destroyed", V, "destroyed", "Destroyed by the hypervisor itself.", fills="why")
REBOOTED: Final = _m("why.rebooted", V, "rebooted", "Rebooted by the hypervisor itself.", fills="why")
PAUSED_BY: Final = _m("why.paused_by", V, "paused by {by}", "VMCTL pause from that VM.", fills="why")
UNPAUSED_BY: Final = _m("why.unpaused_by", V, "unpaused by {by}", "VMCTL unpause from that VM.", fills="why")
DESTROYED_BY: Final = _m(
    "why.destroyed_by", V, "destroyed by {by}", "VMCTL destroy from that VM.", fills="why"
)
REBOOT_ASKED: Final = _m(
    "why.reboot_asked",
    V,
    "the guest asked for a reboot",
    "SRST system_reset with a reboot type.",
    fills="why",
)
SHUT_DOWN_WITH: Final = _m(
    "why.shut_down", V, "shut down with exit code {code}", "SRST system_reset: the VM halted.", fills="why"
)
LOADED: Final = _m(
    "why.loaded", V, "loaded {program}", "A new program was loaded (the `load` action).", fills="why"
)
BREAKPOINT: Final = _m(
    "why.breakpoint",
    V,
    "breakpoint (ebreak at {pc:#010x})",
    "The guest ran `ebreak`: paused for the debugger.",
    fills="why",
)
FAULT: Final = _m(
    "why.fault",
    V,
    "{cause} at pc {pc:#010x} ({what} {tval:#010x})",
    "The guest faulted (an illegal instruction, a bad or misaligned access): the VM stops, "
    "the others run on.",
    fills="why",
)
PAUSED_BY_MGMT: Final = _m(
    "why.paused_by_mgmt", V, "paused through the management service", "PAUSE over the network.", fills="why"
)
UNPAUSED_BY_MGMT: Final = _m(
    "why.unpaused_by_mgmt",
    V,
    "unpaused through the management service",
    "UNPAUSE over the network.",
    fills="why",
)
DESTROYED_BY_MGMT: Final = _m(
    "why.destroyed_by_mgmt",
    V,
    "destroyed through the management service",
    "DESTROY over the network.",
    fills="why",
)
PAUSED_AT_CONSOLE: Final = _m(
    "why.paused_at_console", V, "paused from the console", "The VMs panel's pause.", fills="why"
)
UNPAUSED_AT_CONSOLE: Final = _m(
    "why.unpaused_at_console", V, "unpaused from the console", "The VMs panel's unpause.", fills="why"
)
REBOOTED_AT_CONSOLE: Final = _m(
    "why.rebooted_at_console", V, "rebooted from the console", "The VMs panel's reboot.", fills="why"
)
DESTROYED_AT_CONSOLE: Final = _m(
    "why.destroyed_at_console", V, "destroyed from the console", "The VMs panel's destroy.", fills="why"
)

# ------------------------------------------------------------ grants (lab/hv/sbi/gnttab.py, hypervisor.py)

GRANT_GRANTED: Final = _m(
    "grant.granted", G, "{vm} grants page {gpa:#x} to {grantee} ({mode}) as ref {ref}", "GNTTAB grant_access."
)
GRANT_ENDED: Final = _m("grant.ended", G, "{vm} ends grant ref {ref}", "GNTTAB end_access.")
GRANT_ENDED_MAPPED: Final = _m(
    "grant.ended_mapped",
    G,
    "{vm} ends grant ref {ref} (UNCHECKED: ref {ref} ended while still mapped by {holders}: the page "
    "stays shared)",
    "GNTTAB end_access while another VM still maps the page (grant.check_in_use off).",
)
GRANT_MAPPED: Final = _m(
    "grant.mapped",
    G,
    "{grantee} maps {granter}'s ref {ref} at {gpa:#x} ({mode})",
    "GNTTAB map: the page appears in the grantee's grant window.",
)
GRANT_UNMAPPED: Final = _m(
    "grant.unmapped", G, "mapping at {gpa:#x} in {vm} removed: {why}", "A grant mapping went away."
)
UNMAPPED_BY: Final = _m("why.unmapped_by", G, "{vm} unmapped it", "GNTTAB unmap by the grantee.", fills="why")
GONE: Final = _m(
    "why.vm_gone",
    G,
    "{vm} {why}",
    "One of the two VMs was destroyed or rebooted (its reason follows its name).",
    fills="why",
)

# ------------------------------------------------------- the channel (lab/hv/sbi/dgram.py, devices/dgram.py)

DGRAM_SENT: Final = _m(
    "dgram.sent", D, "{vm} -> {dest}: {size} bytes", "DGRAM send: the hypervisor copied a datagram."
)
RING_REGISTERED: Final = _m(
    "dgram.ring", D, "{vm} registers its request ring at {gpa:#x}", "DGRAM ring_setup."
)
RING_CHECKED: Final = _m(
    "dgram.checked",
    D,
    "backend picks up {vm}'s request: LOG {size} bytes (checked)",
    "The backend's first fetch, a while after the doorbell: it read the request's header from the "
    "shared page and checked it; it will read the data (and len) again when it copies "
    "(dgram.copy_then_validate off).",
)
RING_COPIED: Final = _m(
    "dgram.copied",
    D,
    "backend picks up {vm}'s request: LOG {size} bytes (copied once and checked)",
    "The backend's one fetch: it copied the whole request and checked the copy (dgram.copy_then_validate).",
)
RING_REJECTED: Final = _m(
    "dgram.rejected",
    D,
    "backend rejects {vm}'s request: {why}",
    "The backend's check refused the request (status 3, the error in result).",
)
UNKNOWN_RING_OP: Final = _m(
    "why.unknown_ring_op", D, "unknown op {op}", "The request's op is not LOG.", fills="why"
)
REQUEST_TOO_LONG: Final = _m(
    "why.request_too_long",
    D,
    "len {size} is over {limit}",
    "The request's len, as the check read it, does not fit the ring page.",
    fills="why",
)
RING_COMPLETED: Final = _m(
    "dgram.completed",
    D,
    "backend completes {vm}'s LOG: {text!r}{note}",
    "The backend copied a LOG request into its buffer and logged it (up to 256 bytes).",
)
LEN_REREAD: Final = _m(
    "note.len_reread",
    D,
    "; len re-read as {size} (was {checked} when checked)",
    "The backend read len from the shared page again and it had changed: the double fetch "
    "(dgram.copy_then_validate off).",
    fills="note",
)
OVERFLOW: Final = _m(
    "note.overflow",
    D,
    ": OVERFLOW of the backend's 256-byte buffer by {excess} bytes",
    "The copy ran past the backend's buffer into the hypervisor's data.",
    fills="note",
)

# ------------------------------------------------------------------ the network (lab/net/)
# The line is `{where}: {tag}: ` and the message; `where` is the segment, vNIC or service.

ACL_DROP: Final = _m(
    "net.acl_drop", N, "{src} -> {dst}: {reason}", "The switch's ACL dropped a frame.", tag="acl-drop"
)
ACL_ISOLATED: Final = _m(
    "acl.isolated",
    N,
    "{port} may not reach the {kind} port",
    "The ports of that kind are kept apart.",
    fills="reason",
)
ACL_MGMT_ISOLATED: Final = _m(
    "acl.mgmt_isolated",
    N,
    "{port} may not reach the management interface (net.mgmt_isolated)",
    "Only the control domain reaches the management port (net.mgmt_isolated).",
    fills="reason",
)
SPOOF_NOT_OWN: Final = _m(
    "net.spoof_not_own",
    N,
    "{port}: {forged} is not its own (it is {mac} {ip})",
    "A frame with another host's source address, dropped (net.anti_spoofing).",
    tag="spoof-drop",
)
SPOOF_PINNED: Final = _m(
    "net.spoof_pinned",
    N,
    "{port}: source MAC {mac} is pinned to port {dst}",
    "A frame from a MAC that belongs to another port, dropped (net.anti_spoofing).",
    tag="spoof-drop",
)
SWITCH_QUEUE_FULL: Final = _m(
    "net.queue_full",
    N,
    "{port}: segment queue full",
    "The segment's queue was full: the frame is lost.",
    tag="queue-drop",
)
SWITCH_BAD_FRAME: Final = _m(
    "net.bad_frame",
    N,
    "{port}: {size}-byte frame",
    "A frame too short for a header or over 1514 bytes.",
    tag="bad-frame",
)
VNIC_RATE_LIMITED: Final = _m(
    "net.rate_limited",
    N,
    "{size}-byte frame",
    "The vNIC's token bucket dropped a frame (vnic.rate_limit).",
    tag="rate-limited",
)
MGMT_BAD_FRAME: Final = _m(
    "mgmt.bad_frame", N, "{frame_error}", "The service could not parse a frame.", tag="bad-frame"
)
MGMT_RATE_LIMITED: Final = _m(
    "mgmt.rate_limited",
    N,
    "request from {ip}",
    "The service's per-source limit dropped a request (mgmt.rate_limit).",
    tag="rate-limited",
)
MGMT_QUEUE_FULL: Final = _m(
    "mgmt.queue_full",
    N,
    "request from {ip}: queue full",
    "The service's queue was full: the request is lost (the flood).",
    tag="queue-drop",
)
MGMT_DENIED: Final = _m(
    "mgmt.denied", M, "{ip}: {request!r}", "A request without a valid session token.", tag="denied"
)
MGMT_LOGOUT: Final = _m("mgmt.logout", M, "{user}@{ip}: session ended", "LOGOUT.", tag="logout")
MGMT_REVOKED: Final = _m(
    "mgmt.revoked",
    M,
    "{user}@{ip}: revoked at the console",
    "REVOKE at the console ended a session.",
    tag="logout",
)
LOGIN_LOCKED: Final = _m(
    "mgmt.login_locked", M, "{user}@{ip}: locked out", "A login while locked out.", tag="login-failed"
)
LOGIN_BACKING_OFF: Final = _m(
    "mgmt.login_backoff",
    M,
    "{user}@{ip}: backing off",
    "A login too soon after a failure.",
    tag="login-failed",
)
LOGIN_OK: Final = _m(
    "mgmt.login_ok", M, "{user}@{ip}", "A successful login: a session token was handed out.", tag="login-ok"
)
LOGIN_FAILED: Final = _m(
    "mgmt.login_failed", M, "{user}@{ip}: failure {failures}", "A wrong user or password.", tag="login-failed"
)
LOCKOUT: Final = _m(
    "mgmt.lockout",
    M,
    "{who} after {failures} failures",
    "Logins are locked (mgmt.lockout_after), for good.",
    tag="lockout",
)
LOCKOUT_TIMED: Final = _m(
    "mgmt.lockout_timed",
    M,
    "{who} after {failures} failures, for {instructions} instructions",
    "Logins are locked for a while (mgmt.lockout_after, mgmt.unlock_after).",
    tag="lockout",
)
UNLOCK_OVER: Final = _m(
    "mgmt.unlock_over", M, "{who}: lockout over", "A timed lockout ran its course.", tag="unlock"
)
UNLOCK_CONSOLE: Final = _m(
    "mgmt.unlock_console", M, "{who}: unlocked at the console", "UNLOCK at the console.", tag="unlock"
)
COMMAND_LIST: Final = _m(
    "mgmt.list",
    M,
    "{client}: LIST",
    "LIST from a session (`user@ip`) or the console (`console`).",
    tag="command",
)
COMMAND_DONE: Final = _m(
    "mgmt.command", M, "{client}: {verb} {name}", "PAUSE, UNPAUSE or DESTROY a VM, done.", tag="command"
)
COMMAND_FAILED: Final = _m(
    "mgmt.command_failed",
    M,
    "{client}: {verb} {name}: {error}",
    "PAUSE, UNPAUSE or DESTROY a VM, refused.",
    tag="command",
)
COMMAND_UNLOCK: Final = _m(
    "mgmt.unlock_command", M, "console: UNLOCK {who}", "UNLOCK at the console.", tag="command"
)
NO_VM_NAMED: Final = _m(
    "error.no_vm_named",
    M,
    "no VM {name}",
    "The command names no live VM (also the reply: ERR no VM ...).",
    fills="error",
)
MGMT_CONSOLE: Final = _m(
    "mgmt.console",
    M,
    "console: {command} -> {reply}",
    "A command at the hypervisor's out-of-band console (the `oob` action).",
)

# ------------------------------------------------------------------ patches, policy, measurements

PATCH_APPLIED: Final = _m(
    "patch.applied",
    EventKind.PATCH,
    "handler {handler} replaced by a patch",
    "A student's patch is in force.",
)
PATCH_RESTORED: Final = _m(
    "patch.restored", EventKind.PATCH, "handler {handler} restored", "The original handler is back."
)
PATCH_FAILED: Final = _m(
    "patch.failed",
    EventKind.PATCH,
    "patched {handler} failed and was rolled back: {error}",
    "The patch raised or ran too long during a call: it was rolled back.",
)
POLICY_SET: Final = _m("policy.set", EventKind.POLICY, "{switch} set to {value}", "A policy switch was set.")
MEASURED: Final = _m(
    "measure.done", EventKind.MEASURE, "measured: {summary}", "The `measure` action's result."
)

del H, V, G, D, N, M

MESSAGES: Final[tuple[Message, ...]] = tuple(v for v in globals().values() if isinstance(v, Message))
BY_NAME: Final[dict[str, Message]] = {m.name: m for m in MESSAGES}
_BY_PLACE: Final[dict[tuple[str, str], list[Message]]] = {}  # (kind, fills) -> messages, for match
for _message in MESSAGES:
    _BY_PLACE.setdefault((_message.kind, _message.fills), []).append(_message)


def lines() -> list[Message]:
    """The messages that are whole lines (the others fill their fields)."""
    return [m for m in MESSAGES if not m.fills]


def match(text: str, kind: EventKind | str | None = None, *, fills: str = "") -> Message | None:
    """The message `text` was made from (the first whose pattern matches all of it), among the
    lines of `kind` (any kind: None) or, with `fills`, the pieces that fill that field."""
    for m in _BY_PLACE.get((kind, fills), ()) if kind is not None else MESSAGES:
        if m.fills == fills and m.pattern.fullmatch(text):
            return m
    return None


def pieces(field: str) -> list[Message]:
    """The messages that fill `field` of other messages ("why", "reason", "note", ...)."""
    return [m for m in MESSAGES if m.fills == field]
