"""CPU backends behind one protocol (`lab.cpu.base.Cpu`).

    cpu = make_cpu("interp", bus)      # pure Python, everywhere (the reference)
    cpu = make_cpu("unicorn", bus)     # unicorn, when it is installed

`backends()` lists what this Python can run; unicorn is imported only in
`lab.cpu.uc`, and only when asked for.
"""

from __future__ import annotations

from lab.cpu.base import Cause, Cpu, Fault, RunResult, Stop, register_file
from lab.cpu.bus import Bus, PhysicalMemory

__all__ = [
    "Bus",
    "Cause",
    "Cpu",
    "Fault",
    "PhysicalMemory",
    "RunResult",
    "Stop",
    "backends",
    "make_cpu",
    "register_file",
]


class BackendUnavailable(RuntimeError):
    """The requested CPU backend cannot run here (e.g. unicorn not installed)."""


def backends() -> list[str]:
    """The backends this Python can run, reference first."""
    names = ["interp"]
    try:
        import unicorn  # noqa: F401
    except ImportError:
        pass
    else:
        names.append("unicorn")
    return names


def make_cpu(backend: str, bus: Bus) -> Cpu:
    """A new hart on `bus`, run by `backend` ("interp" or "unicorn")."""
    if backend == "interp":
        from lab.cpu.interp import InterpCpu

        return InterpCpu(bus)
    if backend in ("unicorn", "uc"):
        try:
            from lab.cpu.uc import UnicornCpu
        except ImportError as exc:
            raise BackendUnavailable(
                "the unicorn backend needs the unicorn package: pip install 'hvlab[unicorn]'"
            ) from exc
        return UnicornCpu(bus)
    raise BackendUnavailable(f"unknown CPU backend {backend!r} (choose from {', '.join(backends())})")
