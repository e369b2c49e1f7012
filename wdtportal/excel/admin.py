"""django-import-export's admin pages (import and export buttons, upload → preview → confirm) on the fast path.

django-import-export's own import reads the file into a tablib Dataset and saves row by row through a
ModelResource: about 67 s for 100,000 lines. Its admin flow is kept and two of its extension points are used:

- a file format (`SpreadsheetFormat`) whose `create_dataset` does not parse anything: it hands the uploaded bytes on;
- resources (`SpreadsheetResource`) whose `import_data` runs `documents.DocumentImporter` (dry run for the preview,
  for real on confirm) and translate its report into import-export's `Result`, and whose `export` streams rows.

An export of more than JOBS_EXPORT_THRESHOLD documents becomes a background job (export_job.py), and "select all
N" then export posts the list's filters, not N ids.

The preview page (`admin/excel/import.html`) extends import-export's template and shows the report: totals, the
first rows, every error, and links to the template and to a copy of the file with an error column.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from types import SimpleNamespace
from typing import Any, ClassVar

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export.admin import ExportActionMixin, ImportMixin
from import_export.formats.base_formats import Format
from import_export.forms import ConfirmImportForm, ExportForm, ImportForm
from import_export.resources import Resource
from import_export.results import Error, Result, RowResult
from import_export.tmp_storages import TempFolderStorage

from wdtportal.jobs.selection import IDS, QUERY, selected_across
from wdtportal.security.request_size import accepts_file_upload

from .background import start_import_job
from .documents import DocumentImporter, ImportReport
from .errors import SpreadsheetError
from .export_job import start_export_job
from .exporting import ExportSheet, ExtraColumn, export_documents
from .writing import XLSX_CONTENT_TYPE, error_copy_xlsx, rows_xlsx, template_xlsx

ERROR_COPY_SALT = "wdtportal.excel.error-copy"
PLAN_SALT = "wdtportal.excel.import-plan"
ERRORS_ON_PAGE = 1000


class SpreadsheetTmpStorage(TempFolderStorage):
    """Where an upload waits between the preview and the confirm (or the error copy): a folder of our own under the
    system's temporary folder, so that what is left behind can be swept without touching anyone else's files.

    A file is removed when it cannot be imported at all, once it is confirmed (imported, or moved to the database for
    a background job), and otherwise, abandoned, after a day (when the preview's links expire)."""

    FOLDER = "wdtportal-imports"
    PREFIX = "upload-"
    KEPT = 24 * 3600

    @classmethod
    def folder(cls) -> str:
        path = os.path.join(tempfile.gettempdir(), cls.FOLDER)
        os.makedirs(path, mode=0o700, exist_ok=True)
        return path

    def get_full_path(self) -> str:
        return os.path.join(self.folder(), os.path.basename(self.name))

    def _open(self, mode: str = "r") -> Any:
        if not self.name:
            handle = tempfile.NamedTemporaryFile(dir=self.folder(), prefix=self.PREFIX, delete=False)  # noqa: SIM115
            self.name = os.path.basename(handle.name)
            return handle
        return open(self.get_full_path(), mode, encoding=self.encoding)

    def remove(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.remove(self.get_full_path())

    @classmethod
    def sweep(cls) -> int:
        """Remove uploads older than a day; return how many."""
        removed = 0
        cutoff = time.time() - cls.KEPT
        with os.scandir(cls.folder()) as entries:
            for entry in entries:
                if entry.name.startswith(cls.PREFIX) and entry.stat().st_mtime < cutoff:
                    with contextlib.suppress(FileNotFoundError):
                        os.remove(entry.path)
                        removed += 1
        return removed


class UploadedSpreadsheet:
    """The bytes of an uploaded file, standing where import-export expects a parsed Dataset."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def __bool__(self) -> bool:
        return True

    def __len__(self) -> int:
        return len(self.data)


class SpreadsheetFormat(Format):
    """.xlsx, .xls or .csv in, .xlsx out; the file is told apart by its content when it is read."""

    def __init__(self, encoding: str | None = None) -> None:
        self.encoding = encoding  # import-export passes one; the content decides (CSV: UTF-8 or GBK)

    def get_title(self) -> str:
        return gettext_lazy("Excel 或 CSV（.xlsx、.xls、.csv）")

    def create_dataset(self, in_stream: bytes | str) -> UploadedSpreadsheet:
        return UploadedSpreadsheet(in_stream if isinstance(in_stream, bytes) else in_stream.encode("utf-8"))

    def export_data(self, dataset: ExportSheet, **kwargs: Any) -> bytes:
        return rows_xlsx(dataset.title, dataset.headers, dataset.rows,
                         dataset.totals.rows if dataset.totals is not None else None)

    def is_binary(self) -> bool:
        return True

    def get_read_mode(self) -> str:
        return "rb"

    def get_extension(self) -> str:
        return "xlsx"

    def get_content_type(self) -> str:
        return XLSX_CONTENT_TYPE

    def can_import(self) -> bool:
        return True

    def can_export(self) -> bool:
        return True


def column_title(header: str) -> str:
    """A file's column for the reader: the header itself in Chinese, "meaning (header)" in another language."""
    meaning = _(header)
    return header if meaning == header else f"{meaning} ({header})"


def report_result(report: Any) -> Result:
    """import-export's Result for our report: its totals, and a base error when the file cannot be imported."""
    result = Result()
    result.excel_report = report
    result.total_rows = getattr(report, "rows", 0)
    result.totals[RowResult.IMPORT_TYPE_NEW] = getattr(report, "created", 0)
    result.totals[RowResult.IMPORT_TYPE_UPDATE] = getattr(report, "updated", 0)
    result.totals[RowResult.IMPORT_TYPE_SKIP] = getattr(report, "unchanged", 0) + getattr(report, "locked", 0)
    if not report.ok:
        result.append_base_error(Error(SpreadsheetError(report.problem or _("文件中有错误，没有导入任何内容。"))))
    return result


class SpreadsheetResource(Resource):
    """One kind of import file in the admin. Subclasses name the importer, the export's extra columns and titles."""

    importer: ClassVar[type[DocumentImporter]]
    extras: ClassVar[list[ExtraColumn]] = []
    title: ClassVar[str] = ""
    template_file_name: ClassVar[str] = "template.xlsx"
    exportable: ClassVar[bool] = True

    @classmethod
    def get_display_name(cls) -> str:
        return str(cls.title)

    @classmethod
    def layout_columns(cls) -> list[Any]:
        return list(cls.importer.layout.columns)

    def get_user_visible_fields(self) -> list[Any]:
        # The import page lists the columns the file may have (import-export shows `column_name`): the file's own
        # Chinese header, and in another language what it means, e.g. "Return no. (退货单号)".
        return [SimpleNamespace(column_name=column_title(col.header)) for col in self.layout_columns()]

    def get_export_headers(self, selected_fields: Any = None) -> list[str]:
        return [col.header for col in self.layout_columns()] + [extra.header for extra in self.extras]

    @classmethod
    def template(cls) -> bytes:
        return template_xlsx(cls.importer.layout, str(cls.title))

    @classmethod
    def in_background(cls, rows: int | None) -> bool:
        """Whether a confirmed file of `rows` rows (None: not known) is imported by a background job."""
        return rows is None or rows > settings.JOBS_IMPORT_THRESHOLD

    def run(self, data: bytes, *, dry_run: bool, user: Any, file_name: str, keep_all_errors: bool = False) -> Any:
        return self.importer(user=user, file_name=file_name).run(data, dry_run=dry_run,
                                                                 keep_all_errors=keep_all_errors)

    def import_data(self, dataset: Any, dry_run: bool = False, raise_errors: bool = False,
                    use_transactions: bool | None = None, collect_failed_rows: bool = False,
                    rollback_on_validation_errors: bool = False, **kwargs: Any) -> Result:
        report = self.run(dataset.data, dry_run=dry_run, user=kwargs.get("user"),
                          file_name=kwargs.get("file_name") or "")
        return report_result(report)

    def export(self, queryset: Any = None, progress: Any = None, **kwargs: Any) -> ExportSheet:
        return export_documents(self.importer, queryset, self.extras, str(self.title), progress=progress)

    def error_copy(self, data: bytes, file_name: str, user: Any) -> bytes:
        report = self.run(data, dry_run=True, user=user, file_name=file_name, keep_all_errors=True)
        return error_copy_xlsx(data, file_name, report)


class SpreadsheetConfirmForm(ConfirmImportForm):
    """import-export's confirm form, plus what the preview found, signed: whose upload it is (only they may confirm
    it) and how many rows, to choose between importing in this request and in a background job."""

    plan = forms.CharField(widget=forms.HiddenInput(), required=False)

    def _plan(self) -> dict[str, Any]:
        """The signed plan of this very upload, or {} (none, forged, expired, or another upload's)."""
        try:
            plan = signing.loads(self.cleaned_data.get("plan") or "", salt=PLAN_SALT, max_age=24 * 3600)
        except signing.BadSignature:
            return {}
        same_file = os.path.basename(plan.get("tmp") or "") == self.cleaned_data.get("import_file_name")
        return plan if same_file else {}

    def uploaded_by(self, user: Any) -> bool:
        """Whether `user` uploaded the file this form confirms: a pending upload is confirmed by its uploader only."""
        return user.pk is not None and self._plan().get("user") == user.pk

    def planned_rows(self) -> int | None:
        return self._plan().get("rows")


class SpreadsheetImportForm(ImportForm):
    """import-export's upload form, refusing a file over IMPORT_MAX_BYTES before it is stored anywhere."""

    def clean_import_file(self) -> Any:
        upload = self.cleaned_data["import_file"]
        limit = settings.IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("文件太大（%(size).1f MB），上限为 %(max).0f MB。请把文件拆成几个后分别导入。")
                % {"size": upload.size / 2**20, "max": limit / 2**20})
        return upload


class SpreadsheetAdminMixin(ImportMixin, ExportActionMixin):
    """Import and export buttons on a document list; add it in front of the ModelAdmin's bases and set
    `resource_classes`. The first resource is the one exported."""

    import_export_change_list_template = "admin/import_export/change_list_import_export.html"
    import_template_name = "admin/excel/import.html"
    import_form_class = SpreadsheetImportForm
    confirm_form_class = SpreadsheetConfirmForm
    tmp_storage_class = SpreadsheetTmpStorage
    export_form_class = ExportForm
    import_formats = [SpreadsheetFormat]
    export_formats = [SpreadsheetFormat]
    skip_admin_log = True  # the ImportBatch row is the record of an import
    show_change_form_export = False
    export_file_stem = "export"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # ExportActionMixin brings its own change-form template; the document's page keeps the admin's own.
        for klass in type(self).__mro__:
            if "change_form_template" in vars(klass) and klass is not ExportActionMixin:
                self.change_form_template = vars(klass)["change_form_template"]
                break

    # --- permissions ---------------------------------------------------------------------------------
    def has_import_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("documents.add_importbatch") and self.has_add_permission(request)

    def has_export_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def get_export_resource_classes(self, request: HttpRequest) -> list[type[SpreadsheetResource]]:
        return [cls for cls in self.get_resource_classes(request) if cls.exportable]

    def get_valid_export_item_pks(self, request: HttpRequest) -> Any:
        # import-export's default lists every pk of the table (and is deprecated): only the posted selection,
        # and only what this person may see.
        return self.get_queryset(request).filter(pk__in=request.POST.getlist("export_items")).values_list(
            "pk", flat=True)

    def get_export_filename(self, request: HttpRequest, queryset: Any, file_format: Format) -> str:
        return f"{self.export_file_stem}-{timezone.localdate():%Y%m%d}.{file_format.get_extension()}"

    # --- large exports: never one hidden input per document, never the whole export in the request -------------
    def export_admin_action(self, request: HttpRequest, queryset: Any) -> HttpResponse:
        """The export action. After "select all N" the export form carries the list's filters and search in its
        URL, as the export button's form does, instead of one hidden input per document (more than
        DATA_UPLOAD_MAX_NUMBER_FIELDS of them is refused with 400). Ticked rows (at most a page) stay listed."""
        if not selected_across(request):
            return super().export_admin_action(request, queryset)
        form = self.get_export_form_class()(formats=self.get_export_formats(),
                                            resources=self.get_export_resource_classes(request))
        context = self.init_request_context_data(request, form)
        export_url = reverse("admin:{}_{}_export".format(*self.get_model_info()))
        context["export_url"] = f"{export_url}?{request.GET.urlencode()}" if request.GET else export_url
        context["export_threshold"] = settings.JOBS_EXPORT_THRESHOLD
        return TemplateResponse(request, "admin/excel/export_all.html", context)

    def export_in_background(self, queryset: Any) -> bool:
        """More than JOBS_EXPORT_THRESHOLD documents: exported by a job. Looks at most one past the threshold."""
        limit = settings.JOBS_EXPORT_THRESHOLD
        return len(queryset.order_by().values_list("pk", flat=True)[:limit + 1]) > limit

    def _do_file_export(self, file_format: Format, request: HttpRequest, queryset: Any,
                        export_form: Any = None) -> HttpResponse:
        """django-import-export's last step of its export page (4.4): a small export is the file itself; a large
        one becomes a background job (export_job.py) whose page offers the file once it is written."""
        if not self.export_in_background(queryset):
            return super()._do_file_export(file_format, request, queryset, export_form=export_form)
        if not self.has_export_permission(request):
            raise PermissionDenied
        if export_form is not None and "export_items" in export_form.changed_data:
            selection = {IDS: sorted(int(pk) for pk in export_form.cleaned_data["export_items"])}
        else:
            selection = {QUERY: request.GET.urlencode()}
        resource = (self.choose_export_resource_class(export_form, request) if export_form is not None
                    else self.get_export_resource_classes(request)[0])
        job = start_export_job(model=self.model, resource=resource, selection=selection, user=request.user,
                               file_name=self.get_export_filename(request, queryset, file_format))
        messages.info(request, _("要导出的单据超过 %(n)s 张，已转为后台任务 #%(id)s 生成文件；完成后在本页下载。") % {
            "n": settings.JOBS_EXPORT_THRESHOLD, "id": job.pk})
        return HttpResponseRedirect(reverse("admin:jobs_job_progress", args=[job.pk]))

    # --- pages of our own: the template and the error copy ------------------------------------------
    def get_urls(self) -> list:
        info = self.get_model_info()
        urls = [
            path("import/template/<path:index>/", self.admin_site.admin_view(self.import_template_view),
                 name="{}_{}_import_template".format(*info)),
            path("import/error-copy/", self.admin_site.admin_view(self.error_copy_view),
                 name="{}_{}_import_error_copy".format(*info)),
            *super().get_urls(),
        ]
        for url in urls:  # the upload page is the only one that takes a file (up to IMPORT_MAX_BYTES)
            if url.name == "{}_{}_import".format(*info):
                accepts_file_upload(url.callback)
        return urls

    def _resource_at(self, request: HttpRequest, index: int | str) -> type[SpreadsheetResource]:
        classes = self.get_import_resource_classes(request)
        if not (str(index).isascii() and str(index).isdigit() and int(index) < len(classes)):
            raise Http404
        return classes[int(index)]

    def import_template_view(self, request: HttpRequest, index: str) -> HttpResponse:
        if not self.has_import_permission(request):
            raise PermissionDenied
        resource = self._resource_at(request, index)
        response = HttpResponse(resource.template(), content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = content_disposition_header(True, resource.template_file_name)
        return response

    def error_copy_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_import_permission(request):
            raise PermissionDenied
        try:
            token = signing.loads(request.GET.get("token", ""), salt=ERROR_COPY_SALT, max_age=24 * 3600)
        except signing.BadSignature:
            raise Http404 from None
        if token.get("user") != request.user.pk:
            raise PermissionDenied
        resource = self._resource_at(request, int(token["resource"]))
        storage = self.get_tmp_storage_class()(name=token["tmp"], read_mode="rb", encoding=None,
                                               **self.get_tmp_storage_class_kwargs())
        try:
            data = storage.read()
        except OSError:
            messages.error(request, _("上传的文件已过期，请重新上传。"))
            return HttpResponseRedirect(reverse("admin:{}_{}_import".format(*self.get_model_info())))
        original = token["name"].rsplit(".", 1)[0]
        body = resource(**self.get_import_resource_kwargs(request)).error_copy(data, token["name"], request.user)
        response = HttpResponse(body, content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = content_disposition_header(True, f"{original}-错误说明.xlsx")
        return response

    # --- import-export's import flow ------------------------------------------------------------------
    def write_to_tmp_storage(self, import_file: Any, input_format: Format) -> Any:
        # import-export concatenates the upload chunk by chunk (quadratic for big files): join once instead.
        storage_class = self.get_tmp_storage_class()
        if hasattr(storage_class, "sweep"):
            storage_class.sweep()
        storage = storage_class(encoding=None, read_mode=input_format.get_read_mode(),
                                **self.get_tmp_storage_class_kwargs())
        storage.save(b"".join(import_file.chunks()))
        return storage

    def get_import_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_import_context_data(**kwargs)
        context["excel_templates"] = self._template_links()
        context["errors_on_page"] = ERRORS_ON_PAGE
        return context

    def _template_links(self) -> list[tuple[str, str]]:
        info = self.get_model_info()
        classes = self.resource_classes or []
        return [(str(cls.title), reverse("admin:{}_{}_import_template".format(*info), args=[i]))
                for i, cls in enumerate(classes)]

    def import_action(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        response = super().import_action(request, **kwargs)
        context = getattr(response, "context_data", None)
        if context is None:
            return response
        result = context.get("result")
        report = getattr(result, "excel_report", None)
        form = context.get("form")
        upload = form.cleaned_data.get("import_file") if form is not None and form.is_valid() else None
        if upload is not None and getattr(upload, "tmp_storage_name", None) and (
                report is None or (not report.ok and not getattr(report, "errors", None))):
            # Nothing to confirm and no error copy to make from it (the file cannot be read at all): gone now.
            self.get_tmp_storage_class()(name=upload.tmp_storage_name, **self.get_tmp_storage_class_kwargs()).remove()
        if report is not None and getattr(report, "errors", None) and form is not None and form.is_valid():
            upload = form.cleaned_data["import_file"]
            token = signing.dumps({"tmp": upload.tmp_storage_name, "name": upload.name, "user": request.user.pk,
                                   "resource": form.cleaned_data.get("resource") or "0"}, salt=ERROR_COPY_SALT)
            context["error_copy_url"] = (
                reverse("admin:{}_{}_import_error_copy".format(*self.get_model_info())) + "?token=" + token)
        if report is not None:
            context["report"] = report
            context["shown_errors"] = report.error_lines()[:ERRORS_ON_PAGE] if hasattr(report, "error_lines") else []
        confirm_form = context.get("confirm_form")
        if confirm_form is not None and report is not None:
            confirm_form.initial["plan"] = signing.dumps(
                {"tmp": confirm_form.initial.get("import_file_name"), "rows": report.rows, "user": request.user.pk},
                salt=PLAN_SALT)
        return response

    def process_import(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        """Confirm: import in this request, or, above JOBS_IMPORT_THRESHOLD rows, in a background job."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = self.create_confirm_form(request)
        if not form.is_valid():
            return super().process_import(request, **kwargs)
        if not form.uploaded_by(request.user):
            raise PermissionDenied  # another person's upload (its temporary name posted): nothing is read or imported
        resource_class = self.choose_import_resource_class(form, request)
        rows = form.planned_rows()
        storage = self.get_tmp_storage_class()(name=form.cleaned_data["import_file_name"], read_mode="rb",
                                               encoding=None, **self.get_tmp_storage_class_kwargs())
        try:
            data = storage.read()
        except OSError:  # swept after a day, or confirmed already
            messages.error(request, _("上传的文件已过期，请重新上传。"))
            return HttpResponseRedirect(reverse("admin:{}_{}_import".format(*self.get_model_info())))
        if not resource_class.in_background(rows):
            del data
            try:
                return super().process_import(request, **kwargs)
            finally:
                storage.remove()  # import-export removes it too, but not when the import raised
        job = start_import_job(importer=resource_class.importer, data=data,
                               file_name=form.cleaned_data["original_file_name"], user=request.user, rows=rows or 0)
        storage.remove()
        messages.info(request, _("文件较大（%(rows)s 行），已转为后台任务 #%(id)s 导入，本页实时显示进度。") % {
            "rows": f"{rows:,}" if rows is not None else "?", "id": job.pk})
        return HttpResponseRedirect(reverse("admin:jobs_job_progress", args=[job.pk]))

    def process_result(self, result: Result, request: HttpRequest) -> HttpResponse:
        report = getattr(result, "excel_report", None)
        if report is None:  # pragma: no cover - every resource here is a SpreadsheetResource
            return super().process_result(result, request)
        if not report.ok:
            # The data changed between preview and confirm (or the file did): nothing was written.
            messages.error(request, report.problem or _("导入失败：%(summary)s") % {"summary": report.summary()})
            for line in report.error_lines()[:20]:
                messages.error(request, line)
            return HttpResponseRedirect(reverse("admin:{}_{}_import".format(*self.get_model_info())))
        return self.import_finished(request, report)

    def import_finished(self, request: HttpRequest, report: ImportReport) -> HttpResponse:
        messages.success(request, _("导入完成：%(summary)s") % {"summary": report.summary()})
        if report.locked_documents:
            messages.warning(request, _("以下单据旺店通已接收或正在处理，未修改：%(list)s") % {
                "list": "、".join(f"{key}（{state}）" for key, state in report.locked_documents[:50])})
        url = reverse("admin:{}_{}_changelist".format(*self.get_model_info()))
        if report.batch_id:
            url += f"?import_batch__id__exact={report.batch_id}"
        return HttpResponseRedirect(url)
