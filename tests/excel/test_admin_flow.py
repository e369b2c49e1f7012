"""The admin's import and export pages (django-import-export's flow on our fast path), through the test client:
buttons on the list, upload → preview → confirm, errors and the error copy, templates, exports that import again,
and stop-waiting lists sent to the sandbox."""

import datetime
import io
import os
import time
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from returns.models import OutboundLine, PurchaseReturn
from settlements.models import SettlementDraft
from tests.excel.files import RETURN_HEADER, SETTLEMENT_HEADER, return_row, settlement_row, xlsx
from tests.factories import clerk, make_return, supervisor  # noqa: F401
from wdtportal.documents.models import ImportBatch
from wdtportal.documents.states import DocumentState
from wdtportal.excel.admin import SpreadsheetTmpStorage
from wdtportal.excel.writing import rows_xlsx

pytestmark = pytest.mark.django_db

IMPORT = "admin:returns_purchasereturn_import"
PROCESS = "admin:returns_purchasereturn_process_import"
CHANGELIST = "admin:returns_purchasereturn_changelist"
EXPORT = "admin:returns_purchasereturn_export"
RETURNS, STOP_WAITING = "0", "1"


@pytest.fixture
def as_clerk(client, clerk):  # noqa: F811
    client.force_login(clerk)
    return client


@pytest.fixture
def as_supervisor(client, supervisor):  # noqa: F811
    client.force_login(supervisor)
    return client


def upload(client: Any, data: bytes, name: str = "退货.xlsx", resource: str = RETURNS, url: str = IMPORT) -> Any:
    return client.post(reverse(url), {"resource": resource, "format": "0",
                                      "import_file": SimpleUploadedFile(name, data)})


def confirm(client: Any, preview: Any, url: str = PROCESS) -> Any:
    form = preview.context["confirm_form"]
    return client.post(reverse(url), {**form.initial, "confirm": "1"})


def sheet_rows(data: bytes, index: int = 0) -> list[list[Any]]:
    workbook = load_workbook(io.BytesIO(data), read_only=True)
    return [list(row) for row in workbook.worksheets[index].iter_rows(values_only=True)]


def test_list_page_has_import_and_export_buttons(as_clerk):
    page = as_clerk.get(reverse(CHANGELIST)).content.decode()
    assert reverse(IMPORT) in page
    assert reverse(EXPORT) in page


def test_upload_preview_confirm(as_clerk, clerk):  # noqa: F811
    rows = [return_row(f"R{i:03d}", f"SKU-{j}") for i in range(30) for j in range(2)]
    preview = upload(as_clerk, xlsx(rows))
    assert preview.status_code == 200
    assert PurchaseReturn.objects.count() == 0  # the preview writes nothing
    page = preview.content.decode()
    report = preview.context["report"]
    assert (report.documents, report.rows, report.created, report.error_count) == (30, 60, 30, 0)
    assert len(report.preview_rows) == 20  # the first rows, not the whole file
    assert "R000" in page and "R029" not in page
    assert preview.context["confirm_form"] is not None

    done = confirm(as_clerk, preview)
    assert done.status_code == 302
    batch = ImportBatch.objects.get()
    assert done.url == reverse(CHANGELIST) + f"?import_batch__id__exact={batch.pk}"
    assert (batch.created_by, batch.documents, batch.rows) == (clerk, 30, 60)
    assert PurchaseReturn.objects.count() == 30 and OutboundLine.objects.count() == 60
    listing = as_clerk.get(done.url)
    assert "导入完成：30 张单据，60 行明细：新建 30" in listing.content.decode()
    assert listing.context["cl"].result_count == 30


