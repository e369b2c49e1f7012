"""Excel import and export on the purchase-return list: returns with their lines, and stop-waiting lists."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wdtportal.excel.admin import SpreadsheetAdminMixin, SpreadsheetResource
from wdtportal.excel.columns import Layout, column
from wdtportal.excel.writing import error_copy_xlsx, template_xlsx
from wdtportal.jobs.responses import job_started

from . import services
from .models import PurchaseReturn
from .resources import RETURN_EXPORT_EXTRAS, STOP_WAITING_BATCH, ReturnsImporter, stop_waiting_list


class ReturnsResource(SpreadsheetResource):
    importer = ReturnsImporter
    extras = RETURN_EXPORT_EXTRAS
    title = gettext_lazy("采购退货（每行一条明细）")
    template_file_name = "采购退货导入模板.xlsx"


STOP_WAITING_LAYOUT = Layout(columns=(
    column(PurchaseReturn, "return_no", "退货单号", "document", required=True, example="CG2026031500012",
           note=gettext_lazy("必填。每行一个退货单号；确认后门户会以后台任务对这些退货单在旺店通中停止等待。")),
))


class StopWaitingResource(SpreadsheetResource):
    """A list of return numbers: the preview resolves them; confirming stops waiting on them in WDT."""

    importer = ReturnsImporter  # not used to import; the layout of the template is STOP_WAITING_LAYOUT
    title = gettext_lazy("停止等待清单（一列退货单号）")
    template_file_name = "停止等待清单模板.xlsx"
    exportable = False

    @classmethod
    def layout_columns(cls) -> list[Any]:
        return list(STOP_WAITING_LAYOUT.columns)

    @classmethod
    def template(cls) -> bytes:
        return template_xlsx(STOP_WAITING_LAYOUT, str(cls.title))

    @classmethod
    def in_background(cls, rows: int | None) -> bool:
        return False  # not an import: confirming sends the list to WDT (see run)

    def run(self, data: bytes, *, dry_run: bool, user: Any, file_name: str, keep_all_errors: bool = False) -> Any:
        allowed = user is None or user.has_perm(services.PERM_SEND)
        if not allowed and not dry_run:
            raise PermissionDenied
        report = stop_waiting_list(data, file_name=file_name, user=user, dry_run=dry_run)
        if report.ok and not allowed:
            report.problem = _("停止等待会发送到旺店通，需要“可发送采购退货到旺店通”权限（财务主管）。")
        return report

    def error_copy(self, data: bytes, file_name: str, user: Any) -> bytes:
        return error_copy_xlsx(data, file_name, self.run(data, dry_run=True, user=user, file_name=file_name))


class ReturnsSpreadsheetMixin(SpreadsheetAdminMixin):
    """Add in front of PurchaseReturnAdmin's bases."""

    resource_classes = [ReturnsResource, StopWaitingResource]
    export_file_stem = "purchase-returns"

    def import_finished(self, request: HttpRequest, report: Any) -> HttpResponse:
        if report.kind != STOP_WAITING_BATCH:
            return super().import_finished(request, report)
        # A stop-waiting list: sent in the background, as the list's action does; its page shows each return's answer.
        return job_started(self, request, (report.job_id, report.documents))
