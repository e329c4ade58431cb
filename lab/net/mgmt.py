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
reproducible; give each scenario its own seed.

Capacity is what the DDoS lesson is about: arriving requests wait in a queue
of `queue_limit` (a full queue drops the newcomer) and `tick(now)` handles at
most `budget` of them. ARP and ping are answered on arrival, as a kernel does,
so a starved service still answers ping. Hardening knobs (constructor
arguments): `password`, `lockout_after` failures per source (0 = never),
`backoff` (after the k-th failure a source must wait backoff * 2**(k-1)
instructions before its next LOGIN), and `source_limit`, a RateLimiter copied
per source address and charged before a request may queue.

`console(cmd)` is the out-of-band path (the hypervisor's own console): the same
commands without a token, never queued, so no flood can starve it.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import deque
from dataclasses import dataclass, field
from typing import Final, Protocol

from lab.net.events import EventSink, NetEvent, NetEventKind
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
from lab.net.switch import Port, PortKind, Segment

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
    commands: int = 0  # commands executed (network and console)
    denied: int = 0  # commands refused for want of a valid token
    arp_replies: int = 0
    echo_replies: int = 0
    bad_frames: int = 0


@dataclass(slots=True)
class _Source:
    """What the service remembers about one source address."""

    failures: int = 0
    locked: bool = False
    retry_at: int = 0  # no LOGIN accepted before this time (backoff)
    limiter: RateLimiter | None = None


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
    backoff: int = 0
    source_limit: RateLimiter | None = None
    queue_limit: int = 16
    budget: int = 4
    token_seed: bytes = b"hvlab"
    name: str = "mgmt"
    on_event: EventSink | None = None
    counters: MgmtCounters = field(default_factory=MgmtCounters)
    queue: deque[Request] = field(default_factory=deque)
    sessions: dict[str, str] = field(default_factory=dict)  # token -> user
    sources: dict[str, _Source] = field(default_factory=dict)
    port: Port | None = None
    _tokens_issued: int = 0
    _ip_ident: int = 0

    def connect(self, segment: Segment) -> Port:
        self.port = segment.attach(self, name=self.name, kind=PortKind.MGMT)
        return self.port

    def _event(self, now: int, kind: NetEventKind, detail: str) -> None:
        if self.on_event is not None:
            self.on_event(NetEvent(now, self.name, kind, detail))

    def _source(self, ip: str) -> _Source:
        source = self.sources.get(ip)
        if source is None:
            source = self.sources[ip] = _Source()
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
            self._event(now, NetEventKind.BAD_FRAME, str(err))
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
                self._event(now, NetEventKind.RATE_LIMITED, f"request from {request.src_ip}")
                return
        if len(self.queue) >= self.queue_limit:
            self.counters.queue_drops += 1
            self._event(now, NetEventKind.QUEUE_DROP, f"request from {request.src_ip}: queue full")
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
        if token not in self.sessions:
            self.counters.denied += 1
            self._event(now, NetEventKind.DENIED, f"{request.src_ip}: {request.text[:40]!r}")
            return "ERR not logged in"
        if rest and rest[0].upper() == "LOGOUT":
            del self.sessions[token]
            return "OK bye"
        return self._command(rest, f"{self.sessions[token]}@{request.src_ip}", now)

    def login(self, user: str, password: str, source_ip: str, now: int) -> str:
        source = self._source(source_ip)
        if source.locked:
            self._event(now, NetEventKind.LOGIN_FAILED, f"{user}@{source_ip}: locked out")
            return "ERR locked out"
        if now < source.retry_at:
            self._event(now, NetEventKind.LOGIN_FAILED, f"{user}@{source_ip}: backing off")
            return "ERR wait: backing off"
        # compare_digest: the time taken must not reveal how much of the password matched.
        if hmac.compare_digest(user.encode(), self.user.encode()) & hmac.compare_digest(
            password.encode(), self.password.encode()
        ):
            source.failures = 0
            self.counters.logins_ok += 1
            token = self._new_token()
            self.sessions[token] = user
            self._event(now, NetEventKind.LOGIN_OK, f"{user}@{source_ip}")
            return f"OK {token}"
        source.failures += 1
        self.counters.logins_failed += 1
        self._event(now, NetEventKind.LOGIN_FAILED, f"{user}@{source_ip}: failure {source.failures}")
        if self.backoff:
            source.retry_at = now + self.backoff * 2 ** min(source.failures - 1, _BACKOFF_DOUBLINGS)
        if self.lockout_after and source.failures >= self.lockout_after:
            source.locked = True
            self.counters.lockouts += 1
            self._event(now, NetEventKind.LOCKOUT, f"{source_ip} after {source.failures} failures")
        return "ERR bad credentials"

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
            self._event(now, NetEventKind.COMMAND, f"{who}: LIST")
            return "OK " + " ".join(f"{name}={state}" for name, state in self.vms.list_vms())
        actions = {"PAUSE": self.vms.pause, "UNPAUSE": self.vms.unpause, "DESTROY": self.vms.destroy}
        if verb not in actions:
            return f"ERR unknown command {verb}"
        if len(args) != 1:
            return f"ERR usage: {verb} vm"
        self.counters.commands += 1
        error = actions[verb](args[0])
        self._event(now, NetEventKind.COMMAND, f"{who}: {verb} {args[0]}" + (f": {error}" if error else ""))
        if error:
            return f"ERR {error}"
        return f"OK {_DONE[verb]} {args[0]}"

    # --- out of band -----------------------------------------------------------

    def console(self, command: str, now: int = 0) -> str:
        """Run a command from the hypervisor's own console: no token, no queue, no network.

        Accepts LIST, PAUSE/UNPAUSE/DESTROY vm and UNLOCK ip (clears a source's lockout and backoff).
        """
        words = command.split()
        if len(words) == 2 and words[0].upper() == "UNLOCK":
            self.sources.pop(words[1], None)
            self._event(now, NetEventKind.COMMAND, f"console: UNLOCK {words[1]}")
            return f"OK unlocked {words[1]}"
        return self._command(words, "console", now)
