"""Purchase returns (采购退货) and their outbound lines, mirroring `purchase_return_order_push.php`.

Also the pieces both kinds of document share: the import a document came from, the history of its states,
and the audit fields of a document (`TrackedDocument`).
"""

import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .states import EDITABLE, DocumentState
from .validators import DECIMAL_19_4, non_negative, positive


class ImportBatch(models.Model):
    """One Excel file brought in: the documents it created or updated point back to it."""

    class Kind(models.TextChoices):
        RETURNS = "returns", _("采购退货")
        SETTLEMENTS = "settlements", _("结算单草稿")
        STOP_WAITING = "stop_waiting", _("停止等待清单")

    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    file_name = models.CharField(_("文件名"), max_length=255)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("导入人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("导入时间"), auto_now_add=True)
    rows = models.PositiveIntegerField(_("行数"), default=0)
    documents = models.PositiveIntegerField(_("单据数"), default=0)
    created = models.PositiveIntegerField(_("新建"), default=0)
    updated = models.PositiveIntegerField(_("更新"), default=0)
    unchanged = models.PositiveIntegerField(_("未变"), default=0)

    class Meta:
        verbose_name = _("导入批次")
        verbose_name_plural = _("导入批次")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.created_at:%Y-%m-%d %H:%M})"


class ImportUpload(models.Model):
    """A confirmed import file waiting for a background job (wdtportal/excel/background.py): kept in the database
    because the worker may run on another machine than the web server that received it; deleted once imported."""

    kind = models.CharField(_("类型"), max_length=20, choices=ImportBatch.Kind.choices)
    file_name = models.CharField(_("文件名"), max_length=255)
    data = models.BinaryField(_("文件内容"))
    rows = models.PositiveIntegerField(_("行数"), default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("上传人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("待导入文件")
        verbose_name_plural = _("待导入文件")

    def __str__(self) -> str:
        return self.file_name


class StateChange(models.Model):
    """Who moved which document from which state to which, when and why."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    document = GenericForeignKey("content_type", "object_id")
    field = models.CharField(_("状态项"), max_length=40)
    from_state = models.CharField(_("原状态"), max_length=20, choices=DocumentState.choices)
    to_state = models.CharField(_("新状态"), max_length=20, choices=DocumentState.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(_("原因"), max_length=500, blank=True)
    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("状态变更")
        verbose_name_plural = _("状态变更")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.get_from_state_display()} → {self.get_to_state_display()}"


class TrackedDocument(models.Model):
    """Audit fields every document the portal sends has."""

    last_message = models.TextField(_("旺店通最近消息"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("发送人"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True, db_index=True)
    import_batch = models.ForeignKey(ImportBatch, verbose_name=_("导入批次"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    state_changes = GenericRelation(StateChange)

    #: The state that decides whether the clerk may still edit the document.
    editing_state_field = ""

    class Meta:
        abstract = True

    @property
    def is_editable(self) -> bool:
        return getattr(self, self.editing_state_field) in EDITABLE

    @property
    def editing_state_label(self) -> str:
        return str(DocumentState(getattr(self, self.editing_state_field)).label)


def new_outer_no() -> str:
    return f"WP{uuid.uuid4().hex[:20].upper()}"


class PurchaseReturn(TrackedDocument):
    return_no = models.CharField(_("退货单号"), max_length=40, unique=True)
    outer_no = models.CharField(_("外部单号"), max_length=40, unique=True, blank=True,
                                help_text=_("用于避免同一数据重复推送；留空时自动生成并保持不变"))
    logistics_code = models.CharField(_("物流公司编号"), max_length=20, blank=True)
    logistics_no = models.CharField(_("物流单号"), max_length=40, blank=True)
    post_cost = models.DecimalField(_("邮资"), **DECIMAL_19_4, null=True, blank=True, validators=[non_negative])
    remark = models.CharField(_("备注"), max_length=255, blank=True)
    is_check = models.BooleanField(_("是否审核"), default=True)

    outbound_state = models.CharField(_("出库单状态"), max_length=20, choices=DocumentState.choices,
                                      default=DocumentState.DRAFT, db_index=True)
    waiting_state = models.CharField(_("停止等待状态"), max_length=20, choices=DocumentState.choices,
                                     default=DocumentState.DRAFT, db_index=True)

    editing_state_field = "outbound_state"

    class Meta:
        verbose_name = _("采购退货单")
        verbose_name_plural = _("采购退货单")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("send_purchasereturn", _("可发送采购退货到旺店通")),
            ("resolve_purchasereturn", _("可处理结果未知的采购退货")),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(post_cost__gte=0) | Q(post_cost__isnull=True),
                                   name="purchasereturn_post_cost_non_negative"),
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
        verbose_name_plural = _("出库明细")
        ordering = ["purchase_return", "line_no", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(num__gt=0), name="outboundline_num_positive"),
            models.CheckConstraint(condition=Q(price__gte=0) | Q(price__isnull=True),
                                   name="outboundline_price_non_negative"),
            models.UniqueConstraint(fields=["purchase_return", "spec_no", "batch_no"],
                                    name="outboundline_unique_spec_batch",
                                    violation_error_message=_("同一单据中商家编码与批次号重复")),
        ]

    def __str__(self) -> str:
        return f"{self.spec_no} × {self.num}"


def validate_lines_unique(lines: list, doc_label: str = "") -> None:
    """The same spec_no + batch_no twice in one document is an error (checked before saving)."""
    seen: dict[tuple[str, str], int] = {}
    errors = []
    for index, line in enumerate(lines, start=1):
        key = (line.spec_no, line.batch_no or "")
        if key in seen:
            errors.append(_("第%(a)s行与第%(b)s行的商家编码和批次号相同：%(spec)s %(batch)s")
                          % {"a": seen[key], "b": index, "spec": key[0], "batch": key[1]})
        else:
            seen[key] = index
    if errors:
        raise ValidationError(errors)
