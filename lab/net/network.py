"""A scenario's network: its segments, the vNICs and management services on them, one clock.

The hypervisor builds one `Network` per scenario and calls `tick(now)` between
vCPU quanta (now = instructions retired):

    net = Network()
    tenants = net.add_segment("tenants")
    net.add_vnic("tenants", Vnic(domid=1, ip="10.0.0.11"))
    net.add_service("tenants", ManagementService(vms, ip="10.0.0.1"))
    net.tick(now)                 # deliver frames, run the services' budgets, deliver replies
    open("t.pcap", "wb").write(net.capture("tenants"))

A tick delivers every frame sent before it, lets each management service
handle its budget of requests, then delivers the replies: a request sent in one
quantum is answered (if the service keeps up) before the next one starts.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from lab.net.events import EventSink
from lab.net.frames import describe
from lab.net.mgmt import ManagementService
from lab.net.pcap import write_pcap
from lab.net.switch import Acl, Segment
from lab.net.vnic import Vnic


class Network:
    def __init__(self, *, on_event: EventSink | None = None) -> None:
        self.on_event = on_event
        self.segments: dict[str, Segment] = {}
        self.vnics: list[Vnic] = []
        self.services: list[ManagementService] = []

    def add_segment(self, name: str, *, acl: Acl | None = None, **options: Any) -> Segment:
        """A new segment; options go to `Segment` (queue_limit, mac_table_limit, capture_limit)."""
        if name in self.segments:
            raise ValueError(f"segment {name!r} already exists")
        segment = Segment(name, acl=acl, on_event=self.on_event, **options)
        self.segments[name] = segment
        return segment

    def segment(self, name: str) -> Segment:
        try:
            return self.segments[name]
        except KeyError:
            raise KeyError(f"no segment {name!r}; there are {sorted(self.segments)}") from None

    def add_vnic(self, segment: str, vnic: Vnic) -> Vnic:
        if vnic.on_event is None:
            vnic.on_event = self.on_event
        vnic.connect(self.segment(segment))
        self.vnics.append(vnic)
        return vnic

    def add_service(self, segment: str, service: ManagementService) -> ManagementService:
        if service.on_event is None:
            service.on_event = self.on_event
        service.connect(self.segment(segment))
        self.services.append(service)
        return service

    def tick(self, now: int) -> int:
        """Deliver, serve, deliver again; returns the number of frames handed to endpoints."""
        delivered = sum(s.forward(now) for s in self.segments.values())
        for service in self.services:
            service.tick(now)
        delivered += sum(s.forward(now) for s in self.segments.values())
        return delivered

    def capture(self, segment: str) -> bytes:
        """Everything that entered the segment, as a pcap file (see lab.net.pcap for the time base)."""
        return write_pcap((c.time, c.frame) for c in self.segment(segment).capture)

    def stats(self) -> dict[str, Any]:
        """Every counter, as plain data (the UIs and `hvlab run --json` show it)."""
        return {
            "segments": {
                name: {
                    **asdict(segment.counters),
                    "mac_table": {mac: port.name for mac, port in segment.mac_table.items()},
                    "ports": {port.name: asdict(port.counters) for port in segment.ports},
                }
                for name, segment in self.segments.items()
            },
            "vnics": {nic.name: {"mac": nic.mac, "ip": nic.ip, **asdict(nic.counters)} for nic in self.vnics},
            "services": {svc.name: {"ip": svc.ip, **asdict(svc.counters)} for svc in self.services},
        }

    def packets(self, segment: str, *, last: int = 100) -> list[dict[str, Any]]:
        """The most recent captured frames as plain data for the UIs."""
        captured = list(self.segment(segment).capture)[-last:]
        return [
            {"time": c.time, "port": c.port, "len": len(c.frame), "summary": describe(c.frame)}
            for c in captured
        ]
