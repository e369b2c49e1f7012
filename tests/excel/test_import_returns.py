"""Importing purchase returns: one row per line, all or nothing, every error at once, upsert by return number."""

from decimal import Decimal

import pytest

from returns.models import OutboundLine, PurchaseReturn
from returns.resources import import_returns
from tests.excel.files import RETURN_HEADER, csv_bytes, return_row, xls, xlsx
from tests.factories import clerk, make_return  # noqa: F401
from wdtportal.documents.models import ImportBatch
from wdtportal.documents.states import DocumentState

pytestmark = pytest.mark.django_db


def lines_of(return_no: str) -> list[tuple]:
    return list(OutboundLine.objects.filter(purchase_return__return_no=return_no)
                .order_by("line_no").values_list("line_no", "spec_no", "num", "price", "batch_no"))


def test_rows_become_returns_with_their_lines_in_file_order():
    data = xlsx([return_row("R001", "SKU-1", 2), return_row("R002", "SKU-9", 1), return_row("R001", "SKU-2", "3.5")])
    report = import_returns(data, file_name="退货.xlsx")
    assert report.ok, report.error_lines()
    assert (report.documents, report.rows, report.created) == (2, 3, 2)
    ret = PurchaseReturn.objects.get(return_no="R001")
    assert (ret.logistics_code, ret.logistics_no, ret.post_cost, ret.remark, ret.is_check) == (
        "SF", "SF100", Decimal(10), "质量问题", True)
    assert ret.outer_no.startswith("WP")  # generated, because the cell was empty
    assert ret.outbound_state == DocumentState.DRAFT
    assert ret.import_batch_id == report.batch_id
    assert lines_of("R001") == [(1, "SKU-1", Decimal(2), Decimal("5.5"), ""), (2, "SKU-2", Decimal("3.5"),
                                                                              Decimal("5.5"), "")]
    batch = ImportBatch.objects.get(pk=report.batch_id)
    assert (batch.kind, batch.file_name, batch.rows, batch.documents, batch.created) == (
        "returns", "退货.xlsx", 3, 2, 2)


def test_messy_cells_are_cleaned():
    row = return_row(" Ｒ００１ ", "ＳＫＵ－１", "２", post_cost=" 1,200.50 ", is_check="否", price="",
                     remark="  退回，谢谢  ")
    report = import_returns(xlsx([row]), file_name="退货.xlsx")
    assert report.ok, report.error_lines()
    ret = PurchaseReturn.objects.get()
    assert (ret.return_no, ret.post_cost, ret.is_check, ret.remark) == ("R001", Decimal("1200.5"), False, "退回，谢谢")
    assert lines_of("R001") == [(1, "SKU-1", Decimal(2), None, "")]


def test_every_error_is_reported_at_once_and_nothing_is_written():
    rows = [
        return_row("R001", "SKU-1", 0),  # row 2
        return_row("R001", "SKU-2", "abc", price=-1),  # row 3
        return_row("", "SKU-3", 1),  # row 4
        return_row("R002", "", 1, is_check="也许"),  # row 5
        return_row("R003", "SKU-1", 1),  # row 6: fine
    ]
    report = import_returns(xlsx(rows), file_name="退货.xlsx")
    assert not report.ok
    assert report.error_lines() == [
        "第2行（R001）退货数量: 必须大于0",
        "第3行（R001）退货数量: 应为数字，现为“abc”",
        "第3行（R001）单价: 不能小于0",
        "第4行 退货单号: 必填，不能为空",
        "第5行（R002）是否审核: 应为 是/否、1/0 或 TRUE/FALSE，现为“也许”",
        "第5行（R002）商家编码: 必填，不能为空",
    ]
    assert PurchaseReturn.objects.count() == 0
    assert ImportBatch.objects.count() == 0


def test_rows_of_one_return_that_disagree_on_a_header_field_are_an_error():
    rows = [return_row("R001", "SKU-1", logistics_no="SF1"), return_row("R001", "SKU-2", logistics_no="SF2")]
    report = import_returns(xlsx(rows), file_name="退货.xlsx")
    assert report.error_lines() == [
        "第3行（R001）物流单号: 与第2行不一致：同一退货单号“R001”的各行必须相同（“SF1” ≠ “SF2”）"]


