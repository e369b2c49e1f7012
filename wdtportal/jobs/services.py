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
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from returns.sending import refusal_reason
from returns.states import DocumentState, move_many

from .kinds import get_kind
from .models import ItemState, Job, JobItem, JobRunner

logger = logging.getLogger(__name__)

# Documents looked up and moved per query when a job starts (one `pk IN (...)` of 100,000 ids is too many for SQLite).
LOOKUP_CHUNK = 500


def skip_reason(state: str, *, sends_again: bool = False) -> str:
    """Why a job does not queue a document in `state` (see `KindSpec.queueable`)."""
    if state == DocumentState.QUEUED:
        return _("已在另一个后台任务中排队，本任务不再发送")
    if sends_again:
        return _("状态不是“结果未知”，无需处理")
    return refusal_reason(state)


def job_start(*, kind: str, documents: Iterable[Any], user: Any, label: str = "", language: str | None = None) -> Job:
    """Create a job for `documents` (instances or ids of the kind's model) and enqueue it.

    The documents in one of the kind's `queueable` states move to queued (a send-again kind queues only documents
    in unknown, on a supervisor's explicit request); the others are items skipped with the reason.
    `language`: the one the job's messages are written in; by default the active one (the request's).
    """
    spec = get_kind(kind)
    ids = [getattr(d, "pk", d) for d in documents]
    with transaction.atomic():
        by_id = {}
        for start in range(0, len(ids), LOOKUP_CHUNK):  # a stop-waiting list may name 100,000 returns
            locked = spec.model._default_manager.select_for_update().filter(pk__in=ids[start:start + LOOKUP_CHUNK])
            by_id.update((doc.pk, doc) for doc in locked)
        job = Job.objects.create(kind=kind, label=label[:200], created_by=_real_user(user), total=len(by_id),
                                 language=_language(language))
        items = []
        for position, pk in enumerate(dict.fromkeys(ids)):
            doc = by_id.get(pk)
            if doc is None:
                continue
            state = getattr(doc, spec.state_field)
            item = JobItem(job=job, position=position, object_id=pk, label=str(doc)[:200], previous_state=state)
            if state not in spec.queueable:
                item.state = ItemState.SKIPPED
                item.message = skip_reason(state, sends_again=spec.sends_again)
                item.finished_at = timezone.now()
            items.append(item)
        JobItem.objects.bulk_create(items, batch_size=500)
        reason = _("主管确认后重新发送，加入后台任务 #%(id)s") if spec.sends_again else _("加入后台任务 #%(id)s")
        queueable = [d for d in by_id.values() if getattr(d, spec.state_field) in spec.queueable]
        for start in range(0, len(queueable), LOOKUP_CHUNK):
            move_many(queueable[start:start + LOOKUP_CHUNK], spec.state_field, DocumentState.QUEUED, user=user,
                      reason=reason % {"id": job.pk})
        job.skipped = sum(1 for i in items if i.state == ItemState.SKIPPED)
        if job.skipped == job.total:
            job.started_at = job.finished_at = timezone.now()
        job.save()
        if not job.finished_at:
            transaction.on_commit(lambda: enqueue_runners(job.pk))
    return job


