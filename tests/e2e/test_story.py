"""The clerk's and the supervisor's day, in Chromium, against the sandbox over HTTP.

Clerk: logs in, brings the returns in, validates them, creates settlement drafts, and is refused the send.
Supervisor: creates the outbound orders, stops waiting, sends the settlements, sees the JS numbers.
Each step leaves a numbered screenshot under test-artifacts/screenshots/.
"""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from returns.models import OutboundLine, PurchaseReturn
from returns.states import DocumentState as S
from settlements.models import SettlementDraft
from tests.factories import make_user

from .conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-for-tests-only"
RETURNS = [
    ("CR2026112201", [("SKU-A", "2", "10.50"), ("SKU-B", "1", "1234.5")]),
    ("CR2026112202", [("SKU-C", "12", "0.25")]),
]


def given_returns_as_an_import_leaves_them(clerk) -> None:
    """Stands in for the Excel import until it is on main (see the report): the same rows, made directly."""
    for return_no, lines in RETURNS:
        purchase_return = PurchaseReturn.objects.create(return_no=return_no, logistics_code="SF",
                                                        logistics_no=f"SF{return_no}", created_by=clerk)
        for index, (spec_no, num, price) in enumerate(lines, start=1):
            OutboundLine.objects.create(purchase_return=purchase_return, line_no=index, spec_no=spec_no,
                                        num=Decimal(num), price=Decimal(price))


def run_action(page: Page, action: str, *, select_all: bool = True) -> None:
    """Tick every row of the change list, choose the action, press Go."""
    if select_all:
        page.locator("#action-toggle").check()
    page.locator("select[name=action]").select_option(action)
    page.locator("button[name=index]").click()
    page.wait_for_load_state()


def report_rows(page: Page) -> dict[str, str]:
    """The per-document report of an action: document → outcome and message."""
    rows = {}
    for row in page.locator("table.wdt-report tbody tr.wdt-row").all():
        cells = row.locator("td").all_inner_texts()
        rows[cells[0].strip()] = " ".join(c.strip() for c in cells[1:])
    return rows


def test_clerk_and_supervisor_story(browser, page, live_server, e2e_settings, wdt_sandbox, shots):
    base = live_server.url
    clerk = make_user("clerk1", "财务专员")
    supervisor = make_user("boss1", "财务主管")
    for return_no, lines in RETURNS:
        wdt_sandbox.seed_return(return_no, [{"spec_no": s, "num": n, "price": p} for s, n, p in lines])

    # --- the clerk -------------------------------------------------------------------------------------
    login(page, base, "clerk1", PASSWORD)
    expect(page.locator("h2#dash-states-h")).to_have_text("单据状态")
    shots(page, "clerk-dashboard")

    given_returns_as_an_import_leaves_them(clerk)

    page.goto(f"{base}/admin/returns/purchasereturn/")
    expect(page.locator("#result_list tbody tr")).to_have_count(2)
    # Money right-aligned, document numbers on one line.
    assert page.locator("td.field-post_cost").first.evaluate("e => getComputedStyle(e).textAlign") == "right"
    assert page.locator("th.field-return_no").first.evaluate("e => getComputedStyle(e).whiteSpace") == "nowrap"
    run_action(page, "validate")
    assert report_rows(page) == {"CR2026112201": "已完成 校验通过", "CR2026112202": "已完成 校验通过"}
    shots(page, "clerk-validated")
    assert set(PurchaseReturn.objects.values_list("outbound_state", flat=True)) == {S.READY}

    page.goto(f"{base}/admin/returns/purchasereturn/")
    run_action(page, "create_settlement_drafts")
    assert set(report_rows(page)) == {"CR2026112201", "CR2026112202"}
    shots(page, "clerk-drafts-created")
    assert SettlementDraft.objects.count() == 2

    # The send is not offered to a clerk, and forcing it is refused by the server.
    page.goto(f"{base}/admin/settlements/settlementdraft/")
    expect(page.locator("select[name=action] option[value=submit]")).to_have_count(0)
    page.evaluate("""() => {
        const select = document.querySelector('select[name=action]');
        select.add(new Option('在旺店通创建结算单', 'submit'));
    }""")
    page.locator("#action-toggle").check()
    page.locator("select[name=action]").select_option("submit")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.locator("button[name=index]").click()
    assert posted.value.status == 403
    expect(page.locator("body")).to_contain_text("没有权限")
    shots(page, "clerk-send-refused")
    assert wdt_sandbox.settlements().count() == 0
    page.context.clear_cookies()

    # --- the supervisor --------------------------------------------------------------------------------
    login(page, base, "boss1", PASSWORD)
    page.goto(f"{base}/admin/returns/purchasereturn/")
    run_action(page, "push_outbound")
    rows = report_rows(page)
    assert set(rows) == {"CR2026112201", "CR2026112202"} and all(v.startswith("已完成") for v in rows.values()), rows
    shots(page, "supervisor-outbound-created")
    assert wdt_sandbox.outbounds().count() == 2

    page.goto(f"{base}/admin/returns/purchasereturn/")
    run_action(page, "stop_waiting")
    rows = report_rows(page)
    assert len(rows) == 2 and all(v.startswith("已完成") for v in rows.values()), rows
    shots(page, "supervisor-stopped-waiting")
    assert not wdt_sandbox.returns().filter(waiting=True).exists()

    page.goto(f"{base}/admin/settlements/settlementdraft/")
    run_action(page, "submit")
    rows = report_rows(page)
    assert all(v.startswith("已完成 结算单已创建：JS") for v in rows.values()), rows
    shots(page, "supervisor-settlements-sent")

    page.goto(f"{base}/admin/settlements/settlementdraft/")
    js_numbers = sorted(page.locator("td.field-js_order_no").all_inner_texts())
    assert js_numbers == sorted(wdt_sandbox.settlements().values_list("order_no", flat=True))
    assert all(n.startswith("JS") for n in js_numbers) and len(js_numbers) == 2
    shots(page, "supervisor-js-numbers")

    page.goto(f"{base}/admin/")
    expect(page.get_by_test_id("sends-total").locator("td").first).to_have_text("5")
    shots(page, "supervisor-dashboard")
    assert get_user_model().objects.filter(pk=supervisor.pk).exists()
