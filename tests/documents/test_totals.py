"""A document's totals (line count, Σ quantity, Σ quantity × price) are kept on it and stay right whatever writes its
lines: the services, the admin (adding, changing, deleting lines), the Excel import (new documents, updates that
change lines, updates that do not, a file without a price column), the demo loader, the test factories, and the data
migration that filled them for the documents that existed before."""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from returns.models import OutboundLine, PurchaseReturn
from returns.resources import import_returns
from settlements.models import SettlementDraft
from settlements.resources import import_settlements
from settlements.services import settlement_drafts_create_from_returns
from tests.bulk import seed_settlement_drafts
from tests.excel.files import RETURN_HEADER, SETTLEMENT_HEADER, return_row, settlement_row, xlsx
from tests.factories import make_draft, make_return
from wdtportal.documents.registry import lines_of
from wdtportal.documents.totals import Totals, totals_of

pytestmark = pytest.mark.django_db

D = Decimal
HISTORY = "documents-statechange-content_type-object_id"


def stored(document) -> tuple:
    document = type(document).objects.get(pk=document.pk)
    return document.line_count, document.total_quantity, document.total_amount


def recounted(document) -> tuple:
    """The totals of the lines as they are in the database now, by the one rule."""
    quantity = lines_of(type(document)).quantity
    totals = totals_of(document.lines.values_list(quantity, "price"))
    return totals.line_count, totals.total_quantity, totals.total_amount


def assert_every_document_right() -> None:
    for model in (PurchaseReturn, SettlementDraft):
        for document in model.objects.all():
            assert stored(document) == recounted(document), document


def test_the_rule_counts_lines_sums_quantities_and_sums_each_lines_amount_rounded_half_up():
    assert totals_of([(D("2"), D("10.5")), (D("1.5"), None), (D("0.3333"), D("0.3333"))]) == Totals(
        3, D("3.8333"), D("21.1111"))  # 21 + 0 + 0.11108889
    assert totals_of([(D("0.5"), D("0.0001"))]).total_amount == D("0.0001")  # 0.00005, half up
    # Each line as the preview and the export show it: the total is the sum of the amounts a clerk sees.
    assert totals_of([(D("0.5"), D("0.0001")), (D("0.5"), D("0.0001"))]).total_amount == D("0.0002")
    assert totals_of([]) == Totals(0, D(0), D(0))
    biggest = D("999999999999999.9999")  # decimal(19,4) at its largest: the product is exact
    assert totals_of([(biggest, biggest)]).total_amount == D("999999999999999999800000000000.0000")


@pytest.mark.postgres  # SQLite keeps decimals as floats: 19 digits do not survive it (nor any decimal(19,4) field)
def test_the_largest_line_fits_the_stored_amount():
    biggest = D("999999999999999.9999")
    purchase_return = make_return("CR2026120001", lines=[{"spec_no": "A", "num": biggest, "price": biggest},
                                                         {"spec_no": "B", "num": biggest, "price": biggest}])
    assert stored(purchase_return)[2] > D("1E30")


def test_the_factories_and_the_bulk_seed_keep_them():
    purchase_return = make_return("CR2026120002", lines=[{"spec_no": "A", "num": D("2"), "price": D("10.5")},
                                                         {"spec_no": "B", "num": D("3"), "price": None}])
    assert stored(purchase_return) == (2, D(5), D(21))
    draft = make_draft("CR2026120002", lines=[{"spec_no": "A", "settle_num": D("4"), "price": D("2.25")}])
    assert stored(draft) == (1, D(4), D(9))
    seed_settlement_drafts(3, prefix="CRT")
    assert_every_document_right()


def test_drafts_created_from_returns_carry_the_totals_of_their_lines(clerk):
    purchase_return = make_return("CR2026120003", lines=[{"spec_no": "A", "num": D("2"), "price": D("10.5")},
                                                         {"spec_no": "B", "num": D("1.25"), "price": D("4")}])
    settlement_drafts_create_from_returns(purchase_returns=[purchase_return], user=clerk)
    assert stored(SettlementDraft.objects.get(return_no="CR2026120003")) == (2, D("3.25"), D(26))
    assert_every_document_right()


