"""A settlement draft is linked to the portal's purchase return of its return_no, and the link follows the number:
from the draft's side (its return_no changes) and from the returns' side (a return created, imported or renumbered
after the draft)."""

import pytest
from django.db.models import F
from django.urls import reverse

from returns.models import PurchaseReturn
from settlements.models import SettlementDraft
from settlements.services import settlement_drafts_link
from tests.factories import make_draft, make_return
from wdtportal.documents.states import DocumentState

pytestmark = pytest.mark.django_db

RETURN_ADD = "admin:returns_purchasereturn_add"
RETURN_CHANGE = "admin:returns_purchasereturn_change"
DRAFT_CHANGE = "admin:settlements_settlementdraft_change"
HISTORY = "documents-statechange-content_type-object_id"


def linked(draft: SettlementDraft) -> PurchaseReturn | None:
    draft.refresh_from_db()
    return draft.purchase_return


def test_changing_a_drafts_return_no_links_it_to_the_return_of_the_new_number():
    first, second = make_return("CR2026119701"), make_return("CR2026119702")
    draft = make_draft("CR2026119701")
    assert linked(draft) == first
    draft.return_no = "CR2026119702"
    draft.save()
    assert linked(draft) == second
    draft.return_no = "CR2026119799"
    draft.save(update_fields=["return_no"])
    assert linked(draft) is None


def test_a_return_created_after_its_draft_is_linked_by_number():
    draft = make_draft("CR2026119703")
    other = make_draft("CR2026119704")
    purchase_return = make_return("CR2026119703")
    assert linked(draft) is None  # nothing links it by itself
    assert settlement_drafts_link(return_nos=["CR2026119703", "CR2026119705"]) == 1
    assert linked(draft) == purchase_return and linked(other) is None
    assert settlement_drafts_link(return_nos=["CR2026119703"]) == 0  # already right


def test_linking_leaves_the_draft_otherwise_untouched_whatever_its_state():
    draft = make_draft("CR2026119706", state=DocumentState.DONE, js_order_no="JS1", remark="sent")
    before = SettlementDraft.objects.values("updated_at", "state", "remark").get(pk=draft.pk)
    purchase_return = make_return("CR2026119706")
    settlement_drafts_link(return_nos=[purchase_return.return_no])
    assert linked(draft) == purchase_return
    assert SettlementDraft.objects.values("updated_at", "state", "remark").get(pk=draft.pk) == before


def test_a_renumbered_return_leaves_the_draft_of_its_old_number_and_takes_the_one_of_its_new_number():
    purchase_return = make_return("CR2026119707")
    old_draft, new_draft = make_draft("CR2026119707"), make_draft("CR2026119708")
    PurchaseReturn.objects.filter(pk=purchase_return.pk).update(return_no="CR2026119708")
    assert settlement_drafts_link(return_nos=["CR2026119708"]) == 2
    assert linked(old_draft) is None and linked(new_draft) == purchase_return


def test_linking_more_numbers_than_one_chunk_links_them_all():
    numbers = [f"CR20261{i:05d}" for i in range(1, 1203)]
    SettlementDraft.objects.bulk_create(SettlementDraft(return_no=no) for no in numbers)
    PurchaseReturn.objects.bulk_create(PurchaseReturn(return_no=no, outer_no=f"OUT{no}") for no in numbers)
    assert settlement_drafts_link(return_nos=numbers) == 1202
    assert not SettlementDraft.objects.filter(purchase_return__isnull=True).exists()
    assert not SettlementDraft.objects.exclude(return_no=F("purchase_return__return_no")).exists()


def test_a_return_added_in_the_admin_is_linked_to_the_draft_waiting_for_it(client, clerk):
    draft = make_draft("CR2026119709")
    client.force_login(clerk)
    response = client.post(reverse(RETURN_ADD), {
        "return_no": "CR2026119709", "outer_no": "", "is_check": "on",
        "lines-TOTAL_FORMS": 1, "lines-INITIAL_FORMS": 0, "lines-MIN_NUM_FORMS": 0, "lines-MAX_NUM_FORMS": 1000,
        "lines-0-line_no": 1, "lines-0-spec_no": "SKU-A", "lines-0-num": "1",
        f"{HISTORY}-TOTAL_FORMS": 0, f"{HISTORY}-INITIAL_FORMS": 0})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert linked(draft) == PurchaseReturn.objects.get(return_no="CR2026119709")


def test_renumbering_a_return_in_the_admin_moves_the_link(client, clerk):
    purchase_return = make_return("CR2026119710")
    old_draft, new_draft = make_draft("CR2026119710"), make_draft("CR2026119711")
    line = purchase_return.lines.get()
    client.force_login(clerk)
    response = client.post(reverse(RETURN_CHANGE, args=[purchase_return.pk]), {
        "return_no": "CR2026119711", "outer_no": purchase_return.outer_no, "is_check": "on",
        "lines-TOTAL_FORMS": 1, "lines-INITIAL_FORMS": 1, "lines-MIN_NUM_FORMS": 0, "lines-MAX_NUM_FORMS": 1000,
        "lines-0-id": line.pk, "lines-0-purchase_return": purchase_return.pk, "lines-0-line_no": 1,
        "lines-0-spec_no": "SKU-A", "lines-0-num": "2", f"{HISTORY}-TOTAL_FORMS": 0, f"{HISTORY}-INITIAL_FORMS": 0})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert linked(old_draft) is None and linked(new_draft) == purchase_return


def test_the_link_is_read_only_in_the_admin_and_follows_the_return_no_typed_there(client, clerk):
    first, second = make_return("CR2026119712"), make_return("CR2026119713")
    draft = make_draft("CR2026119712")
    line = draft.lines.get()
    client.force_login(clerk)
    page = client.get(reverse(DRAFT_CHANGE, args=[draft.pk])).content.decode()
    assert 'name="purchase_return"' not in page
    assert reverse(RETURN_CHANGE, args=[first.pk]) in page
    form = {"return_no": "CR2026119712", "lines-TOTAL_FORMS": 1, "lines-INITIAL_FORMS": 1, "lines-MIN_NUM_FORMS": 0,
            "lines-MAX_NUM_FORMS": 1000, "lines-0-id": line.pk, "lines-0-draft": draft.pk, "lines-0-line_no": 1,
            "lines-0-spec_no": "SKU-A", "lines-0-settle_num": "2", f"{HISTORY}-TOTAL_FORMS": 0,
            f"{HISTORY}-INITIAL_FORMS": 0}
    response = client.post(reverse(DRAFT_CHANGE, args=[draft.pk]), {**form, "purchase_return": second.pk})
    assert response.status_code == 302 and linked(draft) == first  # a forged link is ignored
    response = client.post(reverse(DRAFT_CHANGE, args=[draft.pk]), {**form, "return_no": "CR2026119713"})
    assert response.status_code == 302 and linked(draft) == second


def test_a_return_imported_after_its_draft_is_linked_by_the_import():
    from returns.resources import import_returns
    from tests.excel.files import return_row, xlsx

    draft = make_draft("CR2026119711")
    report = import_returns(xlsx([return_row("CR2026119711", "SKU-1", 2), return_row("CR2026119712", "SKU-1", 1)]),
                            file_name="退货.xlsx")
    assert report.ok, report.error_lines()
    assert linked(draft) == PurchaseReturn.objects.get(return_no="CR2026119711")
