"""Excel layout of purchase returns (one row per outbound line) and of stop-waiting lists, and their imports.

The column names are the vendor's (`purchase_return_order_push.php`); the API names are accepted too. The line's
remark is `明细备注` in the file (`detail_remark` as an API-style name), because `备注` is the return's own remark.
A stop-waiting list is one column of return numbers, with or without a `退货单号` header.
"""

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from wdtportal.documents.models import ImportBatch
from wdtportal.documents.states import state_label
from wdtportal.excel.cells import CellError, text_cleaner
from wdtportal.excel.columns import DOCUMENT, LINE, Layout, column, normalize_header
from wdtportal.excel.documents import INVALID, DocumentImporter, ImportReport, formula_message
from wdtportal.excel.errors import RowError, SpreadsheetError
from wdtportal.excel.exporting import ExtraColumn, local_time
from wdtportal.excel.reading import open_sheet
from wdtportal.jobs.labels import job_label, register_label
from wdtportal.jobs.services import job_start

from . import job_kinds
from .models import OutboundLine, PurchaseReturn, new_outer_no
from .signals import returns_numbered

# The `kind` of the import batches this app writes.
RETURNS_BATCH = "returns"
STOP_WAITING_BATCH = "stop_waiting"
# The label of the job a stop-waiting list starts (stored in Chinese, shown in the reader's language).
STOP_WAITING_LABEL = register_label(gettext_noop("停止等待（清单 %(file)s）"))

RETURN_EXPORT_EXTRAS = [
    ExtraColumn("出库单状态", "outbound_state", state_label),
    ExtraColumn("停止等待状态", "waiting_state", state_label),
    ExtraColumn("旺店通最近消息", "last_message"),
    ExtraColumn("创建时间", "created_at", local_time),
    ExtraColumn("导入批次", "import_batch_id"),
]

RETURN_LAYOUT = Layout(
    columns=(
        column(PurchaseReturn, "return_no", "退货单号", DOCUMENT, required=True, example="CG2026031500012",
               note=_("必填。同一张退货单的每一行都填同一个退货单号，以及相同的表头信息。")),
        column(PurchaseReturn, "outer_no", "外部单号", DOCUMENT, example="",
               note=_("选填。留空时自动生成，并在以后的导入中保持不变；填写时不能与其他退货单重复。")),
        column(PurchaseReturn, "logistics_code", "物流公司编号", DOCUMENT, example="SF",
               note=_("选填。ERP中物流公司的编号。")),
        column(PurchaseReturn, "logistics_no", "物流单号", DOCUMENT, example="SF1234567890", note=_("选填。")),
        column(PurchaseReturn, "post_cost", "邮资", DOCUMENT, example="12.50", note=_("选填。不小于0，最多4位小数。")),
        column(PurchaseReturn, "remark", "备注", DOCUMENT, code=False, example="供应商质量问题退货",
               note=_("选填。退货单的备注，最多255个字。")),
        column(PurchaseReturn, "is_check", "是否审核", DOCUMENT, example="是",
               note=_("选填。是/否、1/0 或 TRUE/FALSE；留空为“是”。")),
        column(OutboundLine, "spec_no", "商家编码", LINE, required=True, example="SKU-001",
               note=_("必填。同一退货单中商家编码+批次号不能重复。")),
        column(OutboundLine, "num", "退货数量", LINE, required=True, example="3",
               note=_("必填。大于0，最多4位小数。")),
        column(OutboundLine, "price", "单价", LINE, example="25.80", note=_("选填。不小于0，最多4位小数。")),
        column(OutboundLine, "position_no", "货位编号", LINE, example="A-01-02", note=_("选填。")),
        column(OutboundLine, "batch_no", "批次号", LINE, example="", note=_("选填。")),
        column(OutboundLine, "remark", "明细备注", LINE, code=False, key="detail_remark",
               aliases=("detail_list.remark", "line_remark"), example="", note=_("选填。这一行明细的备注。")),
    ),
    export_only=tuple(extra.header for extra in RETURN_EXPORT_EXTRAS),
)


