"""What the portal does with purchase returns: validate, push the outbound order, stop waiting, resolve
unknown outcomes. The admin, commands and background jobs all call these."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any, Literal

from django.db import transaction
from django.utils.translation import gettext as _

from wdtportal.documents import results, sending
from wdtportal.documents.results import Outcome, SendResult
from wdtportal.documents.services import (
    decimal_text,
    document_edited,
    document_errors,
    document_validate,
    documents_validate,
    require_perm,
)
from wdtportal.documents.states import SENDABLE, DocumentState
from wdtportal.documents.transitions import move
from wdtportal.wdt.calllog import call_context
from wdtportal.wdt.client import enterprise_client_from_settings, qjb_client_from_settings
from wdtportal.wdt.errors import WdtConfigurationError

from .models import OutboundLine, PurchaseReturn

S = DocumentState
logger = logging.getLogger(__name__)

OUTBOUND_ENDPOINT = "purchase_return_order_push.php"
STOP_WAITING_METHOD = "purchase.PurchaseReturn.pending"
STOP_WAITING_CHUNK = 500  # the vendor's limit per request

PERM_SEND = "returns.send_purchasereturn"
PERM_RESOLVE = "returns.resolve_purchasereturn"
PERM_CHANGE = "returns.change_purchasereturn"


def return_errors(purchase_return: PurchaseReturn) -> list[str]:
    lines = list(purchase_return.lines.all())
    return document_errors(purchase_return, lines, line_exclude=["purchase_return"])


def return_validate(*, purchase_return: PurchaseReturn, user: Any) -> list[str]:
    """Check a return against WDT's rules (see `document_validate`)."""
    return document_validate(purchase_return, field="outbound_state", errors_of=return_errors, user=user)


def returns_validate(*, purchase_returns: Iterable[PurchaseReturn], user: Any) -> list[SendResult]:
    require_perm(user, PERM_CHANGE)
    return documents_validate(purchase_returns, field="outbound_state", errors_of=return_errors, user=user,
                              send_perm=PERM_SEND)


def return_edited(*, purchase_return: PurchaseReturn, user: Any) -> None:
    document_edited(purchase_return, field="outbound_state", user=user)


# --- outbound order (enterprise gateway) -----------------------------------------------------------

def _line_payload(line: OutboundLine) -> dict[str, Any]:
    item: dict[str, Any] = {"spec_no": line.spec_no, "num": decimal_text(line.num)}
    if line.price is not None:
        item["price"] = decimal_text(line.price)
    for name in ("position_no", "batch_no", "remark"):
        if getattr(line, name):
            item[name] = getattr(line, name)
    return item


def build_outbound_payload(purchase_return: PurchaseReturn) -> dict[str, Any]:
    """The exact `purchase_return_info` object the push sends (decimals as strings, the stable outer_no).
    Read-only: the "what will be sent" page shows it (outer_no is generated when the return is created)."""
    info: dict[str, Any] = {"return_no": purchase_return.return_no, "outer_no": purchase_return.outer_no}
    for name in ("logistics_code", "logistics_no"):
        if getattr(purchase_return, name):
            info[name] = getattr(purchase_return, name)
    if purchase_return.post_cost is not None:
        info["post_cost"] = decimal_text(purchase_return.post_cost)
    if purchase_return.remark:
        info["remark"] = purchase_return.remark
    info["is_check"] = 1 if purchase_return.is_check else 0
    info["detail_list"] = [_line_payload(line) for line in purchase_return.lines.all()]
    return info


