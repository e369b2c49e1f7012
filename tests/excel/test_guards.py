"""The checks made before python-calamine reads a file: the sheet's used range (calamine allocates it whole), damaged
zip parts, and formula cells, in .xlsx and .xls."""

import io
import zipfile

import pytest
import python_calamine
import xlwt

from returns.resources import import_returns
from tests.excel.files import RETURN_HEADER, inline_row, return_row, xls, xlsx, xlsx_with_sheet_xml
from tests.excel.test_bad_files import problem_of

pytestmark = pytest.mark.django_db

FAR_ROWS = ("表格的第一个工作表用到了第1,048,576行，超过单次导入的上限 200,000 行。如果数据没有这么多，请在Excel中"
            "删除数据下方多余的行（包括只设置了格式的单元格）后另存再导入；否则请把文件拆成几个后分别导入。")
FAR_COLUMNS = ("表格的第一个工作表用到了第16,384列（XFD列），超过上限 1,000 列。请在Excel中删除数据右侧多余的列"
               "（包括只设置了格式的单元格）后另存再导入。")


@pytest.fixture
def calamine_must_not_read(monkeypatch):
    def must_not_read(*args, **kwargs):
        raise AssertionError("the sheet was handed to calamine")

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_filelike", must_not_read)


HEADER_AND_ROW = inline_row(1, "退货单号", "商家编码", "退货数量") + inline_row(2, "R001", "SKU-1", "2")


@pytest.mark.parametrize("stray", [
    # as Excel writes it
    '<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row>',
    # a cell whose row element says otherwise: calamine goes by the cell's own r
    '<row r="3"><c r="B1048576"><v>1</v></c></row>',
    # a styled empty cell counts too (conservative: it is only formatting, the message says so)
    '<row r="1048576"><c r="A1048576" s="1"/></row>',
    # no r on the cell: it goes to the row's row
    '<row r="1048576"><c><v>1</v></c></row>',
    # a namespace prefix (calamine reads local names)
    '<x:row r="1048576"><x:c r="A1048576"><x:v>1</x:v></x:c></x:row>',
    # r given twice: calamine takes the last
    '<row r="3"><c r="A3" r="A1048576"><v>1</v></c></row>',
    '<row r="3"><c r="A3" t="n" r = \'A1048576\'><v>1</v></c></row>',
    # behind a comment and a formula, which send the chunk through the tag-by-tag reader
    '<!-- </sheetData> --><row r="3"><c r="A3"><f>1+1</f><v>2</v></c><c r="A1048576"><v>1</v></c></row>',
])
def test_a_stray_cell_far_below_is_refused_before_calamine_reads(calamine_must_not_read, stray):
    assert problem_of(xlsx_with_sheet_xml(HEADER_AND_ROW + stray)) == FAR_ROWS


@pytest.mark.parametrize("stray", [
    '<row r="3"><c r="XFD3"><v>1</v></c></row>',
    '<row r="1"><c r="XFD1048576"><v>1</v></c></row>',
])
def test_a_stray_cell_far_right_is_refused_before_calamine_reads(calamine_must_not_read, stray):
    message = problem_of(xlsx_with_sheet_xml(HEADER_AND_ROW + stray))
    assert message in (FAR_COLUMNS, FAR_ROWS)
    assert "XFD" in message or "1,048,576" in message


def test_a_run_of_cells_without_positions_is_followed_to_its_end(calamine_must_not_read):
    cells = "<c><v>1</v></c>" * 1001
    assert problem_of(xlsx_with_sheet_xml(f"<row>{cells}</row>")) == (
        "表格的第一个工作表用到了第1,001列（ALM列），超过上限 1,000 列。请在Excel中删除数据右侧多余的列"
        "（包括只设置了格式的单元格）后另存再导入。")


def test_a_range_within_rows_and_columns_but_too_many_cells_is_refused(settings, calamine_must_not_read):
    settings.IMPORT_MAX_CELLS = 100_000
    message = problem_of(xlsx_with_sheet_xml(HEADER_AND_ROW + '<row r="5000"><c r="AD5000"><v>1</v></c></row>'))
    assert message == ("表格的第一个工作表范围过大：5,000 行 × 30 列，超过上限 100,000 个单元格。"
                       "请在Excel中删除多余的行和列（包括只设置了格式的单元格），或把文件拆成几个后分别导入。")


def test_a_bomb_of_one_cell_repeated_is_refused(settings, calamine_must_not_read):
    settings.IMPORT_MAX_CELLS = 1000
    # (one cell over and over, read tag by tag because of its formula: each costs Python time, so they are counted)
    repeated = '<c r="C3"><f>1</f><v>1</v></c>' * 1001
    assert problem_of(xlsx_with_sheet_xml(HEADER_AND_ROW + f'<row r="3">{repeated}</row>')) == (
        "表格的第一个工作表单元格过多（超过 1,000 个），已拒绝。请只保留需要导入的数据后再试。")


