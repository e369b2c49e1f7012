"""Turning an uploaded file into a header row and a stream of data rows, whatever the clerk sent.

The format is told from the bytes, not the name: a zip is .xlsx, an OLE2 compound file is .xls (or an encrypted
.xlsx, which Office stores the same way), anything else must be CSV text in UTF-8 or GBK. python-calamine reads
both Excel formats; rows come out one at a time, numbered as Excel numbers them, with fully blank rows skipped.
"""

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import python_calamine
from django.utils.translation import gettext as _

from .errors import SpreadsheetError
from .extent import FormulaCells
from .limits import ImportLimits
from .xls_guard import inspect_xls
from .xlsx_guard import corrupt, inspect_xlsx, password_protected, too_many_rows

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# The name of the stream in which Office keeps an encrypted .xlsx, as it appears in the OLE2 directory (UTF-16LE).
ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")

Row = list[Any]


@dataclass
class Sheet:
    """The first sheet of a file: its header and an iterator over (Excel row number, cells) for the data rows."""

    kind: str  # "xlsx", "xls" or "csv"
    header: Row
    header_row: int
    data_rows: Iterator[tuple[int, Row]]
    # Cells that hold a formula: `(Excel row number, index of the column in header) in formula_cells`.
    formula_cells: FormulaCells = field(default_factory=FormulaCells)
    name: str = ""  # the sheet's own name (none for CSV): an error copy keeps it


def _blank(row: Row) -> bool:
    return row.count("") + row.count(None) == len(row)


def _numbered(rows: Iterator[Row], first_row: int, limits: ImportLimits) -> Iterator[tuple[int, Row]]:
    """Skip blank rows, number the rest, and stop with an error as soon as there are too many."""
    count = 0
    for number, row in enumerate(rows, start=first_row):
        if _blank(row):
            continue
        count += 1
        if count > limits.max_rows:
            raise too_many_rows(limits)
        yield number, row


def _split_header(rows: Iterator[Row], first_row: int) -> tuple[Row, int]:
    for number, row in enumerate(rows, start=first_row):
        if not _blank(row):
            return row, number
    raise SpreadsheetError(_("表格是空的：第一个工作表里没有任何内容。请把数据放在第一个工作表，第一行是列名。"))


def _read_excel(data: bytes, kind: str, limits: ImportLimits, formula_cells: FormulaCells) -> Sheet:
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        if not workbook.sheet_names:
            raise SpreadsheetError(_("表格是空的：文件里没有工作表。"))
        sheet = workbook.get_sheet_by_index(0)
        name = str(workbook.sheet_names[0])
    except python_calamine.PasswordError:
        raise password_protected() from None
    except SpreadsheetError:
        raise
    except Exception:  # calamine's own errors and anything else a damaged file makes it raise
        raise corrupt() from None
    start = sheet.start
    if start is None:
        raise SpreadsheetError(_("表格是空的：第一个工作表里没有任何内容。请把数据放在第一个工作表，第一行是列名。"))
    first_row, first_column = start[0] + 1, start[1]
    if sheet.height > limits.max_rows + 1:
        raise too_many_rows(limits)
    rows = sheet.iter_rows()
    header, header_row = _split_header(rows, first_row)
    return Sheet(kind, header, header_row, _numbered(rows, header_row + 1, limits), formula_cells.shifted(first_column),
                 name)


def _decode_csv(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        # Chinese Excel saves CSV in GBK; GB18030 is its superset and reads every GBK file.
        return data.decode("gb18030")
    except UnicodeDecodeError:
        message = _("无法识别CSV文件的编码。请用Excel另存为 .xlsx，或另存为“CSV UTF-8”后再导入。")
        raise SpreadsheetError(message) from None


def _read_csv(data: bytes, limits: ImportLimits) -> Sheet:
    text = _decode_csv(data)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    rows = csv.reader(io.StringIO(text, newline=""), dialect)

    def guarded() -> Iterator[Row]:
        try:
            yield from rows
        except csv.Error as error:
            raise SpreadsheetError(_("CSV文件格式有误：%(error)s") % {"error": error}) from None

    stream = guarded()
    header, header_row = _split_header(stream, 1)
    return Sheet("csv", header, header_row, _numbered(stream, header_row + 1, limits))


def open_sheet(data: bytes, file_name: str = "", limits: ImportLimits | None = None) -> Sheet:
    """Read the first sheet of an uploaded file; raise `SpreadsheetError` with the clerk's message if it can't be."""
    limits = limits or ImportLimits.from_settings()
    if len(data) > limits.max_bytes:
        raise SpreadsheetError(
            _("文件太大（%(size).1f MB），上限为 %(max).0f MB。请把文件拆成几个后分别导入。")
            % {"size": len(data) / 2**20, "max": limits.max_bytes / 2**20}
        )
    if not data.strip():
        raise SpreadsheetError(_("文件是空的。"))
    if data.startswith(ZIP_MAGIC):
        facts = inspect_xlsx(data, limits)
        return _read_excel(data, "xlsx", limits, facts.formula_cells)
    if data.startswith(OLE_MAGIC):
        if ENCRYPTED_PACKAGE in data:
            raise password_protected()
        return _read_excel(data, "xls", limits, inspect_xls(data, limits).formula_cells)
    if file_name.lower().endswith(EXCEL_SUFFIXES):
        raise corrupt()
    if b"\0" in data[:8192]:
        raise SpreadsheetError(_("这不是表格文件。请上传 .xlsx、.xls 或 .csv 文件。"))
    return _read_csv(data, limits)
