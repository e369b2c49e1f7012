"""A job: one admin action (or large import) run in the background, with one item per document it covers.

Counters on `Job` are updated in the same transaction as the items they count, so the progress page is exact.
`JobRunner` rows are the tasks working on a job; their heartbeat tells a live runner from one whose worker died.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .kinds import kind_label


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
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

    class Meta:
        verbose_name = _("后台任务")
        verbose_name_plural = _("后台任务")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()}"

    def get_kind_display(self) -> str:
        return kind_label(self.kind)

    @property
    def status(self) -> str:
        if self.finished_at:
            return JobStatus.FINISHED
        return JobStatus.RUNNING if self.started_at else JobStatus.QUEUED

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
        verbose_name_plural = _("任务单据")
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
        verbose_name_plural = _("任务执行者")
        ordering = ["job", "started_at"]

    def __str__(self) -> str:
        return f"{self.job_id}/{self.worker}"