def _push(purchase_return: PurchaseReturn, *, user: Any, allowed_from: set[str], reason: str,
          client: Any = None) -> SendResult:
    own_client = client is None
    if own_client:
        try:
            client = enterprise_client_from_settings()
        except WdtConfigurationError as exc:
            return results.skipped(purchase_return, _("旺店通企业版接口未配置：%(s)s") % {"s": exc.setting})
    try:
        claimed = sending.claim(PurchaseReturn, purchase_return.pk, field="outbound_state", user=user, reason=reason,
                                allowed_from=allowed_from, check=return_errors)
        if isinstance(claimed, SendResult):
            return claimed
        if not claimed.outer_no:  # a row inserted without save(): give it its number before WDT sees it
            claimed.save(update_fields=["outer_no"])
        payload = build_outbound_payload(claimed)
        try:
            with call_context(user=user, document=claimed):
                client.call(OUTBOUND_ENDPOINT, purchase_return_info=payload)
        except Exception as exc:  # every failure is recorded on the document, none leaves it sending
            outcome, message = sending.outcome_of_error(exc)
        else:
            # WDT's own word for success is English ("succeed"): the clerk reads ours, in her language.
            outcome, message = Outcome.DONE, str(_("出库单已创建"))
        return sending.finish(PurchaseReturn, claimed.pk, field="outbound_state", outcome=outcome, message=message,
                              user=user)
    finally:
        if own_client:
            client.close()


def return_push_outbound(*, purchase_return: PurchaseReturn, user: Any, client: Any = None) -> SendResult:
    """Create the return's outbound order in WDT (purchase_return_order_push.php). `client`: an
    `EnterpriseClient` to reuse across many sends (its connection pool); built from settings when omitted."""
    require_perm(user, PERM_SEND)
    return _push(purchase_return, user=user, allowed_from=SENDABLE, reason=_("推送出库单"), client=client)


def returns_push_outbound(*, purchase_returns: Iterable[PurchaseReturn], user: Any) -> list[SendResult]:
    require_perm(user, PERM_SEND)
    try:
        client = enterprise_client_from_settings()
    except WdtConfigurationError as exc:
        message = _("旺店通企业版接口未配置：%(s)s") % {"s": exc.setting}
        return [results.skipped(r, message) for r in purchase_returns]
    try:
        return [return_push_outbound(purchase_return=r, user=user, client=client) for r in purchase_returns]
    finally:
        client.close()


# --- stop waiting (flagship gateway) ---------------------------------------------------------------

def _stop_waiting_chunk(pks: list[int], *, user: Any, client: Any, reason: str,
                        allowed_from: set[str] | None = None) -> list[SendResult]:
    if allowed_from is None:
        claimed, answers = sending.claim_many(PurchaseReturn, pks, field="waiting_state", user=user, reason=reason)
    else:
        claimed, answers = [], []
        for pk in pks:
            one = sending.claim(PurchaseReturn, pk, field="waiting_state", user=user, reason=reason,
                                allowed_from=allowed_from)
            (answers if isinstance(one, SendResult) else claimed).append(one)
    if not claimed:
        return answers
    numbers = [r.return_no for r in claimed]
    label = numbers[0] if len(numbers) == 1 else _("%(first)s 等%(n)s张") % {"first": numbers[0], "n": len(numbers)}
    try:
        with call_context(user=user, document=claimed[0] if len(claimed) == 1 else None, label=label):
            data = client.call(STOP_WAITING_METHOD, numbers)
    except Exception as exc:  # recorded on every document of the chunk
        outcome, message = sending.outcome_of_error(exc)
        outcomes = {r.pk: (outcome, message) for r in claimed}
    else:
        outcomes = _stop_waiting_outcomes(claimed, data)
    return answers + sending.finish_many(PurchaseReturn, outcomes, field="waiting_state", user=user)


