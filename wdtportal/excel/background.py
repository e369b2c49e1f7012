"""Imports of more than JOBS_IMPORT_THRESHOLD rows run in the background, as a job of wdtportal.jobs.

The admin's confirm stores the file in the database (`ImportUpload`: the worker may run on another machine than the
web server that received it), starts a call job and shows the job's progress page. The worker runs `run_import`:
the same import as a confirm in the browser (one transaction: all or nothing), reporting the rows read as it goes.
If the worker dies, the job runs it again from the start; the import is an upsert, so that changes nothing twice.
The stored file is deleted once the import has run.
"""

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from wdtportal.documents.models import ImportUpload
from wdtportal.jobs.bookkeeping import job_report
from wdtportal.jobs.kinds import IMPORT
from wdtportal.jobs.labels import job_label, register_label
from wdtportal.jobs.models import Job
from wdtportal.jobs.services import job_start_call

from .documents import DocumentImporter, ImportReport

# Which importer reads each kind of upload (`batch_kind` → importer), as the document apps register them.
IMPORTERS: dict[str, type[DocumentImporter]] = {}
RUN_IMPORT = "wdtportal.excel.background.run_import"
# An upload whose job never ran it (the job failed before it could) is deleted after this long.
UPLOAD_KEPT = timedelta(days=2)
IMPORT_LABEL = register_label(gettext_noop("导入 %(file)s（%(kind)s，%(rows)s 行）"))
ERRORS_IN_MESSAGE = 20


def register_importer(importer: type[DocumentImporter]) -> None:
    """Let background imports read uploads of `importer.batch_kind` (called by a document app when it is ready)."""
    IMPORTERS[importer.batch_kind] = importer


def start_import_job(*, importer: type[DocumentImporter], data: bytes, file_name: str, user: Any,
                     rows: int) -> Job:
    """Store the file and start the job that imports it; return the job (its page shows the progress)."""
    ImportUpload.objects.filter(created_at__lt=timezone.now() - UPLOAD_KEPT).delete()
    upload = ImportUpload.objects.create(
        kind=importer.batch_kind, file_name=file_name[:255], data=data, rows=rows,
        created_by=user if getattr(user, "is_authenticated", False) else None)
    label = job_label(IMPORT_LABEL, file=file_name, kind=importer.label, rows=f"{rows:,}")
    return job_start_call(kind=IMPORT, call_path=RUN_IMPORT, call_kwargs={"upload_id": upload.pk},
                          user=user, total=rows, label=label)


def run_import(*, job: Job, upload_id: int) -> None:
    """The job's body: import the stored file, report progress and the outcome on the job."""
    upload = ImportUpload.objects.select_related("created_by").filter(pk=upload_id).first()
    if upload is None:
        job_report(job=job, message=_("文件已经导入过（或已被删除），本任务没有再做任何修改。"))
        return
    total = upload.rows or job.total

    def progress(rows: int, read: bool) -> None:
        if read:
            job_report(job=job, done=total * 4 // 5, message=_(
                "已读取并检查 %(rows)s 行，正在写入数据库（全部写入或全部不写入）……") % {"rows": f"{rows:,}"})
        else:
            job_report(job=job, done=min(rows, total) * 4 // 5, message=_("正在读取并检查：已读取 %(rows)s 行……") % {
                "rows": f"{rows:,}"})

    importer = IMPORTERS[upload.kind](user=upload.created_by, file_name=upload.file_name,
                                     progress=progress)
    job_report(job=job, message=_("正在读取文件……"))
    # The stored file goes with the import's own commit: a worker that dies after it cannot import it twice.
    with transaction.atomic():
        report = importer.run(bytes(upload.data), dry_run=False)
        upload.delete()
    _report_outcome(job, report, total)


def _report_outcome(job: Job, report: ImportReport, total: int) -> None:
    if report.written:
        message = _("导入完成：%(summary)s。导入批次 %(batch)s。") % {
            "summary": report.summary(), "batch": report.batch_id}
        if report.locked_documents:
            message += " " + _("以下单据旺店通已接收或正在处理，未修改：%(list)s") % {
                "list": "、".join(f"{key}（{state}）" for key, state in report.locked_documents[:50])}
        job_report(job=job, done=report.rows, failed=0, total=report.rows or total, message=message)
        return
    # The data changed between the preview and the confirm (or the file could not be read): nothing was written.
    lines = [report.problem] if report.problem else [_("导入失败，没有做任何修改：发现 %(n)s 个错误") % {
        "n": report.error_count}]
    lines += report.error_lines()[:ERRORS_IN_MESSAGE]
    job_report(job=job, done=0, failed=report.rows or total, total=report.rows or total, message="；".join(lines))
