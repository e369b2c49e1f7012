"""The body of a runner task: claim documents of a job, hand them to the service layer, record each outcome.

Several runners (tasks on several workers, `JOBS_RUNNERS`) work on one job, each with `JOBS_THREADS` threads; the
pacer (wdtportal/wdt/pacing.py) keeps them all under WDT's limits. Documents are claimed a batch at a time with
`SELECT ... FOR UPDATE SKIP LOCKED` (on SQLite the write lock taken at BEGIN does the same).

A job started from an admin list's selection is first expanded into its documents (expansion.py) by its runners,
in turns, a chunk at a time; then they send.

Crash safety rests on the documents' own states. The job sends only a document that is still `queued`: a runner
that picks up a document another runner claimed before it died reads its state instead of sending it again
(done → done, failed → failed, unknown or left in sending → unknown; the sweep turns the latter into unknown).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import uuid
from collections import Counter
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from wdtportal.documents.resending import resends_automatically
from wdtportal.documents.states import DocumentState
from wdtportal.documents.transitions import move

from .bookkeeping import job_finish_if_complete, job_report
from .expansion import job_expand
from .kinds import KindSpec, get_kind
from .models import ItemState, Job, JobItem, JobRunner

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 2.0
MAX_ATTEMPTS = 3
OUTCOMES = {"done": ItemState.DONE, "failed": ItemState.FAILED, "unknown": ItemState.UNKNOWN,
            "skipped": ItemState.SKIPPED}


def run_job(job_id: int, *, task_id: str = "") -> dict[str, Any]:
    """Work on job `job_id` until no unclaimed document is left (or the worker is asked to stop).

    Everything the job writes (documents' messages, their history, the job's) is in the language of the person who
    started it, not the worker's default.
    """
    job = Job.objects.filter(pk=job_id).first()
    if job is None or job.finished_at:
        return {"job": job_id, "processed": 0}
    with translation.override(_job_language(job)):
        return _run_job(job, task_id)


def _job_language(job: Job) -> str:
    return job.language or settings.LANGUAGE_CODE


def _run_job(job: Job, task_id: str) -> dict[str, Any]:
    runner = JobRunner.objects.create(job=job, token=uuid.uuid4().hex, task_id=str(task_id)[:64],
                                      worker=f"{socket.gethostname()}:{os.getpid()}"[:120])
    Job.objects.filter(pk=job.pk, started_at__isnull=True).update(started_at=timezone.now())
    job.refresh_from_db()
    halt = threading.Event()  # set when the worker is asked to stop: claim nothing more
    beating = threading.Event()  # set when the heartbeat should stop
    with _stop_on_signals(halt):
        heartbeat = threading.Thread(target=_beat, args=(runner, beating), name=f"job{job.pk}-heartbeat",
                                     daemon=True)
        heartbeat.start()
        try:
            if job.call_path:
                processed = _run_call(job)
            elif job.preparing and not _prepare(job, halt):
                processed = 0  # asked to stop while expanding: the maintenance restarts the job
            else:
                processed = _run_items(job, runner, halt)
        finally:
            beating.set()
            heartbeat.join(timeout=HEARTBEAT_SECONDS * 2)
            # Whatever this runner claimed but did not finish goes back to the job for another runner.
            JobItem.objects.filter(job=job, claimed_by=runner.token, state=ItemState.PENDING).update(claimed_by="")
            JobRunner.objects.filter(pk=runner.pk, finished_at__isnull=True).update(finished_at=timezone.now())
    # Documents still held by a runner that died are given back by the workers' maintenance (recovery.py).
    job_finish_if_complete(job=job)
    return {"job": job.pk, "processed": processed}


def _prepare(job: Job, stop: threading.Event) -> bool:
    """Expand the job's selection into its documents (every runner of the job takes its turn, a chunk at a time).
    Returns False if the worker was asked to stop first. A selection that cannot be read (its starter may no longer
    see those documents, a filter no longer applies, a bug) ends the preparation with the reason on the job's page;
    the documents already queued are sent. A database error ends the runner instead: the job is restarted."""
    try:
        return job_expand(job=job, stop=stop)
    except DatabaseError:
        raise  # the database failed, not the selection: the maintenance restarts the job, which goes on from there
    except Exception as exc:
        logger.exception("job %s: expanding its selection failed", job.pk)
        message = _("读取所选单据时出错，已停止加入单据（已加入 %(n)s 张，将照常发送）：%(error)s") % {
            "n": job.total, "error": exc}
        Job.objects.filter(pk=job.pk, prepared_at__isnull=True).update(prepared_at=timezone.now(), message=message)
        job.refresh_from_db()
        return True


def _run_items(job: Job, runner: JobRunner, stop: threading.Event) -> int:
    spec = get_kind(job.kind)
    processed: list[int] = []
    threads = [threading.Thread(target=_work, args=(job, spec, runner.token, stop, processed),
                                name=f"job{job.pk}-{n}", daemon=True)
               for n in range(max(settings.JOBS_THREADS, 1))]
    for t in threads:
        t.start()
    for t in threads:
        # A timed join keeps the main thread responsive to the worker's signals.
        while t.is_alive():
            t.join(timeout=0.5)
    return sum(processed)


def _work(job: Job, spec: KindSpec, token: str, stop: threading.Event, processed: list[int]) -> None:
    # The active language is per thread: each of the runner's threads takes the job's.
    translation.activate(_job_language(job))
    try:
        while not stop.is_set():
            items = _claim(job, token, spec.batch_size)
            if not items:
                return
            try:
                outcomes = _process(job, spec, items)
            except Exception as exc:
                logger.exception("job %s: processing %d documents failed", job.pk, len(items))
                outcomes = _outcomes_after_error(spec, items, exc)
            processed.append(_record(job, token, outcomes))
    except Exception:
        logger.exception("job %s: a runner thread stopped", job.pk)
    finally:
        connection.close()


def _claim(job: Job, token: str, size: int) -> list[JobItem]:
    with transaction.atomic():
        # The claims of a job take turns on its row: concurrent skip-locked scans would split what is left between
        # them, so 701 stop-waiting numbers could go in two or three requests instead of two full ones.
        list(Job.objects.select_for_update().filter(pk=job.pk).values_list("pk", flat=True))
        ids = list(
            JobItem.objects.select_for_update(skip_locked=True)
            .filter(job=job, state=ItemState.PENDING, claimed_by="")
            .order_by("position")
            .values_list("pk", flat=True)[:size]
        )
        if not ids:
            return []
        JobItem.objects.filter(pk__in=ids, state=ItemState.PENDING, claimed_by="").update(
            claimed_by=token, claimed_at=timezone.now(), attempts=F("attempts") + 1)
    return list(JobItem.objects.filter(pk__in=ids, claimed_by=token).order_by("position"))


def _process(job: Job, spec: KindSpec, items: Sequence[JobItem]) -> dict[int, tuple[str, str]]:
    docs = spec.model._default_manager.in_bulk([i.object_id for i in items])
    outcomes: dict[int, tuple[str, str]] = {}
    to_send: list[tuple[JobItem, Any]] = []
    for item in items:
        doc = docs.get(item.object_id)
        if doc is None:
            outcomes[item.pk] = (ItemState.SKIPPED, _("单据已被删除。"))
        elif getattr(doc, spec.state_field) != DocumentState.QUEUED:
            # Another runner got this far before it died: read what happened, never send again.
            outcomes[item.pk] = _outcome_from_state(spec, doc)
        elif item.attempts > MAX_ATTEMPTS:
            _give_back(spec, item, doc)
            outcomes[item.pk] = (ItemState.FAILED, _("多次处理均中断，已停止重试；请检查后重新发送。"))
        else:
            to_send.append((item, doc))
    if to_send:
        results = spec.send([doc for _item, doc in to_send], job.created_by)
        by_doc = {getattr(r.document, "pk", None): r for r in results}
        for item, doc in to_send:
            result = by_doc.get(doc.pk)
            if result is None:
                outcomes[item.pk] = _outcome_from_state(spec, _fresh(spec, doc))
                continue
            state = OUTCOMES.get(str(result.outcome), ItemState.UNKNOWN)
            if state == ItemState.SKIPPED:
                fresh = _fresh(spec, doc)
                if getattr(fresh, spec.state_field) == DocumentState.QUEUED:
                    _give_back(spec, item, fresh)
                else:
                    state = _outcome_from_state(spec, fresh)[0]
            outcomes[item.pk] = (state, str(result.message or ""))
    return outcomes


def _outcomes_after_error(spec: KindSpec, items: Sequence[JobItem], exc: Exception) -> dict[int, tuple[str, str]]:
    """The service raised (a bug, a lost database): decide per document from its state what to record."""
    outcomes = {}
    docs = spec.model._default_manager.in_bulk([i.object_id for i in items])
    for item in items:
        doc = docs.get(item.object_id)
        if doc is None:
            outcomes[item.pk] = (ItemState.SKIPPED, _("单据已被删除。"))
        elif getattr(doc, spec.state_field) == DocumentState.QUEUED:
            _give_back(spec, item, doc)
            outcomes[item.pk] = (ItemState.FAILED, _("内部错误，未发送：%(error)s") % {"error": exc})
        else:
            outcomes[item.pk] = _outcome_from_state(spec, doc)
    return outcomes


def _outcome_from_state(spec: KindSpec, doc: Any) -> tuple[str, str]:
    state = getattr(doc, spec.state_field)
    message = getattr(doc, "last_message", "") or ""
    if state == DocumentState.DONE:
        return ItemState.DONE, message
    if state == DocumentState.FAILED:
        return ItemState.FAILED, message
    if state == DocumentState.UNKNOWN:
        return ItemState.UNKNOWN, message or _("结果未知：请在旺店通核实后处理。")
    if state == DocumentState.SENDING:
        if resends_automatically(spec.model, spec.state_field):
            return ItemState.UNKNOWN, _(
                "发送时工作进程中断，结果未知：超时后清扫会把它标为结果未知，之后系统会自动重新发送。")
        return ItemState.UNKNOWN, _("发送时工作进程中断，结果未知：超时后清扫会把它标为结果未知，不会自动重发。")
    return ItemState.SKIPPED, _("单据已不在排队状态，未发送。")


def _give_back(spec: KindSpec, item: JobItem, doc: Any) -> None:
    """The job will not send `doc` after all: return it to the state it had before the job queued it."""
    previous = item.previous_state or DocumentState.READY
    try:
        with transaction.atomic():
            locked = spec.model._default_manager.select_for_update().get(pk=doc.pk)
            if getattr(locked, spec.state_field) == DocumentState.QUEUED:
                move(locked, spec.state_field, previous, reason=_("后台任务 #%(id)s 未发送") % {"id": item.job_id})
    except Exception:
        logger.exception("job %s: could not give document %s its state back", item.job_id, doc.pk)


def _fresh(spec: KindSpec, doc: Any) -> Any:
    return spec.model._default_manager.get(pk=doc.pk)


def _record(job: Job, token: str, outcomes: dict[int, tuple[str, str]]) -> int:
    """Write each outcome and the job's counters in one transaction; only items this runner still holds count."""
    now = timezone.now()
    counts: Counter[str] = Counter()
    with transaction.atomic():
        for pk, (state, message) in outcomes.items():
            updated = JobItem.objects.filter(pk=pk, claimed_by=token, state=ItemState.PENDING).update(
                state=state, message=message[:2000], finished_at=now)
            if updated:
                counts[state] += 1
        if counts:
            Job.objects.filter(pk=job.pk).update(
                done=F("done") + counts[ItemState.DONE], failed=F("failed") + counts[ItemState.FAILED],
                unknown=F("unknown") + counts[ItemState.UNKNOWN], skipped=F("skipped") + counts[ItemState.SKIPPED])
    return sum(counts.values())


