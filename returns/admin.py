"""Purchase returns in the admin: lists, lines, states, and the actions that call `returns.services`."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from wdtportal.documents.admin import DocumentAdmin, DocumentLineInline, StateHistoryInline, state_badge
from wdtportal.documents.list_filters import ImportBatchFilter
from wdtportal.documents.states import DocumentState
from wdtportal.jobs.admin_actions import JobActionsMixin
from wdtportal.jobs.selection import selected_across

from . import job_kinds, services
from .excel_admin import ReturnsSpreadsheetMixin
from .models import OutboundLine, PurchaseReturn
from .resources import RETURNS_BATCH
from .signals import returns_numbered


class OutboundLineInline(DocumentLineInline):
    model = OutboundLine
    fields = ("line_no", "spec_no", "num", "price", "position_no", "batch_no", "remark")


@admin.register(PurchaseReturn)
class PurchaseReturnAdmin(ReturnsSpreadsheetMixin, JobActionsMixin, DocumentAdmin):
    # The list's columns, all in this one place. They fit 1366×768 with the sidebar and the filters open
    # (tests/e2e/test_story.py measures it): short headers, times on two lines, WDT's message wrapping
    # (static/wdtportal/admin.css). What a clerk checks against a supplier's statement is here (number, states,
    # quantity, amount, times, WDT's message); outer_no, logistics, postage, who created it stay on the document's
    # page and in the filters. Apps built on returns add their own columns (settlements: the draft, last).
    list_display = ("return_no", "outbound_badge", "waiting_badge", "quantity_shown", "amount_shown",
                    "created_shown", "sent_shown", "message_shown")
    list_display_links = ("return_no",)
    # Each sortable column has its (column, id) index (PurchaseReturn.Meta.indexes); people and the postage do not
    # sort (their filters and the dates serve better).
    sortable_by = ("return_no", "outbound_badge", "waiting_badge", "quantity_shown", "amount_shown", "created_shown",
                   "sent_shown")
    list_filter = ("outbound_state", "waiting_state", "created_at", "sent_at",
                   ("created_by", admin.RelatedFieldListFilter), ("sent_by", admin.RelatedFieldListFilter),
                   ("import_batch", ImportBatchFilter))
    import_batch_kinds = (RETURNS_BATCH,)
    search_numbers = ("return_no", "outer_no", "logistics_no", "logistics_code", "lines__spec_no")
    search_texts = ("remark",)
    list_select_related = ("created_by",)
    inlines = [OutboundLineInline, StateHistoryInline]
    readonly_fields = ("outbound_badge", "waiting_badge", "wdt_links", "last_message", "line_count",
                       "total_quantity", "total_amount", "created_by", "created_at", "sent_by", "sent_at",
                       "import_batch_link")
    fieldsets = (
        (None, {"fields": ("return_no", "outer_no", "logistics_code", "logistics_no", "post_cost", "remark",
                           "is_check")}),
        (_("状态"), {"fields": ("outbound_badge", "waiting_badge", "last_message", "wdt_links")}),
        (_("记录"), {"fields": ("line_count", "total_quantity", "total_amount", "created_by", "created_at",
                                "sent_by", "sent_at", "import_batch_link")}),
    )
    actions = ["validate", "push_outbound", "stop_waiting", "resolve_unknown"]
    guarded_actions = {"push_outbound": "send", "stop_waiting": "send", "resolve_unknown": "resolve"}
    # resolve_unknown too: after "select all N" its page and its jobs read the list's query string, not the list.
    selection_actions = frozenset({"push_outbound", "stop_waiting", "resolve_unknown", "export_admin_action"})
    send_perm = services.PERM_SEND
    resolve_perm = services.PERM_RESOLVE
    unknown_fields = services.RESOLVABLE_FIELDS

    # --- columns -----------------------------------------------------------------------------------
    # Short headers for the list; the document's page and the filters name the states in full.
    @admin.display(description=_("出库单"), ordering="outbound_state")
    def outbound_badge(self, obj: PurchaseReturn) -> str:
        return state_badge(obj.outbound_state)

    @admin.display(description=_("停止等待"), ordering="waiting_state")
    def waiting_badge(self, obj: PurchaseReturn) -> str:
        return state_badge(obj.waiting_state)

    @admin.display(description=_("操作"))
    def wdt_links(self, obj: PurchaseReturn) -> str:
        return self.links(obj, can_resolve=lambda o: DocumentState.UNKNOWN in (o.outbound_state, o.waiting_state))

    def state_summary(self, obj: PurchaseReturn) -> str:
        return format_html("{}: {} / {}: {}", _("出库单"), obj.get_outbound_state_display(),
                           _("停止等待"), obj.get_waiting_state_display())

    def payloads(self, obj: PurchaseReturn) -> list[tuple[str, str, Any]]:
        return [
            (_("创建采购退货出库单（purchase_return_info）"), services.OUTBOUND_ENDPOINT,
             services.build_outbound_payload(obj)),
            (_("停止等待（请求正文）"), services.STOP_WAITING_METHOD, [[obj.return_no]]),
        ]

    # --- saving ------------------------------------------------------------------------------------
    def save_model(self, request: HttpRequest, obj: PurchaseReturn, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change or "return_no" in form.changed_data:
            # Whatever refers to returns by number (settlement drafts entered before it) may now find this one.
            returns_numbered.send(sender=PurchaseReturn, return_nos=[obj.return_no])

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if change and (form.has_changed() or any(fs.has_changed() for fs in formsets)):
            services.return_edited(purchase_return=form.instance, user=request.user)

    # --- actions -----------------------------------------------------------------------------------
    @admin.action(description=_("校验所选采购退货单"), permissions=["change"])
    def validate(self, request: HttpRequest, queryset: Any) -> Any:
        answers = services.returns_validate(purchase_returns=queryset.order_by("pk"), user=request.user)
        return self.report(request, _("校验结果"), answers)

    @admin.action(description=_("在旺店通创建出库单"), permissions=["send"])
    def push_outbound(self, request: HttpRequest, queryset: Any) -> Any:
        return self.start_job(request, job_kinds.PUSH_OUTBOUND, queryset, _("创建出库单"))

    @admin.action(description=_("在旺店通停止等待"), permissions=["send"])
    def stop_waiting(self, request: HttpRequest, queryset: Any) -> Any:
        return self.start_job(request, job_kinds.STOP_WAITING, queryset, _("停止等待"))

    @admin.action(description=_("处理结果未知的单据"), permissions=["resolve"])
    def resolve_unknown(self, request: HttpRequest, queryset: Any) -> Any:
        action = request.POST.get("resolve_action")
        if action == "send_again":  # calls WDT: in the background, as the other sends
            return self.start_resolve_jobs(request, queryset, [
                (job_kinds.OUTBOUND_SEND_AGAIN, "outbound_state"), (job_kinds.WAITING_SEND_AGAIN, "waiting_state")],
                _("处理结果未知：重新发送"))
        if action == "mark_done" and selected_across(request):  # up to every return of the list: in the background
            return self.start_resolve_jobs(request, queryset, [
                (job_kinds.OUTBOUND_MARK_DONE, "outbound_state"), (job_kinds.WAITING_MARK_DONE, "waiting_state")],
                _("处理结果未知：标记为已完成"))
        if action == "mark_done":  # ticked rows, at most a page: marked now, with the report
            answers = services.returns_resolve_unknown(purchase_returns=queryset.order_by("pk"), user=request.user,
                                                       action=action)
            return self.report(request, _("处理结果"), answers)
        return self.resolve_page(request, queryset)

    def resolve_context(self, queryset: Any) -> dict[str, Any]:
        return {
            "duplicate_cost": _("重复发送的代价：出库单按“外部单号”（outer_no）去重，"
                                "重新发送同一张单不会在旺店通产生第二张出库单；重复“停止等待”也没有害处。"),
            "check_first": _("请先在旺店通中按退货单号核对：已经存在就选“标记为已完成”，不存在就选“重新发送”。"),
            "mark_done_label": _("旺店通中已存在：标记为已完成"),
            "send_again_label": _("旺店通中没有：重新发送"),
            "needs_number": False,
        }
