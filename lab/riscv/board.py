"""The guest machine's memory map, in the shape of QEMU's `virt` board: defined here, once.

    guest-physical                      what
    0x1000_0000  UART_SIZE (8) bytes    the UART, a 16550 subset (lab.hv.devices.uart)
    0x8000_0000  the VM's RAM size      RAM: a flat image or assembled program is linked and
                                        loaded here and starts here; sp starts at its top
    0x9000_0000  GRANT_WINDOW_SIZE      the grant window, where a VM maps pages others granted it

The toolchain links and loads programs at RAM_BASE, the hypervisor builds each VM's
address space from this table (lab.hv.vm), and the guests' lib/machine.S is generated
from it (hvlab.generate), so a guest, its image and its VM cannot disagree.
"""

from __future__ import annotations

from typing import Final

UART_BASE: Final = 0x1000_0000
UART_SIZE: Final = 8
RAM_BASE: Final = 0x8000_0000
GRANT_WINDOW: Final = 0x9000_0000
GRANT_WINDOW_SIZE: Final = 1 << 20
