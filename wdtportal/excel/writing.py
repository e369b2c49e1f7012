"""Writing .xlsx files: import templates, exports of documents with their lines, and error copies of a bad file.

Exports are streamed by xlsx_stream.py (openpyxl is too slow for 300,000 lines, see there); templates and error
copies, which need colours, use openpyxl's write-only mode. Numbers are written as numbers (Decimal), yes/no as
是/否 and choices by name, exactly as the import reads them back, so an exported file can be edited and imported
again.
"""

import io
import itertools
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill

from .columns import DOCUMENT, ERROR_COLUMN, Layout
from .documents import ImportReport
from .limits import ImportLimits
from .reading import open_sheet
from .xlsx_stream import write_xlsx

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_BOLD = Font(bold=True)
_REQUIRED = PatternFill("solid", fgColor="FFF2CC")
_ERROR = Font(color="C00000", bold=True)
_ERROR_FILL = PatternFill("solid", fgColor="FFC7CE")  # Excel's own "light red fill" for bad values


def _header_cells(sheet: Any, names: Sequence[str], required: set[str] = frozenset()) -> list[WriteOnlyCell]:
    cells = []
    for name in names:
        cell = WriteOnlyCell(sheet, value=name)
        if isinstance(name, str):
            cell.data_type = "s"  # a header that starts with "=" stays text
        cell.font = _BOLD
        if name in required:
            cell.fill = _REQUIRED
        cells.append(cell)
    return cells


def _as_text(sheet: Any, row: Sequence[Any]) -> Sequence[Any]:
    """The row with each text that starts with "=" as a text cell: openpyxl would write it as a live formula (formula
    injection from a remark or a WDT message, and an export that no longer imports)."""
    cells = None
    for index, value in enumerate(row):
        if value.__class__ is str and value[:1] == "=":
            if cells is None:
                cells = list(row)
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"
            cells[index] = cell
    return row if cells is None else cells


def _to_bytes(workbook: Workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def template_xlsx(layout: Layout, title: str) -> bytes:
    """The import template: the header row and one example row, and a second sheet explaining every column."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    required = {col.header for col in layout.columns if col.required}
    sheet.column_dimensions["A"].width = 18
    sheet.append(_header_cells(sheet, [col.header for col in layout.columns], required))
    sheet.append([col.example for col in layout.columns])

    notes = workbook.create_sheet(_("填写说明"))
    for letter, width in zip("ABCDEF", (16, 18, 8, 12, 44, 70), strict=True):
        notes.column_dimensions[letter].width = width
    for line in (
        _("每行是一条明细；同一张单据的每一行都重复填写单据的表头信息（单号、物流、备注等），且必须一致。"),
        _("数据放在第一个工作表，第一行是列名；列的顺序不限，也可以用接口字段名（如 return_no）作列名。"),
        _("不认识的列会被忽略并在预览中列出；导出的状态、消息等列导入时自动忽略，导出的文件可以直接修改后再导入。"),
        _("数字可以是文本格式，全角数字和多余空格会自动处理；是/否列可填 是/否、1/0、TRUE/FALSE。"),
        _("整个文件有任何错误时不会导入任何内容；预览会一次列出所有错误，并可下载带“错误”列的文件修改后重新导入。"),
        _("再次导入同一单号会更新尚未发送的单据；旺店通已接收的单据不会被修改，会在预览中列出。"),
        _("请不要使用公式，公式请先“选择性粘贴 → 数值”。支持 .xlsx、.xls 和 .csv（UTF-8 或 GBK）。"),
    ):
        notes.append([line])
    notes.append([])
    # Each column's rules, read from the model field it fills (columns.Column): what the import will check.
    names = [_("列名"), _("接口字段名"), _("必填"), _("最多字符数"), _("可填的值"), _("说明")]
    notes.append(_header_cells(notes, names))
    for col in layout.columns:
        level = _("单据") if col.level == DOCUMENT else _("明细")
        notes.append([col.header, col.key, _("是") if col.required else _("否"), col.max_length,
                      col.allowed_values(), f"[{level}] {col.note}"])
    return _to_bytes(workbook)


def rows_xlsx(title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]],
              totals: Callable[[], Sequence[tuple[str, Any]]] | None = None) -> bytes:
    """An export: one header row, then the rows as they come (streamed by xlsx_stream, as the export job's file),
    filterable; and, when `totals` is given, a second sheet 合计 with what it returns once the rows are written
    ((label, value) pairs)."""
    out = io.BytesIO()
    write_xlsx(out, title, headers, rows, summary=totals, summary_title=_("合计"))
    return out.getvalue()


def error_copy_xlsx(data: bytes, file_name: str, report: ImportReport, limits: ImportLimits | None = None) -> bytes:
    """The clerk's own rows, in her own sheet (its name kept), with an “错误” column first saying what is wrong with
    each row (`第34行（CR…）退货数量: 必须大于0`), the rows with errors filled red, the header and the 错误 column
    frozen. Fixed here, the file imports again as it is: the “错误” column is ignored on import."""
    by_row: dict[int, list[str]] = {}
    for error in report.errors:
        by_row.setdefault(error.row, []).append(str(error))
    sheet_in = open_sheet(data, file_name, limits)
    workbook = Workbook(write_only=True)
    stem = file_name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    sheet = workbook.create_sheet(_sheet_title(sheet_in.name or stem or _("导入数据")))
    sheet.freeze_panes = "B2"
    sheet.column_dimensions["A"].width = 60
    header = list(sheet_in.header)
    rows = sheet_in.data_rows
    copy_header = getattr(report, "copy_header", None)
    if copy_header is not None:
        # The first row is data (a stop-waiting list without a header): it goes below a header of our own.
        rows = itertools.chain([(sheet_in.header_row, header)], rows)
        header = list(copy_header)
    error_head = _header_cells(sheet, [ERROR_COLUMN])[0]
    error_head.font = _ERROR
    sheet.append([error_head, *_header_cells(sheet, ["" if v is None else v for v in header])])
    width = len(header)
    for number, row in rows:
        values = list(row[:width]) + [""] * (width - len(row))
        messages = by_row.get(number)
        if not messages:
            sheet.append([None, *_as_text(sheet, values)])
            continue
        cell = WriteOnlyCell(sheet, value="；".join(messages))
        cell.data_type = "s"
        cell.font = _ERROR
        cell.fill = _ERROR_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.append([cell, *_filled(sheet, values)])
    return _to_bytes(workbook)


def _filled(sheet: Any, values: Sequence[Any]) -> list[WriteOnlyCell]:
    """A row with an error, each cell on the red fill (text that starts with "=" stays text)."""
    cells = []
    for value in values:
        cell = WriteOnlyCell(sheet, value=value)
        if value.__class__ is str and value[:1] == "=":
            cell.data_type = "s"
        cell.fill = _ERROR_FILL
        cells.append(cell)
    return cells


def _sheet_title(name: str) -> str:
    """A sheet name Excel accepts: at most 31 characters, none of []:*?/\\."""
    title = "".join("_" if ch in '[]:*?/\\' else ch for ch in str(name)).strip("'")[:31]
    return title or _("导入数据")
