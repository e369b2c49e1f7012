"""What the portal does with settlement drafts: create them from purchase returns, keep their link to the return of
their number, validate, create the settlement order in WDT (finance.settle.PurchaseReturn.upload) keeping its JS
number, and resolve unknown outcomes.

The upload has no deduplication key: a retry after an unknown outcome can create a second settlement order,
so an unknown draft is never sent again without a supervisor's explicit `settlement_send_again`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from returns.models import PurchaseReturn
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
from wdtportal.documents.totals import totals_of
from wdtportal.documents.transitions import move
from wdtportal.wdt.calllog import call_context
from wdtportal.wdt.client import qjb_client_from_settings
from wdtportal.wdt.errors import WdtConfigurationError

from .models import SettlementDraft, SettlementLine

S = DocumentState

UPLOAD_METHOD = "finance.settle.PurchaseReturn.upload"
LINK_CHUNK = 500
PERM_SEND = "settlements.send_settlementdraft"
PERM_RESOLVE = "settlements.resolve_settlementdraft"
PERM_CHANGE = "settlements.change_settlementdraft"
PERM_ADD = "settlements.add_settlementdraft"


# --- validation ------------------------------------------------------------------------------------

def draft_errors(draft: SettlementDraft) -> list[str]:
    return document_errors(draft, list(draft.lines.all()), line_exclude=["draft"])


def settlement_validate(*, draft: SettlementDraft, user: Any) -> list[str]:
    """Check a draft against WDT's rules (see `wdtportal.documents.services.document_validate`)."""
    return document_validate(draft, field="state", errors_of=draft_errors, user=user)


def settlements_validate(*, drafts: Iterable[SettlementDraft], user: Any) -> list[SendResult]:
    require_perm(user, PERM_CHANGE)
    return documents_validate(drafts, field="state", errors_of=draft_errors, user=user, send_perm=PERM_SEND)


def settlement_edited(*, draft: SettlementDraft, user: Any) -> None:
    document_edited(draft, field="state", user=user)


# --- the link to the portal's purchase return ----------------------------------------------------------

def settlement_drafts_link(*, return_nos: Iterable[str]) -> int:
    """Link each settlement draft of these return numbers to the portal's purchase return of its `return_no`
    (or to none), after returns were created, imported or renumbered. Drafts still linked to a return that now
    carries one of these numbers are re-linked too (a renumbered return leaves its old draft). Returns how many
    drafts' links changed. Only the link is written, whatever the drafts' states: it is not sent to WDT."""
    numbers = list(dict.fromkeys(n for n in return_nos if n))
    changed = 0
    for start in range(0, len(numbers), LINK_CHUNK):
        chunk = numbers[start:start + LINK_CHUNK]
        drafts = list(SettlementDraft.objects.filter(Q(return_no__in=chunk) | Q(purchase_return__return_no__in=chunk))
                      .only("pk", "return_no", "purchase_return_id"))
        wanted = dict(PurchaseReturn.objects.filter(return_no__in={d.return_no for d in drafts})
                      .values_list("return_no", "pk"))
        stale = [d for d in drafts if d.purchase_return_id != wanted.get(d.return_no)]
        for draft in stale:
            draft.purchase_return_id = wanted.get(draft.return_no)
        SettlementDraft.objects.bulk_update(stale, ["purchase_return"], batch_size=LINK_CHUNK)
        changed += len(stale)
    return changed


def on_returns_numbered(*, return_nos: Iterable[str], **kwargs: Any) -> None:
    """Receiver of `returns.signals.returns_numbered`: drafts entered before their return now link to it."""
    settlement_drafts_link(return_nos=return_nos)


# --- drafts from returns -----------------------------------------------------------------------------

def settlement_drafts_create_from_returns(*, purchase_returns: Iterable[PurchaseReturn],
                                          user: Any) -> list[SendResult]:
    """One settlement draft per return, lines copied (settle_num from num, price, batch_no, remark).
    Returns that already have a draft, or have no lines, are skipped."""
    require_perm(user, PERM_ADD)
    answers = []
    creator = user if getattr(user, "is_authenticated", False) else None
    for purchase_return in purchase_returns:
        existing = SettlementDraft.objects.filter(return_no=purchase_return.return_no).first()
        if existing is not None:
            answers.append(results.skipped(purchase_return, _("已有结算单草稿（%(s)s）") % {
                "s": existing.get_state_display()}))
            continue
        lines = list(purchase_return.lines.all())
        if not lines:
            answers.append(results.skipped(purchase_return, _("没有明细，无法生成结算单草稿")))
            continue
        with transaction.atomic():
            draft = SettlementDraft.objects.create(
                return_no=purchase_return.return_no, purchase_return=purchase_return,
                logistics_company_no=purchase_return.logistics_code, logistics_no=purchase_return.logistics_no,
                created_by=creator, **totals_of((line.num, line.price) for line in lines).fields(),
            )
            SettlementLine.objects.bulk_create([
                SettlementLine(draft=draft, line_no=index, spec_no=line.spec_no, settle_num=line.num,
                               price=line.price, batch_no=line.batch_no, remark=line.remark)
                for index, line in enumerate(lines, start=1)
            ])
        answers.append(results.created(purchase_return, _("已生成结算单草稿")))
    return answers


# --- payload ---------------------------------------------------------------------------------------

def _line_payload(line: SettlementLine) -> dict[str, Any]:
    item: dict[str, Any] = {"spec_no": line.spec_no, "settle_num": decimal_text(line.settle_num)}
    if line.price is not None:
        item["price"] = decimal_text(line.price)
    if line.tax_rate is not None:
        item["tax_rate"] = decimal_text(line.tax_rate)
    if line.remark:
        item["remark"] = line.remark
    if line.batch_no:
        item["batch_no"] = line.batch_no
    if line.expire_date:
        item["expire_date"] = line.expire_date.isoformat()
    return item


