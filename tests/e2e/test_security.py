"""In Chromium: the Content-Security-Policy is enforced (and a violation would be seen), a supervisor enrols for
two-factor with the QR page and logs in with a code from a (computed) authenticator app, and the error pages work
without inline script."""

import time

import pyotp
import pytest
from playwright.sync_api import expect

from tests.factories import make_user

from .conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-for-tests-only"


def test_the_browser_enforces_the_policy_and_the_watch_reports_it(page, live_server, e2e_settings, csp_violations):
    page.goto(f"{live_server.url}/admin/login/")
    page.evaluate("""() => { const s = document.createElement("script");
                             s.textContent = "window.injected = true"; document.head.appendChild(s); }""")
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.injected === undefined")  # the inline script never ran
    assert any("script-src" in seen and "/admin/login/" in seen for seen in csp_violations.seen), csp_violations.seen
    csp_violations.seen.clear()  # expected here; any other would fail the test


def test_a_supervisor_enrols_for_two_factor_and_logs_in_with_a_code(page, live_server, e2e_settings, shots):
    e2e_settings.REQUIRE_2FA_SUPERVISORS = True
    make_user("boss2", "财务主管")
    page.goto(f"{live_server.url}/admin/login/")
    page.locator("#id_username").fill("boss2")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")
    page.wait_for_url(f"{live_server.url}/admin/two-factor/enrol/**")
    qr = page.locator(".two-factor-qr svg")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box["width"] >= 200 and box["height"] >= 200  # sized by two_factor.css: the stylesheet applies
    shots(page, "enrol")
    app = pyotp.TOTP(page.locator("#two-factor-secret").inner_text().replace(" ", ""))
    page.locator("#id_code").fill(app.now())
    page.locator("#id_code").press("Enter")
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    shots(page, "recovery-codes")
    page.get_by_role("link", name="我已保存恢复码，继续").click()
    page.wait_for_url(f"{live_server.url}/admin/")
    expect(page.locator("h2#dash-states-h")).to_be_visible()

    page.locator("#logout-form button").click()
    page.goto(f"{live_server.url}/admin/login/")
    page.locator("#id_username").fill("boss2")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")
    page.wait_for_url(f"{live_server.url}/admin/two-factor/verify/**")
    shots(page, "verify")
    page.locator("#id_code").fill(app.at(time.time() + 30))  # the current step's code is spent
    page.locator("#id_code").press("Enter")
    page.wait_for_url(f"{live_server.url}/admin/")
    expect(page.locator("h2#dash-states-h")).to_be_visible()


def test_error_pages_work_without_inline_script(page, live_server, e2e_settings, django_user_model, shots):
    django_user_model.objects.create_superuser("boss", "boss@example.com", "pw-boss-2026")
    login(page, live_server.url, "boss", "pw-boss-2026")
    page.goto(f"{live_server.url}/admin/returns/purchasereturn/?remark__regex=(.*")
    expect(page.locator("h1")).to_have_text("请求无效")
    page.goto(f"{live_server.url}/admin/returns/purchasereturn/abc/payload/")
    expect(page.locator("h1")).to_have_text("找不到页面")
    shots(page, "404")
    page.get_by_role("link", name="返回上一页").click()  # back_link.js: the browser's back
    expect(page.locator("h1")).to_have_text("请求无效")

    page.goto(f"{live_server.url}/admin/")
    page.locator("#logout-form button").click()
    for _ in range(5):
        page.goto(f"{live_server.url}/admin/login/")
        page.locator("#id_username").fill("boss")
        page.locator("#id_password").fill("wrong")
        page.locator("#id_password").press("Enter")
        page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text("登录已暂时锁定")
    shots(page, "locked")
