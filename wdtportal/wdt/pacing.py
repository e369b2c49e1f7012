"""Pacing of calls to WDT across every thread, process and machine, through the database.

Each gateway (WDT account) has two limits from settings: requests per second (`WDT_QJB_RATE`, `WDT_ENT_RATE`) and
requests in flight at once (`WDT_QJB_CONCURRENCY`, `WDT_ENT_CONCURRENCY`). The client wraps every HTTP attempt in
`pacer.slot(gateway)`:

1. Concurrency: the caller takes one of N `GatewaySlot` rows with a compare-and-set UPDATE (portable between SQLite
   and PostgreSQL; the database serialises competing writers). A slot has a lease, so one held by a process
   killed with kill -9 frees itself after `connect + read timeout + 10 s`.
2. Rate: the caller reserves the next send time on the gateway's `GatewayPace` row (a row lock on PostgreSQL, the
   write lock on SQLite) and sleeps until then, so all callers together send at most `rate` requests per second.

On a rate-limit refusal the client calls `rate_limited(gateway)`: the shared rate is halved (each further refusal
at least a second later halves it again, down to a tenth) for `WDT_RATE_LIMIT_COOLDOWN` seconds, and the client
retries the call.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q

from .timeouts import parse_timeout

logger = logging.getLogger(__name__)

MIN_SLOW_FACTOR = 0.1
# How long a caller waits between two looks for a free slot; small against WDT's latency, jittered.
SLOT_POLL_SECONDS = 0.005


@dataclass(frozen=True)
class GatewayLimits:
    rate: float  # requests per second; 0 = unpaced
    concurrency: int  # requests in flight; 0 = unlimited


class DatabasePacer:
    """Keeps every caller of a gateway under its limits; state shared through the default database."""

    def __init__(self, limits: dict[str, GatewayLimits], *, lease_seconds: float, cooldown_seconds: float):
        self.limits = limits
        self.lease_seconds = lease_seconds
        self.cooldown_seconds = cooldown_seconds
        self._ready: set[str] = set()
        self._lock = threading.Lock()

    # --- the client's interface ----------------------------------------------------------------------
    @contextmanager
    def slot(self, gateway: str) -> Iterator[None]:
        limits = self.limits.get(gateway)
        if limits is None or (limits.rate <= 0 and limits.concurrency <= 0):
            yield
            return
        self._ensure_rows(gateway, limits)
        holder = None
        if limits.concurrency > 0:
            holder = self._take_slot(gateway, limits.concurrency)
        try:
            if limits.rate > 0 and self._wait_for_turn(gateway, limits.rate) > self.lease_seconds / 2 and holder:
                self._renew(gateway, holder)
            yield
        finally:
            if holder is not None:
                self._give_back(gateway, holder)

    def rate_limited(self, gateway: str) -> None:
        """WDT refused a call for its rate: every worker slows down for a while."""

        limits = self.limits.get(gateway)
        if limits is None:
            return
        self._ensure_rows(gateway, limits)
        with transaction.atomic():
            pace = self._locked_pace(gateway, limits)
            now = time.time()
            factor = pace.slow_factor if pace.slow_until > now else 1.0
            if now - pace.slowed_at >= 1.0 or pace.slow_until <= now:
                factor = max(factor / 2, MIN_SLOW_FACTOR)
                pace.slowed_at = now
            pace.slow_factor = factor
            pace.slow_until = now + self.cooldown_seconds
            if limits.rate > 0:
                # Leave a gap at the slowed rate before anyone's next call.
                pace.next_at = max(pace.next_at, now) + 1 / (limits.rate * factor)
            pace.rate_limited_count += 1
            pace.save()
        logger.warning("WDT rate limit on %s: sending at %.0f%% of the configured rate for %.0f s",
                       gateway, factor * 100, self.cooldown_seconds)

    # --- internals --------------------------------------------------------------------------------------
    def _ensure_rows(self, gateway: str, limits: GatewayLimits) -> None:
        from .models import GatewayPace, GatewaySlot

        if gateway in self._ready:
            return
        with self._lock:
            if gateway in self._ready:
                return
            GatewayPace.objects.bulk_create([GatewayPace(gateway=gateway)], ignore_conflicts=True)
            GatewaySlot.objects.bulk_create(
                [GatewaySlot(gateway=gateway, number=n) for n in range(max(limits.concurrency, 0))],
                ignore_conflicts=True,
            )
            self._ready.add(gateway)

    def _locked_pace(self, gateway: str, limits: GatewayLimits) -> Any:
        from .models import GatewayPace

        try:
            return GatewayPace.objects.select_for_update().get(gateway=gateway)
        except GatewayPace.DoesNotExist:  # the table was emptied since this process filled it
            self._ready.discard(gateway)
            self._ensure_rows(gateway, limits)
            return GatewayPace.objects.select_for_update().get(gateway=gateway)

    def _take_slot(self, gateway: str, concurrency: int) -> str:
        from .models import GatewaySlot

        holder = f"{os.getpid()}-{threading.get_ident()}-{uuid.uuid4().hex[:12]}"[:64]
        candidates = GatewaySlot.objects.filter(gateway=gateway, number__lt=concurrency)
        waited = 0.0
        looks = 0
        while True:
            now = time.time()
            slots = list(candidates.values_list("number", "holder", "expires_at"))
            if len(slots) < concurrency:
                # Rows are missing (the table was emptied since this process filled it, or the concurrency was
                # raised): make them now rather than wait for slots that do not exist.
                self._ready.discard(gateway)
                self._ensure_rows(gateway, GatewayLimits(0, concurrency))
                continue
            free = Q(holder="") | Q(expires_at__lt=now)
            numbers = [number for number, taken_by, expires_at in slots if not taken_by or expires_at < now]
            random.shuffle(numbers)
            for number in numbers:
                # Compare-and-set: only one caller's UPDATE finds the slot still free.
                taken = candidates.filter(free, number=number).update(holder=holder,
                                                                      expires_at=now + self.lease_seconds)
                if taken:
                    if waited > 5:
                        logger.info("waited %.1f s for a free %s slot", waited, gateway)
                    return holder
            looks += 1
            # Back off while every slot stays taken (up to 8 × the first pause), so that waiting callers do not
            # load the database; jittered so that they do not look in step.
            pause = SLOT_POLL_SECONDS * min(2 ** (looks // 4), 8) * (1 + random.random())  # noqa: S311
            time.sleep(pause)
            waited += pause

    def _give_back(self, gateway: str, holder: str) -> None:
        from .models import GatewaySlot

        GatewaySlot.objects.filter(gateway=gateway, holder=holder).update(holder="", expires_at=0.0)

    def _renew(self, gateway: str, holder: str) -> None:
        from .models import GatewaySlot

        GatewaySlot.objects.filter(gateway=gateway, holder=holder).update(expires_at=time.time() + self.lease_seconds)

    def _wait_for_turn(self, gateway: str, rate: float) -> float:
        """Reserve the next send time at `rate` across all callers, sleep until it; return the seconds slept."""

        with transaction.atomic():
            pace = self._locked_pace(gateway, self.limits[gateway])
            now = time.time()
            if pace.slow_until > now:
                rate = rate * pace.slow_factor
            elif pace.slow_factor != 1.0:
                pace.slow_factor = 1.0
            turn = max(pace.next_at, now)
            pace.next_at = turn + 1 / rate
            pace.save(update_fields=["next_at", "slow_factor"])
        delay = turn - time.time()
        if delay > 0:
            time.sleep(delay)
        return max(delay, 0.0)


def limits_from_settings() -> dict[str, GatewayLimits]:
    from django.conf import settings

    return {
        "qjb": GatewayLimits(settings.WDT_QJB_RATE, settings.WDT_QJB_CONCURRENCY),
        "enterprise": GatewayLimits(settings.WDT_ENT_RATE, settings.WDT_ENT_CONCURRENCY),
    }


_pacers: dict[tuple, DatabasePacer] = {}


def get_pacer() -> DatabasePacer:
    """The process's pacer for clients built from settings (the state it keeps is in the database)."""
    from django.conf import settings

    connect, read = parse_timeout(settings.WDT_TIMEOUT)
    limits = limits_from_settings()
    key = (tuple(sorted(limits.items())), connect + read + 10, settings.WDT_RATE_LIMIT_COOLDOWN)
    pacer = _pacers.get(key)
    if pacer is None:
        pacer = _pacers[key] = DatabasePacer(limits, lease_seconds=key[1], cooldown_seconds=key[2])
    return pacer
