"""Creating settlement orders in WDT end to end against the sandbox, and resolving unknown outcomes."""

from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.urls import reverse

from settlements.models import SettlementDraft
from settlements.services import (
    settlement_drafts_create_from_returns,
    settlement_mark_done,
    settlement_send_again,
    settlement_submit,
)
from tests.factories import make_draft, make_return
from tests.worker import run_worker_until_idle
from wdtportal.documents.results import Outcome
from wdtportal.documents.states import DocumentState
from wdtportal.jobs.models import Job
from wdtportal.wdt.models import WdtCall

CHANGELIST = "admin:settlements_settlementdraft_changelist"


def uploads() -> int:
    return WdtCall.objects.filter(method="finance.settle.PurchaseReturn.upload").count()


def known_draft(wdt_sandbox, return_no: str = "CR2026119501", **fields) -> SettlementDraft:
    wdt_sandbox.seed_return(return_no, [{"spec_no": "SKU-A", "num": "2", "price": "10.5"}])
    return make_draft(return_no, lines=[{"spec_no": "SKU-A", "settle_num": Decimal("2"), "price": Decimal("10.5"),
                                         "tax_rate": Decimal("0.13")}], **fields)


def test_submitting_a_draft_creates_the_settlement_and_keeps_its_js_number(wdt_sandbox, supervisor):
    draft = known_draft(wdt_sandbox, post_fee=Decimal("12"), invoice_type=1)
    answer = settlement_submit(draft=draft, user=supervisor)
    assert answer.outcome == Outcome.DONE, answer.message
    settlement = wdt_sandbox.settlements().get()
    draft.refresh_from_db()
    assert draft.state == DocumentState.DONE and draft.js_order_no == settlement.order_no
    assert draft.js_order_no.startswith("JS") and draft.js_order_no in answer.message
    assert settlement.payload["settle_order"]["post_fee"] == "12"
    assert settlement.payload["detail_list"][0]["tax_rate"] == "0.13"
    call = WdtCall.objects.get()
    assert (call.outcome, call.user, call.document_id) == ("ok", supervisor, str(draft.pk))


def test_a_fuzzy_query_matching_nothing_is_refused_with_wdts_message(wdt_sandbox, supervisor):
    draft = make_draft("CR2026119502", fuzzy_query=True)
    answer = settlement_submit(draft=draft, user=supervisor)
    assert answer.outcome == Outcome.FAILED and answer.message == "模糊搜索无匹配或有多条匹配"
    draft.refresh_from_db()
    assert draft.state == DocumentState.FAILED and draft.js_order_no is None and draft.is_editable


def test_a_rate_limited_upload_is_retried_then_succeeds(wdt_sandbox, supervisor):
    draft = known_draft(wdt_sandbox)
    wdt_sandbox.faults(rate_limit_rate=1, max_faults=1)
    assert settlement_submit(draft=draft, user=supervisor).outcome == Outcome.DONE
    assert wdt_sandbox.settlements().count() == 1


def test_a_5xx_on_upload_is_unknown_and_never_resent_automatically(wdt_sandbox, supervisor):
    draft = known_draft(wdt_sandbox)
    wdt_sandbox.faults(error_rate=1)
    assert settlement_submit(draft=draft, user=supervisor).outcome == Outcome.UNKNOWN
    wdt_sandbox.faults()
    assert settlement_submit(draft=draft, user=supervisor).outcome == Outcome.SKIPPED
    assert uploads() == 1


def test_a_lost_upload_answer_is_unknown_and_submitting_again_makes_no_second_call(wdt_sandbox, supervisor):
    draft = known_draft(wdt_sandbox)
    wdt_sandbox.faults(lost_answer_rate=1)
    assert settlement_submit(draft=draft, user=supervisor).outcome == Outcome.UNKNOWN
    wdt_sandbox.faults()
    assert settlement_submit(draft=draft, user=supervisor).outcome == Outcome.SKIPPED
    assert uploads() == 1 and wdt_sandbox.settlements().count() == 1

    # The supervisor finds the order in WDT and records its number.
    js_order_no = wdt_sandbox.settlements().get().order_no
    with pytest.raises(ValidationError):
        settlement_mark_done(draft=draft, user=supervisor, js_order_no="  ")
    assert settlement_mark_done(draft=draft, user=supervisor, js_order_no=js_order_no).outcome == Outcome.DONE
    draft.refresh_from_db()
    assert (draft.state, draft.js_order_no) == (DocumentState.DONE, js_order_no)
    assert uploads() == 1


def test_sending_an_unknown_draft_again_is_the_supervisors_explicit_choice(wdt_sandbox, supervisor):
    draft = known_draft(wdt_sandbox)
    wdt_sandbox.faults(error_rate=1, max_faults=1)  # the 503 comes before any work: WDT has nothing
    assert settlement_submit(draft=draft, user=supervisor).outcome == Outcome.UNKNOWN
    answer = settlement_send_again(draft=draft, user=supervisor)
    assert answer.outcome == Outcome.DONE
    assert wdt_sandbox.settlements().count() == 1 and uploads() == 2


def test_the_js_number_is_unique_once_set(wdt_sandbox, supervisor):
    make_draft("CR2026119503", js_order_no="JS202611230001", state=DocumentState.DONE)
    draft = make_draft("CR2026119504", state=DocumentState.UNKNOWN)
    with pytest.raises(ValidationError):
        settlement_mark_done(draft=draft, user=supervisor, js_order_no="JS202611230001")