def test_a_wide_file_within_the_limits_imports():
    extra = [f"备用{i}" for i in range(30)]  # columns up to AQ: the exact path for cells past Z
    rows = [[*return_row(f"R{i:03d}", "SKU-1"), *range(30)] for i in range(300)]
    report = import_returns(xlsx(rows, header=[*RETURN_HEADER, *extra]), file_name="宽.xlsx", dry_run=True)
    assert report.ok, report.problem or report.error_lines()
    assert report.documents == 300 and report.unknown_columns == extra


def test_a_long_file_within_the_limits_imports(settings):
    settings.IMPORT_MAX_ROWS = 150  # rows of three digits: the exact path for row numbers
    rows = [return_row(f"R{i:03d}", "SKU-1") for i in range(150)]
    report = import_returns(xlsx(rows), file_name="长.xlsx", dry_run=True)
    assert report.ok and report.rows == 150
    settings.IMPORT_MAX_ROWS = 149
    assert "行数超过上限" in import_returns(xlsx(rows), file_name="长.xlsx", dry_run=True).problem


def test_cells_without_positions_are_read_like_calamine():
    header = "".join(f'<c t="inlineStr"><is><t>{name}</t></is></c>' for name in ("退货单号", "商家编码", "退货数量"))
    line = '<c t="inlineStr"><is><t>R001</t></is></c><c t="inlineStr"><is><t>SKU-1</t></is></c><c><v>3</v></c>'
    report = import_returns(xlsx_with_sheet_xml(f"<row>{header}</row><row>{line}</row>"), file_name="x.xlsx",
                            dry_run=True)
    assert report.ok, report.problem or report.error_lines()
    assert (report.documents, report.rows) == (1, 1)


# --- .xls --------------------------------------------------------------------------------------------------------

def xls_with_cell(row: int, column: int) -> bytes:
    workbook = xlwt.Workbook(encoding="utf-8")
    sheet = workbook.add_sheet("退货")
    for c, name in enumerate(RETURN_HEADER):
        sheet.write(0, c, name)
    for c, value in enumerate(return_row()):
        sheet.write(1, c, value)
    sheet.write(row, column, 1)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_an_xls_with_a_stray_cell_far_away_is_refused_before_calamine_reads(settings, calamine_must_not_read):
    settings.IMPORT_MAX_CELLS = 1_000_000
    assert problem_of(xls_with_cell(65535, 255), "退货.xls") == (
        "表格的第一个工作表范围过大：65,536 行 × 256 列，超过上限 1,000,000 个单元格。"
        "请在Excel中删除多余的行和列（包括只设置了格式的单元格），或把文件拆成几个后分别导入。")
    settings.IMPORT_MAX_ROWS = 1000
    assert problem_of(xls_with_cell(5000, 0), "退货.xls").startswith("表格的第一个工作表用到了第5,001行")


def test_an_xls_within_the_limits_imports():
    report = import_returns(xls([return_row("R001"), return_row("R002")]), file_name="退货.xls", dry_run=True)
    assert report.ok and report.documents == 2


# --- damaged parts -----------------------------------------------------------------------------------------------

def damaged(part: str) -> bytes:
    """An .xlsx whose `part` has its deflated bytes flipped in the middle (the zip's directory is intact)."""
    data = bytearray(xlsx([return_row(f"R{i}") for i in range(50)]))
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo(part)
    assert info.compress_type == zipfile.ZIP_DEFLATED
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    middle = start + info.compress_size // 2
    for i in range(middle, middle + 8):
        data[i] ^= 0xFF
    return bytes(data)


@pytest.mark.parametrize("part", ["xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/worksheets/sheet1.xml",
                                  "xl/styles.xml", "docProps/app.xml"])
def test_a_damaged_part_is_reported_as_a_corrupt_file(part):
    assert problem_of(damaged(part)) == "文件已损坏，无法读取。请在Excel中打开后另存为 .xlsx 再导入。"


# --- formulas ----------------------------------------------------------------------------------------------------

FORMULA_MESSAGE = "这里是公式，不是数值。请选中这一列，复制后“选择性粘贴 → 数值”，再导入。"
THREE = '<row r="1">' + "".join(
    f'<c r="{col}1" t="inlineStr"><is><t>{name}</t></is></c>'
    for col, name in zip("ABCD", ("退货单号", "商家编码", "退货数量", "小计"), strict=True)) + "</row>"