def test_errors_are_listed_with_a_copy_to_fix_and_no_confirm(as_clerk):
    rows = [return_row("R001", "SKU-1", 0), return_row("R001", "SKU-2", 1), return_row("R002", "SKU-1", "x")]
    preview = upload(as_clerk, xlsx(rows))
    page = preview.content.decode()
    assert preview.status_code == 200
    assert "confirm_form" not in preview.context or not preview.context["confirm_form"]
    assert "第2行（R001）退货数量: 必须大于0" in page
    assert "第4行（R002）退货数量: 应为数字，现为“x”" in page

    copy = as_clerk.get(preview.context["error_copy_url"])
    assert copy.status_code == 200
    workbook = load_workbook(io.BytesIO(copy.content))
    errors = workbook.active
    # The clerk's own sheet, 错误 first, the rows with errors filled red, the header and the 错误 column frozen.
    assert errors.title == "Sheet" and errors.freeze_panes == "B2"
    sheet = [list(row) for row in errors.iter_rows(values_only=True)]
    assert sheet[0][0] == "错误" and sheet[0][1:] == RETURN_HEADER
    assert sheet[1][0] == "第2行（R001）退货数量: 必须大于0"
    assert sheet[2][0] is None
    assert sheet[3][0] == "第4行（R002）退货数量: 应为数字，现为“x”"
    assert [errors.cell(row, column).fill.fgColor.rgb[-6:] for row, column in ((2, 1), (2, 9), (4, 5))] == [
        "FFC7CE"] * 3
    assert errors.cell(3, 2).fill.fill_type is None

    # The clerk fixes the copy and imports it as it is: the error column is ignored.
    fixed = sheet[1:]
    fixed[0][9], fixed[2][9] = 1, 2
    again = upload(as_clerk, xlsx(fixed, sheet[0]))
    assert again.context["report"].ok and again.context["report"].unknown_columns == []
    confirm(as_clerk, again)
    assert OutboundLine.objects.count() == 3


def test_the_error_copy_has_every_error_even_beyond_those_kept_for_the_page(as_clerk, monkeypatch):
    monkeypatch.setattr("wdtportal.excel.documents.MAX_KEPT_ERRORS", 3)
    rows = [return_row(f"R00{i}", "SKU-1", 0) for i in range(5)]
    preview = upload(as_clerk, xlsx(rows))
    assert preview.context["report"].error_count == 5
    assert "……以及另外 2 个错误" in preview.content.decode()
    copy = sheet_rows(as_clerk.get(preview.context["error_copy_url"]).content)
    assert [row[0] for row in copy[1:]] == [f"第{i + 2}行（R00{i}）退货数量: 必须大于0" for i in range(5)]


def test_the_error_copy_of_a_list_without_a_header_keeps_the_first_rows_error(as_supervisor):
    make_return("R001")
    preview = upload(as_supervisor, b"R404\nR001\nR405\n", "清单.csv", resource=STOP_WAITING)
    assert [str(e) for e in preview.context["report"].errors] == [
        "第1行 退货单号: 门户中没有这张采购退货单：R404", "第3行 退货单号: 门户中没有这张采购退货单：R405"]
    copy = sheet_rows(as_supervisor.get(preview.context["error_copy_url"]).content)
    assert copy == [["错误", "退货单号"], ["第1行 退货单号: 门户中没有这张采购退货单：R404", "R404"], [None, "R001"],
                    ["第3行 退货单号: 门户中没有这张采购退货单：R405", "R405"]]


def test_error_copy_belongs_to_who_uploaded(as_clerk, supervisor, client):  # noqa: F811
    preview = upload(as_clerk, xlsx([return_row("R001", num=0)]))
    url = preview.context["error_copy_url"]
    client.force_login(supervisor)
    assert client.get(url).status_code == 403
    assert client.get(reverse("admin:returns_purchasereturn_import_error_copy") + "?token=forged").status_code == 404


def _bad(case_id: str, build: Any, name: str, message: str, **limits: int) -> Any:
    return pytest.param(build, name, message, limits, id=case_id)


