"""The call log: one row for every request the portal makes to WDT (or to its sandbox).

Only the business payload is stored; credentials, salt and sign never are.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Gateway(models.TextChoices):
    QJB = "qjb", _("旗舰版")
    ENTERPRISE = "enterprise", _("企业版")


class Outcome(models.TextChoices):
    OK = "ok", _("成功")
    REFUSED = "refused", _("被拒绝")
    RATE_LIMITED = "rate_limited", _("限流")
    NO_ANSWER = "no_answer", _("未送达")
    UNKNOWN = "unknown", _("结果未知")


class WdtCall(models.Model):
    gateway = models.CharField(_("网关"), max_length=16, choices=Gateway.choices)
    method = models.CharField(_("接口"), max_length=100)
    request_payload = models.JSONField(_("请求内容"), null=True, blank=True)
    answer = models.JSONField(_("返回内容"), null=True, blank=True)
    answer_text = models.TextField(_("返回原文"), blank=True, help_text=_("不是JSON的返回，截取前2000个字符"))
    http_status = models.PositiveSmallIntegerField(_("HTTP状态"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("耗时(毫秒)"), default=0)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=1)
    outcome = models.CharField(_("结果"), max_length=16, choices=Outcome.choices)
    error_code = models.CharField(_("错误码"), max_length=40, blank=True)
    error_message = models.TextField(_("错误信息"), blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # A loose reference ("returns.purchasereturn", "42", "CR2026...") keeps the client free of portal models.
    document_type = models.CharField(_("单据类型"), max_length=60, blank=True, db_index=True)
    document_id = models.CharField(_("单据ID"), max_length=40, blank=True, db_index=True)
    document_label = models.CharField(_("单据"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("接口调用记录")
        verbose_name_plural = pgettext_lazy("复数", "接口调用记录")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["document_type", "document_id"]),
            # The list: its order and date filter, its filters (each with the id, so that a filtered page is a range
            # of the index), the dashboard's day ranges, the retention's deletes.
            # method and outcome too: the dashboard counts a month of calls by them from this index alone.
            models.Index(fields=["created_at", "id", "method", "outcome"], name="wdtcall_created_at_id"),
            models.Index(fields=["outcome", "id"], name="wdtcall_outcome_id"),
            models.Index(fields=["method", "id"], name="wdtcall_method_id"),
            models.Index(fields=["gateway", "id"], name="wdtcall_gateway_id"),
            # Search by a document's number: exact or prefix ("CR… 等10张" starts with the first return's number).
            # The trigram index of error_message is PostgreSQL's only (migration 0004).
            models.Index(fields=["document_label"], name="wdtcall_document_label_like",
                         opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        # In the active time zone (Asia/Shanghai), as every time the portal shows: UTC would be the day before
        # until 08:00.
        return f"{self.method} {self.get_outcome_display()} {timezone.localtime(self.created_at):%Y-%m-%d %H:%M:%S}"


class GatewayPace(models.Model):
    """The shared rate limiter of one gateway: every worker reserves its send time here (see pacing.py).

    Times are Unix seconds (float) from the workers' clocks, which is why machines running workers keep NTP time.
    """

    gateway = models.CharField(_("网关"), max_length=16, choices=Gateway.choices, unique=True)
    next_at = models.FloatField(_("下一个可用发送时刻"), default=0.0)
    # The share of the configured rate in force: halved by a refusal, raised by a step at each reservation.
    slow_factor = models.FloatField(_("降速系数"), default=1.0)
    reserved_count = models.PositiveBigIntegerField(_("已预约发送次数"), default=0)
    # reserved_count when the rate was last halved: a refusal of an earlier reservation does not halve it again.
    slowed_after = models.PositiveBigIntegerField(_("最近一次降速时的预约次数"), default=0)
    rate_limited_count = models.PositiveIntegerField(_("被限流次数"), default=0)

    class Meta:
        verbose_name = _("网关节流状态")
        verbose_name_plural = pgettext_lazy("复数", "网关节流状态")

    def __str__(self) -> str:
        return self.get_gateway_display()


class GatewaySlot(models.Model):
    """One of the N requests a gateway may have in flight at once; held by a caller until it ends or its lease does."""

    gateway = models.CharField(_("网关"), max_length=16, choices=Gateway.choices)
    number = models.PositiveSmallIntegerField(_("序号"))
    holder = models.CharField(_("占用者"), max_length=64, blank=True)
    expires_at = models.FloatField(_("租约到期时刻"), default=0.0)

    class Meta:
        verbose_name = _("网关并发槽")
        verbose_name_plural = pgettext_lazy("复数", "网关并发槽")
        constraints = [models.UniqueConstraint(fields=["gateway", "number"], name="gatewayslot_unique_number")]

    def __str__(self) -> str:
        return f"{self.gateway}#{self.number}"