def test_the_same_spec_and_batch_twice_in_one_return_is_an_error():
    rows = [return_row("R001", "SKU-1", batch_no="B1"), return_row("R001", "SKU-1", batch_no="B2"),
            return_row("R001", "SKU-1", batch_no="B1")]
    report = import_returns(xlsx(rows), file_name="退货.xlsx")
    assert report.error_lines() == [
        "第4行（R001）商家编码: 与第2行的商家编码和批次号相同（SKU-1 B1），同一单据中不能重复；请合并数量"]


def test_too_long_values_are_errors():
    report = import_returns(xlsx([return_row("R" * 41)]), file_name="退货.xlsx")
    assert report.error_lines() == ["第2行 退货单号: 不能超过40个字符（现为41个）"]


def test_columns_in_any_order_with_api_names_and_unknown_columns_reported():
    header = ["num", "备注", "spec_no", "return_no", "供应商名称", "detail_remark"]
    report = import_returns(xlsx([[4, "头备注", "SKU-1", "R001", "某供应商", "行备注"]], header), file_name="x.xlsx")
    assert report.ok, report.error_lines()
    assert report.unknown_columns == ["供应商名称"]
    ret = PurchaseReturn.objects.get()
    assert ret.remark == "头备注"
    assert ret.lines.get().remark == "行备注"
    assert ret.lines.get().num == 4


def test_same_file_twice_creates_nothing_new():
    data = xlsx([return_row("R001", "SKU-1"), return_row("R001", "SKU-2"), return_row("R002", "SKU-1")])
    first = import_returns(data, file_name="a.xlsx")
    outer_nos = dict(PurchaseReturn.objects.values_list("return_no", "outer_no"))
    line_ids = set(OutboundLine.objects.values_list("id", flat=True))
    second = import_returns(data, file_name="a.xlsx")
    assert (first.created, second.created, second.updated, second.unchanged) == (2, 0, 0, 2)
    assert dict(PurchaseReturn.objects.values_list("return_no", "outer_no")) == outer_nos  # kept, not regenerated
    assert set(OutboundLine.objects.values_list("id", flat=True)) == line_ids


def test_a_changed_line_updates_a_draft():
    import_returns(xlsx([return_row("R001", "SKU-1", 2), return_row("R002", "SKU-1", 1)]), file_name="a.xlsx")
    report = import_returns(xlsx([return_row("R001", "SKU-1", 5), return_row("R001", "SKU-2", 1),
                                  return_row("R002", "SKU-1", 1)]), file_name="b.xlsx")
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    assert [line[1:3] for line in lines_of("R001")] == [("SKU-1", Decimal(5)), ("SKU-2", Decimal(1))]
    assert PurchaseReturn.objects.get(return_no="R001").import_batch_id == report.batch_id


def test_an_import_that_changes_a_validated_return_sends_it_back_to_draft(clerk):  # noqa: F811
    from wdtportal.documents.models import StateChange

    import_returns(xlsx([return_row("R001", "SKU-1", 2), return_row("R002", "SKU-1", 2),
                         return_row("R003", "SKU-1", 2)]), file_name="a.xlsx")
    PurchaseReturn.objects.update(outbound_state=DocumentState.READY)
    PurchaseReturn.objects.filter(return_no="R003").update(outbound_state=DocumentState.FAILED)
    report = import_returns(xlsx([return_row("R001", "SKU-1", 5), return_row("R002", "SKU-1", 2),
                                  return_row("R003", "SKU-1", 5)]), file_name="b.xlsx", user=clerk)
    assert (report.updated, report.unchanged) == (2, 1)
    states = dict(PurchaseReturn.objects.values_list("return_no", "outbound_state"))
    assert states == {"R001": DocumentState.DRAFT, "R002": DocumentState.READY, "R003": DocumentState.FAILED}
    change = StateChange.objects.get()
    assert (change.document.return_no, change.field, change.from_state, change.to_state, change.user) == (
        "R001", "outbound_state", DocumentState.READY, DocumentState.DRAFT, clerk)
    assert change.reason == "导入修改了单据，需要重新校验"


