"""Settlement drafts (采购退货结算单草稿), mirroring `finance.settle.PurchaseReturn.upload`."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from returns.models import PurchaseReturn
from wdtportal.documents.models import DocumentTotals, TrackedDocument, list_indexes, prefix_index
from wdtportal.documents.numbers import quantity
from wdtportal.documents.states import DocumentState
from wdtportal.documents.validators import DECIMAL_19_4, at_most_one, non_negative, positive


class InvoiceType(models.IntegerChoices):
    NONE = 0, _("无发票")
    E_ORDINARY = 1, _("电子普通发票")
    PAPER_ORDINARY = 2, _("纸质普通发票")
    E_VAT_SPECIAL = 3, _("电子增值税专用发票")
    PAPER_VAT_SPECIAL = 4, _("纸质增值税专用发票")


class SettlementDraft(TrackedDocument, DocumentTotals):
    return_no = models.CharField(_("采购退货单号"), max_length=40, unique=True)
    purchase_return = models.ForeignKey(PurchaseReturn, verbose_name=_("采购退货单"), null=True, blank=True,
                                        on_delete=models.SET_NULL, related_name="settlement_drafts")
    logistics_company_no = models.CharField(_("物流公司编号"), max_length=20, blank=True)
    logistics_no = models.CharField(_("物流单号"), max_length=100, blank=True)
    invoice_type = models.PositiveSmallIntegerField(_("发票类型"), choices=InvoiceType.choices, null=True,
                                                    blank=True)
    invoice_no = models.CharField(_("发票号码"), max_length=100, blank=True)
    post_fee = models.DecimalField(_("邮费"), **DECIMAL_19_4, null=True, blank=True, validators=[non_negative])
    other_fee = models.DecimalField(_("其他费用"), **DECIMAL_19_4, null=True, blank=True,
                                    validators=[non_negative])
    remark = models.CharField(_("备注"), max_length=255, blank=True)
    is_check = models.BooleanField(_("是否审核"), default=False, help_text=_("审核失败时结算单不会创建"))
    fuzzy_query = models.BooleanField(_("模糊查询"), default=False,
                                      help_text=_("按采购退货单号模糊匹配；匹配不到或多于一条时旺店通会拒绝"))

    state = models.CharField(_("状态"), max_length=20, choices=DocumentState.choices, default=DocumentState.DRAFT)
    js_order_no = models.CharField(_("结算单号"), max_length=40, unique=True, null=True, blank=True)

    editing_state_field = "state"

    class Meta:
        verbose_name = _("结算单草稿")
        verbose_name_plural = pgettext_lazy("复数", "结算单草稿")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("send_settlementdraft", _("可发送结算单到旺店通")),
            ("resolve_settlementdraft", _("可处理结果未知的结算单")),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(post_fee__gte=0) | Q(post_fee__isnull=True),
                                   name="settlementdraft_post_fee_non_negative"),
            models.CheckConstraint(condition=Q(other_fee__gte=0) | Q(other_fee__isnull=True),
                                   name="settlementdraft_other_fee_non_negative"),
            models.CheckConstraint(condition=Q(invoice_type__lte=4) | Q(invoice_type__isnull=True),
                                   name="settlementdraft_invoice_type_range"),
        ]
        # What the list sorts and filters by, and the numbers its search looks up (return_no and js_order_no are
        # unique); the trigram index of the remark is PostgreSQL's only (migration 0005).
        indexes = [
            *list_indexes("sd", "state", "js_order_no", "created_at", "sent_at", "line_count", "total_quantity",
                          "total_amount"),
            prefix_index("sd", "logistics_no"),
            prefix_index("sd", "logistics_company_no"),
            # The dashboard's to-do list: the drafts longest in unknown (a few rows, whatever the table's size).
            models.Index(fields=["updated_at", "id"], condition=Q(state="unknown"), name="sd_unknown"),
        ]

    def __str__(self) -> str:
        return self.return_no

    def save(self, *args, **kwargs) -> None:
        if not self.js_order_no:
            self.js_order_no = None  # unique once set: empty is NULL, never ""
        update_fields = kwargs.get("update_fields")
        if update_fields is None or "return_no" in update_fields:
            # The link follows the number: linked to the portal's return of this return_no, or to none. Drafts
            # also come from Excel or by hand, and a return may arrive after its draft: see
            # settlements.services.settlement_drafts_link for links made from the returns' side (returns_numbered).
            linked = (PurchaseReturn.objects.filter(return_no=self.return_no).values_list("pk", flat=True).first()
                      if self.return_no else None)
            if linked != self.purchase_return_id:
                self.purchase_return_id = linked
                if update_fields is not None:
                    kwargs["update_fields"] = {*update_fields, "purchase_return"}
        super().save(*args, **kwargs)


class SettlementLine(models.Model):
    draft = models.ForeignKey(SettlementDraft, verbose_name=_("结算单草稿"), on_delete=models.CASCADE,
                              related_name="lines")
    line_no = models.PositiveIntegerField(_("行号"), default=0)
    spec_no = models.CharField(_("商家编码"), max_length=40)
    settle_num = models.DecimalField(_("结算数量"), **DECIMAL_19_4, validators=[positive])
    price = models.DecimalField(_("单价"), **DECIMAL_19_4, null=True, blank=True, validators=[non_negative])
    tax_rate = models.DecimalField(_("税率"), **DECIMAL_19_4, null=True, blank=True,
                                   validators=[non_negative, at_most_one],
                                   help_text=_("0到1之间的小数，例如 0.13 表示 13%"))
    remark = models.CharField(_("明细备注"), max_length=255, blank=True)
    batch_no = models.CharField(_("批次号"), max_length=40, blank=True)
    expire_date = models.DateField(_("有效期"), null=True, blank=True)

    class Meta:
        verbose_name = _("结算明细")
        verbose_name_plural = pgettext_lazy("复数", "结算明细")
        ordering = ["draft", "line_no", "id"]
        indexes = [prefix_index("settlementline", "spec_no")]
        constraints = [
            models.CheckConstraint(condition=Q(settle_num__gt=0), name="settlementline_settle_num_positive"),
            models.CheckConstraint(condition=Q(price__gte=0) | Q(price__isnull=True),
                                   name="settlementline_price_non_negative"),
            models.CheckConstraint(condition=(Q(tax_rate__gte=0) & Q(tax_rate__lte=1)) | Q(tax_rate__isnull=True),
                                   name="settlementline_tax_rate_fraction"),
            models.UniqueConstraint(fields=["draft", "spec_no", "batch_no"], name="settlementline_unique_spec_batch",
                                    violation_error_message=_("同一单据中商家编码与批次号重复")),
        ]

    def __str__(self) -> str:
        return f"{self.spec_no} × {quantity(self.settle_num)}"
