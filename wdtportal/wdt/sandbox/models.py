"""What the sandbox remembers, as WDT would: the purchase returns it knows, the documents pushed to it, and the
faults it is told to inject. These tables belong to the stand-in ERP, never to the portal's own documents.
"""

from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class LearntFrom(models.TextChoices):
    """The call from which the sandbox, in training mode, learnt a return it did not know."""

    OUTBOUND = "outbound", _("推送出库单")
    STOP_WAITING = "stop_waiting", _("停止等待")
    SETTLEMENT = "settlement", _("创建结算单")


class SandboxReturn(models.Model):
    """A purchase return (采购退货单) as the ERP knows it; `waiting` turns off when it is stopped (停止等待).
    `learnt_from`: empty for a return seeded (the demo set, tests), else the call it was learnt from in training
    mode (WDT_SANDBOX_TRAINING)."""

    return_no = models.CharField(_("退货单号"), max_length=40, unique=True)
    waiting = models.BooleanField(_("等待中"), default=True)
    stopped_at = models.DateTimeField(_("停止等待时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    learnt_from = models.CharField(_("学习自"), max_length=20, choices=LearntFrom.choices, blank=True,
                                   help_text=_("培训模式下从推送的内容学到的退货单；空白表示预置的退货单"))

    class Meta:
        verbose_name = _("沙箱采购退货单")
        verbose_name_plural = pgettext_lazy("复数", "沙箱采购退货单")
        ordering = ["return_no"]

    def __str__(self) -> str:
        return self.return_no

    @property
    def learnt(self) -> bool:
        return bool(self.learnt_from)


class SandboxReturnLine(models.Model):
    purchase_return = models.ForeignKey(SandboxReturn, on_delete=models.CASCADE, related_name="lines")
    spec_no = models.CharField(_("商家编码"), max_length=40)
    num = models.DecimalField(_("数量"), max_digits=19, decimal_places=4)
    batch_no = models.CharField(_("批次号"), max_length=20, blank=True)
    price = models.DecimalField(_("单价"), max_digits=19, decimal_places=4, null=True, blank=True)

    class Meta:
        verbose_name = _("沙箱退货明细")
        verbose_name_plural = pgettext_lazy("复数", "沙箱退货明细")
        ordering = ["purchase_return", "id"]

    def __str__(self) -> str:
        return f"{self.spec_no} × {self.num}"


class SandboxOutbound(models.Model):
    """An outbound order (采购退货出库单) created by `purchase_return_order_push.php`; one per `outer_no`."""

    outer_no = models.CharField(_("外部单号"), max_length=40, unique=True)
    return_no = models.CharField(_("退货单号"), max_length=40, db_index=True)
    payload = models.JSONField(_("推送内容"), encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("沙箱出库单")
        verbose_name_plural = pgettext_lazy("复数", "沙箱出库单")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.outer_no


class SandboxSettlement(models.Model):
    """A settlement order (采购退货结算单) created by `finance.settle.PurchaseReturn.upload`."""

    order_no = models.CharField(_("结算单号"), max_length=40, unique=True)
    return_no = models.CharField(_("退货单号"), max_length=40, db_index=True)
    payload = models.JSONField(_("上传内容"), encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("沙箱结算单")
        verbose_name_plural = pgettext_lazy("复数", "沙箱结算单")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.order_no


class SandboxCounter(models.Model):
    """One row per sequence (e.g. `JS20261123`), locked while the next number is taken."""

    key = models.CharField(max_length=40, primary_key=True)
    value = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("沙箱编号计数器")
        verbose_name_plural = pgettext_lazy("复数", "沙箱编号计数器")

    def __str__(self) -> str:
        return f"{self.key}={self.value}"


SHARE = [MinValueValidator(0.0), MaxValueValidator(1.0)]


class FaultSettings(models.Model):
    """The faults the sandbox injects. A single row (pk 1); once saved it overrides the WDT_SANDBOX_* settings."""

    SINGLETON_PK = 1

    latency_ms = models.PositiveIntegerField(_("附加延迟(毫秒)"), default=0)
    error_rate = models.FloatField(_("HTTP 503 比例"), default=0.0, validators=SHARE,
                                   help_text=_("0到1；1表示每次都返回503"))
    rate_limit_rate = models.FloatField(_("限流拒绝比例"), default=0.0, validators=SHARE,
                                        help_text=_("0到1；被限流的请求不会执行"))
    lost_answer_rate = models.FloatField(_("提交后丢失应答比例"), default=0.0, validators=SHARE,
                                         help_text=_("0到1；请求已执行并提交，然后断开连接不返回应答"))
    methods = models.CharField(_("仅对这些接口生效"), max_length=300, blank=True,
                               help_text=_("逗号分隔的接口名，例如 finance.settle.PurchaseReturn.upload；"
                                           "留空表示全部接口"))
    max_faults = models.PositiveIntegerField(_("最多注入次数"), null=True, blank=True,
                                             help_text=_("注入这么多次故障后不再注入（延迟除外）；留空表示不限"))
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("沙箱故障设置")
        verbose_name_plural = pgettext_lazy("复数", "沙箱故障设置")

    def __str__(self) -> str:
        return str(_("沙箱故障设置"))

    def save(self, *args, **kwargs) -> None:
        self.pk = self.SINGLETON_PK
        super().save(*args, **kwargs)
