"""Purchase returns (采购退货) and their outbound lines, mirroring `purchase_return_order_push.php`."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wdtportal.documents.models import DocumentTotals, TrackedDocument, list_indexes, prefix_index
from wdtportal.documents.numbers import quantity
from wdtportal.documents.states import DocumentState
from wdtportal.documents.validators import DECIMAL_19_4, non_negative, positive


def new_outer_no() -> str:
    return f"WP{uuid.uuid4().hex[:20].upper()}"


class PurchaseReturn(TrackedDocument, DocumentTotals):
    return_no = models.CharField(_("退货单号"), max_length=40, unique=True)
    outer_no = models.CharField(_("外部单号"), max_length=40, unique=True, blank=True,
                                help_text=_("用于避免同一数据重复推送；留空时自动生成并保持不变"))
    logistics_code = models.CharField(_("物流公司编号"), max_length=20, blank=True)
    logistics_no = models.CharField(_("物流单号"), max_length=40, blank=True)
    post_cost = models.DecimalField(_("邮资"), **DECIMAL_19_4, null=True, blank=True, validators=[non_negative])
    remark = models.CharField(_("备注"), max_length=255, blank=True)
    is_check = models.BooleanField(_("是否审核"), default=True)

    outbound_state = models.CharField(_("出库单状态"), max_length=20, choices=DocumentState.choices,
                                      default=DocumentState.DRAFT)
    waiting_state = models.CharField(_("停止等待状态"), max_length=20, choices=DocumentState.choices,
                                     default=DocumentState.DRAFT)

    editing_state_field = "outbound_state"

    class Meta:
        verbose_name = _("采购退货单")
        verbose_name_plural = pgettext_lazy("复数", "采购退货单")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("send_purchasereturn", _("可发送采购退货到旺店通")),
            ("resolve_purchasereturn", _("可处理结果未知的采购退货")),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(post_cost__gte=0) | Q(post_cost__isnull=True),
                                   name="purchasereturn_post_cost_non_negative"),
        ]
        # What the list sorts and filters by, and the numbers its search looks up (return_no and outer_no are
        # unique, hence indexed); the trigram index of the remark is PostgreSQL's only (migration 0007).
        indexes = [
            *list_indexes("pr", "outbound_state", "waiting_state", "created_at", "sent_at", "line_count",
                          "total_quantity", "total_amount"),
            prefix_index("pr", "logistics_no"),
            prefix_index("pr", "logistics_code"),
            # The dashboard's to-do list: the returns longest in unknown (a few rows, whatever the table's size).
            *(models.Index(fields=["updated_at", "id"], condition=Q(**{f"{field}_state": "unknown"}),
                           name=f"pr_unknown_{field}") for field in ("outbound", "waiting")),
        ]

    def __str__(self) -> str:
        return self.return_no

    def save(self, *args, **kwargs) -> None:
        if not self.outer_no:
            # Generated once and kept: a number cleared on an existing return comes back as it was stored, so
            # every retry carries the outer_no WDT deduplicates by.
            stored = (PurchaseReturn.objects.filter(pk=self.pk).values_list("outer_no", flat=True).first()
                      if self.pk is not None else None)
            self.outer_no = stored or new_outer_no()
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "outer_no"}
        super().save(*args, **kwargs)


class OutboundLine(models.Model):
    purchase_return = models.ForeignKey(PurchaseReturn, verbose_name=_("采购退货单"), on_delete=models.CASCADE,
                                        related_name="lines")
    line_no = models.PositiveIntegerField(_("行号"), default=0)
    spec_no = models.CharField(_("商家编码"), max_length=40)
    num = models.DecimalField(_("退货数量"), **DECIMAL_19_4, validators=[positive])
    price = models.DecimalField(_("单价"), **DECIMAL_19_4, null=True, blank=True, validators=[non_negative])
    position_no = models.CharField(_("货位编号"), max_length=20, blank=True)
    batch_no = models.CharField(_("批次号"), max_length=20, blank=True)
    remark = models.CharField(_("明细备注"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("出库明细")
        verbose_name_plural = pgettext_lazy("复数", "出库明细")
        ordering = ["purchase_return", "line_no", "id"]
        indexes = [prefix_index("outboundline", "spec_no")]
        constraints = [
            models.CheckConstraint(condition=Q(num__gt=0), name="outboundline_num_positive"),
            models.CheckConstraint(condition=Q(price__gte=0) | Q(price__isnull=True),
                                   name="outboundline_price_non_negative"),
            models.UniqueConstraint(fields=["purchase_return", "spec_no", "batch_no"],
                                    name="outboundline_unique_spec_batch",
                                    violation_error_message=_("同一单据中商家编码与批次号重复")),
        ]

    def __str__(self) -> str:
        return f"{self.spec_no} × {quantity(self.num)}"
