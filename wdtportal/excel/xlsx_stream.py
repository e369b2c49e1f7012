"""Writing a one-sheet .xlsx as rows come, at the speed an export of 300,000 lines needs.

openpyxl's write-only mode and XlsxWriter's constant_memory mode both stream, but build an object per cell: measured
on 30,000 export rows of 18 columns, openpyxl spent 12.8 µs of CPU a cell (10.7 µs with lxml) and XlsxWriter 5.9 µs,
i.e. 58–69 s and 32 s for the 300,000 lines an export job must write within 30 s. This module writes the sheet's
SpreadsheetML itself, under 1 µs a cell (4.4 s for 300,000 lines), straight into the zip file: memory stays flat
whatever the number of rows (docs/benchmarks.md, `bench/bulk_bench.py --baseline`).

It writes what an export holds and nothing else: a bold, frozen, filterable header row, then text, numbers
(Decimal written with all its digits, as openpyxl does), yes/no, dates and times (as Excel dates with a date
format); and, when asked, a second sheet of (label, value) pairs known only once the rows are written (the
export's 合计). Text is always an inline string, so a text that starts with "=" is text, never a live formula.
Templates and error copies, which need colours and notes, stay with openpyxl (writing.py).
"""

from __future__ import annotations

import datetime
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import IO, Any
from xml.sax.saxutils import escape

from .extent import column_letters

# Excel keeps at most this many characters in a cell.
MAX_CELL_TEXT = 32_767
# Rows joined before each write to the zip stream.
ROWS_PER_WRITE = 500
_EPOCH = datetime.datetime(1899, 12, 30)
_DAY = datetime.timedelta(days=1)
# Characters XML 1.0 does not allow (openpyxl refuses them): dropped from text.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_NEEDS_ESCAPE = re.compile(r"[&<>\x00-\x08\x0b\x0c\x0e-\x1f]")
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")

_HEADER_STYLE, _DATETIME_STYLE, _DATE_STYLE = 1, 2, 3

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '{sheets}'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '</Types>'
)
_SHEET_TYPE = ('<Override PartName="/xl/worksheets/sheet{n}.xml" '
               'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>')
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<bookViews><workbookView/></bookViews>'
    '<sheets>{sheets}</sheets>{names}</workbook>'
)
_WORKBOOK_SHEET = '<sheet name="{name}" sheetId="{n}" r:id="rId{rid}"/>'
# The autofilter of the first sheet, as Excel records it.
_FILTER_NAME = ('<definedNames><definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">'
                "'{name}'!$A$1:${last}${rows}</definedName></definedNames>")
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
    '{sheets}</Relationships>'
)
_SHEET_REL = ('<Relationship Id="rId{rid}" '
              'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
              'Target="worksheets/sheet{n}.xml"/>')
# Styles: 0 plain, 1 bold (the header), 2 date and time, 3 date.
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm:ss"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '</styleSheet>'
)
_SHEET_START = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<sheetViews><sheetView workbookViewId="0">'
    '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
    '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
    '<sheetFormatPr defaultRowHeight="15"/><sheetData>'
)
_SHEET_END = "</sheetData>{filter}</worksheet>"
# A plain sheet (the 合计): no frozen header.
_PLAIN_SHEET_START = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<cols><col min="1" max="1" width="14" customWidth="1"/><col min="2" max="2" width="20" customWidth="1"/></cols>'
    '<sheetData>'
)


def sheet_title(title: str) -> str:
    """A name Excel accepts for a sheet: at most 31 characters, none of []:*?/\\."""
    return _SHEET_NAME_BAD.sub(" ", title)[:31].strip() or "Sheet1"


def _text(value: str) -> str:
    """Text as XML: escaped, without the characters XML forbids, cut to what Excel keeps."""
    if len(value) > MAX_CELL_TEXT:
        value = value[:MAX_CELL_TEXT]
    if _NEEDS_ESCAPE.search(value) is None:
        return value
    return escape(_ILLEGAL.sub("", value))


