"""Seeded variants: each student meets their own secrets, offline.

    vary(hv, seed=1234)      # right after the scenario is built, before it runs

Every value a student could copy from a neighbour instead of earning it is
rewritten into a variant derived from the seed, keeping its recognizable shape:

* the VMs' and the hypervisor's secrets: `BANK{pin-4711-do-not-share}` becomes
  `BANK{` + 16 hex digits + `}`;
* the management password: a weak one (a word of the wordlist the tenants'
  `brute` command tries) becomes another word of that list, so guessing still
  finds it, but never one of the first `mgmt.lockout_after` (hardened) words,
  so the lockout still stops the guessing before it gets there; a strong one
  stays. The service's session tokens (and so its hardened password) derive
  from the seed too.

* a VM's variant word (the scenario's `variant_at`): a 32-bit number the guest
  reads at boot to vary what else a neighbour could copy, such as which slot
  of a table holds a key or where a policy block lives (0 as written);
* a VM that keeps the admin's credential (`mgmt_password_at`) is given the
  student's management password, not the scenario's.

Addresses of RAM, devices and the network stay where the lessons say they are;
a guest varies its own layout from its variant word. The same seed always
gives the same variant, so the validator can prove a lesson under several
seeds and a student's progress replays. Lessons tell each student their own
values with placeholders in prose, hints and quiz answers (`fill`, the names
in FIELDS): the lab fills in the student's variant, the docs site leaves the
placeholder.
"""

from __future__ import annotations

import functools
import hashlib
import html
import re
import struct
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

from lab.hv.policy import BY_KEY
from lab.hv.vm import RAM_BASE
from lab.riscv.program import Program, load_program
from lab.scenario import GUESTS_DIR, VARIANT_DIGITS, variant_prefix

if TYPE_CHECKING:
    from lab.hv import Hypervisor, Vm

# The attacker's tool: its wordlist is the one the variants draw from.
BRUTE_PROGRAM: Final = GUESTS_DIR / "monitor.S"
WORDLIST_SYMBOL: Final = "wordlist"
# What `{name}` in a lesson's prose, hints and quiz answers may name (VM: a VM of its scenario).
FIELDS: Final = ("password", "secret:VM", "variant:VM")
PLACEHOLDER: Final = re.compile(r"\{(password|(?:secret|variant):[A-Za-z_][A-Za-z0-9_]*)\}")


def variant(secret: bytes, seed: int, owner: str) -> bytes:
    """`secret`'s variant: its prefix, then {16 hex digits}; a scenario leaves room for it
    in RAM (lab.scenario.secret_room)."""
    digest = hashlib.sha256(f"hvlab:{seed}:{owner}:".encode() + secret).hexdigest()[:VARIANT_DIGITS]
    return variant_prefix(secret) + b"{" + digest.encode() + b"}"


@functools.cache
def wordlist() -> tuple[str, ...]:
    """The passwords `brute` tries, in its order, read from the assembled monitor itself
    (a table of pointers to C strings, ended by 0), so they cannot drift from the tool."""
    program = load_program(BRUTE_PROGRAM)
    words = []
    at = program.symbols[WORDLIST_SYMBOL]
    while pointer := struct.unpack("<I", _read(program, at, 4))[0]:
        end = pointer
        while _read(program, end, 1) != b"\0":
            end += 1
        words.append(_read(program, pointer, end - pointer).decode())
        at += 4
    return tuple(words)


def _read(program: Program, gpa: int, n: int) -> bytes:
    for seg in program.segments:
        if seg.gpa <= gpa and gpa + n <= seg.gpa + len(seg.data):
            return seg.data[gpa - seg.gpa : gpa - seg.gpa + n]
    raise ValueError(f"{program.name}: {gpa:#x} is outside the image")


def mgmt_password(password: str, seed: int | None) -> str:
    """The student's management password for a scenario that sets `password`."""
    words = wordlist()
    if seed is None or password not in words:
        return password  # the course as written, or a strong password: nothing to copy
    # brute tries the words in order; with the hardened lockout it is locked out
    # after the first `lockout` of them, so the variant comes later in the list.
    lockout = BY_KEY["mgmt.lockout_after"].hardened
    choices = words[lockout:]
    digest = hashlib.sha256(f"hvlab:{seed}:mgmt:{password}".encode()).digest()
    return choices[int.from_bytes(digest[:8], "little") % len(choices)]


