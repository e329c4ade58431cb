"""Seeded variants: each student meets their own secrets, offline.

    vary(hv, seed=1234)      # right after the scenario is built, before it runs

Every value a student could copy from a neighbour instead of earning it (the
bank's secret, the hypervisor's secret) is rewritten into a variant derived
from the seed, keeping its recognizable shape: `BANK{pin-4711-do-not-share}`
becomes `BANK{` + 16 hex digits + `}`. Addresses stay where the lessons say
they are. The same seed always gives the same variant, so the validator can
prove a lesson under several seeds and a student's progress replays.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from lab.hv.vm import RAM_BASE

if TYPE_CHECKING:
    from lab.hv import Hypervisor


def variant(secret: bytes, seed: int, owner: str) -> bytes:
    prefix = secret.split(b"{", 1)[0] if b"{" in secret else b"SECRET"
    digest = hashlib.sha256(f"hvlab:{seed}:{owner}:".encode() + secret).hexdigest()[:16]
    return prefix + b"{" + digest.encode() + b"}"


def vary(hv: Hypervisor, seed: int) -> dict[str, str]:
    """Replace the VMs' and the hypervisor's secrets by their variants; returns owner -> secret."""
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
    return out
