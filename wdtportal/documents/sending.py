"""The two-transaction send that every call to WDT goes through.

1. `claim`: lock the document row, check that its state allows a send, move it to sending and commit.
   Two clerks pressing the same button: the second one finds the document in sending and is skipped.
   (On SQLite `select_for_update` is a no-op, but settings open every transaction with BEGIN IMMEDIATE,
   so the whole block holds the write lock and claims still serialize.)
2. The caller talks to WDT outside any transaction.
3. `finish`: in a second transaction, record done / failed / unknown. A crash between 1 and 3 leaves the
   document in sending; the sweep (`sweep.py`: the workers' maintenance, or `manage.py sweep_sending`) turns it
   into unknown after `WDT_SENDING_TIMEOUT`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.transaction import TransactionManagementError
from django.utils import timezone
from django.utils.translation import gettext as _

from wdtportal.wdt.errors import (
    WdtApiError,
    WdtError,
    WdtProtocolError,
    WdtRateLimited,
    WdtRedirected,
    WdtTransportError,
)

from . import results
from .resending import resend_notes
from .results import Outcome, SendResult
from .states import SENDABLE, DocumentState
from .transitions import StaleState, move, move_many

logger = logging.getLogger(__name__)

S = DocumentState


def refusal_reason(state: str, *, resend_note: str = "") -> str:
    """Why a document in `state` is not sent. `resend_note`: what its automatic re-sends will do (resending.py),
    for a document in unknown that has them."""
    if state == S.UNKNOWN and resend_note:
        return str(_("上次发送结果未知：%(note)s") % {"note": resend_note})
    reasons = {
        S.SENDING: _("正在发送中，请勿重复发送"),
        S.DONE: _("旺店通已接受，无需再发送"),
        S.UNKNOWN: _("上次发送结果未知，不会自动重发；请主管核对旺店通后处理"),
    }
    return str(reasons.get(state, _("当前状态（%(state)s）不能发送") % {"state": S(state).label}))


def _refusals(model: type[models.Model], field: str, documents: list[Any]) -> list[SendResult]:
    """The skipped results of documents not sendable, with their automatic re-sends told (one query)."""
    notes = resend_notes(model, field, [d.pk for d in documents if getattr(d, field) == S.UNKNOWN])
    return [results.skipped(d, refusal_reason(getattr(d, field), resend_note=notes.get(d.pk, "")))
            for d in documents]


def require_no_outer_transaction() -> None:
    """A send is two transactions that must each commit on their own. Inside an outer `atomic` block they would
    silently become one: the move to sending would not be visible to other clerks before WDT is called, and a
    crash would roll it back, losing the record that the request may have reached WDT."""
    if transaction.get_connection().in_atomic_block:
        raise TransactionManagementError("a send to WDT must not run inside transaction.atomic(): "
                                         "claim() and finish() commit on their own")


def claim(model: type[models.Model], pk: Any, *, field: str, user: Any, reason: str,
          allowed_from: Iterable[str] = SENDABLE,
          check: Callable[[Any], list[str]] | None = None) -> Any | SendResult:
    """Lock, check, move to sending, commit. Returns the claimed document, or a skipped result."""
    require_no_outer_transaction()
    allowed_from = set(allowed_from)
    with transaction.atomic():
        document = model.objects.select_for_update().get(pk=pk)
        state = getattr(document, field)
        if state not in allowed_from:
            return _refusals(model, field, [document])[0]
        if check is not None:
            errors = check(document)
            if errors:
                return results.skipped(document, _("校验未通过，未发送：") + "；".join(errors))
        try:
            move(document, field, S.SENDING, user=user, reason=reason)
        except StaleState:  # cannot happen under the row lock; if it does, the row's own state decides
            document.refresh_from_db(fields=[field])
            return results.skipped(document, refusal_reason(getattr(document, field)))
        document.sent_by = user if getattr(user, "is_authenticated", False) else None
        document.sent_at = timezone.now()
        document.save(update_fields=["sent_by", "sent_at"])
    return document


def claim_many(model: type[models.Model], pks: list[Any], *, field: str, user: Any,
               reason: str) -> tuple[list[Any], list[SendResult]]:
    """`claim` for many documents in one transaction: (claimed documents, skipped results)."""
    require_no_outer_transaction()
    with transaction.atomic():
        documents = list(model.objects.select_for_update().filter(pk__in=pks).order_by("pk"))
        claimable = [d for d in documents if getattr(d, field) in SENDABLE]
        skipped = _refusals(model, field, [d for d in documents if getattr(d, field) not in SENDABLE])
        move_many(claimable, field, S.SENDING, user=user, reason=reason)
        now = timezone.now()
        sent_by = user if getattr(user, "is_authenticated", False) else None
        for document in claimable:
            document.sent_by, document.sent_at = sent_by, now
        model.objects.bulk_update(claimable, ["sent_by", "sent_at"], batch_size=500)
    return claimable, skipped


def outcome_of_error(exc: BaseException) -> tuple[str, str]:
    """What a failed call means for the document: (outcome, message for the clerk)."""
    if isinstance(exc, WdtRateLimited):
        return Outcome.FAILED, _("旺店通限流，请求未执行，请稍后重新发送：%(m)s") % {"m": exc.message}
    if isinstance(exc, WdtApiError):
        return Outcome.FAILED, exc.message or _("旺店通拒绝了请求（代码 %(c)s）") % {"c": exc.code}
    if isinstance(exc, WdtTransportError) and not exc.may_have_reached:
        return Outcome.FAILED, _("未能连接旺店通，请求没有发出，可以重新发送")
    if isinstance(exc, WdtTransportError):
        return Outcome.UNKNOWN, _("请求可能已到达旺店通，但没有收到回答（%(m)s）。请在旺店通核对后由主管处理") % {
            "m": _no_answer(exc)}
    if isinstance(exc, WdtRedirected):
        message = _("旺店通网关地址返回了重定向，请求没有执行（%(m)s）。请管理员检查网关地址设置后重新发送")
        return Outcome.FAILED, message % {"m": exc.message}
    if isinstance(exc, WdtProtocolError):
        return Outcome.UNKNOWN, _("旺店通的回答无法识别（%(m)s），请求可能已执行。请在旺店通核对后由主管处理") % {
            "m": exc.message}
    if isinstance(exc, WdtError) and not exc.outcome_unknown:
        return Outcome.FAILED, str(exc)
    logger.exception("unexpected error while calling WDT", exc_info=exc)
    message = _("发送时出现意外错误（%(m)s），结果未知。请在旺店通核对后由主管处理")
    return Outcome.UNKNOWN, message % {"m": type(exc).__name__}


def _no_answer(exc: WdtTransportError) -> str:
    """Why no answer came, in the clerk's language (the call log keeps the client's technical text)."""
    if exc.http_status:
        return _("旺店通返回 HTTP %(status)s") % {"status": exc.http_status}
    if exc.timed_out:
        return _("等待回答超时")
    return _("连接中断")


_STATE_FOR = {Outcome.DONE: S.DONE, Outcome.FAILED: S.FAILED, Outcome.UNKNOWN: S.UNKNOWN}


def finish(model: type[models.Model], pk: Any, *, field: str, outcome: str, message: str, user: Any,
           values: dict[str, Any] | None = None) -> SendResult:
    """Second transaction: record what WDT said. `values` (e.g. the JS number) are saved with a success."""
    with transaction.atomic():
        document = model.objects.select_for_update().get(pk=pk)
        return _finish_locked(document, field=field, outcome=outcome, message=message, user=user, values=values)


def finish_many(model: type[models.Model], outcomes: dict[Any, tuple[str, str]], *, field: str,
                user: Any) -> list[SendResult]:
    """`finish` for many documents in one transaction; `outcomes` maps pk → (outcome, message)."""
    answers = []
    with transaction.atomic():
        documents = model.objects.select_for_update().filter(pk__in=list(outcomes)).order_by("pk")
        by_target: dict[tuple[str, str], list[Any]] = {}
        for document in documents:
            outcome, message = outcomes[document.pk]
            if getattr(document, field) == S.SENDING:
                by_target.setdefault((outcome, message), []).append(document)
            else:
                answers.append(_finish_locked(document, field=field, outcome=outcome, message=message, user=user))
        for (outcome, message), group in by_target.items():
            move_many(group, field, _STATE_FOR[outcome], user=user, reason=message)
            for document in group:
                document.last_message = message
                answers.append(SendResult(document, outcome, message))
            model.objects.bulk_update(group, ["last_message"], batch_size=500)
    return answers


def _finish_locked(document: Any, *, field: str, outcome: str, message: str, user: Any,
                   values: dict[str, Any] | None = None) -> SendResult:
    state = getattr(document, field)
    target = _STATE_FOR[outcome]
    if state == S.SENDING or (state == S.UNKNOWN and target == S.DONE):
        # From unknown only to done: the sweep gave up on this send, but the answer came after all.
        for name, value in (values or {}).items():
            setattr(document, name, value)
        document.last_message = message
        try:
            with transaction.atomic():
                document.save(update_fields=["last_message", *(values or {})])
        except IntegrityError:
            # WDT's number is already on another document: keep it visible and let a person look.
            document.refresh_from_db()
            target, outcome = S.UNKNOWN, Outcome.UNKNOWN
            message = _("旺店通返回的单号 %(v)s 已记录在另一张单据上，请核对") % {
                "v": ", ".join(str(v) for v in (values or {}).values())}
            document.last_message = message
            document.save(update_fields=["last_message"])
            if state == S.UNKNOWN:
                return SendResult(document, outcome, message)
        move(document, field, target, user=user, reason=message)
        return SendResult(document, outcome, message)
    # Someone else settled the document meanwhile (the sweep): keep its state, keep what WDT said.
    note = _("（旺店通的回答晚于状态变更到达）")
    document.last_message = f"{message}{note}"
    document.save(update_fields=["last_message"])
    return SendResult(document, Outcome.UNKNOWN if state == S.UNKNOWN else outcome, document.last_message)
