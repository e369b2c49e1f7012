"""Settlement drafts in the admin: lists, lines, states, and the actions that call `settlements.services`."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from returns.admin import PurchaseReturnAdmin
from returns.models import PurchaseReturn
from wdtportal.documents import results
from wdtportal.documents.admin import DocumentAdmin, DocumentLineInline, StateHistoryInline, state_badge
from wdtportal.documents.list_filters import ImportBatchFilter
from wdtportal.documents.states import DocumentState
from wdtportal.jobs.admin_actions import JobActionsMixin
from wdtportal.jobs.selection import selected_across

from . import job_kinds, services
from .excel_admin import SettlementsSpreadsheetMixin
from .models import SettlementDraft, SettlementLine
from .resources import SETTLEMENTS_BATCH


class SettlementLineInline(DocumentLineInline):
    model = SettlementLine
    fields = ("line_no", "spec_no", "settle_num", "price", "tax_rate", "batch_no", "expire_date", "remark")


@admin.register(SettlementDraft)
class SettlementDraftAdmin(SettlementsSpreadsheetMixin, JobActionsMixin, DocumentAdmin):
    # The list's columns, all in this one place, fitted to 1366×768 with the sidebar open as the returns' list
    # is (see PurchaseReturnAdmin). The return's link, invoice and fees stay on the draft's page and in the filters.
    list_display = ("return_no", "state_badge", "js_order_no", "quantity_shown", "amount_shown",
                    "created_shown", "sent_shown", "message_shown")
    list_display_links = ("return_no",)
    # Each sortable column has its index (SettlementDraft.Meta.indexes).
    sortable_by = ("return_no", "state_badge", "js_order_no", "quantity_shown", "amount_shown", "created_shown",
                   "sent_shown")
    list_filter = ("state", "invoice_type", "created_at", "sent_at",
                   ("created_by", admin.RelatedFieldListFilter), ("sent_by", admin.RelatedFieldListFilter),
                   ("import_batch", ImportBatchFilter))
    import_batch_kinds = (SETTLEMENTS_BATCH,)
    search_numbers = ("return_no", "js_order_no", "logistics_no", "logistics_company_no", "lines__spec_no",
                      "purchase_return__outer_no")
    search_texts = ("remark",)
    # The return's link needs no join: a draft is linked to the return of its own return_no.
    list_select_related = ("created_by",)
    inlines = [SettlementLineInline, StateHistoryInline]
    readonly_fields = ("state_badge", "js_order_no", "return_link", "wdt_links", "last_message", "line_count",
                       "total_quantity", "total_amount", "created_by", "created_at", "sent_by", "sent_at",
                       "import_batch_link")
    fieldsets = (
        (None, {"fields": ("return_no", "return_link", "logistics_company_no", "logistics_no", "invoice_type",
                           "invoice_no", "post_fee", "other_fee", "remark", "is_check", "fuzzy_query")}),
        (_("状态"), {"fields": ("state_badge", "js_order_no", "last_message", "wdt_links")}),
        (_("记录"), {"fields": ("line_count", "total_quantity", "total_amount", "created_by", "created_at",
                                "sent_by", "sent_at", "import_batch_link")}),
    )
    actions = ["validate", "submit", "resolve_unknown"]
    guarded_actions = {"submit": "send", "resolve_unknown": "resolve"}
    # resolve_unknown too: after "select all N" its page and its job read the list's query string, not the list.
    selection_actions = frozenset({"submit", "resolve_unknown", "export_admin_action"})
    send_perm = services.PERM_SEND
    resolve_perm = services.PERM_RESOLVE
    unknown_fields = ("state",)
    NUMBER_PER_ROW = _("标记为已完成需要逐张填写在旺店通查到的结算单号：请在列表中勾选这些单据（不要选择全部），"
                       "再执行本操作。")

    # --- columns -----------------------------------------------------------------------------------
    @admin.display(description=_("状态"), ordering="state")
    def state_badge(self, obj: SettlementDraft) -> str:
        return state_badge(obj.state)

    @admin.display(description=_("采购退货单"))
    def return_link(self, obj: SettlementDraft) -> str:
        if obj.purchase_return_id is None:
            return "-"
        return format_html('<a href="{}">{}</a>',
                           reverse("admin:returns_purchasereturn_change", args=[obj.purchase_return_id]),
                           obj.return_no)  # the linked return's own number (see SettlementDraft.save)

    @admin.display(description=_("操作"))
    def wdt_links(self, obj: SettlementDraft) -> str:
        return self.links(obj, can_resolve=lambda o: o.state == DocumentState.UNKNOWN)

    def state_summary(self, obj: SettlementDraft) -> str:
        return obj.get_state_display()

    def payloads(self, obj: SettlementDraft) -> list[tuple[str, str, Any]]:
        return [(_("创建采购退货结算单（请求正文：[单据信息, 明细信息]）"), services.UPLOAD_METHOD,
                 services.build_settlement_args(obj))]

    # --- saving ------------------------------------------------------------------------------------
    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if change and (form.has_changed() or any(fs.has_changed() for fs in formsets)):
            services.settlement_edited(draft=form.instance, user=request.user)

    # --- actions -----------------------------------------------------------------------------------
    @admin.action(description=_("校验所选结算单草稿"), permissions=["change"])
    def validate(self, request: HttpRequest, queryset: Any) -> Any:
        answers = services.settlements_validate(drafts=queryset.order_by("pk"), user=request.user)
        return self.report(request, _("校验结果"), answers)

    @admin.action(description=_("在旺店通创建结算单"), permissions=["send"])
    def submit(self, request: HttpRequest, queryset: Any) -> Any:
        return self.start_job(request, job_kinds.SUBMIT, queryset, _("创建结算单"))

    @admin.action(description=_("处理结果未知的单据"), permissions=["resolve"])
    def resolve_unknown(self, request: HttpRequest, queryset: Any) -> Any:
        action = request.POST.get("resolve_action")
        if action == "send_again":  # calls WDT: in the background, as the other sends
            return self.start_resolve_jobs(request, queryset, [(job_kinds.SEND_AGAIN, "state")],
                                           _("处理结果未知：重新发送"))
        if action != "mark_done":
            return self.resolve_page(request, queryset)
        if selected_across(request):
            # Each draft needs the JS number the supervisor found in WDT: never for a whole list at once.
            self.message_user(request, self.NUMBER_PER_ROW, messages.ERROR)
            return None
        answers = []
        for draft in queryset.order_by("pk"):
            if draft.state != DocumentState.UNKNOWN:
                answers.append(results.skipped(draft, _("状态不是“结果未知”，无需处理")))
            else:
                number = request.POST.get(f"js_order_no_{draft.pk}", "")
                try:
                    answers.append(services.settlement_mark_done(draft=draft, user=request.user, js_order_no=number))
                except ValidationError as exc:
                    answers.append(results.skipped(draft, "；".join(exc.messages)))
        return self.report(request, _("处理结果"), answers)

    def resolve_context(self, queryset: Any) -> dict[str, Any]:
        return {
            "duplicate_cost": _("重复发送的代价：结算单接口没有去重键。如果上次的请求其实已在旺店通创建了结算单，"
                                "重新发送会在旺店通再创建一张结算单（重复结算），需要在旺店通中手工作废。"),
            "check_first": _("请先在旺店通中按采购退货单号查找结算单：找到了就填入结算单号并选“标记为已完成”；"
                             "确认没有才选“重新发送”。"),
            "mark_done_label": _("旺店通中已存在：填入结算单号并标记为已完成"),
            "send_again_label": _("确认旺店通中没有：重新发送"),
            "needs_number": True,
            "number_per_row": self.NUMBER_PER_ROW,
        }


# --- what settlements add to the purchase returns' admin (returns never imports settlements) -----------------

@admin.action(description=_("生成结算单草稿"), permissions=["draft"])
def create_settlement_drafts(modeladmin: Any, request: HttpRequest, queryset: Any) -> Any:
    answers = services.settlement_drafts_create_from_returns(purchase_returns=queryset.order_by("pk"),
                                                             user=request.user)
    return modeladmin.report(request, _("生成结算单草稿结果"), answers)


@admin.display(description=pgettext_lazy("列表的短列名", "结算单"))
def settlement_link(modeladmin: Any, obj: PurchaseReturn) -> str:
    """The return's settlement drafts by their state, linked (the JS number, once WDT gave one, on hover and on the
    draft's page): a state is what a clerk scans the list for, and it keeps the column narrow.
    The list prefetches the drafts of its page (below): no query per row."""
    drafts = list(obj.settlement_drafts.all()) if obj.pk else []
    if not drafts:
        return "-"
    return format_html_join(", ", '<a href="{}" title="{}">{}</a>', (
        (reverse("admin:settlements_settlementdraft_change", args=[d.pk]), d.js_order_no or "", d.get_state_display())
        for d in drafts))


PurchaseReturnAdmin.add_permission("draft", services.PERM_ADD)
PurchaseReturnAdmin.add_action("create_settlement_drafts", create_settlement_drafts, needs="draft")
PurchaseReturnAdmin.add_field("settlement_link", settlement_link, in_list=True, fieldset=1)
PurchaseReturnAdmin.add_list_prefetch(Prefetch(
    "settlement_drafts", queryset=SettlementDraft.objects.order_by("pk").only("pk", "purchase_return_id", "state",
                                                                              "js_order_no")))
PurchaseReturnAdmin.search_numbers = (*PurchaseReturnAdmin.search_numbers, "settlement_drafts__js_order_no")