def _cell(ref: str, value: Any, style: int = 0) -> str:
    """One cell's XML; empty for None and "" (an empty cell)."""
    kind = value.__class__
    if kind is str:
        if not value:
            return ""
        s = f' s="{style}"' if style else ""
        return f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{_text(value)}</t></is></c>'
    if kind is Decimal:
        if not value.is_finite():  # NaN, Infinity: no number Excel knows
            return ""
        text = str(value)
        return f'<c r="{ref}"><v>{text if "E" not in text else format(value, "f")}</v></c>'
    if kind is int or kind is float:
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    if kind is bool:
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        serial = (value.replace(tzinfo=None) - _EPOCH) / _DAY
        return f'<c r="{ref}" s="{_DATETIME_STYLE}"><v>{serial!r}</v></c>'
    if isinstance(value, datetime.date):
        return f'<c r="{ref}" s="{_DATE_STYLE}"><v>{(value - _EPOCH.date()).days}</v></c>'
    # Subclasses (choices, safe strings) as their plain type; anything else as its text.
    for plain in (bool, int, float, Decimal):
        if isinstance(value, plain):
            return _cell(ref, plain(value), style)
    return _cell(ref, str(value), style)


def _attribute(text: str) -> str:
    return escape(text, {'"': "&quot;"})


def _summary_sheet(pairs: Sequence[tuple[Any, Any]]) -> str:
    """The second sheet: one row per (label, value), the label bold."""
    rows = "".join(f'<row r="{n}">{_cell(f"A{n}", label, _HEADER_STYLE)}{_cell(f"B{n}", value)}</row>'
                   for n, (label, value) in enumerate(pairs, start=1))
    return _PLAIN_SHEET_START + rows + _SHEET_END.format(filter="")


def write_xlsx(target: str | IO[bytes], title: str, headers: Sequence[Any], rows: Iterable[Sequence[Any]], *,
               progress: Callable[[int], None] | None = None, progress_every: int = 10_000,
               summary: Callable[[], Sequence[tuple[Any, Any]]] | None = None,
               summary_title: str = "合计") -> int:
    """Write one sheet (`title`): a bold header row frozen at the top and filterable, then `rows` as they come.
    `target`: a path or a binary file open for writing. `progress(rows written)` is called every `progress_every`
    rows. `summary`, called once the rows are written, gives the (label, value) rows of a second sheet
    `summary_title`. Returns the number of data rows written."""
    width = len(headers)
    letters: list[str] = [column_letters(i) for i in range(width)]
    written = 0
    name = sheet_title(title)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as package:
        with package.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(_SHEET_START.encode())
            header = "".join(_cell(f"{letters[i]}1", name, _HEADER_STYLE) for i, name in enumerate(headers))
            sheet.write(f'<row r="1">{header}</row>'.encode())
            pending: list[str] = []
            number = 1
            append = pending.append
            for row in rows:
                number += 1
                r = str(number)
                append(f'<row r="{r}">')
                # The common cells (text, Decimal, empty) inline: this loop runs once per cell.
                for letter, value in zip(letters, row, strict=False):  # cells past the header: dropped
                    kind = value.__class__
                    if kind is str:
                        if value:
                            append(f'<c r="{letter}{r}" t="inlineStr"><is><t xml:space="preserve">'
                                   f'{_text(value)}</t></is></c>')
                    elif value is None:
                        continue
                    elif kind is Decimal and value.is_finite():
                        text = str(value)
                        append(f'<c r="{letter}{r}"><v>{text if "E" not in text else format(value, "f")}</v></c>')
                    else:
                        append(_cell(letter + r, value))
                append("</row>")
                written += 1
                if written % ROWS_PER_WRITE == 0:
                    sheet.write("".join(pending).encode())
                    pending.clear()
                if progress is not None and written % progress_every == 0:
                    progress(written)
            sheet.write("".join(pending).encode())
            last = letters[-1] if letters else "A"
            sheet.write(_SHEET_END.format(filter=f'<autoFilter ref="A1:{last}{number}"/>' if width else "").encode())
        titles = [name]
        if summary is not None:
            titles.append(sheet_title(summary_title))
            package.writestr("xl/worksheets/sheet2.xml", _summary_sheet(summary()))
        numbers = range(1, len(titles) + 1)
        package.writestr("[Content_Types].xml", _CONTENT_TYPES.format(
            sheets="".join(_SHEET_TYPE.format(n=n) for n in numbers)))
        package.writestr("_rels/.rels", _ROOT_RELS)
        names = _FILTER_NAME.format(name=_attribute(name).replace("'", "''"), last=last, rows=number) if width else ""
        package.writestr("xl/workbook.xml", _WORKBOOK.format(
            sheets="".join(_WORKBOOK_SHEET.format(name=_attribute(t), n=n, rid=n + 1) for n, t in zip(
                numbers, titles, strict=True)), names=names))
        package.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS.format(
            sheets="".join(_SHEET_REL.format(n=n, rid=n + 1) for n in numbers)))
        package.writestr("xl/styles.xml", _STYLES)
    return written
