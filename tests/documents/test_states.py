"""The state machine's rules: no move to the state a document is already in, and a send never runs inside an
outer transaction (its two transactions must each commit on their own)."""

import pytest
from django.db import transaction
from django.db.transaction import TransactionManagementError

from returns.models import PurchaseReturn
from returns.services import return_push_outbound, returns_stop_waiting
from settlements.services import settlement_submit
from tests.factories import make_draft, make_return
from wdtportal.documents.states import ALLOWED, DocumentState
from wdtportal.documents.transitions import IllegalTransition, move
from wdtportal.wdt.models import WdtCall

S = DocumentState


def test_no_state_may_move_to_itself():
    assert all(state not in targets for state, targets in ALLOWED.items())


@pytest.mark.django_db
@pytest.mark.parametrize("state", [S.DRAFT, S.READY])
def test_moving_a_document_to_the_state_it_is_in_is_refused_and_records_nothing(state):
    purchase_return = make_return(outbound_state=state)
    with pytest.raises(IllegalTransition):
        move(purchase_return, "outbound_state", state, reason="no-op")
    assert not purchase_return.state_changes.exists()


@pytest.mark.django_db(transaction=True)
def test_a_send_inside_an_outer_transaction_is_refused_before_anything_is_written_or_sent(supervisor):
    purchase_return = make_return()
    draft = make_draft()
    with transaction.atomic():
        with pytest.raises(TransactionManagementError):
            return_push_outbound(purchase_return=purchase_return, user=supervisor)
        with pytest.raises(TransactionManagementError):
            returns_stop_waiting(purchase_returns=[purchase_return], user=supervisor)
        with pytest.raises(TransactionManagementError):
            settlement_submit(draft=draft, user=supervisor)
    purchase_return = PurchaseReturn.objects.get(pk=purchase_return.pk)
    assert (purchase_return.outbound_state, purchase_return.waiting_state) == (S.DRAFT, S.DRAFT)
    assert not purchase_return.state_changes.exists() and not draft.state_changes.exists()
    assert WdtCall.objects.count() == 0
