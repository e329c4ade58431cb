"""A VM's virtual NIC: a MAC and an IPv4 address, a bounded RX queue, TX through its segment.

The hypervisor's NET hypercalls map onto it one to one: `info` reads `mac`/`ip`,
`send` calls `send(frame, now)`, `recv` calls `recv()`. A frame arriving calls
`wake`, so a vCPU parked in `wfi` can be made runnable:

    nic = Vnic(domid=2, ip="10.0.0.2", rx_capacity=32, wake=lambda: vm.wake())
    nic.connect(segment)
    nic.send(frame, now)      # SendResult.SENT, or why not
    frame = nic.recv()        # None when the queue is empty

Like virtio-net, the guest hands over a whole Ethernet frame and the device
does not look inside it: whatever source addresses the guest wrote go out.
The port it connects to knows the NIC's MAC and IP, so a segment with
anti-spoofing on drops a frame that claims other ones (port security is the
switch's job, as on a real host). The optional `rate_limiter` charges each
frame's length to its bytes bucket and 1 to its ops bucket.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

from lab.net.events import EventSink, NetEvent
from lab.net.frames import ETH_HEADER_LEN, ETH_MAX_FRAME, pad_frame
from lab.net.ratelimit import RateLimiter
from lab.net.switch import Port, PortAddresses, PortKind, Segment
from lab.trace_messages import VNIC_RATE_LIMITED


class SendResult(Enum):
    SENT = "sent"
    RATE_LIMITED = "rate-limited"
    BAD_LENGTH = "bad-length"  # shorter than a header or longer than 1514 bytes
    NOT_CONNECTED = "not-connected"
    QUEUE_FULL = "queue-full"  # the segment's queue was full


def vnic_mac(domid: int) -> str:
    """02:00:00:00:00:<domid>: the 02 marks a locally administered unicast address."""
    if not 0 <= domid <= 0xFF:
        raise ValueError(f"domid {domid} does not fit the last byte of a MAC")
    return f"02:00:00:00:00:{domid:02x}"


@dataclass(slots=True)
class NicCounters:
    tx_frames: int = 0
    tx_bytes: int = 0
    tx_drops: int = 0  # refused by send(): rate limit, bad length, full segment
    rx_frames: int = 0
    rx_bytes: int = 0
    rx_drops: int = 0  # arrived while the RX queue was full


@dataclass(slots=True, eq=False)
class Vnic:
    domid: int
    ip: str
    rx_capacity: int = 64
    rate_limiter: RateLimiter | None = None
    wake: Callable[[], None] | None = None
    name: str = ""
    on_event: EventSink | None = None
    mac: str = field(init=False)
    rx: deque[bytes] = field(init=False)
    counters: NicCounters = field(default_factory=NicCounters)
    port: Port | None = None

    def __post_init__(self) -> None:
        self.mac = vnic_mac(self.domid)
        self.rx = deque()
        if not self.name:
            self.name = f"vif{self.domid}"

    def connect(self, segment: Segment) -> Port:
        addresses = PortAddresses(self.mac, self.ip)
        self.port = segment.attach(self, name=self.name, kind=PortKind.VNIC, addresses=addresses)
        return self.port

    def send(self, frame: bytes, now: int) -> SendResult:
        result = self._check(frame, now)
        if result is SendResult.SENT:
            frame = pad_frame(bytes(frame))
            assert self.port is not None
            if self.port.transmit(frame, now):
                self.counters.tx_frames += 1
                self.counters.tx_bytes += len(frame)
                return result
            result = SendResult.QUEUE_FULL
        self.counters.tx_drops += 1
        if result is SendResult.RATE_LIMITED and self.on_event is not None:
            self.on_event(NetEvent.of(now, self.name, VNIC_RATE_LIMITED(size=len(frame))))
        return result

    def _check(self, frame: bytes, now: int) -> SendResult:
        if self.port is None:
            return SendResult.NOT_CONNECTED
        if not ETH_HEADER_LEN <= len(frame) <= ETH_MAX_FRAME:
            return SendResult.BAD_LENGTH
        # Charge the padded length: that is what occupies the wire.
        if self.rate_limiter is not None and not self.rate_limiter.consume(max(len(frame), 60), now):
            return SendResult.RATE_LIMITED
        return SendResult.SENT

    def deliver(self, frame: bytes, now: int) -> bool:
        """Called by the segment. A full queue drops the new frame, as a NIC with no free RX buffer does."""
        if len(self.rx) >= self.rx_capacity:
            self.counters.rx_drops += 1
            return False
        self.rx.append(frame)
        self.counters.rx_frames += 1
        self.counters.rx_bytes += len(frame)
        if self.wake is not None:
            self.wake()
        return True

    def recv(self) -> bytes | None:
        return self.rx.popleft() if self.rx else None

    @property
    def pending(self) -> int:
        return len(self.rx)