def _return_form(purchase_return, lines: list[dict], *, initial: int) -> dict:
    form = {"return_no": purchase_return.return_no if purchase_return else "CR2026120004",
            "outer_no": purchase_return.outer_no if purchase_return else "", "is_check": "on",
            "lines-TOTAL_FORMS": len(lines), "lines-INITIAL_FORMS": initial, "lines-MIN_NUM_FORMS": 0,
            "lines-MAX_NUM_FORMS": 1000, f"{HISTORY}-TOTAL_FORMS": 0, f"{HISTORY}-INITIAL_FORMS": 0}
    for index, line in enumerate(lines):
        form.update({f"lines-{index}-{name}": value for name, value in line.items()})
    return form


def test_the_admin_writes_them_when_a_return_is_added_with_its_lines(client, clerk):
    client.force_login(clerk)
    response = client.post(reverse("admin:returns_purchasereturn_add"), _return_form(None, [
        {"line_no": 1, "spec_no": "A", "num": "2", "price": "10.5"},
        {"line_no": 2, "spec_no": "B", "num": "3", "price": ""}], initial=0))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert stored(PurchaseReturn.objects.get(return_no="CR2026120004")) == (2, D(5), D(21))


def test_an_admin_edit_that_changes_one_line_and_deletes_another_rewrites_them(client, clerk):
    purchase_return = make_return("CR2026120005", lines=[{"spec_no": "A", "num": D("2"), "price": D("10.5")},
                                                         {"spec_no": "B", "num": D("3"), "price": D("1")}])
    first, second = purchase_return.lines.order_by("line_no")
    client.force_login(clerk)
    response = client.post(reverse("admin:returns_purchasereturn_change", args=[purchase_return.pk]), _return_form(
        purchase_return, [
            {"id": first.pk, "purchase_return": purchase_return.pk, "line_no": 1, "spec_no": "A", "num": "4",
             "price": "10.5"},
            {"id": second.pk, "purchase_return": purchase_return.pk, "line_no": 2, "spec_no": "B", "num": "3",
             "price": "1", "DELETE": "on"}], initial=2))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert stored(purchase_return) == (1, D(4), D(42))


def test_an_admin_edit_of_a_settlement_draft_rewrites_them(client, clerk):
    draft = make_draft("CR2026120006", lines=[{"spec_no": "A", "settle_num": D("2"), "price": D("3")}])
    line = draft.lines.get()
    client.force_login(clerk)
    response = client.post(reverse("admin:settlements_settlementdraft_change", args=[draft.pk]), {
        "return_no": draft.return_no, "lines-TOTAL_FORMS": 2, "lines-INITIAL_FORMS": 1, "lines-MIN_NUM_FORMS": 0,
        "lines-MAX_NUM_FORMS": 1000, "lines-0-id": line.pk, "lines-0-draft": draft.pk, "lines-0-line_no": 1,
        "lines-0-spec_no": "A", "lines-0-settle_num": "2", "lines-0-price": "3", "lines-1-line_no": 2,
        "lines-1-spec_no": "B", "lines-1-settle_num": "0.5", "lines-1-price": "0.0001",
        f"{HISTORY}-TOTAL_FORMS": 0, f"{HISTORY}-INITIAL_FORMS": 0})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert stored(draft) == (2, D("2.5"), D("6.0001"))  # 6 + 0.00005 → half up


def test_the_import_writes_them_for_new_documents_and_for_updates_that_change_lines():
    report = import_returns(xlsx([return_row("R001", "SKU-1", 2, price=10.5), return_row("R002", "SKU-1", 1),
                                  return_row("R001", "SKU-2", "3.5", price="")]), file_name="退货.xlsx")
    assert report.ok, report.error_lines()
    assert stored(PurchaseReturn.objects.get(return_no="R001")) == (2, D("5.5"), D(21))
    assert stored(PurchaseReturn.objects.get(return_no="R002")) == (1, D(1), D("5.5"))
    # R001 loses a line and changes a quantity; R002 changes its remark only: its lines (and totals) stay.
    report = import_returns(xlsx([return_row("R001", "SKU-1", 3, price=10.5),
                                  return_row("R002", "SKU-1", 1, remark="改了备注")]), file_name="退货2.xlsx")
    assert report.ok and report.updated == 2, report.error_lines()
    assert stored(PurchaseReturn.objects.get(return_no="R001")) == (1, D(3), D("31.5"))
    assert stored(PurchaseReturn.objects.get(return_no="R002")) == (1, D(1), D("5.5"))
    assert_every_document_right()


