"""Importing settlement drafts: the settlement page's columns, invoice types by name, tax rates, dates."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from returns.models import PurchaseReturn
from settlements.models import InvoiceType, SettlementDraft, SettlementLine
from settlements.resources import import_settlements
from tests.excel.files import SETTLEMENT_HEADER, settlement_row, xlsx
from wdtportal.documents.models import ImportBatch
from wdtportal.documents.states import DocumentState

pytestmark = pytest.mark.django_db


def test_drafts_with_lines_are_created_and_linked_to_the_return():
    ret = PurchaseReturn.objects.create(return_no="R001")
    rows = [settlement_row("R001", "SKU-1", 2, invoice_type="电子增值税专用发票", tax_rate="13%",
                           expire_date=datetime.date(2027, 12, 31)),
            settlement_row("R001", "SKU-2", "1.5", invoice_type="电子增值税专用发票", tax_rate="13%",
                           expire_date=46387),
            settlement_row("R002", "SKU-1", 1, invoice_type="0", tax_rate="", expire_date="2027年1月2日")]
    report = import_settlements(xlsx(rows, SETTLEMENT_HEADER), file_name="结算.xlsx")
    assert report.ok, report.error_lines()
    assert (report.documents, report.rows, report.created) == (2, 3, 2)
    draft = SettlementDraft.objects.get(return_no="R001")
    assert draft.purchase_return == ret
    assert (draft.invoice_type, draft.is_check, draft.fuzzy_query, draft.post_fee) == (
        InvoiceType.E_VAT_SPECIAL, False, False, Decimal(12))
    assert draft.js_order_no is None
    assert list(draft.lines.order_by("line_no").values_list("spec_no", "settle_num", "tax_rate", "expire_date")) == [
        ("SKU-1", Decimal(2), Decimal("0.13"), datetime.date(2027, 12, 31)),
        ("SKU-2", Decimal("1.5"), Decimal("0.13"), datetime.date(2026, 12, 31)),
    ]
    other = SettlementDraft.objects.get(return_no="R002")
    assert other.purchase_return is None
    assert (other.invoice_type, other.lines.get().expire_date) == (0, datetime.date(2027, 1, 2))
    assert ImportBatch.objects.get().kind == "settlements"


def test_settlement_rules_are_the_models():
    rows = [settlement_row("R001", "SKU-1", 0), settlement_row("R001", "SKU-2", 1, tax_rate=13),
            settlement_row("R001", "SKU-3", 1, invoice_type="专票"), settlement_row("R001", "SKU-4", 1,
                                                                                 expire_date="明年")]
    report = import_settlements(xlsx(rows, SETTLEMENT_HEADER), file_name="结算.xlsx")
    lines = report.error_lines()
    assert lines[0] == "第2行（R001）结算数量: 必须大于0"
    assert lines[1] == "第3行（R001）税率: 不能大于1"
    assert lines[2].startswith("第4行（R001）发票类型: 应为以下之一（编号或名称）：0 无发票、1 电子普通发票")
    assert lines[3] == "第5行（R001）有效期: 应为日期，例如 2026-03-31，现为“明年”"
    assert SettlementDraft.objects.count() == 0


def test_reimport_updates_a_failed_draft_and_leaves_a_settled_one():
    data = xlsx([settlement_row("R001"), settlement_row("R002")], SETTLEMENT_HEADER)
    import_settlements(data, file_name="a.xlsx")
    SettlementDraft.objects.filter(return_no="R001").update(state=DocumentState.FAILED)
    SettlementDraft.objects.filter(return_no="R002").update(state=DocumentState.DONE, js_order_no="JS1")
    changed = xlsx([settlement_row("R001", settle_num=7), settlement_row("R002", settle_num=7)], SETTLEMENT_HEADER)
    report = import_settlements(changed, file_name="b.xlsx")
    assert (report.updated, report.locked, report.created) == (1, 1, 0)
    assert SettlementLine.objects.get(draft__return_no="R001").settle_num == 7
    assert SettlementLine.objects.get(draft__return_no="R002").settle_num == 2


def test_an_import_that_changes_a_validated_draft_sends_it_back_to_draft():
    from wdtportal.documents.models import StateChange

    import_settlements(xlsx([settlement_row("R001")], SETTLEMENT_HEADER), file_name="a.xlsx")
    SettlementDraft.objects.update(state=DocumentState.READY)
    report = import_settlements(xlsx([settlement_row("R001", remark="改了")], SETTLEMENT_HEADER), file_name="b.xlsx")
    assert report.updated == 1
    assert SettlementDraft.objects.get().state == DocumentState.DRAFT
    assert StateChange.objects.get().to_state == DocumentState.DRAFT


def test_update_links_a_draft_to_a_return_that_appeared_since():
    import_settlements(xlsx([settlement_row("R001")], SETTLEMENT_HEADER), file_name="a.xlsx")
    ret = PurchaseReturn.objects.create(return_no="R001")
    import_settlements(xlsx([settlement_row("R001", settle_num=3)], SETTLEMENT_HEADER), file_name="b.xlsx")
    assert SettlementDraft.objects.get().purchase_return == ret


def test_import_settlements_command(tmp_path, capsys):
    good = tmp_path / "结算.xlsx"
    good.write_bytes(xlsx([settlement_row("R001")], SETTLEMENT_HEADER))
    call_command("import_settlements", str(good), "--dry-run")
    assert "检查通过" in capsys.readouterr().out
    assert SettlementDraft.objects.count() == 0
    call_command("import_settlements", str(good))
    assert SettlementDraft.objects.count() == 1
    bad = tmp_path / "错.xlsx"
    bad.write_bytes(xlsx([settlement_row("R001", settle_num=-1)], SETTLEMENT_HEADER))
    with pytest.raises(CommandError):
        call_command("import_settlements", str(bad))
    assert "第2行（R001）结算数量: 必须大于0" in capsys.readouterr().err


def test_the_preview_names_the_invoice_type_the_clerk_typed():
    report = import_settlements(xlsx([settlement_row("R001", invoice_type="电子增值税专用发票")], SETTLEMENT_HEADER),
                                file_name="结算.xlsx", dry_run=True)
    values = dict(zip(report.preview_headers, report.preview_rows[0][2], strict=True))
    assert values["发票类型"] == "电子增值税专用发票"
    assert (values["单价"], values["税率"], values["结算数量"]) == ("20.00", "0.13", "2")
