"""The session: the one facade the TUI and the web front end talk to.

    s = Session(lessons_dir="lessons", backend="interp", progress_path=path)
    s.list_lessons("en")                 # the picker
    s.open_lesson("control-api", "en")   # prose, steps, hint counts
    s.start()                            # build the scenario, boot the guests
    s.type("tenant", "peek 2 0x80001000 32")
    s.console("tenant", since=0)         # {"text": ..., "seq": ...}
    s.evaluate()                         # the step's checks; advances when all hold
    s.reset_step()                       # the machine as it was when the step began
    s.timeline(since=0)                  # trace and frames merged, hypercalls with their code
    s.network()                          # segments, ports, vNICs, the management service
    s.save_pcap("tenants", "t.pcap")     # a segment's capture, for Wireshark

Everything in and out is plain data (dict, list, str, int, float, bool,
None), so the web worker passes it as JSON messages without adapters.
Requests that cannot make sense (no lesson open, an unknown VM) raise
`SessionError`; things a student can get wrong (a patch that does not
compile, a bad policy value) come back as {"ok": False, "error": ...}.
A lesson runs through `lab.lesson.engine.Lab`, exactly as the validator runs
it, so what `hvlab lessons check` proves is what the student meets.
"""

from __future__ import annotations

import inspect
import itertools
import struct
import textwrap
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

from lab.disasm import disassemble_word
from lab.hv.hypercalls import HypercallRecord, lookup
from lab.hv.patch import PatchError
from lab.hv.policy import SWITCHES, PolicyError
from lab.hv.vm import RAM_BASE
from lab.lesson import progress as progress_io
from lab.lesson.engine import ActionError, CheckResult, Lab
from lab.lesson.model import Lesson, LessonError
from lab.lesson.parser import find_lessons, parse_lesson, render
from lab.lesson.registry import REGISTRY, Where, _handler
from lab.lesson.variants import fill, mgmt_password
from lab.net.frames import describe

if TYPE_CHECKING:
    from lab.asm import AsmError, Image
    from lab.hv import Hypervisor
    from lab.hv.trace import Record
    from lab.net.switch import CapturedFrame

DEFAULT_LESSONS: Final = Path(__file__).resolve().parent.parent / "lessons"
LEAD_IN: Final = 3  # instructions shown before each hypercall's ecall in the timeline
STUDENT: Final = "student"  # Session(seed=STUDENT): the student's own variant, kept in their progress
SeedChoice = int | Literal["student"] | None  # a fixed seed, STUDENT, or the course as written
TIMELINE_KEEP: Final = 20_000  # timeline items the session keeps for late readers


class SessionError(Exception):
    """A request the session cannot serve (no lesson open, an unknown lesson or VM)."""