def _bad_files() -> list[Any]:
    """Every kind of bad file the import tests make, each as the clerk would upload it."""
    from tests.excel import test_bad_files as bad
    from tests.excel import test_guards as guards

    return [
        _bad("pdf", lambda: b"%PDF-1.4\x00\x00binary", "退货.pdf", "这不是表格文件"),
        _bad("png", lambda: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64), "photo.png", "这不是表格文件"),
        _bad("word", bad.word_document, "合同.docx", "这是Word或PowerPoint文件"),
        _bad("broken-zip", lambda: b"PK\x03\x04broken", "退货.xlsx", "文件已损坏"),
        _bad("truncated-xlsx", lambda: xlsx([return_row()])[:600], "退货.xlsx", "文件已损坏"),
        _bad("garbage-named-xlsx", lambda: b"this is not excel at all", "退货.xlsx", "文件已损坏"),
        _bad("damaged-part", lambda: guards.damaged("xl/worksheets/sheet1.xml"), "退货.xlsx", "文件已损坏"),
        _bad("password", bad.encrypted_xlsx, "退货.xlsx", "密码保护"),
        _bad("empty-sheet", lambda: xlsx([], header=[]), "退货.xlsx", "表格是空的"),
        _bad("header-only", lambda: xlsx([]), "退货.xlsx", "没有数据行"),
        _bad("missing-column", lambda: xlsx([], header=["退货单号", "商家编码"]), "退货.xlsx",
             "缺少必需的列：退货数量"),
        _bad("two-columns-one-field", lambda: xlsx([[*return_row(), "R001"]], header=[*RETURN_HEADER, "return_no"]),
             "退货.xlsx", "请只保留一列"),
        _bad("too-big", lambda: xlsx([return_row(f"R{i}") for i in range(50)]), "退货.xlsx", "文件太大",
             IMPORT_MAX_BYTES=1000),
        _bad("bomb", lambda: bad.zip_with_big_part(20 * 2**20), "退货.xlsx", "压缩炸弹",
             IMPORT_MAX_UNCOMPRESSED_BYTES=5 * 2**20),
        _bad("lying-bomb", bad.lying_bomb, "退货.xlsx", "文件已损坏", IMPORT_MAX_UNCOMPRESSED_BYTES=5 * 2**20),
        _bad("formula", lambda: xlsx([return_row(), return_row(spec_no="SKU-2", num="=1+1")]), "退货.xlsx",
             "第3行（R001）退货数量: 这里是公式"),
        _bad("too-many-rows", lambda: bad.xlsx_with_rows(30), "退货.xlsx", "行数超过上限", IMPORT_MAX_ROWS=10),
        _bad("stray-far-cell", lambda: guards.xlsx_with_sheet_xml(guards.HEADER_AND_ROW + (
            '<row r="1000000"><c r="A1000000"><v>1</v></c></row>')), "退货.xlsx", "用到了第1,000,000行"),
        _bad("far-column", lambda: guards.xlsx_with_sheet_xml(guards.HEADER_AND_ROW + (
            '<row r="3"><c r="XFD3"><v>1</v></c></row>')), "退货.xlsx", "（XFD列）"),
        _bad("xls-far-cell", lambda: guards.xls_with_cell(65535, 255), "退货.xls", "范围过大",
             IMPORT_MAX_CELLS=1_000_000),
        _bad("csv-unknown-encoding", lambda: "return_no\nÿ\n".encode("cp1252"), "退货.csv", "无法识别CSV文件的编码"),
        _bad("csv-utf16", lambda: "退货单号\nR1\n".encode("utf-16"), "退货.csv", "这不是表格文件"),
        _bad("csv-field-too-long", lambda: ",".join(RETURN_HEADER).encode() + b"\nR1," + b"R" * 200_000 + b"\n",
             "退货.csv", "CSV文件格式有误"),
        _bad("empty", lambda: b"", "退货.csv", "所提交的是空文件。"),
    ]


@pytest.mark.parametrize(("build", "name", "message", "limits"), _bad_files())
def test_bad_files_get_a_message_not_a_500(as_clerk, settings, build, name, message, limits):
    for setting, value in limits.items():
        setattr(settings, setting, value)
    response = upload(as_clerk, build(), name)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not response.context.get("confirm_form")
    assert PurchaseReturn.objects.count() == 0


def uploads_waiting() -> set[str]:
    """The uploads kept between a preview and its confirm (tests/excel/conftest.py gives each test its own folder)."""
    return {name for name in os.listdir(SpreadsheetTmpStorage.folder())
            if name.startswith(SpreadsheetTmpStorage.PREFIX)}


