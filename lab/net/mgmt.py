"""The hypervisor's management service: a host on a segment and a text protocol over UDP.

The management interface is a port like any VM's: it answers ARP and ping like
a real host, and listens on UDP port 6230. (Real out-of-band managers, IPMI
BMCs, listen on 623, the port an attacker scans for; ours adds a 0 because
Wireshark decodes anything on 623 as binary RMCP and would call our text
malformed.)
One request per datagram, one reply per request, ASCII, sent back to the
request's source address and port:

    LOGIN <user> <password>   -> OK <token>        | ERR bad credentials | ERR locked out
                                                    | ERR wait: backing off
    <token> LIST              -> OK vm1=running vm2=paused   (name=state, space separated)
    <token> PAUSE <vm>        -> OK paused <vm>     | ERR <why>
    <token> UNPAUSE <vm>      -> OK unpaused <vm>   | ERR <why>
    <token> DESTROY <vm>      -> OK destroyed <vm>  | ERR <why>
    <token> LOGOUT            -> OK bye
    anything else             -> ERR <why>          (an unknown token: ERR not logged in)

A token is 16 hex digits, derived from `token_seed` and a counter, so a run is
reproducible; give each scenario its own seed. A token is never issued twice,
and one that was revoked (LOGOUT, or the console's REVOKE) is refused from then
on, requests already queued with it included: they are checked when handled.

Capacity is what the DDoS lesson is about: arriving requests wait in a queue
of `queue_limit` (a full queue drops the newcomer) and `tick(now)` handles at
most `budget` of them. ARP and ping are answered on arrival, as a kernel does,
so a starved service still answers ping. Hardening knobs (constructor
arguments): `password`; `lockout_after` failed logins in a row (0 = never)
after which LOGIN is refused, even with the right password, counted per source
address or, with `lock_account`, per account (as ESXi's
Security.AccountLockFailures), until `unlock_after` instructions have passed
(0 = until the console's UNLOCK; ESXi's Security.AccountUnlockTime); `backoff`
(after the k-th failure a source must wait backoff * 2**(k-1) instructions
before its next LOGIN); and `source_limit`, a RateLimiter copied per source
address and charged before a request may queue.

A source address is whatever the request's IPv4 header claims: per-source
lockouts, backoffs and limits hold only as far as the network stops forged
sources (the switch's anti-spoofing). The service remembers at most
`source_table_limit` sources and forgets the oldest first, so a stream of
forged addresses cannot grow its memory without bound.

`console(cmd)` is the out-of-band path (the hypervisor's own console): the same
commands without a token, never queued, so no flood can starve it, and no
lockout applies to it (ESXi's DCUI is exempt from account lockout too).
"""

from __future__ import annotations

import hashlib
import hmac
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar, Final, Protocol

from lab.net.events import EventSink, NetEvent
from lab.net.frames import (
    ArpOp,
    FrameError,
    IcmpType,
    arp_reply,
    icmp_echo_frame,
    mac_from_bytes,
    parse,
    udp_frame,
)
from lab.net.ratelimit import RateLimiter
from lab.net.switch import Port, PortAddresses, PortKind, Segment
from lab.trace_messages import (
    COMMAND_DONE,
    COMMAND_FAILED,
    COMMAND_LIST,
    COMMAND_UNLOCK,
    LOCKOUT,
    LOCKOUT_TIMED,
    LOGIN_BACKING_OFF,
    LOGIN_FAILED,
    LOGIN_LOCKED,
    LOGIN_OK,
    MGMT_BAD_FRAME,
    MGMT_DENIED,
    MGMT_LOGOUT,
    MGMT_QUEUE_FULL,
    MGMT_RATE_LIMITED,
    MGMT_REVOKED,
    UNLOCK_CONSOLE,
    UNLOCK_OVER,
    Line,
    Message,
)

MGMT_PORT: Final = 6230
MGMT_MAC: Final = "02:00:00:00:00:fe"  # outside the domid range the VMs' MACs use (0..0xfd)
MAX_REQUEST: Final = 256  # bytes; longer requests are answered with an error
_BACKOFF_DOUBLINGS: Final = 16
_DONE: Final = {"PAUSE": "paused", "UNPAUSE": "unpaused", "DESTROY": "destroyed"}


class VmControl(Protocol):
    """What the service may do to VMs; the hypervisor implements it (this module never imports lab.hv).

    The actions return None on success or a short reason on failure ("no such vm").
    """

    def list_vms(self) -> list[tuple[str, str]]: ...
    def pause(self, name: str) -> str | None: ...
    def unpause(self, name: str) -> str | None: ...
    def destroy(self, name: str) -> str | None: ...


