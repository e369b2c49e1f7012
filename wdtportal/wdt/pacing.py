"""Pacing of calls to WDT across every thread, process and machine, through the database.

Each gateway (WDT account) has two limits from settings: requests per second (`WDT_QJB_RATE`, `WDT_ENT_RATE`) and
requests in flight at once (`WDT_QJB_CONCURRENCY`, `WDT_ENT_CONCURRENCY`). The client wraps every HTTP attempt in
`pacer.slot(gateway)`:

1. Concurrency: the caller takes one of N `GatewaySlot` rows with a compare-and-set UPDATE (portable between SQLite
   and PostgreSQL; the database serialises competing writers). A slot has a lease, so one held by a process
   killed with kill -9 frees itself after `connect + read timeout + 10 s`.
2. Rate: the caller reserves the next send time on the gateway's `GatewayPace` row (a row lock on PostgreSQL, the
   write lock on SQLite) and sleeps until then, so all callers together send at most `rate` requests per second.

On a rate-limit refusal the client calls `rate_limited(gateway)` and retries the call. The shared rate follows
AIMD, as TCP's congestion control does: a refusal halves it (multiplicative decrease, down to a tenth), and every
request reserved after that gives back a fixed step (additive increase), so that `WDT_RATE_LIMIT_RECOVERY`
requests bring a halved rate back to the configured one. The step is counted in requests, not seconds, so what the
pacer tolerates is a share of refusals, whatever the configured rate: with 5 % of calls refused at random it keeps
about 86 % of the rate, while a limit really lower than the configured rate (most calls above it refused) drives
it down. A refusal of a request reserved before the last decrease was paced at the old rate and says nothing about
the new one: it is counted but does not halve again, so one burst of refusals halves the rate once.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q

from .timeouts import parse_timeout

logger = logging.getLogger(__name__)

# A refusal halves the shared rate, never below a tenth of the configured one.
DECREASE_FACTOR = 0.5
MIN_FACTOR = 0.1
# How long a caller waits between two looks for a free slot; small against WDT's latency, jittered.
SLOT_POLL_SECONDS = 0.005


@dataclass(frozen=True)
class GatewayLimits:
    rate: float  # requests per second; 0 = unpaced
    concurrency: int  # requests in flight; 0 = unlimited


class DatabasePacer:
    """Keeps every caller of a gateway under its limits; state shared through the default database."""

    def __init__(self, limits: dict[str, GatewayLimits], *, lease_seconds: float, recovery_requests: float,
                 clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep):
        self.limits = limits
        self.lease_seconds = lease_seconds
        # Additive increase per reservation: `recovery_requests` of them take a halved rate back to the full one.
        self.recovery_step = (1 - DECREASE_FACTOR) / max(recovery_requests, 1)
        # Unix seconds shared by every process (hence time.time); tests inject a clock whose sleep moves it on.
        self.clock = clock
        self.sleep = sleep
        self._ready: set[str] = set()
        self._lock = threading.Lock()
        # The number of this thread's last reservation per gateway: which request a refusal answers.
        self._reserved = threading.local()

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
        """WDT refused this thread's last call of `gateway` for its rate: every worker slows down (see above)."""

        limits = self.limits.get(gateway)
        if limits is None:
            return
        self._ensure_rows(gateway, limits)
        reservation = getattr(self._reserved, gateway, None)
        with transaction.atomic():
            pace = self._locked_pace(gateway, limits)
            pace.rate_limited_count += 1
            # Only a request paced at the current rate tells that it is too high (None: the call was not paced).
            decrease = limits.rate > 0 and reservation is not None and reservation > pace.slowed_after
            if decrease:
                pace.slow_factor = max(pace.slow_factor * DECREASE_FACTOR, MIN_FACTOR)
                pace.slowed_after = pace.reserved_count
            pace.save(update_fields=["rate_limited_count", "slow_factor", "slowed_after"])
        if not decrease:
            return
        back = (1 - pace.slow_factor) / self.recovery_step
        if pace.slow_factor <= MIN_FACTOR:
            # Refusals keep coming at a tenth of the rate: the account's limit is below the configured one.
            logger.warning("WDT keeps refusing %s calls for its rate: sending at %.0f%% of the configured rate; "
                           "if this lasts, lower WDT_%s_RATE to what the account allows", gateway,
                           pace.slow_factor * 100, "QJB" if gateway == "qjb" else "ENT")
        else:
            logger.info("WDT rate limit on %s: sending at %.0f%% of the configured rate, back to 100%% in %.0f "
                        "requests", gateway, pace.slow_factor * 100, back)

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
            now = self.clock()
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
            self.sleep(pause)
            waited += pause

    def _give_back(self, gateway: str, holder: str) -> None:
        from .models import GatewaySlot

        GatewaySlot.objects.filter(gateway=gateway, holder=holder).update(holder="", expires_at=0.0)

    def _renew(self, gateway: str, holder: str) -> None:
        from .models import GatewaySlot

        GatewaySlot.objects.filter(gateway=gateway, holder=holder).update(expires_at=self.clock() + self.lease_seconds)

    def _wait_for_turn(self, gateway: str, rate: float) -> float:
        """Reserve the next send time at the current share of `rate` across all callers, sleep until it; return
        the seconds slept."""

        with transaction.atomic():
            pace = self._locked_pace(gateway, self.limits[gateway])
            turn = max(pace.next_at, self.clock())
            pace.next_at = turn + 1 / (rate * pace.slow_factor)
            pace.slow_factor = min(pace.slow_factor + self.recovery_step, 1.0)
            pace.reserved_count += 1
            pace.save(update_fields=["next_at", "slow_factor", "reserved_count"])
        setattr(self._reserved, gateway, pace.reserved_count)
        delay = turn - self.clock()
        if delay > 0:
            self.sleep(delay)
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
    key = (tuple(sorted(limits.items())), connect + read + 10, settings.WDT_RATE_LIMIT_RECOVERY)
    pacer = _pacers.get(key)
    if pacer is None:
        pacer = _pacers[key] = DatabasePacer(limits, lease_seconds=key[1], recovery_requests=key[2])
    return pacer
