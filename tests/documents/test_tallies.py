"""The dashboard's counts by state (state tallies kept by triggers) equal a count of the documents after every kind
of write: created in a state, bulk-inserted, imported, moved one by one or many at once, updated by a queryset,
deleted one by one or by a queryset, inserted by raw SQL, truncated; folding the rows and recounting keep them."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection

from returns.models import OutboundLine, PurchaseReturn
from returns.resources import import_returns
from settlements.models import SettlementDraft
from tests.excel.files import return_row, xlsx
from tests.factories import make_draft, make_return
from wdtportal.documents.models import StateTally
from wdtportal.documents.states import DocumentState as S
from wdtportal.documents.tallies import state_counts, state_tallies_compact
from wdtportal.documents.transitions import move, move_many

pytestmark = pytest.mark.django_db


def counted() -> dict[tuple[str, str], dict[str, int]]:
    """What the tallies should say: the documents counted."""
    truth: dict[tuple[str, str], dict[str, int]] = {}
    for model, fields in ((PurchaseReturn, ("outbound_state", "waiting_state")), (SettlementDraft, ("state",))):
        for field in fields:
            states = Counter(model.objects.values_list(field, flat=True))
            if states:
                truth[(model._meta.label_lower, field)] = dict(states)
    return truth


def assert_right() -> None:
    assert dict(state_counts()) == counted()


def test_created_bulk_inserted_and_imported_documents_are_counted_in_their_states():
    make_return("CR2026121001", outbound_state=S.FAILED)
    make_draft("CR2026121001", state=S.UNKNOWN)
    PurchaseReturn.objects.bulk_create([PurchaseReturn(return_no=f"CR20261210{i:02d}", outer_no=f"WPT{i}",
                                                       outbound_state=S.DONE) for i in range(10, 15)])
    report = import_returns(xlsx([return_row("R001"), return_row("R002")]), file_name="退货.xlsx")
    assert report.ok, report.error_lines()
    assert state_counts()[("returns.purchasereturn", "outbound_state")] == {"failed": 1, "done": 5, "draft": 2}
    assert_right()


def test_moves_one_by_one_and_many_at_once_are_counted():
    documents = [make_return(f"CR20261211{i:02d}") for i in range(4)]
    move(documents[0], "outbound_state", S.READY)
    move(documents[0], "outbound_state", S.SENDING)
    move(documents[0], "outbound_state", S.DONE)
    move_many(documents[1:], "waiting_state", S.QUEUED)
    assert state_counts()[("returns.purchasereturn", "waiting_state")] == {"draft": 1, "queued": 3}
    assert_right()


def test_queryset_updates_and_deletes_are_counted():
    for i in range(5):
        make_return(f"CR20261212{i:02d}", lines=[{"spec_no": "A", "num": Decimal(1)}])
    PurchaseReturn.objects.filter(return_no__in=["CR2026121200", "CR2026121201"]).update(outbound_state=S.FAILED)
    PurchaseReturn.objects.filter(return_no="CR2026121202").update(remark="不改状态")  # counts nothing
    PurchaseReturn.objects.get(return_no="CR2026121203").delete()  # one, with its lines
    PurchaseReturn.objects.filter(outbound_state=S.FAILED).delete()
    assert not OutboundLine.objects.filter(purchase_return__return_no="CR2026121203").exists()
    assert state_counts()[("returns.purchasereturn", "outbound_state")] == {"draft": 2}
    assert_right()


def test_rows_inserted_by_raw_sql_are_counted():
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO returns_purchasereturn (return_no, outer_no, logistics_code, logistics_no, remark, is_check, "
            "outbound_state, waiting_state, last_message, created_at, updated_at, line_count, total_quantity, "
            "total_amount) VALUES ('CR2026121301', 'WPRAW', '', '', '', %s, 'ready', 'done', '', %s, %s, 0, 0, 0)",
            [True, "2026-12-01 00:00:00+00:00", "2026-12-01 00:00:00+00:00"])
    assert state_counts()[("returns.purchasereturn", "outbound_state")] == {"ready": 1}
    assert_right()


def test_folding_the_rows_keeps_the_counts_and_recounting_repairs_them():
    for i in range(30):
        document = make_return(f"CR20261214{i:02d}")
        move(document, "outbound_state", S.READY)
        move(document, "outbound_state", S.DRAFT)
    rows = StateTally.objects.count()
    assert rows > 60
    assert state_tallies_compact(over=10) == rows
    assert StateTally.objects.count() == 2  # draft of each state field
    assert_right()
    assert state_tallies_compact(over=10) == 0  # nothing to fold
    StateTally.objects.all().delete()  # lost, as after a restore of one table
    call_command("recount_states", verbosity=0)
    assert_right()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_a_truncated_table_counts_nothing():
    make_return("CR2026121501")
    make_draft("CR2026121501")
    with connection.cursor() as cursor:  # the drafts refer to the returns: truncated with them
        cursor.execute("TRUNCATE returns_outboundline, returns_purchasereturn CASCADE")
    assert state_counts() == {}
    make_return("CR2026121502")
    assert_right()
