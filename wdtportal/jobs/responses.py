"""What the admin answers once it has started a job: a message naming it, and its live progress page."""

from typing import Any

from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import gettext as _


def job_progress_url(job_id: int) -> str:
    return reverse("admin:jobs_job_progress", args=[job_id])


def job_started(modeladmin: Any, request: HttpRequest,
                *job_ids_and_totals: tuple[int, int | None]) -> HttpResponseRedirect:
    """Tell the user about each started job (id, documents; None: a selection the worker is still to count), each
    message linked to its page when there are several; show the first job's page."""
    several = len(job_ids_and_totals) > 1
    for job_id, total in job_ids_and_totals:
        if total is None:
            text = _("已加入后台任务 #%(id)s：正在准备所选的全部单据，本页实时显示进度。") % {"id": job_id}
        else:
            text = _("已加入后台任务 #%(id)s：%(n)s 张单据，本页实时显示进度。") % {
                "id": job_id, "n": number_format(total, force_grouping=True)}
        modeladmin.message_user(request, format_html('<a href="{}">{}</a>', job_progress_url(job_id), text)
                                if several else text)
    return HttpResponseRedirect(job_progress_url(job_ids_and_totals[0][0]))
