"""Adding documents to a job: all at once when it starts with a list (`job_start`), or, for a job that recorded a
selection (selection.py), in the worker, 500 documents a transaction (`job_expand`).

Either way each document becomes an item of the job: one in a state the job's kind may queue moves to queued
(recorded in its history, so no other job takes it); any other is an item skipped with the reason. A job that
sends again (a supervisor's decision) queues only documents in unknown.

The expansion can be cut anywhere (kill -9) and run again: the selection is read in id order, each chunk is one
transaction that adds documents after the highest id already in the job (JobItem is unique on (job, object_id)),
under the job's row lock, so two runners never add the same document and a re-run takes up where the last commit
left off.
"""

from __future__ import annotations

import threading
import time
from array import array
from collections.abc import Sequence
from typing import Any

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from wdtportal.documents.resending import resend_notes
from wdtportal.documents.sending import refusal_reason
from wdtportal.documents.states import DocumentState
from wdtportal.documents.transitions import move_many

from .kinds import KindSpec, get_kind
from .models import ItemState, Job, JobItem
from .selection import selection_queryset

# Documents read, locked and queued per transaction (one `pk IN (...)` of 100,000 ids is too many for SQLite).
CHUNK = 500
# Longest pause between two chunks on SQLite (seconds).
MAX_PAUSE = 0.5


def skip_reason(state: str, *, sends_again: bool = False, resend_note: str = "") -> str:
    """Why a job does not queue a document in `state` (see `KindSpec.queueable`); `resend_note`: when a document in
    unknown is sent again automatically (documents/resending.py)."""
    if state == DocumentState.QUEUED:
        return _("已在另一个后台任务中排队，本任务不再发送")
    if sends_again:
        return _("状态不是“结果未知”，无需处理")
    return refusal_reason(state, resend_note=resend_note)


def queue_documents(job: Job, spec: KindSpec, documents: Sequence[Any], *, user: Any) -> None:
    """Add `documents` (locked by the caller's transaction, in their order) to `job` after the items it has, and
    queue those the kind may queue. Updates `job.total` and `job.skipped` in memory; the caller saves them."""
    now = timezone.now()
    items, queueable = [], []
    # One query, only when the selection holds documents in unknown that the job skips.
    notes = {} if spec.sends_again else resend_notes(
        spec.model, spec.state_field,
        [d.pk for d in documents if getattr(d, spec.state_field) == DocumentState.UNKNOWN])
    for position, doc in enumerate(documents, start=job.total):
        state = getattr(doc, spec.state_field)
        item = JobItem(job=job, position=position, object_id=doc.pk, label=str(doc)[:200], previous_state=state)
        if state in spec.queueable:
            queueable.append(doc)
        else:
            item.state = ItemState.SKIPPED
            item.message = skip_reason(state, sends_again=spec.sends_again, resend_note=notes.get(doc.pk, ""))
            item.finished_at = now
        items.append(item)
    JobItem.objects.bulk_create(items, batch_size=CHUNK)
    reason = spec.queue_reason or (
        _("主管确认后重新发送，加入后台任务 #%(id)s") if spec.sends_again else _("加入后台任务 #%(id)s"))
    for start in range(0, len(queueable), CHUNK):
        move_many(queueable[start:start + CHUNK], spec.state_field, DocumentState.QUEUED, user=user,
                  reason=str(reason) % {"id": job.pk})
    job.total += len(items)
    job.skipped += len(items) - len(queueable)


def job_expand(*, job: Job, stop: threading.Event | None = None) -> bool:
    """Turn the job's selection into items, a chunk a transaction, reporting on the job's page as it goes.
    Returns True once the whole selection is in the job (False if `stop` was set first).

    The selection is read once, as ids in id order after the last document already in the job (8 bytes each:
    800 kB for 100,000); each chunk then locks its documents and decides by their state at that moment. On SQLite,
    whose one write lock every writer shares, the expansion pauses between chunks as long as a chunk took, so that
    web requests and the runners' heartbeats get their turn."""
    spec = get_kind(job.kind)
    documents = selection_queryset(spec.model, job.selection, job.created_by)
    after = JobItem.objects.filter(job=job).aggregate(last=Max("object_id"))["last"]
    if after is not None:
        documents = documents.filter(pk__gt=after)
    ids = array("q", documents.order_by("pk").values_list("pk", flat=True).iterator(chunk_size=10_000))
    share_the_lock = connection.vendor == "sqlite"
    for start in range(0, len(ids), CHUNK):
        if stop is not None and stop.is_set():
            return False
        began = time.monotonic()
        if not _expand_chunk(job, spec, ids[start:start + CHUNK]):
            return True  # prepared meanwhile by another runner of the job
        if share_the_lock:
            time.sleep(min(time.monotonic() - began, MAX_PAUSE))
    _expanded(job)
    return True


def _expand_chunk(job: Job, spec: KindSpec, ids: Sequence[int]) -> bool:
    """Add the documents of `ids` that come after the job's last one; False if the job is prepared already."""
    with transaction.atomic():
        locked = Job.objects.select_for_update().get(pk=job.pk)
        if locked.prepared_at:
            return False
        # Another runner of the job may have added some already (each runner read the selection on its own).
        after = JobItem.objects.filter(job=locked).aggregate(last=Max("object_id"))["last"]
        wanted = [pk for pk in ids if after is None or pk > after]
        # Locked and read again: the state decides (a document may have been sent since the selection was read).
        chunk = list(spec.model._default_manager.select_for_update().filter(pk__in=wanted).order_by("pk"))
        if chunk:
            queue_documents(locked, spec, chunk, user=locked.created_by)
            locked.message = _("正在准备：已加入 %(n)s 张…") % {"n": number_format(locked.total, force_grouping=True)}
            locked.save(update_fields=["total", "skipped", "message"])
    job.total, job.skipped, job.message = locked.total, locked.skipped, locked.message
    return True


def _expanded(job: Job) -> None:
    """The whole selection is in the job: it is prepared (its runners go on to send)."""
    with transaction.atomic():
        locked = Job.objects.select_for_update().get(pk=job.pk)
        if not locked.prepared_at:
            locked.prepared_at = timezone.now()
            locked.message = "" if locked.total else _("所选范围内没有单据，没有发送任何内容。")
            locked.save(update_fields=["prepared_at", "message"])
    job.prepared_at, job.message = locked.prepared_at, locked.message
