"""A supervisor's "send again" of documents in unknown runs in the background like the other sends.

The confirmation page's button queues a job and opens its page; the request itself calls no WDT. Only this
explicit action queues a document in unknown, and a send-again job that does not send gives the unknown back.
"""

import dataclasses

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from returns import job_kinds as returns_kinds
from returns.models import PurchaseReturn
from settlements import job_kinds as settlements_kinds
from settlements.models import SettlementDraft
from tests.factories import make_return
from tests.settlements.test_sending import known_draft, uploads
from tests.worker import run_worker_until_idle
from wdtportal.documents.models import StateChange
from wdtportal.documents.states import DocumentState as S
from wdtportal.jobs import kinds
from wdtportal.jobs.models import Job
from wdtportal.jobs.services import job_start
from wdtportal.wdt.models import WdtCall

pytestmark = pytest.mark.django_db(transaction=True)

RETURNS = "admin:returns_purchasereturn_changelist"
SETTLEMENTS = "admin:settlements_settlementdraft_changelist"


def send_again(client, changelist: str, documents) -> list[Job]:
    page = client.post(reverse(changelist), {"action": "resolve_unknown", "resolve_action": "send_again",
                                             ACTION_CHECKBOX_NAME: [d.pk for d in documents]})
    assert page.status_code == 302 and page.url.endswith("/progress/"), page.content[:300]
    first = Job.objects.get(pk=int(page.url.rstrip("/").split("/")[-2]))
    assert client.get(page.url).status_code == 200
    return [first, *Job.objects.exclude(pk=first.pk).order_by("pk")]


def test_sending_an_unknown_settlement_again_is_a_job_and_the_request_calls_no_wdt(client, wdt_sandbox, supervisor):
    draft = known_draft(wdt_sandbox, state=S.UNKNOWN)
    done = known_draft(wdt_sandbox, "CR2026119599", state=S.DONE, js_order_no="JS1")
    client.force_login(supervisor)
    confirm = client.post(reverse(SETTLEMENTS), {"action": "resolve_unknown", ACTION_CHECKBOX_NAME: [draft.pk]})
    assert b'value="send_again"' in confirm.content

    [job] = send_again(client, SETTLEMENTS, [draft, done])
    assert uploads() == 0  # nothing sent in the browser's request
    assert job.kind == settlements_kinds.SEND_AGAIN and job.created_by == supervisor
    # The job recorded the ticked ids narrowed to the drafts in unknown; its worker queues them.
    assert job.selection == {"ids": sorted([draft.pk, done.pk]), "only": {"state": "unknown"}}

    run_worker_until_idle()
    change = StateChange.objects.filter(object_id=draft.pk, to_state=S.QUEUED).get()
    assert change.from_state == S.UNKNOWN and change.user == supervisor and f"#{job.pk}" in change.reason
    job.refresh_from_db()
    draft.refresh_from_db()
    assert (job.total, job.done, job.skipped, job.failed, job.unknown) == (1, 1, 0, 0, 0) and job.finished_at
    assert draft.state == S.DONE and draft.js_order_no == wdt_sandbox.settlements().get().order_no
    assert uploads() == 1
    assert not job.items.filter(object_id=done.pk).exists()  # the done draft is not the job's


