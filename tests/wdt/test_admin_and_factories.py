"""The call log in the admin is read-only and searchable; the fault page drives the sandbox; the factories
name the missing setting."""

import pytest
from django.urls import reverse

from wdtportal.wdt.client import EnterpriseClient, QjbClient, enterprise_client_from_settings, qjb_client_from_settings
from wdtportal.wdt.errors import WdtConfigurationError
from wdtportal.wdt.models import WdtCall
from wdtportal.wdt.sandbox import faults
from wdtportal.wdt.sandbox.models import FaultSettings


@pytest.fixture
def calls(db):
    ok = WdtCall.objects.create(gateway="qjb", method="finance.settle.PurchaseReturn.upload", outcome="ok",
                                request_payload=[{"return_no": "CR-FIND-ME"}], document_label="CR-FIND-ME")
    refused = WdtCall.objects.create(gateway="enterprise", method="purchase_return_order_push.php",
                                     outcome="refused", error_message="采购退货单号不存在", document_label="CR-OTHER")
    return ok, refused


def test_call_log_lists_searches_and_filters(admin_client, calls):
    url = reverse("admin:wdt_wdtcall_changelist")
    page = admin_client.get(url)
    assert page.status_code == 200
    assert "CR-FIND-ME" in page.text and "CR-OTHER" in page.text
    found = admin_client.get(url, {"q": "CR-FIND"})
    assert "CR-FIND-ME" in found.text and "CR-OTHER" not in found.text
    refused = admin_client.get(url, {"outcome__exact": "refused"})
    assert "CR-OTHER" in refused.text and "CR-FIND-ME" not in refused.text
    by_method = admin_client.get(url, {"method": "purchase_return_order_push.php"})
    assert by_method.status_code == 200 and "CR-OTHER" in by_method.text


def test_call_log_is_read_only(admin_client, calls):
    ok, _ = calls
    change_url = reverse("admin:wdt_wdtcall_change", args=[ok.pk])
    detail = admin_client.get(change_url)
    assert detail.status_code == 200 and "CR-FIND-ME" in detail.text
    assert 'name="_save"' not in detail.text
    assert admin_client.post(change_url, {"outcome": "refused"}).status_code == 403
    assert admin_client.get(reverse("admin:wdt_wdtcall_add")).status_code == 403
    assert admin_client.post(reverse("admin:wdt_wdtcall_delete", args=[ok.pk]), {"post": "yes"}).status_code == 403
    ok.refresh_from_db()
    assert ok.outcome == "ok" and WdtCall.objects.count() == 2


def test_fault_page_starts_from_settings_and_overrides_them_once_saved(admin_client, settings):
    settings.WDT_SANDBOX_LATENCY_MS = 7
    settings.WDT_SANDBOX_ERROR_RATE = 0.25
    assert faults.current().latency_ms == 7
    listing = admin_client.get(reverse("admin:wdt_sandbox_faultsettings_changelist"))
    assert listing.status_code == 302 and listing.url == reverse("admin:wdt_sandbox_faultsettings_add")
    form = admin_client.get(listing.url)
    assert "沙箱故障设置" in form.text and 'value="7"' in form.text
    saved = admin_client.post(listing.url, {"latency_ms": "0", "error_rate": "1", "rate_limit_rate": "0",
                                            "lost_answer_rate": "0", "methods": "purchase_return_order_push.php",
                                            "max_faults": ""})
    assert saved.status_code == 302
    current = faults.current()
    assert (current.latency_ms, current.error_rate) == (0, 1.0)
    assert current.applies_to("purchase_return_order_push.php") and not current.applies_to("x")
    listing = admin_client.get(reverse("admin:wdt_sandbox_faultsettings_changelist"))
    assert listing.url == reverse("admin:wdt_sandbox_faultsettings_change", args=[FaultSettings.SINGLETON_PK])
    refused = admin_client.post(listing.url, {"latency_ms": "0", "error_rate": "1.5", "rate_limit_rate": "0",
                                              "lost_answer_rate": "0", "methods": "", "max_faults": ""})
    assert refused.status_code == 200 and faults.current().error_rate == 1.0


def test_fault_budget_is_spent_once(db):
    faults.configure(rate_limit_rate=1, max_faults=2)
    current = faults.current()
    assert [faults.draw(current, 1, "m") for _ in range(3)] == [True, True, False]


