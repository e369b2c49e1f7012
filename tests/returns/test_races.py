"""A copy of a return read before a job queued or sent it must never move it back or overwrite its state.

The races are made deterministic: the "job" changes the row between the moment the portal read its copy and the
moment it acts on it, exactly as a worker would in between.
"""

import pytest
from django.urls import reverse

from returns.admin import PurchaseReturnAdmin
from returns.models import PurchaseReturn
from returns.services import return_edited, return_validate, returns_validate
from tests.factories import make_return
from wdtportal.documents.results import Outcome
from wdtportal.documents.states import DocumentState
from wdtportal.documents.transitions import StaleState, move, move_many

pytestmark = pytest.mark.django_db

S = DocumentState
CHANGE = "admin:returns_purchasereturn_change"
NOT_EDITABLE = [S.QUEUED, S.SENDING, S.DONE, S.UNKNOWN]


def job_moves(purchase_return: PurchaseReturn, state: str, field: str = "outbound_state") -> None:
    """Another process (a job, a worker) moves the row; the test's copy does not see it."""
    PurchaseReturn.objects.filter(pk=purchase_return.pk).update(**{field: state})


def history(purchase_return: PurchaseReturn) -> list[tuple[str, str]]:
    return list(purchase_return.state_changes.order_by("id").values_list("from_state", "to_state"))


def edit_form(purchase_return: PurchaseReturn, **changes) -> dict:
    line = purchase_return.lines.get()
    data = {"return_no": purchase_return.return_no, "outer_no": purchase_return.outer_no, "remark": "新备注",
            "is_check": "on", "lines-TOTAL_FORMS": 1, "lines-INITIAL_FORMS": 1, "lines-MIN_NUM_FORMS": 0,
            "lines-MAX_NUM_FORMS": 1000, "lines-0-id": line.pk, "lines-0-purchase_return": purchase_return.pk,
            "lines-0-line_no": 1, "lines-0-spec_no": "SKU-A", "lines-0-num": "7", "lines-0-price": "10.5",
            "documents-statechange-content_type-object_id-TOTAL_FORMS": 0,
            "documents-statechange-content_type-object_id-INITIAL_FORMS": 0}
    data.update(changes)
    return data


# --- move() is a compare-and-set ---------------------------------------------------------------------

def test_move_refuses_a_stale_copy_and_changes_nothing():
    purchase_return = make_return()
    stale = PurchaseReturn.objects.get(pk=purchase_return.pk)
    move(purchase_return, "outbound_state", S.QUEUED, reason="job")
    with pytest.raises(StaleState):
        move(stale, "outbound_state", S.READY, reason="validated from an old copy")
    purchase_return.refresh_from_db()
    assert purchase_return.outbound_state == S.QUEUED
    assert history(purchase_return) == [("draft", "queued")]


def test_move_writes_only_the_state_never_the_copys_other_fields():
    purchase_return = make_return(remark="old")
    PurchaseReturn.objects.filter(pk=purchase_return.pk).update(remark="saved by someone else", waiting_state=S.DONE)
    move(purchase_return, "outbound_state", S.READY)
    purchase_return.refresh_from_db()
    assert (purchase_return.outbound_state, purchase_return.waiting_state, purchase_return.remark) == (
        S.READY, S.DONE, "saved by someone else")


def test_move_many_moves_none_when_one_row_moved_meanwhile():
    first, second = make_return("CR2026119601"), make_return("CR2026119602")
    job_moves(second, S.SENDING)
    with pytest.raises(StaleState):
        move_many([first, second], "outbound_state", S.QUEUED)
    assert list(PurchaseReturn.objects.order_by("return_no").values_list("outbound_state", flat=True)) == [
        S.DRAFT, S.SENDING]
    assert not history(first) and not history(second)


# --- validation and edits read the row again ---------------------------------------------------------

@pytest.mark.parametrize("state", [S.QUEUED, S.SENDING, S.DONE])
def test_validating_a_selection_skips_a_return_a_job_moved_meanwhile(clerk, state):
    purchase_return = make_return()
    selection = list(PurchaseReturn.objects.filter(pk=purchase_return.pk))  # the admin's queryset, read first
    job_moves(purchase_return, state)
    [answer] = returns_validate(purchase_returns=selection, user=clerk)
    assert answer.outcome == Outcome.SKIPPED and str(S(state).label) in answer.message
    purchase_return.refresh_from_db()
    assert purchase_return.outbound_state == state and not history(purchase_return)


