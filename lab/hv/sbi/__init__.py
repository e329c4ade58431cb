"""The hypercall extensions, one module each. Importing this package
registers all of them in `lab.hv.hypercalls.EXTENSIONS`."""

from lab.hv.sbi import base, blk, clock, dbcn, dgram, gnttab, net, srst, time, vmctl  # noqa: F401
