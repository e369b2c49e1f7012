"""Starting jobs, finding out how far they are, and putting back to work the jobs whose worker died.

    job = job_start(kind=JobKind.SETTLEMENT_SUBMIT, documents=drafts, user=request.user)
    job_progress(job=job)   # the figures the job page shows

`job_start` queues the documents (state → queued, recorded in their history) in one transaction and, once that
commits, enqueues the runner tasks and the job's watchdog (wdtportal/jobs/tasks.py).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from returns.sending import refusal_reason
from returns.states import DocumentState, move_many

from .kinds import get_kind
from .models import ItemState, Job, JobItem, JobRunner

logger = logging.getLogger(__name__)

# Documents looked up and moved per query when a job starts (one `pk IN (...)` of 100,000 ids is too many for SQLite).
LOOKUP_CHUNK = 500
# States from which a job may queue a document; the others are skipped with the reason the send would give.
QUEUEABLE = {DocumentState.DRAFT, DocumentState.READY, DocumentState.FAILED}


def skip_reason(state: str) -> str:
    if state == DocumentState.QUEUED:
        return _("已在另一个后台任务中排队，本任务不再发送")
    return refusal_reason(state)


def job_start(*, kind: str, documents: Iterable[Any], user: Any, label: str = "") -> Job:
    """Create a job for `documents` (instances or ids of the kind's model) and enqueue it."""
    spec = get_kind(kind)
    ids = [getattr(d, "pk", d) for d in documents]
    with transaction.atomic():
        by_id = {}
        for start in range(0, len(ids), LOOKUP_CHUNK):  # a stop-waiting list may name 100,000 returns
            locked = spec.model._default_manager.select_for_update().filter(pk__in=ids[start:start + LOOKUP_CHUNK])
            by_id.update((doc.pk, doc) for doc in locked)
        job = Job.objects.create(kind=kind, label=label[:200], created_by=_real_user(user), total=len(by_id))
        items = []
        for position, pk in enumerate(dict.fromkeys(ids)):
            doc = by_id.get(pk)
            if doc is None:
                continue
            state = getattr(doc, spec.state_field)
            item = JobItem(job=job, position=position, object_id=pk, label=str(doc)[:200], previous_state=state)
            if state not in QUEUEABLE:
                item.state = ItemState.SKIPPED
                item.message = skip_reason(state)
                item.finished_at = timezone.now()
            items.append(item)
        JobItem.objects.bulk_create(items, batch_size=500)
        queueable = [d for d in by_id.values() if getattr(d, spec.state_field) in QUEUEABLE]
        for start in range(0, len(queueable), LOOKUP_CHUNK):
            move_many(queueable[start:start + LOOKUP_CHUNK], spec.state_field, DocumentState.QUEUED, user=user,
                      reason=_("加入后台任务 #%(id)s") % {"id": job.pk})
        job.skipped = sum(1 for i in items if i.state == ItemState.SKIPPED)
        if job.skipped == job.total:
            job.started_at = job.finished_at = timezone.now()
        job.save()
        if not job.finished_at:
            transaction.on_commit(lambda: enqueue_runners(job.pk))
    return job


def job_start_call(*, kind: str, call_path: str, call_kwargs: dict[str, Any], user: Any, total: int = 0,
                   label: str = "") -> Job:
    """Run `call_path(job=job, **call_kwargs)` in the background (e.g. an Excel import above JOBS_IMPORT_THRESHOLD).

    `call_kwargs` must be JSON (e.g. the id of a stored upload, never the file itself: the worker may be on another
    machine). The function reports progress with `job_report(job=..., done=..., total=..., message=...)`; an exception
    ends the job with its message. If its worker dies, the job runs the function again from the start, so it must be
    all or nothing (one transaction), as the imports are.
    """
    with transaction.atomic():
        job = Job.objects.create(kind=kind, label=label[:200], created_by=_real_user(user), total=total,
                                 call_path=call_path, call_kwargs=call_kwargs)
        transaction.on_commit(lambda: enqueue_runners(job.pk, runners=1))
    return job


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


def enqueue_runners(job_id: int, *, runners: int | None = None) -> None:
    """Enqueue the tasks that do the job, and its watchdog."""
    from .tasks import job_run

    count = runners or max(settings.JOBS_RUNNERS, 1)
    task_ids = [job_run.enqueue(job_id).id for _ in range(count)]
    Job.objects.filter(pk=job_id).update(runner_task_ids=task_ids, runners_enqueued_at=timezone.now())
    schedule_watch(job_id)


def schedule_watch(job_id: int) -> None:
    from .tasks import job_watch

    job_watch.using(run_after=timezone.now() + timedelta(seconds=settings.JOBS_STALE_AFTER / 2)).enqueue(job_id)


def job_recover(*, job: Job) -> bool:
    """Release the documents of runners whose worker died, and start new runners if none is alive.

    Returns True when new runners were enqueued.
    """
    if job.finished_at:
        return False
    cutoff = timezone.now() - timedelta(seconds=settings.JOBS_STALE_AFTER)
    for runner in JobRunner.objects.filter(job=job, finished_at__isnull=True, heartbeat_at__lt=cutoff):
        runner_lost(runner=runner)
    alive = JobRunner.objects.filter(job=job, finished_at__isnull=True).exists()
    if alive or not _has_pending(job):
        if not alive:
            job_finish_if_complete(job=job)
        return False
    if _runner_waiting(job, cutoff):
        return False
    logger.warning("job %s has work left and no live runner: enqueueing runners", job.pk)
    enqueue_runners(job.pk)
    return True


def job_recover_all() -> int:
    """`job_recover` for every unfinished job; returns how many were restarted."""
    return sum(job_recover(job=job) for job in Job.objects.filter(finished_at__isnull=True))


def runner_lost(*, runner: JobRunner) -> None:
    """A runner stopped beating: give its documents back to the job; a document it left in sending stays there."""
    with transaction.atomic():
        updated = JobRunner.objects.filter(pk=runner.pk, finished_at__isnull=True).update(
            finished_at=timezone.now(), lost=True)
        if not updated:
            return
        released = JobItem.objects.filter(job_id=runner.job_id, claimed_by=runner.token,
                                          state=ItemState.PENDING).update(claimed_by="")
    logger.warning("job %s: runner %s on %s lost; %d documents back in the queue", runner.job_id, runner.token,
                   runner.worker, released)
    _fail_task_result(runner.task_id)


def job_finish_if_complete(*, job: Job) -> bool:
    """Close the job when no document is left to do; the counters are recounted from the items."""
    with transaction.atomic():
        locked = Job.objects.select_for_update().get(pk=job.pk)
        if locked.finished_at:
            return True
        if locked.call_path or _has_pending(locked):
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


def job_progress(*, job: Job) -> dict[str, Any]:
    """What the job page shows: counts, rate over the last half minute, time left, and each document that was not
    done (failed, unknown, skipped) with its message."""
    now = timezone.now()
    processed = job.processed
    window = timedelta(seconds=30)
    since = max(job.started_at or now, now - window) if job.started_at else now
    recent = job.items.filter(finished_at__gte=since).exclude(state=ItemState.SKIPPED).count() if job.started_at \
        else 0
    seconds = (now - since).total_seconds()
    if job.finished_at and job.started_at:
        elapsed = max((job.finished_at - job.started_at).total_seconds(), 0.001)
        rate = (processed - job.skipped) / elapsed
    else:
        rate = recent / seconds if seconds >= 1 else 0.0
    left = max(job.total - processed, 0)
    problems = job.items.filter(state__in=[ItemState.FAILED, ItemState.UNKNOWN, ItemState.SKIPPED]).order_by(
        "position")
    return {
        "id": job.pk,
        "kind": job.get_kind_display(),
        "label": job.label,
        "status": job.status,
        "status_display": job.get_status_display(),
        "total": job.total,
        "done": job.done,
        "failed": job.failed,
        "unknown": job.unknown,
        "skipped": job.skipped,
        "processed": processed,
        "percent": round(100 * processed / job.total, 1) if job.total else (100.0 if job.finished_at else 0.0),
        "rate": round(rate, 2),
        "seconds_left": round(left / rate) if rate > 0 and not job.finished_at else None,
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "message": job.message,
        "problems": [
            {"label": i.label, "state": i.state, "state_display": i.get_state_display(), "message": i.message}
            for i in problems[:500]
        ],
        "problems_total": problems.count(),
    }


def _has_pending(job: Job) -> bool:
    if job.call_path:
        return not job.finished_at
    return JobItem.objects.filter(job=job, state=ItemState.PENDING).exists()


def _runner_waiting(job: Job, cutoff: Any) -> bool:
    """True if a runner task of the job is still waiting in the queue for a free worker."""
    from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
    from django_tasks.base import TaskResultStatus
    from django_tasks.exceptions import TaskResultDoesNotExist

    default_task_backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
    started = set(JobRunner.objects.filter(job=job).values_list("task_id", flat=True))
    if not default_task_backend.supports_get_result:
        return bool(job.runners_enqueued_at and job.runners_enqueued_at > cutoff)
    for task_id in job.runner_task_ids:
        if task_id in started:
            continue
        try:
            status = default_task_backend.get_result(task_id).status
        except TaskResultDoesNotExist:  # pruned: not waiting
            continue
        if status == TaskResultStatus.READY:
            return True
        # Claimed by a worker that died before the runner registered itself.
        if status == TaskResultStatus.RUNNING and job.runners_enqueued_at and job.runners_enqueued_at > cutoff:
            return True
    return False


def _fail_task_result(task_id: str) -> None:
    """With the database backend, mark the task of a lost runner failed, so the task list does not show it running."""
    if not task_id:
        return
    from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
    from django_tasks_db import DatabaseBackend

    if not isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend):
        return
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(pk=task_id, status=TaskResultStatus.RUNNING).update(
        status=TaskResultStatus.FAILED, finished_at=timezone.now(),
        exception_class_path="wdtportal.jobs.WorkerLost",
        traceback="The worker running this task stopped (killed or lost); the job went on without it.")


def _real_user(user: Any) -> Any:
    return user if getattr(user, "is_authenticated", False) else None
