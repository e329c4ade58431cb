"""The virtual network: real Ethernet frames through learning switches, vNICs, the
hypervisor's management service, Firecracker-style rate limiting and pcap capture.

Modules, bottom up: frames (wire formats), ratelimit (token buckets), switch
(segments), vnic (a VM's NIC), mgmt (the management host and its UDP protocol),
pcap (capture files), network (one scenario's segments on one clock).
Nothing here imports lab.hv: the hypervisor drives it through `Network.tick(now)`.
"""

from lab.net.frames import FrameError, describe, parse
from lab.net.mgmt import MGMT_PORT, ManagementService, VmControl
from lab.net.network import Network
from lab.net.ratelimit import RateLimiter, TokenBucket, token_bucket
from lab.net.switch import PortKind, Segment, isolate
from lab.net.vnic import SendResult, Vnic

__all__ = [
    "MGMT_PORT",
    "FrameError",
    "ManagementService",
    "Network",
    "PortKind",
    "RateLimiter",
    "Segment",
    "SendResult",
    "TokenBucket",
    "VmControl",
    "Vnic",
    "describe",
    "isolate",
    "parse",
    "token_bucket",
]
