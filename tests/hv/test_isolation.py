"""Isolation, as a property: under the hardened policy no sequence of hypercalls
from a tenant touches a host byte outside the tenant's own memory (its RAM and
the grant pages mapped into it) and the hypervisor's own bookkeeping (grant
tables, the control-domain record, the ring backend's buffer), raises out of
the hypervisor, or changes another VM.

Each call goes through the real dispatch path (registers a0-a7 of the
tenant's vCPU, then `dispatch`, exactly what follows an ecall trap). Host
memory is watched two ways: every read and write the hypervisor makes is
logged, and a shadow copy of host memory is compared after each call.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lab.hv import VmState
from lab.hv.hypercalls import dispatch, load_extensions
from lab.hv.memory import HV_REGION_SIZE, HostMemory, HvLayout
from lab.hv.vm import RAM_BASE
from tests.hv.conftest import make_hv

RAM = 64 << 10
EIDS = sorted(load_extensions())


def addresses() -> st.SearchStrategy[int]:
    edges = [0, 1, 0x1000, RAM_BASE - 4, RAM_BASE, RAM_BASE + RAM - 16, RAM_BASE + RAM, RAM_BASE + 2 * RAM,
             0x9000_0000, 0xFFFF_FFF0, 0xFFFF_FFFF]  # fmt: skip
    return st.one_of(
        st.sampled_from(edges),
        st.integers(RAM_BASE - 0x10000, RAM_BASE + 3 * RAM),
        st.integers(0, 0xFFFF_FFFF),
    )


def argument() -> st.SearchStrategy[int]:
    return st.one_of(st.integers(0, 12), st.sampled_from([16, 64, 4096, 4097, 1 << 20]), addresses())


random_call = st.tuples(
    st.one_of(st.sampled_from(EIDS), st.integers(0, 0xFFFF_FFFF)),
    st.one_of(st.integers(0, 8), st.integers(0, 0xFFFF_FFFF)),
    st.lists(argument(), min_size=6, max_size=6),
    st.sampled_from([1, 2]),  # which tenant calls
)


def aimed(eid: int, fids: list[int], *args: st.SearchStrategy[int]) -> st.SearchStrategy:
    """Calls that get past the argument checks often enough to reach the interesting code."""
    rest = st.lists(argument(), min_size=6 - len(args), max_size=6 - len(args))
    return st.tuples(
        st.just(eid),
        st.sampled_from(fids),
        st.tuples(*args, rest).map(lambda t: [*t[:-1], *t[-1]]),
        st.sampled_from([1, 2]),
    )


page = st.integers(0, 15).map(lambda k: RAM_BASE + k * 4096)
window = st.integers(0, 3).map(lambda k: 0x9000_0000 + k * 4096)
domid = st.integers(0, 3)
small = st.integers(0, 12)
ref = st.integers(0, 2)
call = st.one_of(
    random_call,
    aimed(0x0900_0005, [1, 2], small, st.integers(0, 9), page),  # BLK read/write(sector, count, gpa)
    aimed(0x0900_0002, [0], page, domid, st.integers(0, 1)),  # GNTTAB grant_access(gpa, domid, flags)
    aimed(0x0900_0002, [2], domid, ref, window, st.integers(0, 1)),  # GNTTAB map(domid, ref, gpa, flags)
    aimed(0x0900_0002, [1], ref),  # end_access(ref)
    aimed(0x0900_0002, [3], window),  # unmap(gpa)
    aimed(0x0900_0003, [0], domid, page, st.integers(0, 300)),  # DGRAM send(domid, gpa, len)
    aimed(0x0900_0001, [2, 3, 4, 5, 6, 7], domid, page, st.integers(0, 5000), page),  # VMCTL
)


class WatchedMemory:
    """Logs every host range the hypervisor reads or writes (HostMemory has
    slots, so the class's methods are wrapped, for the duration of a `with`)."""

    def __init__(self) -> None:
        self.reads: list[tuple[int, int]] = []
        self.writes: list[tuple[int, int]] = []

    def __enter__(self) -> WatchedMemory:
        self._read, self._write = HostMemory.read, HostMemory.write
        watch = self

        def logged_read(mem: HostMemory, off: int, size: int) -> bytes:
            watch.reads.append((off, size))
            return watch._read(mem, off, size)

        def logged_write(mem: HostMemory, off: int, data) -> None:
            watch.writes.append((off, len(data)))
            watch._write(mem, off, data)

        HostMemory.read = logged_read  # type: ignore[method-assign]
        HostMemory.write = logged_write  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        HostMemory.read = self._read  # type: ignore[method-assign]
        HostMemory.write = self._write  # type: ignore[method-assign]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(call, min_size=4, max_size=16))
def test_hardened_tenants_stay_inside_their_own_memory(calls):
    hv = make_hv("interp", "hardened", vms=4, disk=8 * 512)
    for vm in hv.vms:  # each disk full of its owner's name, to spot a cross-disk read
        hv.disks.write(vm.disk.first, f"DISK-OF-dom{vm.domid} ".encode() * 256)
    hv.vms[3].uart.feed(b"input for the console")
    hv.vms[1].uart.feed(b"tenant input")
    with WatchedMemory() as watch:
        for eid, fid, args, caller_id in calls:
            check_one_call(hv, watch, eid, fid, args, hv.vms[caller_id])


BOOKKEEPING = [
    (HvLayout.RING_BUFFER, HvLayout.CONTROL_DOMID + 4),  # the backend's buffer, the control record
    (HvLayout.GRANT_TABLES, HV_REGION_SIZE),
]


def allowed_ranges(hv, caller) -> list[tuple[int, int]]:
    ranges = [(caller.ram_host, caller.ram_host + caller.ram_size), *BOOKKEEPING]
    ranges += [  # grant pages mapped into the caller, if the grant really names it
        (m.host_off, m.host_off + 4096)
        for m in hv.grants.mappings
        if m.grantee == caller.domid and hv.grants.entry(m.granter, m.ref).domid == caller.domid
    ]
    return ranges


def check_one_call(hv, watch: WatchedMemory, eid: int, fid: int, args: list[int], caller) -> None:
    others = [vm for vm in hv.vms if vm is not caller]
    before = [(vm.state, vm.destroyed, vm.exit_code, vm.boots) for vm in others]
    allowed = allowed_ranges(hv, caller)
    shadow = bytes(hv.mem.buf)
    store = bytes(hv.disks.data)
    watch.reads.clear()
    watch.writes.clear()
    cpu = caller.cpu
    cpu.set_reg(17, eid)
    cpu.set_reg(16, fid)
    for i, a in enumerate(args):
        cpu.set_reg(10 + i, a)
    dispatch(hv, caller, RAM_BASE)  # must not raise
    allowed += allowed_ranges(hv, caller)
    for off, size in watch.reads + watch.writes:
        assert any(lo <= off and off + size <= hi for lo, hi in allowed), (
            f"host access [{off:#x}, {off + size:#x}) outside {caller.label}'s memory"
        )
    now = bytearray(hv.mem.buf)
    was = bytearray(shadow)
    for lo, hi in allowed:  # blank out what may change, compare the rest
        now[lo:hi] = was[lo:hi] = bytes(hi - lo)
    assert now == was, "host memory changed outside the caller's memory"
    for m in hv.grants.mappings:  # every mapping is backed by a live grant that allows it
        entry = hv.grants.entry(m.granter, m.ref)
        assert entry.in_use and entry.domid == m.grantee, f"{m} is not backed by a grant to its grantee"
        assert not (m.writable and entry.readonly), f"{m} is a writable mapping of a read-only grant"
    ram = hv.mem.read(caller.ram_host, caller.ram_size)
    for other in others:
        assert f"DISK-OF-dom{other.domid}".encode() not in ram, f"{other.label}'s disk was read"
    disk = caller.disk  # the backing store: only the caller's own disk may change
    lo, hi = disk.first * 512, (disk.first + disk.sectors) * 512
    after = bytes(hv.disks.data)
    assert after[:lo] == store[:lo] and after[hi:] == store[hi:], "another VM's disk changed"
    assert [(vm.state, vm.destroyed, vm.exit_code, vm.boots) for vm in others] == before
    assert all(vm.state is not VmState.FAULTED for vm in hv.vms)
