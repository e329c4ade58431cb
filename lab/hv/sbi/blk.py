"""The virtual disk (hvlab's BLK, EID 0x0900_0005): sectors in and out of guest memory.

    info()                      -> a1 = the disk's size in 512-byte sectors
    read(sector, count, gpa)    -> a1 = sectors read into guest memory at gpa
    write(sector, count, gpa)   -> a1 = sectors written from guest memory at gpa
    zero(sector, count)         -> a1 = 0 once sectors [sector, sector+count) are zero

A request moves at most MAX_SECTORS sectors. Two things must be checked: the
guest buffer [gpa, gpa + count * 512) is the caller's memory
(`hypercall.check_bounds`, as for every hypercall) and the sector range
[sector, sector + count) is the caller's disk (`blk.check_range`; the
vulnerable handler checks only `sector`). `blk.rate_limit` throttles: a
request over budget moves nothing (a1 = 0) and the guest tries again later;
so does one that finds the shared store's bandwidth spent (lab/hv/devices/blk.py).

`zero` is the one call with no upper bound on `count` (a guest wiping its
disk, as virtio-blk's WRITE_ZEROES does), and the hypervisor does the work
itself, ZERO_COST instructions of the clock per sector, while the caller's
vCPU waits in the call. Done in one go it holds the CPU for as long as the
caller likes (XSA-380); with `hypercall.preemptible` it zeroes MAX_SECTORS
per entry and continues the call later (`Hypervisor.continue_call`).
"""

from __future__ import annotations

from typing import Final

from lab.hv.devices.blk import RATE_PERIOD, SECTOR
from lab.hv.hypercalls import SbiError, SbiRet, extension
from lab.net.ratelimit import RateLimiter, Reduction, token_bucket
from lab.trace_messages import (
    BAD_COUNT,
    BUFFER_NOT_YOURS,
    DISK_BUSY,
    NO_DISK,
    RANGE_PAST_END,
    RANGE_UNCHECKED,
    SECTOR_PAST_END,
    THROTTLED,
    ZERO_DONE,
    ZERO_PREEMPTED,
    ZERO_RANGE,
)

MAX_SECTORS: Final = 8  # 4 KiB per request
ZERO_COST: Final = 512  # instructions of the clock the hypervisor spends zeroing one sector

BLK = extension(0x0900_0005, "BLK", "Virtual disk", __doc__ or "", standard=False)


def _no_disk(vm) -> SbiRet:
    return SbiRet.fail(SbiError.NOT_SUPPORTED, NO_DISK(vm=vm.label))


def _check(hv, vm, sector, count, gpa, *, write: bool) -> SbiRet | None:
    """The checks every transfer makes; None when the request may go ahead."""
    disk = vm.disk
    if count == 0 or count > MAX_SECTORS:
        return SbiRet.fail(SbiError.INVALID_PARAM, BAD_COUNT(count=count, limit=MAX_SECTORS))
    if sector >= disk.sectors:
        return SbiRet.fail(SbiError.INVALID_PARAM, SECTOR_PAST_END(sector=sector, vm=vm.label))
    if hv.policy["blk.check_range"] and sector + count > disk.sectors:
        why = RANGE_PAST_END(first=sector, after=sector + count, vm=vm.label, sectors=disk.sectors)
        return SbiRet.fail(SbiError.INVALID_PARAM, why)
    size = count * SECTOR
    if hv.policy["hypercall.check_bounds"] and not vm.owns(gpa, size, write=not write):
        return SbiRet.fail(SbiError.INVALID_ADDRESS, BUFFER_NOT_YOURS(gpa=gpa, end=gpa + size, vm=vm.label))
    limit = hv.policy["blk.rate_limit"]
    if limit:
        # One bucket, counting sectors (the limiter's size-weighted bucket; no per-request one).
        if vm.disk_limiter is None or vm.disk_limiter.bytes.size != limit:  # type: ignore[union-attr]
            vm.disk_limiter = RateLimiter(bytes=token_bucket(limit, 0, RATE_PERIOD, now=hv.time))
        if not vm.disk_limiter.consume(count, hv.time):
            return SbiRet.ok(0, THROTTLED(limit=limit, period=RATE_PERIOD))
    elif vm.disk_limiter is not None:
        vm.disk_limiter = None
    store = hv.disks.bandwidth
    if store is not None and store.reduce(count, hv.time) is Reduction.FAILURE:
        if vm.disk_limiter is not None:
            vm.disk_limiter.bytes.force_replenish(count)  # type: ignore[union-attr]  # nothing moved
        return SbiRet.ok(0, DISK_BUSY(limit=store.size, period=RATE_PERIOD))
    return None


