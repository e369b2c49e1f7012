"""Exports of more than JOBS_EXPORT_THRESHOLD documents run in the background, as a job of wdtportal.jobs.

The admin's export page records what to export (the list's filters and search, or the ticked ids: see
wdtportal/jobs/selection.py), starts a call job and shows the job's page. The worker runs `run_export`: it reads the
documents 1,000 at a time with their lines (exporting.py), streams the rows into an .xlsx in a temporary file
(xlsx_stream.py) reporting progress as it goes, then stores the file with the job (wdtportal/jobs/files.py), where
the job's page offers it for download for JOBS_EXPORT_KEEP_HOURS. The same columns, values and rules as an export
downloaded at once. If the worker dies, the job runs the export again from the start (nothing is stored before the
file is complete).
"""

from __future__ import annotations

import tempfile
from typing import Any

from django.apps import apps
from django.db import models, transaction
from django.utils.formats import number_format
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from wdtportal.jobs.bookkeeping import job_report
from wdtportal.jobs.files import job_file_save
from wdtportal.jobs.kinds import EXPORT
from wdtportal.jobs.models import Job
from wdtportal.jobs.selection import selection_queryset
from wdtportal.jobs.services import job_start_call

from .writing import XLSX_CONTENT_TYPE
from .xlsx_stream import write_xlsx

RUN_EXPORT = "wdtportal.excel.export_job.run_export"


def _n(value: int) -> str:
    return number_format(value, force_grouping=True)


def start_export_job(*, model: type[models.Model], resource: type, selection: dict[str, Any], user: Any,
                     file_name: str) -> Job:
    """Start the job that exports `selection` of `model`'s admin list with `resource` (a SpreadsheetResource);
    return it (its page shows the progress, then the download)."""
    opts = model._meta
    return job_start_call(
        kind=EXPORT, call_path=RUN_EXPORT, user=user, label=_("导出 %(what)s") % {"what": resource.title},
        call_kwargs={"model": opts.label, "resource": f"{resource.__module__}.{resource.__qualname__}",
                     "selection": selection, "file_name": file_name,
                     "permission": f"{opts.app_label}.view_{opts.model_name}"})


def run_export(*, job: Job, model: str, resource: str, selection: dict[str, Any], file_name: str,
               permission: str = "") -> None:
    """The job's body: export the selection to an .xlsx kept with the job, reporting progress on the job."""
    documents = selection_queryset(apps.get_model(model), selection, job.created_by)
    total = documents.count()
    job_report(job=job, total=total, done=0, message=_("正在导出：共 %(total)s 张单据…") % {"total": _n(total)})

    exported = [0]

    def progress(read: int) -> None:
        exported[0] = read
        job_report(job=job, done=min(read, total), message=_("正在导出：已写入 %(done)s / %(total)s 张单据…") % {
            "done": _n(read), "total": _n(total)})

    sheet = import_string(resource)().export(documents, progress=progress)
    with tempfile.TemporaryFile(prefix="wdtportal-export-") as out:
        rows = write_xlsx(out, sheet.title, sheet.headers, sheet.rows,
                          summary=sheet.totals.rows if sheet.totals is not None else None, summary_title=_("合计"))
        job_report(job=job, message=_("正在保存文件：%(rows)s 行…") % {"rows": _n(rows)})
        out.seek(0)
        with transaction.atomic():
            job_file_save(job=job, name=file_name, content_type=XLSX_CONTENT_TYPE, source=out, permission=permission)
            # What was read is what the file holds (the list may have changed since it was counted).
            job_report(job=job, done=exported[0], total=exported[0], message=_(
                "导出完成：%(documents)s 张单据，%(rows)s 行明细。请在本页下载文件。") % {
                "documents": _n(exported[0]), "rows": _n(rows)})