def test_an_upload_that_cannot_be_read_is_not_kept(as_clerk):
    response = upload(as_clerk, b"PK\x03\x04broken", "退货.xlsx")
    assert "文件已损坏" in response.content.decode()
    assert uploads_waiting() == set()


def test_an_upload_is_removed_once_confirmed(as_clerk):
    preview = upload(as_clerk, xlsx([return_row()]))
    assert uploads_waiting() == {preview.context["confirm_form"].initial["import_file_name"]}
    confirm(as_clerk, preview)
    assert uploads_waiting() == set()


def test_an_upload_is_removed_even_when_the_confirmed_import_fails(as_clerk, monkeypatch):
    preview = upload(as_clerk, xlsx([return_row()]))

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("wdtportal.excel.documents.DocumentImporter._plan_and_write", broken)
    with pytest.raises(RuntimeError):
        confirm(as_clerk, preview)
    assert uploads_waiting() == set()


def test_confirming_an_upload_that_is_gone_says_so(as_clerk):
    preview = upload(as_clerk, xlsx([return_row()]))
    assert confirm(as_clerk, preview).status_code == 302
    again = confirm(as_clerk, preview)  # the same confirm twice (a double click, the back button)
    assert again.status_code == 302 and again.url == reverse(IMPORT)
    assert "上传的文件已过期，请重新上传。" in as_clerk.get(again.url).content.decode()
    assert PurchaseReturn.objects.count() == 1


def test_uploads_left_behind_are_swept_after_a_day(as_clerk):
    kept_for_the_error_copy = upload(as_clerk, xlsx([return_row(num=0)]))
    abandoned = upload(as_clerk, xlsx([return_row()]))
    names = uploads_waiting()
    assert len(names) == 2
    day_ago = time.time() - 24 * 3600 - 60
    for name in names:
        os.utime(os.path.join(SpreadsheetTmpStorage.folder(), name), (day_ago, day_ago))
    fresh = upload(as_clerk, xlsx([return_row()]))
    assert uploads_waiting() == {fresh.context["confirm_form"].initial["import_file_name"]}
    assert abandoned.status_code == 200
    # The error copy's link says so rather than failing.
    expired = as_clerk.get(kept_for_the_error_copy.context["error_copy_url"])
    assert expired.status_code == 302


def test_a_file_over_the_limit_is_refused_at_upload(as_clerk, settings):
    settings.IMPORT_MAX_BYTES = 100
    response = upload(as_clerk, xlsx([return_row()]))
    assert response.status_code == 200
    assert "文件太大" in response.content.decode()


def test_templates_have_header_example_and_notes_and_the_example_imports(as_clerk):
    response = as_clerk.get(reverse("admin:returns_purchasereturn_import_template", args=[0]))
    assert response.status_code == 200
    header, example = sheet_rows(response.content)
    assert header[:3] == ["退货单号", "外部单号", "物流公司编号"] and "明细备注" in header
    assert example[0] == "CG2026031500012"
    notes = sheet_rows(response.content, 1)
    assert any(len(row) > 2 and row[0] == "退货数量" and row[2] == "是" for row in notes)
    preview = upload(as_clerk, response.content)
    assert preview.context["report"].ok, preview.context["report"].error_lines()

    stop_list = as_clerk.get(reverse("admin:returns_purchasereturn_import_template", args=[1]))
    assert sheet_rows(stop_list.content)[0] == ["退货单号"]
    settlement = as_clerk.get(reverse("admin:settlements_settlementdraft_import_template", args=[0]))
    assert sheet_rows(settlement.content)[0] == SETTLEMENT_HEADER


def test_import_page_links_the_templates(as_clerk):
    page = as_clerk.get(reverse(IMPORT)).content.decode()
    assert reverse("admin:returns_purchasereturn_import_template", args=[0]) in page
    assert "停止等待清单" in page


def _export(client: Any, query: str = "", items: list[int] | None = None) -> bytes:
    data = {"format": "0", "resource": "0"}
    if items is not None:
        data["export_items"] = [str(pk) for pk in items]
    response = client.post(reverse(EXPORT) + query, data)
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return response.content


