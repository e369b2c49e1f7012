"""In a real Chromium: logging in from the keyboard, the dashboard, the language switcher, the portal's styles."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from returns.models import PurchaseReturn
from wdtportal.documents.states import DocumentState as S
from wdtportal.wdt.models import Outcome, WdtCall

from .conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def boss(django_user_model):
    return django_user_model.objects.create_superuser("boss", "boss@example.com", "pw-boss-2026")


def test_login_from_the_keyboard_and_see_the_dashboard(page, live_server, e2e_settings, boss, shots):
    PurchaseReturn.objects.create(return_no="CR-E2E-FAILED-000000000000000000001", outbound_state=S.FAILED,
                                  last_message="商家编码不存在")
    PurchaseReturn.objects.create(return_no="CR-E2E-UNKNOWN", outbound_state=S.UNKNOWN)
    call = WdtCall.objects.create(gateway="enterprise", method="purchase_return_order_push.php",
                                  outcome=Outcome.REFUSED, error_message="商家编码不存在")
    WdtCall.objects.filter(pk=call.pk).update(created_at=timezone.now() - timedelta(days=1))

    page.goto(f"{live_server.url}/admin/login/")
    expect(page.locator("#site-name")).to_have_text("旺店通采购退货门户")
    # Keyboard only: the username field has focus, Tab reaches the password, Enter submits.
    expect(page.locator("#id_username")).to_be_focused()
    page.keyboard.type("boss")
    page.keyboard.press("Tab")
    expect(page.locator("#id_password")).to_be_focused()
    page.keyboard.type("pw-boss-2026")
    shots(page, "login")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/admin/")

    expect(page.locator("h2#dash-states-h")).to_have_text("单据状态")
    expect(page.get_by_test_id("unknown-outbound_state")).to_contain_text("1")
    expect(page.get_by_test_id("chart-totals")).to_have_text("合计发送 1 次，其中失败 1 次")
    expect(page.locator("g.bar")).to_have_count(30)
    expect(page.locator("g.bar rect.seg-refused")).to_have_count(1)
    shots(page, "dashboard")

    # Counts are right-aligned in tabular figures; the document number does not wrap.
    cell = page.get_by_test_id("sends-total").locator("td").first
    assert cell.evaluate("e => getComputedStyle(e).textAlign") == "right"
    assert cell.evaluate("e => getComputedStyle(e).fontVariantNumeric") == "tabular-nums"
    assert page.locator("td.docno").first.evaluate("e => getComputedStyle(e).whiteSpace") == "nowrap"

    # The failure group links to the filtered list of exactly that document.
    page.locator("tr[data-testid=failure-group] a").click()
    expect(page).to_have_url(f"{live_server.url}/admin/returns/purchasereturn/"
                             "?outbound_state__exact=failed&last_message=%E5%95%86%E5%AE%B6%E7%BC%96%E7%A0%81"
                             "%E4%B8%8D%E5%AD%98%E5%9C%A8")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    expect(page.locator("#result_list tbody")).to_contain_text("CR-E2E-FAILED-000000000000000000001")
    shots(page, "failed-list")


def test_language_switcher_and_an_english_browser(browser, page, live_server, e2e_settings, boss, shots,
                                                  csp_violations):
    login(page, live_server.url, "boss", "pw-boss-2026")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    page.locator("#language-select").select_option("en")
    page.locator("#language-switcher button").click()
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#site-name")).to_have_text("WDT purchase returns portal")
    expect(page.locator("h2#dash-states-h")).to_have_text("Documents by state")
    shots(page, "dashboard-en")

    # A browser that asks for English gets English from the first page, without touching the switcher.
    english = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 860})
    csp_violations.watch(english)
    try:
        other = english.new_page()
        other.goto(f"{live_server.url}/admin/login/")
        expect(other.locator("label[for=id_username]")).to_contain_text("Username")
        expect(other.locator("#site-name")).to_have_text("WDT purchase returns portal")
    finally:
        english.close()


def test_an_upload_being_checked_says_so_and_cannot_be_sent_twice(page, live_server, e2e_settings, boss, tmp_path):
    from tests.excel.files import return_row, xlsx

    file = tmp_path / "退货.xlsx"
    file.write_bytes(xlsx([return_row("CR-E2E-BUSY", "SKU-1", 2)]))
    login(page, live_server.url, "boss", "pw-boss-2026")
    page.goto(f"{live_server.url}/admin/returns/purchasereturn/import/")
    page.locator("input[type=file]").set_input_files(str(file))
    # Keep the browser on the page after the portal's own submit handler has run, as during a large file's check
    # (a listener added later runs later).
    page.evaluate("document.querySelector('#content form[enctype]')"
                  ".addEventListener('submit', (event) => event.preventDefault())")
    submit = page.locator("#content form[enctype] input[type=submit]")
    submit.click()
    expect(page.locator(".excel-busy")).to_have_text("正在读取并检查文件，请稍候……")
    expect(submit).to_be_disabled()