def test_sending_returns_again_makes_one_job_per_state_field_in_unknown_holding_only_those(
        client, wdt_sandbox, supervisor):
    outbound = make_return("CR2026119601", outer_no="WP601", outbound_state=S.UNKNOWN)
    waiting = make_return("CR2026119602", outer_no="WP602", outbound_state=S.DONE, waiting_state=S.UNKNOWN)
    nothing = make_return("CR2026119603", outer_no="WP603")
    for no in ("CR2026119601", "CR2026119602"):
        wdt_sandbox.seed_return(no, [{"spec_no": "SKU-A", "num": "2"}])
    client.force_login(supervisor)

    outbound_job, waiting_job = send_again(client, RETURNS, [outbound, waiting, nothing])
    assert not WdtCall.objects.exists()
    assert (outbound_job.kind, waiting_job.kind) == (returns_kinds.OUTBOUND_SEND_AGAIN,
                                                     returns_kinds.WAITING_SEND_AGAIN)
    run_worker_until_idle()

    outbound_job.refresh_from_db()
    waiting_job.refresh_from_db()
    assert (outbound_job.total, outbound_job.done, outbound_job.skipped) == (1, 1, 0)
    assert outbound_job.items.get().object_id == outbound.pk
    assert (waiting_job.total, waiting_job.done) == (1, 1)
    assert waiting_job.items.get().object_id == waiting.pk
    states = dict(PurchaseReturn.objects.values_list("return_no", "outbound_state"))
    assert states["CR2026119601"] == S.DONE and states["CR2026119603"] == S.DRAFT
    assert PurchaseReturn.objects.get(pk=waiting.pk).waiting_state == S.DONE
    assert wdt_sandbox.outbounds().count() == 1
    assert not wdt_sandbox.returns().get(return_no="CR2026119602").waiting


def test_a_send_again_job_that_does_not_send_gives_the_document_back_to_unknown(
        wdt_sandbox, supervisor, monkeypatch):
    """Back to unknown, not to a state an ordinary send would pick up: never resent without the supervisor."""
    def broken(documents, user):
        raise RuntimeError("boom")

    spec = kinds.KINDS[settlements_kinds.SEND_AGAIN]
    monkeypatch.setitem(kinds.KINDS, settlements_kinds.SEND_AGAIN,
                        dataclasses.replace(spec, send=broken))
    draft = known_draft(wdt_sandbox, state=S.UNKNOWN)
    job = job_start(kind=settlements_kinds.SEND_AGAIN, documents=[draft], user=supervisor)
    run_worker_until_idle()
    draft.refresh_from_db()
    job.refresh_from_db()
    assert draft.state == S.UNKNOWN and job.failed == 1 and "boom" in job.items.get().message
    # And an ordinary send job still refuses it.
    again = job_start(kind=settlements_kinds.SUBMIT, documents=[draft], user=supervisor)
    assert again.skipped == 1 and "不会自动重发" in again.items.get().message
    assert uploads() == 0 and SettlementDraft.objects.get(pk=draft.pk).state == S.UNKNOWN


def test_a_clerk_cannot_send_again(client, wdt_sandbox, clerk):
    draft = known_draft(wdt_sandbox, state=S.UNKNOWN)
    client.force_login(clerk)
    page = client.post(reverse(SETTLEMENTS), {"action": "resolve_unknown", "resolve_action": "send_again",
                                              ACTION_CHECKBOX_NAME: [draft.pk]})
    assert page.status_code == 403 and not Job.objects.exists()
    assert SettlementDraft.objects.get(pk=draft.pk).state == S.UNKNOWN


def test_stopping_returns_again_goes_500_numbers_a_request_as_the_first_stop_did(wdt_sandbox, supervisor):
    numbers = [f"CR20261196{i:03d}" for i in range(501)]
    for no in numbers:
        wdt_sandbox.seed_return(no)
    PurchaseReturn.objects.bulk_create([PurchaseReturn(return_no=no, outer_no=f"WP{no}", waiting_state=S.UNKNOWN)
                                        for no in numbers])
    job = job_start(kind=returns_kinds.WAITING_SEND_AGAIN, documents=list(PurchaseReturn.objects.order_by("pk")),
                    user=supervisor)
    run_worker_until_idle()

    job.refresh_from_db()
    assert (job.total, job.done) == (501, 501)
    requests = WdtCall.objects.filter(method="purchase.PurchaseReturn.pending")
    assert requests.count() == 2 and all(c.user == supervisor for c in requests)
    assert not PurchaseReturn.objects.exclude(waiting_state=S.DONE).exists()
    assert not wdt_sandbox.returns().filter(waiting=True).exists()