def job_start_call(*, kind: str, call_path: str, call_kwargs: dict[str, Any], user: Any, total: int = 0,
                   label: str = "", language: str | None = None) -> Job:
    """Run `call_path(job=job, **call_kwargs)` in the background (e.g. an Excel import above JOBS_IMPORT_THRESHOLD).

    `call_kwargs` must be JSON (e.g. the id of a stored upload, never the file itself: the worker may be on another
    machine). The function reports progress with `job_report(job=..., done=..., total=..., message=...)`; an exception
    ends the job with its message. If its worker dies, the job runs the function again from the start, so it must be
    all or nothing (one transaction), as the imports are. The function runs with the starter's language active
    (`language`, by default the active one), so that its messages read as the page that started it.
    """
    with transaction.atomic():
        job = Job.objects.create(kind=kind, label=label[:200], created_by=_real_user(user), total=total,
                                 call_path=call_path, call_kwargs=call_kwargs, language=_language(language))
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
    """Enqueue the tasks that do the job, and its watchdog unless one is already waiting."""
    from .tasks import job_run

    call = Job.objects.filter(pk=job_id).values_list("call_path", flat=True).first()
    # A job that is one function call (an import) must never run twice at once: one runner, whatever the setting.
    count = 1 if call else (runners or max(settings.JOBS_RUNNERS, 1))
    task_ids = [str(job_run.enqueue(job_id).id) for _ in range(count)]
    Job.objects.filter(pk=job_id).update(runner_task_ids=task_ids, runners_enqueued_at=timezone.now())
    ensure_watch(job_id)


def schedule_watch(job_id: int) -> None:
    """Enqueue the job's next watchdog look; it becomes the job's one watch (an older chain stops at its next run)."""
    from .tasks import job_watch

    result = job_watch.using(run_after=timezone.now() + timedelta(seconds=settings.JOBS_STALE_AFTER / 2)).enqueue(
        job_id)
    Job.objects.filter(pk=job_id).update(watch_task_id=str(result.id))


def ensure_watch(job_id: int) -> bool:
    """Schedule a watchdog for the job unless its current one is waiting or running; True if one was scheduled.

    A worker killed while running the watch (after claiming it, before it scheduled the next look) leaves it
    RUNNING for ever: a watch that started longer than JOBS_STALE_AFTER ago is taken for dead.
    """
    watch_id = Job.objects.filter(pk=job_id).values_list("watch_task_id", flat=True).first()
    if watch_id:
        status, started_at = _task_status(watch_id)
        if status is None and not _backend_reports_results():
            return False  # this backend cannot tell: trust the chain
        stale = timezone.now() - timedelta(seconds=settings.JOBS_STALE_AFTER)
        if status == "READY" or (status == "RUNNING" and started_at and started_at > stale):
            return False
        if status == "RUNNING":
            _fail_task_result(watch_id)
    schedule_watch(job_id)
    return True


def job_recover(*, job: Job) -> bool:
    """Release the documents of runners whose worker died, and start new runners if none is alive.

    Called by the watchdog task, by every worker at start and then periodically (see the `db_worker` command in
    wdtportal/jobs/management/commands), and when someone watches the job's page. The decision is taken with the
    job's row locked, so that callers at the same moment enqueue one set of runners and one watchdog between them.
    Returns True when new runners were enqueued.
    """
    if job.finished_at:
        return False
    cutoff = timezone.now() - timedelta(seconds=settings.JOBS_STALE_AFTER)
    for runner in JobRunner.objects.filter(job=job, finished_at__isnull=True, heartbeat_at__lt=cutoff):
        runner_lost(runner=runner)
    if JobRunner.objects.filter(job=job, finished_at__isnull=True).exists():
        # A live runner: nothing to decide under the lock (the job's page asks every 1.5 s). Two watches scheduled
        # here at once are harmless: the one replaced ends its chain at its first run.
        ensure_watch(job.pk)
        return False
    with transaction.atomic():
        locked = Job.objects.select_for_update().filter(pk=job.pk).first()
        if locked is None or locked.finished_at:
            return False
        alive = JobRunner.objects.filter(job=locked, finished_at__isnull=True).exists()
        if not alive and not _has_pending(locked):
            job_finish_if_complete(job=locked)
            return False
        if alive or _runner_waiting(locked, cutoff):
            ensure_watch(locked.pk)
            return False
        logger.warning("job %s has work left and no live runner: enqueueing runners", locked.pk)
        # Inside the lock: with the database backend the tasks are committed with the decision.
        enqueue_runners(locked.pk)
    job.refresh_from_db()
    return True