def _stop_waiting_outcomes(claimed: list[PurchaseReturn], data: Any) -> dict[int, tuple[str, str]]:
    """What a status-0 answer means for each return of the chunk: refused if an `error_info` entry names it,
    else done. An answer without a readable `data` object leaves the whole chunk unknown (WDT may or may not have
    done it); an entry naming no return of the chunk is logged and shown on the chunk's done returns."""
    entries = (data.get("error_info") or []) if isinstance(data, dict) else None
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        message = _("旺店通表示成功，但回答中的单据数据（data / error_info）缺失或无法识别，"
                    "不知道哪些退货单已停止等待。请在旺店通核对后由主管处理")
        return {r.pk: (Outcome.UNKNOWN, message) for r in claimed}
    numbers = {r.return_no for r in claimed}
    refused: dict[str, str] = {}
    unmatched: list[str] = []
    no_number = _("（无单号）")
    for entry in entries:
        order_no = str(entry.get("order_no") or "").strip()
        message = str(entry.get("message") or _("旺店通未说明原因"))
        if order_no in numbers and _already_stopped(message):
            continue  # stopping it again changed nothing: it is stopped, as asked (docs/sandbox.md, assumptions)
        if order_no in numbers:
            refused[order_no] = message
        else:
            unmatched.append(_("%(no)s：%(message)s") % {"no": order_no or no_number, "message": message})
    done = _("已停止等待")
    if unmatched:
        logger.warning("stop waiting: %d error_info entries name no return of the chunk of %d: %s",
                       len(unmatched), len(claimed), "; ".join(unmatched[:20]))
        shown = "；".join(unmatched[:5]) + (_("等%(n)s条") % {"n": len(unmatched)} if len(unmatched) > 5 else "")
        done += _("（注意：旺店通还返回了对应不到本批退货单的错误：%(e)s。"
                  "请在接口调用记录中核对本批是否都已停止等待）") % {"e": shown}
    return {r.pk: (Outcome.FAILED, refused[r.return_no]) if r.return_no in refused else (Outcome.DONE, done)
            for r in claimed}


# WDT's pages quote no refusal for a return already stopped (the sandbox answers success again). Should WDT refuse
# one, with a message saying it is stopped already, that refusal means done: our assumption about its wording.
ALREADY_STOPPED = ("已停止", "已经停止")


def _already_stopped(message: str) -> bool:
    return any(words in message for words in ALREADY_STOPPED)


def returns_stop_waiting(*, purchase_returns: Iterable[PurchaseReturn], user: Any) -> list[SendResult]:
    """Stop waiting on the returns in WDT, at most 500 numbers per request; each `error_info` entry is
    recorded on its own return. Results come back in the order of the selection."""
    require_perm(user, PERM_SEND)
    selection = list(dict.fromkeys(r.pk for r in purchase_returns))
    try:
        client = qjb_client_from_settings()
    except WdtConfigurationError as exc:
        message = _("旺店通旗舰版接口未配置：%(s)s") % {"s": exc.setting}
        return [results.skipped(r, message) for r in PurchaseReturn.objects.filter(pk__in=selection)]
    answers: list[SendResult] = []
    try:
        for start in range(0, len(selection), STOP_WAITING_CHUNK):
            chunk = selection[start:start + STOP_WAITING_CHUNK]
            answers.extend(_stop_waiting_chunk(chunk, user=user, client=client, reason=_("停止等待")))
    finally:
        client.close()
    position = {pk: i for i, pk in enumerate(selection)}
    return sorted(answers, key=lambda a: position[a.document.pk])


# --- automatic re-sends (wdtportal/documents/resending.py) --------------------------------------

def returns_resend_unknown(pks: list[int], *, field: str, attempt: int, of: int) -> list[SendResult]:
    """Send again, by the system, the returns whose `field` was left unknown: safe because WDT deduplicates the
    outbound order by the unchanged outer_no, and stopping a stopped return changes nothing. Only returns still in
    unknown are claimed (one a supervisor resolved meanwhile is skipped); each attempt is a state change in the
    return's history and a call in the log, with no user. A refusal fails the return with WDT's message."""
    reason = _("自动重新发送（第%(n)s次，共%(of)s次）") % {"n": attempt, "of": of}
    returns = list(PurchaseReturn.objects.filter(pk__in=pks).order_by("pk"))
    return _send_again(returns, field=field, user=None, reason=reason, allowed_from={S.UNKNOWN})


def returns_send_again(*, purchase_returns: Iterable[PurchaseReturn], user: Any, field: str) -> list[SendResult]:
    """A supervisor's "send again" of returns whose `field` is unknown, or queued from unknown by her send-again
    job (job_kinds.py): the outbound orders one by one, the stop-waiting 500 numbers a request."""
    require_perm(user, PERM_RESOLVE)
    return _send_again(list(purchase_returns), field=field, user=user, reason=_("主管确认后重新发送"),
                       allowed_from={S.UNKNOWN, S.QUEUED})


