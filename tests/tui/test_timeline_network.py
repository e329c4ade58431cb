"""The timeline and the network panels: a hypercall shown with the guest code that
made it, the VM filter, a reset; the network panel's counters, frames and "save pcap".

No lesson uses the network yet, so the network flow opens a one-step lesson on the
management scenario (`lab/scenarios/mgmt.toml`), written to a temporary directory.
"""

from __future__ import annotations

import asyncio

from textual import on
from textual.widgets import Checkbox, DataTable, Select, TabPane

from lab.net.pcap import read_pcap
from lab.net.switch import PortCounters
from lab.session import STUDENT, Session
from lab.session.records import PortView
from tests.test_session import NET_LESSON
from tests.tui.conftest import (
    SIZE,
    enter_line,
    lesson_started,
    machine_shown,
    open_tab,
    press,
    settled,
    until,
)
from tui.app import HvlabApp
from tui.widgets.network_panel import NetworkPanel, _port_row
from tui.widgets.timeline_panel import TimelinePanel
from tui.widgets.vm_panel import VmPanel


def test_the_timeline_shows_a_hypercall_under_the_code_that_made_it(session):
    async def flow() -> None:
        app = HvlabApp(session, lesson="control-api")
        async with app.run_test(size=SIZE) as pilot:
            await lesson_started(pilot)
            screen = app.screen
            panes = {pane.id for pane in screen.query(TabPane)}
            assert "tab-timeline" in panes and "tab-network" not in panes  # this scenario has no network

            screen.machine.submit(Session.answer, 1, "1")  # step 1's prediction (test_quiz: by keyboard)
            await settled(pilot)
            await machine_shown(pilot)  # the answered question no longer holds the focus: the tenant's line
            screen.query_one("#input-tenant").focus()
            await pilot.pause()
            await enter_line(pilot, "vms")  # the tenant lists the VMs: VMCTL hypercalls
            await open_tab(pilot, "timeline")
            timeline = screen.query_one(TimelinePanel)
            await until(pilot, lambda: any("VMCTL.info(domid=2)" in line for line in timeline.lines))
            lines = timeline.lines
            call = next(n for n, line in enumerate(lines) if "dom1 tenant VMCTL.info(domid=2)" in line)
            # Under the hypercall, indented: the guest's instructions up to its ecall.
            code = lines[call + 1 : call + 5]
            assert all(line.startswith(" " * 12) for line in code)
            assert code[-1].strip().endswith("ecall  ◄ traps to the hypervisor")
            assert any(" a7," in line for line in code[:-1])

            # Only the admin's events; then without the code lines.
            screen.query_one("#timeline-vm", Select).value = 0
            await pilot.pause()
            shown = [line for line in timeline.lines if line.startswith("[")]
            assert shown and all(" dom0 admin " in line for line in shown)
            screen.query_one("#timeline-vm", Select).clear()
            screen.query_one("#timeline-code", Checkbox).value = False
            await pilot.pause()
            assert any("VMCTL.info(domid=2)" in line for line in timeline.lines)
            assert not any("ecall" in line for line in timeline.lines)

            # Reset the step: the timeline goes back with the machine ("vms" finished step 1 and
            # the student moved on, so the step being reset is the second; a probe made in it is undone).
            await pilot.press("ctrl+n")
            screen.query_one("#input-tenant").focus()
            await pilot.pause()
            await enter_line(pilot, "probe 0x10")
            await open_tab(pilot, "timeline")  # drawn when shown: it kept the items meanwhile
            await until(pilot, lambda: any("BASE.probe_extension" in line for line in timeline.lines))
            await pilot.press("f9", "y")
            await pilot.pause()
            await settled(pilot)
            assert any("VMCTL.info(domid=2)" in line for line in timeline.lines)
            assert not any("BASE.probe_extension" in line for line in timeline.lines)

    asyncio.run(flow())


# Step 2's check already holds when step 1 is done (the ping's reply is on the console):
# once the student moves on it turns done by itself, with no further action (and waits, done,
# for the student too); step 3 waits for the management console.
NET_STEPS = (
    NET_LESSON.replace('id = "net-tour"', 'id = "net-steps"')
    + """
## Already done

The reply is on the console.

```check
console_contains tenant "received"
```

## The hypervisor's console

List the VMs at the management console.

```check
trace "console: LIST"
```
"""
)