@pytest.mark.parametrize("state", [S.QUEUED, S.SENDING, S.DONE])
def test_validating_a_stale_copy_never_moves_the_return_back_to_ready(clerk, state):
    stale = make_return()
    job_moves(stale, state)
    assert return_validate(purchase_return=stale, user=clerk) == []
    stale.refresh_from_db()
    assert stale.outbound_state == state and not history(stale)


def test_an_invalid_return_a_job_queued_meanwhile_is_not_sent_back_to_draft(clerk):
    stale = make_return(lines=[], outbound_state=S.READY)
    job_moves(stale, S.QUEUED)
    assert return_validate(purchase_return=stale, user=clerk)
    stale.refresh_from_db()
    assert stale.outbound_state == S.QUEUED and not history(stale)


def test_an_edit_reported_after_a_job_queued_the_return_leaves_it_queued(clerk):
    stale = make_return(outbound_state=S.READY)
    job_moves(stale, S.QUEUED)
    return_edited(purchase_return=stale, user=clerk)
    stale.refresh_from_db()
    assert stale.outbound_state == S.QUEUED and not history(stale)


# --- the admin's change form -------------------------------------------------------------------------

@pytest.mark.parametrize("state", NOT_EDITABLE)
def test_a_forged_post_to_a_return_that_is_not_editable_is_refused_with_a_message(client, supervisor, state):
    purchase_return = make_return(outbound_state=state)
    client.force_login(supervisor)
    response = client.post(reverse(CHANGE, args=[purchase_return.pk]), edit_form(purchase_return, return_no="X1"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "不能再修改" in page and str(S(state).label) in page
    purchase_return.refresh_from_db()
    assert (purchase_return.return_no, purchase_return.remark, purchase_return.outbound_state) == (
        "CR2026119001", "", state)
    assert purchase_return.lines.get().num == 2


@pytest.mark.parametrize("state", NOT_EDITABLE)
def test_the_admin_refuses_an_edit_when_a_job_took_the_return_after_the_page_was_read(client, clerk, monkeypatch,
                                                                                    state):
    purchase_return = make_return(outbound_state=S.READY)
    read = PurchaseReturnAdmin.get_object

    def read_then_a_job_moves_it(self, request, object_id, from_field=None):
        obj = read(self, request, object_id, from_field)
        job_moves(purchase_return, state)
        return obj

    monkeypatch.setattr(PurchaseReturnAdmin, "get_object", read_then_a_job_moves_it)
    client.force_login(clerk)
    response = client.post(reverse(CHANGE, args=[purchase_return.pk]), edit_form(purchase_return))
    assert response.status_code == 200 and "不能再修改" in response.content.decode()
    purchase_return.refresh_from_db()
    assert (purchase_return.outbound_state, purchase_return.remark) == (state, "")
    assert purchase_return.lines.get().num == 2 and not history(purchase_return)


def test_saving_an_edit_never_writes_back_the_states_and_messages_the_page_was_read_with(client, clerk, monkeypatch):
    purchase_return = make_return()
    read = PurchaseReturnAdmin.get_object

    def read_then_stop_waiting_finishes(self, request, object_id, from_field=None):
        obj = read(self, request, object_id, from_field)
        PurchaseReturn.objects.filter(pk=purchase_return.pk).update(waiting_state=S.DONE, last_message="已停止等待")
        return obj

    monkeypatch.setattr(PurchaseReturnAdmin, "get_object", read_then_stop_waiting_finishes)
    client.force_login(clerk)
    response = client.post(reverse(CHANGE, args=[purchase_return.pk]), edit_form(purchase_return))
    assert response.status_code == 302, response.content.decode()[:2000]
    purchase_return.refresh_from_db()
    assert purchase_return.remark == "新备注" and purchase_return.lines.get().num == 7
    assert (purchase_return.waiting_state, purchase_return.last_message) == (S.DONE, "已停止等待")
