"""The two files that teach a clerk the rules: the template's 填写说明 (each column's rules, read from the model so
they cannot drift from what the import checks) and the error copy of a bad file (her sheet, 错误 first, red rows)."""

import io

import pytest
from openpyxl import Workbook, load_workbook

from returns.models import OutboundLine, PurchaseReturn
from returns.resources import RETURN_LAYOUT, import_returns
from settlements.models import InvoiceType, SettlementDraft, SettlementLine
from settlements.resources import SETTLEMENT_LAYOUT
from tests.excel.files import RETURN_HEADER, csv_bytes, return_row
from wdtportal.excel.writing import error_copy_xlsx, template_xlsx

pytestmark = pytest.mark.django_db


def rules(layout) -> dict[str, dict]:
    notes = load_workbook(io.BytesIO(template_xlsx(layout, "模板")))["填写说明"]
    rows = list(notes.iter_rows(values_only=True))
    start = next(i for i, row in enumerate(rows) if row[0] == "列名")
    header = rows[start]
    return {row[0]: dict(zip(header, row, strict=True)) for row in rows[start + 1:]}


@pytest.mark.parametrize("layout", [RETURN_LAYOUT, SETTLEMENT_LAYOUT])
def test_the_template_gives_each_columns_rules_from_the_model(layout):
    given = rules(layout)
    assert set(given) == {col.header for col in layout.columns}
    for col in layout.columns:
        row = given[col.header]
        field = col.model_field
        assert field.model in (PurchaseReturn, OutboundLine, SettlementDraft, SettlementLine)
        assert row["必填"] == ("是" if col.required else "否"), col.header
        assert row["最多字符数"] == (field.max_length if field.get_internal_type() == "CharField" else None)
        if field.choices:
            assert all(f"{value} {label}" in row["可填的值"] for value, label in field.flatchoices)
        if field.get_internal_type() == "DecimalField":
            assert f"最多{field.decimal_places}位小数" in row["可填的值"]


def test_the_rules_a_clerk_used_to_learn_from_errors_are_written_down():
    returns, settlements = rules(RETURN_LAYOUT), rules(SETTLEMENT_LAYOUT)
    assert returns["批次号"]["最多字符数"] == 20  # was learnt from "不能超过20个字符"
    assert returns["退货单号"]["必填"] == "是" and returns["退货数量"]["可填的值"] == "数字，最多4位小数；必须大于0"
    assert returns["单价"]["可填的值"] == "数字，最多4位小数；不能小于0"
    assert returns["是否审核"]["可填的值"].startswith("是/否")
    assert settlements["发票类型"]["可填的值"] == "、".join(f"{choice.value} {choice.label}" for choice in InvoiceType)
    assert settlements["税率"]["可填的值"] == "数字，最多4位小数；不能小于0；不能大于1"
    assert settlements["有效期"]["可填的值"].startswith("日期")


def _named_sheet(title: str, rows: list[list]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    sheet.append(RETURN_HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_the_error_copy_keeps_the_sheet_puts_errors_first_and_names_row_and_return():
    rows = [return_row(f"CR2026112{i:03d}", "SKU-1", 1) for i in range(32)]
    rows.append(return_row("CR2026112999", "SKU-1", 0))  # row 34
    data = _named_sheet("三月退货", rows)
    report = import_returns(data, file_name="供应商.xlsx", dry_run=True)
    assert report.error_lines() == ["第34行（CR2026112999）退货数量: 必须大于0"]
    book = load_workbook(io.BytesIO(error_copy_xlsx(data, "供应商.xlsx", report)))
    sheet = book.active
    assert (book.sheetnames, sheet.freeze_panes) == (["三月退货"], "B2")
    assert sheet["A1"].value == "错误" and sheet["A34"].value == "第34行（CR2026112999）退货数量: 必须大于0"
    assert sheet["B34"].value == "CR2026112999" and sheet["B34"].fill.fgColor.rgb.endswith("FFC7CE")
    assert sheet["A33"].value is None and sheet["B33"].fill.fill_type is None


def test_a_csv_has_no_sheet_so_its_copy_is_named_after_the_file():
    data = csv_bytes([return_row("R001", "SKU-1", 0)])
    report = import_returns(data, file_name="退货 3月.csv", dry_run=True)
    assert load_workbook(io.BytesIO(error_copy_xlsx(data, "退货 3月.csv", report))).sheetnames == ["退货 3月"]
