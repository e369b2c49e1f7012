"""How long the call log keeps a call: WDT_CALL_LOG_DAYS (default 180; 0 keeps every call).

`calls_prune` is run by every worker's maintenance (wdtportal/jobs/recovery.py `jobs_maintenance`, at start and every
JOBS_MAINTENANCE_INTERVAL seconds). It deletes the oldest calls by id, PRUNE_BATCH at a time, each batch in a short
transaction of its own, and at most MAX_BATCHES per round: a backlog (the first run on three years of calls) is worked
off over a few rounds without one long delete holding the table. Ids rise with created_at (auto_now_add), so the
oldest ids are the oldest calls; the cut-off is read from the (created_at, id) index.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import WdtCall

PRUNE_BATCH = 5_000
MAX_BATCHES = 20


def calls_prune(*, days: int | None = None, now: timezone.datetime | None = None) -> int:
    """Delete calls older than `days` (WDT_CALL_LOG_DAYS), at most PRUNE_BATCH × MAX_BATCHES; returns how many."""
    days = settings.WDT_CALL_LOG_DAYS if days is None else days
    if days <= 0:
        return 0
    cutoff = (now or timezone.now()) - timedelta(days=days)
    deleted = 0
    oldest = WdtCall.objects.filter(created_at__lt=cutoff).order_by("created_at", "id").values("pk")
    for _ in range(MAX_BATCHES):
        with transaction.atomic():
            # One DELETE … WHERE id IN (SELECT id … LIMIT n): nothing refers to a call, so Django deletes in SQL.
            count, _ = WdtCall.objects.filter(pk__in=oldest[:PRUNE_BATCH]).delete()
        deleted += count
        if count < PRUNE_BATCH:
            break
    return deleted