def test_a_changed_header_field_updates_without_touching_lines():
    import_returns(xlsx([return_row("R001", "SKU-1", 2)]), file_name="a.xlsx")
    line_ids = list(OutboundLine.objects.values_list("id", flat=True))
    report = import_returns(xlsx([return_row("R001", "SKU-1", 2, logistics_no="SF999")]), file_name="b.xlsx")
    assert report.updated == 1
    assert PurchaseReturn.objects.get().logistics_no == "SF999"
    assert list(OutboundLine.objects.values_list("id", flat=True)) == line_ids


@pytest.mark.parametrize("state", [DocumentState.DONE, DocumentState.SENDING, DocumentState.UNKNOWN,
                                   DocumentState.QUEUED])
def test_a_return_wdt_has_is_reported_not_changed(state):
    import_returns(xlsx([return_row("R001", "SKU-1", 2)]), file_name="a.xlsx")
    PurchaseReturn.objects.update(outbound_state=state)
    report = import_returns(xlsx([return_row("R001", "SKU-1", 9)]), file_name="b.xlsx")
    assert report.ok
    assert (report.updated, report.locked) == (0, 1)
    assert report.locked_documents == [("R001", str(DocumentState(state).label))]
    assert lines_of("R001")[0][2] == Decimal(2)


def test_a_missing_column_leaves_the_stored_value_alone():
    import_returns(xlsx([return_row("R001", "SKU-1", 2, position_no="P-7", logistics_code="YTO")]), file_name="a")
    header = ["退货单号", "商家编码", "退货数量"]
    report = import_returns(xlsx([["R001", "SKU-1", 3]], header), file_name="b.xlsx")
    assert report.updated == 1
    ret = PurchaseReturn.objects.get()
    assert ret.logistics_code == "YTO"
    line = ret.lines.get()
    assert (line.num, line.position_no, line.price) == (Decimal(3), "P-7", Decimal("5.5"))


def test_a_file_without_a_batch_column_keeps_the_stored_batches():
    make_return("R001", lines=[{"spec_no": "SKU-1", "num": 2, "batch_no": "B1", "position_no": "P-1"},
                               {"spec_no": "SKU-2", "num": 1, "batch_no": "B2", "remark": "易碎"}])
    header = ["退货单号", "商家编码", "退货数量"]
    report = import_returns(xlsx([["R001", "SKU-1", 5], ["R001", "SKU-2", 1]], header), file_name="b.xlsx")
    assert report.ok and report.updated == 1
    assert list(OutboundLine.objects.order_by("line_no").values_list("spec_no", "num", "batch_no", "position_no",
                                                                     "remark")) == [
        ("SKU-1", Decimal(5), "B1", "P-1", ""), ("SKU-2", Decimal(1), "B2", "", "易碎")]
    # A line the return did not have takes the defaults.
    import_returns(xlsx([["R001", "SKU-1", 5], ["R001", "SKU-3", 4]], header), file_name="c.xlsx")
    assert list(OutboundLine.objects.order_by("line_no").values_list("spec_no", "batch_no", "position_no")) == [
        ("SKU-1", "B1", "P-1"), ("SKU-3", "", "")]


def test_without_a_batch_column_a_spec_stored_in_two_batches_is_an_error():
    make_return("R001", lines=[{"spec_no": "SKU-1", "num": 2, "batch_no": "B1"},
                               {"spec_no": "SKU-1", "num": 1, "batch_no": "B2"}])
    report = import_returns(xlsx([["R001", "SKU-1", 5]], ["退货单号", "商家编码", "退货数量"]), file_name="b.xlsx")
    assert [str(e) for e in report.errors] == [
        "第2行（R001）商家编码: 已保存的这张单据中有多行是这个商家编码（SKU-1），"
        "文件缺少“批次号”列，无法确定对应哪一行；请加上这一列后再导入"]
    assert list(OutboundLine.objects.order_by("line_no").values_list("batch_no", "num")) == [
        ("B1", Decimal(2)), ("B2", Decimal(1))]


