"""The VM's UART: a 16550 subset at guest-physical 0x1000_0000, as on QEMU's virt board.

    offset 0  THR (write: send a byte) / RBR (read: next received byte, 0 if none)
    offset 5  LSR  bit 0 DR   data ready (a byte waits in RBR)
                   bit 5 THRE transmit holding register empty (always: output never blocks)
                   bit 6 TEMT transmitter empty (always)

Other registers read as zero and ignore writes, which is enough for the usual
polled drivers (Linux earlycon, OpenSBI, xv6) to work. Output goes to the
VM's console; input comes from whatever the student types (`feed`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Final

from lab.riscv.board import UART_BASE, UART_SIZE  # noqa: F401  (the map, re-exported)

RBR_THR: Final = 0
LSR: Final = 5
LSR_DR: Final = 0x01
LSR_THRE: Final = 0x20
LSR_TEMT: Final = 0x40


class Uart:
    """One UART. `output` receives every byte the guest sends."""

    def __init__(self, output: Callable[[int], None]) -> None:
        self.rx: deque[int] = deque()
        self._output = output

    def feed(self, data: bytes) -> None:
        """Bytes typed at the console, in order."""
        self.rx.extend(data)

    @property
    def has_input(self) -> bool:
        return bool(self.rx)

    def read_input(self, maxlen: int) -> bytes:
        """Take up to `maxlen` received bytes (DBCN console_read uses this too)."""
        n = min(maxlen, len(self.rx))
        return bytes(self.rx.popleft() for _ in range(n))

    # -- Mmio protocol

    def read(self, offset: int, size: int) -> int:
        if offset == RBR_THR:
            return self.rx.popleft() if self.rx else 0
        if offset == LSR:
            return LSR_THRE | LSR_TEMT | (LSR_DR if self.rx else 0)
        return 0

    def write(self, offset: int, size: int, value: int) -> None:
        if offset == RBR_THR:
            self._output(value & 0xFF)
