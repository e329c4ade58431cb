"""Policy: every hardening switch of the hypervisor, defined once.

Each weakness a lesson exploits is a named `Switch` here with its vulnerable
and hardened value, what it checks and the real bug it mirrors. Handlers ask
`hv.policy["hypercall.check_bounds"]`; the docs' policy reference, the UIs'
policy panels and TOML loading all read `SWITCHES`.

    policy = Policy.preset("vulnerable")
    policy.set("hypercall.authorize", True)
    policy = Policy.from_toml('preset = "hardened"\\n[overrides]\\n"mgmt.lockout_after" = 5')

A scenario's `[policy]` table has the same shape (`preset`, then any switch by
its dotted name, or grouped: `[policy.hypercall] authorize = true`).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

PRESETS: Final = ("vulnerable", "hardened")
ON_WORDS: Final = frozenset({"true", "on", "yes", "1"})
OFF_WORDS: Final = frozenset({"false", "off", "no", "0"})


class PolicyError(ValueError):
    """A policy key or value that does not exist or does not fit."""


@dataclass(frozen=True, slots=True)
class Switch:
    """One hardening switch.

    `checks` says what the hardened hypervisor verifies; `mirrors` names the
    real-world bug its vulnerable form reproduces; `cost` where the check
    sits (so students know what a bench figure measures).
    """

    key: str
    kind: type  # bool or int
    vulnerable: Any
    hardened: Any
    checks: str
    mirrors: str
    cost: str = ""

    @property
    def group(self) -> str:
        return self.key.split(".", 1)[0]

    def coerce(self, value: Any) -> Any:
        if self.kind is bool:
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in ON_WORDS | OFF_WORDS:
                return value.lower() in ON_WORDS
            if isinstance(value, int) and value in (0, 1):
                return bool(value)
            raise PolicyError(f"{self.key} is on/off (true or false), not {value!r}")
        if self.kind is int:
            if isinstance(value, bool):
                raise PolicyError(f"{self.key} is a number, not {value!r}")
            try:
                n = int(value, 0) if isinstance(value, str) else int(value)
            except (TypeError, ValueError):
                raise PolicyError(f"{self.key} is a number, not {value!r}") from None
            if n < 0:
                raise PolicyError(f"{self.key} must be 0 or more, not {n}")
            return n
        raise AssertionError(self.kind)


SWITCHES: Final[tuple[Switch, ...]] = (
    Switch(
        "sched.exact_accounting",
        bool,
        vulnerable=False,
        hardened=True,
        checks=(
            "The credit scheduler debits every VM exactly the instructions it ran, and the "
            "hypervisor work done for it, as they happen. Without it the scheduler samples: at "
            "each tick (every quantum of instructions) the VM found running pays for the whole "
            "tick and nothing else is counted, so a VM that sleeps just before each tick and "
            "wakes just after pays almost nothing, keeps its priority and takes the CPU from "
            "VMs that pay their way."
        ),
        mirrors=(
            "Xen's credit scheduler, which debited credit per 10 ms tick from whichever vCPU was "
            'running: Zhou, Goel, Desnoyers and Sundaram, "Scheduler Vulnerabilities and '
            'Coordinated Attacks in Cloud Computing" (2011) took up to 98% of a CPU that way in the lab, '
            "whatever its fair share, and stole CPU time on Amazon EC2 until Amazon fixed it. "
            "Their fix, and schedulers since (Xen's credit2, Linux's CFS), charge the time that "
            "really ran."
        ),
        cost="a subtraction per slice run instead of per tick; nothing per instruction or hypercall",
    ),
    Switch(
        "hypercall.authorize",
        bool,
        vulnerable=False,
        hardened=True,
        checks=(
            "The privileged control API (VMCTL info, pause, unpause, destroy, peek, poke) "
            "answers only the control domain; every other caller gets SBI_ERR_DENIED. "
            "Deny by default: a call is allowed only if the caller holds the control label, "
            "as Xen's XSM/FLASK checks domctl."
        ),
        mirrors=(
            "Xen's domctl and sysctl hypercalls, which only the control domain may make: XSM asks "
            "its policy on every call (the default policy lets only a privileged domain through). "
            "XSA-77 (2013) is why the check matters: once XSM could delegate domctls to other "
            "domains, Xen's security team warned that their implementations had been written for "
            "a fully trusted dom0, not for a hostile caller. Which level inside the caller asked is "
            "another check: CVE-2009-3290 is hypercall.check_caller_mode's."
        ),
        cost="one flag test per privileged VMCTL call",
    ),
    Switch(
        "hypercall.check_caller_mode",
        bool,
        vulnerable=False,
        hardened=True,
        checks=(
            "Only a guest's kernel makes hypercalls: an ecall from user mode is never served, "
            "whatever its a7 says. The hypervisor passes it on to the guest kernel as the "
            "architecture says (scause 8, environment call from U-mode, at the kernel's stvec), "
            "and the kernel takes it as one of its own system calls. Without the check, a "
            "user-mode ecall whose a7 names one of the hypervisor's extensions is served as a "
            "hypercall, with every right of the VM (the control domain's included), and only the "
            "others reach the guest kernel."
        ),
        mirrors=(
            "CVE-2009-3290: KVM's kvm_emulate_hypercall did not check the caller's privilege "
            "level, so a user process in a guest could make the hypercalls meant for its kernel "
            "(the MMU ones, with which it could crash the guest); the fix answers -KVM_EPERM "
            "unless the caller runs at ring 0. Xen's hvm_hypercall refuses a call from guest user "
            "mode the same way (-EPERM), and KVM on RISC-V has the hardware hand user-mode ecalls "
            "straight to the guest kernel (hedeleg), so they never reach it."
        ),
        cost="one comparison per hypercall: the level the vCPU trapped from",
    ),
    Switch(
        "hypercall.check_bounds",
        bool,
        vulnerable=False,
        hardened=True,
        checks=(
            "Every guest buffer [addr, addr+len) a hypercall reads or writes must lie inside the "
            "caller's own RAM or a grant page mapped into it; otherwise the call fails "
            "(SBI_ERR_INVALID_PARAM for DBCN as the SBI spec's error table says, "
            "SBI_ERR_INVALID_ADDRESS elsewhere)."
        ),
        mirrors=(
            "The SBI spec's rule that the memory a DBCN call names must satisfy the caller's "
            "access requirements. Real leaks of this kind mostly come through device models, "
            "since a real hypervisor reaches guest memory through the guest's page tables "
            "(p2m, EPT), not at an offset in one flat host memory as hvlab does: QEMU's QXL "
            "display device checked that a guest address started inside its memory slot but not "
            "that the structure there ended inside it (qxl_phys2virt, CVE-2022-4144, an "
            "out-of-bounds read); VENOM (CVE-2015-3456), a guest-controlled length overflowing a "
            "buffer in QEMU's floppy controller."
        ),
        cost="two comparisons per guest buffer on the hypercall path",
    ),
    Switch(
        "hypercall.preemptible",
        bool,
        vulnerable=False,
        hardened=True,
        checks=(
            "A hypercall that can do unbounded work (BLK zero) does a bounded amount per entry "
            "(8 sectors, as read and write move at most) and then makes a continuation: the guest's "
            "arguments are advanced to what is left and its pc is put back on its `ecall`, so the "
            "call starts again where it left off the next time the vCPU runs, and in between the "
            "scheduler can run someone else. Xen does this with hypercall_create_continuation; "
            "without it the call holds the CPU until it is done, however long that is."
        ),
        mirrors=(
            "XSA-380 (CVE-2021-28698): Xen iterated over a domain's whole grant map-tracking table "
            "in one go, and a guest that made the table large enough tied up a CPU for too long, "
            "starving other domains; the fix added preemption checks and made the loops "
            "restartable. XSA-45 (CVE-2013-1918) before it: long page-table operations that could "
            "not be preempted."
        ),
        cost="a comparison per entry; a continued call re-enters the hypervisor once per 8 sectors",
    ),
    Switch(
        "grant.check_grantee",
        bool,
        vulnerable=False,
        hardened=True,
        checks=(
            "GNTTAB map succeeds only for the domain the grant entry names as grantee; anyone else "
            "gets SBI_ERR_DENIED. This is the `domid` check of Xen's map_grant_ref."
        ),
        mirrors=(
            "Grant-table bookkeeping bugs in Xen's map/unmap paths, e.g. XSA-224 (reference and "
            "type counts mishandled across map and unmap, CVE-2017-10920/10921): whoever the "
            "bookkeeping forgets to check can reach another domain's page."
        ),
        cost="one comparison per map",
    ),
    Switch(
        "grant.enforce_readonly",
        bool,
        vulnerable=False,
        hardened=True,
        checks=(
            "A grant flagged read-only can only be mapped read-only: a writable map request gets "
            "SBI_ERR_DENIED (Xen: GNTST_permission_denied)."
        ),
        mirrors=(
            "XSA-224 bug 2 (CVE-2017-10921): Xen did not ensure the right type counts for a "
            "mapping, so a page could end up writable where it must not be."
        ),
        cost="one flag test per map",
    ),
    Switch(
        "grant.check_in_use",
        bool,
        vulnerable=False,
        hardened=True,
        checks=(
            "GNTTAB end_access fails (SBI_ERR_DENIED) while another domain still has the grant "
            "mapped, as ending a grant fails in Xen while its GTF_reading/GTF_writing flags say it "
            "is in use: the granter learns the page is still shared and must not reuse it until "
            "the grantee unmaps. The hypervisor never tears a grantee's mapping down behind its "
            "back."
        ),
        mirrors=(
            "XSA-230 (CVE-2017-12855): Xen cleared a grant's GTF_reading/GTF_writing flags too "
            "early, so a guest could believe a granted page was private again and reuse it for "
            "sensitive data while the other end still had it mapped. XSA-387, a relative: "
            "grant-table v2 status frames that a guest could keep reaching after Xen had freed them."
        ),
        cost="a scan of the mappings per end_access",
    ),
    Switch(
        "dgram.copy_then_validate",
        bool,
        vulnerable=False,
        hardened=True,
        checks=(
            "The ring backend copies a request out of shared memory once, validates the copy and "
            "uses only the copy. Without it, it checks `len` at the doorbell and fetches it again "
            "from the shared page when it does the copy."
        ),
        mirrors=(
            "XSA-155 (CVE-2015-8550): Xen's paravirtualized backends (blkback, netback, PV "
            "framebuffer) read request fields from shared rings twice, so a guest could change them "
            "between the check and the use: a double fetch (TOCTOU)."
        ),
        cost="one copy of the request (up to 240 bytes) per doorbell",
    ),
    Switch(
        "dgram.sender_quota",
        int,
        vulnerable=0,
        hardened=4,
        checks=(
            "In each VM's inbox (16 datagrams) one sender may have at most this many datagrams "
            "waiting (0: no quota); a send over it gets SBI_ERR_DENIED, and the other senders' "
            "datagrams still fit. Without it the inbox is first come, first served: one VM that "
            "fills it makes everyone else's sends fail with SBI_ERR_FAILED (queue full)."
        ),
        mirrors=(
            "Shared queues and tables a guest can fill for everyone: xenstored buffered requests "
            "and watch events for guests without limit (CVE-2022-42315 and its siblings, 2022) "
            "and now counts what each domain holds against per-domain quotas; Linux's netback "
            "queued packets for a guest that did not read them (XSA-392, CVE-2021-28715)."
        ),
        cost="a count of the sender's datagrams in the inbox (at most 16) per send",
    ),
    Switch(
        "net.mgmt_isolated",
        bool,
        vulnerable=False,
        hardened=True,
        checks=(
            "The virtual switch drops every frame between a VM and the hypervisor's management "
            "interface, except the control domain's: tenants cannot even ARP for it, as if "
            "management had its own network."
        ),
        mirrors=(
            "Management interfaces on networks tenants or the internet can reach: ESXi's OpenSLP "
            "service (CVE-2021-21974) exploited by the ESXiArgs ransomware in 2023, and exposed "
            "iLO/IPMI BMCs. Isolation is defence in depth: ESXiArgs's fix was patching that CVE "
            "or turning SLP off; keeping the service off untrusted networks limits who can try "
            "the next bug."
        ),
        cost="one comparison per frame at the switch",
    ),
    Switch(
        "net.anti_spoofing",
        bool,
        vulnerable=False,
        hardened=True,
        checks=(
            "Port security on every switch port: a VM may send only frames whose source MAC is "
            "its vNIC's and, in IPv4 and ARP, whose source IP (ARP's sender MAC and IP) is its "
            "own; anything else is dropped, counted in the port's *spoofed* counter and written "
            "to the trace as a `spoof-drop`. Each port's MAC is pinned: the switch knows it from "
            "the start and never learns it on another port, so no VM can take over the "
            "management interface's MAC (and receive the admin's login) or the admin's (and "
            "receive the answers). Real virtual switches do the same: VMware's vSwitch knows each "
            "vNIC's MAC from the VM's configuration instead of learning it, and its *Forged "
            "transmits: Reject* and *MAC address changes: Reject* policies drop frames from, and "
            "to, any other MAC; Open vSwitch/OVN port security admits only the port's MAC and IPs "
            "(ARP's sender fields included); Xen's vif scripts and libvirt's `clean-traffic` "
            "filter drop a guest's frames with another source MAC, IP or ARP sender. It also "
            "makes a source address mean something to the management service: per-source "
            "lockouts and rate limits count real senders, not whatever address a VM writes."
        ),
        mirrors=(
            "Guests forging source addresses on a shared virtual switch: ARP spoofing and MAC "
            '"port stealing" to read a neighbour\'s traffic, forged sources that dodge or '
            "trigger per-address limits. Real cases: CVE-2020-10749 (Kubernetes CNI plugins) and "
            "CVE-2020-13401 (Docker): containers forging IPv6 router advertisements to intercept "
            "the host's and their neighbours' traffic."
        ),
        cost=(
            "two byte-string comparisons per frame at the switch; a pinned MAC needs no learning, "
            "which saves more than the check costs (`hvlab bench` measures both)"
        ),
    ),
    Switch(
        "mgmt.strong_password",
        bool,
        vulnerable=False,
        hardened=True,
        checks="The management login uses a long random password instead of one from a wordlist.",
        mirrors=(
            "Default and dictionary passwords on hypervisor and BMC logins (Mirai's wordlist, IPMI defaults)."
        ),
        cost="none",
    ),
    Switch(
        "mgmt.lockout_after",
        int,
        vulnerable=0,
        hardened=5,
        checks=(
            "After this many failed logins in a row the service refuses LOGIN, even with the right "
            "password (0: never): from that source address, or for the account with "
            "`mgmt.lock_account`, until `mgmt.unlock_after` has passed or the out-of-band "
            "console's UNLOCK lifts it. Sessions already open keep working."
        ),
        mirrors="Online password guessing against management logins with no lockout or backoff.",
        cost="a counter per source address and account",
    ),
    Switch(
        "mgmt.lock_account",
        bool,
        vulnerable=False,
        hardened=True,
        checks=(
            "The lockout counts failed logins per account, as ESXi does "
            "(`Security.AccountLockFailures`), instead of per source address. A source address "
            "is only what the request claims: without `net.anti_spoofing` a VM that forges it "
            "gets `mgmt.lockout_after` fresh guesses per address it makes up, and can lock the "
            "admin's own address out on purpose. Per account, the guesses are capped however "
            "many addresses the attacker has, real or forged. The price: anyone who can reach "
            "the login can lock the real admin out on purpose. Three things bound it: the lockout "
            "ends by itself (`mgmt.unlock_after`), sessions already open keep working, and the "
            "out-of-band console never locks (ESXi's DCUI is exempt too), which is one more "
            "reason to keep the login off tenants' networks (`net.mgmt_isolated`)."
        ),
        mirrors=(
            "Per-address lockouts and limits defeated by rotating or forged source addresses "
            "(password spraying from botnets), and the opposite failure: account lockouts used as "
            "a denial of service against administrators."
        ),
        cost="a counter per account",
    ),
    Switch(
        "mgmt.unlock_after",
        int,
        vulnerable=0,
        hardened=2_000_000,
        checks=(
            "A lockout ends by itself after this many instructions (0: only the out-of-band "
            "console's UNLOCK ends it), like ESXi's `Security.AccountUnlockTime` (900 seconds by "
            "default): a guesser gets `mgmt.lockout_after` tries per period, and a lockout an "
            "attacker causes on purpose costs the admin a wait, not the host."
        ),
        mirrors="Lockouts that never expire: every guessing attempt becomes a lasting denial of service.",
        cost="one comparison per refused login",
    ),
    Switch(
        "mgmt.rate_limit",
        int,
        vulnerable=0,
        hardened=20,
        checks=(
            "Each source address may queue this many requests per 100,000 instructions at the "
            "management service (a token bucket, 0: no limit), so one flooder cannot fill its queue. "
            "A flooder that forges a new source address per request gets a fresh bucket each "
            "time, unless `net.anti_spoofing` is on."
        ),
        mirrors="Management planes knocked over by request floods just when an admin needs them.",
        cost="one token-bucket check per request",
    ),
    Switch(
        "vnic.rate_limit",
        int,
        vulnerable=0,
        hardened=200,
        checks=(
            "Each vNIC may send this many frames per 100,000 instructions (a token bucket with "
            "Firecracker's semantics, 0: no limit); the rest are dropped at the NIC."
        ),
        mirrors=(
            "A noisy or hostile VM saturating the shared NIC (Firecracker's rate limiter exists for this)."
        ),
        cost="one token-bucket check per frame sent",
    ),
    Switch(
        "blk.check_range",
        bool,
        vulnerable=False,
        hardened=True,
        checks=(
            "A BLK read or write must lie wholly inside the caller's disk: sector + count <= its "
            "size, else SBI_ERR_INVALID_PARAM. Without it only the first sector is checked, and a long "
            "request runs on into the next VM's disk."
        ),
        mirrors=(
            "Storage-device emulation that used a guest-chosen range before checking where it "
            "ends: QEMU's NVMe emulation took a guest-chosen offset into a log page unchecked and "
            "read past its buffer (nvme_changed_nslist, CVE-2021-3947); QEMU's floppy controller "
            "let a guest write past its command buffer (VENOM, CVE-2015-3456)."
        ),
        cost="one comparison per request",
    ),
    Switch(
        "blk.rate_limit",
        int,
        vulnerable=0,
        hardened=2000,
        checks=(
            "Each disk may move this many sectors per 100,000 instructions (a token bucket with "
            "Firecracker's semantics, the same code as the vNIC limiter; 0: no limit); a request "
            "over budget transfers nothing and the guest retries."
        ),
        mirrors="A noisy neighbour saturating shared storage; Firecracker's block rate limiter.",
        cost="one token-bucket check per request",
    ),
)

BY_KEY: Final[dict[str, Switch]] = {s.key: s for s in SWITCHES}


class Policy(dict[str, Any]):
    """The current value of every switch, by dotted key.

    A dict, so the hypercall path's `policy["hypercall.check_bounds"]` is a
    plain dictionary lookup; every write goes through `set`, which validates.
    """

    __slots__ = ()

    def __init__(self, values: Mapping[str, Any] | None = None) -> None:
        super().__init__({s.key: s.vulnerable for s in SWITCHES})
        for key, value in (values or {}).items():
            self.set(key, value)

    @classmethod
    def preset(cls, name: str) -> Policy:
        if name not in PRESETS:
            raise PolicyError(f"unknown policy preset {name!r} (choose from {', '.join(PRESETS)})")
        return cls({s.key: getattr(s, name) for s in SWITCHES})

    @classmethod
    def from_mapping(cls, table: Mapping[str, Any]) -> Policy:
        """A scenario's [policy] table: optional `preset`, then switches by dotted
        key or grouped in sub-tables."""
        table = dict(table)
        policy = cls.preset(str(table.pop("preset", "vulnerable")))
        for key, value in table.items():
            if isinstance(value, Mapping):
                for sub, v in value.items():
                    policy.set(f"{key}.{sub}", v)
            else:
                policy.set(key, value)
        return policy

    @classmethod
    def from_toml(cls, text: str) -> Policy:
        try:
            return cls.from_mapping(tomllib.loads(text))
        except tomllib.TOMLDecodeError as exc:
            raise PolicyError(f"policy TOML: {exc}") from None

    def set(self, key: str, value: Any) -> None:
        switch = BY_KEY.get(key)
        if switch is None:
            raise PolicyError(f"unknown policy switch {key!r} (known: {', '.join(BY_KEY)})")
        super().__setitem__(key, switch.coerce(value))

    __setitem__ = set

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            self.set(key, value)

    def __delitem__(self, key: str) -> None:
        raise PolicyError("policy switches cannot be removed, only set")

    @property
    def name(self) -> str:
        """The preset these values equal, or "custom"."""
        for preset in PRESETS:
            if all(self[s.key] == getattr(s, preset) for s in SWITCHES):
                return preset
        return "custom"

    def copy(self) -> Policy:
        return Policy(self)

    def to_dict(self) -> dict[str, Any]:
        return dict(self)

    def __repr__(self) -> str:
        return f"Policy({self.name}: {dict(self)})"