def test_export_honours_filters_and_includes_states_and_messages(as_clerk):
    make_return("R001", lines=[{"spec_no": "A", "num": 2}, {"spec_no": "B", "num": 1, "batch_no": "B1"}])
    make_return("R002", outbound_state=DocumentState.DONE, last_message="已创建")
    rows = sheet_rows(_export(as_clerk, "?outbound_state__exact=done"))
    header = rows[0]
    assert header[:14] == ["退货单号", "外部单号", "物流公司编号", "物流单号", "邮资", "备注", "是否审核", "商家编码",
                           "退货数量", "单价", "金额", "货位编号", "批次号", "明细备注"]
    assert header[14:] == ["出库单状态", "停止等待状态", "旺店通最近消息", "创建时间", "导入批次"]
    assert [row[0] for row in rows[1:]] == ["R002"]
    assert rows[1][14:17] == ["已完成", "草稿", "已创建"]

    everything = sheet_rows(_export(as_clerk))
    assert sorted((row[0], row[7]) for row in everything[1:]) == [("R001", "A"), ("R001", "B"), ("R002", "SKU-A")]


def test_export_gives_each_line_its_amount_and_a_totals_sheet_with_every_decimal(as_clerk):
    make_return("R001", lines=[{"spec_no": "A", "num": Decimal("2"), "price": Decimal("10.5")},
                               {"spec_no": "B", "num": Decimal("1.5"), "price": Decimal("0.3333")},
                               {"spec_no": "C", "num": Decimal("3")}])  # no price: no amount
    make_return("R002", lines=[{"spec_no": "A", "num": Decimal("12"), "price": Decimal("0.25")}])
    workbook = load_workbook(io.BytesIO(_export(as_clerk)))
    data, totals = workbook.worksheets
    rows = list(data.iter_rows(values_only=True))
    at = rows[0].index("金额")
    assert rows[0][at - 2:at + 1] == ("退货数量", "单价", "金额")
    assert sorted((row[0], row[7], row[at]) for row in rows[1:]) == [
        ("R001", "A", 21), ("R001", "B", 0.5), ("R001", "C", None), ("R002", "A", 3)]
    assert data.freeze_panes == "A2" and data.auto_filter.ref == f"A1:S{len(rows)}"
    assert totals.title == "合计"
    summary = {label: value for label, value in totals.iter_rows(values_only=True)}
    assert (summary["单据数"], summary["明细行数"]) == (2, 4)
    # Full precision: 1.5 × 0.3333 = 0.49995 is kept to four decimals (0.5000), the sums exactly.
    assert (summary["数量合计"], summary["金额合计"]) == (18.5, 24.5)
    assert isinstance(summary["导出时间"], datetime.datetime)


def test_export_of_the_selection_from_the_action(as_clerk):
    first = make_return("R001")
    make_return("R002")
    action = as_clerk.post(reverse(CHANGELIST), {"action": "export_admin_action", "_selected_action": [first.pk]})
    assert action.status_code == 200
    rows = sheet_rows(_export(as_clerk, items=[first.pk]))
    assert [row[0] for row in rows[1:]] == ["R001"]


def test_an_export_imports_again_unchanged_and_an_edit_updates(as_clerk):
    import_rows = [return_row("R001", "A", 2, batch_no="B1", post_cost="1.5"),
                   return_row("R001", "B", 3, post_cost="1.5"), return_row("R002", "A", 1, is_check="否")]
    confirm(as_clerk, upload(as_clerk, xlsx(import_rows)))
    exported = _export(as_clerk)
    again = upload(as_clerk, exported, "export.xlsx")
    report = again.context["report"]
    assert report.ok and report.unknown_columns == []
    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)

    rows = sheet_rows(exported)
    for row in rows[1:]:
        if row[0] == "R002":
            row[8] = 7  # 退货数量
    edited = upload(as_clerk, xlsx(rows[1:], rows[0]), "edited.xlsx")
    assert (edited.context["report"].updated, edited.context["report"].unchanged) == (1, 1)
    confirm(as_clerk, edited)
    assert OutboundLine.objects.get(purchase_return__return_no="R002").num == 7


