"""Pacing of calls to WDT across every process. Until the shared limiter lands, calls are not paced."""

from .client import _NoPacing


def get_pacer() -> _NoPacing:
    return _NoPacing()
