"""What every document has: where it came from (import batches and uploads), the history of its states, and the
audit fields of a tracked document.

The tables keep the names they had when these models lived in `returns` (`db_table`): moving the code moved no data.
"""

from decimal import Decimal

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


class StateTally(models.Model):
    """How many documents are in each state, as +1/−1 rows: database triggers on every document table write one for
    each document that enters or leaves a state, in the transaction that moves, creates or deletes it, whatever
    wrote it (move, an import, a bulk insert, a delete). Summed per state they are the dashboard's counts; the
    workers' maintenance folds them into one row per state now and then. See tallies.py."""

    model = models.CharField(max_length=100)  # the document model's label, "returns.purchasereturn"
    field = models.CharField(max_length=40)
    state = models.CharField(max_length=20)
    delta = models.BigIntegerField()

    class Meta:
        verbose_name = _("状态计数")
        verbose_name_plural = _("状态计数")

    def __str__(self) -> str:
        return f"{self.model}.{self.field}={self.state} {self.delta:+d}"


class AutoResend(models.Model):
    """A document whose send came back unknown and that the workers send again by themselves (resending.py): only
    for the state fields whose call WDT deduplicates (the outbound order by outer_no, stop waiting), as registered.

    Written in the transaction that moves the document (transitions.py): created or rescheduled when it moves to
    unknown, deleted when it reaches done or failed. `attempts`: automatic re-sends already started; `next_at`: when
    the next is due, None once they are used up (the document waits for a supervisor). A small table: one row per
    document waiting, so the dashboard reads it whole."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    field = models.CharField(max_length=40)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_at = models.DateTimeField(null=True, blank=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("自动重新发送")
        verbose_name_plural = _("自动重新发送")
        constraints = [models.UniqueConstraint(fields=["content_type", "object_id", "field"],
                                               name="autoresend_unique_document_field")]

    def __str__(self) -> str:
        return f"{self.content_type_id}:{self.object_id}.{self.field} #{self.attempts}"


class TrackedDocument(models.Model):
    """Audit fields every document the portal sends has."""

    last_message = models.TextField(_("旺店通最近消息"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    # created_at and sent_at are indexed with the id by each document's Meta (list_indexes): the lists sort and
    # filter by them.
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("发送人"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
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


def list_indexes(prefix: str, *fields: str) -> list[models.Index]:
    """One index (field, id) per field a document list sorts or filters by: a page of the list, in either
    direction, is a range of the index (see wdtportal/lists/changelist.py, which breaks ties by the id in the
    same direction). `prefix` keeps the names within 30 characters."""
    return [models.Index(fields=[name, "id"], name=f"{prefix}_{name}_id"[:30]) for name in fields]


def prefix_index(prefix: str, field: str) -> models.Index:
    """An index that serves exact and prefix search on a code (`field = x`, `field LIKE 'x%'`): on PostgreSQL with
    varchar_pattern_ops, which the database's collation cannot spoil; elsewhere a plain index."""
    return models.Index(fields=[field], name=f"{prefix}_{field}_like"[:30], opclasses=["varchar_pattern_ops"])


class DocumentTotals(models.Model):
    """The totals of a document's lines (see totals.py), kept on the document so that lists and exports never count
    lines. Written with the lines, in the same transaction, by every path that writes lines."""

    # Which field of its lines is the quantity: the document's app registers it (registry.Lines).

    line_count = models.PositiveIntegerField(_("明细行数"), default=0, editable=False)
    # Σ of decimal(19,4) quantities: 4 more integer digits than a line's, so no file (at most 200,000 rows)
    # of realistic quantities overflows it.
    total_quantity = models.DecimalField(_("数量合计"), max_digits=23, decimal_places=4, default=Decimal("0"),
                                         editable=False)
    # Σ quantity × price: a line's amount alone may have 15 + 15 integer digits (two decimal(19,4)); 38 digits
    # hold that summed over 10,000 such lines. PostgreSQL stores a numeric by its value's length, so the width
    # costs nothing; SQLite stores decimals as it stores every decimal (see docs/architecture.md).
    total_amount = models.DecimalField(_("金额合计"), max_digits=38, decimal_places=4, default=Decimal("0"),
                                       editable=False, help_text=_("数量×单价之和；没有单价的明细按0计"))

    class Meta:
        abstract = True
