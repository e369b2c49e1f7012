"""Checks on an .xlsx file (a zip of XML parts) before python-calamine is let near it.

- a decompression bomb: the declared sizes, then the real ones while inflating every part in chunks; a part whose
  data does not match its declared size fails the zip's CRC check and is refused as corrupt;
- formulas: calamine gives a formula's cached value (or nothing when no program ever calculated it), so the first
  sheet's XML is scanned for `<f>` elements and each cell that holds one is remembered;
- too many rows: the `<row>` elements are counted while inflating, so 1,000,000 rows are refused as soon as the
  limit is passed, without building a single row.
"""

import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from .errors import SpreadsheetError
from .limits import ImportLimits

_CHUNK = 1 << 20
_TAIL = 512
_MAX_PARTS = 10_000
_SMALL_PART = 5 << 20  # workbook.xml and its relationships are tiny in any real file
_FORMULA = re.compile(rb"<(?:\w{1,16}:)?f[\s>/]")
_CELL_START = re.compile(rb"<(?:\w{1,16}:)?c\s[^>]*?\br=\"([A-Z]{1,3})(\d+)\"")
_ROW_TOKENS = (b"<row ", b"<row>", b":row ", b":row>")
_FIRST_SHEET = re.compile(rb"<(?:\w{1,16}:)?sheet\s[^>]*?\b(?:\w{1,16}:)?id=\"([^\"]+)\"")
_RELATIONSHIP = re.compile(rb"<(?:\w{1,16}:)?Relationship\s[^>]*>")
_ATTR = re.compile(rb"\b(Id|Target)=\"([^\"]*)\"")


def column_index(letters: str) -> int:
    """"A" → 0, "AA" → 26."""
    index = 0
    for letter in letters:
        index = index * 26 + (ord(letter) - 64)
    return index - 1


@dataclass
class XlsxFacts:
    sheet_path: str
    rows: int = 0
    # (row number as Excel shows it, column index from A = 0)
    formula_cells: list[tuple[int, int]] = field(default_factory=list)


def corrupt() -> SpreadsheetError:
    return SpreadsheetError(_("文件已损坏，无法读取。请在Excel中打开后另存为 .xlsx 再导入。"))


def bomb(limits: ImportLimits) -> SpreadsheetError:
    return SpreadsheetError(
        _("文件解压后超过 %(mb)s MB（可能是压缩炸弹或含有大量无关内容），已拒绝。请只保留需要导入的数据后再试。")
        % {"mb": limits.max_uncompressed_bytes >> 20}
    )


def too_many_rows(limits: ImportLimits) -> SpreadsheetError:
    return SpreadsheetError(
        _("文件行数超过上限：单次最多导入 %(max)s 行。请把文件拆成几个后分别导入。") % {"max": f"{limits.max_rows:,}"}
    )


def _first_sheet_path(archive: zipfile.ZipFile) -> str:
    fallback = "xl/worksheets/sheet1.xml"
    try:
        workbook = _read_small(archive, "xl/workbook.xml")
        rels = _read_small(archive, "xl/_rels/workbook.xml.rels")
    except KeyError:
        return fallback
    match = _FIRST_SHEET.search(workbook)
    if not match:
        return fallback
    wanted = match.group(1)
    for element in _RELATIONSHIP.findall(rels):
        attrs = dict(_ATTR.findall(element))
        if attrs.get(b"Id") == wanted and b"Target" in attrs:
            target = attrs[b"Target"].decode("utf-8", "replace")
            return target.lstrip("/") if target.startswith("/") else "xl/" + target
    return fallback


def _read_small(archive: zipfile.ZipFile, name: str) -> bytes:
    info = archive.getinfo(name)
    if info.file_size > _SMALL_PART:
        raise SpreadsheetError(_("文件结构异常（工作簿描述过大），已拒绝。"))
    return archive.read(info)


class _SheetScanner:
    """Counts rows and finds formula cells in a sheet's XML fed in chunks."""

    def __init__(self, facts: XlsxFacts, limits: ImportLimits) -> None:
        self.facts = facts
        self.max_rows = limits.max_rows + 1  # the header row
        self.limits = limits
        self.tail = b""

    def feed(self, chunk: bytes) -> None:
        buffer = self.tail + chunk
        seen = len(self.tail)
        facts = self.facts
        facts.rows += sum(buffer.count(token) - self.tail.count(token) for token in _ROW_TOKENS)
        if facts.rows > self.max_rows:
            raise too_many_rows(self.limits)
        if b"f" in buffer:
            for match in _FORMULA.finditer(buffer):
                if match.end() <= seen or len(facts.formula_cells) >= 1000:
                    continue
                opening = max(buffer.rfind(b"<c ", 0, match.start()), buffer.rfind(b":c ", 0, match.start()) - 8, 0)
                cell = _CELL_START.search(buffer, opening, match.start())
                if cell:
                    facts.formula_cells.append((int(cell.group(2)), column_index(cell.group(1).decode())))
        self.tail = buffer[-_TAIL:]


def inspect_xlsx(data: bytes, limits: ImportLimits) -> XlsxFacts:
    """Refuse a bomb, a corrupt or encrypted zip, a zip that is not a workbook, or too many rows."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise corrupt() from None
    names = {info.filename for info in infos}
    if "xl/workbook.xml" not in names:
        if "word/document.xml" in names or "ppt/presentation.xml" in names:
            raise SpreadsheetError(_("这是Word或PowerPoint文件，不是Excel表格。请上传 .xlsx、.xls 或 .csv 文件。"))
        raise SpreadsheetError(_("这个压缩文件不是Excel表格。请上传 .xlsx、.xls 或 .csv 文件。"))
    if any(info.flag_bits & 0x1 for info in infos):
        raise password_protected()
    if len(infos) > _MAX_PARTS or sum(info.file_size for info in infos) > limits.max_uncompressed_bytes:
        raise bomb(limits)
    facts = XlsxFacts(sheet_path=_first_sheet_path(archive))
    budget = limits.max_uncompressed_bytes
    try:
        for info in infos:
            scanner = _SheetScanner(facts, limits) if info.filename == facts.sheet_path else None
            with archive.open(info) as part:
                while chunk := part.read(_CHUNK):
                    budget -= len(chunk)
                    if budget < 0:
                        raise bomb(limits)
                    if scanner:
                        scanner.feed(chunk)
    except SpreadsheetError:
        raise
    except (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError, NotImplementedError, RuntimeError):
        # zlib errors, a wrong CRC (a part larger than declared), an unsupported compression method
        raise corrupt() from None
    return facts


def password_protected() -> SpreadsheetError:
    return SpreadsheetError(
        _("文件设置了密码保护，无法读取。请在Excel中取消密码（文件 → 信息 → 保护工作簿）后再导入。"))