class Session:
    def __init__(
        self,
        lessons_dir: str | Path = DEFAULT_LESSONS,
        backend: str = "interp",
        *,
        progress_path: str | Path | None = None,
        seed: SeedChoice = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.lessons_dir = Path(lessons_dir)
        self.backend = backend
        self._seed = seed
        self.progress_path = Path(progress_path) if progress_path else None
        self.clock = clock
        self._lessons: list[Lesson] | None = None
        self.problems: list[str] = []  # lessons that failed to parse
        self.lesson: Lesson | None = None
        self.lab: Lab | None = None
        self.running = False
        self.last_results: list[CheckResult] = []
        self._timeline = _Timeline()
        self.progress_problem = ""  # why the progress file could not be read ("" when it could)
        self._progress = self._load_progress()
        if seed == STUDENT:
            self._progress.own_seed()

    def _load_progress(self) -> progress_io.Progress:
        """The progress file's record. One that cannot be read is moved aside, never overwritten,
        and the student starts afresh; `progress_problem` says why and where the old file went."""
        if self.progress_path is None:
            return progress_io.Progress()
        try:
            return progress_io.load(self.progress_path)
        except progress_io.ProgressError as exc:
            kept = self.progress_path.with_name(
                f"{self.progress_path.name}.unreadable-{time.strftime('%Y%m%d-%H%M%S')}"
            )
            try:
                self.progress_path.replace(kept)
            except OSError as err:
                self.progress_problem = f"{exc}; cannot move it aside ({err}), so progress is not saved"
                self.progress_path = None  # never write over what the student may still want
            else:
                self.progress_problem = f"{exc}; kept as {kept}, starting afresh"
            return progress_io.Progress()

    @property
    def seed(self) -> int | None:
        """The variant the machines are built in (lab.lesson.variants): a fixed seed, the
        student's own from their progress (seed="student"), or None for the course as written."""
        if self._seed == STUDENT:
            return self._progress.seed
        return self._seed

    def _fill(self, text: str, *, as_html: bool = False) -> str:
        """A lesson's prose with the student's own values (`{password}`) filled in."""
        assert self.lesson is not None
        if "{password}" not in text or self.lesson.mgmt_password is None:
            return text  # (and the wordlist is not even read)
        return fill(text, mgmt_password(self.lesson.mgmt_password, self.seed), as_html=as_html)

    # -- lessons

    def _all(self) -> list[Lesson]:
        if self._lessons is None:
            self._lessons, self.problems = [], []
            for path in find_lessons([self.lessons_dir]):
                try:
                    self._lessons.append(parse_lesson(path))
                except LessonError as exc:
                    self.problems.append(str(exc))
        return self._lessons

    def _find(self, lesson_id: str, lang: str) -> Lesson:
        matches = [x for x in self._all() if x.id == lesson_id]
        if not matches:
            raise SessionError(f"no lesson {lesson_id!r} in {self.lessons_dir}")
        return next(
            (x for x in matches if x.lang == lang), next((x for x in matches if x.lang == "en"), matches[0])
        )

    def list_lessons(self, lang: str = "en") -> list[dict[str, Any]]:
        """One entry per lesson id, in `lang` where translated (else English), in file order."""
        seen: list[str] = []
        for x in self._all():
            if x.id not in seen:
                seen.append(x.id)
        out = []
        for lesson_id in seen:
            lesson = self._find(lesson_id, lang)
            entry = lesson.summary_dict()
            lp = self._progress.lessons.get(lesson_id)
            entry["done_steps"] = lp.done_steps() if lp else 0
            entry["finished"] = bool(lp and lp.finished)
            out.append(entry)
        return out

    def open_lesson(self, lesson_id: str, lang: str = "en") -> dict[str, Any]:
        """Choose a lesson (the machine is built by `start`)."""
        self.close()
        self.lesson = self._find(lesson_id, lang)
        lesson = self.lesson
        return {
            **lesson.summary_dict(),
            "intro_html": self._fill(lesson.intro_html, as_html=True),
            "intro_markdown": self._fill(lesson.intro_markdown),
            "vms": list(lesson.vm_names),
            "steps": [
                {
                    "index": s.index,
                    "title": s.title,
                    "html": self._fill(s.html, as_html=True),
                    "markdown": self._fill(s.markdown),
                    "hints": len(s.hints),
                    "checks": [c.text for c in s.all_checks],
                    "attack": s.is_attack,
                }
                for s in lesson.steps
            ],
        }

    def close(self) -> None:
        if self.lab is not None:
            self.lab.close()
        self.lab = None
        self.running = False
        self.last_results = []
        self._timeline.hv = None  # the next machine is a new epoch; the old one can go

    def _need_lab(self) -> Lab:
        if self.lab is None or not self.lab.started:
            raise SessionError("no lesson is running: open_lesson() then start()")
        return self.lab

    def start(self, *, resume: bool = True) -> dict[str, Any]:
        """Build the scenario. With `resume`, replay the solutions of the steps the
        progress says are done, so the student continues where they stopped."""
        if self.lesson is None:
            raise SessionError("no lesson open: call open_lesson() first")
        self.close()
        self.lab = Lab(self.lesson, backend=self.backend, seed=self.seed)
        try:
            self.lab.start()
            lp = self._progress.lesson(self.lesson.id)
            upto = min(lp.current, len(self.lesson.steps) - 1) if resume else 0
            for i in range(upto):
                self.lab.play(i)
            self.lab.begin_step(upto)
        except (LessonError, ActionError) as exc:
            raise SessionError(str(exc)) from None
        self._begin(upto)
        return self.state()

    def _begin(self, index: int) -> None:
        assert self.lesson is not None
        lp = self._progress.lesson(self.lesson.id)
        lp.current = index
        sp = self._progress.step(self.lesson.id, index)
        if sp.started is None:
            sp.started = self.clock()
        self.last_results = []
        self._save()

    # -- the machine

    def state(self) -> dict[str, Any]:
        lab = self._need_lab()
        hv = lab.hv
        total = sum(vm.cpu.instret for vm in hv.vms) or 1
        assert self.lesson is not None
        return {
            "lesson": self.lesson.id,
            "lang": self.lesson.lang,
            "step": lab.step_index,
            "steps": len(self.lesson.steps),
            "finished": self._progress.lesson(self.lesson.id).finished is not None,
            "running": self.running,
            "time": hv.time,
            "backend": self.backend,
            "seed": self.seed,
            "vms": [
                {
                    "domid": vm.domid,
                    "name": vm.name,
                    "state": "destroyed" if vm.destroyed else vm.state.label,
                    "waiting": vm.waiting,
                    "control": vm.control,
                    "weight": vm.weight,
                    "memory": vm.ram_size,
                    "instret": vm.cpu.instret,
                    "share": vm.cpu.instret / total,
                    "hypercalls": vm.hypercalls,
                    "console_seq": vm.console_seq,
                    "fault": vm.fault.describe() if vm.fault else None,
                    "nic": _nic_view(hv, vm.domid),
                    "disk": _disk_view(vm),
                }
                for vm in hv.vms
            ],
            "checks": self._check_view(),
            "policy": {"preset": hv.policy.name, "values": hv.policy.to_dict()},
            "patches": [_handler_name(p.key) for p in hv.patches],
        }

    def _check_view(self) -> list[dict[str, Any]]:
        """The current step's checks with their last evaluated state (not re-evaluated here)."""
        lab = self._need_lab()
        assert self.lesson is not None
        if lab.step_index >= len(self.lesson.steps):
            return []
        known = {id(r.call): r for r in self.last_results}
        out = []
        for call in self.lesson.steps[lab.step_index].all_checks:
            r = known.get(id(call))
            out.append(r.to_dict() if r else {"check": call.text, "done": False, "error": "", "detail": ""})
        return out

    def _vm(self, name: str | int) -> Any:
        try:
            return self._need_lab().vm(name)
        except ActionError as exc:
            raise SessionError(str(exc)) from None

    def type(self, vm: str | int, text: str, *, enter: bool = True) -> dict[str, Any]:
        """Console input, then run until the guests wait again; returns the new output."""
        lab = self._need_lab()
        target = self._vm(vm)
        seq = target.console_seq
        REGISTRY["type"].fn(lab, {"vm": target.name, "text": text, "enter": enter})
        return self.console(target.name, since=seq)

    def run(self, n: int) -> dict[str, Any]:
        self.running = True
        return self._need_lab().run(int(n))

    def step(self) -> dict[str, Any]:
        """One instruction (whichever vCPU the scheduler picks)."""
        self.running = False
        return self._need_lab().run(1)

    def pause(self) -> dict[str, Any]:
        """Stop the front end's run loop (it asks `state()["running"]`)."""
        self.running = False
        return {"running": False, "time": self._need_lab().hv.time}

    def console(self, vm: str | int, since: int = 0) -> dict[str, Any]:
        """Console output written after byte number `since` (all that is kept if older)."""
        target = self._vm(vm)
        new = target.console_seq - max(0, since)
        data = bytes(target.console[-new:]) if new > 0 else b""
        return {"vm": target.name, "text": data.decode("utf-8", "replace"), "seq": target.console_seq}

    def trace(
        self, since: int = 0, vm: str | int | None = None, kinds: list[str] | None = None
    ) -> dict[str, Any]:
        lab = self._need_lab()
        hv = lab.hv
        domid = self._vm(vm).domid if vm is not None else None
        records = hv.trace.since(since)
        first = hv.trace.seq - len(records)
        events = []
        for n, r in enumerate(records):
            if (domid is None or r.domid == domid) and (kinds is None or r.kind in kinds):
                events.append({**r.to_dict(), "seq": first + n + 1, "line": r.describe()})
        return {"events": events, "seq": hv.trace.seq}

    def timeline(self, since: int = 0, limit: int = 500) -> dict[str, Any]:
        """The trace and every segment's frames merged into one time-ordered list.

        Returns {"items", "seq", "epoch", "dropped"}. Each item is {seq, time, kind,
        domid, text, ...}: a trace event as `trace` gives it (hypercalls also carry
        "code", the instructions before and including their `ecall`, read from the
        guest's RAM when the session first saw the call), or a frame, kind "frame",
        with "segment", "port", "len" and a one-line decode as "text" (domid: the
        sending VM, -1 for the management service). Items come after item `since`,
        the newest `limit` of them ("dropped" counts those left out). When the
        machine goes back in time (a reset) the numbering starts again and "epoch"
        changes: a reader that sees a new epoch starts over from since=0.
        """
        hv = self._need_lab().hv
        line = self._timeline.sync(hv)
        first = line.seq - len(line.entries) + 1  # the seq of the oldest item kept
        skip = max(0, since - first + 1)
        fresh = len(line.entries) - skip
        dropped = max(0, fresh - max(0, limit))
        names = _port_domids(hv)
        items = [e.to_dict(names) for e in itertools.islice(line.entries, skip + dropped, len(line.entries))]
        return {"items": items, "seq": line.seq, "epoch": line.epoch, "dropped": dropped}

    def network(self, *, frames: int = 20) -> dict[str, Any] | None:
        """The virtual network, or None when the scenario has none: each segment with
        its counters, ports (name, kind, domid, counters), MAC table and last `frames`
        frames decoded; each vNIC (per VM) and the management service with theirs."""
        hv = self._need_lab().hv
        net = hv.net
        if net is None:
            return None
        domids = _port_domids(hv)
        segments = [
            {
                "name": name,
                "counters": asdict(seg.counters),
                "ports": [
                    {
                        "name": port.name,
                        "kind": port.kind.value,
                        "domid": domids.get(port.name, -1),
                        "counters": asdict(port.counters),
                    }
                    for port in seg.ports
                ],
                "mac_table": {mac: port.name for mac, port in seg.mac_table.items()},
                "frames": net.network.packets(name, last=frames) if frames > 0 else [],
            }
            for name, seg in net.network.segments.items()
        ]
        vnics = [{"vm": hv.vms[domid].name, "domid": domid, **_nic_view(hv, domid)} for domid in net.vnics]
        mgmt = net.mgmt
        service = None
        if mgmt is not None:
            service = {
                "name": mgmt.name,
                "ip": mgmt.ip,
                "mac": mgmt.mac,
                "port": mgmt.udp_port,
                "segment": mgmt.port.segment.name if mgmt.port is not None else None,
                "queued": len(mgmt.queue),
                "sessions": len(mgmt.sessions),
                "counters": asdict(mgmt.counters),
            }
        return {"segments": segments, "vnics": vnics, "mgmt": service}

    def save_pcap(self, segment: str, path: str | Path) -> dict[str, Any]:
        """Write what `segment` captured as a pcap file (Wireshark, tshark, tcpdump -r)."""
        net = self._need_lab().hv.net
        if net is None:
            return {"ok": False, "error": "this scenario has no network"}
        if segment not in net.network.segments:
            known = ", ".join(net.network.segments)
            return {"ok": False, "error": f"no segment {segment!r} (there is {known})"}
        data = net.network.capture(segment)
        target = Path(path).expanduser()
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        except OSError as exc:
            return {"ok": False, "error": f"cannot write {target}: {exc.strerror or exc}"}
        frames = len(net.network.segments[segment].capture)
        return {"ok": True, "path": str(target.resolve()), "frames": frames, "bytes": len(data)}

    def mgmt_console(self, command: str) -> dict[str, Any]:
        """The hypervisor's own console: a management command (LIST, PAUSE vm, UNPAUSE vm,
        DESTROY vm, UNLOCK ip) that does not go over the network, so no flood can starve it."""
        lab = self._need_lab()
        net = lab.hv.net
        if net is None or net.mgmt is None:
            return {"ok": False, "error": "this scenario has no management service"}
        reply = net.console(command)
        return {"ok": reply.startswith("OK"), "reply": reply}

    def measure(self, calls: int = 1000) -> dict[str, Any]:
        """What the current hardening costs (the `measure` action a lesson's solution uses):
        the line it wrote into the trace, or {"ok": False, "error"} when it cannot measure."""
        lab = self._need_lab()
        seq = lab.hv.trace.seq
        try:
            REGISTRY["measure"].fn(lab, {"calls": int(calls)})
        except ActionError as exc:
            return {"ok": False, "error": str(exc)}
        line = next(r.describe() for r in reversed(lab.hv.trace.since(seq)) if "measured:" in r.describe())
        return {"ok": True, "summary": line}

    def grants(self) -> list[dict[str, Any]]:
        """Every VM's grant table (what it granted) and its mappings (what it mapped)."""
        hv = self._need_lab().hv
        return [{"vm": vm.name, "domid": vm.domid, **hv.grant_state(vm)} for vm in hv.vms]

    # -- policy and patches

    def policy(self) -> list[dict[str, Any]]:
        hv = self._need_lab().hv
        return [
            {
                "key": s.key,
                "group": s.group,
                "value": hv.policy[s.key],
                "kind": s.kind.__name__,
                "vulnerable": s.vulnerable,
                "hardened": s.hardened,
                "checks": s.checks,
                "mirrors": s.mirrors,
                "cost": s.cost,
            }
            for s in SWITCHES
        ]

    def set_policy(self, key: str, value: Any) -> dict[str, Any]:
        lab = self._need_lab()
        try:
            lab.hv.policy.set(key, value)
        except PolicyError as exc:
            return {"ok": False, "error": str(exc)}
        lab.hv.event(-1, "policy", f"{key} set to {lab.hv.policy[key]}")
        return {"ok": True, "key": key, "value": lab.hv.policy[key]}

    def _key(self, handler: str) -> tuple[int, int]:
        try:
            return _handler(handler, Where(Path("."), 0, [], Path(".")))
        except ValueError:
            raise SessionError(f"no hypercall handler {handler!r} (write it as EXT.function)") from None

    def patch_source(self, handler: str) -> dict[str, Any]:
        """The handler's current source, for the editor: the active patch, else the original."""
        key = self._key(handler)
        active = self._need_lab().hv.patches.get(key)
        fn = lookup(*key)
        assert fn is not None
        source = active.source if active else _editable_source(fn.handler)
        return {
            "handler": handler,
            "source": source,
            "patched": active is not None,
            "params": list(fn.params),
        }

    def apply_patch(self, handler: str, source: str) -> dict[str, Any]:
        eid, fid = self._key(handler)
        try:
            self._need_lab().hv.apply_patch(eid, fid, source)
        except PatchError as exc:
            return {"ok": False, "error": str(exc), "line": exc.line}
        return {"ok": True, "handler": handler}

    def revert_patch(self, handler: str) -> dict[str, Any]:
        eid, fid = self._key(handler)
        self._need_lab().hv.revert_patch(eid, fid)
        return {"ok": True, "handler": handler}

    def handlers(self) -> list[str]:
        """Every hypercall handler a patch can replace, as `ext.function` (the editor's list)."""
        from lab.hv.hypercalls import load_extensions

        return [
            f"{ext.name.lower()}.{fn.name}"
            for ext in load_extensions().values()
            for fn in ext.functions.values()
        ]

    # -- VMs and guest programs

    def vm_control(self, vm: str | int, action: str) -> dict[str, Any]:
        """Pause, unpause, reboot or destroy one VM, as the hypervisor's own console does."""
        hv = self._need_lab().hv
        try:
            target = hv.vm(vm)
        except KeyError:
            raise SessionError(f"no VM {vm!r}") from None
        if target.destroyed:
            return {"ok": False, "error": f"{target.name} is destroyed"}
        if action == "pause":
            hv.pause(target, "paused from the console")
        elif action == "unpause":
            hv.unpause(target, "unpaused from the console")
        elif action == "reboot":
            hv.reboot(target, "rebooted from the console")
        elif action == "destroy":
            hv.destroy(target, "destroyed from the console")
        else:
            raise SessionError(f"no VM action {action!r} (pause, unpause, reboot, destroy)")
        state = "destroyed" if target.destroyed else target.state.label
        return {"ok": True, "vm": target.name, "state": state}

    def assemble(self, source: str, *, filename: str = "editor.S") -> dict[str, Any]:
        """Assemble editor text: its size, or every error with its line and column."""
        from lab.asm import AsmError

        try:
            image = _assemble_editor(source, filename)
        except AsmError as exc:
            return {"ok": False, "errors": _editor_errors(exc)}
        return {"ok": True, "size": len(image.data), "entry": image.entry, "errors": []}

    def load_source(self, vm: str | int, source: str, *, filename: str = "editor.S") -> dict[str, Any]:
        """Assemble editor text and boot it in `vm` (what the lesson action `load` does with a file)."""
        from lab.asm import AsmError
        from lab.program import Program, Segment

        hv = self._need_lab().hv
        try:
            target = hv.vm(vm)
        except KeyError:
            raise SessionError(f"no VM {vm!r}") from None
        try:
            image = _assemble_editor(source, filename)
        except AsmError as exc:
            return {"ok": False, "errors": _editor_errors(exc)}
        program = Program(
            filename, [Segment(image.base, image.data, len(image.data))], image.entry, image.symbols
        )
        try:
            hv.load(target, program)
        except ValueError as exc:  # e.g. the program does not fit the VM's RAM
            return {"ok": False, "errors": [{"line": 0, "col": 0, "message": str(exc)}]}
        return {"ok": True, "size": len(image.data), "entry": image.entry, "errors": [], "vm": target.name}

    # -- the lesson's steps

    def evaluate(self, *, attempt: bool = True) -> dict[str, Any]:
        """Evaluate the current step's checks; when all hold, mark it done and go on.

        `attempt` says the student asked (typed a command, flipped a switch, pressed
        "check"): only those count as attempts in the progress when the step is not
        done yet. A front end's own periodic evaluation while guests run passes False."""
        lab = self._need_lab()
        lesson = self.lesson
        assert lesson is not None
        index = lab.step_index
        if index >= len(lesson.steps):
            return {"step": index, "checks": [], "done": True, "advanced": False, "finished": True}
        self.last_results = lab.results(lesson.steps[index].all_checks)
        done = all(r.ok for r in self.last_results)
        result = {"step": index, "checks": [r.to_dict() for r in self.last_results], "done": done}
        sp = self._progress.step(lesson.id, index)
        if not done:
            if attempt:
                sp.attempts += 1
                self._save()
            return {**result, "advanced": False, "finished": False}
        sp.done, sp.finished = True, self.clock()
        finished = index + 1 >= len(lesson.steps)
        lp = self._progress.lesson(lesson.id)
        if finished:
            lp.finished = lp.finished or self.clock()
            lp.current = index
            self._save()
        else:
            lab.begin_step(index + 1)
            self._begin(index + 1)
        return {**result, "advanced": not finished, "finished": finished}

    def hint(self) -> dict[str, Any]:
        """Reveal the next hint of the current step (the last one again when all are out)."""
        lab = self._need_lab()
        assert self.lesson is not None
        hints = self.lesson.steps[lab.step_index].hints
        if not hints:
            return {"index": -1, "text": "", "html": "", "left": 0}
        sp = self._progress.step(self.lesson.id, lab.step_index)
        shown = min(sp.hints + 1, len(hints))
        sp.hints = shown
        self._save()
        return self._hint_view(hints, shown - 1)

    def hints_shown(self) -> list[dict[str, Any]]:
        """The current step's hints the student has revealed, as `hint` gave them: what a
        front end shows again after a reload or when the lesson resumes."""
        lab = self._need_lab()
        assert self.lesson is not None
        if lab.step_index >= len(self.lesson.steps):
            return []
        hints = self.lesson.steps[lab.step_index].hints
        shown = min(self._progress.step(self.lesson.id, lab.step_index).hints, len(hints))
        return [self._hint_view(hints, i) for i in range(shown)]

    def _hint_view(self, hints: list[str], index: int) -> dict[str, Any]:
        text = self._fill(hints[index])
        return {"index": index, "text": text, "html": render(text), "left": len(hints) - index - 1}

    def reset_step(self) -> dict[str, Any]:
        self._need_lab().reset_step()
        self.running = False
        self.last_results = []
        return self.state()

    def reset_lesson(self) -> dict[str, Any]:
        lab = self._need_lab()
        lab.reset_lesson()
        self.running = False
        self._begin(0)
        return self.state()

    # -- progress

    def progress(self) -> dict[str, Any]:
        return self._progress.to_dict()

    def load_progress(self, data: dict[str, Any]) -> dict[str, Any]:
        try:
            progress = progress_io.Progress.from_dict(data)
        except progress_io.ProgressError as exc:
            return {"ok": False, "error": str(exc)}
        if self._seed == STUDENT and progress.seed is None:
            progress.seed = self._progress.seed  # older files carry no seed: keep this one
        self._progress = progress
        self._save()
        return {"ok": True}

    def _save(self) -> None:
        if self.progress_path is not None:
            progress_io.save_atomic(self.progress_path, self._progress.to_dict())


def _assemble_editor(source: str, filename: str) -> Image:
    """Editor text assembled as a guest file is: `.include "lib/sbi.S"` finds the guest library."""
    from lab.asm import assemble
    from lab.program import INCLUDE_DIRS

    return assemble(source, filename=filename, include_dirs=INCLUDE_DIRS)


def _editor_errors(exc: AsmError) -> list[dict[str, Any]]:
    """The errors at the editor's lines: one in an included file is marked at its `.include`."""
    out = []
    for d in exc.diagnostics:
        if d.included_from:
            out.append({"line": d.main_line, "col": 1, "message": f"{d.file}:{d.line}: {d.message}"})
        else:
            out.append({"line": d.line, "col": d.col, "message": d.message})
    return out


def _editable_source(handler: Callable[..., Any]) -> str:
    """A handler's source as a patch that runs as it stands: decorators dropped, and
    an import line for the module-level names it uses (constants, helpers)."""
    lines = textwrap.dedent(inspect.getsource(handler)).splitlines(keepends=True)
    while lines and lines[0].lstrip().startswith("@"):
        lines.pop(0)
    module = inspect.getmodule(handler)
    names = sorted(
        n
        for n in handler.__code__.co_names
        if module is not None and n in vars(module) and n != handler.__name__
    )
    head = f"from {module.__name__} import {', '.join(names)}\n\n\n" if module is not None and names else ""
    return head + "".join(lines)


def _handler_name(key: tuple[int, int]) -> str:
    fn = lookup(*key)
    if fn is None:
        return f"{key[0]:#x}.{key[1]}"
    from lab.hv.hypercalls import EXTENSIONS

    return f"{EXTENSIONS[fn.eid].name.lower()}.{fn.name}"


# ------------------------------------------------------------------ the timeline


@lru_cache(maxsize=4096)
def _disassemble(word: int, pc: int) -> str:
    return disassemble_word(word, pc).replace("\t", " ")


@dataclass(slots=True)
class _Entry:
    """One timeline item as kept: the record or frame itself, turned into a dict on demand
    (a hypercall flood adds thousands a second; only what is read pays for the dict)."""

    seq: int
    record: Record | None = None
    frame: CapturedFrame | None = None
    segment: str = ""
    code: bytes = b""  # the guest's words up to and including the ecall
    code_pc: int = 0  # the address of code[0]

    def to_dict(self, port_domids: dict[str, int]) -> dict[str, Any]:
        if self.frame is not None:
            c = self.frame
            return {
                "seq": self.seq,
                "time": c.time,
                "kind": "frame",
                "domid": port_domids.get(c.port, -1),
                "segment": self.segment,
                "port": c.port,
                "len": len(c.frame),
                "text": describe(c.frame),
            }
        assert self.record is not None
        item = self.record.to_dict()
        item["seq"] = self.seq
        item["line"] = item["text"]  # both record kinds put describe() there; `trace` calls it "line"
        if isinstance(self.record, HypercallRecord):
            pc = self.record.pc
            item["code"] = [
                {"pc": at, "word": word, "text": _disassemble(word, at), "ecall": at == pc}
                for at, (word,) in zip(
                    range(self.code_pc, self.code_pc + len(self.code), 4),
                    struct.iter_unpack("<I", self.code),
                    strict=True,
                )
            ]
        return item


@dataclass(slots=True)
class _Timeline:
    """The merged view, built incrementally from the trace and the segments' captures.

    Frames carry no sequence number of their own, but every captured frame counted
    once in its ingress port's rx_frames, so the sum over a segment's ports says how
    many it ever captured: the difference since the last look is what is new.
    """

    entries: deque[_Entry] = field(default_factory=lambda: deque(maxlen=TIMELINE_KEEP))
    seq: int = 0
    epoch: int = 0
    hv: Hypervisor | None = None
    time: int = 0
    trace_seq: int = 0
    frames: dict[str, int] = field(default_factory=dict)  # segment -> frames captured so far

    def sync(self, hv: Hypervisor) -> _Timeline:
        segments = hv.net.network.segments if hv.net is not None else {}
        totals = {name: sum(p.counters.rx_frames for p in seg.ports) for name, seg in segments.items()}
        rewound = (
            hv is not self.hv
            or hv.time < self.time
            or hv.trace.seq < self.trace_seq
            or any(totals.get(name, 0) < n for name, n in self.frames.items())
        )
        if rewound:
            self.entries.clear()
            self.seq, self.trace_seq, self.frames = 0, 0, {}
            self.epoch += 1
            self.hv = hv
        # (a trace record, "") or (a captured frame, its segment)
        fresh: list[tuple[Any, str]] = [(r, "") for r in hv.trace.since(self.trace_seq)]
        captured: list[tuple[Any, str]] = []
        for name, total in totals.items():
            new = total - self.frames.get(name, 0)
            if new > 0:
                last = list(itertools.islice(reversed(segments[name].capture), new))
                captured.extend((c, name) for c in reversed(last))
        if captured:
            # At the same time, a trace event goes first: a NET send's record before its frame.
            fresh.extend(captured)
            fresh.sort(key=lambda item: (item[0].time, 1 if item[1] else 0))
        skipped = max(0, len(fresh) - TIMELINE_KEEP)  # they would fall off the deque at once
        self.seq += skipped
        seq, append = self.seq, self.entries.append
        code: dict[tuple[int, int], tuple[bytes, int]] = {}  # a loop calls from one pc thousands of times
        for obj, segment in fresh[skipped:] if skipped else fresh:
            seq += 1
            if segment:
                append(_Entry(seq, None, obj, segment))
            elif type(obj) is HypercallRecord:
                key = (obj.domid, obj.pc)
                words = code.get(key)
                if words is None:
                    words = code[key] = _code_before(hv, obj)
                append(_Entry(seq, obj, None, "", *words))
            else:
                append(_Entry(seq, obj))
        self.seq = seq
        self.time, self.trace_seq, self.frames = hv.time, hv.trace.seq, totals
        return self


def _code_before(hv: Hypervisor, record: HypercallRecord) -> tuple[bytes, int]:
    """The LEAD_IN words before the ecall and the ecall, from the caller's RAM (none outside it)."""
    if not 0 <= record.domid < len(hv.vms):
        return b"", 0
    vm = hv.vms[record.domid]
    pc = record.pc
    if not RAM_BASE <= pc <= RAM_BASE + vm.ram_size - 4 or pc & 3:
        return b"", 0
    start = max(RAM_BASE, pc - 4 * LEAD_IN)
    return hv.mem.read(vm.ram_host + start - RAM_BASE, pc + 4 - start), start


def _port_domids(hv: Hypervisor) -> dict[str, int]:
    """Switch port name -> the domid of the VM behind it (vNIC ports are named after their VM)."""
    if hv.net is None:
        return {}
    return {nic.name: domid for domid, nic in hv.net.vnics.items()}


def _nic_view(hv: Hypervisor, domid: int) -> dict[str, Any] | None:
    """A VM's vNIC: where it sits, its addresses and counters; None when it has no NIC."""
    nic = hv.net.vnics.get(domid) if hv.net is not None else None
    if nic is None:
        return None
    return {
        "segment": nic.port.segment.name if nic.port is not None else None,
        "mac": nic.mac,
        "ip": nic.ip,
        "pending": nic.pending,
        "counters": asdict(nic.counters),
    }


def _disk_view(vm: Any) -> dict[str, Any] | None:
    """A VM's virtual disk: its size in bytes and its I/O counters; None when it has none."""
    if vm.disk is None:
        return None
    return {"size": vm.disk.size, **vm.disk.counters()}
