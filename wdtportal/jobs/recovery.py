"""Putting back to work the jobs whose worker died, in one place: the maintenance loop every worker runs
(`manage.py db_worker`, see its module), at start and then every JOBS_MAINTENANCE_INTERVAL seconds.

A runner beats every 2 s (runner.py); one whose heartbeat is older than JOBS_STALE_AFTER is lost: the documents it
held go back to the job, and a job with work left and no live runner gets new runners. The same loop sweeps
documents left in sending by a dead process to unknown (wdtportal/documents/sweep.py), sends again what was left
unknown where WDT deduplicates (wdtportal/documents/resending.py) and removes the files of
exports kept past JOBS_EXPORT_KEEP_HOURS (files.py).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from wdtportal.documents.resending import documents_resend_due
from wdtportal.documents.sweep import documents_sweep_sending
from wdtportal.documents.tallies import state_tallies_compact
from wdtportal.wdt.retention import calls_prune

from .bookkeeping import has_pending, job_finish_if_complete
from .files import job_files_prune
from .models import ItemState, Job, JobItem, JobRunner
from .queueing import enqueue_runners

logger = logging.getLogger(__name__)


def job_recover(*, job: Job) -> bool:
    """Release the documents of runners whose worker died, and start new runners if none is alive.

    Called by every worker at start and then every JOBS_MAINTENANCE_INTERVAL seconds (`jobs_maintenance`). The
    decision is taken with the job's row locked, so that workers looking at the same moment enqueue one set of
    runners between them. Returns True when new runners were enqueued.
    """
    if job.finished_at:
        return False
    cutoff = timezone.now() - timedelta(seconds=settings.JOBS_STALE_AFTER)
    for runner in JobRunner.objects.filter(job=job, finished_at__isnull=True, heartbeat_at__lt=cutoff):
        runner_lost(runner=runner)
    if JobRunner.objects.filter(job=job, finished_at__isnull=True).exists():
        return False  # a live runner: nothing to decide
    with transaction.atomic():
        locked = Job.objects.select_for_update().filter(pk=job.pk).first()
        if locked is None or locked.finished_at:
            return False
        alive = JobRunner.objects.filter(job=locked, finished_at__isnull=True).exists()
        if not alive and not has_pending(locked):
            job_finish_if_complete(job=locked)
            return False
        if alive or _runner_waiting(locked, cutoff):
            return False
        logger.warning("job %s has work left and no live runner: enqueueing runners", locked.pk)
        # Inside the lock: with the database backend the tasks are committed with the decision.
        enqueue_runners(locked.pk)
    job.refresh_from_db()
    return True


def job_recover_all() -> int:
    """`job_recover` for every unfinished job; returns how many were restarted.

    A dead runner of a job that other runners finished before it went stale is marked lost here too: it must not
    be listed as running for ever (the unfinished jobs' runners are `job_recover`'s).
    """
    cutoff = timezone.now() - timedelta(seconds=settings.JOBS_STALE_AFTER)
    for runner in JobRunner.objects.filter(finished_at__isnull=True, heartbeat_at__lt=cutoff,
                                           job__finished_at__isnull=False):
        runner_lost(runner=runner)
    restarted = 0
    for job in Job.objects.filter(finished_at__isnull=True).order_by("pk"):
        try:
            restarted += job_recover(job=job)
        except Exception:
            logger.exception("job %s: recovery failed", job.pk)
    return restarted


def jobs_maintenance() -> dict[str, int]:
    """What every worker does at start and periodically (see the `db_worker` command): restart the unfinished jobs
    whose runners died, move documents stuck in sending for longer than WDT_SENDING_TIMEOUT to unknown, send again
    those left unknown whose automatic re-send is due (documents/resending.py), remove the
    files of jobs (exports) older than JOBS_EXPORT_KEEP_HOURS, delete calls older than WDT_CALL_LOG_DAYS, and fold
    the dashboard's state counts (documents/tallies.py)."""
    restarted = job_recover_all()
    swept = len(documents_sweep_sending())
    if swept:
        logger.warning("%d document(s) left in sending longer than %s s are now unknown", swept,
                       settings.WDT_SENDING_TIMEOUT)
    removed = job_files_prune()
    if removed:
        logger.info("%d export file(s) older than %s h removed", removed, settings.JOBS_EXPORT_KEEP_HOURS)
    pruned = calls_prune()
    if pruned:
        logger.info("%d call-log row(s) older than %s days deleted", pruned, settings.WDT_CALL_LOG_DAYS)
    # After the sweep: what it just moved to unknown is scheduled, not yet due.
    resent = documents_resend_due()
    if resent:
        logger.info("%d document(s) left unknown sent again automatically", resent)
    folded = state_tallies_compact()
    return {"restarted": restarted, "swept": swept, "resent": resent, "files_removed": removed, "pruned": pruned,
            "folded": folded}


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
