"""Jobs in the admin: the list, each job's live progress page (a JSON endpoint polled every 1.5 s) listing every
document of the job, page by page, with its outcome and message, and the download of the file a job made (an
export) for whoever may see the job and what the file holds."""

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.http import content_disposition_header, urlencode
from django.utils.translation import gettext_lazy as _

from wdtportal.admin_lookups import OfferedLookupsOnly, object_or_404
from wdtportal.lists.admin import ListAdmin

from .files import job_file_chunks, job_file_may_download, job_file_of
from .kinds import kind_choices
from .models import ItemState, Job, JobItem
from .progress import ITEM_LABELS, job_progress


class KindFilter(admin.SimpleListFilter):
    """The job kinds the document apps registered (the field itself has no fixed choices)."""

    title = _("操作")
    parameter_name = "kind"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return kind_choices()

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        return queryset.filter(kind=self.value()) if self.value() else queryset


@admin.register(Job)
class JobAdmin(OfferedLookupsOnly, ListAdmin):
    list_display = ("number", "kind_display", "label_shown", "created_by", "created_at", "status_badge", "progress",
                    "total", "done_count", "failed", "unknown", "skipped", "finished_at")
    list_display_links = ("number", "kind_display")
    list_filter = (KindFilter, "created_at", "created_by")
    # A job by a document it covers (its items' labels are the documents' numbers), or by its own label.
    search_numbers = ("items__label",)
    search_texts = ("label",)
    ordering = ("-pk",)
    list_select_related = ("created_by",)
    readonly_fields = ("kind_display", "label_shown", "created_by", "created_at", "started_at", "finished_at", "total",
                       "done_count", "failed", "unknown", "skipped", "message", "progress_link")
    fields = readonly_fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Job | None = None) -> bool:
        return False

    def get_urls(self) -> list:
        opts = self.model._meta
        return [
            path("<path:job_id>/progress/", self.admin_site.admin_view(self.progress_view),
                 name=f"{opts.app_label}_{opts.model_name}_progress"),
            path("<path:job_id>/progress.json", self.admin_site.admin_view(self.progress_json),
                 name=f"{opts.app_label}_{opts.model_name}_progress_json"),
            path("<path:job_id>/download/", self.admin_site.admin_view(self.download_view),
                 name=f"{opts.app_label}_{opts.model_name}_download"),
            *super().get_urls(),
        ]

    @admin.display(description="ID", ordering="id")
    def number(self, obj: Job) -> str:
        return f"#{obj.pk}"  # an id, not an amount: no thousands separator

    @admin.display(description=_("操作"), ordering="kind")
    def kind_display(self, obj: Job) -> str:
        return obj.get_kind_display()

    @admin.display(description=_("已完成"), ordering="done")
    def done_count(self, obj: Job) -> int:
        return obj.done

    @admin.display(description=_("说明"), ordering="label")
    def label_shown(self, obj: Job) -> str:
        return obj.label_display

    @admin.display(description=_("状态"))
    def status_badge(self, obj: Job) -> str:
        # Colours in static/wdtportal/admin.css: a class, not a style attribute (the Content-Security-Policy).
        return format_html('<span class="job-status job-status-{}">{}</span>', obj.status, obj.get_status_display())

    @admin.display(description=_("进度"))
    def progress(self, obj: Job) -> str:
        percent = round(100 * obj.processed / obj.total) if obj.total else (0 if obj.preparing else 100)
        return format_html('<a href="{}" class="nowrap"><progress max="100" value="{}"></progress> {}/{}</a>',
                           reverse("admin:jobs_job_progress", args=[obj.pk]), percent,
                           number_format(obj.processed, force_grouping=True),
                           number_format(obj.total, force_grouping=True))

    @admin.display(description=_("进度页面"))
    def progress_link(self, obj: Job) -> str:
        return format_html('<a href="{}">{}</a>', reverse("admin:jobs_job_progress", args=[obj.pk]),
                           _("查看实时进度"))

    def _job_for(self, request: HttpRequest, job_id: str) -> Job:
        job = object_or_404(self, request, job_id)
        if not (self.has_view_permission(request, job) or job.created_by_id == request.user.pk):
            raise PermissionDenied
        return job

    @staticmethod
    def _page_args(request: HttpRequest) -> dict[str, Any]:
        return {"page": request.GET.get("page", 1), "state": request.GET.get("state", "")}

    def progress_view(self, request: HttpRequest, job_id: str) -> HttpResponse:
        job = self._job_for(request, job_id)
        progress = job_progress(job=job, **self._page_args(request))
        filters = [("", _("全部"))] + [(value, ITEM_LABELS[value]) for value in ItemState.values]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("后台任务 #%(id)s：%(kind)s") % {"id": job.pk, "kind": job.get_kind_display()},
            "job": job,
            "progress": progress,
            "json_url": reverse("admin:jobs_job_progress_json", args=[job.pk]),
            "filters": [{"value": value, "label": label, "query": urlencode({"state": value} if value else {}),
                         "current": value == progress["items_state"]} for value, label in filters],
            "state_query": urlencode({"state": progress["items_state"]}) if progress["items_state"] else "",
        }
        return TemplateResponse(request, "admin/jobs/job/progress.html", context)

    def download_view(self, request: HttpRequest, job_id: str) -> HttpResponse:
        """The job's file (an export), streamed a chunk at a time, to whoever may see the job and what it holds."""
        job = self._job_for(request, job_id)
        file = job_file_of(job)
        if file is None:
            raise Http404
        if not job_file_may_download(file, request.user):
            raise PermissionDenied
        if file.removed_at is not None:
            messages.error(request, _("文件已超过保留时间并已删除，请重新导出。"))
            return HttpResponseRedirect(reverse("admin:jobs_job_progress", args=[job.pk]))
        response = StreamingHttpResponse(job_file_chunks(file), content_type=file.content_type)
        response["Content-Length"] = str(file.size)
        response["Content-Disposition"] = content_disposition_header(True, file.name)
        return response

    def progress_json(self, request: HttpRequest, job_id: str) -> JsonResponse:
        job = self._job_for(request, job_id)
        # What the documents are worth changes only as they finish: summed once the job has (the last poll).
        return JsonResponse(job_progress(job=job, amounts=job.finished_at is not None, **self._page_args(request)),
                            json_dumps_params={"ensure_ascii": False})


@admin.register(JobItem)
class JobItemAdmin(OfferedLookupsOnly, ListAdmin):
    """Hidden from the index; reachable for searching a document across jobs."""

    list_display = ("job", "position", "label", "state", "message", "finished_at")
    sortable_by = ()
    list_filter = ("state",)
    search_numbers = ("label",)
    search_texts = ("message",)  # no index: read when no document's number starts with the words
    ordering = ("-pk",)
    list_select_related = ("job",)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
