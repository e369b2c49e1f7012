"""Starting jobs: a list of documents to send (`job_start`), or one function call such as a large import
(`job_start_call`).

    job = job_start(kind=settlements.job_kinds.SUBMIT, documents=drafts, user=request.user)

`job_start` queues the documents (state → queued, recorded in their history) in one transaction and, once that
commits, enqueues the runner tasks (queueing.py). The workers do the rest (runner.py) and put a job whose worker
died back to work (recovery.py); the job page reads progress.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from wdtportal.documents.sending import refusal_reason
from wdtportal.documents.states import DocumentState
from wdtportal.documents.transitions import move_many

from .kinds import get_kind
from .labels import job_label
from .models import ItemState, Job, JobItem
from .queueing import enqueue_runners

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
        job = Job.objects.create(kind=kind, label=job_label(label)[:200], created_by=_real_user(user), total=len(by_id),
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
        job = Job.objects.create(kind=kind, label=job_label(label)[:200], created_by=_real_user(user), total=total,
                                 call_path=call_path, call_kwargs=call_kwargs, language=_language(language))
        transaction.on_commit(lambda: enqueue_runners(job.pk, runners=1))
    return job


def _language(language: str | None) -> str:
    return (language or translation.get_language() or settings.LANGUAGE_CODE)[:16]


def _real_user(user: Any) -> Any:
    return user if getattr(user, "is_authenticated", False) else None