def test_outer_no_must_not_clash_within_the_file_or_with_another_return():
    import_returns(xlsx([return_row("R009", outer_no="OUT-9")]), file_name="a.xlsx")
    rows = [return_row("R001", outer_no="OUT-1"), return_row("R002", outer_no="OUT-1"),
            return_row("R003", outer_no="OUT-9")]
    report = import_returns(xlsx(rows), file_name="b.xlsx")
    assert report.error_lines() == [
        "第3行（R002）外部单号: 外部单号“OUT-1”已用于第2行的退货单“R001”，不同退货单的外部单号不能相同",
        "第4行（R003）外部单号: 外部单号“OUT-9”已被退货单“R009”使用，请换一个或留空（留空会自动生成）",
    ]


def test_dry_run_checks_everything_and_writes_nothing():
    report = import_returns(xlsx([return_row("R001")]), file_name="a.xlsx", dry_run=True)
    assert report.ok and report.created == 1
    assert PurchaseReturn.objects.count() == 0
    assert report.preview_headers == RETURN_HEADER
    assert report.preview_rows[0][:2] == (2, "新建")
    assert report.preview_rows[0][2][0] == "R001"


def test_csv_in_gbk_as_chinese_excel_saves_it():
    report = import_returns(csv_bytes([return_row("R001", remark="供应商退货")], encoding="gbk"),
                           file_name="退货.csv")
    assert report.ok, (report.problem, report.error_lines())
    assert PurchaseReturn.objects.get().remark == "供应商退货"


def test_csv_in_utf8_with_bom():
    data = "\ufeff".encode() + csv_bytes([return_row("R001")])
    assert import_returns(data, file_name="退货.csv").ok


def test_xls_written_by_an_old_excel():
    report = import_returns(xls([return_row("R001", num=2.0, post_cost="12")]), file_name="退货.xls")
    assert report.ok, (report.problem, report.error_lines())
    assert PurchaseReturn.objects.get().post_cost == Decimal(12)


def test_row_numbers_are_excel_row_numbers_even_with_blank_rows():
    rows = [return_row("R001"), [None] * len(RETURN_HEADER), return_row("R002", num=-1)]
    report = import_returns(xlsx(rows), file_name="a.xlsx")
    assert report.error_lines() == ["第4行（R002）退货数量: 必须大于0"]


def test_the_preview_adds_up_documents_lines_quantity_and_amount_for_each_outcome_and_the_file():
    import_returns(xlsx([return_row("R001", "SKU-1", 2), return_row("R002", "SKU-1", 2)]), file_name="a.xlsx")
    rows = [return_row("R001", "SKU-1", 2),  # unchanged: 2 × 5.5
            return_row("R002", "SKU-1", 3), return_row("R002", "SKU-2", "1.5", price="0.3333"),  # 16.5 + 0.49995
            return_row("R003", "SKU-1", 4, price="")]  # new, without a price: no amount
    report = import_returns(xlsx(rows), file_name="b.xlsx", dry_run=True)
    totals = {label: (t.documents, t.lines, t.quantity, t.amount) for _status, label, t in report.totals_rows()}
    assert totals == {"新建": (1, 1, Decimal(4), Decimal(0)),
                      "更新": (1, 2, Decimal("4.5"), Decimal("17.0000")),  # each line's amount to four decimals
                      "未变": (1, 1, Decimal(2), Decimal("11.0")),
                      "合计": (3, 4, Decimal("10.5"), Decimal("28.0000"))}
    assert (report.file_totals.quantity_shown, report.file_totals.amount_shown) == ("10.5", "28.00")


def test_the_preview_shows_choices_by_name_and_numbers_as_every_page_does():
    report = import_returns(xlsx([return_row("R001", "SKU-1", "2.0000", price="29.1", post_cost=12)]),
                            file_name="a.xlsx", dry_run=True)
    values = dict(zip(report.preview_headers, report.preview_rows[0][2], strict=True))
    assert (values["退货数量"], values["单价"], values["邮资"], values["是否审核"]) == ("2", "29.10", "12.00", "是")
    assert dict(zip(report.preview_headers, report.preview_classes, strict=True))["备注"] == "wrap"