def variant_word(seed: int | None, owner: str) -> int:
    """A VM's variant word (its scenario's `variant_at`): 0 for the course as written."""
    if seed is None:
        return 0
    return int.from_bytes(hashlib.sha256(f"hvlab:{seed}:word:{owner}".encode()).digest()[:4], "little")


def vary(hv: Hypervisor, seed: int) -> dict[str, str]:
    """Replace the secrets, the variant words and the management password by their
    variants; returns owner -> value ("mgmt" for the management password,
    "variant:VM" for a variant word)."""
    out = {}
    for vm in hv.vms:
        old = vm.config.secret
        if not old:
            continue
        new = variant(old, seed, vm.name)
        where = vm.ram_host + vm.secret_gpa - RAM_BASE
        hv.mem.write(where, new.ljust(len(old), b"\0"))  # no tail of the old secret survives
        vm.config.secret = new  # a reboot writes the variant again
        out[vm.name] = new.decode()
    secret = variant(hv.mem.secret, seed, "hypervisor")
    hv.mem.set_secret(secret)
    out["hypervisor"] = secret.decode()
    net = hv.net
    if net is not None and net.mgmt is not None:
        net.weak_password = mgmt_password(net.weak_password, seed)
        net.mgmt.token_seed = hashlib.sha256(f"hvlab:{seed}:tokens:".encode() + net.mgmt.token_seed).digest()
        net.sync_policy()
        out["mgmt"] = net.weak_password
    for vm in hv.vms:
        _provision(vm, "variant", variant_word(seed, vm.name).to_bytes(4, "little"))
        if "variant" in vm.config.provisioned:
            out[f"variant:{vm.name}"] = str(variant_word(seed, vm.name))
        if net is not None and net.mgmt is not None:
            _provision(vm, "mgmt_password", net.weak_password.encode())
    return out


def _provision(vm: Vm, purpose: str, data: bytes) -> None:
    """Rewrite what the scenario provisions into the VM for `purpose` (now, and at every boot)."""
    if purpose not in vm.config.provisioned:
        return
    gpa, old = vm.config.provisioned[purpose]
    new = data.ljust(len(old), b"\0")[: len(old)]
    vm.config.provisioned[purpose] = (gpa, new)
    vm.mem.write(vm.ram_host + gpa - RAM_BASE, new)


def student_values(
    seed: int | None,
    *,
    password: str | None = None,
    secrets: Mapping[str, str] | None = None,
    variant_vms: tuple[str, ...] | list[str] = (),
) -> dict[str, str]:
    """The values a lesson's placeholders stand for (FIELDS), as `vary` makes them for `seed`:
    "password" (from the scenario's management `password`), "secret:VM", "variant:VM"
    (seed None: the scenario as written)."""
    out: dict[str, str] = {}
    if password is not None:
        out["password"] = mgmt_password(password, seed)
    for owner, secret in (secrets or {}).items():
        value = secret.encode() if seed is None else variant(secret.encode(), seed, owner)
        out[f"secret:{owner}"] = value.decode()
    for owner in variant_vms:
        out[f"variant:{owner}"] = str(variant_word(seed, owner))
    return out


def fill(text: str, values: Mapping[str, str] | str | None, *, as_html: bool = False) -> str:
    """`text` (a lesson's prose, hint or quiz answer) with each placeholder of FIELDS that
    `values` has replaced by its value (escaped for HTML when `as_html`); a placeholder
    without a value is left as written. A plain string is the management password."""
    if values is None:
        return text
    if isinstance(values, str):
        values = {"password": values}

    def value(match: re.Match[str]) -> str:
        found = values.get(match.group(1))
        if found is None:
            return match.group(0)
        return html.escape(found) if as_html else found

    return PLACEHOLDER.sub(value, text)