def _reach(hv, vm, sector, count) -> str:
    """For the trace: whose disks an unchecked range reached, if not only the caller's."""
    if hv.policy["blk.check_range"] or sector + count <= vm.disk.sectors:
        return ""
    first = vm.disk.first + sector
    others = [o for o in hv.disks.owners_of(first, count) if o != vm.disk.owner]
    return RANGE_UNCHECKED(first=sector, after=sector + count, disks=", ".join(others))


@BLK.function(0, returns="the disk's size in sectors")
def info(hv, vm) -> SbiRet:
    """How many 512-byte sectors the caller's disk has."""
    if vm.disk is None:
        return _no_disk(vm)
    return SbiRet.ok(vm.disk.sectors)


@BLK.function(1, "sector, count, gpa", returns="sectors read")
def read(hv, vm, sector, count, gpa) -> SbiRet:
    """Read count sectors from the disk, starting at sector, into guest memory at gpa."""
    if vm.disk is None:
        return _no_disk(vm)
    refused = _check(hv, vm, sector, count, gpa, write=False)
    if refused is not None:
        return refused
    data = hv.disks.read(vm.disk.first + sector, count)
    vm.write_guest(gpa, data)
    vm.disk.reads += 1
    vm.disk.sectors_read += count
    return SbiRet.ok(count, _reach(hv, vm, sector, count))


@BLK.function(2, "sector, count, gpa", returns="sectors written")
def write(hv, vm, sector, count, gpa) -> SbiRet:
    """Write count sectors from guest memory at gpa to the disk, starting at sector."""
    if vm.disk is None:
        return _no_disk(vm)
    refused = _check(hv, vm, sector, count, gpa, write=True)
    if refused is not None:
        return refused
    data = vm.read_guest(gpa, count * SECTOR)
    hv.disks.write(vm.disk.first + sector, data)
    vm.disk.writes += 1
    vm.disk.sectors_written += count
    return SbiRet.ok(count, _reach(hv, vm, sector, count))


@BLK.function(3, "sector, count", returns="0")
def zero(hv, vm, sector, count) -> SbiRet:
    """Zero count sectors of the disk from sector on (no upper bound on count: a whole disk at once)."""
    disk = vm.disk
    if disk is None:
        return _no_disk(vm)
    if count == 0 or sector >= disk.sectors or sector + count > disk.sectors:
        return SbiRet.fail(
            SbiError.INVALID_PARAM, ZERO_RANGE(first=sector, after=sector + count, vm=vm.label)
        )
    batch = count
    if hv.policy["hypercall.preemptible"]:
        batch = min(count, MAX_SECTORS)
    hv.disks.zero(disk.first + sector, batch)
    disk.writes += 1
    disk.sectors_written += batch
    hv.spend(vm, batch * ZERO_COST)  # the hypervisor's own work: the vCPU waits in the call
    if batch < count:
        hv.continue_call(vm, (sector + batch, count - batch))
        return SbiRet.ok(batch, ZERO_PREEMPTED(count=batch, sector=sector + batch))
    return SbiRet.ok(0, ZERO_DONE(count=batch, cost=batch * ZERO_COST))
