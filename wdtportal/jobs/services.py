"""Starting jobs: a list of documents to send (`job_start`), what an admin list selected (`job_start_selection`),
or one function call such as a large import or export (`job_start_call`).

    job = job_start(kind=settlements.job_kinds.SUBMIT, documents=drafts, user=request.user)

`job_start` queues the documents (state → queued, recorded in their history) in one transaction and, once that
commits, enqueues the runner tasks (queueing.py); `job_start_selection` only records the selection, and the job's
runners queue its documents (expansion.py). The workers do the rest (runner.py) and put a job whose worker died
back to work (recovery.py); the job page reads progress.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from .expansion import CHUNK, queue_documents
from .kinds import get_kind
from .labels import job_label
from .models import Job
from .queueing import enqueue_runners


def job_start(*, kind: str, documents: Iterable[Any], user: Any, label: str = "", language: str | None = None) -> Job:
    """Create a job for `documents` (instances or ids of the kind's model) and enqueue it.

    The documents in one of the kind's `queueable` states move to queued (a send-again kind queues only documents
    in unknown, on a supervisor's explicit request); the others are items skipped with the reason.
    `language`: the one the job's messages are written in; by default the active one (the request's).
    """
    spec = get_kind(kind)
    ids = list(dict.fromkeys(getattr(d, "pk", d) for d in documents))
    with transaction.atomic():
        by_id = {}
        for start in range(0, len(ids), CHUNK):  # a stop-waiting list may name 100,000 returns
            locked = spec.model._default_manager.select_for_update().filter(pk__in=ids[start:start + CHUNK])
            by_id.update((doc.pk, doc) for doc in locked)
        job = Job.objects.create(kind=kind, label=job_label(label)[:200], created_by=_real_user(user),
                                 language=_language(language))
        queue_documents(job, spec, [by_id[pk] for pk in ids if pk in by_id], user=user)
        if job.skipped == job.total:
            job.started_at = job.finished_at = timezone.now()
        job.save()
        if not job.finished_at:
            transaction.on_commit(lambda: enqueue_runners(job.pk))
    return job


def job_start_selection(*, kind: str, selection: dict[str, Any], user: Any, label: str = "",
                        language: str | None = None) -> Job:
    """Start a job for what an admin list selected (selection.py: its filters and search, or a page of ids)
    without reading it: a worker expands the selection into the job's documents, 500 at a time, with the same
    rules as `job_start` (the job's page says "正在准备" meanwhile), then sends them. The request costs a few
    queries whatever the selection holds."""
    get_kind(kind)  # an unknown kind fails here, not in the worker
    with transaction.atomic():
        job = Job.objects.create(kind=kind, label=job_label(label)[:200], created_by=_real_user(user),
                                 language=_language(language), selection=selection)
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
