"""Classic pcap files (what tcpdump writes, what Wireshark and tshark read), on instruction time.

    data = write_pcap((c.time, c.frame) for c in segment.capture)
    records = read_pcap(data)

Format (https://wiki.wireshark.org/Development/LibpcapFileFormat): a 24-byte global
header (magic 0xa1b2c3d4 = microsecond timestamps, version 2.4, snaplen,
LINKTYPE_ETHERNET = 1), then per frame a 16-byte record header (seconds,
microseconds, captured length, original length) and the frame without its FCS.

Time mapping: the lab's clock is instructions retired, and one instruction is
counted as NS_PER_INSTRUCTION = 10 ns, i.e. a 100 MIPS machine: 100 million
instructions of guest time show as 1 s. The capture starts at the epoch
(1970-01-01): the timestamps are guest time, not the date of the run.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

PCAP_MAGIC: Final = 0xA1B2C3D4
PCAP_MAGIC_NS: Final = 0xA1B23C4D  # nanosecond variant; only read, never written
LINKTYPE_ETHERNET: Final = 1
SNAPLEN: Final = 65535
NS_PER_INSTRUCTION: Final = 10

_GLOBAL = struct.Struct("<IHHiIII")
_RECORD = struct.Struct("<IIII")


class PcapError(ValueError):
    """A pcap file this reader cannot make sense of; the message says where."""


def instructions_to_timestamp(instructions: int) -> tuple[int, int]:
    """(seconds, microseconds) for an instruction count, at NS_PER_INSTRUCTION."""
    ns = instructions * NS_PER_INSTRUCTION
    return ns // 1_000_000_000, (ns // 1000) % 1_000_000


def write_pcap(frames: Iterable[tuple[int, bytes]]) -> bytes:
    """A pcap file holding each (instructions retired, frame) in order."""
    out = bytearray(_GLOBAL.pack(PCAP_MAGIC, 2, 4, 0, 0, SNAPLEN, LINKTYPE_ETHERNET))
    for instructions, frame in frames:
        seconds, micros = instructions_to_timestamp(instructions)
        kept = frame[:SNAPLEN]
        out += _RECORD.pack(seconds, micros, len(kept), len(frame))
        out += kept
    return bytes(out)


@dataclass(slots=True, frozen=True)
class PcapRecord:
    seconds: int
    micros: int  # microseconds (nanosecond files are converted)
    data: bytes
    orig_len: int


def read_pcap(data: bytes) -> tuple[int, list[PcapRecord]]:
    """(link type, records) of a classic pcap file in either byte order."""
    if len(data) < _GLOBAL.size:
        raise PcapError(f"{len(data)} bytes is shorter than the 24-byte global header")
    for order in "<>":
        (magic,) = struct.unpack_from(order + "I", data)
        if magic in (PCAP_MAGIC, PCAP_MAGIC_NS):
            break
    else:
        raise PcapError(f"bad magic {data[:4].hex()}: not a classic pcap file")
    nanos = magic == PCAP_MAGIC_NS
    _, major, _minor, _zone, _sigfigs, _snaplen, linktype = struct.unpack_from(order + "IHHiIII", data)
    if major != 2:
        raise PcapError(f"pcap version {major}, expected 2")
    record = struct.Struct(order + "IIII")
    records: list[PcapRecord] = []
    offset = _GLOBAL.size
    while offset < len(data):
        if offset + record.size > len(data):
            raise PcapError(f"record header at offset {offset} is cut short")
        seconds, frac, incl, orig = record.unpack_from(data, offset)
        offset += record.size
        if offset + incl > len(data):
            raise PcapError(f"record at offset {offset} claims {incl} bytes, file ends first")
        records.append(
            PcapRecord(seconds, frac // 1000 if nanos else frac, data[offset : offset + incl], orig)
        )
        offset += incl
    return linktype, records