class ReturnsImporter(DocumentImporter):
    batch_kind = RETURNS_BATCH
    label = _("采购退货")
    document_model = PurchaseReturn
    line_model = OutboundLine
    line_fk = "purchase_return"
    key = "return_no"
    state_field = "outbound_state"
    layout = RETURN_LAYOUT
    blank_keeps = frozenset({"outer_no"})

    def _outer_no_index(self) -> int | None:
        names = [col.key for col in self.doc_cols]
        return names.index("outer_no") if "outer_no" in names else None

    def check_file(self, docs: dict[Any, Any], report: ImportReport) -> None:
        index = self._outer_no_index()
        if index is None:
            return
        owners: dict[str, tuple[str, int]] = {}
        for key, doc in docs.items():
            outer_no = doc.values[index]
            if outer_no in ("", None) or outer_no is INVALID:
                continue
            if outer_no in owners and owners[outer_no][0] != key:
                other, row = owners[outer_no]
                report.add_error(doc.first_row, "外部单号", _(
                    "外部单号“%(outer)s”已用于第%(row)s行的退货单“%(other)s”，不同退货单的外部单号不能相同"
                ) % {"outer": outer_no, "row": row, "other": other}, key)
            else:
                owners.setdefault(outer_no, (key, doc.first_row))

    def check_chunk(self, keys: list[Any], chunk: list[Any], existing: dict[Any, tuple],
                    report: ImportReport) -> None:
        index = self._outer_no_index()
        if index is None:
            return
        wanted = {doc.values[index]: (key, doc) for key, doc in zip(keys, chunk, strict=True)
                  if doc.values[index] not in ("", None) and doc.values[index] is not INVALID}
        if not wanted:
            return
        taken = PurchaseReturn.objects.filter(outer_no__in=list(wanted)).values_list("outer_no", "return_no")
        for outer_no, return_no in taken:
            key, doc = wanted[outer_no]
            if return_no != key:
                report.add_error(doc.first_row, "外部单号", _(
                    "外部单号“%(outer)s”已被退货单“%(other)s”使用，请换一个或留空（留空会自动生成）"
                ) % {"outer": outer_no, "other": return_no}, key)

    def prepare_new(self, values: dict[str, Any]) -> None:
        if not values["outer_no"]:
            values["outer_no"] = new_outer_no()

    def after_write(self, created_keys: list[Any]) -> None:
        # Whatever refers to returns by number (settlement drafts imported before their return) may now find them.
        returns_numbered.send(sender=PurchaseReturn, return_nos=created_keys)


def import_returns(data: bytes, *, file_name: str = "", user: Any = None, dry_run: bool = False) -> ImportReport:
    """Import purchase returns from a spreadsheet: all rows or, if any is wrong, none."""
    return ReturnsImporter(user=user, file_name=file_name).run(data, dry_run=dry_run)


# --- stop-waiting lists ------------------------------------------------------------------------------

STOP_WAITING_HEADERS = {normalize_header(name) for name in ("退货单号", "采购退货单号", "return_no", "order_no")}


@dataclass
class StopWaitingReport:
    """What a stop-waiting list holds: the portal's returns it names, and the numbers the portal does not know."""

    kind: str = STOP_WAITING_BATCH
    file_name: str = ""
    dry_run: bool = True
    problem: str = ""
    rows: int = 0
    return_ids: list[int] = field(default_factory=list)
    found: list[tuple[str, str]] = field(default_factory=list)  # (return_no, waiting state label), first 500
    duplicates: int = 0
    errors: list[RowError] = field(default_factory=list)
    job_id: int | None = None  # the background job that stops waiting on them, after confirming
    batch_id: int | None = None
    unknown_columns: list[str] = field(default_factory=list)
    # A list without a header row: the error copy gets one, so that the first row (data) keeps its error.
    copy_header: list[str] | None = None

    @property
    def error_count(self) -> int:
        return len(self.errors)

    @property
    def documents(self) -> int:
        return len(self.return_ids)

    @property
    def ok(self) -> bool:
        return not self.problem and not self.errors

    def error_lines(self) -> list[str]:
        return [str(error) for error in self.errors]

    def summary(self) -> str:
        return str(_("%(rows)s 行，找到 %(found)s 张采购退货单，重复 %(dup)s 个，错误 %(errors)s 个") % {
            "rows": self.rows, "found": self.documents, "dup": self.duplicates, "errors": self.error_count})


