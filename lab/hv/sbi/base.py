"""SBI Base extension (EID 0x10): what a guest asks first (SBI v2.0, chapter 4).

A guest probes the implementation before using anything else: the spec
version it speaks, who implemented it, and whether an extension exists
(`probe_extension` answers 1 or 0, never an error). All of it is harmless
to every caller, so nothing here needs a privilege or a buffer check.
"""

from __future__ import annotations

from typing import Final

from lab import __version__
from lab.hv.hypercalls import EXTENSIONS, SbiRet, extension

SPEC_VERSION: Final = 2 << 24 | 0  # v2.0: major in bits 30:24, minor in 23:0
# Implementation IDs 0-11 are assigned by the SBI spec (OpenSBI is 1, Xen 7, ...);
# hvlab is not registered, so it reports a number outside that list.
IMPL_ID: Final = 0x68766C62  # "hvlb"
IMPL_VERSION: Final = int("".join(f"{int(p):02d}" for p in __version__.split(".")[:3]), 16)

BASE = extension(0x10, "BASE", "Base", __doc__ or "", standard=True)

# The answers that never change, made once: guests ask them in floods.
_SPEC_VERSION: Final = SbiRet.ok(SPEC_VERSION)
_IMPL_ID: Final = SbiRet.ok(IMPL_ID)
_IMPL_VERSION: Final = SbiRet.ok(IMPL_VERSION)
_AVAILABLE: Final = SbiRet.ok(1)
_ZERO: Final = SbiRet.ok(0)


@BASE.function(0, returns="SBI spec version (major << 24 | minor)")
def get_spec_version(hv, vm) -> SbiRet:
    """The SBI specification version this hypervisor implements: 2.0."""
    return _SPEC_VERSION


@BASE.function(1, returns="implementation ID")
def get_impl_id(hv, vm) -> SbiRet:
    """Who implemented this SBI: hvlab's ID."""
    return _IMPL_ID


@BASE.function(2, returns="implementation version")
def get_impl_version(hv, vm) -> SbiRet:
    """hvlab's version, one byte per component."""
    return _IMPL_VERSION


@BASE.function(3, "extension_id", returns="1 if available, else 0")
def probe_extension(hv, vm, extension_id) -> SbiRet:
    """Is the extension available? Unknown ones answer 0, not an error."""
    return _AVAILABLE if extension_id in EXTENSIONS else _ZERO


@BASE.function(4, returns="mvendorid")
def get_mvendorid(hv, vm) -> SbiRet:
    """The machine vendor ID CSR's value: 0, a non-commercial implementation."""
    return _ZERO


@BASE.function(5, returns="marchid")
def get_marchid(hv, vm) -> SbiRet:
    """The machine architecture ID: 0, not implemented."""
    return _ZERO


@BASE.function(6, returns="mimpid")
def get_mimpid(hv, vm) -> SbiRet:
    """The machine implementation ID: 0, not implemented."""
    return _ZERO