def _run_call(job: Job) -> int:
    """A job that is one function call (a large import): run it once; its outcome is the job's."""
    try:
        import_string(job.call_path)(job=job, **job.call_kwargs)
    except Exception as exc:
        logger.exception("job %s: %s failed", job.pk, job.call_path)
        job_report(job=job, message=_("任务失败：%(error)s") % {"error": exc})
    Job.objects.filter(pk=job.pk, finished_at__isnull=True).update(finished_at=timezone.now())
    return 1


def _beat(runner: JobRunner, stop: threading.Event) -> None:
    try:
        while not stop.wait(HEARTBEAT_SECONDS):
            try:
                JobRunner.objects.filter(pk=runner.pk).update(heartbeat_at=timezone.now())
            except Exception:
                logger.exception("job %s: heartbeat failed", runner.job_id)
                close_old_connections()
    finally:
        connection.close()


class _stop_on_signals:
    """While a runner works, SIGTERM/SIGINT make it stop claiming new documents (then the worker's own handler runs:
    the db_worker finishes the current task and exits). Only possible in the main thread."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self, stop: threading.Event):
        self.stop = stop
        self.previous: dict[int, Any] = {}

    def __enter__(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for sig in self.SIGNALS:
            self.previous[sig] = signal.getsignal(sig)
            signal.signal(sig, self._handle)

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)

    def _handle(self, signum: int, frame: Any) -> None:
        already = self.stop.is_set()
        self.stop.set()
        previous = self.previous.get(signum)
        if callable(previous):
            previous(signum, frame)
        elif already or previous == signal.SIG_DFL:
            raise KeyboardInterrupt
