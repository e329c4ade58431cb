"""Network events for the hypervisor's trace: every drop, login and command, with its time.

Each part of lab.net takes an optional `on_event` callback and calls it with a
`NetEvent`; the hypervisor appends them to its trace, tests collect them in a list.
What an event says is one of the trace's messages (lab.trace_messages, whose `tag` is
the event's `NetEventKind`), so the docs' trace reference lists every one of them:

    NetEvent.of(now, "tenants", ACL_DROP(src="tenant", dst="mgmt", reason=...))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from lab.trace_messages import Line, Message


class NetEventKind(Enum):
    ACL_DROP = "acl-drop"
    SPOOF_DROP = "spoof-drop"
    QUEUE_DROP = "queue-drop"
    BAD_FRAME = "bad-frame"
    RATE_LIMITED = "rate-limited"
    LOGIN_OK = "login-ok"
    LOGIN_FAILED = "login-failed"
    LOCKOUT = "lockout"
    UNLOCK = "unlock"
    LOGOUT = "logout"
    COMMAND = "command"
    DENIED = "denied"


@dataclass(slots=True, frozen=True)
class NetEvent:
    time: int  # instructions retired
    where: str  # the segment, vNIC or service that saw it
    message: Message  # which of the trace's messages: its kind (net or mgmt) and tag
    detail: str

    @classmethod
    def of(cls, time: int, where: str, line: Line) -> NetEvent:
        return cls(time, where, line.message, str(line))

    @property
    def kind(self) -> NetEventKind:
        return NetEventKind(self.message.tag)

    @property
    def text(self) -> str:
        """As the trace shows it: `where: tag: detail`."""
        return f"{self.where}: {self.message.tag}: {self.detail}"


EventSink = Callable[[NetEvent], None]