def test_an_import_without_a_price_column_keeps_the_stored_prices_in_the_totals():
    import_returns(xlsx([return_row("R001", "SKU-1", 2, price=10.5), return_row("R001", "SKU-2", 1, price=4)]),
                   file_name="退货.xlsx")
    header = [h for h in RETURN_HEADER if h != "单价"]
    without_price = [[v for h, v in zip(RETURN_HEADER, row, strict=True) if h != "单价"]
                     for row in (return_row("R001", "SKU-1", 4), return_row("R001", "SKU-3", 5))]
    report = import_returns(xlsx(without_price, header=header), file_name="无单价.xlsx")
    assert report.ok and report.updated == 1, report.error_lines()
    # SKU-1 keeps its price 10.5; SKU-3 is new and has none.
    assert stored(PurchaseReturn.objects.get(return_no="R001")) == (2, D(9), D(42))
    assert_every_document_right()


def test_the_settlement_import_writes_them_too():
    report = import_settlements(xlsx([settlement_row("R001", "SKU-1", 2, price=20),
                                      settlement_row("R001", "SKU-2", "1.5", price="0.3333")],
                                     header=SETTLEMENT_HEADER), file_name="结算.xlsx")
    assert report.ok, report.error_lines()
    assert stored(SettlementDraft.objects.get(return_no="R001")) == (2, D("3.5"), D("40.5000"))  # 40 + 0.49995
    assert_every_document_right()


def test_the_demo_loader_writes_them():
    from wdtportal.demo.documents import load_demo_documents

    assert load_demo_documents() > 0
    assert PurchaseReturn.objects.filter(line_count__gt=0).count() == PurchaseReturn.objects.count()
    assert SettlementDraft.objects.exists()
    assert_every_document_right()


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_them_for_the_documents_that_existed_before():
    executor = MigrationExecutor(connection)
    before = [("returns", "0005_totals"), ("settlements", "0003_totals")]
    executor.migrate(before)
    apps = executor.loader.project_state(before).apps
    Return, Line = apps.get_model("returns", "PurchaseReturn"), apps.get_model("returns", "OutboundLine")
    Draft, DraftLine = apps.get_model("settlements", "SettlementDraft"), apps.get_model("settlements", "SettlementLine")
    with_lines = Return.objects.create(return_no="CR2026120010", outer_no="WP-M-1")
    Line.objects.create(purchase_return=with_lines, line_no=1, spec_no="A", num=D("2"), price=D("10.5"))
    Line.objects.create(purchase_return=with_lines, line_no=2, spec_no="B", num=D("0.5"), price=D("0.0001"))
    Line.objects.create(purchase_return=with_lines, line_no=3, spec_no="C", num=D("1"), price=None)
    Return.objects.create(return_no="CR2026120011", outer_no="WP-M-2")  # no lines
    draft = Draft.objects.create(return_no="CR2026120010")
    DraftLine.objects.create(draft=draft, line_no=1, spec_no="A", settle_num=D("3"), price=D("0.3333"))
    assert Return.objects.get(pk=with_lines.pk).line_count == 0

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert stored(PurchaseReturn.objects.get(return_no="CR2026120010")) == (3, D("3.5"), D("21.0001"))
    assert stored(PurchaseReturn.objects.get(return_no="CR2026120011")) == (0, D(0), D(0))
    assert stored(SettlementDraft.objects.get(return_no="CR2026120010")) == (1, D(3), D("0.9999"))
    assert OutboundLine.objects.count() == 3
