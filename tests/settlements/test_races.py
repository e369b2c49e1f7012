"""A copy of a settlement draft read before a job queued or sent it must never make it ready (sendable) again:
that could create a second settlement order in WDT. The "job" changes the row between read and act."""

import pytest
from django.urls import reverse

from settlements.admin import SettlementDraftAdmin
from settlements.models import SettlementDraft
from settlements.services import settlement_edited, settlement_validate, settlements_validate
from tests.factories import make_draft
from wdtportal.documents.results import Outcome
from wdtportal.documents.states import DocumentState

pytestmark = pytest.mark.django_db

S = DocumentState
CHANGE = "admin:settlements_settlementdraft_change"
NOT_EDITABLE = [S.QUEUED, S.SENDING, S.DONE, S.UNKNOWN]


def job_moves(draft: SettlementDraft, state: str) -> None:
    SettlementDraft.objects.filter(pk=draft.pk).update(state=state)


def history(draft: SettlementDraft) -> list[tuple[str, str]]:
    return list(draft.state_changes.order_by("id").values_list("from_state", "to_state"))


def edit_form(draft: SettlementDraft, **changes) -> dict:
    line = draft.lines.get()
    data = {"return_no": draft.return_no, "remark": "新备注", "lines-TOTAL_FORMS": 1, "lines-INITIAL_FORMS": 1,
            "lines-MIN_NUM_FORMS": 0, "lines-MAX_NUM_FORMS": 1000, "lines-0-id": line.pk, "lines-0-draft": draft.pk,
            "lines-0-line_no": 1, "lines-0-spec_no": "SKU-A", "lines-0-settle_num": "7", "lines-0-price": "10.5",
            "documents-statechange-content_type-object_id-TOTAL_FORMS": 0,
            "documents-statechange-content_type-object_id-INITIAL_FORMS": 0}
    data.update(changes)
    return data


@pytest.mark.parametrize("state", [S.QUEUED, S.SENDING, S.DONE])
def test_validating_a_selection_skips_a_draft_a_job_moved_meanwhile(clerk, state):
    draft = make_draft()
    selection = list(SettlementDraft.objects.filter(pk=draft.pk))
    job_moves(draft, state)
    [answer] = settlements_validate(drafts=selection, user=clerk)
    assert answer.outcome == Outcome.SKIPPED and str(S(state).label) in answer.message
    draft.refresh_from_db()
    assert draft.state == state and not history(draft)


@pytest.mark.parametrize("state", [S.QUEUED, S.SENDING, S.DONE])
def test_validating_a_stale_copy_never_makes_a_sent_draft_ready_again(clerk, state):
    stale = make_draft()
    job_moves(stale, state)
    assert settlement_validate(draft=stale, user=clerk) == []
    stale.refresh_from_db()
    assert stale.state == state and not history(stale)


def test_an_edit_reported_after_a_job_queued_the_draft_leaves_it_queued(clerk):
    stale = make_draft(state=S.READY)
    job_moves(stale, S.QUEUED)
    settlement_edited(draft=stale, user=clerk)
    stale.refresh_from_db()
    assert stale.state == S.QUEUED and not history(stale)


@pytest.mark.parametrize("state", NOT_EDITABLE)
def test_a_forged_post_to_a_draft_that_is_not_editable_is_refused_with_a_message(client, supervisor, state):
    draft = make_draft(state=state)
    client.force_login(supervisor)
    response = client.post(reverse(CHANGE, args=[draft.pk]), edit_form(draft, return_no="X1"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "不能再修改" in page and str(S(state).label) in page
    draft.refresh_from_db()
    assert (draft.return_no, draft.remark, draft.state) == ("CR2026119001", "", state)
    assert draft.lines.get().settle_num == 2


@pytest.mark.parametrize("state", NOT_EDITABLE)
def test_the_admin_refuses_an_edit_when_a_job_took_the_draft_after_the_page_was_read(client, clerk, monkeypatch,
                                                                                   state):
    draft = make_draft(state=S.READY)
    read = SettlementDraftAdmin.get_object

    def read_then_a_job_moves_it(self, request, object_id, from_field=None):
        obj = read(self, request, object_id, from_field)
        job_moves(draft, state)
        return obj

    monkeypatch.setattr(SettlementDraftAdmin, "get_object", read_then_a_job_moves_it)
    client.force_login(clerk)
    response = client.post(reverse(CHANGE, args=[draft.pk]), edit_form(draft))
    assert response.status_code == 200 and "不能再修改" in response.content.decode()
    draft.refresh_from_db()
    assert (draft.state, draft.remark, draft.lines.get().settle_num) == (state, "", 2)
    assert not history(draft)


def test_saving_an_edit_never_writes_back_the_message_the_page_was_read_with(client, clerk,
                                                                                        monkeypatch):
    draft = make_draft(state=S.FAILED)
    read = SettlementDraftAdmin.get_object

    def read_then_a_supervisor_notes_something(self, request, object_id, from_field=None):
        obj = read(self, request, object_id, from_field)
        SettlementDraft.objects.filter(pk=draft.pk).update(last_message="旺店通：单据不存在")
        return obj

    monkeypatch.setattr(SettlementDraftAdmin, "get_object", read_then_a_supervisor_notes_something)
    client.force_login(clerk)
    response = client.post(reverse(CHANGE, args=[draft.pk]), edit_form(draft))
    assert response.status_code == 302, response.content.decode()[:2000]
    draft.refresh_from_db()
    assert (draft.remark, draft.last_message, draft.state) == ("新备注", "旺店通：单据不存在", S.FAILED)
