"""The hypervisor: host memory, the VMs, the scheduler, hypercalls, policy, trace.

    hv = Hypervisor(backend="interp", policy=Policy.preset("hardened"))
    tenant = hv.create_vm(VmConfig("tenant", program=load_program("monitor.S")))
    hv.feed(tenant.domid, b"vms\\n")
    hv.run(1_000_000)                # instructions, across all vCPUs
    print(tenant.console_text())

`run` schedules the vCPUs (lab.hv.scheduler) and handles whatever stops
them: an `ecall` is dispatched through the hypercall table
(lab.hv.hypercalls; one from the guest's user mode may be the guest kernel's
instead, `hypercalls.user_ecall`), `wfi` parks the vCPU until an event for it, `ebreak`
pauses the VM for the debugger, and a fault stops that VM alone, recording
the fault. A guest can never make this loop raise: guest errors are values.
"""

from __future__ import annotations

import struct
import sys
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any, Final

from lab.cpu import Stop
from lab.cpu.base import Privilege
from lab.hv import hypercalls
from lab.hv.devices.blk import SECTOR, BackingStore, DiskError
from lab.hv.devices.dgram import Channel, run_backend
from lab.hv.devices.gnttab import TABLE_BYTES, GrantTables, Mapping
from lab.hv.devices.net import NetDevices
from lab.hv.hypercalls import Function, dispatch, user_ecall
from lab.hv.memory import HV_REGION_SIZE, HostMemory, HvLayout
from lab.hv.patch import PatchError, PatchTable
from lab.hv.policy import Policy
from lab.hv.scheduler import DEFAULT_QUANTUM, Scheduler
from lab.hv.trace import Event, Trace
from lab.hv.vm import Vm, VmConfig, VmState
from lab.riscv.program import Program
from lab.trace_messages import (
    BREAKPOINT,
    DESTROYED,
    GONE,
    GRANT_MAPPED,
    GRANT_UNMAPPED,
    LEAK_OUTSIDE,
    LEAK_UNCHECKED,
    LOADED,
    PATCH_APPLIED,
    PATCH_FAILED,
    PATCH_RESTORED,
    PAUSED,
    REBOOTED,
    SHUT_DOWN_WITH,
    UNPAUSED,
    VM_CREATED,
    VM_CREATED_CONTROL,
    VM_DESTROYED,
    VM_REBOOTED,
    VM_STATE,
    EventKind,
    Line,
)

DEFAULT_HOST_MEMORY: Final = 32 << 20
DEFAULT_SECRET: Final = b"HVLAB{hypervisor-region-secret}"
NO_CONTROL: Final = 0xFFFF_FFFF
MAX_VMS: Final = (HV_REGION_SIZE - HvLayout.GRANT_TABLES) // TABLE_BYTES  # the grant tables' room: 120
_U32: Final = struct.Struct("<I")
_USER: Final = Privilege.USER


class Idle(Enum):
    """Why `run` returned before spending its budget."""

    BUDGET = "budget"  # spent it all
    IDLE = "idle"  # every live vCPU waits for an event (wfi)
    STOPPED = "stopped"  # no VM is running any more (all halted, faulted, paused or destroyed)


@dataclass(frozen=True, slots=True)
class RunSummary:
    retired: int
    reason: Idle


class NoSuchVm(KeyError):
    def __str__(self) -> str:
        return f"no VM {self.args[0]!r}"