def _send_again(returns: list[PurchaseReturn], *, field: str, user: Any, reason: str,
                allowed_from: set[str]) -> list[SendResult]:
    if field not in RESOLVABLE_FIELDS:
        raise ValueError(f"unknown state field {field!r}")
    outbound = field == "outbound_state"
    try:
        client = enterprise_client_from_settings() if outbound else qjb_client_from_settings()
    except WdtConfigurationError as exc:
        message = (_("旺店通企业版接口未配置：%(s)s") if outbound else _("旺店通旗舰版接口未配置：%(s)s")) % {
            "s": exc.setting}
        return [results.skipped(r, message) for r in returns]
    answers: list[SendResult] = []
    try:
        if outbound:
            for purchase_return in returns:
                answers.append(_push(purchase_return, user=user, allowed_from=allowed_from, reason=reason,
                                     client=client))
        else:
            for start in range(0, len(returns), STOP_WAITING_CHUNK):
                chunk = [r.pk for r in returns[start:start + STOP_WAITING_CHUNK]]
                answers.extend(_stop_waiting_chunk(chunk, user=user, client=client, reason=reason,
                                                   allowed_from=allowed_from))
    finally:
        client.close()
    return answers


# --- unknown outcomes ------------------------------------------------------------------------------

ResolveAction = Literal["mark_done", "send_again"]
RESOLVABLE_FIELDS = ("outbound_state", "waiting_state")


@transaction.atomic
def _mark_done(purchase_return: PurchaseReturn, *, field: str, user: Any, note: str,
               allowed_from: frozenset[str]) -> SendResult:
    document = PurchaseReturn.objects.select_for_update().get(pk=purchase_return.pk)
    if getattr(document, field) not in allowed_from:
        return results.skipped(document, _("状态不是“结果未知”，无需处理"))
    reason = _("主管确认旺店通中已存在，标记为已完成") + (f"：{note}" if note else "")
    document.last_message = reason
    document.save(update_fields=["last_message"])
    move(document, field, S.DONE, user=user, reason=reason)
    return results.done(document, reason)


def return_resolve_unknown(*, purchase_return: PurchaseReturn, user: Any, action: ResolveAction,
                           field: str = "outbound_state", note: str = "", queued: bool = False) -> SendResult:
    """A supervisor's decision on a return whose send has an unknown outcome.

    `mark_done`: it is in WDT (checked by a person). `send_again`: send it once more; for the outbound order
    WDT deduplicates by the unchanged `outer_no`, and stopping waiting twice does no harm. The return is in unknown,
    or queued by the supervisor's send-again job (wdtportal/jobs/kinds.py), which queues only returns in unknown.
    `queued`: marked done by the supervisor's mark-done job, which queued it from unknown (job_kinds.py); without
    it a queued return is not marked done (another job is sending it).
    """
    require_perm(user, PERM_RESOLVE)
    if field not in RESOLVABLE_FIELDS:
        raise ValueError(f"unknown state field {field!r}")
    if action == "mark_done":
        return _mark_done(purchase_return, field=field, user=user, note=note,
                          allowed_from=frozenset({S.UNKNOWN, S.QUEUED} if queued else {S.UNKNOWN}))
    if action != "send_again":
        raise ValueError(f"unknown action {action!r}")
    if getattr(purchase_return, field) != S.UNKNOWN:
        purchase_return.refresh_from_db()
    return returns_send_again(purchase_returns=[purchase_return], user=user, field=field)[0]


def returns_resolve_unknown(*, purchase_returns: Iterable[PurchaseReturn], user: Any, action: ResolveAction,
                            note: str = "") -> list[SendResult]:
    """Resolve every unknown state (outbound and/or waiting) of each return in the selection."""
    require_perm(user, PERM_RESOLVE)
    answers = []
    for purchase_return in purchase_returns:
        fields = [f for f in RESOLVABLE_FIELDS if getattr(purchase_return, f) == S.UNKNOWN]
        if not fields:
            answers.append(results.skipped(purchase_return, _("没有结果未知的发送，无需处理")))
        for field in fields:
            answers.append(return_resolve_unknown(purchase_return=purchase_return, user=user, action=action,
                                                  field=field, note=note))
    return answers