def test_the_network_panel_counts_frames_and_saves_a_capture(tmp_path, monkeypatch):
    data = tmp_path / "data"
    monkeypatch.setenv("HVLAB_DATA", str(data))
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    (lessons / "net-steps.md").write_text(NET_STEPS, encoding="utf-8")
    session = Session(seed=STUDENT, lessons_dir=lessons, progress_path=tmp_path / "p.json")

    async def flow() -> None:
        app = HvlabApp(session, lesson="net-steps")
        async with app.run_test(size=SIZE) as pilot:
            await lesson_started(pilot)
            screen = app.screen
            await enter_line(pilot, "ping 10.0.0.1 1")
            # Step 1 done by the ping; step 2 done because its check already held: on to step 3.
            state = await settled(pilot)
            assert state.step == 0 and state.done
            await pilot.press("ctrl+n")
            state = await settled(pilot)
            assert state.step == 1 and state.done
            await pilot.press("ctrl+n")
            assert (await settled(pilot)).step == 2
            await machine_shown(pilot)

            await open_tab(pilot, "network")
            panel = screen.query_one(NetworkPanel)
            assert app.focused is screen.query_one("#net-ports", DataTable)
            mgmt = str(screen.query_one("#net-mgmt").render())
            assert "mgmt 10.0.0.1:6230 on tenants" in mgmt and "ARP replies 1, pings answered 1" in mgmt
            table = screen.query_one("#net-ports", DataTable)
            rows = {row[1]: row for row in (table.get_row_at(i) for i in range(table.row_count))}
            # No drops, nothing spoofed; in: the ARP request and the echo request (60 + 74 bytes);
            # out: both replies.
            assert list(rows["tenant"]) == ["tenants", "tenant", "vnic", "0", "0", "2", "134", "2", "134"]
            assert rows["mgmt"][2] == "mgmt"
            assert any("tenants/tenant: 10.0.0.11 > 10.0.0.1 ICMP echo request" in f for f in panel.frames)
            assert any("tenants/mgmt: 10.0.0.1 > 10.0.0.11 ICMP echo reply" in f for f in panel.frames)

            # Save pcap (the key, with the ports table focused): into the data dir by default.
            await pilot.press("s")
            await settled(pilot)
            status = str(screen.query_one("#pcap-status").render())
            assert status.startswith("saved 4 frames to ")
            [saved] = (data / "captures").glob("net-steps-tenants-t*.pcap")
            assert str(saved) in status.replace("\n", "")
            assert len(read_pcap(saved.read_bytes())[1]) == 4

            # A path of the student's choosing, through the input line and the button.
            screen.query_one("#pcap-path").value = str(tmp_path / "mine.pcap")
            await press(pilot, "#pcap-save")
            await settled(pilot)
            assert (tmp_path / "mine.pcap").exists()

            # The hypervisor's own console, out of band: its answer shows under the command,
            # and the lesson's last step (which asks for it) is done.
            await pilot.click("#mgmt-input")
            await enter_line(pilot, "LIST")
            lines = panel.mgmt_lines
            assert lines[0] == "> LIST" and any("tenant" in line for line in lines[1:])
            assert screen.state.finished

            # The VMs panel shows each NIC's counters.
            await open_tab(pilot, "vms")
            nics = str(screen.query_one(VmPanel).query_one("#vm-nics").render())
            assert "tenant  10.0.0.11" in nics and "NIC" in nics

            # The timeline has the frames between the hypercalls.
            await open_tab(pilot, "timeline")
            timeline = screen.query_one(TimelinePanel)
            await until(pilot, lambda: any("frame tenants/tenant:" in line for line in timeline.lines))
            lines = timeline.lines
            sent = next(
                n for n, line in enumerate(lines) if "frame tenants/tenant:" in line and "ICMP" in line
            )
            call = max(n for n in range(sent) if lines[n].startswith("["))
            assert "dom1 tenant NET.send(" in lines[call]

    asyncio.run(flow())


def test_a_ports_spoofed_frames_have_a_column_of_their_own():
    counters = PortCounters(rx_frames=5, rx_bytes=300, acl_drops=1, endpoint_drops=1, spoof_drops=3)
    row = _port_row("tenants", PortView(name="tenant", kind="vnic", domid=1, counters=counters))
    assert row[3:5] == ("2", "3")  # drops (ACL and full queues), then spoofed


def test_a_panel_whose_tab_opens_draws_what_came_while_it_was_hidden_without_a_show_event(monkeypatch):
    """Textual may leave out a panel's Show (its full layout map rebuilt in between): one run in
    three of the flow above once never showed a hypercall made while the Timeline tab was hidden.
    The panel asks its TabbedContent, and the tab's opening draws it; Show is not needed."""
    from textual.app import App
    from textual.widgets import Static, TabbedContent

    from lab.session.records import TimelineItem
    from tui.screens.lesson import LessonScreen

    monkeypatch.setattr(TimelinePanel, "on_show", lambda self: None)  # Textual's lost Show, every time

    class Tabs(App[None]):
        def compose(self):
            with TabbedContent(id="tabs"):
                with TabPane("console", id="tab-console"):
                    yield Static("console")
                with TabPane("timeline", id="tab-timeline"):
                    yield TimelinePanel(id="timeline")

        # The lesson screen's handler, as it is: what the student's tab switch runs.
        @on(TabbedContent.TabActivated)
        def tab_activated(self, event: TabbedContent.TabActivated) -> None:
            LessonScreen.reveal_panels(event.pane)

    item = TimelineItem(
        seq=1, time=7, kind="vm", domid=-1, text="dom1 started", call=None, packet=None, data={}
    )

    async def flow() -> None:
        app = Tabs()
        async with app.run_test(size=(80, 24)) as pilot:
            panel = app.query_one(TimelinePanel)
            panel.add((item,))  # the console's tab is open: kept, not drawn
            await pilot.pause()
            assert not any("dom1 started" in line for line in panel.lines)
            app.query_one(TabbedContent).active = "tab-timeline"
            await pilot.pause()
            await pilot.pause()
            assert any("dom1 started" in line for line in panel.lines)
            panel.add((item,))  # open: drawn as it comes
            await pilot.pause()
            assert sum("dom1 started" in line for line in panel.lines) == 2

    asyncio.run(flow())
