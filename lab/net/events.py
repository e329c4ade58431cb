"""Network events for the hypervisor's trace: every drop, login and command, with its time.

Each part of lab.net takes an optional `on_event` callback and calls it with a
`NetEvent`; the hypervisor appends them to its trace, tests collect them in a list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum


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
    kind: NetEventKind
    detail: str


EventSink = Callable[[NetEvent], None]
