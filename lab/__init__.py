"""hvlab's engine: an emulated hypervisor running RISC-V VMs, for teaching
hypervisor security. Pure Python; runs under CPython and Pyodide. No UI here."""

__version__ = "0.1.0"
