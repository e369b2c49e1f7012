"""Faults the sandbox injects on demand: latency, HTTP 503, rate-limit refusals, an answer lost after commit.

Where they come from: the `FaultSettings` row once someone has saved it (admin page 沙箱故障设置, or tests),
otherwise the WDT_SANDBOX_* settings. A share of 1 fires every time and 0 never, so tests are deterministic;
`max_faults` caps how many requests get a fault (e.g. one rate-limit refusal, then normal answers).
"""

import logging
import random
import socket
import time
from dataclasses import dataclass, fields

from django.conf import settings
from django.db.models import F
from django.http import HttpRequest

from .models import FaultSettings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Faults:
    latency_ms: int = 0
    error_rate: float = 0.0
    rate_limit_rate: float = 0.0
    lost_answer_rate: float = 0.0
    methods: str = ""
    max_faults: int | None = None

    def applies_to(self, method: str) -> bool:
        wanted = {m.strip() for m in self.methods.split(",") if m.strip()}
        return not wanted or method in wanted


def current() -> Faults:
    """The faults in force: the saved row if any, else settings."""
    row = FaultSettings.objects.filter(pk=FaultSettings.SINGLETON_PK).first()
    if row is not None:
        return Faults(**{f.name: getattr(row, f.name) for f in fields(Faults)})
    return Faults(
        latency_ms=settings.WDT_SANDBOX_LATENCY_MS,
        error_rate=settings.WDT_SANDBOX_ERROR_RATE,
        rate_limit_rate=settings.WDT_SANDBOX_RATE_LIMIT_RATE,
        lost_answer_rate=settings.WDT_SANDBOX_LOST_ANSWER_RATE,
    )


def configure(**values: object) -> FaultSettings:
    """Save the fault row (unnamed fields back to 0 / empty). `configure()` alone switches every fault off."""
    row = FaultSettings(**values)
    row.full_clean()
    row.save()
    return row


def clear() -> None:
    """Forget the saved row, so that the settings apply again."""
    FaultSettings.objects.all().delete()


def draw(faults: Faults, share: float, method: str) -> bool:
    """Whether a fault with this share fires now, within the budget of `max_faults`."""
    if share <= 0 or not faults.applies_to(method):
        return False
    if share < 1 and random.random() >= share:  # noqa: S311 - a simulation, not security
        return False
    if faults.max_faults is None:
        return True
    # Take one from the budget atomically, so that concurrent requests never overspend it.
    return bool(FaultSettings.objects.filter(pk=FaultSettings.SINGLETON_PK, max_faults__gt=0)
                .update(max_faults=F("max_faults") - 1))


def add_latency(faults: Faults, method: str) -> None:
    if faults.latency_ms > 0 and faults.applies_to(method):
        time.sleep(faults.latency_ms / 1000)


def _request_socket(request: HttpRequest) -> socket.socket | None:
    """The client's socket under gunicorn or Django's wsgiref-based servers (runserver, live server)."""
    environ = request.META
    sock = environ.get("gunicorn.socket")
    if isinstance(sock, socket.socket):
        return sock
    # Django's ServerHandler wraps the handler's rfile (socket.makefile) in a LimitedStream that keeps
    # only its bound read method; from there: BufferedReader -> SocketIO -> socket.
    stream = environ.get("wsgi.input")
    reader = getattr(getattr(stream, "_read", None), "__self__", None)
    raw = getattr(reader, "raw", None)
    sock = getattr(raw, "_sock", None)
    return sock if isinstance(sock, socket.socket) else None


def lose_answer(request: HttpRequest) -> None:
    """Drop the connection so that the client gets no answer; the work is already committed."""
    sock = _request_socket(request)
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
            return
        except OSError:
            logger.warning("sandbox: could not shut the client's socket down; sleeping instead")
    # No socket to drop: outlast the portal's read timeout instead (WDT_TIMEOUT is "connect,read" or one number;
    # read here rather than through the client's parser: the sandbox shares only signing.py with the client).
    time.sleep(float(str(settings.WDT_TIMEOUT).split(",")[-1]) + 1)
