"""Handing a job to the workers: enqueue its runner tasks (Django's Tasks API; see tasks.py)."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from .models import Job
from .tasks import job_run


def enqueue_runners(job_id: int, *, runners: int | None = None) -> None:
    """Enqueue the tasks that do the job (`runners` of them; JOBS_RUNNERS by default, one for a call job)."""
    call = Job.objects.filter(pk=job_id).values_list("call_path", flat=True).first()
    # A job that is one function call (an import) must never run twice at once: one runner, whatever the setting.
    # (The runners of a job whose selection is still to be expanded take turns at it, see expansion.py.)
    count = 1 if call else (runners or max(settings.JOBS_RUNNERS, 1))
    task_ids = [str(job_run.enqueue(job_id).id) for _ in range(count)]
    Job.objects.filter(pk=job_id).update(runner_task_ids=task_ids, runners_enqueued_at=timezone.now())
