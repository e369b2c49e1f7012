"""Sending again, by the workers themselves, what came back unknown where a second send changes nothing in WDT.

WDT deduplicates the outbound order by its unchanged `outer_no`, and stopping a stopped return changes nothing: a
send of those left unknown (a lost answer, a 5xx, a worker killed while sending) is tried again after each delay of
WDT_AUTO_RESEND_DELAYS, then left unknown for a supervisor. The document apps say which state fields are such and
how to send them (`registry.register(..., resend=...)`); a settlement upload has no deduplication key and registers
none.

The schedule is one `AutoResend` row per waiting document, written with the move itself (`transitions.move` /
`move_many` call `record_moves`): whatever moved a document to unknown (a send's finish, the sweep of a dead
worker's sends, a job giving a document back) scheduled its next attempt in the same transaction. The workers'
maintenance calls `documents_resend_due`: it takes the due rows under lock, counts the attempt and leases the row
past the sweep's timeout in one transaction (two workers never take the same row), then sends through the app's
service, whose claim moves only a document still unknown: one a supervisor resolved meanwhile is skipped. Each
attempt is a move to sending and back, in the document's history and the call log.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import Count, F, Min, Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from . import registry
from .models import AutoResend
from .states import DocumentState

logger = logging.getLogger(__name__)

S = DocumentState
# Documents re-sent in one maintenance round at most, so that the worker's loop stays responsive.
RESEND_LIMIT = 500


def resend_delays() -> list[int]:
    """Seconds before each automatic attempt (WDT_AUTO_RESEND_DELAYS); empty: never automatically."""
    return list(settings.WDT_AUTO_RESEND_DELAYS)


def resends_automatically(model: type[models.Model], field: str) -> bool:
    return bool(resend_delays()) and registry.resender(model._meta.concrete_model, field) is not None


def _lease() -> timedelta:
    """How long a taken re-send is held: past the sweep of a send left in sending (WDT_SENDING_TIMEOUT)."""
    return timedelta(seconds=settings.WDT_SENDING_TIMEOUT + 60)


def _next_at(attempts: int, now: datetime) -> datetime | None:
    delays = resend_delays()
    return now + timedelta(seconds=delays[attempts]) if attempts < len(delays) else None


def record_moves(model: type[models.Model], field: str, pks: Iterable[Any], to: str) -> None:
    """Keep the schedule in step with a move just written (called by `transitions`, in the move's transaction):
    schedule the next attempt of documents entering unknown, forget those reaching done or failed. A few queries
    for any number of documents; none for a field that is not re-sent automatically."""
    model = model._meta.concrete_model
    if registry.resender(model, field) is None or to not in (S.UNKNOWN, S.DONE, S.FAILED):
        return
    pks = list(pks)
    content_type = ContentType.objects.get_for_model(model)
    rows = AutoResend.objects.filter(content_type=content_type, field=field)
    if to != S.UNKNOWN:
        rows.filter(object_id__in=pks).delete()
        return
    if not resend_delays():
        return
    now = timezone.now()
    attempts = dict(rows.filter(object_id__in=pks).values_list("object_id", "attempts"))
    AutoResend.objects.bulk_create(
        [AutoResend(content_type=content_type, object_id=pk, field=field, attempts=0, next_at=_next_at(0, now))
         for pk in pks if pk not in attempts], batch_size=500)
    # Back to unknown after an automatic attempt: the next delay, or none left.
    by_attempts: dict[int, list[Any]] = {}
    for pk, made in attempts.items():
        by_attempts.setdefault(made, []).append(pk)
    for made, group in by_attempts.items():
        rows.filter(object_id__in=group).update(next_at=_next_at(made, now), updated_at=now)


def documents_resend_due(*, limit: int = RESEND_LIMIT, now: datetime | None = None) -> int:
    """Send again every document whose automatic re-send is due (at most `limit`); returns how many were sent
    (claimed and sent: one resolved meanwhile is not counted). Called by the workers' maintenance, outside any
    transaction (each send commits its own two)."""
    now = now or timezone.now()
    of = len(resend_delays())
    sent = 0
    for model, field in registry.resendable():
        if sent >= limit or not of:
            break
        content_type = ContentType.objects.get_for_model(model)
        with transaction.atomic():
            # SKIP LOCKED: another worker's maintenance taking the same rows now leaves them to it (PostgreSQL);
            # SQLite's BEGIN IMMEDIATE serializes the whole block. Taken rows are leased before the commit, so no
            # other look finds them due meanwhile.
            due = list(AutoResend.objects.select_for_update(skip_locked=True)
                       .filter(content_type=content_type, field=field, next_at__lte=now)
                       .order_by("next_at", "pk").values_list("pk", "object_id", "attempts")[:limit - sent])
            # Due again only after a lease: a worker that dies between this commit and its claim does not leave
            # the document unknown for good. By then a claimed one was settled or swept back to unknown (and
            # rescheduled by `record_moves`).
            AutoResend.objects.filter(pk__in=[row[0] for row in due]).update(
                attempts=F("attempts") + 1, next_at=now + _lease(), updated_at=now)
        by_attempt: dict[int, list[Any]] = {}
        for _pk, object_id, made in due:
            by_attempt.setdefault(made + 1, []).append(object_id)
        for attempt, pks in sorted(by_attempt.items()):
            try:
                answers = registry.resender(model, field)(pks, field=field, attempt=attempt, of=of)
            except Exception:  # the maintenance goes on; the documents stay unknown for a supervisor
                logger.exception("automatic re-send of %d %s.%s failed", len(pks), model._meta.label, field)
                continue
            sent += sum(1 for a in answers if a.outcome != "skipped")
    return sent


def _when(moment: datetime) -> str:
    local = timezone.localtime(moment)
    today = timezone.localdate()
    return formats.date_format(local, "H:i" if local.date() == today else "Y-m-d H:i")


def note_of(row: AutoResend | None) -> str:
    """What a person is told about a document's automatic re-sends ("" when it has none)."""
    if row is None:
        return ""
    of = len(resend_delays())
    if row.next_at is not None:
        return _("将于 %(time)s 自动重新发送（第%(n)s次，共%(of)s次）") % {
            "time": _when(row.next_at), "n": row.attempts + 1, "of": max(of, row.attempts + 1)}
    # No next attempt: the delays are used up (or were shortened since).
    return _("已自动重新发送%(n)s次，结果仍未知，请主管核对旺店通后处理") % {"n": row.attempts}


def resend_notes(model: type[models.Model], field: str, pks: Iterable[Any]) -> dict[Any, str]:
    """pk → note, for the documents of one page (one query)."""
    pks = list(pks)
    if not pks or registry.resender(model._meta.concrete_model, field) is None:
        return {}
    rows = AutoResend.objects.filter(content_type=ContentType.objects.get_for_model(model), field=field,
                                     object_id__in=pks)
    return {row.object_id: note_of(row) for row in rows}


def states_since(model: type[models.Model], field: str, pks: Iterable[Any]) -> dict[Any, str]:
    """pk → "now: <state>" for the documents of `pks` no longer in unknown (one query): a page that recorded them
    unknown (a job's) says what an automatic re-send or a supervisor made of them since."""
    later = model.objects.filter(pk__in=list(pks)).exclude(**{field: S.UNKNOWN})
    return {pk: _("现在的状态：%(state)s") % {"state": S(state).label} for pk, state in later.values_list("pk", field)}


def resend_summary() -> dict[str, Any]:
    """For the dashboard, in one query over the small table: documents waiting for an automatic re-send, when the
    next is due, and those whose attempts are used up."""
    used_up = Q(next_at__isnull=True, attempts__gte=len(resend_delays()))
    figures = AutoResend.objects.aggregate(waiting=Count("pk", filter=Q(next_at__isnull=False)),
                                           first=Min("next_at"), exhausted=Count("pk", filter=used_up))
    figures["next"] = _when(figures["first"]) if figures["first"] else ""
    return figures