def job_recover_all() -> int:
    """`job_recover` for every unfinished job; returns how many were restarted."""
    restarted = 0
    for job in Job.objects.filter(finished_at__isnull=True).order_by("pk"):
        try:
            restarted += job_recover(job=job)
        except Exception:
            logger.exception("job %s: recovery failed", job.pk)
    return restarted


def jobs_maintenance() -> dict[str, int]:
    """What every worker does at start and periodically (see the `db_worker` command): restart the unfinished jobs
    whose runners died, and move documents stuck in sending for longer than WDT_SENDING_TIMEOUT to unknown."""
    from returns.sweep import documents_sweep_sending

    restarted = job_recover_all()
    swept = len(documents_sweep_sending())
    if swept:
        logger.warning("%d document(s) left in sending longer than %s s are now unknown", swept,
                       settings.WDT_SENDING_TIMEOUT)
    return {"restarted": restarted, "swept": swept}


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


# Documents per page on the job's page.
ITEMS_PER_PAGE = 100


def job_progress(*, job: Job, page: Any = 1, state: str = "") -> dict[str, Any]:
    """What the job page shows: counts, rate over the last half minute, time left, and one page of its documents,
    each with its outcome, message and a link to it (`state`: only the documents with that outcome)."""
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
        **job_items_page(job=job, page=page, state=state),
    }


def job_items_page(*, job: Job, page: Any = 1, state: str = "") -> dict[str, Any]:
    """One page of the job's documents in their order, and where it is in the whole ("第 1–100 条，共 1,201 条").
    `page` as the request gave it: out of range or not a number, the nearest page is shown."""
    items = job.items.order_by("position")
    if state in ItemState.values:
        items = items.filter(state=state)
    else:
        state = ""
    shown = Paginator(items, ITEMS_PER_PAGE).get_page(page)
    change_url = _change_url(job)
    if shown.object_list:
        span = _("第 %(first)s–%(last)s 条，共 %(total)s 条") % {
            "first": number_format(shown.start_index(), force_grouping=True),
            "last": number_format(shown.end_index(), force_grouping=True),
            "total": number_format(shown.paginator.count, force_grouping=True)}
    else:
        span = _("没有单据")
    return {
        "items": [
            {"position": i.position + 1, "label": i.label, "state": i.state, "state_display": i.get_state_display(),
             "message": i.message, "url": change_url(i.object_id) if change_url else ""}
            for i in shown.object_list
        ],
        "items_state": state,
        "items_count": shown.paginator.count,
        "page": shown.number,
        "pages": shown.paginator.num_pages,
        "items_span": span,
    }


def _change_url(job: Job) -> Any:
    """id → the admin change page of a document of the job's kind (None for a job that is not documents)."""
    from .kinds import KINDS

    spec = KINDS.get(job.kind)
    if spec is None:
        return None
    name = f"admin:{spec.model._meta.app_label}_{spec.model._meta.model_name}_change"
    prefix = reverse(name, args=[0])[:-len("0/change/")]
    return lambda pk: f"{prefix}{pk}/change/"


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


def _backend_reports_results() -> bool:
    from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends

    return bool(task_backends[DEFAULT_TASK_BACKEND_ALIAS].supports_get_result)


def _task_status(task_id: str) -> tuple[str | None, Any]:
    """(status, started_at) of a task of the default backend; (None, None) when it cannot be known or is gone."""
    from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
    from django_tasks.exceptions import TaskResultDoesNotExist

    backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
    if not backend.supports_get_result:
        return None, None
    try:
        result = backend.get_result(task_id)
    except TaskResultDoesNotExist:
        return None, None
    return str(result.status), result.started_at


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


def _language(language: str | None) -> str:
    return (language or translation.get_language() or settings.LANGUAGE_CODE)[:16]


def _real_user(user: Any) -> Any:
    return user if getattr(user, "is_authenticated", False) else None
