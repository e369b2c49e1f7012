"""The shared pacer keeps every caller of a gateway under its rate and concurrency, and slows all on a rate limit."""

import threading
import time

import pytest
from django.db import connection

from wdtportal.wdt.models import GatewayPace, GatewaySlot
from wdtportal.wdt.pacing import DatabasePacer, GatewayLimits

pytestmark = pytest.mark.django_db(transaction=True)


def pacer(rate: float, concurrency: int, **kwargs) -> DatabasePacer:
    options = {"lease_seconds": 30, "cooldown_seconds": 5} | kwargs
    return DatabasePacer({"qjb": GatewayLimits(rate, concurrency)}, **options)


def run_threads(n: int, target) -> None:
    def run():
        try:
            target()
        finally:
            connection.close()  # each thread's own connection, or PostgreSQL cannot drop the test database

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)


def test_rate_is_shared_by_all_threads_and_pacers():
    # Each thread has its own pacer object, as each worker process would: only the database is shared.
    calls: list[float] = []

    def caller():
        p = pacer(40, 0)
        for _ in range(10):
            with p.slot("qjb"):
                calls.append(time.monotonic())

    started = time.monotonic()
    run_threads(6, caller)
    elapsed = time.monotonic() - started
    assert len(calls) == 60
    # 60 calls at 40/s: the first goes at once, the last 59/40 s later.
    assert elapsed >= 59 / 40 - 0.05
    assert elapsed < 59 / 40 + 1.0
    calls.sort()
    in_any_second = max(sum(1 for c in calls if start <= c < start + 1) for start in calls)
    assert in_any_second <= 41


def test_concurrency_is_never_exceeded():
    lock = threading.Lock()
    in_flight = [0]
    peak = [0]

    def caller():
        p = pacer(0, 3)
        for _ in range(5):
            with p.slot("qjb"):
                with lock:
                    in_flight[0] += 1
                    peak[0] = max(peak[0], in_flight[0])
                time.sleep(0.03)
                with lock:
                    in_flight[0] -= 1

    run_threads(8, caller)
    assert peak[0] == 3
    assert GatewaySlot.objects.filter(gateway="qjb").exclude(holder="").count() == 0


def test_a_slot_left_by_a_killed_process_frees_itself_after_its_lease():
    p = pacer(0, 1, lease_seconds=0.5)
    with p.slot("qjb"):
        pass
    # A process killed inside its call leaves the slot taken; its lease runs out.
    GatewaySlot.objects.filter(gateway="qjb").update(holder="dead-process", expires_at=time.time() + 0.5)
    started = time.monotonic()
    with p.slot("qjb"):
        waited = time.monotonic() - started
    assert 0.3 < waited < 2


def test_a_rate_limit_refusal_slows_every_caller_for_the_cooldown():
    fast = pacer(50, 0, cooldown_seconds=1.5)
    with fast.slot("qjb"):
        pass
    other = pacer(50, 0, cooldown_seconds=1.5)
    other.rate_limited("qjb")
    pace = GatewayPace.objects.get(gateway="qjb")
    assert pace.slow_factor == 0.5
    assert pace.rate_limited_count == 1

    started = time.monotonic()
    for _ in range(11):
        with fast.slot("qjb"):
            pass
    slowed = time.monotonic() - started
    # At 25/s instead of 50/s: ten gaps of 40 ms (plus the gap left after the refusal).
    assert slowed >= 10 / 25 - 0.03

    time.sleep(1.6)
    started = time.monotonic()
    for _ in range(11):
        with fast.slot("qjb"):
            pass
    assert time.monotonic() - started < 10 / 25
    assert GatewayPace.objects.get(gateway="qjb").slow_factor == 1.0


def test_repeated_refusals_halve_the_rate_again_down_to_a_tenth():
    p = pacer(50, 0, cooldown_seconds=30)
    for _ in range(6):
        p.rate_limited("qjb")
        GatewayPace.objects.filter(gateway="qjb").update(slowed_at=0)  # as if a second had passed
    assert GatewayPace.objects.get(gateway="qjb").slow_factor == pytest.approx(0.1)


def test_unpaced_gateway_touches_no_table():
    p = DatabasePacer({}, lease_seconds=1, cooldown_seconds=1)
    with p.slot("enterprise"):
        pass
    assert not GatewayPace.objects.exists()


def test_a_pacer_whose_slot_rows_were_deleted_makes_them_again_at_once():
    """A long-lived process (a worker; the test process between tests) keeps its pacer while the table is emptied:
    it must not wait for slots that no longer exist."""
    p = pacer(0, 2)
    with p.slot("qjb"):
        pass
    GatewaySlot.objects.all().delete()
    started = time.monotonic()
    with p.slot("qjb"):
        assert GatewaySlot.objects.filter(gateway="qjb").exclude(holder="").count() == 1
    assert time.monotonic() - started < 0.5
    assert GatewaySlot.objects.filter(gateway="qjb").count() == 2
