"""Writing a job's figures: the progress a call job reports, and closing a job once nothing is left to do.

Runners, the recovery and the services all record through here; it imports nothing else of the jobs app.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from .models import ItemState, Job, JobItem


def job_report(*, job: Job, done: int | None = None, failed: int | None = None, total: int | None = None,
               message: str | None = None) -> None:
    """Progress of a job that is not a list of documents (see `job_start_call`)."""
    values: dict[str, Any] = {}
    for name, value in (("done", done), ("failed", failed), ("total", total), ("message", message)):
        if value is not None:
            values[name] = value
            setattr(job, name, value)
    if values:
        Job.objects.filter(pk=job.pk).update(**values)


def job_finish_if_complete(*, job: Job) -> bool:
    """Close the job when no document is left to do; the counters are recounted from the items."""
    with transaction.atomic():
        locked = Job.objects.select_for_update().get(pk=job.pk)
        if locked.finished_at:
            return True
        if locked.call_path or has_pending(locked):
            return False
        counts = dict(locked.items.values_list("state").annotate(n=Count("pk")).values_list("state", "n"))
        locked.done = counts.get(ItemState.DONE, 0)
        locked.failed = counts.get(ItemState.FAILED, 0)
        locked.unknown = counts.get(ItemState.UNKNOWN, 0)
        locked.skipped = counts.get(ItemState.SKIPPED, 0)
        locked.finished_at = timezone.now()
        locked.started_at = locked.started_at or locked.finished_at
        locked.save()
    job.refresh_from_db()
    return True


def has_pending(job: Job) -> bool:
    if job.call_path:
        return not job.finished_at
    if job.preparing:  # documents still to be added
        return True
    return JobItem.objects.filter(job=job, state=ItemState.PENDING).exists()
