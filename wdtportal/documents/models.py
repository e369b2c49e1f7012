"""What every document has: where it came from (import batches and uploads), the history of its states, and the
audit fields of a tracked document.

The tables keep the names they had when these models lived in `returns` (`db_table`): moving the code moved no data.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .states import EDITABLE, DocumentState


class ImportBatch(models.Model):
    """One Excel file brought in: the documents it created or updated point back to it.

    `kind` is the importer's own name (`DocumentImporter.batch_kind`, e.g. "returns"), set by the app that imports.
    """

    kind = models.CharField(_("类型"), max_length=20)
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
        db_table = "returns_importbatch"
        verbose_name = _("导入批次")
        verbose_name_plural = pgettext_lazy("复数", "导入批次")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({timezone.localtime(self.created_at):%Y-%m-%d %H:%M})"


class ImportUpload(models.Model):
    """A confirmed import file waiting for a background job (wdtportal/excel/background.py): kept in the database
    because the worker may run on another machine than the web server that received it; deleted once imported."""

    kind = models.CharField(_("类型"), max_length=20)
    file_name = models.CharField(_("文件名"), max_length=255)
    data = models.BinaryField(_("文件内容"))
    rows = models.PositiveIntegerField(_("行数"), default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("上传人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True, db_index=True)

    class Meta:
        db_table = "returns_importupload"
        verbose_name = _("待导入文件")
        verbose_name_plural = pgettext_lazy("复数", "待导入文件")

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
        db_table = "returns_statechange"
        verbose_name = _("状态变更")
        verbose_name_plural = pgettext_lazy("复数", "状态变更")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="returns_sta_content_19b370_idx")]

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
