"""Checks on an .xlsx file (a zip of XML parts) before python-calamine is let near it.

- a decompression bomb: the declared sizes, then the real ones while inflating every part in chunks; a part whose
  data does not match its declared size, or whose deflate stream or CRC is damaged, is refused as corrupt;
- the first sheet's used range: calamine allocates the rectangle from the first to the last cell in one piece
  (tafia/calamine#693), so every cell's position is taken the way calamine takes it (its `r` attribute, else the
  position after the previous cell) and the file is refused past IMPORT_MAX_ROWS + 1 rows, IMPORT_MAX_COLUMNS columns
  or IMPORT_MAX_CELLS cells (see `extent`);
- too many rows: `<row>` elements are counted while inflating, so 1,000,000 rows are refused as soon as the limit is
  passed, without building a single row;
- formulas: calamine gives a formula's cached value (or nothing when no program ever calculated it), so every `<f>`
  inside an open `<c>` is remembered with its cell; an `<f>` anywhere else (`<xm:f>` in extLst) belongs to no cell.

The sheet's XML is read in chunks cut before their last `<`, so no tag is ever split. A chunk in the form spreadsheet
programs write (each `<c` followed by ` r="A12"` and at most `s`/`t` attributes, no formula, comment or namespace
prefix) is checked with a few regular-expression searches over the whole chunk; anything else is read tag by tag,
the way calamine reads it.
"""

import html
import io
import re
import xml.etree.ElementTree as ET
import zipfile
import zlib
from dataclasses import dataclass, field
from functools import lru_cache

from django.utils.translation import gettext as _

from .errors import SpreadsheetError
from .extent import Extent, FormulaCells, column_index
from .limits import ImportLimits

_CHUNK = 1 << 20
_MAX_PENDING = 1 << 20  # no tag, comment or run of text between two tags is this long in a real sheet
_MAX_PARTS = 10_000
_SMALL_PART = 5 << 20  # workbook.xml and its relationships are tiny in any real file

# Chunks that need reading tag by tag: a formula, a comment, CDATA, a processing instruction or DOCTYPE; a prefixed
# cell, row or formula (`<x:c>`: calamine goes by local names).
_ODD_TAG = re.compile(rb"<[!?f]")
_PREFIXED = re.compile(rb":(?:c|row|f)[\s/>]")
# A `<c>` that is not `<c r="AB12" s="1" t="s">` in that form (r first, in double quotes, then only s and t).
_CELL_NOT_PLAIN = re.compile(rb'<c(?=[\s/>])(?! r="[A-Z]{1,3}\d{1,7}"(?: [st]="[^"]*")* ?/?>)')
# In a plain chunk: the column letters of cells past Z, and row numbers of `n` digits or more.
_WIDE_COLUMNS = re.compile(rb'<c r="([A-Z]{2,3})\d')
_CELL_START = re.compile(rb'<c r="([A-Z]{1,3})(\d{1,7})"')
# Tag by tag: a whole comment, CDATA section, processing instruction, declaration or tag (attribute values may hold >).
_CONSTRUCT = re.compile(
    rb"<(?:!--.*?-->|!\[CDATA\[.*?\]\]>|\?.*?\?>|(!)(?!--|\[CDATA\[)(?:[^>\"']|\"[^\"]*\"|'[^']*')*>"
    rb"|(/?)(?:[\w.-]{1,64}:)?([\w.-]{1,64})((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>)", re.S)
