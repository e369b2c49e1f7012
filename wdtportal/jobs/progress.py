"""What the job page shows: counts, rate, time left, the file it made (an export), and one page of the job's
documents with their outcomes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from wdtportal.documents.numbers import money
from wdtportal.documents.resending import resend_notes, states_since
from wdtportal.documents.totals import documents_amount

from .files import job_file_of
from .kinds import KINDS
from .models import ItemState, Job

# Documents per page on the job's page.
ITEMS_PER_PAGE = 100

# The words of the job's page for the outcome of each document, as the rest of the portal says them: 已完成 is WDT
# accepting it (the stored choices predate that vocabulary; their names are shown nowhere else).
ITEM_LABELS = {
    ItemState.PENDING: _lazy("待处理"),
    ItemState.DONE: _lazy("已完成"),
    ItemState.FAILED: _lazy("失败"),
    ItemState.UNKNOWN: _lazy("结果未知"),
    ItemState.SKIPPED: _lazy("跳过"),
}


def item_label(state: str) -> str:
    return str(ITEM_LABELS.get(state, state))


def job_amounts(job: Job) -> dict[str, str] | None:
    """What the job's documents are worth, and those of them WDT accepted (已完成): for checking a day's sends
    against the statements. One query over the job's documents' lines; None for a job that is not documents."""
    spec = KINDS.get(job.kind)
    if spec is None:
        return None
    total, done = documents_amount(spec.model, job.items.values("object_id"),
                                   done=job.items.filter(state=ItemState.DONE).values("object_id"))
    return {"amount": money(total), "amount_done": money(done)}


def job_progress(*, job: Job, page: Any = 1, state: str = "", amounts: bool = True) -> dict[str, Any]:
    """What the job page shows: counts, rate over the last half minute, time left, and one page of its documents,
    each with its outcome, message and a link to it (`state`: only the documents with that outcome). `amounts`:
    with what the documents are worth (`job_amounts`; the page's polling asks only once the job has finished)."""
    now = timezone.now()
    processed = job.processed
    window = timedelta(seconds=30)
    since = max(job.started_at or now, now - window) if job.started_at else now
    recent = job.items.filter(finished_at__gte=since).exclude(state=ItemState.SKIPPED).count() if job.started_at \
        else 0
    seconds = (now - since).total_seconds()
    if job.finished_at and job.started_at:
        elapsed = max((job.finished_at - job.started_at).total_seconds(), 0.001)
        rate = (processed - job.skipped) / elapsed
    else:
        rate = recent / seconds if seconds >= 1 else 0.0
    left = max(job.total - processed, 0)
    return {
        "id": job.pk,
        "kind": job.get_kind_display(),
        "label": job.label,
        "status": job.status,
        "status_display": job.get_status_display(),
        "total": job.total,
        "done": job.done,
        "failed": job.failed,
        "unknown": job.unknown,
        "skipped": job.skipped,
        "processed": processed,
        "percent": round(100 * processed / job.total, 1) if job.total else (100.0 if job.finished_at else 0.0),
        "rate": round(rate, 2),
        "seconds_left": round(left / rate) if rate > 0 and not job.finished_at else None,
        # In the active time zone (Asia/Shanghai), as every time the portal shows.
        "started_at": timezone.localtime(job.started_at).isoformat() if job.started_at else None,
        "finished_at": timezone.localtime(job.finished_at).isoformat() if job.finished_at else None,
        "message": job.message,
        **((job_amounts(job) or {}) if amounts else {}),
        "file": job_file_info(job),
        **job_items_page(job=job, page=page, state=state),
    }


def job_file_info(job: Job) -> dict[str, Any] | None:
    """The file the job made (an export), for its page: name, size, and the download link while it is kept."""
    file = job_file_of(job)
    if file is None:
        return None
    removed = file.removed_at is not None
    return {
        "name": file.name,
        "size": _("%(mb)s MB") % {"mb": number_format(file.size / 2**20, decimal_pos=1, force_grouping=True)},
        "url": "" if removed else reverse("admin:jobs_job_download", args=[job.pk]),
        "note": _("文件已超过保留时间（%(hours)s 小时）并已删除，请重新导出。") % {
            "hours": number_format(settings.JOBS_EXPORT_KEEP_HOURS, decimal_pos=0)} if removed else
        _("文件保留 %(hours)s 小时。") % {"hours": number_format(settings.JOBS_EXPORT_KEEP_HOURS, decimal_pos=0)},
    }


def job_items_page(*, job: Job, page: Any = 1, state: str = "") -> dict[str, Any]:
    """One page of the job's documents in their order, and where it is in the whole ("第 1–100 条，共 1,201 条").
    `page` as the request gave it: out of range or not a number, the nearest page is shown."""
    items = job.items.order_by("position")
    if state in ItemState.values:
        items = items.filter(state=state)
    else:
        state = ""
    shown = Paginator(items, ITEMS_PER_PAGE).get_page(page)
    change_url = _change_url(job)
    notes = _resend_notes(job, shown.object_list)
    if shown.object_list:
        span = _("第 %(first)s–%(last)s 条，共 %(total)s 条") % {
            "first": number_format(shown.start_index(), force_grouping=True),
            "last": number_format(shown.end_index(), force_grouping=True),
            "total": number_format(shown.paginator.count, force_grouping=True)}
    else:
        span = _("没有单据")
    return {
        "items": [
            {"position": i.position + 1, "label": i.label, "state": i.state, "state_display": item_label(i.state),
             "message": " ".join(filter(None, [i.message, notes.get(i.object_id, "")])),
             "url": change_url(i.object_id) if change_url else ""}
            for i in shown.object_list
        ],
        "items_state": state,
        "items_count": shown.paginator.count,
        "page": shown.number,
        "pages": shown.paginator.num_pages,
        "items_span": span,
    }


def _change_url(job: Job) -> Any:
    """id → the admin change page of a document of the job's kind (None for a job that is not documents)."""
    spec = KINDS.get(job.kind)
    if spec is None:
        return None
    name = f"admin:{spec.model._meta.app_label}_{spec.model._meta.model_name}_change"
    prefix = reverse(name, args=[0])[:-len("0/change/")]
    return lambda pk: f"{prefix}{pk}/change/"


def _resend_notes(job: Job, items: Any) -> dict[int, str]:
    """object_id → when the page's documents left unknown are sent again automatically, or what they are now
    (two queries)."""
    spec = KINDS.get(job.kind)
    unknown = [i.object_id for i in items if i.state == ItemState.UNKNOWN]
    if spec is None or not unknown:
        return {}
    notes = resend_notes(spec.model, spec.state_field, unknown)
    return {**states_since(spec.model, spec.state_field, [pk for pk in unknown if pk not in notes]), **notes}
