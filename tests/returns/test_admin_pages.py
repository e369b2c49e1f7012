"""The admin pages of both documents render for clerks and supervisors; a clerk's send is a 403."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from returns.models import PurchaseReturn
from settlements.models import SettlementDraft
from tests.factories import make_draft, make_return
from wdtportal.documents.states import DocumentState
from wdtportal.wdt.models import WdtCall

pytestmark = pytest.mark.django_db

RETURNS = "admin:returns_purchasereturn"
DRAFTS = "admin:settlements_settlementdraft"


@pytest.fixture
def documents():
    purchase_return = make_return("CR2026119201", lines=[{"spec_no": "SPEC-FIND-ME", "num": 3}])
    draft = make_draft("CR2026119201", purchase_return=purchase_return,
                       lines=[{"spec_no": "SPEC-FIND-ME", "settle_num": 3}])
    return purchase_return, draft


@pytest.mark.parametrize("who", ["clerk", "supervisor"])
def test_lists_change_pages_and_payload_views_render(client, documents, who, request):
    client.force_login(request.getfixturevalue(who))
    purchase_return, draft = documents
    for name, obj in ((RETURNS, purchase_return), (DRAFTS, draft)):
        page = client.get(reverse(f"{name}_changelist"))
        assert page.status_code == 200
        assert str(obj).encode() in page.content
        page = client.get(reverse(f"{name}_change", args=[obj.pk]))
        assert page.status_code == 200
        assert "状态历史".encode() in page.content
        page = client.get(reverse(f"{name}_payload", args=[obj.pk]))
        assert page.status_code == 200
        assert b"CR2026119201" in page.content and b"SPEC-FIND-ME" in page.content


def test_search_finds_a_return_by_the_spec_no_of_any_line(client, documents, clerk):
    make_return("CR2026119202")
    client.force_login(clerk)
    page = client.get(reverse(f"{RETURNS}_changelist"), {"q": "SPEC-FIND-ME"})
    assert b"CR2026119201" in page.content and b"CR2026119202" not in page.content


def test_the_state_filter_and_badge_show_the_state(client, documents, clerk):
    make_return("CR2026119203", outbound_state=DocumentState.FAILED)
    client.force_login(clerk)
    page = client.get(reverse(f"{RETURNS}_changelist"), {"outbound_state__exact": "failed"})
    assert b"CR2026119203" in page.content and b"CR2026119201" not in page.content
    assert "失败".encode() in page.content and b"wdt-badge" in page.content


def test_a_settlement_draft_links_to_its_return_and_back(client, documents, clerk):
    purchase_return, draft = documents
    client.force_login(clerk)
    page = client.get(reverse(f"{DRAFTS}_change", args=[draft.pk])).content.decode()
    assert reverse(f"{RETURNS}_change", args=[purchase_return.pk]) in page
    page = client.get(reverse(f"{RETURNS}_change", args=[purchase_return.pk])).content.decode()
    assert reverse(f"{DRAFTS}_change", args=[draft.pk]) in page


@pytest.mark.parametrize(("name", "action", "model"), [
    (RETURNS, "push_outbound", PurchaseReturn), (RETURNS, "stop_waiting", PurchaseReturn),
    (RETURNS, "resolve_unknown", PurchaseReturn), (DRAFTS, "submit", SettlementDraft),
    (DRAFTS, "resolve_unknown", SettlementDraft)])
def test_a_clerk_posting_a_send_or_resolve_action_gets_403_and_nothing_is_sent(client, documents, clerk, name,
                                                                              action, model):
    client.force_login(clerk)
    obj = documents[0] if model is PurchaseReturn else documents[1]
    page = client.post(reverse(f"{name}_changelist"), {"action": action, ACTION_CHECKBOX_NAME: [obj.pk], "index": 0})
    assert page.status_code == 403
    assert WdtCall.objects.count() == 0
    obj.refresh_from_db()
    assert not obj.state_changes.exists()


def test_a_clerk_does_not_see_the_send_actions_but_a_supervisor_does(client, documents, clerk, supervisor):
    client.force_login(clerk)
    page = client.get(reverse(f"{RETURNS}_changelist")).content.decode()
    assert 'value="validate"' in page and 'value="push_outbound"' not in page
    client.force_login(supervisor)
    page = client.get(reverse(f"{RETURNS}_changelist")).content.decode()
    assert 'value="push_outbound"' in page and 'value="resolve_unknown"' in page


def test_a_clerk_cannot_open_the_resolve_page(client, documents, clerk):
    client.force_login(clerk)
    assert client.get(reverse(f"{RETURNS}_resolve", args=[documents[0].pk])).status_code == 403


def test_the_validate_action_reports_each_document_on_the_page(client, documents, clerk):
    broken = make_return("CR2026119204", lines=[])
    done = make_return("CR2026119205", outbound_state=DocumentState.DONE)
    client.force_login(clerk)
    page = client.post(reverse(f"{RETURNS}_changelist"), {
        "action": "validate", ACTION_CHECKBOX_NAME: [documents[0].pk, broken.pk, done.pk], "index": 0})
    assert page.status_code == 200
    text = page.content.decode()
    assert text.count('class="wdt-row"') == 3
    assert "校验通过" in text and "至少需要一行明细" in text and "无需校验" in text


def test_creating_settlement_drafts_copies_the_lines_and_skips_returns_that_have_one(client, clerk):
    purchase_return = make_return("CR2026119206", logistics_code="SF", logistics_no="SF1", lines=[
        {"spec_no": "A", "num": 2, "price": "3.5", "batch_no": "B1", "remark": "r1", "position_no": "P"},
        {"spec_no": "B", "num": "0.5"}])
    client.force_login(clerk)
    url = reverse(f"{RETURNS}_changelist")
    page = client.post(url, {"action": "create_settlement_drafts", ACTION_CHECKBOX_NAME: [purchase_return.pk],
                             "index": 0})
    assert "已生成结算单草稿".encode() in page.content
    draft = SettlementDraft.objects.get(return_no="CR2026119206")
    assert draft.purchase_return == purchase_return and draft.created_by == clerk
    assert (draft.logistics_company_no, draft.logistics_no) == ("SF", "SF1")
    assert [(str(x.spec_no), x.settle_num, x.price, x.batch_no, x.remark) for x in draft.lines.all()] == [
        ("A", 2, 3.5, "B1", "r1"), ("B", 0.5, None, "", "")]
    page = client.post(url, {"action": "create_settlement_drafts", ACTION_CHECKBOX_NAME: [purchase_return.pk],
                             "index": 0})
    assert "已有结算单草稿".encode() in page.content
    assert SettlementDraft.objects.count() == 1


def test_a_document_wdt_accepted_is_read_only(client, supervisor):
    purchase_return = make_return("CR2026119207", outbound_state=DocumentState.DONE)
    draft = make_draft("CR2026119207", state=DocumentState.DONE, js_order_no="JS2026112300001")
    client.force_login(supervisor)
    page = client.get(reverse(f"{RETURNS}_change", args=[purchase_return.pk])).content.decode()
    assert 'name="return_no"' not in page and 'name="lines-0-spec_no"' not in page
    page = client.get(reverse(f"{DRAFTS}_change", args=[draft.pk])).content.decode()
    assert 'name="return_no"' not in page and "JS2026112300001" in page
    response = client.post(reverse(f"{RETURNS}_change", args=[purchase_return.pk]), {"return_no": "CHANGED"})
    purchase_return.refresh_from_db()
    assert purchase_return.return_no == "CR2026119207", response.status_code


def test_editing_a_ready_return_sends_it_back_to_draft(client, clerk):
    purchase_return = make_return("CR2026119208", outbound_state=DocumentState.READY)
    line = purchase_return.lines.get()
    client.force_login(clerk)
    data = {"return_no": "CR2026119208", "outer_no": purchase_return.outer_no, "remark": "新备注", "is_check": "on",
            "lines-TOTAL_FORMS": 1, "lines-INITIAL_FORMS": 1, "lines-MIN_NUM_FORMS": 0, "lines-MAX_NUM_FORMS": 1000,
            "lines-0-id": line.pk, "lines-0-purchase_return": purchase_return.pk, "lines-0-line_no": 1,
            "lines-0-spec_no": "SKU-A", "lines-0-num": "2", "lines-0-price": "10.5",
            "documents-statechange-content_type-object_id-TOTAL_FORMS": 0,
            "documents-statechange-content_type-object_id-INITIAL_FORMS": 0}
    response = client.post(reverse(f"{RETURNS}_change", args=[purchase_return.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    purchase_return.refresh_from_db()
    assert purchase_return.remark == "新备注"
    assert purchase_return.outbound_state == DocumentState.DRAFT


def test_there_is_no_bulk_delete_that_could_remove_documents_wdt_has(client, documents, supervisor):
    client.force_login(supervisor)
    for name in (RETURNS, DRAFTS):
        assert 'value="delete_selected"' not in client.get(reverse(f"{name}_changelist")).content.decode()


def test_a_draft_made_by_hand_is_linked_to_the_return_the_portal_has():
    purchase_return = make_return("CR2026119209")
    assert make_draft("CR2026119209").purchase_return == purchase_return
    assert make_draft("CR2026119210").purchase_return is None


def test_a_clerk_is_told_who_sends_and_a_validation_says_it_waits_for_the_supervisor(client):
    from tests.factories import make_user

    make_return("CR-HAND-1")
    client.force_login(make_user("clerk7", "财务专员"))
    page = client.get("/admin/returns/purchasereturn/").content.decode()
    assert 'class="help wdt-handover"' in page and "由财务主管发送" in page
    assert 'class="import_link"' in page  # import-export's buttons are still there
    report = client.post("/admin/returns/purchasereturn/", {
        "action": "validate", "_selected_action": [PurchaseReturn.objects.get().pk]}).content.decode()
    assert "校验通过" in report and "已校验，等待财务主管发送" in report
    assert "已完成" not in report  # 已完成 is only WDT's acceptance


def test_a_supervisor_sees_no_hand_over_note_and_can_send_what_is_validated(client):
    from tests.factories import make_user

    make_return("CR-HAND-2")
    client.force_login(make_user("boss7", "财务主管"))
    assert "wdt-handover" not in client.get("/admin/returns/purchasereturn/").content.decode()
    report = client.post("/admin/returns/purchasereturn/", {
        "action": "validate", "_selected_action": [PurchaseReturn.objects.get().pk]}).content.decode()
    assert "已校验，可以发送到旺店通" in report