_ATTRIBUTE = re.compile(rb"""([\w.:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_REF = re.compile(r"([A-Za-z]+)([0-9]+)")
_DECLARATION = re.compile(rb"(?:\xef\xbb\xbf)?\s*<\?xml(?:[^?]|\?(?!>))*\?>")


@lru_cache(maxsize=8)
def _plain_patterns(small: int) -> tuple[re.Pattern[bytes] | None, list[re.Pattern[bytes]]]:
    """For rows of at most `small` digits in columns A-Z (a range below every limit): the search that finds any other
    cell, and the searches for a row number of k digits, k = small … 1."""
    if small < 1:
        return None, []
    beyond = re.compile(rb'<c(?=[\s/>])(?! r="[A-Z]\d{1,%d}"(?: [st]="[^"]*")* ?/?>)' % small)
    return beyond, [re.compile(rb'<c r="[A-Z]\d{%d}' % k) for k in range(small, 0, -1)]


@lru_cache(maxsize=8)
def _long_rows(digits: int) -> re.Pattern[bytes]:
    """The row numbers of `digits` digits or more of plain cells."""
    return re.compile(rb'<c r="[A-Z]{1,3}(\d{%d,7})"' % digits)


def _small_digits(limits: ImportLimits) -> int:
    """The most digits a row number may have for A-Z × (10^d - 1) rows to be within every limit."""
    digits = len(str(limits.max_rows + 1)) - 1
    while digits > 0 and 26 * (10**digits - 1) > limits.max_cells:
        digits -= 1
    return digits


@dataclass
class XlsxFacts:
    sheet_path: str
    rows: int = 0
    formula_cells: FormulaCells = field(default_factory=FormulaCells)
    extent: Extent | None = None


def corrupt() -> SpreadsheetError:
    return SpreadsheetError(_("文件已损坏，无法读取。请在Excel中打开后另存为 .xlsx 再导入。"))


def abnormal() -> SpreadsheetError:
    return SpreadsheetError(
        _("文件结构异常（不是Excel或WPS保存的常见格式），已拒绝。请在Excel中打开后另存为 .xlsx 再导入。"))


def bomb(limits: ImportLimits) -> SpreadsheetError:
    return SpreadsheetError(
        _("文件解压后超过 %(mb)s MB（可能是压缩炸弹或含有大量无关内容），已拒绝。请只保留需要导入的数据后再试。")
        % {"mb": limits.max_uncompressed_bytes >> 20}
    )


def too_many_rows(limits: ImportLimits) -> SpreadsheetError:
    return SpreadsheetError(
        _("文件行数超过上限：单次最多导入 %(max)s 行。请把文件拆成几个后分别导入。") % {"max": f"{limits.max_rows:,}"}
    )


def password_protected() -> SpreadsheetError:
    return SpreadsheetError(
        _("文件设置了密码保护，无法读取。请在Excel中取消密码（文件 → 信息 → 保护工作簿）后再导入。"))


# --- which part is the first sheet ----------------------------------------------------------------------------

def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


def _parse_small(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> ET.Element:
    if info.file_size > _SMALL_PART:
        raise SpreadsheetError(_("文件结构异常（工作簿描述过大），已拒绝。"))
    data = archive.read(info)
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise abnormal()
    try:
        return ET.fromstring(data)  # noqa: S314 - no DOCTYPE (refused above), so no entities to expand
    except ET.ParseError:
        raise corrupt() from None


def _first_sheet(archive: zipfile.ZipFile, by_lower: dict[str, zipfile.ZipInfo]) -> zipfile.ZipInfo:
    """The part python-calamine reads as sheet 0: the first `<sheet>` of xl/workbook.xml, through its relationship's
    Target (a leading "/" is from the package root, else relative to xl/), names compared without case."""
    workbook = by_lower.get("xl/workbook.xml")
    rels = by_lower.get("xl/_rels/workbook.xml.rels")
    if workbook is None or rels is None:
        raise corrupt()
    sheet = next((el for el in _parse_small(archive, workbook).iter() if _local(el.tag) == "sheet"), None)
    if sheet is None:
        raise SpreadsheetError(_("表格是空的：文件里没有工作表。"))
    wanted = next((value for key, value in sheet.attrib.items() if key.startswith("{") and _local(key) == "id"), None)
    for rel in _parse_small(archive, rels).iter():
        if _local(rel.tag) == "Relationship" and rel.get("Id") == wanted and rel.get("Target"):
            target = rel.get("Target", "")
            path = target[1:] if target.startswith("/") else "xl/" + target
            info = by_lower.get(path.lower())
            if info is None:
                raise corrupt()
            return info
    raise corrupt()


# --- the first sheet's XML --------------------------------------------------------------------------------------

class _SheetScanner:
    """Counts rows, follows every cell's position and finds formula cells in a sheet's XML fed in chunks."""

    def __init__(self, facts: XlsxFacts, limits: ImportLimits) -> None:
        self.facts = facts
        self.limits = limits
        self.extent = facts.extent = Extent(limits)
        self.max_rows = limits.max_rows + 1  # the header row
        self.small = _small_digits(limits)
        self.beyond_small, self.digit_searches = _plain_patterns(self.small)
        self.tail = b""
        self.started = False
        # Tag by tag, as calamine: the current row's index (0-based) and the next column of a cell without `r`.
        self.row = -1
        self.column = 0
        self.open_cell: tuple[int, int] | None = None  # (row number, column index) of a `<c>` not yet closed
        self.plain_seen = False

    def feed(self, chunk: bytes) -> None:
        buffer = self.tail + chunk if self.tail else chunk
        if not self.started:
            if len(buffer) < 256 and chunk:
                self.tail = buffer
                return
            self.started = True
            if buffer[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\0" in buffer[:256]:
                raise abnormal()  # UTF-16: none of the byte patterns below would see its tags
            declaration = _DECLARATION.match(buffer)
            if declaration:
                buffer = buffer[declaration.end():]
        cut = buffer.rfind(b"<")
        if cut <= 0:
            if len(buffer) <= _MAX_PENDING:
                self.tail = buffer
                return
            cut = len(buffer) if cut < 0 else cut
            if cut == 0:
                raise abnormal()
        done = self._scan(buffer, cut)
        self.tail = buffer[done:]
        if len(self.tail) > _MAX_PENDING:
            raise abnormal()

    def finish(self) -> None:
        if not self.started:
            self.started = True
            declaration = _DECLARATION.match(self.tail)
            if declaration:
                self.tail = self.tail[declaration.end():]
        if self.tail:
            self._scan(self.tail, len(self.tail))
            self.tail = b""

    def _scan(self, buffer: bytes, end: int) -> int:
        """Check buffer[:end] (whole tags only); return how much of it was read."""
        # (one-byte finds first: most chunks have no "f", "!", "?" or ":" at all, and memchr is cheap)
        if ((buffer.find(b"f", 0, end) != -1 or buffer.find(b"!", 0, end) != -1 or buffer.find(b"?", 0, end) != -1)
                and _ODD_TAG.search(buffer, 0, end)) or (
                buffer.find(b":", 0, end) != -1 and _PREFIXED.search(buffer, 0, end)):
            return self._tag_by_tag(buffer, end)
        if self.beyond_small is not None and not self.beyond_small.search(buffer, 0, end):
            self._count_rows(buffer.count(b"<row", 0, end))
            self._plain_small(buffer, end)
        elif not _CELL_NOT_PLAIN.search(buffer, 0, end):
            self._count_rows(buffer.count(b"<row", 0, end))
            self._plain_exact(buffer, end)
        else:
            return self._tag_by_tag(buffer, end)
        self._after_plain(buffer, end)
        return end

    def _count_rows(self, n: int) -> None:
        self.facts.rows += n
        if self.facts.rows > self.max_rows:
            raise too_many_rows(self.limits)

    # --- plain chunks: whole-chunk searches ---------------------------------------------------------------------

    def _plain_small(self, buffer: bytes, end: int) -> None:
        """Every cell is in A-Z with a row number of at most `small` digits: below every limit. The extent takes the
        bound 10^k - 1 for the most digits k present (exact numbers would cost a pass over every cell)."""
        for k, search in zip(range(self.small, 0, -1), self.digit_searches, strict=True):
            if search.search(buffer, 0, end):
                self.extent.add(10**k - 1, 25)
                return

    def _plain_exact(self, buffer: bytes, end: int) -> None:
        """Every cell is `<c r="…">` but some are past Z or further down: the exact largest column and row."""
        letters = set(_WIDE_COLUMNS.findall(buffer, 0, end))
        column = max((column_index(item) for item in letters), default=25)
        rows = {int(number) for number in set(_long_rows(self.small + 1).findall(buffer, 0, end))}
        row = max(rows, default=10**self.small - 1)
        self.extent.add(row, column)

    def _after_plain(self, buffer: bytes, end: int) -> None:
        """A formula in the next chunk may belong to the last cell of this one."""
        self.open_cell = None
        start = buffer.rfind(b'<c r="', 0, end)
        self.plain_seen = self.plain_seen or start != -1
        if start != -1 and buffer.find(b"</c>", start, end) == -1:
            tag_end = buffer.find(b">", start, end)
            if tag_end != -1 and buffer[tag_end - 1:tag_end] != b"/":
                match = _CELL_START.match(buffer, start)
                if match:
                    self.open_cell = (int(match.group(2)), column_index(match.group(1)))

    # --- anything else: tag by tag ------------------------------------------------------------------------------

    def _tag_by_tag(self, buffer: bytes, end: int) -> int:
        position = 0
        extent = self.extent
        while True:
            start = buffer.find(b"<", position, end)
            if start == -1:
                return max(position, end)  # a comment may have run past `end`
            match = _CONSTRUCT.match(buffer, start)
            if match is None:
                return start  # unfinished: read again with the next chunk
            position = match.end()
            if match.group(1):
                raise abnormal()  # DOCTYPE or ENTITY: no sheet has one
            name = match.group(3)
            if name is None:
                continue  # a comment, CDATA or processing instruction
            closing = match.group(2) == b"/"
            attributes = match.group(4)
            if name == b"c":
                if closing:
                    self.open_cell = None
                    continue
                extent.count_cells(1)
                ref = self._attribute(attributes, b"r")
                if ref is None:
                    if self.plain_seen:
                        raise abnormal()  # cells without a position after cells with one: not from a real program
                    row, column = max(self.row, 0), self.column
                else:
                    parsed = _REF.fullmatch(ref)
                    if parsed is None:
                        continue  # calamine refuses the file for it
                    row, column = int(parsed.group(2)) - 1, column_index(parsed.group(1))
                self.column = column + 1
                extent.add(row + 1, column)
                self.open_cell = None if attributes.rstrip().endswith(b"/") else (row + 1, column)
            elif name == b"row" and not closing:
                self._count_rows(1)
                number = self._attribute(attributes, b"r")
                self.row = int(number) - 1 if number and number.isdigit() else self.row + 1
                self.column = 0
            elif name == b"f" and not closing and self.open_cell is not None:
                self.facts.formula_cells.add(*self.open_cell)

    @staticmethod
    def _attribute(attributes: bytes, wanted: bytes) -> str | None:
        value = None
        for name, double, single in _ATTRIBUTE.findall(attributes):
            if name == wanted:
                value = double if double or not single else single  # the last one counts, as in calamine
        return None if value is None else html.unescape(value.decode("utf-8", "replace")).strip()


def inspect_xlsx(data: bytes, limits: ImportLimits) -> XlsxFacts:
    """Refuse a bomb, a corrupt or encrypted zip, a zip that is not a workbook, too many rows or too large a sheet."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        raise corrupt() from None
    by_lower = {info.filename.lower(): info for info in infos}
    if "xl/workbook.xml" not in by_lower:
        if "word/document.xml" in by_lower or "ppt/presentation.xml" in by_lower:
            raise SpreadsheetError(_("这是Word或PowerPoint文件，不是Excel表格。请上传 .xlsx、.xls 或 .csv 文件。"))
        raise SpreadsheetError(_("这个压缩文件不是Excel表格。请上传 .xlsx、.xls 或 .csv 文件。"))
    if any(info.flag_bits & 0x1 for info in infos):
        raise password_protected()
    if len(infos) > _MAX_PARTS or sum(info.file_size for info in infos) > limits.max_uncompressed_bytes:
        raise bomb(limits)
    if len(by_lower) != len(infos):
        raise abnormal()  # two parts of one name: which one calamine reads is anyone's guess
    budget = limits.max_uncompressed_bytes
    try:
        sheet = _first_sheet(archive, by_lower)
        facts = XlsxFacts(sheet_path=sheet.filename)
        for info in infos:
            scanner = _SheetScanner(facts, limits) if info is sheet else None
            with archive.open(info) as part:
                while chunk := part.read(_CHUNK):
                    budget -= len(chunk)
                    if budget < 0:
                        raise bomb(limits)
                    if scanner:
                        scanner.feed(chunk)
            if scanner:
                scanner.finish()
    except SpreadsheetError:
        raise
    except (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError, NotImplementedError, RuntimeError,
            KeyError, UnicodeError):
        # a damaged deflate stream, a wrong CRC (a part larger than declared), an unsupported compression method
        raise corrupt() from None
    return facts
