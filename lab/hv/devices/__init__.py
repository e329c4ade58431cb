"""The hypervisor's device backends: what a hypercall's ABI module (lab/hv/sbi/) asks to be done.

Each backend is named after its SBI extension, so the pair reads side by side:

    devices/gnttab.py   grant tables and mappings          sbi/gnttab.py  GNTTAB hypercalls
    devices/dgram.py    datagram queues, the request ring  sbi/dgram.py   DGRAM hypercalls
    devices/net.py      vNICs on the virtual network       sbi/net.py     NET hypercalls
    devices/blk.py      virtual disks                      sbi/blk.py     BLK hypercalls
    devices/uart.py     the 16550 UART (MMIO, no hypercall; DBCN prints through the console)

An sbi/ module decodes the guest's registers and checks its arguments; the backend holds
the state and does the work. The hypervisor (lab.hv.hypervisor) owns one of each.
"""