@pytest.mark.parametrize("name", ["WDT_QJB_SID", "WDT_QJB_APPKEY", "WDT_QJB_APPSECRET"])
def test_qjb_factory_names_the_missing_setting(settings, name):
    setattr(settings, name, "")
    with pytest.raises(WdtConfigurationError) as caught:
        qjb_client_from_settings()
    assert caught.value.setting == name and name in str(caught.value)


@pytest.mark.parametrize("name", ["WDT_ENT_SID", "WDT_ENT_APPKEY", "WDT_ENT_APPSECRET"])
def test_enterprise_factory_names_the_missing_setting(settings, name):
    setattr(settings, name, "")
    with pytest.raises(WdtConfigurationError) as caught:
        enterprise_client_from_settings()
    assert caught.value.setting == name


def test_factories_point_at_the_sandbox_only_when_it_is_on(settings):
    settings.WDT_QJB_URL = settings.WDT_ENT_URL = ""
    settings.WDT_SANDBOX_URL = "http://127.0.0.1:9/sandbox"
    assert isinstance(qjb_client_from_settings(), QjbClient)
    assert enterprise_client_from_settings().base_url == "http://127.0.0.1:9/sandbox"
    settings.WDT_SANDBOX = False
    with pytest.raises(WdtConfigurationError) as caught:
        enterprise_client_from_settings()
    assert caught.value.setting == "WDT_ENT_URL"
    settings.WDT_QJB_APPSECRET = "no-colon"
    with pytest.raises(WdtConfigurationError) as caught:
        qjb_client_from_settings()
    assert caught.value.setting == "WDT_QJB_APPSECRET" and "secret:salt" in str(caught.value)


def test_clients_never_show_their_secret():
    qjb = QjbClient("http://x", "sid", "key", "top-secret:salty")
    ent = EnterpriseClient("http://x", "sid", "key", "top-secret")
    for client in (qjb, ent):
        assert "top-secret" not in repr(client)


def test_sandbox_state_is_visible_read_only_in_the_admin(admin_client):
    from wdtportal.wdt.sandbox import state
    from wdtportal.wdt.sandbox.models import SandboxReturn

    state.seed_return("CR-ADMIN-1", [{"spec_no": "SKU-VISIBLE", "num": "2"}])
    listing = admin_client.get(reverse("admin:wdt_sandbox_sandboxreturn_changelist"), {"q": "CR-ADMIN"})
    assert listing.status_code == 200 and "CR-ADMIN-1" in listing.text
    pk = SandboxReturn.objects.get().pk
    detail = admin_client.get(reverse("admin:wdt_sandbox_sandboxreturn_change", args=[pk]))
    assert detail.status_code == 200 and "SKU-VISIBLE" in detail.text and 'name="_save"' not in detail.text
    assert admin_client.get(reverse("admin:wdt_sandbox_sandboxreturn_add")).status_code == 403
    for name in ("sandboxoutbound", "sandboxsettlement"):
        assert admin_client.get(reverse(f"admin:wdt_sandbox_{name}_changelist")).status_code == 200


def test_call_log_search_finds_a_return_number_inside_a_stop_waiting_batch_when_asked_to_read_payloads(
        admin_client, db):
    numbers = [f"CR20261100{i:02d}" for i in range(1, 41)]
    WdtCall.objects.create(gateway="qjb", method="purchase.PurchaseReturn.pending", outcome="ok",
                           request_payload=[numbers], document_label=f"{numbers[0]} 等40张")
    WdtCall.objects.create(gateway="qjb", method="purchase.PurchaseReturn.pending", outcome="ok",
                           request_payload=[["CR2026119999"]], document_label="CR2026119999")
    url = reverse("admin:wdt_wdtcall_changelist")
    # By default only the labels (indexed) are searched: the first number of the batch finds it, by prefix.
    assert "CR2026110001 等40张" in admin_client.get(url, {"q": "CR2026110001"}).text
    assert "CR2026110001 等40张" not in admin_client.get(url, {"q": "CR2026110037"}).text
    # Reading every payload is the person's explicit choice (a filter that says it is slower).
    found = admin_client.get(url, {"q": "CR2026110037", "search_in": "payload"})
    assert found.status_code == 200
    assert "也搜索请求内容（较慢）" in found.text
    assert "CR2026110001 等40张" in found.text and "CR2026119999" not in found.text
