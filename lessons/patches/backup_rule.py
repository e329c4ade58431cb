"""VMCTL info with the site's rule: deny by default, and the one privilege the backup needs.

The capstone (lessons/12-capstone.md) applies this as a patch to the handler
`vmctl.info` (lab/hv/sbi/vmctl.py), together with `hypercall.authorize` on: the
control domain may ask about any domain, the backup agent about the vault and
nothing else, every other caller is refused. Xen's XSM/FLASK policy grants a
service domain exactly such narrow rights instead of making it dom0.
"""

from lab.hv.hypercalls import SbiError, SbiRet


def info(hv, vm, domid):
    target = hv.live(domid)
    if target is None:
        return SbiRet.fail(SbiError.INVALID_PARAM, f"no VM with domid {domid}")
    control = vm.domid == hv.control_domid  # the hypervisor's own record, never an argument
    backup_job = vm.name == "backup" and target.name == "vault"
    if not (control or backup_job):
        return SbiRet.fail(SbiError.DENIED, f"{vm.label} may not ask about {target.label}")
    return SbiRet.ok(int(target.state))