def test_text_that_starts_with_an_equals_sign_is_exported_as_text_and_imports_again(as_clerk):
    make_return("R001", remark="=退回", last_message="=HYPERLINK(\"http://x\")",
                lines=[{"spec_no": "A", "num": 2, "remark": "=1+1"}])
    exported = _export(as_clerk)
    workbook = load_workbook(io.BytesIO(exported))
    cells = {cell.value: cell.data_type for row in workbook.active.iter_rows(min_row=2) for cell in row}
    assert cells["=退回"] == cells["=1+1"] == cells['=HYPERLINK("http://x")'] == "s"  # text, not a live formula
    again = upload(as_clerk, exported, "export.xlsx")
    report = again.context["report"]
    assert report.ok, report.error_lines()
    assert (report.updated, report.unchanged) == (0, 1)

    # The error copy keeps such text as text too.
    rows = sheet_rows(exported)
    rows[1][8] = 0  # 退货数量
    bad = upload(as_clerk, rows_xlsx("退货", rows[0], rows[1:]), "bad.xlsx")
    assert bad.context["report"].error_count == 1
    copy = load_workbook(io.BytesIO(as_clerk.get(bad.context["error_copy_url"]).content))
    remark = next(cell for cell in copy.active[2] if cell.value == "=退回")
    assert remark.data_type == "s"


def test_settlement_drafts_import_and_export(as_clerk):
    preview = upload(as_clerk, xlsx([settlement_row("R001"), settlement_row("R001", "SKU-2")], SETTLEMENT_HEADER),
                     url="admin:settlements_settlementdraft_import")
    assert preview.context["report"].created == 1
    confirm(as_clerk, preview, url="admin:settlements_settlementdraft_process_import")
    assert SettlementDraft.objects.get().lines.count() == 2
    response = as_clerk.post(reverse("admin:settlements_settlementdraft_export"), {"format": "0", "resource": "0"})
    rows = sheet_rows(response.content)
    at = SETTLEMENT_HEADER.index("单价") + 1
    assert rows[0][:len(SETTLEMENT_HEADER) + 1] == [*SETTLEMENT_HEADER[:at], "金额", *SETTLEMENT_HEADER[at:]]
    assert rows[0][len(SETTLEMENT_HEADER) + 1:] == ["状态", "结算单号", "旺店通最近消息", "创建时间", "导入批次"]
    assert rows[1][3] == "电子增值税专用发票"


def test_stop_waiting_list_resolves_numbers_and_reports_unknown_ones(as_supervisor):
    make_return("R001")
    data = xlsx([["R001"], ["R404"], ["R001"]], header=["退货单号"])
    preview = upload(as_supervisor, data, "清单.xlsx", resource=STOP_WAITING)
    assert "第3行 退货单号: 门户中没有这张采购退货单：R404" in preview.content.decode()
    assert not preview.context.get("confirm_form")


def test_a_list_without_a_header_row_is_read_too(as_supervisor):
    make_return("R001")
    make_return("R002")
    preview = upload(as_supervisor, b"R001\nR002\n", "清单.csv", resource=STOP_WAITING)
    assert preview.context["report"].documents == 2


def test_a_clerk_may_not_send_a_stop_waiting_list(as_clerk):
    make_return("R001")
    preview = upload(as_clerk, xlsx([["R001"]], header=["退货单号"]), "清单.xlsx", resource=STOP_WAITING)
    assert "需要“可发送采购退货到旺店通”权限" in preview.content.decode()
    # Posting the confirmation anyway is refused.
    tmp = as_clerk.post(reverse(IMPORT), {"resource": RETURNS, "format": "0",
                                          "import_file": SimpleUploadedFile("x.xlsx", xlsx([return_row()]))})
    initial = {**tmp.context["confirm_form"].initial, "resource": STOP_WAITING}
    assert as_clerk.post(reverse(PROCESS), {**initial, "confirm": "1"}).status_code == 403
