"""Checks on an .xls file (BIFF5/BIFF8 records in an OLE2 compound file) before python-calamine is let near it.

The workbook stream is walked record by record (4-byte headers, no cell values decoded): the first sheet's cells
give its used range, which calamine would allocate in one piece (see `extent`), and its FORMULA records are the
cells that hold a formula, whose cached value calamine would hand over as if it were typed. Blank cells (BLANK,
MULBLANK) are left out, as calamine leaves them out of the range.
"""

import io
import struct
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from xlrd.compdoc import CompDoc, CompDocError

from .errors import SpreadsheetError
from .extent import Extent, FormulaCells
from .limits import ImportLimits
from .xlsx_guard import corrupt, password_protected

_BOF = 0x0809
_EOF = 0x000A
_BOUNDSHEET = 0x0085
_FILEPASS = 0x002F
_FORMULAS = {0x0006, 0x0206, 0x0406}
# Records of one cell with a value: row (2 bytes), column (2 bytes), ...
_CELLS = {0x0203, 0x0204, 0x0205, 0x00FD, 0x027E, 0x00D6} | _FORMULAS
_MULRK = 0x00BD  # row, first column, one RK value per column, last column (2 bytes at the end)
_HEADER = struct.Struct("<HH")
_ROW_COLUMN = struct.Struct("<HH")


@dataclass
class XlsFacts:
    formula_cells: FormulaCells = field(default_factory=FormulaCells)
    extent: Extent | None = None


def _workbook_stream(data: bytes) -> bytes:
    try:
        document = CompDoc(data, logfile=io.StringIO())
        for name in ("Workbook", "Book"):
            stream = document.get_named_stream(name)
            if stream:
                return bytes(stream)
    except (CompDocError, IndexError, ValueError, struct.error):
        raise corrupt() from None
    raise corrupt()


def _first_sheet_offset(stream: bytes) -> int:
    """The first sheet's BOF, from the first BOUNDSHEET record of the workbook globals (python-calamine's sheet 0)."""
    position = 0
    end = len(stream)
    while position + 4 <= end:
        opcode, length = _HEADER.unpack_from(stream, position)
        body = position + 4
        if opcode == _FILEPASS:
            raise password_protected()
        if opcode == _BOUNDSHEET and length >= 4:
            return struct.unpack_from("<I", stream, body)[0]
        if opcode == _EOF:
            break
        position = body + length
    raise SpreadsheetError(_("表格是空的：文件里没有工作表。"))


def inspect_xls(data: bytes, limits: ImportLimits) -> XlsFacts:
    """Refuse an .xls whose first sheet is too large; find its formula cells."""
    stream = _workbook_stream(data)
    facts = XlsFacts()
    extent = facts.extent = Extent(limits)
    formulas = facts.formula_cells
    position = _first_sheet_offset(stream)
    end = len(stream)
    if position + 4 > end or _HEADER.unpack_from(stream, position)[0] != _BOF:
        raise corrupt()
    max_row = max_column = -1
    cells = 0
    try:
        while position + 4 <= end:
            opcode, length = _HEADER.unpack_from(stream, position)
            body = position + 4
            position = body + length
            if opcode in _CELLS and length >= 4:
                row, column = _ROW_COLUMN.unpack_from(stream, body)
                if opcode in _FORMULAS:
                    formulas.add(row + 1, column)
            elif opcode == _MULRK and length >= 6:
                row, column = _ROW_COLUMN.unpack_from(stream, body)
                column = max(column, struct.unpack_from("<H", stream, body + length - 2)[0])
            elif opcode == _EOF:
                break
            else:
                continue
            cells += 1
            if row > max_row or column > max_column:
                max_row, max_column = max(max_row, row), max(max_column, column)
                extent.add(max_row + 1, max_column)
    except struct.error:
        raise corrupt() from None
    extent.count_cells(cells)
    return facts
