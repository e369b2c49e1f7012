"""A job: one admin action (or large import or export) run in the background, with one item per document it covers.

Counters on `Job` are updated in the same transaction as the items they count, so the progress page is exact.
`JobRunner` rows are the tasks working on a job; their heartbeat tells a live runner from one whose worker died.
A job started from a list records what was selected (`selection`) rather than its documents: a worker expands it
into items (expansion.py). A job may leave a file behind (an export): `JobFile`, kept in the database in chunks.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .kinds import kind_label
from .labels import label_display


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    PREPARING = "preparing", _("准备中")
    RUNNING = "running", _("进行中")
    FINISHED = "finished", _("已结束")


class Job(models.Model):
    # The name of a kind registered by a document app (kinds.py), or kinds.IMPORT.
    kind = models.CharField(_("操作"), max_length=40)
    label = models.CharField(_("说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("发起人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    total = models.PositiveIntegerField(_("总数"), default=0)
    done = models.PositiveIntegerField(_("成功"), default=0)
    failed = models.PositiveIntegerField(_("失败"), default=0)
    unknown = models.PositiveIntegerField(_("结果未知"), default=0)
    skipped = models.PositiveIntegerField(_("跳过"), default=0)
    message = models.TextField(_("消息"), blank=True)
    # Work that is not a list of documents (a large import): the dotted path of the function and its arguments.
    call_path = models.CharField(max_length=200, blank=True)
    call_kwargs = models.JSONField(default=dict, blank=True)
    # The language of the person who started the job: the worker writes its messages in it.
    language = models.CharField(_("语言"), max_length=16, blank=True)
    # Ids of the runner tasks enqueued (to tell a runner still waiting for a worker from one that was lost).
    runner_task_ids = models.JSONField(default=list, blank=True)
    runners_enqueued_at = models.DateTimeField(null=True, blank=True)
    # What an admin action selected, when the request did not list the documents (selection.py): {"query": the
    # list's filters and search} or {"ids": [...]}. A worker turns it into items, then sets `prepared_at`.
    selection = models.JSONField(default=dict, blank=True)
    prepared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("后台任务")
        verbose_name_plural = pgettext_lazy("复数", "后台任务")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()}"

    def get_kind_display(self) -> str:
        return kind_label(self.kind)

    @property
    def label_display(self) -> str:
        """The label in the reader's language, whatever the language of who started the job (see labels.py)."""
        return label_display(self.label)

    @property
    def preparing(self) -> bool:
        """True while the job's selection has not been turned into items yet."""
        return bool(self.selection) and self.prepared_at is None

    @property
    def status(self) -> str:
        if self.finished_at:
            return JobStatus.FINISHED
        if not self.started_at:
            return JobStatus.QUEUED
        return JobStatus.PREPARING if self.preparing else JobStatus.RUNNING

    def get_status_display(self) -> str:
        return str(JobStatus(self.status).label)

    @property
    def processed(self) -> int:
        return self.done + self.failed + self.unknown + self.skipped


class ItemState(models.TextChoices):
    PENDING = "pending", _("待处理")
    DONE = "done", _("成功")
    FAILED = "failed", _("失败")
    UNKNOWN = "unknown", _("结果未知")
    SKIPPED = "skipped", _("跳过")


class JobItem(models.Model):
    """One document in a job. `object_id` points into the job kind's model (see jobs/kinds.py)."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField(_("序号"))
    object_id = models.PositiveBigIntegerField(_("单据ID"))
    label = models.CharField(_("单据"), max_length=200, blank=True)
    # The document's state before the job queued it: given back when the job does not send it after all.
    previous_state = models.CharField(max_length=20, blank=True)
    state = models.CharField(_("结果"), max_length=16, choices=ItemState.choices, default=ItemState.PENDING)
    message = models.TextField(_("消息"), blank=True)
    claimed_by = models.CharField(max_length=64, blank=True, db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("任务单据")
        verbose_name_plural = pgettext_lazy("复数", "任务单据")
        ordering = ["job", "position"]
        constraints = [models.UniqueConstraint(fields=["job", "object_id"], name="jobitem_unique_document")]
        indexes = [
            models.Index(fields=["job", "state", "claimed_by"]),
            # The items' list (JobItemAdmin): its state filter, and search by a document's number.
            models.Index(fields=["state", "id"], name="jobitem_state_id"),
            models.Index(fields=["label"], name="jobitem_label_like", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return self.label or str(self.object_id)


class JobRunner(models.Model):
    """One task working on a job, in one worker process."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="runners")
    token = models.CharField(max_length=64, unique=True)
    worker = models.CharField(_("工作进程"), max_length=120, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    started_at = models.DateTimeField(_("开始时间"), default=timezone.now)
    heartbeat_at = models.DateTimeField(_("心跳时间"), default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    lost = models.BooleanField(_("已失联"), default=False)

    class Meta:
        verbose_name = _("任务执行者")
        verbose_name_plural = pgettext_lazy("复数", "任务执行者")
        ordering = ["job", "started_at"]

    def __str__(self) -> str:
        return f"{self.job_id}/{self.worker}"


class JobFile(models.Model):
    """The file a job made (an export), kept in the database so that any web server can hand it out whichever
    machine the worker ran on; in chunks (`JobFileChunk`) so that neither the worker nor the download holds it
    whole. The workers' maintenance removes its content after JOBS_EXPORT_KEEP_HOURS (files.py)."""

    job = models.OneToOneField(Job, on_delete=models.CASCADE, related_name="file")
    name = models.CharField(_("文件名"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField(_("大小"), default=0)
    # Who may download it, besides seeing the job: the permission to view what it holds (e.g. returns.view_...).
    permission = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True, db_index=True)
    # When the maintenance removed its content (the row stays, so that the job's page can say so).
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("任务文件")
        verbose_name_plural = _("任务文件")

    def __str__(self) -> str:
        return self.name


class JobFileChunk(models.Model):
    """One piece (at most files.CHUNK_BYTES) of a job's file, in order."""

    file = models.ForeignKey(JobFile, on_delete=models.CASCADE, related_name="chunks")
    number = models.PositiveIntegerField()
    data = models.BinaryField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["file", "number"], name="jobfilechunk_unique_number")]

    def __str__(self) -> str:
        return f"{self.file_id}/{self.number}"