def test_drafts_created_from_returns_can_be_submitted(wdt_sandbox, supervisor):
    wdt_sandbox.seed_return("CR2026119505", [{"spec_no": "SKU-A", "num": "2"}, {"spec_no": "SKU-B", "num": "1"}])
    purchase_return = make_return("CR2026119505", lines=[{"spec_no": "SKU-A", "num": 2, "price": "3"},
                                                         {"spec_no": "SKU-B", "num": 1}])
    [created] = settlement_drafts_create_from_returns(purchase_returns=[purchase_return], user=supervisor)
    assert created.outcome == Outcome.DONE
    draft = SettlementDraft.objects.get(return_no="CR2026119505")
    assert settlement_submit(draft=draft, user=supervisor).outcome == Outcome.DONE
    lines = wdt_sandbox.settlements().get().payload["detail_list"]
    assert lines == [{"spec_no": "SKU-A", "settle_num": "2", "price": "3"}, {"spec_no": "SKU-B", "settle_num": "1"}]


# --- through the admin --------------------------------------------------------------------------------

def test_the_admin_submit_action_sends_in_a_job_that_reports_each_draft(client, wdt_sandbox, supervisor):
    good = known_draft(wdt_sandbox, "CR2026119506")
    refused = make_draft("CR2026119507")
    unknown = make_draft("CR2026119508", state=DocumentState.UNKNOWN)
    client.force_login(supervisor)
    page = client.post(reverse(CHANGELIST), {"action": "submit", ACTION_CHECKBOX_NAME: [good.pk, refused.pk,
                                                                                       unknown.pk], "index": 0})
    assert page.status_code == 302 and "/progress/" in page.url
    assert uploads() == 0  # nothing is sent in the browser's request
    run_worker_until_idle()
    text = client.get(page.url).content.decode()
    good.refresh_from_db()
    assert good.state == DocumentState.DONE and good.js_order_no == wdt_sandbox.settlements().get().order_no
    assert "采购退货单号不存在" in text and "不会自动重发" in text
    job = Job.objects.get()
    assert (job.total, job.done, job.failed, job.skipped) == (3, 1, 1, 1)
    assert job.items.get(object_id=good.pk).message.count(good.js_order_no) == 1


def test_the_admin_resolve_flow_states_the_cost_then_records_the_js_number(client, wdt_sandbox, supervisor):
    draft = known_draft(wdt_sandbox)
    wdt_sandbox.faults(lost_answer_rate=1)
    settlement_submit(draft=draft, user=supervisor)
    wdt_sandbox.faults()
    client.force_login(supervisor)

    page = client.get(reverse("admin:settlements_settlementdraft_resolve", args=[draft.pk]))
    assert page.status_code == 200
    assert "再创建一张结算单" in page.content.decode()

    js_order_no = wdt_sandbox.settlements().get().order_no
    page = client.post(reverse(CHANGELIST), {"action": "resolve_unknown", ACTION_CHECKBOX_NAME: [draft.pk],
                                             "resolve_action": "mark_done", f"js_order_no_{draft.pk}": js_order_no})
    assert page.status_code == 200 and js_order_no in page.content.decode()
    draft.refresh_from_db()
    assert (draft.state, draft.js_order_no) == (DocumentState.DONE, js_order_no)
    assert uploads() == 1


def test_the_admin_push_action_and_return_resolve_page(client, wdt_sandbox, supervisor):
    wdt_sandbox.seed_return("CR2026119509", [{"spec_no": "SKU-A", "num": "1"}])
    purchase_return = make_return("CR2026119509", lines=[{"spec_no": "SKU-A", "num": 1}])
    client.force_login(supervisor)
    url = reverse("admin:returns_purchasereturn_changelist")
    wdt_sandbox.faults(lost_answer_rate=1)
    page = client.post(url, {"action": "push_outbound", ACTION_CHECKBOX_NAME: [purchase_return.pk], "index": 0})
    run_worker_until_idle()
    assert "结果未知".encode() in client.get(page.url).content
    wdt_sandbox.faults()
    page = client.post(url, {"action": "resolve_unknown", ACTION_CHECKBOX_NAME: [purchase_return.pk], "index": 0})
    assert b"outer_no" in page.content and b'value="send_again"' in page.content
    page = client.post(url, {"action": "resolve_unknown", ACTION_CHECKBOX_NAME: [purchase_return.pk],
                             "resolve_action": "send_again"})
    assert page.status_code == 302 and page.url.endswith("/progress/")  # sent in the background
    run_worker_until_idle()
    purchase_return.refresh_from_db()
    assert purchase_return.outbound_state == DocumentState.DONE
    assert wdt_sandbox.outbounds().count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_success_whose_data_is_not_an_object_leaves_the_draft_unknown_not_sending(fake_gateway, settings,
                                                                                    supervisor):
    """WDT said yes, but its answer holds no readable JS number: the order may exist; a person must look."""
    settings.WDT_QJB_URL = fake_gateway.url
    for case, data in enumerate((["JS202611250001"], "JS202611250001", {"order_no": ""})):
        fake_gateway.answers_json({"status": 0, "data": data})
        draft = make_draft(f"CR20261195{case}9", lines=[{"spec_no": "SKU-A", "settle_num": Decimal("1")}])
        answer = settlement_submit(draft=draft, user=supervisor)
        draft.refresh_from_db()
        assert (answer.outcome, draft.state, draft.js_order_no) == (Outcome.UNKNOWN, DocumentState.UNKNOWN, None), data
        assert "没有返回结算单号" in draft.last_message