@dataclass(slots=True, frozen=True)
class Request:
    time: int  # when it arrived
    src_mac: str
    src_ip: str
    src_port: int
    text: str
    too_long: bool = False  # over MAX_REQUEST bytes: answered with an error, never parsed


@dataclass(slots=True)
class MgmtCounters:
    received: int = 0  # UDP datagrams to the service port
    queued: int = 0
    handled: int = 0
    queue_drops: int = 0
    rate_limited: int = 0
    logins_ok: int = 0
    logins_failed: int = 0
    lockouts: int = 0
    unlocks: int = 0  # lockouts that ended: timed out, or lifted at the console
    commands: int = 0  # commands executed (network and console)
    denied: int = 0  # commands refused for want of a valid token
    arp_replies: int = 0
    echo_replies: int = 0
    bad_frames: int = 0


@dataclass(slots=True)
class Strikes:
    """Failed logins in a row against one key (a source address or an account), and its lockout."""

    who: str  # "10.0.0.11" or "account admin": what the trace calls it
    failures: int = 0
    locked_at: int | None = None  # when the lockout began; None while not locked out


@dataclass(slots=True)
class _Source:
    """What the service remembers about one source address."""

    strikes: Strikes
    retry_at: int = 0  # no LOGIN accepted before this time (backoff)
    limiter: RateLimiter | None = None


@dataclass(slots=True, frozen=True)
class Session:
    """A token's session: who logged in, from which address, when."""

    user: str
    source: str
    opened: int