def _line(row: int, num: str = "<v>2</v>", amount: str | None = "<f>C{row}*10</f><v>20</v>") -> str:
    return (f'<row r="{row}"><c r="A{row}" t="inlineStr"><is><t>R{row}</t></is></c>'
            f'<c r="B{row}" t="inlineStr"><is><t>SKU</t></is></c><c r="C{row}">{num}</c>'
            + ("" if amount is None else f'<c r="D{row}">{amount.format(row=row)}</c>') + "</row>")


def test_formulas_in_an_ignored_column_do_not_hide_one_in_a_read_column():
    # 1,500 formulas in 小计 (an unknown column, ignored), then one where the quantity should be.
    lines = "".join(_line(row) for row in range(2, 1502)) + _line(1502, num="<f>1+1</f><v>2</v>")
    report = import_returns(xlsx_with_sheet_xml(THREE + lines), file_name="x.xlsx", dry_run=True)
    assert [str(e) for e in report.errors] == [f"第1502行（R1502）退货数量: {FORMULA_MESSAGE}"]
    assert report.unknown_columns == ["小计"]


def test_a_formula_outside_a_cell_is_not_blamed_on_the_last_cell():
    # <xm:f> in extLst (data validation lists, conditional formats) comes after sheetData; an <f> between cells
    # belongs to no cell either.
    worksheet = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main"><sheetData>'
        + THREE + _line(2, amount=None) + "<f>stray</f>" + _line(3, amount=None)
        + '</sheetData><extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}"><x14:dataValidations '
        'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"><x14:dataValidation>'
        "<x14:formula1><xm:f>Sheet2!$A$1:$A$9</xm:f></x14:formula1><xm:sqref>C3</xm:sqref>"
        "</x14:dataValidation></x14:dataValidations></ext></extLst></worksheet>")
    report = import_returns(xlsx_with_sheet_xml("", worksheet=worksheet), file_name="x.xlsx", dry_run=True)
    assert report.ok, report.error_lines()


def test_the_sheet_is_read_the_same_however_its_xml_is_cut_into_chunks():
    from wdtportal.excel.limits import ImportLimits
    from wdtportal.excel.xlsx_guard import XlsxFacts, _SheetScanner

    xml = ('<?xml version="1.0"?><worksheet><sheetData>' + THREE + _line(2) + _line(3, num="<f>1</f>")
           + "<!-- a <c r='Z9'> comment -->" + _line(4, amount="<v>1</v>") + "</sheetData></worksheet>").encode()
    limits = ImportLimits(max_bytes=10**6, max_rows=100, max_uncompressed_bytes=10**7)

    def read(*pieces: bytes) -> tuple:
        facts = XlsxFacts(sheet_path="x")
        scanner = _SheetScanner(facts, limits)
        for piece in pieces:
            scanner.feed(piece)
        scanner.finish()
        return facts.rows, facts.formula_cells.cells(), facts.extent.max_row, facts.extent.max_column

    whole = read(xml)
    assert whole == (4, [(2, 3), (3, 2), (3, 3)], 4, 3)
    for cut in range(1, len(xml)):
        rows, formulas, max_row, max_column = read(xml[:cut], xml[cut:])
        # (a chunk in the usual form is given a bound for its range rather than exact figures)
        assert (rows, formulas) == whole[:2] and max_row >= 4 and max_column >= 3, cut


def test_a_formula_in_an_xls_is_reported_by_row_and_column():
    workbook = xlwt.Workbook(encoding="utf-8")
    sheet = workbook.add_sheet("退货")
    for c, name in enumerate(RETURN_HEADER):
        sheet.write(0, c, name)
    for r, row in enumerate([return_row("R001", "SKU-1"), return_row("R001", "SKU-2")], start=1):
        for c, value in enumerate(row):
            sheet.write(r, c, xlwt.Formula("1+1") if (r, RETURN_HEADER[c]) == (2, "退货数量") else value)
    out = io.BytesIO()
    workbook.save(out)
    report = import_returns(out.getvalue(), file_name="退货.xls", dry_run=True)
    assert [str(e) for e in report.errors] == [f"第3行（R001）退货数量: {FORMULA_MESSAGE}"]


def test_a_formula_in_a_stop_waiting_list_is_reported(make_return_r001):
    from returns.resources import stop_waiting_list

    sheet = (inline_row(1, "退货单号") + inline_row(2, "R001")
             + '<row r="3"><c r="A3" t="str"><f>"R"&amp;"001"</f><v>R001</v></c></row>')
    report = stop_waiting_list(xlsx_with_sheet_xml(sheet), file_name="清单.xlsx")
    assert [str(e) for e in report.errors] == [f"第3行 退货单号: {FORMULA_MESSAGE}"]


@pytest.fixture
def make_return_r001():
    from tests.factories import make_return

    return make_return("R001")
