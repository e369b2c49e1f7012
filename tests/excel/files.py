"""Real spreadsheet files written by the tests: .xlsx (openpyxl), .xls (xlwt), CSV in UTF-8 or GBK."""

import csv
import io
from collections.abc import Sequence
from typing import Any

import xlwt
from openpyxl import Workbook

RETURN_HEADER = ["退货单号", "外部单号", "物流公司编号", "物流单号", "邮资", "备注", "是否审核",
                 "商家编码", "退货数量", "单价", "货位编号", "批次号", "明细备注"]
SETTLEMENT_HEADER = ["采购退货单号", "物流公司编号", "物流单号", "发票类型", "发票号码", "邮费", "其他费用", "备注",
                     "是否审核", "模糊查询", "商家编码", "结算数量", "单价", "税率", "明细备注", "批次号", "有效期"]


def xlsx(rows: Sequence[Sequence[Any]], header: Sequence[Any] = RETURN_HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def xls(rows: Sequence[Sequence[Any]], header: Sequence[Any] = RETURN_HEADER) -> bytes:
    workbook = xlwt.Workbook(encoding="utf-8")
    sheet = workbook.add_sheet("退货")
    for r, row in enumerate([list(header), *rows]):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write(r, c, value)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def csv_bytes(rows: Sequence[Sequence[Any]], header: Sequence[Any] = RETURN_HEADER, encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue().encode(encoding)


def return_row(return_no: str = "R001", spec_no: str = "SKU-1", num: Any = 2, **fields: Any) -> list[Any]:
    """One line of a return in RETURN_HEADER order; keyword arguments by API name override the defaults."""
    values = {"return_no": return_no, "outer_no": "", "logistics_code": "SF", "logistics_no": "SF100",
              "post_cost": 10, "remark": "质量问题", "is_check": "是", "spec_no": spec_no, "num": num,
              "price": 5.5, "position_no": "A-1", "batch_no": "", "detail_remark": ""}
    values.update(fields)
    return list(values.values())


def settlement_row(return_no: str = "R001", spec_no: str = "SKU-1", settle_num: Any = 2, **fields: Any) -> list[Any]:
    """One line of a settlement draft in SETTLEMENT_HEADER order; keyword arguments by API name override."""
    values = {"return_no": return_no, "logistics_company_no": "SF", "logistics_no": "SF100", "invoice_type": 3,
              "invoice_no": "0440", "post_fee": 12, "other_fee": 0, "remark": "3月结算", "is_check": "否",
              "fuzzy_query": "否", "spec_no": spec_no, "settle_num": settle_num, "price": 20, "tax_rate": 0.13,
              "detail_remark": "", "batch_no": "", "expire_date": ""}
    values.update(fields)
    return list(values.values())


def xlsx_with_sheet_xml(sheet_data: str, *, worksheet: str | None = None) -> bytes:
    """A real .xlsx (openpyxl's parts) whose first sheet's XML is written by hand: `sheet_data` is the inside of
    `<sheetData>`, or `worksheet` the whole XML. For what openpyxl would never write (stray far cells, cells without
    `r`, prefixes, formulas in odd places) and for files too large to build cell by cell."""
    import zipfile

    if worksheet is None:
        worksheet = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                     '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                     f"<sheetData>{sheet_data}</sheetData></worksheet>")
    source = zipfile.ZipFile(io.BytesIO(xlsx([["R001"]], header=["退货单号"])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            if info.filename == "xl/worksheets/sheet1.xml":
                archive.writestr(info.filename, worksheet)
            else:
                archive.writestr(info, source.read(info))
    return out.getvalue()


def inline_row(number: int, *values: Any, start: str = "A") -> str:
    """A `<row>` of inline-string cells from column `start`, as spreadsheet programs write it."""
    cells = "".join(f'<c r="{chr(ord(start) + i)}{number}" t="inlineStr"><is><t>{v}</t></is></c>'
                    for i, v in enumerate(values))
    return f'<row r="{number}">{cells}</row>'
