"""Files that cannot be imported get a clear Chinese message, and nothing is written."""

import io
import struct
import zipfile

import msoffcrypto.format.ooxml
import pytest
import python_calamine

from returns.models import PurchaseReturn
from returns.resources import import_returns
from tests.excel.files import RETURN_HEADER, return_row, xlsx, xlsx_with_sheet_xml

pytestmark = pytest.mark.django_db


def problem_of(data: bytes, name: str = "退货.xlsx") -> str:
    report = import_returns(data, file_name=name)
    assert not report.ok
    assert PurchaseReturn.objects.count() == 0
    return report.problem


def test_a_file_that_is_not_a_spreadsheet():
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64)
    assert "不是表格文件" in problem_of(png, "photo.png")


def word_document() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
        archive.writestr("[Content_Types].xml", "<Types/>")
    return out.getvalue()


def encrypted_xlsx() -> bytes:
    encrypted = io.BytesIO()
    msoffcrypto.format.ooxml.OOXMLFile(io.BytesIO(xlsx([return_row()]))).encrypt("secret", encrypted)
    return encrypted.getvalue()


def test_a_word_document_is_named_as_such():
    assert "Word" in problem_of(word_document(), "合同.docx")


def test_a_corrupt_xlsx():
    data = xlsx([return_row()])
    assert "文件已损坏" in problem_of(data[: len(data) // 2])


def test_garbage_with_an_excel_name_is_corrupt_not_csv():
    assert "文件已损坏" in problem_of(b"this is not excel at all", "退货.xlsx")


def test_a_password_protected_xlsx():
    assert "密码保护" in problem_of(encrypted_xlsx())


def test_an_empty_file():
    assert "文件是空的" in problem_of(b"", "退货.csv")


def test_an_empty_sheet():
    assert "表格是空的" in problem_of(xlsx([], header=[]))


def test_a_header_without_data_rows():
    assert "没有数据行" in problem_of(xlsx([]))


def test_a_header_without_a_required_column():
    header = [name for name in RETURN_HEADER if name != "退货数量"]
    rows = [[v for name, v in zip(RETURN_HEADER, return_row(), strict=True) if name != "退货数量"]]
    message = problem_of(xlsx(rows, header))
    assert "缺少必需的列：退货数量" in message


def test_two_columns_meaning_the_same_field():
    header = [*RETURN_HEADER, "return_no"]
    assert "请只保留一列" in problem_of(xlsx([[*return_row(), "R001"]], header))


def test_a_file_over_the_size_limit(settings):
    settings.IMPORT_MAX_BYTES = 1000
    data = xlsx([return_row(return_no=f"R{i}") for i in range(50)])
    assert len(data) > 1000
    assert "文件太大" in problem_of(data)


def zip_with_big_part(size: int) -> bytes:
    out = io.BytesIO()
    source = zipfile.ZipFile(io.BytesIO(xlsx([return_row()])))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            archive.writestr(info, source.read(info))
        archive.writestr("xl/media/padding.bin", bytes(size))
    return out.getvalue()


def test_a_decompression_bomb_is_refused_by_its_declared_size(settings):
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = 5 * 2**20
    data = zip_with_big_part(20 * 2**20)
    assert len(data) < 100_000  # 20 MB of zeros deflate to almost nothing
    assert "压缩炸弹" in problem_of(data)


def lying_bomb() -> bytes:
    """20 MB of zeros in a part whose headers say 1 KB."""
    data = bytearray(zip_with_big_part(20 * 2**20))
    # Rewrite the padding part's uncompressed size to 1 KB in both its local header and the central directory.
    name = b"xl/media/padding.bin"
    for signature, size_offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            name_offset = 30 if signature == b"PK\x03\x04" else 46
            if data[start + name_offset: start + name_offset + len(name)] == name:
                struct.pack_into("<I", data, start + size_offset, 1024)
            start += 4
    return bytes(data)


def test_a_bomb_that_lies_about_its_size_is_refused(settings):
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = 5 * 2**20
    # zipfile stops at the declared size, and the part's CRC (of all of it) then does not match.
    assert problem_of(lying_bomb()) == "文件已损坏，无法读取。请在Excel中打开后另存为 .xlsx 再导入。"


def test_a_formula_where_a_value_is_expected_is_reported_by_row_and_column():
    data = xlsx([return_row(), return_row(spec_no="SKU-2", num="=1+1")])
    report = import_returns(data, file_name="退货.xlsx")
    assert not report.ok
    assert [str(e) for e in report.errors] == [
        "第3行（R001）退货数量: 这里是公式，不是数值。请选中这一列，复制后“选择性粘贴 → 数值”，再导入。"]
    assert PurchaseReturn.objects.count() == 0


def xlsx_with_rows(count: int) -> bytes:
    """A real .xlsx of `count` data rows, its sheet XML written directly (openpyxl would take minutes)."""
    row = '<row r="{0}"><c r="A{0}" t="inlineStr"><is><t>R{0}</t></is></c></row>'
    return xlsx_with_sheet_xml('<row r="1"><c r="A1" t="inlineStr"><is><t>退货单号</t></is></c></row>'
                               + "".join(row.format(n) for n in range(2, count + 2)))


def test_a_million_rows_are_refused_before_the_sheet_is_read(monkeypatch):
    data = xlsx_with_rows(1_000_000)

    def must_not_read(*args, **kwargs):
        raise AssertionError("the sheet was handed to calamine")

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_filelike", must_not_read)
    assert "行数超过上限" in problem_of(data)


def test_the_row_limit_applies_to_csv_too(settings):
    settings.IMPORT_MAX_ROWS = 10
    text = ",".join(RETURN_HEADER) + "\n" + "".join(f"R{i},,,,,,,S,1,,,,\n" for i in range(11))
    assert "行数超过上限" in problem_of(text.encode(), "退货.csv")


def test_a_csv_in_an_unknown_encoding():
    # Windows-1252 (a European Excel's CSV): neither UTF-8 nor GB18030, and no NUL byte (that would be a binary file).
    data = "return_no,spec_no,num\nR1,Crème brûlée ÿ,1\n".encode("cp1252")
    assert b"\0" not in data
    assert problem_of(data, "退货.csv") == "无法识别CSV文件的编码。请用Excel另存为 .xlsx，或另存为“CSV UTF-8”后再导入。"


def test_a_csv_in_utf16_is_taken_for_a_binary_file():
    data = "退货单号,商家编码,退货数量\nR1,S1,1\n".encode("utf-16")
    assert problem_of(data, "退货.csv") == "这不是表格文件。请上传 .xlsx、.xls 或 .csv 文件。"
