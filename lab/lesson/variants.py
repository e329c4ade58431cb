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

Addresses stay where the lessons say they are. The same seed always gives the
same variant, so the validator can prove a lesson under several seeds and a
student's progress replays. Lessons tell each student their own values by
writing `{password}` in prose and hints (`fill`): the lab fills in the
student's variant, the docs site a placeholder.
"""

from __future__ import annotations

import functools
import hashlib
import html
import struct
from typing import TYPE_CHECKING, Final

from lab.hv.policy import BY_KEY
from lab.hv.vm import RAM_BASE
from lab.riscv.program import Program, load_program
from lab.scenario import GUESTS_DIR, VARIANT_DIGITS, variant_prefix

if TYPE_CHECKING:
    from lab.hv import Hypervisor

# The attacker's tool: its wordlist is the one the variants draw from.
BRUTE_PROGRAM: Final = GUESTS_DIR / "monitor.S"
WORDLIST_SYMBOL: Final = "wordlist"
FIELDS: Final = ("password",)  # what `{name}` in a lesson's prose may name


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


def vary(hv: Hypervisor, seed: int) -> dict[str, str]:
    """Replace the secrets and the management password by their variants;
    returns owner -> value ("mgmt" for the management password)."""
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
    return out


def fill(text: str, password: str | None, *, as_html: bool = False) -> str:
    """`text` (a lesson's prose or hint) with `{password}` replaced by `password`
    (escaped for HTML when `as_html`). No management service: left as written."""
    if password is None:
        return text
    return text.replace("{password}", html.escape(password) if as_html else password)