def _number_column(header: list[Any]) -> tuple[int, bool]:
    """(the column holding the numbers, whether the first row is a header rather than a number)."""
    for index, cell in enumerate(header):
        if normalize_header(cell) in STOP_WAITING_HEADERS:
            return index, True
    for index, cell in enumerate(header):
        if cell not in ("", None):
            return index, False
    return 0, False


def stop_waiting_list(data: bytes, *, file_name: str = "", user: Any = None, dry_run: bool = True) -> StopWaitingReport:
    """Read a list of return numbers and find the portal's returns; unless `dry_run`, start the background job that
    stops waiting on them all in WDT (as the list's action does: wdtportal.jobs, kind returns_stop_waiting, which
    sends through returns.services.returns_stop_waiting). Unknown numbers are errors."""
    report = StopWaitingReport(file_name=file_name, dry_run=dry_run)
    try:
        sheet = open_sheet(data, file_name)
    except SpreadsheetError as error:
        report.problem = error.message
        return report
    index, has_header = _number_column(sheet.header)
    if not has_header:
        report.copy_header = ["退货单号" if i == index else "" for i in range(len(sheet.header))]
    clean = text_cleaner(40, code=True)
    rows = sheet.data_rows if has_header else iter([(sheet.header_row, sheet.header), *sheet.data_rows])
    numbers: dict[str, int] = {}
    try:
        for row_no, row in rows:
            report.rows += 1
            if (row_no, index) in sheet.formula_cells:
                report.errors.append(RowError(row_no, "退货单号", formula_message()))
                continue
            try:
                number = clean(row[index] if index < len(row) else None)
            except CellError as error:
                report.errors.append(RowError(row_no, "退货单号", error.message))
                continue
            if number is None:
                continue
            if number in numbers:
                report.duplicates += 1
            else:
                numbers[number] = row_no
    except SpreadsheetError as error:
        report.problem = error.message
        return report
    if not numbers:
        report.problem = str(_("文件里没有退货单号。停止等待清单是一列退货单号，第一行可以是列名“退货单号”。"))
        return report
    known: dict[str, tuple[int, str]] = {}
    keys = list(numbers)
    for start in range(0, len(keys), 500):
        for pk, return_no, state in PurchaseReturn.objects.filter(return_no__in=keys[start:start + 500]).values_list(
                "pk", "return_no", "waiting_state"):
            known[return_no] = (pk, state)
    for number, row_no in numbers.items():
        if number not in known:
            message = str(_("门户中没有这张采购退货单：%(no)s") % {"no": number})
            report.errors.append(RowError(row_no, "退货单号", message))
            continue
        pk, state = known[number]
        report.return_ids.append(pk)
        if len(report.found) < 500:
            report.found.append((number, state_label(state)))
    report.errors.sort(key=lambda error: error.row)
    if dry_run or not report.ok:
        return report
    with transaction.atomic():
        batch = ImportBatch.objects.create(kind=STOP_WAITING_BATCH, file_name=file_name[:255],
                                           created_by=user if getattr(user, "is_authenticated", False) else None,
                                           rows=report.rows, documents=report.documents)
        job = job_start(kind=job_kinds.STOP_WAITING, documents=report.return_ids, user=user,
                        label=job_label(STOP_WAITING_LABEL, file=file_name))
    report.batch_id, report.job_id = batch.pk, job.pk
    return report
