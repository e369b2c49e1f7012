"""Documents left in sending by a crashed process become unknown after WDT_SENDING_TIMEOUT."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.factories import make_draft, make_return
from wdtportal.documents.models import StateChange
from wdtportal.documents.states import DocumentState
from wdtportal.documents.transitions import move

pytestmark = pytest.mark.django_db


def stuck_since(document, field: str, seconds_ago: int) -> None:
    move(document, field, DocumentState.SENDING, reason="test")
    StateChange.objects.filter(object_id=document.pk, to_state=DocumentState.SENDING, field=field).update(
        at=timezone.now() - timedelta(seconds=seconds_ago))


def test_the_sweep_turns_documents_stuck_in_sending_into_unknown_and_leaves_recent_ones(settings, capsys):
    settings.WDT_SENDING_TIMEOUT = 300
    old_outbound = make_return("CR2026119301")
    stuck_since(old_outbound, "outbound_state", 301)
    old_waiting = make_return("CR2026119302")
    stuck_since(old_waiting, "waiting_state", 1000)
    recent = make_return("CR2026119303")
    stuck_since(recent, "outbound_state", 10)
    old_draft = make_draft("CR2026119304")
    stuck_since(old_draft, "state", 301)
    done = make_return("CR2026119305", outbound_state=DocumentState.DONE)

    call_command("sweep_sending")

    for document, field, state in ((old_outbound, "outbound_state", "unknown"),
                                   (old_waiting, "waiting_state", "unknown"), (recent, "outbound_state", "sending"),
                                   (old_draft, "state", "unknown"), (done, "outbound_state", "done")):
        document.refresh_from_db()
        assert getattr(document, field) == state, document
    old_outbound.refresh_from_db()
    assert "结果未知" in old_outbound.last_message
    last = old_outbound.state_changes.order_by("-at", "-id").first()
    assert (last.from_state, last.to_state) == ("sending", "unknown") and "300" in last.reason
    assert "3 document(s)" in capsys.readouterr().out


def test_the_sweep_timeout_can_be_given_on_the_command_line():
    document = make_return("CR2026119306")
    stuck_since(document, "outbound_state", 61)
    call_command("sweep_sending", "--timeout", "120")
    document.refresh_from_db()
    assert document.outbound_state == DocumentState.SENDING
    call_command("sweep_sending", "--timeout", "60")
    document.refresh_from_db()
    assert document.outbound_state == DocumentState.UNKNOWN