def build_settlement_args(draft: SettlementDraft) -> list[Any]:
    """The positional arguments of the upload: `[settle_order, detail_list]`, decimals as strings."""
    order: dict[str, Any] = {"return_no": draft.return_no}
    for name in ("logistics_company_no", "logistics_no"):
        if getattr(draft, name):
            order[name] = getattr(draft, name)
    if draft.invoice_type is not None:
        order["invoice_type"] = int(draft.invoice_type)
    if draft.invoice_no:
        order["invoice_no"] = draft.invoice_no
    for name in ("post_fee", "other_fee"):
        if getattr(draft, name) is not None:
            order[name] = decimal_text(getattr(draft, name))
    if draft.remark:
        order["remark"] = draft.remark
    order["is_check"] = 1 if draft.is_check else 0
    order["fuzzy_query"] = 1 if draft.fuzzy_query else 0
    return [order, [_line_payload(line) for line in draft.lines.all()]]


# --- sending ---------------------------------------------------------------------------------------

def _upload(draft: SettlementDraft, *, user: Any, allowed_from: set[str], reason: str,
            client: Any = None) -> SendResult:
    own_client = client is None
    if own_client:
        try:
            client = qjb_client_from_settings()
        except WdtConfigurationError as exc:
            return results.skipped(draft, _("旺店通旗舰版接口未配置：%(s)s") % {"s": exc.setting})
    try:
        claimed = sending.claim(SettlementDraft, draft.pk, field="state", user=user, reason=reason,
                                allowed_from=allowed_from, check=draft_errors)
        if isinstance(claimed, SendResult):
            return claimed
        args = build_settlement_args(claimed)
        values: dict[str, Any] = {}
        try:
            with call_context(user=user, document=claimed):
                data = client.call(UPLOAD_METHOD, *args)
        except Exception as exc:  # every failure is recorded on the draft, none leaves it sending
            outcome, message = sending.outcome_of_error(exc)
        else:
            js_order_no = str(data.get("order_no") or "").strip() if isinstance(data, dict) else ""
            if js_order_no:
                outcome, message = Outcome.DONE, _("结算单已创建：%(no)s") % {"no": js_order_no}
                values["js_order_no"] = js_order_no
            else:
                # WDT said yes but gave no number: the order probably exists; a person must find it.
                outcome, message = Outcome.UNKNOWN, _("旺店通表示成功但没有返回结算单号，请在旺店通核对后处理")
        return sending.finish(SettlementDraft, claimed.pk, field="state", outcome=outcome, message=message,
                              user=user, values=values)
    finally:
        if own_client:
            client.close()


def settlement_submit(*, draft: SettlementDraft, user: Any, client: Any = None) -> SendResult:
    """Create the settlement order in WDT and keep its JS number. Never resends a draft in unknown.
    `client`: a `QjbClient` to reuse across many sends; built from settings when omitted."""
    require_perm(user, PERM_SEND)
    return _upload(draft, user=user, allowed_from=SENDABLE, reason=_("创建结算单"), client=client)


def settlements_submit(*, drafts: Iterable[SettlementDraft], user: Any) -> list[SendResult]:
    require_perm(user, PERM_SEND)
    try:
        client = qjb_client_from_settings()
    except WdtConfigurationError as exc:
        message = _("旺店通旗舰版接口未配置：%(s)s") % {"s": exc.setting}
        return [results.skipped(d, message) for d in drafts]
    try:
        return [settlement_submit(draft=d, user=user, client=client) for d in drafts]
    finally:
        client.close()


def settlement_send_again(*, draft: SettlementDraft, user: Any) -> SendResult:
    """A supervisor's explicit resend of a draft in unknown, after checking WDT has no settlement order for it.
    If WDT did create one, this creates a second. The draft is in unknown, or queued by the supervisor's
    send-again job (wdtportal/jobs/kinds.py), which queues only drafts in unknown."""
    require_perm(user, PERM_RESOLVE)
    return _upload(draft, user=user, allowed_from={S.UNKNOWN, S.QUEUED},
                   reason=_("主管确认旺店通中没有此结算单，重新发送"))


@transaction.atomic
def settlement_mark_done(*, draft: SettlementDraft, user: Any, js_order_no: str) -> SendResult:
    """A supervisor found the settlement order in WDT: record its JS number and mark the draft done.
    Raises ValidationError (Chinese message) for an empty, too long or already used number."""
    require_perm(user, PERM_RESOLVE)
    js_order_no = (js_order_no or "").strip()
    if not js_order_no:
        raise ValidationError(_("请填写在旺店通中查到的结算单号（JS开头）"))
    if len(js_order_no) > 40:
        raise ValidationError(_("结算单号最长40个字符"))
    document = SettlementDraft.objects.select_for_update().get(pk=draft.pk)
    if document.state != S.UNKNOWN:
        return results.skipped(document, _("状态不是“结果未知”，无需处理"))
    other = SettlementDraft.objects.filter(js_order_no=js_order_no).exclude(pk=document.pk).first()
    if other is not None:
        message = _("结算单号 %(no)s 已记录在 %(other)s 上")
        raise ValidationError(message % {"no": js_order_no, "other": other.return_no})
    reason = _("主管确认旺店通中已存在结算单 %(no)s，标记为已完成") % {"no": js_order_no}
    document.js_order_no = js_order_no
    document.last_message = reason
    document.save(update_fields=["js_order_no", "last_message"])
    move(document, "state", S.DONE, user=user, reason=reason)
    return results.done(document, reason)