@dataclass(slots=True, eq=False)
class ManagementService:
    """The management host and its service; attach with `connect(segment)`, run with `tick(now)`."""

    vms: VmControl
    ip: str = "10.0.0.1"
    mac: str = MGMT_MAC
    udp_port: int = MGMT_PORT
    user: str = "admin"
    password: str = "admin"
    lockout_after: int = 0
    lock_account: bool = False
    unlock_after: int = 0
    backoff: int = 0
    source_limit: RateLimiter | None = None
    source_table_limit: int = 4096
    queue_limit: int = 16
    budget: int = 4
    token_seed: bytes = b"hvlab"
    name: str = "mgmt"
    on_event: EventSink | None = None
    counters: MgmtCounters = field(default_factory=MgmtCounters)
    queue: deque[Request] = field(default_factory=deque)
    sessions: dict[str, Session] = field(default_factory=dict)  # token -> its session
    sources: dict[str, _Source] = field(default_factory=dict)
    account: Strikes = field(init=False)  # the failed logins against `user`
    port: Port | None = None
    _tokens_issued: int = 0
    _ip_ident: int = 0

    def __post_init__(self) -> None:
        self.account = Strikes(f"account {self.user}")

    def connect(self, segment: Segment) -> Port:
        addresses = PortAddresses(self.mac, self.ip)
        self.port = segment.attach(self, name=self.name, kind=PortKind.MGMT, addresses=addresses)
        return self.port

    def _event(self, now: int, line: Line) -> None:
        if self.on_event is not None:
            self.on_event(NetEvent.of(now, self.name, line))

    def _source(self, ip: str) -> _Source:
        source = self.sources.get(ip)
        if source is None:
            if len(self.sources) >= self.source_table_limit:
                del self.sources[next(iter(self.sources))]  # the oldest
            source = self.sources[ip] = _Source(Strikes(ip))
        return source

    # --- the host: what arrives on the wire -----------------------------------

    def deliver(self, frame: bytes, now: int) -> bool:
        """Called by the segment; answers ARP and ping at once, queues requests for `tick`."""
        if frame[0] & 1 == 0 and mac_from_bytes(frame[0:6]) != self.mac:
            return True  # unicast for someone else (flooded): the NIC filters it
        try:
            packet = parse(frame)
        except FrameError as err:
            self.counters.bad_frames += 1
            self._event(now, MGMT_BAD_FRAME(frame_error=err))
            return True
        if packet.arp is not None:
            arp = packet.arp
            if arp.op == ArpOp.REQUEST and arp.target_ip == self.ip:
                self.counters.arp_replies += 1
                self._send(arp_reply(self.mac, self.ip, arp.sender_mac, arp.sender_ip), now)
            return True
        ip = packet.ip
        if ip is None or ip.dst != self.ip:
            return True
        if packet.icmp is not None and packet.icmp.type == IcmpType.ECHO_REQUEST:
            echo = packet.icmp
            self.counters.echo_replies += 1
            reply = icmp_echo_frame(
                self.mac,
                packet.eth.src,
                self.ip,
                ip.src,
                reply=True,
                ident=echo.ident,
                seq=echo.seq,
                payload=echo.payload,
                ip_ident=self._next_ident(),
            )
            self._send(reply, now)
        elif packet.udp is not None and packet.udp.dst_port == self.udp_port:
            udp = packet.udp
            self.counters.received += 1
            text = udp.payload[:MAX_REQUEST].decode("ascii", "replace").strip()
            request = Request(now, packet.eth.src, ip.src, udp.src_port, text, len(udp.payload) > MAX_REQUEST)
            self._admit(request, len(udp.payload), now)
        return True

    def _admit(self, request: Request, size: int, now: int) -> None:
        if self.source_limit is not None:
            source = self._source(request.src_ip)
            if source.limiter is None:
                source.limiter = self.source_limit.fresh(now=now)
            if not source.limiter.consume(size, now):
                self.counters.rate_limited += 1
                self._event(now, MGMT_RATE_LIMITED(ip=request.src_ip))
                return
        if len(self.queue) >= self.queue_limit:
            self.counters.queue_drops += 1
            self._event(now, MGMT_QUEUE_FULL(ip=request.src_ip))
            return
        self.counters.queued += 1
        self.queue.append(request)

    def _next_ident(self) -> int:
        self._ip_ident = (self._ip_ident + 1) & 0xFFFF
        return self._ip_ident

    def _send(self, frame: bytes, now: int) -> None:
        if self.port is not None:
            self.port.transmit(frame, now)

    # --- the service: the per-tick budget -------------------------------------

    def tick(self, now: int) -> int:
        """Handle up to `budget` queued requests, replying to each; returns how many."""
        handled = 0
        while self.queue and handled < self.budget:
            request = self.queue.popleft()
            reply = self.handle(request, now)
            frame = udp_frame(
                self.mac,
                request.src_mac,
                self.ip,
                request.src_ip,
                self.udp_port,
                request.src_port,
                reply.encode("ascii", "replace"),
                ident=self._next_ident(),
            )
            self._send(frame, now)
            handled += 1
        self.counters.handled += handled
        return handled

    def handle(self, request: Request, now: int) -> str:
        """The reply to one request (no I/O: `tick` sends it)."""
        if request.too_long:
            return f"ERR request longer than {MAX_REQUEST} bytes"
        words = request.text.split()
        if not words:
            return "ERR empty request"
        if words[0].upper() == "LOGIN":
            if len(words) != 3:
                return "ERR usage: LOGIN user password"
            return self.login(words[1], words[2], request.src_ip, now)
        token, rest = words[0], words[1:]
        session = self.sessions.get(token)
        if session is None:
            self.counters.denied += 1
            self._event(now, MGMT_DENIED(ip=request.src_ip, request=request.text[:40]))
            return "ERR not logged in"
        if rest and rest[0].upper() == "LOGOUT":
            del self.sessions[token]
            self._event(now, MGMT_LOGOUT(user=session.user, ip=request.src_ip))
            return "OK bye"
        return self._command(rest, f"{session.user}@{request.src_ip}", now)

    def login(self, user: str, password: str, source_ip: str, now: int) -> str:
        source = self._source(source_ip)
        known = hmac.compare_digest(user.encode(), self.user.encode())
        # What the lockout counts: the account (an unknown name has none to lock) or the source.
        strikes = (self.account if known else None) if self.lock_account else source.strikes
        if strikes is not None and self._locked_out(strikes, now):
            self._event(now, LOGIN_LOCKED(user=user, ip=source_ip))
            return "ERR locked out"
        if now < source.retry_at:
            self._event(now, LOGIN_BACKING_OFF(user=user, ip=source_ip))
            return "ERR wait: backing off"
        # compare_digest: the time taken must not reveal how much of the password matched.
        if known & hmac.compare_digest(password.encode(), self.password.encode()):
            source.strikes.failures = self.account.failures = 0
            self.counters.logins_ok += 1
            token = self._new_token()
            self.sessions[token] = Session(user, source_ip, now)
            self._event(now, LOGIN_OK(user=user, ip=source_ip))
            return f"OK {token}"
        source.strikes.failures += 1
        if known:
            self.account.failures += 1
        self.counters.logins_failed += 1
        failures = strikes.failures if strikes is not None else source.strikes.failures
        self._event(now, LOGIN_FAILED(user=user, ip=source_ip, failures=failures))
        if self.backoff:
            source.retry_at = now + self.backoff * 2 ** min(source.strikes.failures - 1, _BACKOFF_DOUBLINGS)
        if strikes is not None and self.lockout_after and strikes.failures >= self.lockout_after:
            strikes.locked_at = now
            self.counters.lockouts += 1
            if self.unlock_after:
                line = LOCKOUT_TIMED(
                    who=strikes.who, failures=strikes.failures, instructions=self.unlock_after
                )
            else:
                line = LOCKOUT(who=strikes.who, failures=strikes.failures)
            self._event(now, line)
        return "ERR bad credentials"

    def _locked_out(self, strikes: Strikes, now: int) -> bool:
        """Is this key locked out now? A timed lockout that has run its course ends here."""
        if strikes.locked_at is None:
            return False
        if self.unlock_after and now >= strikes.locked_at + self.unlock_after:
            self._unlock(strikes, now, UNLOCK_OVER)
            return False
        return True

    def _unlock(self, strikes: Strikes, now: int, why: Message) -> None:
        was_locked = strikes.locked_at is not None
        strikes.failures, strikes.locked_at = 0, None
        if was_locked:
            self.counters.unlocks += 1
            self._event(now, why(who=strikes.who))

    def _new_token(self) -> str:
        self._tokens_issued += 1
        digest = hashlib.sha256(self.token_seed + self._tokens_issued.to_bytes(8, "little"))
        return digest.hexdigest()[:16]

    def _command(self, words: list[str], who: str, now: int) -> str:
        if not words:
            return "ERR missing command"
        verb, args = words[0].upper(), words[1:]
        if verb == "LIST" and not args:
            self.counters.commands += 1
            self._event(now, COMMAND_LIST(client=who))
            return "OK " + " ".join(f"{name}={state}" for name, state in self.vms.list_vms())
        actions = {"PAUSE": self.vms.pause, "UNPAUSE": self.vms.unpause, "DESTROY": self.vms.destroy}
        if verb not in actions:
            return f"ERR unknown command {verb}"
        if len(args) != 1:
            return f"ERR usage: {verb} vm"
        self.counters.commands += 1
        error = actions[verb](args[0])
        if error:
            self._event(now, COMMAND_FAILED(client=who, verb=verb, name=args[0], error=error))
        else:
            self._event(now, COMMAND_DONE(client=who, verb=verb, name=args[0]))
        if error:
            return f"ERR {error}"
        return f"OK {_DONE[verb]} {args[0]}"

    # --- out of band -----------------------------------------------------------

    def console(self, command: str, now: int = 0) -> str:
        """Run a command from the hypervisor's own console: no token, no queue, no network.

        Accepts the network's commands without a token (LIST, PAUSE/UNPAUSE/DESTROY vm) and
        its own: UNLOCK ip-or-user (clears a source's lockout and backoff, or the account's
        lockout), SESSIONS (the open sessions: token=user@source) and REVOKE token-or-ALL
        (ends sessions: what an admin does after a break-in).
        """
        words = command.split()
        own = self._CONSOLE.get(words[0].upper() if words else "")
        if own is None:
            return self._command(words, "console", now)
        usage, run = own
        if len(words) != len(usage.split()):
            return f"ERR usage: {usage}"
        return run(self, now, *words[1:])

    def _unlock_command(self, now: int, who: str) -> str:
        source = self.sources.pop(who, None)
        if source is not None:
            self._unlock(source.strikes, now, UNLOCK_CONSOLE)
        if who == self.user:
            self._unlock(self.account, now, UNLOCK_CONSOLE)
        self._event(now, COMMAND_UNLOCK(who=who))
        return f"OK unlocked {who}"

    def _sessions_command(self, now: int) -> str:
        listed = " ".join(f"{token}={s.user}@{s.source}" for token, s in self.sessions.items())
        return f"OK {len(self.sessions)} sessions" + (f": {listed}" if listed else "")

    def _revoke_command(self, now: int, which: str) -> str:
        tokens = list(self.sessions) if which.upper() == "ALL" else [which]
        if not all(token in self.sessions for token in tokens):
            return f"ERR no session {which}"
        for token in tokens:
            ended = self.sessions.pop(token)
            self._event(now, MGMT_REVOKED(user=ended.user, ip=ended.source))
        return f"OK revoked {len(tokens)} sessions"

    # The console's own commands: verb -> (usage, handler(self, now, *arguments)).
    _CONSOLE: ClassVar[dict[str, tuple[str, Callable[..., str]]]] = {
        "UNLOCK": ("UNLOCK ip-or-user", _unlock_command),
        "SESSIONS": ("SESSIONS", _sessions_command),
        "REVOKE": ("REVOKE token-or-ALL", _revoke_command),
    }