class Hypervisor:
    def __init__(
        self,
        *,
        backend: str = "interp",
        policy: Policy | None = None,
        host_memory: int = DEFAULT_HOST_MEMORY,
        quantum: int = DEFAULT_QUANTUM,
        secret: bytes = DEFAULT_SECRET,
        disk_capacity: int = 4 << 20,
        disk_bandwidth: int = 0,
    ) -> None:
        hypercalls.load_extensions()
        self.backend = backend
        self.policy = policy if policy is not None else Policy.preset("vulnerable")
        self.mem = HostMemory(max(host_memory, HV_REGION_SIZE + 4096))
        self.mem.set_secret(secret)
        self.mem.write(HvLayout.CONTROL_DOMID, NO_CONTROL.to_bytes(4, "little"))
        # That word of the region as a native-endian view: every privileged hypercall
        # reads it (`hypercall.authorize`), and a view reads it fastest (little-endian hosts).
        at = HvLayout.CONTROL_DOMID
        self._control_word = (
            memoryview(self.mem.buf)[at : at + 4].cast("I") if sys.byteorder == "little" else None
        )
        self.grants = GrantTables(self.mem, MAX_VMS)
        self.channel = Channel()
        self.net: NetDevices | None = None  # the virtual network, if the scenario has one
        self.disk_capacity = disk_capacity
        self.disk_bandwidth = disk_bandwidth  # sectors per 100,000 instructions, all disks (0: unlimited)
        self.disks: BackingStore | None = None  # created with the first VM that has a disk
        self.vms: list[Vm] = []
        self.scheduler = Scheduler(quantum)
        self.trace = Trace()
        self.patches = PatchTable()
        self.time = 0  # instructions retired by all vCPUs
        self._replan = False  # a hypercall scheduled a device step: end the vCPU's run there
        # Bumped by every change of a VM's state (and by patched handlers, which may do
        # anything): the hypercall path asks a VM whether it can run on only when it moved.
        self.state_changes = 0
        # Set by a handler that needs the run loop to look before its vCPU runs on: the
        # hypervisor work it did (`spend`), its continuation (`continue_call`), a timer.
        self._leave = False
        self._spent = 0
        self._continuation: tuple[int, ...] | None = None
        self.on_output: Callable[[Vm, bytes], None] | None = None

    # -- VMs

    def create_vm(self, config: VmConfig) -> Vm:
        if len(self.vms) >= self.grants.max_domains:
            raise ValueError(f"at most {self.grants.max_domains} VMs")
        if config.control and self.control_domid != NO_CONTROL:
            raise ValueError(f"{config.name}: there is already a control domain (dom{self.control_domid})")
        disk = None
        if config.disk:
            if self.disks is None:
                self.disks = BackingStore(-(-self.disk_capacity // SECTOR), bandwidth=self.disk_bandwidth)
            try:
                disk = self.disks.alloc(config.disk, f"dom{len(self.vms)} ({config.name})")
            except DiskError as exc:
                raise ValueError(str(exc)) from None
        vm = Vm.create(len(self.vms), config, self.mem, backend=self.backend, on_output=self._output)
        vm.disk = disk
        self.vms.append(vm)
        if config.control:
            self.mem.write(HvLayout.CONTROL_DOMID, vm.domid.to_bytes(4, "little"))
        created = VM_CREATED_CONTROL if vm.control else VM_CREATED
        self.event(vm.domid, created(vm=vm.label, kib=config.memory // 1024, weight=vm.weight))
        return vm

    @property
    def control_domid(self) -> int:
        """The control domain, as the hypervisor's own records say (in its region)."""
        if self._control_word is not None:
            return self._control_word[0]
        return _U32.unpack_from(self.mem.buf, HvLayout.CONTROL_DOMID)[0]  # pragma: no cover - big-endian

    def _output(self, vm: Vm, data: bytes) -> None:
        if self.on_output is not None:
            self.on_output(vm, data)

    def vm(self, ref: int | str) -> Vm:
        """A VM by domid or name."""
        for vm in self.vms:
            if vm.domid == ref or vm.name == ref:
                return vm
        if isinstance(ref, str) and ref.isdigit():
            return self.vm(int(ref))
        raise NoSuchVm(ref)

    def live(self, domid: int) -> Vm | None:
        """The VM with this domid unless it does not exist or was destroyed."""
        if 0 <= domid < len(self.vms) and not self.vms[domid].destroyed:
            return self.vms[domid]
        return None

    # A `why` is one of the trace's reasons for it (lab.trace_messages, filled in).

    def set_state(self, vm: Vm, state: VmState, why: str) -> None:
        self.state_changes += 1
        vm.state = state
        if state is not VmState.RUNNING:
            vm.waiting = False
        self.event(vm.domid, VM_STATE(vm=vm.label, state=state.label, why=why))

    def pause(self, vm: Vm, why: str = PAUSED()) -> None:
        self.set_state(vm, VmState.PAUSED, why)

    def unpause(self, vm: Vm, why: str = UNPAUSED()) -> None:
        self.set_state(vm, VmState.RUNNING, why)

    def destroy(self, vm: Vm, why: str = DESTROYED()) -> None:
        """Stop the VM for good and scrub its RAM (freed memory never leaks)."""
        self.state_changes += 1
        vm.destroyed = True
        vm.state = VmState.HALTED
        vm.waiting = False
        self._release(vm, why)
        self.mem.fill(vm.ram_host, vm.ram_size, 0)
        self.event(vm.domid, VM_DESTROYED(vm=vm.label, why=why))

    def shutdown(self, vm: Vm, code: int) -> None:
        vm.exit_code = code
        self.set_state(vm, VmState.HALTED, SHUT_DOWN_WITH(code=code))

    def reboot(self, vm: Vm, why: str = REBOOTED()) -> None:
        self._release(vm, why)
        vm.boot()
        vm.boots += 1
        vm.destroyed = False
        self.event(vm.domid, VM_REBOOTED(vm=vm.label, why=why))

    def _release(self, vm: Vm, why: str) -> None:
        """A VM goes away or restarts: tear down grants from and to it, drop its channel state."""
        self.scheduler.set_timer(vm.domid, None)
        for m in [m for m in self.grants.mappings if vm.domid in (m.grantee, m.granter)]:
            self.unmap_grant(m, why=GONE(vm=vm.label, why=why))
        self.grants.clear(vm.domid)
        self.channel.forget(vm.domid)

    # -- grants

    def map_grant(self, mapping: Mapping) -> None:
        grantee, granter = self.vms[mapping.grantee], self.vms[mapping.granter]
        grantee.bus.map_page(mapping.gpa, mapping.host_off, writable=mapping.writable)
        self.grants.mappings.append(mapping)
        self.grants.sync_status(mapping.granter, mapping.ref)
        mode = "read-write" if mapping.writable else "read-only"
        self.event(
            grantee.domid,
            GRANT_MAPPED(
                grantee=grantee.label, granter=granter.label, ref=mapping.ref, gpa=mapping.gpa, mode=mode
            ),
        )

    def unmap_grant(self, mapping: Mapping, *, why: str) -> None:
        grantee = self.vms[mapping.grantee]
        grantee.bus.unmap_page(mapping.gpa)
        self.grants.mappings.remove(mapping)
        self.grants.sync_status(mapping.granter, mapping.ref)
        self.event(grantee.domid, GRANT_UNMAPPED(gpa=mapping.gpa, vm=grantee.label, why=why))

    def load(self, vm: Vm, program: Program) -> None:
        """Replace a VM's program and boot it afresh (the student's "load VM FILE")."""
        vm.config.program = program
        self.reboot(vm, LOADED(program=program.name))

    def feed(self, ref: int | str, data: bytes) -> None:
        """Console input for a VM (wakes it if it waits in wfi)."""
        self.vm(ref).feed(data)

    # -- trace

    def event(self, domid: int, line: Line, **data: Any) -> None:
        """Add an event to the trace: `line` is one of the trace's messages, filled in
        (lab.trace_messages), which gives its kind; `data` goes into its JSON form."""
        self.trace.add(Event(self.time, domid, line.message.kind, str(line), data))

    def leak_note(self, vm: Vm, gpa: int, size: int) -> str:
        """For the trace: whose memory an unchecked access to [gpa, gpa+size) reached,
        if not only the caller's. Empty when the buffer is the caller's own."""
        if self.policy["hypercall.check_bounds"] or vm.owns(gpa, size):
            return ""  # checked (or the caller's own): nothing to point out
        others = [o for o in vm.host_span(gpa, size) if not o.startswith(f"dom{vm.domid} ")]
        if not others:
            return LEAK_OUTSIDE(gpa=gpa, end=gpa + size, vm=vm.label)
        return LEAK_UNCHECKED(gpa=gpa, end=gpa + size, owners=", ".join(others))

    def trace_net(self, time: int, kind: EventKind, text: str) -> None:
        self.trace.add(Event(time, -1, kind, text))

    def network(self) -> NetDevices:
        """The virtual network, created on first use."""
        if self.net is None:
            self.net = NetDevices(self)
        return self.net

    def note_patch_failure(self, vm: Vm, fn: Function, error: PatchError) -> None:
        self.event(vm.domid, PATCH_FAILED(handler=fn.name, error=error))

    # -- patches

    def apply_patch(self, eid: int, fid: int, source: str) -> None:
        fn = hypercalls.lookup(eid, fid)
        if fn is None:
            raise PatchError(f"no hypercall ({eid:#x}, {fid}) to patch")
        self.patches.apply(fn, source)
        self.event(-1, PATCH_APPLIED(handler=fn.name))

    def revert_patch(self, eid: int, fid: int) -> None:
        patch = self.patches.revert((eid, fid))
        if patch is not None:
            self.event(-1, PATCH_RESTORED(handler=patch.name))

    # -- running

    def replan(self) -> None:
        """A hypercall scheduled a device step (the ring backend's): the running vCPU stops
        after this call, so that `run` can end its slice when the step is due."""
        self._replan = True

    def run(self, max_instructions: int) -> RunSummary:
        """Run the VMs for up to `max_instructions` of the clock (all vCPUs together).

        The clock is instructions retired, plus hypervisor work done for a VM (`spend`)
        and time the machine sits idle until a timer is due: a run ends early only when
        every VM waits for an event no timer will bring (IDLE) or none can run (STOPPED).
        """
        budget = max_instructions
        sched = self.scheduler
        net = self.net
        vms = self.vms
        exact = self.policy["sched.exact_accounting"]
        channel = self.channel
        while budget > 0:
            vm = sched.pick(vms)
            if vm is None and channel.pending:
                run_backend(self, idle=True)  # no vCPU can run: the ring backend need not wait
                vm = sched.pick(vms)
            if vm is None and net is not None:
                net.tick()  # frames in flight may wake someone
                vm = sched.pick(vms)
            if vm is None:
                alive = any(v.state is VmState.RUNNING and not v.destroyed for v in vms)
                if not alive or not sched.timers:
                    return RunSummary(max_instructions - budget, Idle.IDLE if alive else Idle.STOPPED)
                # Idle until the next timer (or the end of the budget): the clock runs on, nobody pays.
                step = max(0, min(sched.next_timer - self.time, budget))
                budget -= step
                self._advance(None, step, exact)
                continue
            n = min(sched.bound(self.time), budget)
            if net is not None:
                n = min(n, max(1, net.next_tick - self.time))  # the network ticks on time
            due = channel.next_due()
            if due is not None:
                n = min(n, max(1, due - self.time))  # and so does the ring backend
            used = self._run_vcpu(vm, n)
            budget -= used
            sched.charge(vm, used, exact=exact)
            if not vm.runnable:
                sched.end_slice()
            due = channel.next_due()
            if due is not None and self.time >= due:
                run_backend(self)
            self._advance(vm, 0, exact)
            if net is not None and self.time >= net.next_tick:
                net.tick()
        return RunSummary(max_instructions - budget, Idle.BUDGET)

    def _advance(self, running: Vm | None, idle: int, exact: bool) -> None:
        """Move the clock on by `idle` (no VM running), then take the ticks and timers it reached."""
        sched = self.scheduler
        self.time += idle
        while self.time >= sched.next_tick:
            sched.tick(self.vms, running, exact=exact)
        if self.time >= sched.next_timer:
            for domid in sched.due(self.time):
                self.vms[domid].notify()  # the timer is an event: wfi returns

    def spend(self, vm: Vm, work: int) -> None:
        """Hypervisor work for `vm`'s hypercall: the clock moves on by `work` while its vCPU
        stays in the call, and nobody else runs meanwhile (the call is not preempted).
        Call it from a handler; `vm` is charged for it as if it had run."""
        self.time += work
        self._spent += work
        self._leave = True
        self.state_changes += 1

    def continue_call(self, vm: Vm, args: tuple[int, ...]) -> None:
        """Make the current hypercall a continuation (Xen's hypercall_create_continuation):
        once the handler returns, the guest's a0.. hold `args` and its pc is back on the
        `ecall`, so the call starts again, where it left off, the next time the vCPU runs,
        and the scheduler may run someone else first. Call it from a handler."""
        self._continuation = args
        self._leave = True
        self.state_changes += 1

    def set_timer(self, vm: Vm, deadline: int | None) -> None:
        """Wake `vm` (an event, as for `wfi`) once the clock reaches `deadline`; None: no timer."""
        self.scheduler.set_timer(vm.domid, deadline)
        self._leave = True  # the run loop must see the new deadline before anyone runs past it
        self.state_changes += 1

    def _run_vcpu(self, vm: Vm, n: int) -> int:
        """Run one vCPU for up to n instructions of the clock, handling its traps; returns
        the clock it used (instructions retired plus hypervisor work done for it).

        Hypercalls are dispatched inline, from inside the core's run (see
        `lab.cpu.base`): the core stops only when the call leaves the VM unable
        to run on (paused, halted, destroyed, waiting), or the run loop must look
        before it runs on (`spend`, `continue_call`, `set_timer`)."""
        cpu = vm.cpu
        priv = cpu.priv  # the vCPU's level: who inside the VM is calling
        done = 0
        start = self.time

        def on_ecall(pc: int, retired: int) -> bool:
            self.time = clock + retired
            if priv.mode is _USER and not user_ecall(self, vm, pc):
                return True  # the guest kernel's system call: the vCPU goes on at its stvec
            vm.hypercalls += 1
            changes = self.state_changes
            dispatch(self, vm, pc)
            return (self.state_changes == changes or (vm.runnable and not self._leave)) and not self._replan

        self._replan = False
        trace = self.trace
        while done < n and vm.runnable:
            clock = start + done  # what hypercalls during this run add their retired count to
            # At most as many instructions as the trace has room for hypercalls (lab.hv.trace).
            result = cpu.run(min(n - done, trace.room()), on_ecall=on_ecall)
            done += result.retired
            stop = result.stop
            if self._leave:
                self._leave = False
                done += self._spent
                self._spent = 0
                self.time = start + done
                args = self._continuation
                if args is not None:
                    self._continuation = None
                    regs = vm.regs
                    for i, value in enumerate(args):
                        regs[10 + i] = value & 0xFFFFFFFF
                    cpu.pc = result.pc  # back on the ecall: the call resumes when the vCPU runs again
                if stop is Stop.ECALL:
                    break  # the run loop looks at the clock (ticks, timers) before it runs on
            self.time = start + done
            if stop is Stop.BUDGET:
                break
            if stop is Stop.ECALL:
                if self._replan:  # a device step is due before n: `run` plans the slice again
                    self._replan = False
                    break
                continue  # handled inline; the call left the VM unable to run on
            if stop is Stop.WFI:
                if vm.wake_pending:
                    vm.wake_pending = False  # an event came since the guest last looked
                else:
                    vm.waiting = True
            elif stop is Stop.EBREAK:
                self.set_state(vm, VmState.PAUSED, BREAKPOINT(pc=result.pc))
            elif stop is Stop.FAULT:
                assert result.fault is not None
                vm.fault = result.fault
                self.set_state(vm, VmState.FAULTED, result.fault.describe())
        return done
